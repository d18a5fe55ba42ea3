"""make bench: every engine of every task, several runs, at one thread and at
the machine's core count; median in-process total_s, speedup over the task's
baseline engine, and distance from the floor (the time to read the task's
input from the page cache). Every engine's answer is checked against the
reference engine's (hotpath-agent check); a wrong answer is reported as
INVALID and gets no speedup. Then c-threads against the targets it is held
to. BENCH_TASKS and BENCH_ENGINES (comma lists) run a subset."""
import json
import os
import statistics
import subprocess
import sys
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
                times, status = [], "ok"
                for i in range(runs + 1):     # the first run is a warmup
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
                        times.append(json.loads(p.stdout)["timings"]["total_s"])
                medians[name] = statistics.median(times) if times and status == "ok" else None
                rows.append([task, n, name, medians[name], status, floor])
                print("  %-12s %2d %-14s %s" % (task, n, name,
                      "%.4f s" % medians[name] if medians[name] else status), file=sys.stderr)
            base = medians.get(baselines[task])
            for r in rows:
                if r[0] == task and r[1] == n and len(r) == 6:
                    r.append(base / r[3] if base and r[3] else None)
    load = os.getloadavg()
    print()
    print("profile %s, %d runs each (+1 warmup), %d cores, load average %.2f %.2f %.2f"
          % (profile, runs, cores, *load))
    print("%-12s %7s %-14s %11s %9s %10s" % ("task", "threads", "engine", "median_s",
                                              "speedup", "x_floor"))
    for task, n, name, med, status, floor, speedup in rows:
        if med is None:
            print("%-12s %7d %-14s %s" % (task, n, name, status))
            continue
        print("%-12s %7d %-14s %11.4f %8.2fx %9.1fx" % (task, n, name, med, speedup or 0,
                                                       med / floor))
    print("speedup: over the task's baseline (%s) at the same thread count; x_floor: "
          "median / time to read the input from the page cache"
          % ", ".join("%s %s" % kv for kv in baselines.items()))
    targets(rows, cores)


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
