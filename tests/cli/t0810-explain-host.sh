#!/bin/sh
# hotpath explain --host: the program run on a configured host by its agent
# (a local host, then an SSH host of the lab), its samples classified here;
# and the failures a user can act on: no py-spy, ptrace refused, too short.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

HP="$BIN/hotpath"
DB="$T/x.db"
chmod 755 "$T"
D="$T/data"
"$BIN/hotpath-gen" -q --dir "$D" --facts 1000 --points 1000 --events 100 --stream 300000 \
    --threads 1
chmod -R a+rX "$D"

# An interpreter in a folder of its own (no py-spy beside it), one with a
# py-spy that fails the way py-spy does when ptrace is refused, and one with
# the real py-spy (a copy the lab's users may run).
mkdir -p "$T/bare/bin" "$T/noptrace/bin" "$T/env/bin"
# (the system's python3 first: the lab's users may not read the one on our PATH)
SYSPY=/usr/bin/python3
[ -x $SYSPY ] || SYSPY=$(command -v python3)
for d in bare noptrace env; do ln -s "$SYSPY" "$T/$d/bin/python"; done
cat >"$T/noptrace/bin/py-spy" <<'SH'
#!/bin/sh
echo "Permission Denied: Try running again with elevated permissions by going 'sudo env \"PATH=\$PATH\" !!'" >&2
exit 1
SH
chmod 755 "$T/noptrace/bin/py-spy"
have_pyspy=0
if [ -x "$ROOT/.venv/bin/py-spy" ]; then
    cp "$ROOT/.venv/bin/py-spy" "$T/env/bin/py-spy"
    have_pyspy=1
fi
chmod -R a+rX "$T/bare" "$T/noptrace" "$T/env"

host() { printf '{"name": "%s", "transport": "local", "workdir": "%s/w-%s"%s}' "$1" "$T" "$1" "${2:-}"; }
cat >"$T/local.json" <<JSON
{"hosts": [$(host box ", \"python\": \"$T/env/bin/python\""),
           $(host bare ", \"python\": \"$T/bare/bin/python\""),
           $(host noptrace ", \"python\": \"$T/noptrace/bin/python\"")]}
JSON
NOPYSPY_PATH=$(echo "$PATH" | tr ':' '\n' | grep -v '\.venv' | paste -sd:)

# run NAME ARGS...: `hotpath --json explain ARGS` into $T/NAME.json, .err, .rc
run() {
    n=$1
    shift
    "$@" >"$T/$n.json" 2>"$T/$n.err"
    echo $? >"$T/$n.rc"
}
get() {
    "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
notes = " ".join(d["notes"])
print(eval("(" + sys.argv[2] + ")"))' "$T/$1.json" "$2" 2>/dev/null
}
expect() {
    if [ "$(get "$2" "$3")" = True ]; then ok "$1"; else
        notok "$1"; echo "    $3"; head -c 800 "$T/$2.json" | sed 's/^/    /'; echo
        grep '"dir"\|"command"' "$T/$2.json" | sed 's/^/    /' 
        sed 's/^/    /' "$T/$2.err" | tail -3; fi
}
LOOP="workloads/python/loop_engine.py --task stream-score --data $D"

# 1. A local host: the agent runs the program in the bundle's root with the
# host's interpreter ("python" is it), py-spy found beside it.
if [ $have_pyspy = 1 ]; then
    run box "$HP" -c "$T/local.json" --db "$DB" --json explain --host box --rate 250 -- \
        python $LOOP
    expect "a local host's explanation comes back, interpreter-bound, with Python lines" box \
        'd["host"] == "box" and d["mode"] == "interpreter" and d["samples"] > 0 and
         d["lines"][0]["name"].startswith("'"$ROOT"'/workloads/python/loop_engine.py:")'
    check "it is stored under the host's name" \
        test "$(sqlite3 "$DB" "select count(*) from explanations where host = 'box'")" = 1
else
    skip "py-spy is not in .venv (make deps installs it): sampling on a host not tested"
fi

# 2. No py-spy on the host: said so, with how to get it.
run bare env PATH="$NOPYSPY_PATH" "$HP" -c "$T/local.json" --db "$DB" --json explain \
    --host bare -- python -c 'pass'
