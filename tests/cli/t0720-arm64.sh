#!/bin/sh
# The payload for arm64 Linux, cross-built with gcc and run under
# qemu-user: the payload's unit tests pass there, c-threads runs its NEON
# parsers (isa "aarch64-neon"), matches the conformance vectors, and gives
# c-scalar's answers on the quick profile at 1, 2, 4 and 7 threads.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
CC_A64=aarch64-linux-gnu-gcc
SYSROOT=/usr/aarch64-linux-gnu
QEMU=qemu-aarch64-static

for need in $CC_A64 $QEMU; do
    if ! command -v $need >/dev/null 2>&1; then
        skip "arm64 under qemu: no $need here (scripts/install-deps.sh --test installs it)"
        exit 0
    fi
done
if [ ! -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ]; then
    skip "arm64 under qemu: no arm64 glibc in $SYSROOT (libc6-dev-arm64-cross)"
    exit 0
fi
if ! jp=$(AR=aarch64-linux-gnu-ar scripts/build-jansson.sh aarch64-linux-gnu $CC_A64 \
        2>"$T/jansson.err"); then
    skip "arm64 under qemu: Jansson's source could not be had or built" \
         "($(tail -1 "$T/jansson.err"))"
    exit 0
fi
out=build/cross/aarch64-linux
A=$out/bin
check "payload and its unit tests cross-build for aarch64-linux with -Werror" \
    make -s -j2 payload $A/payload-tests UNAME_S=Linux UNAME_M=aarch64 CC=$CC_A64 \
        B=$out BIN=$A JANSSON_PREFIX="$jp"
q() { $QEMU -L $SYSROOT "$@"; }

q $A/payload-tests > "$T/unit" 2>&1
sed -n 's/^skip - /skip - arm64: /p' "$T/unit"
check "the payload's unit tests pass on arm64 ($(tail -1 "$T/unit"))" \
    grep -q '^unit: [1-9][0-9]* passed, 0 failed' "$T/unit"

d=$(tiny)
q $A/hotpath-gen -q --profile tiny --dir "$T/tiny-a64"
check "arm64 hotpath-gen writes the same tiny data set" \
    cmp "$d/manifest.json" "$T/tiny-a64/manifest.json"
for task in numeric groupby join sessionize stream-score; do
    for n in 1 2 4 7; do
        q $A/c-threads --task $task --data "$d" --threads $n > "$T/eng.json" 2>&1
        check "arm64 c-threads $task --threads $n matches conformance/tiny/$task.json" sh -c \
            "'$BIN/hotpath-agent' check --task $task --threads $n \
             --expected '$CONF/$task.json' < '$T/eng.json'"
    done
done
check "arm64 c-threads runs its NEON parsers (isa aarch64-neon)" \
    grep -q '"isa": "aarch64-neon"' "$T/eng.json"

# quick: c-scalar here is the reference.
Q=$T/quick
"$BIN/hotpath-gen" -q --profile quick --dir "$Q"
for task in numeric groupby join sessionize stream-score; do
    "$BIN/c-scalar" --task $task --data "$Q" > "$T/ref.json" 2>"$T/err"
    "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["result"]))' \
        < "$T/ref.json" > "$T/exp.json"
    for n in 1 2 4 7; do
        q $A/c-threads --task $task --data "$Q" --threads $n > "$T/eng.json" 2>&1
        check "arm64 c-threads $task --threads $n on quick agrees with c-scalar" sh -c \
            "'$BIN/hotpath-agent' check --task $task --threads $n \
             --expected '$T/exp.json' < '$T/eng.json'"
    done
done

# The arm64 probe names the CPU of a recorded Graviton2 host (its
# /proc/cpuinfo and DMI under fake roots): a Neoverse-N1, virtual.
F=$T/fakeroot
mkdir -p "$F/proc" "$F/sys/class/dmi/id"
printf 'processor\t: 0\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd0c\n\n' \
    > "$F/proc/cpuinfo"
echo "Amazon EC2" > "$F/sys/class/dmi/id/sys_vendor"
echo "c6g.large" > "$F/sys/class/dmi/id/product_name"
HOTPATH_PROCFS_ROOT=$F HOTPATH_SYSFS_ROOT=$F q $A/hotpath-agent probe > "$T/probe.json" 2>"$T/err"
check "arm64 probe: cpu_model from implementer and part, a VM from DMI" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d.get("cpu_model") == "ARM Neoverse-N1" and d.get("virtualization") == "vm"
              and d.get("hypervisor") == "nitro"))' "$T/probe.json"
