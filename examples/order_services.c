/* order_services: warehouse, inventory and notification services over the
 * public libstream API.  See order_services.h for the topics, the
 * messages and who owns the stock. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, getopt: also with cc -std=c11 */
#endif
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "order_services.h"

#define BATCH 500             /* events per step */
#define FLUSH_TIMEOUT_MS 30000 /* per step; on timeout the commit waits */

/* ---- JSON scanner ------------------------------------------------------ */

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at '"': the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\')
            p++; /* the escaped byte */
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* The byte after the value starting at p, or NULL. */
static const char *skip_value(const char *p, const char *e)
{
    if (p >= e)
        return NULL;
    if (*p == '"')
        return skip_string(p, e);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            if (*p == '"') {
                if (!(p = skip_string(p, e)))
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return NULL;
    }
    const char *s = p; /* number, true, false, null */
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
           *p != '\t' && *p != '\n' && *p != '\r')
        p++;
    return p > s ? p : NULL;
}

const char *order_json_value(const char *json, size_t len, const char *key,
                             size_t *vlen)
{
    if (!json || !key || !vlen)
        return NULL;
    const char *e = json + len, *p = skip_ws(json, e);
    size_t klen = strlen(key);
    if (p >= e || *p != '{')
        return NULL;
    p = skip_ws(p + 1, e);
    while (p < e && *p == '"') {
        const char *k = p + 1, *kend = skip_string(p, e);
        if (!kend)
            return NULL;
        p = skip_ws(kend, e);
        if (p >= e || *p != ':')
            return NULL;
        const char *v = skip_ws(p + 1, e), *vend = skip_value(v, e);
        if (!vend)
            return NULL;
        /* Keys are compared as written: ours need no escapes. */
        if ((size_t)(kend - 1 - k) == klen && !memcmp(k, key, klen)) {
            *vlen = (size_t)(vend - v);
            return v;
        }
        p = skip_ws(vend, e);
        if (p >= e || *p != ',')
            break;
        p = skip_ws(p + 1, e);
    }
    return NULL;
}

