-- hotpath store views. Plain SQL: every view works from the stock sqlite3
-- shell. They are dropped and created again whenever this file changes
-- (hotpath compares a checksum on each writable open), so a view is
-- changed here, never by a migration.

-- Runs with their sweep and host named.
CREATE VIEW v_runs AS
SELECT s.uuid AS sweep, h.name AS host, r.*
FROM runs r JOIN sweeps s ON s.id = r.sweep_id JOIN hosts h ON h.id = r.host_id;

-- The statistics of cells whose runs changed since they were stored,
-- computed from their runs. Quantiles interpolate linearly between order
-- statistics, as NumPy's default does.
CREATE VIEW v_cells_dirty AS
WITH r AS (
    SELECT r.sweep_id, r.host_id, r.task, r.engine, r.threads, r.total_s AS v,
           r.sys_s, r.user_s, r.minflt, r.majflt, r.other_cpu_s, r.wall_s, r.throttled,
           r.snapshot_id, row_number() OVER w - 1 AS i,
           count(*) OVER (PARTITION BY r.sweep_id, r.host_id, r.task, r.engine, r.threads) AS n
    FROM cell_dirty d   -- CROSS JOIN: the few dirty cells drive, never a scan of runs
    CROSS JOIN runs r ON r.sweep_id = d.sweep_id AND r.host_id = d.host_id AND r.task = d.task
               AND r.engine = d.engine AND r.threads = d.threads
    WHERE r.status = 'ok' AND r.warmup = 0 AND r.total_s IS NOT NULL
    WINDOW w AS (PARTITION BY r.sweep_id, r.host_id, r.task, r.engine, r.threads
                 ORDER BY r.total_s)
), k AS (
    SELECT *, (n - 1) * 0.5 AS q50, (n - 1) * 0.25 AS q25, (n - 1) * 0.75 AS q75 FROM r
), g AS (
    SELECT sweep_id, host_id, task, engine, threads, n,
           max(CASE WHEN i = CAST(q50 AS INTEGER) THEN v END) AS m_lo,
           max(CASE WHEN i = min(n - 1, CAST(q50 AS INTEGER) + 1) THEN v END) AS m_hi,
           q50 - CAST(q50 AS INTEGER) AS m_f,
           max(CASE WHEN i = CAST(q25 AS INTEGER) THEN v END) AS a_lo,
           max(CASE WHEN i = min(n - 1, CAST(q25 AS INTEGER) + 1) THEN v END) AS a_hi,
           q25 - CAST(q25 AS INTEGER) AS a_f,
           max(CASE WHEN i = CAST(q75 AS INTEGER) THEN v END) AS b_lo,
           max(CASE WHEN i = min(n - 1, CAST(q75 AS INTEGER) + 1) THEN v END) AS b_hi,
           q75 - CAST(q75 AS INTEGER) AS b_f,
           min(v) AS min_s, max(v) AS max_s, avg(v) AS mean_s, avg(v * v) AS mean_sq,
           sum(sys_s) AS sum_sys_s, sum(user_s) AS sum_user_s, avg(minflt) AS avg_minflt,
           avg(majflt) AS avg_majflt, sum(other_cpu_s) AS sum_other_cpu_s,
           sum(wall_s) AS sum_wall_s, sum(throttled) AS sum_throttled,
           max(snapshot_id) AS snapshot_id
    FROM k GROUP BY sweep_id, host_id, task, engine, threads
)
SELECT sweep_id, host_id, task, engine, threads, n,
       m_lo + (m_hi - m_lo) * m_f AS median_s,
       a_lo + (a_hi - a_lo) * a_f AS p25_s,
       b_lo + (b_hi - b_lo) * b_f AS p75_s,
       min_s, max_s, mean_s,
       CASE WHEN mean_s > 0 THEN sqrt(max(mean_sq - mean_s * mean_s, 0)) / mean_s END AS cv,
       sum_sys_s, sum_user_s, avg_minflt, avg_majflt, sum_other_cpu_s, sum_wall_s,
       sum_throttled, snapshot_id
FROM g;

