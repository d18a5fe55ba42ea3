#!/bin/sh
# resume while a sweep's agent still runs, or while its controller is still
# live; resume over SSH after the controller was killed: nothing measured is
# run again, and a live host is never marked failed.
. "$(dirname "$0")/lib.sh"

HP="$BIN/hotpath"
E="$ROOT/tests/cli/engines/fake.sh"
export HOTPATH_HOME="$T/home"

cat > "$T/slow.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 3, "warmups": 0, "threads": [1],
   "tasks": ["groupby", "join"], "engines": ["slow"],
   "extra_engines": [{"name": "slow", "argv": ["$E", "slow"], "tasks": ["groupby", "join"]}]},
 "hosts": [{"name": "local", "transport": "local"}]}
JSON
runs() { sqlite3 "$1" 'select count(*) from runs' 2>/dev/null || echo 0; }
wait_runs() {
    i=0
    while [ "$(runs "$1")" -lt "$2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}
journal_runs() { grep -c '"type":"run"' "$(ls -t "$1"/journal/*.jsonl | head -1)"; }
once() { sqlite3 "$1" "select count(*) || '/' || count(distinct host_id || task || engine || threads || repeat) from runs"; }

# 1. Resume right after a SIGKILL of the controller: its agent is still busy
#    with a run. The new agent takes over once it has gone.
DB="$T/k.db"
FAKE_SLEEP=0.6 "$HP" -q -c "$T/slow.json" --db "$DB" sweep &
pid=$!
wait_runs "$DB" 2
kill -9 $pid
wait $pid 2>/dev/null
FAKE_SLEEP=0.6 "$HP" -q --db "$DB" resume 2>"$T/e1"
rc=$?
check "resume while the killed sweep's agent still runs completes (exit $rc)" test $rc -eq 0
check "the host is done, never failed" test "$(sqlite3 "$DB" 'select status from sweep_hosts')" = done
check "every planned run stored once after the take-over" test "$(once "$DB")" = 6/6
check "nothing was measured twice (journal)" test "$(journal_runs "$HOTPATH_HOME")" = 6

# 2. Resume while the sweep's own controller is still live: it follows the
#    running agent; both end complete.
DB="$T/l.db"
FAKE_SLEEP=0.4 "$HP" -q -c "$T/slow.json" --db "$DB" sweep 2>"$T/e2" &
pid=$!
wait_runs "$DB" 1
FAKE_SLEEP=0.4 "$HP" -q --db "$DB" resume 2>"$T/e3"
rc=$?
wait $pid
rc0=$?
check "resume during a live sweep exits 0 (exit $rc)" test $rc -eq 0
check "the live sweep still completes (exit $rc0)" test $rc0 -eq 0
check "the live host was never marked failed" sh -c \
    "! grep -q 'error: host' '$T/e3' && test \"\$(sqlite3 '$DB' 'select status from sweep_hosts')\" = done"
check "every run stored once with two controllers" test "$(once "$DB")" = 6/6
check "nothing was measured twice with two controllers" test "$(journal_runs "$HOTPATH_HOME")" = 6

# 3. Over SSH (a throwaway sshd on loopback, as root): SIGKILL of the
#    controller, the detached agent finishes alone, resume stores what it
#    measured and runs nothing again.
if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null; then
    skip "resume over SSH: needs root and openssh-server"
    exit 0
fi
port=$((20000 + ($$ + 7919) % 20000))
mkdir -p "$T/lo" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/lo/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/lo/client_key"
cp "$T/lo/client_key.pub" "$T/lo/authorized_keys"
{
    printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\n' "$port" "$T/lo/host_key"
    sshd_root_conf "$T/lo/sshd.pid" "$T/lo/authorized_keys"
} > "$T/lo/sshd_config"
/usr/sbin/sshd -f "$T/lo/sshd_config" -E "$T/lo/sshd.log"
trap 'kill "$(cat "$T/lo/sshd.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$T"' EXIT
cat > "$T/ssh.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 3, "warmups": 0, "threads": [1],
   "tasks": ["groupby", "join"], "engines": ["slow"],
   "extra_engines": [{"name": "slow", "argv": ["sh", "-c", "sleep 0.3; exec \"\$0\" \"\$@\"", "{bin}/c-scalar"], "tasks": ["groupby", "join"]}]},
 "hosts": [{"name": "lo", "transport": "ssh", "address": "127.0.0.1", "port": $port,
            "user": "root", "identity": "$T/lo/client_key", "known_hosts": "$T/lo/known_hosts",
            "host_key": "accept-new", "workdir": "$T/lo/work"}]}
JSON
DB="$T/s.db"
env -u SSH_AUTH_SOCK "$HP" -q -c "$T/ssh.json" --db "$DB" sweep 2>"$T/e4" &
pid=$!
wait_runs "$DB" 2
kill -9 $pid
wait $pid 2>/dev/null
stored=$(runs "$DB")
i=0
while ! grep -q '"type":"done"' "$T/lo/work"/journal/*.jsonl 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.1; i=$((i + 1)); done
env -u SSH_AUTH_SOCK "$HP" -q --db "$DB" resume 2>"$T/e5"
rc=$?
check "resume over SSH after SIGKILL completes (exit $rc, $stored stored before)" test $rc -eq 0
check "over SSH every planned run is stored once" test "$(once "$DB")" = 6/6
check "over SSH nothing measured is run again (journal)" test "$(journal_runs "$T/lo/work")" = 6