static int hex4(const char *p, const char *e, unsigned *out)
{
    unsigned v = 0;
    if (e - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* UTF-8 of code point cp into out (4 bytes room); returns the length. */
static size_t utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int order_json_string(const char *json, size_t len, const char *key,
                      char *buf, size_t size)
{
    size_t vlen, n = 0;
    const char *v = order_json_value(json, len, key, &vlen);
    if (!v || vlen < 2 || *v != '"' || !buf || !size)
        return -1;
    const char *p = v + 1, *e = v + vlen - 1; /* e: the closing quote */
    while (p < e) {
        char tmp[4];
        size_t tn = 1;
        unsigned char c = (unsigned char)*p++;
        tmp[0] = (char)c;
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            switch (p < e ? *p++ : 0) {
            case '"': tmp[0] = '"'; break;
            case '\\': tmp[0] = '\\'; break;
            case '/': tmp[0] = '/'; break;
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'n': tmp[0] = '\n'; break;
            case 'r': tmp[0] = '\r'; break;
            case 't': tmp[0] = '\t'; break;
            case 'u': {
                unsigned cp, lo;
                if (hex4(p, e, &cp))
                    return -1;
                p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && e - p >= 6 && p[0] == '\\' &&
                    p[1] == 'u' && !hex4(p + 2, e, &lo) && lo >= 0xDC00 &&
                    lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else if (cp >= 0xD800 && cp < 0xE000) {
                    cp = 0xFFFD; /* a lone surrogate */
                }
                tn = utf8(cp, tmp);
                break;
            }
            default:
                return -1;
            }
        }
        if (n + tn >= size)
            return -1;
        memcpy(buf + n, tmp, tn);
        n += tn;
    }
    buf[n] = '\0';
    return 0;
}

int order_json_int(const char *json, size_t len, const char *key,
                   int64_t *out)
{
    size_t vlen, i = 0;
    const char *v = order_json_value(json, len, key, &vlen);
    int neg = 0;
    uint64_t x = 0;
    if (!v || !out)
        return -1;
    if (v[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == vlen)
        return -1;
    for (; i < vlen; i++) {
        if (v[i] < '0' || v[i] > '9' || x > (uint64_t)INT64_MAX / 10)
            return -1;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (x > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)x : (int64_t)x;
    return 0;
}

/* ---- JSON writer: one small object per message ------------------------- */

typedef struct {
    char buf[2048];
    size_t len;
    int full; /* did not fit: the message is not sent */
} jbuf_t;

static void jb_raw(jbuf_t *b, const char *s, size_t n)
{
    if (b->full || b->len + n >= sizeof(b->buf)) {
        b->full = 1;
        return;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static void jb_key(jbuf_t *b, const char *key)
{
    jb_raw(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
    jb_raw(b, key, strlen(key));
    jb_raw(b, "\":", 2);
}

static void jb_str(jbuf_t *b, const char *key, const char *v)
{
    jb_key(b, key);
    jb_raw(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            jb_raw(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", *p);
            jb_raw(b, esc, 6);
        } else {
            jb_raw(b, (const char *)p, 1);
        }
    }
    jb_raw(b, "\"", 1);
}

static void jb_int(jbuf_t *b, const char *key, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRId64, v);
    jb_key(b, key);
    jb_raw(b, num, (size_t)n);
}

static void jb_begin(jbuf_t *b)
{
    b->len = 0;
    b->full = 0;
    jb_raw(b, "{", 1);
}

static void jb_end(jbuf_t *b) { jb_raw(b, "}", 1); }

/* ---- products: an open-addressing table keyed by product_id ----------- */

typedef struct {
    order_product_t pub;
    char *id, *name;
} prod_t;

typedef struct {
    prod_t **slots;
    size_t cap, count;
    int64_t initial; /* stock of a product first seen; -1: not tracked */
} ptable_t;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static prod_t **pt_slot(prod_t **slots, size_t cap, const char *id)
{
    size_t i = (size_t)fnv1a(id) & (cap - 1);
    while (slots[i] && strcmp(slots[i]->id, id))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

/* The product id (created when create is set), or NULL (unknown or out
 * of memory). */
static prod_t *pt_get(ptable_t *t, const char *id, int create)
{
    if (t->cap) {
        prod_t *p = *pt_slot(t->slots, t->cap, id);
        if (p || !create)
            return p;
    } else if (!create) {
        return NULL;
    }
    if ((t->count + 1) * 10 > t->cap * 7) { /* grow at 70% */
        size_t cap = t->cap ? t->cap * 2 : 64;
        prod_t **slots = calloc(cap, sizeof(*slots));
        if (!slots)
            return NULL;
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i])
                *pt_slot(slots, cap, t->slots[i]->id) = t->slots[i];
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    prod_t *p = calloc(1, sizeof(*p));
    if (!p || !(p->id = strdup(id))) {
        free(p);
        return NULL;
    }
    p->pub.product_id = p->id;
    p->pub.product = "";
    p->pub.initial = p->pub.stock = t->initial;
    p->pub.min_rejected = -1;
    *pt_slot(t->slots, t->cap, id) = p;
    t->count++;
    return p;
}

static void pt_name(prod_t *p, const char *name)
{
    if (p->name || !*name || !(p->name = strdup(name)))
        return;
    p->pub.product = p->name;
}

static void pt_reject(prod_t *p, int64_t qty)
{
    p->pub.rejected++;
    p->pub.units_rejected += (uint64_t)qty;
    if (p->pub.min_rejected < 0 || qty < p->pub.min_rejected)
        p->pub.min_rejected = qty;
}

static void pt_foreach(const ptable_t *t, order_product_cb_t *cb, void *opaque)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i])
            cb(opaque, &t->slots[i]->pub);
}

static void pt_free(ptable_t *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i]) {
            free(t->slots[i]->id);
            free(t->slots[i]->name);
            free(t->slots[i]);
        }
    free(t->slots);
    t->slots = NULL;
    t->cap = t->count = 0;
}

/* ---- the common part: a consumer, maybe a producer, a step ------------- */

