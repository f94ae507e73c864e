/* libstream: the HTTP source — libmicrohttpd server, Flume JSONHandler
 * batches in, Kafka records out, each request answered once its records
 * are acknowledged.
 *
 * Request life (one req_t per HTTP request, its con_cls):
 *   1. headers in (first handler call): method, token, Content-Length and
 *      backpressure are checked; a rejected request is still read (and
 *      discarded, up to a cap) so that its answer is not lost to a TCP
 *      reset, except a declared body over the limit, answered at once.
 *   2. body in: appended to r->buf up to httpsrc.max.body.bytes.
 *   3. body complete: parsed and validated as a whole, then every event
 *      is given to ls_producer_send() (nothing is sent from an invalid
 *      batch), and the connection is suspended until the last delivery
 *      report, which resumes it; the handler then answers.
 *
 * Locking: s->lock guards every req_t's counters and flags, the list of
 * suspended requests and the failure state.  MHD functions are never
 * called with s->lock held.  A req_t is reference counted: one reference
 * for MHD (dropped in the request-completed callback) and one per record
 * awaiting its delivery report, so late reports never touch freed memory.
 * Exactly one thread resumes a suspended connection: whoever clears
 * r->suspended under the lock.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "conf_int.h"
#include "event_int.h"
#include "httpsrc_int.h"
#include "libstream/httpsrc.h"
#include "libstream/metrics.h"
#include "libstream/producer.h"
#include "listen_int.h"

#define MAX_STATIC_HEADERS 64
/* A rejected body is read and dropped up to this many bytes past the
 * limit (so the client sees the answer); beyond it the connection is
 * closed. */
#define DISCARD_SLACK (16u << 20)
#define CLOSE_GRACE_MS 1000

typedef enum { P_BODY, P_WAIT, P_DONE } phase_t;

typedef struct req_s req_t;

struct ls_httpsrc_s {
    ls_producer_t *p;
    struct MHD_Daemon *d;
    int listen_fd;
    int port;
    ls_httpsrc_log_cb_t *log;
    void *log_opaque;

    /* Configuration (read-only once started). */
    char *topic, *bind, *token, *key_header;
    int cfg_port, threads, max_conns, idle_timeout, body_base64;
    size_t max_body, max_inflight;
    int64_t backoff_ms;
    size_t max_msg; /* librdkafka message.max.bytes */
    ls_header_t static_hdrs[MAX_STATIC_HEADERS];
    size_t nstatic;

    pthread_mutex_t lock;
    req_t *waiting;          /* suspended requests (doubly linked) */
    size_t inflight;         /* records awaiting a delivery report */
    size_t nwait;            /* requests in P_WAIT */
    size_t active;           /* requests not yet completed by MHD */
    int64_t fail_until;      /* monotonic ms; 503 for new requests until */
    char *fail_msg;          /* last delivery failure */
    int failing;             /* deliveries failing, no success since */
    int log_fail, log_ok;    /* transitions to log on the polling thread */
    uint64_t fail_streak;
    int aborting;            /* close gave up: answer waiters 503 */
    atomic_int closing;
    int started, closed;

    atomic_uint_fast64_t n_requests, n_events, n_4xx, n_5xx, n_sent, n_failed;

    /* metrics: "source" (HTTP requests) and "sink" (Kafka producer) */
    ls_metrics_t *reg;
    ls_component_t *msrc, *msink;
    ls_metric_t *m_requests, *m_rejected, *m_recv, *m_accepted, *m_delivered,
        *m_failed, *m_inflight;
};

