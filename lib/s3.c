/* libstream: the S3 client.  See include/libstream/s3.h.
 *
 * Every request goes through run(): sign it with our SigV4 signer (a
 * fresh x-amz-date each attempt), send exactly the URI and query the
 * signer produced through the shared libcurl layer (http.c), map a
 * failure to an ls_error_t (S3's XML error document, else the status)
 * and retry what is retriable with capped exponential backoff and full
 * jitter.  Replies are read into one response buffer the client reuses.
 *
 * The few XML documents S3 answers with are read by a small parser of
 * our own (xml_walk): bounded depth, no DTD (so no entity expansion),
 * the five predefined entities and numeric references only, and every
 * byte checked against the length of the reply, never a NUL.
 *
 * Secrets: the secret key and the session token live only in the client
 * (wiped by ls_s3_destroy()) and in the credentials the signer reads.
 * Every error leaving this file goes through scrub(), which replaces
 * either of them, should a server echo one back, with "[redacted]". */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "http_int.h"
#include "libstream/s3.h"
#include "libstream/sigv4.h"

/* ---- internals shared with tests/unit/test_s3.c ------------------------
 * (declared here and there; they belong in lib/s3_int.h.) */

/* Parse an S3 <Error> document: 1 when the root is Error with a Code,
 * copying Code and Message (decoded, truncated to fit); 0 otherwise. */
int ls__s3_xml_error(const char *body, size_t len, char *code,
                     size_t code_size, char *msg, size_t msg_size);

/* The root element's name of a well-formed document into buf: 0, or -1
 * when the document is malformed or truncated. */
int ls__s3_xml_root(const char *body, size_t len, char *buf, size_t size);

/* The UploadId of an InitiateMultipartUploadResult, malloc'd; NULL when
 * the document is anything else (or out of memory). */
char *ls__s3_xml_upload_id(const char *body, size_t len);

/* Parse one ListObjectsV2 page: validate it all first, then call cb for
 * each Contents (Key, Size).  *truncated and *next_token (malloc'd, NULL
 * when none) describe the continuation.  Returns 0; 1 when cb stopped
 * the listing; -1 for a malformed document or another root; -2 out of
 * memory. */
int ls__s3_xml_list(const char *body, size_t len, ls_s3_list_cb_t *cb,
                    void *opaque, int *truncated, char **next_token);

/* Check a CompleteMultipartUpload reply body (the status was 2xx): NULL
 * for a CompleteMultipartUploadResult (its ETag copied to etag, may be
 * NULL); an error named after what for an <Error> document (retriable
 * as its code says, HTTP status 200) or for anything else (retriable:
 * the reply was cut or garbled). */
ls_error_t *ls__s3_check_complete(const char *what, const char *body,
                                  size_t len, char *etag, size_t etag_size);

/* The error for a failed reply: "<what>: HTTP <status> <Code>: <Message>"
 * from an S3 error document, else "<what>: HTTP <status> <first line>".
 * The code and retriable flag come from the S3 code when it is known,
 * else from the status; the error carries the status.  code (may be
 * NULL) receives the S3 code, "" when none. */
ls_error_t *ls__s3_status_error(const char *what, long status,
                                const char *body, size_t len, char *code,
                                size_t code_size);

/* The libstream code for an S3 error code and whether it is retriable;
 * LS_ERR_GENERIC with *known = 0 for a code not in the table. */
ls_err_t ls__s3_code(const char *s3code, int *retriable, int *known);

/* Resolve credentials from conf (may be NULL), the environment and the
 * shared credentials file (see s3.h).  Outputs are malloc'd (token ""
 * when none; source "conf", "env" or "file <path> [<profile>]"). */
ls_error_t *ls__s3_credentials(const ls_conf_t *conf, char **akid,
                               char **secret, char **token, char **source);

/* The URL and Host header for a request (key NULL: the bucket itself;
 * query: raw name, value pairs ending with NULL; value may be NULL).
 * Both malloc'd.  The same code path as real requests. */
ls_error_t *ls__s3_url(ls_s3_t *c, const char *method, const char *key,
                       const char *const *query, char **url, char **host);

/* ls_s3_list() with a page size (max-keys; 0: S3's default) and the
 * number of pages fetched (may be NULL). */
ls_error_t *ls__s3_list_ex(ls_s3_t *c, const char *prefix, int max_keys,
                           ls_s3_list_cb_t *cb, void *opaque, int *pages);

/* URL-decode s in place the way encoding-type=url needs it ('+' is a
 * space, %XX a byte): 0, or -1 for a bad escape or a NUL byte. */
int ls__s3_url_decode(char *s);

