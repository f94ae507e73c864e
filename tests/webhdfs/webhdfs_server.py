#!/usr/bin/env python3
"""A WebHDFS test server: a namenode, a datanode and a standby namenode in one
process, written to the Hadoop WebHDFS REST API (WebHDFS.md) and to the
behaviour of the Hadoop 3 NameNode/DataNode code where the doc is silent.
Python 3 standard library only.

    python3 webhdfs_server.py --root DIR [--bind 127.0.0.1] [--nn-port 0]
        [--dn-port 0] [--standby-port 0] [--admin-port 0] [--seed 1]
        [--ready-file FILE] [--require-user] [--exit-with-parent]
        [--tls-cert FILE --tls-key FILE] [-v]

When every port listens it prints ONE line to stdout and flushes it:

    namenode=127.0.0.1:N datanode=127.0.0.1:D standby=127.0.0.1:S admin=127.0.0.1:A pid=P

(--ready-file gets the same line, written atomically.)  SIGTERM/SIGINT stop
it with exit status 0.  See README.md next to this file for the admin API
(fault injection, stats, leases) and the list of spec facts it follows.

With --tls-cert/--tls-key the namenode, datanode and standby ports speak
HTTPS (swebhdfs), the redirects point at https://DN, and the line ends in
" tls=1"; the admin port stays plain HTTP.
"""

import argparse
import errno
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import ssl
import stat
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/webhdfs/v1"
ROLES = ("namenode", "datanode", "standby")
ROLE_PREFIX = {"namenode": "nn_", "datanode": "dn_", "standby": "sb_"}
ROLE_ALIASES = {"namenode": "namenode", "nn": "namenode",
                "datanode": "datanode", "dn": "datanode",
                "standby": "standby", "sb": "standby", "*": "*", "any": "*"}
JSON_NN = "application/json"
JSON_DN = "application/json; charset=utf-8"
OCTET = "application/octet-stream"
USER_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*[$]?$")
PERM_PATTERN = re.compile(r"^[01]?[0-7]{1,3}$")
MAX_COMPONENT_BYTES = 255          # dfs.namenode.fs-limits.max-component-length
DEFAULT_WEB_USER = "dr.who"        # hadoop.http.staticuser.user
TOKEN_LIFETIME_MS = 24 * 3600 * 1000
TLS_HANDSHAKE_TIMEOUT = 30         # seconds, per connection

# Valid WebHDFS ops per HTTP method (WebHDFS.md "Operations").  An op that is
# valid but not implemented here gives 400 UnsupportedOperationException; an
# op that is not valid for the method gives 400 IllegalArgumentException.
VALID_OPS = {
    "GET": {"OPEN", "GETFILESTATUS", "LISTSTATUS", "LISTSTATUS_BATCH",
            "GETCONTENTSUMMARY", "GETQUOTAUSAGE", "GETFILECHECKSUM",
            "GETHOMEDIRECTORY", "GETDELEGATIONTOKEN", "GETTRASHROOT",
            "GETXATTRS", "LISTXATTRS", "CHECKACCESS", "GETALLSTORAGEPOLICY",
            "GETSTORAGEPOLICY", "GETSNAPSHOTDIFF", "GETSNAPSHOTDIFFLISTING",
            "GETSNAPSHOTTABLEDIRECTORYLIST", "GETSNAPSHOTLIST",
            "GETFILEBLOCKLOCATIONS", "GETECPOLICY", "GETSERVERDEFAULTS",
            "GETLINKTARGET", "GETFILELINKSTATUS", "GETSTATUS",
            "GETECPOLICIES", "GETACLSTATUS", "GET_BLOCK_LOCATIONS", "NULL"},
    "PUT": {"CREATE", "MKDIRS", "CREATESYMLINK", "RENAME", "SETREPLICATION",
            "SETOWNER", "SETPERMISSION", "SETTIMES", "RENEWDELEGATIONTOKEN",
            "CANCELDELEGATIONTOKEN", "MODIFYACLENTRIES", "REMOVEACLENTRIES",
            "REMOVEDEFAULTACL", "REMOVEACL", "SETACL", "SETXATTR",
            "REMOVEXATTR", "ALLOWSNAPSHOT", "DISALLOWSNAPSHOT",
            "CREATESNAPSHOT", "RENAMESNAPSHOT", "SETSTORAGEPOLICY",
            "SATISFYSTORAGEPOLICY", "ENABLEECPOLICY", "DISABLEECPOLICY",
            "SETECPOLICY", "SETQUOTA", "SETQUOTABYSTORAGETYPE", "NULL"},
    "POST": {"APPEND", "CONCAT", "TRUNCATE", "UNSETSTORAGEPOLICY",
             "UNSETECPOLICY", "NULL"},
    "DELETE": {"DELETE", "DELETESNAPSHOT", "NULL"},
}
OP_PARAM_CLASS = {"GET": "GetOpParam", "PUT": "PutOpParam",
                  "POST": "PostOpParam", "DELETE": "DeleteOpParam"}
READ_OPS = VALID_OPS["GET"]

# exception simple name -> (HTTP status, javaClassName).  Statuses follow the
# NameNode/DataNode ExceptionHandler: FileNotFound 404, other IOException 403,
# IllegalArgument/UnsupportedOperation 400, RuntimeException 500; the doc's
# 401 for SecurityException is used for the --require-user check.
EXCEPTIONS = {
    "FileNotFoundException": (404, "java.io.FileNotFoundException"),
    "IOException": (403, "java.io.IOException"),
    "EOFException": (403, "java.io.EOFException"),
    "AccessControlException": (403, "org.apache.hadoop.security.AccessControlException"),
    "FileAlreadyExistsException": (403, "org.apache.hadoop.fs.FileAlreadyExistsException"),
    "ParentNotDirectoryException": (403, "org.apache.hadoop.fs.ParentNotDirectoryException"),
    "PathIsNotEmptyDirectoryException": (403, "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException"),
    "AlreadyBeingCreatedException": (403, "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException"),
    "RecoveryInProgressException": (403, "org.apache.hadoop.hdfs.protocol.RecoveryInProgressException"),
    "LeaseExpiredException": (403, "org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException"),
    "PathComponentTooLongException": (403, "org.apache.hadoop.hdfs.protocol.FSLimitException$PathComponentTooLongException"),
    "StandbyException": (403, "org.apache.hadoop.ipc.StandbyException"),
    "RetriableException": (403, "org.apache.hadoop.ipc.RetriableException"),
    "SafeModeException": (403, "org.apache.hadoop.hdfs.server.namenode.SafeModeException"),
    "InvalidToken": (403, "org.apache.hadoop.security.token.SecretManager$InvalidToken"),
    "IllegalArgumentException": (400, "java.lang.IllegalArgumentException"),
    "HadoopIllegalArgumentException": (400, "org.apache.hadoop.HadoopIllegalArgumentException"),
    "InvalidPathException": (400, "org.apache.hadoop.fs.InvalidPathException"),
    "UnsupportedOperationException": (400, "java.lang.UnsupportedOperationException"),
    "SecurityException": (401, "java.lang.SecurityException"),
    "RuntimeException": (500, "java.lang.RuntimeException"),
    "NullPointerException": (500, "java.lang.NullPointerException"),
}
STATUS_DEFAULT_EXCEPTION = {400: "IllegalArgumentException", 401: "SecurityException",
                            403: "IOException", 404: "FileNotFoundException",
                            500: "RuntimeException", 503: "RetriableException"}


def now_ms():
    return int(time.time() * 1000)


class WebHdfsError(Exception):
    """An error answered as {"RemoteException": {...}} with its HTTP status."""

    def __init__(self, exception, message, status=None, java=None):
        super().__init__(message)
        st, jc = EXCEPTIONS.get(exception, (403, None))
        self.exception = exception
        self.message = message
        self.status = status if status is not None else st
        self.java = java or jc or ("java.io." + exception)

    def json(self):
        return {"RemoteException": {"exception": self.exception,
                                    "javaClassName": self.java,
                                    "message": self.message}}


def bad_param(name, value, why):
    return WebHdfsError("IllegalArgumentException",
                        'Invalid value for webhdfs parameter "%s": %s' % (name, why))


class Dropped(Exception):
    """Raised to abandon a request: the connection is closed, no response."""


class IncompleteBody(ConnectionError):
    pass


class BadBody(Exception):
    pass


# --------------------------------------------------------------------------
# request bodies: Content-Length or chunked, read as a stream
# --------------------------------------------------------------------------

