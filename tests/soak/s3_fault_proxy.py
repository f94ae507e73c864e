#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 proxy to put in front of s3rver for the soak
test (s3rver itself has no fault injection).  Standard library only.

    s3_fault_proxy.py --upstream 127.0.0.1:PORT [--port 0] [--admin-port 0]
        [--seed 1] [--exit-with-parent]

When both ports listen it prints one line to stdout and flushes it:

    proxy=127.0.0.1:N admin=127.0.0.1:A pid=P

Each client request (Content-Length bodies only; the S3 client sends no
chunked bodies; `Expect: 100-continue` is answered here and not
forwarded) is read whole, then, drawing the seeded RNG only for
rates above 0, in this order:

  drop_rate        the connection is closed without a reply, nothing is
                   forwarded (the client sees an empty reply);
  error_rate       503 SlowDown (an S3 <Error> document) without
                   forwarding, connection kept alive;
  drop_after_rate  the request is forwarded and done upstream (a PUT is
                   stored), then the connection is closed without a reply.

Otherwise the request is forwarded on a fresh upstream connection and the
reply relayed unchanged.  The Host header is passed through, so SigV4
signatures made for the proxy's address verify upstream.  When the
upstream is unreachable (s3rver stopped), the client connection is closed
without a reply and `upstream_down` is counted.

