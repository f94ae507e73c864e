#!/bin/sh
# After `meson install`, pkg-config finds libstream and an example builds
# against the installed headers and library only, then runs against the
# embedded broker.  Also checks that only ls_ symbols are exported.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"

DEST="$TMP/root"
meson install -C "$LS_BUILD" --destdir "$DEST" --quiet >"$TMP/install.err" 2>&1 ||
    fail "meson install failed: $(cat "$TMP/install.err")"
pcdir=$(dirname "$(find "$DEST" -name libstream.pc | head -n 1)")
[ -f "$pcdir/libstream.pc" ] || fail "libstream.pc not installed"
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$DEST"
flags=$(pkg-config --cflags --libs libstream) || fail "pkg-config failed"
echo "pkg-config: $flags"
case "$flags" in *-lstream*) ;; *) fail "no -lstream in '$flags'" ;; esac

for ex in produce consume_group; do
    # A sanitized libstream (scripts/sanitize.sh) needs its runtime too.
    cc -std=c11 -Wall -Werror ${LS_SANITIZE:+-fsanitize=$LS_SANITIZE} \
        -o "$TMP/$ex" "$LS_SRC/examples/$ex.c" $flags ||
        fail "building $ex against the installed libstream"
done
libdir=$(dirname "$(find "$DEST" -name 'libstream.so.0' | head -n 1)")
so=$(readlink -f "$libdir/libstream.so.0")
soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
[ "$soname" = "libstream.so.0" ] || fail "soname is '$soname'"
bad=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -v '^ls_' || true)
[ -z "$bad" ] || fail "exported non-ls_ symbols: $bad"
ldd "$TMP/produce" | grep -q "$libdir/libstream.so.0" ||
    LD_LIBRARY_PATH="$libdir" ldd "$TMP/produce" | grep -q "$libdir" ||
    fail "example not linked to the installed library"

start_broker --partitions 2 --topic pc
LD_LIBRARY_PATH="$libdir" "$TMP/produce" "$BROKERS" pc one two three \
    >"$TMP/p.out" 2>"$TMP/p.err" || fail "produce example failed"
grep -q "delivered 3, failed 0" "$TMP/p.out" || fail "$(cat "$TMP/p.out")"
LD_LIBRARY_PATH="$libdir" "$TMP/consume_group" "$BROKERS" pc g1 \
    >"$TMP/c.out" 2>"$TMP/c.err" || fail "consume_group example failed"
[ "$(sort "$TMP/c.out" | tr '\n' ' ')" = "one three two " ] ||
    fail "consume_group read: $(cat "$TMP/c.out")"
ok "installed libstream found by pkg-config; examples build and run"
