#!/bin/sh
# The payload builds with -Wall -Wextra -Werror beyond this machine's gcc:
# with clang on Linux, and cross-compiled and linked for macOS (arm64 and
# x86-64) by zig's clang against a Jansson built from its source the same
# way. Objects go to build/cross/TARGET, so a second run rebuilds little.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
cache=${HOME:-/root}/.cache/hotpath
PAYLOAD="hotpath-agent hotpath-gen c-scalar c-threads"

# A host that builds its own payload is told what to install.
make -s toolchain CC=no-such-cc > "$T/tc.out" 2>&1
check "make payload without a compiler names what to install" \
    grep -q "no C compiler 'no-such-cc' here: install one.*build-essential" \
    "$T/tc.out"
make -s toolchain CC="cc -nostdinc" JANSSON_PREFIX="$T/none" > "$T/tc.out" 2>&1
check "make payload without Jansson names what to install" \
    grep -q "Jansson not found.*libjansson-dev.*jansson-devel.*brew install jansson" "$T/tc.out"

# Linux with clang: built, and its engines match the conformance vectors.
if command -v clang >/dev/null 2>&1; then
    check "payload builds with clang -Werror on Linux" \
        make -s -j2 payload CC=clang B=build/cross/clang BIN=build/cross/clang/bin
    d=$(tiny)
    for e in c-scalar c-threads; do
        for task in numeric groupby join sessionize stream-score; do
            build/cross/clang/bin/$e --task $task --data "$d" --threads 2 > "$T/eng.json" 2>&1
            check "clang-built $e $task matches conformance/tiny/$task.json" sh -c \
                "'$BIN/hotpath-agent' check --task $task --threads 2 \
                 --expected '$CONF/$task.json' < '$T/eng.json'"
        done
    done
else
    skip "clang -Werror build: no clang here (scripts/install-deps.sh --test installs it)"
fi

# macOS, through zig (tests/requirements-cross.txt, installed by
# scripts/install-deps.sh --test).
Z=$cache/zig-venv/bin/python
if ! "$Z" -m ziglang version >/dev/null 2>&1; then
    skip "macOS cross-builds: no zig in $cache/zig-venv (tests/requirements-cross.txt)"
    exit 0
fi
# Mach-O 64-bit magic, then the CPU type: arm64 0x0100000c, x86-64 0x01000007.
for t in aarch64-macos:arm64:0c x86_64-macos:x86_64:07; do
    target=${t%%:*}
    rest=${t#*:}
    arch=${rest%%:*}
    cpu=${rest#*:}
    zcc="$Z -m ziglang cc -target $target"
    if ! jp=$(AR="$Z -m ziglang ar --format=darwin" scripts/build-jansson.sh "$target" $zcc \
            2>"$T/jansson.err"); then
        skip "$target cross-build: Jansson's source could not be had or built" \
             "($(tail -1 "$T/jansson.err"))"
        continue
    fi
    out=build/cross/$target
    check "payload compiles and links for $target with -Werror" \
        make -s -j2 payload UNAME_S=Darwin UNAME_M=$arch CC="$zcc" V3_FLAGS=-mcpu=x86_64_v3 \
            B=$out BIN=$out/bin JANSSON_PREFIX="$jp"
    bad=""
    for p in $PAYLOAD; do
        head=$(od -An -tx1 -N8 "$out/bin/$p" 2>/dev/null | tr -d ' \n')
        [ "$head" = "cffaedfe${cpu}000001" ] || bad="$bad $p"
    done
    if [ -z "$bad" ]; then ok "$target: every payload binary is a Mach-O $arch executable"
    else notok "$target: not Mach-O $arch:$bad"; fi
done
