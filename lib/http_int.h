/* libstream: shared HTTP plumbing over one libcurl easy handle (internal).
 *
 * One ls__http_t per client (WebHDFS, S3...) wraps one CURL easy handle
 * that is reused for every request, so connections to the same host stay
 * open between requests.  Redirects are never followed: callers that
 * speak two-step protocols (WebHDFS CREATE/APPEND) read the Location
 * header and make the second request themselves.
 *
 * Process-wide initialisation: the library never calls
 * curl_global_init().  Applications call curl_global_init(CURL_GLOBAL_ALL)
 * once at startup, before any other thread runs (our tools do it in
 * main); curl_easy_init() would otherwise do it implicitly, which is not
 * thread-safe.
 *
 * This file also holds what every HTTP client here needs: percent-
 * encoding, mapping an HTTP status or a WebHDFS RemoteException body to an
 * ls_error_t, and a retry policy (capped exponential backoff with full
 * jitter).
 *
 * Thread safety: one thread at a time per ls__http_t (a curl easy handle
 * has the same rule).
 */
#ifndef LS_HTTP_INT_H
#define LS_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "libstream/error.h"

typedef struct ls__http_s ls__http_t;

/* Per-handle settings, copied by ls__http_new(). */
typedef struct {
    long connect_timeout_ms; /* TCP + TLS connect; 0: curl's default */
    long timeout_ms;         /* whole request; 0: none */
    int tls_verify;          /* verify peer and host name */
    const char *ca_file;     /* PEM bundle; NULL/"": the system's */
    int negotiate;           /* SPNEGO (Kerberos) authentication */
} ls__http_opts_t;

/* Default cap on a captured response body: error and JSON replies. */
#define LS__HTTP_BODY_MAX ((size_t)1 << 20)

typedef struct {
    const char *method; /* "GET", "PUT", "POST", "DELETE", "HEAD" */
    const char *url;
    /* Extra request headers "Name: value", NULL-terminated; may be NULL. */
    const char *const *headers;
    /* Body, sent from the caller's memory without a copy, with a
     * Content-Length (never chunked, never "Expect: 100-continue").
     * has_body with body_len 0 sends "Content-Length: 0". */
    const void *body;
    size_t body_len;
    int has_body;
    size_t body_max; /* cap on the captured reply; 0: LS__HTTP_BODY_MAX */
    /* Not idempotent (APPEND, RENAME, DELETE...): send it on a fresh
     * connection.  On a reused keep-alive connection that turns out to be
     * dead, libcurl silently sends a request again, which for these could
     * apply it twice; on a fresh connection it never does, and the caller
     * sees the failure and decides. */
    int once;
} ls__http_req_t;

typedef struct {
    long status;        /* final HTTP status, 0 if none was received */
    char *location;     /* Location header of the final reply, or NULL */
    char *content_type; /* Content-Type of the final reply, or NULL */
    char *body;         /* reply body, always NUL-terminated */
    size_t body_len;
    int body_truncated; /* the reply was longer than body_max */
    int curl_code;      /* CURLcode of the transfer (0: CURLE_OK) */
    /* A transfer error that happened before any byte of the request was
     * sent (name resolution, connect, TLS handshake): retrying cannot
     * duplicate anything, and another server may be tried. */
    int not_sent;
    /* The transfer hit the timeout: the server may still be working on
     * the request (and may still apply it). */
    int timed_out;
    char *etag;             /* ETag header of the final reply, or NULL */
    int64_t content_length; /* Content-Length of the final reply, -1 if
                             * none (for HEAD: the resource's size) */
    /* private */
    size_t cap;
} ls__http_resp_t;

/* Create a handle (no network I/O).  opts may be NULL for defaults
 * (verify on, no timeouts). */
ls_error_t *ls__http_new(ls__http_t **out, const ls__http_opts_t *opts);

/* Free the handle and close its connections.  NULL is a no-op. */
void ls__http_destroy(ls__http_t *h);

