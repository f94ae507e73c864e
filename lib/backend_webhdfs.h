/* libstream: the WebHDFS storage backend and WebHDFS client internals
 * shared inside lib/ (and reached by tests/unit/test_webhdfs.c). */
#ifndef LS_BACKEND_WEBHDFS_H
#define LS_BACKEND_WEBHDFS_H

#include "libstream/backend.h"
#include "libstream/webhdfs.h"
#include "http_int.h"

/* Open the WebHDFS backend for "webhdfs://host:port/base" or
 * "swebhdfs://...": files live under the URL's base path.  conf (hdfs.*
 * keys) may be NULL.  No network I/O: the first operation finds out
 * whether the namenode answers.  The signature of ls_backend_open()'s
 * dispatch table. */
ls_error_t *ls__backend_webhdfs_open(ls_backend_t **out, const char *url,
                                     const ls_conf_t *conf);

/* The backend over an existing client, which it takes over (also on
 * failure).  For tests that need settings no conf key gives yet. */
ls_error_t *ls__backend_webhdfs_wrap(ls_backend_t **out, ls_webhdfs_t *c);

/* ---- client internals ----------------------------------------------- */

/* Every setting of a client, as read from a conf (strings borrowed). */
typedef struct {
    const char *user;       /* hdfs.user; "" = $HADOOP_USER_NAME / login */
    const char *namenodes;  /* hdfs.namenodes; "" = the URL's host */
    const char *delegation; /* hdfs.delegation.token; "" = none */
    int kerberos;           /* hdfs.kerberos */
    int retries;            /* hdfs.retries */
    long backoff_ms;        /* hdfs.retry.backoff.ms */
    long backoff_max_ms;    /* hdfs.retry.backoff.max.ms */
    long timeout_ms;        /* hdfs.timeout.ms; 0 = none */
    long connect_timeout_ms;/* hdfs.connect.timeout.ms */
    int tls_verify;         /* hdfs.tls.verify */
    const char *ca_file;    /* hdfs.tls.ca.file; "" = system CAs */
    int64_t replication;    /* hdfs.replication; 0 = server default */
    int64_t blocksize;      /* hdfs.blocksize; 0 = server default */
    const char *permission; /* hdfs.permission (octal); "" = default */
} ls__webhdfs_opts_t;

/* The defaults, then every hdfs.* key conf has (conf may be NULL; keys
 * a conf does not know keep their defaults).  Fails with
 * LS_ERR_INVALID_ARG naming a malformed value. */
ls_error_t *ls__webhdfs_opts_from_conf(ls__webhdfs_opts_t *o,
                                       const ls_conf_t *conf);

/* ls_webhdfs_new() with explicit settings. */
ls_error_t *ls__webhdfs_new_opts(ls_webhdfs_t **out, const char *url,
                                 const ls__webhdfs_opts_t *o);

/* Non-zero for a swebhdfs:// (https) client. */
int ls__webhdfs_tls(const ls_webhdfs_t *c);

/* Split "webhdfs://host:port/base" into tls (swebhdfs), the authority
 * normalised to "host:port" ("" when the URL has none) and the decoded
 * base path ("/" or "/a/b", no trailing '/').  Outputs are malloc'd. */
ls_error_t *ls__webhdfs_parse_url(const char *url, int *tls,
                                  char **authority, char **base);

/* Parse a comma-separated "host[:port]" list (spaces around entries
 * allowed, "[v6]:port" too) into normalised "host:port" strings, the
 * default port being 9870 (tls: 9871).  Free with
 * ls__webhdfs_free_list(). */
ls_error_t *ls__webhdfs_parse_namenodes(const char *list, int tls,
                                        char ***out, size_t *n);
void ls__webhdfs_free_list(char **list, size_t n);

/* The full HDFS path for path relative to the client's base (a leading
 * '/' is allowed; "" is the base).  Refuses empty, "." and ".."
 * segments.  *out is malloc'd. */
ls_error_t *ls__webhdfs_full_path(const ls_webhdfs_t *c, const char *path,
                                  char **out);

/* The namenode URL for op on the full path, with the authentication
 * parameters and extra (already encoded, "&k=v..." or ""), e.g.
 * "http://nn:9870/webhdfs/v1/a%20b?op=CREATE&user.name=u&overwrite=true".
 * malloc'd; NULL when out of memory. */
char *ls__webhdfs_url(const ls_webhdfs_t *c, const char *op,
                      const char *full, const char *extra);

/* ls_webhdfs_create() and ls_webhdfs_append() that also say whether
 * some attempt failed in a way that may have been applied anyway
 * (*ambiguous, may be NULL): the outcome was resolved (retried after a
 * length check, or a repeatable CREATE), but a request still stuck in a
 * datanode could land later, so a careful caller checks the length once
 * more before it publishes the file. */
ls_error_t *ls__webhdfs_create_ex(ls_webhdfs_t *c, const char *path,
                                  const void *data, size_t len,
                                  int overwrite, int *ambiguous);
ls_error_t *ls__webhdfs_append_ex(ls_webhdfs_t *c, const char *path,
                                  const void *data, size_t len,
                                  int64_t *length, int *ambiguous);

/* What to do after a failed attempt. */
typedef enum {
    LS__WH_FAIL = 0, /* give up: return the error */
    LS__WH_RETRY,    /* back off, then try again */
    LS__WH_FAILOVER  /* try the next namenode now */
} ls__wh_action_t;

/* The retry decision for err (never NULL).  exception: the RemoteException
 * name ("" if none); at_namenode: the failure came from a namenode;
 * ambiguous: an earlier or this attempt may have been applied (then an
 * AlreadyBeingCreatedException may be our own lost request's lease and
 * is worth waiting out; otherwise it is another writer's: a conflict);
 * n_namenodes: how many there are to fail over to.  The attempt budget
 * is not considered here (ls__http_should_retry). */
ls__wh_action_t ls__webhdfs_decide(const ls_error_t *err,
                                   const char *exception, int at_namenode,
                                   int ambiguous, size_t n_namenodes);

/* ---- replies: what the operations read from a received reply r (for
 * tests/fuzz; body NUL-terminated as ls__http_do() leaves it) ---------- */

/* The "boolean" of a {"boolean": b} reply: 1, 0, or -1 if none. */
int ls__webhdfs_reply_boolean(const ls__http_resp_t *r);

/* The Location of a 2xx {"Location": "..."} reply (noredirect),
 * malloc'd, or NULL. */
char *ls__webhdfs_json_location(const ls__http_resp_t *r);

/* A GETFILESTATUS reply for full: its length, type and modification
 * time (each may be NULL), or an error when it is not
 * {"FileStatus":{...}}. */
ls_error_t *ls__webhdfs_parse_stat(const char *full,
                                   const ls__http_resp_t *r, int64_t *length,
                                   ls_webhdfs_type_t *type, int64_t *mtime);

/* A LISTSTATUS reply for full: cb for each entry, as ls_webhdfs_list()
 * does, or an error (truncated, not a listing, not a directory). */
ls_error_t *ls__webhdfs_parse_list(const char *full,
                                   const ls__http_resp_t *r,
                                   ls_webhdfs_list_cb_t *cb, void *opaque);

#endif
