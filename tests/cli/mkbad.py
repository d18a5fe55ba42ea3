"""Writes broken copies of a data folder for the bad-input tests.

usage: mkbad.py SRC OUT   -> OUT/CASE/ for every case, and OUT/cases listing
"CASE FILE TASKS EXPECT WHO" lines, EXPECT being what a line-exact engine must
say on stderr (library engines only need to fail cleanly), WHO which engines
must reject the case (WORKLOADS.md section 4): "strict" only the C and Rust
engines, which reject every bad input exactly; "loop" python-loop too (its
plain code refuses it anyway: int() or float() fails, fields do not unpack,
keys compared out of order); "all" every engine, the lenient library ones
included. A lenient engine may accept what it need not reject, or fail
cleanly.
"""
import os
import shutil
import struct
import sys

src, out = sys.argv[1], sys.argv[2]
FILES = ["facts.csv", "users.csv", "events.csv", "stream.csv", "points.f64"]
TASKS = {"facts.csv": "groupby,join", "users.csv": "join", "events.csv": "sessionize",
         "stream.csv": "stream-score", "points.f64": "numeric"}
cases = []


def read(name):
    with open(os.path.join(src, name), "rb") as f:
        return f.read()


def make(case, name, data, expect, tasks=None, who="strict"):
    d = os.path.join(out, case)
    os.makedirs(d)
    for f in FILES:
        if f != name:
            os.symlink(os.path.abspath(os.path.join(src, f)), os.path.join(d, f))
    if data is not None:
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    cases.append((case, name, tasks or TASKS[name], expect, who))


def lines(name):
    return read(name).split(b"\n")[:-1]


def join(ls):
    return b"\n".join(ls) + b"\n"


def set_field(ls, lineno, field, value):
    ls = list(ls)
    parts = ls[lineno - 1].split(b",")
    parts[field] = value
    ls[lineno - 1] = b",".join(parts)
    return ls


for name in ["facts.csv", "events.csv", "stream.csv"]:
    stem = name.split(".")[0]
    n = len(lines(name))
    make(stem + "-truncated", name, read(name)[:-1], "%s:%d:" % (name, n))
    ls = lines(name)
    ls[6] = b",".join(ls[6].split(b",")[:-1])
    make(stem + "-fields", name, join(ls), "%s:7:" % name, who="loop")
    ls = lines(name)
    ls[6] = ls[6] + b",extra"
    make(stem + "-extra-field", name, join(ls), "%s:7:" % name, who="loop")
    make(stem + "-empty", name, b"", "%s:1:" % name)
    make(stem + "-header-only", name, join(lines(name)[:1]), "%s:2:" % name)
    ls = lines(name)
    ls[0] = ls[0].replace(b"ts", b"time")
    make(stem + "-header", name, join(ls), "%s:1:" % name)
    ls = lines(name)
    ls[49] = ls[49] + b"\r"
    make(stem + "-cr", name, join(ls), "%s:50:" % name)
make("stream-missing", "stream.csv", None, "stream.csv", who="all")
make("facts-missing", "facts.csv", None, "facts.csv", who="all")


def kept(lineno):
    """The first facts line from lineno on that join keeps (so that code
    which parses only kept rows meets the bad field too)."""
    ls = lines("facts.csv")
    while True:
        f = ls[lineno - 1].split(b",")
        if int(f[3]) >= 1700000000 + 2592000 and f[7] != b"partner":
            return lineno
        lineno += 1


k5 = kept(5)
make("facts-nonnumeric", "facts.csv", join(set_field(lines("facts.csv"), k5, 4, b"x")),
     "facts.csv:%d:" % k5, who="all")
make("facts-price", "facts.csv", join(set_field(lines("facts.csv"), 5, 5, b"12.5")),
     "facts.csv:5:")
make("facts-channel", "facts.csv", join(set_field(lines("facts.csv"), 9, 7, b"fax")),
     "facts.csv:9:", "join")
