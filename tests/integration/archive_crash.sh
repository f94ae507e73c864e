#!/bin/sh
# ls-archive killed with SIGKILL at random moments while archiving 200,000
# orders, restarted each time: at the end no record is missing, none is
# duplicated, no in-use file is left.
#   archive_crash.sh [local|webhdfs]
. "$(dirname "$0")/lib.sh"
start_broker --partitions 32 --topic orders
if [ "${1:-local}" = webhdfs ]; then
    start_webhdfs
    DEST="webhdfs://$NAMENODE/arch"
    ROOT="$HDFS_ROOT/arch"
else
    DEST="$TMP/arch"
    ROOT="$TMP/arch"
fi
# Records keep arriving (25,000/s for 8 s) while the archiver is killed
# and restarted, so kills land mid-stream.
"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 200000 \
    --rate 25000 -q 2>"$TMP/produce.err" &
PRODUCER=$!
PIDS="$PIDS $PRODUCER"

# Small files (roll every 1,000 records) so that many are renamed and
# committed between kills.  A short session timeout lets the group evict
# the killed member quickly.
ARGS="-b $BROKERS -t orders --dest $DEST --roll-count 1000
      -X session.timeout.ms=6000 -X heartbeat.interval.ms=500"
seed=${LS_CRASH_SEED:-$(date +%s)}
echo "kill schedule seed: $seed"
for i in 1 2 3 4 5; do
    # Kill 0.2..2.5 s after the partitions are assigned (a join takes
    # ~3 s, plus the dead member's eviction after a kill).
    delay=$(awk -v s="$seed" -v i="$i" 'BEGIN { srand(s + i); printf "%.2f", 0.2 + 2.3 * rand() }')
    "$BIN/ls-archive" $ARGS 2>"$TMP/run$i.err" &
    pid=$!
    wait_until 60 grep -q "assigned" "$TMP/run$i.err" || fail "run $i: no assignment"
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    files=$(find "$ROOT" -name '*.json' 2>/dev/null | wc -l)
    tmps=$(find "$ROOT" -name '*.tmp' 2>/dev/null | wc -l)
    echo "run $i: killed $delay s after assignment: $files final files, $tmps in-use"
done
wait "$PRODUCER" || fail "ls-produce failed"
"$BIN/ls-archive" $ARGS -e -q 2>"$TMP/final.err" || fail "final run failed"
cat "$TMP/final.err"
grep -q discarded "$TMP/broker.err" && fail "the broker discarded records"
python3 "$(dirname "$0")/archive_check.py" "$ROOT" 200000 ||
    fail "archive is not exactly once"
ok "kill -9 at random moments loses and duplicates nothing"