expect "no py-spy on the host: named, with how to get it" bare \
    '"py-spy not found on bare" in notes and "pip install py-spy==" in notes'

# 3. ptrace refused, on a host and here: the cause and the fix.
run noptrace "$HP" -c "$T/local.json" --db "$DB" --json explain --host noptrace -- \
    python -c 'import time; time.sleep(0.3)'
expect "ptrace refused on a host: 'sampling not permitted', the cause and the fix" noptrace \
    '"sampling not permitted on noptrace" in notes and "ptrace" in notes and
     ("run as root" in notes or "ptrace_scope" in notes)'
HOTPATH_PYSPY="$T/noptrace/bin/py-spy" run noptrace-here "$HP" --db "$DB" --json explain -- \
    "$PY" -c 'import time; time.sleep(0.3)'
expect "ptrace refused here: the same cause and fix" noptrace-here \
    '"sampling not permitted (ptrace refused" in notes and "run as root" in notes'

# 4. Too short for 200 samples, on a host.
if [ $have_pyspy = 1 ]; then
    run short "$HP" -c "$T/local.json" --db "$DB" --json explain --host box -- python -c pass
    expect "a program too short on a host gets the under-200-samples warning" short \
        '"under 200" in notes and "larger input" in notes'
fi

run unknown "$HP" -c "$T/local.json" --db "$DB" explain --host nowhere -- true
check "an unknown host is a usage error (exit 2) naming the configured hosts" \
    sh -c "[ \$(cat '$T/unknown.rc') -eq 2 ] && grep -q \"no host 'nowhere'.*box\" '$T/unknown.err'"
run nocmd "$HP" -c "$T/local.json" --db "$DB" explain --host box -- no-such-program-x
check "a program the host does not have is named" \
    sh -c "[ \$(cat '$T/nocmd.rc') -ne 0 ] && grep -q 'no-such-program-x' '$T/nocmd.err'"

# 5. An SSH host of the lab, with the bundle pushed there, its python as it is
# (t0625 runs explain with a host's pinned environment).
lab_require "explain on an SSH host"
trap 'lab_down; rm -rf "$T"' EXIT
lab_up 1
cat >"$T/lab.json" <<JSON
{"hosts": [$(lab_host_json 1 ", \"python\": \"$T/env/bin/python\", \"python_env\": \"system\""),
           $(lab_host_json 1 ", \"python\": \"$T/bare/bin/python\", \"python_env\": \"system\"" |
             sed 's/"name": "h1"/"name": "h1bare"/')]}
JSON
if [ $have_pyspy = 1 ]; then
    run ssh lab_ctl "$HP" -c "$T/lab.json" --db "$DB" --json explain --host h1 --rate 250 -- \
        python $LOOP
    expect "an SSH host's explanation comes back through the agent, interpreter-bound" ssh \
        'd["host"] == "h1" and d["mode"] == "interpreter" and d["samples"] > 0 and
         "/.cache/hotpath/bundles/" in d["dir"] and
         d["lines"][0]["name"].startswith(d["dir"] + "/workloads/python/loop_engine.py:")'
    check "it is stored under the SSH host's name" \
        test "$(sqlite3 "$DB" "select count(*) from explanations where host = 'h1'")" = 1
    lab_ctl "$HP" -c "$T/lab.json" --db "$DB" explain --no-store --host h1 --rate 250 -- \
        python $LOOP >"$T/ssh.txt" 2>"$T/ssh.txt.err"
    check "its text names the host, its python, the lines below the bundle's root, the verdict" \
        sh -c "grep -q '^  on h1, in .*/bundles/.*, python $T/env/bin/python' '$T/ssh.txt' &&
               grep -q '% *workloads/python/loop_engine.py:' '$T/ssh.txt' &&
               grep -q '^verdict: interpreter-bound' '$T/ssh.txt'"
fi
run sshbare lab_ctl "$HP" -c "$T/lab.json" --db "$DB" --json explain --host h1bare -- \
    python -c pass
expect "no py-spy on an SSH host: named, with how to get it" sshbare \
    '"py-spy not found on h1bare" in notes and "pip install py-spy==" in notes and
     "python_env" in notes'
