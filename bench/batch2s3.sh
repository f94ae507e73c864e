#!/bin/sh
# Benchmark: ls-batch2s3 to s3rver against kcat on the embedded broker, in
# one run.
#
#   bench/batch2s3.sh [N] [PARTITIONS]    (default 200000 ERP events, 8)
#
# Preloads N generated ERP events (ls-produce --gen erp: six topics,
# <type>_topic, PARTITIONS partitions each; 8 keep each partition well
# under ~2.5 MB at 200,000 events, so the embedded broker evicts nothing),
# then times:
#   kcat -C -e -o beginning, per topic   (no group: the raw drain rate)
#   kcat -G GROUP -e <six topics>        (a group: pays the ~3 s first join)
#   ls-batch2s3 -e                       (a group; CSV objects of 100
#                                         records, the default, to s3rver)
#   ls-batch2s3 -e --batch-size 5000     (the same, 5,000 records per object)
# and prints records/s, ratios against kcat, objects written, CPU time and
# peak RSS (from /usr/bin/time -v).  "Steady state" is ls-batch2s3's own
# figure from its first record (without the ~3 s group join).  s3rver (Node.js, one object = files on disk)
# is on the same machine: its speed bounds the ls-batch2s3 figures.
set -eu
N=${1:-200000}
P=${2:-8}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${LS_BUILD:-$HERE/build}
BIN=$BUILD/tools
: "${S3RVER:=/opt/libstream-test/s3rver/node_modules/.bin/s3rver}"
TYPES="sales payments interactions inventory procurement telemetry"
TOPICS=$(for t in $TYPES; do printf '%s_topic,' "$t"; done | sed 's/,$//')
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lsbench.XXXXXX")
BPID=""
SPID=""
cleanup() {
    for p in $BPID $SPID; do kill "$p" 2>/dev/null || true; done
    for p in $BPID $SPID; do wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$BIN/ls-broker" --partitions "$P" $(for t in $TYPES; do printf -- '--topic %s_topic ' "$t"; done) \
    >"$TMP/broker.out" 2>"$TMP/broker.err" &
BPID=$!
while [ ! -s "$TMP/broker.out" ]; do sleep 0.05; done
B=$(head -n 1 "$TMP/broker.out")

mkdir -p "$TMP/s3rver"
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$TMP/s3rver" -a 127.0.0.1 \
    -p 0 --silent --configure-bucket bench100 --configure-bucket bench5000 \
    >"$TMP/s3rver.out" 2>"$TMP/s3rver.err" &
SPID=$!
until grep -q '^S3rver listening on ' "$TMP/s3rver.out"; do sleep 0.05; done
S3="http://$(sed -n 's/^S3rver listening on \(127\.0\.0\.1:[0-9]*\)$/\1/p' "$TMP/s3rver.out")"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1

"$BIN/ls-produce" -b "$B" --gen erp --count "$N" -q 2>"$TMP/produce.err"
cat "$TMP/produce.err"
sleep 1.5 # one watcher interval: a discard would be reported by now
if grep -q discarded "$TMP/broker.err"; then
    echo "the broker discarded records: use more partitions" >&2
    exit 1
fi

now() { date +%s.%N; }
timed() { # timed NAME CMD...: run under /usr/bin/time -v, print seconds
    name=$1
    shift
    t0=$(now)
    /usr/bin/time -v -o "$TMP/$name.time" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}
rss() { awk -F': ' '/Maximum resident/ {printf "%.1f", $2/1024}' "$TMP/$1.time"; }
cpu() { # user + system seconds
    awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$TMP/$1.time"
}

# kcat -C takes one topic: drain the six one after the other.
t_kc=$(timed kcat_c sh -c 'for t in $(echo "$2" | tr , " "); do
    kcat -C -b "$1" -t "$t" -e -q -o beginning || exit 1; done' sh "$B" "$TOPICS")
t_kg=$(timed kcat_g kcat -b "$B" -G benchkcat -X auto.offset.reset=earliest -e -q \
    $(echo "$TOPICS" | tr , ' '))
n_kc=$(wc -l <"$TMP/kcat_c.out")
n_kg=$(wc -l <"$TMP/kcat_g.out")
rm -f "$TMP/kcat_c.out" "$TMP/kcat_g.out"

# batch NAME BUCKET [ARGS]: ls-batch2s3 -e into BUCKET; sets t_NAME.
batch() {
    name=$1
    bucket=$2
    shift 2
    t=$(timed "$name" "$BIN/ls-batch2s3" -b "$B" -t "$TOPICS" -G "bench$name" \
        --bucket "$bucket" --endpoint "$S3" --dlq "$TMP/$name.dlq" -e -q "$@")
    eval "t_$name=\$t"
}
summary() { tail -n 1 "$TMP/$1.err"; }
steady() { summary "$1" | sed -n 's/.*steady state \([0-9.]*\) s.*/\1/p'; }
stored() { summary "$1" | sed -n 's/.*: \([0-9]*\) records stored.*/\1/p'; }
objects() { summary "$1" | sed -n 's/.* in \([0-9]*\) objects.*/\1/p'; }
batch b100 bench100
batch b5000 bench5000 --batch-size 5000
# What s3rver holds (its own files: one ._S3rver_object per object).
on_disk() { find "$TMP/s3rver/$1" -name '*._S3rver_object' | wc -l; }

rate() { echo "$1 / $2" | bc -l | xargs printf "%.0f"; }
ratio() { echo "$1 / $2" | bc -l | xargs printf "%.2f"; }
echo "records: $N ERP events, 6 topics x $P partitions (kcat -C read $n_kc, kcat -G $n_kg," \
    "ls-batch2s3 stored $(stored b100) in $(objects b100) objects ($(on_disk bench100) in s3rver)," \
    "--batch-size 5000: $(stored b5000) in $(objects b5000) objects ($(on_disk bench5000) in s3rver))"
printf "%-32s %8s s %10s rec/s  CPU %6s s  peak RSS %6s MiB\n" \
    "kcat -C -e (no group, 6 runs)" "$(printf %.2f "$t_kc")" "$(rate "$N" "$t_kc")" "$(cpu kcat_c)" "$(rss kcat_c)" \
    "kcat -G -e (group)" "$(printf %.2f "$t_kg")" "$(rate "$N" "$t_kg")" "$(cpu kcat_g)" "$(rss kcat_g)" \
    "ls-batch2s3 -e (batch 100)" "$(printf %.2f "$t_b100")" "$(rate "$N" "$t_b100")" "$(cpu b100)" "$(rss b100)" \
    "  (steady state)" "$(printf %.2f "$(steady b100)")" "$(rate "$N" "$(steady b100)")" "-" "-" \
    "ls-batch2s3 -e (batch 5000)" "$(printf %.2f "$t_b5000")" "$(rate "$N" "$t_b5000")" "$(cpu b5000)" "$(rss b5000)" \
    "  (steady state)" "$(printf %.2f "$(steady b5000)")" "$(rate "$N" "$(steady b5000)")" "-" "-"
echo "ratio whole run  ls-batch2s3 / kcat -G : batch 100 $(ratio "$t_kg" "$t_b100")x," \
    "batch 5000 $(ratio "$t_kg" "$t_b5000")x"
echo "ratio steady     ls-batch2s3 / kcat -C : batch 100 $(ratio "$t_kc" "$(steady b100)")x," \
    "batch 5000 $(ratio "$t_kc" "$(steady b5000)")x"
echo "peak RSS ls-batch2s3: batch 100 $(rss b100) MiB, batch 5000 $(rss b5000) MiB"
[ "$n_kc" -eq "$N" ] && [ "$n_kg" -eq "$N" ] &&
    [ "$(stored b100)" -eq "$N" ] && [ "$(stored b5000)" -eq "$N" ] &&
    [ "$(on_disk bench100)" -eq "$(objects b100)" ] &&
    [ "$(on_disk bench5000)" -eq "$(objects b5000)" ] ||
    { echo "record or object count mismatch" >&2; exit 1; }
