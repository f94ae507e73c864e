/* libstream: the S3 client's XML: a small reader of our own and the
 * documents S3 answers with (the <Error> document and the mapping of
 * replies to errors, the UploadId of a new multipart upload, a
 * ListObjectsV2 page, the CompleteMultipartUpload result).  See
 * lib/s3_int.h.
 *
 * The reader (xml_walk) has a bounded depth, no DTD (so no entity
 * expansion), the five predefined entities and numeric references only,
 * and checks every byte against the length of the reply, never a NUL. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "s3_int.h"

#define XML_MAX_DEPTH 32
#define XML_NAME_MAX 256

/* ---- XML ------------------------------------------------------------------- */

/* A name on the element stack: a range of the document. */
typedef struct {
    const char *p;
    size_t n;
} xname_t;

/* Called when an element closes: st[0..depth-1] is the path from the
 * root to it; text is its decoded text when it had no child element,
 * else NULL.  Return 0 to go on, anything else to stop the walk. */
typedef int(xml_cb_t)(void *ud, int depth, const xname_t *st,
                      const char *text, size_t tlen);

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} tbuf_t;

static void tb_add(tbuf_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (ls__http_append(&b->p, &b->len, &b->cap, s, n))
        b->oom = 1;
}

static int name_char(unsigned char ch)
{
    return ch > ' ' && !strchr("<>/=\"'&!?", ch) && ch != 0x7f;
}

/* Find the n-byte string s in p[0..len), from position 0. */
static const char *xfind(const char *p, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(p + i, s, n))
            return p + i;
    return NULL;
}

/* Append the UTF-8 encoding of code point cp; -1 when it is not a
 * character XML allows. */
static int put_utf8(tbuf_t *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF ||
        cp == 0xFFFE || cp == 0xFFFF ||
        (cp < 0x20 && cp != 0x9 && cp != 0xA && cp != 0xD))
        return -1;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    tb_add(b, u, n);
    return 0;
}

/* Decode the entity at p ('&') into b; returns its length, 0 if bad. */
static size_t entity(const char *p, size_t left, tbuf_t *b)
{
    static const struct {
        const char *name;
        char ch;
    } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'},
                 {"quot;", '"'}, {"apos;", '\''}};
    size_t i;
    for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        size_t n = strlen(named[i].name);
        if (left >= n + 1 && !memcmp(p + 1, named[i].name, n)) {
            tb_add(b, &named[i].ch, 1);
            return n + 1;
        }
    }
    if (left < 4 || p[1] != '#')
        return 0;
    int hex = p[2] == 'x';
    size_t j = hex ? 3 : 2, digits = 0;
    unsigned long cp = 0;
    for (; j < left && p[j] != ';'; j++, digits++) {
        int d;
        char ch = p[j];
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (hex && ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else if (hex && ch >= 'A' && ch <= 'F')
            d = ch - 'A' + 10;
        else
            return 0;
        if (digits >= 8)
            return 0;
        cp = cp * (hex ? 16 : 10) + (unsigned long)d;
    }
    if (j >= left || !digits || put_utf8(b, cp))
        return 0;
    return j + 1;
}

/* Walk a document: 0 when it is well-formed and was walked to the end;
 * -1 malformed or truncated; -2 out of memory; or cb's non-zero value. */