class Body:
    def __init__(self, rfile, headers):
        self.rfile = rfile
        self.chunked = False
        self.remaining = 0
        self.chunk_left = 0
        self.total = 0
        te = headers.get("Transfer-Encoding")
        cl = headers.get("Content-Length")
        if te is not None:
            codings = [c.strip().lower() for c in te.split(",") if c.strip()]
            if codings != ["chunked"]:
                raise BadBody("unsupported Transfer-Encoding: %s" % te)
            self.chunked = True
            self.done = False
        elif cl is not None:
            try:
                n = int(cl.strip())
                if n < 0:
                    raise ValueError
            except ValueError:
                raise BadBody("bad Content-Length: %r" % cl)
            self.remaining = n
            self.done = n == 0
        else:
            self.done = True
        self.present = not self.done

    def read(self, n=1 << 16):
        """Return the next bytes of the body, b"" at its end."""
        try:
            return self._read(n)
        except (socket.timeout, TimeoutError, ConnectionError, OSError) as e:
            if isinstance(e, IncompleteBody):
                raise
            raise IncompleteBody(str(e))

    def _read(self, n):
        if self.done:
            return b""
        if not self.chunked:
            data = self.rfile.read1(min(n, self.remaining))
            if not data:
                raise IncompleteBody("client closed the connection %d bytes "
                                     "before the end of the body" % self.remaining)
            self.remaining -= len(data)
            self.total += len(data)
            if self.remaining == 0:
                self.done = True
            return data
        if self.chunk_left == 0:
            line = self.rfile.readline(1024)
            if not line:
                raise IncompleteBody("client closed the connection inside a chunked body")
            if not line.endswith(b"\n"):
                raise BadBody("chunk-size line too long")
            size_s = line.split(b";", 1)[0].strip()
            try:
                size = int(size_s, 16)
                if size < 0:
                    raise ValueError
            except ValueError:
                raise BadBody("bad chunk size %r" % size_s)
            if size == 0:
                while True:         # trailer section
                    t = self.rfile.readline(65537)
                    if not t:
                        raise IncompleteBody("EOF in chunked trailer")
                    if t in (b"\r\n", b"\n"):
                        break
                self.done = True
                return b""
            self.chunk_left = size
        data = self.rfile.read1(min(n, self.chunk_left))
        if not data:
            raise IncompleteBody("client closed the connection inside a chunk")
        self.chunk_left -= len(data)
        self.total += len(data)
        if self.chunk_left == 0:
            crlf = self.rfile.readline(3)
            if crlf not in (b"\r\n", b"\n"):
                raise BadBody("chunk not followed by CRLF")
        return data

    def drain(self):
        n = 0
        while True:
            d = self.read()
            if not d:
                return n
            n += len(d)


# --------------------------------------------------------------------------
# namespace: files under --root, metadata in memory, leases
# --------------------------------------------------------------------------

class Lease:
    def __init__(self, kind, holder, machine, until=None, truncate_len=None):
        self.kind = kind              # "write" | "hold" | "recovery"
        self.holder = holder
        self.machine = machine
        self.until = until            # time.monotonic() deadline for hold/recovery
        self.truncate_len = truncate_len

    def expired(self):
        return self.until is not None and time.monotonic() >= self.until


class Meta:
    def __init__(self, file_id, is_dir, owner, group, perm, mtime,
                 replication=0, blocksize=0):
        self.file_id = file_id
        self.is_dir = is_dir
        self.owner = owner
        self.group = group
        self.perm = perm
        self.mtime = mtime
        self.atime = 0 if is_dir else mtime
        self.replication = 0 if is_dir else replication
        self.blocksize = 0 if is_dir else blocksize
        self.lease = None
        self.visible_len = None       # length the NN reports while a write runs
        self.deleted = False


def pjoin(parent, name):
    return ("/" if parent == "/" else parent + "/") + name


def pparent(path):
    p = path.rsplit("/", 1)[0]
    return p or "/"


def pcomps(path):
    return [c for c in path.split("/") if c]


def under(path, prefix):
    prefix = prefix.rstrip("/") or "/"
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