make("events-nonnumeric", "events.csv", join(set_field(lines("events.csv"), 5, 1, b"1x")),
     "events.csv:5:", who="all")
make("events-type", "events.csv", join(set_field(lines("events.csv"), 9, 2, b"teleport")),
     "events.csv:9:")
make("stream-nonnumeric", "stream.csv", join(set_field(lines("stream.csv"), 5, 1, b"abc")),
     "stream.csv:5:", who="all")
make("stream-type", "stream.csv", join(set_field(lines("stream.csv"), 9, 2, b"teleport")),
     "stream.csv:9:", who="loop")
make("users-segment", "users.csv", join(set_field(lines("users.csv"), 4, 1, b"pirate")),
     "users.csv:4:")

# Sorting: a user_id that goes back, and a ts that goes back within a user.
ls = lines("events.csv")
make("events-user-order", "events.csv", join(set_field(ls, 12, 0, b"0")), "events.csv:12:",
     who="loop")
ls = lines("events.csv")
k = next(i for i in range(40, len(ls)) if ls[i].split(b",")[0] == ls[i - 1].split(b",")[0])
prev_ts = int(ls[k - 1].split(b",")[1])
make("events-ts-order", "events.csv", join(set_field(ls, k + 1, 1, b"%d" % (prev_ts - 1))),
     "events.csv:%d:" % (k + 1), who="loop")
ls = lines("stream.csv")
prev_ts = int(ls[13].split(b",")[0])
make("stream-ts-order", "stream.csv", join(set_field(ls, 15, 0, b"%d" % (prev_ts - 1))),
     "stream.csv:15:")
# Late in the file, so that a parallel engine sees it in another piece.
ls = lines("stream.csv")
prev_ts = int(ls[15000].split(b",")[0])
make("stream-ts-order-late", "stream.csv",
     join(set_field(ls, 15002, 0, b"%d" % (prev_ts - 5))), "stream.csv:15002:")

# Two bad lines far apart: the smaller line number is reported.
k300 = kept(300)
ls = set_field(lines("facts.csv"), 15000, 2, b"x")
make("facts-two-errors", "facts.csv", join(set_field(ls, k300, 4, b"y")),
     "facts.csv:%d:" % k300, who="all")
ls = set_field(lines("events.csv"), 16000, 0, b"1")
make("events-two-errors", "events.csv", join(set_field(ls, 400, 3, b"1.0")), "events.csv:400:")

ls = lines("users.csv")
dup = ls[2].split(b",")[0]
make("users-duplicate", "users.csv", join(set_field(ls, 9, 0, dup)), "users.csv:9:")
# A duplicate and a bad line: whichever comes first is reported.
make("users-duplicate-first", "users.csv",
     join(set_field(set_field(ls, 9, 0, dup), 200, 2, b"mars")), "users.csv:9:")
make("users-bad-first", "users.csv",
     join(set_field(set_field(ls, 200, 0, dup), 9, 2, b"mars")), "users.csv:9:")
# Sparse user ids (an engine may index them differently), then a duplicate.
sparse = ls[:1] + [set_field([l], 1, 0, b"%d" % (int(l.split(b",")[0]) * 1000003 + 7))[0]
                   for l in ls[1:]]
sdup = sparse[2].split(b",")[0]
make("users-sparse-duplicate", "users.csv", join(set_field(sparse, 12, 0, sdup)),
     "users.csv:12:")

pts = read("points.f64")
make("points-size", "points.f64", pts[:-8], "points.f64", who="all")
make("points-empty", "points.f64", b"", "points.f64", who="all")
make("points-nan", "points.f64", pts[:800] + struct.pack("<d", float("nan")) + pts[808:],
     "points.f64", who="all")
make("points-missing", "points.f64", None, "points.f64", who="all")

with open(os.path.join(out, "cases"), "w") as f:
    for c in cases:
        f.write("%s %s %s %s %s\n" % c)
