"""make bench: every engine of every task, several runs, at one thread and at
the machine's core count; median in-process total_s (and its load_s and
compute_s where the engine splits them), speedup over the task's baseline
engine, and distance from the floor (the time to read the task's input from
the page cache). Every engine's answer is checked against the reference
engine's (hotpath-agent check); a wrong answer is reported as INVALID and
gets no speedup. Then python-loop against a plain csv-module loop (the
yardstick of a faithful baseline), c-threads against the targets it is held
to, and the agent's clock against hyperfine's. BENCH_TASKS, BENCH_ENGINES
and BENCH_THREADS (comma lists) run a subset."""
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = {"numeric": ["points.f64"], "groupby": ["facts.csv"], "join": ["facts.csv", "users.csv"],
          "sessionize": ["events.csv"], "stream-score": ["stream.csv"]}
# c-threads' targets: (peers, least speedup over the fastest of them, most seconds
# at the machine's core count on the seed profile)
TARGETS = {"numeric": (["python-numpy"], 11, 0.10),
           "groupby": (["python-polars", "python-duckdb"], 6, 0.06),
           "join": (["python-polars", "python-duckdb"], 7, 0.07),
           "sessionize": (["python-loop"], 60, 0.035),
           "stream-score": (["python-loop"], 150, 0.05)}


def engines(py):
    reg = json.load(open(os.path.join(ROOT, "workloads/engines.json")))
    out = []
    for e in reg["engines"]:
        argv = [a.replace("{bin}", ROOT + "/bin").replace("{root}", ROOT)
                .replace("{python}", py) for a in e["argv"]]
        out.append((e["name"], argv, e["tasks"]))
    return out, reg["baselines"], reg["reference"]


def reference(data, task, reg_ref, engs):
    """The reference engine's result for task, cached beside the data as the
    agent caches it."""
    path = os.path.join(data, "expected-%s.json" % task)
    if not os.path.exists(path):
        argv = [a for n, a, _ in engs if n == reg_ref][0]
        out = subprocess.run(argv + ["--task", task, "--data", data, "--threads", "1"],
                             capture_output=True, text=True, check=True).stdout
        tmp = path + ".tmp.%d" % os.getpid()
        with open(tmp, "w") as f:
            json.dump(json.loads(out)["result"], f)
        os.rename(tmp, path)
    return path


