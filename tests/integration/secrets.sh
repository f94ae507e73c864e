#!/bin/sh
# Secrets never leave the process: a small pipeline runs with every kind
# of secret set (S3 secret key and session token by -X, by environment and
# by credentials file; SASL and TLS key passwords; a WebHDFS delegation
# token; the ls-http bearer token), with librdkafka's debug output on
# (-X debug=all, the tools' verbose mode), through failures that make
# servers answer with errors (wrong endpoint, 403, a server echoing the
# secret back, a bad config line holding one) and --help / -X list.
# Everything the tools print and every file they write is kept and
# searched for each secret and for its first 12 characters.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
T0=$(date +%s)
track_launched

S3_SECRET=lsS3cr3tKey-Q7zT9xW4
S3_SESSION=lsS3SessT0k-M4pW2vB8
ENV_SECRET=lsEnvS3cr3t-K8vN1qD5
ENV_SESSION=lsEnvSessT0k-R5tY6uJ3
FILE_SECRET=lsFileS3cr3t-H2jK7mF9
SASL_PW=lsSaslPassw0rd-B9xC3nL
SSL_KEY_PW=lsSslKeyPassw0rd-Z1aS
HDFS_TOKEN=lsHdfsTok-77a1
HDFS_TOKEN_LONG=lsHdfsLongToken-A1B2C3D4E5F6G7
HTTP_TOKEN=lsHttpT0ken-P3qR8sV2

OUT="$TMP/out"
CFG="$TMP/cfg"
mkdir -p "$OUT" "$CFG"
# run NAME CMD...: run CMD (stdin from /dev/null), keep its output in
# $OUT/NAME.out/.err and its exit status in RC.
run() {
    name=$1
    shift
    set +e
    "$@" </dev/null >"$OUT/$name.out" 2>"$OUT/$name.err"
    RC=$?
    set -e
    echo "$name: exit $RC"
}
# bgrun NAME CMD...: the same in the background; collect NAME waits for
# it and sets RC.
bgrun() {
    name=$1
    shift
    ( set +e
      sh -c 'echo $$ >>"$0"; exec "$@"' "$TMP/launched" "$@" \
          </dev/null >"$OUT/$name.out" 2>"$OUT/$name.err"
      echo $? >"$OUT/$name.rc" ) &
}
collect() {
    wait_until 90 test -s "$OUT/$1.rc" || fail "$1 did not finish"
    RC=$(cat "$OUT/$1.rc")
    echo "$1: exit $RC"
}
want_rc() {
    [ "$RC" -eq "$1" ] || { tail -n 5 "$OUT/$2.err" >&2; fail "$2 exited $RC, expected $1"; }
}
has() {
    grep -qF -- "$2" "$OUT/$1.err" || { tail -n 5 "$OUT/$1.err" >&2; fail "$1: stderr lacks '$2'"; }
}

start_broker --partitions 2 --topic ev_topic
start_webhdfs --token "$HDFS_TOKEN=etl"
start_fake_s3 --bucket bk --access-key AKIDSECRETS --secret-key "$S3_SECRET"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
    AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE 2>/dev/null || true
export HOME="$TMP/home"
mkdir -p "$HOME"

{ "$BIN/ls-produce" -b "$BROKERS" -t ev_topic --gen sales --count 150 -q
  printf 'not json\n' | "$BIN/ls-produce" -b "$BROKERS" -t ev_topic -q; } \
    2>"$OUT/produce.err" || fail "ls-produce"

SASL="-X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN
      -X sasl.username=etl -X sasl.password=$SASL_PW -X ssl.key.password=$SSL_KEY_PW"
S3CONF="-X s3.access.key.id=AKIDSECRETS -X s3.secret.access.key=$S3_SECRET
        -X s3.session.token=$S3_SESSION"

# ---- the slow runs, in parallel (each joins a consumer group) -----------------
# S3: the pipeline, with debug output
# shellcheck disable=SC2086
bgrun s3_ok "$BIN/ls-batch2s3" -b "$BROKERS" -t ev_topic -G s3ok --bucket bk \
    --endpoint "$S3_ENDPOINT" -e --dlq "$OUT/dlq.jsonl" -X debug=all $S3CONF
