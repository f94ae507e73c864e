/* libstream: the S3 client.  See include/libstream/s3.h.
 *
 * Every request goes through run(): sign it with our SigV4 signer (a
 * fresh x-amz-date each attempt), send exactly the URI and query the
 * signer produced through the shared libcurl layer (http.c), map a
 * failure to an ls_error_t (S3's XML error document, else the status)
 * and retry what is retriable with capped exponential backoff and full
 * jitter.  Replies are read into one response buffer the client reuses.
 *
 * The few XML documents S3 answers with are read in lib/s3_xml.c, and
 * the credentials chain is in lib/s3_creds.c; what the three files
 * share is declared in lib/s3_int.h.
 *
 * Secrets: the secret key and the session token live only in the client
 * (wiped by ls_s3_destroy()) and in the credentials the signer reads.
 * Every error leaving the client's functions goes through scrub(), which
 * replaces either of them, should a server echo one back, with
 * "[redacted]". */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "http_int.h"
#include "libstream/s3.h"
#include "libstream/sigv4.h"
#include "s3_int.h"

/* ---- limits and defaults ------------------------------------------------ */

#define S3_KEY_MAX 1024
#define S3_DEFAULT_PART ((size_t)8 << 20)
#define S3_MAX_PART ((int64_t)5 << 30)
#define S3_LIST_BODY_MAX ((size_t)64 << 20)
#define S3_REPLY_MAX ((size_t)1 << 20)

struct ls_s3_s {
    ls__http_t *http;
    ls__http_resp_t resp;
    int tls;
    char *endpoint; /* "http(s)://host[:port]" */
    char *ep_host;  /* "host[:port]" (no default port) */
    char *bucket;
    char *region;
    int path_style;
    char *akid, *secret, *token; /* token "" when none */
    char *cred_source;
    size_t part_size;
    int unsigned_payload;
    ls__retry_t retry;
    uint64_t rng;
};

typedef struct {
    char *etag; /* as received, quotes included */
    size_t len;
} part_t;

struct ls_s3_upload_s {
    ls_s3_t *c;
    char *key;
    char *id;
    part_t *parts;
    int nparts, cap;
    int state; /* 0 open, 1 completed, 2 aborted */
};

/* ---- small helpers (shared: see s3_int.h) ------------------------------- */

ls_error_t *ls__s3_nomem(void)
{
    return ls_error_new(LS_ERR_NOMEM, "s3: out of memory");
}

void ls__s3_wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* A printable, bounded copy of s for messages: control bytes become
 * '?', and more than max bytes end in "...". */
void ls__s3_printable(char *buf, size_t size, const char *s, size_t max)
{
    size_t n = 0, i;
    if (!size)
        return;
    for (i = 0; s && s[i] && n + 1 < size && i < max; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[n++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    if (s && s[i] && n + 4 < size) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

/* Replace every occurrence of needle in a malloc'd string. */
static char *replace_all(const char *s, const char *needle, const char *with)
{
    size_t nl = strlen(needle), wl = strlen(with), cnt = 0;
    const char *p;
    for (p = s; (p = strstr(p, needle)); p += nl)
        cnt++;
    size_t out_len = strlen(s) - cnt * nl + cnt * wl;
    char *out = malloc(out_len + 1), *o = out;
    if (!out)
        return NULL;
    for (p = s;;) {
        const char *q = strstr(p, needle);
        if (!q) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, with, wl);
        o += wl;
        p = q + nl;
    }
    return out;
}

/* The last line of defence: an error that quotes the secret key or the
 * session token (a server echoing them, a key named after them) gets
 * them replaced by "[redacted]", keeping code, status and retriable. */
static ls_error_t *scrub_secrets(ls_error_t *err, const char *secret,
                                 const char *token)
{
    if (!err)
        return NULL;
    const char *m = ls_error_message(err);
    int hit_s = secret && *secret && strstr(m, secret);
    int hit_t = token && *token && strstr(m, token);
    if (!hit_s && !hit_t)
        return err;
    char *a = hit_s ? replace_all(m, secret, "[redacted]") : strdup(m);
    char *b = a && hit_t ? replace_all(a, token, "[redacted]") : a;
    if (b != a)
        free(a);
    ls_error_t *e;
    if (!b) {
        e = ls_error_new(LS_ERR_NOMEM, "s3: out of memory (while "
                                       "redacting an error message)");
    } else {
        e = ls_error_new(ls_error_code(err), "%s", b);
        ls_error_set_http_status(e, ls_error_http_status(err));
        ls_error_set_retriable(e, ls_error_is_retriable(err));
        explicit_bzero(b, strlen(b));
        free(b);
    }
    ls_error_destroy(err);
    return e;
}

static ls_error_t *scrub(const ls_s3_t *c, ls_error_t *err)
{
    return c ? scrub_secrets(err, c->secret, c->token) : err;
}

/* ---- configuration ---------------------------------------------------------- */

static const char *cget(const ls_conf_t *conf, const char *key)
{
    return conf ? ls_conf_get(conf, key) : NULL;
}

/* A key's value when it is set to something non-empty, else NULL. */
const char *ls__s3_conf_str(const ls_conf_t *conf, const char *key)
{
    const char *s = cget(conf, key);
    return s && *s ? s : NULL;
}

static ls_error_t *get_int(const ls_conf_t *conf, const char *key,
                           int64_t min, int64_t max, int64_t *v)
{
    const char *s = cget(conf, key);
    char *end;
    if (!s || !*s)
        return NULL;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x < min || x > max)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid value \"%s\" for %s: expected an "
                            "integer from %lld to %lld",
                            s, key, (long long)min, (long long)max);
    *v = x;
    return NULL;
}

