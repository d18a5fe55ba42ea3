#!/bin/sh
# The store: migrations, stored cell statistics, opening it in odd places,
# and query's limits.
. "$(dirname "$0")/lib.sh"

export HOTPATH_HOME="$T/home"
HP=${HP:-$BIN/hotpath}
MK="$ROOT/tests/cli/mkstore.py"

# Two processes opening a new store at once: the schema is made once.
bad=0
for try in 1 2 3 4 5; do
    db="$T/race$try.db"
    for i in 1 2 3 4 5 6; do "$HP" --db "$db" resume > /dev/null 2> "$T/race$try.err.$i" & done
    wait
    if grep -q 'already exists\|store:' "$T"/race$try.err.*; then
        bad=$((bad + 1))
        grep -h 'already exists\|store:' "$T"/race$try.err.* | head -2 >&2
    fi
done
check "six processes creating one store never race on the schema (5 tries)" test $bad -eq 0
check "the raced store is at the current schema version" \
    test "$(sqlite3 "$T/race1.db" 'pragma user_version')" -ge 2

# Runs added by plain SQL: the views are right at once, the stored
# statistics follow on the next command.
DB="$T/s.db"
"$HP" --db "$DB" resume > /dev/null 2>&1
"$PY" "$MK" "$DB" --hosts 2 --engines c-scalar,c-threads,python-numpy --threads 1,2 \
    --tasks numeric,join --sweeps 3 --repeats 7
check "runs inserted by plain SQL mark their cells dirty" \
    test "$(sqlite3 "$DB" 'select count(*) from cell_dirty')" -eq 72
cat > "$T/stats.py" <<'PYEOF'
import sqlite3, sys
import numpy as np
db, table = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
cells = {}
for row in con.execute("select sweep_id, host_id, task, engine, threads, total_s from runs "
                       "where status = 'ok' and warmup = 0 and total_s is not null"):
    cells.setdefault(row[:5], []).append(row[5])
got = {r[:5]: r[5:] for r in con.execute(
    "select sweep_id, host_id, task, engine, threads, n, median_s, p25_s, p75_s, min_s, max_s, cv "
    "from " + table)}
assert set(got) == set(cells), (len(got), len(cells))
for k, v in cells.items():
    v = np.array(v)
    want = [len(v), np.median(v), np.percentile(v, 25), np.percentile(v, 75), v.min(), v.max(),
            v.std() / v.mean()]
    # the view's CV is sqrt(E[x^2] - E[x]^2): a few digits fewer
    for i, (g, w) in enumerate(zip(got[k], want)):
        assert abs(g - w) <= (1e-9 if i == 6 else 1e-12) * abs(w), (k, got[k], want)
print(len(cells))
PYEOF
check "v_cells computes dirty cells from their runs (as NumPy does)" "$PY" "$T/stats.py" "$DB" v_cells
"$HP" --db "$DB" status > /dev/null
check "the next command stores them" test "$(sqlite3 "$DB" 'select count(*) from cell_dirty')" -eq 0
check "stored statistics equal those computed from the runs (NumPy)" "$PY" "$T/stats.py" "$DB" cell_stats
sqlite3 "$DB" "insert into runs (sweep_id, host_id, task, engine, threads, repeat, warmup, status, total_s)
               values (1, 1, 'join', 'c-scalar', 1, 99, 0, 'ok', 1000)"
