#!/bin/sh
# Versions are facts: each host's libraries and toolchains in the store and
# the report, and a warning when the hosts of one sweep ran different
# versions of a baseline engine's library.
. "$(dirname "$0")/lib.sh"

HP="$BIN/hotpath"
DB="$T/s.db"
cat > "$T/cfg.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1],
           "tasks": ["numeric", "groupby"], "engines": ["c-scalar", "python-numpy", "python-polars"]},
 "hosts": [{"name": "a", "transport": "local", "workdir": "$T/a"},
           {"name": "b", "transport": "local", "workdir": "$T/b"}]}
JSON
HOTPATH_HOME="$T/home" "$HP" -q -c "$T/cfg.json" --db "$DB" sweep
check "a two-host sweep with the NumPy and Polars baselines ran" \
    test "$(sqlite3 "$DB" "select count(*) from runs where status = 'ok'")" = 8
numpy=$("$PY" -c 'import numpy; print(numpy.__version__)')
polars=$("$PY" -c 'import polars; print(polars.__version__)')
check "the store has each host's NumPy, Polars and rustc as columns" test \
    "$(sqlite3 "$DB" "select count(*) from host_snapshots where numpy_version = '$numpy' and polars_version = '$polars' and rustc_version is json_extract(probe, '\$.rustc')")" = 2
check "the probe records NumPy's dispatched SIMD kernels" test \
    "$(sqlite3 "$DB" "select count(*) from host_snapshots where json_array_length(numpy_simd) >= 0 and json_type(probe, '\$.python.numpy_simd.baseline') = 'array'")" = 2
"$HP" -q --db "$DB" report --out "$T/r1" > /dev/null
check "the report has a software table with every host" sh -c \
    "grep -q '^## Software' '$T/r1/report.md' && grep -q '| a | .* | $numpy | ' '$T/r1/report.md' && grep -q '| b | .* | $polars | ' '$T/r1/report.md'"
check "the same versions everywhere: no warning" sh -c \
    "grep -q 'Every host ran the same versions' '$T/r1/report.md' && ! grep -q 'different versions' '$T/r1/report.md'"

# Host b as if it had another Polars.
sqlite3 "$DB" "update host_snapshots set probe = json_set(probe, '\$.python.polars', '0.20.31') where host_id = (select id from hosts where name = 'b')"
check "v_version_spread lists the differing Polars" test \
    "$(sqlite3 "$DB" "select name || ': ' || hosts from v_version_spread")" = "polars: a $polars, b 0.20.31"
"$HP" -q --db "$DB" report --out "$T/r2" > /dev/null
check "the report flags the baseline library that differs" sh -c \
    "grep -q 'WARNING: the hosts ran different versions of polars, the library of the baseline engine python-polars (a $polars, b 0.20.31)' '$T/r2/report.md' &&
     grep -q 'WARNING: the hosts ran different versions of polars' '$T/r2/report.html'"
