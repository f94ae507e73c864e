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

# check_once DIR DUMP N: see batch2s3_check.py.
check_once() { python3 "$(dirname "$0")/batch2s3_check.py" "$@"; }

# dump DEST: every record of the six topics, with partition and offset.
dump() { kcat_dump "$1" $(for t in $TYPES; do echo "${t}_topic"; done); }

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
