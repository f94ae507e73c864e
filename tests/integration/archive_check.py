#!/usr/bin/env python3
"""Check an ls-archive destination: every order id exactly once in final
files, file names consistent with their contents, no in-use file left.

    archive_check.py ROOT EXPECTED [TOPIC]
"""
import json
import os
import re
import sys

root, want = sys.argv[1], int(sys.argv[2])
topic = sys.argv[3] if len(sys.argv) > 3 else 'orders'
name_re = re.compile(re.escape(topic) + r'-archive\+(\d+)\+(\d{10,})\+(\d{10,})\.json')
ids, tmp, ranges = [], [], {}
for d, _, files in os.walk(root):
    for f in files:
        if f.endswith('.tmp'):
            tmp.append(os.path.join(d, f))
            continue
        m = name_re.fullmatch(f)
        assert m, "unexpected file name %s" % f
        p, first, last = (int(x) for x in m.groups())
        lines = open(os.path.join(d, f), encoding='utf-8').read().splitlines()
        assert len(lines) == last - first + 1, "%s holds %d lines" % (f, len(lines))
        ranges.setdefault(p, []).append((first, last))
        ids += [json.loads(l)['order_id'] for l in lines]
assert not tmp, "in-use files left: %s" % tmp
for p, rs in ranges.items():
    rs.sort()
    for (a0, a1), (b0, b1) in zip(rs, rs[1:]):
        assert b0 == a1 + 1, "partition %d: ranges %s then %s" % (p, (a0, a1), (b0, b1))
    assert rs[0][0] == 0, "partition %d starts at %d" % (p, rs[0][0])
dups = len(ids) - len(set(ids))
assert dups == 0, "%d duplicated records" % dups
assert len(ids) == want, "%d records in final files, expected %d" % (len(ids), want)
print("%d records in %d partitions, each exactly once, consecutive offset "
      "ranges, no in-use file" % (want, len(ranges)))