Admin API (JSON): GET /faults, POST /faults {...} (merge; unknown keys 400),
DELETE /faults (all rates back to 0), GET /stats
{"requests", "forwarded", "faults": {"drop", "error", "drop_after",
"upstream_down"}}.
"""
import argparse
import json
import os
import random
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULT_KEYS = ("drop_rate", "error_rate", "drop_after_rate")


class State:
    def __init__(self, upstream, seed):
        self.lock = threading.Lock()
        self.upstream = upstream
        self.rng = random.Random(seed)
        self.faults = {k: 0.0 for k in FAULT_KEYS}
        self.stats = {"requests": 0, "forwarded": 0,
                      "faults": {"drop": 0, "error": 0, "drop_after": 0,
                                 "upstream_down": 0}}

    def decide(self):
        with self.lock:
            self.stats["requests"] += 1
            for key, name in (("drop_rate", "drop"), ("error_rate", "error"),
                              ("drop_after_rate", "drop_after")):
                rate = self.faults[key]
                if rate > 0 and self.rng.random() < rate:
                    self.stats["faults"][name] += 1
                    return name
            return None

    def count(self, what):
        with self.lock:
            if what == "forwarded":
                self.stats["forwarded"] += 1
            else:
                self.stats["faults"][what] += 1


class Reader:
    """Buffered reads from a socket: lines and exact byte counts."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def head(self):
        """Bytes up to and including the blank line ending the headers."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise ValueError("header too long")
            self._fill()
        i = self.buf.index(b"\r\n\r\n") + 4
        h, self.buf = self.buf[:i], self.buf[i:]
        return h

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n") + 2
        d, self.buf = self.buf[:i], self.buf[i:]
        return d

    def rest(self):
        out = [self.buf]
        self.buf = b""
        while True:
            d = self.sock.recv(65536)
            if not d:
                return b"".join(out)
            out.append(d)


def headers_of(head):
    lines = head.decode("latin-1").split("\r\n")
    hs = {}
    for l in lines[1:]:
        if ":" in l:
            k, v = l.split(":", 1)
            hs[k.strip().lower()] = v.strip()
    return lines[0], hs


def read_response(r, method):
    """One whole response from upstream, as raw bytes."""
    head = r.head()
    status_line, hs = headers_of(head)
    status = int(status_line.split()[1])
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return head, hs
    if "chunked" in hs.get("transfer-encoding", "").lower():
        parts = [head]
        while True:
            size_line = r.line()
            parts.append(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers up to the blank line
                    l = r.line()
                    parts.append(l)
                    if l == b"\r\n":
                        return b"".join(parts), hs
            parts.append(r.exact(size + 2))
    if "content-length" in hs:
        return head + r.exact(int(hs["content-length"])), hs
    return head + r.rest(), hs


SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
            b'<Message>Please reduce your request rate. (s3_fault_proxy)</Message>'
            b'<RequestId>SOAKPROXY</RequestId></Error>')


def serve_client(state, conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    r = Reader(conn)
    try:
        while True:
            try:
                head = r.head()
            except EOFError:
                return
            line, hs = headers_of(head)
            method = line.split()[0]
            if hs.get("expect", "").lower() == "100-continue":
                # Answer it here and do not forward it (unsigned in SigV4).
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                head = b"".join(l + b"\r\n" for l in head[:-4].split(b"\r\n")
                                if not l.lower().startswith(b"expect:")) + b"\r\n"
            body = r.exact(int(hs.get("content-length", "0") or 0))
            fault = state.decide()
            if fault == "drop":
                return
            if fault == "error":
                conn.sendall(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(SLOWDOWN) + SLOWDOWN)
                continue
            try:
                up = socket.create_connection(state.upstream, timeout=60)
            except OSError:
                state.count("upstream_down")
                return
            try:
                up.sendall(head + body)
                resp, rhs = read_response(Reader(up), method)
            except (OSError, EOFError, ValueError):
                state.count("upstream_down")
                return
            finally:
                up.close()
            if fault == "drop_after":
                return
            state.count("forwarded")
            conn.sendall(resp)
            if rhs.get("connection", "").lower() == "close" or \
                    hs.get("connection", "").lower() == "close":
                return
    except (OSError, ValueError, EOFError):
        return
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--upstream", required=True, help="host:port of the S3 server")
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--admin-port", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--exit-with-parent", action="store_true")
    a = p.parse_args()
    host, port = a.upstream.rsplit(":", 1)
    state = State((host, int(port)), a.seed)

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((a.bind, a.port))
    lsock.listen(64)

    class Admin(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _json(self, obj, code=200):
            b = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_GET(self):
            with state.lock:
                if self.path == "/faults":
                    return self._json(dict(state.faults))
                if self.path == "/stats":
                    return self._json(json.loads(json.dumps(state.stats)))
            self._json({"error": "no such endpoint"}, 404)

        def do_POST(self):
            if self.path != "/faults":
                return self._json({"error": "no such endpoint"}, 404)
            n = int(self.headers.get("Content-Length") or 0)
            try:
                d = json.loads(self.rfile.read(n) or b"{}")
                assert isinstance(d, dict)
                for k, v in d.items():
                    assert k in FAULT_KEYS, "unknown key %s" % k
                    assert 0 <= float(v) <= 1, "bad value for %s" % k
            except (ValueError, AssertionError) as e:
                return self._json({"error": str(e)}, 400)
            with state.lock:
                state.faults.update({k: float(v) for k, v in d.items()})
                return self._json(dict(state.faults))

        def do_DELETE(self):
            if self.path != "/faults":
                return self._json({"error": "no such endpoint"}, 404)
            with state.lock:
                state.faults = {k: 0.0 for k in FAULT_KEYS}
                return self._json(dict(state.faults))

    admin = ThreadingHTTPServer((a.bind, a.admin_port), Admin)
    admin.daemon_threads = True
    threading.Thread(target=admin.serve_forever, daemon=True).start()

    def stop(*_):
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if a.exit_with_parent:
        ppid = os.getppid()

        def watch():
            while True:
                if os.getppid() != ppid:
                    os._exit(0)
                threading.Event().wait(1)
        threading.Thread(target=watch, daemon=True).start()

    print("proxy=%s:%d admin=%s:%d pid=%d" % (lsock.getsockname() + admin.server_address
                                              + (os.getpid(),)), flush=True)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve_client, args=(state, conn), daemon=True).start()


if __name__ == "__main__":
    main()
