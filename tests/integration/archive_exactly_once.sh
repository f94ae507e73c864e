#!/bin/sh
# ls-archive: 200,000 orders over 32 partitions archived with -e; every
# order id is in exactly one final file, none left in use; a second run
# (another group, so no committed offsets) recovers from the destination
# and writes nothing twice; a hostile header in the path stays inside.
. "$(dirname "$0")/lib.sh"
start_broker --partitions 32 --topic orders

"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 200000 -q \
    2>"$TMP/produce.err" || fail "ls-produce failed"
# A short session: the embedded broker evicts a member that left only when
# its session times out, and the offset check below joins the same group.
"$BIN/ls-archive" -b "$BROKERS" -t orders --dest "$TMP/arch" -e -q \
    --roll-count 2500 -X session.timeout.ms=6000 -X heartbeat.interval.ms=1000 \
    2>"$TMP/archive.err" || fail "ls-archive failed"
cat "$TMP/archive.err"
grep -q "200000 records archived" "$TMP/archive.err" || fail "summary"
grep -q "discarded" "$TMP/broker.err" && fail "the broker discarded records"

check() {
    python3 - "$TMP/arch" "$1" <<'PY'
import json, os, re, sys
root, want = sys.argv[1], int(sys.argv[2])
ids, tmp = [], []
for d, _, files in os.walk(root):
    for f in files:
        if f.endswith('.tmp'):
            tmp.append(f)
            continue
        m = re.fullmatch(r'orders-archive\+(\d+)\+(\d{10})\+(\d{10})\.json', f)
        assert m, "unexpected file name %s" % f
        lines = open(os.path.join(d, f)).read().splitlines()
        assert len(lines) == int(m.group(3)) - int(m.group(2)) + 1, f
        ids += [json.loads(l)['order_id'] for l in lines]
assert not tmp, "in-use files left: %s" % tmp
assert len(ids) == want, "%d records in final files, expected %d" % (len(ids), want)
assert len(set(ids)) == want, "duplicates: %d" % (want - len(set(ids)))
print("%d records, each exactly once, no in-use file" % want)
PY
}
check 200000
# Committed offsets equal the log end: the group has nothing left to read.
left=$("$BIN/ls-consume" -b "$BROKERS" -t orders -G ls-archive -e -q | wc -l)
[ "$left" -eq 0 ] || fail "committed offsets lag the log end by $left records"
echo "committed offsets = log end"

"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --seed 5 --count 1000 -q \
    2>>"$TMP/produce.err" || fail "second ls-produce failed"
# The second run reads everything from a Flume-agent-like config file.
cat >"$TMP/agent.conf" <<CONF
# ls-archive agent
brokers = $BROKERS
topic = orders
group = another
dest = $TMP/arch
roll-count = 2500
kafka.fetch.wait.max.ms = 50
CONF
"$BIN/ls-archive" -c "$TMP/agent.conf" -e -q \
    2>"$TMP/archive2.err" || fail "second ls-archive failed"
grep -q "1000 records archived" "$TMP/archive2.err" ||
    fail "recovery: $(cat "$TMP/archive2.err")"
check 201000

# A hostile header value in the path template stays inside the root.
printf 'x\ny\n' | "$BIN/ls-produce" -b "$BROKERS" -t evil -H 'dir=../../escape' -q \
    2>>"$TMP/produce.err" || fail "ls-produce evil"
"$BIN/ls-archive" -b "$BROKERS" -t evil -G evil --dest "$TMP/evil" --path '%{dir}/%{topic}' \
    -e -q 2>"$TMP/archive3.err" || fail "ls-archive evil"
[ ! -e "$TMP/escape" ] && [ ! -e "$TMP/../escape" ] || fail "escaped the root"
[ "$(find "$TMP/evil" -name '*.json' -exec cat {} + | wc -l)" -eq 2 ] ||
    fail "evil records: $(find "$TMP/evil")"

# An unusable destination: clear error, exit 1.
touch "$TMP/file"
expect_exit 1 "$BIN/ls-archive" -b "$BROKERS" -t orders --dest "$TMP/file/sub" -e
expect_stderr "$TMP/file/sub"
ok "ls-archive archives exactly once and recovers from the destination"
