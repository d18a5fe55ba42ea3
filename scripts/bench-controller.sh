#!/bin/sh
# Controller and agent overheads (part of make bench):
#  1. agent overhead: a sweep of a near-trivial engine run (c-threads, numeric,
#     tiny profile); median of stored wall_s - total_s, in ms.
#  2. ingest: a fake agent streams 100,000 run records; seconds until all are
#     committed to the store.
set -eu
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export HOTPATH_HOME="$T/home"

bin/hotpath -q --db "$T/o.db" sweep --profile tiny --tasks numeric --engines c-threads \
    --threads 1 --repeats 50 --warmups 2
sqlite3 "$T/o.db" "WITH d AS (SELECT (wall_s - total_s) * 1000 AS ms,
        row_number() OVER (ORDER BY wall_s - total_s) AS i, count(*) OVER () AS n
        FROM runs WHERE status = 'ok' AND warmup = 0)
    SELECT printf('agent overhead: median %.2f ms over %d runs (wall_s - total_s, c-threads numeric tiny; engine total_s median %.2f ms)',
        avg(ms), max(n), (SELECT avg(total_s) * 1000 FROM (SELECT total_s FROM runs
        WHERE status = 'ok' AND warmup = 0 ORDER BY total_s LIMIT 2 - (SELECT count(*) FROM runs
        WHERE status = 'ok' AND warmup = 0) % 2 OFFSET ((SELECT count(*) FROM runs
        WHERE status = 'ok' AND warmup = 0) - 1) / 2)))
    FROM d WHERE i IN ((n + 1) / 2, (n + 2) / 2)"

cat > "$T/agent.py" <<'PY'
import json, sys
sys.stdin.read()
w = sys.stdout.write
w('{"type":"hello","version":"bench","sweep":"x","seq":0}\n')
w('{"type":"data","manifest":{"profile":"tiny","seed":1,"files":{}},"planned":100000,"todo":100000,"reused":true,"gen_s":0,"seq":1}\n')
for i in range(100000):
    w('{"type":"run","task":"groupby","engine":"e%d","threads":1,"repeat":%d,"warmup":false,'
      '"status":"ok","total_s":0.01,"load_s":null,"compute_s":null,"wall_s":0.012,"user_s":0.01,'
      '"sys_s":0.001,"max_rss_kb":1000,"exit_code":0,"threads_used":1,"seq":%d,"at":1.0}\n'
      % (i % 50, i // 50, i + 2))
w('{"type":"done","ok":true,"seq":100002}\n')
PY
# The records are written beforehand: what is timed is the controller
# storing them, not a fake agent making them up.
python3 "$T/agent.py" < /dev/null > "$T/records.jsonl"
printf '#!/bin/sh\ncat >/dev/null\nexec cat "%s"\n' "$T/records.jsonl" > "$T/agent.sh"
chmod +x "$T/agent.sh"
start=$(date +%s.%N)
HOTPATH_AGENT="$T/agent.sh" bin/hotpath -q --db "$T/i.db" sweep --profile tiny --tasks groupby \
    --engines c-scalar --repeats 1
end=$(date +%s.%N)
n=$(sqlite3 "$T/i.db" 'select count(*) from runs')
gen=$(python3 -c '
import subprocess, sys, time
t = time.perf_counter()
subprocess.run([sys.executable, sys.argv[1]], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
print("%.2f" % (time.perf_counter() - t))' "$T/agent.py")
echo "ingest: $n records streamed by an agent and stored in $(awk -v a="$start" -v b="$end" "BEGIN {printf \"%.2f\", b - a}") s (making them up took the fake agent ${gen} s beforehand)"
