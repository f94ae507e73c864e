#!/bin/sh
# ls-http (Flume HTTP source, JSONHandler format) with curl against the
# embedded broker: a good batch arrives with its headers, malformed JSON and
# wrong shapes get 400 with a JSON reason, a huge body 413, base64 bodies
# are decoded, a bearer token is enforced, 10 concurrent clients x 100
# requests land exactly once, a stopped broker gives 503 within a bounded
# time and 200 again once it is back, and SIGTERM waits for the
# acknowledgements of requests in flight.
. "$(dirname "$0")/lib.sh"

# Whatever happens, never leave a broker stopped (cleanup would wait on it).
STOPPED=""
trap 'rc=$?; for p in $STOPPED; do kill -CONT "$p" 2>/dev/null || true; done; set +e; (exit $rc); cleanup' EXIT

# start_http NAME [ls-http args]: start ls-http on a free port; sets
# HTTP (host:port) and NAME_PID.
start_http() {
    name=$1
    shift
    "$BIN/ls-http" --port 0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    pid=$!
    PIDS="$PIDS $pid"
    eval "${name}_PID=$pid"
    wait_until 20 test -s "$TMP/$name.out" || fail "ls-http ($name) did not start"
    HTTP=$(head -n 1 "$TMP/$name.out")
    case "$HTTP" in
        127.0.0.1:[0-9]*) ;;
        *) fail "ls-http printed '$HTTP', expected 127.0.0.1:PORT" ;;
    esac
}

# post URL DATA [curl args]: POST DATA; prints the status code; the answer
# is in $TMP/resp, its headers in $TMP/resp.h.
post() {
    url=$1
    data=$2
    shift 2
    curl -s -o "$TMP/resp" -D "$TMP/resp.h" -w '%{http_code}' --max-time 30 \
        -H 'Content-Type: application/json' --data-binary "$data" "$@" \
        "http://$url/" || true
}

# expect_post CODE URL DATA [curl args]: the answer has status CODE and a
# JSON object body.
expect_post() {
    want=$1
    shift
    got=$(post "$@")
    [ "$got" = "$want" ] || fail "POST $2 -> $got, expected $want: $(cat "$TMP/resp")"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d, dict)' \
        "$TMP/resp" || fail "answer is not a JSON object: $(cat "$TMP/resp")"
}

# resp_has TEXT: the last answer contains TEXT.
resp_has() {
    grep -qF -- "$1" "$TMP/resp" || fail "answer lacks '$1': $(cat "$TMP/resp")"
}

start_broker --partitions 4 --topic events --topic conc
expect_exit 2 "$BIN/ls-http" --port 0 -b "$BROKERS" --dest hdfs://nn/x
expect_stderr "not available"
expect_exit 2 "$BIN/ls-http" -b "$BROKERS" -t events
expect_stderr "--port"
expect_exit 0 "$BIN/ls-http" --help
grep -q "Usage: ls-http" "$TMP/last.out" || fail "--help lacks Usage"

start_http main -b "$BROKERS" -t events -H src=http-test --key-header host
MAIN=$HTTP

# ---- good batch: 200 after the acknowledgement, records with headers
expect_post 200 "$MAIN" '[{"headers":{"host":"web1","level":"info"},"body":"hello 1"},
  {"headers":{"host":"web2"},"body":"héllo \"2\""},{"body":"no headers"}]'
resp_has '{"accepted":3}'
expect_post 200 "$MAIN" '[]'
resp_has '{"accepted":0}'
kcat -C -b "$BROKERS" -t events -e -q -f '%k|%h %s\n' >"$TMP/events.txt" 2>"$TMP/kcat.err" ||
    fail "kcat failed"
sort "$TMP/events.txt" >"$TMP/got.txt"
cat >"$TMP/want.txt" <<'EOF'
web1|src=http-test,host=web1,level=info hello 1
web2|src=http-test,host=web2 héllo "2"
|src=http-test no headers
EOF
sort "$TMP/want.txt" | diff -u - "$TMP/got.txt" || fail "records differ from the batch"
ok "good batch: 200 {\"accepted\":3}, records with headers and keys in Kafka"

