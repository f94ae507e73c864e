#!/usr/bin/env python3
"""Tests of webhdfs_server.py against the Hadoop WebHDFS REST API document
(WebHDFS.md: the curl examples, the JSON schemas, the error table) and the
NameNode/DataNode behaviour summarised in /work/shared/protocol-facts.md
section A.  They drive the server with urllib/http.client/raw sockets, never
with libstream's client, so the server cannot drift into agreeing with it.

    python3 tests/webhdfs/test_webhdfs_server.py [-v]
"""

import http.client
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "webhdfs_server.py")
PREFIX = "/webhdfs/v1"

# FileStatus properties (WebHDFS.md "FileStatus Properties": required ones,
# plus childrenNum/fileId/storagePolicy that Hadoop 3 sends, as in the
# LISTSTATUS example).
FILESTATUS_KEYS = {"accessTime", "blockSize", "childrenNum", "fileId", "group",
                   "length", "modificationTime", "owner", "pathSuffix",
                   "permission", "replication", "storagePolicy", "type"}
FILESTATUS_INT = {"accessTime", "blockSize", "childrenNum", "fileId", "length",
                  "modificationTime", "replication", "storagePolicy"}
FILESTATUS_STR = {"group", "owner", "pathSuffix", "permission"}


class Server:
    """webhdfs_server.py as a subprocess on free ports."""

    def __init__(self, *extra):
        self.root = tempfile.mkdtemp(prefix="webhdfs-test-")
        # a sub-directory, so that escapes from it would be visible next to it
        self.data = os.path.join(self.root, "data")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--root", self.data, "--seed", "7", *extra],
            stdout=subprocess.PIPE, text=True)
        r, _, _ = select.select([self.proc.stdout], [], [], 15)
        if not r:
            self.proc.kill()
            raise RuntimeError("webhdfs_server.py printed no ready line in 15 s")
        self.ready_line = self.proc.stdout.readline().strip()
        fields = dict(kv.split("=", 1) for kv in self.ready_line.split())
        self.addr = {}
        for role in ("namenode", "datanode", "standby", "admin"):
            host, port = fields[role].rsplit(":", 1)
            self.addr[role] = (host, int(port))
        self.pid = int(fields["pid"])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        finally:
            self.proc.stdout.close()
            shutil.rmtree(self.root, ignore_errors=True)
        return rc

    # -- HTTP helpers ----------------------------------------------------------
    @staticmethod
    def target(path, **params):
        t = PREFIX + urllib.parse.quote(path, safe="/")
        if params:
            t += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return t

    def request(self, role, method, target, body=None, headers=None, conn=None):
        own = conn is None
        if own:
            conn = http.client.HTTPConnection(*self.addr[role], timeout=15)
        try:
            conn.request(method, target, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                conn.close()

    def url(self, url, method, body=None, headers=None):
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
        try:
            conn.request(method, u.path + ("?" + u.query if u.query else ""),
                         body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def nn(self, method, path, body=None, role="namenode", **params):
        return self.request(role, method, self.target(path, **params), body=body)

    def admin(self, method, path, obj=None):
        body = json.dumps(obj).encode() if obj is not None else None
        st, _, data = self.request("admin", method, path, body=body,
                                   headers={"Content-Type": "application/json"})
        return st, json.loads(data)


def remote_exception(test, status, headers, data, exception, java=None, code=None):
    """Check a RemoteException reply (WebHDFS.md "RemoteException JSON Schema")."""
    if code is not None:
        test.assertEqual(status, code, data)
    test.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
    obj = json.loads(data)
    test.assertEqual(set(obj), {"RemoteException"})
    re_ = obj["RemoteException"]
    test.assertEqual(set(re_), {"exception", "javaClassName", "message"})
    test.assertEqual(re_["exception"], exception, obj)
    if java:
        test.assertEqual(re_["javaClassName"], java)
    test.assertIsInstance(re_["message"], str)
    return re_


class WebHdfsServerTest(unittest.TestCase):
    srv = None

    @classmethod
    def setUpClass(cls):
        cls.srv = Server()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        if rc != 0:
            raise AssertionError("server exit status after SIGTERM: %r" % rc)

    def setUp(self):
        self.s = self.srv
        self.s.admin("DELETE", "/admin/faults")
        self.s.admin("GET", "/admin/reset?leases=1")
        self.dir = "/t/" + self._testMethodName

    # -- helpers -----------------------------------------------------------
    def create(self, path, data, user="alice", expect=201, **params):
        st, h, body = self.s.nn("PUT", path, op="CREATE", **{"user.name": user}, **params)
        self.assertEqual(st, 307, body)
        st, h2, body2 = self.s.url(h["location"], "PUT", body=data)
        self.assertEqual(st, expect, body2)
        return st, h2, body2

    def append(self, path, data, user="alice", expect=200):
        st, h, body = self.s.nn("POST", path, op="APPEND", **{"user.name": user})
        self.assertEqual(st, 307, body)
        st, h2, body2 = self.s.url(h["location"], "POST", body=data)
        self.assertEqual(st, expect, body2)
        return st, h2, body2

    def read(self, path, **params):
        st, h, body = self.s.nn("GET", path, op="OPEN", **{"user.name": "alice"}, **params)
        self.assertEqual(st, 307, body)
        st, h2, data = self.s.url(h["location"], "GET")
        self.assertEqual(st, 200, data)
        return data

    def status_of(self, path):
        st, h, body = self.s.nn("GET", path, op="GETFILESTATUS")
        self.assertEqual(st, 200, body)
        return json.loads(body)["FileStatus"]

    def stats(self):
        return self.s.admin("GET", "/admin/stats")[1]

    # -- startup ----------------------------------------------------------------
    def test_ready_line(self):
        parts = self.s.ready_line.split()
        self.assertEqual([p.split("=")[0] for p in parts],
                         ["namenode", "datanode", "standby", "admin", "pid"])
        for role, (host, port) in self.s.addr.items():
            self.assertEqual(host, "127.0.0.1")
            self.assertGreater(port, 0)
        self.assertEqual(self.s.pid, self.s.proc.pid)

    # -- "Create and Write to a File" ------------------------------------------
    def test_create_two_steps(self):
        path = self.dir + "/a.patch"
        st, h, body = self.s.nn("PUT", path, op="CREATE", overwrite="false",
                                blocksize="1048576", replication="2", permission="640",
                                buffersize="4096", **{"user.name": "webuser"})
        # HTTP/1.1 307 TEMPORARY_REDIRECT / Location: http://<DATANODE>:<PORT>/webhdfs/v1/<PATH>?op=CREATE... / Content-Length: 0
        self.assertEqual(st, 307)
        self.assertEqual(h["content-length"], "0")
        self.assertEqual(body, b"")
        loc = urllib.parse.urlsplit(h["location"])
        self.assertEqual(loc.scheme, "http")
        self.assertEqual((loc.hostname, loc.port), self.s.addr["datanode"])
        self.assertEqual(loc.path, PREFIX + path)
        q = dict(urllib.parse.parse_qsl(loc.query))
        self.assertEqual(q["op"], "CREATE")
        self.assertEqual(q["user.name"], "webuser")
        self.assertIn("namenoderpcaddress", q)
        for k, v in (("overwrite", "false"), ("blocksize", "1048576"),
                     ("replication", "2"), ("permission", "640")):
            self.assertEqual(q[k], v)
        # step 1 created nothing
        st, _, _ = self.s.nn("GET", path, op="GETFILESTATUS")
        self.assertEqual(st, 404)
        # Step 2: 201 Created, zero content length, Location header
        st, h2, body2 = self.s.url(h["location"], "PUT", body=b"x" * 24930,
                                   headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(st, 201)
        self.assertEqual(h2["content-length"], "0")
        self.assertEqual(body2, b"")
        self.assertTrue(h2["location"].endswith(path), h2["location"])
        fs = self.status_of(path)
        self.assertEqual((fs["type"], fs["length"], fs["owner"], fs["permission"],
                          fs["replication"], fs["blockSize"]),
                         ("FILE", 24930, "webuser", "640", 2, 1048576))

    def test_create_default_permission_644(self):
        path = self.dir + "/f"
        self.create(path, b"1")
        self.assertEqual(self.status_of(path)["permission"], "644")

    def test_create_noredirect(self):
        path = self.dir + "/nr"
        st, h, body = self.s.nn("PUT", path, op="CREATE", noredirect="true",
                                **{"user.name": "alice"})
        # HTTP/1.1 200 OK / Content-Type: application/json / {"Location":"http://<DATANODE>..."}
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        loc = json.loads(body)["Location"]
        self.assertTrue(loc.startswith("http://%s:%d%s" % (*self.s.addr["datanode"],
                                                           PREFIX + path)), loc)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        self.assertEqual(q["op"], "CREATE")
        self.assertNotIn("noredirect", q)
        st, _, _ = self.s.url(loc, "PUT", body=b"data")
        self.assertEqual(st, 201)
        self.assertEqual(self.read(path), b"data")

    def test_data_sent_to_namenode_is_not_stored(self):
        path = self.dir + "/nn-body"
        self.s.admin("GET", "/admin/reset")
        st, h, _ = self.s.nn("PUT", path, op="CREATE", body=b"junk",
                             **{"user.name": "alice"})
        self.assertEqual(st, 307)
        st, _, _ = self.s.nn("GET", path, op="GETFILESTATUS")
        self.assertEqual(st, 404)
        self.assertFalse(os.path.exists(os.path.join(self.s.data, path.lstrip("/"))))
        self.assertEqual(self.stats()["bytes"]["discarded"]["namenode"], 4)

    def test_create_overwrite(self):
        path = self.dir + "/ow"
        self.create(path, b"first")
        # overwrite defaults to false: FileAlreadyExistsException, from the DN
        # (step 1 does not look at the namespace)
        st, h, body = self.s.nn("PUT", path, op="CREATE", **{"user.name": "alice"})
        self.assertEqual(st, 307)
        st, h2, body2 = self.s.url(h["location"], "PUT", body=b"second")
        remote_exception(self, st, h2, body2, "FileAlreadyExistsException",
                         "org.apache.hadoop.fs.FileAlreadyExistsException", 403)
        self.assertEqual(h2.get("connection"), "close")
        self.assertEqual(self.read(path), b"first")
        self.create(path, b"third", overwrite="true")
        self.assertEqual(self.read(path), b"third")

    def test_create_chunked_body(self):
        path = self.dir + "/chunked"
        st, h, _ = self.s.nn("PUT", path, op="CREATE", **{"user.name": "alice"})
        u = urllib.parse.urlsplit(h["location"])
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        conn.request("PUT", u.path + "?" + u.query,
                     body=iter([b"abc", b"", b"defgh", b"i" * 70000]),
                     encode_chunked=True)
        r = conn.getresponse()
        r.read()
        conn.close()
        self.assertEqual(r.status, 201)
        self.assertEqual(self.read(path), b"abcdefgh" + b"i" * 70000)

    def test_expect_100_continue(self):
        path = self.dir + "/expect"
        st, h, _ = self.s.nn("PUT", path, op="CREATE", **{"user.name": "alice"})
        u = urllib.parse.urlsplit(h["location"])
        with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
            sock.sendall(("PUT %s?%s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: 5\r\n"
                          "Expect: 100-continue\r\n\r\n"
                          % (u.path, u.query, u.hostname, u.port)).encode())
            first = recv_until(sock, b"\r\n\r\n")
            self.assertTrue(first.startswith(b"HTTP/1.1 100"), first)
            sock.sendall(b"hello")
            final = recv_until(sock, b"\r\n\r\n")
            self.assertTrue(final.startswith(b"HTTP/1.1 201"), final)
        self.assertEqual(self.read(path), b"hello")

    # -- "Append to a File" --------------------------------------------------------
    def test_append_two_steps(self):
        path = self.dir + "/log"
        self.create(path, b"one\n")
        st, h, body = self.s.nn("POST", path, op="APPEND", buffersize="4096",
                                **{"user.name": "alice"})
        self.assertEqual(st, 307)
        self.assertEqual(h["content-length"], "0")
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(h["location"]).query))
        self.assertEqual(q["op"], "APPEND")
        # HTTP/1.1 200 OK / Content-Length: 0
        st, h2, body2 = self.s.url(h["location"], "POST", body=b"two\n")
        self.assertEqual(st, 200)
        self.assertEqual(h2["content-length"], "0")
        self.assertEqual(body2, b"")
        self.append(path, b"three\n")
        self.assertEqual(self.read(path), b"one\ntwo\nthree\n")

    def test_append_missing_file_404_at_step_1(self):
        st, h, body = self.s.nn("POST", self.dir + "/none", op="APPEND",
                                **{"user.name": "alice"})
        remote_exception(self, st, h, body, "FileNotFoundException",
                         "java.io.FileNotFoundException", 404)

    def test_concurrent_append_already_being_created(self):
        path = self.dir + "/leased"
        self.create(path, b"base:")
        st, h, _ = self.s.nn("POST", path, op="APPEND", **{"user.name": "w1"})
        u = urllib.parse.urlsplit(h["location"])
        first = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        first.putrequest("POST", u.path + "?" + u.query)
        first.putheader("Transfer-Encoding", "chunked")
        first.putheader("Content-Type", "application/octet-stream")
        first.endheaders()
        first.send(b"5\r\nhello\r\n")
        deadline = time.monotonic() + 5
        while True:
            leases = self.s.admin("GET", "/admin/leases")[1]["leases"]
            if any(L["path"] == path and L["kind"] == "write" for L in leases):
                break
            self.assertLess(time.monotonic(), deadline, "no write lease appeared")
            time.sleep(0.02)
        # a second writer while the first transfer streams
        st, h2, body2 = self.s.nn("POST", path, op="APPEND", **{"user.name": "w2"})
        self.assertEqual(st, 307)
        st, h3, body3 = self.s.url(h2["location"], "POST", body=b"XXXX")
        re_ = remote_exception(self, st, h3, body3, "AlreadyBeingCreatedException",
                               "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException",
                               403)
        self.assertIn("Failed to APPEND_FILE %s" % path, re_["message"])
        # CREATE overwrite=false also meets the lease first (recoverLeaseInternal)
        st, h4, _ = self.s.nn("PUT", path, op="CREATE", **{"user.name": "w3"})
        st, h5, body5 = self.s.url(h4["location"], "PUT", body=b"Y")
        remote_exception(self, st, h5, body5, "AlreadyBeingCreatedException", None, 403)
        first.send(b"6\r\n world\r\n0\r\n\r\n")
        r = first.getresponse()
        r.read()
        first.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(self.read(path), b"base:hello world")
        self.assertEqual(self.s.admin("GET", "/admin/leases")[1]["leases"], [])
        self.append(path, b"!")             # lease released at the end of the transfer

    def test_client_disconnect_mid_body(self):
        # bytes received before the disconnect stay (the DN closes its output
        # stream when the channel goes inactive) and the lease is released
        path = self.dir + "/cut"
        st, h, _ = self.s.nn("PUT", path, op="CREATE", **{"user.name": "alice"})
        u = urllib.parse.urlsplit(h["location"])
        with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
            sock.sendall(("PUT %s?%s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
                          "0123456789" % (u.path, u.query)).encode())
            time.sleep(0.2)
        deadline = time.monotonic() + 5
        while self.s.admin("GET", "/admin/leases")[1]["leases"]:
            self.assertLess(time.monotonic(), deadline, "lease not released")
            time.sleep(0.02)
        self.assertEqual(self.read(path), b"0123456789")
        self.append(path, b"!")

    def test_lease_hold_recovery_in_progress(self):
        path = self.dir + "/held"
        self.s.admin("POST", "/admin/faults", {"lease_hold_seconds": 1.0})
        t0 = time.monotonic()
        self.create(path, b"a")
        st, h, _ = self.s.nn("POST", path, op="APPEND", **{"user.name": "alice"})
        self.assertEqual(st, 307)              # the NN does not check leases
        st, h2, body2 = self.s.url(h["location"], "POST", body=b"b")
        re_ = remote_exception(self, st, h2, body2, "RecoveryInProgressException",
                               "org.apache.hadoop.hdfs.protocol.RecoveryInProgressException",
                               403)
        self.assertIn("lease recovery is in progress. Try again later.", re_["message"])
        time.sleep(max(0.0, 1.15 - (time.monotonic() - t0)))
        self.s.admin("POST", "/admin/faults", {"lease_hold_seconds": 0})
        self.append(path, b"b")
        self.assertEqual(self.read(path), b"ab")

    # -- "Open and Read a File" ------------------------------------------------------
    def test_open(self):
        path = self.dir + "/hello"
        text = b"Hello, webhdfs user!\n"
        self.create(path, text)
        st, h, body = self.s.nn("GET", path, op="OPEN")
        self.assertEqual(st, 307)
        self.assertEqual(h["content-length"], "0")
        st, h2, data = self.s.url(h["location"], "GET")
        self.assertEqual(st, 200)
        self.assertEqual(h2["content-type"], "application/octet-stream")
        self.assertEqual(h2["content-length"], str(len(text)))
        self.assertEqual(data, text)
        self.assertEqual(self.read(path, offset="7", length="7"), b"webhdfs")
        self.assertEqual(self.read(path, offset=str(len(text))), b"")
        st, h, _ = self.s.nn("GET", path, op="OPEN", offset="1000")
        st, h2, body2 = self.s.url(h["location"], "GET")
        remote_exception(self, st, h2, body2, "EOFException", "java.io.EOFException", 403)
        st, h, body = self.s.nn("GET", self.dir + "/nothing", op="OPEN")
        remote_exception(self, st, h, body, "FileNotFoundException", None, 404)

    # -- "Make a Directory" ----------------------------------------------------------
    def test_mkdirs(self):
        path = self.dir + "/x/y/z"
        st, h, body = self.s.nn("PUT", path, op="MKDIRS", permission="711",
                                **{"user.name": "username"})
        # HTTP/1.1 200 OK / Content-Type: application/json / {"boolean": true}
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        self.assertEqual(json.loads(body), {"boolean": True})
        fs = self.status_of(path)
        self.assertEqual((fs["type"], fs["permission"], fs["owner"]),
                         ("DIRECTORY", "711", "username"))
        st, _, body = self.s.nn("PUT", path, op="MKDIRS")       # exists: still true
        self.assertEqual((st, json.loads(body)), (200, {"boolean": True}))
        st, _, _ = self.s.nn("PUT", self.dir + "/d755", op="MKDIRS")
        self.assertEqual(self.status_of(self.dir + "/d755")["permission"], "755")
        self.create(self.dir + "/file", b"f")
        st, h, body = self.s.nn("PUT", self.dir + "/file", op="MKDIRS")
        remote_exception(self, st, h, body, "FileAlreadyExistsException", None, 403)
        st, h, body = self.s.nn("PUT", self.dir + "/bad", op="MKDIRS", permission="999")
        re_ = remote_exception(self, st, h, body, "IllegalArgumentException",
                               "java.lang.IllegalArgumentException", 400)
        self.assertIn('Invalid value for webhdfs parameter "permission"', re_["message"])

    # -- "Rename a File/Directory" -----------------------------------------------------
    def test_rename(self):
        d = self.dir
        self.create(d + "/a", b"A")
        st, h, body = self.s.nn("PUT", d + "/a", op="RENAME", destination=d + "/b")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        self.assertEqual(json.loads(body), {"boolean": True})
        self.assertEqual(self.read(d + "/b"), b"A")
        # HDFS rename(src, dst): failures are false, not exceptions
        st, _, body = self.s.nn("PUT", d + "/a", op="RENAME", destination=d + "/c")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": False}))  # no source
        self.create(d + "/c", b"C")
        st, _, body = self.s.nn("PUT", d + "/b", op="RENAME", destination=d + "/c")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": False}))  # dst exists
        st, _, body = self.s.nn("PUT", d + "/b", op="RENAME",
                                destination=d + "/no/such/parent")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": False}))
        # an existing directory as destination: the source moves into it
        self.s.nn("PUT", d + "/dir", op="MKDIRS")
        st, _, body = self.s.nn("PUT", d + "/b", op="RENAME", destination=d + "/dir")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": True}))
        self.assertEqual(self.read(d + "/dir/b"), b"A")
        st, _, body = self.s.nn("PUT", d + "/dir", op="RENAME", destination=d + "/dir/sub")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": False}))  # into itself
        st, h, body = self.s.nn("PUT", d + "/c", op="RENAME", destination="relative")
        remote_exception(self, st, h, body, "IllegalArgumentException", None, 400)

    # -- "Delete a File/Directory" -----------------------------------------------------
    def test_delete(self):
        d = self.dir
        self.create(d + "/sub/f", b"1")
        st, h, body = self.s.nn("DELETE", d + "/sub", op="DELETE")
        re_ = remote_exception(self, st, h, body, "PathIsNotEmptyDirectoryException",
                               "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException", 403)
        self.assertIn("is non empty", re_["message"])
        st, h, body = self.s.nn("DELETE", d + "/sub", op="DELETE", recursive="true")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        self.assertEqual(json.loads(body), {"boolean": True})
        st, _, body = self.s.nn("DELETE", d + "/sub", op="DELETE")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": False}))
        self.create(d + "/g", b"1")
        st, _, body = self.s.nn("DELETE", d + "/g", op="DELETE", recursive="false")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": True}))
        st, _, body = self.s.nn("DELETE", "/", op="DELETE", recursive="true")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": False}))

    # -- "Status of a File/Directory", "List a Directory", "List a File" --------------
    def check_filestatus(self, fs):
        self.assertEqual(set(fs), FILESTATUS_KEYS)
        for k in FILESTATUS_INT:
            self.assertIsInstance(fs[k], int, k)
            self.assertNotIsInstance(fs[k], bool, k)
        for k in FILESTATUS_STR:
            self.assertIsInstance(fs[k], str, k)
        self.assertIn(fs["type"], ("FILE", "DIRECTORY", "SYMLINK"))
        self.assertRegex(fs["permission"], r"^[0-7]{3,4}$")
        if fs["type"] == "DIRECTORY":
            self.assertEqual((fs["length"], fs["replication"], fs["blockSize"]), (0, 0, 0))

    def test_getfilestatus(self):
        d = self.dir
        self.create(d + "/a.patch", b"p" * 100, user="webuser")
        st, h, body = self.s.nn("GET", d + "/a.patch", op="GETFILESTATUS")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        obj = json.loads(body)
        self.assertEqual(set(obj), {"FileStatus"})
        fs = obj["FileStatus"]
        self.check_filestatus(fs)
        self.assertEqual((fs["pathSuffix"], fs["type"], fs["length"], fs["owner"],
                          fs["group"]), ("", "FILE", 100, "webuser", "supergroup"))
        self.assertGreater(fs["modificationTime"], 1_000_000_000_000)
        dfs = self.status_of(d)
        self.check_filestatus(dfs)
        self.assertEqual((dfs["type"], dfs["pathSuffix"], dfs["childrenNum"]),
                         ("DIRECTORY", "", 1))
        self.assertNotEqual(dfs["fileId"], fs["fileId"])
        root = self.status_of("/")
        self.check_filestatus(root)
        self.assertEqual(root["type"], "DIRECTORY")

    def test_liststatus(self):
        d = self.dir
        for name in ("b", "a.patch", "C", "bar"):
            self.create(d + "/" + name, name.encode())
        self.s.nn("PUT", d + "/dir", op="MKDIRS")
        st, h, body = self.s.nn("GET", d, op="LISTSTATUS")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        obj = json.loads(body)
        self.assertEqual(set(obj), {"FileStatuses"})
        self.assertEqual(set(obj["FileStatuses"]), {"FileStatus"})
        entries = obj["FileStatuses"]["FileStatus"]
        for fs in entries:
            self.check_filestatus(fs)
        self.assertEqual([e["pathSuffix"] for e in entries], ["C", "a.patch", "b", "bar", "dir"])
        self.assertEqual(entries[1]["length"], len(b"a.patch"))
        self.assertEqual(entries[4]["type"], "DIRECTORY")
        # "List a File": one entry with pathSuffix ""
        st, _, body = self.s.nn("GET", d + "/b", op="LISTSTATUS")
        entries = json.loads(body)["FileStatuses"]["FileStatus"]
        self.assertEqual(len(entries), 1)
        self.assertEqual((entries[0]["pathSuffix"], entries[0]["type"]), ("", "FILE"))
        st, h, body = self.s.nn("GET", d + "/missing", op="LISTSTATUS")
        remote_exception(self, st, h, body, "FileNotFoundException", None, 404)

    def test_liststatus_batch(self):
        d = self.dir
        for name in ("bardir", "bazfile", "foodir", "quxfile"):
            self.s.nn("PUT", d + "/" + name, op="MKDIRS")
        st, _, body = self.s.nn("GET", d, op="LISTSTATUS_BATCH", startAfter="bazfile")
        dl = json.loads(body)["DirectoryListing"]
        self.assertEqual(set(dl), {"partialListing", "remainingEntries"})
        names = [e["pathSuffix"] for e in dl["partialListing"]["FileStatuses"]["FileStatus"]]
        self.assertEqual((names, dl["remainingEntries"]), (["foodir", "quxfile"], 0))

    # -- "Concat File(s)", "Truncate a File" -------------------------------------------
    def test_concat(self):
        d = self.dir
        self.create(d + "/t", b"T")
        self.create(d + "/s1", b"1")
        self.create(d + "/s2", b"22")
        st, h, body = self.s.nn("POST", d + "/t", op="CONCAT",
                                sources="%s/s1,%s/s2" % (d, d))
        self.assertEqual((st, h["content-length"], body), (200, "0", b""))
        self.assertEqual(self.read(d + "/t"), b"T122")
        st, _, _ = self.s.nn("GET", d + "/s1", op="GETFILESTATUS")
        self.assertEqual(st, 404)
        self.create(d + "/other/s3", b"3")
        st, h, body = self.s.nn("POST", d + "/t", op="CONCAT", sources=d + "/other/s3")
        remote_exception(self, st, h, body, "HadoopIllegalArgumentException", None, 400)

    def test_truncate(self):
        d = self.dir
        self.s.admin("POST", "/admin/faults", {"truncate_recovery_ms": 300})
        self.create(d + "/f", b"0123456789")
        st, h, body = self.s.nn("POST", d + "/f", op="TRUNCATE", newlength="10")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": True}))
        st, h, body = self.s.nn("POST", d + "/f", op="TRUNCATE", newlength="4")
        # not on a block boundary: false = block recovery runs, wait before APPEND
        self.assertEqual((st, json.loads(body)), (200, {"boolean": False}))
        self.assertEqual(self.status_of(d + "/f")["length"], 4)
        self.append(d + "/f", b"x", expect=403)
        st, h, body = self.s.nn("POST", d + "/f", op="TRUNCATE", newlength="2")
        remote_exception(self, st, h, body, "AlreadyBeingCreatedException", None, 403)
        time.sleep(0.4)
        self.append(d + "/f", b"x")
        self.assertEqual(self.read(d + "/f"), b"0123x")
        st, h, body = self.s.nn("POST", d + "/f", op="TRUNCATE", newlength="99")
        remote_exception(self, st, h, body, "HadoopIllegalArgumentException", None, 400)
        self.create(d + "/g", b"abcdefgh", blocksize="4")
        st, h, body = self.s.nn("POST", d + "/g", op="TRUNCATE", newlength="4")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": True}))

    # -- "Error Responses" -------------------------------------------------------------
    def test_file_not_found_shape(self):
        path = self.dir + "/a.patch"
        st, h, body = self.s.nn("GET", path, op="GETFILESTATUS")
        self.assertEqual(st, 404)
        self.assertEqual(json.loads(body), {"RemoteException": {
            "exception": "FileNotFoundException",
            "javaClassName": "java.io.FileNotFoundException",
            "message": "File does not exist: %s" % path}})

    def test_bad_ops(self):
        st, h, body = self.s.nn("GET", "/", op="NOSUCHOP")
        remote_exception(self, st, h, body, "IllegalArgumentException",
                         "java.lang.IllegalArgumentException", 400)
        st, h, body = self.s.nn("GET", "/", op="MKDIRS")          # a PUT op sent as GET
        remote_exception(self, st, h, body, "IllegalArgumentException", None, 400)
        st, h, body = self.s.nn("GET", "/", op="GETXATTRS")        # valid, not implemented
        remote_exception(self, st, h, body, "UnsupportedOperationException",
                         "java.lang.UnsupportedOperationException", 400)
        st, h, body = self.s.nn("PUT", self.dir + "/f", op="CREATE", overwrite="maybe")
        remote_exception(self, st, h, body, "IllegalArgumentException", None, 400)
        # op names and values are case-insensitive
        st, _, body = self.s.request("namenode", "GET", PREFIX + "/?OP=getfilestatus")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body)["FileStatus"]["type"], "DIRECTORY")

    def test_standby(self):
        # every op on the standby port: 403 StandbyException
        for method, op in (("GET", "GETFILESTATUS"), ("GET", "LISTSTATUS"),
                           ("PUT", "MKDIRS"), ("PUT", "CREATE"), ("POST", "APPEND"),
                           ("DELETE", "DELETE"), ("GET", "OPEN")):
            st, h, body = self.s.nn(method, self.dir, op=op, role="standby")
            re_ = remote_exception(self, st, h, body, "StandbyException",
                                   "org.apache.hadoop.ipc.StandbyException", 403)
            self.assertIn("not supported in state standby", re_["message"])
        # failover: the standby becomes active, the namenode standby
        self.s.admin("POST", "/admin/faults", {"standby": False, "nn_standby": True})
        st, _, body = self.s.nn("GET", "/", op="GETFILESTATUS", role="standby")
        self.assertEqual(st, 200)
        st, h, body = self.s.nn("GET", "/", op="GETFILESTATUS")
        remote_exception(self, st, h, body, "StandbyException", None, 403)

    # -- fault injection -----------------------------------------------------------------
    def dn_open_statuses(self, loc, n):
        out = []
        for _ in range(n):
            st, h, body = self.s.url(loc, "GET")
            if st != 200:
                remote_exception(self, st, h, body, "RetriableException", None, 503)
            out.append(st)
        return out

    def test_dn_error_rate_seeded(self):
        path = self.dir + "/f"
        self.create(path, b"z")
        st, h, _ = self.s.nn("GET", path, op="OPEN")
        loc = h["location"]
        self.s.admin("GET", "/admin/reset")
        self.s.admin("POST", "/admin/faults", {"seed": 42, "dn_error_rate": 0.1,
                                               "dn_status": 503})
        a = self.dn_open_statuses(loc, 200)
        n503 = a.count(503)
        self.assertTrue(8 <= n503 <= 35, n503)
        self.assertEqual(n503 + a.count(200), 200)
        self.assertEqual(self.stats()["requests"]["datanode"]["status"].get("503"), n503)
        self.s.admin("POST", "/admin/faults", {"seed": 42})
        b = self.dn_open_statuses(loc, 200)
        self.assertEqual(a, b)                  # same seed, same sequence
        # the namenode is not affected by dn_ faults
        st, _, _ = self.s.nn("GET", path, op="GETFILESTATUS")
        self.assertEqual(st, 200)

    def test_namenode_down_and_back(self):
        host, port = self.s.addr["namenode"]
        t0 = time.monotonic()
        st, obj = self.s.admin("POST", "/admin/faults", {"nn_down_seconds": 2})
        self.assertEqual(st, 200)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((host, port), timeout=2).close()
        # the other ports keep answering
        st, _, _ = self.s.nn("GET", "/", op="GETFILESTATUS", role="standby")
        self.assertEqual(st, 403)
        while True:
            try:
                socket.create_connection((host, port), timeout=2).close()
                break
            except ConnectionRefusedError:
                self.assertLess(time.monotonic() - t0, 6, "namenode did not come back")
                time.sleep(0.05)
        elapsed = time.monotonic() - t0
        self.assertGreater(elapsed, 1.8)
        st, _, _ = self.s.nn("GET", "/", op="GETFILESTATUS")
        self.assertEqual(st, 200)

    def test_drop_connection(self):
        self.s.admin("POST", "/admin/faults", {"nn_drop_rate": 1.0})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.s.nn("GET", "/", op="GETFILESTATUS")
        self.s.admin("DELETE", "/admin/faults")
        self.s.admin("POST", "/admin/faults", {"rules": [
            {"port": "namenode", "op": "MKDIRS", "action": "drop", "count": 1}]})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.s.nn("PUT", self.dir + "/d", op="MKDIRS")
        st, _, _ = self.s.nn("GET", self.dir + "/d", op="GETFILESTATUS")
        self.assertEqual(st, 404)               # dropped before it ran
        st, _, body = self.s.nn("PUT", self.dir + "/d", op="MKDIRS")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": True}))
        self.assertGreaterEqual(self.stats()["faults"]["drop"], 2)

    def test_drop_after_rename(self):
        d = self.dir
        self.create(d + "/src", b"s")
        self.s.admin("POST", "/admin/faults", {"rules": [
            {"port": "nn", "op": "RENAME", "action": "drop_after"}]})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.s.nn("PUT", d + "/src", op="RENAME", destination=d + "/dst")
        # the rename happened; a blind retry now answers false
        st, _, body = self.s.nn("PUT", d + "/src", op="RENAME", destination=d + "/dst")
        self.assertEqual((st, json.loads(body)), (200, {"boolean": False}))
        self.assertEqual(self.read(d + "/dst"), b"s")

    def test_injected_dn_error_before_100_continue(self):
        path = self.dir + "/e"
        st, h, _ = self.s.nn("PUT", path, op="CREATE", **{"user.name": "alice"})
        self.s.admin("POST", "/admin/faults", {"rules": [
            {"port": "datanode", "op": "CREATE", "status": 503}]})
        u = urllib.parse.urlsplit(h["location"])
        with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
            sock.sendall(("PUT %s?%s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                          "Expect: 100-continue\r\n\r\n" % (u.path, u.query)).encode())
            first = recv_until(sock, b"\r\n\r\n")
            self.assertTrue(first.startswith(b"HTTP/1.1 503"), first)
        st, _, _ = self.s.nn("GET", path, op="GETFILESTATUS")
        self.assertEqual(st, 404)

    # -- paths -----------------------------------------------------------------------------
    def test_percent_encoded_names(self):
        d = self.dir
        names = ["a b", "ü€ 日本", "100%", "x+y", "semi;colon", "q?mark", "hash#", "50%25"]
        for n in names:
            self.create(d + "/" + n, n.encode("utf-8"))
        st, _, body = self.s.nn("GET", d, op="LISTSTATUS")
        listed = [e["pathSuffix"] for e in json.loads(body)["FileStatuses"]["FileStatus"]]
        self.assertEqual(listed, sorted(names, key=lambda s: s.encode("utf-8")))
        for n in names:
            self.assertEqual(self.read(d + "/" + n), n.encode("utf-8"))
            self.assertTrue(os.path.isfile(os.path.join(self.s.data, d.lstrip("/"), n)), n)
        # a literal '+' in a path is a plus, not a space
        st, _, body = self.s.request("namenode", "GET", PREFIX + d + "/x+y?op=GETFILESTATUS")
        self.assertEqual((st, json.loads(body)["FileStatus"]["length"]), (200, 3))
        # a raw '%' that is not an escape, and a raw ';', are refused
        st, h, body = self.s.request("namenode", "GET", PREFIX + d + "/100%zz?op=GETFILESTATUS")
        remote_exception(self, st, h, body, "IllegalArgumentException", None, 400)
        st, h, body = self.s.request("namenode", "GET", PREFIX + d + "/semi;colon?op=GETFILESTATUS")
        remote_exception(self, st, h, body, "IllegalArgumentException", None, 400)
        # rename to a percent-encoded destination with spaces and unicode
        st, _, body = self.s.nn("PUT", d + "/a b", op="RENAME", destination=d + "/c d é")
        self.assertEqual(json.loads(body), {"boolean": True})
        self.assertEqual(self.read(d + "/c d é"), b"a b")

    def test_dotdot_and_invalid_names_rejected(self):
        d = self.dir
        self.s.nn("PUT", d, op="MKDIRS")
        outside = os.path.join(self.s.root, "escaped")
        for raw in (PREFIX + "/../escaped?op=MKDIRS",
                    PREFIX + d + "/../../../escaped?op=MKDIRS",
                    PREFIX + "/%2E%2E/escaped?op=MKDIRS",
                    PREFIX + d + "/./x?op=MKDIRS",
                    PREFIX + d + "/a:b?op=MKDIRS",
                    PREFIX + d + "//x?op=MKDIRS"):
            st, h, body = self.s.request("namenode", "PUT", raw)
            remote_exception(self, st, h, body, "InvalidPathException",
                             "org.apache.hadoop.fs.InvalidPathException", 400)
        # the datanode checks its path too
        st, h, _ = self.s.nn("PUT", d + "/ok", op="CREATE", **{"user.name": "alice"})
        loc = h["location"].replace(PREFIX + d + "/ok", PREFIX + "/../../escaped")
        st, h2, body2 = self.s.url(loc, "PUT", body=b"evil")
        remote_exception(self, st, h2, body2, "InvalidPathException", None, 400)
        st, h, body = self.s.nn("PUT", d, op="RENAME", destination="/../escaped")
        remote_exception(self, st, h, body, "InvalidPathException", None, 400)
        self.assertFalse(os.path.exists(outside))
        self.assertEqual(sorted(os.listdir(self.s.root)), ["data"])

    # -- auth ----------------------------------------------------------------------------
    def test_delegation_token(self):
        st, _, body = self.s.nn("GET", "/", op="GETDELEGATIONTOKEN", **{"user.name": "carol"})
        tok = json.loads(body)["Token"]["urlString"]
        path = self.dir + "/dt"
        st, h, _ = self.s.nn("PUT", path, op="CREATE", delegation=tok)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(h["location"]).query))
        self.assertEqual(q.get("delegation"), tok)
        self.assertNotIn("user.name", q)
        st, _, _ = self.s.url(h["location"], "PUT", body=b"t")
        self.assertEqual(st, 201)
        self.assertEqual(self.status_of(path)["owner"], "carol")
        st, _, body = self.s.nn("PUT", "/", op="RENEWDELEGATIONTOKEN", token=tok)
        self.assertIsInstance(json.loads(body)["long"], int)
        st, _, _ = self.s.nn("PUT", "/", op="CANCELDELEGATIONTOKEN", token=tok)
        self.assertEqual(st, 200)
        st, h, body = self.s.nn("GET", path, op="GETFILESTATUS", delegation=tok)
        remote_exception(self, st, h, body, "InvalidToken",
                         "org.apache.hadoop.security.token.SecretManager$InvalidToken", 403)

    def test_user_name_is_owner_and_default_user(self):
        self.create(self.dir + "/u", b"u", user="bob")
        self.assertEqual(self.status_of(self.dir + "/u")["owner"], "bob")
        st, h, _ = self.s.nn("PUT", self.dir + "/anon", op="CREATE")
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(h["location"]).query))
        self.assertEqual(q["user.name"], "dr.who")
        st, h, body = self.s.nn("GET", "/", op="GETFILESTATUS", **{"user.name": "bad user"})
        remote_exception(self, st, h, body, "IllegalArgumentException", None, 400)

    def test_require_user_flag_and_ready_file(self):
        ready = os.path.join(tempfile.mkdtemp(prefix="webhdfs-ready-"), "ready")
        other = Server("--require-user", "--ready-file", ready)
        try:
            with open(ready) as f:
                self.assertEqual(f.read(), other.ready_line + "\n")
            shutil.rmtree(os.path.dirname(ready))
            st, h, body = other.nn("GET", "/", op="GETFILESTATUS")
            remote_exception(self, st, h, body, "SecurityException",
                             "java.lang.SecurityException", 401)
            st, _, _ = other.nn("GET", "/", op="GETFILESTATUS", **{"user.name": "alice"})
            self.assertEqual(st, 200)
        finally:
            self.assertEqual(other.stop(), 0)

    # -- stats -----------------------------------------------------------------------------
    def test_stats_and_keepalive(self):
        self.create(self.dir + "/s", b"1")
        self.s.admin("GET", "/admin/reset")
        conn = http.client.HTTPConnection(*self.s.addr["namenode"], timeout=10)
        try:
            for _ in range(3):
                st, _, _ = self.s.request("namenode", "GET",
                                          self.s.target(self.dir + "/s", op="GETFILESTATUS"),
                                          conn=conn)
                self.assertEqual(st, 200)
        finally:
            conn.close()
        self.append(self.dir + "/s", b"2")
        s = self.stats()
        nn, dn = s["requests"]["namenode"], s["requests"]["datanode"]
        self.assertEqual(nn["ops"], {"GETFILESTATUS": 3, "APPEND": 1})
        self.assertEqual(nn["total"], 4)
        self.assertEqual(dn["ops"], {"APPEND": 1})
        self.assertEqual(nn["status"], {"200": 3, "307": 1})
        self.assertEqual(s["connections"]["namenode"], 2)   # 3 requests on one connection
        self.assertEqual(s["bytes"]["datanode_received"], 1)
        self.s.admin("GET", "/admin/reset")
        self.assertEqual(self.stats()["requests"]["namenode"]["total"], 0)

    def test_admin_rejects_unknown_fault(self):
        st, obj = self.s.admin("POST", "/admin/faults", {"no_such_fault": 1})
        self.assertEqual(st, 400)
        st, obj = self.s.admin("POST", "/admin/faults", {"dn_error_rate": 2})
        self.assertEqual(st, 400)


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl CLI")
class WebHdfsTlsTest(unittest.TestCase):
    """--tls-cert/--tls-key: swebhdfs.  The namenode, datanode and standby
    ports speak HTTPS with a self-signed certificate for IP:127.0.0.1, the
    307 Location is https://DN, the admin port stays plain HTTP."""
    srv = None

    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="webhdfs-tls-")
        cls.cert = os.path.join(cls.certdir, "c.pem")
        key = os.path.join(cls.certdir, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cls.cert, "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.ctx = ssl.create_default_context(cafile=cls.cert)
        cls.srv = Server("--tls-cert", cls.cert, "--tls-key", key)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv is not None:
                rc = cls.srv.stop()
                if rc != 0:
                    raise AssertionError("server exit status after SIGTERM: %r" % rc)
        finally:
            shutil.rmtree(cls.certdir, ignore_errors=True)

    def setUp(self):
        self.s = self.srv
        self.s.admin("DELETE", "/admin/faults")
        self.s.admin("GET", "/admin/reset?leases=1")
        self.dir = "/tls/" + self._testMethodName

    def https_url(self, role, path, **params):
        host, port = self.s.addr[role]
        return "https://%s:%d%s" % (host, port, self.s.target(path, **params))

    def urlopen(self, url, method="GET", data=None, ctx=None):
        """(status, headers, body) of one request; a 3xx/4xx is an answer
        too (urllib follows a 307 only for GET)."""
        req = urllib.request.Request(url, data=data, method=method)
        try:
            with urllib.request.urlopen(req, context=ctx or self.ctx, timeout=15) as r:
                return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def tls_stats(self):
        return self.s.admin("GET", "/admin/stats")[1]["tls"]

    def test_ready_line_and_plain_http_admin(self):
        self.assertTrue(self.s.ready_line.endswith(" tls=1"), self.s.ready_line)
        self.assertEqual([p.split("=")[0] for p in self.s.ready_line.split()],
                         ["namenode", "datanode", "standby", "admin", "pid", "tls"])
        st, obj = self.s.admin("GET", "/admin/health")     # plain HTTP
        self.assertEqual((st, obj["ok"]), (200, True))
        # the standby answers over HTTPS, as a standby
        st, h, body = self.urlopen(self.https_url("standby", "/", op="GETFILESTATUS"))
        remote_exception(self, st, h, body, "StandbyException", code=403)

    def test_https_create_two_steps_and_open(self):
        path = self.dir + "/f"
        data = b"tls" * 1000
        st, h, body = self.urlopen(self.https_url("namenode", path, op="CREATE",
                                                  overwrite="false", **{"user.name": "webuser"}),
                                   method="PUT", data=b"")
        self.assertEqual((st, body), (307, b""))
        loc = urllib.parse.urlsplit(h["location"])
        self.assertEqual(loc.scheme, "https")
        self.assertEqual((loc.hostname, loc.port), self.s.addr["datanode"])
        q = dict(urllib.parse.parse_qsl(loc.query))
        self.assertEqual((q["op"], q["user.name"]), ("CREATE", "webuser"))
        self.assertEqual(q["namenoderpcaddress"], "%s:%d" % self.s.addr["namenode"])
        st, h2, body2 = self.urlopen(h["location"], method="PUT", data=data)
        self.assertEqual((st, h2["content-length"], body2), (201, "0", b""))
        self.assertTrue(h2["location"].endswith(path), h2["location"])
        # noredirect=true gives the https Location in JSON too
        st, _, body = self.urlopen(self.https_url("namenode", path, op="APPEND",
                                                  noredirect="true", **{"user.name": "webuser"}),
                                   method="POST", data=b"")
        self.assertEqual(st, 200, body)
        self.assertTrue(json.loads(body)["Location"].startswith(
            "https://%s:%d/" % self.s.addr["datanode"]), body)
        # OPEN: urllib follows the 307 to the https datanode itself
        st, h3, got = self.urlopen(self.https_url("namenode", path, op="OPEN"))
        self.assertEqual((st, got), (200, data))
        self.assertEqual(h3["content-type"], "application/octet-stream")
        st, _, body = self.urlopen(self.https_url("namenode", path, op="GETFILESTATUS"))
        fs = json.loads(body)["FileStatus"]
        self.assertEqual((fs["length"], fs["owner"]), (len(data), "webuser"))
        t = self.tls_stats()
        self.assertGreaterEqual(t["handshakes"], 5)
        self.assertEqual(t["handshake_failures"], 0)

    def test_untrusted_client_and_plain_http_rejected(self):
        # a client that does not trust the certificate fails its handshake
        untrusting = ssl.create_default_context()
        with self.assertRaises(urllib.error.URLError) as cm:
            self.urlopen(self.https_url("namenode", "/", op="GETFILESTATUS"), ctx=untrusting)
        self.assertIsInstance(cm.exception.reason, ssl.SSLCertVerificationError)
        # as does one checking a host name the certificate is not for
        conn = http.client.HTTPSConnection("localhost", self.s.addr["namenode"][1],
                                           context=self.ctx, timeout=10)
        with self.assertRaises(ssl.SSLCertVerificationError):
            conn.request("GET", self.s.target("/", op="GETFILESTATUS"))
        conn.close()
        # plain HTTP to a TLS port gets no HTTP answer
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.s.request("datanode", "GET", self.s.target("/", op="OPEN"))
        deadline = time.monotonic() + 5
        while self.tls_stats()["handshake_failures"] < 3:
            self.assertLess(time.monotonic(), deadline, self.tls_stats())
            time.sleep(0.05)
        # the server keeps serving
        st, _, body = self.urlopen(self.https_url("namenode", "/", op="GETFILESTATUS"))
        self.assertEqual(st, 200, body)

    def test_https_after_namenode_down_and_back(self):
        st, _ = self.s.admin("POST", "/admin/faults", {"nn_down_seconds": 1})
        self.assertEqual(st, 200)
        t0 = time.monotonic()
        while True:
            try:
                st, _, body = self.urlopen(self.https_url("namenode", "/", op="GETFILESTATUS"))
                break
            except urllib.error.URLError as e:
                self.assertIsInstance(e.reason, ConnectionRefusedError)
                self.assertLess(time.monotonic() - t0, 6, "namenode did not come back")
                time.sleep(0.05)
        self.assertEqual(st, 200, body)          # listening again, still HTTPS
        self.assertGreater(time.monotonic() - t0, 0.8)


def recv_until(sock, marker, limit=65536):
    buf = b""
    while marker not in buf:
        d = sock.recv(4096)
        if not d:
            break
        buf += d
        if len(buf) > limit:
            break
    return buf


if __name__ == "__main__":
    unittest.main()
