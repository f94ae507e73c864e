/* libstream: shared HTTP plumbing over one libcurl easy handle, the
 * mapping of HTTP failures to ls_error_t, and the retry policy.  See
 * http_int.h.  The library never calls curl_global_init(): applications
 * call it once at startup (our tools do in main). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "http_int.h"
#include "libstream/version.h"

struct ls__http_s {
    CURL *curl;
    ls__http_opts_t o;
    char *ca_file;
    char useragent[64];
    char errbuf[CURL_ERROR_SIZE];
};

/* The body being sent, read from the caller's memory. */
typedef struct {
    const char *p;
    size_t len, off;
} upload_t;

/* What the callbacks of one transfer fill. */
typedef struct {
    ls__http_resp_t *resp;
    size_t body_max;
    int oom;
} sink_t;

/* ---- growing strings ------------------------------------------------ */

int ls__http_append(char **buf, size_t *len, size_t *cap, const char *s,
                    size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 64;
        while (c < *len + n + 1)
            c *= 2;
        char *b = realloc(*buf, c);
        if (!b)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

int ls__http_escape(char **buf, size_t *len, size_t *cap, const char *s,
                    int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    /* Copy runs of safe bytes at once, encode the others. */
    while (*s) {
        size_t n = 0;
        while (s[n] && (unreserved((unsigned char)s[n]) ||
                        (keep_slash && s[n] == '/')))
            n++;
        if (n && ls__http_append(buf, len, cap, s, n))
            return -1;
        s += n;
        if (!*s)
            break;
        unsigned char c = (unsigned char)*s++;
        char e[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (ls__http_append(buf, len, cap, e, 3))
            return -1;
    }
    if (!*buf) /* an empty input still gives a valid "" */
        return ls__http_append(buf, len, cap, "", 0);
    return 0;
}

/* ---- handle --------------------------------------------------------- */

ls_error_t *ls__http_new(ls__http_t **out, const ls__http_opts_t *opts)
{
    *out = NULL;
    ls__http_t *h = calloc(1, sizeof(*h));
    if (!h)
        return ls_error_new(LS_ERR_NOMEM, "http: out of memory");
    if (opts) {
        h->o = *opts;
    } else {
        h->o.tls_verify = 1;
    }
    h->o.ca_file = NULL;
    if (opts && opts->ca_file && *opts->ca_file &&
        !(h->ca_file = strdup(opts->ca_file))) {
        free(h);
        return ls_error_new(LS_ERR_NOMEM, "http: out of memory");
    }
    snprintf(h->useragent, sizeof(h->useragent), "libstream/%s",
             ls_version_str());
    /* No curl_global_init() here: that is the application's job. */
    h->curl = curl_easy_init();
    if (!h->curl) {
        ls__http_destroy(h);
        return ls_error_new(LS_ERR_NOMEM,
                            "http: curl_easy_init failed (out of memory, "
                            "or curl_global_init() failed)");
    }
    *out = h;
    return NULL;
}

void ls__http_destroy(ls__http_t *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    free(h->ca_file);
    free(h);
}

void ls__http_resp_free(ls__http_resp_t *r)
{
    if (!r)
        return;
    free(r->location);
    free(r->content_type);
    free(r->etag);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static void resp_reset(ls__http_resp_t *r)
{
    r->status = 0;
    free(r->location);
    free(r->content_type);
    free(r->etag);
    r->location = r->content_type = r->etag = NULL;
    r->content_length = -1;
    r->body_len = 0;
    if (r->body)
        r->body[0] = '\0';
    r->body_truncated = 0;
    r->curl_code = 0;
    r->not_sent = 0;
    r->timed_out = 0;
}

/* ---- callbacks ------------------------------------------------------ */

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    upload_t *u = ud;
    size_t n = size * nitems, left = u->len - u->off;
    if (n > left)
        n = left;
    memcpy(buf, u->p + u->off, n);
    u->off += n;
    return n;
}

/* curl rewinds the body when it must send it again (authentication). */
static int seek_cb(void *ud, curl_off_t offset, int origin)
{
    upload_t *u = ud;
    curl_off_t base = origin == SEEK_SET   ? 0
                      : origin == SEEK_CUR ? (curl_off_t)u->off
                                           : (curl_off_t)u->len;
    curl_off_t to = base + offset;
    if (to < 0 || to > (curl_off_t)u->len)
        return CURL_SEEKFUNC_FAIL;
    u->off = (size_t)to;
    return CURL_SEEKFUNC_OK;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sink_t *s = ud;
    ls__http_resp_t *r = s->resp;
    size_t n = size * nmemb, keep = n;
    if (r->body_len + keep > s->body_max) {
        keep = s->body_max > r->body_len ? s->body_max - r->body_len : 0;
        r->body_truncated = 1;
    }
    if (keep && ls__http_append(&r->body, &r->body_len, &r->cap, ptr, keep)) {
        s->oom = 1;
        return 0; /* aborts the transfer */
    }
    return n;
}

/* A copy of a header's value (trimmed) when line is "name: value". */
static char *header_value(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return NULL;
    const char *v = line + k + 1, *e = line + n;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' ||
                     e[-1] == '\t'))
        e--;
    return strndup(v, (size_t)(e - v));
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    sink_t *s = ud;
    ls__http_resp_t *r = s->resp;
    size_t n = size * nitems;
    char *v;
    if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* A new response (after 100 Continue or a 401): start over. */
        free(r->location);
        free(r->content_type);
        free(r->etag);
        r->location = r->content_type = r->etag = NULL;
    } else if ((v = header_value(buf, n, "Location"))) {
        free(r->location);
        r->location = v;
    } else if ((v = header_value(buf, n, "Content-Type"))) {
        free(r->content_type);
        r->content_type = v;
    } else if ((v = header_value(buf, n, "ETag"))) {
        free(r->etag);
        r->etag = v;
    }
    return n;
}

