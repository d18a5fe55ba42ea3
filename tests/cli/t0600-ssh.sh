#!/bin/sh
# Multi-host sweeps over real SSH: five hosts in network namespaces, each
# with its own sshd, plus a bastion-only host and a loopback sshd for root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_require "the SSH lab tests"
trap 'lab_down; rm -rf "$T"' EXIT
HP="$BIN/hotpath"
lab_up 4
lab_host_behind 5 4
SLOW='{"name": "slow", "argv": ["sh", "-c", "sleep 0.25; exec \"$0\" \"$@\"", "{bin}/c-scalar"], "tasks": ["groupby", "join"]}'

hosts_json() {
    printf '['
    sep=""
    for i in "$@"; do
        extra=""
        [ "$i" = 5 ] && extra=', "jump": "h4"'
        printf '%s%s' "$sep" "$(lab_host_json "$i" "$extra" | sed 's/"address": "198.18.0.15"/"address": "198.19.0.2"/')"
        sep=", "
    done
    printf ']'
}

# 1. Five hosts at once, h5 through the bastion h4.
cat > "$T/lab.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 2, "warmups": 1, "threads": [1, 2],
           "tasks": ["groupby", "sessionize"], "engines": ["c-scalar", "c-threads"]},
 "hosts": $(hosts_json 1 2 3 4 5)}
JSON
start=$(date +%s.%N)
lab_ctl "$HP" -c "$T/lab.json" --db "$T/l.db" sweep 2>"$T/e1"
rc=$?
took=$(awk -v a="$start" -v b="$(date +%s.%N)" "BEGIN {printf \"%.1f\", b - a}")
check "a five-host tiny sweep completes (${took} s)" test $rc -eq 0
q() { sqlite3 "$T/l.db" "$1"; }
check "every host stored its runs" test "$(q "select count(distinct host_id) || '/' || count(*) from runs where status = 'ok'")" = 5/120
check "one host snapshot per host" test "$(q 'select count(*) from host_snapshots')" = 5
check "every host proved the same data" test "$(q 'select count(distinct files_sha) || count(*) from datasets')" = 15
check "the bundle was pushed once per host" test "$(grep -c 'pushed bundle' "$T/e1")" = 5
check "the host behind the bastion ran" test "$(q "select count(*) from runs r join hosts h on h.id = r.host_id where h.name = 'h5'")" = 24
check "new host keys were accepted (accept-new)" test "$(wc -l < "$LAB/known_hosts")" = 5
lab_ctl "$HP" -c "$T/lab.json" --db "$T/l.db" sweep --tasks groupby --repeats 1 2>"$T/e2"
check "a second sweep pushes nothing" sh -c "test $? -eq 0 && ! grep -q 'pushed bundle' '$T/e2'"
check "hosts shows every host" sh -c "lab_ctl() { ip netns exec $CTL \"\$@\"; }; lab_ctl '$HP' -c '$T/lab.json' hosts | grep -c ' ok ' | grep -qx 5"

# Wait until host $2 has stored a run in store $1 (it is streaming runs, not
# still being pushed its bundle), at most 30 s.
host_running() {
    i=0
    while [ "$(sqlite3 "$1" "select count(*) from runs r join hosts h on h.id = r.host_id where h.name = '$2'" 2>/dev/null || echo 0)" -lt 1 ] && [ $i -lt 300 ]; do
        sleep 0.1; i=$((i + 1)); done
}

# 2. A host whose sshd dies mid-sweep: the others finish; resume completes it.
cat > "$T/kill.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 4, "warmups": 0, "threads": [1],
           "tasks": ["groupby", "join"], "engines": ["slow"], "extra_engines": [$SLOW]},
 "hosts": $(hosts_json 1 2 3 4)}
JSON
lab_ctl "$HP" -c "$T/kill.json" --db "$T/k.db" sweep 2>"$T/e3" &
pid=$!
host_running "$T/k.db" h3
lab_sshd_kill_all 3
wait $pid
rc=$?
check "a dead sshd loses its host only (exit 3), stored lost" sh -c "test $rc -eq 3 &&
    test \"\$(sqlite3 '$T/k.db' \"select group_concat(status) from (select sh.status from sweep_hosts sh join hosts h on h.id = sh.host_id order by h.name)\")\" = done,done,lost,done"
