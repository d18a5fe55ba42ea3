#!/bin/sh
# Every engine x every task it implements matches the conformance vectors,
# at one thread and at more threads than this machine has cores.
. "$(dirname "$0")/lib.sh"

d=$(tiny)
engine_list > "$T/engines"
while read -r name task lib _; do
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

# Sparse user ids (c-threads then keeps users in maps, not arrays): the same
# data with every user_id u written as u * 1000003 + 7. c-threads must agree
# with c-scalar there, and join (where ids do not show) with the vectors.
sp=$T/sparse
mkdir -p "$sp"
"$PY" - "$d" "$sp" <<'PYEOF'
import sys
src, dst = sys.argv[1:3]
cols = {"facts.csv": 1, "users.csv": 0, "events.csv": 0, "stream.csv": 1}
for name, col in cols.items():
    lines = open("%s/%s" % (src, name), "rb").read().split(b"\n")[:-1]
    out = [lines[0]]
    for l in lines[1:]:
        f = l.split(b",")
        f[col] = b"%d" % (int(f[col]) * 1000003 + 7)
        out.append(b",".join(f))
    open("%s/%s" % (dst, name), "wb").write(b"\n".join(out) + b"\n")
# Compact ids first, then sparse ones from the middle of the stream on (the
# state moves from arrays to maps on the way).
lines = open("%s/stream.csv" % src, "rb").read().split(b"\n")[:-1]
half = len(lines) // 2
for i in range(half, len(lines)):
    f = lines[i].split(b",")
    f[1] = b"%d" % (int(f[1]) * 1000003 + 7)
    lines[i] = b",".join(f)
import os
os.makedirs(dst + "/mixed")
open(dst + "/mixed/stream.csv", "wb").write(b"\n".join(lines) + b"\n")
PYEOF
for task in groupby join sessionize stream-score; do
    "$BIN/c-scalar" --task "$task" --data "$sp" > "$T/sparse.ref.$task" 2>"$T/err"
    "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["result"]))' \
        < "$T/sparse.ref.$task" > "$T/sparse.exp.$task"
    for n in 1 3; do
        "$BIN/c-threads" --task "$task" --data "$sp" --threads $n > "$T/sparse.$task.$n" 2>"$T/err"
        check "c-threads $task --threads $n on sparse user ids agrees with c-scalar" sh -c \
            "'$BIN/hotpath-agent' check --task '$task' --threads $n \
             --expected '$T/sparse.exp.$task' < '$T/sparse.$task.$n'"
    done
done
"$BIN/c-scalar" --task stream-score --data "$sp/mixed" > "$T/mixed.ref" 2>"$T/err"
"$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["result"]))' \
    < "$T/mixed.ref" > "$T/mixed.exp"
"$BIN/c-threads" --task stream-score --data "$sp/mixed" --threads 2 > "$T/mixed.2" 2>"$T/err"
check "c-threads stream-score with ids turning sparse mid-stream agrees with c-scalar" sh -c \
    "'$BIN/hotpath-agent' check --task stream-score --threads 2 --expected '$T/mixed.exp' \
     < '$T/mixed.2'"
check "join on sparse user ids matches conformance/tiny/join.json" sh -c \
    "'$BIN/hotpath-agent' check --task join --threads 3 --expected '$CONF/join.json' \
     < '$T/sparse.join.3'"

# Engines report in-process timings, split where they can tell.
check "c-threads reports load_s and compute_s" grep -q '"load_s": [0-9]' "$T/c-threads.groupby.4"
check "single-threaded engines say so with threads_used" grep -q '"threads_used": 1' "$T/c-scalar.join.4"
