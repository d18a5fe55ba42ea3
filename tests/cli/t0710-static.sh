#!/bin/sh
# Payload binaries for Linux carry Jansson inside them (libjansson.a), need
# nothing newer than the glibc README states, and run in a root that holds
# only them and glibc's own libraries: the generator writes the tiny data
# set there and the engines' answers match the conformance vectors.
. "$(dirname "$0")/lib.sh"
FLOOR=2.34 # README, "Development"
PAYLOAD="hotpath-agent hotpath-gen c-scalar c-threads"

if [ "$(uname -s)" != Linux ]; then
    skip "static Jansson: not a Linux host"
    exit 0
fi
need=""
for p in $PAYLOAD; do
    ldd "$BIN/$p" 2>/dev/null | grep -q libjansson && need="$need $p"
done
if [ -z "$need" ]; then ok "no payload binary needs libjansson.so"
else notok "these payload binaries need libjansson.so:$need"; fi

if command -v objdump >/dev/null 2>&1; then
    newest=$(for p in $PAYLOAD; do objdump -T "$BIN/$p"; done | grep -o 'GLIBC_[0-9][0-9.]*' |
             sed 's/GLIBC_//' | sort -t. -k1,1n -k2,2n -k3,3n -u | tail -1)
    top=$(printf '%s\n%s\n' "$newest" "$FLOOR" | sort -t. -k1,1n -k2,2n | tail -1)
    check "payload needs glibc $FLOOR at most (newest symbol version: $newest)" \
        test "$top" = "$FLOOR"
else
    skip "glibc floor: no objdump here"
fi

if [ "$(id -u)" != 0 ] || ! command -v chroot >/dev/null 2>&1; then
    skip "minimal root: needs root and chroot"
    exit 0
fi
R=$T/root
mkdir -p "$R/bin" "$R/data" "$R/tmp"
for p in $PAYLOAD; do
    cp "$BIN/$p" "$R/bin/"
    # Only glibc's libraries (and its loader), wherever the system keeps them.
    ldd "$BIN/$p" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' |
        grep -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' > "$T/libs"
    while read -r lib; do
        mkdir -p "$R$(dirname "$lib")"
        cp -L "$lib" "$R$lib"
    done < "$T/libs"
done
check "the minimal root holds no Jansson" sh -c "! find '$R' -name 'libjansson*' | grep -q ."
check "hotpath-gen writes the tiny data set inside the minimal root" \
    chroot "$R" /bin/hotpath-gen -q --profile tiny --dir /data/tiny
for e in c-scalar c-threads; do
    for task in groupby stream-score; do
        chroot "$R" /bin/$e --task $task --data /data/tiny --threads 2 > "$T/eng.json" 2>&1
        check "$e $task inside the minimal root matches conformance/tiny/$task.json" sh -c \
            "'$BIN/hotpath-agent' check --task $task --threads 2 \
             --expected '$CONF/$task.json' < '$T/eng.json'"
    done
done
