#!/bin/sh
# A misbehaving engine for the sweep tests: MODE is the first argument,
# then the engine protocol's own arguments.
mode=$1
shift
root=$(cd "$(dirname "$0")/../../.." && pwd)
case $mode in
crash) kill -SEGV $$ ;;
hang) sleep 60 ;;
garbage) echo "this is not JSON" ;;
cannot) echo "fake-cannot: needs a module this host lacks" >&2; exit 3 ;;
wrong) "$root/bin/c-scalar" "$@" | sed 's/"rows": 20000/"rows": 19999/' ;;
slow) sleep "${FAKE_SLEEP:-0.3}"; exec "$root/bin/c-scalar" "$@" ;;
noisy)
    # 50 MB on stderr and a valid answer on stdout: must not stall.
    head -c 52428800 /dev/zero | tr '\0' 'x' >&2
    exec "$root/bin/c-scalar" "$@" ;;
esac