sqlite3 "$T/k.db" "select error from sweep_hosts where status = 'lost'" > "$T/lost"
check "the lost host's error is stored, once and whole" sh -c "grep -q h3 '$T/lost' &&
    test \$(grep -o 'lost' '$T/lost' | wc -l) -eq 1 &&
    grep -Eq '^h3: lost: no connection for [0-9]+ s \\((h3: [^()]*|unreachable)\\)\$' '$T/lost'"
lab_sshd_start 3
check "resume after the restart completes the sweep" lab_ctl "$HP" --db "$T/k.db" resume
check "no run is stored twice, none is missing" test "$(sqlite3 "$T/k.db" "select count(*) || '/' || count(distinct host_id || task || engine || threads || repeat) from runs")" = 32/32
check "the resumed sweep is complete" test "$(sqlite3 "$T/k.db" 'select status from sweeps')" = complete

# 3. Link cuts: longer than the watchdog loses the host, shorter does not.
# Each cut comes once h2 is streaming runs.
cat > "$T/cut.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 6, "warmups": 0, "threads": [1],
           "tasks": ["groupby", "join"], "engines": ["slow"], "extra_engines": [$SLOW]},
 "hosts": $(hosts_json 1 2)}
JSON
lab_ctl "$HP" -c "$T/cut.json" --db "$T/c1.db" sweep 2>"$T/e4" &
pid=$!
host_running "$T/c1.db" h2
lab_link 2 down
s0=$(date +%s)
wait $pid
rc=$?
s1=$(date +%s)
lab_link 2 up
check "a cut longer than the watchdog: host lost, no hang ($((s1 - s0)) s)" sh -c "test $rc -eq 3 && test $((s1 - s0)) -lt 30 && grep -q 'h2: .*lost' '$T/e4'"
check "the other host completed" test "$(sqlite3 "$T/c1.db" "select count(*) from runs r join hosts h on h.id = r.host_id where h.name = 'h1'")" = 12
lab_ctl "$HP" -c "$T/cut.json" --db "$T/c2.db" sweep 2>"$T/e5" &
pid=$!
host_running "$T/c2.db" h2
lab_link 2 down
sleep 2
lab_link 2 up
wait $pid
check "a cut shorter than the watchdog: the sweep completes" test $? -eq 0

# 4. Host keys.
cp "$LAB/known_hosts" "$T/kh.saved"
ssh-keygen -q -t ed25519 -N '' -f "$T/newkey"
cp "$T/newkey" "$LAB/h1/host_key"
cp "$T/newkey.pub" "$LAB/h1/host_key.pub"
lab_sshd_kill_all 1
lab_sshd_start 1
fp=$(ssh-keygen -l -E sha256 -f "$T/newkey.pub" | awk '{print $2}')
lab_ctl "$HP" -c "$T/lab.json" hosts >"$T/o6" 2>&1
check "a changed host key is refused with its fingerprint (accept-new)" sh -c "grep -q 'CHANGED' '$T/o6' && grep -qF '$fp' '$T/o6'"
sed 's/"host_key": "accept-new"/"host_key": "strict"/g' "$T/lab.json" > "$T/strict.json"
lab_ctl "$HP" -c "$T/strict.json" hosts >"$T/o7" 2>&1
check "strict refuses the changed key too" sh -c "grep '^h1 ' '$T/o7' | grep -q CHANGED"
check "strict accepts the hosts it knows" sh -c "grep -c ' ok ' '$T/o7' | grep -qx 4"
: > "$LAB/known_hosts"
lab_ctl "$HP" -c "$T/strict.json" hosts >"$T/o8" 2>&1
check "strict refuses an unknown host, showing its fingerprint" sh -c "grep '^h2 ' '$T/o8' | grep -q 'unknown host key SHA256:'"
check "strict adds nothing to known_hosts" test ! -s "$LAB/known_hosts"