static int xml_walk(const char *p, size_t len, xml_cb_t *cb, void *ud)
{
    xname_t st[XML_MAX_DEPTH];
    int kids[XML_MAX_DEPTH];
    int depth = 0, roots = 0, rc = 0;
    tbuf_t t = {0};
    size_t i = 0;

    if (!p)
        return -1;
    while (i < len && rc == 0) {
        char ch = p[i];
        if (ch == '\0') {
            rc = -1;
        } else if (ch != '<') {
            if (depth == 0) { /* only white space outside the root */
                if (!ls__s3_is_ws(ch))
                    rc = -1;
                i++;
            } else if (ch == '&') {
                size_t n = entity(p + i, len - i, &t);
                if (!n)
                    rc = -1;
                i += n;
            } else {
                size_t n = 0;
                while (i + n < len && p[i + n] != '<' && p[i + n] != '&' &&
                       p[i + n] != '\0')
                    n++;
                tb_add(&t, p + i, n);
                i += n;
            }
        } else if (len - i >= 2 && p[i + 1] == '?') {
            const char *e = xfind(p + i + 2, len - i - 2, "?>");
            if (!e)
                rc = -1;
            else
                i = (size_t)(e - p) + 2;
        } else if (len - i >= 4 && !memcmp(p + i, "<!--", 4)) {
            const char *e = xfind(p + i + 4, len - i - 4, "-->");
            if (!e)
                rc = -1;
            else
                i = (size_t)(e - p) + 3;
        } else if (len - i >= 9 && !memcmp(p + i, "<![CDATA[", 9)) {
            const char *e = xfind(p + i + 9, len - i - 9, "]]>");
            if (!e || depth == 0 || memchr(p + i, '\0', (size_t)(e - p) - i))
                rc = -1;
            else {
                tb_add(&t, p + i + 9, (size_t)(e - p) - i - 9);
                i = (size_t)(e - p) + 3;
            }
        } else if (len - i >= 2 && p[i + 1] == '!') {
            rc = -1; /* DOCTYPE and the like: never expanded, refused */
        } else if (len - i >= 2 && p[i + 1] == '/') {
            /* </name ws* > */
            size_t s = i + 2, n = 0;
            while (s + n < len && name_char((unsigned char)p[s + n]))
                n++;
            size_t e = s + n;
            while (e < len && ls__s3_is_ws(p[e]))
                e++;
            if (depth == 0 || e >= len || p[e] != '>' || n == 0 ||
                n != st[depth - 1].n || memcmp(p + s, st[depth - 1].p, n)) {
                rc = -1;
            } else {
                if (t.oom) {
                    rc = -2;
                    break;
                }
                const char *text = kids[depth - 1] ? NULL
                                   : t.p            ? t.p
                                                    : "";
                rc = cb ? cb(ud, depth, st, text,
                             kids[depth - 1] ? 0 : t.len)
                        : 0;
                depth--;
                t.len = 0;
                if (t.p)
                    t.p[0] = '\0';
                i = e + 1;
            }
        } else {
            /* <name (ws attr="v")* ws* /?> */
            size_t s = i + 1, n = 0;
            while (s + n < len && name_char((unsigned char)p[s + n]))
                n++;
            if (n == 0 || n > XML_NAME_MAX || depth >= XML_MAX_DEPTH ||
                (depth == 0 && roots > 0)) {
                rc = -1;
                break;
            }
            size_t e = s + n;
            int selfclose = 0, ok = 0;
            for (;;) {
                size_t w = e;
                while (e < len && ls__s3_is_ws(p[e]))
                    e++;
                if (e >= len)
                    break;
                if (p[e] == '>') {
                    ok = 1;
                    break;
                }
                if (p[e] == '/') {
                    if (e + 1 < len && p[e + 1] == '>') {
                        selfclose = ok = 1;
                        e++;
                    }
                    break;
                }
                /* An attribute: needs white space before it. */
                size_t an = 0;
                while (e + an < len && name_char((unsigned char)p[e + an]))
                    an++;
                if (w == e || an == 0)
                    break;
                e += an;
                while (e < len && ls__s3_is_ws(p[e]))
                    e++;
                if (e >= len || p[e] != '=')
                    break;
                e++;
                while (e < len && ls__s3_is_ws(p[e]))
                    e++;
                if (e >= len || (p[e] != '"' && p[e] != '\''))
                    break;
                char q = p[e++];
                while (e < len && p[e] != q && p[e] != '<' && p[e] != '\0')
                    e++;
                if (e >= len || p[e] != q)
                    break;
                e++;
            }
            if (!ok) {
                rc = -1;
                break;
            }
            if (depth > 0)
                kids[depth - 1] = 1;
            if (depth == 0)
                roots++;
            st[depth].p = p + s;
            st[depth].n = n;
            kids[depth] = 0;
            depth++;
            t.len = 0;
            if (t.p)
                t.p[0] = '\0';
            if (selfclose) {
                rc = cb ? cb(ud, depth, st, "", 0) : 0;
                depth--;
            }
            i = e + 1;
        }
    }
    if (rc == 0 && (depth != 0 || roots != 1))
        rc = -1; /* truncated, or no root at all */
    if (rc == 0 && t.oom)
        rc = -2;
    free(t.p);
    return rc;
}