typedef struct {
    const char *name;
    ls_consumer_t *c;
    ls_producer_t *p;
    order_log_cb_t *log;
    void *log_opaque;
    int commit_pending; /* a batch handled but not committed yet */
    int closed;
    ls_event_t *evs[BATCH];
} svc_t;

/* Handle one event's value; NULL, or an error that stops the service. */
typedef ls_error_t *(svc_handle_t)(void *self, const ls_event_t *ev,
                                   const char *v, size_t len);

static void svc_log(const svc_t *s, int level, const char *fmt, ...)
    LS_PRINTF(3, 4);
static void svc_log(const svc_t *s, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    if (!s->log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    s->log(s->log_opaque, level, line);
}

/* A consumer of topic from conf, and a producer from pconf unless it is
 * NULL (a consumer-only service). */
static ls_error_t *svc_open(svc_t *s, const char *name, const ls_conf_t *conf,
                            const ls_conf_t *pconf, const char *topic)
{
    s->name = name;
    if (!conf)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s: no configuration", name);
    ls_conf_t *cc = ls_conf_dup(conf);
    if (!cc)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    ls_error_t *err = NULL;
    if (!ls_conf_is_set(cc, "group.id"))
        err = ls_conf_set(cc, "group.id", name);
    if (!err)
        err = ls_consumer_new(&s->c, cc);
    if (err) {
        ls_conf_destroy(cc);
        return ls_error_prefix(err, "%s consumer", name);
    }
    if (pconf) {
        ls_conf_t *pc = ls_conf_dup(pconf);
        if (!pc)
            return ls_error_new(LS_ERR_NOMEM, "out of memory");
        if ((err = ls_producer_new(&s->p, pc))) {
            ls_conf_destroy(pc);
            return ls_error_prefix(err, "%s producer", name);
        }
    }
    const char *topics[] = {topic};
    return ls_error_prefix(ls_consumer_subscribe(s->c, topics, 1), "%s", name);
}

/* After a batch: every output acknowledged, then the offsets committed. */
static ls_error_t *svc_finish(svc_t *s)
{
    s->commit_pending = 1;
    if (s->p) {
        ls_error_t *err = ls_producer_flush(s->p, FLUSH_TIMEOUT_MS);
        if (err && ls_error_code(err) == LS_ERR_TIMED_OUT) {
            /* Still in flight: commit after a later flush. */
            svc_log(s, LS_LOG_WARNING, "%s: warning: %s", s->name,
                    ls_error_message(err));
            ls_error_destroy(err);
            return NULL;
        }
        if (err)
            return ls_error_prefix(err, "%s", s->name);
        uint64_t failed;
        ls_producer_counts(s->p, NULL, NULL, &failed);
        if (failed)
            return ls_error_new(LS_ERR_KAFKA, "%s: %" PRIu64 " message(s) "
                                "not delivered, first: %s", s->name, failed,
                                ls_producer_delivery_error(s->p));
    }
    ls_error_t *err = ls_consumer_commit_stored(s->c, 0);
    if (err) {
        /* Kept stored: the next step commits them (or, after a
         * rebalance, the new owner handles them again). */
        svc_log(s, LS_LOG_WARNING, "%s: warning: %s", s->name,
                ls_error_message(err));
        ls_error_destroy(err);
        return NULL;
    }
    s->commit_pending = 0;
    return NULL;
}

static ls_error_t *svc_step(svc_t *s, int timeout_ms, svc_handle_t *handle,
                            void *self, size_t *processed)
{
    size_t cnt = 0;
    if (processed)
        *processed = 0;
    if (!s->c || s->closed)
        return ls_error_new(LS_ERR_STATE, "%s: closed", s->name);
    ls_error_t *err = ls_consumer_poll(s->c, s->evs, BATCH, timeout_ms, &cnt);
    if (err && ls_error_is_retriable(err)) {
        svc_log(s, LS_LOG_WARNING, "%s: warning: %s", s->name,
                ls_error_message(err));
        ls_error_destroy(err);
        err = NULL;
    }
    ls_error_t *herr = NULL;
    for (size_t i = 0; i < cnt; i++) {
        if (!herr) {
            size_t len;
            const char *v = ls_event_value(s->evs[i], &len);
            herr = handle(self, s->evs[i], v ? v : "", v ? len : 0);
            if (!herr)
                herr = ls_consumer_store(s->c, s->evs[i]);
        }
        ls_event_destroy(s->evs[i]);
    }
    if (processed)
        *processed = cnt;
    if (!herr && (cnt || s->commit_pending))
        herr = svc_finish(s);
    if (herr) {
        ls_error_destroy(err);
        return herr;
    }
    return err;
}

static void on_lag(void *opaque, const char *topic, int32_t partition,
                   int64_t committed, int64_t end, int64_t lag)
{
    int64_t *sum = opaque;
    (void)topic, (void)partition, (void)committed, (void)end;
    sum[0] += lag;
    sum[1]++;
}

static ls_error_t *svc_lag(svc_t *s, int timeout_ms, int64_t *lag,
                           int *partitions)
{
    int64_t sum[2] = {0, 0};
    if (!s->c || s->closed)
        return ls_error_new(LS_ERR_STATE, "%s: closed", s->name);
    ls_error_t *err = ls_consumer_lag(s->c, timeout_ms, on_lag, sum);
    if (lag)
        *lag = sum[0];
    if (partitions)
        *partitions = (int)sum[1];
    return ls_error_prefix(err, "%s lag", s->name);
}

static ls_error_t *svc_close(svc_t *s)
{
    if (!s->c || s->closed)
        return NULL;
    s->closed = 1;
    ls_error_t *err = NULL;
    if (s->commit_pending) {
        /* Commit only what the flush proves delivered. */
        uint64_t failed = 0;
        if (s->p && !(err = ls_producer_flush(s->p, FLUSH_TIMEOUT_MS)))
            ls_producer_counts(s->p, NULL, NULL, &failed);
        if (!err && !failed)
            err = ls_consumer_commit_stored(s->c, 0);
    }
    ls_error_t *cerr = ls_consumer_close(s->c);
    if (err)
        ls_error_destroy(cerr);
    else
        err = cerr;
    return ls_error_prefix(err, "%s close", s->name);
}

static void svc_free(svc_t *s)
{
    /* Not closed: outputs still queued are purged, nothing is committed
     * past what a step already committed. */
    ls_consumer_destroy(s->c);
    ls_producer_destroy(s->p);
}

/* Send one JSON object to topic with key; the delivery callback counts it
 * by kind (msg_opaque). */
static ls_error_t *svc_send(svc_t *s, const char *topic, const char *key,
                            const jbuf_t *b, void *kind)
{
    if (b->full)
        return ls_error_new(LS_ERR_BAD_RECORD, "%s: a message to %s is "
                            "over %zu bytes", s->name, topic, sizeof(b->buf));
    ls_message_t m = LS_MESSAGE_INIT;
    m.topic = topic;
    m.key = key;
    m.key_len = strlen(key);
    m.value = b->buf;
    m.value_len = b->len;
    m.opaque = kind;
    return ls_error_prefix(ls_producer_send(s->p, &m), "%s", s->name);
}

/* Count the service's consumer in registry m as component name (a
 * processor: neither the pipeline's input nor its output). */
static void svc_set_metrics(svc_t *s, ls_metrics_t *m)
{
    ls_metrics_component(m, s->name, LS_ROLE_PROCESSOR, "kafka-consumer");
    ls_consumer_set_metrics(s->c, m, s->name);
}

static void skipped(const svc_t *s, const ls_event_t *ev, const char *v,
                    size_t len, const char *what)
{
    svc_log(s, LS_LOG_WARNING, "%s: skipped %s [%d] offset %" PRId64
            ": not %s: %.*s", s->name, ls_event_topic(ev),
            (int)ls_event_partition(ev), ls_event_offset(ev), what,
            (int)(len > 80 ? 80 : len), v);
}

/* The delivery callback's kinds (addresses only). */
static char KIND_REQUEST, KIND_NOTIFICATION;

/* ---- warehouse --------------------------------------------------------- */

struct warehouse_s {
    svc_t s;
    warehouse_stats_t st;
    jbuf_t out;
};

static void warehouse_delivered(void *opaque, const ls_event_t *ev,
                                const ls_error_t *err, void *kind)
{
    warehouse_t *w = opaque;
    (void)ev;
    if (err)
        return; /* counted failed by the producer; the step fails */
    if (kind == &KIND_REQUEST)
        w->st.requests_sent++;
    else if (kind == &KIND_NOTIFICATION)
        w->st.notifications_sent++;
}

static ls_error_t *warehouse_handle(void *self, const ls_event_t *ev,
                                    const char *v, size_t len)
{
    warehouse_t *w = self;
    char oid[64], cid[64], cust[128], pid[64], pname[128], msg[512];
    int64_t qty;
    if (order_json_string(v, len, "order_id", oid, sizeof(oid)) ||
        order_json_string(v, len, "customer_id", cid, sizeof(cid)) ||
        order_json_string(v, len, "customer", cust, sizeof(cust)) ||
        order_json_string(v, len, "product_id", pid, sizeof(pid)) ||
        order_json_string(v, len, "product", pname, sizeof(pname)) ||
        order_json_int(v, len, "quantity", &qty) || qty <= 0 || !*pid) {
        w->st.bad++;
        skipped(&w->s, ev, v, len, "an order");
        return NULL;
    }
    w->st.orders++;
    w->st.units += (uint64_t)qty;
    svc_log(&w->s, LS_LOG_INFO, "warehouse: processing %s (%" PRId64 " x %s)",
            oid, qty, pname);

    /* Ask the inventory for the stock: keyed by product, so one product's
     * requests are decided in order by one inventory instance. */
    jbuf_t *b = &w->out;
    jb_begin(b);
    jb_str(b, "type", "reserve");
    jb_str(b, "order_id", oid);
    jb_str(b, "customer_id", cid);
    jb_str(b, "customer", cust);
    jb_str(b, "product_id", pid);
    jb_str(b, "product", pname);
    jb_int(b, "quantity", qty);
    jb_end(b);
    ls_error_t *err = svc_send(&w->s, ORDER_TOPIC_INVENTORY, pid, b,
                               &KIND_REQUEST);
    if (err)
        return err;

    /* Tell the customer, keyed by customer: their messages stay in order. */
    snprintf(msg, sizeof(msg), "your order %s of %" PRId64 " x %s is being "
             "prepared", oid, qty, pname);
    jb_begin(b);
    jb_str(b, "type", "received");
    jb_str(b, "order_id", oid);
    jb_str(b, "customer_id", cid);
    jb_str(b, "customer", cust);
    jb_str(b, "product_id", pid);
    jb_str(b, "product", pname);
    jb_int(b, "quantity", qty);
    jb_str(b, "message", msg);
    jb_end(b);
    return svc_send(&w->s, ORDER_TOPIC_NOTIFICATIONS, cid, b,
                    &KIND_NOTIFICATION);
}

ls_error_t *warehouse_new(warehouse_t **out, const ls_conf_t *conf,
                          const ls_conf_t *producer_conf)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "warehouse_new: out is NULL");
    *out = NULL;
    warehouse_t *w = calloc(1, sizeof(*w));
    if (!w)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    ls_error_t *err = svc_open(&w->s, "warehouse", conf,
                               producer_conf ? producer_conf : conf,
                               ORDER_TOPIC_ORDERS);
    if (err) {
        warehouse_destroy(w);
        return err;
    }
    ls_producer_set_delivery_cb(w->s.p, warehouse_delivered, w);
    *out = w;
    return NULL;
}