/* true/false (1/0, yes/no); with allow_auto also "auto" (*v = -1). */
static ls_error_t *get_bool(const ls_conf_t *conf, const char *key, int *v,
                            int allow_auto)
{
    const char *s = cget(conf, key);
    if (!s || !*s)
        return NULL;
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes"))
        *v = 1;
    else if (!strcasecmp(s, "false") || !strcmp(s, "0") ||
             !strcasecmp(s, "no"))
        *v = 0;
    else if (allow_auto && !strcasecmp(s, "auto"))
        *v = -1;
    else
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid value \"%s\" for %s: expected true%s "
                            "or false",
                            s, key, allow_auto ? ", auto" : "");
    return NULL;
}

/* "http(s)://host[:port][/]" -> tls, "host[:port]" without the default
 * port.  The value is never quoted when it holds user info. */
static ls_error_t *parse_endpoint(const char *url, int *tls, char **hostport)
{
    const char *p, *why = NULL;
    *hostport = NULL;
    if (!strncasecmp(url, "https://", 8)) {
        *tls = 1;
        p = url + 8;
    } else if (!strncasecmp(url, "http://", 7)) {
        *tls = 0;
        p = url + 7;
    } else {
        why = "expected http://host[:port] or https://host[:port]";
        p = NULL;
    }
    size_t hl = 0, n = p ? strcspn(p, "/?#") : 0;
    const char *port = NULL;
    /* Anywhere: a secret with a '/' would end the authority early. */
    if (strchr(url, '@'))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid s3.endpoint: user info is not allowed "
                            "(set s3.access.key.id and s3.secret.access.key)");
    if (!why && p[n] && strcmp(p + n, "/"))
        why = "a path, query or fragment is not allowed";
    if (!why && n == 0)
        why = "no host";
    if (!why && p[0] == '[') {
        const char *rb = memchr(p, ']', n);
        if (!rb || rb == p + 1)
            why = "bad IPv6 address";
        else {
            for (const char *q = p + 1; q < rb && !why; q++)
                if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
                    why = "bad IPv6 address";
            hl = (size_t)(rb + 1 - p);
            if (!why && hl < n) {
                if (p[hl] != ':')
                    why = "garbage after the IPv6 address";
                else
                    port = p + hl + 1;
            }
        }
    } else if (!why) {
        const char *colon = memchr(p, ':', n);
        hl = colon ? (size_t)(colon - p) : n;
        port = colon ? colon + 1 : NULL;
        for (size_t i = 0; i < hl && !why; i++)
            if (!isalnum((unsigned char)p[i]) && p[i] != '-' &&
                p[i] != '.' && p[i] != '_')
                why = "bad character in the host name";
        if (!why && hl == 0)
            why = "no host";
    }
    long pn = *tls ? 443 : 80;
    if (!why && port) {
        size_t pl = (size_t)(p + n - port);
        pn = 0;
        if (pl == 0 || pl > 5)
            why = "bad port";
        for (size_t i = 0; i < pl && !why; i++) {
            if (!isdigit((unsigned char)port[i]))
                why = "bad port";
            else
                pn = pn * 10 + (port[i] - '0');
        }
        if (!why && (pn < 1 || pn > 65535))
            why = "bad port";
    }
    if (why) {
        char shown[200];
        ls__s3_printable(shown, sizeof(shown), url, 150);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid s3.endpoint \"%s\": %s", shown, why);
    }
    if (pn == (*tls ? 443 : 80)) {
        *hostport = strndup(p, hl);
    } else if (asprintf(hostport, "%.*s:%ld", (int)hl, p, pn) < 0) {
        *hostport = NULL;
    }
    if (!*hostport)
        return ls__s3_nomem();
    for (char *q = *hostport; *q && *q != ':'; q++)
        *q = (char)tolower((unsigned char)*q);
    return NULL;
}

static ls_error_t *check_bucket(const char *b)
{
    size_t n = strlen(b);
    int ok = n >= 1 && n <= 255;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)b[i]) || b[i] == '.' || b[i] == '-' ||
             b[i] == '_';
    if (ok)
        return NULL;
    char shown[80];
    ls__s3_printable(shown, sizeof(shown), b, 64);
    return ls_error_new(LS_ERR_INVALID_ARG,
                        "invalid s3.bucket \"%s\": expected 1 to 255 "
                        "letters, digits, '.', '-' or '_'",
                        shown);
}

static ls_error_t *check_region(const char *r)
{
    size_t n = strlen(r);
    int ok = n >= 1 && n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)r[i]) || r[i] == '-' || r[i] == '_';
    if (ok)
        return NULL;
    char shown[80];
    ls__s3_printable(shown, sizeof(shown), r, 64);
    return ls_error_new(LS_ERR_INVALID_ARG,
                        "invalid s3.region \"%s\": expected letters, "
                        "digits and '-', e.g. us-east-1",
                        shown);
}

/* ---- client ---------------------------------------------------------------- */

void ls_s3_destroy(ls_s3_t *c)
{
    if (!c)
        return;
    ls__http_destroy(c->http);
    ls__http_resp_free(&c->resp);
    free(c->endpoint);
    free(c->ep_host);
    free(c->bucket);
    free(c->region);
    free(c->akid);
    ls__s3_wipe_free(c->secret);
    ls__s3_wipe_free(c->token);
    free(c->cred_source);
    free(c);
}

