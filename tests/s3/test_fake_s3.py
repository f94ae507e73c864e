#!/usr/bin/env python3
"""Tests of fake_s3.py against the S3 API as documented (and summarised in
/work/shared/protocol-facts.md section B): SigV4 checks (its verifier
against AWS's published S3 examples), object and bucket calls, Content-MD5
and payload-hash checks, ListObjectsV2 paging, delimiters and
encoding-type=url, the multipart rules s3rver does not enforce
(EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload, Abort), the
200-with-<Error> completion, and the fault injection (rates, seeds, rules,
dropped connections, lost replies, delays, keep-alive white space) and
admin API.  They drive the server with http.client and their own SigV4
signer, never with libstream's client.

    python3 tests/s3/test_fake_s3.py [-v]
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "fake_s3.py")
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


# -- an independent SigV4 signer for the tests ------------------------------

def enc(s, keep_slash):
    return urllib.parse.quote(s.encode("utf-8"), safe="/~" if keep_slash else "~")


def sign(method, host, path, query, headers, payload_hash, akid=AKID,
         secret=SECRET, region="us-east-1", when=None, token=None):
    """headers: dict of extra headers.  Returns the headers to send."""
    t = time.gmtime(when if when is not None else time.time())
    amz = time.strftime("%Y%m%dT%H%M%SZ", t)
    date = amz[:8]
    h = {k.lower(): v for k, v in headers.items()}
    h["host"] = host
    h["x-amz-date"] = amz
    h["x-amz-content-sha256"] = payload_hash
    if token:
        h["x-amz-security-token"] = token
    names = sorted(h)
    cq = "&".join("%s=%s" % (enc(k, False), enc(v or "", False))
                  for k, v in sorted(query))
    creq = "\n".join([method, enc(path, True), cq,
                      "".join("%s:%s\n" % (n, " ".join(str(h[n]).split())) for n in names),
                      ";".join(names), payload_hash])
    scope = "%s/%s/s3/aws4_request" % (date, region)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    out = dict(headers)
    out["x-amz-date"] = amz
    out["x-amz-content-sha256"] = payload_hash
    if token:
        out["x-amz-security-token"] = token
    out["Authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s,SignedHeaders=%s,"
                            "Signature=%s" % (akid, scope, ";".join(names), sig))
    return out


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def xml(self):
        return ET.fromstring(self.body)

    def code(self):
        root = self.xml()
        assert root.tag == "Error", self.body
        return root.findtext("Code")


class Server:
    """fake_s3.py as a subprocess on free ports."""

    def __init__(self, *extra):
        self.proc = subprocess.Popen([sys.executable, SERVER, "--seed", "7", *extra],
                                     stdout=subprocess.PIPE, text=True)
        r, _, _ = select.select([self.proc.stdout], [], [], 15)
        if not r:
            self.proc.kill()
            raise RuntimeError("fake_s3.py printed no ready line in 15 s")
        self.ready_line = self.proc.stdout.readline().strip()
        fields = dict(kv.split("=", 1) for kv in self.ready_line.split())
        host, port = fields["s3"].rsplit(":", 1)
        self.s3 = (host, int(port))
        host, port = fields["admin"].rsplit(":", 1)
        self.admin_addr = (host, int(port))
        self.pid = int(fields["pid"])
        self.host = "%s:%d" % self.s3

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(10)
        finally:
            self.proc.stdout.close()

    def conn(self):
        return http.client.HTTPConnection(*self.s3, timeout=30)

    def request(self, method, path, query=(), body=b"", headers=None, conn=None,
                signed=True, md5=False, payload_hash=None, **kw):
        """path is raw (not encoded); query a list of (name, value)."""
        headers = dict(headers or {})
        if md5:
            headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
        if signed:
            ph = payload_hash or hashlib.sha256(body).hexdigest()
            headers = sign(method, self.host, path, query, headers, ph, **kw)
        target = enc(path, True)
        if query:
            target += "?" + "&".join("%s=%s" % (enc(k, False), enc(v or "", False))
                                     for k, v in query)
        c = conn or self.conn()
        try:
            if method in ("PUT", "POST") or body:
                headers.setdefault("Content-Length", str(len(body)))
            c.request(method, target, body=body if body or method in ("PUT", "POST") else None,
                      headers=headers)
            r = c.getresponse()
            data = r.read()
            return Reply(r.status, r.getheaders(), data)
        finally:
            if conn is None:
                c.close()

    def admin(self, method, path, obj=None):
        c = http.client.HTTPConnection(*self.admin_addr, timeout=30)
        try:
            body = json.dumps(obj).encode() if obj is not None else None
            c.request(method, path, body=body,
                      headers={"Content-Type": "application/json"} if body else {})
            r = c.getresponse()
            return r.status, json.loads(r.read() or b"{}")
        finally:
            c.close()

    def faults(self, **kw):
        st, f = self.admin("POST", "/admin/faults", kw)
        assert st == 200, f
        return f

    def stats(self):
        return self.admin("GET", "/admin/stats")[1]

    # multipart helpers
    def create(self, bucket, key, **kw):
        r = self.request("POST", "/%s/%s" % (bucket, key), [("uploads", "")], **kw)
        assert r.status == 200, r.body
        return r.xml().findtext(NS + "UploadId")

    def part(self, bucket, key, uid, n, data):
        r = self.request("PUT", "/%s/%s" % (bucket, key),
                         [("partNumber", str(n)), ("uploadId", uid)], data, md5=True)
        return r

    def complete(self, bucket, key, uid, parts, conn=None):
        xml = ('<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
               + "".join("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % p
                         for p in parts) + "</CompleteMultipartUpload>").encode()
        return self.request("POST", "/%s/%s" % (bucket, key), [("uploadId", uid)], xml,
                            md5=True, conn=conn)


class Base(unittest.TestCase):
    ARGS = ("--bucket", "bkt")

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(*cls.ARGS)

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0

    def setUp(self):
        self.srv.admin("POST", "/admin/reset?faults=1&data=1")

    def put(self, key, data, bucket="bkt", **kw):
        r = self.srv.request("PUT", "/%s/%s" % (bucket, key), (), data, md5=True, **kw)
        self.assertEqual(r.status, 200, r.body)
        return r


class TestVectors(unittest.TestCase):
    """The server's verifier against AWS's S3 examples (protocol-facts B.2)."""

    def test_aws_s3_examples(self):
        sys.path.insert(0, HERE)
        import fake_s3
        secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        scope = "20130524/us-east-1/s3/aws4_request"
        empty = hashlib.sha256(b"").hexdigest()

        def hdrs(d):
            return lambda n: [d[n]] if n in d else []
        base = {"host": "examplebucket.s3.amazonaws.com",
                "x-amz-date": "20130524T000000Z", "x-amz-content-sha256": empty}
        sig, creq, _ = fake_s3.sigv4_signature(
            secret, "GET", "/test.txt", "", hdrs(dict(base, range="bytes=0-9")),
            "host;range;x-amz-content-sha256;x-amz-date", empty,
            "20130524T000000Z", scope)
        self.assertEqual(hashlib.sha256(creq.encode()).hexdigest(),
                         "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        self.assertEqual(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")

        body_hash = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
        put = {"host": "examplebucket.s3.amazonaws.com", "date": "Fri, 24 May 2013 00:00:00 GMT",
               "x-amz-date": "20130524T000000Z", "x-amz-content-sha256": body_hash,
               "x-amz-storage-class": "REDUCED_REDUNDANCY"}
        sig, _, _ = fake_s3.sigv4_signature(
            secret, "PUT", "/test%24file.text", "", hdrs(put),
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            body_hash, "20130524T000000Z", scope)
        self.assertEqual(sig, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")

        for raw_query, want in (
                ("lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
                ("prefix=J&max-keys=2", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")):
            sig, _, _ = fake_s3.sigv4_signature(
                secret, "GET", "/", raw_query, hdrs(base),
                "host;x-amz-content-sha256;x-amz-date", empty,
                "20130524T000000Z", scope)
            self.assertEqual(sig, want, raw_query)

    def test_test_signer_matches(self):
        """This file's signer gives the AWS example signature too."""
        when = 1369353600  # 20130524T000000Z
        h = sign("GET", "examplebucket.s3.amazonaws.com", "/test.txt", [],
                 {"Range": "bytes=0-9"}, hashlib.sha256(b"").hexdigest(),
                 akid="AKIAIOSFODNN7EXAMPLE",
                 secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", when=when)
        self.assertTrue(h["Authorization"].endswith(
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"))


class TestStartStop(unittest.TestCase):
    def test_ready_line_ready_file_sigterm(self):
        d = tempfile.mkdtemp(prefix="fake-s3-test-")
        rf = os.path.join(d, "ready")
        srv = Server("--ready-file", rf)
        try:
            self.assertRegex(srv.ready_line,
                             r"^s3=127\.0\.0\.1:\d+ admin=127\.0\.0\.1:\d+ pid=\d+$")
            with open(rf) as f:
                self.assertEqual(f.read().strip(), srv.ready_line)
            self.assertEqual(srv.pid, srv.proc.pid)
            st, h = srv.admin("GET", "/admin/health")
            self.assertEqual(st, 200)
            self.assertTrue(h["ok"])
            self.assertEqual(h["s3"], srv.host)
        finally:
            self.assertEqual(srv.stop(), 0)
            os.unlink(rf)
            os.rmdir(d)


class TestAuth(Base):
    ARGS = ("--bucket", "bkt", "--access-key", AKID, "--secret-key", SECRET)

    def test_missing_and_malformed(self):
        r = self.srv.request("GET", "/bkt/k", signed=False)
        self.assertEqual((r.status, r.code()), (403, "AccessDenied"))
        self.assertEqual(r.header("Content-Type"), "application/xml")
        self.assertEqual(r.xml().findtext("Resource"), "/bkt/k")
        r = self.srv.request("GET", "/bkt/k", signed=False,
                             headers={"Authorization": "AWS AKID:sig",
                                      "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        self.assertEqual((r.status, r.code()), (400, "AuthorizationHeaderMalformed"))
        # no x-amz-content-sha256
        h = sign("GET", self.srv.host, "/bkt/k", [], {}, "UNSIGNED-PAYLOAD")
        del h["x-amz-content-sha256"]
        r = self.srv.request("GET", "/bkt/k", signed=False, headers=h)
        self.assertEqual((r.status, r.code()), (400, "InvalidRequest"))
        # 20 minutes off
        r = self.srv.request("GET", "/bkt/k", when=time.time() - 1200)
        self.assertEqual((r.status, r.code()), (403, "RequestTimeTooSkewed"))
        # a token not among the signed headers
        h = sign("GET", self.srv.host, "/bkt/k", [], {}, "UNSIGNED-PAYLOAD")
        h["x-amz-security-token"] = "tok"
        r = self.srv.request("GET", "/bkt/k", signed=False, headers=h)
        self.assertEqual((r.status, r.code()), (400, "AuthorizationHeaderMalformed"))
        # HEAD errors have no body
        r = self.srv.request("HEAD", "/bkt/k", signed=False)
        self.assertEqual((r.status, r.body), (403, b""))
        a = self.srv.stats()["auth"]
        self.assertEqual(a["missing"], 2)
        self.assertGreaterEqual(a["malformed"], 3)
        self.assertEqual(a["skewed"], 1)

    def test_key_and_signature(self):
        r = self.srv.request("GET", "/bkt/k", akid="OTHER")
        self.assertEqual((r.status, r.code()), (403, "InvalidAccessKeyId"))
        r = self.srv.request("GET", "/bkt/k", secret="wrong")
        self.assertEqual((r.status, r.code()), (403, "SignatureDoesNotMatch"))
        x = r.xml()
        self.assertIn("GET\n/bkt/k\n\nhost:", x.findtext("CanonicalRequest"))
        self.assertTrue(x.findtext("StringToSign").startswith("AWS4-HMAC-SHA256\n"))
        self.assertEqual(self.srv.stats()["auth"]["bad_signature"], 1)
        # Good signatures, including odd keys, query strings and a token.
        key = "dir/a b+c%d/\u00fc\u65e5?#&=;:@$,~'!()*.txt"
        self.put(key, b"x", token="session/token+=")
        r = self.srv.request("GET", "/bkt/" + key)
        self.assertEqual((r.status, r.body), (200, b"x"))
        uid = self.srv.create("bkt", key)
        r = self.srv.part("bkt", key, uid, 1, b"abc")
        self.assertEqual(r.status, 200, r.body)
        r = self.srv.request("GET", "/bkt", [("list-type", "2"), ("prefix", "dir/a b"),
                                             ("encoding-type", "url")])
        self.assertEqual(r.status, 200, r.body)
        # UNSIGNED-PAYLOAD is accepted; a wrong body hash is not.
        r = self.srv.request("PUT", "/bkt/u", (), b"data", payload_hash="UNSIGNED-PAYLOAD")
        self.assertEqual(r.status, 200)
        r = self.srv.request("PUT", "/bkt/u", (), b"data",
                             payload_hash=hashlib.sha256(b"other").hexdigest())
        self.assertEqual((r.status, r.code()), (400, "XAmzContentSHA256Mismatch"))


class TestObjects(Base):
    def test_put_get_head_delete(self):
        r = self.put("a/b.json", b'{"x":1}', headers={"Content-Type": "application/json"})
        self.assertEqual(r.header("ETag"), '"%s"' % hashlib.md5(b'{"x":1}').hexdigest())
        r = self.srv.request("GET", "/bkt/a/b.json")
        self.assertEqual((r.status, r.body), (200, b'{"x":1}'))
        self.assertEqual(r.header("Content-Type"), "application/json")
        r = self.srv.request("HEAD", "/bkt/a/b.json")
        self.assertEqual((r.status, r.body, r.header("Content-Length")), (200, b"", "7"))
        self.assertEqual(r.header("ETag"), '"%s"' % hashlib.md5(b'{"x":1}').hexdigest())
        r = self.srv.request("GET", "/bkt/nope")
        self.assertEqual((r.status, r.code()), (404, "NoSuchKey"))
        self.assertEqual(r.xml().findtext("Key"), "nope")
        r = self.srv.request("HEAD", "/bkt/nope")
        self.assertEqual((r.status, r.body), (404, b""))
        r = self.srv.request("GET", "/nobucket/k")
        self.assertEqual((r.status, r.code()), (404, "NoSuchBucket"))
        r = self.srv.request("DELETE", "/bkt/a/b.json")
        self.assertEqual(r.status, 204)
        r = self.srv.request("DELETE", "/bkt/a/b.json")
        self.assertEqual(r.status, 204)
        r = self.srv.request("HEAD", "/bkt/a/b.json")
        self.assertEqual(r.status, 404)
        # an empty object, dot segments kept as names
        self.put("e", b"")
        self.put("x/../y/./z", b"dots")
        _, objs = self.srv.admin("GET", "/admin/objects?bucket=bkt")
        self.assertEqual(set(objs["buckets"]["bkt"]), {"e", "x/../y/./z"})

    def test_body_checks(self):
        r = self.srv.request("PUT", "/bkt/k", (), b"hello",
                             headers={"Content-MD5": base64.b64encode(
                                 hashlib.md5(b"other").digest()).decode()})
        self.assertEqual((r.status, r.code()), (400, "BadDigest"))
        r = self.srv.request("PUT", "/bkt/k", (), b"hello",
                             headers={"Content-MD5": hashlib.md5(b"hello").hexdigest()})
        self.assertEqual((r.status, r.code()), (400, "InvalidDigest"))
        # chunked bodies: 501 like S3
        c = self.srv.conn()
        h = sign("PUT", self.srv.host, "/bkt/k", [], {}, "UNSIGNED-PAYLOAD")
        c.putrequest("PUT", "/bkt/k")
        for k, v in h.items():
            c.putheader(k, v)
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        c.send(b"5\r\nhello\r\n0\r\n\r\n")
        resp = c.getresponse()
        body = resp.read()
        c.close()
        self.assertEqual(resp.status, 501)
        self.assertIn(b"<Code>NotImplemented</Code>", body)
        self.assertIn(b"<Header>Transfer-Encoding</Header>", body)
        # no Content-Length at all
        s = socket.create_connection(self.srv.s3)
        h = sign("PUT", self.srv.host, "/bkt/k", [], {}, "UNSIGNED-PAYLOAD")
        s.sendall(("PUT /bkt/k HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (
            self.srv.host, "".join("%s: %s\r\n" % kv for kv in h.items()))).encode())
        data = b""
        while True:                  # until the server closes
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 411 "), data)
        self.assertIn(b"MissingContentLength", data)

    def test_keep_alive_after_errors(self):
        """An error to a request whose body was not read leaves the
        connection usable: the body is drained."""
        c = self.srv.conn()
        r = self.srv.request("PUT", "/bkt/k", [("partNumber", "1"), ("uploadId", "nope")],
                             b"z" * 100000, conn=c)
        self.assertEqual((r.status, r.code()), (404, "NoSuchUpload"))
        r = self.srv.request("PUT", "/nobucket/k", (), b"y" * 1000, conn=c)
        self.assertEqual((r.status, r.code()), (404, "NoSuchBucket"))
        r = self.srv.request("PUT", "/bkt/k", (), b"ok", conn=c)
        self.assertEqual(r.status, 200)
        c.close()
        self.assertEqual(self.srv.stats()["connections"], 1)

    def test_buckets(self):
        r = self.srv.request("PUT", "/newb")
        self.assertEqual(r.status, 200)
        r = self.srv.request("PUT", "/newb")
        self.assertEqual((r.status, r.code()), (409, "BucketAlreadyOwnedByYou"))
        self.assertEqual(self.srv.request("HEAD", "/newb").status, 200)
        self.assertEqual(self.srv.request("HEAD", "/nob").status, 404)
        self.put("k", b"x", bucket="newb")
        r = self.srv.request("DELETE", "/newb")
        self.assertEqual((r.status, r.code()), (409, "BucketNotEmpty"))
        self.srv.request("DELETE", "/newb/k")
        self.assertEqual(self.srv.request("DELETE", "/newb").status, 204)


class TestList(Base):
    def keys(self, r):
        x = r.xml()
        return [c.findtext(NS + "Key") for c in x.findall(NS + "Contents")]

    def test_pages(self):
        names = ["k%02d" % i for i in range(25)]
        for n in reversed(names):
            self.put(n, n.encode())
        got, token, pages = [], None, 0
        while True:
            q = [("list-type", "2"), ("max-keys", "10")]
            if token:
                q.append(("continuation-token", token))
            r = self.srv.request("GET", "/bkt", q)
            self.assertEqual(r.status, 200, r.body)
            x = r.xml()
            pages += 1
            got += self.keys(r)
            self.assertEqual(x.findtext(NS + "KeyCount"), str(len(self.keys(r))))
            if x.findtext(NS + "IsTruncated") == "false":
                self.assertIsNone(x.find(NS + "NextContinuationToken"))
                break
            token = x.findtext(NS + "NextContinuationToken")
            self.assertTrue(token)
        self.assertEqual(got, names)
        self.assertEqual(pages, 3)
        sizes = [c.findtext(NS + "Size") for c in
                 self.srv.request("GET", "/bkt", [("list-type", "2")]).xml().findall(NS + "Contents")]
        self.assertEqual(sizes, ["3"] * 25)
        # prefix, start-after, max-keys=0, bad arguments
        r = self.srv.request("GET", "/bkt", [("list-type", "2"), ("prefix", "k1")])
        self.assertEqual(self.keys(r), ["k%02d" % i for i in range(10, 20)])
        r = self.srv.request("GET", "/bkt", [("list-type", "2"), ("start-after", "k22")])
        self.assertEqual(self.keys(r), ["k23", "k24"])
        r = self.srv.request("GET", "/bkt", [("list-type", "2"), ("max-keys", "0")])
        self.assertEqual(self.keys(r), [])
        r = self.srv.request("GET", "/bkt", [("list-type", "2"), ("continuation-token", "bogus")])
        self.assertEqual((r.status, r.code()), (400, "InvalidArgument"))
        r = self.srv.request("GET", "/bkt", [("list-type", "2"), ("max-keys", "x")])
        self.assertEqual((r.status, r.code()), (400, "InvalidArgument"))
        r = self.srv.request("GET", "/nob", [("list-type", "2")])
        self.assertEqual((r.status, r.code()), (404, "NoSuchBucket"))

    def test_delimiter_and_order(self):
        for k in ("a/1", "a/2", "b", "c/x/1", "c/y", "\u00e9", "Z"):
            self.put(k, b"1")
        r = self.srv.request("GET", "/bkt", [("list-type", "2"), ("delimiter", "/")])
        x = r.xml()
        self.assertEqual(self.keys(r), ["Z", "b", "\u00e9"])   # UTF-8 byte order
        self.assertEqual([p.findtext(NS + "Prefix") for p in x.findall(NS + "CommonPrefixes")],
                         ["a/", "c/"])
        # paging through common prefixes never repeats one
        seen, token = [], None
        while True:
            q = [("list-type", "2"), ("delimiter", "/"), ("max-keys", "1")]
            if token:
                q.append(("continuation-token", token))
            x = self.srv.request("GET", "/bkt", q).xml()
            seen += [c.findtext(NS + "Key") for c in x.findall(NS + "Contents")]
            seen += [p.findtext(NS + "Prefix") for p in x.findall(NS + "CommonPrefixes")]
            if x.findtext(NS + "IsTruncated") == "false":
                break
            token = x.findtext(NS + "NextContinuationToken")
        self.assertEqual(seen, ["Z", "a/", "b", "c/", "\u00e9"])

    def test_encoding_type_url(self):
        key = "dir/a b+c%d\u00e9\x01"
        self.put(key, b"1")
        r = self.srv.request("GET", "/bkt", [("list-type", "2"), ("encoding-type", "url"),
                                             ("prefix", "dir/a b")])
        x = r.xml()
        self.assertEqual(x.findtext(NS + "EncodingType"), "url")
        self.assertEqual(x.findtext(NS + "Prefix"), "dir/a+b")
        self.assertEqual(self.keys(r), ["dir/a+b%2Bc%25d%C3%A9%01"])
        self.assertEqual(urllib.parse.unquote_plus(self.keys(r)[0]), key)
        r = self.srv.request("GET", "/bkt", [("list-type", "2"), ("encoding-type", "x")])
        self.assertEqual((r.status, r.code()), (400, "InvalidArgument"))

    def test_v1(self):
        for k in ("a", "b", "c"):
            self.put(k, b"1")
        r = self.srv.request("GET", "/bkt", [("marker", "a"), ("max-keys", "1")])
        x = r.xml()
        self.assertEqual(self.keys(r), ["b"])
        self.assertEqual(x.findtext(NS + "IsTruncated"), "true")


class TestMultipart(Base):
    ARGS = ("--bucket", "bkt", "--min-part-size", "1024")

    def test_happy_path(self):
        p1, p2, p3 = b"a" * 2000, b"b" * 1024, b"c" * 10
        uid = self.srv.create("bkt", "big", headers={"Content-Type": "text/plain"})
        self.assertTrue(uid)
        etags = []
        for n, p in enumerate((p1, p2, p3), 1):
            r = self.srv.part("bkt", "big", uid, n, p)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.header("ETag"), '"%s"' % hashlib.md5(p).hexdigest())
            etags.append(r.header("ETag"))
        # re-uploading a part replaces it
        r = self.srv.part("bkt", "big", uid, 3, p3)
        self.assertEqual(r.status, 200)
        r = self.srv.request("GET", "/bkt/big", [("uploadId", uid)])
        self.assertEqual([p.findtext(NS + "Size") for p in r.xml().findall(NS + "Part")],
                         ["2000", "1024", "10"])
        r = self.srv.request("GET", "/bkt", [("uploads", "")])
        self.assertEqual([u.findtext(NS + "UploadId") for u in r.xml().findall(NS + "Upload")],
                         [uid])
        self.assertEqual(self.srv.stats()["uploads"]["in_progress"], 1)
        r = self.srv.complete("bkt", "big", uid, [(1, etags[0]), (2, etags[1]), (3, etags[2])])
        self.assertEqual(r.status, 200, r.body)
        x = r.xml()
        self.assertEqual(x.tag, NS + "CompleteMultipartUploadResult")
        want = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in (p1, p2, p3))).hexdigest()
        self.assertEqual(x.findtext(NS + "ETag"), '"%s-3"' % want)
        r = self.srv.request("GET", "/bkt/big")
        self.assertEqual(r.body, p1 + p2 + p3)
        self.assertEqual(r.header("Content-Type"), "text/plain")
        _, objs = self.srv.admin("GET", "/admin/objects")
        self.assertEqual(objs["buckets"]["bkt"]["big"]["parts"], [2000, 1024, 10])
        s = self.srv.stats()
        self.assertEqual(s["uploads"], {"created": 1, "completed": 1, "aborted": 0,
                                        "in_progress": 0})
        self.assertEqual(s["requests"]["ops"]["UploadPart"], 4)
        # the upload is gone
        r = self.srv.complete("bkt", "big", uid, [(1, etags[0])])
        self.assertEqual((r.status, r.code()), (404, "NoSuchUpload"))

    def test_part_rules(self):
        small, ok = b"s" * 100, b"o" * 1024
        uid = self.srv.create("bkt", "k")
        e_ok = self.srv.part("bkt", "k", uid, 1, ok).header("ETag")
        e_small = self.srv.part("bkt", "k", uid, 2, small).header("ETag")
        e_last = self.srv.part("bkt", "k", uid, 3, small).header("ETag")
        # a part but the last under the minimum
        r = self.srv.complete("bkt", "k", uid, [(1, e_ok), (2, e_small), (3, e_last)])
        self.assertEqual((r.status, r.code()), (400, "EntityTooSmall"))
        self.assertEqual(r.xml().findtext("PartNumber"), "2")
        # a wrong ETag, a missing part, the wrong order, bad XML
        r = self.srv.complete("bkt", "k", uid, [(1, '"%s"' % ("0" * 32))])
        self.assertEqual((r.status, r.code()), (400, "InvalidPart"))
        r = self.srv.complete("bkt", "k", uid, [(1, e_ok), (7, e_last)])
        self.assertEqual((r.status, r.code()), (400, "InvalidPart"))
        r = self.srv.complete("bkt", "k", uid, [(2, e_small), (1, e_ok)])
        self.assertEqual((r.status, r.code()), (400, "InvalidPartOrder"))
        r = self.srv.request("POST", "/bkt/k", [("uploadId", uid)], b"<Nope/>")
        self.assertEqual((r.status, r.code()), (400, "MalformedXML"))
        r = self.srv.request("POST", "/bkt/k", [("uploadId", uid)], b"<CompleteMultipartUpload>")
        self.assertEqual((r.status, r.code()), (400, "MalformedXML"))
        # ETags without quotes are taken too; only the last part may be small
        r = self.srv.complete("bkt", "k", uid, [(1, e_ok.strip('"')), (3, e_last)])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.srv.request("GET", "/bkt/k").body, ok + small)
        # part numbers
        uid = self.srv.create("bkt", "k2")
        for bad in ("0", "10001", "x"):
            r = self.srv.request("PUT", "/bkt/k2", [("partNumber", bad), ("uploadId", uid)], b"x")
            self.assertEqual((r.status, r.code()), (400, "InvalidArgument"), bad)
        r = self.srv.part("bkt", "k2", "unknown", 1, b"x")
        self.assertEqual((r.status, r.code()), (404, "NoSuchUpload"))
        r = self.srv.part("bkt", "other-key", uid, 1, b"x")
        self.assertEqual((r.status, r.code()), (404, "NoSuchUpload"))

    def test_abort(self):
        uid = self.srv.create("bkt", "k")
        self.srv.part("bkt", "k", uid, 1, b"x")
        _, ups = self.srv.admin("GET", "/admin/uploads")
        self.assertEqual(ups["uploads"], [{"bucket": "bkt", "key": "k", "upload_id": uid,
                                           "parts": {"1": 1}}])
        r = self.srv.request("DELETE", "/bkt/k", [("uploadId", uid)])
        self.assertEqual((r.status, r.body), (204, b""))
        r = self.srv.request("DELETE", "/bkt/k", [("uploadId", uid)])
        self.assertEqual((r.status, r.code()), (404, "NoSuchUpload"))
        r = self.srv.part("bkt", "k", uid, 2, b"x")
        self.assertEqual((r.status, r.code()), (404, "NoSuchUpload"))
        r = self.srv.complete("bkt", "k", uid, [(1, '"x"')])
        self.assertEqual((r.status, r.code()), (404, "NoSuchUpload"))
        self.assertEqual(self.srv.stats()["uploads"]["aborted"], 1)
        self.assertEqual(self.srv.request("HEAD", "/bkt/k").status, 404)

    def test_odd_upload_ids(self):
        self.srv.faults(odd_upload_ids=True)
        uid = self.srv.create("bkt", "k")
        self.assertTrue(set("/+=") <= set(uid), uid)
        r = self.srv.part("bkt", "k", uid, 1, b"x")
        self.assertEqual(r.status, 200, r.body)
        r = self.srv.complete("bkt", "k", uid, [(1, r.header("ETag"))])
        self.assertEqual(r.status, 200, r.body)