void warehouse_set_metrics(warehouse_t *w, ls_metrics_t *m)
{
    if (w)
        svc_set_metrics(&w->s, m);
}

void warehouse_set_log_cb(warehouse_t *w, order_log_cb_t *cb, void *opaque)
{
    if (w) {
        w->s.log = cb;
        w->s.log_opaque = opaque;
    }
}

ls_error_t *warehouse_step(warehouse_t *w, int timeout_ms, size_t *processed)
{
    if (!w)
        return ls_error_new(LS_ERR_INVALID_ARG, "warehouse_step: NULL");
    return svc_step(&w->s, timeout_ms, warehouse_handle, w, processed);
}

int warehouse_at_end(const warehouse_t *w)
{
    return w && ls_consumer_at_end(w->s.c);
}

ls_error_t *warehouse_lag(warehouse_t *w, int timeout_ms, int64_t *lag,
                          int *partitions)
{
    if (!w)
        return ls_error_new(LS_ERR_INVALID_ARG, "warehouse_lag: NULL");
    return svc_lag(&w->s, timeout_ms, lag, partitions);
}

void warehouse_stats(const warehouse_t *w, warehouse_stats_t *out)
{
    if (w && out)
        *out = w->st;
}

ls_error_t *warehouse_close(warehouse_t *w)
{
    return w ? svc_close(&w->s) : NULL;
}

