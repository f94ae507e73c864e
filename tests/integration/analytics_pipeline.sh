#!/bin/sh
# The analytics pipeline end to end: an "application" writes click events
# to its log (ls-produce --print), ls-tail ships the log into the topic
# events while it grows, and the price_buckets example counts them in a
# consumer group.  Its TOTAL line must count exactly the 6000 events, and
# its bucket counts and category averages must equal what Python computes
# from the log with the same thresholds.
. "$(dirname "$0")/lib.sh"
start_broker --partitions 4 --topic events
N=6000
PB="$LS_BUILD/examples/price_buckets"

# records_in_topic: the number of records in events (a group that never
# committed lags by all of them).
records_in_topic() {
    "$BIN/ls-lag" -b "$BROKERS" -G nobody -t events -f json 2>/dev/null |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["lag"])'
}
topic_full() {
    [ "$(records_in_topic)" = "$N" ]
}

: >"$TMP/app.log"
"$BIN/ls-tail" -b "$BROKERS" -t events --from-start "$TMP/app.log" \
    >"$TMP/tail.out" 2>"$TMP/tail.err" &
TAIL_PID=$!
PIDS="$PIDS $TAIL_PID"

"$BIN/ls-produce" --gen clicks --rate 2000 --print --count $N \
    >>"$TMP/app.log" 2>"$TMP/app.err" || fail "ls-produce --print failed"
grep -q "printed $N event(s)" "$TMP/app.err" || fail "summary: $(cat "$TMP/app.err")"
[ "$(wc -l <"$TMP/app.log")" -eq $N ] || fail "app.log has $(wc -l <"$TMP/app.log") lines"
ok "the application wrote $N events to app.log at 2000/s"

wait_until 60 topic_full ||
    fail "the topic holds $(records_in_topic) of $N records"
kill -TERM "$TAIL_PID"
wait "$TAIL_PID" || fail "ls-tail exited $? after SIGTERM"
[ "$(records_in_topic)" -eq $N ] || fail "the topic holds $(records_in_topic) records, expected $N"
"$BIN/ls-consume" -b "$BROKERS" -t events -e -q | sort >"$TMP/topic.sorted" ||
    fail "ls-consume failed"
sort "$TMP/app.log" | cmp -s - "$TMP/topic.sorted" ||
    fail "the topic's records differ from app.log's lines"
ok "ls-tail shipped the $N lines into events, each once"

# check_buckets OUT LOW HIGH: price_buckets' output against the log.
check_buckets() {
    python3 - "$TMP/app.log" "$1" "$2" "$3" <<'PY'
import json, re, sys
log, out, low, high = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
want = [0, 0, 0]
cats = {}
for line in open(log):
    e = json.loads(line)
    p = e['price']
    want[0 if p < low else 1 if p < high else 2] += 1
    c = cats.setdefault(e['category'], [0, 0.0])
    c[0] += 1
    c[1] += p
lines = open(out).read().splitlines()
total = [l for l in lines if l.startswith('TOTAL ')]
assert len(total) == 1, total
got = dict(kv.split('=') for kv in total[0].split()[1:])
expect = {'low': want[0], 'medium': want[1], 'high': want[2],
          'events': sum(want), 'skipped': 0}
assert {k: int(v) for k, v in got.items()} == expect, (total[0], expect)
assert sum(want) == 6000
final = lines.index([l for l in lines if l.startswith('final: ')][-1])
seen = {}
for l in lines[final + 1:]:
    m = re.match(r'^  (.+?)\s+(\d+)\s+avg\s+([\d.]+)$', l)
    if m:
        seen[m.group(1)] = (int(m.group(2)), float(m.group(3)))
assert set(seen) == set(cats), (seen, cats)
for name, (n, s) in cats.items():
    assert seen[name][0] == n and abs(seen[name][1] - s / n) < 0.006, (name, seen[name], n, s / n)
print('%s: low=%d medium=%d high=%d, %d categories' % (total[0], want[0], want[1], want[2], len(cats)))
PY
}

"$PB" -b "$BROKERS" -t events -g analytics -e >"$TMP/pb.out" 2>"$TMP/pb.err" ||
    fail "price_buckets exited $?: $(cat "$TMP/pb.err")"
check_buckets "$TMP/pb.out" 50 500 || fail "price_buckets (default thresholds)"
"$BIN/ls-lag" -b "$BROKERS" -G analytics -t events >"$TMP/lag.txt" ||
    fail "ls-lag exited $?"
grep -qx "TOTAL group=analytics partitions=4 lag=0" "$TMP/lag.txt" ||
    fail "the group still lags: $(cat "$TMP/lag.txt")"
ok "price_buckets counted all $N events into the right buckets; group lag 0"

"$PB" -b "$BROKERS" -t events -g analytics2 --low 20 --high 1000 -e \
    >"$TMP/pb2.out" 2>"$TMP/pb2.err" || fail "price_buckets --low 20 --high 1000 exited $?"
check_buckets "$TMP/pb2.out" 20 1000 || fail "price_buckets (--low 20 --high 1000)"
ok "configurable thresholds"