/* ---- requests ------------------------------------------------------- */

/* Errors that happen before a byte of the request is sent. */
static int connect_phase(CURLcode c)
{
    switch (c) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return 1;
    default:
        return 0;
    }
}

/* Failures that the same request will hit again: not retriable. */
static int permanent(CURLcode c)
{
    switch (c) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_AUTH_ERROR:
        return 1;
    default:
        return 0;
    }
}

#define SETOPT(opt, val)                                                 \
    do {                                                                 \
        if (rc == CURLE_OK)                                              \
            rc = curl_easy_setopt(c, opt, val);                          \
    } while (0)

ls_error_t *ls__http_do(ls__http_t *h, const ls__http_req_t *req,
                        ls__http_resp_t *resp)
{
    CURL *c = h->curl;
    CURLcode rc = CURLE_OK;
    struct curl_slist *hl = NULL;
    upload_t up = {req->body ? req->body : "", req->body_len, 0};
    sink_t sink = {resp, req->body_max ? req->body_max : LS__HTTP_BODY_MAX,
                   0};
    int has_body = req->has_body || req->body_len > 0;

    resp_reset(resp);
    /* A reset keeps live connections, the DNS and cookie caches: only
     * the options go, so no state leaks from one request into the next. */
    curl_easy_reset(c);
    h->errbuf[0] = '\0';

    SETOPT(CURLOPT_URL, req->url);
    SETOPT(CURLOPT_ERRORBUFFER, h->errbuf);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_USERAGENT, h->useragent);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    /* Send the path exactly as built (and signed): no removal of "." and
     * ".." segments, which S3 keys may hold. */
    SETOPT(CURLOPT_PATH_AS_IS, 1L);
    if (req->once)
        SETOPT(CURLOPT_FRESH_CONNECT, 1L);
    if (h->o.connect_timeout_ms > 0)
        SETOPT(CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
    if (h->o.timeout_ms > 0)
        SETOPT(CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
    SETOPT(CURLOPT_SSL_VERIFYPEER, h->o.tls_verify ? 1L : 0L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, h->o.tls_verify ? 2L : 0L);
    if (h->ca_file)
        SETOPT(CURLOPT_CAINFO, h->ca_file);
    if (h->o.negotiate) {
        SETOPT(CURLOPT_HTTPAUTH, (long)CURLAUTH_NEGOTIATE);
        SETOPT(CURLOPT_USERPWD, ":");
        SETOPT(CURLOPT_COOKIEFILE, ""); /* keep hadoop.auth */
    }
    SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
    SETOPT(CURLOPT_HEADERDATA, &sink);
    SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
    SETOPT(CURLOPT_WRITEDATA, &sink);

    if (!strcmp(req->method, "HEAD")) {
        SETOPT(CURLOPT_NOBODY, 1L);
    } else if (has_body) {
        /* An upload from our memory with a known length: Content-Length,
         * never chunked; the method is whatever the caller says. */
        SETOPT(CURLOPT_UPLOAD, 1L);
        SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
        SETOPT(CURLOPT_READFUNCTION, read_cb);
        SETOPT(CURLOPT_READDATA, &up);
        SETOPT(CURLOPT_SEEKFUNCTION, seek_cb);
        SETOPT(CURLOPT_SEEKDATA, &up);
        if (strcmp(req->method, "PUT"))
            SETOPT(CURLOPT_CUSTOMREQUEST, req->method);
    } else if (!strcmp(req->method, "GET")) {
        SETOPT(CURLOPT_HTTPGET, 1L);
    } else {
        SETOPT(CURLOPT_CUSTOMREQUEST, req->method);
    }

    int oom = 0;
    for (const char *const *p = req->headers; p && *p && !oom; p++) {
        struct curl_slist *n = curl_slist_append(hl, *p);
        if (!n)
            oom = 1;
        else
            hl = n;
    }
    if (has_body && !oom) {
        /* "Expect:" (empty) stops curl from waiting for 100 Continue. */
        struct curl_slist *n = curl_slist_append(hl, "Expect:");
        if (!n)
            oom = 1;
        else
            hl = n;
    }
    if (oom) {
        curl_slist_free_all(hl);
        return ls_error_new(LS_ERR_NOMEM, "http: out of memory");
    }
    if (hl)
        SETOPT(CURLOPT_HTTPHEADER, hl);

    if (rc == CURLE_OK)
        rc = curl_easy_perform(c);
    curl_slist_free_all(hl);

    long status = 0;
    curl_off_t clen = -1;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen) !=
        CURLE_OK)
        clen = -1;
    resp->status = status;
    resp->content_length = status ? (int64_t)clen : -1;
    resp->curl_code = (int)rc;
    if (!resp->body && ls__http_append(&resp->body, &resp->body_len,
                                       &resp->cap, "", 0))
        sink.oom = 1;
    if (sink.oom)
        return ls_error_new(LS_ERR_NOMEM, "http: out of memory");
    if (rc == CURLE_OK)
        return NULL;

    curl_off_t pre = 0;
    curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME_T, &pre);
    resp->not_sent = connect_phase(rc) || pre == 0;
    resp->timed_out = rc == CURLE_OPERATION_TIMEDOUT && !resp->not_sent;
    const char *detail = h->errbuf[0] ? h->errbuf : "";
    ls_err_t code = rc == CURLE_OUT_OF_MEMORY ? LS_ERR_NOMEM
                    : rc == CURLE_URL_MALFORMAT ||
                            rc == CURLE_UNSUPPORTED_PROTOCOL
                        ? LS_ERR_INVALID_ARG
                        : LS_ERR_TRANSPORT;
    ls_error_t *err = ls_error_new(code, "%s%s%s", curl_easy_strerror(rc),
                                   *detail ? ": " : "", detail);
    return ls_error_set_retriable(err, code == LS_ERR_TRANSPORT &&
                                           !permanent(rc));
}

