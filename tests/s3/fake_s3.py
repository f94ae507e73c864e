#!/usr/bin/env python3
"""A fault-injecting S3 responder for libstream's tests: the parts of S3
that s3rver 3.7.1 lacks or gets wrong (protocol-facts.md section C), on a
loopback port, in one Python 3 process, standard library only.

    python3 fake_s3.py [--bind 127.0.0.1] [--port 0] [--admin-port 0]
        [--bucket NAME]... [--access-key KEY] [--secret-key SECRET]
        [--min-part-size 5242880] [--seed 1] [--ready-file FILE]
        [--exit-with-parent] [-v]

When both ports listen it prints ONE line to stdout and flushes it:

    s3=127.0.0.1:N admin=127.0.0.1:A pid=P

(--ready-file gets the same line, written atomically.)  SIGTERM/SIGINT stop
it with exit status 0.  In shell: S3=$(sed 's/^s3=\\([^ ]*\\).*/\\1/' FILE).

What it serves (path-style only: http://host:port/bucket/key), objects kept
in memory:

- Buckets: PUT /b (CreateBucket; --bucket pre-creates), HEAD /b, DELETE /b
  (BucketNotEmpty when it holds objects or uploads), GET /b?uploads
  (ListMultipartUploads).
- Objects: PUT (PutObject), GET, HEAD, DELETE (204, also for a missing
  key).  PutObject and UploadPart check Content-MD5 (InvalidDigest,
  BadDigest) and a hex x-amz-content-sha256 against the body
  (XAmzContentSHA256Mismatch); a body without Content-Length gets 411
  MissingContentLength, and Transfer-Encoding: chunked gets 501
  NotImplemented (<Header>Transfer-Encoding</Header>) like real S3.
- ListObjectsV2 (list-type=2): prefix, delimiter (CommonPrefixes),
  max-keys (at most 1000), start-after, continuation-token (opaque),
  encoding-type=url (Key, Prefix, Delimiter, StartAfter URL-encoded as S3
  does, '+' for a space, with <EncodingType>url</EncodingType>).  Keys sort
  by UTF-8 bytes.  Without list-type: ListObjects v1 (marker).
- Multipart: POST ?uploads (UploadId), PUT ?partNumber=N&uploadId=ID
  (ETag = quoted MD5; 1..10000, else InvalidArgument; unknown upload:
  404 NoSuchUpload), POST ?uploadId=ID (Complete: MalformedXML,
  InvalidPartOrder when not ascending, InvalidPart when a part is missing
  or its ETag differs, EntityTooSmall when a part but the last is smaller
  than --min-part-size; the ETag is "<md5 of the part MD5s>-<N>" as on
  AWS), DELETE ?uploadId=ID (Abort: 204, 404 NoSuchUpload when unknown),
  GET ?uploadId=ID (ListParts).
- Authentication: every S3 request needs an Authorization header of the
  SigV4 form "AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/s3/
  aws4_request,SignedHeaders=a;b,Signature=<64 hex>" (", " separators
  accepted), an x-amz-date within 15 minutes and an x-amz-content-sha256
  header; SignedHeaders must hold host, x-amz-date, x-amz-content-sha256
  and x-amz-security-token when that header is sent.  Missing: 403
  AccessDenied; malformed: 400 AuthorizationHeaderMalformed; skewed: 403
  RequestTimeTooSkewed.  With --access-key another key id gets 403
  InvalidAccessKeyId.  With --secret-key the signature itself is verified
  (S3 rules: path encoded once, not normalised; query re-encoded and
  sorted) and a mismatch gets 403 SignatureDoesNotMatch carrying
  <CanonicalRequest> and <StringToSign>.
- Errors are S3 documents: <Error><Code/><Message/><Resource/><RequestId/>
  </Error> with Content-Type application/xml; HEAD errors have no body.

Admin API, JSON both ways, on the admin port:

  GET  /admin/health            {"ok": true, "pid", "s3": "host:port"}
  GET  /admin/stats             request counters (below)
  POST /admin/reset[?faults=1][&data=1]   zero the counters (also the
                                faults, also every bucket and object)
  GET  /admin/faults            the current faults
  POST /admin/faults {...}      merge keys (400 and no change for an
                                unknown key or a bad value)
  DELETE /admin/faults          back to the defaults
  GET  /admin/objects[?bucket=b]   {"buckets": {b: {key: {"size", "etag",
                                "content_type", "parts": [part sizes]}}}}
  GET  /admin/uploads           {"uploads": [{"bucket", "key", "upload_id",
                                "parts": {n: size}}]}
  GET  /admin/log               the last 1000 requests: {"requests": [{"op",
                                "method", "bucket", "key", "status",
                                "bytes", "fault"}]}

Fault keys:

  error_rate (0)        probability that a request gets an error instead
  status (503), code ("SlowDown"), message
                        ...that error (InternalError 500, RequestTimeout
                        400, ... any code and status)
  drop_rate (0)         close the connection without a reply, before the
                        request is processed (its body is not read)
  drop_after_rate (0)   process the request (a PUT is stored, a Complete
                        done), then close without a reply
  delay_ms (0)          sleep before each request
  fault_ops (null)      apply the random faults only to these ops, e.g.
                        ["UploadPart", "CompleteMultipartUpload"]
  complete_keepalive_ms (0)  Complete answers 200 at once and sends white
                        space every 50 ms for this long before its body,
                        as S3 does for slow completions
  min_part_size         --min-part-size
  odd_upload_ids (false)  UploadIds holding '/', '+' and '=' (to check
                        that clients encode them)
  rules ([])            deterministic faults: objects with "op" (an op
                        name or "*"), "key_prefix", "action" ("error",
                        "error200" = a 200 whose body is an <Error>,
                        "drop", "drop_after", "delay"), "status", "code",
                        "message", "delay_ms", "count" (default 1, -1
                        forever), "skip" (let this many pass first)
  seed                  reseed the fault RNG (action)

  The first matching live rule fires; otherwise the random faults apply,
  drawing the RNG only for rates above 0, in the order drop, error,
  drop_after.

Op names: CreateBucket, HeadBucket, DeleteBucket, ListObjectsV2,
ListObjects, ListMultipartUploads, PutObject, GetObject, HeadObject,
DeleteObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
AbortMultipartUpload, ListParts.

Stats (GET /admin/stats):

  {"requests": {"total": N, "ops": {op: N}, "status": {"200": N}},
   "connections": N,
   "faults": {"error": N, "error200": N, "drop": N, "drop_after": N,
              "delay": N},
   "auth": {"missing": N, "malformed": N, "bad_key": N, "bad_signature": N,
            "skewed": N},
   "uploads": {"created": N, "completed": N, "aborted": N, "in_progress": N},
   "bytes_received": N, "since": T}

Not served: virtual-hosted addressing, versioning, ACLs, ranges, copies,
presigned URLs, aws-chunked bodies, TLS.  Its own tests:
python3 tests/s3/test_fake_s3.py -v.
"""

