#!/bin/sh
# ls-batch2s3 while S3 misbehaves and ERP events keep arriving:
#   (a) s3rver stopped for 10 s mid-run, then restarted on the same port
#       with the same data directory;
#   (b) fake_s3.py answering ~10% of requests with 503 SlowDown and
#       dropping ~3% of connections before and ~3% after storing.
# Each part ends with a SIGTERM (complete and partial batches stored),
# then a final -e run; every event must then be in exactly one object's
# rows, at the offsets its key names, and the summary must show retries.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
TYPES="sales payments interactions inventory procurement telemetry"
TOPICS=$(for t in $TYPES; do printf '%s_topic,' "$t"; done | sed 's/,$//')
start_broker --partitions 4 $(for t in $TYPES; do printf -- '--topic %s_topic ' "$t"; done)
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
# Small batches and few in-request retries, so that failures reach the
# sink's pause/rewind/backoff path.  A short session timeout lets the
# final run's join evict the stopped member quickly.
COMMON="-b $BROKERS -t $TOPICS --bucket lsbucket --batch-size 50
        -X session.timeout.ms=6000 -X heartbeat.interval.ms=500"
FAULTY="-X s3.retries=2 -X s3sink.retry.backoff.max.ms=2000"

# check_once DIR DUMP N: see batch2s3_check.py.
check_once() { python3 "$(dirname "$0")/batch2s3_check.py" "$@"; }

# dump DEST: every record of the six topics, with partition and offset.
dump() { kcat_dump "$1" $(for t in $TYPES; do echo "${t}_topic"; done); }

retries_of() { sed -n 's/.* \([0-9]*\) retries in .*/\1/p' "$1" | tail -n 1; }

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { [ -z "$(ss -Hltn "sport = :$1")" ]; }

