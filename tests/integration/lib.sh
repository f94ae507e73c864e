# Shared harness for the integration tests (sourced by each test script).
# Starts real servers on 127.0.0.1, keeps everything in a temp dir, and
# tears it all down on exit; prints the servers' logs when a test fails.
set -eu

: "${LS_BUILD:?LS_BUILD must point at the meson build directory}"
BIN="$LS_BUILD/tools"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lstest.XXXXXX")
PIDS=""

cleanup() {
    rc=$?
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/*.err; do
            [ -f "$f" ] || continue
            echo "---- $f (last 20 lines)" >&2
            tail -n 20 "$f" >&2
        done
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

ok() {
    echo "ok: $*"
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds.
wait_until() {
    secs=$1
    shift
    end=$(( $(date +%s) + secs ))
    until "$@"; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# start_broker [ls-broker args]: start the embedded broker, set BROKERS.
start_broker() {
    "$BIN/ls-broker" "$@" >"$TMP/broker.out" 2>"$TMP/broker.err" &
    PIDS="$PIDS $!"
    wait_until 20 test -s "$TMP/broker.out" || fail "ls-broker did not start"
    BROKERS=$(head -n 1 "$TMP/broker.out")
    case "$BROKERS" in
        127.0.0.1:*) ;;
        *) fail "ls-broker printed '$BROKERS', expected 127.0.0.1:PORT" ;;
    esac
    export BROKERS
}

# expect_exit CODE CMD...: run CMD, check its exit status, keep stderr in
# $TMP/last.err.
expect_exit() {
    want=$1
    shift
    set +e
    "$@" >"$TMP/last.out" 2>"$TMP/last.err"
    got=$?
    set -e
    [ "$got" -eq "$want" ] || {
        cat "$TMP/last.err" >&2
        fail "'$*' exited $got, expected $want"
    }
}

# expect_stderr TEXT: the last expect_exit's stderr contains TEXT.
expect_stderr() {
    grep -qF -- "$1" "$TMP/last.err" || {
        cat "$TMP/last.err" >&2
        fail "stderr lacks '$1'"
    }
}

# start_webhdfs: start the WebHDFS test server (files under $TMP/hdfs);
# sets NAMENODE, DATANODE, STANDBY, ADMIN (host:port) and HDFS_ROOT.
start_webhdfs() {
    HDFS_ROOT="$TMP/hdfs"
    mkdir -p "$HDFS_ROOT"
    python3 "$LS_SRC/tests/webhdfs/webhdfs_server.py" --root "$HDFS_ROOT" \
        --exit-with-parent "$@" >"$TMP/webhdfs.out" 2>"$TMP/webhdfs.err" &
    PIDS="$PIDS $!"
    wait_until 20 test -s "$TMP/webhdfs.out" || fail "webhdfs server did not start"
    line=$(head -n 1 "$TMP/webhdfs.out")
    NAMENODE=$(echo "$line" | sed 's/.*namenode=\([^ ]*\).*/\1/')
    DATANODE=$(echo "$line" | sed 's/.*datanode=\([^ ]*\).*/\1/')
    STANDBY=$(echo "$line" | sed 's/.*standby=\([^ ]*\).*/\1/')
    ADMIN=$(echo "$line" | sed 's/.*admin=\([^ ]*\).*/\1/')
    export NAMENODE DATANODE STANDBY ADMIN HDFS_ROOT
}