void ls__http_url_host(const char *url, char *buf, size_t size)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    /* Never show user info; a password may itself hold '@', so the host
     * starts after the last one. */
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '@')
            at = p + i;
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    snprintf(buf, size, "%.*s", (int)n, p);
}

/* ---- errors --------------------------------------------------------- */

static void copy_str(char *dst, size_t size, const char *src)
{
    if (size)
        snprintf(dst, size, "%s", src ? src : "");
}

/* The part of a Java class name after the last '.' and '$'; the whole
 * name when that part would be empty ("a.b."). */
static const char *short_name(const char *s)
{
    const char *full = s;
    const char *d = strrchr(s, '.');
    s = d ? d + 1 : s;
    d = strrchr(s, '$');
    s = d ? d + 1 : s;
    return *s ? s : full;
}

int ls__http_remote_exception(const char *body, size_t len, char *exc,
                              size_t exc_size, char *msg, size_t msg_size)
{
    const char *end = NULL;
    copy_str(exc, exc_size, "");
    copy_str(msg, msg_size, "");
    if (!body || !len || memchr(body, '\0', len) != NULL)
        return 0;
    /* Never cJSON_GetErrorPtr(): it is process-global. */
    cJSON *root = cJSON_ParseWithOpts(body, &end, 1);
    if (!root)
        return 0;
    int ok = 0;
    const cJSON *re = cJSON_GetObjectItemCaseSensitive(root,
                                                       "RemoteException");
    if (cJSON_IsObject(re)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(re, "exception");
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(re,
                                                          "javaClassName");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(re, "message");
        const char *name = cJSON_IsString(e) && *e->valuestring
                               ? e->valuestring
                           : cJSON_IsString(j) && *j->valuestring
                               ? j->valuestring
                               : NULL;
        if (name) {
            copy_str(exc, exc_size, short_name(name));
            copy_str(msg, msg_size,
                     cJSON_IsString(m) ? m->valuestring : "");
            ok = 1;
        }
    }
    cJSON_Delete(root);
    return ok;
}

