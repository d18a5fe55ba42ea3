#!/bin/sh
# hotpath sweep on this machine: the loop from plan to SQLite, and every way
# an engine can misbehave.
. "$(dirname "$0")/lib.sh"

export HOTPATH_HOME="$T/home"
HP="$BIN/hotpath"
DB="$T/h.db"
E="$ROOT/tests/cli/engines/fake.sh"

cat > "$T/cfg.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 2, "warmups": 1, "threads": [1, 2],
           "tasks": ["groupby", "sessionize"], "engines": ["c-scalar", "c-threads"]},
 "hosts": [{"name": "local", "transport": "local"}]}
JSON
check "a tiny sweep completes" "$HP" -q -c "$T/cfg.json" --db "$DB" sweep
q() { sqlite3 "$DB" "$1"; }
check "every planned run is stored (2 tasks x 2 engines x 2 threads x 3)" \
    test "$(q 'select count(*) from runs')" = 24
check "the planned count is stored with the host" test "$(q 'select planned from sweep_hosts')" = 24
check "all runs valid" test "$(q "select count(*) from runs where status = 'ok'")" = 24
check "warmups are flagged with negative repeats" \
    test "$(q 'select count(*) from runs where warmup = 1 and repeat < 0')" = 8
check "hardware metadata is stored" test "$(q 'select logical_cores from host_snapshots')" = "$(nproc)"
check "the data set's checksums are stored" sh -c "sqlite3 '$DB' 'select files_sha from datasets' |
    grep -q \"facts.csv:$(grep facts.csv "$CONF/SHA256SUMS" | cut -d' ' -f1)\""
check "the sweep is complete" test "$(q 'select status from sweeps')" = complete
check "v_medians works in the stock sqlite3 shell" test "$(q 'select count(*) from v_medians')" = 8
check "v_medians counts only timed valid runs" test "$(q 'select min(n) || max(n) from v_medians')" = 22
check "v_speedups is empty without baseline engines" test "$(q 'select count(*) from v_speedups')" = 0
check "median lies between p25 and p75" test "$(q 'select count(*) from v_medians
    where not (p25_s <= median_s and median_s <= p75_s and min_s <= p25_s and p75_s <= max_s)')" = 0
check "wall time covers the engine's own time" test "$(q "select count(*) from runs
    where status = 'ok' and wall_s < total_s")" = 0
check "status lists the sweep" sh -c "'$HP' --db '$DB' status | grep -q complete"
check "status SWEEP lists its hosts" sh -c "'$HP' --db '$DB' status \$(sqlite3 '$DB' 'select substr(uuid,1,6) from sweeps') | grep -q '^local'"
check "a second sweep reuses the verified data" sh -c \
    "'$HP' -q -c '$T/cfg.json' --db '$DB' sweep --tasks groupby --engines c-threads --repeats 1 &&
     test \"\$(sqlite3 '$DB' 'select reused from datasets order by sweep_id desc limit 1')\" = 1"
check "sweep --json names the sweep" sh -c \
    "'$HP' -q --json -c '$T/cfg.json' --db '$DB' sweep --tasks join --engines c-scalar --repeats 1 --threads 1 | grep -q '\"status\": \"complete\"'"

# query is read-only.
for sql in "delete from runs" "attach '$T/x.db' as x" "pragma journal_mode=delete" \
           "update runs set status = 'ok'" "create table t (x)" "drop view v_medians"; do
    check "query refuses: $sql" sh -c "! '$HP' --db '$DB' query \"$sql\" 2>'$T/e' && grep -q refused '$T/e'"
done
check "query prints CSV" sh -c "'$HP' --db '$DB' query --csv 'select task, threads from runs limit 1' | head -1 | grep -qx 'task,threads'"
check "query prints JSON" sh -c "'$HP' --db '$DB' query --json 'select 1 as one' | grep -q '\"one\": 1'"
check "query on a missing store says so" sh -c "! '$HP' --db '$T/none.db' query 'select 1' 2>'$T/e' && grep -q 'no store' '$T/e'"

# Bad configuration: the key and the file are named.
echo '{"sweep": {"repeat": 3}}' > "$T/bad1.json"
check "an unknown key is named with its file" sh -c \
    "! '$HP' -c '$T/bad1.json' --db '$DB' sweep 2>'$T/e' && grep -q \"bad1.json: unknown key 'sweep.repeat'\" '$T/e'"
