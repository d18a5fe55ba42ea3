"""The engine protocol of WORKLOADS.md section 5, shared by the Python engines.

An engine module calls main() with its name, a function that sets the thread
knobs of its library (before that library is imported), and its tasks. A task
function takes (data_dir, threads) and returns (result, load_s, compute_s),
with None where the engine cannot tell loading from computing.
"""
import json
import os
import sys
import time

EXIT_DATA, EXIT_USAGE, EXIT_CANNOT_RUN = 1, 2, 3


class BadData(Exception):
    """Input that breaks the spec: exit 1, the message names file and line."""


def fail(engine, code, msg):
    sys.stderr.write("%s: %s\n" % (engine, msg))
    sys.exit(code)


def parse_args(engine, argv, tasks):
    usage = ("usage: %s --task TASK --data DIR [--threads N]\ntasks: %s\n"
             % (engine, " ".join(tasks)))
    opts = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            sys.stdout.write(usage)
            sys.exit(0)
        if a not in ("--task", "--data", "--threads"):
            fail(engine, EXIT_USAGE, "unknown argument '%s' (see --help)" % a)
        if a in opts:
            fail(engine, EXIT_USAGE, "%s given twice" % a)
        if i + 1 >= len(argv):
            fail(engine, EXIT_USAGE, "%s needs a value" % a)
        opts[a] = argv[i + 1]
        i += 2
    if "--task" not in opts or "--data" not in opts:
        fail(engine, EXIT_USAGE, "--task and --data are required (see --help)")
    raw = opts.get("--threads", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 4096:
        fail(engine, EXIT_USAGE, "--threads: want an integer from 1 to 4096, got '%s'" % raw)
    task = opts["--task"]
    if task not in tasks:
        fail(engine, EXIT_USAGE, "task '%s' is not implemented by %s (tasks: %s)"
             % (task, engine, " ".join(tasks)))
    return task, opts["--data"], int(raw)


def main(engine, tasks, set_threads=None, load=None, threads_used=None):
    """tasks: name -> fn(data_dir, threads). load() imports the engine's
    library and raises ImportError when it is missing (exit 3)."""
    task, data, threads = parse_args(engine, sys.argv[1:], tasks)
    if set_threads:
        set_threads(threads)
    if load:
        try:
            load()
        except ImportError as e:
            fail(engine, EXIT_CANNOT_RUN, "cannot run here: %s" % e)
    if not os.path.isdir(data):
        fail(engine, EXIT_DATA, "%s: no such data directory" % data)
    t0 = time.perf_counter()
    try:
        result, load_s, compute_s = tasks[task](data, threads)
    except BadData as e:
        fail(engine, EXIT_DATA, str(e))
    except FileNotFoundError as e:
        fail(engine, EXIT_DATA, "%s: cannot open: no such file" % os.path.basename(e.filename or "?"))
    except Exception as e:  # a library's own parse error on bad input
        fail(engine, EXIT_DATA, "bad input: %s" % " ".join(str(e).split())[:300])
    total = time.perf_counter() - t0
    out = {"task": task, "engine": engine, "threads": threads}
    used = threads_used(task, threads) if threads_used else None
    if used is not None and used != threads:
        out["threads_used"] = used
    out["result"] = result
    out["timings"] = {"load_s": load_s, "compute_s": compute_s, "total_s": total}
    try:
        text = json.dumps(out, allow_nan=False)
    except ValueError:
        fail(engine, EXIT_DATA, "the result holds NaN or Infinity")
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


T0 = 1700000000