ls_error_t *ls_s3_new(ls_s3_t **out, const ls_conf_t *conf)
{
    ls_error_t *err = NULL;
    int64_t part = (int64_t)S3_DEFAULT_PART, retries = 8, base = 100,
            cap = 10000, tmo = 300000, ctmo = 10000;
    int path_style = -1, tls_verify = 1, unsigned_payload = 0;
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_s3_new: out is NULL");
    *out = NULL;
    const char *bucket = ls__s3_conf_str(conf, "s3.bucket");
    if (!bucket)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "s3: s3.bucket is not set");
    ls_s3_t *c = calloc(1, sizeof(*c));
    if (!c)
        return ls__s3_nomem();
    /* Credentials first, so that scrub() knows what to redact from any
     * later error quoting a setting. */
    if ((err = ls__s3_credentials(conf, &c->akid, &c->secret, &c->token,
                                  &c->cred_source)) ||
        (err = check_bucket(bucket)) ||
        (err = get_int(conf, "s3.part.size", (int64_t)LS_S3_MIN_PART_SIZE,
                       S3_MAX_PART, &part)) ||
        (err = get_int(conf, "s3.retries", 0, 100, &retries)) ||
        (err = get_int(conf, "s3.retry.backoff.ms", 0, 3600000, &base)) ||
        (err = get_int(conf, "s3.retry.backoff.max.ms", 0, 3600000, &cap)) ||
        (err = get_int(conf, "s3.timeout.ms", 0, INT32_MAX, &tmo)) ||
        (err = get_int(conf, "s3.connect.timeout.ms", 0, INT32_MAX, &ctmo)) ||
        (err = get_bool(conf, "s3.path.style", &path_style, 1)) ||
        (err = get_bool(conf, "s3.tls.verify", &tls_verify, 0)) ||
        (err = get_bool(conf, "s3.unsigned.payload", &unsigned_payload, 0)))
        goto fail;
    const char *region = ls__s3_conf_str(conf, "s3.region");
    if (!region || !ls_conf_is_set(conf, "s3.region")) {
        /* The table default only when the environment names none. */
        const char *e = getenv("AWS_REGION");
        if (!e || !*e)
            e = getenv("AWS_DEFAULT_REGION");
        if (e && *e)
            region = e;
        else if (!region)
            region = "us-east-1";
    }
    c->region = strdup(region);
    c->bucket = strdup(bucket);
    if (!c->region || !c->bucket) {
        err = ls__s3_nomem();
        goto fail;
    }
    if ((err = check_region(c->region)))
        goto fail;
    const char *ep = ls__s3_conf_str(conf, "s3.endpoint");
    if (ep) {
        if ((err = parse_endpoint(ep, &c->tls, &c->ep_host)))
            goto fail;
    } else {
        c->tls = 1;
        if (asprintf(&c->ep_host, "s3.%s.amazonaws.com", c->region) < 0) {
            c->ep_host = NULL;
            err = ls__s3_nomem();
            goto fail;
        }
    }
    if (asprintf(&c->endpoint, "%s://%s", c->tls ? "https" : "http",
                 c->ep_host) < 0) {
        c->endpoint = NULL;
        err = ls__s3_nomem();
        goto fail;
    }
    if (path_style < 0)
        /* Custom endpoints (MinIO, s3rver) want path-style; on AWS a
         * dotted bucket breaks the wildcard certificate. */
        path_style = ep || strchr(c->bucket, '.') ? 1 : 0;
    c->path_style = path_style;
    if (!c->path_style) {
        for (const char *q = c->bucket; *q; q++)
            if (isupper((unsigned char)*q) || *q == '_') {
                err = ls_error_new(LS_ERR_INVALID_ARG,
                                   "s3: bucket \"%s\" is not a valid host "
                                   "name (upper case or '_'): set "
                                   "s3.path.style=true",
                                   c->bucket);
                goto fail;
            }
    }
    c->part_size = (size_t)part;
    c->unsigned_payload = unsigned_payload;
    const char *ca = ls__s3_conf_str(conf, "s3.tls.ca.file");
    ls__http_opts_t ho = {(long)ctmo, (long)tmo, tls_verify, ca, 0};
    if ((err = ls__http_new(&c->http, &ho)))
        goto fail;
    c->retry.max_retries = (int)retries;
    c->retry.base_ms = (long)base;
    c->retry.cap_ms = (long)cap;
    c->rng = ls__http_seed(c);
    *out = c;
    return NULL;
fail:
    err = scrub(c, err);
    ls_s3_destroy(c);
    return err;
}

const char *ls_s3_bucket(const ls_s3_t *c)
{
    return c ? c->bucket : "";
}

const char *ls_s3_endpoint(const ls_s3_t *c)
{
    return c ? c->endpoint : "";
}

const char *ls_s3_region(const ls_s3_t *c)
{
    return c ? c->region : "";
}

const char *ls_s3_credentials_source(const ls_s3_t *c)
{
    return c ? c->cred_source : "";
}

size_t ls_s3_part_size(const ls_s3_t *c)
{
    return c ? c->part_size : 0;
}

/* ---- requests ------------------------------------------------------------------ */

/* One S3 request, described once and sent by run() as often as needed. */
typedef struct s3op_s {
    const char *method;
    const char *key;          /* NULL: the bucket */
    const char *const *query; /* raw name, value pairs, NULL-terminated */
    const void *body;
    size_t len;
    int has_body;
    const char *content_type;
    int md5;         /* send Content-MD5 */
    size_t body_max; /* reply cap; 0: S3_REPLY_MAX */
    int once;        /* not idempotent: a fresh connection */
    const char *what;
    /* Looks at a 2xx reply; an error (maybe retriable) rejects it.
     * *ambiguous: the request may have been applied anyway. */
    ls_error_t *(*check)(ls_s3_t *c, void *ud, const char *what,
                         int *ambiguous);
    void *ud;
} s3op_t;

/* What run() found out besides its error. */
typedef struct {
    char code[64]; /* S3 error code of the last failure, "" if none */
    int ambiguous; /* some attempt may have been applied without a reply */
    int attempts;
} outcome_t;

typedef struct {
    char *url;
    char *host;
    char **headers; /* "Name: value", NULL-terminated */
    size_t nheaders;
} built_t;

static void built_free(built_t *b)
{
    free(b->url);
    free(b->host);
    for (size_t i = 0; i < b->nheaders; i++)
        if (b->headers[i]) {
            explicit_bzero(b->headers[i], strlen(b->headers[i]));
            free(b->headers[i]);
        }
    free(b->headers);
    memset(b, 0, sizeof(*b));
}

