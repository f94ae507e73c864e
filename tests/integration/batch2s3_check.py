#!/usr/bin/env python3
"""Check ls-batch2s3's objects against Kafka.

    batch2s3_check.py DIR DUMP N

The objects under DIR (one <type>/ per type) hold every record of DUMP
(kcat lines "topic<TAB>partition<TAB>offset<TAB>value", N of them) exactly
once, each in the object whose key names its partition and the first
offset of a run of consecutive offsets.
"""
import collections, csv, io, json, os, re, sys
root, dump, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
kafka = {}
for line in open(dump, encoding='utf-8'):
    topic, p, o, v = line.rstrip('\n').split('\t', 3)
    t = topic[:-len('_topic')]
    kafka[(t, int(p), int(o))] = json.loads(v)['event_id']
assert len(kafka) == n, "kcat read %d records, expected %d" % (len(kafka), n)
seen = collections.defaultdict(list)
objects = 0
for t in sorted(os.listdir(root)):
    for f in sorted(os.listdir(os.path.join(root, t))):
        m = re.fullmatch(t + r'_\d{8}_\d{6}_p(\d+)_o(\d{10})\.csv', f)
        assert m, "unexpected object %s/%s" % (t, f)
        p, first = int(m.group(1)), int(m.group(2))
        rows = list(csv.DictReader(io.open(os.path.join(root, t, f), newline='', encoding='utf-8')))
        assert rows, "empty object %s/%s" % (t, f)
        objects += 1
        for i, r in enumerate(rows):
            k = (t, p, first + i)
            assert kafka.get(k) == r['event_id'], \
                "%s/%s row %d: %s, but offset %d of %s_topic [%d] is %s" % (
                    t, f, i, r['event_id'], first + i, t, p, kafka.get(k))
            seen[k].append(f)
dups = {k: v for k, v in seen.items() if len(v) > 1}
missing = sorted(k for k in kafka if k not in seen)
if dups:
    for k, v in sorted(dups.items())[:10]:
        print("duplicate: %s_topic [%d] offset %d in %s" % (k[0], k[1], k[2], v), file=sys.stderr)
if missing:
    print("missing: %d records, e.g. %s" % (len(missing), missing[:10]), file=sys.stderr)
assert not dups and not missing, "%d duplicated, %d missing" % (len(dups), len(missing))
print("%d events exactly once in %d objects" % (n, objects))