struct req_s {
    req_t *prev, *next; /* in s->waiting while suspended */
    ls_httpsrc_t *s;
    struct MHD_Connection *conn;
    int refs;
    phase_t phase;
    /* A decision taken before the body is read (401, 405, 413, 415,
     * 503). */
    int status;
    char *reason;
    size_t discarded;
    char *buf;
    size_t len, cap;
    /* Records of this request: sent, then reported. */
    size_t total, pending, sent, delivered, failed;
    char *fail_msg;      /* first delivery or send failure */
    int fail_status;     /* status for a send failure (413 or 503) */
    int suspended, aborted;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(ls_httpsrc_t *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(ls_httpsrc_t *s, int level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    if (!s->log)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    s->log(s->log_opaque, level, buf);
}

/* ---- requests: reference counting and the waiting list ---- */

static void req_free(req_t *r)
{
    free(r->reason);
    free(r->buf);
    free(r->fail_msg);
    free(r);
}

/* Drop one reference; s->lock held.  Returns non-zero if r was freed. */
static int req_unref_locked(req_t *r)
{
    if (--r->refs > 0)
        return 0;
    req_free(r);
    return 1;
}

static void wait_add(ls_httpsrc_t *s, req_t *r)
{
    r->prev = NULL;
    r->next = s->waiting;
    if (s->waiting)
        s->waiting->prev = r;
    s->waiting = r;
}

static void wait_remove(ls_httpsrc_t *s, req_t *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        s->waiting = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

/* One record of r is settled (reported or never sent); s->lock held.
 * Returns the connection to resume (once, by the caller, unlocked) when
 * this was r's last record and it is suspended, else NULL. */
static struct MHD_Connection *settle_locked(ls_httpsrc_t *s, req_t *r)
{
    struct MHD_Connection *resume = NULL;
    if (--r->pending > 0)
        return NULL;
    r->phase = P_DONE;
    s->nwait--;
    if (r->suspended) {
        r->suspended = 0;
        wait_remove(s, r);
        resume = r->conn;
    }
    return resume;
}

/* ---- delivery reports (on the polling thread, or on an MHD thread
 * while ls_producer_send() waits for queue space) ---- */

static void on_delivery(void *opaque, const ls_event_t *ev,
                        const ls_error_t *err, void *msg_opaque)
{
    ls_httpsrc_t *s = opaque;
    req_t *r = msg_opaque;
    (void)ev;
    pthread_mutex_lock(&s->lock);
    s->inflight--;
    if (err) {
        r->failed++;
        atomic_fetch_add(&s->n_failed, 1);
        ls_component_error(s->msink, ls_error_message(err));
        ls_component_failing(s->msink, 1);
        if (!r->fail_msg)
            r->fail_msg = strdup(ls_error_message(err));
        s->fail_until = now_ms() + s->backoff_ms;
        s->fail_streak++;
        if (!s->failing) {
            s->failing = 1;
            s->log_fail = 1;
            free(s->fail_msg);
            s->fail_msg = strdup(ls_error_message(err));
        }
    } else {
        r->delivered++;
        atomic_fetch_add(&s->n_events, 1);
        if (s->failing) {
            ls_component_failing(s->msink, 0);
            s->failing = 0;
            s->fail_until = 0;
            s->log_ok = 1;
        }
    }
    struct MHD_Connection *resume = settle_locked(s, r);
    req_unref_locked(r);
    pthread_mutex_unlock(&s->lock);
    if (resume)
        MHD_resume_connection(resume);
}

/* ---- answers ---- */

static enum MHD_Result respond(ls_httpsrc_t *s, struct MHD_Connection *conn,
                               unsigned status, cJSON *body, int close_conn)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    const char *t = text ? text : "{\"error\":\"out of memory\"}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(t), (void *)t, MHD_RESPMEM_MUST_COPY);
    free(text);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE) {
        char ra[32];
        int64_t secs = (s->backoff_ms + 999) / 1000;
        snprintf(ra, sizeof(ra), "%lld", (long long)(secs > 0 ? secs : 1));
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"ls-http\"");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
    if (close_conn || atomic_load(&s->closing))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    atomic_fetch_add(&s->n_requests, 1);
    if (status >= 400 && status < 500)
        atomic_fetch_add(&s->n_4xx, 1);
    else if (status >= 500)
        atomic_fetch_add(&s->n_5xx, 1);
    return ret;
}

static cJSON *error_body(const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "error", msg)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static enum MHD_Result respond_error(ls_httpsrc_t *s,
                                     struct MHD_Connection *conn,
                                     unsigned status, int close_conn,
                                     const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static enum MHD_Result respond_error(ls_httpsrc_t *s,
                                     struct MHD_Connection *conn,
                                     unsigned status, int close_conn,
                                     const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return respond(s, conn, status, error_body(msg), close_conn);
}

/* Decide an answer now, before the body is read; the body is read and
 * dropped, the answer given once it is in. */
static void decide(req_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void decide(req_t *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->status = status;
    free(r->reason);
    r->reason = strdup(msg);
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}

/* The backpressure reason for taking n more records, or NULL. */
static const char *busy_reason(ls_httpsrc_t *s, size_t n, char *buf,
                               size_t size)
{
    const char *why = NULL;
    if (atomic_load(&s->closing))
        return "the server is shutting down; retry on another instance "
               "or later";
    pthread_mutex_lock(&s->lock);
    if (s->fail_until && now_ms() < s->fail_until) {
        snprintf(buf, size, "the Kafka sink is failing (%s); retry later",
                 s->fail_msg ? s->fail_msg : "delivery failed");
        why = buf;
    } else if (s->inflight + n > s->max_inflight && s->inflight > 0) {
        snprintf(buf, size, "%zu events already await acknowledgement "
                 "(httpsrc.max.inflight %zu); retry later",
                 s->inflight, s->max_inflight);
        why = buf;
    }
    pthread_mutex_unlock(&s->lock);
    return why;
}

/* ---- the body: parse, validate, decode ---- */

static const char *type_name(const cJSON *j)
{
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsObject(j))
        return "an object";
    return "an unknown value";
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decode base64 (standard or URL-safe alphabet, padding optional,
 * whitespace ignored) into out (at least strlen(in) / 4 * 3 + 3 bytes).
 * Returns the length, or -1 with *bad the offending character's index. */
static long b64_decode(const char *in, unsigned char *out, size_t *bad)
{
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t o = 0, nchars = 0;
    for (size_t i = 0; in[i]; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_val(c);
        if (v < 0 || pad) {
            *bad = i;
            return -1;
        }
        nchars++;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* One leftover character cannot encode a byte; padding must complete
     * the last quantum. */
    if (nchars % 4 == 1 || pad > 2 || (pad && (nchars + pad) % 4)) {
        *bad = strlen(in);
        return -1;
    }
    return (long)o;
}

typedef struct {
    ls_message_t *msgs;
    ls_header_t *hdrs; /* every event's headers, one allocation */
    size_t nmsgs, nhdrs;
    unsigned char **decoded;
    size_t ndecoded;
} batch_t;

static void batch_free(batch_t *b)
{
    for (size_t i = 0; i < b->ndecoded; i++)
        free(b->decoded[i]);
    free(b->decoded);
    free(b->msgs);
    free(b->hdrs);
}

/* Line and column (1-based) of byte off in buf. */
static void line_col(const char *buf, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* The offset of the first NUL a JSON text would decode to (a raw NUL or
 * a \u0000 escape), or -1. */
static long find_nul(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0')
            return (long)i;
        if (s[i] != '\\' || i + 1 >= n)
            continue;
        if (s[i + 1] == 'u' && i + 5 < n && s[i + 2] == '0' &&
            s[i + 3] == '0' && s[i + 4] == '0' && s[i + 5] == '0')
            return (long)i;
        i++; /* the escaped character */
    }
    return -1;
}

#define REJECT(status, ...)                                                  \
    do {                                                                     \
        snprintf(why, whysize, __VA_ARGS__);                                 \
        return (status);                                                     \
    } while (0)

/* Validate event i (ev) into m, its headers appended to b->hdrs.  Returns
 * 0, or a status (400, 413, 503) with the reason in why. */
static int parse_event(ls_httpsrc_t *s, const cJSON *ev, size_t i,
                       int base64, ls_message_t *m, batch_t *b, char *why,
                       size_t whysize)
{
    if (!cJSON_IsObject(ev))
        REJECT(400, "$[%zu]: expected an event object {\"headers\":{...},"
               "\"body\":\"...\"}, got %s", i, type_name(ev));
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(ev, "headers");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(ev, "body");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(ev, "key");
    const cJSON *hv;
    if (h && !cJSON_IsObject(h) && !cJSON_IsNull(h))
        REJECT(400, "$[%zu].headers: expected an object of strings, got %s",
               i, type_name(h));
    if (!body)
        REJECT(400, "$[%zu]: \"body\" is missing (a string)", i);
    if (!cJSON_IsString(body))
        REJECT(400, "$[%zu].body: expected a string, got %s", i,
               type_name(body));
    if (key && !cJSON_IsString(key) && !cJSON_IsNull(key))
        REJECT(400, "$[%zu].key: expected a string, got %s", i,
               type_name(key));
    size_t size = 0, first = b->nhdrs;
    for (size_t k = 0; k < s->nstatic; k++) {
        b->hdrs[b->nhdrs++] = s->static_hdrs[k];
        size += strlen(s->static_hdrs[k].name) + s->static_hdrs[k].size;
    }
    if (cJSON_IsObject(h))
        cJSON_ArrayForEach(hv, h) {
            if (!cJSON_IsString(hv))
                REJECT(400, "$[%zu].headers.%s: expected a string, got %s", i,
                       hv->string, type_name(hv));
            if (!hv->string[0])
                REJECT(400, "$[%zu].headers: empty header name", i);
            ls_header_t *hd = &b->hdrs[b->nhdrs++];
            hd->name = hv->string;
            hd->value = hv->valuestring;
            hd->size = strlen(hv->valuestring);
            size += strlen(hd->name) + hd->size;
            if (s->key_header && !strcmp(hv->string, s->key_header)) {
                m->key = hd->value;
                m->key_len = hd->size;
            }
        }
    /* Indexes, not pointers: b->hdrs is NULL when no event has any. */
    m->header_count = b->nhdrs - first;
    m->headers = m->header_count ? &b->hdrs[first] : NULL;
    if (cJSON_IsString(key)) {
        m->key = key->valuestring;
        m->key_len = strlen(key->valuestring);
    }
    m->value = body->valuestring;
    m->value_len = strlen(body->valuestring);
    if (base64) {
        size_t bad = 0;
        unsigned char *out = malloc(m->value_len / 4 * 3 + 3);
        if (!out)
            REJECT(503, "out of memory");
        b->decoded[b->ndecoded++] = out;
        long len = b64_decode(body->valuestring, out, &bad);
        if (len < 0)
            REJECT(400, "$[%zu].body: invalid base64 at character %zu "
                   "(X-Body-Encoding: base64)", i, bad);
        m->value = out;
        m->value_len = (size_t)len;
    }
    size += m->value_len + m->key_len;
    if (size > s->max_msg)
        REJECT(413, "$[%zu]: event of %zu bytes (body, key and headers) is "
               "over the producer's message.max.bytes (%zu)", i, size,
               s->max_msg);
    return 0;
}

/* Parse and validate r->buf into b: all of it or nothing.  Returns 0, or
 * a status (400, 413, 503) with the reason in why.  *root is the caller's
 * to free after sending (the messages point into it). */
static int parse_batch(ls_httpsrc_t *s, req_t *r, int base64, cJSON **root,
                       batch_t *b, char *why, size_t whysize)
{
    const char *end = NULL;
    int line, col;
    memset(b, 0, sizeof(*b));
    *root = NULL;
    if (r->len == 0)
        REJECT(400, "empty body: expected a JSON array of events "
               "[{\"headers\":{...},\"body\":\"...\"}]");
    /* cJSON's strings end at their first NUL: a body or header holding
     * one would be cut short without a word. */
    long nul = find_nul(r->buf, r->len);
    if (nul >= 0) {
        line_col(r->buf, (size_t)nul, &line, &col);
        REJECT(400, "NUL character (\\u0000) at byte %ld (line %d, column "
               "%d): not supported in a string; send binary bodies as "
               "base64 (X-Body-Encoding: base64)", nul, line, col);
    }
    cJSON *j = cJSON_ParseWithLengthOpts(r->buf, r->len, &end, 0);
    if (!j) {
        size_t off = end && end >= r->buf ? (size_t)(end - r->buf) : 0;
        char near[24];
        size_t k = 0;
        if (off > r->len)
            off = r->len;
        line_col(r->buf, off, &line, &col);
        for (; k < 16 && off + k < r->len; k++) {
            unsigned char c = (unsigned char)r->buf[off + k];
            near[k] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        near[k] = '\0';
        REJECT(400, "malformed JSON at byte %zu (line %d, column %d)%s%s%s",
               off, line, col, k ? " near '" : ": unexpected end of body",
               near, k ? "'" : "");
    }
    *root = j;
    for (const char *p = end; p < r->buf + r->len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            line_col(r->buf, (size_t)(p - r->buf), &line, &col);
            REJECT(400, "unexpected data after the JSON value at byte %zu "
                   "(line %d, column %d)", (size_t)(p - r->buf), line, col);
        }
    if (!cJSON_IsArray(j))
        REJECT(400, "expected a JSON array of events [{\"headers\":{...},"
               "\"body\":\"...\"}], got %s", type_name(j));
    size_t n = (size_t)cJSON_GetArraySize(j), nh = 0, i = 0;
    const cJSON *ev, *h;
    if (!n)
        return 0;
    /* Size the header array first, so pointers into it stay put. */
    cJSON_ArrayForEach(ev, j) {
        h = cJSON_IsObject(ev)
                ? cJSON_GetObjectItemCaseSensitive(ev, "headers")
                : NULL;
        nh += s->nstatic + (cJSON_IsObject(h) ? (size_t)cJSON_GetArraySize(h)
                                              : 0);
    }
    b->msgs = calloc(n, sizeof(*b->msgs));
    b->hdrs = nh ? calloc(nh, sizeof(*b->hdrs)) : NULL;
    b->decoded = base64 ? calloc(n, sizeof(*b->decoded)) : NULL;
    if (!b->msgs || (nh && !b->hdrs) || (base64 && !b->decoded))
        REJECT(503, "out of memory");
    cJSON_ArrayForEach(ev, j) {
        ls_message_t init = LS_MESSAGE_INIT, *m = &b->msgs[i];
        *m = init;
        m->topic = s->topic;
        m->opaque = r;
        int st = parse_event(s, ev, i, base64, m, b, why, whysize);
        if (st)
            return st;
        i++;
    }
    b->nmsgs = n;
    return 0;
}

#undef REJECT

/* The body parser alone, for tests/fuzz: a source and a request that hold
 * just what parse_batch() reads. */
int ls__httpsrc_parse_body(const char *body, size_t len, int base64,
                           const char *topic, const char *key_header,
                           const ls_header_t *static_hdrs, size_t nstatic,
                           size_t max_msg, ls__httpsrc_msg_cb_t *each,
                           void *opaque, char *why, size_t whysize)
{
    ls_httpsrc_t s;
    req_t r;
    cJSON *root;
    batch_t b;
    memset(&s, 0, sizeof(s));
    memset(&r, 0, sizeof(r));
    s.topic = (char *)topic;
    s.key_header = (char *)key_header;
    s.max_msg = max_msg;
    s.nstatic = nstatic < MAX_STATIC_HEADERS ? nstatic : MAX_STATIC_HEADERS;
    for (size_t k = 0; k < s.nstatic; k++)
        s.static_hdrs[k] = static_hdrs[k];
    /* As on_body() leaves it: the body, then a NUL. */
    r.buf = malloc(len + 1);
    if (!r.buf) {
        snprintf(why, whysize, "out of memory");
        return 503;
    }
    if (len)
        memcpy(r.buf, body, len);
    r.buf[len] = '\0';
    r.len = len;
    r.cap = len + 1;
    int st = parse_batch(&s, &r, base64, &root, &b, why, whysize);
    for (size_t i = 0; !st && each && i < b.nmsgs; i++)
        each(opaque, &b.msgs[i]);
    batch_free(&b);
    cJSON_Delete(root);
    free(r.buf);
    return st;
}

/* ---- the request handler (on MHD threads) ---- */

static int token_ok(ls_httpsrc_t *s, struct MHD_Connection *conn)
{
    const char *auth = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!auth || strncasecmp(auth, "Bearer ", 7))
        return 0;
    const char *t = auth + 7;
    while (*t == ' ')
        t++;
    size_t tl = strlen(t), sl = strlen(s->token);
    /* Compare in time independent of where they differ. */
    unsigned char diff = (unsigned char)(tl != sl);
    for (size_t i = 0; i < sl; i++)
        diff |= (unsigned char)(s->token[i] ^ (i < tl ? t[i] : 0));
    return diff == 0;
}

/* First call: headers are in, no body yet.  Rejections are decided here
 * and answered once the body is in, except when the declared body is over
 * the limit: then the answer goes at once (MHD skips the body and closes
 * the connection; curl's Expect: 100-continue never sends it). */
static enum MHD_Result on_headers(ls_httpsrc_t *s, req_t *r,
                                  struct MHD_Connection *conn,
                                  const char *method)
{
    char buf[512];
    unsigned long long declared = 0;
    const char *cl = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *ce = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    if (cl) {
        char *e;
        errno = 0;
        declared = strtoull(cl, &e, 10);
        if (errno || e == cl || *e)
            declared = 0;
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST))
        decide(r, MHD_HTTP_METHOD_NOT_ALLOWED,
               "method %.32s not allowed: POST a JSON array of events",
               method);
    else if (s->token && !token_ok(s, conn))
        decide(r, MHD_HTTP_UNAUTHORIZED, "missing or invalid bearer token "
               "(Authorization: Bearer TOKEN)");
    else if (ce && strcasecmp(ce, "identity"))
        decide(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Encoding %.32s "
               "is not supported: send the JSON uncompressed (base64 event "
               "bodies: X-Body-Encoding: base64)", ce);
    else if (declared > s->max_body)
        decide(r, MHD_HTTP_CONTENT_TOO_LARGE, "request body of %llu bytes "
               "is over the limit of %zu bytes (httpsrc.max.body.bytes)",
               declared, s->max_body);
    else {
        const char *why = busy_reason(s, 0, buf, sizeof(buf));
        if (why)
            decide(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", why);
    }
    if (r->status && declared > s->max_body)
        return respond_error(s, conn, (unsigned)r->status, 1, "%s",
                             r->reason ? r->reason : "rejected");
    if (!r->status && declared > 0) {
        r->buf = malloc((size_t)declared + 1);
        if (r->buf)
            r->cap = (size_t)declared + 1;
    }
    return MHD_YES;
}

static enum MHD_Result on_body(ls_httpsrc_t *s, req_t *r, const char *data,
                               size_t size)
{
    if (r->status) {
        r->discarded += size;
        return r->discarded > (size_t)s->max_body + DISCARD_SLACK ? MHD_NO
                                                                  : MHD_YES;
    }
    if (r->len + size > s->max_body) {
        decide(r, MHD_HTTP_CONTENT_TOO_LARGE, "request body is over the "
               "limit of %zu bytes (httpsrc.max.body.bytes)", s->max_body);
        r->discarded = r->len + size;
        return MHD_YES;
    }
    /* One byte more for a NUL after the body. */
    if (r->len + size + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + size + 1)
            cap *= 2;
        if (cap > s->max_body + 1)
            cap = s->max_body + 1;
        char *nb = realloc(r->buf, cap);
        if (!nb) {
            decide(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
            return MHD_YES;
        }
        r->buf = nb;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, size);
    r->len += size;
    r->buf[r->len] = '\0';
    return MHD_YES;
}

static enum MHD_Result answer_done(ls_httpsrc_t *s, req_t *r,
                                   struct MHD_Connection *conn)
{
    size_t total, sent, delivered, failed;
    char *msg = NULL;
    int aborted, fstatus;
    pthread_mutex_lock(&s->lock);
    total = r->total;
    sent = r->sent;
    delivered = r->delivered;
    failed = r->failed;
    aborted = r->aborted;
    fstatus = r->fail_status;
    if (r->fail_msg)
        msg = strdup(r->fail_msg);
    pthread_mutex_unlock(&s->lock);
    if (!aborted && !failed && !fstatus) {
        free(msg);
        cJSON *o = cJSON_CreateObject();
        if (o)
            cJSON_AddNumberToObject(o, "accepted", (double)delivered);
        return respond(s, conn, MHD_HTTP_OK, o, 0);
    }
    char text[1024];
    unsigned status = MHD_HTTP_SERVICE_UNAVAILABLE;
    if (aborted) {
        snprintf(text, sizeof(text), "the server is shutting down: %zu of "
                 "%zu events not acknowledged by Kafka", total - delivered,
                 total);
    } else if (fstatus) {
        /* Event number `sent` could not be enqueued; those before it were
         * sent and reported. */
        status = (unsigned)fstatus;
        snprintf(text, sizeof(text), "$[%zu]: %s; %zu of %zu events not "
                 "acknowledged by Kafka", sent, msg ? msg : "send failed",
                 total - delivered, total);
    } else {
        snprintf(text, sizeof(text), "%zu of %zu events not acknowledged by "
                 "Kafka: %s", total - delivered, total,
                 msg ? msg : "delivery failed");
    }
    free(msg);
    cJSON *o = error_body(text);
    if (o)
        cJSON_AddNumberToObject(o, "delivered", (double)delivered);
    return respond(s, conn, status, o, 0);
}

/* Body complete: validate, send, suspend until the reports are in. */
static enum MHD_Result on_complete(ls_httpsrc_t *s, req_t *r,
                                   struct MHD_Connection *conn)
{
    char why[1024];
    int base64 = s->body_base64;
    const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  "X-Body-Encoding");
    if (enc) {
        if (!strcasecmp(enc, "base64"))
            base64 = 1;
        else if (!strcasecmp(enc, "text") || !strcasecmp(enc, "identity"))
            base64 = 0;
        else
            return respond_error(s, conn, MHD_HTTP_BAD_REQUEST, 0,
                                 "unsupported X-Body-Encoding \"%.64s\": "
                                 "expected base64 or text", enc);
    }
    cJSON *root;
    batch_t b;
    int st = parse_batch(s, r, base64, &root, &b, why, sizeof(why));
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
    if (st) {
        batch_free(&b);
        cJSON_Delete(root);
        return respond_error(s, conn, (unsigned)st, 0, "%s", why);
    }
    const char *busy = busy_reason(s, b.nmsgs, why, sizeof(why));
    if (busy) {
        batch_free(&b);
        cJSON_Delete(root);
        return respond_error(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, 0, "%s",
                             busy);
    }
    if (!b.nmsgs) {
        batch_free(&b);
        cJSON_Delete(root);
        cJSON *o = cJSON_CreateObject();
        if (o)
            cJSON_AddNumberToObject(o, "accepted", 0);
        return respond(s, conn, MHD_HTTP_OK, o, 0);
    }
    pthread_mutex_lock(&s->lock);
    r->phase = P_WAIT;
    r->total = b.nmsgs;
    r->pending = 1; /* the handler's own hold until it decides */
    s->nwait++;
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < b.nmsgs; i++) {
        pthread_mutex_lock(&s->lock);
        r->pending++;
        r->refs++;
        r->sent++;
        s->inflight++;
        pthread_mutex_unlock(&s->lock);
        ls_error_t *err = ls_producer_send(s->p, &b.msgs[i]);
        if (!err)
            atomic_fetch_add(&s->n_sent, 1);
        if (err) {
            pthread_mutex_lock(&s->lock);
            r->pending--;
            r->refs--;
            r->sent--;
            s->inflight--;
            if (!r->fail_msg)
                r->fail_msg = strdup(ls_error_message(err));
            r->fail_status = ls_error_kafka_code(err) ==
                                     RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE
                                 ? MHD_HTTP_CONTENT_TOO_LARGE
                                 : MHD_HTTP_SERVICE_UNAVAILABLE;
            pthread_mutex_unlock(&s->lock);
            ls_error_destroy(err);
            break;
        }
    }
    batch_free(&b);
    cJSON_Delete(root);
    /* Suspend first, then drop the hold: the last report (here or on the
     * polling thread) resumes exactly once. */
    MHD_suspend_connection(conn);
    pthread_mutex_lock(&s->lock);
    r->suspended = 1;
    wait_add(s, r);
    struct MHD_Connection *resume = NULL;
    if (s->aborting) {
        r->aborted = 1;
        r->suspended = 0;
        wait_remove(s, r);
        resume = conn;
    }
    struct MHD_Connection *last = settle_locked(s, r);
    if (last)
        resume = last;
    pthread_mutex_unlock(&s->lock);
    if (resume)
        MHD_resume_connection(resume);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
    ls_httpsrc_t *s = cls;
    req_t *r = *con_cls;
    (void)url;
    (void)version;
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return MHD_NO;
        r->s = s;
        r->conn = conn;
        r->refs = 1;
        pthread_mutex_lock(&s->lock);
        s->active++;
        pthread_mutex_unlock(&s->lock);
        *con_cls = r;
        return on_headers(s, r, conn, method);
    }
    if (*size) {
        enum MHD_Result ret = on_body(s, r, data, *size);
        *size = 0;
        return ret;
    }
    pthread_mutex_lock(&s->lock);
    phase_t phase = r->phase;
    int aborted = r->aborted;
    pthread_mutex_unlock(&s->lock);
    if (phase == P_DONE || aborted)
        return answer_done(s, r, conn);
    if (phase == P_WAIT) /* resumed spuriously: keep waiting */
        return MHD_YES;
    if (r->status)
        return respond_error(s, conn, (unsigned)r->status,
                             r->status == MHD_HTTP_CONTENT_TOO_LARGE,
                             "%s", r->reason ? r->reason : "rejected");
    if (atomic_load(&s->closing))
        return respond_error(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, 1,
                             "the server is shutting down; retry on another "
                             "instance or later");
    return on_complete(s, r, conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    ls_httpsrc_t *s = cls;
    req_t *r = *con_cls;
    (void)conn;
    (void)toe;
    if (!r)
        return;
    *con_cls = NULL;
    pthread_mutex_lock(&s->lock);
    s->active--;
    /* A request completed while waiting (MHD shut it down): its reports
     * may still come; they must not resume it. */
    if (r->suspended) {
        r->suspended = 0;
        wait_remove(s, r);
    }
    req_unref_locked(r);
    pthread_mutex_unlock(&s->lock);
}

/* ---- lifecycle ---- */

static ls_error_t *dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (src && *src && !(*dst = strdup(src)))
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    return NULL;
}

ls_error_t *ls_httpsrc_new(ls_httpsrc_t **out, ls_conf_t *conf)
{
    ls_error_t *err;
    char mmb[32];
    if (!out || !conf)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_httpsrc_new: out and conf are required");
    *out = NULL;
    const char *topic = ls_conf_get(conf, "httpsrc.topic");
    if (!topic || !*topic)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "httpsrc.topic is required (the Kafka topic to "
                            "produce to)");
    if (!ls__topic_name_valid(topic))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid value \"%s\" for httpsrc.topic: expected "
                            "1 to 249 characters of a-z A-Z 0-9 . _ -",
                            topic);
    ls_httpsrc_t *s = calloc(1, sizeof(*s));
    if (!s)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    s->listen_fd = -1;
    if ((err = dup_str(&s->topic, topic)) ||
        (err = dup_str(&s->bind, ls_conf_get(conf, "httpsrc.bind"))) ||
        (err = dup_str(&s->token, ls_conf_get(conf, "httpsrc.token"))) ||
        (err = dup_str(&s->key_header,
                       ls_conf_get(conf, "httpsrc.key.header")))) {
        ls_httpsrc_destroy(s);
        return err;
    }
    s->cfg_port = (int)ls__conf_int(conf, "httpsrc.port");
    s->threads = (int)ls__conf_int(conf, "httpsrc.threads");
    s->max_conns = (int)ls__conf_int(conf, "httpsrc.max.connections");
    s->idle_timeout = (int)ls__conf_int(conf, "httpsrc.idle.timeout");
    s->max_body = (size_t)ls__conf_int(conf, "httpsrc.max.body.bytes");
    s->max_inflight = (size_t)ls__conf_int(conf, "httpsrc.max.inflight");
    s->backoff_ms = ls__conf_int(conf, "httpsrc.backoff.ms");
    const char *enc = ls_conf_get(conf, "httpsrc.body.encoding");
    s->body_base64 = enc && !strcmp(enc, "base64");
    ls__conf_kafka_get(conf, "message.max.bytes", mmb, sizeof(mmb));
    s->max_msg = mmb[0] ? (size_t)strtoull(mmb, NULL, 10) : 1000000;
    if (!s->bind) {
        ls_httpsrc_destroy(s);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "httpsrc.bind is empty: expected an address to "
                            "listen on, e.g. 127.0.0.1 or 0.0.0.0");
    }
    /* The producer takes conf only on success; keep our promise that
     * conf is ours only when we succeed too. */
    ls_conf_t *pc = ls_conf_dup(conf);
    if (!pc) {
        ls_httpsrc_destroy(s);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    if ((err = ls_producer_new(&s->p, pc))) {
        ls_conf_destroy(pc);
        ls_httpsrc_destroy(s);
        return err;
    }
    ls_producer_set_delivery_cb(s->p, on_delivery, s);
    if ((err = ls_metrics_new(&s->reg, "ls-http"))) {
        ls_httpsrc_destroy(s);
        return err;
    }
    s->msrc = ls_metrics_component(s->reg, "source", LS_ROLE_SOURCE, "http");
    s->m_requests = ls_component_counter(s->msrc, "RequestCount", NULL);
    s->m_rejected = ls_component_counter(s->msrc, "RequestRejectedCount", NULL);
    s->m_recv = ls_component_counter(s->msrc, "EventReceivedCount", NULL);
    s->m_accepted = ls_component_counter(s->msrc, "EventAcceptedCount", NULL);
    s->msink = ls_metrics_component(s->reg, "sink", LS_ROLE_SINK,
                                    "kafka-producer");
    s->m_delivered =
        ls_component_counter(s->msink, "EventDrainSuccessCount", NULL);
    s->m_failed = ls_component_counter(s->msink, "EventWriteFailCount", NULL);
    s->m_inflight = ls_component_gauge(s->msink, "InFlightRecords", NULL);
    ls_conf_destroy(conf);
    *out = s;
    return NULL;
}