static int add_header(built_t *b, const char *name, const char *value)
{
    char **h = realloc(b->headers, (b->nheaders + 2) * sizeof(*h));
    if (!h)
        return -1;
    b->headers = h;
    if (asprintf(&h[b->nheaders], "%s: %s", name, value) < 0) {
        h[b->nheaders] = NULL;
        return -1;
    }
    h[++b->nheaders] = NULL;
    return 0;
}

/* Sign and lay out one request: the URL is the signer's URI and query,
 * the headers Host plus what was signed. */
static ls_error_t *build(ls_s3_t *c, const char *method, const char *key,
                         const char *const *query, const char *phash,
                         const char *md5b64, const char *content_type,
                         time_t when, built_t *b)
{
    ls_sigv4_request_t *rq = NULL;
    ls_sigv4_result_t *rs = NULL;
    char *path = NULL;
    ls_error_t *err = NULL;
    memset(b, 0, sizeof(*b));

    if (c->path_style) {
        b->host = strdup(c->ep_host);
        if (asprintf(&path, "/%s%s%s", c->bucket, key ? "/" : "",
                     key ? key : "") < 0)
            path = NULL;
    } else {
        if (asprintf(&b->host, "%s.%s", c->bucket, c->ep_host) < 0)
            b->host = NULL;
        if (asprintf(&path, "/%s", key ? key : "") < 0)
            path = NULL;
    }
    if (!b->host || !path) {
        err = ls__s3_nomem();
        goto out;
    }
    if ((err = ls_sigv4_request_new(&rq, method, b->host, path)))
        goto out;
    for (const char *const *q = query; q && *q && !err; q += 2)
        err = ls_sigv4_request_add_query(rq, q[0], q[1]);
    if (!err && content_type && *content_type)
        err = ls_sigv4_request_add_header(rq, "Content-Type", content_type);
    if (!err && md5b64)
        err = ls_sigv4_request_add_header(rq, "Content-MD5", md5b64);
    if (!err)
        err = ls_sigv4_request_set_payload_hash(rq, phash);
    if (!err) {
        ls_sigv4_creds_t cr = {c->akid, c->secret, c->token};
        err = ls_sigv4_sign(&rs, rq, &cr, c->region, "s3", when);
    }
    if (err)
        goto out;
    const char *qs = ls_sigv4_result_query(rs);
    if (asprintf(&b->url, "%s://%s%s%s%s", c->tls ? "https" : "http",
                 b->host, ls_sigv4_result_uri(rs), *qs ? "?" : "", qs) < 0)
        b->url = NULL;
    int oom = !b->url || add_header(b, "Host", b->host);
    if (!oom && content_type && *content_type)
        oom = add_header(b, "Content-Type", content_type);
    if (!oom && md5b64)
        oom = add_header(b, "Content-MD5", md5b64);
    for (size_t i = 0; !oom && i < ls_sigv4_result_header_count(rs); i++) {
        const char *n, *v;
        ls_sigv4_result_header(rs, i, &n, &v);
        oom = add_header(b, n, v);
    }
    if (oom)
        err = ls__s3_nomem();
out:
    if (err)
        built_free(b);
    free(path);
    ls_sigv4_request_destroy(rq);
    ls_sigv4_result_destroy(rs);
    return err;
}

ls_error_t *ls__s3_url(ls_s3_t *c, const char *method, const char *key,
                       const char *const *query, char **url, char **host)
{
    built_t b;
    *url = *host = NULL;
    ls_error_t *err = build(c, method, key, query, LS_SIGV4_EMPTY_SHA256,
                            NULL, NULL, time(NULL), &b);
    if (err)
        return scrub(c, err);
    *url = b.url;
    *host = b.host;
    b.url = b.host = NULL;
    built_free(&b);
    return NULL;
}

/* Base64 MD5 (Content-MD5) and hex SHA-256 of a body. */
static ls_error_t *digests(const void *data, size_t len, int want_md5,
                           int want_sha, char md5b64[32], char sha[65])
{
    if (want_md5) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;
        if (!EVP_Digest(data ? data : "", len, d, &dl, EVP_md5(), NULL) ||
            dl != 16)
            return ls_error_new(LS_ERR_GENERIC, "s3: MD5 failed (OpenSSL)");
        EVP_EncodeBlock((unsigned char *)md5b64, d, 16);
    }
    if (want_sha)
        return ls_sigv4_sha256_hex(data ? data : "", len, sha);
    return NULL;
}

/* One attempt at op. */
static ls_error_t *attempt(ls_s3_t *c, const s3op_t *op, const char *phash,
                           const char *md5b64, outcome_t *o, int *amb)
{
    built_t b;
    *amb = 0;
    o->code[0] = '\0';
    ls_error_t *err = build(c, op->method, op->key, op->query, phash,
                            md5b64, op->content_type, time(NULL), &b);
    if (err)
        return ls_error_prefix(err, "%s", op->what);
    ls__http_req_t rq = {op->method, b.url, (const char *const *)b.headers,
                         op->body, op->len, op->has_body,
                         op->body_max ? op->body_max : S3_REPLY_MAX,
                         op->once};
    err = ls__http_do(c->http, &rq, &c->resp);
    built_free(&b);
    if (err) {
        *amb = !c->resp.not_sent;
        return ls_error_prefix(err, "%s", op->what);
    }
    long st = c->resp.status;
    if (st < 200 || st > 299) {
        *amb = st >= 500;
        return ls__s3_status_error(op->what, st, c->resp.body,
                                   c->resp.body_len, o->code,
                                   sizeof(o->code));
    }
    if (op->check) {
        err = op->check(c, op->ud, op->what, amb);
        if (err && st >= 200 && st <= 299)
            ls__s3_xml_error(c->resp.body, c->resp.body_len, o->code,
                             sizeof(o->code), NULL, 0);
    }
    return err;
}

/* err with " (gave up after N attempts)" appended, keeping its code,
 * HTTP status and retriable flag. */
