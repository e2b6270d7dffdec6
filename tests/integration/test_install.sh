#!/usr/bin/env bash
# make install (issue 9, point 8): the binary goes to $DESTDIR$PREFIX/bin and
# docs/prtip.1 to $DESTDIR$PREFIX/share/man/man1, so "man prtip" works.
# Installs the build under test (the directory holding $1) into a temporary
# DESTDIR with cmake --install, checks the files and runs the installed
# binary; checks that the Makefile's install target passes PREFIX and
# DESTDIR through (make -n: nothing is built or written).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
if [ "$IS_PRTIP" != 1 ]; then
    echo "SKIP: $T_NAME tests prtip's build system" >&2
    exit 77
fi
command -v cmake >/dev/null || { echo "SKIP: needs cmake" >&2; exit 77; }
BUILD="$(dirname "$BIN")"
[ -f "$BUILD/cmake_install.cmake" ] || { echo "SKIP: $BIN is not in a CMake build tree" >&2; exit 77; }

DEST="$T/dest"
DESTDIR="$DEST" cmake --install "$BUILD" --prefix /opt/prtip-test >"$T/install.log" 2>&1 ||
    t_fail "cmake --install failed: $(tail -n 5 "$T/install.log")"
[ -x "$DEST/opt/prtip-test/bin/prtip" ] || t_fail "no executable bin/prtip under DESTDIR"
[ -f "$DEST/opt/prtip-test/share/man/man1/prtip.1" ] || t_fail "no share/man/man1/prtip.1"
cmp -s "$DEST/opt/prtip-test/share/man/man1/prtip.1" "$SRC/docs/prtip.1" ||
    t_fail "installed man page differs from docs/prtip.1"
"$DEST/opt/prtip-test/bin/prtip" -V | grep -q '^prtip version' || t_fail "installed binary does not run"
left="$(find "$DEST" -type f | wc -l)"
[ "$left" -eq 2 ] || t_fail "expected 2 installed files, got $left: $(find "$DEST" -type f)"
t_pass "cmake --install: bin/prtip and share/man/man1/prtip.1 under DESTDIR+prefix"

# The Makefile target: default PREFIX /usr/local, both variables passed on.
make -s -n -C "$SRC" install DESTDIR=/tmp/d PREFIX=/opt/p >"$T/make.n" 2>&1 ||
    t_fail "make -n install failed: $(head -c 300 "$T/make.n")"
grep -q 'DESTDIR="/tmp/d" cmake --install build --prefix "/opt/p"' "$T/make.n" ||
    t_fail "make install does not pass DESTDIR/PREFIX: $(grep -i install "$T/make.n")"
make -s -n -C "$SRC" install >"$T/make.d" 2>&1 || true
grep -q -- '--prefix "/usr/local"' "$T/make.d" || t_fail "make install's default PREFIX is not /usr/local"
t_pass "make install honours PREFIX (default /usr/local) and DESTDIR"
echo "PASS: $T_NAME"