void ls_httpsrc_set_log_cb(ls_httpsrc_t *s, ls_httpsrc_log_cb_t *cb,
                           void *opaque)
{
    if (!s)
        return;
    s->log = cb;
    s->log_opaque = opaque;
}

ls_error_t *ls_httpsrc_add_header(ls_httpsrc_t *s, const char *name,
                                  const char *value)
{
    if (!s || !name || !*name || !value)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_httpsrc_add_header: "
                            "source, a non-empty name and a value are "
                            "required");
    if (s->started)
        return ls_error_new(LS_ERR_STATE, "ls_httpsrc_add_header: the "
                            "source is already started");
    if (s->nstatic == MAX_STATIC_HEADERS)
        return ls_error_new(LS_ERR_INVALID_ARG, "too many static headers "
                            "(at most %d)", MAX_STATIC_HEADERS);
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    s->static_hdrs[s->nstatic].name = n;
    s->static_hdrs[s->nstatic].value = v;
    s->static_hdrs[s->nstatic].size = strlen(v);
    s->nstatic++;
    return NULL;
}

ls_error_t *ls_httpsrc_start(ls_httpsrc_t *s)
{
    if (!s)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_httpsrc_start: no source");
    if (s->started)
        return ls_error_new(LS_ERR_STATE, "ls_httpsrc_start: already started");
    int ipv6 = 0;
    ls_error_t *err = ls__listen_tcp(s->bind, s->cfg_port, "httpsrc.bind",
                                     &s->listen_fd, &ipv6, &s->port);
    if (err)
        return err;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->max_conns,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->idle_timeout,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->d) {
        close(s->listen_fd);
        s->listen_fd = -1;
        s->port = 0;
        return ls_error_new(LS_ERR_IO, "cannot start the HTTP server on %s "
                            "port %d (libmicrohttpd refused; too many "
                            "threads or connections?)", s->bind,
                            s->cfg_port);
    }
    s->listen_fd = -1; /* MHD's now: closed by quiesce (ours) or stop */
    s->started = 1;
    return NULL;
}

