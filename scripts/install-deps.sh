#!/bin/sh
# Installs what hotpath needs and is missing: Debian packages, then a Python
# virtual environment (.venv) from the pinned requirements.txt. Idempotent and
# quiet when everything is already there. With --test, also what only the
# tests use (Chromium for the report screenshot, OpenSSL for a test CA,
# clang, an arm64 cross gcc with qemu-user to run what it builds, zig's clang
# from PyPI for the macOS cross-builds, in ~/.cache/hotpath/zig-venv, and
# debootstrap with binfmt-support for the SSH lab's arm64 host, and the
# pinned wheels of requirements.txt in ~/.cache/hotpath/wheels/test-index
# for the SSH lab's Python environment test).
# With --bench, also hyperfine (make bench checks the agent's clock with it).
set -eu
cd "$(dirname "$0")/.."

PKGS="build-essential pkg-config libjansson-dev libssh2-1-dev libssl-dev libsqlite3-dev sqlite3
      libcurl4-openssl-dev gnuplot-nox python3-venv python3-pip openssh-server iproute2
      procps linux-perf"
if [ "${1:-}" = "--bench" ]; then
    PKGS="$PKGS hyperfine"
fi
if [ "${1:-}" = "--test" ]; then
    PKGS="$PKGS openssl chromium clang gcc-aarch64-linux-gnu libc6-dev-arm64-cross
          qemu-user-static debootstrap binfmt-support"
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "hotpath: installing Debian packages:$missing" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing >&2
fi

stamp=.venv/.requirements
if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt "$stamp" 2>/dev/null; then
    echo "hotpath: building .venv from requirements.txt" >&2
    [ -x .venv/bin/python ] || python3 -m venv .venv    # else brought up to date in place
    .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt >&2
    # a .venv linked from elsewhere is shared: its owner marks it
    [ -L .venv ] || cp requirements.txt "$stamp"
fi

if [ "${1:-}" = "--test" ]; then
    zv=${HOME:-/root}/.cache/hotpath/zig-venv
    if [ ! -x "$zv/bin/python" ] || ! cmp -s tests/requirements-cross.txt "$zv/.requirements"; then
        echo "hotpath: installing zig (tests/requirements-cross.txt) into $zv" >&2
        python3 -m venv "$zv" &&
            "$zv/bin/pip" install -q --disable-pip-version-check \
                -r tests/requirements-cross.txt >&2 &&
            cp tests/requirements-cross.txt "$zv/.requirements" ||
            echo "hotpath: zig not installed: the macOS cross-build test will be skipped" >&2
    fi
fi

# The pinned wheels for this machine, the only package index the SSH lab's
# controller sees (its hosts have no route anywhere): downloaded here, once
# per requirements.txt, outside any namespace.
if [ "${1:-}" = "--test" ]; then
    wd=${HOME:-/root}/.cache/hotpath/wheels/test-index
    if ! cmp -s requirements.txt "$wd/.requirements" 2>/dev/null; then
        echo "hotpath: downloading the pinned wheels into $wd" >&2
        rm -rf "$wd.tmp"
        if .venv/bin/pip download -q --disable-pip-version-check --only-binary=:all: \
                -r requirements.txt -d "$wd.tmp" >&2; then
            cp requirements.txt "$wd.tmp/.requirements"
            rm -rf "$wd"
            mv "$wd.tmp" "$wd"
        else
            rm -rf "$wd.tmp"
            echo "hotpath: the pinned wheels could not be downloaded: the Python environment lab test will be skipped" >&2
        fi
    fi
fi
