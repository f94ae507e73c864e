/* libstream: a WebHDFS REST client (also works against HttpFS).
 *
 * A client talks to one HDFS namespace through its namenode(s) over
 * HTTP, following the two-step CREATE/APPEND protocol (namenode 307 ->
 * datanode) by hand.  Paths given to the client are relative to the base
 * path of the URL it was made with ("webhdfs://nn:9870/archive" and path
 * "a/b.json" or "/a/b.json" name /archive/a/b.json); "." and ".."
 * segments are refused, so a client never leaves its base.  Paths are
 * sent percent-encoded, one segment at a time, so any byte a name holds
 * (spaces, '%', '+', UTF-8) reaches HDFS unchanged.
 *
 * Errors: RemoteException replies map to distinct codes:
 * FileNotFoundException -> LS_ERR_NOT_FOUND; AccessControlException,
 * SecurityException -> LS_ERR_ACCESS; FileAlreadyExistsException ->
 * LS_ERR_EXISTS; AlreadyBeingCreatedException,
 * RecoveryInProgressException, LeaseExpiredException -> LS_ERR_BUSY;
 * network failures and 5xx -> LS_ERR_TRANSPORT.  Messages name the
 * operation and the path, e.g. "webhdfs CREATE /archive/x.tmp: HTTP 403
 * FileAlreadyExistsException: ...", and ls_error_http_status() gives the
 * status.
 *
 * Retries: connection failures, timeouts, 5xx and lease-recovery errors
 * (RecoveryInProgressException, LeaseExpiredException,
 * RetriableException, SafeModeException) are retried with capped
 * exponential backoff and full jitter (hdfs.retries,
 * hdfs.retry.backoff.ms, hdfs.retry.backoff.max.ms).  A 4xx that cannot
 * succeed is never retried.  AlreadyBeingCreatedException (another
 * writer holds the file's lease) is a conflict and is returned at once
 * (LS_ERR_BUSY, retriable later), unless this very call's earlier attempt
 * may hold that lease after a lost reply.  With several namenodes
 * (hdfs.namenodes) a request that cannot connect, or that a standby
 * answers (StandbyException), moves on to the next namenode at once; the
 * one that answered is remembered for later requests.
 *
 * Requests that are not idempotent (the data step of CREATE/APPEND,
 * RENAME, DELETE) go on a fresh connection, so libcurl never re-sends
 * them by itself; when their reply is lost, the client finds out what
 * happened before it retries (see ls_webhdfs_append()).  A RENAME or
 * DELETE retried after a lost reply that finds its work already done
 * succeeds.
 *
 * Process-wide setup: call curl_global_init(CURL_GLOBAL_ALL) once at
 * startup, before other threads run; the library never calls it.
 *
 * Thread safety: one thread at a time per client (it owns one libcurl
 * easy handle).  Different clients may be used from different threads.
 */
#ifndef LIBSTREAM_WEBHDFS_H
#define LIBSTREAM_WEBHDFS_H

#include "common.h"
#include "conf.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_webhdfs_s ls_webhdfs_t;

/** File types in listings and status. */
typedef enum {
    LS_WEBHDFS_FILE = 0,
    LS_WEBHDFS_DIRECTORY = 1,
    LS_WEBHDFS_SYMLINK = 2
} ls_webhdfs_type_t;

/**
 * Make a client.  No network I/O happens here.
 *
 * @param out   the new client; free with ls_webhdfs_destroy().  Left NULL
 *              on failure.
 * @param url   "webhdfs://host[:port][/base]" (http, port 9870 by
 *              default) or "swebhdfs://host[:port][/base]" (https, 9871).
 *              The base path may be percent-encoded.  No user info, query
 *              or fragment.
 * @param conf  hdfs.* settings (hdfs.user, hdfs.namenodes,
 *              hdfs.delegation.token, hdfs.kerberos, hdfs.retries,
 *              hdfs.retry.backoff.ms, hdfs.retry.backoff.max.ms,
 *              hdfs.timeout.ms, hdfs.connect.timeout.ms, hdfs.tls.verify,
 *              hdfs.tls.ca.file, hdfs.replication, hdfs.blocksize,
 *              hdfs.permission); read once, not kept.  May be NULL for
 *              every default.
 *
 * Authentication: with hdfs.delegation.token the token is sent on every
 * namenode request; else with hdfs.kerberos SPNEGO is used; else
 * "user.name" is hdfs.user, or $HADOOP_USER_NAME, or the login name.
 *
 * @returns NULL, or LS_ERR_INVALID_ARG naming the bad URL part or value.
 */
LS_EXPORT ls_error_t *ls_webhdfs_new(ls_webhdfs_t **out, const char *url,
                                     const ls_conf_t *conf);

/** Free a client and close its connections.  NULL is a no-op. */
LS_EXPORT void ls_webhdfs_destroy(ls_webhdfs_t *c);

