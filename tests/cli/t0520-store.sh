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

# Warnings read the stored cells: they are those of the runs, before the
# cells are stored (computed) and after, and a run added by plain SQL
# changes them at once.
cat > "$T/warn.py" <<'PYEOF'
import sqlite3, sys
import numpy as np
con = sqlite3.connect(sys.argv[1])
snap = {r[0]: r[1:] for r in con.execute("select id, on_battery, governor from host_snapshots")}
cells = {}
for r in con.execute("select sweep_id, host_id, task, engine, threads, total_s, sys_s, user_s, "
                     "other_cpu_s, wall_s, throttled, snapshot_id from runs where status = 'ok' "
                     "and warmup = 0 and total_s is not null"):
    cells.setdefault(r[:5], []).append(r[5:])
want = set()
def total(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) if xs else None
for k, rs in cells.items():
    n = len(rs)
    t = np.array([r[0] for r in rs])
    sys_s, user, other, wall, thr = (total(r[i] for r in rs) for i in (1, 2, 3, 4, 5))
    sids = [r[6] for r in rs if r[6] is not None]
    battery, governor = snap.get(max(sids), (None, None)) if sids else (None, None)
    cpu = user + sys_s if user is not None and sys_s is not None else None
    if cpu is not None and cpu >= 0.02 * n and sys_s > cpu / 4: want.add(k + ("sys",))
    if wall and other is not None and other / wall > 0.10: want.add(k + ("load",))
    if t.std() / t.mean() > 0.05: want.add(k + ("cv",))
    if n < 5: want.add(k + ("runs",))
    if battery == 1: want.add(k + ("battery",))
    if thr: want.add(k + ("throttle",))
    if governor is not None and governor != "performance": want.add(k + ("governor",))
got = set(con.execute("select sweep_id, host_id, task, engine, threads, kind from v_warnings"))
assert got == want, (sorted(got - want)[:5], sorted(want - got)[:5])
kinds = {k[5] for k in want}
assert kinds >= set(sys.argv[2].split(",")), kinds
print(len(want))
PYEOF
wq="select sweep, host, task, engine, threads, kind, reason from v_warnings
    order by sweep_id, host, task, engine, threads, kind"
sqlite3 "$DB" "insert into host_snapshots (id, sweep_id, host_id, taken_at, probe, governor, on_battery)
               values (900, 3, 1, 1, '{}', 'powersave', 0), (901, 3, 2, 1, '{}', 'performance', 1);
               update runs set user_s = 0.01, sys_s = 0.02, minflt = 100, majflt = 2
                   where sweep_id = 2 and engine = 'c-threads';
               update runs set other_cpu_s = wall_s / 2 where sweep_id = 3 and engine = 'c-scalar';
               update runs set throttled = 1 where sweep_id = 1 and host_id = 2 and repeat = 3;
               update runs set snapshot_id = 900 + host_id - 1 where sweep_id = 3 and repeat = 0"
sqlite3 "$DB" "$wq" > "$T/w.dirty"
check "runs changed by plain SQL give their warnings at once" \
    "$PY" "$T/warn.py" "$DB" sys,load,cv,battery,throttle,governor
"$HP" --db "$DB" status > /dev/null
check "the next command stores their cells" \
    test "$(sqlite3 "$DB" 'select count(*) from cell_dirty')" -eq 0
check "warnings of stored cells are those of the runs" \
    "$PY" "$T/warn.py" "$DB" sys,load,cv,battery,throttle,governor
check "and read the same as when the cells were computed" \
    sh -c "sqlite3 '$DB' \"$wq\" | cmp -s - '$T/w.dirty'"
check "the kernel-heavy warning of a stored cell gives its faults" \
    sh -c "sqlite3 '$DB' \"select reason from v_warnings where kind = 'sys'\" |
           grep -q '67 % of CPU time, 102 page faults a run (2 major)'"
sqlite3 "$DB" "insert into runs (sweep_id, host_id, task, engine, threads, repeat, warmup, status,
               total_s, wall_s, throttled) values (3, 2, 'numeric', 'python-numpy', 2, 50, 0, 'ok',
               (select median_s from cell_stats where sweep_id = 3 and host_id = 2
                and task = 'numeric' and engine = 'python-numpy' and threads = 2), 1, 4)"
check "a run added by plain SQL never leaves a stale warning" test "$(sqlite3 "$DB" \
    "select reason from v_warnings where sweep_id = 3 and host_id = 2 and task = 'numeric'
     and engine = 'python-numpy' and threads = 2 and kind = 'throttle'")" = \
    "CPU throttled 4 times during the runs"
"$HP" --db "$DB" query "select 1" > /dev/null
check "nor once its cell is stored again" "$PY" "$T/warn.py" "$DB" throttle
check "and stored statistics still equal those of the runs" "$PY" "$T/stats.py" "$DB" cell_stats

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
check "and every cell's warnings" "$PY" "$T/warn.py" "$V1" runs

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
