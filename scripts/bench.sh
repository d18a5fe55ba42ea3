#!/bin/sh
# make bench [PROFILE=quick|seed]: engine medians and speedups (scripts/bench.py).
set -eu
cd "$(dirname "$0")/.."
.venv/bin/python scripts/bench.py "${1:-quick}"
echo
scripts/bench-controller.sh
echo
scripts/bench-store.sh
