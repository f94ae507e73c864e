/* libstream: AWS Signature Version 4 for S3 (see include/libstream/sigv4.h).
 *
 * Split into the steps of the spec, the way Fluent Bit's flb_signv4.c is:
 * URI encoding, canonical query, canonical headers + signed headers,
 * payload hash, canonical request, string to sign, signing key,
 * signature, Authorization header.  Hashing and HMAC come from OpenSSL
 * libcrypto.  Secrets never reach an error message, and every buffer
 * that held key material is wiped with OPENSSL_cleanse().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "libstream/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
#define MAX_EXPIRES 604800u

/* ---- small growable string ------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} sb_t;

static void sb_add(sb_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sb_t *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_chr(sb_t *b, char c) { sb_add(b, &c, 1); }

/* The string built so far (never NULL unless out of memory); b is reset. */
static char *sb_take(sb_t *b)
{
    char *p;
    if (b->oom) {
        free(b->p);
        p = NULL;
    } else {
        p = b->p ? b->p : strdup("");
    }
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    return p;
}

/* ---- step 1: URI encoding (S3 rules) -------------------------------- */

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '~';
}

static void sb_enc(sb_t *b, const void *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++) {
        if (unreserved(p[i]) || (keep_slash && p[i] == '/')) {
            sb_chr(b, (char)p[i]);
        } else {
            char e[3] = {'%', hex[p[i] >> 4], hex[p[i] & 15]};
            sb_add(b, e, 3);
        }
    }
}

size_t ls_sigv4_uri_encode(const void *s, size_t n, int keep_slash,
                           char *buf, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = s;
    size_t len = 0;
    if (!p)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        char e[3];
        size_t k = 1;
        if (unreserved(p[i]) || (keep_slash && p[i] == '/')) {
            e[0] = (char)p[i];
        } else {
            e[0] = '%';
            e[1] = hex[p[i] >> 4];
            e[2] = hex[p[i] & 15];
            k = 3;
        }
        for (size_t j = 0; j < k; j++, len++)
            if (len + 1 < size)
                buf[len] = e[j];
    }
    if (size > 0)
        buf[len < size ? len : size - 1] = '\0';
    return len;
}

/* ---- hashing helpers -------------------------------------------------- */

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

ls_error_t *ls_sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!hex)
        return ls_error_new(LS_ERR_INVALID_ARG, "sigv4 sha256: NULL output");
    if (!data && len > 0)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 sha256: NULL data with length %zu", len);
    if (!EVP_Digest(len ? data : "", len, md, &mdlen, EVP_sha256(), NULL) ||
        mdlen != 32)
        return ls_error_new(LS_ERR_GENERIC, "sigv4 sha256: OpenSSL failed");
    to_hex(md, 32, hex);
    return NULL;
}

/* HMAC-SHA256 of n bytes at data with key; out gets 32 bytes. */
static int hmac256(const void *key, size_t keylen, const void *data,
                   size_t n, unsigned char out[32])
{
    unsigned int outlen = 0;
    if (keylen > (size_t)0x7fffffff)
        return -1;
    if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &outlen) ||
        outlen != 32)
        return -1;
    return 0;
}

/* ---- step: signing key ------------------------------------------------ */

ls_error_t *ls_sigv4_signing_key(unsigned char key[32], const char *secret,
                                 const char *date, const char *region,
                                 const char *service)
{
    unsigned char k[32];
    if (!key || !secret || !*secret || !date || !*date || !region ||
        !*region || !service || !*service)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 signing key: missing %s",
                            !key                  ? "output"
                            : !secret || !*secret ? "secret access key"
                            : !date || !*date     ? "date"
                            : !region || !*region ? "region"
                                                  : "service");
    size_t slen = strlen(secret);
    char *k0 = malloc(slen + 5);
    if (!k0)
        return ls_error_new(LS_ERR_NOMEM, "sigv4 signing key: out of memory");
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, slen + 1);
    int bad = hmac256(k0, slen + 4, date, strlen(date), k) ||
              hmac256(k, 32, region, strlen(region), k) ||
              hmac256(k, 32, service, strlen(service), k) ||
              hmac256(k, 32, TERMINATOR, strlen(TERMINATOR), key);
    OPENSSL_cleanse(k0, slen + 4);
    free(k0);
    OPENSSL_cleanse(k, sizeof(k));
    if (bad) {
        OPENSSL_cleanse(key, 32);
        return ls_error_new(LS_ERR_GENERIC,
                            "sigv4 signing key: OpenSSL HMAC failed");
    }
    return NULL;
}