# ---- malformed JSON and wrong shapes: 400 with a JSON reason
expect_post 400 "$MAIN" '[{"headers":{"a":"1"},"body":"x"},'
resp_has 'malformed JSON at byte'
expect_post 400 "$MAIN" '[{"body":"x"}] trailing'
resp_has 'unexpected data after the JSON value at byte 15'
expect_post 400 "$MAIN" '{"headers":{},"body":"x"}'
resp_has 'expected a JSON array of events'
expect_post 400 "$MAIN" '[{"body":"ok"},"just a string"]'
resp_has '$[1]: expected an event object'
expect_post 400 "$MAIN" '[{"headers":{"n":1},"body":"x"}]'
resp_has '$[0].headers.n: expected a string, got a number'
expect_post 400 "$MAIN" '[{"headers":{"a":"b"}}]'
resp_has '$[0]: \"body\" is missing'
expect_post 400 "$MAIN" '[{"body":42}]'
resp_has '$[0].body: expected a string, got a number'
expect_post 400 "$MAIN" ''
resp_has 'empty body'
expect_post 405 "$MAIN" '' -X GET
ok "malformed JSON and wrong shapes: 400 naming the problem and position"

# ---- huge body: 413 (declared length, and chunked), server still fine
python3 -c 'import json; print(json.dumps([{"body": "x" * 2000000}]))' >"$TMP/big.json"
expect_post 413 "$MAIN" "@$TMP/big.json"
resp_has 'over the limit of 1048576 bytes'
expect_post 413 "$MAIN" "@$TMP/big.json" -H 'Transfer-Encoding: chunked'
python3 -c 'import json; print(json.dumps([{"body": "x" * 1000100}]))' >"$TMP/event.json"
expect_post 413 "$MAIN" "@$TMP/event.json"
resp_has 'message.max.bytes'
expect_post 200 "$MAIN" '[{"body":"after the big ones"}]'
ok "huge body: 413, and the next request is served"

# ---- base64 bodies (X-Body-Encoding: base64)
expect_post 200 "$MAIN" '[{"headers":{"host":"b64"},"body":"aGVsbG8gYmFzZTY0AP8="}]' \
    -H 'X-Body-Encoding: base64'
expect_post 400 "$MAIN" '[{"body":"aGVsbG8*"}]' -H 'X-Body-Encoding: base64'
resp_has '$[0].body: invalid base64 at character 7'
kcat -C -b "$BROKERS" -t events -e -q -f '%k %s\n' >"$TMP/b64.txt" 2>"$TMP/kcat.err" ||
    fail "kcat failed"
python3 - "$TMP/b64.txt" <<'PY' || fail "base64 body not decoded byte-exact"
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')
assert b'b64 hello base64\x00\xff' in lines, [l for l in lines if l.startswith(b'b64')]
PY
ok "base64 body decoded byte-exact"

# ---- bearer token
LS_HTTP_TOKEN=s3cret-token start_http auth -b "$BROKERS" -t events
AUTH=$HTTP
expect_post 401 "$AUTH" '[{"body":"x"}]'
grep -qi '^WWW-Authenticate: Bearer' "$TMP/resp.h" || fail "401 without WWW-Authenticate"
expect_post 401 "$AUTH" '[{"body":"x"}]' -H 'Authorization: Bearer wrong'
expect_post 200 "$AUTH" '[{"body":"authorized"}]' -H 'Authorization: Bearer s3cret-token'
kill "$auth_PID"
wait "$auth_PID" || fail "ls-http (auth) exited $? after SIGTERM"
! grep -q s3cret "$TMP/auth.err" "$TMP/auth.out" "$TMP/resp" || fail "the token was printed"
ok "bearer token: 401 without or with a wrong one, 200 with it, never printed"

# ---- 10 concurrent clients x 100 requests x 5 events, keep-alive
start_http conc -b "$BROKERS" -t conc
CONC=$HTTP
python3 - "$TMP" "$CONC" <<'PY'
import sys
tmp, url = sys.argv[1], sys.argv[2]
for c in range(10):
    with open('%s/client%d.cfg' % (tmp, c), 'w') as f:
        for r in range(100):
            body = '[' + ','.join('{\\"headers\\":{\\"c\\":\\"%d\\"},\\"body\\":\\"c%d-r%d-e%d\\"}'
                                  % (c, c, r, e) for e in range(5)) + ']'
            f.write('%surl = "http://%s/"\ndata-binary = "%s"\n'
                    'header = "Content-Type: application/json"\n'
                    'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
                    'max-time = 30\nsilent\n'
                    % ('next\n' if r else '', url, body))
PY
start=$(date +%s)
for c in 0 1 2 3 4 5 6 7 8 9; do
    curl -K "$TMP/client$c.cfg" >"$TMP/codes$c.txt" 2>"$TMP/curl$c.err" &
    eval "cpid$c=$!"
done
for c in 0 1 2 3 4 5 6 7 8 9; do
    eval "wait \$cpid$c" || fail "curl client $c failed: $(cat "$TMP/curl$c.err")"
