#!/bin/sh
# Benchmark: ls-archive against kcat on the embedded broker, in one run.
#
#   bench/archive.sh [N] [PARTITIONS]     (default 1000000 orders, 96)
#
# Preloads N generated orders (96 partitions keep each under ~2.5 MB, so
# the embedded broker evicts nothing), then times:
#   kcat -C -e -o beginning          (no group: the raw drain rate)
#   kcat -G GROUP -e                 (a group: pays the ~3 s first join)
#   ls-archive -e --dest DIR         (a group, files closed, renamed, committed)
#   ls-archive -e --dest webhdfs://  (to the WebHDFS test server, with the
#                                     number of HTTP requests per 100k records)
# and prints records/s, ratios, and peak RSS (from /usr/bin/time -v).
# Targets (issue 3): whole run >= 1.0x kcat -G; steady state (ls-archive's
# own "from the first record" figure) >= 0.9x kcat -C; peak RSS < 64 MiB.
set -eu
N=${1:-1000000}
P=${2:-96}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${LS_BUILD:-$HERE/build}
BIN=$BUILD/tools
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lsbench.XXXXXX")
BPID=""
HPID=""
cleanup() {
    for p in $BPID $HPID; do kill "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

"$BIN/ls-broker" --partitions "$P" --topic orders >"$TMP/broker.out" 2>"$TMP/broker.err" &
BPID=$!
while [ ! -s "$TMP/broker.out" ]; do sleep 0.05; done
B=$(head -n 1 "$TMP/broker.out")

"$BIN/ls-produce" -b "$B" -t orders --gen orders --count "$N" -q 2>"$TMP/produce.err"
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

t_kc=$(timed kcat_c kcat -C -b "$B" -t orders -e -q -o beginning)
t_kg=$(timed kcat_g kcat -b "$B" -G benchkcat -X auto.offset.reset=earliest -e -q orders)
n_kc=$(wc -l <"$TMP/kcat_c.out")
n_kg=$(wc -l <"$TMP/kcat_g.out")
rm -f "$TMP/kcat_c.out" "$TMP/kcat_g.out"
t_la=$(timed archive "$BIN/ls-archive" -b "$B" -t orders -G bencharchive \
    --dest "$TMP/archive" -e -q)
summary=$(tail -n 1 "$TMP/archive.err")
steady=$(echo "$summary" | sed -n 's/.*steady state \([0-9.]*\) s.*/\1/p')
n_la=$(echo "$summary" | sed -n 's/.*: \([0-9]*\) records archived.*/\1/p')
files=$(find "$TMP/archive" -type f | wc -l)
n_files=$(find "$TMP/archive" -type f -name '*.json' -exec cat {} + | wc -l)

# The same archive to the WebHDFS test server (a Python server: its own
# speed bounds this figure; the request count is the point).
mkdir -p "$TMP/hdfs"
python3 "$HERE/tests/webhdfs/webhdfs_server.py" --root "$TMP/hdfs" \
    >"$TMP/webhdfs.out" 2>"$TMP/webhdfs.err" &
HPID=$!
while [ ! -s "$TMP/webhdfs.out" ]; do sleep 0.05; done
NN=$(sed 's/.*namenode=\([^ ]*\).*/\1/' "$TMP/webhdfs.out")
ADMIN=$(sed 's/.*admin=\([^ ]*\).*/\1/' "$TMP/webhdfs.out")
t_wh=$(timed webhdfs "$BIN/ls-archive" -b "$B" -t orders -G benchwebhdfs \
    --dest "webhdfs://$NN/archive" -e -q)
wh_summary=$(tail -n 1 "$TMP/webhdfs.err")
wh_steady=$(echo "$wh_summary" | sed -n 's/.*steady state \([0-9.]*\) s.*/\1/p')
wh_reqs=$(curl -sf "http://$ADMIN/admin/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(v["total"] for v in s["requests"].values()))')

rate() { echo "$1 / $2" | bc -l | xargs printf "%.0f"; }
ratio() { echo "$1 / $2" | bc -l | xargs printf "%.2f"; }
echo "records: $N over $P partitions (kcat -C read $n_kc, kcat -G $n_kg, ls-archive $n_la, in files $n_files, $files files)"
printf "%-28s %8s s %10s rec/s  peak RSS %6s MiB\n" \
    "kcat -C -e (no group)" "$(printf %.2f "$t_kc")" "$(rate "$N" "$t_kc")" "$(rss kcat_c)" \
    "kcat -G -e (group)" "$(printf %.2f "$t_kg")" "$(rate "$N" "$t_kg")" "$(rss kcat_g)" \
    "ls-archive -e (whole run)" "$(printf %.2f "$t_la")" "$(rate "$N" "$t_la")" "$(rss archive)" \
    "ls-archive (steady state)" "$(printf %.2f "$steady")" "$(rate "$N" "$steady")" "-" \
    "ls-archive -> WebHDFS" "$(printf %.2f "$t_wh")" "$(rate "$N" "$t_wh")" "$(rss webhdfs)" \
    "  (steady state)" "$(printf %.2f "$wh_steady")" "$(rate "$N" "$wh_steady")" "-"
echo "WebHDFS: $wh_reqs HTTP requests, $(echo "$wh_reqs * 100000 / $N" | bc) per 100,000 records"
echo "ratio whole run  ls-archive / kcat -G : $(ratio "$t_kg" "$t_la")x  (target >= 1.0)"
echo "ratio steady     ls-archive / kcat -C : $(ratio "$t_kc" "$steady")x  (target >= 0.9)"
echo "peak RSS ls-archive: $(rss archive) MiB (target < 64)"
[ "$n_la" -eq "$N" ] && [ "$n_files" -eq "$N" ] || { echo "record count mismatch" >&2; exit 1; }