/* ---- the request descriptor ------------------------------------------ */

typedef struct {
    char *name;
    char *value;
} kv_t;

typedef struct {
    kv_t *v;
    size_t n, cap;
} kvlist_t;

struct ls_sigv4_request_s {
    char *method;
    char *host;
    char *path;
    kvlist_t query;   /* raw names/values */
    kvlist_t headers; /* lowercase names, normalised values, in add order */
    char *payload_hash; /* NULL: empty body */
};

static int kv_push(kvlist_t *l, char *name, char *value)
{
    if (!name || !value)
        goto fail;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        kv_t *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            goto fail;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].name = name;
    l->v[l->n].value = value;
    l->n++;
    return 0;
fail:
    free(name);
    free(value);
    return -1;
}

static void kv_free(kvlist_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

ls_error_t *ls_sigv4_request_new(ls_sigv4_request_t **out,
                                 const char *method, const char *host,
                                 const char *path)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "sigv4 request: NULL out");
    *out = NULL;
    if (!method || !*method)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 request: missing method");
    for (const char *m = method; *m; m++)
        if (*m < 'A' || *m > 'Z')
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "sigv4 request: method \"%.20s\" is not "
                                "upper-case letters",
                                has_ctl(method) ? "?" : method);
    if (!host || !*host)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 request: missing host");
    if (has_ctl(host) || strchr(host, ' '))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 request: host contains a space or a "
                            "control character");
    if (!path || !*path)
        path = "/";
    if (path[0] != '/')
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 request: path must start with '/'");

    ls_sigv4_request_t *r = calloc(1, sizeof(*r));
    if (!r)
        return ls_error_new(LS_ERR_NOMEM, "sigv4 request: out of memory");
    r->method = strdup(method);
    r->host = strdup(host);
    r->path = strdup(path);
    if (!r->method || !r->host || !r->path) {
        ls_sigv4_request_destroy(r);
        return ls_error_new(LS_ERR_NOMEM, "sigv4 request: out of memory");
    }
    *out = r;
    return NULL;
}

ls_error_t *ls_sigv4_request_add_query(ls_sigv4_request_t *req,
                                       const char *name, const char *value)
{
    if (!req)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 add query: NULL request");
    if (!name || !*name)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 add query: empty parameter name");
    if (kv_push(&req->query, strdup(name), strdup(value ? value : "")))
        return ls_error_new(LS_ERR_NOMEM, "sigv4 add query: out of memory");
    return NULL;
}

static int tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Lowercase copy of a header name. */
static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    if (d)
        for (char *p = d; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    return d;
}

/* Trimmed copy of a header value, runs of spaces squeezed to one. */
static char *trim_dup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1), *o = d;
    if (!d)
        return NULL;
    while (*s == ' ' || *s == '\t')
        s++;
    for (; *s; s++) {
        if (*s == ' ' && o > d && o[-1] == ' ')
            continue;
        *o++ = *s;
    }
    while (o > d && (o[-1] == ' ' || o[-1] == '\t'))
        o--;
    *o = '\0';
    return d;
}

static int reserved_header(const char *lname)
{
    static const char *const names[] = {
        "host", "authorization", "x-amz-date", "x-amz-content-sha256",
        "x-amz-security-token"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(lname, names[i]))
            return 1;
    return 0;
}

ls_error_t *ls_sigv4_request_add_header(ls_sigv4_request_t *req,
                                        const char *name, const char *value)
{
    if (!req)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 add header: NULL request");
    if (!name || !*name)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 add header: empty header name");
    for (const char *p = name; *p; p++)
        if (!tchar((unsigned char)*p))
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "sigv4 add header: name \"%.40s\" is not an "
                                "HTTP token",
                                has_ctl(name) ? "?" : name);
    if (!value)
        value = "";
    if (strchr(value, '\r') || strchr(value, '\n'))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 add header %.40s: value contains CR or "
                            "LF",
                            name);
    char *lname = lower_dup(name);
    if (lname && reserved_header(lname)) {
        ls_error_t *e = ls_error_new(LS_ERR_INVALID_ARG,
                                     "sigv4 add header: %s is set by the "
                                     "signer",
                                     lname);
        free(lname);
        return e;
    }
    if (kv_push(&req->headers, lname, trim_dup(value)))
        return ls_error_new(LS_ERR_NOMEM, "sigv4 add header: out of memory");
    return NULL;
}

