#!/bin/sh
# ls-archive to WebHDFS: 200,000 orders (32 partitions) -> the test
# server's files hold every order exactly once under
# /archive/orders/YYYY-MM-DD/, with few HTTP requests per record; a second
# group recovers from the server and adds only new records.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
start_broker --partitions 32 --topic orders
start_webhdfs

"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 200000 -q \
    2>"$TMP/produce.err" || fail "ls-produce failed"
"$BIN/ls-archive" -b "$BROKERS" -t orders --dest "webhdfs://$NAMENODE/archive" \
    -X hdfs.user=archiver --roll-count 20000 -e -q 2>"$TMP/archive.err" ||
    fail "ls-archive to webhdfs failed"
cat "$TMP/archive.err"
day=$(ls "$HDFS_ROOT/archive/orders")
echo "$day" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' || fail "day dirs: $day"
python3 "$(dirname "$0")/archive_check.py" "$HDFS_ROOT/archive" 200000 ||
    fail "archive on WebHDFS is not exactly once"
webhdfs_admin GET /admin/stats >"$TMP/stats.json" || fail "admin stats"
python3 - "$TMP/stats.json" 200000 <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
reqs = {port: v['total'] for port, v in s['requests'].items()}
total = sum(reqs.values())
per100k = total * 100000 / n
print("HTTP requests: %d (%s), %.0f per 100,000 records" % (total, reqs, per100k))
assert per100k < 1000, "too many HTTP requests: batching is broken"
PY

"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --seed 9 --count 1000 -q \
    2>>"$TMP/produce.err" || fail "second ls-produce failed"
"$BIN/ls-archive" -b "$BROKERS" -t orders -G other --dest "webhdfs://$NAMENODE/archive" \
    -e -q 2>"$TMP/archive2.err" || fail "second ls-archive failed"
grep -q "1000 records archived" "$TMP/archive2.err" ||
    fail "recovery from WebHDFS: $(cat "$TMP/archive2.err")"
python3 "$(dirname "$0")/archive_check.py" "$HDFS_ROOT/archive" 201000 ||
    fail "archive on WebHDFS is not exactly once after recovery"
ok "ls-archive to WebHDFS, exactly once, recovered from the server"
