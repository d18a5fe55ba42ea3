#!/bin/sh
# Bad input is an error, never a guess: exit 1, nothing on stdout, one line on
# stderr naming the file (and the line, for engines that parse lines
# themselves), for every case from the C and Rust engines; the lenient
# baselines reject what their plain code refuses anyway (mkbad.py says which
# cases) and may accept the rest. Bad usage is exit 2.
. "$(dirname "$0")/lib.sh"

d=$(tiny)
"$PY" "$ROOT/tests/cli/mkbad.py" "$d" "$T/bad" || notok "mkbad.py could not build the cases"
engine_list > "$T/engines"
while read -r case file tasks expect who; do
    for task in $(echo "$tasks" | tr ',' ' '); do
        grep " $task " "$T/engines" | while read -r name _ lib lenient; do
            cmd=$(engine_cmd "$name")
            prog=${cmd%% *}
            if [ ! -x "$prog" ] && ! command -v "$prog" >/dev/null; then
                skip "$name $task $case: not built here"
                continue
            fi
            for n in 1 4; do
                [ "$n" = 4 ] && [ "$name" != c-threads ] && continue
                $cmd --task "$task" --data "$T/bad/$case" --threads $n >"$T/o" 2>"$T/e"
                rc=$?
                [ $rc -eq 3 ] && { skip "$name $task $case: cannot run here"; continue; }
                want=$expect
                [ "$lib" = 1 ] && want=""
                # A lenient engine (WORKLOADS.md section 4) must reject only
                # what its plain code refuses anyway: "all" cases, and "loop"
                # cases for python-loop. Anything else it may accept (exit 0,
                # a result) or refuse cleanly.
                must=1
                if [ "$lenient" = 1 ]; then
                    case "$who" in
                    all) ;;
                    loop) [ "$lib" = 1 ] && must=0 ;;
                    *) must=0 ;;
                    esac
                fi
                if [ $must = 0 ]; then
                    if { [ $rc -eq 0 ] && [ -s "$T/o" ]; } ||
                       { [ $rc -eq 1 ] && [ ! -s "$T/o" ] && [ "$(wc -l < "$T/e")" -eq 1 ]; }; then
                        ok "$name $task: $case -> exit $rc (lenient: accepted or refused cleanly)"
                    else
                        notok "$name $task: $case -> exit $rc, stderr: $(head -c 200 "$T/e")"
                    fi
                    continue
                fi
                if [ $rc -eq 1 ] && [ ! -s "$T/o" ] && [ "$(wc -l < "$T/e")" -eq 1 ] &&
                   grep -qF -- "$want" "$T/e"; then
                    ok "$name $task --threads $n: $case -> exit 1, '$want'"
                else
                    notok "$name $task --threads $n: $case -> exit $rc, stderr: $(head -c 200 "$T/e")"
                fi
            done
        done
    done
done < "$T/bad/cases"

# Bad usage: exit 2, nothing on stdout.
engine_list | awk '{print $1}' | sort -u > "$T/names"
while read -r name; do
    cmd=$(engine_cmd "$name")
    prog=${cmd%% *}
    [ -x "$prog" ] || command -v "$prog" >/dev/null || { skip "$name usage: not built here"; continue; }
    task=$(engine_list | awk -v n="$name" '$1 == n {print $2; exit}')
    for args in "--task $task" "--data $d" "--task $task --data $d --threads 0" \
                "--task $task --data $d --threads x" "--task $task --task $task --data $d" \
                "--task $task --data $d --bogus 1" "--task sort --data $d"; do
        $cmd $args >"$T/o" 2>"$T/e"
        rc=$?
        if [ $rc -eq 2 ] && [ ! -s "$T/o" ] && [ -s "$T/e" ]; then ok "$name $args -> exit 2"
        else notok "$name $args -> exit $rc"; fi
    done
    $cmd --task "$task" --data "$T/no-such-dir" >"$T/o" 2>"$T/e"
    rc=$?
    if [ $rc -eq 1 ] && grep -q no-such-dir "$T/e"; then ok "$name: a missing --data folder -> exit 1"
    else notok "$name: a missing --data folder -> exit $rc"; fi
done < "$T/names"
