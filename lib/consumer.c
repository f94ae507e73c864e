/* libstream: consumer over librdkafka's high-level consumer, with explicit
 * commits, start positions, rebalance hooks and stop-at-end tracking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "event_int.h"
#include "libstream/consumer.h"
#include "libstream/metrics.h"
#include "sink_int.h"

typedef struct {
    rd_kafka_topic_t *rkt; /* identity for the hot-path lookup (not owned) */
    char *topic;
    int32_t partition;
    int eof;
    int64_t stored;    /* next offset stored for commit_stored; -1 */
    int64_t committed; /* next offset committed by us; -1 */
} part_t;

struct ls_consumer_s {
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    int has_group;
    ls_start_t start;
    int64_t start_value;
    int stop_at_end;
    ls_rebalance_cb_t *cb;
    void *cb_opaque;
    ls_error_t *pending; /* error to hand out from the next poll */
    char broker_error[512];
    char brokers[256]; /* bootstrap.servers, for messages */
    int fatal;
    part_t *parts; /* assigned partitions */
    size_t nparts, capparts, neof;
    size_t last; /* index of the last partition looked up */
    int closed;
    /* metrics (ls_consumer_set_metrics); all NULL when not attached */
    ls_component_t *mc;
    ls_metric_t *m_recv, *m_bytes, *m_commits, *m_rebal, *m_assigned;
    double m_next_refresh; /* monotonic seconds */
    char group[256];
};

/* ---- partition lists ---- */

#define PL(l) ((rd_kafka_topic_partition_list_t *)(l))

size_t ls_partition_list_count(const ls_partition_list_t *l)
{
    return l ? (size_t)PL(l)->cnt : 0;
}

const char *ls_partition_list_topic(const ls_partition_list_t *l, size_t i)
{
    return PL(l)->elems[i].topic;
}

int32_t ls_partition_list_partition(const ls_partition_list_t *l, size_t i)
{
    return PL(l)->elems[i].partition;
}

int64_t ls_partition_list_offset(const ls_partition_list_t *l, size_t i)
{
    return PL(l)->elems[i].offset;
}

void ls_partition_list_set_offset(ls_partition_list_t *l, size_t i,
                                  int64_t offset)
{
    PL(l)->elems[i].offset = offset;
}

/* ---- assignment tracking ---- */

static part_t *parts_lookup(ls_consumer_t *c, const char *topic,
                            int32_t partition)
{
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].partition == partition &&
            !strcmp(c->parts[i].topic, topic))
            return &c->parts[i];
    return NULL;
}

static void parts_add(ls_consumer_t *c, const char *topic, int32_t partition)
{
    if (parts_lookup(c, topic, partition))
        return;
    if (c->nparts == c->capparts) {
        size_t cap = c->capparts ? c->capparts * 2 : 64;
        part_t *n = realloc(c->parts, cap * sizeof(*n));
        if (!n)
            return; /* tracking is best effort under OOM */
        c->parts = n;
        c->capparts = cap;
    }
    part_t *p = &c->parts[c->nparts];
    p->topic = strdup(topic);
    if (!p->topic)
        return;
    p->rkt = NULL;
    p->partition = partition;
    p->eof = 0;
    p->stored = p->committed = -1;
    c->nparts++;
}

static void parts_remove(ls_consumer_t *c, const char *topic, int32_t partition)
{
    part_t *p = parts_lookup(c, topic, partition);
    if (!p)
        return;
    if (p->eof)
        c->neof--;
    free(p->topic);
    *p = c->parts[--c->nparts];
    c->last = 0;
}

static void parts_clear(ls_consumer_t *c)
{
    for (size_t i = 0; i < c->nparts; i++)
        free(c->parts[i].topic);
    c->nparts = c->neof = c->last = 0;
}

static part_t *parts_find(ls_consumer_t *c, const rd_kafka_message_t *m)
{
    if (c->last < c->nparts && c->parts[c->last].rkt == m->rkt &&
        c->parts[c->last].partition == m->partition)
        return &c->parts[c->last];
    const char *name = rd_kafka_topic_name(m->rkt);
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].partition == m->partition &&
            (c->parts[i].rkt == m->rkt || !strcmp(c->parts[i].topic, name))) {
            c->parts[i].rkt = m->rkt;
            c->last = i;
            return &c->parts[i];
        }
    return NULL;
}

