/* libstream: the S3 sink — per-partition batches of JSON records rendered
 * as CSV or JSON lines, stored as one object each, committed after the
 * store; dead letters for records that are not JSON objects. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <zlib.h>

#include "conf_int.h"
#include "json_int.h"
#include "sink_int.h"
#include "libstream/consumer.h"
#include "libstream/csv.h"
#include "libstream/producer.h"
#include "libstream/s3.h"
#include "libstream/s3sink.h"
#include "libstream/template.h"

#define BATCH 1000
#define MAX_TOPICS 256
#define KEY_MAX 1024

typedef struct {
    char *topic;
    int32_t partition;
    int active;
    int rewound; /* a failed store sent it back: records not stored yet */
    int64_t first, last;
    double opened;
    size_t count, bytes; /* good records, their bytes */
    ls_csv_t *csv;       /* csv format */
    char *buf;           /* jsonl format */
    size_t len, cap;
    char key[KEY_MAX];
} sbatch_t;

struct ls_s3sink_s {
    ls_s3_t *s3;
    ls_consumer_t *c;
    ls_template_t *key_tpl;
    int csv, gzip;
    size_t batch_size, batch_bytes;
    size_t total_bytes, max_total; /* bytes held in all batches, bound */
    double batch_timeout;
    FILE *dlq_file;
    ls_producer_t *dlq_prod;
    char *dlq_topic;
    uint64_t dlq_pending; /* dead letters not yet made durable */
    sbatch_t *b;
    size_t nb, capb, last;
    ls__pacer_t pacer;
    ls__skip_t skip;
    ls_s3sink_log_cb_t *log;
    void *log_opaque;
    char *topics_buf;
    const char *topics[MAX_TOPICS];
    size_t ntopics;
    unsigned char *gzbuf;
    size_t gzcap;
    char *jbuf;
    size_t jcap;
    double last_tick;
    uint64_t consumed, stored, objects, bytes, dead, commits;
    int closed;
    int insecure; /* TLS verification turned off: warned at first poll */
    ls__sink_metrics_t sm;
    ls_event_t *evs[BATCH];
};

