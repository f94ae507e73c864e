#!/bin/sh
# ls-batch2s3 on s3rver: 6,000 ERP/CRM events (1,000 of each of the six
# types, each type on its own <type>_topic) -> CSV objects under
# <type>/ whose rows together are exactly that type's 1,000 events, read
# back with the AWS CLI; non-JSON records go to the dead-letter file.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
start_broker --partitions 4 --topic sales_topic --topic payments_topic \
    --topic interactions_topic --topic inventory_topic \
    --topic procurement_topic --topic telemetry_topic
start_s3rver lsbucket
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1

"$BIN/ls-produce" -b "$BROKERS" --gen erp --count 6000 -q 2>"$TMP/produce.err" ||
    fail "ls-produce failed"
printf 'not json\n[1,2]\n' | "$BIN/ls-produce" -b "$BROKERS" -t sales_topic -q \
    2>>"$TMP/produce.err" || fail "ls-produce bad records failed"
TOPICS=sales_topic,payments_topic,interactions_topic,inventory_topic,procurement_topic,telemetry_topic
"$BIN/ls-batch2s3" -b "$BROKERS" -t "$TOPICS" --bucket lsbucket \
    --endpoint "$S3_ENDPOINT" --dlq "$TMP/dlq.jsonl" -e -q \
    -X session.timeout.ms=6000 2>"$TMP/batch.err" || fail "ls-batch2s3 failed"
cat "$TMP/batch.err"
grep -q "6000 records stored" "$TMP/batch.err" || fail "summary"
grep -q "2 dead letters" "$TMP/batch.err" || fail "dead letters not counted"

aws --endpoint-url "$S3_ENDPOINT" s3 sync --quiet s3://lsbucket "$TMP/out" ||
    fail "aws s3 sync failed"
python3 - "$TMP/out" "$TMP/dlq.jsonl" <<'PY'
import csv, io, json, os, re, sys
root, dlq = sys.argv[1], sys.argv[2]
types = {'sales': 'SALE-', 'payments': 'PAY-', 'interactions': 'INT-',
         'inventory': 'INV-', 'procurement': 'PROC-', 'telemetry': 'TEL-'}
assert sorted(os.listdir(root)) == sorted(types), os.listdir(root)
for t, prefix in types.items():
    ids = []
    for f in os.listdir(os.path.join(root, t)):
        assert re.fullmatch(t + r'_\d{8}_\d{6}_p\d+_o\d{10}\.csv', f), f
        rows = list(csv.DictReader(io.open(os.path.join(root, t, f), newline='', encoding='utf-8')))
        assert rows, f
        for r in rows:
            assert r['event_type'] == t and r['event_id'].startswith(prefix), r
        ids += [r['event_id'] for r in rows]
    assert len(ids) == 1000 and len(set(ids)) == 1000, (t, len(ids), len(set(ids)))
    print("%s/: %d objects, 1000 events exactly once" % (t, len(os.listdir(os.path.join(root, t)))))
dead = [json.loads(l) for l in open(dlq)]
assert len(dead) == 2, dead
assert all(d['reason'] and d['record']['topic'] == 'sales_topic' for d in dead), dead
print("dead letters:", [d['reason'] for d in dead])
PY

# Dead letters to a Kafka topic, with the reason and source as headers; a
# second group re-reads everything and rewrites the same object keys.
before=$(find "$TMP/out" -type f | wc -l)
"$BIN/ls-batch2s3" -b "$BROKERS" -t sales_topic -G second --bucket lsbucket \
    --endpoint "$S3_ENDPOINT" --dlq kafka:dead_letters -e -q \
    -X session.timeout.ms=6000 2>"$TMP/batch2.err" || fail "second run failed"
grep -q "2 dead letters" "$TMP/batch2.err" || fail "$(cat "$TMP/batch2.err")"
kcat -C -b "$BROKERS" -t dead_letters -e -q -f '%h|%s\n' >"$TMP/dlq.txt" ||
    fail "kcat dead_letters"
[ "$(wc -l <"$TMP/dlq.txt")" -eq 2 ] || fail "dead_letters: $(cat "$TMP/dlq.txt")"
grep -q 'ls.dlq.reason=csv: record is not valid JSON.*ls.dlq.source=sales_topic/' "$TMP/dlq.txt" ||
    fail "dead letter headers: $(cat "$TMP/dlq.txt")"
rm -rf "$TMP/out2"
aws --endpoint-url "$S3_ENDPOINT" s3 sync --quiet s3://lsbucket "$TMP/out2" ||
    fail "aws s3 sync failed"
after=$(find "$TMP/out2" -type f | wc -l)
[ "$after" -eq "$before" ] || fail "replay wrote new objects: $before -> $after"
echo "replay by a second group: same $after object keys; dead letters in Kafka"

# JSON lines: a multi-line object is compacted, trailing data and invalid
# UTF-8 are dead letters.
printf '{\n  "b": 2\n}|{"a":1} junk|{"c":"\351"}|{"d":4}' |
    kcat -P -b "$BROKERS" -t misc_topic -p 0 -D '|' || fail "kcat -P misc"
"$BIN/ls-batch2s3" -b "$BROKERS" -t misc_topic -G third --bucket lsbucket \
    --endpoint "$S3_ENDPOINT" --format jsonl --dlq "$TMP/dlq2.jsonl" -e -q \
    -X session.timeout.ms=6000 2>"$TMP/batch3.err" || fail "jsonl run failed"
grep -q "2 records stored.*2 dead letters" "$TMP/batch3.err" || fail "$(cat "$TMP/batch3.err")"
aws --endpoint-url "$S3_ENDPOINT" s3 cp --quiet --recursive s3://lsbucket/misc "$TMP/misc" ||
    fail "aws s3 cp misc"
[ "$(cat "$TMP"/misc/*.jsonl)" = "$(printf '{"b":2}\n{"d":4}')" ] ||
    fail "jsonl object: $(cat "$TMP"/misc/*.jsonl)"
grep -q "trailing data" "$TMP/dlq2.jsonl" && grep -q "UTF-8" "$TMP/dlq2.jsonl" ||
    fail "dlq2: $(cat "$TMP/dlq2.jsonl")"
ok "ls-batch2s3: each type's events exactly once in CSV objects"