/* ---- metrics ---- */

void ls_consumer_set_metrics(ls_consumer_t *c, ls_metrics_t *m,
                             const char *component)
{
    if (!c)
        return;
    c->mc = ls_metrics_component(m, component ? component : "source",
                                 LS_ROLE_SOURCE, "kafka-consumer");
    if (c->has_group)
        ls_component_set_group(c->mc, c->group);
    c->m_recv = ls_component_counter(c->mc, "EventReceivedCount", NULL);
    c->m_bytes = ls_component_counter(c->mc, "BytesReceivedCount", NULL);
    c->m_commits = ls_component_counter(c->mc, "KafkaCommitCount", NULL);
    c->m_rebal = ls_component_counter(c->mc, "RebalanceCount", NULL);
    c->m_assigned = ls_component_gauge(c->mc, "AssignedPartitions", NULL);
    c->m_next_refresh = 0;
}

/* Publish the partition table (positions and cached watermarks: no
 * network request). */
static void metrics_refresh(ls_consumer_t *c)
{
    if (!c->mc)
        return;
    c->m_next_refresh = ls__mono() + 1.0;
    ls_metric_set(c->m_assigned, (int64_t)c->nparts);
    ls_partition_stat_t *st =
        c->nparts ? calloc(c->nparts, sizeof(*st)) : NULL;
    if (c->nparts && !st)
        return;
    rd_kafka_topic_partition_list_t *l =
        rd_kafka_topic_partition_list_new((int)c->nparts);
    for (size_t i = 0; i < c->nparts; i++)
        rd_kafka_topic_partition_list_add(l, c->parts[i].topic,
                                          c->parts[i].partition);
    int have_pos = c->nparts && !rd_kafka_position(c->rk, l);
    for (size_t i = 0; i < c->nparts; i++) {
        int64_t lo = -1, hi = -1;
        st[i].topic = c->parts[i].topic;
        st[i].partition = c->parts[i].partition;
        st[i].committed = c->parts[i].committed;
        st[i].position = have_pos && l->elems[i].offset >= 0
                             ? l->elems[i].offset
                             : -1;
        if (rd_kafka_get_watermark_offsets(c->rk, c->parts[i].topic,
                                           c->parts[i].partition, &lo, &hi))
            hi = -1;
        st[i].log_end = hi;
        /* Nothing read nor committed yet: the log start is the base. */
        if (st[i].position < 0 && st[i].committed < 0 && lo >= 0 &&
            !c->has_group)
            st[i].position = lo;
    }
    rd_kafka_topic_partition_list_destroy(l);
    ls_component_set_partitions(c->mc, st, c->nparts);
    free(st);
}

/* ---- start positions and rebalancing ---- */

static int offset_reset_is_end(ls_consumer_t *c)
{
    char buf[32];
    size_t sz = sizeof(buf);
    rd_kafka_topic_conf_t *tc = rd_kafka_default_topic_conf_dup(c->rk);
    buf[0] = '\0';
    if (tc) {
        rd_kafka_topic_conf_get(tc, "auto.offset.reset", buf, &sz);
        rd_kafka_topic_conf_destroy(tc);
    }
    return !strcmp(buf, "latest") || !strcmp(buf, "largest") ||
           !strcmp(buf, "end");
}

/* Fill in each partition's start offset according to c->start. */
static ls_error_t *apply_start(ls_consumer_t *c,
                               rd_kafka_topic_partition_list_t *parts)
{
    int64_t off;
    switch (c->start) {
    case LS_START_COMMITTED:
        off = c->has_group ? RD_KAFKA_OFFSET_STORED
                           : (offset_reset_is_end(c) ? RD_KAFKA_OFFSET_END
                                                     : RD_KAFKA_OFFSET_BEGINNING);
        break;
    case LS_START_BEGINNING:
        off = RD_KAFKA_OFFSET_BEGINNING;
        break;
    case LS_START_END:
        off = RD_KAFKA_OFFSET_END;
        break;
    case LS_START_OFFSET:
        off = c->start_value;
        break;
    case LS_START_TIMESTAMP: {
        for (int i = 0; i < parts->cnt; i++)
            parts->elems[i].offset = c->start_value;
        rd_kafka_resp_err_t err =
            rd_kafka_offsets_for_times(c->rk, parts, 10000);
        if (err)
            return ls__kafka_error(err, "looking up offsets for time %lld",
                                   (long long)c->start_value);
        return NULL;
    }
    default:
        off = RD_KAFKA_OFFSET_STORED;
    }
    for (int i = 0; i < parts->cnt; i++)
        parts->elems[i].offset = off;
    return NULL;
}

