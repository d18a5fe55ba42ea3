-- What `hotpath explain` found: one row per explained run of a command.
-- Shares of the hot path are fractions of its samples (start-up and
-- shutdown left out); waiting_share is the fraction of the wall time off
-- CPU (wall - user - sys, from wait4).
CREATE TABLE explanations (
    id                INTEGER PRIMARY KEY,
    at                TEXT NOT NULL,            -- UTC, ISO 8601
    host              TEXT NOT NULL,
    command           TEXT NOT NULL,
    sampler           TEXT,                     -- py-spy, perf, or NULL (none could run)
    samples           INTEGER NOT NULL,
    hot_samples       INTEGER NOT NULL,
    wall_s            REAL NOT NULL,
    user_s            REAL NOT NULL,
    sys_s             REAL NOT NULL,
    cores_busy        REAL NOT NULL,            -- CPU time / wall time
    startup_share     REAL NOT NULL,            -- of all samples: importing modules
    interpreter_share REAL NOT NULL,            -- Python lines + CPython runtime
    python_share      REAL NOT NULL,
    runtime_share     REAL NOT NULL,
    native_share      REAL NOT NULL,            -- every native library
    libc_share        REAL NOT NULL,
    kernel_share      REAL NOT NULL,            -- kernel code (perf only; py-spy: see sys_s)
    blocked_share     REAL NOT NULL,
    waiting_share     REAL NOT NULL,
    top_library       TEXT,
    mode              TEXT NOT NULL
                      CHECK (mode IN ('query', 'numeric', 'interpreter', 'native', 'unknown')),
    verdict           TEXT NOT NULL,
    rewrite           TEXT NOT NULL,
    exit_code         INTEGER,
    top_frames        TEXT NOT NULL,            -- JSON: lines, libraries (with functions), libc
    summary           TEXT NOT NULL             -- JSON: everything `explain --json` printed
);
CREATE INDEX explanations_by_command ON explanations (host, command, id);
