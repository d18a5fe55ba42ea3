#!/bin/sh
# A store error in the middle of a multi-host sweep: the controller stops
# its hosts' workers, joins them, and exits with the store's message, with
# nothing for AddressSanitizer or UBSan to report (the controller is built
# with them for this test: make asan-controller).
. "$(dirname "$0")/lib.sh"

export HOTPATH_HOME="$T/home"
E="$ROOT/tests/cli/engines/fake.sh"
if ! make -s -C "$ROOT" asan-controller >"$T/build" 2>&1; then
    skip "store error under ASan: the controller does not build with -fsanitize here ($(tail -1 "$T/build"))"
    exit 0
fi
HP="$ROOT/build/asan/bin/hotpath"
cat > "$T/cfg.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 40, "warmups": 0, "threads": [1],
   "tasks": ["groupby", "join"], "engines": ["slow"],
   "extra_engines": [{"name": "slow", "argv": ["$E", "slow"], "tasks": ["groupby", "join"]}]},
 "hosts": [{"name": "a", "transport": "local", "workdir": "$T/a"},
           {"name": "b", "transport": "local", "workdir": "$T/b"},
           {"name": "c", "transport": "local", "workdir": "$T/c"}]}
JSON
DB="$T/s.db"
# 40 repeats of 0.2 s a host: the sweep cannot finish before the fault is
# in place, however loaded the machine; it ends at the fault.
FAKE_SLEEP=0.2 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    timeout 300 "$HP" -q -c "$T/cfg.json" --db "$DB" sweep 2>"$T/e" &
pid=$!
i=0
while [ "$(sqlite3 "$DB" 'select count(*) from runs' 2>/dev/null || echo 0)" -lt 3 ] && [ $i -lt 600 ]; do
    sleep 0.05; i=$((i + 1)); done
# From now on every stored run fails, as a full disk or a broken store would.
sqlite3 -cmd '.timeout 10000' "$DB" "CREATE TRIGGER fault BEFORE INSERT ON runs
    BEGIN SELECT RAISE(ABORT, 'injected store fault'); END;"
wait $pid
rc=$?
check "a store error mid-sweep ends the controller with exit 1 (got $rc)" test $rc -eq 1
check "the store's error is what it says" grep -q 'injected store fault' "$T/e"
check "no AddressSanitizer, LeakSanitizer or UBSan report" sh -c \
    "! grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '$T/e'"
check "what was stored before the error stays" test "$(sqlite3 "$DB" 'select count(*) from runs')" -ge 3
check "the store passes integrity_check" test "$(sqlite3 "$DB" 'pragma integrity_check')" = ok
sed 's/^/    /' "$T/e" | grep -E 'Sanitizer|runtime error' | head -5