def valid(task, threads, output, expected):
    p = subprocess.run([ROOT + "/bin/hotpath-agent", "check", "--task", task, "--threads",
                        str(threads), "--expected", expected], input=output,
                       capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip()[:80]


def read_floor(data, files, runs=5):
    """Median seconds to map the files and read every byte once (summing
    them as 64-bit words with NumPy): what any engine must at least do."""
    import numpy as np
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for name in files:
            path = os.path.join(data, name)
            words = os.path.getsize(path) // 8
            if words:
                int(np.memmap(path, dtype=np.uint64, mode="r", shape=(words,)).sum())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    profile = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else "quick"
    runs = int(os.environ.get("RUNS", "5"))
    py = os.path.join(ROOT, ".venv/bin/python")
    data = os.path.join(ROOT, "data", profile)
    t0 = time.perf_counter()
    rc = subprocess.call([ROOT + "/bin/hotpath-gen", "-q", "--verify", "--profile", profile,
                          "--dir", data], stderr=subprocess.DEVNULL)
    if rc != 0:
        print("generating the %s profile into %s ..." % (profile, data), file=sys.stderr)
        subprocess.check_call([ROOT + "/bin/hotpath-gen", "--profile", profile, "--dir", data])
    print("data: %s (ready in %.1f s)" % (data, time.perf_counter() - t0))
    cores = os.cpu_count() or 1
    threads = sorted({1, cores})
    if os.environ.get("BENCH_THREADS"):
        threads = sorted({int(t) for t in os.environ["BENCH_THREADS"].split(",") if t})
    engs, baselines, ref = engines(py)
    only_tasks = [t for t in os.environ.get("BENCH_TASKS", "").split(",") if t]
    only_engines = [e for e in os.environ.get("BENCH_ENGINES", "").split(",") if e]
    rows = []
    for task in INPUTS:
        if only_tasks and task not in only_tasks:
            continue
        expected = reference(data, task, ref, engs)
        floor = read_floor(data, INPUTS[task])
        for n in threads:
            medians = {}
            for name, argv, tasks in engs:
                if task not in tasks or (only_engines and name not in only_engines):
                    continue
                times, loads, computes, status = [], [], [], "ok"
                if not os.path.exists(argv[0]):
                    status, runs_here = "not built here", 0
                else:
                    runs_here = runs + 1
                for i in range(runs_here):    # the first run is a warmup
                    p = subprocess.run(argv + ["--task", task, "--data", data,
                                               "--threads", str(n)],
                                       capture_output=True, text=True)
                    if p.returncode != 0:
                        status = "exit %d: %s" % (p.returncode, p.stderr.strip()[:60])
                        break
                    if i == 1:
                        ok, why = valid(task, n, p.stdout, expected)
                        if not ok:
                            status = "INVALID: " + why
                            break
                    if i:
                        t = json.loads(p.stdout)["timings"]
                        times.append(t["total_s"])
                        loads.append(t.get("load_s"))
                        computes.append(t.get("compute_s"))
                medians[name] = statistics.median(times) if times and status == "ok" else None
                split = (statistics.median(loads), statistics.median(computes)) \
                    if times and None not in loads + computes else (None, None)
                rows.append([task, n, name, medians[name], status, floor, split])
                print("  %-12s %2d %-14s %s" % (task, n, name,
                      "%.4f s" % medians[name] if medians[name] else status), file=sys.stderr)
            base = medians.get(baselines[task])
            for r in rows:
                if r[0] == task and r[1] == n and len(r) == 7:
                    r.append(base / r[3] if base and r[3] else None)
    load = os.getloadavg()
    print()
    print("profile %s, %d runs each (+1 warmup), %d cores, load average %.2f %.2f %.2f"
          % (profile, runs, cores, *load))
    print("%-12s %7s %-14s %11s %9s %10s %9s %10s" % ("task", "threads", "engine", "median_s",
                                                     "load_s", "compute_s", "speedup",
                                                     "x_floor"))
    for task, n, name, med, status, floor, (load_s, compute_s), speedup in rows:
        if med is None:
            print("%-12s %7d %-14s %s" % (task, n, name, status))
            continue
        print("%-12s %7d %-14s %11.4f %9s %10s %8.2fx %9.1fx"
              % (task, n, name, med, "%.4f" % load_s if load_s is not None else "-",
                 "%.4f" % compute_s if compute_s is not None else "-", speedup or 0,
                 med / floor))
    print("speedup: over the task's baseline (%s) at the same thread count; x_floor: "
          "median / time to read the input from the page cache"
          % ", ".join("%s %s" % kv for kv in baselines.items()))
    print("load_s, compute_s: medians of the engine's own split of total_s ('-': the engine "
          "cannot tell them apart)")
    yardstick(rows, data, py, runs, only_tasks, only_engines)
    targets(rows, cores)
    clock(profile, data, py, cores, runs, only_tasks, only_engines)


def yardstick(rows, data, py, runs, only_tasks, only_engines):
    """python-loop against a plain csv-module loop (scripts/plain-loop.py):
    a faithful baseline is within 15 % of the code its users write. The two
    run in turn (a warmup pair first), so a change of load hits both."""
    if only_engines and "python-loop" not in only_engines:
        return
    loop = [a for n, a, _ in engines(py)[0] if n == "python-loop"][0]
    lines = []
    for task in ("sessionize", "stream-score"):
        if only_tasks and task not in only_tasks:
            continue
        threads = [r[1] for r in rows if r[0] == task and r[2] == "python-loop" and r[3]]
        if not threads:
            continue
        n = max(threads)
        ours, plain = [], []
        for i in range(runs + 1):
            p = subprocess.run(loop + ["--task", task, "--data", data, "--threads", str(n)],
                               capture_output=True, text=True, check=True)
            q = subprocess.run([py, os.path.join(ROOT, "scripts/plain-loop.py"), task, data],
                               capture_output=True, text=True, check=True)
            if i:
                ours.append(json.loads(p.stdout)["timings"]["total_s"])
                plain.append(json.loads(q.stdout)["total_s"])
        ratio = statistics.median(ours) / statistics.median(plain)
        lines.append("%-12s %7d %11.4f %11.4f %8.2f   %s" % (
            task, n, statistics.median(ours), statistics.median(plain), ratio,
            "within 15 %" if ratio <= 1.15 else "NOT within 15 %"))
    if lines:
        print()
        print("python-loop against a plain csv loop (csv.reader, int(), float(), a dict; "
              "scripts/plain-loop.py), run in turn, medians")
        print("%-12s %7s %11s %11s %8s" % ("task", "threads", "python-loop", "plain loop",
                                          "ratio"))
        print("\n".join(lines))


def clock(profile, data, py, cores, runs, only_tasks, only_engines):
    """The agent's clock against hyperfine's: two engines of groupby timed by
    hyperfine and by a hotpath sweep in the same run; the ratio of the
    medians of stored wall_s to hyperfine's."""
    if only_tasks and "groupby" not in only_tasks:
        return
    if not shutil.which("hyperfine"):
        print("\nclock check skipped: no hyperfine (scripts/install-deps.sh --bench)")
        return
    engs, _, _ = engines(py)
    pick = [(n, a) for n, a, t in engs if n in ("c-threads", "python-polars") and
            (not only_engines or n in only_engines)]
    if not pick:
        return
    m = json.load(open(os.path.join(data, "manifest.json")))
    c = m["counts"]
    tmp = tempfile.mkdtemp(prefix="hotpath-clock.")
    try:
        # The sweep's agent finds (and verifies) the same data in its home.
        os.makedirs(os.path.join(tmp, "home", "data"))
        os.symlink(data, os.path.join(tmp, "home", "data", "%s-%d-%d-%d-%d-%d" % (
            m["profile"], m["seed"], c["facts"], c["events"], c["stream"], c["points"])))
        hf = {name: [] for name, _ in pick}

        def hyperfine():
            for name, argv in pick:
                out = os.path.join(tmp, name + ".json")
                cmd = " ".join(argv + ["--task", "groupby", "--data", data, "--threads",
                                       str(cores)])
                subprocess.run(["hyperfine", "-N", "--style", "none", "--warmup", "1", "--runs",
                                str(runs), "--export-json", out, cmd], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                hf[name] += json.load(open(out))["results"][0]["times"]
        # hyperfine before and after the sweep, so a change of load between
        # them does not pass for a slow clock.
        hyperfine()
        db = os.path.join(tmp, "clock.db")
        env = dict(os.environ, HOTPATH_HOME=os.path.join(tmp, "home"))
        subprocess.run([ROOT + "/bin/hotpath", "-q", "--db", db, "sweep", "--profile", profile,
                        "--tasks", "groupby", "--engines", ",".join(n for n, _ in pick),
                        "--threads", str(cores), "--repeats", str(runs), "--warmups", "1"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        hyperfine()
        hf = {name: statistics.median(t) for name, t in hf.items()}
        con = sqlite3.connect(db)
        print()
        print("the agent's clock against hyperfine's (groupby, %d threads; hyperfine %d runs "
              "before and %d after the sweep's %d)" % (cores, runs, runs, runs))
        print("%-14s %13s %13s %13s %8s" % ("engine", "hyperfine_s", "wall_s", "total_s",
                                            "ratio"))
        for name, _ in pick:
            rs = con.execute("SELECT wall_s, total_s FROM runs WHERE engine = ? AND status = "
                             "'ok' AND warmup = 0", (name,)).fetchall()
            if not rs:
                print("%-14s %13.4f %13s" % (name, hf[name], "no valid run"))
                continue
            wall = statistics.median(r[0] for r in rs)
            total = statistics.median(r[1] for r in rs)
            print("%-14s %13.4f %13.4f %13.4f %8.3f" % (name, hf[name], wall, total,
                                                        wall / hf[name]))
        print("ratio: median stored wall_s / hyperfine's median (1.000: the same clock; "
              "wall_s - total_s is the process start and exit the engine does not time)")
    finally:
        shutil.rmtree(tmp)


def targets(rows, cores):
    """c-threads against its targets: speedup over the fastest peer, and seconds."""
    med = {(t, n, e): m for t, n, e, m, *_ in rows}
    lines = []
    for task, (peers, ratio, secs) in TARGETS.items():
        for n in sorted({1, cores}):
            ours = med.get((task, n, "c-threads"))
            times = [(med[(task, n, p)], p) for p in peers if med.get((task, n, p))]
            if not ours or not times:
                continue
            best, peer = min(times)
            got = best / ours
            line = "%-12s %7d %-14s %8.2fx %8s %s" % (task, n, peer, got, ">= %gx" % ratio,
                                                   "met" if got >= ratio else "NOT met")
            if n == cores and cores == 2:
                line += "   %.4f s (<= %.3f s: %s)" % (ours, secs,
                                                      "met" if ours <= secs else "not met")
            lines.append(line)
    if lines:
        print()
        print("c-threads targets: speedup over the fastest peer, same thread count"
              " (seconds: seed profile, 2 cores)")
        print("%-12s %7s %-14s %9s %8s" % ("task", "threads", "fastest peer", "speedup",
                                             "target"))
        print("\n".join(lines))


if __name__ == "__main__":
    main()
