#!/bin/sh
# Hosts without NumPy, Polars or DuckDB and without any route to a package
# index: one sweep builds each host's Python environment from the pinned
# requirements (wheels fetched by the controller, pushed, installed
# offline), every Python engine runs with the pinned versions, and the
# second sweep installs nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_require "the Python environment lab test"
# The pinned wheels, downloaded once by `make deps-test` (scripts/install-deps.sh
# --test) into the machine's cache: the controller's only "index" here, since
# the lab has no route anywhere.
WHEELS=${HOTPATH_TEST_WHEELS:-${HOME:-/root}/.cache/hotpath/wheels/test-index}
HOSTPY=/usr/bin/python3
if ! cmp -s "$ROOT/requirements.txt" "$WHEELS/.requirements"; then
    skip "the Python environment lab test: no pinned wheels of requirements.txt in $WHEELS (scripts/install-deps.sh --test downloads them; it could not)"
    exit 0
fi
if [ ! -x "$HOSTPY" ] || [ "$("$HOSTPY" -c 'import sys; print(sys.version_info[:2])')" != \
     "$("$PY" -c 'import sys; print(sys.version_info[:2])')" ]; then
    skip "the Python environment lab test: $HOSTPY is not the Python version the wheels are for"
    exit 0
fi
trap 'lab_down; rm -rf "$T"' EXIT
HP="$BIN/hotpath"
lab_up 2
# What the controller sees: no index, only the local wheels; its cache in $T.
ctl() {
    lab_ctl env PIP_NO_INDEX=1 PIP_FIND_LINKS="$WHEELS" XDG_CACHE_HOME="$T/cache" "$HP" "$@"
}

check "the hosts' python has none of numpy, polars, duckdb" sh -c \
    "! $HOSTPY -c 'import numpy' 2>/dev/null && ! $HOSTPY -c 'import polars' 2>/dev/null &&
     ! $HOSTPY -c 'import duckdb' 2>/dev/null"
check "the hosts have no route off the lab (no default route)" sh -c \
    "test -z \"\$(ip -n hph$LAB_ID-1 route show default)\" && test -z \"\$(ip -n hph$LAB_ID-2 route show default)\""

cat > "$T/py.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1],
           "tasks": ["numeric", "groupby", "join"],
           "engines": ["python-numpy", "python-polars", "python-duckdb", "python-loop"]},
 "hosts": [$(lab_host_json 1 ", \"python\": \"$HOSTPY\""), $(lab_host_json 2 ", \"python\": \"$HOSTPY\"")]}
JSON
ctl -c "$T/py.json" hosts > "$T/h1" 2>&1
check "hosts: the environment is still to build, from the hosts' python, with pushed wheels" sh -c \
    "test \$(grep -c '^h[12] .* ok .* to build ' '$T/h1') = 2 &&
     test \$(grep -c 'python_env push, to build: from $HOSTPY[.0-9]* (Python 3.*) by the next sweep, with wheels fetched here and pushed' '$T/h1') = 2"

ctl -c "$T/py.json" --db "$T/p.db" sweep 2>"$T/e1"
rc=$?
q() { sqlite3 "$T/p.db" "$1"; }
check "one sweep on two bare hosts completes" test $rc -eq 0
check "the controller fetched the wheels once, for both hosts" test "$(grep -c 'fetching the wheels' "$T/e1")" = 1
check "each host built its environment from pushed wheels" sh -c \
    "test \$(grep -c 'pushed [0-9]* wheels' '$T/e1') = 2 && test \$(grep -c 'built the Python environment .*(wheels)' '$T/e1') = 2"
check "every Python engine ran ok on every host" test \
    "$(q "select count(*) || '/' || sum(status = 'ok') from runs")" = 14/14
pins() { sed -n "s/^$1==//p" "$ROOT/requirements.txt"; }
check "the engines saw the pinned NumPy, Polars and DuckDB" test \
    "$(q "select count(*) from host_snapshots where json_extract(probe, '\$.python.numpy') = '$(pins numpy)'
          and json_extract(probe, '\$.python.polars') = '$(pins polars)'
          and json_extract(probe, '\$.python.duckdb') = '$(pins duckdb)'")" = 2
check "the wheels pushed for the build are gone from the hosts" sh -c \
    "! ls -d '$LAB'/h1/home/.cache/hotpath/wheels/*/ 2>/dev/null | grep -q ."

# What the first sweep built: each host's environment and its record.
envs=$(ls -d "$LAB"/h[12]/home/.cache/hotpath/pyenv/cp*-*/)
check "each host has one environment, keyed by ABI and hash" test "$(echo "$envs" | wc -l)" = 2
marks() { for d in $envs; do stat -c '%i %Y' "$d/hotpath-env.json"; done; }
before=$(marks)
touch "$T/stamp"
sleep 1