int ls_httpsrc_port(const ls_httpsrc_t *s)
{
    return s && s->started ? s->port : 0;
}

/* Log the sink's transitions, on the polling thread. */
static void emit_logs(ls_httpsrc_t *s)
{
    char msg[600];
    int fail = 0, ok = 0;
    uint64_t streak = 0;
    pthread_mutex_lock(&s->lock);
    if (s->log_fail) {
        fail = 1;
        snprintf(msg, sizeof(msg), "%s", s->fail_msg ? s->fail_msg : "?");
        s->log_fail = 0;
    }
    if (s->log_ok) {
        ok = 1;
        streak = s->fail_streak;
        s->fail_streak = 0;
        s->log_ok = 0;
    }
    pthread_mutex_unlock(&s->lock);
    if (fail)
        logf_(s, LS_LOG_WARNING, "Kafka deliveries failing (%s): new "
              "requests get 503 until one succeeds", msg);
    if (ok)
        logf_(s, LS_LOG_INFO, "Kafka deliveries succeed again (after %llu "
              "failed)", (unsigned long long)streak);
}

static size_t locked_size(ls_httpsrc_t *s, const size_t *v);

/* Publish the tallies to the registry. */
static void metrics_sync(ls_httpsrc_t *s)
{
    uint64_t rej = atomic_load(&s->n_4xx) + atomic_load(&s->n_5xx);
    ls_metric_set(s->m_requests, (int64_t)atomic_load(&s->n_requests));
    ls_metric_set(s->m_rejected, (int64_t)rej);
    ls_metric_set(s->m_recv, (int64_t)atomic_load(&s->n_sent));
    ls_metric_set(s->m_accepted, (int64_t)atomic_load(&s->n_sent));
    ls_metric_set(s->m_delivered, (int64_t)atomic_load(&s->n_events));
    ls_metric_set(s->m_failed, (int64_t)atomic_load(&s->n_failed));
    ls_metric_set(s->m_inflight, (int64_t)locked_size(s, &s->inflight));
}

