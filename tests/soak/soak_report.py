#!/usr/bin/env python3
"""Counts and the RSS verdict for the soak test (tests/soak/soak.sh).

    soak_report.py kafka DUMP N          records in Kafka (kcat dump lines
                                         "topic<TAB>partition<TAB>offset<TAB>value")
    soak_report.py archive ROOT N        records in ls-archive's final files
    soak_report.py s3 DIR N              records in ls-batch2s3's CSV objects
    soak_report.py all DUMP ROOT DIR N   the three, in one pass each; the
                                         archive's and S3's dups/missing
                                         then count against Kafka's log
    soak_report.py rss CSV [--factor 1.5] [--slack-mib 20] [--tools a,b]
    soak_report.py table CSV [--rows 10] markdown table of the RSS curve

The counting modes print one line of key=value pairs for the shell:
total (rows/lines seen), unique (distinct ids SOAK-1..SOAK-N), dups
(total - unique among known ids), missing (N - unique) and foreign (ids
outside 1..N).  With "all", one line per source prefixed "kafka:",
"archive:", "s3:"; for archive and s3, dups counts the copies of an id
beyond the copies Kafka holds and missing the copies short of them (a
record the producer wrote twice to Kafka must be in the destination
twice: once per offset), and produced_dups / produced_missing compare with
the N produced ids instead; kafka adds lowmark_max (highest first offset seen in a
partition: 0 when the broker evicted nothing) and gaps (offsets missing
inside a partition).  Exit status 0 always for counts; the exactly-once
verdicts with file/offset consistency come from archive_check.py and
batch2s3_check.py, which soak.sh runs as well.

rss: per tool (--tools, default all), min/max RSS over the run and the maxima of the first and
last thirds of the elapsed time; exit 1 when, for some tool, max(last
third) > factor * max(first third) + slack (not with --no-verdict).
"""
import argparse
import csv
import io
import os
import re
import sys

ID_RE = re.compile(rb'"(?:order_id|event_id)":"SOAK-(\d{10})"')


class Counter:
    def __init__(self, n):
        self.n = n
        self.c = bytearray(n + 1)
        self.total = 0
        self.foreign = 0

    def add(self, i):
        self.total += 1
        if 1 <= i <= self.n:
            if self.c[i] < 255:
                self.c[i] += 1
        else:
            self.foreign += 1

    def line(self, extra=""):
        unique = self.n + 1 - self.c.count(0)
        known = self.total - self.foreign
        return ("total=%d unique=%d dups=%d missing=%d foreign=%d%s"
                % (self.total, unique, known - unique, self.n - unique,
                   self.foreign, extra))


def against(dest, kafka):
    """Copies beyond / short of Kafka's, id by id."""
    extra = short = 0
    a, k = dest.c, kafka.c
    for i in range(1, dest.n + 1):
        if a[i] != k[i]:
            if a[i] > k[i]:
                extra += a[i] - k[i]
            else:
                short += k[i] - a[i]
    return extra, short


def all_three(dump, root, s3dir, n):
    lines = []
    k = count_kafka(dump, n, lines)
    for name, fn, arg in (("archive", count_archive, root), ("s3", count_s3, s3dir)):
        out = []
        c = fn(arg, n, out)
        extra, short = against(c, k)
        base = c.line(out[0]).split(" ")
        fields = dict(x.split("=", 1) for x in base)
        fields["produced_dups"] = fields["dups"]
        fields["produced_missing"] = fields["missing"]
        fields["dups"] = str(extra)
        fields["missing"] = str(short)
        lines.append(name + ": " + " ".join("%s=%s" % kv for kv in fields.items()))
    return "\n".join(lines)


def count_kafka(dump, n, extra_out=None):
    c = Counter(n)
    first, last, seen = {}, {}, {}
    with open(dump, "rb") as f:
        for line in f:
            t, p, o, v = line.rstrip(b"\n").split(b"\t", 3)
            key = (t, int(p))
            o = int(o)
            if key not in first:
                first[key] = o
            last[key] = o
            seen[key] = seen.get(key, 0) + 1
            m = ID_RE.search(v)
            c.add(int(m.group(1)) if m else 0)
    lowmark = max(first.values()) if first else 0
    gaps = sum(last[k] - first[k] + 1 - seen[k] for k in first)
    extra = " partitions=%d lowmark_max=%d gaps=%d" % (len(first), lowmark, gaps)
    if extra_out is not None:
        extra_out.append("kafka: " + c.line(extra))
        return c
    return c.line(extra)


def count_archive(root, n, extra_out=None):
    c = Counter(n)
    files = tmp = 0
    for d, _, names in os.walk(root):
        for f in names:
            if f.endswith(".tmp"):
                tmp += 1
                continue
            files += 1
            with open(os.path.join(d, f), "rb") as fh:
                for line in fh:
                    m = ID_RE.search(line)
                    c.add(int(m.group(1)) if m else 0)
    extra = " files=%d inuse=%d" % (files, tmp)
    if extra_out is not None:
        extra_out.append(extra)
        return c
    return c.line(extra)


def count_s3(root, n, extra_out=None):
    c = Counter(n)
    objects = 0
    for d, _, names in os.walk(root):
        for f in names:
            objects += 1
            with io.open(os.path.join(d, f), newline="", encoding="utf-8") as fh:
                for r in csv.DictReader(fh):
                    eid = r.get("event_id") or ""
                    c.add(int(eid[5:]) if eid.startswith("SOAK-") else 0)
    extra = " objects=%d" % objects
    if extra_out is not None:
        extra_out.append(extra)
        return c
    return c.line(extra)


