-- hotpath store, migration 5: the software each host's engines ran with,
-- as columns of its snapshot. They are read from the probe (generated
-- columns), so snapshots stored before this migration have them too.

ALTER TABLE host_snapshots ADD COLUMN numpy_version TEXT
    GENERATED ALWAYS AS (json_extract(probe, '$.python.numpy')) VIRTUAL;
-- NumPy's SIMD kernels: the dispatch targets the host's CPU runs, a JSON
-- array (its compiled-in baseline is in the probe, python.numpy_simd).
ALTER TABLE host_snapshots ADD COLUMN numpy_simd TEXT
    GENERATED ALWAYS AS (json_extract(probe, '$.python.numpy_simd.dispatched')) VIRTUAL;
ALTER TABLE host_snapshots ADD COLUMN polars_version TEXT
    GENERATED ALWAYS AS (json_extract(probe, '$.python.polars')) VIRTUAL;
ALTER TABLE host_snapshots ADD COLUMN duckdb_version TEXT
    GENERATED ALWAYS AS (json_extract(probe, '$.python.duckdb')) VIRTUAL;
ALTER TABLE host_snapshots ADD COLUMN rustc_version TEXT
    GENERATED ALWAYS AS (json_extract(probe, '$.rustc')) VIRTUAL;