static void set_pending(ls_consumer_t *c, ls_error_t *err)
{
    if (!err)
        return;
    if (c->pending)
        ls_error_destroy(err);
    else
        c->pending = err;
}

static void do_assign(ls_consumer_t *c, rd_kafka_topic_partition_list_t *parts,
                      int cooperative)
{
    ls_error_t *err = apply_start(c, parts);
    if (!err && c->cb)
        err = c->cb(c->cb_opaque, LS_REBALANCE_ASSIGN,
                    (ls_partition_list_t *)parts);
    if (err) {
        /* Do not fetch partitions whose sink could not prepare them. */
        set_pending(c, ls_error_set_retriable(err, 0));
        return;
    }
    for (int i = 0; i < parts->cnt; i++)
        parts_add(c, parts->elems[i].topic, parts->elems[i].partition);
    rd_kafka_error_t *e = NULL;
    rd_kafka_resp_err_t re = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!c->has_group)
        re = rd_kafka_assign(c->rk, parts);
    else if (cooperative)
        e = rd_kafka_incremental_assign(c->rk, parts);
    else
        re = rd_kafka_assign(c->rk, parts);
    if (e) {
        set_pending(c, ls_error_set_kafka_code(
                           ls_error_new(LS_ERR_KAFKA, "assign: %s",
                                        rd_kafka_error_string(e)),
                           rd_kafka_error_code(e)));
        rd_kafka_error_destroy(e);
    } else if (re) {
        set_pending(c, ls__kafka_error(re, "assign"));
    }
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    ls_consumer_t *c = opaque;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    ls_metric_add(c->m_rebal, 1);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        do_assign(c, parts, cooperative);
        metrics_refresh(c);
        return;
    }
    /* Revoke (or error): let the sink flush or discard first. */
    if (c->cb) {
        ls_rebalance_t kind = rd_kafka_assignment_lost(rk)
                                  ? LS_REBALANCE_LOST
                                  : LS_REBALANCE_REVOKE;
        ls_error_t *e = c->cb(c->cb_opaque, kind, (ls_partition_list_t *)parts);
        ls_error_destroy(e); /* revocation happens regardless */
    }
    if (cooperative) {
        for (int i = 0; i < parts->cnt; i++)
            parts_remove(c, parts->elems[i].topic, parts->elems[i].partition);
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        parts_clear(c);
        rd_kafka_assign(rk, NULL);
    }
    metrics_refresh(c);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque)
{
    ls_consumer_t *c = opaque;
    snprintf(c->broker_error, sizeof(c->broker_error), "%s", reason);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof(buf));
        c->fatal = 1;
        set_pending(c, ls_error_set_kafka_code(
                           ls_error_new(LS_ERR_KAFKA, "fatal consumer error: %s",
                                        buf),
                           orig));
    } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        set_pending(c, ls_error_set_retriable(
                           ls_error_set_kafka_code(
                               ls_error_new(LS_ERR_TRANSPORT,
                                            "all brokers are down: %s",
                                            reason),
                               err),
                           1));
    }
}

static ls_error_t *parse_start(ls_consumer_t *c, const char *s)
{
    if (!strcmp(s, "committed"))
        return ls_consumer_set_start(c, LS_START_COMMITTED, 0);
    if (!strcmp(s, "beginning"))
        return ls_consumer_set_start(c, LS_START_BEGINNING, 0);
    if (!strcmp(s, "end"))
        return ls_consumer_set_start(c, LS_START_END, 0);
    if (s[0] == '@')
        return ls_consumer_set_start(c, LS_START_TIMESTAMP,
                                     strtoll(s + 1, NULL, 10));
    return ls_consumer_set_start(c, LS_START_OFFSET, strtoll(s, NULL, 10));
}