static const struct {
    const char *name;
    ls_err_t code;
    int retriable;
} exceptions[] = {
    {"FileNotFoundException", LS_ERR_NOT_FOUND, 0},
    {"ParentNotDirectoryException", LS_ERR_NOT_FOUND, 0},
    {"AccessControlException", LS_ERR_ACCESS, 0},
    {"SecurityException", LS_ERR_ACCESS, 0},
    {"AuthorizationException", LS_ERR_ACCESS, 0},
    {"AuthenticationException", LS_ERR_ACCESS, 0},
    {"InvalidToken", LS_ERR_ACCESS, 0},
    {"FileAlreadyExistsException", LS_ERR_EXISTS, 0},
    /* Lease conflicts: someone (maybe our own lost request) holds the
     * file; retriable later.  The WebHDFS client decides whether it
     * retries AlreadyBeingCreatedException itself. */
    {"AlreadyBeingCreatedException", LS_ERR_BUSY, 1},
    {"RecoveryInProgressException", LS_ERR_BUSY, 1},
    {"LeaseExpiredException", LS_ERR_BUSY, 1},
    {"RetriableException", LS_ERR_BUSY, 1},
    {"SafeModeException", LS_ERR_BUSY, 1},
    {"NotReplicatedYetException", LS_ERR_BUSY, 1},
    /* A standby namenode: another namenode can serve it. */
    {"StandbyException", LS_ERR_TRANSPORT, 1},
    {"ConnectException", LS_ERR_TRANSPORT, 1},
    {"SocketTimeoutException", LS_ERR_TRANSPORT, 1},
    {"IllegalArgumentException", LS_ERR_INVALID_ARG, 0},
    {"HadoopIllegalArgumentException", LS_ERR_INVALID_ARG, 0},
    {"InvalidPathException", LS_ERR_INVALID_ARG, 0},
    {"UnsupportedOperationException", LS_ERR_INVALID_ARG, 0},
    {"PathIsNotEmptyDirectoryException", LS_ERR_IO, 0},
    {"QuotaExceededException", LS_ERR_IO, 0},
    {"NSQuotaExceededException", LS_ERR_IO, 0},
    {"DSQuotaExceededException", LS_ERR_IO, 0},
};

