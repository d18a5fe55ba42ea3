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
    skip "arm64 under qemu: Jansson's source could not be had or built ($(tail -1 "$T/jansson.err"))"
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