import argparse
import base64
import binascii
import calendar
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_PARTS = 10000
MAX_KEYS = 1000
SKEW_S = 15 * 60
LOG_MAX = 1000
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([A-Za-z0-9_.-]+)/s3/"
    r"aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
OPS = ("CreateBucket", "HeadBucket", "DeleteBucket", "ListObjectsV2",
       "ListObjects", "ListMultipartUploads", "PutObject", "GetObject",
       "HeadObject", "DeleteObject", "CreateMultipartUpload", "UploadPart",
       "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts")
STATUS_OF = {"SlowDown": 503, "ServiceUnavailable": 503, "InternalError": 500,
             "RequestTimeout": 400, "AccessDenied": 403, "NoSuchKey": 404,
             "NoSuchBucket": 404, "NoSuchUpload": 404}


class S3Error(Exception):
    def __init__(self, status, code, message, **detail):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


class Dropped(Exception):
    """The connection was closed on purpose: no reply."""


def xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def xml_text(s):
    """Escape for XML text; characters XML 1.0 cannot hold become
    numeric references (which strict parsers refuse: ask for
    encoding-type=url)."""
    out = []
    for ch in xml_escape(s):
        o = ord(ch)
        if (o < 0x20 and ch not in "\t\n\r") or 0xD800 <= o <= 0xDFFF:
            out.append("&#%d;" % o)
        else:
            out.append(ch)
    return "".join(out)


def s3_quote(s, keep_slash):
    """URI-encode the S3 way: unreserved kept, UTF-8 bytes as %XX."""
    return urllib.parse.quote(s.encode("utf-8", "surrogateescape"),
                              safe="/~" if keep_slash else "~")


def url_encode_key(s):
    """encoding-type=url: as S3 does it (form-style, '+' for a space)."""
    return urllib.parse.quote_plus(s.encode("utf-8", "surrogateescape"),
                                   safe="/")


def error_xml(code, message, resource, request_id, **detail):
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>',
             xml_escape(code), "</Code><Message>", xml_text(message),
             "</Message>"]
    for k, v in detail.items():
        parts.append("<%s>%s</%s>" % (k, xml_text(str(v)), k))
    parts.append("<Resource>%s</Resource><RequestId>%s</RequestId></Error>"
                 % (xml_text(resource), request_id))
    return "".join(parts).encode("utf-8")


def md5_hex(b):
    return hashlib.md5(b).hexdigest()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def http_date(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


def key_bytes(k):
    return k.encode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------
# SigV4 verification (S3 flavour)
# --------------------------------------------------------------------------

def canonical_query(raw_query):
    pairs = []
    for item in raw_query.split("&") if raw_query else ():
        if not item:
            continue
        name, _, value = item.partition("=")
        name = urllib.parse.unquote(name, errors="surrogateescape")
        value = urllib.parse.unquote(value, errors="surrogateescape")
        pairs.append((s3_quote(name, False), s3_quote(value, False)))
    pairs.sort()
    return "&".join("%s=%s" % p for p in pairs)


def canonical_uri(raw_path):
    return s3_quote(urllib.parse.unquote(raw_path, errors="surrogateescape"),
                    True) or "/"


def signing_key(secret, date, region, service="s3"):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def sigv4_signature(secret, method, raw_path, raw_query, headers,
                    signed_headers, payload_hash, amz_date, scope):
    """headers: a function name -> list of values.  Returns (signature,
    canonical request, string to sign)."""
    lines = []
    for name in signed_headers.split(";"):
        vals = [" ".join(v.split()) for v in headers(name)]
        lines.append("%s:%s\n" % (name, ",".join(vals)))
    creq = "\n".join([method, canonical_uri(raw_path), canonical_query(raw_query),
                      "".join(lines), signed_headers, payload_hash])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode("utf-8", "surrogateescape")).hexdigest()])
    date, region = scope.split("/")[0:2]
    sig = hmac.new(signing_key(secret, date, region), sts.encode(),
                   hashlib.sha256).hexdigest()
    return sig, creq, sts


# --------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------

class Obj:
    def __init__(self, data, etag, ctype, parts=None):
        self.data = data
        self.etag = etag
        self.ctype = ctype
        self.mtime = time.time()
        self.parts = parts or [len(data)]


class Upload:
    def __init__(self, bucket, key, upload_id, ctype):
        self.bucket = bucket
        self.key = key
        self.id = upload_id
        self.ctype = ctype
        self.parts = {}          # number -> (etag without quotes, bytes)
        self.started = time.time()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.total = 0
            self.ops = {}
            self.status = {}
            self.connections = 0
            self.faults = {"error": 0, "error200": 0, "drop": 0,
                           "drop_after": 0, "delay": 0}
            self.auth = {"missing": 0, "malformed": 0, "bad_key": 0,
                         "bad_signature": 0, "skewed": 0}
            self.uploads = {"created": 0, "completed": 0, "aborted": 0}
            self.bytes_received = 0
            self.since = time.time()

    def bump(self, group, key, n=1):
        with self.lock:
            d = getattr(self, group)
            d[key] = d.get(key, 0) + n

    def add(self, name, n=1):
        with self.lock:
            setattr(self, name, getattr(self, name) + n)


def fault_defaults(args):
    return {"error_rate": 0.0, "status": 503, "code": "SlowDown",
            "message": "Please reduce your request rate.",
            "drop_rate": 0.0, "drop_after_rate": 0.0, "delay_ms": 0.0,
            "fault_ops": None, "complete_keepalive_ms": 0.0,
            "min_part_size": args.min_part_size, "odd_upload_ids": False,
            "rules": []}


def _rate(v, key):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
        raise ValueError("%s must be a number from 0 to 1" % key)
    return float(v)


