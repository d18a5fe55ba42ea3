-- hotpath store, migration 2: per-cell statistics, stored instead of
-- recomputed from every run on each read.
--
-- A cell is (sweep, host, task, engine, threads). cell_stats holds the
-- statistics of total_s over the cell's valid timed runs (status ok,
-- warmups left out). Any change to runs, by hotpath or by plain SQL, drops
-- the cell's stored row and lists the cell in cell_dirty; the views compute
-- a dirty cell from its runs, and hotpath stores it again on its next
-- write (a host finishing, the end of a sweep, or the next command that
-- opens the store).

CREATE TABLE cell_stats (
    sweep_id INTEGER NOT NULL,
    host_id  INTEGER NOT NULL,
    task     TEXT NOT NULL,
    engine   TEXT NOT NULL,
    threads  INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    median_s REAL,
    p25_s    REAL,
    p75_s    REAL,
    min_s    REAL,
    max_s    REAL,
    mean_s   REAL,
    cv       REAL,                  -- population standard deviation / mean
    PRIMARY KEY (sweep_id, host_id, task, engine, threads)
) WITHOUT ROWID;

CREATE TABLE cell_dirty (
    sweep_id INTEGER NOT NULL,
    host_id  INTEGER NOT NULL,
    task     TEXT NOT NULL,
    engine   TEXT NOT NULL,
    threads  INTEGER NOT NULL,
    PRIMARY KEY (sweep_id, host_id, task, engine, threads)
) WITHOUT ROWID;

CREATE TRIGGER runs_cell_insert AFTER INSERT ON runs BEGIN
    DELETE FROM cell_stats WHERE sweep_id = NEW.sweep_id AND host_id = NEW.host_id
        AND task = NEW.task AND engine = NEW.engine AND threads = NEW.threads;
    INSERT OR IGNORE INTO cell_dirty
        VALUES (NEW.sweep_id, NEW.host_id, NEW.task, NEW.engine, NEW.threads);
END;

CREATE TRIGGER runs_cell_delete AFTER DELETE ON runs BEGIN
    DELETE FROM cell_stats WHERE sweep_id = OLD.sweep_id AND host_id = OLD.host_id
        AND task = OLD.task AND engine = OLD.engine AND threads = OLD.threads;
    INSERT OR IGNORE INTO cell_dirty
        VALUES (OLD.sweep_id, OLD.host_id, OLD.task, OLD.engine, OLD.threads);
END;

CREATE TRIGGER runs_cell_update AFTER UPDATE ON runs BEGIN
    DELETE FROM cell_stats WHERE sweep_id = OLD.sweep_id AND host_id = OLD.host_id
        AND task = OLD.task AND engine = OLD.engine AND threads = OLD.threads;
    DELETE FROM cell_stats WHERE sweep_id = NEW.sweep_id AND host_id = NEW.host_id
        AND task = NEW.task AND engine = NEW.engine AND threads = NEW.threads;
    INSERT OR IGNORE INTO cell_dirty
        VALUES (OLD.sweep_id, OLD.host_id, OLD.task, OLD.engine, OLD.threads);
    INSERT OR IGNORE INTO cell_dirty
        VALUES (NEW.sweep_id, NEW.host_id, NEW.task, NEW.engine, NEW.threads);
END;

-- Every cell of a store made before this migration is computed once.
INSERT OR IGNORE INTO cell_dirty
    SELECT DISTINCT sweep_id, host_id, task, engine, threads FROM runs;

-- Small facts about the store itself (e.g. which views.sql it carries).
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);
