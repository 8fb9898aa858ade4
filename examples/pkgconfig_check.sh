#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build into a temporary root (meson install --destdir) and builds the example
# who_sent_what.c out of tree with nothing but the installed header files and libapc.pc, as a
# user of the library would: with `pkg-config --libs` and with `pkg-config --static --libs`.
# Also checks that the static link line names every library libapc.so itself links (its
# DT_NEEDED entries), which is what Requires.private is for.
#
#   pkgconfig_check.sh BUILD_DIR EXAMPLE.c CAPTURE_FILE
set -eu
build=$(realpath "$1") example=$(realpath "$2") capture=$(realpath "$3")
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apc-pkgconfig-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; echo "FAIL: meson install --destdir" >&2; exit 1; }
pc=$(find "$tmp/root" -name libapc.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: no libapc.pc installed" >&2; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
# The .pc names the final prefix; point it at the temporary root instead (only this file: the
# system's .pc files it requires keep their own prefix).
mkdir "$tmp/pc"
sed "s|^prefix=.*|prefix=$tmp/root$prefix|" "$pc" >"$tmp/pc/libapc.pc"
export PKG_CONFIG_PATH="$tmp/pc"

cflags=$(pkg-config --cflags libapc)
libs=$(pkg-config --libs libapc)
static=$(pkg-config --static --libs libapc)
libdir=$(pkg-config --variable=libdir libapc)
echo "cflags: $cflags"
echo "libs: $libs"
echo "static libs: $static"

# Every library libapc.so needs (except the C runtime) appears as -l<name> on the static line.
so="$libdir/libapc.so"
[ -e "$so" ] || { echo "FAIL: $so not installed" >&2; exit 1; }
missing=
for need in $(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    case $need in
    libc.so.* | ld-linux*.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.*) continue ;;
    esac
    name=${need#lib}
    name=${name%%.so*}
    case " $static " in
    *" -l$name "*) ;;
    *) missing="$missing -l$name" ;;
    esac
done
[ -z "$missing" ] || { echo "FAIL: pkg-config --static --libs libapc lacks:$missing" >&2; exit 1; }

# Out of tree: only the installed tree and the example's source.
cd "$tmp"
# shellcheck disable=SC2086 # word splitting of pkg-config output is intended
$cc -std=gnu11 -Wall -Wextra -Werror $cflags -o who_dyn "$example" $libs
# The static line also carries what our dependencies' own .pc files ask for (libpcap's brings
# -ldbus-1 -lsystemd); a library of theirs with no development file here is left out, and said.
# Ours are all present: libapc.so was linked against them.
linkable=
for f in $static; do
    case $f in
    -l*)
        name=${f#-l}
        if [ ! -e "$libdir/lib$name.so" ] &&
            [ "$($cc -print-file-name="lib$name.so")" = "lib$name.so" ] &&
            [ "$($cc -print-file-name="lib$name.a")" = "lib$name.a" ]; then
            echo "note: $f (required by a dependency's .pc) has no library file here; left out"
            continue
        fi
        ;;
    esac
    linkable="$linkable $f"
done
# shellcheck disable=SC2086
$cc -std=gnu11 -Wall -Wextra -Werror $cflags -o who_static_line "$example" $linkable
for exe in who_dyn who_static_line; do
    LD_LIBRARY_PATH="$libdir" "./$exe" "$tmp/data-$exe" "$capture" >"$exe.out"
    lines=$(wc -l <"$exe.out")
    [ "$lines" -ge 1 ] || { echo "FAIL: $exe printed $lines lines" >&2; exit 1; }
    # It ran against the installed library, not the build tree's.
    LD_LIBRARY_PATH="$libdir" LD_DEBUG=libs "./$exe" "$tmp/d2-$exe" "$capture" 2>&1 >/dev/null |
        grep -q "calling init: $libdir/libapc.so" ||
        { echo "FAIL: $exe did not load $libdir/libapc.so" >&2; exit 1; }
done
cmp -s who_dyn.out who_static_line.out || { echo "FAIL: the two builds disagree" >&2; exit 1; }
echo "ok: $(wc -l <who_dyn.out) lines from $(basename "$capture")"
