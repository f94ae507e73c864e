#!/bin/sh
# Bad input, tool by tool: every row of the "Bad input" tables in
# docs/testing.md is one check here, named by its label (the table's
# "test" column).  A check prints "row LABEL" when it starts and "ok:
# LABEL" or "FAIL: LABEL" when it ends; a failing check does not stop the
# others, the script fails at the end listing them.  The slow checks (a
# consumer group join costs ~3 s on the embedded broker) run in the
# background while the quick ones run.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
T0=$(date +%s)
track_launched

FAILED=""
# check LABEL FUNCTION: run FUNCTION in a subshell as the check LABEL.
check() {
    echo "row $1"
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

# bg NAME CMD...: run CMD in the background, stdout/stderr in
# $TMP/NAME.out/.err, exit status in $TMP/NAME.rc when done.
bg() {
    name=$1
    shift
    ( set +e
      sh -c 'echo $$ >>"$0"; exec "$@"' "$TMP/launched" "$@" \
          >"$TMP/$name.out" 2>"$TMP/$name.err"
      echo $? >"$TMP/$name.rc" ) &
}
# bg_done NAME [SECS]: wait for NAME, then check-ready copies of its files.
bg_done() {
    wait_until "${2:-90}" test -s "$TMP/$1.rc" || fail "$1 did not finish"
    cp "$TMP/$1.out" "$TMP/last.out"
    cp "$TMP/$1.err" "$TMP/last.err"
    BG_RC=$(cat "$TMP/$1.rc")
}
expect_rc() {
    [ "$BG_RC" -eq "$1" ] || { cat "$TMP/last.err" >&2; fail "exit status $BG_RC, expected $1"; }
}
expect_no_stderr() {
    ! grep -qF -- "$1" "$TMP/last.err" || { cat "$TMP/last.err" >&2; fail "stderr has '$1'"; }
}
# json_lines FILE: every line of FILE is one JSON value, strict UTF-8.
json_lines() {
    python3 -c 'import json,sys
for i,l in enumerate(open(sys.argv[1],"rb")):
    try: json.loads(l.decode("utf-8"))
    except Exception as e: sys.exit("line %d: %s: %r" % (i+1, e, l[:120]))' "$1"
}

# The mangling proxy (also a TLS front) for truncated replies.
cat >"$TMP/proxy.py" <<'PY_EOF'
import os, re, socket, ssl, sys, threading, time
# proxy.py UPSTREAM [--tls CERT KEY] [REGEX:MODE:COUNT]...
# One request per connection (Connection: close upstream).  The first
# COUNT requests whose request line matches REGEX get their reply mangled:
#   head    the reply is cut inside its status line, after the upstream
#           applied the request ("empty reply from server")
#   cut     head and half the body, then close (a short read)
#   garble  a 2xx whose body is cut, with a matching Content-Length
# Prints "127.0.0.1:PORT" once listening; logs each mangling to stderr.
args = sys.argv[1:]
up_host, up_port = args.pop(0).rsplit(":", 1)
ctx = None
if args and args[0] == "--tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args[1], args[2])
    args = args[3:]
rules = []
for a in args:
    rx, mode, count = a.rsplit(":", 2)
    rules.append([re.compile(rx.encode()), mode, int(count)])
lock = threading.Lock()


def read_msg(sock, is_reply):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            return buf
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    n = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v.strip())
    if n is None:
        if not is_reply or head.split(b" ")[1:2] in ([b"204"], [b"304"]):
            n = 0
        else:
            while True:
                d = sock.recv(65536)
                if not d:
                    break
                body += d
            return head + b"\r\n\r\n" + body
    while len(body) < n:
        d = sock.recv(65536)
        if not d:
            break
        body += d
    return head + b"\r\n\r\n" + body