int ls_httpsrc_poll(ls_httpsrc_t *s, int timeout_ms)
{
    if (!s || !s->p)
        return 0;
    int n = ls_producer_poll(s->p, timeout_ms);
    emit_logs(s);
    metrics_sync(s);
    return n;
}

ls_metrics_t *ls_httpsrc_metrics(ls_httpsrc_t *s)
{
    return s ? s->reg : NULL;
}

char *ls_httpsrc_stats(ls_httpsrc_t *s)
{
    if (!s)
        return NULL;
    metrics_sync(s);
    return ls_metrics_json(s->reg);
}

/* Answer every waiting request 503 now (close timed out or destroy). */
static size_t abort_waiting(ls_httpsrc_t *s)
{
    size_t n = 0, cap = 0;
    struct MHD_Connection **conns = NULL;
    pthread_mutex_lock(&s->lock);
    s->aborting = 1;
    for (req_t *r = s->waiting; r; r = r->next)
        cap++;
    conns = cap ? calloc(cap, sizeof(*conns)) : NULL;
    while (s->waiting && conns) {
        req_t *r = s->waiting;
        r->aborted = 1;
        r->suspended = 0;
        wait_remove(s, r);
        conns[n++] = r->conn;
    }
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n; i++)
        MHD_resume_connection(conns[i]);
    free(conns);
    return n;
}

