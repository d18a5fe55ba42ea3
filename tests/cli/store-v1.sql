-- A hotpath store of schema version 1, as hotpath 0.x created it (tests upgrade it).
-- Plain SQL: every view works from the stock sqlite3 shell.

CREATE TABLE sweeps (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,
    config_path     TEXT,
    plan            TEXT NOT NULL,          -- the effective plan, JSON
    profile         TEXT NOT NULL,
    seed            INTEGER NOT NULL,
    bundle_sha      TEXT,
    hotpath_version TEXT NOT NULL,
    started_at      TEXT NOT NULL,          -- UTC, ISO 8601
    finished_at     TEXT,
    status          TEXT NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'complete', 'partial', 'failed'))
);

CREATE TABLE hosts (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,
    transport TEXT NOT NULL,
    address   TEXT
);

-- A host's state within one sweep.
CREATE TABLE sweep_hosts (
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
    host_id  INTEGER NOT NULL REFERENCES hosts(id),
    status   TEXT NOT NULL DEFAULT 'pending'
             CHECK (status IN ('pending', 'running', 'done', 'failed', 'lost')),
    planned  INTEGER,
    error    TEXT,
    PRIMARY KEY (sweep_id, host_id)
);

CREATE TABLE host_snapshots (
    id              INTEGER PRIMARY KEY,
    sweep_id        INTEGER NOT NULL REFERENCES sweeps(id),
    host_id         INTEGER NOT NULL REFERENCES hosts(id),
    taken_at        REAL NOT NULL,          -- unix time on the host
    probe           TEXT NOT NULL,          -- the whole probe, JSON
    os              TEXT,
    kernel          TEXT,
    arch            TEXT,
    cpu_model       TEXT,
    physical_cores  INTEGER,
    logical_cores   INTEGER,
    memory_bytes    INTEGER,
    virtualization  TEXT,
    governor        TEXT,
    compiler        TEXT,
    python_version  TEXT,
    load_avg_1m     REAL,
    UNIQUE (sweep_id, host_id, taken_at)
);

CREATE TABLE datasets (
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
    host_id  INTEGER NOT NULL REFERENCES hosts(id),
    profile  TEXT NOT NULL,
    seed     INTEGER NOT NULL,
    manifest TEXT NOT NULL,                 -- JSON, with every file's sha256
    files_sha TEXT NOT NULL,                -- the files' checksums joined: equal means equal data
    reused   INTEGER NOT NULL,
    gen_s    REAL,
    PRIMARY KEY (sweep_id, host_id)
);

CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    sweep_id     INTEGER NOT NULL REFERENCES sweeps(id),
    host_id      INTEGER NOT NULL REFERENCES hosts(id),
    snapshot_id  INTEGER REFERENCES host_snapshots(id),
    task         TEXT NOT NULL,
    engine       TEXT NOT NULL,
    threads      INTEGER NOT NULL,
    repeat       INTEGER NOT NULL,          -- warmups are -1, -2, ...
    warmup       INTEGER NOT NULL,
    status       TEXT NOT NULL
                 CHECK (status IN ('ok', 'invalid', 'failed', 'timeout', 'skipped')),
    wall_s       REAL,                      -- the agent's clock around the whole process
    total_s      REAL,                      -- the engine's own, in-process
    load_s       REAL,
    compute_s    REAL,
    user_s       REAL,
    sys_s        REAL,
    max_rss_kb   INTEGER,
    exit_code    INTEGER,
    signal       INTEGER,
    threads_used INTEGER,
    error        TEXT,
    seq          INTEGER,                   -- position in the host's journal
    at           REAL,                      -- unix time on the host
    -- also the index for every per-cell query (its prefix)
    UNIQUE (sweep_id, host_id, task, engine, threads, repeat)
);

-- The engine each task's speedups are measured against.
CREATE TABLE baselines (
    task   TEXT PRIMARY KEY,
    engine TEXT NOT NULL
);
INSERT INTO baselines VALUES
    ('numeric', 'python-numpy'), ('groupby', 'python-polars'), ('join', 'python-polars'),
    ('sessionize', 'python-loop'), ('stream-score', 'python-loop');

-- Runs with their sweep and host named.
CREATE VIEW v_runs AS
SELECT s.uuid AS sweep, h.name AS host, r.*
FROM runs r JOIN sweeps s ON s.id = r.sweep_id JOIN hosts h ON h.id = r.host_id;

-- Per (sweep, host, task, engine, threads): statistics of total_s over the
-- valid timed runs (status ok, warmups left out). Quantiles interpolate
-- linearly between order statistics, as NumPy's default does.
CREATE VIEW v_medians AS
WITH r AS (
    SELECT sweep_id, host_id, task, engine, threads, total_s AS v,
           row_number() OVER w - 1 AS i,
           count(*) OVER (PARTITION BY sweep_id, host_id, task, engine, threads) AS n
    FROM runs WHERE status = 'ok' AND warmup = 0 AND total_s IS NOT NULL
    WINDOW w AS (PARTITION BY sweep_id, host_id, task, engine, threads ORDER BY total_s)
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
           min(v) AS min_s, max(v) AS max_s, avg(v) AS mean_s, avg(v * v) AS mean_sq
    FROM k GROUP BY sweep_id, host_id, task, engine, threads
)
SELECT s.uuid AS sweep, h.name AS host, g.task, g.engine, g.threads, g.n,
       m_lo + (m_hi - m_lo) * m_f AS median_s,
       a_lo + (a_hi - a_lo) * a_f AS p25_s,
       b_lo + (b_hi - b_lo) * b_f AS p75_s,
       min_s, max_s,
       CASE WHEN mean_s > 0 THEN sqrt(max(mean_sq - mean_s * mean_s, 0)) / mean_s END AS cv,
       g.sweep_id, g.host_id
FROM g JOIN sweeps s ON s.id = g.sweep_id JOIN hosts h ON h.id = g.host_id;

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

-- The medians of the newest sweep.
CREATE VIEW v_latest AS
SELECT * FROM v_medians WHERE sweep_id = (SELECT max(id) FROM sweeps);

-- What did not produce a valid timing, for every report's caveats.
CREATE VIEW v_problems AS
SELECT sweep, host, task, engine, threads, status, count(*) AS runs, max(error) AS error
FROM v_runs WHERE status <> 'ok'
GROUP BY sweep, host, task, engine, threads, status;
