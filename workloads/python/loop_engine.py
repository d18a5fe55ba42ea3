"""python-loop: plain Python over the csv module with dict state, as the
study wrote its sessionization and streaming loops; groupby and join too,
so every CSV task has a pure-Python reference."""
import csv
import heapq
import math
import os
import re

import hp_engine
from hp_engine import BadData, HEADERS, T0, CHANNELS, SEGMENTS, REGIONS, EVENT_TYPES, \
    STREAM_TYPES

MONEY = re.compile(r"[0-9]+\.[0-9][0-9]\Z")
DISCOUNT = re.compile(r"0\.[0-9][0-9]\Z")
CHANNEL = {n: i for i, n in enumerate(CHANNELS)}
SEGMENT = set(SEGMENTS)
REGION = set(REGIONS)
EVENT = set(EVENT_TYPES)
STREAM = set(STREAM_TYPES)


class Reader:
    """Rows of one CSV file with their line numbers, checked for the exact
    header, complete lines, no carriage return and the field count."""

    def __init__(self, data, name):
        self.name = name
        self.line = 1
        self.f = open(os.path.join(data, name), newline="", encoding="ascii",
                      errors="replace")
        self.nfields = HEADERS[name].count(",") + 1

    def _lines(self):
        header = self.f.readline()
        if header == "":
            raise BadData("%s:1: empty file (no header)" % self.name)
        if header.rstrip("\n") != HEADERS[self.name] or not header.endswith("\n"):
            raise BadData("%s:1: header is '%s', expected '%s'"
                          % (self.name, header.rstrip("\n")[:100], HEADERS[self.name]))
        for text in self.f:
            self.line += 1
            if not text.endswith("\n"):
                raise BadData("%s:%d: last line does not end with a newline"
                              % (self.name, self.line))
            if "\r" in text:
                raise BadData("%s:%d: carriage return in line" % (self.name, self.line))
            yield text
        if self.line == 1:
            raise BadData("%s:2: no data rows" % self.name)

    def __iter__(self):
        for row in csv.reader(self._lines(), quoting=csv.QUOTE_NONE):
            if len(row) != self.nfields:
                raise BadData("%s:%d: expected %d fields, found %d"
                              % (self.name, self.line, self.nfields, len(row)))
            yield row

    def bad(self, field, value):
        return BadData("%s:%d: bad %s '%s'" % (self.name, self.line, field, value[:40]))

    def uint(self, value, field):
        if not (value.isdigit() and value.isascii() and len(value) <= 19):
            raise self.bad(field, value)
        return int(value)

    def cents(self, value, field):
        if not MONEY.match(value) or len(value) > 19:
            raise self.bad(field, value)
        return int(value[:-3]) * 100 + int(value[-2:])

    def name_in(self, value, names, field):
        if value not in names:
            raise self.bad(field, value)
        return value

    def close(self):
        self.f.close()


def facts_rows(data):
    """(user_id, product_id, ts, quantity, cents, discount, channel) per row."""
    r = Reader(data, "facts.csv")
    try:
        for row in r:
            user = r.uint(row[1], "user_id")
            product = r.uint(row[2], "product_id")
            ts = r.uint(row[3], "ts")
            qty = r.uint(row[4], "quantity")
            cents = r.cents(row[5], "unit_price")
            if not DISCOUNT.match(row[6]):
                raise r.bad("discount", row[6])
            yield user, product, ts, qty, cents, float(row[6]), row[7], r
    finally:
        r.close()


def groupby(data, threads):
    groups = {}
    rows = 0
    for _, product, _, qty, cents, disc, _, _ in facts_rows(data):
        price = cents / 100.0
        revenue = qty * price * (1.0 - disc)
        g = groups.get(product)
        if g is None:
            groups[product] = [1, qty, revenue, price]
        else:
            g[0] += 1
            g[1] += qty
            g[2] += revenue
            if price > g[3]:
                g[3] = price
        rows += 1
    top = heapq.nsmallest(10, groups.items(), key=lambda kv: (-kv[1][2], kv[0]))
    result = {
        "rows": rows,
        "groups": len(groups),
        "total_revenue": math.fsum(g[2] for g in groups.values()),
        "top": [[p, g[0], g[1], g[2], g[3]] for p, g in top],
    }
    return result, None, None


