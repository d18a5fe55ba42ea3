#!/bin/sh
# Builds, once per machine, the arm64 Debian root that the SSH lab runs as a
# host of another architecture: `debootstrap --arch=arm64 --foreign`, then the
# second stage inside the root through qemu-user-static (binfmt_misc). The
# root holds what a fresh arm64 Linux host needs to build the payload itself:
# openssh-server, gcc, make, libjansson-dev, pkg-config and python3.
#
#   scripts/arm64-root.sh           build the root when it is missing
#   scripts/arm64-root.sh --check   exit 0 when the root is ready, else print
#                                   why not and exit 1 (builds nothing)
#   scripts/arm64-root.sh --path    print where the root is (or would be)
#
# The root lives outside the repository, in ${HOTPATH_ARM64_ROOT:-
# ~/.cache/hotpath/arm64-root}; it is built in a temporary folder beside it and
# renamed when complete, so an interrupted build leaves nothing half made.
# The mirror is the one debootstrap uses by default, or $HOTPATH_DEBIAN_MIRROR.
set -eu

ROOT="${HOTPATH_ARM64_ROOT:-${HOME:-/root}/.cache/hotpath/arm64-root}"
SUITE="${HOTPATH_ARM64_SUITE:-bookworm}"
PKGS="openssh-server,gcc,make,libc6-dev,libjansson-dev,pkg-config,python3"
STAMP="$ROOT/.hotpath-root"
WANT="suite=$SUITE packages=$PKGS"

binfmt_ready() {
    [ -f /proc/sys/fs/binfmt_misc/status ] || {
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || return 1
    }
    if [ ! -f /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && command -v update-binfmts >/dev/null; then
        update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
    fi
    grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64
}

why_not() {
    [ "$(id -u)" -eq 0 ] || { echo "needs root (debootstrap, chroot, network namespaces)"; return; }
    command -v qemu-aarch64-static >/dev/null || { echo "qemu-user-static is not installed"; return; }
    binfmt_ready || { echo "binfmt_misc has no enabled qemu-aarch64 entry (mount binfmt_misc; binfmt-support)"; return; }
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] ||
        { echo "the arm64 root is not built ($ROOT; scripts/arm64-root.sh builds it)"; return; }
    [ -x "$ROOT/usr/sbin/sshd" ] || { echo "the arm64 root has no sshd ($ROOT)"; return; }
    chroot "$ROOT" /bin/true 2>/dev/null || { echo "arm64 binaries do not run here (chroot $ROOT /bin/true failed)"; return; }
}

case "${1:-}" in
--path) echo "$ROOT"; exit 0 ;;
--check)
    why="$(why_not)"
    [ -z "$why" ] && exit 0
    echo "$why"; exit 1 ;;
"") ;;
*) echo "usage: $0 [--check|--path]" >&2; exit 2 ;;
esac

[ "$(id -u)" -eq 0 ] || { echo "arm64-root: needs root" >&2; exit 1; }
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$ROOT/usr/sbin/sshd" ]; then
    exit 0
fi
for t in debootstrap qemu-aarch64-static; do
    command -v "$t" >/dev/null || {
        echo "arm64-root: $t is missing (scripts/install-deps.sh --test installs it)" >&2; exit 1; }
done
binfmt_ready || { echo "arm64-root: binfmt_misc has no enabled qemu-aarch64 entry" >&2; exit 1; }

mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9
# Another run may have finished it while this one waited for the lock.
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$ROOT/usr/sbin/sshd" ]; then
    exit 0
fi

TMP="$ROOT.tmp"
# Never delete through a mount point (a lab left running with /proc or /dev
# bound inside the root).
if awk -v a="$ROOT/" -v b="$TMP/" '{ m = $2 "/" } index(m, a) == 1 || index(m, b) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
    echo "arm64-root: something is mounted under $ROOT; not rebuilding" >&2; exit 1
fi
rm -rf "$TMP" "$ROOT"
mkdir -p "$TMP"
echo "arm64-root: debootstrap $SUITE arm64 into $TMP (first stage)" >&2
# shellcheck disable=SC2086
debootstrap --arch=arm64 --foreign --variant=minbase --include="$PKGS" \
    "$SUITE" "$TMP" ${HOTPATH_DEBIAN_MIRROR:-} >&2
# With binfmt's F flag the kernel already holds the interpreter; a copy inside
# the root serves a registration without it.
cp "$(command -v qemu-aarch64-static)" "$TMP/usr/bin/"
echo "arm64-root: second stage under qemu (slow)" >&2
chroot "$TMP" /debootstrap/debootstrap --second-stage >&2
# The lab starts sshd by hand; host keys are made once here.
chroot "$TMP" /usr/bin/ssh-keygen -A >&2
rm -f "$TMP/etc/ssh/sshd_not_to_be_run"
chroot "$TMP" /usr/bin/apt-get clean >/dev/null 2>&1 || true
echo "$WANT" >"$TMP/.hotpath-root"
mv "$TMP" "$ROOT"
echo "arm64-root: ready in $ROOT" >&2
