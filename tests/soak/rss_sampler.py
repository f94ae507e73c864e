#!/usr/bin/env python3
"""Sample the soak's processes every few seconds into a CSV.

    rss_sampler.py --out CSV [--interval 2] [--proc NAME=PIDFILE]...
        [--archive-root DIR] [--ls-lag BIN --brokers B --groups G1,G2 --topic T]
        [--t0 EPOCH] [--stop-file FILE]

Each row: elapsed_s (since --t0, default now), then for each --proc its
pid and RSS in MiB (VmRSS of the pid read from PIDFILE, re-read at every
sample since the soak restarts killed tools; empty while the process is
down), then archived_in_files (records in final files under
--archive-root, from the names <prefix>+<partition>+<first>+<last><sfx>),
then kafka_end (the topic's log end summed over partitions) and one
<group>_committed column per group (ls-lag; empty while the brokers are
down).  Flushed after each row.  Stops when --stop-file exists.
"""
import argparse
import json
import os
import re
import subprocess
import time

NAME_RE = re.compile(r'.*\+\d+\+(\d{10,})\+(\d{10,})\.json$')


def rss_of(pidfile):
    try:
        pid = int(open(pidfile).read().split()[0])
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return pid, int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return None, None


def archived(root):
    n = 0
    for _, _, files in os.walk(root):
        for f in files:
            m = NAME_RE.match(f)
            if m:
                n += int(m.group(2)) - int(m.group(1)) + 1
    return n


def lag(args, groups):
    try:
        p = subprocess.run([args.ls_lag, "-b", args.brokers, "-G", ",".join(groups),
                            "-t", args.topic, "-f", "json", "--timeout", "3000"],
                           capture_output=True, timeout=15)
        if p.returncode != 0:
            return None
        d = json.loads(p.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    end, committed = None, {}
    for g in d["groups"]:
        committed[g["group"]] = sum(x["committed"] or 0 for x in g["partitions"])
        if end is None:
            end = sum(x["end"] for x in g["partitions"])
    return end, committed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--interval", type=float, default=2.0)
    p.add_argument("--proc", action="append", default=[])
    p.add_argument("--archive-root")
    p.add_argument("--ls-lag")
    p.add_argument("--brokers")
    p.add_argument("--groups", default="")
    p.add_argument("--topic")
    p.add_argument("--t0", type=float)
    p.add_argument("--stop-file")
    a = p.parse_args()
    t0 = a.t0 if a.t0 else time.time()
    procs = [x.split("=", 1) for x in a.proc]
    groups = [g for g in a.groups.split(",") if g]
    cols = ["elapsed_s"]
    for name, _ in procs:
        cols += ["%s_pid" % name, "%s_rss_mib" % name]
    cols += ["archived_in_files", "kafka_end"] + ["%s_committed" % g for g in groups]
    with open(a.out, "w") as out:
        out.write(",".join(cols) + "\n")
        out.flush()
        nxt = time.time()
        while not (a.stop_file and os.path.exists(a.stop_file)):
            row = ["%.1f" % (time.time() - t0)]
            for _, pf in procs:
                pid, rss = rss_of(pf)
                row += ["" if pid is None else str(pid),
                        "" if rss is None else "%.1f" % rss]
            row.append(str(archived(a.archive_root)) if a.archive_root else "")
            lg = lag(a, groups) if a.ls_lag and groups else None
            if lg:
                row.append(str(lg[0]))
                row += [str(lg[1].get(g, "")) for g in groups]
            else:
                row += [""] * (1 + len(groups))
            out.write(",".join(row) + "\n")
            out.flush()
            nxt += a.interval
            time.sleep(max(0.0, nxt - time.time()))
            nxt = max(nxt, time.time())


if __name__ == "__main__":
    main()
