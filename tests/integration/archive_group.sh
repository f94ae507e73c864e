#!/bin/sh
# Two ls-archive processes in one group share the partitions and together
# write each record exactly once; SIGTERM closes and commits their files.
. "$(dirname "$0")/lib.sh"
start_broker --partitions 16 --topic orders

for n in a b; do
    "$BIN/ls-archive" -b "$BROKERS" -t orders --dest "$TMP/arch" \
        --roll-count 1000 --idle-timeout 1 \
        -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 2>"$TMP/$n.err" &
    eval "PID_$n=$!"
    PIDS="$PIDS $!"
done
settled() {
    python3 - "$TMP/a.err" "$TMP/b.err" <<'PY'
import re, sys
total = 0
for f in sys.argv[1:]:
    ev = re.findall(r'(assigned|revoked) (\d+)', open(f).read())
    if not ev or ev[-1][0] != 'assigned':
        sys.exit(1)
    total += int(ev[-1][1])
sys.exit(0 if total == 16 else 1)
PY
}
wait_until 60 settled || fail "the group did not settle on 16 partitions"

"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 100000 -q \
    2>"$TMP/produce.err" || fail "ls-produce failed"
# Idle files close after 1 s: wait until every record is in a final file.
in_files() { find "$TMP/arch" -name '*.json' -exec cat {} + 2>/dev/null | wc -l; }
wait_until 90 sh -c "[ \$(find '$TMP/arch' -name '*.json' -exec cat {} + | wc -l) -ge 100000 ]" ||
    fail "only $(in_files) of 100000 records in final files"
kill -TERM "$PID_a" "$PID_b"
wait "$PID_a" || fail "ls-archive a exited $?"
wait "$PID_b" || fail "ls-archive b exited $?"
python3 "$(dirname "$0")/archive_check.py" "$TMP/arch" 100000 ||
    fail "archive is not exactly once"
for n in a b; do
    got=$(sed -n 's/.*: \([0-9]*\) records archived.*/\1/p' "$TMP/$n.err")
    echo "member $n archived $got records"
    [ "${got:-0}" -gt 0 ] || fail "member $n archived nothing"
done
ok "two archivers in one group write each record once"
