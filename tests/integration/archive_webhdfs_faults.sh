#!/bin/sh
# ls-archive to WebHDFS while the server misbehaves: a standby namenode
# first in the list, 5% of datanode requests failing with 503, and the
# namenode down for 10 s mid-run.  The run completes with every record
# exactly once and memory bounded (peak RSS checked).
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
start_broker --partitions 32 --topic orders
start_webhdfs --seed 7

# Records keep arriving for ~8 s while the faults happen.
"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 200000 \
    --rate 25000 -q 2>"$TMP/produce.err" &
PRODUCER=$!
PIDS="$PIDS $PRODUCER"

webhdfs_admin POST /admin/faults '{"dn_error_rate": 0.05, "dn_status": 503}' \
    >/dev/null || fail "cannot set faults"
"$BIN/ls-archive" -b "$BROKERS" \
    -t orders --dest "webhdfs://$NAMENODE/archive" \
    -X "hdfs.namenodes=$STANDBY,$NAMENODE" -X hdfs.retries=3 \
    -X hdfs.retry.backoff.max.ms=1000 -X archive.retry.backoff.max.ms=2000 \
    --roll-count 5000 --idle-timeout 2 \
    2>"$TMP/archive.err" &
ARCHIVER=$!
PIDS="$PIDS $ARCHIVER"
wait_until 60 grep -q assigned "$TMP/archive.err" || fail "no assignment"
sleep 1
webhdfs_admin POST /admin/faults '{"nn_down_seconds": 10}' >/dev/null ||
    fail "cannot take the namenode down"
echo "namenode down for 10 s"
wait "$PRODUCER" || fail "ls-produce failed"
# Everything in final files (idle files close after 2 s), then stop.
count() { find "$HDFS_ROOT/archive" -name '*.json' -exec cat {} + 2>/dev/null | wc -l; }
wait_until 120 sh -c "[ \$(find '$HDFS_ROOT/archive' -name '*.json' -exec cat {} + | wc -l) -ge 200000 ]" ||
    fail "only $(count) of 200000 records archived"
# Peak RSS (VmHWM) of the archiver over the whole run.
rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$ARCHIVER/status")
kill -TERM "$ARCHIVER"
wait "$ARCHIVER" || fail "ls-archive exited $?"
tail -n 1 "$TMP/archive.err"
python3 "$(dirname "$0")/archive_check.py" "$HDFS_ROOT/archive" 200000 ||
    fail "not exactly once under faults"
webhdfs_admin GET /admin/stats >"$TMP/stats.json"
python3 - "$TMP/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
f = s['faults']
print("faults injected: %s; standby answers: %s" % (f, s['requests'].get('standby', {}).get('total')))
assert f['error'] > 0, "no datanode error was injected"
PY
grep -q "retrying\|retries" "$TMP/archive.err" || true
echo "peak RSS of ls-archive: $rss MiB"
# (Under AddressSanitizer memory is inflated by design: not checked.)
[ -n "${LS_SANITIZE:-}" ] || [ "$rss" -lt 128 ] || fail "memory grew to $rss MiB"
ok "WebHDFS faults: nothing lost, nothing duplicated, memory bounded"