void warehouse_destroy(warehouse_t *w)
{
    if (!w)
        return;
    svc_free(&w->s);
    free(w);
}

/* ---- inventory --------------------------------------------------------- */

struct inventory_s {
    svc_t s;
    inventory_stats_t st;
    ptable_t stock;
    jbuf_t out;
};

static void inventory_delivered(void *opaque, const ls_event_t *ev,
                                const ls_error_t *err, void *kind)
{
    inventory_t *inv = opaque;
    (void)ev, (void)kind;
    if (!err)
        inv->st.notifications_sent++;
}

static ls_error_t *inventory_handle(void *self, const ls_event_t *ev,
                                    const char *v, size_t len)
{
    inventory_t *inv = self;
    char type[32], oid[64], cid[64], cust[128], pid[64], pname[128],
        msg[512];
    int64_t qty;
    if (order_json_string(v, len, "type", type, sizeof(type)) ||
        strcmp(type, "reserve") ||
        order_json_string(v, len, "order_id", oid, sizeof(oid)) ||
        order_json_string(v, len, "customer_id", cid, sizeof(cid)) ||
        order_json_string(v, len, "customer", cust, sizeof(cust)) ||
        order_json_string(v, len, "product_id", pid, sizeof(pid)) ||
        order_json_string(v, len, "product", pname, sizeof(pname)) ||
        order_json_int(v, len, "quantity", &qty) || qty <= 0 || !*pid) {
        inv->st.bad++;
        skipped(&inv->s, ev, v, len, "a stock request");
        return NULL;
    }
    prod_t *p = pt_get(&inv->stock, pid, 1);
    if (!p)
        return ls_error_new(LS_ERR_NOMEM, "inventory: out of memory");
    pt_name(p, pname);
    inv->st.requests++;

    jbuf_t *b = &inv->out;
    jb_begin(b);
    int served = p->pub.stock >= qty;
    if (served) {
        /* Served: the stock is taken here and nowhere else. */
        p->pub.stock -= qty;
        p->pub.served++;
        p->pub.units_served += (uint64_t)qty;
        inv->st.served++;
        inv->st.units_served += (uint64_t)qty;
        svc_log(&inv->s, LS_LOG_INFO, "inventory: %s %" PRId64 " left (-%"
                PRId64 " for %s)", pname, p->pub.stock, qty, oid);
        snprintf(msg, sizeof(msg), "your order %s has shipped: %" PRId64
                 " x %s", oid, qty, pname);
        jb_str(b, "type", "shipped");
    } else {
        pt_reject(p, qty);
        inv->st.rejected++;
        inv->st.units_rejected += (uint64_t)qty;
        svc_log(&inv->s, LS_LOG_INFO, "inventory: rejected %s: %" PRId64
                " x %s ordered, %" PRId64 " left", oid, qty, pname,
                p->pub.stock);
        snprintf(msg, sizeof(msg), "sorry, your order %s cannot be served: %"
                 PRId64 " x %s ordered, %" PRId64 " in stock", oid, qty,
                 pname, p->pub.stock);
        jb_str(b, "type", "rejected");
    }
    jb_str(b, "order_id", oid);
    jb_str(b, "customer_id", cid);
    jb_str(b, "customer", cust);
    jb_str(b, "product_id", pid);
    jb_str(b, "product", pname);
    jb_int(b, "quantity", qty);
    jb_int(b, served ? "stock_left" : "in_stock", p->pub.stock);
    jb_str(b, "message", msg);
    jb_end(b);
    return svc_send(&inv->s, ORDER_TOPIC_NOTIFICATIONS, cid, b,
                    &KIND_NOTIFICATION);
}