static void logf_(ls_s3sink_t *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(ls_s3sink_t *s, int level, const char *fmt, ...)
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

/* ---- batches ---- */

static void batch_reset(ls_s3sink_t *s, sbatch_t *b)
{
    s->total_bytes -= b->bytes;
    b->active = 0;
    b->count = b->bytes = b->len = 0;
    if (b->csv)
        ls_csv_reset(b->csv);
}

static sbatch_t *batch_get(ls_s3sink_t *s, const char *topic, int32_t part)
{
    if (s->last < s->nb && s->b[s->last].partition == part &&
        !strcmp(s->b[s->last].topic, topic))
        return &s->b[s->last];
    for (size_t i = 0; i < s->nb; i++)
        if (s->b[i].partition == part && !strcmp(s->b[i].topic, topic)) {
            s->last = i;
            return &s->b[i];
        }
    if (s->nb == s->capb) {
        size_t cap = s->capb ? s->capb * 2 : 32;
        sbatch_t *n = realloc(s->b, cap * sizeof(*n));
        if (!n)
            return NULL;
        s->b = n;
        s->capb = cap;
    }
    sbatch_t *b = &s->b[s->nb];
    memset(b, 0, sizeof(*b));
    if (!(b->topic = strdup(topic)))
        return NULL;
    if (s->csv) {
        ls_error_t *err = ls_csv_new(&b->csv);
        if (err) {
            ls_error_destroy(err);
            free(b->topic);
            return NULL;
        }
    }
    b->partition = part;
    s->last = s->nb++;
    return b;
}

static void batch_free(sbatch_t *b)
{
    free(b->topic);
    ls_csv_destroy(b->csv);
    free(b->buf);
}

/* ---- dead letters ---- */

static ls_error_t *dead_letter(ls_s3sink_t *s, const ls_event_t *ev,
                               const char *reason)
{
    s->dead++;
    ls_metric_add(s->sm.dead, 1);
    if (s->dlq_prod) {
        size_t klen, vlen;
        const void *k = ls_event_key(ev, &klen), *v = ls_event_value(ev, &vlen);
        char src[512];
        snprintf(src, sizeof(src), "%s/%d/%" PRId64, ls_event_topic(ev),
                 (int)ls_event_partition(ev), ls_event_offset(ev));
        ls_header_t h[2] = {{"ls.dlq.reason", reason, strlen(reason)},
                            {"ls.dlq.source", src, strlen(src)}};
        ls_message_t m = LS_MESSAGE_INIT;
        m.topic = s->dlq_topic;
        m.key = k;
        m.key_len = klen;
        m.value = v;
        m.value_len = vlen;
        m.headers = h;
        m.header_count = 2;
        s->dlq_pending++;
        return ls_producer_send(s->dlq_prod, &m);
    }
    size_t need = ls_event_to_json(ev, s->jbuf, s->jcap);
    if (need >= s->jcap) {
        char *nb = realloc(s->jbuf, need + 1);
        if (!nb)
            return ls_error_new(LS_ERR_NOMEM, "out of memory");
        s->jbuf = nb;
        s->jcap = need + 1;
        ls_event_to_json(ev, s->jbuf, s->jcap);
    }
    cJSON *r = cJSON_CreateString(reason);
    char *rs = r ? cJSON_PrintUnformatted(r) : NULL;
    int ok = rs && fprintf(s->dlq_file, "{\"reason\":%s,\"record\":%s}\n", rs,
                           s->jbuf) > 0;
    cJSON_free(rs);
    cJSON_Delete(r);
    if (!ok)
        return ls_error_new(LS_ERR_IO, "writing the dead-letter file: %s",
                            strerror(errno));
    s->dlq_pending++;
    return NULL;
}

/* Make dead letters durable before committing past them. */
static ls_error_t *dlq_sync(ls_s3sink_t *s)
{
    if (!s->dlq_pending)
        return NULL;
    if (s->dlq_prod) {
        ls_error_t *err = ls_producer_flush(s->dlq_prod, 30000);
        uint64_t failed = 0;
        ls_producer_counts(s->dlq_prod, NULL, NULL, &failed);
        if (!err && failed)
            err = ls_error_new(LS_ERR_KAFKA, "dead-letter topic %s: %s",
                               s->dlq_topic,
                               ls_producer_delivery_error(s->dlq_prod));
        if (err)
            return err;
    } else if (fflush(s->dlq_file) || fsync(fileno(s->dlq_file))) {
        return ls_error_new(LS_ERR_IO, "syncing the dead-letter file: %s",
                            strerror(errno));
    }
    s->dlq_pending = 0;
    return NULL;
}

/* ---- flushing ---- */

static ls_error_t *gzip_buf(ls_s3sink_t *s, const void *in, size_t len,
                            const void **out, size_t *outlen)
{
    size_t bound = compressBound((uLong)len) + 64;
    if (bound > s->gzcap) {
        unsigned char *nb = realloc(s->gzbuf, bound);
        if (!nb)
            return ls_error_new(LS_ERR_NOMEM, "out of memory");
        s->gzbuf = nb;
        s->gzcap = bound;
    }
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return ls_error_new(LS_ERR_NOMEM, "gzip: deflateInit failed");
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = s->gzbuf;
    z.avail_out = (uInt)s->gzcap;
    int r = deflate(&z, Z_FINISH);
    *outlen = s->gzcap - z.avail_out;
    deflateEnd(&z);
    if (r != Z_STREAM_END)
        return ls_error_new(LS_ERR_GENERIC, "gzip: deflate failed (%d)", r);
    *out = s->gzbuf;
    return NULL;
}

/* Drop the batch and re-read its records (see ls__sink_seek_back). */
static ls_error_t *on_rewind(ls_s3sink_t *s, sbatch_t *b)
{
    ls_error_t *err = ls__sink_seek_back(s->c, &s->skip, b->topic,
                                         b->partition, b->first, "store");
    batch_reset(s, b);
    if (err && ls_error_code(err) == LS_ERR_NOT_FOUND) {
        logf_(s, LS_LOG_WARNING, "warning: %s", ls_error_message(err));
        ls_error_destroy(err);
        return NULL;
    }
    b->rewound = !err;
    return err;
}

/* Store the batch as one object, then commit past it.  A retriable
 * failure re-reads the batch (seek), pauses and schedules a retry. */
static ls_error_t *flush(ls_s3sink_t *s, sbatch_t *b)
{
    ls_error_t *err = NULL;
    if (!b->active)
        return NULL;
    if (b->count) {
        const void *data = b->buf;
        size_t len = b->len;
        if (s->csv) {
            const char *d;
            if ((err = ls_csv_render(b->csv, &d, &len)))
                goto fail;
            data = d;
        }
        if (s->gzip && (err = gzip_buf(s, data, len, &data, &len)))
            goto fail;
        err = ls_s3_put(s->s3, b->key, data, len,
                        s->gzip ? "application/gzip"
                        : s->csv ? "text/csv"
                                 : "application/x-ndjson");
        if (err)
            goto fail;
        s->objects++;
        s->stored += b->count;
        s->bytes += len;
        ls_metric_add(s->sm.success, b->count);
        ls_metric_add(s->sm.batches, 1);
        ls_metric_add(s->sm.bytes, len);
        ls_component_output(s->sm.c, b->key, b->count, len);
    }
    if ((err = dlq_sync(s)))
        goto fail;
    ls_error_t *cerr = ls_consumer_commit(s->c, b->topic, b->partition,
                                          b->last + 1);
    if (cerr) {
        /* Not fatal: the next owner rewrites the same keys. */
        logf_(s, LS_LOG_WARNING, "warning: %s", ls_error_message(cerr));
        ls_error_destroy(cerr);
    } else {
        s->commits++;
    }
    ls__pacer_ok(&s->pacer);
    ls__sink_metrics_ok(&s->sm);
    batch_reset(s, b);
    b->rewound = 0; /* the re-read records are in this object */
    return NULL;
fail:
    err = ls_error_prefix(err, "batch %s [%d] offsets %" PRId64 "..%" PRId64
                               " (not committed)",
                          b->topic, (int)b->partition, b->first, b->last);
    if (!ls_error_is_retriable(err)) {
        ls_component_error(s->sm.c, ls_error_message(err));
        batch_reset(s, b);
        return err;
    }
    ls_error_t *rerr = on_rewind(s, b);
    if (rerr) {
        ls_error_destroy(err);
        ls_component_error(s->sm.c, ls_error_message(rerr));
        return rerr;
    }
    double wait = ls__pacer_fail(&s->pacer, s->c);
    ls__sink_metrics_fail(&s->sm, err);
    logf_(s, LS_LOG_WARNING, "S3 failing, paused, retrying in %.1f s: %s", wait,
          ls_error_message(err));
    ls_error_destroy(err);
    return NULL;
}

/* Is this record one JSON object?  NULL, or the reason it is not.
 * *compact is set to a one-line rendering when the object spans lines
 * (the caller frees it with cJSON_free). */
static const char *json_object_reason(const void *v, size_t len, char *why,
                                      size_t whylen, char **compact)
{
    const char *end = NULL;
    *compact = NULL;
    if (!v || !len)
        return "empty record: expected a JSON object";
    if (!ls__utf8_valid(v, len))
        return "not valid UTF-8: expected a JSON object";
    cJSON *j = cJSON_ParseWithLengthOpts(v, len, &end, 0);
    if (!j) {
        snprintf(why, whylen, "not JSON: syntax error near byte %zu of %zu",
                 end ? (size_t)(end - (const char *)v) : (size_t)0, len);
        return why;
    }
    const char *p = end;
    while (p < (const char *)v + len && (*p == ' ' || *p == '\t' ||
                                         *p == '\r' || *p == '\n'))
        p++;
    if (p < (const char *)v + len) {
        cJSON_Delete(j);
        snprintf(why, whylen, "trailing data after the JSON value at byte "
                              "%zu of %zu",
                 (size_t)(end - (const char *)v), len);
        return why;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return "a JSON value that is not an object";
    }
    const char *nl = memchr(v, '\n', len);
    if (nl && nl != (const char *)v + len - 1)
        *compact = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return NULL;
}

static ls_error_t *add(ls_s3sink_t *s, const ls_event_t *ev)
{
    sbatch_t *b = batch_get(s, ls_event_topic(ev), ls_event_partition(ev));
    if (!b)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    int64_t off = ls_event_offset(ev);
    if (b->active && off <= b->last)
        batch_reset(s, b); /* replayed after a seek: start again */
    if (!b->active) {
        int64_t ts = ls_event_timestamp(ev);
        size_t n = ls_template_expand(s->key_tpl, ev, ts >= 0 ? ts : 0, b->key,
                                      sizeof(b->key) - 16);
        if (n >= sizeof(b->key) - 16) {
            /* The record's own values (headers, key) made it too long:
             * a dead letter, not the end of the run.  It is committed
             * with the partition's next batch. */
            char why[128];
            snprintf(why, sizeof(why), "s3sink.key expands to %zu bytes "
                     "for this record (at most %zu)", n, sizeof(b->key) - 16);
            b->key[0] = '\0';
            return dead_letter(s, ev, why);
        }
        strcat(b->key, s->csv ? ".csv" : ".jsonl");
        if (s->gzip)
            strcat(b->key, ".gz");
        b->active = 1;
        b->first = off;
        b->opened = ls__mono();
    }
    b->last = off;
    size_t len;
    const void *v = ls_event_value(ev, &len);
    ls_error_t *err = NULL;
    char why[160];
    if (s->csv) {
        err = v ? ls_csv_add(b->csv, v, len)
                : ls_error_new(LS_ERR_BAD_RECORD, "null record: expected a "
                                                  "JSON object");
        if (ls_error_code(err) == LS_ERR_BAD_RECORD) {
            ls_error_t *derr = dead_letter(s, ev, ls_error_message(err));
            ls_error_destroy(err);
            return derr;
        }
        if (err)
            return err;
    } else {
        char *compact;
        const char *bad = json_object_reason(v, len, why, sizeof(why),
                                             &compact);
        if (bad)
            return dead_letter(s, ev, bad);
        if (compact) {
            v = compact;
            len = strlen(compact);
        }
        if (b->len + len + 1 > b->cap) {
            size_t cap = (b->len + len + 1) * 2;
            char *nb = realloc(b->buf, cap);
            if (!nb) {
                cJSON_free(compact);
                return ls_error_new(LS_ERR_NOMEM, "out of memory");
            }
            b->buf = nb;
            b->cap = cap;
        }
        memcpy(b->buf + b->len, v, len);
        b->len += len;
        if (((const char *)v)[len - 1] != '\n')
            b->buf[b->len++] = '\n';
        cJSON_free(compact);
    }
    b->count++;
    b->bytes += len;
    s->total_bytes += len;
    if (b->count >= s->batch_size || (s->batch_bytes && b->bytes >= s->batch_bytes))
        return flush(s, b);
    if (s->max_total && s->total_bytes > s->max_total) {
        /* Memory bound over all partitions: store the biggest batch now. */
        sbatch_t *big = b;
        for (size_t i = 0; i < s->nb; i++)
            if (s->b[i].active && s->b[i].bytes > big->bytes)
                big = &s->b[i];
        return flush(s, big);
    }
    return NULL;
}

/* ---- rebalancing ---- */

static ls_error_t *on_rebalance(void *opaque, ls_rebalance_t kind,
                                ls_partition_list_t *parts)
{
    ls_s3sink_t *s = opaque;
    size_t n = ls_partition_list_count(parts);
    if (kind != LS_REBALANCE_ASSIGN) {
        /* Drop partial batches: the next owner starts at the committed
         * offset and writes the same keys. */
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < s->nb; k++)
                if (s->b[k].partition == ls_partition_list_partition(parts, i) &&
                    !strcmp(s->b[k].topic, ls_partition_list_topic(parts, i))) {
                    batch_reset(s, &s->b[k]);
                    s->b[k].rewound = 0;
                }
    }
    logf_(s, LS_LOG_INFO, "%s %zu partition(s)",
          kind == LS_REBALANCE_ASSIGN   ? "assigned"
          : kind == LS_REBALANCE_REVOKE ? "revoked"
                                        : "lost",
          n);
    return NULL;
}

