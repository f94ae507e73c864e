#!/bin/sh
# ls-batch2s3 killed with SIGKILL at random moments (0.2..2.5 s after each
# assignment, 5 times, seeded schedule printed) while ERP events arrive,
# restarted each time, then a final -e run: every event is in exactly one
# object's rows.  A batch replayed after a kill overwrites its own object
# (same key); the same event in two different objects is a failure.
#   LS_CRASH_SEED=S to replay a schedule.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
TYPES="sales payments interactions inventory procurement telemetry"
TOPICS=$(for t in $TYPES; do printf '%s_topic,' "$t"; done | sed 's/,$//')
start_broker --partitions 4 $(for t in $TYPES; do printf -- '--topic %s_topic ' "$t"; done)
start_s3rver lsbucket
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
N=36000

# check_once DIR DUMP N: the objects under DIR (one <type>/ per type) hold
# every record of DUMP (kcat lines "topic<TAB>partition<TAB>offset<TAB>
# value", N of them) exactly once, each in the object whose key names its
# partition and the first offset of a run of consecutive offsets.
check_once() {
    python3 - "$@" <<'PY'
import collections, csv, io, json, os, re, sys
root, dump, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
kafka = {}
for line in open(dump, encoding='utf-8'):
    topic, p, o, v = line.rstrip('\n').split('\t', 3)
    t = topic[:-len('_topic')]
    kafka[(t, int(p), int(o))] = json.loads(v)['event_id']
assert len(kafka) == n, "kcat read %d records, expected %d" % (len(kafka), n)
seen = collections.defaultdict(list)
objects = 0
for t in sorted(os.listdir(root)):
    for f in sorted(os.listdir(os.path.join(root, t))):
        m = re.fullmatch(t + r'_\d{8}_\d{6}_p(\d+)_o(\d{10})\.csv', f)
        assert m, "unexpected object %s/%s" % (t, f)
        p, first = int(m.group(1)), int(m.group(2))
        rows = list(csv.DictReader(io.open(os.path.join(root, t, f), newline='', encoding='utf-8')))
        assert rows, "empty object %s/%s" % (t, f)
        objects += 1
        for i, r in enumerate(rows):
            k = (t, p, first + i)
            assert kafka.get(k) == r['event_id'], \
                "%s/%s row %d: %s, but offset %d of %s_topic [%d] is %s" % (
                    t, f, i, r['event_id'], first + i, t, p, kafka.get(k))
            seen[k].append(f)
dups = {k: v for k, v in seen.items() if len(v) > 1}
missing = sorted(k for k in kafka if k not in seen)
if dups:
    for k, v in sorted(dups.items())[:10]:
        print("duplicate: %s_topic [%d] offset %d in %s" % (k[0], k[1], k[2], v), file=sys.stderr)
if missing:
    print("missing: %d records, e.g. %s" % (len(missing), missing[:10]), file=sys.stderr)
assert not dups and not missing, "%d duplicated, %d missing" % (len(dups), len(missing))
print("%d events exactly once in %d objects" % (n, objects))
PY
}

# dump DEST: every record of the six topics, with partition and offset.
dump() {
    for t in $TYPES; do
        kcat -C -b "$BROKERS" -t "${t}_topic" -e -q -o beginning \
            -f '%t\t%p\t%o\t%s\n' || fail "kcat -C ${t}_topic failed"
    done >"$1"
}

# Records keep arriving (900/s for 40 s) while the sink is killed and
# restarted, so kills land mid-stream and mid-batch.
"$BIN/ls-produce" -b "$BROKERS" --gen erp --count "$N" --rate 900 -q \
    2>"$TMP/produce.err" &
PRODUCER=$!
PIDS="$PIDS $PRODUCER"

# Small batches, so that many objects are stored and committed between
# kills.  A short session timeout lets the group evict the killed member
# quickly.
ARGS="-b $BROKERS -t $TOPICS --bucket lsbucket --endpoint $S3_ENDPOINT
      --batch-size 50 --dlq $TMP/dlq.jsonl
      -X session.timeout.ms=6000 -X heartbeat.interval.ms=500"
seed=${LS_CRASH_SEED:-$(date +%s)}
echo "kill schedule seed: $seed"
count_objects() { find "$TMP/s3rver" -name '*._S3rver_object' 2>/dev/null | wc -l; }
for i in 1 2 3 4 5; do
    # Kill 0.2..2.5 s after the partitions are assigned (a join takes
    # ~3 s, plus the dead member's eviction after a kill).
    delay=$(awk -v s="$seed" -v i="$i" 'BEGIN { srand(s + i); printf "%.2f", 0.2 + 2.3 * rand() }')
    "$BIN/ls-batch2s3" $ARGS 2>"$TMP/run$i.err" &
    pid=$!
    PIDS="$PIDS $pid"
    wait_until 60 grep -q "assigned" "$TMP/run$i.err" || fail "run $i: no assignment"
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "run $i: killed $delay s after assignment: $(count_objects) objects so far"
done
wait "$PRODUCER" || fail "ls-produce failed"
"$BIN/ls-batch2s3" $ARGS -e -q 2>"$TMP/final.err" || fail "final run failed"
echo "final run: $(tail -n 1 "$TMP/final.err")"
grep -q discarded "$TMP/broker.err" && fail "the broker discarded records"
dump "$TMP/dump.tsv"
aws --endpoint-url "$S3_ENDPOINT" s3 sync --quiet s3://lsbucket "$TMP/out" ||
    fail "aws s3 sync failed"
check_once "$TMP/out" "$TMP/dump.tsv" "$N" || fail "not exactly once after kills"
[ ! -s "$TMP/dlq.jsonl" ] || fail "unexpected dead letters"
ok "kill -9 at random moments: every event exactly once"
