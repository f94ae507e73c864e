#!/usr/bin/env python3
"""Fake libstream monitor endpoint, for developing lib/monitor_page.html and
for tests/monitor/browser_check.py's own self-check.

Serves on 127.0.0.1:PORT
  /            lib/monitor_page.html (re-read on every request)
  /api/stats   a synthetic, evolving snapshot following the /api/stats
               contract (see lib/monitor_page.html)
  /health      200 "ok" / 503 + reason

The simulation advances one step per wall-clock second.  A snapshot is built
once per step and cached, so every request within the same second returns
byte-identical JSON with the same "time" -- a client can match what it saw
against another fetch with the same "time".  All counters only grow.

  --port 0          pick a free port; the port is the first stdout line
  --partitions N    total partitions over the consumer's topics (default 24)
  --prefill S       simulate S seconds of history at start-up (default 300)
  --health MODE     ok | failing | stalled | cycle (default ok)
  --seed N          random seed (default 1)
  --fresh-time      stamp every response with the request's own wall time
                    (like a server that snapshots per request); counters
                    still advance once per second
"""
import argparse
import json
import math
import os
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PAGE = os.path.normpath(os.path.join(HERE, "..", "..", "lib", "monitor_page.html"))
HISTORY_MAX = 600
NAME = "ls-archive"