static ls_error_t *gave_up(ls_error_t *err, int attempts)
{
    ls_error_t *e = ls_error_new(ls_error_code(err),
                                 "%s (gave up after %d attempts)",
                                 ls_error_message(err), attempts);
    if (ls_error_code(e) != ls_error_code(err))
        return err;
    ls_error_set_http_status(e, ls_error_http_status(err));
    ls_error_set_retriable(e, ls_error_is_retriable(err));
    ls_error_destroy(err);
    return e;
}

/* Send op until it succeeds, fails for good or runs out of retries. */
static ls_error_t *run(ls_s3_t *c, const s3op_t *op, outcome_t *o)
{
    char md5b64[32] = "", sha[65] = "";
    int retries = 0, amb = 0;
    memset(o, 0, sizeof(*o));
    int has_body = op->has_body || op->len > 0;
    int want_sha = has_body && op->len > 0 && !c->unsigned_payload;
    ls_error_t *err = digests(op->body, op->len, op->md5 && has_body,
                              want_sha, md5b64, sha);
    if (err)
        return ls_error_prefix(err, "%s", op->what);
    const char *phash = c->unsigned_payload && has_body
                            ? LS_SIGV4_UNSIGNED_PAYLOAD
                        : want_sha ? sha
                                   : LS_SIGV4_EMPTY_SHA256;
    for (;;) {
        o->attempts++;
        err = attempt(c, op, phash, *md5b64 ? md5b64 : NULL, o, &amb);
        if (!err)
            break;
        if (amb)
            o->ambiguous = 1;
        if (!ls__http_should_retry(&c->retry, err, retries))
            break;
        ls__http_sleep_ms(ls__http_backoff_ms(&c->retry, retries, &c->rng));
        retries++;
        ls_error_destroy(err);
    }
    if (err && retries > 0)
        err = gave_up(err, retries + 1);
    return err;
}

/* "s3 <METHOD> bucket/key<suffix>" with the key made printable. */
static char *what_of(const ls_s3_t *c, const char *method, const char *key,
                     const char *fmt, ...) LS_PRINTF(4, 5);

static char *what_of(const ls_s3_t *c, const char *method, const char *key,
                     const char *fmt, ...)
{
    char k[300], suffix[300] = "";
    char *w = NULL;
    ls__s3_printable(k, sizeof(k), key ? key : "", 256);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(suffix, sizeof(suffix), fmt, ap);
        va_end(ap);
    }
    if (asprintf(&w, "s3 %s %s%s%s%s", method, c->bucket, key ? "/" : "", k,
                 suffix) < 0)
        return NULL;
    return w;
}

static ls_error_t *check_key(const char *fn, const char *key)
{
    if (!key)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s: key is NULL", fn);
    size_t n = strlen(key);
    if (n == 0 || n > S3_KEY_MAX)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "%s: a key must be 1 to %d bytes, not %zu", fn,
                            S3_KEY_MAX, n);
    return NULL;
}

#define CHECK_CK(fn)                                                     \
    do {                                                                 \
        if (!c)                                                          \
            return ls_error_new(LS_ERR_INVALID_ARG, fn ": client is NULL"); \
        ls_error_t *e_ = check_key(fn, key);                             \
        if (e_)                                                          \
            return e_;                                                   \
    } while (0)

/* ---- objects --------------------------------------------------------------------- */

ls_error_t *ls_s3_put_object(ls_s3_t *c, const char *key, const void *data,
                             size_t len, const char *content_type)
{
    CHECK_CK("ls_s3_put_object");
    if (len && !data)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_s3_put_object: data is NULL for %zu bytes",
                            len);
    if ((int64_t)len > S3_MAX_PART)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_s3_put_object: %zu bytes is more than a "
                            "PutObject takes (5 GiB): use ls_s3_put()",
                            len);
    char *what = what_of(c, "PUT", key, NULL);
    if (!what)
        return ls__s3_nomem();
    outcome_t o;
    s3op_t op = {.method = "PUT", .key = key, .body = data, .len = len,
                 .has_body = 1, .content_type = content_type, .md5 = 1,
                 .what = what};
    ls_error_t *err = run(c, &op, &o);
    free(what);
    return scrub(c, err);
}

ls_error_t *ls_s3_head(ls_s3_t *c, const char *key, int64_t *size,
                       char *etag, size_t etag_size)
{
    CHECK_CK("ls_s3_head");
    char *what = what_of(c, "HEAD", key, NULL);
    if (!what)
        return ls__s3_nomem();
    outcome_t o;
    s3op_t op = {.method = "HEAD", .key = key, .what = what};
    ls_error_t *err = run(c, &op, &o);
    free(what);
    if (!err) {
        if (size)
            *size = c->resp.content_length;
        if (etag && etag_size)
            snprintf(etag, etag_size, "%s",
                     c->resp.etag ? c->resp.etag : "");
    }
    return scrub(c, err);
}

ls_error_t *ls_s3_get(ls_s3_t *c, const char *key, size_t max_bytes,
                      ls_s3_data_cb_t *cb, void *opaque)
{
    CHECK_CK("ls_s3_get");
    if (!cb)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_s3_get: cb is NULL");
    char *what = what_of(c, "GET", key, NULL);
    if (!what)
        return ls__s3_nomem();
    outcome_t o;
    size_t cap = max_bytes < SIZE_MAX ? max_bytes + 1 : SIZE_MAX;
    if (cap < S3_REPLY_MAX)
        cap = S3_REPLY_MAX; /* room for an error document */
    s3op_t op = {.method = "GET", .key = key, .what = what, .body_max = cap};
    ls_error_t *err = run(c, &op, &o);
    if (!err && (c->resp.body_len > max_bytes || c->resp.body_truncated))
        err = ls_error_new(LS_ERR_FULL,
                           "%s: the object is bigger than %zu bytes", what,
                           max_bytes);
    if (!err && c->resp.content_length >= 0 &&
        (uint64_t)c->resp.content_length != c->resp.body_len)
        err = ls_error_set_retriable(
            ls_error_new(LS_ERR_TRANSPORT,
                         "%s: got %zu bytes of %lld", what, c->resp.body_len,
                         (long long)c->resp.content_length),
            1);
    if (!err) {
        int r = cb(opaque, c->resp.body, c->resp.body_len);
        if (r)
            err = ls_error_new(LS_ERR_GENERIC,
                               "%s: the callback returned %d", what, r);
    }
    free(what);
    return scrub(c, err);
}

