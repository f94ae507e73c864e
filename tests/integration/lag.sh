#!/bin/sh
# ls-lag: a group that read K of N records shows lag N-K, in total and per
# partition (committed = what the group wrote, end = what the topic holds);
# after the group read the rest, lag 0.  JSON output parses; exit codes.
. "$(dirname "$0")/lib.sh"
start_broker --partitions 4 --topic lagt
N=1000
K=300

"$BIN/ls-produce" -b "$BROKERS" -t lagt --gen clicks --count $N -q \
    2>"$TMP/produce.err" || fail "ls-produce failed"
# The topic as it is: partition and offset of every record.
"$BIN/ls-consume" -b "$BROKERS" -t lagt -e -q -f json >"$TMP/all.json" \
    2>"$TMP/all.err" || fail "ls-consume (no group) failed"
[ "$(wc -l <"$TMP/all.json")" -eq $N ] || fail "topic holds $(wc -l <"$TMP/all.json") records, expected $N"

# The group reads K records and commits what it wrote.  A short session:
# the embedded broker evicts a member that left only when its session
# times out, and the group is joined again below.  (ls-lag never joins.)
"$BIN/ls-consume" -b "$BROKERS" -t lagt -G g -c $K -q -f json \
    -X session.timeout.ms=6000 -X heartbeat.interval.ms=1000 \
    >"$TMP/read1.json" 2>"$TMP/read1.err" || fail "ls-consume -G g -c $K failed"
[ "$(wc -l <"$TMP/read1.json")" -eq $K ] || fail "the group read $(wc -l <"$TMP/read1.json"), expected $K"

# check_lag WANT_TOTAL READ_FILES...: ls-lag's JSON (-t) and text (no -t)
# against the offsets the group read and the topic's contents.
check_lag() {
    want=$1
    shift
    "$BIN/ls-lag" -b "$BROKERS" -G g -t lagt -f json >"$TMP/lag.json" \
        2>"$TMP/lag.err" || fail "ls-lag -f json exited $?"
    "$BIN/ls-lag" -b "$BROKERS" -G g >"$TMP/lag.txt" 2>>"$TMP/lag.err" ||
        fail "ls-lag exited $?"
    cat "$TMP/lag.txt"
    python3 - "$want" "$TMP/lag.json" "$TMP/lag.txt" "$TMP/all.json" "$@" <<'PY'
import json, re, sys
want, lagf, txtf, allf, reads = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
doc = json.load(open(lagf))
end = {}
for l in open(allf):
    r = json.loads(l)
    end[r['partition']] = max(end.get(r['partition'], 0), r['offset'] + 1)
committed = {}
for f in reads:
    for l in open(f):
        r = json.loads(l)
        committed[r['partition']] = max(committed.get(r['partition'], 0), r['offset'] + 1)
assert [g['group'] for g in doc['groups']] == ['g'], doc
parts = doc['groups'][0]['partitions']
assert [p['partition'] for p in parts] == [0, 1, 2, 3], parts
for p in parts:
    n = p['partition']
    assert p['topic'] == 'lagt', p
    assert p['end'] == end.get(n, 0), (p, end)
    assert p['committed'] == committed.get(n), (p, committed)
    assert p['lag'] == end.get(n, 0) - committed.get(n, 0), p
assert doc['groups'][0]['lag'] == want and doc['lag'] == want, (doc, want)
# Text: one row per partition the group committed in (and the rest of
# that topic), and the TOTAL line.
rows = [l.split() for l in open(txtf) if l.startswith('g ')]
assert len(rows) == 4, rows
for row in rows:
    n = int(row[2])
    assert int(row[4]) == end.get(n, 0) and int(row[5]) == end.get(n, 0) - committed.get(n, 0), row
    assert row[3] == (str(committed[n]) if n in committed else '-'), row
total = [l for l in open(txtf) if l.startswith('TOTAL ')]
assert total == ['TOTAL group=g partitions=4 lag=%d\n' % want], total
print('lag %d: %s' % (want, ' '.join('p%d=%d' % (p['partition'], p['lag']) for p in parts)))
PY
}
check_lag $((N - K)) "$TMP/read1.json" || fail "lag after reading $K of $N"
ok "after $K of $N: lag $((N - K)) in total and per partition"

# The rest: lag 0 everywhere.
"$BIN/ls-consume" -b "$BROKERS" -t lagt -G g -e -q -f json \
    >"$TMP/read2.json" 2>"$TMP/read2.err" || fail "ls-consume -G g -e failed"
[ "$(cat "$TMP/read1.json" "$TMP/read2.json" | wc -l)" -eq $N ] ||
    fail "the group read $(cat "$TMP/read1.json" "$TMP/read2.json" | wc -l) in all, expected $N"
check_lag 0 "$TMP/read1.json" "$TMP/read2.json" || fail "lag after reading all"
ok "after all $N: lag 0"

# A group that never committed: no rows without -t, every record with -t.
"$BIN/ls-lag" -b "$BROKERS" -G nobody -t lagt -f json >"$TMP/nobody.json" ||
    fail "ls-lag -G nobody exited $?"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["lag"]==int(sys.argv[2]) and all(p["committed"] is None for p in d["groups"][0]["partitions"]), d' \
    "$TMP/nobody.json" $N || fail "group without commits: $(cat "$TMP/nobody.json")"
expect_exit 0 "$BIN/ls-lag" -b "$BROKERS" -G nobody
expect_stderr 'group "nobody" has no committed offsets'
grep -qx 'TOTAL group=nobody partitions=0 lag=0' "$TMP/last.out" || fail "$(cat "$TMP/last.out")"
ok "a group without commits"

# Exit codes: the embedded broker cannot list groups (2, says -G); a
# missing topic or an unreachable broker (1); usage (2); help (0).
expect_exit 2 "$BIN/ls-lag" -b "$BROKERS"
expect_stderr "-G GROUP"
expect_exit 1 "$BIN/ls-lag" -b "$BROKERS" -G g -t nosuchtopic
expect_stderr 'topic "nosuchtopic" does not exist'
expect_exit 1 "$BIN/ls-lag" -b 127.0.0.1:1 -G g --timeout 1000
expect_stderr "cannot reach brokers 127.0.0.1:1"
expect_exit 2 "$BIN/ls-lag" -b "$BROKERS" -G g -f xml
expect_exit 2 "$BIN/ls-lag" -b "$BROKERS" -G g -t 'bad topic'
expect_exit 2 "$BIN/ls-lag" -b "$BROKERS" -G g -X no.such.property=1
expect_exit 0 "$BIN/ls-lag" --help
grep -q '^Usage: ls-lag' "$TMP/last.out" || fail "--help"
ok "exit codes"