# ---- (a) s3rver down for 10 s, back on the same port and directory
start_s3rver lsbucket
S3PID=${PIDS##* }
PORT=${S3_ENDPOINT##*:}
"$BIN/ls-produce" -b "$BROKERS" --gen erp --count 12000 --rate 1500 -q \
    2>"$TMP/produce_a.err" &
PRODUCER=$!
PIDS="$PIDS $PRODUCER"
"$BIN/ls-batch2s3" $COMMON $FAULTY -G faults_a --endpoint "$S3_ENDPOINT" \
    --dlq "$TMP/dlq_a.jsonl" 2>"$TMP/batch_a.err" &
SINK=$!
PIDS="$PIDS $SINK"
wait_until 60 grep -q assigned "$TMP/batch_a.err" || fail "(a) no assignment"
sleep 1.5
kill "$S3PID"
wait "$S3PID" 2>/dev/null || true
PIDS=$(echo "$PIDS" | sed "s/ $S3PID\b//")
echo "(a) s3rver stopped at $(date +%T)"
sleep 10
wait_until 30 port_free "$PORT" || fail "(a) port $PORT still in use"
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$TMP/s3rver" \
    -a 127.0.0.1 -p "$PORT" --silent --configure-bucket lsbucket \
    >"$TMP/s3rver2.out" 2>"$TMP/s3rver2.err" &
PIDS="$PIDS $!"
wait_until 30 grep -q "^S3rver listening on 127.0.0.1:$PORT\$" "$TMP/s3rver2.out" ||
    fail "(a) s3rver did not restart on port $PORT"
echo "(a) s3rver back on port $PORT at $(date +%T)"
wait "$PRODUCER" || fail "(a) ls-produce failed"
grep -q "S3 failing, paused" "$TMP/batch_a.err" ||
    fail "(a) the outage did not reach the sink's pause/backoff path"
# Backoff is at most 2 s: after 4 s the sink has resumed and caught up.
sleep 4
kill -TERM "$SINK"
wait "$SINK" || fail "(a) ls-batch2s3 exited $? after SIGTERM"
tail -n 1 "$TMP/batch_a.err"
echo "(a) $(grep -c 'S3 failing, paused' "$TMP/batch_a.err") pauses, e.g.: $(grep -m 1 'S3 failing' "$TMP/batch_a.err")"
ra=$(retries_of "$TMP/batch_a.err")
[ "${ra:-0}" -gt 0 ] || fail "(a) the summary shows no retries"
"$BIN/ls-batch2s3" $COMMON -G faults_a --endpoint "$S3_ENDPOINT" \
    --dlq "$TMP/dlq_a.jsonl" -e -q 2>"$TMP/final_a.err" || fail "(a) final run failed"
echo "(a) final run: $(tail -n 1 "$TMP/final_a.err")"
grep -q discarded "$TMP/broker.err" && fail "the broker discarded records"
dump "$TMP/dump_a.tsv"
aws --endpoint-url "$S3_ENDPOINT" s3 sync --quiet s3://lsbucket "$TMP/out_a" ||
    fail "(a) aws s3 sync failed"
check_once "$TMP/out_a" "$TMP/dump_a.tsv" 12000 || fail "(a) not exactly once"
[ ! -s "$TMP/dlq_a.jsonl" ] || fail "(a) unexpected dead letters"
ok "(a) s3rver down 10 s: $ra retries, every event exactly once"

# ---- (b) fake_s3: 10% 503 SlowDown, 3% dropped before, 3% after storing
# The same topics, 6,000 more events: the dump covers both parts, so the
# group here starts at the beginning and must store all 18,000.
start_fake_s3 --bucket lsbucket --seed 11
s3_admin POST /admin/faults '{"error_rate": 0.1, "status": 503, "code": "SlowDown",
    "drop_rate": 0.03, "drop_after_rate": 0.03}' >/dev/null || fail "cannot set faults"
"$BIN/ls-produce" -b "$BROKERS" --gen erp --seed 2 --count 6000 --rate 1500 -q \
    2>"$TMP/produce_b.err" &
PRODUCER=$!
PIDS="$PIDS $PRODUCER"
# No in-request retries here: every fault goes through the sink's rewind.
"$BIN/ls-batch2s3" $COMMON -X s3.retries=0 -X s3sink.retry.backoff.max.ms=2000 \
    -G faults_b --endpoint "$S3_ENDPOINT" \
    --dlq "$TMP/dlq_b.jsonl" 2>"$TMP/batch_b.err" &
SINK=$!
PIDS="$PIDS $SINK"
wait_until 60 grep -q assigned "$TMP/batch_b.err" || fail "(b) no assignment"
wait "$PRODUCER" || fail "(b) ls-produce failed"
sleep 3
kill -TERM "$SINK"
set +e
wait "$SINK"
rc=$?
set -e
tail -n 1 "$TMP/batch_b.err"
# Stopped while S3 fails, it may exit 1: what is not stored is not committed.
[ "$rc" -eq 0 ] || grep -q "closing: S3 is failing" "$TMP/batch_b.err" ||
    fail "(b) ls-batch2s3 exited $rc after SIGTERM"
rb=$(retries_of "$TMP/batch_b.err")
[ "${rb:-0}" -gt 0 ] || fail "(b) the summary shows no retries"
# The final run keeps the faults, with the default in-request retries.
"$BIN/ls-batch2s3" $COMMON -G faults_b --endpoint "$S3_ENDPOINT" \
    --dlq "$TMP/dlq_b.jsonl" -e -q 2>"$TMP/final_b.err" || fail "(b) final run failed"
echo "(b) final run: $(tail -n 1 "$TMP/final_b.err")"
s3_admin GET /admin/stats >"$TMP/stats_b.json" || fail "cannot read stats"
s3_admin DELETE /admin/faults >/dev/null || fail "cannot clear faults"
python3 - "$TMP/stats_b.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))['faults']
print("(b) faults injected:", f)
assert f['error'] > 0 and f['drop'] > 0 and f['drop_after'] > 0, f
PY
grep -q discarded "$TMP/broker.err" && fail "the broker discarded records"
dump "$TMP/dump_b.tsv"
aws --endpoint-url "$S3_ENDPOINT" s3 sync --quiet s3://lsbucket "$TMP/out_b" ||
    fail "(b) aws s3 sync failed"
check_once "$TMP/out_b" "$TMP/dump_b.tsv" 18000 || fail "(b) not exactly once"
[ ! -s "$TMP/dlq_b.jsonl" ] || fail "(b) unexpected dead letters"
ok "(b) 503 SlowDown and dropped connections: $rb retries, every event exactly once"