echo '{"hosts": [{"name": "a", "transport": "carrier-pigeon"}]}' > "$T/bad2.json"
check "an unknown transport is refused" sh -c \
    "! '$HP' -c '$T/bad2.json' sweep 2>'$T/e' && grep -q 'hosts\[0\].transport' '$T/e'"
echo '{"sweep": {"engines": ["c-turbo"]}}' > "$T/bad3.json"
check "an unknown engine is refused" sh -c "! '$HP' -c '$T/bad3.json' --db '$DB' sweep 2>'$T/e' && grep -q c-turbo '$T/e'"
echo '{"sweep": {"threads": [0]}}' > "$T/bad4.json"
check "threads 0 is refused" sh -c "! '$HP' -c '$T/bad4.json' --db '$DB' sweep 2>'$T/e' && grep -q 'sweep.threads' '$T/e'"
echo '{"sweep": ' > "$T/bad5.json"
check "malformed JSON names file and line" sh -c "! '$HP' -c '$T/bad5.json' --db '$DB' sweep 2>'$T/e' && grep -q 'bad5.json:[0-9]*:' '$T/e'"
check "configs/lab.json is a valid configuration" sh -c \
    "'$HP' -c '$ROOT/configs/lab.json' --db '$T/lab.db' sweep --hosts nosuchhost 2>&1 | grep -q \"no host named 'nosuchhost'\""
check "bad override is a usage error" sh -c "'$HP' --db '$DB' sweep --repeats x 2>/dev/null; test \$? -eq 2"
check "unknown command is a usage error" sh -c "'$HP' frobnicate 2>/dev/null; test \$? -eq 2"
check "hotpath --help lists the commands" sh -c "'$HP' --help | grep -q 'resume'"
check "hotpath sweep --help shows the overrides" sh -c "'$HP' sweep --help | grep -q -- '--repeats'"

# Engines that misbehave are recorded as such; the sweep goes on.
cat > "$T/fakes.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1], "timeout_s": 2,
   "tasks": ["groupby"],
   "engines": ["c-scalar", "crash", "hang", "garbage", "wrong", "cannot", "noisy"],
   "extra_engines": [
     {"name": "crash", "argv": ["$E", "crash"], "tasks": ["groupby"]},
     {"name": "hang", "argv": ["$E", "hang"], "tasks": ["groupby"]},
     {"name": "garbage", "argv": ["$E", "garbage"], "tasks": ["groupby"]},
     {"name": "wrong", "argv": ["$E", "wrong"], "tasks": ["groupby"]},
     {"name": "cannot", "argv": ["$E", "cannot"], "tasks": ["groupby"]},
     {"name": "noisy", "argv": ["$E", "noisy"], "tasks": ["groupby"]}]},
 "hosts": [{"name": "local", "transport": "local"}]}
JSON
DB2="$T/fakes.db"
"$HP" -q -c "$T/fakes.json" --db "$DB2" sweep
st() { sqlite3 "$DB2" "select status from runs where engine = '$1'"; }
check "a crashing engine is failed" test "$(st crash)" = failed
check "a crash names the signal" sh -c "sqlite3 '$DB2' \"select error from runs where engine = 'crash'\" | grep -q 'signal 11'"
check "a hanging engine is timeout" test "$(st hang)" = timeout
check "a garbage-printing engine is failed" test "$(st garbage)" = failed
check "a wrong result is invalid" test "$(st wrong)" = invalid
check "an invalid run says what differs" sh -c "sqlite3 '$DB2' \"select error from runs where engine = 'wrong'\" | grep -q 'rows: expected 20000, got 19999'"
check "exit 3 is skipped, with the engine's reason" sh -c \
    "test \"\$(sqlite3 '$DB2' \"select status || ': ' || error from runs where engine = 'cannot'\")\" = 'skipped: fake-cannot: needs a module this host lacks'"
check "50 MB on an engine's stderr does not stall it" test "$(st noisy)" = ok
check "the good engine still ran" test "$(st c-scalar)" = ok
check "invalid runs are never in the medians" test "$(sqlite3 "$DB2" "select count(*) from v_medians where engine in ('wrong','crash','hang','garbage','cannot')")" = 0
check "v_problems lists every run without a valid timing" test "$(sqlite3 "$DB2" 'select count(*) from v_problems')" = 5
check "the hung engine's process group is gone" sh -c "! pgrep -f 'fake[.]sh hang' >/dev/null"

