#!/bin/sh
# A host of another target that has cargo builds the Rust engines itself,
# offline, from the crates vendored on the controller and pushed with the
# bundle. The stand-in: a lab host (no route out of its namespace) whose
# `uname -s -m` says another kind of machine, reached as root so it has this
# machine's Rust toolchain.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_require "the host-build lab tests"
cargo_bin=$(command -v cargo)
if [ -z "$cargo_bin" ]; then
    skip "Rust engines built on a host with cargo: no cargo on this machine"
    exit 0
fi
trap 'kill "$(cat "$T/r/sshd.pid" 2>/dev/null)" 2>/dev/null; lab_down; rm -rf "$T"' EXIT
HP="$BIN/hotpath"
lab_up 1
mkdir -p "$T/r/fakebin"
cat > "$T/r/fakebin/uname" <<'SH'
#!/bin/sh
# Another kind of machine, as the controller asks it (the build itself
# sees the real one).
if [ "$*" = "-s -m" ]; then echo "Linux x86_64-lab"; else exec /bin/uname "$@"; fi
SH
chmod 755 "$T/r/fakebin/uname"
cp "$LAB/client_key.pub" "$T/r/authorized_keys"
sed -e "s#^HostKey .*#HostKey $LAB/h1/host_key#" -e "s#^PidFile .*#PidFile $T/r/sshd.pid#" \
    -e "s#^AuthorizedKeysFile .*#AuthorizedKeysFile $T/r/authorized_keys#" \
    -e 's/^Port 22/Port 2222/' -e 's/^PermitRootLogin no/PermitRootLogin prohibit-password/' \
    -e 's/^AllowUsers .*/AllowUsers root/' "$LAB/h1/sshd_config" > "$T/r/sshd_config"
ip netns exec hph$LAB_ID-1 /usr/sbin/sshd -f "$T/r/sshd_config" -E "$T/r/sshd.log"
WD="$T/r/work dir"
PATHS="$T/r/fakebin:$(dirname "$cargo_bin"):/usr/local/bin:/usr/bin:/bin"
cat > "$T/rb.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1],
           "tasks": ["numeric", "groupby"], "engines": ["c-scalar", "rust-scalar", "rust-native"]},
 "hosts": [{"name": "other", "transport": "ssh", "address": "$(lab_ip 1)", "port": 2222,
            "user": "root", "identity": "$LAB/client_key", "known_hosts": "$LAB/known_hosts",
            "host_key": "accept-new", "workdir": "$WD", "exec_prefix": "env PATH=$PATHS",
            "lost_after_s": 120, "connect_timeout_s": 10}]}
JSON
lab_ctl "$HP" -c "$T/rb.json" --db "$T/r.db" sweep 2>"$T/e1"
rc=$?
check "a host of another target builds everything itself and sweeps" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/    /' "$T/e1" | tail -n 8
q() { sqlite3 "$T/r.db" "$1"; }
check "its Rust engines ran, built there (ok, validated)" \
    test "$(q "select count(*) from runs where engine like 'rust-%' and status = 'ok'")" = 2
check "it was told it built the Rust engines" grep -q 'other: built the payload and the Rust engines' "$T/e1"
b=""
for x in "$WD"/bundles/*; do case ${x##*/} in *.*) ;; *) b=$x ;; esac; done
check "the bundle carried the vendored crates and no binaries" sh -c \
    "grep -q '  vendor/rust-crates.tar.gz\$' '$b/MANIFEST' && ! grep -q '  bin/' '$b/MANIFEST' &&
     grep -q '# hotpath bundle for Linux x86_64-lab' '$b/MANIFEST'"
check "what the host built is sealed, Rust engines included" sh -c \
    "grep -q '  bin/rust-native\$' '$b/MANIFEST.built' && grep -q '  bin/c-threads\$' '$b/MANIFEST.built'"
check "the crates were built from the vendored copy, offline" sh -c \
    "grep -q 'offline = true' '$b/.cargo/config.toml' && test -d '$b/vendor/rust'"
lab_ctl "$HP" -c "$T/rb.json" --db "$T/r.db" sweep --engines c-scalar 2>"$T/e2"
check "the next sweep pushes and builds nothing" sh -c \
    "test $? -eq 0 && ! grep -qE 'pushed bundle|building the payload' '$T/e2'"