ctl -c "$T/py.json" --db "$T/p.db" sweep --tasks groupby 2>"$T/e2"
rc=$?
check "the second sweep completes" test $rc -eq 0
check "the second sweep fetches, pushes and installs nothing" sh -c \
    "! grep -E 'fetching the wheels|pushed [0-9]* wheels|built the Python environment' '$T/e2'"
check "the environments were not touched: same records, no package newer than the first sweep" sh -c \
    "test '$before' = '$(marks)' &&
     test -z \"\$(find $(echo $envs) -name '*.dist-info' -newer '$T/stamp')\" &&
     ! ls -d '$LAB'/h[12]/home/.cache/hotpath/wheels/*/ 2>/dev/null | grep -q ."
check "the second sweep ran on the same environment" test \
    "$(q "select count(*) from runs where status = 'ok'")" = 20
ctl -c "$T/py.json" hosts > "$T/h2" 2>&1
check "hosts: the environment is ready, with its versions and where" sh -c \
    "test \$(grep -c '^h[12] .* ok .* ready ' '$T/h2') = 2 &&
     test \$(grep -c 'python_env push, ready: .*numpy $(pins numpy), polars $(pins polars), .*duckdb $(pins duckdb), .*in .*/pyenv/cp' '$T/h2') = 2"

# explain on such a host: the program's python is the host's environment,
# sampled by the py-spy that came with it.
ctl -c "$T/py.json" --db "$T/x.db" --json explain --host h1 --rate 250 -- \
    python -c 'import numpy; [numpy.ones(20000).sum() for i in range(40000)]' \
    >"$T/x.json" 2>"$T/x.err"
check "explain --host runs the program with the host's pinned environment and its py-spy" \
    "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["host"] == "h1" and "/pyenv/cp" in d["interpreter"], d.get("interpreter")
assert d["sampler"] == "py-spy" and d["samples"] > 0, d["notes"]
assert any(l["name"] == "numpy" for l in d["libraries"]), d["libraries"]' "$T/x.json"

# A host whose python cannot make an environment: hosts says why, and a
# sweep runs its other engines, the library ones stored skipped with why.
cat > "$T/bad.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1], "tasks": ["groupby"],
           "engines": ["c-scalar", "python-polars"]},
 "hosts": [$(lab_host_json 1 ", \"python\": \"/opt/no-such-python\"")]}
JSON
ctl -c "$T/bad.json" hosts > "$T/h3" 2>&1
check "hosts: an interpreter that cannot build says why not" sh -c \
    "grep -q '^h1 .* ok .* cannot build ' '$T/h3' &&
     grep -q 'python_env push, cannot build: .*/opt/no-such-python: No such file or directory' '$T/h3'"
ctl -c "$T/bad.json" --db "$T/b.db" sweep 2>"$T/e3"
rc=$?
check "that sweep completes with a warning naming the host and the reason" sh -c \
    "test $rc -eq 0 && grep -q 'warning: h1: .*no-such-python.*runs are skipped' '$T/e3'"
check "its C engine ran; its Polars run is skipped, saying the environment is missing and why" test \
    "$(sqlite3 "$T/b.db" "select group_concat(engine || ' ' || status || ' ' || (coalesce(error, '') like 'no Python environment of the pinned requirements.txt (python_env push): %no-such-python%'), ',') from (select * from runs order by engine)")" \
    = "c-scalar ok 0,python-polars skipped 1"

# python_env index: a host with an index of its own (here its pip
# configuration names a folder of its own) builds from it; nothing is
# fetched or pushed by the controller.
u2=$(lab_user 2)
mkdir -p "$LAB/h2/home/.config/pip" "$LAB/h2/home/own-index"
cp "$WHEELS"/*.whl "$LAB/h2/home/own-index/"
printf '[global]\nno-index = true\nfind-links = %s\n' "$LAB/h2/home/own-index" \
    > "$LAB/h2/home/.config/pip/pip.conf"
chown -R "$u2" "$LAB/h2/home/.config" "$LAB/h2/home/own-index"
cat > "$T/idx.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1], "tasks": ["groupby"],
           "engines": ["python-polars"]},
 "hosts": [$(lab_host_json 2 ", \"python\": \"$HOSTPY\", \"python_env\": \"index\", \"workdir\": \"~/idx\"")]}
JSON
ctl -c "$T/idx.json" --db "$T/i.db" sweep 2>"$T/e4"
rc=$?
check "python_env index: the host built from its own index, the controller fetched and pushed nothing" sh -c \
    "test $rc -eq 0 && grep -q 'h2: built the Python environment /.*/idx/pyenv/cp.* (index)' '$T/e4' &&
     ! grep -Eq 'fetching the wheels|pushed [0-9]* wheels' '$T/e4'"
check "python_env index: the Polars run saw the pinned Polars" test \
    "$(sqlite3 "$T/i.db" "select group_concat(r.status) || ' ' || json_extract(s.probe, '\$.python.polars') from runs r, host_snapshots s")" \
    = "ok $(pins polars)"