/** The base path ("/" or e.g. "/archive"), borrowed from the client. */
LS_EXPORT const char *ls_webhdfs_base(const ls_webhdfs_t *c);

/** "host:port" of the namenode requests go to now (the last one that
 *  answered), borrowed until the next call on the client. */
LS_EXPORT const char *ls_webhdfs_namenode(const ls_webhdfs_t *c);

/**
 * MKDIRS: create path and its parents; an existing directory is fine.
 * Blocks for the request and its retries.
 */
LS_EXPORT ls_error_t *ls_webhdfs_mkdirs(ls_webhdfs_t *c, const char *path);

/**
 * CREATE path with the bytes data[0..len) (len may be 0: an empty file),
 * in the two steps WebHDFS prescribes: an empty PUT to the namenode,
 * then the data to the datanode its 307 names.  The data is sent from
 * the caller's memory, not copied.  With overwrite, an existing file is
 * replaced; then a retry after a lost reply is harmless.  Without it an
 * existing file gives LS_ERR_EXISTS.  Parents are created as needed.
 */
LS_EXPORT ls_error_t *ls_webhdfs_create(ls_webhdfs_t *c, const char *path,
                                        const void *data, size_t len,
                                        int overwrite);

/**
 * APPEND data[0..len) to the existing file path (two steps like CREATE,
 * with POST).
 *
 * @param length  in/out: the file's length before this append as the
 *                caller knows it (what CREATE and earlier APPENDs wrote),
 *                or -1 when unknown.  On success it grows by len (when
 *                not -1).
 *
 * Exactly-once: an APPEND whose reply is lost (a timeout or a broken
 * connection after the data was sent, or a 5xx from the datanode) may or
 * may not have been applied, so it is never retried blindly.  Before a
 * retry the client asks GETFILESTATUS for the file's length: equal to
 * *length + len means the data is there (success, nothing re-sent);
 * equal to *length means it is not (the append is retried); anything
 * else fails with LS_ERR_IO ("... holds N bytes, expected A or B: a
 * partial append") and the caller should discard the file.  With *length
 * -1 no check is possible and such a failure is returned, not retried.
 * Failures before any data was sent (namenode step, connect errors) are
 * retried normally.
 *
 * A timed-out request may still be running on the datanode, so after a
 * timeout the client waits one more hdfs.timeout.ms before it looks at
 * the length.  A datanode that stalls longer than that and then still
 * applies the append can make the file longer than what was written (on
 * real HDFS the file's lease usually prevents it); the WebHDFS storage
 * backend checks the length once more when it closes such a file and
 * fails the close rather than publish it.
 */
LS_EXPORT ls_error_t *ls_webhdfs_append(ls_webhdfs_t *c, const char *path,
                                        const void *data, size_t len,
                                        int64_t *length);

/**
 * RENAME from to to.  Fails with LS_ERR_EXISTS when to exists and
 * LS_ERR_NOT_FOUND when from (or to's parent) does not; it never
 * replaces to, nor moves from into a directory to (it asks
 * renameoptions=NONE; against a server that ignores that and answers
 * false, the client looks at both paths to tell which error it was).
 */
LS_EXPORT ls_error_t *ls_webhdfs_rename(ls_webhdfs_t *c, const char *from,
                                        const char *to);

/**
 * DELETE path; with recursive a non-empty directory too.  A missing path
 * gives LS_ERR_NOT_FOUND; a non-empty directory without recursive gives
 * LS_ERR_IO.
 */
LS_EXPORT ls_error_t *ls_webhdfs_delete(ls_webhdfs_t *c, const char *path,
                                        int recursive);

/**
 * GETFILESTATUS of path: any output may be NULL.  LS_ERR_NOT_FOUND when
 * it does not exist.
 */
LS_EXPORT ls_error_t *ls_webhdfs_stat(ls_webhdfs_t *c, const char *path,
                                      int64_t *length,
                                      ls_webhdfs_type_t *type,
                                      int64_t *mtime_ms);

/**
 * Callback of ls_webhdfs_list(), once per entry, on the caller's thread.
 * name (borrowed for the call) is the entry's name, not a path.  Return
 * non-zero to stop the listing early.  Do not call the same client from
 * inside the callback.
 */
typedef int(ls_webhdfs_list_cb_t)(void *opaque, const char *name,
                                  ls_webhdfs_type_t type, int64_t length,
                                  int64_t mtime_ms);

/**
 * LISTSTATUS of the directory path.  LS_ERR_NOT_FOUND when it does not
 * exist or is not a directory.  The reply is read whole (up to 64 MiB,
 * else LS_ERR_GENERIC) before the first callback, so an error leaves no
 * callback half-way.
 */
LS_EXPORT ls_error_t *ls_webhdfs_list(ls_webhdfs_t *c, const char *path,
                                      ls_webhdfs_list_cb_t *cb,
                                      void *opaque);

LS_END_DECLS

#endif