/* Does the element path st[0..depth) equal path ("A/B/C")? */
static int xpath(int depth, const xname_t *st, const char *path)
{
    int d = 0;
    const char *p = path;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (d >= depth || st[d].n != n || memcmp(st[d].p, p, n))
            return 0;
        d++;
        p += n;
        if (*p == '/')
            p++;
    }
    return d == depth;
}

static void copy_text(char *dst, size_t size, const char *s, size_t n)
{
    if (!size)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

typedef struct {
    char *root;
    size_t size;
} root_ud_t;

static int root_cb(void *ud, int depth, const xname_t *st, const char *text,
                   size_t tlen)
{
    root_ud_t *r = ud;
    (void)text;
    (void)tlen;
    if (depth == 1)
        copy_text(r->root, r->size, st[0].p, st[0].n);
    return 0;
}

int ls__s3_xml_root(const char *body, size_t len, char *buf, size_t size)
{
    root_ud_t r = {buf, size};
    if (size)
        buf[0] = '\0';
    int rc = xml_walk(body, len, root_cb, &r);
    if (rc) {
        if (size)
            buf[0] = '\0';
        return -1;
    }
    return 0;
}

typedef struct {
    char *code, *msg, *endpoint;
    size_t code_size, msg_size, endpoint_size;
    int is_error, has_code;
} err_ud_t;

static int err_cb(void *ud, int depth, const xname_t *st, const char *text,
                  size_t tlen)
{
    err_ud_t *e = ud;
    if (depth == 1) {
        e->is_error = xpath(depth, st, "Error");
    } else if (text && xpath(depth, st, "Error/Code")) {
        copy_text(e->code, e->code_size, text, tlen);
        e->has_code = tlen > 0;
    } else if (text && xpath(depth, st, "Error/Message")) {
        copy_text(e->msg, e->msg_size, text, tlen);
    } else if (text && e->endpoint && xpath(depth, st, "Error/Endpoint")) {
        copy_text(e->endpoint, e->endpoint_size, text, tlen);
    }
    return 0;
}

static int xml_error_ex(const char *body, size_t len, char *code,
                        size_t code_size, char *msg, size_t msg_size,
                        char *endpoint, size_t endpoint_size)
{
    err_ud_t e = {code, msg, endpoint, code_size, msg_size, endpoint_size,
                  0, 0};
    if (code_size)
        code[0] = '\0';
    if (msg_size)
        msg[0] = '\0';
    if (endpoint && endpoint_size)
        endpoint[0] = '\0';
    if (xml_walk(body, len, err_cb, &e) || !e.is_error || !e.has_code) {
        if (code_size)
            code[0] = '\0';
        if (msg_size)
            msg[0] = '\0';
        if (endpoint && endpoint_size)
            endpoint[0] = '\0';
        return 0;
    }
    return 1;
}

int ls__s3_xml_error(const char *body, size_t len, char *code,
                     size_t code_size, char *msg, size_t msg_size)
{
    return xml_error_ex(body, len, code, code_size, msg, msg_size, NULL, 0);
}

typedef struct {
    char *id;
    int oom, root_ok;
} uid_ud_t;

static int uid_cb(void *ud, int depth, const xname_t *st, const char *text,
                  size_t tlen)
{
    uid_ud_t *u = ud;
    if (depth == 1)
        u->root_ok = xpath(depth, st, "InitiateMultipartUploadResult");
    else if (text && tlen &&
             xpath(depth, st, "InitiateMultipartUploadResult/UploadId")) {
        free(u->id);
        u->id = strndup(text, tlen);
        if (!u->id)
            u->oom = 1;
    }
    return 0;
}

char *ls__s3_xml_upload_id(const char *body, size_t len)
{
    uid_ud_t u = {NULL, 0, 0};
    int rc = xml_walk(body, len, uid_cb, &u);
    if (rc || u.oom || !u.root_ok || !u.id) {
        free(u.id);
        return NULL;
    }
    return u.id;
}

int ls__s3_url_decode(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%') {
            int v = 0;
            for (int k = 1; k <= 2; k++) {
                char ch = p[k];
                int d = ch >= '0' && ch <= '9'   ? ch - '0'
                        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                 : -1;
                if (d < 0)
                    return -1;
                v = v * 16 + d;
            }
            if (v == 0)
                return -1;
            *o++ = (char)v;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return 0;
}

static int parse_i64(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    if (n == 0 || n > 19)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (INT64_MAX - (s[i] - '0')) / 10)
            return -1; /* over int64: a garbled size */
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

typedef struct {
    char *key;
    int64_t size;
} entry_t;

typedef struct {
    int root_ok;
    int truncated;
    int url_encoded; /* EncodingType is url */
    char *next;
    char *key; /* the current Contents' Key */
    int64_t size;
    entry_t *v;
    size_t n, cap;
    int bad, oom;
} list_ud_t;

static int list_cb(void *ud, int depth, const xname_t *st, const char *text,
                   size_t tlen)
{
    list_ud_t *l = ud;
    if (depth == 1) {
        l->root_ok = xpath(depth, st, "ListBucketResult");
        return 0;
    }
    if (text && xpath(depth, st, "ListBucketResult/IsTruncated")) {
        if (tlen == 4 && !memcmp(text, "true", 4))
            l->truncated = 1;
        else if (tlen == 5 && !memcmp(text, "false", 5))
            l->truncated = 0;
        else
            l->bad = 1;
    } else if (text &&
               xpath(depth, st, "ListBucketResult/NextContinuationToken")) {
        free(l->next);
        if (!(l->next = strndup(text, tlen)))
            l->oom = 1;
    } else if (text && xpath(depth, st, "ListBucketResult/EncodingType")) {
        l->url_encoded = tlen == 3 && !memcmp(text, "url", 3);
    } else if (text && xpath(depth, st, "ListBucketResult/Contents/Key")) {
        free(l->key);
        if (!tlen)
            l->bad = 1;
        else if (!(l->key = strndup(text, tlen)))
            l->oom = 1;
    } else if (text && xpath(depth, st, "ListBucketResult/Contents/Size")) {
        if (parse_i64(text, tlen, &l->size))
            l->bad = 1;
    } else if (xpath(depth, st, "ListBucketResult/Contents")) {
        if (!l->key) {
            l->bad = 1;
        } else {
            if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                entry_t *v = realloc(l->v, cap * sizeof(*v));
                if (!v) {
                    l->oom = 1;
                    return -2;
                }
                l->v = v;
                l->cap = cap;
            }
            l->v[l->n].key = l->key;
            l->v[l->n].size = l->size;
            l->n++;
            l->key = NULL;
            l->size = -1;
        }
    }
    if (l->oom)
        return -2;
    if (l->bad)
        return -1;
    return 0;
}

