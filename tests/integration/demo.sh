#!/bin/sh
# ls-demo, the README's main job: the order pipeline end to end on the
# embedded broker (producer, warehouse, inventory, notification service,
# archiver).  The summary says OK, every kind of line came out, and the
# archive holds exactly the 2,000 orders, each once; a second run into the
# same directory replaces the first run's archive; a directory holding an
# archive ls-demo did not write is refused.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"

"$BIN/ls-demo" --orders 2000 --dest "$TMP/archive" \
    >"$TMP/demo.out" 2>"$TMP/demo.err" || {
    tail -n 15 "$TMP/demo.out" >&2
    fail "ls-demo exited non-zero"
}
tail -n 7 "$TMP/demo.out"
grep -q '^OK: 2000 orders produced = 2000 archived, stock consistent, lag 0 in 4 groups' \
    "$TMP/demo.out" || fail "no OK summary"
grep -q '^  FAIL' "$TMP/demo.out" && fail "a check failed"
for check in orders services stock lag; do
    grep -q "^  OK   $check " "$TMP/demo.out" || fail "no OK line for $check"
done
grep -q "^  OK   orders .*(2000 lines read, 2000 distinct order ids)" \
    "$TMP/demo.out" || fail "ls-demo did not read 2000 distinct ids back"
for line in 'order placed ORD-' 'warehouse: processing ORD-' 'inventory: ' \
    'notification: to ' "archive: wrote $TMP/archive/orders/"; do
    grep -q "^$line" "$TMP/demo.out" || fail "no '$line' line"
done
[ "$(grep -c '^order placed ORD-' "$TMP/demo.out")" -eq 2000 ] ||
    fail "not one 'order placed' line per order"
[ "$(grep -c '^notification: to ' "$TMP/demo.out")" -eq 4000 ] ||
    fail "not two notifications per order (received, then shipped or rejected)"

# The files themselves: 2000 distinct order ids, consecutive offsets.
python3 "$LS_SRC/tests/integration/archive_check.py" "$TMP/archive/orders" 2000 ||
    fail "the archive does not hold each order exactly once"
day=$(ls "$TMP/archive/orders")
echo "$day" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' || fail "day dirs: $day"

# Again, quiet, into the same directory: the earlier embedded run's files
# are replaced (the new broker's offsets start at 0 again).
"$BIN/ls-demo" -q --orders 300 --dest "$TMP/archive" \
    >"$TMP/q.out" 2>"$TMP/q.err" || {
    cat "$TMP/q.out" >&2
    fail "second ls-demo exited non-zero"
}
[ "$(head -n 1 "$TMP/q.out")" = "verification:" ] || fail "-q printed more"
grep -q '^OK: 300 orders produced = 300 archived' "$TMP/q.out" ||
    fail "no OK summary in the second run"
grep -q 'removed .* archive file(s) of an earlier run' "$TMP/q.err" ||
    fail "the earlier run's files were not announced as removed"
python3 "$LS_SRC/tests/integration/archive_check.py" "$TMP/archive/orders" 300 ||
    fail "the second archive does not hold each order exactly once"

# A directory with an archive ls-demo did not write: refused, nothing lost.
mkdir -p "$TMP/foreign/orders/2020-01-01"
: >"$TMP/foreign/orders/2020-01-01/orders-archive+0+0000000000+0000000009.json"
expect_exit 2 "$BIN/ls-demo" -q --orders 10 --dest "$TMP/foreign"
expect_stderr "did not write"
[ -e "$TMP/foreign/orders/2020-01-01/orders-archive+0+0000000000+0000000009.json" ] ||
    fail "a foreign archive file was removed"
ok "ls-demo: 2000 orders through the pipeline, archived exactly once, checks pass"