/* ---- life cycle ---- */

ls_metrics_t *ls_s3sink_metrics(ls_s3sink_t *s)
{
    return s ? s->sm.reg : NULL;
}

char *ls_s3sink_stats(ls_s3sink_t *s)
{
    return s ? ls_metrics_json(s->sm.reg) : NULL;
}

void ls_s3sink_destroy(ls_s3sink_t *s)
{
    if (!s)
        return;
    ls_consumer_destroy(s->c);
    for (size_t i = 0; i < s->nb; i++)
        batch_free(&s->b[i]);
    free(s->b);
    ls_s3_destroy(s->s3);
    ls_template_destroy(s->key_tpl);
    if (s->dlq_file)
        fclose(s->dlq_file);
    if (s->dlq_prod) {
        ls_producer_flush(s->dlq_prod, 10000);
        ls_producer_destroy(s->dlq_prod);
    }
    free(s->dlq_topic);
    free(s->topics_buf);
    free(s->gzbuf);
    free(s->jbuf);
    ls__sink_metrics_free(&s->sm);
    free(s);
}

static ls_error_t *open_dlq(ls_s3sink_t *s, const ls_conf_t *conf)
{
    const char *dlq = ls_conf_get(conf, "s3sink.dlq");
    if (!strncmp(dlq, "kafka:", 6)) {
        if (!dlq[6])
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "s3sink.dlq \"%s\": expected kafka:TOPIC", dlq);
        if (!(s->dlq_topic = strdup(dlq + 6)))
            return ls_error_new(LS_ERR_NOMEM, "out of memory");
        /* The same Kafka settings (brokers, TLS, SASL) as the consumer;
         * consumer-only properties are ignored by a producer. */
        ls_conf_t *pc = ls_conf_dup(conf);
        ls_error_t *err = pc ? ls_producer_new(&s->dlq_prod, pc)
                             : ls_error_new(LS_ERR_NOMEM, "out of memory");
        if (err)
            ls_conf_destroy(pc);
        return err;
    }
    if (!*dlq)
        return ls_error_new(LS_ERR_INVALID_ARG, "s3sink.dlq is empty: "
                            "expected a file path or kafka:TOPIC (dead "
                            "letters must go somewhere)");
    if (!(s->dlq_file = fopen(dlq, "a")))
        return ls_error_new(errno == EACCES ? LS_ERR_ACCESS : LS_ERR_IO,
                            "s3sink.dlq: cannot open dead-letter file %s: %s",
                            dlq, strerror(errno));
    return NULL;
}