ls_error_t *ls_s3_delete(ls_s3_t *c, const char *key)
{
    CHECK_CK("ls_s3_delete");
    char *what = what_of(c, "DELETE", key, NULL);
    if (!what)
        return ls__s3_nomem();
    outcome_t o;
    s3op_t op = {.method = "DELETE", .key = key, .what = what};
    ls_error_t *err = run(c, &op, &o);
    free(what);
    return scrub(c, err);
}

/* ---- listing ----------------------------------------------------------------------- */

typedef struct {
    int truncated;
    char *next;
} page_t;

/* Validate a list page inside the retry loop: a cut or garbled 200 is
 * worth another try. */
static ls_error_t *check_list(ls_s3_t *c, void *ud, const char *what,
                              int *ambiguous)
{
    page_t *pg = ud;
    (void)ambiguous;
    free(pg->next);
    pg->next = NULL;
    int rc = ls__s3_xml_list(c->resp.body, c->resp.body_len, NULL, NULL,
                             &pg->truncated, &pg->next);
    if (rc == -2)
        return ls__s3_nomem();
    if (rc < 0 || c->resp.body_truncated)
        return ls_error_set_retriable(
            ls_error_new(LS_ERR_TRANSPORT,
                         "%s: HTTP %ld with a %s (%zu bytes), expected a "
                         "ListBucketResult",
                         what, c->resp.status,
                         c->resp.body_truncated ? "reply too big"
                                                : "malformed reply",
                         c->resp.body_len),
            1);
    return NULL;
}

ls_error_t *ls__s3_list_ex(ls_s3_t *c, const char *prefix, int max_keys,
                           ls_s3_list_cb_t *cb, void *opaque, int *pages)
{
    char mk[16], shown[300];
    char *token = NULL, *what = NULL;
    ls_error_t *err = NULL;
    if (pages)
        *pages = 0;
    if (!c)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_s3_list: client is NULL");
    if (!cb)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_s3_list: cb is NULL");
    if (!prefix)
        prefix = "";
    if (strlen(prefix) > S3_KEY_MAX)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_s3_list: the prefix is longer than %d bytes",
                            S3_KEY_MAX);
    ls__s3_printable(shown, sizeof(shown), prefix, 256);
    if (asprintf(&what, "s3 GET %s (list \"%s\")", c->bucket, shown) < 0)
        return ls__s3_nomem();
    snprintf(mk, sizeof(mk), "%d", max_keys);
    for (;;) {
        const char *q[12];
        int n = 0;
        q[n++] = "list-type";
        q[n++] = "2";
        q[n++] = "encoding-type";
        q[n++] = "url";
        if (*prefix) {
            q[n++] = "prefix";
            q[n++] = prefix;
        }
        if (token) {
            q[n++] = "continuation-token";
            q[n++] = token;
        }
        if (max_keys > 0) {
            q[n++] = "max-keys";
            q[n++] = mk;
        }
        q[n] = NULL;
        page_t pg = {0, NULL};
        outcome_t o;
        s3op_t op = {.method = "GET", .query = q, .what = what,
                     .body_max = S3_LIST_BODY_MAX, .check = check_list,
                     .ud = &pg};
        err = run(c, &op, &o);
        if (err) {
            free(pg.next);
            break;
        }
        if (pages)
            (*pages)++;
        int trunc = 0;
        char *next = NULL;
        int rc = ls__s3_xml_list(c->resp.body, c->resp.body_len, cb, opaque,
                                 &trunc, &next);
        free(pg.next);
        if (rc == 1) { /* the caller stopped */
            free(next);
            break;
        }
        if (rc < 0) {
            free(next);
            err = rc == -2 ? ls__s3_nomem()
                           : ls_error_new(LS_ERR_GENERIC,
                                          "%s: malformed ListBucketResult",
                                          what);
            break;
        }
        if (!trunc) {
            free(next);
            break;
        }
        if (!next || !*next || (token && !strcmp(next, token))) {
            free(next);
            err = ls_error_new(LS_ERR_GENERIC,
                               "%s: IsTruncated without a new "
                               "NextContinuationToken",
                               what);
            break;
        }
        free(token);
        token = next;
    }
    free(token);
    free(what);
    return scrub(c, err);
}

ls_error_t *ls_s3_list(ls_s3_t *c, const char *prefix, ls_s3_list_cb_t *cb,
                       void *opaque)
{
    return ls__s3_list_ex(c, prefix, 0, cb, opaque, NULL);
}

/* ---- multipart uploads -------------------------------------------------------------- */

typedef struct {
    char *id;
} create_t;

static ls_error_t *check_create(ls_s3_t *c, void *ud, const char *what,
                                int *ambiguous)
{
    create_t *cr = ud;
    free(cr->id);
    cr->id = ls__s3_xml_upload_id(c->resp.body, c->resp.body_len);
    if (cr->id)
        return NULL;
    *ambiguous = 1; /* an upload may exist that we cannot name */
    char code[64];
    if (ls__s3_xml_error(c->resp.body, c->resp.body_len, code, sizeof(code),
                         NULL, 0))
        return ls__s3_status_error(what, c->resp.status, c->resp.body,
                                   c->resp.body_len, NULL, 0);
    return ls_error_set_retriable(
        ls_error_new(LS_ERR_TRANSPORT,
                     "%s: HTTP %ld without an UploadId (%zu bytes)", what,
                     c->resp.status, c->resp.body_len),
        1);
}