int ls__s3_xml_list(const char *body, size_t len, ls_s3_list_cb_t *cb,
                    void *opaque, int *truncated, char **next_token)
{
    list_ud_t l;
    size_t i;
    memset(&l, 0, sizeof(l));
    l.size = -1;
    *truncated = 0;
    *next_token = NULL;
    /* Read the whole page first: a page that turns out malformed at its
     * end gives no key at all. */
    int rc = xml_walk(body, len, list_cb, &l);
    if (rc == 0 && !l.root_ok)
        rc = -1;
    if (rc == 0 && l.truncated && (!l.next || !*l.next))
        rc = -1;
    for (i = 0; rc == 0 && l.url_encoded && i < l.n; i++)
        if (ls__s3_url_decode(l.v[i].key) || !*l.v[i].key)
            rc = -1;
    for (i = 0; rc == 0 && cb && i < l.n; i++)
        if (cb(opaque, l.v[i].key, l.v[i].size))
            rc = 1;
    for (i = 0; i < l.n; i++)
        free(l.v[i].key);
    free(l.v);
    free(l.key);
    if (rc < 0) {
        free(l.next);
        return rc == -2 ? -2 : -1;
    }
    *truncated = l.truncated;
    *next_token = l.next;
    return rc;
}

typedef struct {
    char *etag;
    size_t etag_size;
    int ok;
} cmu_ud_t;

