#!/bin/sh
# The README's main job: the end-to-end run on the embedded broker.
. "$(dirname "$0")/lib.sh"
"$LS_BUILD/examples/quickstart" 1000 >"$TMP/q.out" 2>"$TMP/q.err" ||
    fail "quickstart failed: $(cat "$TMP/q.out")"
cat "$TMP/q.out"
grep -q "^OK: 1000 produced = 1000 consumed" "$TMP/q.out" || fail "no OK line"
ok "quickstart"
