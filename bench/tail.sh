#!/bin/sh
# Benchmark: ls-tail against kcat -P -l on the embedded broker, in one run.
#
#   bench/tail.sh [N] [PARTITIONS]     (default 1000000 lines, 16)
#
# Writes N lines of ~100 bytes ("%08d " + filler) to a file, then times,
# each to its own topic, until every line is delivered:
#   ls-tail -e --from-start --position   (the default: exactly once, i.e.
#                                         idempotent producer, ls.tail.src
#                                         header, position file)
#   ls-tail -e ... tail.exactly.once=false  (plain at-least-once)
#   kcat -P -l FILE                      (kcat reads the file as lines)
#   kcat -P -l FILE, idempotent, 1 header (the producer settings of
#                                         ls-tail's exactly-once mode)
# and prints lines/s, the ratio to kcat, and peak RSS (/usr/bin/time -v).
# ls-tail's own "from the first delivery" figure leaves out the producer's
# start-up (connection, and the topic lookup ls_producer_prepare does so
# that librdkafka 2.0 does not wait for its 1 s topic scan).
# The embedded broker keeps ~5 MiB per partition and drops older batches;
# that does not affect producing, so the loss check is off (--watch-ms 0).
set -eu
N=${1:-1000000}
P=${2:-16}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${LS_BUILD:-$HERE/build}
BIN=$BUILD/tools
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lsbench.XXXXXX")
BPID=""
cleanup() {
    [ -z "$BPID" ] || kill "$BPID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

"$BIN/ls-broker" --partitions "$P" --topic tail --topic tailplain \
    --topic kcat --topic kcatidem --watch-ms 0 >"$TMP/broker.out" 2>"$TMP/broker.err" &
BPID=$!
while [ ! -s "$TMP/broker.out" ]; do sleep 0.05; done
B=$(head -n 1 "$TMP/broker.out")

python3 - "$TMP/lines.txt" "$N" <<'PY'
import sys
filler = 'x' * 91
with open(sys.argv[1], 'w') as f:
    for i in range(int(sys.argv[2])):
        f.write('%08d %s\n' % (i, filler))
PY
bytes=$(stat -c %s "$TMP/lines.txt")

now() { date +%s.%N; }
timed() { # timed NAME CMD...: run under /usr/bin/time -v, print seconds
    name=$1
    shift
    t0=$(now)
    /usr/bin/time -v -o "$TMP/$name.time" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || {
        echo "$name failed:" >&2
        cat "$TMP/$name.err" >&2
        exit 1
    }
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}
rss() { awk -F': ' '/Maximum resident/ {printf "%.1f", $2/1024}' "$TMP/$1.time"; }
delivered() { sed -n 's/.*delivered \([0-9]*\), failed 0.*/\1/p' "$TMP/$1.err" | tail -n 1; }

t_lt=$(timed tail "$BIN/ls-tail" -b "$B" -t tail -e -q --from-start \
    --position "$TMP/pos.json" "$TMP/lines.txt")
t_lp=$(timed tailplain "$BIN/ls-tail" -b "$B" -t tailplain -e -q --from-start \
    -X tail.exactly.once=false "$TMP/lines.txt")
t_kc=$(timed kcat kcat -P -b "$B" -t kcat -l "$TMP/lines.txt")
t_ki=$(timed kcatidem kcat -P -b "$B" -t kcatidem -l -X enable.idempotence=true \
    -H ls.tail.src=65024:1234567:0:123456789 "$TMP/lines.txt")
n_lt=$(delivered tail)
n_lp=$(delivered tailplain)
[ "$n_lt" = "$N" ] && [ "$n_lp" = "$N" ] || {
    echo "line count mismatch: ls-tail delivered '$n_lt' / '$n_lp' of $N" >&2
    cat "$TMP/tail.err" "$TMP/tailplain.err" >&2
    exit 1
}
# kcat -P reports failures only on stderr: count what reached its topic
# (the last record of each partition: offset + 1, summed).
n_kc=$(kcat -C -b "$B" -t kcat -o -1 -e -q -f '%o\n' 2>/dev/null |
    awk '{ s += $1 + 1 } END { print s + 0 }')
[ "$n_kc" = "$N" ] || { echo "kcat stored $n_kc of $N lines" >&2; exit 1; }

steady() { sed -n 's/.* \([0-9.]*\) s from the first delivery.*/\1/p' "$TMP/$1.err" | tail -n 1; }
s_lt=$(steady tail)
s_lp=$(steady tailplain)

rate() { echo "$1 / $2" | bc -l | xargs printf "%.0f"; }
ratio() { echo "$1 / $2" | bc -l | xargs printf "%.2f"; }
echo "lines: $N of ~100 bytes ($bytes bytes) over $P partitions"
printf "%-40s %7s s %10s lines/s  peak RSS %6s MiB\n" \
    "ls-tail (exactly once, --position)" "$(printf %.2f "$t_lt")" "$(rate "$N" "$t_lt")" "$(rss tail)" \
    "  from its first delivery" "$(printf %.2f "$s_lt")" "$(rate "$N" "$s_lt")" "-" \
    "ls-tail (tail.exactly.once=false)" "$(printf %.2f "$t_lp")" "$(rate "$N" "$t_lp")" "$(rss tailplain)" \
    "  from its first delivery" "$(printf %.2f "$s_lp")" "$(rate "$N" "$s_lp")" "-" \
    "kcat -P -l FILE" "$(printf %.2f "$t_kc")" "$(rate "$N" "$t_kc")" "$(rss kcat)" \
    "kcat -P -l FILE (idempotent, 1 header)" "$(printf %.2f "$t_ki")" "$(rate "$N" "$t_ki")" "$(rss kcatidem)"
echo "ratio ls-tail / kcat, whole run:       exactly once $(ratio "$t_kc" "$t_lt")x" \
    "(vs idempotent kcat $(ratio "$t_ki" "$t_lt")x), plain $(ratio "$t_kc" "$t_lp")x"
echo "ratio ls-tail / kcat, first delivery:  exactly once $(ratio "$t_kc" "$s_lt")x" \
    "(vs idempotent kcat $(ratio "$t_ki" "$s_lt")x), plain $(ratio "$t_kc" "$s_lp")x"
