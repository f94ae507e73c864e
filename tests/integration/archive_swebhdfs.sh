#!/bin/sh
# ls-archive to swebhdfs:// (WebHDFS over TLS) against the test server with
# a self-signed certificate: with hdfs.tls.ca.file = that certificate every
# one of 20,000 orders is archived exactly once; without the CA the archiver
# fails (exit 1) naming the certificate problem, and does not retry forever,
# as it does for a host name the certificate lacks; with hdfs.tls.verify=false
# it works again.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
command -v openssl >/dev/null || fail "openssl CLI not found"

CERT="$TMP/cert.pem"
KEY="$TMP/key.pem"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KEY" -out "$CERT" -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    >"$TMP/openssl.out" 2>"$TMP/openssl.err" || fail "openssl req failed"

start_broker --partitions 4 --topic orders
start_webhdfs --tls-cert "$CERT" --tls-key "$KEY"
grep -q ' tls=1$' "$TMP/webhdfs.out" || fail "server did not start with TLS: $(cat "$TMP/webhdfs.out")"

"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 20000 -q \
    2>"$TMP/produce.err" || fail "ls-produce failed"

# tls: the handshakes and handshake_failures counters of the server.
tls_stats() {
    webhdfs_admin GET /admin/stats >"$TMP/stats.json" || fail "admin stats"
    python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tls"]; print(t["handshakes"], t["handshake_failures"])' \
        "$TMP/stats.json"
}

# (a) verification on, the CA given: exactly once.
expect_exit 0 timeout 120 "$BIN/ls-archive" -b "$BROKERS" -t orders -G verified \
    --dest "swebhdfs://$NAMENODE/archive" -X "hdfs.tls.ca.file=$CERT" -e -q
cat "$TMP/last.err"
python3 "$(dirname "$0")/archive_check.py" "$HDFS_ROOT/archive" 20000 ||
    fail "swebhdfs archive (verified) is not exactly once"
set -- $(tls_stats)
[ "$1" -gt 0 ] && [ "$2" -eq 0 ] ||
    fail "after the verified run: $1 handshakes, $2 failed (want >0, 0)"
ok "swebhdfs with hdfs.tls.ca.file: 20000 orders exactly once ($1 TLS handshakes)"

# (b) verification on, no CA: the self-signed certificate is rejected.
webhdfs_admin GET /admin/reset >/dev/null || fail "admin reset"
t0=$(date +%s)
expect_exit 1 timeout 60 "$BIN/ls-archive" -b "$BROKERS" -t orders -G noca \
    --dest "swebhdfs://$NAMENODE/archive-noca" -e -q
secs=$(( $(date +%s) - t0 ))
cat "$TMP/last.err"
grep -qi 'certificate' "$TMP/last.err" && grep -q 'SSL' "$TMP/last.err" ||
    fail "the error does not name the certificate problem"
[ ! -e "$HDFS_ROOT/archive-noca" ] || fail "something was written without a trusted certificate"
set -- $(tls_stats)
[ "$1" -eq 0 ] && [ "$2" -ge 1 ] ||
    fail "without the CA: $1 handshakes, $2 failed (want 0, >=1)"
ok "swebhdfs without the CA: exit 1 after ${secs}s, certificate rejected ($2 failed handshakes)"

# (b2) the CA given, but the URL names a host the certificate is not for
# (its only name is IP:127.0.0.1): host name verification rejects it.
expect_exit 1 timeout 60 "$BIN/ls-archive" -b "$BROKERS" -t orders -G wronghost \
    --dest "swebhdfs://localhost:${NAMENODE##*:}/archive-wronghost" \
    -X "hdfs.tls.ca.file=$CERT" -e -q
cat "$TMP/last.err"
grep -q 'localhost' "$TMP/last.err" && grep -q 'SSL' "$TMP/last.err" ||
    fail "the error does not name the host name mismatch"
[ ! -e "$HDFS_ROOT/archive-wronghost" ] || fail "something was written to the wrong host name"
ok "swebhdfs to a host name the certificate lacks: exit 1"

# (c) verification off: works with no CA at all.
expect_exit 0 timeout 120 "$BIN/ls-archive" -b "$BROKERS" -t orders -G noverify \
    --dest "swebhdfs://$NAMENODE/archive-noverify" -X hdfs.tls.verify=false -e -q
cat "$TMP/last.err"
expect_stderr "hdfs.tls.verify=false: the server's TLS certificate is not checked"
python3 "$(dirname "$0")/archive_check.py" "$HDFS_ROOT/archive-noverify" 20000 ||
    fail "swebhdfs archive (verify=false) is not exactly once"
ok "swebhdfs with hdfs.tls.verify=false: 20000 orders exactly once"
