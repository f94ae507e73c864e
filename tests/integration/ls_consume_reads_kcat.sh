#!/bin/sh
# Interop: 10,000 messages produced by kcat -P are read by ls-consume -e,
# both as values and as JSON envelopes.
. "$(dirname "$0")/lib.sh"
start_broker --partitions 4 --topic fromkcat

python3 - "$TMP/in.txt" <<'PY'
import random, sys
random.seed(11)
alphabet = 'abc 019"\\é✓\'{}'
with open(sys.argv[1], 'w', encoding='utf-8') as f:
    for i in range(10000):
        v = ''.join(random.choice(alphabet) for _ in range(random.randint(0, 80)))
        f.write('k%d\t%s.%d\n' % (i, v, i))
PY
kcat -P -b "$BROKERS" -t fromkcat -K "$(printf '\t')" -H origin=kcat \
    <"$TMP/in.txt" 2>"$TMP/kcat.err" || fail "kcat -P failed"

"$BIN/ls-consume" -b "$BROKERS" -t fromkcat -e -f json >"$TMP/out.jsonl" \
    2>"$TMP/consume.err" || fail "ls-consume -f json failed"
"$BIN/ls-consume" -b "$BROKERS" -t fromkcat -e -q >"$TMP/values.txt" \
    2>>"$TMP/consume.err" || fail "ls-consume failed"

python3 - "$TMP/in.txt" "$TMP/out.jsonl" "$TMP/values.txt" <<'PY'
import json, sys
inp = [l.split('\t', 1) for l in open(sys.argv[1], encoding='utf-8').read().split('\n')[:-1]]
env = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
vals = open(sys.argv[3], encoding='utf-8').read().split('\n')[:-1]
assert len(env) == 10000, "ls-consume read %d, expected 10000" % len(env)
for e in env:
    assert e['topic'] == 'fromkcat' and e['headers'] == {'origin': 'kcat'}, e
    assert 0 <= e['partition'] < 4 and e['offset'] >= 0 and e['timestamp'] > 0
assert sorted([e['key'], e['value']] for e in env) == sorted(inp)
assert sorted(vals) == sorted(v for _, v in inp)
seen = {(e['partition'], e['offset']) for e in env}
assert len(seen) == 10000
print("ls-consume read kcat's 10000 messages exactly, envelope and values")
PY
ok "ls-consume reads what kcat wrote"