ls_err_t ls__http_exception_code(const char *exception, int *retriable)
{
    int r = 0;
    ls_err_t code = LS_ERR_GENERIC;
    if (exception) {
        const char *s = short_name(exception);
        for (size_t i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]);
             i++)
            if (!strcmp(exceptions[i].name, s)) {
                code = exceptions[i].code;
                r = exceptions[i].retriable;
                break;
            }
    }
    if (retriable)
        *retriable = r;
    return code;
}

ls_err_t ls__http_status_code(long status, int *retriable)
{
    int r = 0;
    ls_err_t code;
    if (status >= 500 && status <= 599) {
        code = LS_ERR_TRANSPORT;
        r = status != 501 && status != 505; /* not implemented: final */
    } else if (status == 408 || status == 429) {
        code = LS_ERR_TRANSPORT;
        r = 1;
    } else if (status == 400 || status == 405 || status == 411 ||
               status == 413 || status == 414 || status == 415) {
        code = LS_ERR_INVALID_ARG;
    } else if (status == 401 || status == 403 || status == 407) {
        code = LS_ERR_ACCESS;
    } else if (status == 404 || status == 410) {
        code = LS_ERR_NOT_FOUND;
    } else if (status == 409 || status == 412) {
        code = LS_ERR_EXISTS;
    } else {
        code = LS_ERR_GENERIC;
    }
    if (retriable)
        *retriable = r;
    return code;
}

ls_error_t *ls__http_status_error(const char *what,
                                  const ls__http_resp_t *resp, char *exc,
                                  size_t exc_size)
{
    char name[128], msg[1024];
    int retriable = 0;
    ls_err_t code;
    ls_error_t *err;
    if (ls__http_remote_exception(resp->body, resp->body_len, name,
                                  sizeof(name), msg, sizeof(msg))) {
        code = ls__http_exception_code(name, &retriable);
        if (code == LS_ERR_GENERIC) {
            /* An exception we do not know: WebHDFS sends any other
             * IOException as 403 (HttpFS as 500); go by the status. */
            code = ls__http_status_code(resp->status, &retriable);
            if (resp->status == 403)
                code = LS_ERR_IO;
        }
        err = ls_error_new(code, "%s: HTTP %ld %s%s%s", what, resp->status,
                           name, *msg ? ": " : "", msg);
    } else {
        /* The first line of whatever came back, made printable. */
        char line[201];
        size_t n = 0;
        for (size_t i = 0; resp->body && i < resp->body_len &&
                           n < sizeof(line) - 1;
             i++) {
            unsigned char ch = (unsigned char)resp->body[i];
            if (ch == '\n' || ch == '\r') {
                if (n)
                    break;
                continue;
            }
            line[n++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
        }
        line[n] = '\0';
        name[0] = '\0';
        code = ls__http_status_code(resp->status, &retriable);
        err = ls_error_new(code, "%s: HTTP %ld%s%s", what, resp->status,
                           n ? " " : "", line);
    }
    if (exc)
        copy_str(exc, exc_size, name);
    ls_error_set_http_status(err, (int)resp->status);
    return ls_error_set_retriable(err, retriable);
}

/* ---- retries -------------------------------------------------------- */

static uint64_t next_rand(uint64_t *s)
{
    /* xorshift64*: per-handle state, no global PRNG. */
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

long ls__http_backoff_ms(const ls__retry_t *r, int attempt, uint64_t *rng)
{
    long cap = r->cap_ms > 0 ? r->cap_ms : 0;
    long base = r->base_ms > 0 ? r->base_ms : 0;
    long ceil = cap;
    if (attempt < 0)
        attempt = 0;
    if (attempt < 62 && base <= (cap >> attempt))
        ceil = base << attempt;
    if (ceil <= 0)
        return 0;
    return (long)(next_rand(rng) % ((uint64_t)ceil + 1));
}

int ls__http_should_retry(const ls__retry_t *r, const ls_error_t *err,
                          int attempt)
{
    return err && ls_error_code(err) != LS_ERR_NOMEM &&
           ls_error_is_retriable(err) && attempt < r->max_retries;
}

void ls__http_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

uint64_t ls__http_seed(const void *salt)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 (uint64_t)(uintptr_t)salt ^ ((uint64_t)getpid() << 48);
    return s ? s : 1;
}