# 5. Authentication failures stay with their host.
sed "s#\"identity\": \"$LAB/client_key\", \"known_hosts\": \"$LAB/known_hosts\", \"host_key\": \"accept-new\", \"lost_after_s\": 6, \"connect_timeout_s\": 3}, {\"name\": \"h3\"#\"identity\": \"$LAB/other_key\", \"known_hosts\": \"$LAB/known_hosts\", \"host_key\": \"accept-new\", \"lost_after_s\": 6, \"connect_timeout_s\": 3}, {\"name\": \"h3\"#" "$T/lab.json" > "$T/wrongkey.json"
lab_ctl "$HP" -c "$T/wrongkey.json" hosts >"$T/o9" 2>&1
check "a wrong key: a clear authentication error for that host only" sh -c \
    "grep '^h2 ' '$T/o9' | grep -q 'authentication as .* failed' && grep -c ' ok ' '$T/o9' | grep -qx 4"
sed 's#"identity": "[^"]*", ##' "$T/lab.json" > "$T/nokey.json"
lab_ctl "$HP" -c "$T/nokey.json" --hosts h1 hosts >"$T/o10" 2>&1 || true
lab_ctl "$HP" -c "$T/nokey.json" hosts >"$T/o10" 2>&1
check "no agent and no key: says what it tried" grep -q 'no ssh-agent and no "identity"' "$T/o10"

# 6. exec_prefix, and names and paths with spaces and quotes.
u1=$(lab_user 1)
cat > "$LAB/h1/home/wrap.sh" <<'WRAP'
#!/bin/sh
# A wrapper like `wsl.exe -d DISTRO --`: logs its argv, writes 50 MB to
# stderr, then runs the command.
for a in "$@"; do printf '[%s]' "$a"; done >> "$HOME/wrap.log"
echo >> "$HOME/wrap.log"
head -c 52428800 /dev/zero | tr '\0' 'e' >&2
exec "$@"
WRAP
chmod 755 "$LAB/h1/home/wrap.sh"
chown "$u1" "$LAB/h1/home/wrap.sh"
WD="$LAB/h1/home/work dir 'q' \"dq\" \$(x)"
cat > "$T/odd.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1],
           "tasks": ["groupby"], "engines": ["c-scalar"]},
 "hosts": [$(lab_host_json 1 ", \"exec_prefix\": \"$LAB/h1/home/wrap.sh\", \"workdir\": $(printf '%s' "$WD" | "$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" | sed "s/\"name\": \"h1\"/\"name\": \"h \\\\\"1\\\\\" 's \$(true)\"/")]}
JSON
: > "$LAB/known_hosts"
timeout 120 ip netns exec $CTL "$HP" -c "$T/odd.json" --db "$T/odd.db" sweep 2>"$T/e11"
check "a host name and a workdir with spaces and quotes work" sh -c "test $? -eq 0 && test -d \"\$1/journal\"" sh "$WD"
check "exec_prefix wraps every remote command, each argument intact" "$PY" -c '
import sys
wd, log = sys.argv[1], open(sys.argv[2]).read().splitlines()
runs = [l for l in log if l.startswith("[env][HOTPATH_HOME=%s][%s/bundles/" % (wd, wd))
        and "/bin/hotpath-agent][run][--plan][" in l]
assert runs and all(l.startswith("[") for l in log), log[:3]' "$WD" "$LAB/h1/home/wrap.log"
check "50 MB on the wrapper's stderr does not stall the transport" test "$(sqlite3 "$T/odd.db" "select count(*) from runs where status = 'ok'")" = 1
check "the odd host name is stored as it is" test "$(sqlite3 "$T/odd.db" 'select name from hosts')" = "h \"1\" 's \$(true)"

# 8. Hosts as the user's ssh knows them: addresses that are Host aliases of
#    an ssh configuration (HOTPATH_SSH_CONFIG stands for ~/.ssh/config).
cat > "$T/ssh_config" <<CFG
Host lab-one
    HostName $(lab_ip 1)
    User $(lab_user 1)
    IdentityFile $LAB/client_key