static size_t locked_size(ls_httpsrc_t *s, const size_t *v)
{
    pthread_mutex_lock(&s->lock);
    size_t n = *v;
    pthread_mutex_unlock(&s->lock);
    return n;
}

ls_error_t *ls_httpsrc_close(ls_httpsrc_t *s, int timeout_ms)
{
    ls_error_t *err = NULL;
    if (!s)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_httpsrc_close: no source");
    if (s->closed)
        return NULL;
    s->closed = 1;
    atomic_store(&s->closing, 1);
    if (!s->d)
        return NULL;
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    int64_t start = now_ms();
    size_t left;
    while ((left = locked_size(s, &s->nwait)) > 0) {
        if (timeout_ms >= 0 && now_ms() - start >= timeout_ms) {
            size_t n = abort_waiting(s);
            err = ls_error_new(LS_ERR_TIMED_OUT, "close timed out after %d "
                               "ms: %zu request(s) answered 503 with events "
                               "not yet acknowledged", timeout_ms, n);
            break;
        }
        ls_httpsrc_poll(s, 50);
    }
    /* Let the answers go out (and requests mid-upload get their 503). */
    int64_t grace = now_ms();
    while (locked_size(s, &s->active) > 0 &&
           now_ms() - grace < CLOSE_GRACE_MS)
        ls_httpsrc_poll(s, 10);
    abort_waiting(s); /* none expected; MHD must not stop with any */
    MHD_stop_daemon(s->d);
    s->d = NULL;
    ls_error_destroy(ls_producer_flush(s->p, 0));
    emit_logs(s);
    return err;
}

