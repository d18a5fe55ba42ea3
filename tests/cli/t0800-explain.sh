#!/bin/sh
# hotpath explain: where a program's time goes, on the built-in engines.
. "$(dirname "$0")/lib.sh"

HP="$BIN/hotpath"
DB="$T/x.db"
W="$ROOT/workloads/python"
# A few seconds of work for the library engines, so their hot path is
# sampled a few hundred times (tiny would be all imports).
D="$T/data"
"$BIN/hotpath-gen" -q --dir "$D" --facts 1000000 --points 2000000 --events 1000 \
    --stream 200000 --threads 2

# explain_json NAME ARGS...: --json output of `hotpath explain ARGS` in $T/NAME.json
explain_json() {
    n=$1
    shift
    "$HP" --db "$DB" --json explain "$@" >"$T/$n.json" 2>"$T/$n.err"
    echo $? >"$T/$n.rc"
}

# get NAME EXPR: a Python expression over the JSON d of $T/NAME.json
get() {
    "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
lib = d["libraries"][0]["name"] if d["libraries"] else ""
native = d["shares"]["native"] + d["shares"]["libc"]
notes = " ".join(d["notes"])
print(eval(sys.argv[2]))' "$T/$1.json" "$2" 2>/dev/null
}

# expect DESC NAME EXPR: EXPR is True for NAME's JSON
expect() {
    if [ "$(get "$2" "$3")" = True ]; then ok "$1"; else
        notok "$1"; echo "    $3"; head -c 600 "$T/$2.json" | sed 's/^/    /'; echo
        sed 's/^/    /' "$T/$2.err" | tail -3; fi
}

if [ -x "$ROOT/.venv/bin/py-spy" ]; then
    explain_json loop --rate 250 -- "$PY" "$W/loop_engine.py" --task stream-score \
        --data "$D"
    expect "python-loop stream-score is interpreter-bound" loop \
        'd["mode"] == "interpreter" and d["shares"]["interpreter"] > 0.7'
    expect "its verdict: a rewrite replaces the bottleneck, naming Python lines" loop \
        '"replaces the bottleneck" in d["rewrite"] and ".py:" in d["lines"][0]["name"]'
    expect "wall, CPU and cores busy are reported" loop \
        'd["wall_s"] > 0 and d["user_s"] > 0 and d["cores_busy"] > 0 and d["sampler"] == "py-spy"'
    check "the program's own output goes to stderr, not into the JSON" grep -q '"task"' "$T/loop.err"

    for e in "numpy numeric numpy numeric" "polars groupby polars query" \
             "duckdb groupby duckdb query"; do
        set -- $e
        explain_json "$1" --rate 250 --threads 2 -- "$PY" "$W/$1_engine.py" --task "$2" \
            --data "$D"
        expect "python-$1 $2 is native-backed ($3 first, native share > 70 %)" "$1" \
            "d['mode'] == '$4' and lib == '$3' and native > 0.7"
    done
    expect "a native-backed verdict says the rewrite replaces the wrapper" polars \
        '"replaces the wrapper" in d["rewrite"]'

    "$HP" --db "$DB" explain --rate 250 -- "$PY" "$W/loop_engine.py" --task stream-score \
        --data "$D" >"$T/text" 2>"$T/text.err"
    check "the text output has the breakdown, the verdict and the lines to target" \
        sh -c "grep -q 'interpreter' '$T/text' && grep -q '^verdict: interpreter-bound' '$T/text' \
               && grep -q 'a rewrite would target' '$T/text'"

    explain_json sub --rate 250 --subprocesses -- sh -c \
        "'$PY' '$W/loop_engine.py' --task stream-score --data '$D' >/dev/null"
    expect "--subprocesses samples the Python program a shell starts" sub \
        'd["samples"] > 0 and d["shares"]["python"] > 0.3'

    explain_json short -- "$PY" -c pass
    expect "a program too short for 200 samples gets a warning to use a larger input" short \
        '"under 200" in notes and "larger input" in notes'
else
    skip "py-spy is not in .venv (make deps installs it): Python sampling not tested"
fi

HOTPATH_PYSPY="$T/no-py-spy" explain_json nopyspy -- "$PY" -c pass
expect "without py-spy it says how to get it" nopyspy \
    '"py-spy not found" in notes and "pip install py-spy" in notes'

if perf record -q -o "$T/perf.data" true >/dev/null 2>&1; then
    explain_json c --rate 999 -- "$BIN/c-scalar" --task numeric --data "$D"
    expect "c-scalar numeric is a native program, in its own code first" c \
        'd["mode"] == "native" and lib == "c-scalar" and d["sampler"] == "perf"'
else
    skip "perf does not work here: native sampling not tested"
fi
explain_json sleep -- sleep 0.3
expect "a sleeping program is seen as waiting, not on a CPU" sleep \
    'd["waiting_share"] > 0.5 and d["cores_busy"] < 0.5'

"$HP" --db "$DB" explain --host lab1 -- true >"$T/u.out" 2>"$T/u.err"
rc=$?
check "--host of a machine the configuration does not have is refused (exit 2)" \
    sh -c "[ $rc -eq 2 ] && grep -q \"no host 'lab1'\" '$T/u.err'"
"$HP" --db "$DB" explain >"$T/u.out" 2>"$T/u.err"
rc=$?
check "no command is a usage error (exit 2)" sh -c "[ $rc -eq 2 ] && grep -q 'no command' '$T/u.err'"
"$HP" --db "$DB" explain -- "$T/no-such-program" >"$T/u.out" 2>"$T/u.err"
rc=$?
check "a program that does not exist is named (exit 2)" \
    sh -c "[ $rc -eq 2 ] && grep -q 'no-such-program' '$T/u.err'"
explain_json fails -- sh -c 'exit 3'
check "a failing program still is explained, with exit status 1" \
    sh -c "[ \$(cat '$T/fails.rc') -eq 1 ] && grep -q 'exited with status 3' '$T/fails.json'"

# Stored, and drawn by hotpath report.
check "each explanation is stored with its host, command, shares, verdict and top frames" \
    sh -c "[ \$(sqlite3 '$DB' \"select count(*) from explanations where host = 'local' and
        command like '%sleep 0.3%' and verdict <> '' and top_frames like '%lines%'\") -eq 1 ]"
explain_json nostore --no-store -- true
check "--no-store leaves the store alone" \
    sh -c "[ \$(sqlite3 '$DB' \"select count(*) from explanations where command = 'true'\") -eq 0 ]"
export HOTPATH_HOME="$T/home"
"$HP" -q --db "$DB" sweep --profile tiny --tasks numeric --engines c-scalar --repeats 1 \
    --warmups 0 --threads 1 >/dev/null 2>&1
"$HP" -q --db "$DB" report --out "$T/rep" --format svg >/dev/null 2>"$T/rep.err"
check "hotpath report draws the explanations, a stacked bar per command" \
    sh -c "test -s '$T/rep/explain.svg' && grep -q 'Where the time goes' '$T/rep/report.html'"