ls_error_t *ls_consumer_new(ls_consumer_t **out, ls_conf_t *conf)
{
    char errstr[512], buf[256];
    if (!out || !conf)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_consumer_new: out and conf are required");
    *out = NULL;
    ls_consumer_t *c = calloc(1, sizeof(*c));
    if (!c)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    ls__conf_kafka_get(conf, "bootstrap.servers", c->brokers,
                       sizeof(c->brokers));
    ls__conf_kafka_get(conf, "group.id", buf, sizeof(buf));
    c->has_group = buf[0] != '\0';
    snprintf(c->group, sizeof(c->group), "%s", buf);
    ls_error_t *err = parse_start(c, ls_conf_get(conf, "consumer.start"));
    if (err) {
        ls_consumer_destroy(c);
        return err;
    }
    c->stop_at_end = ls__conf_bool(conf, "consumer.stop.at.end");

    rd_kafka_conf_t *rc = ls__conf_kafka_dup(conf);
    if (!rc) {
        ls_consumer_destroy(c);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    ls__conf_kafka_default(conf, rc, "enable.auto.commit", "false");
    ls__conf_kafka_default(conf, rc, "enable.auto.offset.store", "false");
    ls__conf_kafka_default(conf, rc, "auto.offset.reset", "earliest");
    rd_kafka_conf_set(rc, "enable.partition.eof", "true", errstr,
                      sizeof(errstr));
    if (!c->has_group) {
        /* librdkafka's assign() needs a group id even when no group is
         * joined; this one is never joined nor committed to. */
        snprintf(buf, sizeof(buf), "ls-nogroup-%p", (void *)c);
        rd_kafka_conf_set(rc, "group.id", buf, errstr, sizeof(errstr));
    }
    rd_kafka_conf_set_rebalance_cb(rc, on_rebalance);
    rd_kafka_conf_set_error_cb(rc, on_error);
    ls__conf_kafka_quiet(conf, rc);
    rd_kafka_conf_set_opaque(rc, c);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, rc, errstr, sizeof(errstr));
    if (!c->rk) {
        rd_kafka_conf_destroy(rc);
        ls_consumer_destroy(c);
        return ls_error_new(LS_ERR_KAFKA, "cannot create consumer: %s",
                            errstr);
    }
    rd_kafka_poll_set_consumer(c->rk);
    c->q = rd_kafka_queue_get_consumer(c->rk);
    ls_conf_destroy(conf);
    *out = c;
    return NULL;
}

void ls_consumer_set_rebalance_cb(ls_consumer_t *c, ls_rebalance_cb_t *cb,
                                  void *opaque)
{
    if (!c)
        return;
    c->cb = cb;
    c->cb_opaque = opaque;
}

ls_error_t *ls_consumer_set_start(ls_consumer_t *c, ls_start_t how,
                                  int64_t value)
{
    if (!c || how < LS_START_COMMITTED || how > LS_START_TIMESTAMP ||
        ((how == LS_START_OFFSET || how == LS_START_TIMESTAMP) && value < 0))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid start position %d/%lld: expected an "
                            "offset or time >= 0",
                            (int)how, (long long)value);
    c->start = how;
    c->start_value = value;
    return NULL;
}

void ls_consumer_set_stop_at_end(ls_consumer_t *c, int on)
{
    if (c)
        c->stop_at_end = !!on;
}