# An agent that breaks the protocol fails its host, keeping what came before.
cat > "$T/agent.sh" <<AGENT
#!/bin/sh
sw=\$(sed -n 's/.*"sweep": *"\([0-9a-f-]*\)".*/\1/p')
echo "{\"type\": \"hello\", \"version\": \"x\", \"sweep\": \"\$sw\", \"seq\": 0}"
echo "{\"type\": \"run\", \"sweep\": \"\$sw\", \"task\": \"groupby\", \"engine\": \"c-scalar\", \"threads\": 1, \"repeat\": 0, \"warmup\": false, \"status\": \"ok\", \"total_s\": 0.5, \"seq\": 1}"
case "\$FAKE_AGENT" in
  garbage) echo 'not json at all' ;;
  huge) head -c 1100000 /dev/zero | tr '\0' ' '; echo ;;
  missing) echo '{"type": "run", "task": "groupby", "seq": 2}' ;;
  unknown) echo '{"type": "gossip", "seq": 2}' ;;
  dies) exit 9 ;;
esac
echo "{\"type\": \"run\", \"sweep\": \"\$sw\", \"task\": \"groupby\", \"engine\": \"c-scalar\", \"threads\": 1, \"repeat\": 1, \"warmup\": false, \"status\": \"ok\", \"total_s\": 0.5, \"seq\": 3}"
echo '{"type": "done", "ok": true, "seq": 4}'
AGENT
chmod +x "$T/agent.sh"
for mode in garbage huge missing unknown; do
    rm -f "$T/p.db"*
    HOTPATH_AGENT="$T/agent.sh" FAKE_AGENT=$mode "$HP" -q -c "$T/cfg.json" --db "$T/p.db" sweep 2>"$T/e"
    rc=$?
    check "protocol '$mode': exit 3, host failed naming line 3" sh -c \
        "test $rc -eq 3 && grep -q 'line 3' '$T/e' && test \"\$(sqlite3 '$T/p.db' 'select status from sweep_hosts')\" = failed"
    check "protocol '$mode': the record before it is kept, none after" \
        test "$(sqlite3 "$T/p.db" 'select group_concat(repeat) from runs')" = 0
done
rm -f "$T/p.db"*
HOTPATH_AGENT="$T/agent.sh" FAKE_AGENT=dies "$HP" -q -c "$T/cfg.json" --db "$T/p.db" sweep 2>"$T/e"
check "an agent that dies fails its host with its exit status" sh -c "grep -q 'status 9' '$T/e'"

# SIGKILL of the controller mid-sweep, then resume.
cat > "$T/slow.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 4, "warmups": 0, "threads": [1, 2],
   "tasks": ["groupby", "join"], "engines": ["slow"],
   "extra_engines": [{"name": "slow", "argv": ["$E", "slow"], "tasks": ["groupby", "join"]}]},
 "hosts": [{"name": "local", "transport": "local"}]}
JSON
DB3="$T/kill.db"
"$HP" -q -c "$T/slow.json" --db "$DB3" sweep &
pid=$!
i=0
while [ "$(sqlite3 "$DB3" 'select count(*) from runs' 2>/dev/null || echo 0)" -lt 3 ] && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1)); done
kill -9 $pid
wait $pid 2>/dev/null
sleep 1   # the agent notices and stops after journaling its current run
before=$(sqlite3 "$DB3" 'select count(*) from runs')
check "records committed before SIGKILL are kept ($before)" test "$before" -ge 3
check "the store passes integrity_check after SIGKILL" test "$(sqlite3 "$DB3" 'pragma integrity_check')" = ok
check "the killed sweep is not complete" test "$(sqlite3 "$DB3" 'select status from sweeps')" = running
check "resume completes the sweep" "$HP" -q --db "$DB3" resume
check "after resume every planned run is there once" \
    test "$(sqlite3 "$DB3" "select count(*) || '/' || count(distinct task || engine || threads || repeat) from runs")" = 16/16
check "the resumed sweep is complete" test "$(sqlite3 "$DB3" 'select status from sweeps')" = complete
journal=$(ls "$HOTPATH_HOME"/journal/*.jsonl | head -1)
check "nothing ran twice: the journal holds each run once" \
    test "$(grep -c '"type":"run"' "$(ls -t "$HOTPATH_HOME"/journal/*.jsonl | head -1)")" = 16
check "resume of a complete sweep runs nothing" sh -c "'$HP' -q --db '$DB3' resume && test \$(sqlite3 '$DB3' 'select count(*) from runs') = 16"

check "hosts probes the local host" sh -c "'$HP' hosts | grep -q '^local .* ok'"
check "hosts --json carries the probe" sh -c "'$HP' --json hosts | grep -q logical_cores"