done
end=$(date +%s)
cat "$TMP"/codes*.txt | sort | uniq -c >"$TMP/codes.txt"
[ "$(cat "$TMP/codes.txt" | tr -s ' ')" = " 1000 200" ] ||
    fail "statuses: $(cat "$TMP/codes.txt")"
kcat -C -b "$BROKERS" -t conc -e -q -f '%h %s\n' >"$TMP/conc.txt" 2>"$TMP/kcat.err" ||
    fail "kcat failed"
python3 - "$TMP/conc.txt" <<'PY'
import collections, sys
lines = open(sys.argv[1], encoding='utf-8').read().splitlines()
want = {'c=%d c%d-r%d-e%d' % (c, c, r, e)
        for c in range(10) for r in range(100) for e in range(5)}
dup = [l for l, n in collections.Counter(lines).items() if n > 1]
assert not dup, "duplicates: %r" % dup[:5]
assert set(lines) == want, "missing %d, unexpected %d" % (
    len(want - set(lines)), len(set(lines) - want))
PY
ok "10 clients x 100 requests: 1000 x 200 in $((end - start)) s, 5000 events exactly once"

# ---- sink down: a stopped broker gives 503 within a bounded time, then 200
"$BIN/ls-broker" --topic down >"$TMP/broker2.out" 2>"$TMP/broker2.err" &
B2PID=$!
PIDS="$PIDS $B2PID"
wait_until 20 test -s "$TMP/broker2.out" || fail "second ls-broker did not start"
B2=$(head -n 1 "$TMP/broker2.out")
start_http down -b "$B2" -t down -X message.timeout.ms=2000 \
    -X httpsrc.backoff.ms=1000
DOWN=$HTTP
expect_post 200 "$DOWN" '[{"body":"before"}]'
kill -STOP "$B2PID"
STOPPED=$B2PID
t0=$(date +%s)
expect_post 503 "$DOWN" '[{"body":"while down"}]'
t1=$(date +%s)
[ $((t1 - t0)) -le 10 ] || fail "503 took $((t1 - t0)) s"
resp_has 'not acknowledged by Kafka'
resp_has '"delivered":0'
expect_post 503 "$DOWN" '[{"body":"rejected at once"}]'
resp_has 'the Kafka sink is failing'
grep -qi '^Retry-After: 1' "$TMP/resp.h" || fail "503 without Retry-After: $(cat "$TMP/resp.h")"
kill -CONT "$B2PID"
STOPPED=""
post_is_200() { [ "$(post "$DOWN" '[{"body":"after"}]')" = 200 ]; }
wait_until 30 post_is_200 || fail "no 200 after the broker came back: $(cat "$TMP/resp")"
grep -q 'deliveries failing' "$TMP/down.err" || fail "no failing warning"
grep -q 'succeed again' "$TMP/down.err" || fail "no recovery line"
kcat -C -b "$B2" -t down -e -q -f '%s\n' >"$TMP/down.txt" 2>"$TMP/kcat.err"
grep -qx before "$TMP/down.txt" && grep -qx after "$TMP/down.txt" ||
    fail "records before/after the outage missing: $(cat "$TMP/down.txt")"
ok "sink down: 503 in $((t1 - t0)) s, 503 + Retry-After at once, 200 again once back"

# ---- SIGTERM: stop accepting, answer the request in flight, exit 0
start_http term -b "$B2" -t down -X message.timeout.ms=20000
TERM_URL=$HTTP
kill -STOP "$B2PID"
STOPPED=$B2PID
post "$TERM_URL" '[{"body":"in flight at SIGTERM"}]' -v 2>"$TMP/term.curl" \
    >"$TMP/term.code" &
cpid=$!
wait_until 10 grep -qF '} [33 bytes data]' "$TMP/term.curl" ||
    fail "the request was not sent: $(cat "$TMP/term.curl")"
sleep 0.2 # from the last byte sent to ls-http holding it: nothing to wait on
kill -TERM "$term_PID"
wait_until 10 sh -c "! curl -s -o /dev/null --max-time 2 http://$TERM_URL/" ||
    fail "ls-http still accepts connections after SIGTERM"
kill -0 "$term_PID" 2>/dev/null || fail "ls-http exited before the acknowledgement"
kill -CONT "$B2PID"
STOPPED=""
wait "$cpid"
[ "$(cat "$TMP/term.code")" = 200 ] || fail "in-flight request got $(cat "$TMP/term.code")"
set +e
wait "$term_PID"
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "ls-http exited $rc after SIGTERM"
grep -q 'requests, 1 events acknowledged, .* 0 5xx' "$TMP/term.err" ||
    fail "summary: $(tail -n 1 "$TMP/term.err")"
ok "SIGTERM: stopped accepting, answered the request in flight 200, exit 0"