def load_rss(path):
    rows = list(csv.DictReader(open(path)))
    tools = [k[:-len("_rss_mib")] for k in (rows[0].keys() if rows else [])
             if k.endswith("_rss_mib")]
    return rows, tools


def rss(path, factor, slack, only, verdicts=True):
    rows, tools = load_rss(path)
    if only:
        tools = [t for t in tools if t in only]
    if not rows:
        print("rss: no samples")
        return 1
    t_end = float(rows[-1]["elapsed_s"])
    t_beg = float(rows[0]["elapsed_s"])
    third = (t_end - t_beg) / 3.0
    bad = 0
    for t in tools:
        pts = [(float(r["elapsed_s"]), float(r[t + "_rss_mib"]))
               for r in rows if r.get(t + "_rss_mib")]
        if not pts:
            print("%s: no samples" % t)
            continue
        vals = [v for _, v in pts]
        first = [v for e, v in pts if e <= t_beg + third] or [0.0]
        last = [v for e, v in pts if e >= t_end - third] or [0.0]
        pids = {r[t + "_pid"] for r in rows if r.get(t + "_pid")}
        bound = factor * max(first) + slack
        verdict = "flat" if max(last) <= bound else "GROWING"
        if not verdicts:
            verdict = "(not checked)"
        elif verdict != "flat":
            bad = 1
        # The longest-lived process (kill -9 restarts reset RSS): its own
        # first and last thirds, for information.
        by_pid = {}
        for r in rows:
            if r.get(t + "_pid") and r.get(t + "_rss_mib"):
                by_pid.setdefault(r[t + "_pid"], []).append(
                    (float(r["elapsed_s"]), float(r[t + "_rss_mib"])))
        life = max(by_pid.values(), key=lambda v: v[-1][0] - v[0][0])
        l0, l1 = life[0][0], life[-1][0]
        lt = (l1 - l0) / 3.0
        lf = max([v for e, v in life if e <= l0 + lt] or [0.0])
        ll = max([v for e, v in life if e >= l1 - lt] or [0.0])
        print("%s: rss_min=%.1f rss_max=%.1f first_third_max=%.1f "
              "last_third_max=%.1f bound=%.1f incarnations=%d samples=%d %s; "
              "longest-lived process %.0f s (%.0f-%.0f s): first third max %.1f, "
              "last third max %.1f"
              % (t, min(vals), max(vals), max(first), max(last), bound,
                 len(pids), len(pts), verdict, l1 - l0, l0, l1, lf, ll))
    return bad


def table(path, nrows):
    rows, tools = load_rss(path)
    if not rows:
        return 0
    tools = [t for t in tools if t != "broker"] + (["broker"] if "broker" in tools else [])
    committed = [k for k in rows[0].keys() if k.endswith("_committed")]
    t_end = float(rows[-1]["elapsed_s"])
    hdr = ["elapsed s"] + ["%s RSS MiB" % t for t in tools] + ["archived (final files)"] + \
          ["%s committed" % k[:-len("_committed")] for k in committed] + ["in Kafka"]
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    picked = []
    for i in range(nrows + 1):
        want = t_end * i / nrows
        r = min(rows, key=lambda r: abs(float(r["elapsed_s"]) - want))
        if r not in picked:
            picked.append(r)

    def last_known(r, key):
        # The nearest earlier sample with a value (ls-lag fails while the
        # brokers are down).
        idx = rows.index(r)
        for x in reversed(rows[:idx + 1]):
            if x.get(key):
                return x[key]
        return "-"
    for r in picked:
        cells = [r["elapsed_s"]] + [r.get(t + "_rss_mib") or "(restarting)" for t in tools] + \
                [r.get("archived_in_files") or "-"] + \
                ["{:,}".format(int(last_known(r, k))) if last_known(r, k) != "-" else "-"
                 for k in committed] + \
                ["{:,}".format(int(last_known(r, "kafka_end"))) if last_known(r, "kafka_end") != "-" else "-"]
        if cells[len(tools) + 1] not in ("-", ""):
            cells[len(tools) + 1] = "{:,}".format(int(cells[len(tools) + 1]))
        print("| " + " | ".join(cells) + " |")
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["kafka", "archive", "s3", "all", "rss", "table"])
    p.add_argument("path")
    p.add_argument("rest", nargs="*")
    p.add_argument("--factor", type=float, default=1.5)
    p.add_argument("--slack-mib", type=float, default=20.0)
    p.add_argument("--tools", default="")
    p.add_argument("--rows", type=int, default=10)
    p.add_argument("--no-verdict", action="store_true", help="rss: figures only, exit 0")
    a = p.parse_args()
    if a.mode == "kafka":
        print(count_kafka(a.path, int(a.rest[0])))
    elif a.mode == "archive":
        print(count_archive(a.path, int(a.rest[0])))
    elif a.mode == "s3":
        print(count_s3(a.path, int(a.rest[0])))
    elif a.mode == "all":
        print(all_three(a.path, a.rest[0], a.rest[1], int(a.rest[2])))
    elif a.mode == "rss":
        return rss(a.path, a.factor, a.slack_mib, [t for t in a.tools.split(",") if t],
                   not a.no_verdict)
    else:
        return table(a.path, a.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
