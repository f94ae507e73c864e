#!/bin/sh
# Bad input gets a clear message and the documented exit status:
# 2 for usage/configuration errors, 1 for runtime failures.
. "$(dirname "$0")/lib.sh"

# Usage and configuration errors: exit 2, message names the culprit.
for tool in ls-produce ls-consume ls-broker ls-archive; do
    expect_exit 2 "$BIN/$tool" --no-such-flag
    expect_exit 0 "$BIN/$tool" --help
    grep -q "Usage: $tool" "$TMP/last.out" || fail "$tool --help lacks Usage"
done
expect_exit 2 "$BIN/ls-produce" -t t -X no.such.property=1
expect_stderr '"no.such.property"'
expect_exit 2 "$BIN/ls-produce" -t t -X linger.ms=soon
expect_stderr 'linger.ms'
expect_stderr '"soon"'
expect_exit 2 "$BIN/ls-produce" -t t -X novalue
expect_stderr 'key=value'
expect_exit 2 "$BIN/ls-produce" --gen nonsense
expect_stderr '"nonsense"'
expect_stderr 'orders'
expect_exit 2 "$BIN/ls-produce" --gen orders --count -5
expect_stderr "'-5'"
expect_exit 2 "$BIN/ls-consume" -t t -o yesterday
expect_stderr '"yesterday"'
expect_exit 2 "$BIN/ls-consume" -t t -f xml
expect_stderr "'xml'"
expect_exit 2 "$BIN/ls-broker" --partitions 0
expect_exit 2 "$BIN/ls-consume"
expect_stderr "-t TOPIC is required"
printf 'topic=t\ndest=/tmp/x\nrol-count=5\n' >"$TMP/bad.conf"
expect_exit 2 "$BIN/ls-archive" -c "$TMP/bad.conf"
expect_stderr '"rol-count"'
expect_stderr "bad.conf:3"
expect_exit 2 "$BIN/ls-archive" -t t --dest "$TMP/x" --roll-count lots
expect_stderr '"lots"'
expect_exit 2 "$BIN/ls-archive" -t t --dest "$TMP/x" --path /abs/%Y
expect_stderr "relative"
expect_exit 2 "$BIN/ls-archive" -t t --dest "ftp://host/x"
expect_stderr '"ftp"'

# Invalid topic names: rejected before anything is sent.
start_broker --partitions 1
echo x | expect_exit 2 "$BIN/ls-produce" -b "$BROKERS" -t 'bad topic!'
expect_stderr '"bad topic!"'
expect_exit 2 "$BIN/ls-consume" -b "$BROKERS" -t 'bad/topic' -e
expect_stderr '"bad/topic"'

# Unreachable broker: clear error within the configured timeout, exit 1.
start=$(date +%s)
echo hello | expect_exit 1 "$BIN/ls-produce" -b 127.0.0.1:1 -t t \
    -X message.timeout.ms=3000
expect_stderr 'failed 1'
expect_stderr 'Connection refused'
[ $(( $(date +%s) - start )) -le 15 ] || fail "ls-produce took too long"
expect_exit 1 "$BIN/ls-consume" -b 127.0.0.1:1 -t t -e
expect_stderr '127.0.0.1:1'
ok "bad input gets clear errors and the documented exit codes"