void ls_s3_upload_destroy(ls_s3_upload_t *u)
{
    if (!u)
        return;
    for (int i = 0; i < u->nparts; i++)
        free(u->parts[i].etag);
    free(u->parts);
    free(u->key);
    free(u->id);
    free(u);
}

ls_error_t *ls_s3_upload_new(ls_s3_upload_t **out, ls_s3_t *c,
                             const char *key, const char *content_type)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_s3_upload_new: out is NULL");
    *out = NULL;
    CHECK_CK("ls_s3_upload_new");
    ls_s3_upload_t *u = calloc(1, sizeof(*u));
    char *what = what_of(c, "POST", key, " (create multipart upload)");
    if (!u || !what || !(u->key = strdup(key))) {
        free(what);
        ls_s3_upload_destroy(u);
        return ls__s3_nomem();
    }
    u->c = c;
    static const char *const q[] = {"uploads", NULL, NULL};
    create_t cr = {NULL};
    outcome_t o;
    s3op_t op = {.method = "POST", .key = key, .query = q, .has_body = 1,
                 .content_type = content_type, .what = what, .once = 1,
                 .check = check_create, .ud = &cr};
    ls_error_t *err = run(c, &op, &o);
    free(what);
    if (err) {
        free(cr.id);
        ls_s3_upload_destroy(u);
        return scrub(c, err);
    }
    u->id = cr.id;
    *out = u;
    return NULL;
}

const char *ls_s3_upload_id(const ls_s3_upload_t *u)
{
    return u && u->id ? u->id : "";
}

int ls_s3_upload_parts(const ls_s3_upload_t *u)
{
    return u ? u->nparts : 0;
}

static ls_error_t *check_part(ls_s3_t *c, void *ud, const char *what,
                              int *ambiguous)
{
    (void)ud;
    (void)ambiguous;
    if (c->resp.etag && *c->resp.etag)
        return NULL;
    return ls_error_set_retriable(
        ls_error_new(LS_ERR_TRANSPORT, "%s: HTTP %ld without an ETag", what,
                     c->resp.status),
        1);
}

static ls_error_t *upload_state(const char *fn, const ls_s3_upload_t *u)
{
    if (!u)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s: upload is NULL", fn);
    if (u->state == 1)
        return ls_error_new(LS_ERR_STATE, "%s: the upload is completed", fn);
    if (u->state == 2)
        return ls_error_new(LS_ERR_STATE, "%s: the upload is aborted", fn);
    return NULL;
}

ls_error_t *ls_s3_upload_part(ls_s3_upload_t *u, const void *data,
                              size_t len)
{
    ls_error_t *err = upload_state("ls_s3_upload_part", u);
    if (err)
        return err;
    ls_s3_t *c = u->c;
    if (len && !data)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_s3_upload_part: data is NULL for %zu bytes",
                            len);
    if ((int64_t)len > S3_MAX_PART)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_s3_upload_part: a part is at most 5 GiB, "
                            "not %zu bytes",
                            len);
    if (u->nparts >= LS_S3_MAX_PARTS)
        return ls_error_new(LS_ERR_STATE,
                            "ls_s3_upload_part: an upload has at most %d "
                            "parts",
                            LS_S3_MAX_PARTS);
    if (u->nparts == u->cap) {
        int cap = u->cap ? u->cap * 2 : 16;
        part_t *p = realloc(u->parts, (size_t)cap * sizeof(*p));
        if (!p)
            return ls__s3_nomem();
        u->parts = p;
        u->cap = cap;
    }
    int num = u->nparts + 1;
    char nb[16];
    snprintf(nb, sizeof(nb), "%d", num);
    const char *q[] = {"partNumber", nb, "uploadId", u->id, NULL};
    char *what = what_of(c, "PUT", u->key, " (part %d)", num);
    if (!what)
        return ls__s3_nomem();
    outcome_t o;
    s3op_t op = {.method = "PUT", .key = u->key, .query = q, .body = data,
                 .len = len, .has_body = 1, .md5 = 1, .what = what,
                 .check = check_part};
    err = run(c, &op, &o);
    free(what);
    if (err)
        return scrub(c, err);
    if (!(u->parts[u->nparts].etag = strdup(c->resp.etag)))
        return ls__s3_nomem();
    u->parts[u->nparts].len = len;
    u->nparts++;
    return NULL;
}

/* Escape & < > for XML text. */
static int xml_escape(char **buf, size_t *len, size_t *cap, const char *s)
{
    for (; *s; s++) {
        const char *e = *s == '&'   ? "&amp;"
                        : *s == '<' ? "&lt;"
                        : *s == '>' ? "&gt;"
                                    : NULL;
        if (ls__http_append(buf, len, cap, e ? e : s, e ? strlen(e) : 1))
            return -1;
    }
    return 0;
}

static ls_error_t *check_complete(ls_s3_t *c, void *ud, const char *what,
                                  int *ambiguous)
{
    (void)ud;
    ls_error_t *err = ls__s3_check_complete(what, c->resp.body,
                                            c->resp.body_len, NULL, 0);
    /* A 200 <Error> may come after S3 started the work; a garbled
     * reply says nothing either way. */
    if (err)
        *ambiguous = 1;
    return err;
}