check "a run added by plain SQL never leaves a stale median" \
    "$PY" -c "
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
mx, n = con.execute(\"select max_s, n from v_medians where sweep_id = 1 and host_id = 1 and task = 'join' and engine = 'c-scalar' and threads = 1\").fetchone()
assert mx == 1000 and n == 8, (mx, n)" "$DB"
"$HP" --db "$DB" query "select 1" > /dev/null
check "and its cell is stored again right" "$PY" "$T/stats.py" "$DB" cell_stats

# A store of schema version 1 is upgraded on its next open.
V1="$T/v1.db"
sqlite3 "$V1" < "$ROOT/tests/cli/store-v1.sql"
sqlite3 "$V1" 'pragma user_version = 1'
"$PY" "$MK" "$V1" --engines c-scalar,python-numpy --tasks numeric --sweeps 2 --repeats 4
"$HP" --db "$V1" status > "$T/v1.out" 2>&1
check "status reads a version-1 store" grep -q complete "$T/v1.out"
check "the version-1 store is upgraded" \
    test "$(sqlite3 "$V1" 'pragma user_version')" = "$(sqlite3 "$T/race1.db" 'pragma user_version')"
check "the upgraded store has every cell's statistics" "$PY" "$T/stats.py" "$V1" cell_stats

# Opening in odd places.
check "a directory as --db is a clear error" \
    sh -c "! '$HP' --db '$T' status 2>'$T/e'; grep -q 'is a directory' '$T/e'"
check "a directory as --db for a sweep is a clear error" \
    sh -c "! '$HP' --db '$T' resume 2>'$T/e'; grep -q 'is a directory' '$T/e'"
check "sweep --timeout nan says what is wrong" \
    sh -c "'$HP' --db '$T/n.db' sweep --timeout nan 2>'$T/e'; test \$? -eq 2 && grep -q 'timeout.*nan' '$T/e'"
check "sweep --timeout -1 says what is wrong" \
    sh -c "'$HP' --db '$T/n.db' sweep --timeout -1 2>'$T/e'; test \$? -eq 2 && grep -q 'timeout' '$T/e'"
RO="$T/ro"
mkdir -p "$RO"
cp "$DB" "$RO/s.db"
ro_run() {
    if [ "$(id -u)" = 0 ]; then
        unshare -m sh -c "mount --bind '$RO' '$RO' && mount -o remount,ro,bind '$RO' && $*"
    else
        chmod a-w "$RO"
        sh -c "$*"
        rc=$?
        chmod u+w "$RO"
        return $rc
    fi
}
check "status works on a store in a read-only directory" \
    ro_run "'$HP' --db '$RO/s.db' status | grep -q complete"
check "query works on a store in a read-only directory" \
    ro_run "test \"\$('$HP' --db '$RO/s.db' query --csv 'select count(*) from v_medians' | tail -1)\" -gt 0"

# query streams its rows and stops at its limits.
INF="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
check "query streams rows as they come" \
    sh -c "timeout 30 '$HP' --db '$DB' query --csv '$INF SELECT x FROM c' | head -3 | tail -1 | grep -qx 2"
check "query --timeout stops an endless query" \
    sh -c "timeout 60 '$HP' --db '$DB' query --timeout 1 '$INF SELECT count(*) FROM c' 2>'$T/e'; test \$? -eq 1 && grep -q 'stopped after 1 s' '$T/e'"
check "query --max-memory stops a query that grows" \
    sh -c "timeout 60 '$HP' --db '$DB' query --timeout 0 --max-memory 32 '$INF SELECT x, hex(zeroblob(100000)) FROM c ORDER BY x DESC' 2>'$T/e'; test \$? -eq 1 && grep -q 'more than 32 MiB' '$T/e'"
check "query --timeout takes only a number" \
    sh -c "'$HP' --db '$DB' query --timeout soon 'select 1' 2>/dev/null; test \$? -eq 2"

# History of sweeps a second apart: exact times in the chart's data.
H="$T/h.db"
"$HP" --db "$H" resume > /dev/null 2>&1
"$PY" "$MK" "$H" --engines c-scalar,c-threads --tasks join --sweeps 2 --repeats 3 --step 1
check "report of two sweeps a second apart succeeds" \
    sh -c "'$HP' -q --db '$H' report --out '$T/hrep' --format svg > /dev/null"
check "its history chart is drawn" test -s "$T/hrep/history-join.svg"

# The study's size: five hosts, ten engines, four thread counts.
L="$T/lab.db"
"$HP" --db "$L" resume > /dev/null 2>&1
"$PY" "$MK" "$L" --hosts 5 --threads 1,2,4,8 --sweeps 3 --repeats 3
check "report of a five-host, ten-engine, four-thread-count sweep" \
    sh -c "'$HP' -q --db '$L' report --out '$T/lab' --format svg > /dev/null"
check "its summary names the fastest engine per host and task" "$PY" - "$L" "$T/lab/report.md" <<'PYEOF'
import re, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
md = open(sys.argv[2]).read()
summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0]
n = 0
for task, host, engine, threads in con.execute(
        "select task, host, engine, threads from (select task, host, engine, threads, "
        "row_number() over (partition by task, host order by median_s) as k from v_latest) "
        "where k = 1"):
    line = "- %s on %s: %s (%d thread" % (task, host, engine, threads)
    assert line in summary.replace("\\", ""), (line, summary[:500])
    n += 1
assert n == 25, n
PYEOF
