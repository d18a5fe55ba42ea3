#!/bin/sh
# Host keys as OpenSSH handles them: the key type asked for is one that
# known_hosts holds for the host, so a host reached once with ssh is
# accepted under "strict"; a key of a new type where another type is known
# is a changed key. Two throwaway sshd on loopback ports, as root.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ]; then
    skip "host key tests: need root and openssh-server"
    exit 0
fi
HP="$BIN/hotpath"
K=$T/k
mkdir -p "$K" /run/sshd
port=$((20000 + ($$ + 7919) % 20000))
port2=$((port + 1))
for t in ed25519 ecdsa rsa; do
    ssh-keygen -q -t $t -N '' -f "$K/host_$t" -C ''
done
ssh-keygen -q -t ed25519 -N '' -f "$K/client" -C hotpath-test
cp "$K/client.pub" "$K/authorized_keys"
sshd_conf() {   # PORT KEYS...
    p=$1
    shift
    {
        echo "Port $p"
        echo "ListenAddress 127.0.0.1"
        for k in "$@"; do echo "HostKey $K/host_$k"; done
        # libssh2 1.10 signs RSA host keys with SHA-1 only, which OpenSSH
        # servers no longer offer unless told to.
        echo "HostKeyAlgorithms +ssh-rsa"
        sshd_root_conf "$K/sshd-$p.pid" "$K/authorized_keys"
    } > "$K/sshd-$p.conf"
    /usr/sbin/sshd -f "$K/sshd-$p.conf" -E "$K/sshd-$p.log"
}
# One server offers all three types; the other only ECDSA.
sshd_conf $port ed25519 ecdsa rsa
sshd_conf $port2 ecdsa
trap 'kill $(cat "$K"/sshd-*.pid 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT

conf() {    # PORT POLICY
    cat > "$T/c.json" <<JSON
{"hosts": [{"name": "k", "transport": "ssh", "address": "127.0.0.1", "port": $1,
            "user": "root", "identity": "$K/client", "known_hosts": "$K/known_hosts",
            "host_key": "$2", "connect_timeout_s": 5, "workdir": "$T/work"}]}
JSON
}
known() {   # PORT TYPE: the line plain ssh writes for that key
    printf '[127.0.0.1]:%s %s\n' "$1" "$(cut -d' ' -f1,2 "$K/host_$2.pub")"
}
hosts() { env -u SSH_AUTH_SOCK "$HP" -c "$T/c.json" hosts >"$T/h.out" 2>&1; }

conf $port strict
for t in ed25519 ecdsa rsa; do
    known $port $t > "$K/known_hosts"
    hosts
    check "strict: known_hosts holding only the $t key is enough" grep -q '^k .* ok ' "$T/h.out"
done
known $port ed25519 > "$K/known_hosts"
ssh-keygen -q -H -f "$K/known_hosts" >/dev/null 2>&1
rm -f "$K/known_hosts.old"
hosts
check "strict: a hashed host name is found" sh -c "grep -q '^|1|' '$K/known_hosts' && grep -q '^k .* ok ' '$T/h.out'"

# A host known by its ed25519 key now offers only an ECDSA key.
known $port2 ed25519 > "$K/known_hosts"
cp "$K/known_hosts" "$T/kh.before"
conf $port2 strict
hosts
check "strict: a key of a new type for a known host is CHANGED, not unknown" sh -c \
    "grep '^k ' '$T/h.out' | grep -q 'CHANGED' && ! grep -q 'unknown host key' '$T/h.out'"
check "the message names both key types" sh -c "grep -q 'ecdsa-sha2-nistp256' '$T/h.out' && grep -q 'ssh-ed25519' '$T/h.out'"
conf $port2 accept-new
hosts
check "accept-new: a key of a new type for a known host is refused as CHANGED" sh -c \
    "grep '^k ' '$T/h.out' | grep -q 'CHANGED'"
check "accept-new adds no key of a new type" cmp -s "$K/known_hosts" "$T/kh.before"
ssh-keygen -q -H -f "$K/known_hosts" >/dev/null 2>&1
hosts
check "accept-new: the same with a hashed host name" sh -c "grep '^k ' '$T/h.out' | grep -q 'CHANGED'"
: > "$K/known_hosts"
hosts
check "accept-new: a host with no known key is added" sh -c \
    "grep -q '^k .* ok ' '$T/h.out' && grep -q 'ecdsa-sha2-nistp256' '$K/known_hosts'"