void ls_httpsrc_counts(const ls_httpsrc_t *s, uint64_t *requests,
                       uint64_t *events, uint64_t *client_errors,
                       uint64_t *server_errors)
{
    if (requests)
        *requests = s ? atomic_load(&s->n_requests) : 0;
    if (events)
        *events = s ? atomic_load(&s->n_events) : 0;
    if (client_errors)
        *client_errors = s ? atomic_load(&s->n_4xx) : 0;
    if (server_errors)
        *server_errors = s ? atomic_load(&s->n_5xx) : 0;
}

void ls_httpsrc_destroy(ls_httpsrc_t *s)
{
    if (!s)
        return;
    if (s->d && !s->closed) {
        atomic_store(&s->closing, 1);
        s->closed = 1;
        abort_waiting(s);
        int64_t grace = now_ms();
        while (locked_size(s, &s->active) > 0 &&
               now_ms() - grace < CLOSE_GRACE_MS)
            ls_httpsrc_poll(s, 10);
        abort_waiting(s);
        MHD_stop_daemon(s->d);
        s->d = NULL;
    }
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    /* Purged records report (failed) here and free their requests. */
    ls_producer_destroy(s->p);
    for (size_t i = 0; i < s->nstatic; i++) {
        free((char *)s->static_hdrs[i].name);
        free((void *)s->static_hdrs[i].value);
    }
    free(s->fail_msg);
    free(s->topic);
    free(s->bind);
    free(s->token);
    free(s->key_header);
    ls_metrics_destroy(s->reg);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
