# A lab of network namespaces for the SSH tests: one for the controller
# (with a bridge) and N hosts, each running its own OpenSSH sshd with its own
# host key, user and home, on addresses from 198.18.0.0/15. Sourced by the
# t06xx tests after lib.sh; lab_down runs on exit, whatever happened.

LAB_ID=$$
LAB=$T/lab
CTL=hpc$LAB_ID
LAB_HOSTS=""

lab_can_run() {
    [ "$(id -u)" = 0 ] && command -v ip >/dev/null && [ -x /usr/sbin/sshd ] &&
        ip netns add hpprobe$LAB_ID 2>/dev/null && ip netns del hpprobe$LAB_ID
}

# Ends the test unless the lab can be built: a failure in CI, where it must
# be, a counted skip naming WHAT elsewhere.
lab_require() {
    lab_can_run && return 0
    if [ "${CI:-}" = true ]; then
        notok "the SSH lab cannot be built here (needs root, iproute2 and openssh-server)"
    else
        skip "$1: this machine does not let the test create network namespaces"
    fi
    exit 0
}

lab_ip() { echo "198.18.0.$((10 + $1))"; }

lab_up() {
    mkdir -p "$LAB" /run/sshd
    chmod 755 "$T" "$LAB"
    ip netns add $CTL
    ip -n $CTL link set lo up
    ip -n $CTL link add br0 type bridge
    ip -n $CTL link set br0 up
    ip -n $CTL addr add 198.18.0.1/24 dev br0
    ssh-keygen -q -t ed25519 -N '' -f "$LAB/client_key" -C hotpath-lab
    ssh-keygen -q -t ed25519 -N '' -f "$LAB/other_key" -C not-authorized
    : > "$LAB/known_hosts"
    for i in $(seq 1 "$1"); do lab_host $i; done
}

# The host's user (no password, not locked), home, host key and the
# controller's key in its authorized_keys.
lab_account() {
    useradd -M -p '*' -d "$1/home" -s /bin/sh "$2" 2>/dev/null
    mkdir -p "$1/home"
    chown "$2" "$1/home"
    ssh-keygen -q -t ed25519 -N '' -f "$1/host_key"
    cp "$LAB/client_key.pub" "$1/authorized_keys"
}

lab_host() {
    i=$1
    ns=hph$LAB_ID-$i
    d=$LAB/h$i
    user=hplab$LAB_ID$i
    mkdir -p "$d"
    ip netns add $ns
    ip link add hpv$LAB_ID$i type veth peer name hpw$LAB_ID$i
    ip link set hpv$LAB_ID$i netns $CTL
    ip link set hpw$LAB_ID$i netns $ns
    ip -n $CTL link set hpv$LAB_ID$i master br0 up
    ip -n $ns link set lo up
    ip -n $ns link set hpw$LAB_ID$i name eth0
    ip -n $ns addr add "$(lab_ip $i)/24" dev eth0
    ip -n $ns link set eth0 up
    lab_account "$d" "$user"
    cat > "$d/sshd_config" <<CFG
Port 22
ListenAddress $(lab_ip $i)
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $user
AllowTcpForwarding yes
Subsystem sftp internal-sftp
LogLevel ERROR
ClientAliveInterval 0
CFG
    ip netns exec $ns /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
    LAB_HOSTS="$LAB_HOSTS $i"
    echo "$user" > "$d/user"
}

lab_sshd_kill() { kill "$(cat "$LAB/h$1/sshd.pid")" 2>/dev/null; }
lab_sshd_start() { ip netns exec hph$LAB_ID-$1 /usr/sbin/sshd -f "$LAB/h$1/sshd_config" -E "$LAB/h$1/sshd.log"; }
lab_link() { ip -n $CTL link set hpv$LAB_ID$1 "$2"; }
lab_user() { cat "$LAB/h$1/user"; }

# A host entry for a config.
lab_host_json() {
    i=$1
    shift
    printf '{"name": "h%s", "transport": "ssh", "address": "%s", "user": "%s", "identity": "%s", "known_hosts": "%s", "host_key": "accept-new", "lost_after_s": 6, "connect_timeout_s": 3%s}' \
        "$i" "$(lab_ip $i)" "$(lab_user $i)" "$LAB/client_key" "$LAB/known_hosts" "${1:-}"
}

lab_ctl() { ip netns exec $CTL env -u SSH_AUTH_SOCK "$@"; }

lab_down() {
    for i in ${LAB_ARM64:-}; do lab_arm64_kill "$i"; done
    for i in $LAB_HOSTS; do
        u=$(cat "$LAB/h$i/user" 2>/dev/null)
        [ -f "$LAB/h$i/sshd.pid" ] && kill "$(cat "$LAB/h$i/sshd.pid")" 2>/dev/null
        if [ -n "$u" ]; then
            pkill -KILL -u "$u" 2>/dev/null
            userdel "$u" 2>/dev/null
        fi
        ip netns del hph$LAB_ID-$i 2>/dev/null
    done
    ip netns del $CTL 2>/dev/null
}