class Namespace:
    ROOT_ID = 16385

    def __init__(self, app):
        self.app = app
        a = app.args
        self.root = a.root
        self.lock = threading.RLock()
        self.next_id = self.ROOT_ID + 1
        self.meta = {"/": Meta(self.ROOT_ID, True, a.superuser, a.group, 0o755, now_ms())}

    # -- helpers -----------------------------------------------------------
    def local(self, path):
        c = pcomps(path)
        return os.path.join(self.root, *c) if c else self.root

    def new_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def _lstat(self, path):
        try:
            return os.lstat(self.local(path))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as e:
            if e.errno in (errno.ENAMETOOLONG, errno.EINVAL):
                return None
            raise

    def get(self, path):
        """(meta, stat) of an existing file or directory, or (None, None)."""
        st = self._lstat(path)
        if st is None or not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            m = self.meta.pop(path, None)
            if m is not None and path != "/":
                m.deleted = True
            return None, None
        is_dir = stat.S_ISDIR(st.st_mode)
        m = self.meta.get(path)
        if m is None or m.is_dir != is_dir:
            a = self.app.args
            m = Meta(self.new_id(), is_dir, a.superuser, a.group,
                     0o755 if is_dir else 0o644, int(st.st_mtime * 1000),
                     a.replication, a.blocksize)
            self.meta[path] = m
        return m, st

    def touch_dir(self, path, t=None):
        m, _ = self.get(path)
        if m is not None and m.is_dir:
            m.mtime = t or now_ms()

    def check_component(self, parent, name):
        n = len(name.encode("utf-8", "surrogateescape"))
        if n > MAX_COMPONENT_BYTES:
            raise WebHdfsError(
                "PathComponentTooLongException",
                "The maximum path component name limit of %s in directory %s is "
                "exceeded: limit=%d length=%d" % (name, parent, MAX_COMPONENT_BYTES, n))

    def check_write_allowed(self, path, user):
        for p in self.app.fault("deny_write_prefixes") or []:
            if under(path, p):
                raise WebHdfsError(
                    "AccessControlException",
                    'Permission denied: user=%s, access=WRITE, inode="%s":%s:%s:drwxr-xr-x'
                    % (user, path, self.app.args.superuser, self.app.args.group))

    def ensure_parents(self, path, create, owner, perm=0o755):
        """Walk the ancestors of path.  A file on the way raises
        ParentNotDirectoryException; a missing one is created (create=True)
        or makes this return False."""
        cur = "/"
        for c in pcomps(path)[:-1]:
            nxt = pjoin(cur, c)
            m, _ = self.get(nxt)
            if m is None:
                if not create:
                    return False
                self.check_component(cur, c)
                os.mkdir(self.local(nxt))
                self.meta[nxt] = Meta(self.new_id(), True, owner, self.app.args.group,
                                      perm | 0o300, now_ms())
                self.touch_dir(cur)
            elif not m.is_dir:
                raise WebHdfsError("ParentNotDirectoryException",
                                   "%s (is not a directory)" % nxt)
            cur = nxt
        return True

    def status(self, path, m, st, suffix):
        if m.is_dir:
            try:
                children = len(os.listdir(self.local(path)))
            except OSError:
                children = 0
            length = 0
        else:
            children = 0
            if m.lease is not None and m.lease.kind == "write" and m.visible_len is not None:
                length = m.visible_len
            else:
                length = st.st_size
        return {
            "accessTime": m.atime,
            "blockSize": m.blocksize,
            "childrenNum": children,
            "fileId": m.file_id,
            "group": m.group,
            "length": length,
            "modificationTime": m.mtime,
            "owner": m.owner,
            "pathSuffix": suffix,
            "permission": format(m.perm, "o"),
            "replication": m.replication,
            "storagePolicy": 0,
            "type": "DIRECTORY" if m.is_dir else "FILE",
        }

    # -- leases ------------------------------------------------------------
    def check_lease(self, m, path, opname, client, machine):
        L = m.lease
        if L is None:
            return
        if L.kind != "write" and L.expired():
            m.lease = None
            return
        st = self.app.stats
        if L.kind == "write" or (L.kind == "hold" and
                                 self.app.fault("lease_hold_exception") == "AlreadyBeingCreatedException"):
            st.bump("lease_conflicts", "AlreadyBeingCreatedException")
            raise WebHdfsError(
                "AlreadyBeingCreatedException",
                "Failed to %s %s for %s on %s because this file lease is currently "
                "owned by %s on %s" % (opname, path, client, machine, L.holder, L.machine))
        st.bump("lease_conflicts", "RecoveryInProgressException")
        raise WebHdfsError(
            "RecoveryInProgressException",
            "Failed to %s %s for %s on %s because lease recovery is in progress. "
            "Try again later." % (opname, path, client, machine))

    def leases(self):
        out = []
        with self.lock:
            for p, m in sorted(self.meta.items()):
                L = m.lease
                if L is None or (L.kind != "write" and L.expired()):
                    continue
                out.append({"path": p, "fileId": m.file_id, "kind": L.kind,
                            "holder": L.holder, "machine": L.machine,
                            "remaining_s": (round(L.until - time.monotonic(), 3)
                                            if L.until is not None else None)})
        return out

    def clear_leases(self):
        with self.lock:
            for m in self.meta.values():
                if m.lease is not None and m.lease.kind != "write":
                    m.lease = None

    # -- writes (datanode side) --------------------------------------------
    def start_create(self, path, overwrite, perm, replication, blocksize,
                     createparent, user, client, machine):
        with self.lock:
            if path == "/":
                raise WebHdfsError("FileAlreadyExistsException",
                                   "/ already exists as a directory")
            self.check_write_allowed(path, user)
            parent = pparent(path)
            name = pcomps(path)[-1]
            m, st = self.get(path)
            if m is not None:
                if m.is_dir:
                    raise WebHdfsError("FileAlreadyExistsException",
                                       "%s already exists as a directory" % path)
                if not overwrite:
                    # HDFS: recoverLeaseInternal(CREATE_FILE) first, then
                    # FileAlreadyExistsException (FSDirWriteFileOp.startFile)
                    self.check_lease(m, path, "CREATE_FILE", client, machine)
                    raise WebHdfsError("FileAlreadyExistsException",
                                       "%s for client %s already exists" % (path, machine))
                if self.app.fault("overwrite_conflicts"):
                    self.check_lease(m, path, "CREATE_FILE", client, machine)
                # HDFS: overwrite deletes the old inode (and its lease) and
                # creates a new one
                m.deleted = True
                m.lease = None
                os.unlink(self.local(path))
                self.meta.pop(path, None)
            if not self.ensure_parents(path, createparent, user):
                raise WebHdfsError("FileNotFoundException",
                                   "Parent directory doesn't exist: %s" % parent)
            self.check_component(parent, name)
            f = open(self.local(path), "wb")
            t = now_ms()
            m = Meta(self.new_id(), False, user, self.app.args.group, perm, t,
                     replication, blocksize)
            m.lease = Lease("write", client, machine)
            m.visible_len = 0
            self.meta[path] = m
            self.touch_dir(parent, t)
            return m, f

    def start_append(self, path, user, client, machine):
        with self.lock:
            m, st = self.get(path)
            if m is None:
                raise WebHdfsError("FileNotFoundException", "File does not exist: %s" % path)
            if m.is_dir:
                raise WebHdfsError("FileAlreadyExistsException",
                                   "Cannot append to directory %s; already exists as a "
                                   "directory." % path)
            self.check_write_allowed(path, user)
            self.check_lease(m, path, "APPEND_FILE", client, machine)
            f = open(self.local(path), "ab")
            m.lease = Lease("write", client, machine)
            m.visible_len = st.st_size
            return m, f

    def end_write(self, m):
        with self.lock:
            m.visible_len = None
            m.mtime = now_ms()
            m.lease = None
            hold = float(self.app.fault("lease_hold_seconds") or 0)
            if hold > 0 and not m.deleted:
                m.lease = Lease("hold", "DFSClient_NONMAPREDUCE_held_1", "127.0.0.1",
                                until=time.monotonic() + hold)

    # -- namenode ops ------------------------------------------------------
    def mkdirs(self, path, perm, user):
        with self.lock:
            m, _ = self.get(path)
            if m is not None:
                if not m.is_dir:
                    raise WebHdfsError("FileAlreadyExistsException",
                                       "Path is not a directory: %s" % path)
                return True
            self.check_write_allowed(path, user)
            self.ensure_parents(path, True, user, perm)
            parent = pparent(path)
            self.check_component(parent, pcomps(path)[-1])
            os.mkdir(self.local(path))
            t = now_ms()
            self.meta[path] = Meta(self.new_id(), True, user, self.app.args.group, perm, t)
            self.touch_dir(parent, t)
            return True

    def delete(self, path, recursive, user):
        with self.lock:
            if path == "/":
                return False            # "the root is not allowed to be deleted"
            m, _ = self.get(path)
            if m is None:
                return False
            local = self.local(path)
            if m.is_dir and not recursive and os.listdir(local):
                raise WebHdfsError("PathIsNotEmptyDirectoryException",
                                   "`%s is non empty': Directory is not empty" % path)
            self.check_write_allowed(path, user)
            for p in [p for p in self.meta if under(p, path)]:
                mm = self.meta.pop(p)
                mm.deleted = True
                mm.lease = None
            if m.is_dir:
                shutil.rmtree(local)
            else:
                os.unlink(local)
            self.touch_dir(pparent(path))
            return True

    def rename(self, src, dst, user):
        """Old-style (non-POSIX) rename, as FSDirRenameOp.renameTo: failures
        are False, not errors."""
        with self.lock:
            if src == "/":
                return False
            sm, _ = self.get(src)
            if sm is None:
                return False
            dm, _ = self.get(dst)
            actual = pjoin(dst, pcomps(src)[-1]) if (dm is not None and dm.is_dir) else dst
            if actual == src:
                return True
            if actual.startswith(src + "/"):
                return False
            am, _ = self.get(actual)
            if am is not None:
                return False
            parent = pparent(actual)
            pm, _ = self.get(parent)
            if pm is None or not pm.is_dir:
                return False
            self.check_write_allowed(src, user)
            self.check_write_allowed(actual, user)
            self.check_component(parent, pcomps(actual)[-1])
            os.rename(self.local(src), self.local(actual))
            moved = {}
            for p in [p for p in self.meta if under(p, src)]:
                moved[actual + p[len(src):]] = self.meta.pop(p)
            self.meta.update(moved)
            t = now_ms()
            self.touch_dir(pparent(src), t)
            self.touch_dir(parent, t)
            return True

    def list_dir(self, path):
        """[(name, status)] sorted by name (UTF-8 byte order), or the file
        itself with pathSuffix "" when path is a file."""
        with self.lock:
            m, st = self.get(path)
            if m is None:
                raise WebHdfsError("FileNotFoundException", "File %s does not exist." % path)
            if not m.is_dir:
                return [("", self.status(path, m, st, ""))]
            out = []
            for name in sorted(os.listdir(self.local(path)),
                               key=lambda s: s.encode("utf-8", "surrogateescape")):
                cp = pjoin(path, name)
                cm, cst = self.get(cp)
                if cm is not None:
                    out.append((name, self.status(cp, cm, cst, name)))
            return out

    def file_status(self, path):
        with self.lock:
            m, st = self.get(path)
            if m is None:
                raise WebHdfsError("FileNotFoundException", "File does not exist: %s" % path)
            return self.status(path, m, st, "")

    def get_file(self, path):
        """(meta, stat) of an existing regular file (HDFS INodeFile.valueOf)."""
        m, st = self.get(path)
        if m is None:
            raise WebHdfsError("FileNotFoundException", "File does not exist: %s" % path)
        if m.is_dir:
            raise WebHdfsError("FileNotFoundException", "Path is not a file: %s" % path)
        return m, st

    def concat(self, target, sources, user):
        with self.lock:
            tm, _ = self.get_file(target)
            if tm.lease is not None and tm.lease.kind == "write":
                raise WebHdfsError("HadoopIllegalArgumentException",
                                   "concat: target file %s is under construction" % target)
            self.check_write_allowed(target, user)
            seen = set()
            srcs = []
            for s in sources:
                sm, sst = self.get_file(s)
                if pparent(s) != pparent(target):
                    raise WebHdfsError("HadoopIllegalArgumentException",
                                       "Source file %s is not in the same directory with "
                                       "the target %s" % (s, target))
                if sm is tm:
                    raise WebHdfsError("HadoopIllegalArgumentException",
                                       "concat: the src file %s is the same with the "
                                       "target file %s" % (s, target))
                if (sm.lease is not None and sm.lease.kind == "write") or sst.st_size == 0:
                    raise WebHdfsError("HadoopIllegalArgumentException",
                                       "concat: source file %s is invalid or empty or "
                                       "underConstruction" % s)
                if sm.blocksize > tm.blocksize:
                    raise WebHdfsError("HadoopIllegalArgumentException",
                                       "concat: source file %s has preferred block size %d "
                                       "which is greater than the target file's preferred "
                                       "block size %d" % (s, sm.blocksize, tm.blocksize))
                if sm.file_id in seen:
                    raise WebHdfsError("HadoopIllegalArgumentException",
                                       "concat: at least two of the source files are the same")
                seen.add(sm.file_id)
                srcs.append((s, sm))
            with open(self.local(target), "ab") as out:
                for s, sm in srcs:
                    with open(self.local(s), "rb") as inp:
                        shutil.copyfileobj(inp, out, 1 << 20)
            for s, sm in srcs:
                os.unlink(self.local(s))
                self.meta.pop(s, None)
                sm.deleted = True
            t = now_ms()
            tm.mtime = t
            self.touch_dir(pparent(target), t)

    def truncate(self, path, newlength, user, client, machine):
        with self.lock:
            m, st = self.get_file(path)
            self.check_write_allowed(path, user)
            L = m.lease
            if L is not None and L.kind == "recovery" and not L.expired() \
                    and L.truncate_len is not None:
                if L.truncate_len == newlength:
                    return False
                self.app.stats.bump("lease_conflicts", "AlreadyBeingCreatedException")
                raise WebHdfsError("AlreadyBeingCreatedException",
                                   "Failed to TRUNCATE_FILE %s for %s on %s because %s is "
                                   "being truncated." % (path, client, machine, path))
            self.check_lease(m, path, "TRUNCATE_FILE", client, machine)
            old = st.st_size
            if old == newlength:
                return True
            if old < newlength:
                raise WebHdfsError("HadoopIllegalArgumentException",
                                   "Cannot truncate to a larger file size. Current size: %d, "
                                   "truncate size: %d." % (old, newlength))
            os.truncate(self.local(path), newlength)
            m.mtime = now_ms()
            on_boundary = m.blocksize > 0 and newlength % m.blocksize == 0
            if on_boundary:
                return True
            ms = float(self.app.fault("truncate_recovery_ms") or 0)
            if ms > 0:
                m.lease = Lease("recovery", client, machine,
                                until=time.monotonic() + ms / 1000.0,
                                truncate_len=newlength)
            return False

    def content_summary(self, path):
        with self.lock:
            m, _ = self.get(path)
            if m is None:
                raise WebHdfsError("FileNotFoundException", "File does not exist: %s" % path)
            dirs = files = length = space = 0
            stack = [path]
            while stack:
                p = stack.pop()
                pm, pst = self.get(p)
                if pm is None:
                    continue
                if pm.is_dir:
                    dirs += 1
                    stack.extend(pjoin(p, n) for n in os.listdir(self.local(p)))
                else:
                    files += 1
                    length += pst.st_size
                    space += pst.st_size * max(pm.replication, 1)
            return {"ContentSummary": {"directoryCount": dirs, "fileCount": files,
                                       "length": length, "quota": -1,
                                       "spaceConsumed": space, "spaceQuota": -1,
                                       "typeQuota": {}}}