# webhdfs_admin METHOD PATH [JSON]: call the test server's admin API.
webhdfs_admin() {
    if [ $# -ge 3 ]; then
        curl -sf -X "$1" -H 'Content-Type: application/json' -d "$3" "http://$ADMIN$2"
    else
        curl -sf -X "$1" "http://$ADMIN$2"
    fi
}

# ---- S3: s3rver (installed by scripts/install-deps.sh) and fake_s3.py
: "${S3RVER:=/opt/libstream-test/s3rver/node_modules/.bin/s3rver}"

# start_s3rver [BUCKET...]: start s3rver 3.7.1 on a free port with the
# buckets created, data under $TMP/s3rver; sets S3_ENDPOINT (http://127.0.0.1:PORT).
# --openssl-legacy-provider: s3rver's ListObjectsV2 continuation tokens use
# DES, which OpenSSL 3 (Node >= 17) only has in the legacy provider; without
# it every truncated listing is 500 InternalError.
start_s3rver() {
    mkdir -p "$TMP/s3rver"
    set -- $(for b in "$@"; do printf -- '--configure-bucket %s ' "$b"; done)
    NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$TMP/s3rver" \
        -a 127.0.0.1 -p 0 --silent "$@" >"$TMP/s3rver.out" 2>"$TMP/s3rver.err" &
    PIDS="$PIDS $!"
    wait_until 30 grep -q '^S3rver listening on ' "$TMP/s3rver.out" \
        || fail "s3rver did not start"
    S3_ENDPOINT="http://$(sed -n 's/^S3rver listening on \(127\.0\.0\.1:[0-9]*\)$/\1/p' "$TMP/s3rver.out")"
    case "$S3_ENDPOINT" in
        http://127.0.0.1:[0-9]*) ;;
        *) fail "s3rver printed '$(cat "$TMP/s3rver.out")'" ;;
    esac
    export S3_ENDPOINT
}

# start_fake_s3 [fake_s3.py args]: start the fault-injecting S3 responder;
# sets S3_ENDPOINT and S3_ADMIN (host:port).
start_fake_s3() {
    python3 "$LS_SRC/tests/s3/fake_s3.py" --exit-with-parent "$@" \
        >"$TMP/fake_s3.out" 2>"$TMP/fake_s3.err" &
    PIDS="$PIDS $!"
    wait_until 20 test -s "$TMP/fake_s3.out" || fail "fake_s3 did not start"
    line=$(head -n 1 "$TMP/fake_s3.out")
    S3_ENDPOINT="http://$(echo "$line" | sed 's/^s3=\([^ ]*\).*/\1/')"
    S3_ADMIN=$(echo "$line" | sed 's/.*admin=\([^ ]*\).*/\1/')
    export S3_ENDPOINT S3_ADMIN
}

# s3_admin METHOD PATH [JSON]: call fake_s3's admin API.
s3_admin() {
    if [ $# -ge 3 ]; then
        curl -sf -X "$1" -H 'Content-Type: application/json' -d "$3" "http://$S3_ADMIN$2"
    else
        curl -sf -X "$1" "http://$S3_ADMIN$2"
    fi
}

# kcat_dump DEST TOPIC...: every record of the topics, read by kcat from
# the beginning, as "topic<TAB>partition<TAB>offset<TAB>value" lines.
kcat_dump() {
    dest=$1
    shift
    for t in "$@"; do
        kcat -C -b "$BROKERS" -t "$t" -e -q -o beginning \
            -f '%t\t%p\t%o\t%s\n' || fail "kcat -C $t failed"
    done >"$dest"
}

# Every tool started in the background is listed in $TMP/launched and
# killed when the script ends, however it ends (lib.sh's cleanup only
# knows $PIDS, which checks running in subshells cannot extend).
kill_launched() {
    [ -f "$TMP/launched" ] || return 0
    # only pids still running one of ours (a pid may have been reused);
    # twice TERM (the tools' forced exit; timeout(1) passes it on), then KILL
    live=""
    while read -r p; do
        grep -qF "$BIN/" "/proc/$p/cmdline" 2>/dev/null && live="$live $p"
    done <"$TMP/launched"
    [ -n "$live" ] || return 0
    for s in TERM TERM; do
        for p in $live; do kill -"$s" "$p" 2>/dev/null || true; done
        sleep 0.2
    done
    for p in $live; do
        grep -qF "$BIN/" "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    done
    return 0
}
setrc() { return "$1"; }

# track_launched: from now on, the script's end also kills every tool
# listed in $TMP/launched (for checks that start tools in subshells).
track_launched() {
    trap 'rc=$?; set +e; kill_launched; setrc $rc; cleanup' EXIT
}
