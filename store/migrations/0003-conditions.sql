-- hotpath store, migration 3: the conditions every timing was taken under.

-- Per run, from wait4 and the host's CPU counters around the process.
ALTER TABLE runs ADD COLUMN minflt INTEGER;         -- page faults served without I/O
ALTER TABLE runs ADD COLUMN majflt INTEGER;         -- page faults that read from disk
ALTER TABLE runs ADD COLUMN nvcsw INTEGER;          -- voluntary context switches
ALTER TABLE runs ADD COLUMN nivcsw INTEGER;         -- involuntary (preempted)
ALTER TABLE runs ADD COLUMN other_cpu_s REAL;       -- CPU time of every other process meanwhile
ALTER TABLE runs ADD COLUMN throttled INTEGER;      -- thermal throttle events meanwhile

-- Per host and sweep, from the probe's "conditions".
ALTER TABLE host_snapshots ADD COLUMN boost INTEGER;          -- 1 on, 0 off
ALTER TABLE host_snapshots ADD COLUMN smt TEXT;               -- on, off, forceoff, notsupported
ALTER TABLE host_snapshots ADD COLUMN on_battery INTEGER;
ALTER TABLE host_snapshots ADD COLUMN throttle_count INTEGER; -- since boot, all CPUs
ALTER TABLE host_snapshots ADD COLUMN swap_used_kb INTEGER;
ALTER TABLE host_snapshots ADD COLUMN aslr TEXT;              -- off, partial, full

-- What failed the data check before the first run (the data was generated again).
ALTER TABLE datasets ADD COLUMN regenerated TEXT;
