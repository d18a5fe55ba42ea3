#!/bin/sh
# A host of another architecture in the SSH lab: an arm64 Debian root run
# through qemu-user (binfmt_misc), its sshd in its own network namespace,
# next to four x86-64 hosts. The arm64 host gets the sources only, builds the
# payload itself, and every run there validates; the next sweep pushes and
# builds nothing; a host that lacks the Jansson headers is told what to
# install. The root is built once per machine by scripts/arm64-root.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_require "the arm64 lab host"
why=$(lab_arm64_why)
if [ -n "$why" ]; then
    skip "the arm64 lab host: $why"
    exit 0
fi
trap 'lab_down; rm -rf "$T"' EXIT
HP="$BIN/hotpath"
lab_up 4
lab_host_arm64 5
# h6: the same arm64 root without the Jansson headers (an overlay whiteout).
mkdir -p "$LAB/h6/upper/usr/include"
mknod "$LAB/h6/upper/usr/include/jansson.h" c 0 0
lab_host_arm64 6
u2=$(lab_user 5)
# Emulated hosts are slow to answer: longer timeouts.
slow_json() { lab_host_json "$@" | sed 's/"lost_after_s": 6, "connect_timeout_s": 3/"lost_after_s": 120, "connect_timeout_s": 20/'; }
WD2="/home/$u2/hot path"
up2="$LAB/h5/upper$WD2"

cat > "$T/arm.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1, 2],
           "tasks": ["groupby", "sessionize"],
           "engines": ["c-scalar", "c-threads", "python-loop", "rust-native"]},
 "hosts": [$(lab_host_json 1), $(lab_host_json 2), $(lab_host_json 3), $(lab_host_json 4),
           $(slow_json 5 ", \"workdir\": \"$WD2\"")]}
JSON
start=$(date +%s)
lab_ctl "$HP" -c "$T/arm.json" --db "$T/a.db" sweep 2>"$T/e1"
rc=$?
check "four x86-64 hosts and an arm64 one sweep in one command ($(($(date +%s) - start)) s)" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/    /' "$T/e1" | tail -n 8
q() { sqlite3 "$T/a.db" "$1"; }
on() { q "select $1 from runs r join hosts h on h.id = r.host_id where h.name = '$2' $3"; }
check "the arm64 host reports itself as aarch64" test "$(q "select s.arch from host_snapshots s join hosts h on h.id = s.host_id where h.name = 'h5'")" = aarch64
check "every C and python-loop run on arm64 is ok (validated against the reference)" \
    test "$(on "count(*)" h5 "and engine in ('c-scalar', 'c-threads', 'python-loop') and status = 'ok'")" = 12
check "the x86-64 hosts' runs are ok too" \
    test "$(q "select count(*) from runs r join hosts h on h.id = r.host_id where h.name != 'h5' and engine in ('c-scalar', 'c-threads', 'python-loop') and status = 'ok'")" = 48
check "rust-native on the arm64 host (no cargo) is skipped, saying why" sh -c \
    "test \"\$(sqlite3 '$T/a.db' \"select distinct r.status || ': ' || r.error from runs r join hosts h on h.id = r.host_id where h.name = 'h5' and engine = 'rust-native'\")\" != '' &&
     sqlite3 '$T/a.db' \"select r.error from runs r join hosts h on h.id = r.host_id where h.name = 'h5' and engine = 'rust-native' and status = 'skipped'\" | grep -q 'no cargo'"
check "every host generated the same data" test "$(q 'select count(distinct files_sha) || count(*) from datasets')" = 15
check "the arm64 host was sent sources and built them there; the others got binaries" sh -c \
    "grep -q 'h5: pushed bundle .* for Linux aarch64' '$T/e1' && grep -q 'h5: building the payload there' '$T/e1' && grep -q 'h5: built the payload' '$T/e1' &&
     test \"\$(grep -c 'building the payload' '$T/e1')\" = 1 &&
     test \"\$(grep -c 'pushed bundle .* for Linux x86_64 ' '$T/e1')\" = 4"
bdir=""
for x in "$up2"/bundles/*; do case ${x##*/} in *.*) ;; *) bdir=$x ;; esac; done
check "its bundle is the arm64 target's: build on the host, no binaries in its MANIFEST" sh -c \
    "head -n 2 '$bdir/MANIFEST' | grep -q '^# build: host' && ! grep -q '  bin/' '$bdir/MANIFEST' && test -s '$bdir/MANIFEST.built'"
check "every binary in it is an arm64 one, none of this controller's (no x86-64 Rust either)" sh -c \
    "for f in '$bdir'/bin/*; do test \"\$(od -An -tx1 -j18 -N2 \"\$f\" | tr -d ' ')\" = b700 || exit 1; done &&
     ! ls '$bdir'/bin | grep -q rust"

# The arm64 engines against the conformance vectors, over plain ssh.
data=$(dirname "$(ls "$up2"/data/*/manifest.json | head -n 1)")
data=${data#"$LAB/h5/upper"}
sshh() {
    lab_ctl ssh -F /dev/null -i "$LAB/client_key" -o UserKnownHostsFile="$LAB/known_hosts" \
        -o StrictHostKeyChecking=no -o BatchMode=yes "$u2@$(lab_ip 5)" "$@"
}
for e in c-scalar c-threads; do
    for task in groupby sessionize; do
        sshh "'${bdir#"$LAB/h5/upper"}/bin/$e' --task $task --data '$data' --threads 2" > "$T/$e.$task" 2>"$T/err"
        check "arm64 $e $task matches conformance/tiny/$task.json" sh -c \
            "'$BIN/hotpath-agent' check --task $task --threads 2 --expected '$CONF/$task.json' < '$T/$e.$task'"
    done
done

lab_ctl "$HP" -c "$T/arm.json" --db "$T/a.db" sweep --repeats 1 --tasks groupby --engines c-scalar 2>"$T/e2"
check "a second sweep pushes nothing and builds nothing" sh -c \
    "test $? -eq 0 && ! grep -qE 'pushed bundle|building the payload' '$T/e2'"

# h6 lacks jansson.h: the sweep fails there, saying what to install; the
# next attempt builds again without pushing again.
cat > "$T/bad.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1],
           "tasks": ["groupby"], "engines": ["c-scalar"]},
 "hosts": [$(slow_json 6)]}
JSON
lab_ctl "$HP" -c "$T/bad.json" --db "$T/b.db" sweep 2>"$T/e3"
rc=$?
check "a host that cannot build fails (exit 3), naming the package to install" sh -c \
    "test $rc -eq 3 && grep -q 'h6: cannot build the payload there (Linux aarch64): .*missing jansson; install: sudo apt-get install libjansson-dev' '$T/e3'"
lab_ctl "$HP" -c "$T/bad.json" hosts >"$T/o4" 2>"$T/e4"
check "trying again builds again without pushing again" sh -c \
    "grep -q 'h6: building the payload there' '$T/e4' && ! grep -q 'pushed bundle' '$T/e4' &&
     grep '^h6 ' '$T/o4' | grep -q 'libjansson-dev'"
