#!/bin/sh
# Builds a bundle's binaries on a host of a kind the controller has none for
# (run by the controller as `sh BUNDLE/scripts/host-build.sh`): the payload
# with the host's own compiler (`make payload`), the Rust engines offline from
# the bundle's vendored crates where the host has cargo, then seals what it
# built (MANIFEST.built) so that `hotpath-agent bundle-verify` accepts it.
# Why a Rust engine was not built goes to build/why-PROGRAM, the reason its
# runs are skipped with. Exit 0: the payload is built; 1: it is not, and the
# last line on stderr says what to install.
set -u
cd "$(dirname "$0")/.." || exit 1
mkdir -p build

MAKE=make
command -v gmake >/dev/null 2>&1 && MAKE=gmake
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
os=$(uname -s)
family=""
if [ "$os" = Darwin ]; then
    family=macos
elif [ -r /etc/os-release ]; then
    ids=$(. /etc/os-release && echo "${ID:-} ${ID_LIKE:-}")
    case " $ids " in
    *" debian "* | *" ubuntu "*) family=debian ;;
    *" fedora "* | *" rhel "* | *" centos "*) family=fedora ;;
    *" arch "*) family=arch ;;
    *" alpine "*) family=alpine ;;
    *" suse "* | *" opensuse "*) family=suse ;;
    esac
fi

# "what to install": the missing pieces (cc, make, jansson) as this host's
# package manager names them.
install_hint() {
    pkgs=""
    for w in "$@"; do
        case $family:$w in
        macos:cc | macos:make) p="xcode-select --install" ;;
        macos:jansson) p="brew install jansson pkg-config" ;;
        alpine:cc) p=build-base ;;
        alpine:make) p=make ;;
        *:cc) p=gcc ;;
        *:make) p=make ;;
        debian:jansson) p="libjansson-dev pkg-config" ;;
        fedora:jansson) p="jansson-devel pkgconf-pkg-config" ;;
        arch:jansson) p="jansson pkgconf" ;;
        alpine:jansson) p="jansson-dev pkgconf" ;;
        suse:jansson) p="libjansson-devel pkg-config" ;;
        *:jansson) p="the Jansson headers and library" ;;
        esac
        case " $pkgs " in *" $p "*) ;; *) pkgs="${pkgs:+$pkgs }$p" ;; esac
    done
    case $family in
    macos) echo "$pkgs" | sed 's/ brew/; brew/' ;;
    debian) echo "sudo apt-get install $pkgs" ;;
    fedora) echo "sudo dnf install $pkgs" ;;
    arch) echo "sudo pacman -S $pkgs" ;;
    alpine) echo "apk add $pkgs" ;;
    suse) echo "sudo zypper install $pkgs" ;;
    *) echo "$pkgs" ;;
    esac
}

missing=""
command -v $MAKE >/dev/null 2>&1 || missing="$missing make"
command -v "${CC:-cc}" >/dev/null 2>&1 || missing="$missing cc"
if [ -z "$missing" ]; then
    if $MAKE -j"$jobs" payload >build/payload.log 2>&1; then
        :
    elif grep -qE "jansson\.h.*(No such file|not found)|cannot find -ljansson|for -ljansson|library '?jansson'? not found|Package '?jansson'? was not found" build/payload.log; then
        missing=" jansson"
    else
        tail -n 15 build/payload.log >&2
        echo "hotpath: \`make payload\` failed on this $os $(uname -m) host" \
             "(build/payload.log in the bundle)" >&2
        exit 1
    fi
fi
if [ -n "$missing" ]; then
    [ -f build/payload.log ] && tail -n 5 build/payload.log >&2
    echo "hotpath: this host cannot build the payload: missing${missing}; install:" \
         "$(install_hint $missing)" >&2
    exit 1
fi

rust_why=""
if ! command -v cargo >/dev/null 2>&1; then
    rust_why="not built on this host: it has no cargo (install Rust, e.g. with rustup)"
elif [ ! -f vendor/rust-crates.tar.gz ]; then
    rust_why="not built on this host: the bundle has no vendored crates (the controller could not vendor them)"
else
    [ -d vendor/rust ] || tar -xzf vendor/rust-crates.tar.gz
    mkdir -p .cargo
    cat > .cargo/config.toml <<'TOML'
[source.crates-io]
replace-with = "vendored-sources"
[source.vendored-sources]
directory = "vendor/rust"
[net]
offline = true
TOML
    if ! $MAKE rust >build/rust.log 2>&1 || [ ! -x bin/rust-native ]; then
        rust_why="not built on this host: cargo failed ($(grep -m1 -E '^error' build/rust.log ||
            tail -n 1 build/rust.log))"
    fi
fi
for p in rust-scalar rust-rayon rust-native rust-polars; do
    rm -f "build/why-$p"
    if [ -n "$rust_why" ] && [ "$p" != rust-polars ]; then
        echo "$rust_why" > "build/why-$p"
    fi
done
echo "Polars itself is compiled only on the controller's own kind of host (make rust-polars)" \
    > build/why-rust-polars

bin/hotpath-agent bundle-seal >/dev/null || exit 1
if [ -n "$rust_why" ]; then
    echo "hotpath: built the payload; Rust engines $rust_why" >&2
else
    echo "hotpath: built the payload and the Rust engines" >&2
fi