# the wrong secret: 403 SignatureDoesNotMatch (fake_s3 sends back its
# canonical request, which holds the session token)
bgrun s3_badsig timeout 60 "$BIN/ls-batch2s3" -b "$BROKERS" -t ev_topic -G s3bad \
    --bucket bk --endpoint "$S3_ENDPOINT" -e --dlq "$OUT/dlq2.jsonl" \
    -X s3.access.key.id=AKIDSECRETS -X "s3.secret.access.key=$ENV_SECRET" \
    -X "s3.session.token=$S3_SESSION"
# a server that echoes the secret and the token in its error
s3_admin POST /admin/faults "{\"rules\": [{\"op\": \"PutObject\", \"action\": \"error\",
    \"key_prefix\": \"echo/\", \"status\": 403, \"code\": \"AccessDenied\", \"count\": -1,
    \"message\": \"denied: key $S3_SECRET token $S3_SESSION\"}]}" >/dev/null ||
    fail "fake_s3 faults"
# shellcheck disable=SC2086
bgrun s3_echo timeout 60 "$BIN/ls-batch2s3" -b "$BROKERS" -t ev_topic -G s3echo \
    --bucket bk --endpoint "$S3_ENDPOINT" -e --dlq "$OUT/dlq3.jsonl" $S3CONF \
    --key 'echo/p%{partition}_o%{offset}'
# from the environment, to an endpoint that does not answer (SIGTERM after 5 s)
bgrun s3_env env AWS_ACCESS_KEY_ID=AKIDSECRETS "AWS_SECRET_ACCESS_KEY=$ENV_SECRET" \
    "AWS_SESSION_TOKEN=$ENV_SESSION" timeout --foreground --preserve-status 5 \
    "$BIN/ls-batch2s3" -b "$BROKERS" -t ev_topic -G s3env --bucket bk \
    --endpoint http://127.0.0.1:1 -e --dlq "$OUT/dlq4.jsonl" -X s3.retries=1
# from a credentials file (a secret fake_s3 does not accept)
printf '[default]\naws_access_key_id = AKIDSECRETS\naws_secret_access_key = %s\n' \
    "$FILE_SECRET" >"$CFG/credentials"
bgrun s3_file env "AWS_SHARED_CREDENTIALS_FILE=$CFG/credentials" timeout 60 \
    "$BIN/ls-batch2s3" -b "$BROKERS" -t ev_topic -G s3file --bucket bk \
    --endpoint "$S3_ENDPOINT" -e --dlq "$OUT/dlq5.jsonl"
# SASL (and the TLS key password): every Kafka client fails
# shellcheck disable=SC2086
bgrun sasl_produce "$BIN/ls-produce" -b "$BROKERS" -t ev_topic --gen sales --count 3 \
    -X debug=all -X message.timeout.ms=2000 $SASL
# shellcheck disable=SC2086
bgrun sasl_consume timeout --foreground --preserve-status 5 "$BIN/ls-consume" \
    -b "$BROKERS" -t ev_topic -e -X debug=all $SASL
# shellcheck disable=SC2086
bgrun sasl_lag "$BIN/ls-lag" -b "$BROKERS" -G g -t ev_topic --timeout 2000 \
    -X debug=all $SASL
printf 'line\n' >"$TMP/sasl.log"
# shellcheck disable=SC2086
bgrun sasl_tail timeout --foreground --preserve-status 20 "$BIN/ls-tail" \
    -b "$BROKERS" -t ev_topic --from-start -e --position "$OUT/tail.pos" \
    -X message.timeout.ms=2000 -X debug=all $SASL "$TMP/sasl.log"
# shellcheck disable=SC2086
bgrun sasl_archive timeout --foreground --preserve-status 5 "$BIN/ls-archive" \
    -b "$BROKERS" -t ev_topic -G sa --dest "$OUT/archive" -e -X debug=all $SASL
