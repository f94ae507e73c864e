#!/bin/sh
# ls-tail killed with SIGKILL at random moments while a writer appends
# (each line carries a unique sequence number), restarted each time with
# the same --position file; once the log is rotated (rename + create)
# while ls-tail is down.  At the end every line is in Kafka exactly once:
# nothing lost (the position covers only acknowledged lines) and nothing
# repeated (lines acknowledged, or stored without an acknowledgement,
# after the last position write are found in the topic by the restart's
# reconciliation and skipped).
#
#   TAIL_ROUNDS=N (default 8) kills; TAIL_SEED=S repeats a run's timings.
. "$(dirname "$0")/lib.sh"
start_broker --partitions 4 --topic rs
LOGS="$TMP/logs"
mkdir -p "$LOGS"
ROUNDS=${TAIL_ROUNDS:-8}
SEED=${TAIL_SEED:-$$}
echo "seed $SEED, $ROUNDS kills"

cat >"$TMP/writer.py" <<'PY'
# writer.py PATH RATE CTLDIR: append "line %08d" lines at RATE/s with
# O_APPEND, one write() per line.  SIGHUP: reopen PATH.  SIGTERM: stop,
# CTLDIR/count holds the number of lines written.
import os, signal, sys, time
path, rate, ctl = sys.argv[1], float(sys.argv[2]), sys.argv[3]
st = {'reopen': False, 'stop': False}
def flag(name):
    def h(*_):
        st[name] = True
    return h
signal.signal(signal.SIGHUP, flag('reopen'))
signal.signal(signal.SIGTERM, flag('stop'))
def op():
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
fd = op()
i, t0 = 0, time.monotonic()
while not st['stop']:
    if st['reopen']:
        os.close(fd)
        fd = op()
        st['reopen'] = False
    os.write(fd, b'line %08d\n' % i)
    i += 1
    d = t0 + i / rate - time.monotonic()
    if d > 0:
        time.sleep(d)
with open(ctl + '/count.tmp', 'w') as f:
    f.write(str(i))
os.rename(ctl + '/count.tmp', ctl + '/count')
PY

# caught_up: every file in the position file is acknowledged to its end.
cat >"$TMP/caught_up.py" <<'PY'
import json, os, sys
pos, logs = sys.argv[1], sys.argv[2]
try:
    files = json.load(open(pos))['files']
except (OSError, ValueError):
    sys.exit(1)
sizes = {}
for n in os.listdir(logs):
    st = os.stat(os.path.join(logs, n))
    sizes[st.st_ino] = st.st_size
cur = os.stat(os.path.join(logs, 'app.log')).st_ino
if not any(e['inode'] == cur for e in files):
    sys.exit(1)
sys.exit(0 if all(sizes.get(e['inode'], -1) == e['pos'] for e in files) else 1)
PY
caught_up() { python3 "$TMP/caught_up.py" "$TMP/pos.json" "$LOGS"; }

# rnd N LO HI: a reproducible random number in [LO, HI) for step N.
rnd() {
    awk -v s="$SEED" -v n="$1" -v lo="$2" -v hi="$3" \
        'BEGIN { srand(s * 1000 + n); printf "%.2f", lo + rand() * (hi - lo) }'
}

start_tail() {
    "$BIN/ls-tail" -b "$BROKERS" -t rs --position "$TMP/pos.json" \
        -X tail.position.interval.ms=500 -X tail.idle.timeout.ms=1500 \
        -X tail.scan.interval.ms=200 "$LOGS/app.log" \
        >"$TMP/tail.$1.out" 2>"$TMP/tail.$1.err" &
    TAIL=$!
    PIDS="$PIDS $TAIL"
}

start_tail 0
wait_until 20 test -s "$TMP/pos.json" || fail "no position file"
python3 "$TMP/writer.py" "$LOGS/app.log" 3000 "$TMP" &
WRITER=$!
PIDS="$PIDS $WRITER"

i=1
while [ "$i" -le "$ROUNDS" ]; do
    up=$(rnd "$i" 0.3 2.5)
    sleep "$up"
    kill -9 "$TAIL"
    wait "$TAIL" 2>/dev/null || true
    note=""
    if [ "$i" -eq $(( (ROUNDS + 1) / 2 )) ]; then
        mv "$LOGS/app.log" "$LOGS/app.log.1"
        sleep 0.2               # the writer still appends to app.log.1
        kill -HUP "$WRITER"
        note=", log rotated while down"
    fi
    down=$(rnd $((i + 500)) 0 0.5)
    sleep "$down"
    start_tail "$i"
    echo "round $i: killed after ${up} s, down ${down} s$note"
    i=$((i + 1))
done
sleep 1
kill -TERM "$WRITER"
wait "$WRITER" || fail "writer failed"
N=$(cat "$TMP/count")
wait_until 60 caught_up || fail "ls-tail did not catch up: $(cat "$TMP/pos.json")"
kill -TERM "$TAIL"
set +e
wait "$TAIL"
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "the last ls-tail exited $rc"
tail -n 1 "$TMP/tail.$ROUNDS.err"
grep -q "renamed to .*app.log.1 while stopped" "$TMP"/tail.*.err ||
    fail "the file rotated while down was not found again"
skipped=$(cat "$TMP"/tail.*.err | sed -n \
    's/.*reconciled with rs: .* read, \([0-9]*\) line(s) of the last run.*/\1/p' |
    awk '{ s += $1 } END { print s + 0 }')
echo "restarts found $skipped line(s) of killed runs already in Kafka"
[ "$skipped" -gt 0 ] || fail "no restart had to reconcile: the test did not test it"

kcat -C -b "$BROKERS" -t rs -e -q -f '%s\n' >"$TMP/kafka.txt" \
    2>"$TMP/kcat.err" || fail "kcat failed"
python3 - "$TMP/kafka.txt" "$N" <<'PY'
import collections, sys
n = int(sys.argv[2])
got = collections.Counter(open(sys.argv[1]).read().split('\n')[:-1])
want = {'line %08d' % i for i in range(n)}
missing = sorted(want - set(got))
dups = sorted(k for k, c in got.items() if c > 1)
extra = sorted(set(got) - want)
assert not missing, "%d line(s) missing, e.g. %s" % (len(missing), missing[:5])
assert not dups, "%d line(s) twice, e.g. %s" % (len(dups), dups[:5])
assert not extra, "unexpected lines %s" % extra[:5]
print("%d lines written, each in Kafka exactly once" % n)
PY
ok "no loss, no duplicate across $ROUNDS kill -9 restarts"