def _nonneg(v, key):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise ValueError("%s must be a number >= 0" % key)
    return v


def _status(v, key):
    if isinstance(v, bool) or not isinstance(v, int) or not 100 <= v <= 599:
        raise ValueError("%s must be an HTTP status" % key)
    return v


def _str(v, key):
    if not isinstance(v, str):
        raise ValueError("%s must be a string" % key)
    return v


def validate_rule(r):
    if not isinstance(r, dict):
        raise ValueError("a rule must be an object")
    known = {"op", "key_prefix", "action", "status", "code", "message",
             "delay_ms", "count", "skip"}
    bad = set(r) - known
    if bad:
        raise ValueError("unknown rule keys: %s" % ", ".join(sorted(bad)))
    out = {"op": r.get("op", "*"), "key_prefix": r.get("key_prefix"),
           "action": r.get("action", "error"), "status": r.get("status"),
           "code": r.get("code"), "message": r.get("message"),
           "delay_ms": _nonneg(r.get("delay_ms", 0), "delay_ms"),
           "count": r.get("count", 1), "skip": r.get("skip", 0), "fired": 0}
    if out["op"] != "*" and out["op"] not in OPS:
        raise ValueError("unknown op %r" % out["op"])
    if out["action"] not in ("error", "error200", "drop", "drop_after", "delay"):
        raise ValueError("unknown action %r" % out["action"])
    if out["status"] is not None:
        _status(out["status"], "status")
    for k in ("code", "message", "key_prefix"):
        if out[k] is not None:
            _str(out[k], k)
    for k in ("count", "skip"):
        if isinstance(out[k], bool) or not isinstance(out[k], int) or out[k] < -1:
            raise ValueError("%s must be an integer >= -1" % k)
    return out


def validate_fault(key, v):
    if key in ("error_rate", "drop_rate", "drop_after_rate"):
        return _rate(v, key)
    if key in ("delay_ms", "complete_keepalive_ms"):
        return float(_nonneg(v, key))
    if key == "min_part_size":
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError("min_part_size must be an integer >= 0")
        return v
    if key == "status":
        return _status(v, key)
    if key in ("code", "message"):
        return _str(v, key)
    if key == "odd_upload_ids":
        if not isinstance(v, bool):
            raise ValueError("odd_upload_ids must be true or false")
        return v
    if key == "fault_ops":
        if v is None:
            return None
        if not isinstance(v, list) or any(o not in OPS for o in v):
            raise ValueError("fault_ops must be null or a list of op names")
        return list(v)
    if key == "rules":
        if not isinstance(v, list):
            raise ValueError("rules must be a list")
        return [validate_rule(r) for r in v]
    raise ValueError("unknown fault key %r" % key)


class Decision:
    def __init__(self):
        self.action = None        # None, error, error200, drop, drop_after
        self.delay_ms = 0.0
        self.status = None
        self.code = None
        self.message = None


class App:
    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.buckets = {}          # name -> {key: Obj}
        self.uploads = {}          # id -> Upload
        for b in args.bucket or ():
            self.buckets[b] = {}
        self.stats = Stats()
        self.faults = fault_defaults(args)
        self.rng = random.Random(args.seed)
        self.log = []
        self.servers = {}
        self.stopping = threading.Event()
        self.req_counter = 0

    def request_id(self):
        with self.lock:
            self.req_counter += 1
            return "%016X" % self.req_counter

    def new_upload_id(self):
        raw = os.urandom(24)
        if self.faults["odd_upload_ids"]:
            return base64.b64encode(raw).decode() + "/x+y="
        return base64.urlsafe_b64encode(raw).decode().rstrip("=") + ".v1"

    def record(self, entry):
        with self.lock:
            self.log.append(entry)
            if len(self.log) > LOG_MAX:
                del self.log[:len(self.log) - LOG_MAX]

    def decide(self, op, key):
        d = Decision()
        with self.lock:
            f = self.faults
            for r in f["rules"]:
                if r["count"] == 0:
                    continue
                if r["op"] not in ("*", op):
                    continue
                if r["key_prefix"] and (key is None or not key.startswith(r["key_prefix"])):
                    continue
                if r["skip"] > 0:
                    r["skip"] -= 1
                    continue
                if r["count"] > 0:
                    r["count"] -= 1
                r["fired"] += 1
                d.delay_ms = r["delay_ms"]
                if r["action"] != "delay":
                    d.action = r["action"]
                d.status = r["status"]
                d.code = r["code"]
                d.message = r["message"]
                return d
            if f["fault_ops"] is not None and op not in f["fault_ops"]:
                return d
            d.delay_ms = f["delay_ms"]
            if f["drop_rate"] > 0 and self.rng.random() < f["drop_rate"]:
                d.action = "drop"
            elif f["error_rate"] > 0 and self.rng.random() < f["error_rate"]:
                d.action = "error"
                d.status = f["status"]
                d.code = f["code"]
                d.message = f["message"]
            elif f["drop_after_rate"] > 0 and self.rng.random() < f["drop_after_rate"]:
                d.action = "drop_after"
        return d

    def set_faults(self, obj):
        if not isinstance(obj, dict):
            raise ValueError("expected a JSON object")
        new = {}
        seed = None
        for k, v in obj.items():
            if k == "seed":
                if isinstance(v, bool) or not isinstance(v, int):
                    raise ValueError("seed must be an integer")
                seed = v
                continue
            new[k] = validate_fault(k, v)
        with self.lock:
            self.faults.update(new)
            if seed is not None:
                self.rng = random.Random(seed)

    def faults_view(self):
        with self.lock:
            f = dict(self.faults)
            f["rules"] = [dict(r) for r in f["rules"]]
            return f

    def stats_view(self):
        s = self.stats
        with s.lock:
            out = {"requests": {"total": s.total, "ops": dict(s.ops),
                                "status": dict(s.status)},
                   "connections": s.connections,
                   "faults": dict(s.faults), "auth": dict(s.auth),
                   "uploads": dict(s.uploads),
                   "bytes_received": s.bytes_received, "since": s.since}
        with self.lock:
            out["uploads"]["in_progress"] = len(self.uploads)
        return out


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128


