#!/bin/sh
# SIGTERM/SIGINT on every long-running tool: the first signal stops it
# cleanly within a few seconds, with its documented exit status, its
# files closed and its offsets committed (what was consumed is what was
# written); a second signal forces the exit at once (status 128 + signal,
# tools/common.c) even when the first one is stuck on a server that does
# not answer.  Each check prints "sig LABEL"; docs/testing.md refers to
# the labels.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
T0=$(date +%s)
track_launched

FAILED=""
# SIG_ONLY="label ..." runs only those checks.
check() {
    case " ${SIG_ONLY:-$1} " in *" $1 "*) ;; *) return 0 ;; esac
    echo "sig $1"
    if ( ROW=$1; "$2" ); then
        echo "ok: $1"
    else
        echo "FAIL: $1" >&2
        FAILED="$FAILED $1"
    fi
}
fail() {
    echo "FAIL [${ROW:-setup}]: $*" >&2
    exit 1
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# launch NAME CMD...: start CMD in the background (stdin /dev/null unless
# LAUNCH_IN names a file), output in $TMP/NAME.out/.err; its pid in
# $TMP/NAME.pid, its exit status in $TMP/NAME.rc once it ends.
launch() {
    name=$1
    shift
    rm -f "$TMP/$name.pid" "$TMP/$name.rc"
    ( set +e
      sh -c 'echo $$ >"$0"; echo $$ >>"${0%/*}/launched"; exec "$@"' "$TMP/$name.pid" "$@" \
        <"${LAUNCH_IN:-/dev/null}" >"$TMP/$name.out" 2>"$TMP/$name.err"
      echo $? >"$TMP/$name.rc" ) &
    wait_until 10 test -s "$TMP/$name.pid" || fail "$name did not start"
}
pid_of() { cat "$TMP/$1.pid"; }
# sig NAME SIGNAL: send SIGNAL to NAME, remember when.
sig() {
    SENT_MS=$(now_ms)
    kill -"$2" "$(pid_of "$1")" 2>/dev/null || true
}
# ends_within NAME SECS: NAME exits within SECS of the last signal; sets
# RC and TOOK_MS.
ends_within() {
    wait_until "$2" test -s "$TMP/$1.rc" || return 1
    RC=$(cat "$TMP/$1.rc")
    TOOK_MS=$(( $(now_ms) - SENT_MS ))
    echo "  $1: exit $RC, ${TOOK_MS} ms after the signal"
}
# alive NAME: NAME has not exited yet.
alive() { ! test -s "$TMP/$1.rc"; }
expect_end() {
    ends_within "$1" "$2" || fail "$1 still running $2 s after the signal"
    [ "$RC" -eq "$3" ] || { tail -n 5 "$TMP/$1.err" >&2; fail "$1 exited $RC, expected $3"; }
}
# stats_above URL [PORT]: a test server's request counter is above 0.
stats_above() {
    curl -sf "$1" | python3 -c 'import json,sys
r = json.load(sys.stdin)["requests"]
r = r[sys.argv[1]] if len(sys.argv) > 1 else r
sys.exit(0 if r["total"] > 0 else 1)' ${2:+"$2"}
}
# lag_of GROUP TOPIC: the group's total lag.
lag_of() {
    "$BIN/ls-lag" -b "$BROKERS" -G "$1" -t "$2" | sed -n 's/^TOTAL .*lag=\([0-9]*\)$/\1/p'
}

start_broker --partitions 4 --topic orders --topic lines --topic stdin
start_webhdfs
start_fake_s3 --bucket bk
export AWS_ACCESS_KEY_ID=AK AWS_SECRET_ACCESS_KEY=SK
"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 1000 -q \
    2>"$TMP/produce.err" || fail "ls-produce"

# ---- ls-broker -------------------------------------------------------------
s_broker() {
    launch b1 "$BIN/ls-broker" --topic x
    wait_until 10 test -s "$TMP/b1.out" || fail "no bootstrap line"
    sig b1 TERM
    expect_end b1 3 0
    grep -q 'stopped' "$TMP/b1.err" || fail "no stop message"
    launch b2 "$BIN/ls-broker"
    wait_until 10 test -s "$TMP/b2.out" || fail "no bootstrap line"
    sig b2 INT
    expect_end b2 3 0
}
s_broker_twice() {
    launch b3 "$BIN/ls-broker" --topic x
    wait_until 10 test -s "$TMP/b3.out" || fail "no bootstrap line"
    sig b3 TERM
    kill -TERM "$(pid_of b3)" 2>/dev/null || true
    ends_within b3 2 || fail "still running"
    [ "$RC" -eq 0 ] || [ "$RC" -eq 143 ] || fail "exit $RC, expected 0 or 143"
}

# ---- ls-consume (no -e) -------------------------------------------------------
s_consume() {
    launch c1 "$BIN/ls-consume" -b "$BROKERS" -t orders -G sigc -X session.timeout.ms=6000
    wait_until 30 sh -c "[ \$(wc -l <'$TMP/c1.out') -ge 1000 ]" ||
        fail "did not read 1000 records: $(wc -l <"$TMP/c1.out")"
    sleep 1.2 # one periodic commit
    sig c1 TERM
    expect_end c1 5 0
    [ "$(wc -l <"$TMP/c1.out")" -eq 1000 ] || fail "wrote $(wc -l <"$TMP/c1.out") lines"
    [ "$(lag_of sigc orders)" = 0 ] || fail "group lag $(lag_of sigc orders), expected 0"
}
s_consume_twice() {
    launch c2 "$BIN/ls-consume" -b "$BROKERS" -t orders -q
    sleep 1
    sig c2 INT
    kill -INT "$(pid_of c2)" 2>/dev/null || true
    ends_within c2 2 || fail "still running"
    [ "$RC" -eq 0 ] || [ "$RC" -eq 130 ] || fail "exit $RC, expected 0 or 130"
}

# ---- ls-archive ------------------------------------------------------------------
s_archive() {
    launch a1 "$BIN/ls-archive" -b "$BROKERS" -t orders -G siga --dest "$TMP/arch" \
        --roll-count 100
    wait_until 30 sh -c "[ \$(find '$TMP/arch' -name '*+*+*+*.json' | wc -l) -ge 8 ]" ||
        fail "the complete files were not written"
    sleep 1
    sig a1 TERM
    expect_end a1 5 0
    grep -q '1000 records archived' "$TMP/a1.err" || fail "$(tail -n 1 "$TMP/a1.err")"
    python3 "$LS_SRC/tests/integration/archive_check.py" "$TMP/arch" 1000 ||
        fail "not every record in exactly one closed file"
    [ "$(lag_of siga orders)" = 0 ] || fail "group lag $(lag_of siga orders)"
}
s_archive_stuck() {
    webhdfs_admin POST /admin/faults '{"dn_delay_ms": 60000}' >/dev/null || fail "faults"
    launch a2 "$BIN/ls-archive" -b "$BROKERS" -t orders -G sigaw \
        --dest "webhdfs://$NAMENODE/stuck" --roll-count 300 -X session.timeout.ms=6000
    # the first files go to the datanode at the close: wait for the
    # assignment (recovery lists the namenode), then for the records
    webhdfs_admin POST /admin/reset >/dev/null || fail "reset"
    wait_until 30 stats_above "http://$ADMIN/admin/stats" namenode ||
        fail "no request reached the namenode"
    sleep 2
    sig a2 TERM
    sleep 2
    alive a2 || fail "the first SIGTERM was not stuck (exit $(cat "$TMP/a2.rc"))"
    sig a2 TERM
    expect_end a2 2 143
    webhdfs_admin DELETE /admin/faults >/dev/null || fail "faults"
    # the next run cleans up after the forced exit: exactly once
    sleep 6 # the forced member's session times out
    expect_exit 0 timeout 60 "$BIN/ls-archive" -b "$BROKERS" -t orders -G sigaw \
        --dest "webhdfs://$NAMENODE/stuck" --roll-count 300 -e -q
    python3 "$LS_SRC/tests/integration/archive_check.py" "$HDFS_ROOT/stuck" 1000 ||
        fail "not exactly once after the forced exit"
}
s_archive_failing() {
    # every datanode write fails (503): the records are sent back and
    # retried; SIGTERM then ends the run with 1, nothing committed
    webhdfs_admin POST /admin/faults '{"dn_error_rate": 1.0}' >/dev/null || fail "faults"
    launch a3 "$BIN/ls-archive" -b "$BROKERS" -t orders -G sigaf \
        --dest "webhdfs://$NAMENODE/failing" --roll-count 100 \
        -X archive.retry.backoff.ms=50 -X archive.retry.backoff.max.ms=300 \
        -X hdfs.retries=1
    wait_until 30 grep -q 'destination failing, paused' "$TMP/a3.err" ||
        fail "no write failed: $(tail -n 3 "$TMP/a3.err")"
    sleep 1
    sig a3 TERM
    expect_end a3 5 1
    # records re-read before the stop are in a file that fails to close;
    # otherwise they were not re-read yet
    grep -Eq 'closing: the destination is failing; .* will be re-read by the next run|closing orders \[[0-3]\] offsets [0-9]+\.\.[0-9]+ \(not committed\): .*503' \
        "$TMP/a3.err" || fail "$(tail -n 2 "$TMP/a3.err")"
    webhdfs_admin DELETE /admin/faults >/dev/null || fail "faults"
    [ "$(lag_of sigaf orders)" = 1000 ] || fail "group lag $(lag_of sigaf orders), expected 1000"
}

# ---- ls-batch2s3 -------------------------------------------------------------------
objects() {
    s3_admin GET "/admin/objects?bucket=bk" |
        python3 -c 'import json,sys; print(len([k for k in json.load(sys.stdin)["buckets"]["bk"] if k.startswith(sys.argv[1])]))' "$1"
}
s_batch2s3() {
    launch s1 "$BIN/ls-batch2s3" -b "$BROKERS" -t orders -G sigs --bucket bk \
        --endpoint "$S3_ENDPOINT" --key 'sigs/p%{partition}_o%{offset}' \
        --dlq "$TMP/dlq1.jsonl"
    wait_until 30 sh -c "[ \"\$(curl -sf 'http://$S3_ADMIN/admin/objects?bucket=bk' |
        grep -o 'sigs/' | wc -l)\" -ge 8 ]" || fail "the complete batches were not stored"
    sleep 1
    sig s1 TERM
    expect_end s1 5 0
    grep -q '1000 records stored' "$TMP/s1.err" || fail "$(tail -n 1 "$TMP/s1.err")"
    [ "$(lag_of sigs orders)" = 0 ] || fail "group lag $(lag_of sigs orders)"
}
s_batch2s3_stuck() {
    s3_admin POST /admin/faults '{"delay_ms": 60000}' >/dev/null || fail "faults"
    s3_admin POST /admin/reset >/dev/null || fail "reset"
    launch s2 "$BIN/ls-batch2s3" -b "$BROKERS" -t orders -G sigsw --bucket bk \
        --endpoint "$S3_ENDPOINT" --key 'sigsw/p%{partition}_o%{offset}' \
        --dlq "$TMP/dlq2.jsonl" -X session.timeout.ms=6000
    wait_until 30 stats_above "http://$S3_ADMIN/admin/stats" ||
        fail "no request reached S3"
    sig s2 TERM
    sleep 2
    alive s2 || fail "the first SIGTERM was not stuck (exit $(cat "$TMP/s2.rc"))"
    sig s2 TERM
    expect_end s2 2 143
    s3_admin DELETE /admin/faults >/dev/null || fail "faults"
    [ "$(lag_of sigsw orders)" = 1000 ] || fail "committed after a forced exit"
}