ls_error_t *ls_s3_upload_complete(ls_s3_upload_t *u)
{
    ls_error_t *err = upload_state("ls_s3_upload_complete", u);
    if (err)
        return err;
    ls_s3_t *c = u->c;
    if (u->nparts == 0 && (err = ls_s3_upload_part(u, "", 0)))
        return err;
    char *xml = NULL, num[32];
    size_t len = 0, cap = 0;
    uint64_t total = 0;
    int oom = ls__http_append(&xml, &len, &cap,
                              "<CompleteMultipartUpload xmlns=\"http://s3."
                              "amazonaws.com/doc/2006-03-01/\">",
                              strlen("<CompleteMultipartUpload xmlns=\"http:"
                                     "//s3.amazonaws.com/doc/2006-03-01/\">"));
    for (int i = 0; i < u->nparts && !oom; i++) {
        snprintf(num, sizeof(num), "%d", i + 1);
        total += u->parts[i].len;
        oom = ls__http_append(&xml, &len, &cap, "<Part><PartNumber>", 18) ||
              ls__http_append(&xml, &len, &cap, num, strlen(num)) ||
              ls__http_append(&xml, &len, &cap, "</PartNumber><ETag>", 19) ||
              xml_escape(&xml, &len, &cap, u->parts[i].etag) ||
              ls__http_append(&xml, &len, &cap, "</ETag></Part>", 14);
    }
    if (!oom)
        oom = ls__http_append(&xml, &len, &cap, "</CompleteMultipartUpload>",
                              26);
    char *what = what_of(c, "POST", u->key,
                         " (complete multipart upload, %d parts)", u->nparts);
    if (oom || !what) {
        free(xml);
        free(what);
        return ls__s3_nomem();
    }
    const char *q[] = {"uploadId", u->id, NULL};
    outcome_t o;
    s3op_t op = {.method = "POST", .key = u->key, .query = q, .body = xml,
                 .len = len, .has_body = 1,
                 .content_type = "application/xml", .md5 = 1, .what = what,
                 .once = 1, .check = check_complete};
    err = run(c, &op, &o);
    if (err && o.ambiguous && !strcmp(o.code, "NoSuchUpload")) {
        /* An earlier attempt's reply was lost and this one finds the
         * upload gone: it completed if the object is there, whole. */
        int64_t size = -1;
        char *hw = what_of(c, "HEAD", u->key, NULL);
        s3op_t hop = {.method = "HEAD", .key = u->key, .what = hw};
        outcome_t ho;
        ls_error_t *e2 = hw ? run(c, &hop, &ho) : ls__s3_nomem();
        if (!e2)
            size = c->resp.content_length;
        if (!e2 && size >= 0 && (uint64_t)size == total) {
            ls_error_destroy(err);
            err = NULL;
        } else if (!e2) {
            err = ls_error_prefix(err,
                                  "after a lost reply: %s holds %lld bytes, "
                                  "not the upload's %llu",
                                  u->key, (long long)size,
                                  (unsigned long long)total);
        }
        ls_error_destroy(e2);
        free(hw);
    }
    free(what);
    free(xml);
    if (!err)
        u->state = 1;
    return scrub(c, err);
}

static ls_error_t *abort_id(ls_s3_t *c, const char *key, const char *id,
                            int lenient)
{
    const char *q[] = {"uploadId", id, NULL};
    char *what = what_of(c, "DELETE", key, " (abort multipart upload)");
    if (!what)
        return ls__s3_nomem();
    outcome_t o;
    /* A fresh connection: libcurl never re-sends it by itself, so a lost
     * reply is seen (and a NoSuchUpload after it is understood). */
    s3op_t op = {.method = "DELETE", .key = key, .query = q, .what = what,
                 .once = 1};
    ls_error_t *err = run(c, &op, &o);
    free(what);
    if (err && lenient && o.ambiguous && !strcmp(o.code, "NoSuchUpload")) {
        ls_error_destroy(err); /* our lost request did it */
        err = NULL;
    }
    return scrub(c, err);
}

ls_error_t *ls_s3_upload_abort(ls_s3_upload_t *u)
{
    ls_error_t *err = upload_state("ls_s3_upload_abort", u);
    if (err)
        return err;
    err = abort_id(u->c, u->key, u->id, 1);
    if (!err)
        u->state = 2;
    return err;
}

ls_error_t *ls_s3_abort_upload(ls_s3_t *c, const char *key,
                               const char *upload_id)
{
    CHECK_CK("ls_s3_abort_upload");
    if (!upload_id || !*upload_id)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_s3_abort_upload: upload_id is empty");
    return abort_id(c, key, upload_id, 1);
}

ls_error_t *ls_s3_put(ls_s3_t *c, const char *key, const void *data,
                      size_t len, const char *content_type)
{
    CHECK_CK("ls_s3_put");
    if (len && !data)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_s3_put: data is NULL for %zu bytes", len);
    size_t part = c->part_size;
    if (len <= part)
        return ls_s3_put_object(c, key, data, len, content_type);
    /* Few enough parts: grow the part size to whole MiBs if needed. */
    if ((len + part - 1) / part > LS_S3_MAX_PARTS) {
        size_t mib = (size_t)1 << 20;
        part = (len + LS_S3_MAX_PARTS - 1) / LS_S3_MAX_PARTS;
        part = (part + mib - 1) / mib * mib;
        if ((int64_t)part > S3_MAX_PART)
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "ls_s3_put: %zu bytes is more than S3 "
                                "takes in one object",
                                len);
    }
    ls_s3_upload_t *u = NULL;
    ls_error_t *err = ls_s3_upload_new(&u, c, key, content_type);
    if (err)
        return err;
    const char *p = data;
    for (size_t off = 0; off < len && !err; off += part) {
        size_t n = len - off < part ? len - off : part;
        err = ls_s3_upload_part(u, p + off, n);
    }
    if (!err)
        err = ls_s3_upload_complete(u);
    if (err && u->state == 0) {
        ls_error_t *ae = ls_s3_upload_abort(u);
        if (ae) {
            ls_error_t *e = ls_error_new(ls_error_code(err),
                                         "%s; then aborting upload %s "
                                         "failed (it is left on the "
                                         "server): %s",
                                         ls_error_message(err), u->id,
                                         ls_error_message(ae));
            if (ls_error_code(e) == ls_error_code(err)) {
                ls_error_set_http_status(e, ls_error_http_status(err));
                ls_error_set_retriable(e, ls_error_is_retriable(err));
                ls_error_destroy(err);
                err = e;
            } else {
                ls_error_destroy(e);
            }
            ls_error_destroy(ae);
        }
    }
    ls_s3_upload_destroy(u);
    return scrub(c, err);
}