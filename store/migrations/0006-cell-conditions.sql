-- hotpath store, migration 6: the conditions of each cell's runs stored
-- with its statistics, so v_warnings reads cells instead of every run; and
-- an index for a task's history across sweeps.
--
-- Over the same runs as the rest of the row (the cell's valid timed runs),
-- kept right the same way: a change to runs drops the row and lists the
-- cell in cell_dirty.

ALTER TABLE cell_stats ADD COLUMN sum_sys_s REAL;
ALTER TABLE cell_stats ADD COLUMN sum_user_s REAL;
ALTER TABLE cell_stats ADD COLUMN avg_minflt REAL;
ALTER TABLE cell_stats ADD COLUMN avg_majflt REAL;
ALTER TABLE cell_stats ADD COLUMN sum_other_cpu_s REAL;
ALTER TABLE cell_stats ADD COLUMN sum_wall_s REAL;
ALTER TABLE cell_stats ADD COLUMN sum_throttled INTEGER;
ALTER TABLE cell_stats ADD COLUMN snapshot_id INTEGER;    -- the latest of its runs

-- A task's history: one engine's cells on one host, sweep after sweep.
CREATE INDEX cell_stats_history ON cell_stats (task, engine, host_id, sweep_id);

-- Every stored cell is computed again, with its conditions.
INSERT OR IGNORE INTO cell_dirty SELECT sweep_id, host_id, task, engine, threads FROM cell_stats;
DELETE FROM cell_stats;
