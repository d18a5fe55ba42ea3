#!/bin/sh
# The report's figures at the study's size: five hosts, ten engines, four
# thread counts (synthetic runs added by plain SQL), read as a reader
# would: no text over other text, a legend, the study's figures, the
# summary, and history marks where compare sees a change.
. "$(dirname "$0")/lib.sh"

export HOTPATH_HOME="$T/home"
HP=${HP:-$BIN/hotpath}
DB="$T/f.db"
"$HP" --db "$DB" resume > /dev/null 2>&1
# three daily sweeps; rust-rayon is 30 % slower in the last one
"$PY" "$ROOT/tests/cli/mkstore.py" "$DB" --hosts 5 --threads 1,2,4,8 --tasks numeric,join \
    --sweeps 3 --repeats 5 --slow-last
# and twelve explained commands, for the explain chart
"$PY" - "$DB" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for i in range(12):
    sh = [(i * 7 + k * 3) % 5 + 1 for k in range(6)]
    sh = [x / sum(sh) for x in sh]
    con.execute("insert into explanations (at, host, command, sampler, samples, hot_samples, "
                "wall_s, user_s, sys_s, cores_busy, startup_share, interpreter_share, "
                "python_share, runtime_share, native_share, libc_share, kernel_share, "
                "blocked_share, waiting_share, top_library, mode, verdict, rewrite, exit_code, "
                "top_frames, summary) values (?, 'lab', ?, 'py-spy', 100, 90, 1, 1, 0, 1, 0, "
                "?, ?, ?, ?, ?, ?, ?, 0, 'libnumpy', 'numeric', 'numeric-bound', '', 0, '{}', "
                "'{}')", ("2026-01-01T00:00:%02dZ" % i,
                          "python3 /opt/lab/workloads/engine.py numeric --threads %d --data "
                          "/srv/data/tiny/with/a/long/path" % i, sh[0] + sh[1], *sh))
con.commit()
PYEOF
"$HP" -q --db "$DB" report --out "$T/rep" --format svg > /dev/null
check "the five-host report renders" test -s "$T/rep/report.md"
for t in numeric join; do
    for c in median speedup range distribution scaling history; do
        check "the report has $c-$t.svg" test -s "$T/rep/$c-$t.svg"
    done
done
check "the report has explain.svg" test -s "$T/rep/explain.svg"
check "no text of any chart is drawn over another (estimated boxes, see svgtext.py)" \
    "$PY" "$ROOT/tests/cli/svgtext.py" "$T"/rep/*.svg

check "every engine chart names every engine in its legend, the baseline as such" "$PY" - "$T/rep" <<'PYEOF'
import glob, re, sys
engines = ["c-scalar", "c-threads", "python-numpy", "python-polars", "python-duckdb",
           "python-loop", "rust-scalar", "rust-rayon", "rust-polars", "rust-native"]
for kind in ("median", "distribution", "scaling"):
    for f in glob.glob(sys.argv[1] + "/%s-*.svg" % kind):
        texts = re.findall(r"<text>(.*?)</text>", open(f).read())
        missing = [e for e in engines if e not in texts and e + " (baseline)" not in texts]
        assert not missing, (f, missing)
        assert [t for t in texts if t.endswith(" (baseline)")], (f, "no baseline in the legend")
PYEOF

check "each heatmap prints the ratio of all 200 cells" "$PY" - "$T/rep/speedup-numeric.svg" <<'PYEOF'
import re, sys
texts = re.findall(r"<text>(.*?)</text>", open(sys.argv[1]).read())
cells = [t for t in texts if re.fullmatch(r"[0-9.]+x", t) and "/" not in t]
assert len(cells) >= 200, len(cells)
PYEOF

check "the cross-host speedup range of every engine is tabled" "$PY" - "$T/rep/report.md" <<'PYEOF'
import re, sys
md = open(sys.argv[1]).read()
for e in ["c-scalar", "c-threads", "rust-rayon", "rust-native", "python-polars"]:
    assert re.search(r"\| %s [0-9.]+x–[0-9.]+x over python-numpy \|" % re.escape(e), md), e
PYEOF

check "the summary names the fastest engine on each host for each task" "$PY" - "$DB" "$T/rep/report.md" <<'PYEOF'
import sqlite3, statistics, sys
con = sqlite3.connect(sys.argv[1])
md = open(sys.argv[2]).read()
summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0]
last = con.execute("select max(id) from sweeps").fetchone()[0]
cells = {}
for host, task, engine, threads, t in con.execute(
        "select h.name, r.task, r.engine, r.threads, r.total_s from runs r join hosts h "
        "on h.id = r.host_id where r.sweep_id = ? and r.status = 'ok' and r.warmup = 0", (last,)):
    cells.setdefault((host, task, engine, threads), []).append(t)
best = {}
for (host, task, engine, threads), v in cells.items():
    m = statistics.median(v)
    if (host, task) not in best or m < best[host, task][0]:
        best[host, task] = (m, engine, threads)
assert len(best) == 10, best
for (host, task), (m, engine, threads) in best.items():
    line = "- %s on %s: %s (%d thread" % (task, host, engine, threads)
    assert line in summary, line
PYEOF

# History marks, for the engine that slowed: the same reading as compare.
"$HP" -q --db "$DB" report --out "$T/hist" --format svg --history rust-rayon > /dev/null
first=$(sqlite3 "$DB" "select uuid from sweeps order by id limit 1 offset 1")
last=$(sqlite3 "$DB" "select uuid from sweeps order by id desc limit 1")
"$HP" --db "$DB" compare "$first" "$last" > "$T/cmp" 2>&1
slower=$(grep -c '^[^ ]* *numeric *rust-rayon *8 .*SLOWER' "$T/cmp")
check "compare calls rust-rayon at 8 threads SLOWER on all five hosts" test "$slower" -eq 5
check "the history marks that slowdown once per host, and nothing else" "$PY" - "$T/hist/history-numeric.dat" <<'PYEOF'
import sys
blocks = open(sys.argv[1]).read().split("\n\n\n")
up = down = 0
for b in blocks:
    lines = [l for l in b.splitlines() if l and not l.startswith("#") and not l.startswith("NaN")]
    head = b.strip().splitlines()[0] if b.strip() else ""
    if "changes up" in head:
        up += len(lines)
    elif "changes down" in head:
        down += len(lines)
assert up == 5 and down == 0, (up, down)
PYEOF