ls_error_t *inventory_new(inventory_t **out, const ls_conf_t *conf,
                          const ls_conf_t *producer_conf,
                          int64_t initial_stock)
{
    if (!out || initial_stock < 0)
        return ls_error_new(LS_ERR_INVALID_ARG, "inventory_new: invalid "
                            "initial stock %" PRId64 ": expected >= 0",
                            initial_stock);
    *out = NULL;
    inventory_t *inv = calloc(1, sizeof(*inv));
    if (!inv)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    inv->stock.initial = initial_stock;
    ls_error_t *err = svc_open(&inv->s, "inventory", conf,
                               producer_conf ? producer_conf : conf,
                               ORDER_TOPIC_INVENTORY);
    if (err) {
        inventory_destroy(inv);
        return err;
    }
    ls_producer_set_delivery_cb(inv->s.p, inventory_delivered, inv);
    *out = inv;
    return NULL;
}

ls_error_t *inventory_set_stock(inventory_t *inv, const char *product_id,
                                int64_t stock)
{
    if (!inv || !product_id || !*product_id || stock < 0)
        return ls_error_new(LS_ERR_INVALID_ARG, "inventory_set_stock: "
                            "expected a product id and a stock >= 0");
    prod_t *p = pt_get(&inv->stock, product_id, 1);
    if (!p)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    if (p->pub.served || p->pub.rejected)
        return ls_error_new(LS_ERR_STATE, "inventory_set_stock: %s already "
                            "has requests", product_id);
    p->pub.initial = p->pub.stock = stock;
    return NULL;
}