def join(data, threads):
    users = {}
    r = Reader(data, "users.csv")
    try:
        for row in r:
            uid = r.uint(row[0], "user_id")
            seg = r.name_in(row[1], SEGMENT, "segment")
            reg = r.name_in(row[2], REGION, "region")
            if uid in users:
                raise BadData("users.csv:%d: duplicate user_id %d" % (r.line, uid))
            users[uid] = (seg, reg)
    finally:
        r.close()
    cells = {}
    rows = 0
    for user, _, ts, qty, cents, disc, channel, fr in facts_rows(data):
        if channel not in CHANNEL:
            raise fr.bad("channel", channel)
        if ts < T0 + 2592000 or channel == "partner":
            continue
        key = users.get(user)
        if key is None:
            continue
        c = cells.get(key)
        revenue = qty * (cents / 100.0) * (1.0 - disc)
        if c is None:
            cells[key] = [1, qty, revenue]
        else:
            c[0] += 1
            c[1] += qty
            c[2] += revenue
        rows += 1
    result = {"rows": rows,
              "segments": [[s, g, c[0], c[1], c[2]] for (s, g), c in sorted(cells.items())]}
    return result, None, None


def sessionize(data, threads):
    r = Reader(data, "events.csv")
    buckets = [1, 2, 4, 8, 16, 32, 64]
    hist = [0] * 7
    st = {"events": 0, "users": 0, "sessions": 0, "total_duration_s": 0,
          "bounce_sessions": 0, "converting_sessions": 0, "abandoned_cart_sessions": 0,
          "revenue_cents": 0, "max_session_events": 0}
    session = None
    prev_user = prev_ts = None

    def close(s):
        st["sessions"] += 1
        st["total_duration_s"] += s["end"] - s["start"]
        if s["events"] == 1:
            st["bounce_sessions"] += 1
        if s["purchases"]:
            st["converting_sessions"] += 1
        elif s["carts"]:
            st["abandoned_cart_sessions"] += 1
        st["max_session_events"] = max(st["max_session_events"], s["events"])
        b = 0
        while b < 6 and s["events"] >= buckets[b + 1]:
            b += 1
        hist[b] += 1

    try:
        for row in r:
            user = r.uint(row[0], "user_id")
            ts = r.uint(row[1], "ts")
            kind = r.name_in(row[2], EVENT, "event_type")
            cents = r.cents(row[3], "amount")
            if prev_user is not None and (user < prev_user or
                                          (user == prev_user and ts < prev_ts)):
                raise BadData("events.csv:%d: not sorted by user_id, then ts" % r.line)
            if session is None or user != prev_user or ts - prev_ts > 1800:
                if session is not None:
                    close(session)
                if user != prev_user:
                    st["users"] += 1
                session = {"events": 0, "purchases": 0, "carts": 0, "start": ts, "end": ts}
            session["events"] += 1
            session["end"] = ts
            if kind == "purchase":
                session["purchases"] += 1
                st["revenue_cents"] += cents
            elif kind == "cart":
                session["carts"] += 1
            st["events"] += 1
            prev_user, prev_ts = user, ts
    finally:
        r.close()
    close(session)
    st["length_histogram"] = hist
    return st, None, None


WEIGHTS = {
    "view": lambda c: 0.1,
    "login": lambda c: 1.0,
    "purchase": lambda c: 0.5 + c / 20000.0,
    "refund": lambda c: 4.0 + c / 10000.0,
    "password_reset": lambda c: 6.0,
    "chargeback": lambda c: 15.0 + c / 5000.0,
}


def stream_score(data, threads):
    r = Reader(data, "stream.csv")
    users = {}
    events = alerts = 0
    peak = 0.0
    prev_ts = None
    try:
        for row in r:
            ts = r.uint(row[0], "ts")
            user = r.uint(row[1], "user_id")
            kind = r.name_in(row[2], STREAM, "event_type")
            cents = r.cents(row[3], "amount")
            if prev_ts is not None and ts < prev_ts:
                raise BadData("stream.csv:%d: ts decreases" % r.line)
            prev_ts = ts
            events += 1
            u = users.get(user)
            if u is None:
                u = users[user] = {"score": 0.0, "last_ts": ts, "alerts": 0, "armed": True}
            elif ts - u["last_ts"] > 0:
                u["score"] *= math.exp(-(ts - u["last_ts"]) / 1800.0)
            if not u["armed"] and u["score"] < 5.0:
                u["armed"] = True
            u["score"] += WEIGHTS[kind](cents)
            if u["score"] > peak:
                peak = u["score"]
            if u["armed"] and u["score"] >= 20.0:
                u["alerts"] += 1
                alerts += 1
                u["armed"] = False
            u["last_ts"] = ts
    finally:
        r.close()
    final = 0.0
    for uid in sorted(users):
        final += users[uid]["score"]
    top = heapq.nsmallest(5, users.items(), key=lambda kv: (-kv[1]["alerts"], kv[0]))
    result = {"events": events, "users": len(users), "alerts": alerts,
              "alerted_users": sum(1 for u in users.values() if u["alerts"]),
              "peak_score": peak, "final_score_sum": final,
              "top_users": [[uid, u["alerts"]] for uid, u in top]}
    return result, None, None


if __name__ == "__main__":
    hp_engine.main("python-loop", {"groupby": groupby, "join": join, "sessionize": sessionize,
                                   "stream-score": stream_score},
                   threads_used=lambda task, n: 1)
