#!/bin/sh
# make run: a sweep of this machine (configs/local.json), then its medians
# and speedups straight from the store.
set -u
cd "$(dirname "$0")/.."
DB=${HOTPATH_DB:-hotpath.db}
bin/hotpath --db "$DB" sweep "$@"
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] || exit $rc
echo
echo "Host (from the store):"
bin/hotpath --db "$DB" query "SELECT h.name AS host, s.cpu_model AS cpu, s.physical_cores AS cores,
    s.logical_cores AS threads, round(s.memory_bytes / 1073741824.0, 1) AS mem_gib,
    s.os || ' ' || s.kernel AS os, s.virtualization AS virt, s.python_version AS python
  FROM host_snapshots s JOIN hosts h ON h.id = s.host_id
  WHERE s.sweep_id = (SELECT max(id) FROM sweeps)"
echo
echo "Median in-process seconds and speedup over each task's baseline (latest sweep):"
bin/hotpath --db "$DB" query "SELECT m.host, m.task, m.threads, m.engine, m.n,
    round(m.median_s, 4) AS median_s, round(m.p25_s, 4) AS p25_s, round(m.p75_s, 4) AS p75_s,
    round(m.cv, 3) AS cv, round(s.speedup, 2) AS speedup, s.baseline
  FROM v_latest m LEFT JOIN v_speedups s ON s.sweep_id = m.sweep_id AND s.host_id = m.host_id
    AND s.task = m.task AND s.engine = m.engine AND s.threads = m.threads
  ORDER BY m.host, m.task, m.threads, m.median_s"
problems=$(bin/hotpath --db "$DB" query "SELECT count(*) FROM v_problems
  WHERE sweep = (SELECT uuid FROM sweeps ORDER BY id DESC LIMIT 1)" | tail -n 1 | tr -d ' ')
if [ "${problems:-0}" != 0 ]; then
    echo
    echo "Runs without a valid timing (never charted):"
    bin/hotpath --db "$DB" query "SELECT host, task, engine, threads, status, runs, error
      FROM v_problems WHERE sweep = (SELECT uuid FROM sweeps ORDER BY id DESC LIMIT 1)"
fi
echo
echo "Store: $DB   (try: bin/hotpath --db $DB query \"select * from v_speedups\")"
bin/hotpath -q --db "$DB" report --out report >/dev/null || exit 1
echo "Report: $(pwd)/report/report.html (and report.md, charts as SVG and PNG)"
exit $rc