static ls_error_t *set_hash(ls_sigv4_request_t *req, const char *hash)
{
    char *h = strdup(hash);
    if (!h)
        return ls_error_new(LS_ERR_NOMEM, "sigv4 payload: out of memory");
    free(req->payload_hash);
    req->payload_hash = h;
    return NULL;
}

ls_error_t *ls_sigv4_request_set_payload(ls_sigv4_request_t *req,
                                         const void *data, size_t len)
{
    char hex[65];
    if (!req)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 set payload: NULL request");
    ls_error_t *e = ls_sigv4_sha256_hex(data, len, hex);
    if (e)
        return ls_error_prefix(e, "sigv4 set payload");
    return set_hash(req, hex);
}

static int valid_payload_hash(const char *h)
{
    size_t n = strlen(h);
    if (!strcmp(h, LS_SIGV4_UNSIGNED_PAYLOAD))
        return 1;
    if (!strncmp(h, "STREAMING-", 10)) {
        for (const char *p = h; *p; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                  *p == '-'))
                return 0;
        return 1;
    }
    if (n != 64)
        return 0;
    for (const char *p = h; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

ls_error_t *ls_sigv4_request_set_payload_hash(ls_sigv4_request_t *req,
                                              const char *hash)
{
    if (!req)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 set payload hash: NULL request");
    if (!hash || !valid_payload_hash(hash))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "sigv4 set payload hash: \"%.80s\" is not 64 "
                            "lowercase hex digits, UNSIGNED-PAYLOAD or "
                            "STREAMING-...",
                            !hash ? "(null)" : has_ctl(hash) ? "?" : hash);
    return set_hash(req, hash);
}

void ls_sigv4_request_destroy(ls_sigv4_request_t *req)
{
    if (!req)
        return;
    free(req->method);
    free(req->host);
    free(req->path);
    kv_free(&req->query);
    kv_free(&req->headers);
    free(req->payload_hash);
    free(req);
}

/* ---- the result -------------------------------------------------------- */

#define MAX_RES_HEADERS 4

struct ls_sigv4_result_s {
    char amz_date[17];
    char signature[65];
    char *payload_hash;
    char *uri;
    char *query;
    char *canonical_request;
    char *string_to_sign;
    char *signed_headers;
    char *scope;
    char *authorization; /* NULL when presigned */
    char *token;         /* NULL without a session token */
    size_t nheaders;
    const char *hname[MAX_RES_HEADERS];
    const char *hvalue[MAX_RES_HEADERS];
};

void ls_sigv4_result_destroy(ls_sigv4_result_t *res)
{
    if (!res)
        return;
    free(res->payload_hash);
    free(res->uri);
    free(res->query);
    free(res->canonical_request);
    free(res->string_to_sign);
    free(res->signed_headers);
    free(res->scope);
    free(res->authorization);
    if (res->token) {
        OPENSSL_cleanse(res->token, strlen(res->token));
        free(res->token);
    }
    free(res);
}

size_t ls_sigv4_result_header_count(const ls_sigv4_result_t *res)
{
    return res ? res->nheaders : 0;
}

int ls_sigv4_result_header(const ls_sigv4_result_t *res, size_t idx,
                           const char **name, const char **value)
{
    if (!res || idx >= res->nheaders)
        return -1;
    if (name)
        *name = res->hname[idx];
    if (value)
        *value = res->hvalue[idx];
    return 0;
}

const char *ls_sigv4_result_authorization(const ls_sigv4_result_t *res)
{
    return res ? res->authorization : NULL;
}

const char *ls_sigv4_result_amz_date(const ls_sigv4_result_t *res)
{
    return res ? res->amz_date : NULL;
}

const char *ls_sigv4_result_payload_hash(const ls_sigv4_result_t *res)
{
    return res ? res->payload_hash : NULL;
}

const char *ls_sigv4_result_uri(const ls_sigv4_result_t *res)
{
    return res ? res->uri : NULL;
}

const char *ls_sigv4_result_query(const ls_sigv4_result_t *res)
{
    return res ? res->query : NULL;
}

const char *ls_sigv4_result_canonical_request(const ls_sigv4_result_t *res)
{
    return res ? res->canonical_request : NULL;
}

const char *ls_sigv4_result_string_to_sign(const ls_sigv4_result_t *res)
{
    return res ? res->string_to_sign : NULL;
}

const char *ls_sigv4_result_signed_headers(const ls_sigv4_result_t *res)
{
    return res ? res->signed_headers : NULL;
}