ls_error_t *ls_s3sink_new(ls_s3sink_t **out, ls_conf_t *conf)
{
    if (!out || !conf)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_s3sink_new: out and conf are required");
    *out = NULL;
    const char *topics = ls_conf_get(conf, "s3sink.topics");
    if (!*topics)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "s3sink.topics is empty: expected one or more "
                            "topics, comma-separated");
    ls_s3sink_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->topics_buf = strdup(topics))) {
        free(s);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    for (char *save = NULL, *t = strtok_r(s->topics_buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (s->ntopics == MAX_TOPICS) {
            ls_s3sink_destroy(s);
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "s3sink.topics: too many topics (at most %d)",
                                MAX_TOPICS);
        }
        s->topics[s->ntopics++] = t;
    }
    s->csv = !strcmp(ls_conf_get(conf, "s3sink.format"), "csv");
    s->gzip = ls__conf_bool(conf, "s3sink.gzip");
    s->batch_size = (size_t)ls__conf_int(conf, "s3sink.batch.size");
    s->batch_bytes = (size_t)ls__conf_int(conf, "s3sink.batch.bytes");
    s->batch_timeout = ls__conf_int(conf, "s3sink.batch.timeout.ms") / 1000.0;
    s->max_total = (size_t)ls__conf_int(conf, "s3sink.buffer.max.bytes");
    ls__pacer_init(&s->pacer, ls__conf_int(conf, "s3sink.retry.backoff.ms"),
                   ls__conf_int(conf, "s3sink.retry.backoff.max.ms"));
    s->last_tick = ls__mono();

    ls_conf_t *cc = ls_conf_dup(conf);
    ls_error_t *err = cc ? NULL : ls_error_new(LS_ERR_NOMEM, "out of memory");
    if (!err && !ls_conf_is_set(cc, "group.id"))
        err = ls_conf_set(cc, "group.id", "ls-batch2s3");
    if (!err)
        err = ls_template_new(&s->key_tpl, ls_conf_get(conf, "s3sink.key"));
    if (!err && (!strstr(ls_conf_get(conf, "s3sink.key"), "%{offset}") ||
                 !strstr(ls_conf_get(conf, "s3sink.key"), "%{partition}")))
        err = ls_error_new(LS_ERR_INVALID_ARG,
                           "s3sink.key \"%s\" must contain %%{partition} and "
                           "%%{offset}, so that two batches never share a key "
                           "and a replayed batch overwrites its own object",
                           ls_conf_get(conf, "s3sink.key"));
    if (!err)
        err = ls_s3_new(&s->s3, conf);
    if (!err)
        err = open_dlq(s, conf);
    if (!err) {
        char group[256];
        ls__conf_kafka_get(cc, "group.id", group, sizeof(group));
        err = ls__sink_metrics_init(&s->sm, group, "s3", "BufferedRecords");
    }
    if (!err)
        err = ls_consumer_new(&s->c, cc);
    if (err) {
        ls_conf_destroy(cc);
        ls_s3sink_destroy(s);
        return err;
    }
    ls__sink_metrics_source(&s->sm, s->c);
    s->insecure = !ls__conf_bool(conf, "s3.tls.verify");
    ls_consumer_set_rebalance_cb(s->c, on_rebalance, s);
    if ((err = ls_consumer_subscribe(s->c, s->topics, s->ntopics))) {
        ls_s3sink_destroy(s);
        return err;
    }
    ls_conf_destroy(conf);
    *out = s;
    return NULL;
}