# shellcheck disable=SC2086
bgrun sasl_s3 timeout --foreground --preserve-status 5 "$BIN/ls-batch2s3" \
    -b "$BROKERS" -t ev_topic -G ss --bucket bk --endpoint "$S3_ENDPOINT" -e \
    --dlq "$OUT/dlq7.jsonl" -X debug=all $SASL $S3CONF
# shellcheck disable=SC2086
bgrun sasl_demo timeout --foreground -k 3 8 "$BIN/ls-demo" --orders 5 --timeout 5 \
    --dest "$OUT/demo" -q $SASL
# WebHDFS: a registered token, an unknown one (the server quotes its
# first 16 characters), a namenode redirecting to a non-HTTP URL that
# echoes the query and answering anything else with an error page
# quoting the request, and no namenode at all
bgrun hdfs_ok timeout 60 "$BIN/ls-archive" -b "$BROKERS" -t ev_topic -G hok \
    --dest "webhdfs://$NAMENODE/archive" -e -X "hdfs.delegation.token=$HDFS_TOKEN" \
    -X debug=all
webhdfs_admin POST /admin/faults '{"strict_tokens": true}' >/dev/null || fail "faults"
bgrun hdfs_badtoken timeout 60 "$BIN/ls-archive" -b "$BROKERS" -t ev_topic -G hbad \
    --dest "webhdfs://$NAMENODE/archive2" -e -X "hdfs.delegation.token=$HDFS_TOKEN_LONG"
