"""make bench: every engine of every task, several runs, at one thread and at
the machine's core count; median in-process total_s, speedup over the task's
baseline engine, and distance from the floor (the time to read the task's
input from the page cache)."""
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = {"numeric": ["points.f64"], "groupby": ["facts.csv"], "join": ["facts.csv", "users.csv"],
          "sessionize": ["events.csv"], "stream-score": ["stream.csv"]}


def engines(py):
    reg = json.load(open(os.path.join(ROOT, "workloads/engines.json")))
    out = []
    for e in reg["engines"]:
        argv = [a.replace("{bin}", ROOT + "/bin").replace("{root}", ROOT)
                .replace("{python}", py) for a in e["argv"]]
        out.append((e["name"], argv, e["tasks"]))
    return out, reg["baselines"]


def read_floor(data, files, runs=5):
    """Median seconds to read the files once, 4 MiB at a time."""
    buf = bytearray(4 << 20)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for name in files:
            with open(os.path.join(data, name), "rb", buffering=0) as f:
                while f.readinto(buf):
                    pass
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
    engs, baselines = engines(py)
    rows = []
    for task in INPUTS:
        floor = read_floor(data, INPUTS[task])
        for n in threads:
            medians = {}
            for name, argv, tasks in engs:
                if task not in tasks:
                    continue
                times, status = [], "ok"
                for i in range(runs + 1):     # the first run is a warmup
                    p = subprocess.run(argv + ["--task", task, "--data", data,
                                               "--threads", str(n)],
                                       capture_output=True, text=True)
                    if p.returncode != 0:
                        status = "exit %d: %s" % (p.returncode, p.stderr.strip()[:60])
                        break
                    if i:
                        times.append(json.loads(p.stdout)["timings"]["total_s"])
                medians[name] = statistics.median(times) if times else None
                rows.append([task, n, name, medians[name], status, floor])
                print("  %-12s %2d %-14s %s" % (task, n, name,
                      "%.4f s" % medians[name] if times else status), file=sys.stderr)
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


if __name__ == "__main__":
    main()