/* ---- limits and defaults ------------------------------------------------ */

#define S3_KEY_MAX 1024
#define S3_DEFAULT_PART ((size_t)8 << 20)
#define S3_MAX_PART ((int64_t)5 << 30)
#define S3_LIST_BODY_MAX ((size_t)64 << 20)
#define S3_REPLY_MAX ((size_t)1 << 20)
#define S3_CRED_FILE_MAX ((off_t)1 << 20)
#define XML_MAX_DEPTH 32
#define XML_NAME_MAX 256

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

/* ---- small helpers ------------------------------------------------------- */

static ls_error_t *nomem(void)
{
    return ls_error_new(LS_ERR_NOMEM, "s3: out of memory");
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* A printable, bounded copy of s for messages: control bytes become
 * '?', and more than max bytes end in "...". */
static void printable(char *buf, size_t size, const char *s, size_t max)
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

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
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
                if (!is_ws(ch))
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
            while (e < len && is_ws(p[e]))
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
                while (e < len && is_ws(p[e]))
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
                while (e < len && is_ws(p[e]))
                    e++;
                if (e >= len || p[e] != '=')
                    break;
                e++;
                while (e < len && is_ws(p[e]))
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
        return nomem();
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
        printable(pc, sizeof(pc), s3code, 63);
        printable(pm, sizeof(pm), msg, 1000);
        printable(pe, sizeof(pe), ep, 200);
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

/* ---- configuration ---------------------------------------------------------- */

static const char *cget(const ls_conf_t *conf, const char *key)
{
    return conf ? ls_conf_get(conf, key) : NULL;
}

/* A key's value when it is set to something non-empty, else NULL. */
static const char *cset(const ls_conf_t *conf, const char *key)
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
        printable(shown, sizeof(shown), url, 150);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid s3.endpoint \"%s\": %s", shown, why);
    }
    if (pn == (*tls ? 443 : 80)) {
        *hostport = strndup(p, hl);
    } else if (asprintf(hostport, "%.*s:%ld", (int)hl, p, pn) < 0) {
        *hostport = NULL;
    }
    if (!*hostport)
        return nomem();
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
    printable(shown, sizeof(shown), b, 64);
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
    printable(shown, sizeof(shown), r, 64);
    return ls_error_new(LS_ERR_INVALID_ARG,
                        "invalid s3.region \"%s\": expected letters, "
                        "digits and '-', e.g. us-east-1",
                        shown);
}

/* ---- credentials ------------------------------------------------------------- */

static char *trim(char *s)
{
    while (is_ws(*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && is_ws(e[-1]))
        *--e = '\0';
    return s;
}

/* The credentials file's path (malloc'd): $AWS_SHARED_CREDENTIALS_FILE,
 * else $HOME/.aws/credentials, else the login's home. */
static char *credentials_path(void)
{
    const char *f = getenv("AWS_SHARED_CREDENTIALS_FILE");
    char *out = NULL;
    if (f && *f)
        return strdup(f);
    const char *home = getenv("HOME");
    char buf[4096];
    struct passwd pw, *res = NULL;
    if ((!home || !*home) &&
        getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
        home = res->pw_dir;
    if (!home || !*home)
        home = "";
    if (asprintf(&out, "%s/.aws/credentials", home) < 0)
        return NULL;
    return out;
}

/* Read a whole small file (wiped and freed by the caller).  -1 with
 * errno on failure. */
static int read_small_file(const char *path, char **out, size_t *len)
{
    struct stat sb;
    memset(&sb, 0, sizeof(sb));
    errno = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *out = NULL;
    if (fd < 0)
        return -1;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
        sb.st_size > S3_CRED_FILE_MAX) {
        int e = errno;
        if (e == 0 || !S_ISREG(sb.st_mode))
            e = EISDIR;
        if (S_ISREG(sb.st_mode) && sb.st_size > S3_CRED_FILE_MAX)
            e = EFBIG;
        close(fd);
        errno = e;
        return -1;
    }
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *b = malloc(cap);
    if (!b) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, b + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            explicit_bzero(b, n);
            free(b);
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap - 1)
            break; /* the file grew: read what stat said */
    }
    close(fd);
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}

typedef struct {
    char *akid, *secret, *token;
    int found;    /* the profile's section exists */
    int has_role; /* role_arn / sso / credential_process: unsupported */
} profile_t;

/* Parse INI text for [profile]; values are copied.  Lines are never
 * quoted in errors (they may hold a secret). */
