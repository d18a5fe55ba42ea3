#!/bin/sh
# Builds a static Jansson for one target from Debian's signed source package,
# so the payload can be cross-linked (macOS, arm64) or linked statically.
#   scripts/build-jansson.sh NAME CC...
# prints the prefix (NAME's include/ and lib/libjansson.a), kept under
# ~/.cache/hotpath/jansson/ and reused while the source and CC are the same.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 NAME CC..." >&2; exit 2; }
name=$1
shift
cache=${HOTPATH_CACHE:-${HOME:-/root}/.cache/hotpath}
ver=2.14
src=$cache/src/jansson-$ver
prefix=$cache/jansson/$name

if [ ! -f "$src/src/jansson.h" ]; then
    # Debian's deb-src index, in a private apt state folder: the system's
    # sources are left as they are; apt checks the .dsc and tarball hashes.
    st=$cache/src/apt
    mkdir -p "$st/lists/partial" "$st/parts" "$st/dl"
    cat > "$st/parts/src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    opts="-o Dir::Etc::SourceList=$st/none.list -o Dir::Etc::SourceParts=$st/parts
          -o Dir::State::Lists=$st/lists -o APT::Sandbox::User=root"
    # shellcheck disable=SC2086
    apt-get -qq $opts update >&2
    # shellcheck disable=SC2086
    (cd "$st/dl" && apt-get -qq $opts source --download-only "jansson=$ver-2" >&2)
    tar -xzf "$st/dl/jansson_$ver.orig.tar.gz" -C "$cache/src"
fi

stamp="$*"
if [ -f "$prefix/lib/libjansson.a" ] && [ "$(cat "$prefix/.cc" 2>/dev/null)" = "$stamp" ]; then
    echo "$prefix"
    exit 0
fi
rm -rf "$prefix"
mkdir -p "$prefix/include" "$prefix/lib" "$prefix/obj"
sed -e 's/@json_inline@/inline/' -e 's/@json_have_long_long@/1/' \
    -e 's/@json_have_localeconv@/1/' -e 's/@json_have_atomic_builtins@/1/' \
    -e 's/@json_have_sync_builtins@/1/' "$src/src/jansson_config.h.in" \
    > "$prefix/include/jansson_config.h"
cp "$src/src/jansson.h" "$prefix/include/"
cat > "$prefix/obj/jansson_private_config.h" <<'EOF'
#define HAVE_FCNTL_H 1
#define HAVE_SCHED_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_STDINT_H 1
#define HAVE_CLOSE 1
#define HAVE_GETPID 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_OPEN 1
#define HAVE_READ 1
#define HAVE_SCHED_YIELD 1
#define HAVE_SYNC_BUILTINS 1
#define HAVE_ATOMIC_BUILTINS 1
#define HAVE_LOCALE_H 1
#define HAVE_SETLOCALE 1
#define HAVE_INT32_T 1
#define HAVE_UINT32_T 1
#define HAVE_UINT16_T 1
#define HAVE_UINT8_T 1
#define HAVE_SSIZE_T 1
#define USE_URANDOM 1
#define INITIAL_HASHTABLE_ORDER 3
EOF
for c in "$src"/src/*.c; do
    o=$prefix/obj/$(basename "$c" .c).o
    "$@" -O2 -std=gnu99 -DHAVE_CONFIG_H -I"$prefix/obj" -I"$prefix/include" -c "$c" -o "$o"
done
# AR: an archiver whose format the target's linker reads (macOS: darwin).
# shellcheck disable=SC2086
${AR:-ar} rcs "$prefix/lib/libjansson.a" "$prefix"/obj/*.o
rm -rf "$prefix/obj"
echo "$stamp" > "$prefix/.cc"
echo "$prefix"
