#!/bin/sh
# Two ls-consume processes in one group split the partitions and together
# read each message exactly once.
. "$(dirname "$0")/lib.sh"
start_broker --partitions 6 --topic split

for n in a b; do
    "$BIN/ls-consume" -b "$BROKERS" -t split -G splitgroup \
        -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
        >"$TMP/$n.out" 2>"$TMP/$n.err" &
    PIDS="$PIDS $!"
done

# Wait until the group is settled: each member's last rebalance line is an
# assignment, and together they hold all 6 partitions.
settled() {
    python3 - "$TMP/a.err" "$TMP/b.err" <<'PY'
import re, sys
total = 0
for f in sys.argv[1:]:
    lines = [l for l in open(f) if re.search(r'(assigned|revoked) \d+', l)]
    if not lines or 'assigned' not in lines[-1]:
        sys.exit(1)
    n = int(re.search(r'assigned (\d+)', lines[-1]).group(1))
    if n == 0:
        sys.exit(1)
    total += n
sys.exit(0 if total == 6 else 1)
PY
}
wait_until 60 settled || fail "the group did not settle on 6 partitions"

"$BIN/ls-produce" -b "$BROKERS" -t split --gen orders --count 6000 -q \
    2>"$TMP/produce.err" || fail "ls-produce failed"
wait_until 60 sh -c "[ \$(cat '$TMP/a.out' '$TMP/b.out' | wc -l) -ge 6000 ]" ||
    fail "only $(cat "$TMP/a.out" "$TMP/b.out" | wc -l) of 6000 read"
sleep 1 # let any duplicate show up before we count
python3 - "$TMP/a.out" "$TMP/b.out" <<'PY'
import json, sys
a = [json.loads(l)['order_id'] for l in open(sys.argv[1])]
b = [json.loads(l)['order_id'] for l in open(sys.argv[2])]
assert len(a) > 0 and len(b) > 0, "one member read nothing: %d/%d" % (len(a), len(b))
both = a + b
assert len(both) == 6000, "read %d, expected 6000" % len(both)
assert len(set(both)) == 6000, "duplicates"
assert not set(a) & set(b)
print("member a read %d, member b read %d, 6000 distinct" % (len(a), len(b)))
PY
ok "a group of two splits the work, each message once"