static int parse_profile(char *text, const char *profile, profile_t *pr)
{
    int in = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *l = trim(line);
        if (!*l || *l == '#' || *l == ';')
            continue;
        if (*l == '[') {
            char *rb = strchr(l, ']');
            if (!rb) {
                in = 0;
                continue;
            }
            *rb = '\0';
            in = !strcmp(trim(l + 1), profile);
            if (in)
                pr->found = 1;
            continue;
        }
        if (!in)
            continue;
        char *eq = strchr(l, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1);
        char **dst = NULL;
        if (!strcasecmp(k, "aws_access_key_id"))
            dst = &pr->akid;
        else if (!strcasecmp(k, "aws_secret_access_key"))
            dst = &pr->secret;
        else if (!strcasecmp(k, "aws_session_token") ||
                 (!strcasecmp(k, "aws_security_token") && !pr->token))
            dst = &pr->token;
        else if (!strcasecmp(k, "role_arn") ||
                 !strcasecmp(k, "credential_process") ||
                 !strncasecmp(k, "sso_", 4))
            pr->has_role = 1;
        if (dst) {
            wipe_free(*dst);
            if (!(*dst = strdup(v)))
                return -1;
        }
    }
    return 0;
}

static void profile_free(profile_t *pr)
{
    wipe_free(pr->akid);
    wipe_free(pr->secret);
    wipe_free(pr->token);
    memset(pr, 0, sizeof(*pr));
}

static ls_error_t *creds_from_file(const ls_conf_t *conf, char **akid,
                                   char **secret, char **token,
                                   char **source)
{
    const char *profile = cset(conf, "s3.profile");
    const char *pvar = NULL;
    int explicit_profile = 1;
    if (!profile) {
        profile = getenv("AWS_PROFILE");
        pvar = "$AWS_PROFILE";
        if (!profile || !*profile) {
            profile = "default";
            explicit_profile = 0;
        }
    }
    const char *named = pvar ? pvar : "s3.profile";
    char shown_profile[80];
    printable(shown_profile, sizeof(shown_profile), profile, 64);
    char *path = credentials_path();
    if (!path)
        return nomem();
    char shown_path[300];
    printable(shown_path, sizeof(shown_path), path, 256);

    char *text = NULL;
    size_t len = 0;
    ls_error_t *err = NULL;
    profile_t pr;
    memset(&pr, 0, sizeof(pr));
    if (read_small_file(path, &text, &len)) {
        int e = errno;
        if (e == ENOMEM)
            err = nomem();
        else if (e == ENOENT && !explicit_profile)
            err = ls_error_new(LS_ERR_ACCESS,
                               "s3: no credentials: set s3.access.key.id "
                               "and s3.secret.access.key, or "
                               "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                               "or a [default] profile in %s",
                               shown_path);
        else if (e == ENOENT)
            err = ls_error_new(LS_ERR_INVALID_ARG,
                               "s3: profile \"%s\" (%s): credentials file %s "
                               "does not exist",
                               shown_profile, named, shown_path);
        else
            err = ls_error_new(LS_ERR_IO,
                               "s3: cannot read credentials file %s: %s",
                               shown_path, strerror(e));
        goto out;
    }
    if (parse_profile(text, profile, &pr)) {
        err = nomem();
        goto out;
    }
    if (!pr.found) {
        if (explicit_profile)
            err = ls_error_new(LS_ERR_INVALID_ARG,
                               "s3: profile \"%s\" (%s) is not in the "
                               "credentials file %s",
                               shown_profile, named, shown_path);
        else
            err = ls_error_new(LS_ERR_ACCESS,
                               "s3: no credentials: set s3.access.key.id "
                               "and s3.secret.access.key, or "
                               "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                               "or a [default] profile in %s",
                               shown_path);
        goto out;
    }
    if (!pr.akid || !*pr.akid || !pr.secret || !*pr.secret) {
        err = ls_error_new(LS_ERR_INVALID_ARG,
                           "s3: profile \"%s\" in %s has no %s%s",
                           shown_profile, shown_path,
                           !pr.akid || !*pr.akid ? "aws_access_key_id"
                                                 : "aws_secret_access_key",
                           pr.has_role ? " (role, SSO and credential_process "
                                         "profiles are not supported)"
                                       : "");
        goto out;
    }
    *akid = pr.akid;
    *secret = pr.secret;
    *token = pr.token ? pr.token : strdup("");
    pr.akid = pr.secret = pr.token = NULL;
    if (asprintf(source, "file %s [%s]", shown_path, shown_profile) < 0)
        *source = NULL;
    if (!*token || !*source)
        err = nomem();
out:
    profile_free(&pr);
    if (text) {
        explicit_bzero(text, len);
        free(text);
    }
    free(path);
    return err;
}