static int cmu_cb(void *ud, int depth, const xname_t *st, const char *text,
                  size_t tlen)
{
    cmu_ud_t *u = ud;
    if (depth == 1)
        u->ok = xpath(depth, st, "CompleteMultipartUploadResult");
    else if (text && u->etag &&
             xpath(depth, st, "CompleteMultipartUploadResult/ETag"))
        copy_text(u->etag, u->etag_size, text, tlen);
    return 0;
}

ls_error_t *ls__s3_check_complete(const char *what, const char *body,
                                  size_t len, char *etag, size_t etag_size)
{
    cmu_ud_t u = {etag, etag_size, 0};
    if (etag && etag_size)
        etag[0] = '\0';
    int rc = xml_walk(body, len, cmu_cb, &u);
    if (rc == 0 && u.ok)
        return NULL;
    if (rc == 0) {
        char code[64];
        if (ls__s3_xml_error(body, len, code, sizeof(code), NULL, 0))
            return ls__s3_status_error(what, 200, body, len, NULL, 0);
    }
    if (rc == -2)
        return ls__s3_nomem();
    /* Cut off or garbled: the upload may or may not be complete; the
     * caller's retry finds out (NoSuchUpload then means it is). */
    ls_error_t *e = ls_error_new(LS_ERR_TRANSPORT,
                                 "%s: HTTP 200 with %s (%zu bytes), "
                                 "expected a CompleteMultipartUploadResult",
                                 what,
                                 len == 0  ? "an empty body"
                                 : rc == 0 ? "another XML document"
                                           : "a malformed or truncated body",
                                 len);
    ls_error_set_http_status(e, 200);
    return ls_error_set_retriable(e, 1);
}

/* ---- error mapping ------------------------------------------------------------ */

static const struct {
    const char *code;
    ls_err_t err;
    int retriable;
} s3codes[] = {
    {"NoSuchKey", LS_ERR_NOT_FOUND, 0},
    {"NoSuchBucket", LS_ERR_NOT_FOUND, 0},
    {"NoSuchUpload", LS_ERR_NOT_FOUND, 0},
    {"NoSuchVersion", LS_ERR_NOT_FOUND, 0},
    {"NotFound", LS_ERR_NOT_FOUND, 0},
    {"AccessDenied", LS_ERR_ACCESS, 0},
    {"AllAccessDisabled", LS_ERR_ACCESS, 0},
    {"AccountProblem", LS_ERR_ACCESS, 0},
    {"InvalidAccessKeyId", LS_ERR_ACCESS, 0},
    {"SignatureDoesNotMatch", LS_ERR_ACCESS, 0},
    {"RequestTimeTooSkewed", LS_ERR_ACCESS, 0},
    {"ExpiredToken", LS_ERR_ACCESS, 0},
    {"InvalidToken", LS_ERR_ACCESS, 0},
    {"TokenRefreshRequired", LS_ERR_ACCESS, 0},
    {"InvalidSecurity", LS_ERR_ACCESS, 0},
    {"InvalidObjectState", LS_ERR_ACCESS, 0},
    {"SlowDown", LS_ERR_TRANSPORT, 1},
    {"ServiceUnavailable", LS_ERR_TRANSPORT, 1},
    {"InternalError", LS_ERR_TRANSPORT, 1},
    {"RequestTimeout", LS_ERR_TRANSPORT, 1},
    {"OperationAborted", LS_ERR_TRANSPORT, 1},
    {"Throttling", LS_ERR_TRANSPORT, 1},
    {"ThrottlingException", LS_ERR_TRANSPORT, 1},
    {"RequestLimitExceeded", LS_ERR_TRANSPORT, 1},
    {"TooManyRequests", LS_ERR_TRANSPORT, 1},
    {"IncompleteBody", LS_ERR_TRANSPORT, 1},
    {"BucketAlreadyExists", LS_ERR_EXISTS, 0},
    {"BucketAlreadyOwnedByYou", LS_ERR_EXISTS, 0},
    {"PreconditionFailed", LS_ERR_EXISTS, 0},
    {"BadDigest", LS_ERR_IO, 0},
    {"EntityTooSmall", LS_ERR_INVALID_ARG, 0},
    {"EntityTooLarge", LS_ERR_INVALID_ARG, 0},
    {"InvalidPart", LS_ERR_INVALID_ARG, 0},
    {"InvalidPartOrder", LS_ERR_INVALID_ARG, 0},
    {"MalformedXML", LS_ERR_INVALID_ARG, 0},
    {"InvalidArgument", LS_ERR_INVALID_ARG, 0},
    {"InvalidRequest", LS_ERR_INVALID_ARG, 0},
    {"InvalidDigest", LS_ERR_INVALID_ARG, 0},
    {"InvalidBucketName", LS_ERR_INVALID_ARG, 0},
    {"InvalidURI", LS_ERR_INVALID_ARG, 0},
    {"KeyTooLongError", LS_ERR_INVALID_ARG, 0},
    {"MissingContentLength", LS_ERR_INVALID_ARG, 0},
    {"AuthorizationHeaderMalformed", LS_ERR_INVALID_ARG, 0},
    {"PermanentRedirect", LS_ERR_INVALID_ARG, 0},
    {"TemporaryRedirect", LS_ERR_INVALID_ARG, 0},
    {"IllegalLocationConstraintException", LS_ERR_INVALID_ARG, 0},
    {"MethodNotAllowed", LS_ERR_GENERIC, 0},
    {"NotImplemented", LS_ERR_GENERIC, 0},
};

