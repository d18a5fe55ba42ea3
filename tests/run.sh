#!/bin/sh
# Runs every test of `make test`: the C unit tests, then the numbered CLI
# tests in tests/cli (each prints "ok - ..." / "not ok - ..." lines).
# Ends with one line: "N passed, N failed[, N skipped]".
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export ROOT
TMPROOT="$ROOT/tests/tmp"
rm -rf "$TMPROOT"
mkdir -p "$TMPROOT"
log="$TMPROOT/results"
: > "$log"

unit=$(bin/unit-tests 2>&1)
echo "$unit" | grep -v '^unit:' >&2
p=$(echo "$unit" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed.*$/\1/p')
f=$(echo "$unit" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed.*$/\2/p')
echo "unit tests: ${p:-0} passed, ${f:-1} failed"
echo "$unit" | grep '^skip - ' >> "$log"
i=0
while [ "$i" -lt "${p:-0}" ]; do echo "ok - unit" >> "$log"; i=$((i + 1)); done
i=0
while [ "$i" -lt "${f:-1}" ]; do echo "not ok - unit" >> "$log"; i=$((i + 1)); done

for t in tests/cli/t[0-9]*.sh; do
    [ -n "${TESTS:-}" ] && ! echo "$t" | grep -q "$TESTS" && continue
    echo "== $t"
    start=$(date +%s)
    sh "$t" 2>"$TMPROOT/stderr.$$" | tee -a "$log" | grep -v '^ok' || true
    if grep -q . "$TMPROOT/stderr.$$" && [ -n "${VERBOSE:-}" ]; then cat "$TMPROOT/stderr.$$"; fi
    echo "   ($(($(date +%s) - start)) s)"
done
passed=$(grep -c '^ok' "$log")
failed=$(grep -c '^not ok' "$log")
skipped=$(grep -c '^skip' "$log")
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
