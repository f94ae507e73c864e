#!/usr/bin/env python3
"""Checks against a running monitor (lib/monitor.c), for monitor.sh.

  monitor_check.py watch BASE SECONDS
      Sample /metrics every 0.25 s for SECONDS: every counter sample must
      never decrease, and libstream_event_received_total must grow.
  monitor_check.py wait BASE TIMEOUT EXPR
      Poll /api/stats until the Python expression EXPR (over d, the
      parsed document) is true; print the last document's totals.
  monitor_check.py health BASE TIMEOUT CODE [STATUS]
      Poll /health until it answers CODE (with "status": STATUS when
      given); print its body.
"""
import json
import sys
import time
import urllib.error
import urllib.request


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def parse_prom(text):
    """{(name, labels): value} for counter families, plus the TYPE map."""
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            head, value = line.rsplit(" ", 1)
            name = head.split("{", 1)[0]
            if types.get(name) == "counter":
                samples[head] = float(value)
    return samples


def watch(base, seconds):
    end = time.time() + seconds
    prev, n, grew, increases = None, 0, False, 0
    while time.time() < end:
        code, text = fetch(base + "metrics")
        if code != 200:
            sys.exit("FAIL: /metrics answered %d" % code)
        cur = parse_prom(text)
        n += 1
        if prev is not None:
            for k, v in cur.items():
                if k in prev and v < prev[k]:
                    sys.exit("FAIL: counter went down: %s %s -> %s" % (k, prev[k], v))
                if k in prev and v > prev[k]:
                    increases += 1
                    if k.startswith("libstream_event_received_total"):
                        grew = True
        prev = cur
        time.sleep(0.25)
    if not grew:
        sys.exit("FAIL: libstream_event_received_total never grew in %d samples" % n)
    print("ok: %d /metrics samples, %d counter increases, none decreased" % (n, increases))


def wait(base, timeout, expr):
    end = time.time() + timeout
    d = None
    while time.time() < end:
        code, text = fetch(base + "api/stats")
        if code == 200:
            d = json.loads(text)
            if eval(expr, {}, {"d": d}):
                print("ok: %s: %s" % (expr, json.dumps(d["totals"])))
                return
        time.sleep(0.2)
    sys.exit("FAIL: not true within %ss: %s; last totals %s" %
             (timeout, expr, json.dumps(d and d.get("totals"))))


def health(base, timeout, want, status=None):
    end = time.time() + timeout
    code, body = None, ""
    while time.time() < end:
        code, body = fetch(base + "health")
        if code == want and (status is None or
                             json.loads(body).get("status") == status):
            print("ok: /health %d %s" % (code, body))
            return
        time.sleep(0.2)
    sys.exit("FAIL: /health answered %s, not %d, for %ss: %s" % (code, want, timeout, body))


def main():
    cmd, base = sys.argv[1], sys.argv[2]
    if not base.endswith("/"):
        base += "/"
    if cmd == "watch":
        watch(base, float(sys.argv[3]))
    elif cmd == "wait":
        wait(base, float(sys.argv[3]), sys.argv[4])
    elif cmd == "health":
        health(base, float(sys.argv[3]), int(sys.argv[4]),
               sys.argv[5] if len(sys.argv) > 5 else None)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
