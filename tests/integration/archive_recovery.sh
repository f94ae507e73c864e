#!/bin/sh
# ls-archive's commits and recovery across outages (found by the soak):
# 1. offsets recovered from the destination (and commits that failed,
#    e.g. while the brokers were down) are committed at the next tick, so
#    the group's lag is right without waiting for the partition's next
#    file;
# 2. a destination that is down while partitions are assigned is waited
#    for (the recovery scan is retried), not a reason to exit.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
start_broker --partitions 1 --topic t
seq 1 120 | "$BIN/ls-produce" -b "$BROKERS" -t t -q || fail "ls-produce"
"$BIN/ls-archive" -b "$BROKERS" -t t --dest "$TMP/arch" -G g -e \
    --roll-count 100 -q 2>"$TMP/archive.err" || fail "ls-archive -e exited $?"
# A second group over the same destination: recovery finds offsets 0..119
# there and commits them, with no new file to close.  (The commit that
# failed while the brokers were down is retried the same way, from the
# next tick; the soak run exercises that path.)
"$BIN/ls-archive" -b "$BROKERS" -t t --dest "$TMP/arch" -G g3 \
    --roll-count 100 2>"$TMP/archive3.err" &
ARCHIVER=$!
PIDS="$PIDS $ARCHIVER"
lag_is() { "$BIN/ls-lag" -b "$BROKERS" -G g3 -t t 2>/dev/null | grep -q "TOTAL.*lag=$1\$"; }
wait_until 60 lag_is 0 ||
    fail "recovered offsets not committed: $("$BIN/ls-lag" -b "$BROKERS" -G g3 -t t | tail -n 1)"
kill -TERM "$ARCHIVER"
wait "$ARCHIVER" || fail "ls-archive exited $?"
[ "$(find "$TMP/arch" -name '*.json' | wc -l)" -eq 2 ] || fail "files rewritten"
ok "offsets recovered from the destination are committed: lag 0"

start_webhdfs
seq 1 100 | "$BIN/ls-produce" -b "$BROKERS" -t t2 -q || fail "ls-produce"
webhdfs_admin POST /admin/faults '{"nn_down_seconds": 12}' >/dev/null ||
    fail "cannot take the namenode down"
start=$(date +%s)
"$BIN/ls-archive" -b "$BROKERS" -t t2 --dest "webhdfs://$NAMENODE/a" -G g2 -e \
    -X hdfs.retries=3 -X hdfs.retry.backoff.max.ms=1000 \
    -X archive.retry.backoff.max.ms=2000 2>"$TMP/archive2.err" ||
    fail "ls-archive exited $? with the namenode down at assignment"
grep -q "recovery failed, retrying" "$TMP/archive2.err" ||
    fail "the namenode outage was not seen"
grep -q "100 records archived" "$TMP/archive2.err" || fail "$(tail -n 3 "$TMP/archive2.err")"
ok "the recovery scan waits for the namenode ($(( $(date +%s) - start )) s, outage 12 s)"