Host lab-three
    HostName $(lab_ip 3)
    User nobody-here
    Port 2222
    IdentityFile $LAB/client_key
Host lab-four
    HostName $(lab_ip 4)
    User $(lab_user 4)
    IdentityFile $LAB/client_key
Host lab-five
    HostName 198.19.0.2
    User $(lab_user 5)
    IdentityFile $LAB/client_key
    ProxyJump lab-four
CFG
cat > "$T/alias.json" <<JSON
{"hosts": [
  {"name": "one", "transport": "ssh", "address": "lab-one", "known_hosts": "$LAB/known_hosts", "host_key": "accept-new"},
  {"name": "three", "transport": "ssh", "address": "lab-three", "user": "$(lab_user 3)", "port": 22, "known_hosts": "$LAB/known_hosts", "host_key": "accept-new"},
  {"name": "five", "transport": "ssh", "address": "lab-five", "known_hosts": "$LAB/known_hosts", "host_key": "accept-new"}]}
JSON
lab_ctl env HOTPATH_SSH_CONFIG="$T/ssh_config" "$HP" -c "$T/alias.json" hosts >"$T/o12" 2>&1
check "aliases of the ssh configuration reach their hosts (HostName, User, IdentityFile, ProxyJump)" \
    sh -c "grep -c ' ok ' '$T/o12' | grep -qx 3"
check "hotpath's own user and port win over the ssh configuration's" sh -c \
    "grep '^three ' '$T/o12' | grep -q ' ok ' && grep -q \"three: .*user $(lab_user 3) (hotpath config; ssh config says nobody-here)\" '$T/o12' &&
     grep -q 'three: .*port 22 (hotpath config; ssh config says 2222)' '$T/o12'"
check "hosts shows what was resolved from where" sh -c \
    "grep -q \"one: 'lab-one' resolved by ssh -G from $T/ssh_config: HostName $(lab_ip 1) (ssh config), User $(lab_user 1) (ssh config), IdentityFile $LAB/client_key (ssh config)\" '$T/o12' &&
     grep -q 'five: .*ProxyJump lab-four (ssh config)' '$T/o12'"
lab_ctl env HOTPATH_SSH_CONFIG="$T/ssh_config" "$HP" --json -c "$T/alias.json" hosts >"$T/o13" 2>&1
check "hosts --json carries the resolution" "$PY" -c '
import json, sys
rows = {r["host"]: r for r in json.load(open(sys.argv[1]))}
assert rows["one"]["ssh_config"]["hostname"] == {"value": sys.argv[2], "from": "ssh"}, rows["one"]
assert rows["three"]["ssh_config"]["user"]["from"] == "hotpath"' "$T/o13" "$(lab_ip 1)"
# 7. The same binary against localhost over real SSH, as root, on a
#    throwaway sshd on a loopback port.
port=$((20000 + $$ % 20000))
mkdir -p "$T/lo"
ssh-keygen -q -t ed25519 -N '' -f "$T/lo/host_key"
cp "$LAB/client_key.pub" "$T/lo/root_authorized_keys"
{
    printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\n' "$port" "$T/lo/host_key"
    sshd_root_conf "$T/lo/sshd.pid" "$T/lo/root_authorized_keys"
} > "$T/lo/sshd_config"
/usr/sbin/sshd -f "$T/lo/sshd_config" -E "$T/lo/sshd.log"
cat > "$T/lo.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1],
           "tasks": ["join"], "engines": ["c-threads"]},
 "hosts": [{"name": "loopback", "transport": "ssh", "address": "127.0.0.1", "port": $port,
            "user": "root", "identity": "$LAB/client_key", "known_hosts": "$T/lo/known_hosts",
            "host_key": "accept-new", "workdir": "$T/lo/work"}]}
JSON
env -u SSH_AUTH_SOCK "$HP" -q -c "$T/lo.json" --db "$T/lo.db" sweep
check "a sweep against localhost over real SSH (root, loopback sshd)" sh -c "test $? -eq 0 && test \"\$(sqlite3 '$T/lo.db' \"select status from runs\")\" = ok"
kill "$(cat "$T/lo/sshd.pid")" 2>/dev/null