cat >"$TMP/badnn.py" <<'PY_EOF'
import http.server, json, os, sys, threading, time
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body, ctype="application/json", loc=None):
        b = body.encode()
        self.send_response(code)
        if loc:
            self.send_header("Location", loc)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def any(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        q = self.path.split("?", 1)[1] if "?" in self.path else ""
        if "op=LISTSTATUS" in q:
            self.reply(404, json.dumps({"RemoteException": {"exception": "FileNotFoundException",
                "javaClassName": "java.io.FileNotFoundException",
                "message": "File %s does not exist (%s)" % (self.path, q)}}))
        elif "op=MKDIRS" in q:
            self.reply(200, '{"boolean": true}')
        elif "op=CREATE" in q:
            self.reply(307, "", loc="ftp://127.0.0.1:1/x?" + q)
        else:
            self.reply(500, "<html>Problem accessing %s</html>" % self.path, "text/html")
    do_GET = do_PUT = do_POST = do_DELETE = any
    def log_message(self, *a):
        pass
def watch(parent=os.getppid()):
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
PY_EOF
python3 "$TMP/badnn.py" >"$TMP/badnn.addr" 2>"$TMP/badnn.log" &
PIDS="$PIDS $!"
wait_until 20 test -s "$TMP/badnn.addr" || fail "bad namenode did not start"
bgrun hdfs_redirect timeout 60 "$BIN/ls-archive" -b "$BROKERS" -t ev_topic -G hred \
    --dest "webhdfs://$(cat "$TMP/badnn.addr")/a" -e -X "hdfs.delegation.token=$HDFS_TOKEN" \
    -X hdfs.retries=1
bgrun hdfs_unreach timeout --foreground --preserve-status 5 "$BIN/ls-archive" \
    -b "$BROKERS" -t ev_topic -G hun --dest webhdfs://127.0.0.1:1/a -e \
    -X "hdfs.delegation.token=$HDFS_TOKEN" -X hdfs.retries=1 \
    -X archive.recovery.timeout.ms=0

# ---- the quick ones meanwhile ----------------------------------------------------
printf '[default]\naws_access_key_id = AKIDSECRETS\naws_secret_access_key %s\n' \
    "$FILE_SECRET" >"$CFG/credentials.bad"
run s3_filebad env "AWS_SHARED_CREDENTIALS_FILE=$CFG/credentials.bad" \
    "$BIN/ls-batch2s3" -b "$BROKERS" -t ev_topic -G s3fb --bucket bk \
    --endpoint "$S3_ENDPOINT" -e --dlq "$OUT/dlq6.jsonl"
[ "$RC" -ne 0 ] || fail "a broken credentials file was accepted"
printf 's3.bucket=bk\ns3.secret.access.key %s\n' "$S3_SECRET" >"$CFG/s3.conf"
run s3_conf "$BIN/ls-batch2s3" -c "$CFG/s3.conf" -t ev_topic
want_rc 2 s3_conf
has s3_conf 's3.conf:2: expected key=value'
run s3_kv "$BIN/ls-batch2s3" -t ev_topic --bucket bk -X "s3.secret.access.key:$S3_SECRET"
want_rc 2 s3_kv
# shellcheck disable=SC2086
run s3_userinfo "$BIN/ls-batch2s3" -t ev_topic --bucket bk $S3CONF \
    --endpoint "http://AKIDSECRETS:$S3_SECRET@127.0.0.1:1"
want_rc 2 s3_userinfo
run s3_help env "AWS_SECRET_ACCESS_KEY=$ENV_SECRET" "LS_HTTP_TOKEN=$HTTP_TOKEN" \
    "$BIN/ls-batch2s3" --help
run s3_list env "AWS_SECRET_ACCESS_KEY=$ENV_SECRET" "$BIN/ls-batch2s3" \
    -X "s3.secret.access.key=$S3_SECRET" -X list
run sasl_conf_bad "$BIN/ls-produce" -t ev_topic -X "sasl.password:$SASL_PW"
want_rc 2 sasl_conf_bad
printf 'sasl.password %s\n' "$SASL_PW" >"$CFG/kafka.conf"
run sasl_conf_file "$BIN/ls-consume" -t ev_topic --config "$CFG/kafka.conf"
want_rc 2 sasl_conf_file
printf 'dest=webhdfs://127.0.0.1:1/a\nhdfs.delegation.token %s\n' "$HDFS_TOKEN" >"$CFG/a.conf"
run hdfs_conf "$BIN/ls-archive" -c "$CFG/a.conf" -t ev_topic
want_rc 2 hdfs_conf

# ---- what the slow runs answered ---------------------------------------------------
collect s3_ok
want_rc 0 s3_ok
has s3_ok '150 records stored'
has s3_ok '1 dead letters'
collect s3_badsig
want_rc 1 s3_badsig
has s3_badsig 'SignatureDoesNotMatch'
collect s3_echo
want_rc 1 s3_echo
has s3_echo 'AccessDenied: denied: key [redacted] token [redacted]'
collect s3_env
want_rc 1 s3_env
has s3_env "Couldn't connect to server"
collect s3_file
want_rc 1 s3_file
has s3_file 'SignatureDoesNotMatch'
collect sasl_produce
want_rc 1 sasl_produce
collect sasl_consume
collect sasl_lag
want_rc 1 sasl_lag
collect sasl_tail
want_rc 1 sasl_tail
collect sasl_archive
collect sasl_s3
collect sasl_demo
collect hdfs_ok
want_rc 0 hdfs_ok
has hdfs_ok '151 records archived'
collect hdfs_badtoken
want_rc 1 hdfs_badtoken
has hdfs_badtoken 'InvalidToken'
has hdfs_badtoken '[redacted]'
collect hdfs_redirect
want_rc 1 hdfs_redirect
has hdfs_redirect 'expected an http(s) URL'
collect hdfs_unreach
want_rc 1 hdfs_unreach
# a token that was cancelled: the server's message quotes all of it
webhdfs_admin POST /admin/faults '{"strict_tokens": false}' >/dev/null || fail "faults"
curl -sf -X PUT \
    "http://$NAMENODE/webhdfs/v1/?op=CANCELDELEGATIONTOKEN&user.name=etl&token=$HDFS_TOKEN" \
    >/dev/null || fail "cancel token"
run hdfs_cancelled timeout 60 "$BIN/ls-archive" -b "$BROKERS" -t ev_topic -G hcan \
    --dest "webhdfs://$NAMENODE/archive3" -e -X "hdfs.delegation.token=$HDFS_TOKEN"
want_rc 1 hdfs_cancelled
has hdfs_cancelled 'InvalidToken'
has hdfs_cancelled '[redacted]'

# ---- ls-http bearer token -----------------------------------------------------------
printf 'httpsrc.token=%s\n' "$HTTP_TOKEN" >"$CFG/http.conf"
i=0
for how in flag env conf; do
    i=$((i+1))
    case $how in
        flag) set -- --token "$HTTP_TOKEN" ;;
        env) set -- ;;
        conf) set -- -c "$CFG/http.conf" ;;
    esac
    env "LS_HTTP_TOKEN=$HTTP_TOKEN" "$BIN/ls-http" -b "$BROKERS" --port 0 -t ev_topic \
        -X debug=all "$@" >"$OUT/http_$how.out" 2>"$OUT/http_$how.err" &
    hp=$!
    PIDS="$PIDS $hp"
    wait_until 20 test -s "$OUT/http_$how.out" || fail "ls-http ($how) did not start"
    addr=$(head -n 1 "$OUT/http_$how.out")
    for auth in "Bearer ${HTTP_TOKEN}x" "Bearer $(echo "$HTTP_TOKEN" | cut -c1-12)" \
        "Basic $HTTP_TOKEN" ""; do
        code=$(curl -s -o "$OUT/http_${how}_answer$i" -w '%{http_code}' \
            -H "Authorization: $auth" --data '[{"body":"x"}]' "http://$addr/")
        [ "$code" = 401 ] || fail "ls-http ($how) answered $code to a bad token"
        cat "$OUT/http_${how}_answer$i" >>"$OUT/http_answers"
    done
    code=$(curl -s -o "$OUT/http_${how}_ok" -w '%{http_code}' \
        -H "Authorization: Bearer $HTTP_TOKEN" --data '[{"body":"x"}]' "http://$addr/")
    [ "$code" = 200 ] || fail "ls-http ($how) answered $code to the right token"
    kill -TERM "$hp"
    wait "$hp" || fail "ls-http ($how) exited $?"