-- Every cell: the stored statistics, and the dirty cells computed. The
-- sums and averages of the runs' conditions (system and user CPU, page
-- faults, other processes' CPU, wall time, throttle events) and the latest
-- snapshot are over the same runs, for v_warnings.
CREATE VIEW v_cells AS
SELECT sweep_id, host_id, task, engine, threads, n, median_s, p25_s, p75_s, min_s, max_s,
       mean_s, cv, sum_sys_s, sum_user_s, avg_minflt, avg_majflt, sum_other_cpu_s,
       sum_wall_s, sum_throttled, snapshot_id FROM cell_stats
UNION ALL
SELECT sweep_id, host_id, task, engine, threads, n, median_s, p25_s, p75_s, min_s, max_s,
       mean_s, cv, sum_sys_s, sum_user_s, avg_minflt, avg_majflt, sum_other_cpu_s,
       sum_wall_s, sum_throttled, snapshot_id FROM v_cells_dirty;

-- Per (sweep, host, task, engine, threads): statistics of total_s over the
-- valid timed runs (status ok, warmups left out).
CREATE VIEW v_medians AS
SELECT s.uuid AS sweep, h.name AS host, c.task, c.engine, c.threads, c.n, c.median_s,
       c.p25_s, c.p75_s, c.min_s, c.max_s, c.cv, c.sweep_id, c.host_id
FROM v_cells c JOIN sweeps s ON s.id = c.sweep_id JOIN hosts h ON h.id = c.host_id;

-- Each engine against its task's baseline engine, same sweep, host and
-- thread count: speedup > 1 means faster than the baseline.
CREATE VIEW v_speedups AS
SELECT m.sweep, m.host, m.task, m.engine, m.threads, m.median_s,
       b.engine AS baseline, b.median_s AS baseline_median_s,
       b.median_s / m.median_s AS speedup, m.sweep_id, m.host_id
FROM v_medians m
JOIN baselines bl ON bl.task = m.task
JOIN v_medians b ON b.sweep_id = m.sweep_id AND b.host_id = m.host_id
                AND b.task = m.task AND b.threads = m.threads AND b.engine = bl.engine;