void inventory_set_metrics(inventory_t *inv, ls_metrics_t *m)
{
    if (inv)
        svc_set_metrics(&inv->s, m);
}

void inventory_set_log_cb(inventory_t *inv, order_log_cb_t *cb, void *opaque)
{
    if (inv) {
        inv->s.log = cb;
        inv->s.log_opaque = opaque;
    }
}

ls_error_t *inventory_step(inventory_t *inv, int timeout_ms, size_t *processed)
{
    if (!inv)
        return ls_error_new(LS_ERR_INVALID_ARG, "inventory_step: NULL");
    return svc_step(&inv->s, timeout_ms, inventory_handle, inv, processed);
}

int inventory_at_end(const inventory_t *inv)
{
    return inv && ls_consumer_at_end(inv->s.c);
}

ls_error_t *inventory_lag(inventory_t *inv, int timeout_ms, int64_t *lag,
                          int *partitions)
{
    if (!inv)
        return ls_error_new(LS_ERR_INVALID_ARG, "inventory_lag: NULL");
    return svc_lag(&inv->s, timeout_ms, lag, partitions);
}

void inventory_stats(const inventory_t *inv, inventory_stats_t *out)
{
    if (inv && out)
        *out = inv->st;
}

int64_t inventory_stock(const inventory_t *inv, const char *product_id)
{
    if (!inv || !product_id)
        return -1;
    prod_t *p = pt_get((ptable_t *)&inv->stock, product_id, 0);
    return p ? p->pub.stock : -1;
}

void inventory_foreach(const inventory_t *inv, order_product_cb_t *cb,
                       void *opaque)
{
    if (inv && cb)
        pt_foreach(&inv->stock, cb, opaque);
}

ls_error_t *inventory_close(inventory_t *inv)
{
    return inv ? svc_close(&inv->s) : NULL;
}

void inventory_destroy(inventory_t *inv)
{
    if (!inv)
        return;
    svc_free(&inv->s);
    pt_free(&inv->stock);
    free(inv);
}

/* ---- notification service --------------------------------------------- */