# ---- ls-http -------------------------------------------------------------------------
s_http() {
    launch h1 "$BIN/ls-http" -b "$BROKERS" --port 0 -t lines
    wait_until 20 test -s "$TMP/h1.out" || fail "ls-http did not start"
    addr=$(head -n 1 "$TMP/h1.out")
    code=$(curl -s -o /dev/null -w '%{http_code}' --data '[{"body":"a"},{"body":"b"}]' \
        "http://$addr/")
    [ "$code" = 200 ] || fail "HTTP $code"
    sig h1 TERM
    expect_end h1 5 0
    grep -q '1 requests, 2 events acknowledged' "$TMP/h1.err" || fail "$(tail -n 1 "$TMP/h1.err")"
    ! curl -s -o /dev/null --data '[]' "http://$addr/" || fail "still listening"
}
s_http_stuck() {
    launch h2 "$BIN/ls-http" -b 127.0.0.1:1 --port 0 -t lines -X message.timeout.ms=60000
    wait_until 20 test -s "$TMP/h2.out" || fail "ls-http did not start"
    addr=$(head -n 1 "$TMP/h2.out")
    curl -s -m 30 -o "$TMP/h2.answer" --data '[{"body":"a"}]' "http://$addr/" &
    sleep 1
    sig h2 TERM
    sleep 2
    alive h2 || fail "the first SIGTERM was not stuck (exit $(cat "$TMP/h2.rc"))"
    sig h2 INT
    expect_end h2 2 130
}

