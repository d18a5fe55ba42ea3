#!/bin/sh
# Every engine x every task it implements matches the conformance vectors,
# at one thread and at more threads than this machine has cores.
. "$(dirname "$0")/lib.sh"

d=$(tiny)
engine_list > "$T/engines"
while read -r name task lib; do
    cmd=$(engine_cmd "$name")
    prog=${cmd%% *}
    if [ ! -x "$prog" ] && ! command -v "$prog" >/dev/null; then
        skip "$name $task: not built here ($prog)"
        continue
    fi
    for n in 1 4; do
        $cmd --task "$task" --data "$d" --threads "$n" > "$T/$name.$task.$n" 2>"$T/err"
        rc=$?
        if [ $rc -eq 3 ]; then
            skip "$name $task --threads $n: cannot run here ($(cat "$T/err"))"
            continue
        fi
        check "$name $task --threads $n matches conformance/tiny/$task.json" sh -c \
            "'$BIN/hotpath-agent' check --task '$task' --threads $n --expected '$CONF/$task.json' \
             < '$T/$name.$task.$n'"
    done
done < "$T/engines"

# c-threads' baseline build (the one for CPUs without x86-64-v3) agrees too.
for task in numeric groupby join sessionize stream-score; do
    HOTPATH_BASELINE=1 "$BIN/c-threads" --task "$task" --data "$d" --threads 3 \
        > "$T/base.$task" 2>"$T/err"
    check "c-threads (baseline build) $task matches conformance/tiny/$task.json" sh -c \
        "'$BIN/hotpath-agent' check --task '$task' --threads 3 --expected '$CONF/$task.json' \
         < '$T/base.$task'"
done
if [ "$(uname -m)" = x86_64 ] && grep -q avx2 /proc/cpuinfo; then
    check "c-threads runs its x86-64-v3 build on this CPU" \
        grep -q '"isa": "x86-64-v3"' "$T/c-threads.groupby.4"
    check "HOTPATH_BASELINE=1 runs the baseline build" grep -q '"isa": "baseline"' "$T/base.join"
fi

# Engines report in-process timings, split where they can tell.
check "c-threads reports load_s and compute_s" grep -q '"load_s": [0-9]' "$T/c-threads.groupby.4"
check "single-threaded engines say so with threads_used" grep -q '"threads_used": 1' "$T/c-scalar.join.4"