/* No group: assign every partition of each topic from metadata. */
static ls_error_t *assign_all(ls_consumer_t *c, const char *const *topics,
                              size_t count)
{
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(16);
    ls_error_t *err = NULL;
    for (size_t i = 0; i < count && !err; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, topics[i], NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t re =
            rd_kafka_metadata(c->rk, 0, rkt, &md, 10000);
        if (re) {
            err = ls__kafka_error(re, "metadata for topic \"%s\"", topics[i]);
            if (re == RD_KAFKA_RESP_ERR__TRANSPORT ||
                re == RD_KAFKA_RESP_ERR__TIMED_OUT)
                err = ls_error_prefix(err, "cannot reach brokers %s%s%s",
                                      c->brokers[0] ? c->brokers : "(none set)",
                                      c->broker_error[0] ? ": " : "",
                                      c->broker_error);
        } else if (md->topic_cnt < 1 || md->topics[0].err ||
                   md->topics[0].partition_cnt == 0) {
            err = ls_error_new(LS_ERR_NOT_FOUND,
                               "topic \"%s\" does not exist%s%s", topics[i],
                               md->topic_cnt && md->topics[0].err ? ": " : "",
                               md->topic_cnt && md->topics[0].err
                                   ? rd_kafka_err2str(md->topics[0].err)
                                   : "");
        } else {
            for (int p = 0; p < md->topics[0].partition_cnt; p++)
                rd_kafka_topic_partition_list_add(
                    parts, topics[i], md->topics[0].partitions[p].id);
        }
        if (md)
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
    }
    if (!err) {
        do_assign(c, parts, 0);
        err = c->pending;
        c->pending = NULL;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return err;
}

ls_error_t *ls_consumer_subscribe(ls_consumer_t *c, const char *const *topics,
                                  size_t count)
{
    if (!c || !topics || !count)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_consumer_subscribe: at least one topic is "
                            "required");
    for (size_t i = 0; i < count; i++) {
        if (!topics[i] || (topics[i][0] != '^' && !ls__topic_name_valid(topics[i])))
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid topic name \"%s\": expected 1 to 249 "
                                "characters of a-z A-Z 0-9 . _ - (or a regex "
                                "starting with ^)",
                                topics[i] ? topics[i] : "(null)");
        if (topics[i][0] == '^' && !c->has_group)
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "topic pattern \"%s\" needs a consumer group "
                                "(group.id)",
                                topics[i]);
    }
    if (!c->has_group)
        return assign_all(c, topics, count);
    rd_kafka_topic_partition_list_t *l =
        rd_kafka_topic_partition_list_new((int)count);
    for (size_t i = 0; i < count; i++)
        rd_kafka_topic_partition_list_add(l, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t re = rd_kafka_subscribe(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    return re ? ls__kafka_error(re, "subscribe") : NULL;
}

/* Handle one message from librdkafka: 1 if it is an event for the caller,
 * 0 if consumed internally, -1 if it is an error (stored in *err). */
static int take(ls_consumer_t *c, rd_kafka_message_t *m, ls_error_t **err)
{
    if (!m->err) {
        part_t *p = parts_find(c, m);
        if (p && p->eof) {
            p->eof = 0;
            c->neof--;
        }
        return 1;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        part_t *p = parts_find(c, m);
        if (p && !p->eof) {
            p->eof = 1;
            c->neof++;
        }
        rd_kafka_message_destroy(m);
        return 0;
    }
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
    ls_error_t *e;
    if (topic)
        e = ls_error_new(LS_ERR_KAFKA, "consumer: topic \"%s\" [%d]: %s",
                         topic, (int)m->partition, rd_kafka_message_errstr(m));
    else
        e = ls_error_new(LS_ERR_KAFKA, "consumer: %s",
                         rd_kafka_message_errstr(m));
    ls_error_set_kafka_code(e, m->err);
    int fatal = m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
                m->err == RD_KAFKA_RESP_ERR__FATAL;
    ls_error_set_retriable(e, !fatal);
    rd_kafka_message_destroy(m);
    *err = e;
    return -1;
}

ls_error_t *ls_consumer_poll(ls_consumer_t *c, ls_event_t **events,
                             size_t max, int timeout_ms, size_t *count)
{
    size_t n = 0;
    ls_error_t *err = NULL;
    if (count)
        *count = 0;
    if (!c || !events || !max || !count)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_consumer_poll: consumer, events, max and "
                            "count are required");
    if (c->closed)
        return ls_error_new(LS_ERR_STATE, "ls_consumer_poll: consumer is "
                                          "closed");
    if (c->pending) {
        err = c->pending;
        c->pending = NULL;
        return err;
    }
    /* Block for the first message only, then take what is ready. */
    rd_kafka_message_t *first = rd_kafka_consume_queue(c->q, timeout_ms);
    rd_kafka_message_t **msgs = (rd_kafka_message_t **)events;
    if (first) {
        int r = take(c, first, &err);
        if (r == 1)
            msgs[n++] = first;
        while (!err && n < max) {
            ssize_t got =
                rd_kafka_consume_batch_queue(c->q, 0, msgs + n, max - n);
            if (got <= 0)
                break;
            size_t end = n + (size_t)got, w = n;
            for (size_t i = n; i < end; i++) {
                ls_error_t *later = NULL;
                /* After an error, later events still go to the caller
                 * (librdkafka cannot take them back); later errors are
                 * dropped, since the first one is being reported. */
                r = take(c, msgs[i], err ? &later : &err);
                ls_error_destroy(later);
                if (r == 1)
                    msgs[w++] = msgs[i];
            }
            n = w;
        }
    }
    *count = n;
    if (c->mc) {
        if (n) {
            uint64_t bytes = 0;
            for (size_t i = 0; i < n; i++)
                bytes += msgs[i]->len;
            ls_metric_add(c->m_recv, n);
            ls_metric_add(c->m_bytes, bytes);
        }
        if (ls__mono() >= c->m_next_refresh)
            metrics_refresh(c);
    }
    if (!err && c->pending) {
        err = c->pending;
        c->pending = NULL;
    }
    return err;
}