# ---- ls-tail (following) -------------------------------------------------------------
s_tail() {
    : >"$TMP/app.log"
    launch t1 "$BIN/ls-tail" -b "$BROKERS" -t lines --position "$TMP/app.pos" "$TMP/app.log"
    sleep 1.5
    seq 1 500 >>"$TMP/app.log"
    wait_until 20 sh -c "[ \$(kcat -C -b '$BROKERS' -t lines -e -q 2>/dev/null | wc -l) -ge 500 ]" ||
        fail "lines not delivered"
    sig t1 TERM
    expect_end t1 5 0
    grep -q 'sent 500, delivered 500, failed 0' "$TMP/t1.err" || fail "$(tail -n 1 "$TMP/t1.err")"
    python3 -c 'import json,os,sys
p = json.load(open(sys.argv[1]))
assert p["clean"] is True, p
assert p["files"][0]["pos"] == os.path.getsize(sys.argv[2]), p' "$TMP/app.pos" "$TMP/app.log" ||
        fail "position file not final: $(cat "$TMP/app.pos")"
}
s_tail_stuck() {
    : >"$TMP/app2.log"
    launch t2 "$BIN/ls-tail" -b 127.0.0.1:1 -t lines --position "$TMP/app2.pos" \
        -X message.timeout.ms=60000 -X tail.exactly.once=false "$TMP/app2.log"
    sleep 1.5
    seq 1 5 >>"$TMP/app2.log"
    sleep 1
    sig t2 TERM
    sleep 2
    alive t2 || fail "the first SIGTERM was not stuck (exit $(cat "$TMP/t2.rc"))"
    sig t2 TERM
    expect_end t2 2 143
    grep -q '"clean":false' "$TMP/app2.pos" || fail "$(cat "$TMP/app2.pos")"
}