class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-s3/1.0"
    timeout = 300

    @property
    def app(self):
        return self.server.app

    def log_message(self, fmt, *args):
        if self.app.args.verbose:
            sys.stderr.write("[%s] %s - %s\n" % (self.server.role,
                                                 self.address_string(), fmt % args))

    def send_body(self, status, body=b"", ctype=None, headers=(), close=False):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if close or self.close_connection:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


class AdminHandler(BaseHandler):
    def _json(self, obj, status=200):
        self.send_body(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"),
                       "application/json")

    def _read_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw.decode("utf-8")) if raw.strip() else {}

    def _admin(self):
        app = self.app
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        path, m = u.path.rstrip("/"), self.command
        try:
            if path == "/admin/health":
                return self._json({"ok": True, "pid": os.getpid(),
                                   "s3": app.servers["s3"].addr()})
            if path == "/admin/stats" and m == "GET":
                return self._json(app.stats_view())
            if path == "/admin/reset" and m in ("GET", "POST"):
                app.stats.reset()
                with app.lock:
                    app.log = []
                    if q.get("faults", ["0"])[0] == "1":
                        app.faults = fault_defaults(app.args)
                    if q.get("data", ["0"])[0] == "1":
                        app.buckets = {b: {} for b in app.args.bucket or ()}
                        app.uploads = {}
                return self._json({"ok": True})
            if path == "/admin/faults":
                if m == "GET":
                    return self._json(app.faults_view())
                if m == "POST":
                    try:
                        app.set_faults(self._read_json())
                    except (ValueError, json.JSONDecodeError) as e:
                        return self._json({"error": str(e)}, 400)
                    return self._json(app.faults_view())
                if m == "DELETE":
                    with app.lock:
                        app.faults = fault_defaults(app.args)
                    return self._json(app.faults_view())
            if path == "/admin/objects" and m == "GET":
                want = q.get("bucket", [None])[0]
                out = {}
                with app.lock:
                    for b, objs in app.buckets.items():
                        if want is not None and b != want:
                            continue
                        out[b] = {k: {"size": len(o.data), "etag": o.etag,
                                      "content_type": o.ctype,
                                      "parts": list(o.parts)}
                                  for k, o in objs.items()}
                return self._json({"buckets": out})
            if path == "/admin/uploads" and m == "GET":
                with app.lock:
                    ups = [{"bucket": x.bucket, "key": x.key, "upload_id": x.id,
                            "parts": {str(n): len(p[1]) for n, p in sorted(x.parts.items())}}
                           for x in app.uploads.values()]
                return self._json({"uploads": ups})
            if path == "/admin/log" and m == "GET":
                with app.lock:
                    return self._json({"requests": list(app.log)})
            return self._json({"error": "no such admin endpoint"}, 404)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = _admin