# --------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = {r: {"total": 0, "ops": {}, "status": {}} for r in ROLES}
            self.connections = {r: 0 for r in ROLES}
            self.faults = {"drop": 0, "drop_after": 0, "error": 0, "delay": 0,
                           "standby": 0}
            self.bytes = {"datanode_received": 0, "datanode_sent": 0,
                          "discarded": {r: 0 for r in ROLES}}
            self.counters = {"lease_conflicts": {},
                             "tls": {"handshakes": 0, "handshake_failures": 0}}
            self.since = time.time()

    def request(self, role, op):
        with self.lock:
            r = self.requests[role]
            r["total"] += 1
            r["ops"][op] = r["ops"].get(op, 0) + 1

    def status(self, role, code):
        with self.lock:
            s = self.requests[role]["status"]
            s[str(code)] = s.get(str(code), 0) + 1

    def conn(self, role):
        with self.lock:
            self.connections[role] += 1

    def fault(self, kind):
        with self.lock:
            self.faults[kind] = self.faults.get(kind, 0) + 1

    def add_bytes(self, key, n, role=None):
        with self.lock:
            if role is not None:
                self.bytes[key][role] += n
            else:
                self.bytes[key] += n

    def bump(self, group, key):
        with self.lock:
            g = self.counters.setdefault(group, {})
            g[key] = g.get(key, 0) + 1

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps({
                "requests": self.requests, "connections": self.connections,
                "faults": self.faults, "bytes": self.bytes,
                "lease_conflicts": self.counters.get("lease_conflicts", {}),
                "tls": self.counters.get("tls", {}),
                "since": self.since}))


# --------------------------------------------------------------------------
# faults
# --------------------------------------------------------------------------

PORT_FAULT_KEYS = ("error_rate", "status", "exception", "message", "error_body",
                   "drop_rate", "drop_after_rate", "delay_ms")
ACTION_KEYS = ("seed", "nn_down_seconds", "dn_down_seconds", "standby_down_seconds")


def fault_defaults(args):
    d = {
        "error_rate": 0.0, "status": 503, "exception": None, "message": None,
        "error_body": "json", "drop_rate": 0.0, "drop_after_rate": 0.0,
        "delay_ms": 0,
        "standby": True, "nn_standby": False,
        "lease_hold_seconds": 0.0,
        "lease_hold_exception": "RecoveryInProgressException",
        "truncate_recovery_ms": float(args.truncate_recovery_ms),
        "fault_ops": None, "deny_write_prefixes": [],
        "require_user": bool(args.require_user), "strict_tokens": False,
        "overwrite_conflicts": False, "rules": [],
    }
    for p in ROLE_PREFIX.values():
        for k in PORT_FAULT_KEYS:
            d[p + k] = None
    return d


def _num(v, key, lo=0.0, hi=None):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError("%s must be a number" % key)
    if v < lo or (hi is not None and v > hi):
        raise ValueError("%s out of range" % key)
    return v


def validate_fault(key, v):
    base = key
    for p in ROLE_PREFIX.values():
        if key.startswith(p) and key[len(p):] in PORT_FAULT_KEYS:
            base = key[len(p):]
            if v is None:
                return None
    if base in ("error_rate", "drop_rate", "drop_after_rate"):
        return float(_num(v, key, 0.0, 1.0))
    if base == "status":
        return int(_num(v, key, 100, 599))
    if base == "delay_ms":
        return float(_num(v, key, 0.0))
    if base in ("exception", "message"):
        if v is not None and not isinstance(v, str):
            raise ValueError("%s must be a string or null" % key)
        return v
    if base == "error_body":
        if v not in ("json", "html", "empty"):
            raise ValueError("error_body must be json, html or empty")
        return v
    if key in ("standby", "nn_standby", "require_user", "strict_tokens",
               "overwrite_conflicts"):
        if not isinstance(v, bool):
            raise ValueError("%s must be true or false" % key)
        return v
    if key in ("lease_hold_seconds", "truncate_recovery_ms"):
        return float(_num(v, key, 0.0))
    if key == "lease_hold_exception":
        if v not in ("RecoveryInProgressException", "AlreadyBeingCreatedException"):
            raise ValueError("lease_hold_exception must be RecoveryInProgressException "
                             "or AlreadyBeingCreatedException")
        return v
    if key == "fault_ops":
        if v is None:
            return None
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ValueError("fault_ops must be a list of op names or null")
        return [x.upper() for x in v]
    if key == "deny_write_prefixes":
        if not isinstance(v, list) or not all(isinstance(x, str) and x.startswith("/")
                                              for x in v):
            raise ValueError("deny_write_prefixes must be a list of absolute paths")
        return v
    if key == "rules":
        if not isinstance(v, list):
            raise ValueError("rules must be a list")
        return [validate_rule(r) for r in v]
    raise KeyError(key)


def validate_rule(r):
    if not isinstance(r, dict):
        raise ValueError("a rule must be an object")
    known = {"port", "op", "path_prefix", "action", "status", "exception",
             "message", "error_body", "delay_ms", "count", "skip"}
    extra = set(r) - known
    if extra:
        raise ValueError("unknown rule keys: %s" % ", ".join(sorted(extra)))
    port = ROLE_ALIASES.get(str(r.get("port", "*")).lower())
    if port is None:
        raise ValueError("rule port must be namenode|datanode|standby|*")
    action = r.get("action", "error")
    if action not in ("error", "drop", "drop_after", "delay"):
        raise ValueError("rule action must be error|drop|drop_after|delay")
    out = {"port": port, "op": str(r.get("op", "*")).upper(),
           "path_prefix": r.get("path_prefix"), "action": action,
           "status": int(_num(r.get("status", 503), "status", 100, 599)),
           "exception": r.get("exception"), "message": r.get("message"),
           "error_body": r.get("error_body", "json"),
           "delay_ms": float(_num(r.get("delay_ms", 0), "delay_ms", 0)),
           "count": int(_num(r.get("count", 1), "count", -1)),
           "skip": int(_num(r.get("skip", 0), "skip", 0)),
           "fired": 0}
    if out["error_body"] not in ("json", "html", "empty"):
        raise ValueError("error_body must be json, html or empty")
    return out


class Decision:
    def __init__(self):
        self.action = None            # None | error | drop | drop_after
        self.delay_ms = 0.0
        self.status = 503
        self.exception = None
        self.message = None
        self.error_body = "json"


# --------------------------------------------------------------------------
# listeners (one ThreadingHTTPServer per port; can go down and come back)
# --------------------------------------------------------------------------

