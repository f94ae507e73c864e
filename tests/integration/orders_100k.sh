#!/bin/sh
# Done-when check of the foundation: 100,000 generated orders on a
# 16-partition topic are read back by kcat, all well-formed.
. "$(dirname "$0")/lib.sh"
start_broker --partitions 16 --topic orders

"$BIN/ls-produce" -b "$BROKERS" -t orders --gen orders --count 100000 \
    --seed 3 -q 2>"$TMP/produce.err" || fail "ls-produce failed"
grep -q "delivered 100000, failed 0" "$TMP/produce.err" ||
    fail "$(cat "$TMP/produce.err")"
cat "$TMP/produce.err"
kcat -C -b "$BROKERS" -t orders -e -q -f '%p %o %s\n' >"$TMP/orders.txt" ||
    fail "kcat failed"
grep -q "discarded" "$TMP/broker.err" && fail "the broker discarded records"
python3 - "$TMP/orders.txt" <<'PY'
import json, re, sys
from decimal import Decimal
n = 0
ids = set()
parts = set()
for line in open(sys.argv[1], encoding='utf-8'):
    p, o, v = line.rstrip('\n').split(' ', 2)
    parts.add(int(p))
    d = json.loads(v)
    for f in ('order_id', 'customer', 'product', 'quantity', 'price', 'total', 'timestamp'):
        assert f in d, "missing %s in %s" % (f, v)
    assert re.fullmatch(r'ORD-\d+', d['order_id']), d['order_id']
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z', d['timestamp'])
    q, pr, t = Decimal(str(d['quantity'])), Decimal(str(d['price'])), Decimal(str(d['total']))
    assert q * pr == t, "total %s != %s * %s" % (t, q, pr)
    ids.add(d['order_id'])
    n += 1
assert n == 100000, "kcat counted %d orders" % n
assert len(ids) == 100000, "order ids repeat"
assert parts == set(range(16)), "partitions used: %s" % sorted(parts)
print("kcat counted 100000 well-formed orders over 16 partitions")
PY
ok "100,000 orders produced and counted by kcat"