def serve(c):
    try:
        if ctx:
            c.settimeout(10)
            c = ctx.wrap_socket(c, server_side=True)
            c.settimeout(None)
        req = read_msg(c, False)
        if not req:
            return
        line = req.split(b"\r\n", 1)[0]
        head, _, body = req.partition(b"\r\n\r\n")
        hl = [l for l in head.split(b"\r\n")
              if not l.lower().startswith(b"connection:")]
        u = socket.create_connection((up_host, int(up_port)))
        u.sendall(b"\r\n".join(hl + [b"Connection: close"]) + b"\r\n\r\n" + body)
        rep = read_msg(u, True)
        u.close()
        mode = None
        with lock:
            for r in rules:
                if r[2] != 0 and r[0].search(line):
                    r[2] -= 1
                    mode = r[1]
                    break
        if mode is None:
            c.sendall(rep)
            return
        sys.stderr.write("mangled (%s): %s\n" % (mode, line.decode("latin-1")))
        sys.stderr.flush()
        head, _, body = rep.partition(b"\r\n\r\n")
        if mode == "cut":
            c.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
        elif mode == "garble":
            b2 = body[: len(body) // 2]
            h = [l for l in head.split(b"\r\n")
                 if not l.lower().startswith(b"content-length")]
            c.sendall(b"\r\n".join(h) + b"\r\nContent-Length: %d\r\n\r\n" % len(b2) + b2)
        else:
            c.sendall(rep[:7])
    except (OSError, ValueError) as e:
        sys.stderr.write("proxy: %s\n" % e)
    finally:
        c.close()


def orphan_watch(parent=os.getppid()):
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=orphan_watch, daemon=True).start()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
print("127.0.0.1:%d" % s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY_EOF

# start_proxy NAME UPSTREAM [ARGS...]: sets PROXY (host:port).
start_proxy() {
    pname=$1
    shift
    python3 "$TMP/proxy.py" "$@" >"$TMP/$pname.pout" 2>"$TMP/$pname.perr" &
    PIDS="$PIDS $!"
    wait_until 20 test -s "$TMP/$pname.pout" || fail "proxy $pname did not start"
    PROXY=$(head -n 1 "$TMP/$pname.pout")
}

# ---- servers and data ---------------------------------------------------
start_broker --partitions 1 --topic hostile --topic colon --topic dl_topic \
    --topic key_topic --topic big_topic --topic utf8 --topic hdrname
start_webhdfs
start_fake_s3 --bucket bk --access-key LSTESTKEY
export AWS_ACCESS_KEY_ID=LSTESTKEY AWS_SECRET_ACCESS_KEY=lstest-secret
unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE 2>/dev/null || true
command -v openssl >/dev/null || fail "openssl CLI not found"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" \
    -out "$TMP/cert.pem" -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl req"

P="$BIN/ls-produce"
# Header values a record may carry into a path or key template.  dash's
# printf has octal escapes only: \377 is 0xff, \342\202\254 is the euro sign.
Z300=$(printf '%300s' '' | tr ' ' z)
EURO100=$(i=0; while [ $i -lt 100 ]; do printf '\342\202\254'; i=$((i+1)); done)
n=0
for h in '../../etc' '/abs/x' "$(printf 'a\tb')" '%2e%2e%2f' '..' '' \
    "$(printf 'x\377y')" "$Z300" "$EURO100" 'a\0b%00'; do
    n=$((n+1))
    printf 'not json %d\n' "$n" | "$P" -q -b "$BROKERS" -t hostile -H "h=$h" \
        2>>"$TMP/produce.err" || fail "produce hostile $n"
done
# colon: WebHDFS-legal values first, then one HDFS cannot hold.
for h in "$(printf 'x\377y')" "$EURO100" 'a:b'; do
    echo '{"v":1}' | "$P" -q -b "$BROKERS" -t colon -H "h=$h" 2>>"$TMP/produce.err" ||
        fail "produce colon"
done
{ echo '{"a":1}'; echo 'not json'; echo ''; printf '\377\376\n'; echo '[1,2]'
  echo '{"a":1} x'; echo '"str"'; echo '{"a":'; echo '{"b":2}'; } |
    "$P" -q -b "$BROKERS" -t dl_topic 2>>"$TMP/produce.err" || fail "produce dl_topic"
printf 'not json either\n' | "$P" -q -b "$BROKERS" -t dl_topic \
    -H "$(printf 'n\377')=v" 2>>"$TMP/produce.err" || fail "produce dl_topic header"
for h in '../../x' '/abs' '%2F%00' "$(printf 'x\377y')" 'ok'; do
    echo '{"k":1}' | "$P" -q -b "$BROKERS" -t key_topic -H "h=$h" 2>>"$TMP/produce.err" ||
        fail "produce key_topic"
done
echo '{"k":2}' | "$P" -q -b "$BROKERS" -t key_topic -H "h=$(printf '%200s' '' | tr ' ' y)" \
    2>>"$TMP/produce.err" || fail "produce key_topic long"
python3 -c 'import json; print(json.dumps({"pad": "x" * 300000}))' >"$TMP/bigrec"
cat "$TMP/bigrec" "$TMP/bigrec" "$TMP/bigrec" |
    "$P" -q -b "$BROKERS" -t big_topic 2>>"$TMP/produce.err" || fail "produce big_topic"
"$P" -q -b "$BROKERS" -t orders --gen orders --count 400 2>>"$TMP/produce.err" ||
    fail "produce orders"

# ---- background: the slow runs (each joins a consumer group) ------------
A="$BIN/ls-archive"
S="$BIN/ls-batch2s3"
SA_="-b $BROKERS --bucket bk --endpoint $S3_ENDPOINT -e -q"
bg arch_local "$A" -b "$BROKERS" -t hostile -G al --dest "$TMP/arch" \
    --path '%{topic}/%{h}' --roll-count 1 -e -q
bg arch_env "$A" -b "$BROKERS" -t hostile -G ae --dest "$TMP/arch_env" \
    --format envelope -e -q
bg arch_big "$A" -b "$BROKERS" -t big_topic -G ab --dest "$TMP/arch_big" \
    --roll-bytes 1000 -e -q
bg arch_wh timeout 60 "$A" -b "$BROKERS" -t colon -G aw \
    --dest "webhdfs://$NAMENODE/colon" --path '%{topic}/%{h}' --roll-count 1 -e -q
start_proxy whproxy "$NAMENODE" 'op=MKDIRS:garble:1' 'op=RENAME:garble:1' \
    'op=CREATE:head:1' 'op=LISTSTATUS:cut:1'
bg arch_trunc timeout 60 "$A" -b "$BROKERS" -t orders -G at \
    --dest "webhdfs://$PROXY/trunc" --roll-count 150 -e -q
bg arch_unreach timeout 30 "$A" -b "$BROKERS" -t orders -G au \
    --dest "webhdfs://127.0.0.1:1/x" -e -q -X hdfs.retries=0 \
    -X archive.recovery.timeout.ms=2000
webhdfs_admin POST /admin/faults '{"deny_write_prefixes": ["/denied"]}' >/dev/null ||
    fail "admin faults"
bg arch_denied timeout 60 "$A" -b "$BROKERS" -t orders -G ad \
    --dest "webhdfs://$NAMENODE/denied" -e -q
# shellcheck disable=SC2086
bg s3_dlq "$S" $SA_ -t dl_topic -G sd --dlq "$TMP/dlq.jsonl"
# shellcheck disable=SC2086
bg s3_key "$S" $SA_ -t key_topic -G sk --batch-size 1 --dlq "$TMP/dlq_key.jsonl" \
    --key '%{h}/%{h}/%{h}/%{h}/%{h}/%{h}/p%{partition}_o%{offset}'
# shellcheck disable=SC2086
bg s3_big "$S" $SA_ -t big_topic -G sb --batch-bytes 1000 \
    --key "big/p%{partition}_o%{offset}" --dlq "$TMP/dlq_big.jsonl"
bg s3_nobucket timeout 60 "$S" -b "$BROKERS" -t orders -G sn --bucket nosuchbucket \
    --endpoint "$S3_ENDPOINT" -e -q --dlq "$TMP/dlq_nb.jsonl"
bg s3_badkey env AWS_ACCESS_KEY_ID=WRONGKEY timeout 60 "$S" -b "$BROKERS" -t orders \
    -G sw --bucket bk --endpoint "$S3_ENDPOINT" -e -q --dlq "$TMP/dlq_bk.jsonl"
bg s3_unreach timeout --preserve-status 8 "$S" -b "$BROKERS" -t orders -G su --bucket bk \
    --endpoint http://127.0.0.1:1 -e -q -X s3.retries=1 --dlq "$TMP/dlq_un.jsonl"
FAKE_S3_HOSTPORT=${S3_ENDPOINT#http://}
start_proxy s3proxy "$FAKE_S3_HOSTPORT" '^PUT /bk/trunc/:head:3'
bg s3_trunc timeout 60 "$S" -b "$BROKERS" -t orders -G st --bucket bk \
    --endpoint "http://$PROXY" -e -q --key 'trunc/p%{partition}_o%{offset}' \
    --dlq "$TMP/dlq_tr.jsonl"
start_proxy s3tls "$FAKE_S3_HOSTPORT" --tls "$TMP/cert.pem" "$TMP/key.pem"
S3TLS=$PROXY
bg s3_tls_default timeout 60 "$S" -b "$BROKERS" -t orders -G sv1 --bucket bk \
    --endpoint "https://$S3TLS" -e -q --key 'tls1/p%{partition}_o%{offset}' \
    --dlq "$TMP/dlq_t1.jsonl"
bg s3_tls_ca timeout 60 "$S" -b "$BROKERS" -t orders -G sv2 --bucket bk \
    --endpoint "https://$S3TLS" -e -q --key 'tls2/p%{partition}_o%{offset}' \
    -X "s3.tls.ca.file=$TMP/cert.pem" --dlq "$TMP/dlq_t2.jsonl"
bg s3_tls_off timeout 60 "$S" -b "$BROKERS" -t orders -G sv3 --bucket bk \
    --endpoint "https://$S3TLS" -e -q --key 'tls3/p%{partition}_o%{offset}' \
    -X s3.tls.verify=false --dlq "$TMP/dlq_t3.jsonl"
bg demo_unreach timeout -k 5 25 "$BIN/ls-demo" -b 127.0.0.1:1 --orders 10 --timeout 5 \
    --dest "$TMP/demo_unreach" -q

# ---- ls-produce ------------------------------------------------------------
r_produce_flag() {
    expect_exit 2 "$P" --no-such-flag
    expect_stderr "unrecognized option '--no-such-flag'"
    expect_stderr "Try 'ls-produce --help'"
}
r_produce_x_key() {
    expect_exit 2 "$P" -t t -X no.such.property=1
    expect_stderr 'unknown configuration property "no.such.property"'
}
r_produce_x_value() {
    expect_exit 2 "$P" -t t -X linger.ms=soon
    expect_stderr 'invalid value "soon" for linger.ms'
    expect_exit 2 "$P" -t t -X message.max.bytes=1
    expect_stderr 'outside allowed range'
}
r_produce_x_noeq() {
    expect_exit 2 "$P" -t t -X 'sasl.password:hunter2'
    expect_stderr 'expected key=value'
    expect_no_stderr 'hunter2'
    expect_exit 2 "$P" -t t -X novalue
    expect_stderr 'invalid property "novalue": expected key=value'
}
r_produce_conf_missing() {
    expect_exit 2 "$P" -t t -c "$TMP/no-such.conf"
    expect_stderr "cannot open config file $TMP/no-such.conf"
}
r_produce_conf_line() {
    printf '# ok\nlinger.ms=5\nlinger.ms 5\n' >"$TMP/p.conf"
    expect_exit 2 "$P" -t t -c "$TMP/p.conf"
    expect_stderr 'p.conf:3: expected key=value, got "linger.ms 5"'
    printf 'sasl.password: hunter2\n' >"$TMP/p2.conf"
    expect_exit 2 "$P" -t t -c "$TMP/p2.conf"
    expect_stderr 'p2.conf:1: expected key=value (the line is not shown'
    expect_no_stderr 'hunter2'
}
r_produce_header() {
    expect_exit 2 "$P" -t t -H '=v'
    expect_stderr "invalid header '=v' for -H: expected name=value"
    expect_exit 2 "$P" -t t -H novalue
    expect_stderr "invalid header 'novalue'"
}
r_produce_topic() {
    echo x | expect_exit 2 "$P" -b "$BROKERS" -t "$Z300"
    expect_stderr 'invalid topic name'
    expect_stderr '1 to 249 characters'
    echo x | expect_exit 2 "$P" -b "$BROKERS" -t 'a/b'
    expect_stderr 'invalid topic name "a/b"'
}
r_produce_numbers() {
    expect_exit 2 "$P" --gen orders --count -5
    expect_stderr "invalid value '-5' for --count"
    expect_exit 2 "$P" -t t --rate 0
    expect_stderr "invalid value '0' for --rate"
    expect_exit 2 "$P" -t t -p x
    expect_stderr "invalid value 'x' for -p"
}
r_produce_file_dir() {
    expect_exit 1 "$P" -b "$BROKERS" -t t -f "$TMP"
    expect_stderr "reading $TMP: Is a directory"
    expect_exit 1 "$P" -b "$BROKERS" -t t -f "$TMP/no-such-file"
    expect_stderr "cannot open $TMP/no-such-file"
}
r_produce_oversized() {
    printf '%5000s\n' '' >"$TMP/line5000"
    expect_exit 1 "$P" -b "$BROKERS" -t t -X message.max.bytes=1000 -f "$TMP/line5000"
    expect_stderr 'Message size too large'
}
r_produce_partition() {
    echo x | expect_exit 1 "$P" -b "$BROKERS" -t hostile -p 7 -X message.timeout.ms=2000
    expect_stderr 'Unknown partition'
    expect_stderr '1 message(s) not delivered'
}
r_produce_unreachable() {
    start=$(date +%s)
    echo x | expect_exit 1 "$P" -b 127.0.0.1:1 -t t -X message.timeout.ms=2000
    expect_stderr 'Connection refused'
    [ $(( $(date +%s) - start )) -le 10 ] || fail "took more than 10 s"
}
r_produce_utf8() {
    printf 'k\377\376\tv\n' | expect_exit 0 "$P" -b "$BROKERS" -t utf8 \
        -K "$(printf '\t')" -H "$(printf 'h=bad\377')"
    expect_exit 0 "$BIN/ls-consume" -b "$BROKERS" -t utf8 -e -f json -q
    json_lines "$TMP/last.out" || fail "ls-consume -f json is not JSON"
    grep -qF '"key_b64":"a//+"' "$TMP/last.out" || fail "key not in base64: $(cat "$TMP/last.out")"
    grep -qF '"headers":{"h_b64":"YmFk/w=="}' "$TMP/last.out" ||
        fail "header value not in base64: $(cat "$TMP/last.out")"
}
r_produce_tls_verify() {
    echo x | expect_exit 1 "$P" -b "127.0.0.1:${TLSKAFKA}" -t t \
        -X security.protocol=SSL -X message.timeout.ms=2000
    expect_stderr 'certificate verify failed'
}
r_produce_tls_off_warns() {
    echo x | expect_exit 1 "$P" -b "127.0.0.1:${TLSKAFKA}" -t t \
        -X security.protocol=SSL -X enable.ssl.certificate.verification=false \
        -X message.timeout.ms=2000
    expect_no_stderr 'certificate verify failed'
    expect_stderr 'enable.ssl.certificate.verification=false'
}

# A TLS listener with the self-signed certificate, for Kafka SSL clients.
cat >"$TMP/tlsd.py" <<'PY_EOF'
import os, socket, ssl, sys, threading, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
def h(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
        t.recv(100)
        t.close()
    except OSError:
        c.close()
def watch(parent=os.getppid()):
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
while True:
    c, _ = s.accept()
    threading.Thread(target=h, args=(c,), daemon=True).start()
PY_EOF
python3 "$TMP/tlsd.py" "$TMP/cert.pem" "$TMP/key.pem" >"$TMP/tlsd.out" 2>"$TMP/tlsd.err" &
PIDS="$PIDS $!"
wait_until 20 test -s "$TMP/tlsd.out" || fail "tlsd did not start"
TLSKAFKA=$(head -n 1 "$TMP/tlsd.out")

check produce.unknown-flag r_produce_flag
check produce.x-unknown-key r_produce_x_key
check produce.x-bad-value r_produce_x_value
check produce.x-no-equals r_produce_x_noeq
check produce.config-missing r_produce_conf_missing
check produce.config-bad-line r_produce_conf_line
check produce.bad-header r_produce_header
check produce.bad-topic r_produce_topic
check produce.bad-numbers r_produce_numbers
check produce.unreadable-file r_produce_file_dir
check produce.oversized r_produce_oversized
check produce.no-such-partition r_produce_partition
check produce.unreachable r_produce_unreachable
check produce.invalid-utf8 r_produce_utf8
check produce.tls-verify r_produce_tls_verify
check produce.tls-off-warns r_produce_tls_off_warns

# ---- ls-consume ------------------------------------------------------------
C="$BIN/ls-consume"
r_consume_flag() {
    expect_exit 2 "$C" --no-such-flag
    expect_stderr "unrecognized option '--no-such-flag'"
    expect_exit 2 "$C"
    expect_stderr '-t TOPIC is required'
}
r_consume_values() {
    expect_exit 2 "$C" -t t -o yesterday
    expect_stderr 'invalid value "yesterday" for consumer.start'
    expect_exit 2 "$C" -t t -f xml
    expect_stderr "invalid value 'xml' for -f"
    expect_exit 2 "$C" -t t -c 0
    expect_stderr "invalid value '0' for -c"
}
r_consume_topic() {
    expect_exit 2 "$C" -b "$BROKERS" -t 'bad/topic' -e
    expect_stderr 'invalid topic name "bad/topic"'
}
r_consume_unreachable() {
    expect_exit 1 "$C" -b 127.0.0.1:1 -t t -e
    expect_stderr 'cannot reach brokers 127.0.0.1:1'
}
r_consume_stdout_full() {
    [ -w /dev/full ] || { echo "no /dev/full: skipped"; return 0; }
    set +e
    "$C" -b "$BROKERS" -t orders -e -q -G full >/dev/full 2>"$TMP/last.err"
    rc=$?
    set -e
    [ "$rc" -eq 1 ] || fail "exit $rc, expected 1"
    expect_stderr 'writing stdout: No space left on device'
    # nothing that was not written is committed
    expect_exit 0 "$BIN/ls-lag" -b "$BROKERS" -G full -t orders
    grep -q '^TOTAL group=full partitions=4 lag=400$' "$TMP/last.out" ||
        fail "offsets were committed: $(cat "$TMP/last.out")"
}
r_consume_header_name() {
    printf 'v\n' | expect_exit 0 "$P" -b "$BROKERS" -t hdrname -H "$(printf 'n\303(')=v"
    expect_exit 0 "$C" -b "$BROKERS" -t hdrname -e -f json -q
    json_lines "$TMP/last.out" ||
        fail "a header name that is not UTF-8 breaks -f json: $(cat -v "$TMP/last.out")"
}
check consume.unknown-flag r_consume_flag
check consume.bad-values r_consume_values
check consume.bad-topic r_consume_topic
check consume.unreachable r_consume_unreachable
check consume.stdout-full r_consume_stdout_full
check consume.header-name-not-utf8 r_consume_header_name

# ---- ls-broker ---------------------------------------------------------------
r_broker_flags() {
    expect_exit 2 "$BIN/ls-broker" --no-such-flag
    expect_stderr "unknown option '--no-such-flag'"
    expect_exit 2 "$BIN/ls-broker" --partitions
    expect_stderr "option '--partitions' needs a value"
    expect_exit 2 "$BIN/ls-broker" extra
    expect_stderr "unexpected argument 'extra'"
}
r_broker_values() {
    expect_exit 2 "$BIN/ls-broker" --partitions 0
    expect_stderr "invalid value '0' for --partitions"
    expect_exit 2 "$BIN/ls-broker" --brokers 65
    expect_stderr "invalid value '65' for --brokers"
    expect_exit 2 "$BIN/ls-broker" --watch-ms 50
    expect_stderr 'expected 0 (off) or at least 100'
}
r_broker_topic() {
    expect_exit 2 "$BIN/ls-broker" --topic 'bad topic!'
    expect_stderr "invalid topic name 'bad topic!'"
    expect_exit 2 "$BIN/ls-broker" --topic ..
}
check broker.unknown-flag r_broker_flags
check broker.bad-values r_broker_values
check broker.bad-topic r_broker_topic

# ---- ls-lag ---------------------------------------------------------------------
L="$BIN/ls-lag"
r_lag_nogroup() {
    expect_exit 2 "$L" -b "$BROKERS"
    expect_stderr 'name the groups with -G GROUP'
}
r_lag_values() {
    expect_exit 2 "$L" -b "$BROKERS" -G g -f xml
    expect_stderr "invalid value 'xml' for -f"
    expect_exit 2 "$L" -b "$BROKERS" -G g --timeout -5
    expect_stderr "invalid value '-5' for --timeout"
    expect_exit 2 "$L" -b "$BROKERS" -G g -X nope=1
    expect_stderr 'unknown configuration property "nope"'
    expect_exit 2 "$L" -b "$BROKERS" -G g -t 'bad topic'
    expect_stderr 'invalid topic name "bad topic"'
}
r_lag_missing_topic() {
    expect_exit 1 "$L" -b "$BROKERS" -G g -t no_such_topic_here --timeout 3000
    expect_stderr 'topic "no_such_topic_here" does not exist'
}
r_lag_unreachable() {
    expect_exit 1 "$L" -b 127.0.0.1:1 -G g --timeout 2000
    expect_stderr 'cannot reach brokers 127.0.0.1:1'
}
r_lag_group_utf8() {
    expect_exit 0 "$L" -b "$BROKERS" -G "$(printf 'g\377\303\251')" -t hostile -f json
    json_lines "$TMP/last.out" || fail "not JSON: $(cat -v "$TMP/last.out")"
    grep -qF '"group":"g\ufffd' "$TMP/last.out" || fail "no U+FFFD: $(cat -v "$TMP/last.out")"
}
check lag.no-group-listing r_lag_nogroup
check lag.bad-values r_lag_values
check lag.missing-topic r_lag_missing_topic
check lag.unreachable r_lag_unreachable
check lag.group-not-utf8 r_lag_group_utf8

# ---- ls-archive ----------------------------------------------------------------
r_archive_usage() {
    expect_exit 2 "$A" --no-such-flag
    expect_stderr "unrecognized option '--no-such-flag'"
    expect_exit 2 "$A" --dest "$TMP/x"
    expect_stderr '-t TOPIC is required'
    expect_exit 2 "$A" -t t
    expect_stderr '--dest URL is required'
}
r_archive_values() {
    expect_exit 2 "$A" -t t --dest "$TMP/x" --roll-count lots
    expect_stderr 'invalid value "lots" for archive.roll.count'
    expect_exit 2 "$A" -t t --dest "$TMP/x" -X archive.format=xml
    expect_stderr 'expected one of jsonl|envelope'
    expect_exit 2 "$A" -b "$BROKERS" -t t --dest webhdfs://127.0.0.1:1/x \
        -X hdfs.permission=999
    expect_stderr 'invalid value "999" for hdfs.permission'
}
r_archive_templates() {
    expect_exit 2 "$A" -t t --dest "$TMP/x" --path /abs/%Y
    expect_stderr 'relative'
    expect_exit 2 "$A" -t t --dest "$TMP/x" --path 'x/%Y' --prefix p
    expect_stderr 'must contain %{topic}'
    expect_exit 2 "$A" -t t --dest "$TMP/x" --path '%{topic}/%Q'
    expect_stderr '%Q'
}
r_archive_dest() {
    expect_exit 2 "$A" -t t --dest ftp://host/x
    expect_stderr '"ftp"'
    echo file >"$TMP/plainfile"
    expect_exit 1 "$A" -b "$BROKERS" -t t --dest "$TMP/plainfile/sub" -e
    expect_stderr 'Not a directory'
}
r_archive_config() {
    printf 'topic=t\ndest=/tmp/x\nrol-count=5\n' >"$TMP/a.conf"
    expect_exit 2 "$A" -c "$TMP/a.conf"
    expect_stderr '"rol-count"'
    expect_stderr 'a.conf:3'
    printf 'topic=t\nroll-count=-1\n' >"$TMP/a2.conf"
    expect_exit 2 "$A" -c "$TMP/a2.conf"
    expect_stderr 'a2.conf:2'
}
r_archive_hostile_local() {
    bg_done arch_local
    expect_rc 0
    expect_stderr '10 records archived in 10 files'
    python3 - "$TMP/arch/hostile" <<'PY_EOF' || fail "unexpected directory names"
import os, sys
root = sys.argv[1].encode()
want = {b".._.._etc": 1, b"_abs_x": 1, b"a_b": 1, b"%2e%2e%2f": 1, b"_": 2,
        b"x_y": 1, b"z" * 200: 1, "\u20ac".encode() * 66: 1, b"a_0b%00": 1}
got = {d: len(os.listdir(os.path.join(root, d))) for d in os.listdir(root)}
assert got == want, "got %r" % sorted(got.items())
PY_EOF
    # nothing outside the destination
    find "$TMP" -name 'hostile-archive+*' >"$TMP/found"
    [ "$(grep -vc -e "^$TMP/arch/hostile/" -e "^$TMP/arch_env/hostile/" "$TMP/found")" -eq 0 ] ||
        fail "a file outside the destination: $(cat "$TMP/found")"
}
r_archive_nonjson() {
    find "$TMP/arch/hostile" -type f -exec cat {} + >"$TMP/all.jsonl"
    grep -qx 'not json 1' "$TMP/all.jsonl" ||
        fail "value not written as it is: $(head -c 300 "$TMP/all.jsonl")"
    bg_done arch_env
    expect_rc 0
    find "$TMP/arch_env/hostile" -type f -exec cat {} + >"$TMP/env.jsonl"
    json_lines "$TMP/env.jsonl" || fail "--format envelope is not JSON"
    [ "$(grep -c '"value":"not json' "$TMP/env.jsonl")" -eq 10 ] || fail "values missing"
    grep -qF '"h_b64":"eP95"' "$TMP/env.jsonl" || fail "non-UTF-8 header not in base64"
}
r_archive_oversized() {
    bg_done arch_big
    expect_rc 0
    expect_stderr '3 records archived in 3 files'
    [ "$(find "$TMP/arch_big" -name '*.json' | wc -l)" -eq 3 ] || fail "not one file per record"
}
r_archive_webhdfs_utf8() {
    bg_done arch_wh
    for d in x_y "$(printf '\342\202\254%.0s' $(seq 66))"; do
        [ -n "$(ls "$HDFS_ROOT/colon/colon/$d" 2>/dev/null)" ] ||
            fail "no file under colon/$d: $(ls "$HDFS_ROOT/colon/colon" | cat -v)"
    done
}
r_archive_webhdfs_colon() {
    bg_done arch_wh
    expect_rc 1
    expect_stderr 'InvalidPathException'
    expect_stderr 'offset 2'
    expect_stderr '2 records archived in 2 files'
}
r_archive_webhdfs_truncated() {
    bg_done arch_trunc
    expect_rc 0
    python3 "$LS_SRC/tests/integration/archive_check.py" "$HDFS_ROOT/trunc" 400 ||
        fail "not exactly once"
    [ "$(grep -c '^mangled' "$TMP/whproxy.perr")" -eq 4 ] ||
        fail "expected 4 mangled replies: $(cat "$TMP/whproxy.perr")"
}
r_archive_webhdfs_unreachable() {
    bg_done arch_unreach
    expect_rc 1
    expect_stderr 'namenode 127.0.0.1:1'
    expect_stderr "Couldn't connect to server"
}
r_archive_webhdfs_denied() {
    bg_done arch_denied
    expect_rc 1
    expect_stderr 'AccessControlException'
    expect_stderr '0 commits'
}
check archive.usage r_archive_usage
check archive.bad-values r_archive_values
check archive.bad-templates r_archive_templates
check archive.bad-dest r_archive_dest
check archive.config-file r_archive_config

# ---- ls-batch2s3 ---------------------------------------------------------------
r_s3_usage() {
    expect_exit 2 "$S" --no-such-flag
    expect_stderr "unrecognized option '--no-such-flag'"
    expect_exit 2 "$S" --bucket b
    expect_stderr '-t TOPIC is required'
    expect_exit 2 "$S" -t t
    expect_stderr '--bucket B is required'
}
r_s3_values() {
    expect_exit 2 "$S" -t t --bucket bk --format xml
    expect_stderr 'expected one of csv|jsonl'
    expect_exit 2 "$S" -t t --bucket bk --batch-size 0
    expect_stderr 'invalid value "0" for s3sink.batch.size'
    expect_exit 2 "$S" -t t --bucket bk --batch-timeout 0
    expect_stderr "invalid value '0' for --batch-timeout"
    expect_exit 2 "$S" -t t --bucket 'bad bucket!'
    expect_stderr 'invalid s3.bucket "bad bucket!"'
    expect_exit 2 "$S" -t t --bucket bk -X s3.part.size=1
    expect_stderr 's3.part.size'
    expect_exit 2 env AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b \
        "$S" -t t --bucket bk --dlq ''
    expect_stderr 's3sink.dlq is empty: expected a file path or kafka:TOPIC'
}
r_s3_key_template() {
    expect_exit 2 "$S" -t t --bucket bk --key 'x/%{partition}'
    expect_stderr 'must contain %{partition} and %{offset}'
}
r_s3_endpoint() {
    expect_exit 2 "$S" -t t --bucket bk --endpoint 'http://user:pa55w0rd@127.0.0.1:1'
    expect_stderr 'user info is not allowed'
    expect_no_stderr 'pa55w0rd'
    expect_exit 2 "$S" -t t --bucket bk --endpoint ftp://127.0.0.1:1
    expect_stderr 'expected http://host[:port] or https://host[:port]'
    expect_exit 2 "$S" -t t --bucket bk --endpoint http://127.0.0.1:1/path
    expect_stderr 'a path, query or fragment is not allowed'
}
r_s3_credentials() {
    expect_exit 2 env AWS_SECRET_ACCESS_KEY= "$S" -b "$BROKERS" -t t --bucket bk \
        --endpoint "$S3_ENDPOINT"
    expect_stderr 'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not'
    expect_exit 1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
        HOME="$TMP/nohome" "$S" -b "$BROKERS" -t t --bucket bk --endpoint "$S3_ENDPOINT"
    expect_stderr 's3: no credentials'
    expect_exit 2 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
        HOME="$TMP/nohome" AWS_PROFILE=nope "$S" -b "$BROKERS" -t t --bucket bk \
        --endpoint "$S3_ENDPOINT"
    expect_stderr 'nope'
}
r_s3_dlq_unwritable() {
    expect_exit 1 "$S" -b "$BROKERS" -t t --bucket bk --endpoint "$S3_ENDPOINT" \
        --dlq "$TMP/no/such/dir/dl.jsonl"
    expect_stderr 'cannot open dead-letter file'
}
r_s3_dead_letters() {
    bg_done s3_dlq
    expect_rc 0
    expect_stderr '2 records stored in 1 objects'
    expect_stderr '8 dead letters'
    python3 - "$TMP/dlq.jsonl" <<'PY_EOF' || fail "dead letters"
import json, sys
got = [json.loads(l.decode("utf-8", "surrogateescape"))
       for l in open(sys.argv[1], "rb")]
reasons = [(d["record"]["offset"], d["reason"]) for d in got]
want = {1: "not valid JSON", 2: "empty", 3: "not valid UTF-8",
        4: "JSON array", 5: "trailing data", 6: "JSON string",
        7: "not valid JSON", 9: "not valid JSON"}
assert len(got) == 8, reasons
for off, r in reasons:
    assert want[off] in r, (off, r)
assert got[2]["record"]["value_b64"] == "//4=", got[2]
PY_EOF
}
r_s3_dead_letters_json() {
    bg_done s3_dlq
    json_lines "$TMP/dlq.jsonl" || fail "the dead-letter file is not JSON lines"
}
r_s3_hostile_key() {
    bg_done s3_key
    s3_admin GET '/admin/objects?bucket=bk' >"$TMP/objects.json" || fail "admin objects"
    python3 - "$TMP/objects.json" <<'PY_EOF' || fail "keys"
import json, sys
keys = set(json.load(open(sys.argv[1]))["buckets"]["bk"])
for v in [".._.._x", "_abs", "%2F%00", "x_y", "ok"]:
    k = "/".join([v] * 6) + "/p0_o"
    assert any(k + "%010d.csv" % o in keys for o in range(5)), (v, sorted(keys))
PY_EOF
}
r_s3_key_too_long() {
    bg_done s3_key
    expect_rc 0
    grep -q 's3sink.key expands to' "$TMP/dlq_key.jsonl" ||
        fail "the record whose key is too long is not a dead letter: $(cat "$TMP/last.err")"
}
r_s3_oversized() {
    bg_done s3_big
    expect_rc 0
    expect_stderr '3 records stored in 3 objects'
}
r_s3_nobucket() {
    bg_done s3_nobucket
    expect_rc 1
    expect_stderr 'HTTP 404 NoSuchBucket'
    expect_stderr '(not committed)'
}
r_s3_badkey() {
    bg_done s3_badkey
    expect_rc 1
    expect_stderr 'HTTP 403 InvalidAccessKeyId'
    expect_no_stderr 'lstest-secret'
}
r_s3_unreachable() {
    bg_done s3_unreach
    expect_rc 1
    expect_stderr "Couldn't connect to server"
    expect_stderr 'S3 failing, paused, retrying'
    expect_stderr 'closing: S3 is failing; unstored batches will be re-read'
    expect_exit 0 "$L" -b "$BROKERS" -G su -t orders
    grep -q 'lag=400$' "$TMP/last.out" || fail "committed: $(cat "$TMP/last.out")"
}
r_s3_truncated() {
    bg_done s3_trunc
    expect_rc 0
    expect_stderr '400 records stored in'
    [ "$(grep -c '^mangled' "$TMP/s3proxy.perr")" -eq 3 ] ||
        fail "expected 3 mangled replies: $(cat "$TMP/s3proxy.perr")"
    expect_exit 0 "$L" -b "$BROKERS" -G st -t orders
    grep -q 'lag=0$' "$TMP/last.out" || fail "lag: $(cat "$TMP/last.out")"
}
r_s3_tls_default() {
    bg_done s3_tls_default
    expect_rc 1
    expect_stderr 'SSL certificate problem'
    expect_no_stderr 'retrying'
}
r_s3_tls_ca() {
    bg_done s3_tls_ca
    expect_rc 0
    expect_stderr '400 records stored in'
}
r_s3_tls_off() {
    bg_done s3_tls_off
    expect_rc 0
    expect_stderr "s3.tls.verify=false: the server's TLS certificate is not checked"
}
check batch2s3.usage r_s3_usage
check batch2s3.bad-values r_s3_values
check batch2s3.key-template r_s3_key_template
check batch2s3.bad-endpoint r_s3_endpoint
check batch2s3.credentials r_s3_credentials
check batch2s3.dlq-unwritable r_s3_dlq_unwritable

# ---- ls-http -----------------------------------------------------------------
HT="$BIN/ls-http"
r_http_usage() {
    expect_exit 2 "$HT" --no-such-flag
    expect_stderr "unrecognized option '--no-such-flag'"
    expect_exit 2 "$HT" -t t
    expect_stderr '--port P is required'
    expect_exit 2 "$HT" --port 0
    expect_stderr '-t TOPIC is required'
    expect_exit 2 "$HT" --port 0 -t t --dest hdfs://x/y
    expect_stderr '--dest is not available yet'
}
r_http_values() {
    expect_exit 2 "$HT" --port 70000 -t t
    expect_stderr "invalid value '70000' for --port"
    expect_exit 2 "$HT" --port 0 -t 'bad topic'
    expect_stderr 'invalid value "bad topic" for httpsrc.topic'
    expect_exit 2 "$HT" --port 0 -t t --max-body abc
    expect_stderr 'httpsrc.max.body.bytes'
    expect_exit 2 "$HT" --port 0 -t t --threads 0
    expect_stderr 'httpsrc.threads'
    expect_exit 2 "$HT" --port 0 -t t -X httpsrc.body.encoding=rot13
    expect_stderr 'expected one of text|base64'
    expect_exit 2 "$HT" --port 0 -t t -H novalue
    expect_stderr "invalid header 'novalue'"
}
r_http_bind() {
    expect_exit 2 "$HT" --port 0 -t t --bind no.such.host.invalid
    expect_stderr 'httpsrc.bind'
    expect_exit 1 "$HT" -b "$BROKERS" --port "${HTTP_ADDR##*:}" -t t -q
    expect_stderr 'Address already in use'
}

printf 'httpsrc.token=tok-%s\n' 4711 >"$TMP/http.conf"
"$HT" -b "$BROKERS" --port 0 -t utf8 --max-body 2000 -X message.max.bytes=1000 \
    -c "$TMP/http.conf" >"$TMP/http.out" 2>"$TMP/http.err" &
HTTP_PID=$!
PIDS="$PIDS $HTTP_PID"
wait_until 20 test -s "$TMP/http.out" || fail "ls-http did not start"
HTTP_ADDR=$(head -n 1 "$TMP/http.out")
AUTH='Authorization: Bearer tok-4711'

# post BODY-FILE [curl args]: POST, the answer in $TMP/h.body, status in H_CODE.
post() {
    f=$1
    shift
    H_CODE=$(curl -s -o "$TMP/h.body" -w '%{http_code}' "$@" --data-binary "@$f" \
        "http://$HTTP_ADDR/") || H_CODE=000
}
expect_answer() {
    [ "$H_CODE" = "$1" ] || fail "HTTP $H_CODE, expected $1: $(cat "$TMP/h.body")"
    [ -z "${2:-}" ] || grep -qF -- "$2" "$TMP/h.body" ||
        fail "answer lacks '$2': $(cat "$TMP/h.body")"
}
body() { printf '%s' "$1" >"$TMP/b.json"; }
r_http_token() {
    body '[{"body":"x"}]'
    post "$TMP/b.json"
    expect_answer 401 'missing or invalid bearer token'
    post "$TMP/b.json" -H 'Authorization: Bearer tok-4712'
    expect_answer 401
    ! grep -q 'tok-471' "$TMP/h.body" "$TMP/http.err" || fail "the token is echoed"
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 200 '{"accepted":1}'
}
r_http_malformed() {
    body '[{"body":"x"},'
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 400 'malformed JSON at byte 13 (line 1, column 14)'
    body '{"body":"x"}'
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 400 'expected a JSON array of events'
    body '[{"headers":{"h":1},"body":"x"}]'
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 400 '$[0].headers.h: expected a string, got a number'
    body '[{"body":"\ud800"}]'
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 400 'malformed JSON'
    : >"$TMP/b.json"
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 400 'empty body'
}
r_http_oversized() {
    printf '[{"body":"%3000s"}]' '' >"$TMP/b.json"
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 413 'over the limit of 2000 bytes'
    printf '[{"body":"%1500s"}]' '' >"$TMP/b.json"
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 413 "message.max.bytes"
}
r_http_method_encoding() {
    H_CODE=$(curl -s -o "$TMP/h.body" -w '%{http_code}' -H "$AUTH" "http://$HTTP_ADDR/")
    expect_answer 405 'method GET not allowed'
    body '[{"body":"x"}]'
    post "$TMP/b.json" -H "$AUTH" -H 'Content-Encoding: gzip'
    expect_answer 415 'Content-Encoding gzip is not supported'
    post "$TMP/b.json" -H "$AUTH" -H 'X-Body-Encoding: rot13'
    expect_answer 400 'unsupported X-Body-Encoding'
    body '[{"body":"!!!"}]'
    post "$TMP/b.json" -H "$AUTH" -H 'X-Body-Encoding: base64'
    expect_answer 400 'invalid base64 at character 0'
}
r_http_nul() {
    body '[{"body":"a\u0000b"}]'
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 400 'NUL'
    body '[{"headers":{"h":"a\u0000b"},"body":"x"}]'
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 400 'NUL'
}
r_http_utf8() {
    printf '[{"key":"k\376","body":"b\377"}]' >"$TMP/b.json"
    post "$TMP/b.json" -H "$AUTH"
    expect_answer 200 '{"accepted":1}'
    expect_exit 0 "$BIN/ls-consume" -b "$BROKERS" -t utf8 -e -f json -q
    grep -qF '"key_b64":"a/4=","headers":{},"value_b64":"Yv8="' "$TMP/last.out" ||
        fail "bytes changed: $(cat "$TMP/last.out")"
}

"$HT" -b 127.0.0.1:1 --port 0 -t t -X message.timeout.ms=1500 \
    -X httpsrc.backoff.ms=30000 >"$TMP/http2.out" 2>"$TMP/http2.err" &
PIDS="$PIDS $!"
wait_until 20 test -s "$TMP/http2.out" || fail "ls-http (unreachable) did not start"
HTTP2_ADDR=$(head -n 1 "$TMP/http2.out")
r_http_unreachable() {
    body '[{"body":"x"}]'
    start=$(date +%s)
    H_CODE=$(curl -s -o "$TMP/h.body" -D "$TMP/h.head" -w '%{http_code}' \
        --data-binary "@$TMP/b.json" "http://$HTTP2_ADDR/")
    expect_answer 503 '"delivered":0'
    grep -qi '^Retry-After: 30' "$TMP/h.head" || fail "no Retry-After: $(cat "$TMP/h.head")"
    [ $(( $(date +%s) - start )) -le 10 ] || fail "took more than 10 s"
    # backpressure: the next request gets 503 at once
    start=$(date +%s)
    H_CODE=$(curl -s -o "$TMP/h.body" -w '%{http_code}' \
        --data-binary "@$TMP/b.json" "http://$HTTP2_ADDR/")
    expect_answer 503
    [ $(( $(date +%s) - start )) -le 1 ] || fail "backpressure 503 was not immediate"
    grep -q 'Kafka deliveries failing' "$TMP/http2.err" || fail "no warning on stderr"
}
check http.usage r_http_usage
check http.bad-values r_http_values
check http.bad-bind r_http_bind
check http.token r_http_token
check http.malformed-json r_http_malformed
check http.oversized r_http_oversized
check http.method-encoding r_http_method_encoding
check http.nul-in-string r_http_nul
check http.invalid-utf8 r_http_utf8
check http.unreachable-broker r_http_unreachable

# ---- ls-tail -------------------------------------------------------------------
TL="$BIN/ls-tail"
r_tail_usage() {
    expect_exit 2 "$TL" --no-such-flag
    expect_stderr "unrecognized option '--no-such-flag'"
    expect_exit 2 "$TL" -t t
    expect_stderr 'no FILE or GLOB to follow'
    expect_exit 2 "$TL" "$TMP/x.log"
    expect_stderr '-t TOPIC is required'
    expect_exit 2 "$TL" -t t -K '' "$TMP/x.log"
    expect_stderr '-K needs a non-empty delimiter'
}
r_tail_values() {
    expect_exit 2 "$TL" -b "$BROKERS" -t t -X enable.idempotence=false "$TMP/x.log"
    expect_stderr 'tail.exactly.once needs enable.idempotence=true'
    expect_exit 2 "$TL" -b "$BROKERS" -t t -X tail.line.max.bytes=0 "$TMP/x.log"
    expect_stderr 'invalid value "0" for tail.line.max.bytes'
    expect_exit 2 "$TL" -b "$BROKERS" -t 'bad topic' -e "$TMP/x.log"
    expect_stderr 'invalid topic name "bad topic"'
    expect_exit 2 "$TL" -b "$BROKERS" -t t --timeout -1 "$TMP/x.log"
    expect_stderr "invalid value '-1' for --timeout"
}
r_tail_position() {
    echo garbage >"$TMP/bad.pos"
    : >"$TMP/x.log"
    expect_exit 1 "$TL" -b "$BROKERS" -t t --position "$TMP/bad.pos" -e "$TMP/x.log"
    expect_stderr 'bad.pos: not JSON'
    expect_exit 1 "$TL" -b "$BROKERS" -t t --position "$TMP/no/dir/p.json" -e "$TMP/x.log"
    expect_stderr 'cannot create'
}
r_tail_lines() {
    { printf '%2500s\n' '' | tr ' ' L; printf 'bad \377\376 utf8\n'; printf 'no newline'; } \
        >"$TMP/lines.log"
    expect_exit 0 "$TL" -b "$BROKERS" -t tail_lines --from-start -e \
        -X tail.line.max.bytes=1000 "$TMP/lines.log"
    expect_stderr 'sent 4, delivered 4'
    kcat -C -b "$BROKERS" -t tail_lines -e -q -f '%S %s\n' >"$TMP/tl.out" 2>/dev/null ||
        fail "kcat"
    grep -qc '^1000 L' "$TMP/tl.out" || fail "line not split: $(cut -c1-30 "$TMP/tl.out")"
    grep -q '^500 L' "$TMP/tl.out" || fail "no 500-byte piece"
    LC_ALL=C grep -q "^11 bad $(printf '\377\376') utf8$" "$TMP/tl.out" ||
        fail "bytes changed: $(tail -n 1 "$TMP/tl.out" | od -c | head -3)"
}
r_tail_unreachable() {
    printf 'one\ntwo\n' >"$TMP/u.log"
    start=$(date +%s)
    expect_exit 1 "$TL" -b 127.0.0.1:1 -t t --from-start -e --position "$TMP/u.pos" \
        -X message.timeout.ms=2000 "$TMP/u.log"
    expect_stderr 'line(s) not delivered'
    expect_stderr 'Message timed out'
    [ $(( $(date +%s) - start )) -le 15 ] || fail "took more than 15 s"
    grep -q '"pos":0' "$TMP/u.pos" || fail "position moved: $(cat "$TMP/u.pos")"
}
check tail.usage r_tail_usage
check tail.bad-values r_tail_values
check tail.bad-position-file r_tail_position
check tail.long-and-binary-lines r_tail_lines
check tail.unreachable r_tail_unreachable

# ---- ls-demo -------------------------------------------------------------------
D="$BIN/ls-demo"
r_demo_usage() {
    expect_exit 2 "$D" --no-such-flag
    expect_stderr "unrecognized option '--no-such-flag'"
    expect_exit 2 "$D" --orders 0
    expect_stderr "invalid value '0' for --orders"
    expect_exit 2 "$D" -X no.such.key=1
    expect_stderr 'no.such.key'
}
r_demo_foreign_dest() {
    mkdir -p "$TMP/foreign/orders/x"
    : >"$TMP/foreign/orders/x/orders-archive+0+0000000000+0000000001.json"
    expect_exit 2 "$D" --dest "$TMP/foreign"
    expect_stderr 'that ls-demo did not write'
    [ -e "$TMP/foreign/orders/x/orders-archive+0+0000000000+0000000001.json" ] ||
        fail "the foreign file was removed"
}
r_demo_unreachable() {
    bg_done demo_unreach 60
    expect_rc 1
    grep -q 'FAIL' "$TMP/last.out" || fail "no FAIL line: $(cat "$TMP/last.out")"
}
check demo.usage r_demo_usage
check demo.foreign-dest r_demo_foreign_dest

# ---- the background runs -----------------------------------------------------
check archive.hostile-headers-local r_archive_hostile_local
check archive.non-json-records r_archive_nonjson
check archive.oversized r_archive_oversized
check archive.webhdfs-utf8-values r_archive_webhdfs_utf8
check archive.webhdfs-colon r_archive_webhdfs_colon
check archive.webhdfs-truncated-replies r_archive_webhdfs_truncated
check archive.webhdfs-unreachable r_archive_webhdfs_unreachable
check archive.webhdfs-denied r_archive_webhdfs_denied
check batch2s3.dead-letters r_s3_dead_letters
check batch2s3.dead-letters-json r_s3_dead_letters_json
check batch2s3.hostile-key r_s3_hostile_key
check batch2s3.key-too-long r_s3_key_too_long
check batch2s3.oversized r_s3_oversized
check batch2s3.no-such-bucket r_s3_nobucket
check batch2s3.bad-access-key r_s3_badkey
check batch2s3.unreachable r_s3_unreachable
check batch2s3.truncated-replies r_s3_truncated
check batch2s3.tls-verify-default r_s3_tls_default
check batch2s3.tls-ca-file r_s3_tls_ca
check batch2s3.tls-verify-off r_s3_tls_off
check demo.unreachable-timeout r_demo_unreachable

secs=$(( $(date +%s) - T0 ))
if [ -n "$FAILED" ]; then
    echo "FAIL: bad input rows failed:$FAILED (${secs}s)" >&2
    exit 1
fi
ok "every bad input row answered as documented (${secs}s)"