-- The medians of the newest sweep. (Written out rather than as a filter on
-- v_medians, so SQLite reads only that sweep's rows of cell_stats.)
CREATE VIEW v_latest AS
SELECT s.uuid AS sweep, h.name AS host, c.task, c.engine, c.threads, c.n, c.median_s,
       c.p25_s, c.p75_s, c.min_s, c.max_s, c.cv, c.sweep_id, c.host_id
FROM (SELECT sweep_id, host_id, task, engine, threads, n, median_s, p25_s, p75_s, min_s,
             max_s, mean_s, cv
      FROM cell_stats WHERE sweep_id = (SELECT max(id) FROM sweeps)
      UNION ALL
      SELECT sweep_id, host_id, task, engine, threads, n, median_s, p25_s, p75_s, min_s, max_s,
             mean_s, cv FROM v_cells_dirty WHERE sweep_id = (SELECT max(id) FROM sweeps)) c
JOIN sweeps s ON s.id = c.sweep_id JOIN hosts h ON h.id = c.host_id;

-- What did not produce a valid timing, for every report's caveats.
CREATE VIEW v_problems AS
SELECT sweep, host, task, engine, threads, status, count(*) AS runs, max(error) AS error,
       sweep_id, host_id
FROM v_runs WHERE status <> 'ok'
GROUP BY sweep, host, task, engine, threads, status;

-- Per cell (sweep, host, task, engine, threads), every condition that
-- changes how its median reads, one row each: kind and a sentence. Over
-- the valid timed runs, as v_medians; read from v_cells (one pass, each
-- kind a row of k), so a sweep's warnings read only that sweep's cells.
CREATE VIEW v_warnings AS
WITH m AS (
    SELECT c.sweep_id, c.host_id, c.task, c.engine, c.threads, c.n, c.cv,
           c.sum_sys_s AS sys, c.sum_user_s + c.sum_sys_s AS cpu, c.avg_minflt AS minflt,
           c.avg_majflt AS majflt, c.sum_other_cpu_s AS other, c.sum_wall_s AS wall,
           c.sum_throttled AS throttled, hs.on_battery, hs.governor
    FROM v_cells c LEFT JOIN host_snapshots hs ON hs.id = c.snapshot_id
), k(kind) AS (
    VALUES ('sys'), ('load'), ('cv'), ('runs'), ('battery'), ('throttle'), ('governor')
), w AS (
    SELECT m.sweep_id, m.host_id, m.task, m.engine, m.threads, k.kind, CASE k.kind
        -- kernel-heavy from 20 ms of CPU a run: above clock ticks
        WHEN 'sys' THEN CASE WHEN cpu >= 0.02 * n AND sys > cpu / 4
            THEN printf('kernel-heavy: system time is %d %% of CPU time, %.0f page faults '
                        || 'a run (%.0f major)', CAST(round(100.0 * sys / cpu) AS INTEGER),
                        minflt + majflt, majflt) END
        WHEN 'load' THEN CASE WHEN wall > 0 AND other / wall > 0.10
            THEN printf('other processes took %.2f CPUs during the runs', other / wall) END
        WHEN 'cv' THEN CASE WHEN cv > 0.05
            THEN printf('noisy: coefficient of variation %.1f %%', 100.0 * cv) END
        WHEN 'runs' THEN CASE WHEN n < 5
            THEN printf('only %d valid runs (fewer than 5)', n) END
        WHEN 'battery' THEN CASE WHEN on_battery = 1 THEN 'host on battery power' END
        WHEN 'throttle' THEN CASE WHEN throttled > 0
            THEN printf('CPU throttled %d times during the runs', throttled) END
        WHEN 'governor' THEN CASE WHEN governor IS NOT NULL AND governor <> 'performance'
            THEN printf('CPU frequency governor %s, not performance', governor) END
        END AS reason
    FROM m CROSS JOIN k
)
SELECT s.uuid AS sweep, h.name AS host, w.task, w.engine, w.threads, w.kind, w.reason,
       w.sweep_id, w.host_id
FROM w JOIN sweeps s ON s.id = w.sweep_id JOIN hosts h ON h.id = w.host_id
WHERE w.reason IS NOT NULL;

-- The libraries and toolchains each host ran a sweep with, one row per
-- (sweep, host, name), from the host's latest snapshot in the sweep.
CREATE VIEW v_software AS
WITH s AS (
    SELECT * FROM host_snapshots x
    WHERE x.id = (SELECT max(id) FROM host_snapshots y
                  WHERE y.sweep_id = x.sweep_id AND y.host_id = x.host_id)
), v AS (
    SELECT sweep_id, host_id, 'python' AS name, python_version AS version FROM s
    UNION ALL SELECT sweep_id, host_id, 'numpy', numpy_version FROM s
    UNION ALL SELECT sweep_id, host_id, 'numpy_simd', numpy_simd FROM s
    UNION ALL SELECT sweep_id, host_id, 'polars', polars_version FROM s
    UNION ALL SELECT sweep_id, host_id, 'duckdb', duckdb_version FROM s
    UNION ALL SELECT sweep_id, host_id, 'rustc', rustc_version FROM s
    UNION ALL SELECT sweep_id, host_id, 'compiler', compiler FROM s
)
SELECT sw.uuid AS sweep, h.name AS host, v.name, v.version, v.sweep_id, v.host_id
FROM v JOIN sweeps sw ON sw.id = v.sweep_id JOIN hosts h ON h.id = v.host_id;

-- Sweeps whose hosts ran different versions of one library or toolchain
-- (hosts without it left out): their timings compare different software.
CREATE VIEW v_version_spread AS
SELECT sweep, name, count(DISTINCT version) AS versions,
       group_concat(host || ' ' || version, ', ') AS hosts, sweep_id
FROM (SELECT * FROM v_software WHERE version IS NOT NULL ORDER BY sweep_id, name, host)
GROUP BY sweep_id, name HAVING count(DISTINCT version) > 1;
