#!/bin/sh
# A full disk on a host: while its data is generated, and while the journal
# grows. The host fails saying so; the journal never holds a cut line; a
# resume with room again completes the sweep. Small tmpfs mounts, as root.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=64k tmpfs "$T" 2>/dev/null; then
    skip "full disk tests: need root to mount a small tmpfs"
    exit 0
fi
umount "$T"
HP="$BIN/hotpath"
MNT=""
trap 'for m in $MNT; do umount "$m" 2>/dev/null; done; rm -rf "$T"' EXIT
q() { sqlite3 "$1" "$2"; }

cfg() {
    cat > "$T/cfg.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": $1, "warmups": 0, "threads": [1],
           "tasks": ["join"], "engines": ["c-scalar"]},
 "hosts": [{"name": "local", "transport": "local", "workdir": "$2"}]}
JSON
}

# 1. No room for the data set.
mkdir -p "$T/small"
mount -t tmpfs -o size=1m tmpfs "$T/small" && MNT="$MNT $T/small"
cfg 1 "$T/small/home"
"$HP" -q -c "$T/cfg.json" --db "$T/d.db" sweep 2>"$T/e1"
check "a full disk during data generation fails the host (exit 3)" test $? -eq 3
check "the host's stored error says the disk is full, not only an exit status" sh -c \
    "sqlite3 '$T/d.db' 'select error from sweep_hosts' | grep -q 'No space left on device'"

# 2. The journal's filesystem fills mid-sweep.
mkdir -p "$T/home/journal"
mount -t tmpfs -o size=96k tmpfs "$T/home/journal" && MNT="$T/home/journal $MNT"
cfg 150 "$T/home"
"$HP" -q -c "$T/cfg.json" --db "$T/j.db" sweep 2>"$T/e2"
check "a full journal fails the host (exit 3), not a complete sweep" sh -c \
    "test $? -eq 3 && test \"\$(sqlite3 '$T/j.db' 'select status from sweeps')\" != complete"
J=$(ls "$T"/home/journal/*.jsonl)
check "the host's error names the journal and the full disk" sh -c \
    "sqlite3 '$T/j.db' 'select error from sweep_hosts' | grep -q 'journal .*No space left on device'"
valid_lines() {
    "$PY" -c "
import json, sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')
assert lines[-1] == b'', 'the journal ends in a cut line'
for l in lines[:-1]:
    d = json.loads(l)
    assert isinstance(d, dict) and 'type' in d
print(sum(1 for l in lines[:-1] if b'\"type\":\"run\"' in l))" "$1"
}
check "every journal line is one whole record" valid_lines "$J"
runs_j=$(valid_lines "$J")
check "the store holds every run the journal holds" \
    test "$(q "$T/j.db" 'select count(*) from runs')" = "$runs_j"
check "some runs were measured before the disk filled" test "${runs_j:-0}" -gt 0
mount -o remount,size=8m "$T/home/journal"
"$HP" -q --db "$T/j.db" resume 2>"$T/e3"
check "with room again, resume completes the sweep" sh -c \
    "test $? -eq 0 && test \"\$(sqlite3 '$T/j.db' 'select status from sweeps')\" = complete"
check "after resume: every planned run once" \
    test "$(q "$T/j.db" 'select count(*) || count(distinct repeat) from runs')" = 150150
check "after resume every journal line is still one whole record" valid_lines "$J"
check "no record is glued to another" sh -c "! grep -q '}{' '$J'"

# 3. A journal that cannot be written at all: the agent says so at once.
cfg 1 "$T/home2"
mkdir -p "$T/home2/journal"
mount -t tmpfs -o size=4k tmpfs "$T/home2/journal" && MNT="$T/home2/journal $MNT"
head -c 4096 /dev/zero > "$T/home2/journal/filler" 2>/dev/null
"$HP" -q -c "$T/cfg.json" --db "$T/n.db" sweep 2>"$T/e4"
check "no room for the journal: the host fails naming it" sh -c \
    "test $? -eq 3 && sqlite3 '$T/n.db' 'select error from sweep_hosts' | grep -q 'journal'"