# Host i reachable only through host j: a link between their namespaces on
# 198.19.0.0/24, none to the controller's bridge.
lab_host_behind() {
    i=$1
    j=$2
    ns=hph$LAB_ID-$i
    d=$LAB/h$i
    user=hplab$LAB_ID$i
    mkdir -p "$d/home"
    ip netns add $ns
    ip link add hpv$LAB_ID$i type veth peer name hpw$LAB_ID$i
    ip link set hpv$LAB_ID$i netns hph$LAB_ID-$j
    ip link set hpw$LAB_ID$i netns $ns
    ip -n hph$LAB_ID-$j addr add 198.19.0.1/24 dev hpv$LAB_ID$i
    ip -n hph$LAB_ID-$j link set hpv$LAB_ID$i up
    ip -n $ns link set lo up
    ip -n $ns addr add 198.19.0.2/24 dev hpw$LAB_ID$i
    ip -n $ns link set hpw$LAB_ID$i up
    lab_account "$d" "$user"
    sed -e "s/^ListenAddress .*/ListenAddress 198.19.0.2/" -e "s#$LAB/h$j/#$d/#g" \
        -e "s/^AllowUsers .*/AllowUsers $user/" "$LAB/h$j/sshd_config" > "$d/sshd_config"
    ip netns exec $ns /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
    LAB_HOSTS="$LAB_HOSTS $i"
    echo "$user" > "$d/user"
}

# Every sshd process of host i: the listener and its sessions.
lab_sshd_kill_all() {
    pkill -KILL -f "sshd -f $LAB/h$1/sshd_config" 2>/dev/null
    pkill -KILL -f "sshd: $(lab_user $1)" 2>/dev/null
    kill -KILL "$(cat "$LAB/h$1/sshd.pid" 2>/dev/null)" 2>/dev/null
}

# Host i of another architecture: the arm64 Debian root of
# scripts/arm64-root.sh (qemu-user through binfmt_misc), seen through an
# overlay so the cached root is never written, with its own sshd in its own
# network namespace. The overlay, /proc, /sys and /dev are mounted in a mount
# namespace of the sshd's own: they vanish with its last process and are
# never visible (nor deletable) from here. lab_arm64_why says why it cannot
# run, or nothing.
lab_arm64_why() {
    "$ROOT/scripts/arm64-root.sh" --check 2>&1 || return 0
    grep -qw overlay /proc/filesystems || echo "the kernel has no overlay filesystem"
    command -v unshare >/dev/null || echo "unshare (util-linux) is missing"
}

lab_host_arm64() {
    i=$1
    ns=hph$LAB_ID-$i
    d=$LAB/h$i
    user=hplab$LAB_ID$i
    uid=$((40000 + LAB_ID % 20000))
    lower=$("$ROOT/scripts/arm64-root.sh" --path)
    mkdir -p "$d/upper/etc/ssh" "$d/upper/run/sshd" "$d/upper/var/log" "$d/upper/home/$user/.ssh" \
        "$d/work" "$d/root"
    ip netns add $ns
    ip link add hpv$LAB_ID$i type veth peer name hpw$LAB_ID$i
    ip link set hpv$LAB_ID$i netns $CTL
    ip link set hpw$LAB_ID$i netns $ns
    ip -n $CTL link set hpv$LAB_ID$i master br0 up
    ip -n $ns link set lo up
    ip -n $ns link set hpw$LAB_ID$i name eth0
    ip -n $ns addr add "$(lab_ip $i)/24" dev eth0
    ip -n $ns link set eth0 up
    # The account, written into the overlay's upper layer before it is mounted.
    for f in passwd group shadow; do cp -p "$lower/etc/$f" "$d/upper/etc/$f"; done
    echo "$user:x:$uid:$uid::/home/$user:/bin/sh" >> "$d/upper/etc/passwd"
    echo "$user:x:$uid:" >> "$d/upper/etc/group"
    echo "$user:*:20000:0:99999:7:::" >> "$d/upper/etc/shadow"
    cp "$LAB/client_key.pub" "$d/upper/home/$user/.ssh/authorized_keys"
    chown -R "$uid:$uid" "$d/upper/home/$user"
    chmod 700 "$d/upper/home/$user/.ssh"
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
    cp "$d/host_key" "$d/upper/etc/ssh/lab_host_key"
    cat > "$d/upper/etc/ssh/lab_sshd_config" <<CFG
Port 22
ListenAddress $(lab_ip $i)
HostKey /etc/ssh/lab_host_key
PidFile /run/lab-sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $user
Subsystem sftp internal-sftp
LogLevel ERROR
ClientAliveInterval 0
CFG
    echo "$d/root" > "$d/chroot"
    lab_arm64_start "$i"
    LAB_HOSTS="$LAB_HOSTS $i"
    LAB_ARM64="${LAB_ARM64:-} $i"
    echo "$user" > "$d/user"
    echo "$uid" > "$d/uid"
    # The daemon writes its pid file inside the root: the upper layer has it.
    n=0
    while [ ! -s "$d/upper/run/lab-sshd.pid" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
}

lab_arm64_start() {
    d=$LAB/h$1
    lower=$("$ROOT/scripts/arm64-root.sh" --path)
    rm -f "$d/upper/run/lab-sshd.pid"
    ip netns exec hph$LAB_ID-$1 unshare -m --propagation private sh -c '
        set -e
        mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/root"
        mount -t proc proc "$2/root/proc"
        mount -t sysfs sysfs "$2/root/sys"
        mount --rbind /dev "$2/root/dev"
        exec chroot "$2/root" /usr/sbin/sshd -f /etc/ssh/lab_sshd_config -E /var/log/lab-sshd.log
    ' sh "$lower" "$d"
}

# Every process whose root is host i's chroot: its sshd, sessions, agents.
lab_arm64_kill() {
    r=$(cat "$LAB/h$1/chroot" 2>/dev/null) || return 0
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    return 0
}