class Sim:
    def __init__(self, partitions, prefill, health, seed):
        self.rng = random.Random(seed)
        self.health_mode = health
        now = time.time()
        self.t0 = math.floor(now) - prefill + 0.25   # .25: a float, not an integer
        self.step_no = -1
        self.started = self.t0 - 7.5
        topics = [("orders", 0.5), ("payments", 0.3), ("clicks", 0.2)]
        counts = []
        if partitions <= 0:
            counts = [0, 0, 0]
        elif partitions < 3:
            counts = [partitions, 0, 0]
        else:
            counts = [max(1, int(partitions * w)) for _, w in topics]
            counts[0] += partitions - sum(counts)
        self.parts = []
        for (topic, _), n in zip(topics, counts):
            for p in range(n):
                base = self.rng.randint(10_000, 2_000_000)
                self.parts.append({"topic": topic, "partition": p, "committed": base,
                                   "position": base, "log_end": base,
                                   "hot": self.rng.random() < 0.06 or len(self.parts) % 17 == 3})
        self.records_in = 0
        self.records_out = 0
        self.bytes_in = 0
        self.commits = 0
        self.retries = 0
        self.errors = 0
        self.dead = 0
        self.backpressure = 0
        self.batches = 0
        self.outputs = []
        self.batch_records = 0
        self.batch_bytes = 0
        self.channel_size = 0
        self.channel_cap = 10_000
        self.src_error = None
        self.sink_error = None
        self.produced = 0
        self.hist = {"t": [], "records_in": [], "records_out": [], "lag": []}
        self.snapshot = b""
        self.snap_time = 0.0
        self.lock = threading.Lock()
        self.advance(now)

    def step(self, t):
        rng = self.rng
        k = self.step_no
        rate = 1500 + 900 * math.sin(k / 40.0) + rng.randint(-150, 150)
        if k % 120 > 100:          # a burst every two minutes
            rate *= 2.2
        rate = max(0, int(rate))
        n = len(self.parts)
        consumed = 0
        if n:
            for p in self.parts:
                produced = int(rate / n * rng.uniform(0.7, 1.3))
                if p["hot"]:
                    produced += rng.randint(0, 40)
                p["log_end"] += produced
                room = p["log_end"] - p["position"]
                if not p["hot"]:
                    take = room
                else:                # slow partition, catching up now and then
                    take = min(room, rng.randint(0, 30) + (room // 40 if rng.random() < 0.2 else 0))
                if rng.random() < 0.05:
                    take = 0
                p["position"] += take
                consumed += take
                if k % 5 == 0:
                    p["committed"] = p["position"]
                    self.commits += 1
        else:
            consumed = rate
        self.records_in += consumed
        self.bytes_in += consumed * rng.randint(180, 260)
        # channel: sink drains most of what is in it
        self.channel_size += consumed
        drain = int(self.channel_size * rng.uniform(0.8, 0.95))
        if rng.random() < 0.02:
            drain = 0
            self.backpressure += 1
        self.channel_size -= drain
        self.channel_size = min(self.channel_size, self.channel_cap)
        self.records_out += drain
        self.batch_records += drain
        self.batch_bytes += drain * 211
        if k % 10 == 9 and self.batch_records:
            self.batches += 1
            day = time.strftime("%Y-%m-%d", time.gmtime(t))
            topic = "orders"
            self.outputs.append({"name": "/archive/%s/%s/%s-archive.%d.json" % (topic, day, topic, self.batches),
                                 "records": self.batch_records, "bytes": self.batch_bytes, "time": t})
            self.outputs = self.outputs[-20:]
            self.batch_records = self.batch_bytes = 0
        if k % 47 == 13:
            self.retries += 1
            self.sink_error = {"message": "WebHDFS CREATE /archive/orders: HTTP 503 Service Unavailable "
                                          "(attempt 1 of 5, retrying in 200 ms)", "time": t - 0.4}
        if k % 173 == 50:
            self.errors += 1
            self.src_error = {"message": "kafka: Broker: Not coordinator for group (rebalance in progress)",
                              "time": t - 0.2}
        if k % 211 == 100:
            self.dead += 1
            self.produced += 1
        h = self.hist
        h["t"].append(t)
        h["records_in"].append(self.records_in)
        h["records_out"].append(self.records_out)
        h["lag"].append(self.total_lag())
        if len(h["t"]) > HISTORY_MAX:
            for v in h.values():
                del v[0]

    def total_lag(self):
        return sum(p["log_end"] - p["committed"] for p in self.parts)

    def health(self, t):
        mode = self.health_mode
        if mode == "cycle":
            mode = ("ok", "ok", "stalled", "failing")[int(t // 20) % 4]
        if mode == "failing":
            return {"status": "failing", "code": 503, "reason": "sink: 5 consecutive write failures (WebHDFS 503)"}
        if mode == "stalled":
            return {"status": "stalled", "code": 503, "reason": "no records consumed for 30 s while lag > 0"}
        return {"status": "ok", "code": 200, "reason": "consuming; last output 3 s ago"}

    def build(self, t):
        parts = [{"topic": p["topic"], "partition": p["partition"], "committed": p["committed"],
                  "position": p["position"], "log_end": p["log_end"],
                  "lag": p["log_end"] - p["committed"]} for p in self.parts]
        fill = round(self.channel_size / self.channel_cap * 100, 1)
        comps = [
            {"pipeline": NAME, "name": "source", "role": "source", "kind": "kafka-consumer", "group": NAME,
             "metrics": {"EventReceivedCount": self.records_in, "BytesReceivedCount": self.bytes_in,
                         "KafkaCommitCount": self.commits, "KafkaRebalanceCount": 2,
                         "EventAcceptedCount": self.records_in},
             "partitions": parts, "last_error": self.src_error},
            {"pipeline": NAME, "name": "channel", "role": "channel", "kind": "memory",
             "metrics": {"ChannelSize": self.channel_size, "ChannelCapacity": self.channel_cap,
                         "ChannelFillPercentage": fill, "EventPutSuccessCount": self.records_in,
                         "EventTakeSuccessCount": self.records_out},
             "last_error": None},
            {"pipeline": NAME, "name": "sink", "role": "sink", "kind": "webhdfs",
             "metrics": {"EventDrainSuccessCount": self.records_out, "BatchCompleteCount": self.batches,
                         "RetryCount": self.retries, "DeadLetterCount": self.dead,
                         "BackpressurePauseCount": self.backpressure,
                         "BytesWrittenCount": sum(o["bytes"] for o in self.outputs)},
             "outputs": list(self.outputs), "last_error": self.sink_error},
            {"pipeline": NAME, "name": "dead-letters", "role": "producer", "kind": "kafka-producer",
             "metrics": {"EventSentCount": self.produced, "BytesSentCount": self.produced * 230},
             "last_error": None},
        ]
        return {
            "name": NAME, "version": "0.1.0", "time": t, "started": self.started,
            "health": self.health(t),
            "totals": {"records_in": self.records_in, "records_out": self.records_out,
                       "lag": self.total_lag(), "retries": self.retries, "errors": self.errors,
                       "dead_letters": self.dead, "outputs": self.batches},
            "components": comps,
            "history": {"interval_s": 1, "t": list(self.hist["t"]),
                        "records_in": list(self.hist["records_in"]),
                        "records_out": list(self.hist["records_out"]), "lag": list(self.hist["lag"])},
        }

    def advance(self, now):
        """Run the simulation up to wall time now; return (json bytes, time)."""
        with self.lock:
            target = int(math.floor(now - self.t0))
            if target > self.step_no:
                while self.step_no < target:
                    self.step_no += 1
                    self.step(self.t0 + self.step_no)
                t = self.t0 + self.step_no
                self.snap_time = t
                self.snap_obj = self.build(t)
                self.snapshot = json.dumps(self.snap_obj, separators=(",", ":")).encode()
            return self.snapshot, self.snap_time


def make_handler(sim, page_path, fresh_time=False):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def send(self, code, ctype, body):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                try:
                    with open(page_path, "rb") as f:
                        body = f.read()
                except OSError as e:
                    return self.send(500, "text/plain", str(e).encode())
                return self.send(200, "text/html; charset=utf-8", body)
            if path == "/api/stats":
                now = time.time()
                body, _ = sim.advance(now)
                if fresh_time:
                    with sim.lock:
                        obj = dict(sim.snap_obj, time=max(now, sim.snap_time))
                    body = json.dumps(obj, separators=(",", ":")).encode()
                return self.send(200, "application/json", body)
            if path == "/health":
                sim.advance(time.time())
                h = sim.snap_obj["health"]
                return self.send(h["code"], "text/plain", (h["status"] + ": " + h["reason"] + "\n").encode())
            return self.send(404, "text/plain", b"not found\n")

        do_HEAD = do_GET

    return H


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=8088)
    ap.add_argument("--partitions", type=int, default=24)
    ap.add_argument("--prefill", type=int, default=300)
    ap.add_argument("--health", choices=["ok", "failing", "stalled", "cycle"], default="ok")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--page", default=DEFAULT_PAGE)
    ap.add_argument("--fresh-time", action="store_true")
    a = ap.parse_args()
    sim = Sim(a.partitions, max(0, min(a.prefill, 3600)), a.health, a.seed)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(sim, a.page, a.fresh_time))
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
