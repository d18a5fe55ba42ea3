#!/bin/sh
# The store at a million runs (part of make bench): a synthetic store of
# 1,000,000 runs in 125 sweeps (5 hosts x 5 tasks x 10 engines x 4 thread
# counts x 8 repeats each), made by one INSERT from a recursive CTE; then
# the time of `select * from v_latest`, of all of v_medians, and of
# `hotpath report` of the newest sweep (history included; the median of
# three runs), and the load average.
set -eu
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT && echo "bench-store: keeping $T"
DB="$T/m.db"
ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", (b - a) * 1000}'; }
now() { date +%s.%N; }

bin/hotpath --db "$DB" resume > /dev/null 2>&1 || true     # creates the schema
t0=$(now)
sqlite3 "$DB" <<'SQL'
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO hosts (name, transport) VALUES ('ai-max-fedora', 'local'), ('m4-macbook-air', 'ssh'),
    ('ryzen-wsl2', 'ssh'), ('xeon-lab-01', 'ssh'), ('graviton-c7g', 'ssh');
CREATE TEMP TABLE e (i INTEGER PRIMARY KEY, name TEXT);
INSERT INTO e VALUES (0, 'c-scalar'), (1, 'c-threads'), (2, 'python-numpy'), (3, 'python-polars'),
    (4, 'python-duckdb'), (5, 'python-loop'), (6, 'rust-scalar'), (7, 'rust-rayon'),
    (8, 'rust-polars'), (9, 'rust-native');
CREATE TEMP TABLE k (i INTEGER PRIMARY KEY, name TEXT);
INSERT INTO k VALUES (0, 'numeric'), (1, 'groupby'), (2, 'join'), (3, 'sessionize'),
    (4, 'stream-score');
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 125)
INSERT INTO sweeps (id, uuid, plan, profile, seed, hotpath_version, started_at, finished_at, status)
SELECT i, printf('%08x-0000-4000-8000-%012x', i * 2654435761 % 4294967296, i), '{}', 'quick', i,
       'bench', strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + i * 86400 + i % 7, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + i * 86400 + 3600, 'unixepoch'), 'complete'
FROM s;
INSERT INTO sweep_hosts (sweep_id, host_id, status, planned)
SELECT s.id, h.id, 'done', 1600 FROM sweeps s, hosts h;
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 999999)
INSERT INTO runs (sweep_id, host_id, task, engine, threads, repeat, warmup, status, total_s, wall_s)
SELECT 1 + x / 8000, 1 + (x / 320) % 5, k.name, e.name, 1 << ((x / 8) % 4), x % 8, 0, 'ok',
       0.001 * (1 + (x / 32) % 10) * (1 + (x / 320) % 5) * (1 + 0.03 * ((x * 7919) % 101) / 101.0)
           / (1 << ((x / 8) % 4)),
       0.011
FROM n JOIN e ON e.i = (x / 32) % 10 JOIN k ON k.i = (x / 1600) % 5;
COMMIT;
SQL
t1=$(now)
bin/hotpath --db "$DB" status > /dev/null          # the first command stores every cell
t2=$(now)
runs=$(sqlite3 "$DB" 'select count(*) from runs')
cells=$(sqlite3 "$DB" 'select count(*) from cell_stats')
echo "store: $runs runs in $(sqlite3 "$DB" 'select count(*) from sweeps') sweeps made in $(ms "$t0" "$t1") ms; their $cells cells' statistics stored by the next command in $(ms "$t1" "$t2") ms"
bin/hotpath --db "$DB" query 'select 1' > /dev/null   # warm the page cache
a=$(now); n1=$(bin/hotpath --db "$DB" query --csv 'select * from v_latest' | wc -l); b=$(now)
c=$(now); n2=$(bin/hotpath --db "$DB" query --csv 'select count(*) from v_medians' | tail -1); d=$(now)
# The report three times (a fresh folder each): its median, and each run.
runs_ms=""
for i in 1 2 3; do
    f=$(now); bin/hotpath -q --db "$DB" report --out "$T/rep$i" > /dev/null; g=$(now)
    runs_ms="$runs_ms $(ms "$f" "$g")"
done
med=$(echo $runs_ms | tr ' ' '\n' | sort -n | sed -n 2p)
echo "v_latest: $(ms "$a" "$b") ms for $((n1 - 1)) rows (target < 50 ms, hotpath query, process start included)"
echo "v_medians: $(ms "$c" "$d") ms to count all $n2 rows (target < 1000 ms)"
echo "report: $med ms for the newest sweep (median of 3:$runs_ms), history included, $(ls "$T/rep1"/*.svg | wc -l) charts (target < 2000 ms)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime) on $(getconf _NPROCESSORS_ONLN) cores"