void ls_s3sink_set_log_cb(ls_s3sink_t *s, ls_s3sink_log_cb_t *cb, void *opaque)
{
    if (s) {
        s->log = cb;
        s->log_opaque = opaque;
    }
}

ls_error_t *ls_s3sink_poll(ls_s3sink_t *s, int timeout_ms, size_t *processed)
{
    size_t cnt = 0;
    if (processed)
        *processed = 0;
    if (!s || s->closed)
        return ls_error_new(LS_ERR_STATE, "ls_s3sink_poll: closed");
    if (s->insecure == 1) {
        s->insecure = 2;
        logf_(s, LS_LOG_WARNING, "warning: s3.tls.verify=false: the "
                                 "server's TLS certificate is not checked");
    }
    timeout_ms = ls__pacer_poll_timeout(&s->pacer, s->c, timeout_ms);
    ls_error_t *err = ls_consumer_poll(s->c, s->evs, BATCH, timeout_ms, &cnt);
    if (err && ls_error_is_retriable(err)) {
        logf_(s, LS_LOG_WARNING, "warning: %s", ls_error_message(err));
        ls_error_destroy(err);
        err = NULL;
    }
    ls_error_t *serr = NULL;
    ls__skip_clear(&s->skip);
    uint64_t added = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (!serr && !ls__skip_has(&s->skip, s->evs[i])) {
            serr = add(s, s->evs[i]);
            added += !serr;
        }
        ls_event_destroy(s->evs[i]);
    }
    s->consumed += cnt;
    ls_metric_add(s->sm.attempt, added);
    if (processed)
        *processed = cnt;
    if (serr) {
        ls_error_destroy(err);
        return serr;
    }
    if (err)
        return err;
    double now = ls__mono();
    if (now - s->last_tick >= 0.2) {
        s->last_tick = now;
        int64_t buffered = 0;
        for (size_t i = 0; i < s->nb; i++)
            if (s->b[i].active)
                buffered += (int64_t)s->b[i].count;
        ls_metric_set(s->sm.gauge, buffered);
        for (size_t i = 0; i < s->nb && !s->pacer.retry_at; i++)
            if (s->b[i].active && now - s->b[i].opened >= s->batch_timeout &&
                (err = flush(s, &s->b[i])))
                return err;
    }
    return NULL;
}