s_tail_reconcile() {
    # exactly once: the start-up reconciliation waits up to 30 s for the
    # brokers; a signal then ends it at once (before the signal handlers
    # are installed: default action, status 143)
    : >"$TMP/app3.log"
    launch t3 "$BIN/ls-tail" -b 127.0.0.1:1 -t lines --position "$TMP/app3.pos" \
        "$TMP/app3.log"
    sleep 2
    sig t3 TERM
    ends_within t3 3 || fail "still running"
    [ "$RC" -eq 143 ] || [ "$RC" -eq 0 ] || [ "$RC" -eq 1 ] || fail "exit $RC"
}

# ---- ls-produce (stdin kept open) -----------------------------------------------------
s_produce() {
    mkfifo "$TMP/fifo1"
    exec 7<>"$TMP/fifo1"
    LAUNCH_IN="$TMP/fifo1" launch p1 "$BIN/ls-produce" -b "$BROKERS" -t stdin
    seq 1 100 >&7
    wait_until 20 sh -c "[ \$(kcat -C -b '$BROKERS' -t stdin -e -q 2>/dev/null | wc -l) -ge 100 ]" ||
        fail "lines not delivered"
    sig p1 TERM
    expect_end p1 3 0
    exec 7>&-
    grep -q 'sent 100, delivered 100, failed 0' "$TMP/p1.err" || fail "$(cat "$TMP/p1.err")"
    ! grep -q 'Interrupted system call' "$TMP/p1.err" || fail "the stop is reported as an error"
}
s_produce_stuck() {
    mkfifo "$TMP/fifo2"
    exec 7<>"$TMP/fifo2"
    LAUNCH_IN="$TMP/fifo2" launch p2 "$BIN/ls-produce" -b 127.0.0.1:1 -t stdin \
        -X message.timeout.ms=60000
    seq 1 3 >&7
    sleep 1
    sig p2 TERM
    expect_end p2 8 1 # waits at most 5 s for deliveries after a signal
    exec 7>&-
    grep -q '3 message(s) not delivered' "$TMP/p2.err" || fail "$(cat "$TMP/p2.err")"
}
s_produce_twice() {
    mkfifo "$TMP/fifo3"
    exec 7<>"$TMP/fifo3"
    LAUNCH_IN="$TMP/fifo3" launch p3 "$BIN/ls-produce" -b 127.0.0.1:1 -t stdin \
        -X message.timeout.ms=60000
    seq 1 3 >&7
    sleep 1
    sig p3 TERM
    sleep 1
    alive p3 || fail "ended before the second signal"
    sig p3 TERM
    expect_end p3 2 143
    exec 7>&-
}

