#!/bin/sh
# What a sweep stores is what was measured: the reference cannot be
# replaced, cached expected results are verified, and timings that no clock
# measured are not valid.
. "$(dirname "$0")/lib.sh"

export HOTPATH_HOME="$T/home"
HP="$BIN/hotpath"
DB="$T/t.db"
q() { sqlite3 "$DB" "$1"; }

cfg() {
    cat > "$T/cfg.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1],
           "tasks": ["join"], "engines": $1, "extra_engines": [$2]},
 "hosts": [{"name": "local", "transport": "local"}]}
JSON
}

# 1. An extra engine may not take a built-in name (above all the reference's).
cfg '["c-scalar"]' '{"name": "c-scalar", "argv": ["sh", "-c", "exec \"$0\" \"$@\" | sed s/consumer/x/", "{bin}/c-threads"], "tasks": ["join"]}'
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep 2>"$T/e1"
check "an extra engine named like the reference is refused" sh -c \
    "test $? -eq 1 && grep -q \"'c-scalar' is already an engine's name\" '$T/e1'"
check "nothing was stored for it" test "$(q 'select count(*) from runs' 2>/dev/null || echo 0)" = 0

# 2. Cached expected results that do not verify are made again.
cfg '["c-scalar", "c-threads"]' ''
sed -i 's/, "extra_engines": \[\]//' "$T/cfg.json"
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep
check "a first sweep is valid" test "$(q "select count(*) from runs where status = 'ok'")" = 2
exp=$(ls "$HOTPATH_HOME"/data/*/expected-join.json)
check "the expected result carries its reference's key and checksum" "$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d['key']) == 64 and len(d['sha256']) == 64 and d['reference'] == 'c-scalar'" "$exp"
# A file left by an older build or another reference: a plain wrong result.
"$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
r = d['result']; r['segments'][0][2] += 1
json.dump(r, open(sys.argv[1], 'w'))" "$exp"
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep 2>"$T/e2"
check "a stale expected file is made again: correct engines stay ok" \
    test "$(q "select count(*) from runs where status = 'ok' and sweep_id = 2")" = 2
# The right key but a changed result: the checksum catches it.
"$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
d['result']['segments'][0][2] += 1
json.dump(d, open(sys.argv[1], 'w'))" "$exp"
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep 2>/dev/null
check "a changed expected result fails its checksum and is made again" \
    test "$(q "select count(*) from runs where status = 'ok' and sweep_id = 3")" = 2
# Another key (a different reference program): made again too.
"$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
d['key'] = '0' * 64
json.dump(d, open(sys.argv[1], 'w'))" "$exp"
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep 2>/dev/null
check "an expected result made by another reference is made again" sh -c \
    "test \"\$(sqlite3 '$DB' \"select count(*) from runs where status = 'ok' and sweep_id = 4\")\" = 2 &&
     ! grep -q '\"0000000000' '$exp'"

# 3. Timings beyond the wall clock are not valid.
LIAR='{"name": "liar", "argv": ["sh", "-c", "\"$0\" \"$@\" | sed \"s/\\\"total_s\\\": [0-9.e+-]*/\\\"total_s\\\": 1e308/\"", "{bin}/c-scalar"], "tasks": ["join"]}'
SLOWPOKE='{"name": "slowpoke", "argv": ["sh", "-c", "\"$0\" \"$@\" | sed \"s/\\\"total_s\\\": [0-9.e+-]*/\\\"total_s\\\": 30/\"", "{bin}/c-scalar"], "tasks": ["join"]}'
cfg '["liar", "slowpoke", "c-scalar"]' "$LIAR, $SLOWPOKE"
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep
check "total_s 1e308 in a short run is invalid" \
    test "$(q "select status from runs where engine = 'liar'")" = invalid
check "total_s over the run's wall time is invalid" \
    test "$(q "select status from runs where engine = 'slowpoke'")" = invalid
check "the reason names the wall time" sh -c \
    "sqlite3 '$DB' \"select error from runs where engine = 'liar'\" | grep -q 'beyond the run.s wall time'"
check "no absurd time is stored" test "$(q "select count(*) from runs where total_s > wall_s")" = 0
check "the medians hold only measured times" \
    test "$(q "select count(*) from v_medians where engine in ('liar', 'slowpoke')")" = 0

# 4. Journal records are checked against the sweep and its plan.
cfg '["c-scalar"]' ''
sed -i 's/, "extra_engines": \[\]//; s/"repeats": 1/"repeats": 2/' "$T/cfg.json"
DB=$T/j.db
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep
A=$(q "select uuid from sweeps where id = 1")
B=$(q "select uuid from sweeps where id = 2")
JA=$HOTPATH_HOME/journal/$A.jsonl
JB=$HOTPATH_HOME/journal/$B.jsonl
# Sweep B's repeat 1 is lost from the store, and its journal line replaced
# by sweep A's; then records out of any plan are appended.
q "delete from runs where sweep_id = 2 and repeat = 1"
grep -v '"repeat":1,' "$JB" > "$T/jb"
grep '"type":"run"' "$JA" | grep '"repeat":1,' >> "$T/jb"
grep '"type":"run"' "$JA" | grep '"repeat":0,' | sed "s/$A/$B/; s/\"engine\":\"c-scalar\"/\"engine\":\"nope\"/" >> "$T/jb"
grep '"type":"run"' "$JA" | grep '"repeat":0,' | sed "s/$A/$B/; s/\"threads\":1/\"threads\":-5/" >> "$T/jb"
grep '"type":"run"' "$JA" | grep '"repeat":0,' | sed "s/$A/$B/; s/\"repeat\":0/\"repeat\":99/" >> "$T/jb"
cp "$T/jb" "$JB"
"$HP" --db "$DB" resume "$B" 2>"$T/e4"
check "resume completes the sweep" test "$(q "select status from sweeps where id = 2")" = complete
check "a record of another sweep is refused, naming that sweep" grep -q "refused: a record of sweep $A" "$T/e4"
check "an unknown engine is refused" grep -q "engine 'nope' is not in the plan" "$T/e4"
check "threads -5 is refused" grep -q -- "-5 threads are not in the plan" "$T/e4"
check "repeat 99 is refused" grep -q "repeat 99 is not in the plan" "$T/e4"
check "the store holds the planned runs of the sweep, no more" \
    test "$(q "select count(*) || '/' || count(distinct engine || threads || repeat) from runs where sweep_id = 2")" = 2/2
check "the lost run was run again for this sweep" \
    test "$(q "select count(*) from runs r where sweep_id = 2 and repeat = 1 and at > (select max(at) from runs where sweep_id = 1)")" = 1