class S3Handler(BaseHandler):
    def setup(self):
        super().setup()
        self.app.stats.add("connections")

    # -- plumbing -----------------------------------------------------------
    def _start(self):
        self.op = None
        self.bucket = None
        self.key = None
        self.fault = None
        self.status_sent = None
        self.body_bytes = 0
        self.body_read = False
        self.accounted = False
        self.req_id = self.app.request_id()
        u = urllib.parse.urlsplit(self.path)
        self.raw_path = u.path
        self.raw_query = u.query
        self.q = {}
        for item in u.query.split("&") if u.query else ():
            name, _, value = item.partition("=")
            name = urllib.parse.unquote(name)
            if name not in self.q:
                self.q[name] = urllib.parse.unquote(value, errors="surrogateescape")
        segs = u.path.split("/", 2)
        if len(segs) >= 2 and segs[1]:
            self.bucket = urllib.parse.unquote(segs[1])
        if len(segs) == 3 and segs[2] != "":
            self.key = urllib.parse.unquote(segs[2], errors="surrogateescape")

    def resource(self):
        return urllib.parse.unquote(self.raw_path, errors="surrogateescape")

    def read_body(self):
        """The whole request body: needs Content-Length (S3 refuses chunked
        bodies without aws-chunked signing)."""
        te = self.headers.get("Transfer-Encoding")
        if te and te.lower() != "identity":
            self.close_connection = True
            raise S3Error(501, "NotImplemented",
                          "A header you provided implies functionality that "
                          "is not implemented", Header="Transfer-Encoding")
        cl = self.headers.get("Content-Length")
        if cl is None:
            if self.command in ("PUT", "POST"):
                self.close_connection = True
                raise S3Error(411, "MissingContentLength",
                              "You must provide the Content-Length HTTP header.")
            return b""
        try:
            n = int(cl)
            if n < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise S3Error(400, "InvalidArgument", "Bad Content-Length")
        chunks, left = [], n
        while left > 0:
            c = self.rfile.read(min(left, 1 << 20))
            if not c:
                self.close_connection = True
                raise Dropped()       # the client went away mid-body
            chunks.append(c)
            left -= len(c)
        data = b"".join(chunks)
        self.body_read = True
        self.body_bytes = len(data)
        self.app.stats.add("bytes_received", len(data))
        return data

    def reply(self, status, body=b"", ctype=None, headers=()):
        if self.fault == "drop_after":
            self.drop()
        self.status_sent = status
        self._account()
        self.send_body(status, body, ctype,
                       list(headers) + [("x-amz-request-id", self.req_id)])

    def reply_xml(self, status, text):
        self.reply(status, ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode(
            "utf-8", "surrogateescape"), "application/xml")

    def settle_body(self):
        """Before an error reply to a request whose body was not read:
        read it (so the connection stays usable and the client sees the
        reply, not a reset), or close when it is huge or malformed."""
        if self.body_read:
            return
        self.body_read = True
        te = self.headers.get("Transfer-Encoding")
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if (te and te.lower() != "identity") or n < 0 or n > (256 << 20):
            self.close_connection = True
            return
        while n > 0:
            c = self.rfile.read(min(n, 1 << 20))
            if not c:
                self.close_connection = True
                return
            n -= len(c)

    def reply_error(self, e):
        self.settle_body()
        body = b"" if self.command == "HEAD" else error_xml(
            e.code, e.message, self.resource(), self.req_id, **e.detail)
        self.reply(e.status, body, "application/xml")

    def drop(self):
        self._account()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise Dropped()

    def _account(self):
        """Count the request (op, status) and log it, once, before any
        byte of the reply goes out: a client that reads the stats right
        after its reply must find it counted."""
        if self.accounted:
            return
        self.accounted = True
        app = self.app
        if self.op:
            app.stats.bump("ops", self.op)
        if self.status_sent is not None:
            app.stats.bump("status", str(self.status_sent))
        app.record({"op": self.op, "method": self.command, "bucket": self.bucket,
                    "key": self.key, "status": self.status_sent,
                    "bytes": self.body_bytes, "fault": self.fault})

    def _handle(self):
        self._start()
        self.app.stats.add("total")
        try:
            self.op = self.classify()
            self.check_auth()
            d = self.app.decide(self.op, self.key)
            if d.delay_ms:
                self.app.stats.bump("faults", "delay")
                time.sleep(d.delay_ms / 1000.0)
            if d.action == "drop":
                self.fault = "drop"
                self.app.stats.bump("faults", "drop")
                self.drop()
            if d.action == "error":
                self.fault = "error"
                self.app.stats.bump("faults", "error")
                self.read_body()
                code = d.code or "SlowDown"
                raise S3Error(d.status or STATUS_OF.get(code, 503), code,
                              d.message or "Injected fault (fake_s3)")
            if d.action == "error200":
                self.fault = "error200"
                self.app.stats.bump("faults", "error200")
                self.read_body()
                code = d.code or "InternalError"
                self.reply(200, error_xml(code, d.message or
                                          "We encountered an internal error. "
                                          "Please try again.",
                                          self.resource(), self.req_id),
                           "application/xml")
                return
            if d.action == "drop_after":
                self.fault = "drop_after"
                self.app.stats.bump("faults", "drop_after")
            getattr(self, "op_" + self.op)()
        except S3Error as e:
            try:
                self.reply_error(e)
            except Dropped:
                pass
        except Dropped:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:          # a bug here: 500 if still possible
            if self.app.args.verbose:
                import traceback
                traceback.print_exc()
            if self.status_sent is None:
                try:
                    self.close_connection = True
                    self.reply_error(S3Error(500, "InternalError",
                                             "%s: %s" % (type(e).__name__, e)))
                except Exception:
                    pass
            self.close_connection = True
        finally:
            self._account()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    # -- routing and authentication ------------------------------------------
    def classify(self):
        m, q = self.command, self.q
        if not self.bucket:
            raise S3Error(405, "MethodNotAllowed",
                          "ListBuckets is not served by fake_s3")
        if self.key is None:
            if m == "PUT":
                return "CreateBucket"
            if m == "HEAD":
                return "HeadBucket"
            if m == "DELETE":
                return "DeleteBucket"
            if m == "GET" and "uploads" in q:
                return "ListMultipartUploads"
            if m == "GET":
                return "ListObjectsV2" if q.get("list-type") == "2" else "ListObjects"
        else:
            if m == "PUT" and ("partNumber" in q or "uploadId" in q):
                return "UploadPart"
            if m == "PUT":
                return "PutObject"
            if m == "POST" and "uploads" in q:
                return "CreateMultipartUpload"
            if m == "POST" and "uploadId" in q:
                return "CompleteMultipartUpload"
            if m == "DELETE" and "uploadId" in q:
                return "AbortMultipartUpload"
            if m == "DELETE":
                return "DeleteObject"
            if m == "GET" and "uploadId" in q:
                return "ListParts"
            if m == "GET":
                return "GetObject"
            if m == "HEAD":
                return "HeadObject"
        raise S3Error(405, "MethodNotAllowed",
                      "The specified method is not allowed against this resource.",
                      Method=m, ResourceType="OBJECT" if self.key else "BUCKET")

    def check_auth(self):
        app = self.app
        auth = self.headers.get("Authorization")
        if not auth:
            app.stats.bump("auth", "missing")
            raise S3Error(403, "AccessDenied",
                          "Access Denied (fake_s3 wants a SigV4 Authorization header)")
        m = AUTH_RE.match(auth)
        if not m:
            app.stats.bump("auth", "malformed")
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; expected "
                          "AWS4-HMAC-SHA256 Credential=.../s3/aws4_request,"
                          "SignedHeaders=...,Signature=<64 hex>")
        akid, date, region, signed, sig = m.groups()
        amz_date = self.headers.get("x-amz-date")
        phash = self.headers.get("x-amz-content-sha256")
        if not phash:
            app.stats.bump("auth", "malformed")
            raise S3Error(400, "InvalidRequest",
                          "Missing required header for this request: "
                          "x-amz-content-sha256")
        if not (HEX64.match(phash) or phash == "UNSIGNED-PAYLOAD"
                or phash.startswith("STREAMING-")):
            app.stats.bump("auth", "malformed")
            raise S3Error(400, "InvalidArgument",
                          "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                          "STREAMING-... or a SHA-256 in hex")
        try:
            t = calendar.timegm(time.strptime(amz_date or "", "%Y%m%dT%H%M%SZ"))
        except ValueError:
            app.stats.bump("auth", "malformed")
            raise S3Error(403, "AccessDenied",
                          "AWS authentication requires a valid Date or x-amz-date header")
        if amz_date[:8] != date:
            app.stats.bump("auth", "malformed")
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The credential date does not match x-amz-date")
        if abs(time.time() - t) > SKEW_S:
            app.stats.bump("auth", "skewed")
            raise S3Error(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the "
                          "current time is too large.",
                          RequestTime=amz_date, ServerTime=iso(time.time()),
                          MaxAllowedSkewMilliseconds=SKEW_S * 1000)
        names = signed.split(";")
        need = ["host", "x-amz-date", "x-amz-content-sha256"]
        if self.headers.get("x-amz-security-token") is not None:
            need.append("x-amz-security-token")
        missing = [n for n in need if n not in names]
        if missing or names != sorted(names):
            app.stats.bump("auth", "malformed")
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "SignedHeaders must be sorted and include %s"
                          % ", ".join(need))
        if app.args.access_key and akid != app.args.access_key:
            app.stats.bump("auth", "bad_key")
            raise S3Error(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist "
                          "in our records.", AWSAccessKeyId=akid)
        if app.args.secret_key:
            scope = "%s/%s/s3/aws4_request" % (date, region)
            want, creq, sts = sigv4_signature(
                app.args.secret_key, self.command, self.raw_path,
                self.raw_query, lambda n: self.headers.get_all(n) or [],
                signed, phash, amz_date, scope)
            if not hmac.compare_digest(want, sig):
                app.stats.bump("auth", "bad_signature")
                raise S3Error(403, "SignatureDoesNotMatch",
                              "The request signature we calculated does not "
                              "match the signature you provided. Check your "
                              "key and signing method.", AWSAccessKeyId=akid,
                              StringToSign=sts, CanonicalRequest=creq)
        self.payload_hash = phash

    # -- helpers ------------------------------------------------------------------
    def objects(self):
        objs = self.app.buckets.get(self.bucket)
        if objs is None:
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist",
                          BucketName=self.bucket)
        return objs

    def check_body(self, data):
        md5 = self.headers.get("Content-MD5")
        if md5 is not None:
            try:
                want = base64.b64decode(md5, validate=True)
            except (binascii.Error, ValueError):
                want = b""
            if len(want) != 16:
                raise S3Error(400, "InvalidDigest",
                              "The Content-MD5 you specified was invalid.",
                              ContentMD5=md5)
            if hashlib.md5(data).digest() != want:
                raise S3Error(400, "BadDigest",
                              "The Content-MD5 you specified did not match "
                              "what we received.", ExpectedDigest=md5,
                              CalculatedDigest=base64.b64encode(
                                  hashlib.md5(data).digest()).decode())
        ph = self.payload_hash
        if HEX64.match(ph) and hashlib.sha256(data).hexdigest() != ph:
            raise S3Error(400, "XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does "
                          "not match what was computed.", ClientComputedContentSHA256=ph,
                          S3ComputedContentSHA256=hashlib.sha256(data).hexdigest())

    def upload(self):
        up = self.app.uploads.get(self.q.get("uploadId"))
        if up is None or up.bucket != self.bucket or up.key != self.key:
            raise S3Error(404, "NoSuchUpload",
                          "The specified upload does not exist. The upload ID "
                          "may be invalid, or the upload may have been aborted "
                          "or completed.", UploadId=self.q.get("uploadId", ""))
        return up

    # -- buckets --------------------------------------------------------------------
    def op_CreateBucket(self):
        self.read_body()
        with self.app.lock:
            if self.bucket in self.app.buckets:
                raise S3Error(409, "BucketAlreadyOwnedByYou",
                              "Your previous request to create the named bucket "
                              "succeeded and you already own it.", BucketName=self.bucket)
            self.app.buckets[self.bucket] = {}
        self.reply(200, headers=[("Location", "/" + self.bucket)])

    def op_HeadBucket(self):
        with self.app.lock:
            self.objects()
        self.reply(200)

    def op_DeleteBucket(self):
        with self.app.lock:
            objs = self.objects()
            if objs or any(u.bucket == self.bucket for u in self.app.uploads.values()):
                raise S3Error(409, "BucketNotEmpty",
                              "The bucket you tried to delete is not empty",
                              BucketName=self.bucket)
            del self.app.buckets[self.bucket]
        self.reply(204)

    def _max_keys(self):
        mk = self.q.get("max-keys")
        if mk is None:
            return MAX_KEYS
        if not re.match(r"^\d+$", mk):
            raise S3Error(400, "InvalidArgument",
                          "Provided max-keys not an integer or within integer range",
                          ArgumentName="max-keys", ArgumentValue=mk)
        return min(int(mk), MAX_KEYS)

    def _list(self, after, prefix, delim, max_keys):
        """Keys (sorted by UTF-8 bytes) after `after`, folded by delim:
        ([(key, obj)], [common prefixes], truncated, last name returned)."""
        with self.app.lock:
            objs = self.objects()
            names = sorted(objs, key=key_bytes)
            contents, prefixes, seen = [], [], set()
            last, truncated = None, False
            for k in names:
                if not k.startswith(prefix):
                    continue
                if after is not None and key_bytes(k) <= key_bytes(after):
                    continue
                if after is not None and delim and after.endswith(delim) \
                        and k.startswith(after):
                    continue          # inside the common prefix returned last
                cp = None
                if delim:
                    i = k.find(delim, len(prefix))
                    if i >= 0:
                        cp = k[:i + len(delim)]
                if cp is not None and cp in seen:
                    continue
                if len(contents) + len(prefixes) >= max_keys:
                    truncated = True
                    break
                if cp is not None:
                    seen.add(cp)
                    prefixes.append(cp)
                    last = cp
                else:
                    contents.append((k, objs[k]))
                    last = k
            return contents, prefixes, truncated, last

    def _contents_xml(self, contents, prefixes, enc):
        out = []
        for k, o in contents:
            out.append("<Contents><Key>%s</Key><LastModified>%s</LastModified>"
                       "<ETag>%s</ETag><Size>%d</Size><StorageClass>STANDARD"
                       "</StorageClass></Contents>"
                       % (enc(k), iso(o.mtime), xml_escape(o.etag), len(o.data)))
        for p in prefixes:
            out.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % enc(p))
        return "".join(out)

    def op_ListObjectsV2(self):
        q = self.q
        url = q.get("encoding-type") == "url"
        if "encoding-type" in q and not url:
            raise S3Error(400, "InvalidArgument", "Invalid Encoding Method specified in Request",
                          ArgumentName="encoding-type", ArgumentValue=q["encoding-type"])
        enc = url_encode_key if url else xml_text
        prefix, delim = q.get("prefix", ""), q.get("delimiter", "")
        max_keys = self._max_keys()
        token = q.get("continuation-token")
        after = q.get("start-after")
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode(
                    "utf-8", "surrogateescape")
                if not after.startswith("fake_s3:"):
                    raise ValueError
                after = after[len("fake_s3:"):]
            except (ValueError, binascii.Error):
                raise S3Error(400, "InvalidArgument",
                              "The continuation token provided is incorrect",
                              ArgumentName="continuation-token")
        contents, prefixes, truncated, last = self._list(after, prefix, delim, max_keys)
        parts = ['<ListBucketResult xmlns="%s"><Name>%s</Name><Prefix>%s</Prefix>'
                 % (XMLNS, xml_escape(self.bucket), enc(prefix))]
        if delim:
            parts.append("<Delimiter>%s</Delimiter>" % enc(delim))
        if token is not None:
            parts.append("<ContinuationToken>%s</ContinuationToken>" % xml_escape(token))
        elif q.get("start-after") is not None:
            parts.append("<StartAfter>%s</StartAfter>" % enc(q["start-after"]))
        parts.append("<KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys>"
                     % (len(contents) + len(prefixes), max_keys))
        if url:
            parts.append("<EncodingType>url</EncodingType>")
        parts.append("<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false"))
        if truncated:
            nt = base64.urlsafe_b64encode(("fake_s3:" + last).encode(
                "utf-8", "surrogateescape")).decode()
            parts.append("<NextContinuationToken>%s</NextContinuationToken>" % nt)
        parts.append(self._contents_xml(contents, prefixes, enc))
        parts.append("</ListBucketResult>")
        self.reply_xml(200, "".join(parts))

    def op_ListObjects(self):
        q = self.q
        url = q.get("encoding-type") == "url"
        enc = url_encode_key if url else xml_text
        prefix, delim = q.get("prefix", ""), q.get("delimiter", "")
        max_keys = self._max_keys()
        marker = q.get("marker", "")
        contents, prefixes, truncated, last = self._list(marker or None, prefix,
                                                         delim, max_keys)
        parts = ['<ListBucketResult xmlns="%s"><Name>%s</Name><Prefix>%s</Prefix>'
                 "<Marker>%s</Marker><MaxKeys>%d</MaxKeys>"
                 % (XMLNS, xml_escape(self.bucket), enc(prefix), enc(marker), max_keys)]
        if url:
            parts.append("<EncodingType>url</EncodingType>")
        parts.append("<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false"))
        if truncated and delim:
            parts.append("<NextMarker>%s</NextMarker>" % enc(last))
        parts.append(self._contents_xml(contents, prefixes, enc))
        parts.append("</ListBucketResult>")
        self.reply_xml(200, "".join(parts))

    def op_ListMultipartUploads(self):
        with self.app.lock:
            self.objects()
            ups = sorted((u for u in self.app.uploads.values() if u.bucket == self.bucket),
                         key=lambda u: (key_bytes(u.key), u.started))
            body = "".join("<Upload><Key>%s</Key><UploadId>%s</UploadId>"
                           "<Initiated>%s</Initiated></Upload>"
                           % (xml_text(u.key), xml_escape(u.id), iso(u.started))
                           for u in ups)
        self.reply_xml(200, '<ListMultipartUploadsResult xmlns="%s"><Bucket>%s</Bucket>'
                       "<IsTruncated>false</IsTruncated>%s</ListMultipartUploadsResult>"
                       % (XMLNS, xml_escape(self.bucket), body))

    # -- objects ----------------------------------------------------------------------
    def op_PutObject(self):
        data = self.read_body()
        self.check_body(data)
        etag = '"%s"' % md5_hex(data)
        with self.app.lock:
            self.objects()[self.key] = Obj(data, etag, self.headers.get("Content-Type"))
        self.reply(200, headers=[("ETag", etag)])

    def _get_obj(self):
        with self.app.lock:
            o = self.objects().get(self.key)
        if o is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.",
                          Key=self.key)
        return o

    def _obj_headers(self, o):
        return [("ETag", o.etag), ("Last-Modified", http_date(o.mtime)),
                ("Accept-Ranges", "bytes")]

    def op_GetObject(self):
        o = self._get_obj()
        self.reply(200, o.data, o.ctype or "binary/octet-stream", self._obj_headers(o))

    def op_HeadObject(self):
        o = self._get_obj()
        # send_body writes Content-Length: len(body) and no body for HEAD
        self.reply(200, o.data, o.ctype or "binary/octet-stream", self._obj_headers(o))

    def op_DeleteObject(self):
        with self.app.lock:
            self.objects().pop(self.key, None)
        self.reply(204)

    # -- multipart --------------------------------------------------------------------
    def op_CreateMultipartUpload(self):
        self.read_body()
        with self.app.lock:
            self.objects()
            uid = self.app.new_upload_id()
            self.app.uploads[uid] = Upload(self.bucket, self.key, uid,
                                           self.headers.get("Content-Type"))
        self.app.stats.bump("uploads", "created")
        self.reply_xml(200, '<InitiateMultipartUploadResult xmlns="%s"><Bucket>%s'
                       "</Bucket><Key>%s</Key><UploadId>%s</UploadId>"
                       "</InitiateMultipartUploadResult>"
                       % (XMLNS, xml_escape(self.bucket), xml_text(self.key),
                          xml_escape(uid)))

    def op_UploadPart(self):
        pn = self.q.get("partNumber", "")
        if "uploadId" not in self.q or not re.match(r"^\d{1,5}$", pn) \
                or not 1 <= int(pn) <= MAX_PARTS:
            self.read_body()
            raise S3Error(400, "InvalidArgument",
                          "Part number must be an integer between 1 and 10000, inclusive",
                          ArgumentName="partNumber", ArgumentValue=pn)
        with self.app.lock:
            self.objects()
            self.upload()
        data = self.read_body()
        self.check_body(data)
        etag = md5_hex(data)
        with self.app.lock:
            up = self.upload()          # aborted meanwhile?
            up.parts[int(pn)] = (etag, data)
        self.reply(200, headers=[("ETag", '"%s"' % etag)])

    def op_ListParts(self):
        with self.app.lock:
            up = self.upload()
            body = "".join("<Part><PartNumber>%d</PartNumber><ETag>&quot;%s&quot;</ETag>"
                           "<Size>%d</Size></Part>" % (n, p[0], len(p[1]))
                           for n, p in sorted(up.parts.items()))
        self.reply_xml(200, '<ListPartsResult xmlns="%s"><Bucket>%s</Bucket><Key>%s</Key>'
                       "<UploadId>%s</UploadId><IsTruncated>false</IsTruncated>%s"
                       "</ListPartsResult>" % (XMLNS, xml_escape(self.bucket),
                                               xml_text(self.key), xml_escape(up.id), body))

    def _parse_complete(self, raw):
        try:
            root = ET.fromstring(raw)
        except ET.ParseError:
            raise S3Error(400, "MalformedXML",
                          "The XML you provided was not well-formed or did not "
                          "validate against our published schema")
        tag = root.tag.split("}")[-1]
        parts = []
        if tag == "CompleteMultipartUpload":
            for p in root:
                if p.tag.split("}")[-1] != "Part":
                    continue
                num = etag = None
                for f in p:
                    name = f.tag.split("}")[-1]
                    if name == "PartNumber":
                        num = (f.text or "").strip()
                    elif name == "ETag":
                        etag = (f.text or "").strip()
                if num is None or etag is None or not num.isdigit():
                    parts = None
                    break
                parts.append((int(num), etag.strip('"')))
        if tag != "CompleteMultipartUpload" or not parts:
            raise S3Error(400, "MalformedXML",
                          "The XML you provided was not well-formed or did not "
                          "validate against our published schema")
        return parts

    def op_CompleteMultipartUpload(self):
        raw = self.read_body()
        self.check_body(raw)
        with self.app.lock:
            self.objects()
            up = self.upload()
        parts = self._parse_complete(raw)
        nums = [n for n, _ in parts]
        if nums != sorted(nums) or len(set(nums)) != len(nums):
            raise S3Error(400, "InvalidPartOrder",
                          "The list of parts was not in ascending order. Parts "
                          "must be ordered by part number.", UploadId=up.id)
        minsz = self.app.faults["min_part_size"]
        with self.app.lock:
            up = self.upload()
            for i, (n, etag) in enumerate(parts):
                have = up.parts.get(n)
                if have is None or have[0] != etag:
                    raise S3Error(400, "InvalidPart",
                                  "One or more of the specified parts could not "
                                  "be found.  The part may not have been "
                                  "uploaded, or the specified entity tag may not "
                                  "match the part's entity tag.",
                                  UploadId=up.id, PartNumber=n, ETag=etag)
                if i < len(parts) - 1 and len(have[1]) < minsz:
                    raise S3Error(400, "EntityTooSmall",
                                  "Your proposed upload is smaller than the "
                                  "minimum allowed object size.",
                                  UploadId=up.id, PartNumber=n,
                                  ProposedSize=len(have[1]), MinSizeAllowed=minsz)
            data = b"".join(up.parts[n][1] for n, _ in parts)
            digest = hashlib.md5(b"".join(binascii.unhexlify(up.parts[n][0])
                                          for n, _ in parts)).hexdigest()
            etag = '"%s-%d"' % (digest, len(parts))
            self.app.buckets[self.bucket][self.key] = Obj(
                data, etag, up.ctype, [len(up.parts[n][1]) for n, _ in parts])
            del self.app.uploads[up.id]
        self.app.stats.bump("uploads", "completed")
        doc = ('<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult '
               'xmlns="%s"><Location>http://%s/%s/%s</Location><Bucket>%s</Bucket>'
               "<Key>%s</Key><ETag>%s</ETag></CompleteMultipartUploadResult>"
               % (XMLNS, xml_escape(self.headers.get("Host", "")),
                  xml_escape(self.bucket), xml_text(s3_quote(self.key, True)),
                  xml_escape(self.bucket), xml_text(self.key), xml_escape(etag)))
        body = doc.encode("utf-8", "surrogateescape")
        ka = self.app.faults["complete_keepalive_ms"]
        if ka > 0:
            self._slow_200(body, ka)
        else:
            self.reply(200, body, "application/xml")

    def _slow_200(self, body, ms):
        """S3's slow completion: 200 at once, white space while it works,
        then the document; no Content-Length, the connection closes."""
        if self.fault == "drop_after":
            self.drop()
        self.status_sent = 200
        self._account()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("x-amz-request-id", self.req_id)
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        self.wfile.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        end = time.time() + ms / 1000.0
        while time.time() < end:
            self.wfile.write(b" \n")
            self.wfile.flush()
            time.sleep(0.05)
        self.wfile.write(body.split(b"?>\n", 1)[1])

    def op_AbortMultipartUpload(self):
        with self.app.lock:
            self.objects()
            up = self.upload()
            del self.app.uploads[up.id]
        self.app.stats.bump("uploads", "aborted")
        self.reply(204)


