#!/bin/sh
# ls-archive --http-port on the embedded broker, archiving to the WebHDFS
# test server: while records arrive, /metrics (valid for promtool) has
# counters that only grow; lag reaches 0 at the end; /health turns 503
# while the namenode fails longer than the threshold and 200 again once
# it recovers; headless Chromium draws the live page with the same
# numbers as /api/stats (screenshot kept in the test's temp dir).
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
CHECK="python3 $LS_SRC/tests/integration/monitor_check.py"
start_broker --partitions 8 --topic orders
start_webhdfs

"$BIN/ls-archive" -b "$BROKERS" -t orders --dest "webhdfs://$NAMENODE/archive" \
    --roll-count 2000 --idle-timeout 1 --http-port 0 \
    -X monitor.health.threshold.ms=2000 -X hdfs.retries=1 \
    -X hdfs.retry.backoff.max.ms=200 -X archive.retry.backoff.ms=200 \
    -X archive.retry.backoff.max.ms=500 2>"$TMP/archive.err" &
ARCHIVER=$!
PIDS="$PIDS $ARCHIVER"
wait_until 20 grep -q "monitor on" "$TMP/archive.err" || fail "no monitor line"
URL=$(sed -n 's/.*monitor on \(http[^ ]*\).*/\1/p' "$TMP/archive.err" | head -n 1)
case "$URL" in http://127.0.0.1:*/) ;; *) fail "monitor URL '$URL'" ;; esac
wait_until 60 grep -q assigned "$TMP/archive.err" || fail "no assignment"

# Records arrive for ~6 s while /metrics is sampled.
"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 30000 \
    --rate 5000 -q 2>"$TMP/produce.err" &
PRODUCER=$!
PIDS="$PIDS $PRODUCER"
$CHECK watch "$URL" 4
curl -sf "${URL}metrics" >"$TMP/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$TMP/metrics.txt" || fail "promtool rejects /metrics"
grep -q '^libstream_partition_lag{pipeline="ls-archive",component="source",group="ls-archive",topic="orders",partition="0"}' \
    "$TMP/metrics.txt" || fail "no per-partition lag"
wait "$PRODUCER" || fail "ls-produce failed"
$CHECK wait "$URL" 60 \
    'd["totals"]["records_out"] == 30000 and d["totals"]["lag"] == 0 and len([p for c in d["components"] for p in c.get("partitions", [])]) == 8'
$CHECK health "$URL" 5 200

# The browser: the live page shows what /api/stats says.
python3 "$LS_SRC/tests/monitor/browser_check.py" "$URL" "$TMP/page.png" \
    --min-draws 3 --expect-partitions 8 || fail "browser check"
[ -s "$TMP/page.png" ] || fail "no screenshot"
if [ -n "${LS_KEEP_SCREENSHOT:-}" ]; then cp "$TMP/page.png" "$LS_KEEP_SCREENSHOT"; fi

# The namenode fails every request: /health turns 503 past the 2 s
# threshold, then 200 once it recovers and the new records are archived.
webhdfs_admin POST /admin/faults '{"nn_error_rate": 1.0, "nn_status": 503}' \
    >/dev/null || fail "cannot set faults"
"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 2000 --seed 9 \
    -q 2>>"$TMP/produce.err" || fail "ls-produce (2) failed"
$CHECK health "$URL" 30 503 failing
curl -s "${URL}api/stats" | grep -q '"last_error":{"message"' ||
    fail "no last error in /api/stats"
webhdfs_admin DELETE /admin/faults >/dev/null || fail "cannot clear faults"
$CHECK health "$URL" 30 200 ok
$CHECK wait "$URL" 60 \
    'd["totals"]["records_out"] == 32000 and d["totals"]["lag"] == 0 and d["totals"]["retries"] > 0'

kill -TERM "$ARCHIVER"
wait "$ARCHIVER" || fail "ls-archive exited $?"
python3 "$(dirname "$0")/archive_check.py" "$HDFS_ROOT/archive" 32000 ||
    fail "not exactly once"
ok "monitor: counters grow, lag reaches 0, /health follows the destination, the page matches /api/stats"