const char *ls_sigv4_result_scope(const ls_sigv4_result_t *res)
{
    return res ? res->scope : NULL;
}

const char *ls_sigv4_result_signature(const ls_sigv4_result_t *res)
{
    return res ? res->signature : NULL;
}

/* ---- step: canonical query -------------------------------------------- */

static int kv_cmp(const void *a, const void *b)
{
    const kv_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* A borrowed name/value pair. */
typedef struct {
    const char *name;
    const char *value;
} ckv_t;

/* Encode every raw pair of q (and of extra, n_extra pairs), sort by
 * encoded name then value, and join as "n=v&n=v".  NULL when out of
 * memory. */
static char *canonical_query(const kvlist_t *q, const ckv_t *extra,
                             size_t n_extra)
{
    size_t n = q->n + n_extra;
    kv_t *enc = calloc(n ? n : 1, sizeof(*enc));
    sb_t b = {0};
    char *out = NULL;
    size_t i;
    if (!enc)
        return NULL;
    for (i = 0; i < n; i++) {
        const char *name = i < q->n ? q->v[i].name : extra[i - q->n].name;
        const char *value =
            i < q->n ? q->v[i].value : extra[i - q->n].value;
        sb_enc(&b, name, strlen(name), 0);
        enc[i].name = sb_take(&b);
        sb_enc(&b, value, strlen(value), 0);
        enc[i].value = sb_take(&b);
        if (!enc[i].name || !enc[i].value)
            goto done;
    }
    if (n > 1) /* qsort's array must not be NULL */
        qsort(enc, n, sizeof(*enc), kv_cmp);
    for (i = 0; i < n; i++) {
        if (i)
            sb_chr(&b, '&');
        sb_str(&b, enc[i].name);
        sb_chr(&b, '=');
        sb_str(&b, enc[i].value);
    }
    out = sb_take(&b);
done:
    for (i = 0; i < n; i++) {
        free(enc[i].name);
        free(enc[i].value);
    }
    free(enc);
    free(b.p);
    return out;
}

/* ---- step: canonical headers and signed headers ------------------------ */

typedef struct {
    const char *name;
    const char *value;
    size_t order;
} hdr_t;

static int hdr_cmp(const void *a, const void *b)
{
    const hdr_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Sort the headers by name (stable), merge repeated names with ',', and
 * append "name:value\n" lines to ch and "a;b;c" to sh. */
static void canonical_headers(hdr_t *h, size_t n, sb_t *ch, sb_t *sh)
{
    if (n > 1)
        qsort(h, n, sizeof(*h), hdr_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(h[i].name, h[i - 1].name)) {
            /* Same name as the line just written: join the values. */
            ch->len--; /* drop the '\n' */
            sb_chr(ch, ',');
            sb_str(ch, h[i].value);
            sb_chr(ch, '\n');
            continue;
        }
        if (sh->len)
            sb_chr(sh, ';');
        sb_str(sh, h[i].name);
        sb_str(ch, h[i].name);
        sb_chr(ch, ':');
        sb_str(ch, h[i].value);
        sb_chr(ch, '\n');
    }
}

/* ---- argument checks --------------------------------------------------- */

static int scope_word(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
              *s == '.'))
            return 0;
    return 1;
}

/* A value fit to quote in an error: "?" when it holds a control
 * character or (a caller mixing up arguments) the secret or the token. */
static const char *quotable(const char *s, const ls_sigv4_creds_t *creds)
{
    if (!s)
        return "";
    if (has_ctl(s) ||
        (creds->secret_access_key && *creds->secret_access_key &&
         strstr(s, creds->secret_access_key)) ||
        (creds->session_token && *creds->session_token &&
         strstr(s, creds->session_token)))
        return "?";
    return s;
}

/* Checks that never quote the secret or the token. */
static ls_error_t *check_args(const char *op, const ls_sigv4_request_t *req,
                              const ls_sigv4_creds_t *creds,
                              const char *region, const char *service)
{
    if (!req)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s: NULL request", op);
    if (!creds)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s: NULL credentials", op);
    if (!creds->access_key_id || !*creds->access_key_id)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s: missing access key id",
                            op);
    for (const char *p = creds->access_key_id; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
            *p == ',' || *p == '/')
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "%s: access key id contains a space, ',', "
                                "'/' or a non-ASCII or control character",
                                op);
    if (!creds->secret_access_key || !*creds->secret_access_key)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "%s: missing secret access key", op);
    if (creds->session_token && has_ctl(creds->session_token))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "%s: session token contains a control "
                            "character",
                            op);
    if (!scope_word(region))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "%s: region \"%.40s\" is empty or has characters "
                            "outside A-Z a-z 0-9 - _ .",
                            op, quotable(region, creds));
    if (!scope_word(service))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "%s: service \"%.40s\" is empty or has characters "
                            "outside A-Z a-z 0-9 - _ .",
                            op, quotable(service, creds));
    return NULL;
}

