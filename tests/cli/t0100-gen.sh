#!/bin/sh
# hotpath-gen: byte-exact data, a manifest that proves it, clean failures.
. "$(dirname "$0")/lib.sh"

d=$(tiny)
check "tiny data matches the conformance SHA256SUMS" sh -c "cd '$d' && sha256sum -c --quiet '$CONF/SHA256SUMS'"
check "manifest.json records profile, seed and counts" sh -c \
    "grep -q '\"profile\": \"tiny\"' '$d/manifest.json' && grep -q '\"users\": 400' '$d/manifest.json'"
check "manifest checksums are the files' own" sh -c \
    "grep -q \"\$(sha256sum '$d/facts.csv' | cut -d' ' -f1)\" '$d/manifest.json'"
check "--verify accepts the data it wrote" "$BIN/hotpath-gen" -q --verify --profile tiny --dir "$d"

cp -r "$d" "$T/tampered"
printf '1' | dd of="$T/tampered/events.csv" bs=1 seek=100 conv=notrunc 2>/dev/null
check "--verify refuses a changed file" sh -c "! '$BIN/hotpath-gen' -q --verify --profile tiny --dir '$T/tampered'"
check "--verify refuses another seed" sh -c "! '$BIN/hotpath-gen' -q --verify --profile tiny --seed 1 --dir '$d'"

"$BIN/hotpath-gen" -q --profile tiny --facts 1000 --events 10 --stream 7 --points 3 --dir "$T/custom"
check "custom sizes are honoured" sh -c "[ \$(wc -l < '$T/custom/facts.csv') -eq 1001 ] &&
    [ \$(wc -l < '$T/custom/events.csv') -eq 11 ] && [ \$(stat -c %s '$T/custom/points.f64') -eq 48 ] &&
    grep -q '\"profile\": \"custom\"' '$T/custom/manifest.json'"
check "no temporary files are left behind" sh -c "! ls -a '$T/custom' | grep -q tmp"

"$BIN/hotpath-gen" -q --profile tiny --seed 7 --dir "$T/s7"
check "another seed gives other data" sh -c "! cmp -s '$T/s7/facts.csv' '$d/facts.csv'"

for args in "--profile nope --dir $T/x" "--profile tiny" "--profile tiny --dir $T/x --facts -1" \
            "--bogus"; do
    check "bad usage exits 2: $args" sh -c "'$BIN/hotpath-gen' $args >/dev/null 2>&1; [ \$? -eq 2 ]"
done
check "an unwritable folder fails with exit 1" sh -c \
    "'$BIN/hotpath-gen' -q --profile tiny --dir /proc/hotpath 2>'$T/e'; [ \$? -eq 1 ] && grep -q /proc/hotpath '$T/e'"
