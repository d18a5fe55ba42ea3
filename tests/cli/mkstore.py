"""Adds synthetic sweeps to a hotpath store by plain SQL (no hotpath).

usage: mkstore.py DB [--hosts N] [--engines a,b] [--threads 1,2] [--tasks a,b]
                     [--sweeps N] [--repeats N] [--step SECONDS] [--seed N]
Times are log-normal (3 % spread) around a per-engine, per-host level that
is the same in every sweep, except that engine 'rust-rayon' gets 30 %
slower from the last sweep on when --slow-last is given. Each sweep starts
--step seconds after the one before.
"""
import argparse
import datetime
import math
import random
import sqlite3

ENGINES = ["c-scalar", "c-threads", "python-numpy", "python-polars", "python-duckdb",
           "python-loop", "rust-scalar", "rust-rayon", "rust-polars", "rust-native"]
TASKS = ["numeric", "groupby", "join", "sessionize", "stream-score"]
HOSTS = ["ai-max-fedora", "m4-macbook-air", "ryzen-wsl2", "xeon-lab-01", "graviton-c7g"]

ap = argparse.ArgumentParser()
ap.add_argument("db")
ap.add_argument("--hosts", type=int, default=1)
ap.add_argument("--engines", default=",".join(ENGINES))
ap.add_argument("--threads", default="1")
ap.add_argument("--tasks", default=",".join(TASKS))
ap.add_argument("--sweeps", type=int, default=1)
ap.add_argument("--repeats", type=int, default=5)
ap.add_argument("--step", type=float, default=86400)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--slow-last", action="store_true")
a = ap.parse_args()
rng = random.Random(a.seed)
engines = a.engines.split(",")
threads = [int(t) for t in a.threads.split(",")]
tasks = a.tasks.split(",")
con = sqlite3.connect(a.db)
cur = con.cursor()
hosts = []
for name in HOSTS[:a.hosts] if a.hosts <= len(HOSTS) else ["host-%d" % i for i in range(a.hosts)]:
    cur.execute("INSERT OR IGNORE INTO hosts (name, transport) VALUES (?, 'local')", (name,))
    hosts.append(cur.execute("SELECT id FROM hosts WHERE name = ?", (name,)).fetchone()[0])
level = {}
for h in hosts:
    for t in tasks:
        for i, e in enumerate(engines):
            level[h, t, e] = 0.002 * (1.6 ** i) * (1 + 0.3 * rng.random()) * (1 + hosts.index(h) * 0.2)
t0 = datetime.datetime(2026, 1, 1, 0, 0, 7, tzinfo=datetime.timezone.utc)
start = cur.execute("SELECT count(*) FROM sweeps").fetchone()[0]
for s in range(a.sweeps):
    at = t0 + datetime.timedelta(seconds=a.step * (start + s))
    uuid = "%08x-0000-4000-8000-%012x" % (rng.getrandbits(32), start + s)
    cur.execute("INSERT INTO sweeps (uuid, plan, profile, seed, hotpath_version, started_at, "
                "finished_at, status) VALUES (?, '{}', 'tiny', 1, 'test', ?, ?, 'complete')",
                (uuid, at.strftime("%Y-%m-%dT%H:%M:%SZ"), at.strftime("%Y-%m-%dT%H:%M:%SZ")))
    sweep = cur.lastrowid
    rows = []
    for h in hosts:
        cur.execute("INSERT INTO sweep_hosts (sweep_id, host_id, status) VALUES (?, ?, 'done')",
                    (sweep, h))
        for t in tasks:
            for e in engines:
                for th in threads:
                    base = level[h, t, e] / (th ** 0.7 if "threads" in e or "rayon" in e
                                             or "polars" in e or "duckdb" in e else 1)
                    if a.slow_last and s == a.sweeps - 1 and e == "rust-rayon":
                        base *= 1.3
                    for r in range(a.repeats):
                        v = base * math.exp(rng.gauss(0, 0.03))
                        rows.append((sweep, h, t, e, th, r, v, v * 1.01))
    cur.executemany("INSERT INTO runs (sweep_id, host_id, task, engine, threads, repeat, warmup, "
                    "status, total_s, wall_s) VALUES (?, ?, ?, ?, ?, ?, 0, 'ok', ?, ?)", rows)
con.commit()