int ls_consumer_at_end(const ls_consumer_t *c)
{
    return c && c->nparts > 0 && c->neof == c->nparts;
}

ls_error_t *ls_consumer_commit(ls_consumer_t *c, const char *topic,
                               int32_t partition, int64_t next_offset)
{
    if (!c || !topic || next_offset < 0)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_consumer_commit: invalid topic or offset %lld",
                            (long long)next_offset);
    if (!c->has_group)
        return ls_error_new(LS_ERR_STATE,
                            "commit of %s [%d]: no consumer group (group.id)",
                            topic, (int)partition);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset =
        next_offset;
    rd_kafka_resp_err_t re = rd_kafka_commit(c->rk, l, 0);
    if (!re && l->elems[0].err)
        re = l->elems[0].err;
    rd_kafka_topic_partition_list_destroy(l);
    if (re)
        return ls__kafka_error(re, "commit of %s [%d] at offset %lld", topic,
                               (int)partition, (long long)next_offset);
    part_t *p = parts_lookup(c, topic, partition);
    if (p)
        p->committed = next_offset;
    ls_metric_add(c->m_commits, 1);
    return NULL;
}

ls_error_t *ls_consumer_store(ls_consumer_t *c, const ls_event_t *ev)
{
    if (!c || !ev)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_consumer_store: no event");
    const rd_kafka_message_t *m = EV(ev);
    rd_kafka_resp_err_t re = rd_kafka_offset_store(m->rkt, m->partition,
                                                   m->offset);
    if (!re && c->mc) {
        part_t *p = parts_find(c, m);
        if (p)
            p->stored = m->offset + 1;
    }
    if (re)
        return ls__kafka_error(re, "store offset %s [%d] %lld",
                               rd_kafka_topic_name(m->rkt), (int)m->partition,
                               (long long)m->offset);
    return NULL;
}

ls_error_t *ls_consumer_commit_stored(ls_consumer_t *c, int async)
{
    if (!c || !c->has_group)
        return NULL;
    rd_kafka_resp_err_t re = rd_kafka_commit(c->rk, NULL, async);
    if (re && re != RD_KAFKA_RESP_ERR__NO_OFFSET)
        return ls__kafka_error(re, "commit");
    if (!re && c->mc) {
        /* Async: counted as committed once handed to librdkafka. */
        for (size_t i = 0; i < c->nparts; i++)
            if (c->parts[i].stored >= 0)
                c->parts[i].committed = c->parts[i].stored;
        ls_metric_add(c->m_commits, 1);
    }
    return NULL;
}