/* Perform one request; blocks up to the timeouts.  resp (zeroed by the
 * caller once, then reused) is reset first.  Returns NULL when a reply
 * was received, whatever its status; on a transfer failure returns a
 * retriable LS_ERR_TRANSPORT error "<curl message>: <detail>" (the caller
 * prefixes the operation) and fills resp->curl_code and resp->not_sent. */
ls_error_t *ls__http_do(ls__http_t *h, const ls__http_req_t *req,
                        ls__http_resp_t *resp);

/* Free what resp holds and zero it. */
void ls__http_resp_free(ls__http_resp_t *resp);

/* The "host:port" part of an http(s) URL into buf (for messages). */
void ls__http_url_host(const char *url, char *buf, size_t size);

/* ---- percent-encoding --------------------------------------------- */

/* Append s percent-encoded to a growing string: every byte outside
 * A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase), except '/' when keep_slash.
 * So ' ' -> %20, '+' -> %2B, '%' -> %25, UTF-8 bytes one by one.
 * buf, len and cap describe a malloc'd, NUL-terminated string (all zero to
 * start).  Returns 0, or -1 when out of memory. */
int ls__http_escape(char **buf, size_t *len, size_t *cap, const char *s,
                    int keep_slash);

/* Append raw bytes to the same kind of growing string. */
int ls__http_append(char **buf, size_t *len, size_t *cap, const char *s,
                    size_t n);

/* ---- errors --------------------------------------------------------- */

/* Parse a WebHDFS/HttpFS error body
 * {"RemoteException":{"exception":"...","javaClassName":"...",
 *  "message":"..."}} with cJSON (thread-safe use: no global error
 * pointer is ever read).  On success returns 1 and copies the short
 * exception name (the part after the last '.', from "exception" or else
 * "javaClassName") and the message (may be "") into the buffers,
 * truncated to fit.  Returns 0 for anything else: not JSON, other JSON,
 * missing fields. */
int ls__http_remote_exception(const char *body, size_t len, char *exc,
                              size_t exc_size, char *msg, size_t msg_size);

/* The code for a RemoteException name (short or fully qualified), and
 * whether it is worth retrying the same request (after a backoff). */
ls_err_t ls__http_exception_code(const char *exception, int *retriable);

/* The code for an HTTP status without a recognised error body, and
 * whether it is retriable: 5xx, 408 and 429 are; other 4xx never. */
ls_err_t ls__http_status_code(long status, int *retriable);

/* The error for a reply with a failure status: maps the RemoteException
 * when the body has one, else the status.  Message:
 * "<what>: HTTP <status> <Exception>: <message>" or
 * "<what>: HTTP <status> <first line of the body>".  The error carries
 * the status (ls_error_http_status) and the right retriable flag.  If
 * exc is not NULL, the exception name ("" when none) is copied there. */
ls_error_t *ls__http_status_error(const char *what,
                                  const ls__http_resp_t *resp, char *exc,
                                  size_t exc_size);

/* ---- retries -------------------------------------------------------- */

typedef struct {
    int max_retries; /* retries after the first attempt */
    long base_ms;    /* backoff of the first retry, before jitter */
    long cap_ms;     /* the most one backoff can be */
} ls__retry_t;

/* Backoff before retry number attempt (0 for the first retry): a uniform
 * random value in [0, min(cap_ms, base_ms * 2^attempt)] ("full jitter").
 * *rng is the caller's PRNG state (any non-zero seed). */
long ls__http_backoff_ms(const ls__retry_t *r, int attempt, uint64_t *rng);

/* Whether to retry after err on attempt number attempt (0-based count of
 * retries already made): only a retriable error, never out of memory,
 * and only while attempt < max_retries. */
int ls__http_should_retry(const ls__retry_t *r, const ls_error_t *err,
                          int attempt);

/* Sleep ms milliseconds (restarted on EINTR). */
void ls__http_sleep_ms(long ms);

/* A PRNG seed that differs between handles and processes. */
uint64_t ls__http_seed(const void *salt);

#endif