ls_error_t *ls__s3_credentials(const ls_conf_t *conf, char **akid,
                               char **secret, char **token, char **source)
{
    const char *ca = cset(conf, "s3.access.key.id");
    const char *cs = cset(conf, "s3.secret.access.key");
    const char *ct = cset(conf, "s3.session.token");
    ls_error_t *err = NULL;
    *akid = *secret = *token = *source = NULL;
    if (ca || cs) {
        if (!ca || !cs)
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "s3: %s is set but %s is not",
                                ca ? "s3.access.key.id"
                                   : "s3.secret.access.key",
                                ca ? "s3.secret.access.key"
                                   : "s3.access.key.id");
        *akid = strdup(ca);
        *secret = strdup(cs);
        *token = strdup(ct ? ct : "");
        *source = strdup("conf");
    } else {
        const char *ea = getenv("AWS_ACCESS_KEY_ID");
        const char *es = getenv("AWS_SECRET_ACCESS_KEY");
        const char *et = getenv("AWS_SESSION_TOKEN");
        if (!et || !*et)
            et = getenv("AWS_SECURITY_TOKEN");
        ea = ea && *ea ? ea : NULL;
        es = es && *es ? es : NULL;
        if (ea || es) {
            if (!ea || !es)
                return ls_error_new(LS_ERR_INVALID_ARG,
                                    "s3: %s is set but %s is not",
                                    ea ? "AWS_ACCESS_KEY_ID"
                                       : "AWS_SECRET_ACCESS_KEY",
                                    ea ? "AWS_SECRET_ACCESS_KEY"
                                       : "AWS_ACCESS_KEY_ID");
            *akid = strdup(ea);
            *secret = strdup(es);
            *token = strdup(et ? et : "");
            *source = strdup("env");
        } else {
            err = creds_from_file(conf, akid, secret, token, source);
        }
    }
    if (!err && (!*akid || !*secret || !*token || !*source))
        err = nomem();
    if (err) {
        wipe_free(*akid);
        wipe_free(*secret);
        wipe_free(*token);
        free(*source);
        *akid = *secret = *token = *source = NULL;
    }
    return err;
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
    wipe_free(c->secret);
    wipe_free(c->token);
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
    const char *bucket = cset(conf, "s3.bucket");
    if (!bucket)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "s3: s3.bucket is not set");
    ls_s3_t *c = calloc(1, sizeof(*c));
    if (!c)
        return nomem();
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
    const char *region = cset(conf, "s3.region");
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
        err = nomem();
        goto fail;
    }
    if ((err = check_region(c->region)))
        goto fail;
    const char *ep = cset(conf, "s3.endpoint");
    if (ep) {
        if ((err = parse_endpoint(ep, &c->tls, &c->ep_host)))
            goto fail;
    } else {
        c->tls = 1;
        if (asprintf(&c->ep_host, "s3.%s.amazonaws.com", c->region) < 0) {
            c->ep_host = NULL;
            err = nomem();
            goto fail;
        }
    }
    if (asprintf(&c->endpoint, "%s://%s", c->tls ? "https" : "http",
                 c->ep_host) < 0) {
        c->endpoint = NULL;
        err = nomem();
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
    const char *ca = cset(conf, "s3.tls.ca.file");
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
        err = nomem();
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
        err = nomem();
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
    printable(k, sizeof(k), key ? key : "", 256);
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
        return nomem();
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
        return nomem();
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
        return nomem();
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
        return nomem();
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
        return nomem();
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
    printable(shown, sizeof(shown), prefix, 256);
    if (asprintf(&what, "s3 GET %s (list \"%s\")", c->bucket, shown) < 0)
        return nomem();
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
            err = rc == -2 ? nomem()
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
        return nomem();
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
            return nomem();
        u->parts = p;
        u->cap = cap;
    }
    int num = u->nparts + 1;
    char nb[16];
    snprintf(nb, sizeof(nb), "%d", num);
    const char *q[] = {"partNumber", nb, "uploadId", u->id, NULL};
    char *what = what_of(c, "PUT", u->key, " (part %d)", num);
    if (!what)
        return nomem();
    outcome_t o;
    s3op_t op = {.method = "PUT", .key = u->key, .query = q, .body = data,
                 .len = len, .has_body = 1, .md5 = 1, .what = what,
                 .check = check_part};
    err = run(c, &op, &o);
    free(what);
    if (err)
        return scrub(c, err);
    if (!(u->parts[u->nparts].etag = strdup(c->resp.etag)))
        return nomem();
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
        return nomem();
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
        ls_error_t *e2 = hw ? run(c, &hop, &ho) : nomem();
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
        return nomem();
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
