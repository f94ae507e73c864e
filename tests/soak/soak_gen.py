#!/usr/bin/env python3
"""Soak records, one "KEY<TAB>JSON" line each, for ls-produce -K TAB.

    soak_gen.py N [FIRST]

Record i (FIRST..FIRST+N-1, FIRST defaults to 1) is keyed and identified by
SOAK-<i, 10 digits>, under both "order_id" (what archive_check.py counts)
and "event_id" (what batch2s3_check.py counts), so the same records can be
checked in the archive and in S3.  About 150 bytes a record; every 7th
note holds a comma and a double quote (CSV quoting), every 11th a
non-ASCII character.  Deterministic: the same N gives the same bytes.
"""
import os
import sys


def main():
    n = int(sys.argv[1])
    first = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    notes = ["ok", "gift", "express", "bulk", "repeat", "new", "vip"]
    out = sys.stdout
    buf = []
    for i in range(first, first + n):
        rid = "SOAK-%010d" % i
        if i % 7 == 0:
            note = 'fragile, "handle with care"'
        elif i % 11 == 0:
            note = "caf\u00e9"
        else:
            note = notes[i % len(notes)]
        cents = (i * 7919) % 100000
        buf.append('%s\t{"order_id":"%s","event_id":"%s","customer_id":"CUST-%05d",'
                   '"quantity":%d,"total":%d.%02d,"note":"%s","seq":%d}\n'
                   % (rid, rid, rid, (i * 31) % 100000, 1 + i % 9, cents // 100,
                      cents % 100, note.replace('"', '\\"'), i))
        if len(buf) >= 4096:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))
    out.flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        # The producer stopped reading (the run was stopped): quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