struct notifier_s {
    svc_t s;
    notifier_stats_t st;
    ptable_t products;
};

static ls_error_t *notifier_handle(void *self, const ls_event_t *ev,
                                   const char *v, size_t len)
{
    notifier_t *n = self;
    char type[32], cid[64], cust[128], pid[64], pname[128], msg[512];
    int64_t qty = 0;
    if (order_json_string(v, len, "type", type, sizeof(type)) ||
        order_json_string(v, len, "customer_id", cid, sizeof(cid)) ||
        order_json_string(v, len, "customer", cust, sizeof(cust)) ||
        order_json_string(v, len, "message", msg, sizeof(msg))) {
        n->st.bad++;
        skipped(&n->s, ev, v, len, "a notification");
        return NULL;
    }
    n->st.notifications++;
    svc_log(&n->s, LS_LOG_INFO, "notification: to %s (%s): %s", cust, cid,
            msg);
    int shipped = !strcmp(type, "shipped");
    int rejected = !strcmp(type, "rejected");
    if (!strcmp(type, "received"))
        n->st.received++;
    else if (shipped)
        n->st.shipped++;
    else if (rejected)
        n->st.rejected++;
    else
        n->st.other++;
    /* Per-product figures, for checking the inventory from this side. */
    if ((shipped || rejected) &&
        !order_json_string(v, len, "product_id", pid, sizeof(pid)) && *pid &&
        !order_json_int(v, len, "quantity", &qty) && qty > 0) {
        prod_t *p = pt_get(&n->products, pid, 1);
        if (!p)
            return ls_error_new(LS_ERR_NOMEM, "notification: out of memory");
        if (!order_json_string(v, len, "product", pname, sizeof(pname)))
            pt_name(p, pname);
        if (shipped) {
            p->pub.served++;
            p->pub.units_served += (uint64_t)qty;
        } else {
            pt_reject(p, qty);
        }
    }
    return NULL;
}

ls_error_t *notifier_new(notifier_t **out, const ls_conf_t *conf)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "notifier_new: out is NULL");
    *out = NULL;
    notifier_t *n = calloc(1, sizeof(*n));
    if (!n)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    n->products.initial = -1;
    ls_error_t *err = svc_open(&n->s, "notification", conf, NULL,
                               ORDER_TOPIC_NOTIFICATIONS);
    if (err) {
        notifier_destroy(n);
        return err;
    }
    *out = n;
    return NULL;
}

void notifier_set_metrics(notifier_t *n, ls_metrics_t *m)
{
    if (n)
        svc_set_metrics(&n->s, m);
}

void notifier_set_log_cb(notifier_t *n, order_log_cb_t *cb, void *opaque)
{
    if (n) {
        n->s.log = cb;
        n->s.log_opaque = opaque;
    }
}

ls_error_t *notifier_step(notifier_t *n, int timeout_ms, size_t *processed)
{
    if (!n)
        return ls_error_new(LS_ERR_INVALID_ARG, "notifier_step: NULL");
    return svc_step(&n->s, timeout_ms, notifier_handle, n, processed);
}

int notifier_at_end(const notifier_t *n)
{
    return n && ls_consumer_at_end(n->s.c);
}

ls_error_t *notifier_lag(notifier_t *n, int timeout_ms, int64_t *lag,
                         int *partitions)
{
    if (!n)
        return ls_error_new(LS_ERR_INVALID_ARG, "notifier_lag: NULL");
    return svc_lag(&n->s, timeout_ms, lag, partitions);
}

void notifier_stats(const notifier_t *n, notifier_stats_t *out)
{
    if (n && out)
        *out = n->st;
}

void notifier_foreach(const notifier_t *n, order_product_cb_t *cb,
                      void *opaque)
{
    if (n && cb)
        pt_foreach(&n->products, cb, opaque);
}

ls_error_t *notifier_close(notifier_t *n)
{
    return n ? svc_close(&n->s) : NULL;
}

void notifier_destroy(notifier_t *n)
{
    if (!n)
        return;
    svc_free(&n->s);
    pt_free(&n->products);
    free(n);
}