class TestFaults(Base):
    ARGS = ("--bucket", "bkt", "--min-part-size", "1")

    def test_error_rate_status_code(self):
        self.srv.faults(error_rate=1.0)
        r = self.srv.request("PUT", "/bkt/k", (), b"x")
        self.assertEqual((r.status, r.code()), (503, "SlowDown"))
        self.srv.faults(status=500, code="InternalError", message="boom")
        r = self.srv.request("GET", "/bkt/k")
        self.assertEqual((r.status, r.code()), (500, "InternalError"))
        self.assertEqual(r.xml().findtext("Message"), "boom")
        self.assertEqual(self.srv.stats()["faults"]["error"], 2)
        _, objs = self.srv.admin("GET", "/admin/objects")
        self.assertEqual(objs["buckets"]["bkt"], {})

    def test_seeded_rate(self):
        def run():
            self.srv.faults(seed=42, error_rate=0.3)
            return [self.srv.request("HEAD", "/bkt").status for _ in range(30)]
        a, b = run(), run()
        self.assertEqual(a, b)
        self.assertIn(503, a)
        self.assertIn(200, a)

    def test_fault_ops(self):
        self.srv.faults(error_rate=1.0, fault_ops=["UploadPart"])
        self.put("k", b"x")
        uid = self.srv.create("bkt", "k")
        r = self.srv.part("bkt", "k", uid, 1, b"x")
        self.assertEqual((r.status, r.code()), (503, "SlowDown"))

    def test_drop_and_drop_after(self):
        self.srv.faults(drop_rate=1.0)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError,
                                BrokenPipeError)):
            self.srv.request("PUT", "/bkt/dropped", (), b"x")
        self.srv.faults(drop_rate=0.0, drop_after_rate=1.0)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            self.srv.request("PUT", "/bkt/lost-reply", (), b"x")
        self.srv.faults(drop_after_rate=0.0)
        _, objs = self.srv.admin("GET", "/admin/objects")
        self.assertEqual(set(objs["buckets"]["bkt"]), {"lost-reply"})
        f = self.srv.stats()["faults"]
        self.assertEqual((f["drop"], f["drop_after"]), (1, 1))
        _, log = self.srv.admin("GET", "/admin/log")
        self.assertEqual([(e["op"], e["fault"], e["status"]) for e in log["requests"]][:2],
                         [("PutObject", "drop", None), ("PutObject", "drop_after", None)])

    def test_complete_200_with_error_rule(self):
        uid = self.srv.create("bkt", "k")
        e = self.srv.part("bkt", "k", uid, 1, b"x").header("ETag")
        self.srv.faults(rules=[{"op": "CompleteMultipartUpload", "action": "error200"}])
        r = self.srv.complete("bkt", "k", uid, [(1, e)])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.xml().tag, "Error")
        self.assertEqual(r.code(), "InternalError")
        self.assertEqual(self.srv.request("HEAD", "/bkt/k").status, 404)
        # one shot: the retry completes
        r = self.srv.complete("bkt", "k", uid, [(1, e)])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.xml().tag, NS + "CompleteMultipartUploadResult")
        f = self.srv.admin("GET", "/admin/faults")[1]
        self.assertEqual(f["rules"][0]["fired"], 1)
        self.assertEqual(f["rules"][0]["count"], 0)

    def test_rules_skip_count_prefix(self):
        self.srv.faults(rules=[{"op": "PutObject", "key_prefix": "logs/", "skip": 1,
                                "count": 2, "status": 500, "code": "InternalError"}])
        st = [self.srv.request("PUT", "/bkt/logs/%d" % i, (), b"x").status for i in range(5)]
        self.assertEqual(st, [200, 500, 500, 200, 200])
        self.assertEqual(self.srv.request("PUT", "/bkt/other", (), b"x").status, 200)
        # a lost reply to a Complete: done, then the connection closes
        uid = self.srv.create("bkt", "k")
        e = self.srv.part("bkt", "k", uid, 1, b"x").header("ETag")
        self.srv.faults(rules=[{"op": "CompleteMultipartUpload", "action": "drop_after"}])
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            self.srv.complete("bkt", "k", uid, [(1, e)])
        r = self.srv.complete("bkt", "k", uid, [(1, e)])
        self.assertEqual((r.status, r.code()), (404, "NoSuchUpload"))
        self.assertEqual(self.srv.request("GET", "/bkt/k").body, b"x")

    def test_complete_keepalive(self):
        uid = self.srv.create("bkt", "k")
        e = self.srv.part("bkt", "k", uid, 1, b"x").header("ETag")
        self.srv.faults(complete_keepalive_ms=300)
        t0 = time.time()
        r = self.srv.complete("bkt", "k", uid, [(1, e)])
        self.assertGreaterEqual(time.time() - t0, 0.3)
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("Content-Length"))
        self.assertTrue(r.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n \n'))
        self.assertEqual(r.xml().tag, NS + "CompleteMultipartUploadResult")

    def test_delay(self):
        self.srv.faults(delay_ms=200)
        t0 = time.time()
        self.assertEqual(self.srv.request("HEAD", "/bkt").status, 200)
        self.assertGreaterEqual(time.time() - t0, 0.2)
        self.assertEqual(self.srv.stats()["faults"]["delay"], 1)

    def test_admin_validation_and_reset(self):
        before = self.srv.admin("GET", "/admin/faults")[1]
        for bad in ({"nope": 1}, {"error_rate": 2}, {"status": "x"},
                    {"fault_ops": ["Nope"]}, {"rules": [{"action": "explode"}]},
                    {"rules": [{"op": "PutObject", "bogus": 1}]},
                    {"error_rate": 0.5, "min_part_size": -1}):
            st, body = self.srv.admin("POST", "/admin/faults", bad)
            self.assertEqual(st, 400, bad)
            self.assertIn("error", body)
        self.assertEqual(self.srv.admin("GET", "/admin/faults")[1], before)
        self.srv.faults(error_rate=0.5)
        st, f = self.srv.admin("DELETE", "/admin/faults")
        self.assertEqual((st, f["error_rate"]), (200, 0.0))
        self.srv.request("HEAD", "/bkt")
        s = self.srv.stats()
        self.assertEqual(s["requests"]["total"], 1)
        self.assertEqual(s["requests"]["ops"], {"HeadBucket": 1})
        self.assertEqual(s["requests"]["status"], {"200": 1})
        self.srv.admin("POST", "/admin/reset")
        self.assertEqual(self.srv.stats()["requests"]["total"], 0)
        self.assertEqual(self.srv.admin("GET", "/admin/nope")[0], 404)


if __name__ == "__main__":
    unittest.main()