done
run http_help env "LS_HTTP_TOKEN=$HTTP_TOKEN" "$BIN/ls-http" --help
run http_list "$BIN/ls-http" -X "httpsrc.token=$HTTP_TOKEN" -X list
run http_badconf "$BIN/ls-http" --port 0 -t ev_topic -X "httpsrc.token:$HTTP_TOKEN"
want_rc 2 http_badconf

# ---- the other tools' help and property lists, secrets in the environment ----------
for tool in ls-produce ls-consume ls-lag ls-tail ls-archive ls-broker ls-demo; do
    run "help_$tool" env "AWS_SECRET_ACCESS_KEY=$ENV_SECRET" "LS_HTTP_TOKEN=$HTTP_TOKEN" \
        "$BIN/$tool" --help
done
run list_produce "$BIN/ls-produce" -X "sasl.password=$SASL_PW" -X list

# ---- the search -----------------------------------------------------------------------
# Everything under $TMP but the files holding the secrets on purpose
# ($CFG) and the test servers' own logs.
find "$TMP" -type f ! -path "$CFG/*" ! -name 'webhdfs.*' ! -name 'fake_s3.*' \
    ! -name 'badnn.*' ! -name '*.py' >"$TMP/files"
[ "$(wc -l <"$TMP/files")" -gt 60 ] || fail "too few files captured"
leaks=0
for s in "$S3_SECRET" "$S3_SESSION" "$ENV_SECRET" "$ENV_SESSION" "$FILE_SECRET" \
    "$SASL_PW" "$SSL_KEY_PW" "$HDFS_TOKEN" "$HDFS_TOKEN_LONG" "$HTTP_TOKEN"; do
    for needle in "$s" "$(echo "$s" | cut -c1-12)"; do
        while IFS= read -r f; do
            if LC_ALL=C grep -qF -- "$needle" "$f"; then
                echo "LEAK: '$needle' in ${f#"$TMP"/}:" >&2
                LC_ALL=C grep -nF -- "$needle" "$f" | head -n 3 | cut -c1-300 >&2
                leaks=$((leaks+1))
            fi
        done <"$TMP/files"
    done
done
[ "$leaks" -eq 0 ] || fail "$leaks secret occurrence(s) found"
ok "no secret in $(wc -l <"$TMP/files") output files of $(ls "$OUT" | wc -l) runs ($(( $(date +%s) - T0 ))s)"