ls_err_t ls__s3_code(const char *s3code, int *retriable, int *known)
{
    for (size_t i = 0; s3code && i < sizeof(s3codes) / sizeof(s3codes[0]);
         i++)
        if (!strcmp(s3codes[i].code, s3code)) {
            if (retriable)
                *retriable = s3codes[i].retriable;
            if (known)
                *known = 1;
            return s3codes[i].err;
        }
    if (retriable)
        *retriable = 0;
    if (known)
        *known = 0;
    return LS_ERR_GENERIC;
}

static const char *reason(long status)
{
    switch (status) {
    case 301: return "Moved Permanently";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

ls_error_t *ls__s3_status_error(const char *what, long status,
                                const char *body, size_t len, char *code,
                                size_t code_size)
{
    char s3code[64], msg[1024], ep[256];
    int retriable = 0, known = 0;
    ls_err_t ec;
    ls_error_t *err;
    if (xml_error_ex(body, len, s3code, sizeof(s3code), msg, sizeof(msg), ep,
                     sizeof(ep))) {
        char pc[64], pm[1024], pe[256];
        ls__s3_printable(pc, sizeof(pc), s3code, 63);
        ls__s3_printable(pm, sizeof(pm), msg, 1000);
        ls__s3_printable(pe, sizeof(pe), ep, 200);
        ec = ls__s3_code(s3code, &retriable, &known);
        if (!known) {
            ec = ls__http_status_code(status, &retriable);
            if (status >= 200 && status <= 299) { /* 200 with <Error> */
                ec = LS_ERR_GENERIC;
                retriable = 0;
            }
        }
        err = ls_error_new(ec, "%s: HTTP %ld %s%s%s%s%s%s", what, status, pc,
                           *pm ? ": " : "", pm,
                           *pe ? " (endpoint " : "", pe, *pe ? ")" : "");
        if (code)
            copy_text(code, code_size, s3code, strlen(s3code));
    } else {
        /* The first line of whatever came back, made printable. */
        char line[201];
        size_t n = 0;
        for (size_t i = 0; body && i < len && n < sizeof(line) - 1; i++) {
            unsigned char ch = (unsigned char)body[i];
            if (ch == '\n' || ch == '\r') {
                if (n)
                    break;
                continue;
            }
            line[n++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
        }
        line[n] = '\0';
        ec = ls__http_status_code(status, &retriable);
        if (!n && *reason(status))
            snprintf(line, sizeof(line), "%s", reason(status));
        err = ls_error_new(ec, "%s: HTTP %ld%s%s", what, status,
                           *line ? " " : "", line);
        if (code && code_size)
            code[0] = '\0';
    }
    ls_error_set_http_status(err, (int)status);
    return ls_error_set_retriable(err, retriable);
}