int ls_s3sink_at_end(const ls_s3sink_t *s)
{
    return s && !s->pacer.retry_at && ls_consumer_at_end(s->c);
}

ls_error_t *ls_s3sink_close(ls_s3sink_t *s)
{
    ls_error_t *err = NULL;
    if (!s || s->closed)
        return NULL;
    /* A retry still to come: a store failed and its records were not
     * read again (also when that partition was revoked meanwhile). */
    int pending = s->pacer.retry_at != 0;
    s->pacer.retry_at = 0; /* a pending retry: try once more now */
    for (size_t i = 0; i < s->nb && !err; i++) {
        err = flush(s, &s->b[i]);
        if (!err && s->pacer.retry_at)
            err = ls_error_new(LS_ERR_TRANSPORT,
                               "closing: S3 is failing; unstored batches will "
                               "be re-read by the next run");
    }
    /* A batch sent back by a failed store and not stored since: its
     * records were dropped, and the retry may have fired without reading
     * them again yet (the window between resume and the next fetch). */
    for (size_t i = 0; i < s->nb; i++)
        pending |= s->b[i].rewound;
    if (!err && pending)
        err = ls_error_new(LS_ERR_TRANSPORT,
                           "closing: S3 is failing; unstored batches will "
                           "be re-read by the next run");
    s->closed = 1;
    ls_error_t *cerr = ls_consumer_close(s->c);
    if (!err)
        err = cerr;
    else
        ls_error_destroy(cerr);
    return err;
}

void ls_s3sink_counts(const ls_s3sink_t *s, uint64_t *consumed,
                      uint64_t *stored, uint64_t *objects, uint64_t *bytes,
                      uint64_t *dead_letters, uint64_t *retries)
{
    if (consumed)
        *consumed = s ? s->consumed : 0;
    if (stored)
        *stored = s ? s->stored : 0;
    if (objects)
        *objects = s ? s->objects : 0;
    if (bytes)
        *bytes = s ? s->bytes : 0;
    if (dead_letters)
        *dead_letters = s ? s->dead : 0;
    if (retries)
        *retries = s ? s->pacer.retries : 0;
}