class Listener:
    def __init__(self, app, role, host, port, handler):
        self.server = _Server((host, port), handler)
        self.server.app = app
        self.server.role = role
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       name="serve-" + role, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def addr(self):
        h, p = self.server.server_address[:2]
        return "%s:%d" % (h, p)


def parse_args(argv):
    p = argparse.ArgumentParser(description="fault-injecting S3 responder for "
                                "libstream's tests (path-style, in memory)")
    p.add_argument("--bind", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="S3 port (0: a free one)")
    p.add_argument("--admin-port", type=int, default=0, help="admin port (0: a free one)")
    p.add_argument("--bucket", action="append", help="create this bucket at start (repeatable)")
    p.add_argument("--access-key", default="",
                   help="the only access key id accepted (default: any)")
    p.add_argument("--secret-key", default="",
                   help="verify SigV4 signatures with this secret (default: no check)")
    p.add_argument("--min-part-size", type=int, default=5 << 20,
                   help="smallest part but the last (default 5242880)")
    p.add_argument("--seed", type=int, default=1, help="fault RNG seed (default 1)")
    p.add_argument("--ready-file", help="also write the ready line to this file (atomically)")
    p.add_argument("--exit-with-parent", action="store_true",
                   help="exit when the parent process goes away")
    p.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")
    a = p.parse_args(argv)
    if not a.bind.startswith("127.") and a.bind != "localhost":
        p.error("--bind must be a loopback IPv4 address (127.x.y.z)")
    if a.bind == "localhost":
        a.bind = "127.0.0.1"
    for n in ("port", "admin_port"):
        if not 0 <= getattr(a, n) <= 65535:
            p.error("bad port for --%s" % n.replace("_", "-"))
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = App(args)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        app.servers["s3"] = Listener(app, "s3", args.bind, args.port, S3Handler)
        app.servers["admin"] = Listener(app, "admin", args.bind, args.admin_port,
                                        AdminHandler)
    except OSError as e:
        sys.stderr.write("fake_s3: cannot listen: %s\n" % e)
        return 1
    for lst in app.servers.values():
        lst.start()
    line = "s3=%s admin=%s pid=%d" % (app.servers["s3"].addr(),
                                      app.servers["admin"].addr(), os.getpid())
    if args.ready_file:
        tmp = args.ready_file + ".tmp.%d" % os.getpid()
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.replace(tmp, args.ready_file)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    parent = os.getppid()
    while not stop.wait(0.5):
        if args.exit_with_parent and os.getppid() != parent:
            break
    app.stopping.set()
    for lst in app.servers.values():
        try:
            lst.stop()
        except Exception:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