/* ---- the whole signature ------------------------------------------------ */

static ls_error_t *sign(ls_sigv4_result_t **out,
                        const ls_sigv4_request_t *req,
                        const ls_sigv4_creds_t *creds, const char *region,
                        const char *service, time_t when, int presign,
                        unsigned expires_s)
{
    const char *op = presign ? "sigv4 presign" : "sigv4 sign";
    ls_sigv4_result_t *r = NULL;
    hdr_t *h = NULL;
    sb_t b = {0}, ch = {0}, sh = {0};
    ls_error_t *err;
    struct tm tm;
    char date8[9], expires[16], cr_hash[65];
    unsigned char key[32], sig[32];
    const char *token = creds && creds->session_token &&
                                *creds->session_token
                            ? creds->session_token
                            : NULL;

    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s: NULL out", op);
    *out = NULL;
    if ((err = check_args(op, req, creds, region, service)))
        return err;
    if (presign && (expires_s < 1 || expires_s > MAX_EXPIRES))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "%s: expires %u s is outside 1..%u", op,
                            expires_s, MAX_EXPIRES);

    r = calloc(1, sizeof(*r));
    if (!r)
        goto nomem;

    /* Time: x-amz-date and the scope's date. */
    if (!gmtime_r(&when, &tm) ||
        strftime(r->amz_date, sizeof(r->amz_date), "%Y%m%dT%H%M%SZ", &tm) !=
            16) {
        ls_sigv4_result_destroy(r);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "%s: time %lld cannot be written as "
                            "YYYYMMDDTHHMMSSZ",
                            op, (long long)when);
    }
    memcpy(date8, r->amz_date, 8);
    date8[8] = '\0';

    /* Scope and payload hash. */
    sb_str(&b, date8);
    sb_chr(&b, '/');
    sb_str(&b, region);
    sb_chr(&b, '/');
    sb_str(&b, service);
    sb_str(&b, "/" TERMINATOR);
    if (!(r->scope = sb_take(&b)))
        goto nomem;
    r->payload_hash = strdup(presign             ? LS_SIGV4_UNSIGNED_PAYLOAD
                             : req->payload_hash ? req->payload_hash
                                                 : LS_SIGV4_EMPTY_SHA256);
    if (!r->payload_hash)
        goto nomem;
    if (token && !(r->token = strdup(token)))
        goto nomem;

    /* Canonical URI. */
    sb_enc(&b, req->path, strlen(req->path), 1);
    if (!(r->uri = sb_take(&b)))
        goto nomem;

    /* Headers to sign: host, ours, then the caller's. */
    size_t nh = 0;
    h = calloc(req->headers.n + 4, sizeof(*h));
    if (!h)
        goto nomem;
    h[nh++] = (hdr_t){"host", req->host, 0};
    if (!presign) {
        h[nh++] = (hdr_t){"x-amz-date", r->amz_date, 0};
        if (!strcmp(service, "s3"))
            h[nh++] = (hdr_t){"x-amz-content-sha256", r->payload_hash, 0};
        if (token)
            h[nh++] = (hdr_t){"x-amz-security-token", r->token, 0};
    }
    for (size_t i = 0; i < req->headers.n; i++, nh++)
        h[nh] = (hdr_t){req->headers.v[i].name, req->headers.v[i].value,
                        i + 1};
    canonical_headers(h, nh, &ch, &sh);
    if (ch.oom || sh.oom)
        goto nomem;
    r->signed_headers = sb_take(&sh);
    if (!r->signed_headers)
        goto nomem;

    /* Canonical query (with the X-Amz-* parameters when presigning). */
    if (presign) {
        char *cred;
        sb_str(&b, creds->access_key_id);
        sb_chr(&b, '/');
        sb_str(&b, r->scope);
        if (!(cred = sb_take(&b)))
            goto nomem;
        snprintf(expires, sizeof(expires), "%u", expires_s);
        const ckv_t extra[6] = {
            {"X-Amz-Algorithm", ALGORITHM},
            {"X-Amz-Credential", cred},
            {"X-Amz-Date", r->amz_date},
            {"X-Amz-Expires", expires},
            {"X-Amz-SignedHeaders", r->signed_headers},
            {"X-Amz-Security-Token", r->token},
        };
        r->query = canonical_query(&req->query, extra, token ? 6 : 5);
        free(cred);
    } else {
        r->query = canonical_query(&req->query, NULL, 0);
    }
    if (!r->query)
        goto nomem;

    /* Canonical request. */
    sb_str(&b, req->method);
    sb_chr(&b, '\n');
    sb_str(&b, r->uri);
    sb_chr(&b, '\n');
    sb_str(&b, r->query);
    sb_chr(&b, '\n');
    if (ch.p)
        sb_add(&b, ch.p, ch.len);
    sb_chr(&b, '\n');
    sb_str(&b, r->signed_headers);
    sb_chr(&b, '\n');
    sb_str(&b, r->payload_hash);
    if (!(r->canonical_request = sb_take(&b)))
        goto nomem;

    /* String to sign. */
    if ((err = ls_sigv4_sha256_hex(r->canonical_request,
                                   strlen(r->canonical_request), cr_hash)))
        goto fail;
    sb_str(&b, ALGORITHM "\n");
    sb_str(&b, r->amz_date);
    sb_chr(&b, '\n');
    sb_str(&b, r->scope);
    sb_chr(&b, '\n');
    sb_str(&b, cr_hash);
    if (!(r->string_to_sign = sb_take(&b)))
        goto nomem;

    /* Signing key and signature. */
    if ((err = ls_sigv4_signing_key(key, creds->secret_access_key, date8,
                                    region, service)))
        goto fail;
    int bad = hmac256(key, sizeof(key), r->string_to_sign,
                      strlen(r->string_to_sign), sig);
    OPENSSL_cleanse(key, sizeof(key));
    if (bad) {
        err = ls_error_new(LS_ERR_GENERIC, "%s: OpenSSL HMAC failed", op);
        goto fail;
    }
    to_hex(sig, 32, r->signature);

    if (presign) {
        /* The signature goes last on the wire query. */
        sb_str(&b, r->query);
        sb_str(&b, "&X-Amz-Signature=");
        sb_str(&b, r->signature);
        char *q = sb_take(&b);
        if (!q)
            goto nomem;
        free(r->query);
        r->query = q;
    } else {
        /* Authorization header and the list of headers to send. */
        sb_str(&b, ALGORITHM " Credential=");
        sb_str(&b, creds->access_key_id);
        sb_chr(&b, '/');
        sb_str(&b, r->scope);
        sb_str(&b, ",SignedHeaders=");
        sb_str(&b, r->signed_headers);
        sb_str(&b, ",Signature=");
        sb_str(&b, r->signature);
        if (!(r->authorization = sb_take(&b)))
            goto nomem;
        r->hname[r->nheaders] = "x-amz-date";
        r->hvalue[r->nheaders++] = r->amz_date;
        if (!strcmp(service, "s3")) {
            r->hname[r->nheaders] = "x-amz-content-sha256";
            r->hvalue[r->nheaders++] = r->payload_hash;
        }
        if (r->token) {
            r->hname[r->nheaders] = "x-amz-security-token";
            r->hvalue[r->nheaders++] = r->token;
        }
        r->hname[r->nheaders] = "Authorization";
        r->hvalue[r->nheaders++] = r->authorization;
    }

    free(h);
    free(ch.p);
    OPENSSL_cleanse(sig, sizeof(sig));
    *out = r;
    return NULL;

nomem:
    err = ls_error_new(LS_ERR_NOMEM, "%s: out of memory", op);
fail:
    free(h);
    free(b.p);
    free(ch.p);
    free(sh.p);
    OPENSSL_cleanse(sig, sizeof(sig));
    ls_sigv4_result_destroy(r);
    return err;
}

ls_error_t *ls_sigv4_sign(ls_sigv4_result_t **out,
                          const ls_sigv4_request_t *req,
                          const ls_sigv4_creds_t *creds, const char *region,
                          const char *service, time_t when)
{
    return sign(out, req, creds, region, service, when, 0, 0);
}

ls_error_t *ls_sigv4_presign(ls_sigv4_result_t **out,
                             const ls_sigv4_request_t *req,
                             const ls_sigv4_creds_t *creds,
                             const char *region, const char *service,
                             time_t when, unsigned expires_s)
{
    return sign(out, req, creds, region, service, when, 1, expires_s);
}
