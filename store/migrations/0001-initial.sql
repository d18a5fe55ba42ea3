-- hotpath store, migration 1: the tables of the first schema.

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