# ---- ls-demo --------------------------------------------------------------------------
s_demo() {
    launch d1 "$BIN/ls-demo" --orders 1000 --rate 20 --dest "$TMP/demo" -q
    sleep 6
    sig d1 TERM
    expect_end d1 15 1
    grep -q 'interrupted' "$TMP/d1.out" "$TMP/d1.err" || fail "no 'interrupted' in the summary"
    ! find "$TMP/demo" -name '*.tmp' | grep -q . || fail "in-use files left"
}
s_demo_stuck() {
    launch d2 "$BIN/ls-demo" -b 127.0.0.1:1 --orders 10 --dest "$TMP/demo2" -q
    sleep 3
    sig d2 TERM
    if ! ends_within d2 10; then
        sig d2 TERM
        ends_within d2 3 || fail "still running after a second SIGTERM"
        fail "the first SIGTERM took more than 10 s (the second forced exit $RC)"
    fi
    [ "$RC" -eq 1 ] || fail "exit $RC, expected 1"
}
s_demo_twice() {
    launch d3 "$BIN/ls-demo" -b 127.0.0.1:1 --orders 10 --dest "$TMP/demo3" -q
    sleep 3
    sig d3 TERM
    sleep 0.5
    if alive d3; then
        sig d3 TERM
        expect_end d3 2 143
    fi
}

check broker.term s_broker
check broker.term-twice s_broker_twice
check consume.term s_consume
check consume.int-twice s_consume_twice
check produce.term-stdin-open s_produce
check produce.term-undelivered s_produce_stuck
check produce.term-twice s_produce_twice
check http.term s_http
check http.term-stuck-then-int s_http_stuck
check tail.term s_tail
check tail.term-stuck-twice s_tail_stuck
check tail.term-reconciling s_tail_reconcile
check archive.term s_archive
check archive.term-stuck-twice s_archive_stuck
check archive.term-failing s_archive_failing
check batch2s3.term s_batch2s3
check batch2s3.term-stuck-twice s_batch2s3_stuck
check demo.term s_demo
check demo.term-unreachable s_demo_stuck
check demo.term-twice s_demo_twice

secs=$(( $(date +%s) - T0 ))
if [ -n "$FAILED" ]; then
    echo "FAIL: signal checks failed:$FAILED (${secs}s)" >&2
    exit 1
fi
ok "every long-running tool stops on SIGTERM/SIGINT as documented (${secs}s)"
