"""Adds synthetic sweeps to a hotpath store, for the compare tests.

usage: mksweeps.py DB UUID FACTOR_X SEED
One host 'synth', task groupby, engines 'x' and 'y', 20 runs each, times
log-normal around 1 s (3 % spread); engine x's times are multiplied by FACTOR_X.
"""
import math
import random
import sqlite3
import sys

db, uuid, factor, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
con = sqlite3.connect(db)
cur = con.cursor()
cur.execute("INSERT OR IGNORE INTO hosts (name, transport) VALUES ('synth', 'local')")
host = cur.execute("SELECT id FROM hosts WHERE name = 'synth'").fetchone()[0]
cur.execute("INSERT INTO sweeps (uuid, plan, profile, seed, hotpath_version, started_at, status) "
            "VALUES (?, '{}', 'tiny', 1, 'test', '2026-01-01T00:00:00Z', 'complete')", (uuid,))
sweep = cur.lastrowid
cur.execute("INSERT INTO sweep_hosts (sweep_id, host_id, status) VALUES (?, ?, 'done')",
            (sweep, host))
for engine, f in (("x", factor), ("y", 1.0)):
    for r in range(20):
        t = f * math.exp(rng.gauss(0, 0.03))
        cur.execute("INSERT INTO runs (sweep_id, host_id, task, engine, threads, repeat, warmup, "
                    "status, total_s, wall_s) VALUES (?, ?, 'groupby', ?, 1, ?, 0, 'ok', ?, ?)",
                    (sweep, host, engine, r, t, t))
con.commit()