ls_error_t *ls_consumer_lag(ls_consumer_t *c, int timeout_ms, ls_lag_cb_t *cb,
                            void *opaque)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (!c || !cb)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_consumer_lag: no callback");
    rd_kafka_resp_err_t re = rd_kafka_assignment(c->rk, &l);
    if (re)
        return ls__kafka_error(re, "assignment");
    if (c->has_group && l->cnt &&
        (re = rd_kafka_committed(c->rk, l, timeout_ms))) {
        rd_kafka_topic_partition_list_destroy(l);
        return ls__kafka_error(re, "committed offsets");
    }
    ls_error_t *err = NULL;
    for (int i = 0; i < l->cnt && !err; i++) {
        int64_t lo = 0, hi = 0;
        re = rd_kafka_query_watermark_offsets(c->rk, l->elems[i].topic,
                                              l->elems[i].partition, &lo, &hi,
                                              timeout_ms);
        if (re) {
            err = ls__kafka_error(re, "watermarks of %s [%d]",
                                  l->elems[i].topic,
                                  (int)l->elems[i].partition);
            break;
        }
        int64_t committed = c->has_group ? l->elems[i].offset : -1;
        int64_t base = committed >= 0 ? committed : lo;
        cb(opaque, l->elems[i].topic, l->elems[i].partition, committed, hi,
           hi - base);
    }
    rd_kafka_topic_partition_list_destroy(l);
    return err;
}

ls_error_t *ls_consumer_seek(ls_consumer_t *c, const char *topic,
                             int32_t partition, int64_t offset)
{
    if (!c || !topic || offset < 0)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_consumer_seek: invalid topic or offset %lld",
                            (long long)offset);
    if (!parts_lookup(c, topic, partition))
        return ls_error_new(LS_ERR_NOT_FOUND, "seek %s [%d] to %lld: not "
                            "assigned", topic, (int)partition,
                            (long long)offset);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
    rd_kafka_error_t *e = rd_kafka_seek_partitions(c->rk, l, 5000);
    rd_kafka_resp_err_t re = e ? rd_kafka_error_code(e) : l->elems[0].err;
    ls_error_t *err = NULL;
    if (e || re)
        err = ls_error_set_kafka_code(
            ls_error_new(LS_ERR_KAFKA, "seek %s [%d] to %lld: %s", topic,
                         (int)partition, (long long)offset,
                         e ? rd_kafka_error_string(e) : rd_kafka_err2str(re)),
            re);
    if (e)
        rd_kafka_error_destroy(e);
    rd_kafka_topic_partition_list_destroy(l);
    part_t *pt;
    if (!err && (pt = parts_lookup(c, topic, partition)) && pt->eof) {
        pt->eof = 0; /* no longer at its end */
        c->neof--;
    }
    return err;
}

int64_t ls_consumer_pending(ls_consumer_t *c)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (!c || rd_kafka_assignment(c->rk, &l))
        return -1;
    int64_t total = l->cnt ? 0 : -1;
    if (l->cnt && !rd_kafka_position(c->rk, l)) {
        for (int i = 0; i < l->cnt; i++) {
            int64_t lo = -1, hi = -1;
            if (rd_kafka_get_watermark_offsets(c->rk, l->elems[i].topic,
                                               l->elems[i].partition, &lo,
                                               &hi) || hi < 0) {
                total = -1;
                break;
            }
            int64_t pos = l->elems[i].offset >= 0 ? l->elems[i].offset : lo;
            if (hi > pos)
                total += hi - pos;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return total;
}

ls_error_t *ls_consumer_pause_all(ls_consumer_t *c, int pause)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (!c)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_consumer_pause_all: "
                                                "no consumer");
    rd_kafka_resp_err_t re = rd_kafka_assignment(c->rk, &l);
    if (!re && l->cnt)
        re = pause ? rd_kafka_pause_partitions(c->rk, l)
                   : rd_kafka_resume_partitions(c->rk, l);
    if (l)
        rd_kafka_topic_partition_list_destroy(l);
    return re ? ls__kafka_error(re, "%s partitions", pause ? "pause" : "resume")
              : NULL;
}

ls_error_t *ls_consumer_close(ls_consumer_t *c)
{
    if (!c || c->closed)
        return NULL;
    c->closed = 1;
    rd_kafka_resp_err_t re = rd_kafka_consumer_close(c->rk);
    if (re)
        return ls__kafka_error(re, "consumer close");
    return NULL;
}

void ls_consumer_destroy(ls_consumer_t *c)
{
    if (!c)
        return;
    if (c->rk && !c->closed) {
        c->closed = 1;
        rd_kafka_consumer_close(c->rk);
    }
    if (c->q)
        rd_kafka_queue_destroy(c->q);
    if (c->rk)
        rd_kafka_destroy(c->rk);
    parts_clear(c);
    free(c->parts);
    ls_error_destroy(c->pending);
    free(c);
}
