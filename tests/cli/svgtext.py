"""Checks gnuplot SVGs for text drawn over other text.

usage: svgtext.py FILE.svg...
Prints each pair of overlapping texts and exits 1 when there is any.

gnuplot's SVG gives every text its anchor point (translate), its rotation,
its font size and its anchor (start, middle, end), not its extent, so each
text's box is estimated, on the generous side, from those:
  width  = font size x the sum over its characters of 0.60 (0.80 for
           capitals, W, M, m, w and characters outside ASCII, 0.30 for
           spaces and narrow punctuation); Arial's widest lower-case letters
           are about 0.56 em wide, digits 0.556 em;
  height = from 0.80 font sizes above the baseline (Arial's ascent,
           0.72 em for capitals) to 0.25 below it (descent 0.21 em).
The same text drawn twice at the same point (gnuplot draws a boxed label's
text once to size its box, once over it) counts once. Two boxes overlap when the rotated rectangles intersect by more than half a
pixel in both directions (separating-axis test).
"""
import math
import re
import sys

GROUP = re.compile(r'<g transform="translate\(([-\d.]+),([-\d.]+)\)(?:\s*rotate\(([-\d.]+)\))?"'
                   r'[^>]*font-size="([\d.]+)"[^>]*text-anchor="(\w+)"[^>]*>\s*<text>(.*?)</text>',
                   re.S)
ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'"}


def unescape(s):
    s = re.sub(r"<[^>]+>", "", s)
    for k, v in ENTITIES.items():
        s = s.replace(k, v)
    return s


def char_width(ch):
    if ch in " .,:;'!|ilIjft()[]":
        return 0.30
    if ch.isupper() or ch in "WMmw" or ord(ch) > 127:
        return 0.80
    return 0.60


def boxes(svg):
    out = []
    seen = set()
    for m in GROUP.finditer(svg):
        if m.groups() in seen:
            continue
        seen.add(m.groups())
        x, y, rot, size, anchor, text = m.groups()
        text = unescape(text)
        if not text.strip():
            continue
        x, y, size = float(x), float(y), float(size)
        w = size * sum(char_width(c) for c in text)
        x0 = {"start": 0.0, "middle": -w / 2, "end": -w}.get(anchor, -w / 2)
        local = [(x0, -0.80 * size), (x0 + w, -0.80 * size), (x0 + w, 0.25 * size),
                 (x0, 0.25 * size)]
        a = math.radians(float(rot or 0))
        corners = [(x + u * math.cos(a) - v * math.sin(a), y + u * math.sin(a) + v * math.cos(a))
                   for u, v in local]
        out.append((text, corners))
    return out


def overlap(p, q):
    """Separating-axis test of two convex quads, with a half-pixel allowance."""
    for poly in (p, q):
        for i in range(4):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % 4]
            nx, ny = y2 - y1, x1 - x2
            norm = math.hypot(nx, ny) or 1.0
            nx, ny = nx / norm, ny / norm
            a = [px * nx + py * ny for px, py in p]
            b = [px * nx + py * ny for px, py in q]
            if min(max(a), max(b)) - max(min(a), min(b)) <= 0.5:
                return False
    return True


def main():
    bad = 0
    for path in sys.argv[1:]:
        bs = boxes(open(path, encoding="utf-8").read())
        for i in range(len(bs)):
            for j in range(i + 1, len(bs)):
                if overlap(bs[i][1], bs[j][1]):
                    bad += 1
                    if bad <= 20:
                        print("%s: %r overlaps %r" % (path, bs[i][0], bs[j][0]))
    if bad:
        print("%d overlapping pairs of texts" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