class TlsHandshakeFailed(Exception):
    """A client's TLS handshake failed (e.g. it rejected our certificate)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A failed handshake or a TLS-level error on a connection is the
        # client's business (a test of certificate verification makes them
        # on purpose): one line with -v, no traceback.
        e = sys.exc_info()[1]
        if isinstance(e, (TlsHandshakeFailed, ssl.SSLError)):
            if self.app.args.verbose:
                sys.stderr.write("[%s] %s - TLS: %s\n" % (self.role, client_address[0], e))
            return
        super().handle_error(request, client_address)


class Listener:
    def __init__(self, app, role, host, port, handler):
        self.app = app
        self.role = role
        self.host = host
        self.port = port
        self.handler = handler
        self.server = None
        self.thread = None
        self.conns = set()
        self.lock = threading.Lock()
        self.gen = 0
        self.down_until = None

    def start(self):
        srv = _Server((self.host, self.port), self.handler)
        if self.app.tls_context is not None and self.role in ROLES:
            # Accepted sockets inherit the wrapping; the handshake is done
            # by the connection's own thread (BaseHandler.setup), so a slow
            # or failing client never blocks the accept loop.
            srv.socket = self.app.tls_context.wrap_socket(
                srv.socket, server_side=True, do_handshake_on_connect=False)
        srv.app = self.app
        srv.role = self.role
        srv.listener = self
        self.port = srv.server_address[1]
        self.server = srv
        self.thread = threading.Thread(target=srv.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       name="serve-" + self.role, daemon=True)
        self.thread.start()

    def stop(self):
        srv, self.server = self.server, None
        if srv is None:
            return
        srv.shutdown()
        srv.server_close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def track(self, sock):
        with self.lock:
            self.conns.add(sock)

    def untrack(self, sock):
        with self.lock:
            self.conns.discard(sock)

    def down_for(self, seconds):
        """Close the listening socket (connections get ECONNREFUSED) and every
        open connection, and listen again on the same port after seconds."""
        with self.lock:
            self.gen += 1
            gen = self.gen
        self.stop()
        self.down_until = time.time() + seconds

        def revive():
            time.sleep(seconds)
            if self.gen != gen or self.app.stopping.is_set():
                return
            for _ in range(200):
                try:
                    self.start()
                    self.down_until = None
                    return
                except OSError:
                    time.sleep(0.05)
            sys.stderr.write("webhdfs_server: could not re-open %s port %d\n"
                             % (self.role, self.port))
        threading.Thread(target=revive, daemon=True).start()

    @property
    def up(self):
        return self.server is not None

    def addr(self):
        return "%s:%d" % (self.host, self.port)


# --------------------------------------------------------------------------
# HTTP handlers
# --------------------------------------------------------------------------

class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "webhdfs-test-server/1.0"
    timeout = 300
    _expect_100 = False

    @property
    def app(self):
        return self.server.app

    @property
    def role(self):
        return self.server.role

    def setup(self):
        if self.role in ROLES:
            self.app.stats.conn(self.role)
        if isinstance(self.request, ssl.SSLSocket):
            self.tls_handshake()
        super().setup()
        self.server.listener.track(self.connection)

    def tls_handshake(self):
        sock = self.request
        self.server.listener.track(sock)       # so that stop() can cut it short
        try:
            sock.settimeout(TLS_HANDSHAKE_TIMEOUT)
            sock.do_handshake()
        except (OSError, ValueError) as e:     # ssl.SSLError is an OSError
            self.app.stats.bump("tls", "handshake_failures")
            try:
                sock.close()
            except OSError:
                pass
            raise TlsHandshakeFailed("handshake failed: %s" % e)
        finally:
            self.server.listener.untrack(sock)
        self.app.stats.bump("tls", "handshakes")

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.listener.untrack(self.connection)

    def log_message(self, fmt, *args):
        if self.app.args.verbose:
            sys.stderr.write("[%s] %s - %s\n" % (self.role, self.address_string(),
                                                 fmt % args))

    def handle_expect_100(self):
        # Defer the interim response: the datanode sends it itself when it
        # starts a CREATE/APPEND (like WebHdfsHandler.writeContinueHeader);
        # everything else answers with a final status straight away.
        self._expect_100 = True
        return True

    def send_continue(self):
        if self.request_version != "HTTP/1.0" and not self._continue_sent:
            self._continue_sent = True
            self.send_response_only(100)
            self.end_headers()

    def settle_body(self):
        """Before a final response: read what is left of the request body,
        unless the client waits for 100-continue that was never sent (then
        the connection is closed instead of reading)."""
        body = self.body
        if body is None or body.done:
            return
        if self._expect_100 and not self._continue_sent:
            self.close_connection = True
            return
        n = body.drain()
        if n and self.role in ROLES and not self._admin_req:
            self.app.stats.add_bytes("discarded", n, self.role)

    def reply(self, status, body=b"", ctype=None, headers=(), close=False):
        if self._drop_after:
            self.drop()
        try:
            self.settle_body()
        except (IncompleteBody, BadBody):
            self.close_connection = True
            raise Dropped()
        if self.role == "datanode":
            close = True              # the Netty DN closes after every response
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
        self.replied = True
        if self.role in ROLES and not self._admin_req:
            self.app.stats.status(self.role, status)

    def reply_json(self, obj, status=200):
        ctype = JSON_DN if self.role == "datanode" else JSON_NN
        self.reply(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), ctype)

    def reply_error(self, e):
        ctype = JSON_DN if self.role == "datanode" else JSON_NN
        self.reply(e.status, json.dumps(e.json(), ensure_ascii=False).encode("utf-8"),
                   ctype)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise Dropped()

    def _reset_request_state(self):
        self.body = None
        self._continue_sent = False
        self._drop_after = False
        self._admin_req = False
        self.replied = False

    def _run(self, fn):
        self._reset_request_state()
        try:
            fn()
        except Dropped:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except (IncompleteBody, BadBody):
            self.close_connection = True
        except Exception as e:        # a bug here: answer 500 if still possible
            if self.app.args.verbose:
                import traceback
                traceback.print_exc()
            if not self.replied:
                try:
                    self.close_connection = True
                    self.reply_error(WebHdfsError("RuntimeException",
                                                  "%s: %s" % (type(e).__name__, e)))
                except Exception:
                    pass
            self.close_connection = True
        finally:
            self._expect_100 = False

    # -- admin API -----------------------------------------------------------
    def admin(self, method, raw_path, raw_query):
        app = self.app
        q = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
        path = raw_path.rstrip("/")
        data = None
        if self.body is not None and self.body.present:
            raw = b""
            while True:
                d = self.body.read()
                if not d:
                    break
                raw += d
                if len(raw) > 1 << 20:
                    return self.reply(413, b"too large\n", "text/plain")
            if raw.strip():
                try:
                    data = json.loads(raw.decode("utf-8"))
                except ValueError as e:
                    return self.reply_admin({"error": "bad JSON: %s" % e}, 400)

        if path == "/admin/stats" and method == "GET":
            return self.reply_admin(app.stats.snapshot())
        if path == "/admin/reset" and method in ("GET", "POST"):
            app.stats.reset()
            if q.get("faults") in ("1", "true"):
                app.reset_faults()
            if q.get("leases") in ("1", "true"):
                app.ns.clear_leases()
            return self.reply_admin({"ok": True})
        if path == "/admin/faults":
            if method == "GET":
                return self.reply_admin(app.faults_snapshot())
            if method == "DELETE":
                app.reset_faults()
                return self.reply_admin(app.faults_snapshot())
            if method in ("POST", "PUT"):
                if not isinstance(data, dict):
                    return self.reply_admin({"error": "expected a JSON object"}, 400)
                try:
                    app.set_faults(data)
                except (KeyError, ValueError) as e:
                    msg = str(e) if isinstance(e, ValueError) else \
                        "unknown fault key %s (known: %s)" % (
                            e, ", ".join(sorted(list(fault_defaults(app.args)) +
                                                list(ACTION_KEYS))))
                    return self.reply_admin({"error": msg}, 400)
                return self.reply_admin(app.faults_snapshot())
        if path == "/admin/leases" and method == "GET":
            return self.reply_admin({"leases": app.ns.leases()})
        if path == "/admin/tokens" and method in ("POST", "PUT"):
            if not isinstance(data, dict) or not isinstance(data.get("token"), str) \
                    or not isinstance(data.get("user"), str):
                return self.reply_admin({"error": 'expected {"token": "...", "user": "..."}'},
                                        400)
            with app.lock:
                app.tokens[data["token"]] = data["user"]
                app.cancelled.discard(data["token"])
            return self.reply_admin({"ok": True})
        if path == "/admin/health" and method == "GET":
            return self.reply_admin({"ok": True, "pid": os.getpid(),
                                     "ports": {r: {"addr": app.listeners[r].addr(),
                                                   "up": app.listeners[r].up}
                                               for r in ROLES}})
        return self.reply_admin({"error": "no such admin endpoint: %s %s"
                                 % (method, raw_path)}, 404)

    def reply_admin(self, obj, status=200):
        self.reply(status, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode(),
                   "application/json")


class AdminHandler(BaseHandler):
    def _admin(self):
        raw_path, _, raw_query = self.path.partition("?")
        try:
            self.body = Body(self.rfile, self.headers)
        except BadBody as e:
            self.close_connection = True
            return self.reply(400, (str(e) + "\n").encode(), "text/plain", close=True)
        if raw_path == "/admin" or raw_path.startswith("/admin/"):
            return self.admin(self.command, raw_path, raw_query)
        return self.reply_admin({"error": "not found"}, 404)

    def do_GET(self):
        self._run(self._admin)

    do_POST = do_PUT = do_DELETE = do_GET


_HEX = set("0123456789abcdefABCDEF")
_PATH_OK = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
               "-._~!$&'()*+,=:@/%")


def decode_path(raw):
    """Percent-decode the part of the request path after /webhdfs/v1 and
    check it the way HDFS does (DFSUtil.isValidName).  Returns the
    normalized absolute HDFS path or raises a 400 error."""
    for ch in raw:
        if ch not in _PATH_OK:
            if ch == ";":
                raise WebHdfsError("IllegalArgumentException",
                                   "Unencoded ';' in the request path %s: Jetty treats it as "
                                   "a path parameter (HDFS-13176); send it as %%3B" % raw)
            raise WebHdfsError("IllegalArgumentException",
                               "Illegal character %r in the request path; percent-encode "
                               "it (UTF-8)" % ch)
    i = raw.find("%")
    while i != -1:
        h = raw[i + 1:i + 3]
        if len(h) != 2 or h[0] not in _HEX or h[1] not in _HEX:
            raise WebHdfsError("IllegalArgumentException",
                               "Malformed percent-encoding in the request path %s "
                               "(a '%%' in a name must be sent as %%25)" % raw)
        i = raw.find("%", i + 3)
    try:
        path = urllib.parse.unquote(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise WebHdfsError("IllegalArgumentException",
                           "The request path %s is not percent-encoded UTF-8" % raw)
    if path == "":
        path = "/"
    if not path.startswith("/"):
        raise WebHdfsError("InvalidPathException", "Invalid path name %s" % path)
    check_valid_name(path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def check_valid_name(path, exc="InvalidPathException"):
    comps = path.split("/")[1:]
    for i, c in enumerate(comps):
        bad = c in (".", "..") or ":" in c or "\x00" in c or \
            (c == "" and i != len(comps) - 1)
        if bad:
            raise WebHdfsError(exc, "Invalid path name %s" % path)


class WebHdfsHandler(BaseHandler):
    def do_GET(self):
        self._run(lambda: self.dispatch("GET"))

    def do_PUT(self):
        self._run(lambda: self.dispatch("PUT"))

    def do_POST(self):
        self._run(lambda: self.dispatch("POST"))

    def do_DELETE(self):
        self._run(lambda: self.dispatch("DELETE"))

    # -- parameters ----------------------------------------------------------
    def p_bool(self, name, default):
        v = self.params.get(name, "")
        if v == "":
            return default
        if v.lower() == "true":
            return True
        if v.lower() == "false":
            return False
        raise bad_param(name, v, 'Failed to parse "%s" to Boolean.' % v)

    def p_long(self, name, default, minimum=0):
        v = self.params.get(name, "")
        if v == "":
            return default
        try:
            n = int(v, 10)
        except ValueError:
            raise bad_param(name, v, 'Failed to parse "%s" as a radix-10 long integer.' % v)
        if n < minimum:
            raise bad_param(name, v, "Invalid parameter range: %s = %d < %d"
                            % (name, n, minimum))
        return n

    def p_perm(self, default):
        v = self.params.get("permission", "")
        if v == "":
            return default
        if not PERM_PATTERN.match(v):
            raise bad_param("permission", v,
                            'Failed to parse "%s" as a radix-8 short integer.' % v)
        return int(v, 8)

    def p_abs_path(self, name, value):
        if not value.startswith("/"):
            raise WebHdfsError("IllegalArgumentException",
                               'Invalid parameter value: %s = "%s" is not an absolute path.'
                               % (name, value))
        check_valid_name(value)
        return (value.rstrip("/") or "/") if len(value) > 1 else value

    # -- auth ----------------------------------------------------------------
    def resolve_user(self):
        app = self.app
        tok = self.params.get("delegation", "")
        self.delegation = tok or None
        if tok:
            with app.lock:
                cancelled = tok in app.cancelled
                user = app.tokens.get(tok)
            if cancelled or (user is None and app.fault("strict_tokens")):
                raise WebHdfsError("InvalidToken",
                                   "token (HDFS_DELEGATION_TOKEN token %s) can't be found "
                                   "in cache" % tok[:16])
            user = user or app.args.token_user
        else:
            user = self.params.get("user.name", "")
            if user == "":
                if app.fault("require_user"):
                    raise WebHdfsError("SecurityException",
                                       "Failed to obtain user group information: "
                                       "java.io.IOException: user.name (simple auth) or "
                                       "delegation= is required (--require-user)")
                user = DEFAULT_WEB_USER
            elif not USER_PATTERN.match(user):
                raise WebHdfsError("IllegalArgumentException",
                                   'Invalid value: "user.name" = "%s" does not belong to the '
                                   'domain %s' % (user, USER_PATTERN.pattern))
        self.user = user
        doas = self.params.get("doas", "")
        if doas and not USER_PATTERN.match(doas):
            raise WebHdfsError("IllegalArgumentException",
                               'Invalid value: "doas" = "%s" does not belong to the domain %s'
                               % (doas, USER_PATTERN.pattern))
        self.doas = doas or None
        self.effective_user = doas or user
        self.client_name = app.next_client_name()
        self.machine = self.client_address[0]

    # -- request dispatch ------------------------------------------------------
    def dispatch(self, method):
        app = self.app
        role = self.role
        target = self.path
        if target.startswith(("http://", "https://")):
            parts = urllib.parse.urlsplit(target)
            target = parts.path + ("?" + parts.query if parts.query else "")
        raw_path, _, raw_query = target.partition("?")
        try:
            self.body = Body(self.rfile, self.headers)
        except BadBody as e:
            self.close_connection = True
            app.stats.request(role, "<bad-body>")
            return self.reply_error(WebHdfsError("IllegalArgumentException", str(e)))

        if role != "datanode" and (raw_path == "/admin" or raw_path.startswith("/admin/")):
            self._admin_req = True
            return self.admin(method, raw_path, raw_query)

        if not (raw_path == PREFIX or raw_path.startswith(PREFIX + "/")):
            app.stats.request(role, "<not-webhdfs>")
            return self.reply(404, b"Not Found\n", "text/plain")

        params = {}
        for k, v in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
            params.setdefault(k.lower(), v)     # names are case-insensitive; first wins
        self.params = params
        op = params.get("op", "").upper()
        app.stats.request(role, op or "<none>")

        path_error = None
        path = None
        try:
            path = decode_path(raw_path[len(PREFIX):])
        except WebHdfsError as e:
            path_error = e

        d = app.decide(role, op, path)
        if d.delay_ms:
            app.stats.fault("delay")
            time.sleep(d.delay_ms / 1000.0)
        if d.action == "drop":
            app.stats.fault("drop")
            self.drop()
        if d.action == "error":
            app.stats.fault("error")
            return self.reply_injected(d)
        if d.action == "drop_after":
            app.stats.fault("drop_after")
            self._drop_after = True

        try:
            if role != "datanode":
                standby = app.fault("standby") if role == "standby" else app.fault("nn_standby")
                if standby:
                    app.stats.fault("standby")
                    cat = "READ" if method == "GET" else "WRITE"
                    raise WebHdfsError("StandbyException",
                                       "Operation category %s is not supported in state "
                                       "standby. Visit https://s.apache.org/sbnn-error" % cat)
            if path_error is not None:
                raise path_error
            self.resolve_user()
            if role == "datanode":
                return self.datanode(method, op, path)
            return self.namenode(method, op, path)
        except WebHdfsError as e:
            return self.reply_error(e)

    def reply_injected(self, d):
        status = d.status
        if d.error_body == "empty":
            return self.reply(status, b"")
        if d.error_body == "html":
            return self.reply(status, ("<html><head><title>Error %d</title></head><body>"
                                       "<h2>HTTP ERROR %d</h2><p>injected fault</p>"
                                       "</body></html>\n" % (status, status)).encode(),
                              "text/html; charset=iso-8859-1")
        exc = d.exception or STATUS_DEFAULT_EXCEPTION.get(status, "RuntimeException")
        e = WebHdfsError(exc, d.message or "Injected fault (webhdfs test server)",
                         status=status)
        return self.reply_error(e)

    # -- namenode --------------------------------------------------------------
    def namenode(self, method, op, path):
        if op == "":
            op = "NULL"
        if op not in VALID_OPS.get(method, ()):
            raise WebHdfsError("IllegalArgumentException",
                               'Invalid value for webhdfs parameter "op": No enum constant '
                               'org.apache.hadoop.hdfs.web.resources.%s.Op.%s'
                               % (OP_PARAM_CLASS.get(method, "HttpOpParam"), op))
        fn = getattr(self, "nn_" + op, None)
        if fn is None:
            raise WebHdfsError("UnsupportedOperationException",
                               "%s is not supported" % op if op == "NULL" else
                               "%s is not supported by this WebHDFS test server" % op)
        return fn(path)

    def redirect(self, op, path):
        """Step 1 of CREATE/APPEND/OPEN: 307 to the datanode (or 200
        {"Location":...} with noredirect=true), the way
        NamenodeWebHdfsMethods.redirectURI builds it."""
        noredirect = self.p_bool("noredirect", False)
        app = self.app
        q = [("op", op)]
        if self.delegation:
            q.append(("delegation", self.delegation))
        else:
            q.append(("user.name", self.user))
        if self.doas:
            q.append(("doas", self.doas))
        q.append(("namenoderpcaddress", self.server.listener.addr()))
        skip = {"op", "user.name", "delegation", "doas", "noredirect",
                "namenoderpcaddress"}
        for k in sorted(self.params):
            if k not in skip:
                q.append((k, self.params[k]))
        dn = app.listeners["datanode"]
        loc = "%s://%s%s%s?%s" % (app.scheme, dn.addr(), PREFIX, quote_path(path),
                                     urllib.parse.urlencode(q, safe=":", quote_via=urllib.parse.quote))
        if noredirect:
            return self.reply_json({"Location": loc})
        return self.reply(307, b"", None, headers=[("Location", loc)])

    def nn_CREATE(self, path):
        # Step 1 checks parameters, not the namespace (existence errors come
        # from the datanode in step 2).  A body sent here is read and dropped.
        self.p_bool("overwrite", False)
        self.p_perm(0o644)
        self.p_long("blocksize", None, 1)
        self.p_long("replication", None, 1)
        self.p_long("buffersize", None, 1)
        self.p_bool("createparent", True)
        return self.redirect("CREATE", path)

    def nn_APPEND(self, path):
        self.p_long("buffersize", None, 1)
        with self.app.ns.lock:
            self.app.ns.get_file(path)
        return self.redirect("APPEND", path)

    def nn_OPEN(self, path):
        self.p_long("offset", 0, 0)
        self.p_long("length", None, 0)
        self.p_long("buffersize", None, 1)
        with self.app.ns.lock:
            self.app.ns.get_file(path)
        return self.redirect("OPEN", path)

    def nn_GETFILESTATUS(self, path):
        return self.reply_json({"FileStatus": self.app.ns.file_status(path)})

    def nn_LISTSTATUS(self, path):
        entries = self.app.ns.list_dir(path)
        return self.reply_json({"FileStatuses": {"FileStatus": [s for _, s in entries]}})

    def nn_LISTSTATUS_BATCH(self, path):
        start = self.params.get("startafter", "")
        entries = self.app.ns.list_dir(path)
        if start:
            key = start.encode("utf-8", "surrogateescape")
            entries = [e for e in entries
                       if e[0].encode("utf-8", "surrogateescape") > key]
        limit = self.app.args.ls_limit
        batch, rest = entries[:limit], entries[limit:]
        return self.reply_json({"DirectoryListing": {
            "partialListing": {"FileStatuses": {"FileStatus": [s for _, s in batch]}},
            "remainingEntries": len(rest)}})

    def nn_MKDIRS(self, path):
        perm = self.p_perm(0o755)
        return self.reply_json({"boolean": self.app.ns.mkdirs(path, perm,
                                                              self.effective_user)})

    def nn_RENAME(self, path):
        dst = self.params.get("destination", "")
        if dst == "":
            raise WebHdfsError("IllegalArgumentException",
                               'Invalid value for webhdfs parameter "destination": null')
        dst = self.p_abs_path("destination", dst)
        return self.reply_json({"boolean": self.app.ns.rename(path, dst,
                                                              self.effective_user)})

    def nn_DELETE(self, path):
        recursive = self.p_bool("recursive", False)
        return self.reply_json({"boolean": self.app.ns.delete(path, recursive,
                                                              self.effective_user)})

    def nn_CONCAT(self, path):
        srcs = self.params.get("sources", "")
        sources = [s for s in srcs.split(",") if s] if srcs else []
        if not sources:
            raise WebHdfsError("IllegalArgumentException", "No sources given")
        sources = [self.p_abs_path("sources", s) for s in sources]
        self.app.ns.concat(path, sources, self.effective_user)
        return self.reply(200, b"")

    def nn_TRUNCATE(self, path):
        if self.params.get("newlength", "") == "":
            raise WebHdfsError("IllegalArgumentException",
                               'Invalid value for webhdfs parameter "newlength": null')
        n = self.p_long("newlength", None, 0)
        ok = self.app.ns.truncate(path, n, self.effective_user, self.client_name,
                                  self.machine)
        return self.reply_json({"boolean": ok})

    def nn_SETPERMISSION(self, path):
        perm = self.p_perm(0o755)
        ns = self.app.ns
        with ns.lock:
            m, _ = ns.get(path)
            if m is None:
                raise WebHdfsError("FileNotFoundException", "File does not exist: %s" % path)
            ns.check_write_allowed(path, self.effective_user)
            m.perm = perm
        return self.reply(200, b"")

    def nn_SETOWNER(self, path):
        owner = self.params.get("owner", "")
        group = self.params.get("group", "")
        if not owner and not group:
            raise WebHdfsError("IllegalArgumentException", "Both owner and group are empty.")
        ns = self.app.ns
        with ns.lock:
            m, _ = ns.get(path)
            if m is None:
                raise WebHdfsError("FileNotFoundException", "File does not exist: %s" % path)
            if owner:
                m.owner = owner
            if group:
                m.group = group
        return self.reply(200, b"")

    def nn_SETREPLICATION(self, path):
        r = self.p_long("replication", None, 1)
        ns = self.app.ns
        with ns.lock:
            m, _ = ns.get(path)
            if m is None:
                raise WebHdfsError("FileNotFoundException", "File does not exist: %s" % path)
            if m.is_dir:
                return self.reply_json({"boolean": False})
            if r is not None:
                m.replication = r
        return self.reply_json({"boolean": True})

    def nn_SETTIMES(self, path):
        mt = self.p_long("modificationtime", -1, -1)
        at = self.p_long("accesstime", -1, -1)
        ns = self.app.ns
        with ns.lock:
            m, _ = ns.get(path)
            if m is None:
                raise WebHdfsError("FileNotFoundException", "File does not exist: %s" % path)
            if mt != -1:
                m.mtime = mt
            if at != -1:
                m.atime = at
        return self.reply(200, b"")

    def nn_GETHOMEDIRECTORY(self, path):
        return self.reply_json({"Path": "/user/" + self.effective_user})

    def nn_GETCONTENTSUMMARY(self, path):
        return self.reply_json(self.app.ns.content_summary(path))

    def nn_GETDELEGATIONTOKEN(self, path):
        tok = secrets.token_urlsafe(24)
        with self.app.lock:
            self.app.tokens[tok] = self.effective_user
        return self.reply_json({"Token": {"urlString": tok}})

    def nn_RENEWDELEGATIONTOKEN(self, path):
        tok = self.params.get("token", "")
        with self.app.lock:
            known = tok in self.app.tokens and tok not in self.app.cancelled
        if not known:
            raise WebHdfsError("InvalidToken", "Renewal request for unknown token")
        return self.reply_json({"long": now_ms() + TOKEN_LIFETIME_MS})

    def nn_CANCELDELEGATIONTOKEN(self, path):
        tok = self.params.get("token", "")
        with self.app.lock:
            if tok not in self.app.tokens or tok in self.app.cancelled:
                raise WebHdfsError("InvalidToken", "Token not found")
            self.app.cancelled.add(tok)
        return self.reply(200, b"")

    # -- datanode --------------------------------------------------------------
    def datanode(self, method, op, path):
        ok = (op == "CREATE" and method == "PUT") or (op == "APPEND" and method == "POST") \
            or (op == "OPEN" and method == "GET")
        if not ok:
            raise WebHdfsError("IllegalArgumentException", "Invalid operation %s" % (op or "null"))
        if not self.params.get("namenoderpcaddress"):
            raise WebHdfsError("IllegalArgumentException",
                               'Invalid value for webhdfs parameter "namenoderpcaddress": '
                               'null (datanode URLs come from the namenode\'s redirect)')
        return getattr(self, "dn_" + op)(path)

    def stream_into(self, m, f, path):
        """Copy the request body into the open file; the lease is released
        whatever happens (bytes received so far stay in the file, like the
        DN closing its DFSOutputStream when the channel goes inactive)."""
        ns = self.app.ns
        total = 0
        try:
            self.send_continue()
            while True:
                data = self.body.read(1 << 16)
                if not data:
                    break
                f.write(data)
                total += len(data)
            f.flush()
        finally:
            try:
                f.close()
            finally:
                self.app.stats.add_bytes("datanode_received", total)
                ns.end_write(m)
        if m.deleted:
            raise WebHdfsError("FileNotFoundException",
                               "File does not exist: %s (inode %d) Holder %s does not have "
                               "any open files." % (path, m.file_id, self.client_name))
        return total

    def dn_CREATE(self, path):
        overwrite = self.p_bool("overwrite", False)
        perm = self.p_perm(0o644)
        bs = self.p_long("blocksize", self.app.args.blocksize, 1)
        rep = self.p_long("replication", self.app.args.replication, 1)
        self.p_long("buffersize", None, 1)
        createparent = self.p_bool("createparent", True)
        # the real DN writes "100 Continue" first, then asks the NN to create
        self.send_continue()
        m, f = self.app.ns.start_create(path, overwrite, perm, rep, bs, createparent,
                                        self.effective_user, self.client_name, self.machine)
        self.stream_into(m, f, path)
        loc = "hdfs://%s%s" % (self.params["namenoderpcaddress"], quote_path(path))
        return self.reply(201, b"", None, headers=[("Location", loc)])

    def dn_APPEND(self, path):
        self.p_long("buffersize", None, 1)
        self.send_continue()
        m, f = self.app.ns.start_append(path, self.effective_user, self.client_name,
                                        self.machine)
        self.stream_into(m, f, path)
        return self.reply(200, b"")

    def dn_OPEN(self, path):
        offset = self.p_long("offset", 0, 0)
        length = self.p_long("length", None, 0)
        self.p_long("buffersize", None, 1)
        ns = self.app.ns
        with ns.lock:
            m, st = ns.get_file(path)
            f = open(ns.local(path), "rb")
        try:
            size = os.fstat(f.fileno()).st_size
            if offset > size:
                raise WebHdfsError("EOFException", "Cannot seek after EOF")
            n = size - offset
            if length is not None:
                n = min(n, length)
            f.seek(offset)
            if self._drop_after:
                self.drop()
            self.settle_body()
            self.send_response(200)
            self.send_header("Content-Type", OCTET)
            self.send_header("Content-Length", str(n))
            self.send_header("Connection", "close")
            self.close_connection = True
            self.end_headers()
            self.replied = True
            self.app.stats.status(self.role, 200)
            left = n
            while left > 0:
                chunk = f.read(min(left, 1 << 16))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)
            self.app.stats.add_bytes("datanode_sent", n - left)
        finally:
            f.close()


def quote_path(path):
    return urllib.parse.quote(path, safe="/")


# --------------------------------------------------------------------------
# the application
# --------------------------------------------------------------------------

class App:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.stats = Stats()
        self.rng = random.Random(args.seed)
        self.faults = fault_defaults(args)
        self.tokens = {}
        self.cancelled = set()
        self.client_seq = 0
        self.stopping = threading.Event()
        for spec in args.token or []:
            tok, _, user = spec.partition("=")
            self.tokens[tok] = user or args.token_user
        self.ns = Namespace(self)
        self.listeners = {}
        self.tls_context = None
        self.scheme = "http"
        if args.tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
            self.tls_context = ctx
            self.scheme = "https"

    def next_client_name(self):
        with self.lock:
            self.client_seq += 1
            return "DFSClient_NONMAPREDUCE_%d_1" % self.client_seq

    def fault(self, key):
        with self.lock:
            return self.faults.get(key)

    def role_fault(self, role, key):
        v = self.faults.get(ROLE_PREFIX[role] + key)
        return self.faults.get(key) if v is None else v

    def faults_snapshot(self):
        with self.lock:
            out = json.loads(json.dumps(self.faults))
        out["down"] = {r: (round(l.down_until - time.time(), 3) if l.down_until else 0)
                       for r, l in self.listeners.items()}
        return out

    def reset_faults(self):
        with self.lock:
            self.faults = fault_defaults(self.args)

    def set_faults(self, data):
        clean = {}
        actions = {}
        for k, v in data.items():
            if k in ACTION_KEYS:
                if k == "seed":
                    if isinstance(v, bool) or not isinstance(v, int):
                        raise ValueError("seed must be an integer")
                    actions[k] = v
                else:
                    actions[k] = float(_num(v, k, 0.0, 3600.0))
                continue
            if k not in self.faults:
                raise KeyError(k)
            clean[k] = validate_fault(k, v)
        with self.lock:
            self.faults.update(clean)
            if "seed" in actions:
                self.rng.seed(actions["seed"])
        for key, role in (("nn_down_seconds", "namenode"), ("dn_down_seconds", "datanode"),
                          ("standby_down_seconds", "standby")):
            if actions.get(key):
                self.listeners[role].down_for(actions[key])

    def decide(self, role, op, path):
        d = Decision()
        with self.lock:
            f = self.faults
            for r in f["rules"]:
                if r["count"] == 0:
                    continue
                if r["port"] not in ("*", role):
                    continue
                if r["op"] not in ("*", op):
                    continue
                if r["path_prefix"] and (path is None or not under(path, r["path_prefix"])):
                    continue
                if r["skip"] > 0:
                    r["skip"] -= 1
                    continue
                if r["count"] > 0:
                    r["count"] -= 1
                r["fired"] += 1
                if r["action"] == "delay":
                    d.delay_ms = r["delay_ms"]
                else:
                    d.action = r["action"]
                    d.delay_ms = r["delay_ms"]
                    d.status = r["status"]
                    d.exception = r["exception"]
                    d.message = r["message"]
                    d.error_body = r["error_body"]
                return d
            if f["fault_ops"] is not None and op not in f["fault_ops"]:
                return d
            d.delay_ms = float(self.role_fault(role, "delay_ms") or 0)
            drop = self.role_fault(role, "drop_rate") or 0
            err = self.role_fault(role, "error_rate") or 0
            after = self.role_fault(role, "drop_after_rate") or 0
            if drop > 0 and self.rng.random() < drop:
                d.action = "drop"
            elif err > 0 and self.rng.random() < err:
                d.action = "error"
                d.status = self.role_fault(role, "status") or 503
                d.exception = self.role_fault(role, "exception")
                d.message = self.role_fault(role, "message")
                d.error_body = self.role_fault(role, "error_body") or "json"
            elif after > 0 and self.rng.random() < after:
                d.action = "drop_after"
        return d

    def start(self):
        a = self.args
        plan = (("namenode", a.nn_port, WebHdfsHandler), ("datanode", a.dn_port, WebHdfsHandler),
                ("standby", a.standby_port, WebHdfsHandler), ("admin", a.admin_port, AdminHandler))
        for role, port, handler in plan:
            lst = Listener(self, role, a.bind, port, handler)
            lst.start()
            self.listeners[role] = lst

    def stop(self):
        self.stopping.set()
        for lst in self.listeners.values():
            try:
                lst.stop()
            except Exception:
                pass

    def ready_line(self):
        L = self.listeners
        return "namenode=%s datanode=%s standby=%s admin=%s pid=%d%s" % (
            L["namenode"].addr(), L["datanode"].addr(), L["standby"].addr(),
            L["admin"].addr(), os.getpid(), " tls=1" if self.tls_context else "")


def parse_args(argv):
    p = argparse.ArgumentParser(description="WebHDFS test server (namenode, datanode, "
                                "standby namenode, admin API) for libstream's tests")
    p.add_argument("--root", required=True, help="directory holding the files")
    p.add_argument("--bind", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    p.add_argument("--nn-port", type=int, default=0)
    p.add_argument("--dn-port", type=int, default=0)
    p.add_argument("--standby-port", type=int, default=0)
    p.add_argument("--admin-port", type=int, default=0)
    p.add_argument("--ready-file", help="also write the ready line to this file (atomically)")
    p.add_argument("--seed", type=int, default=1, help="fault RNG seed (default 1)")
    p.add_argument("--require-user", action="store_true",
                   help="401 SecurityException when neither user.name nor delegation is given")
    p.add_argument("--token", action="append", metavar="TOKEN=USER",
                   help="a delegation token and its user (repeatable)")
    p.add_argument("--token-user", default="tokenuser",
                   help="user for unknown delegation tokens (default tokenuser)")
    p.add_argument("--superuser", default="hdfs")
    p.add_argument("--group", default="supergroup")
    p.add_argument("--blocksize", type=int, default=134217728)
    p.add_argument("--replication", type=int, default=3)
    p.add_argument("--ls-limit", type=int, default=1000, help="dfs.ls.limit for LISTSTATUS_BATCH")
    p.add_argument("--truncate-recovery-ms", type=float, default=500.0,
                   help="block recovery time after a TRUNCATE off a block boundary")
    p.add_argument("--exit-with-parent", action="store_true",
                   help="exit when the parent process goes away")
    p.add_argument("--tls-cert", metavar="FILE",
                   help="PEM certificate (chain): serve HTTPS on the namenode, datanode "
                   "and standby ports (swebhdfs); the admin port stays HTTP")
    p.add_argument("--tls-key", metavar="FILE", help="PEM private key for --tls-cert")
    p.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")
    a = p.parse_args(argv)
    if bool(a.tls_cert) != bool(a.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if not a.bind.startswith("127.") and a.bind != "localhost":
        p.error("--bind must be a loopback IPv4 address (127.x.y.z)")
    if a.bind == "localhost":
        a.bind = "127.0.0.1"
    for n in ("nn_port", "dn_port", "standby_port", "admin_port"):
        if not 0 <= getattr(a, n) <= 65535:
            p.error("bad port for --%s" % n.replace("_", "-"))
    os.makedirs(a.root, exist_ok=True)
    a.root = os.path.realpath(a.root)
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        app = App(args)
    except (OSError, ssl.SSLError) as e:
        sys.stderr.write("webhdfs_server: cannot load the TLS certificate/key: %s\n" % e)
        return 2
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        app.start()
    except OSError as e:
        sys.stderr.write("webhdfs_server: cannot listen: %s\n" % e)
        app.stop()
        return 1
    line = app.ready_line()
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
    app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
