/* libstream: producer over librdkafka with counted delivery reports. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "event_int.h"
#include "libstream/producer.h"

struct ls_producer_s {
    rd_kafka_t *rk;
    ls_delivery_cb_t *cb;
    void *cb_opaque;
    atomic_uint_fast64_t sent, delivered, failed;
    pthread_mutex_t lock; /* guards first_error and broker_error */
    char *first_error;
    char broker_error[512]; /* last connection-level error, for context */
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    ls_producer_t *p = opaque;
    (void)rk;
    if (!m->err) {
        atomic_fetch_add(&p->delivered, 1);
        if (p->cb)
            p->cb(p->cb_opaque, TO_EVENT(m), NULL, m->_private);
        return;
    }
    atomic_fetch_add(&p->failed, 1);
    pthread_mutex_lock(&p->lock);
    if (!p->first_error) {
        char buf[1024];
        snprintf(buf, sizeof(buf), "delivery to %s [%d] failed: %s%s%s%s",
                 rd_kafka_topic_name(m->rkt), (int)m->partition,
                 rd_kafka_err2str(m->err),
                 p->broker_error[0] ? " (last broker error: " : "",
                 p->broker_error, p->broker_error[0] ? ")" : "");
        p->first_error = strdup(buf);
    }
    pthread_mutex_unlock(&p->lock);
    if (p->cb) {
        ls_error_t *e = ls__kafka_error(m->err, "delivery to %s [%d]",
                                        rd_kafka_topic_name(m->rkt),
                                        (int)m->partition);
        p->cb(p->cb_opaque, TO_EVENT(m), e, m->_private);
        ls_error_destroy(e);
    }
}

static void on_error(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque)
{
    ls_producer_t *p = opaque;
    (void)rk;
    (void)err;
    pthread_mutex_lock(&p->lock);
    snprintf(p->broker_error, sizeof(p->broker_error), "%s", reason);
    pthread_mutex_unlock(&p->lock);
}

ls_error_t *ls_producer_new(ls_producer_t **out, ls_conf_t *conf)
{
    char errstr[512];
    if (!out || !conf)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_producer_new: out and conf are required");
    *out = NULL;
    ls_producer_t *p = calloc(1, sizeof(*p));
    if (!p)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&p->lock, NULL);
    rd_kafka_conf_t *rc = ls__conf_kafka_dup(conf);
    if (!rc) {
        ls_producer_destroy(p);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    rd_kafka_conf_set_dr_msg_cb(rc, on_delivery);
    rd_kafka_conf_set_error_cb(rc, on_error);
    ls__conf_kafka_quiet(conf, rc);
    rd_kafka_conf_set_opaque(rc, p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, rc, errstr, sizeof(errstr));
    if (!p->rk) {
        rd_kafka_conf_destroy(rc);
        ls_producer_destroy(p);
        return ls_error_new(LS_ERR_KAFKA, "cannot create producer: %s",
                            errstr);
    }
    ls_conf_destroy(conf);
    *out = p;
    return NULL;
}

void ls_producer_set_delivery_cb(ls_producer_t *p, ls_delivery_cb_t *cb,
                                 void *opaque)
{
    if (!p)
        return;
    p->cb = cb;
    p->cb_opaque = opaque;
}

ls_error_t *ls_producer_send(ls_producer_t *p, const ls_message_t *m)
{
    if (!p || !m || !m->topic)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_producer_send: producer, message and topic "
                            "are required");
    if (!ls__topic_name_valid(m->topic))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid topic name \"%s\": expected 1 to 249 "
                            "characters of a-z A-Z 0-9 . _ -",
                            m->topic);
    for (;;) {
        rd_kafka_headers_t *h = NULL;
        if (m->header_count) {
            h = rd_kafka_headers_new(m->header_count);
            for (size_t i = 0; i < m->header_count; i++)
                rd_kafka_header_add(h, m->headers[i].name, -1,
                                    m->headers[i].value,
                                    (ssize_t)m->headers[i].size);
        }
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(m->topic),
            RD_KAFKA_V_PARTITION(m->partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(m->key, m->key_len),
            RD_KAFKA_V_VALUE((void *)m->value, m->value_len),
            RD_KAFKA_V_TIMESTAMP(m->timestamp_ms),
            RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(m->opaque),
            RD_KAFKA_V_END);
        if (!err) {
            atomic_fetch_add(&p->sent, 1);
            return NULL;
        }
        if (h)
            rd_kafka_headers_destroy(h);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return ls__kafka_error(err, "send to topic \"%s\"", m->topic);
        /* Backpressure: serve delivery reports until there is room. */
        rd_kafka_poll(p->rk, 10);
    }
}

int ls_producer_poll(ls_producer_t *p, int timeout_ms)
{
    return p ? rd_kafka_poll(p->rk, timeout_ms) : 0;
}

ls_error_t *ls_producer_prepare(ls_producer_t *p, const char *topic,
                                int timeout_ms)
{
    if (!p || !topic)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_producer_prepare: no producer or topic");
    if (!ls__topic_name_valid(topic))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid topic name \"%s\": expected 1 to 249 "
                            "characters of a-z A-Z 0-9 . _ -", topic);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    if (!rkt)
        return ls__kafka_error(rd_kafka_last_error(), "topic \"%s\"", topic);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t re = rd_kafka_metadata(p->rk, 0, rkt, &md,
                                               timeout_ms < 0 ? 1 << 30
                                                              : timeout_ms);
    if (!re && (md->topic_cnt != 1 || md->topics[0].err))
        re = md->topic_cnt ? md->topics[0].err
                           : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return re ? ls__kafka_error(re, "metadata of topic \"%s\"", topic) : NULL;
}

ls_error_t *ls_producer_flush(ls_producer_t *p, int timeout_ms)
{
    if (!p)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_producer_flush: no producer");
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return ls_error_set_kafka_code(
            ls_error_new(LS_ERR_TIMED_OUT,
                         "flush timed out after %d ms with %d message(s) "
                         "not yet delivered",
                         timeout_ms, rd_kafka_outq_len(p->rk)),
            err);
    if (err)
        return ls__kafka_error(err, "flush");
    /* Serve the last reports that flush may have left queued. */
    rd_kafka_poll(p->rk, 0);
    return NULL;
}

void ls_producer_counts(const ls_producer_t *p, uint64_t *sent,
                        uint64_t *delivered, uint64_t *failed)
{
    if (sent)
        *sent = p ? atomic_load(&p->sent) : 0;
    if (delivered)
        *delivered = p ? atomic_load(&p->delivered) : 0;
    if (failed)
        *failed = p ? atomic_load(&p->failed) : 0;
}

const char *ls_producer_delivery_error(const ls_producer_t *p)
{
    return p ? p->first_error : NULL;
}

void ls_producer_destroy(ls_producer_t *p)
{
    if (!p)
        return;
    if (p->rk) {
        /* Purge what is left so each message gets its (failed) report. */
        rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE |
                                  RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(p->rk, 5000);
        rd_kafka_poll(p->rk, 0);
        rd_kafka_destroy(p->rk);
    }
    pthread_mutex_destroy(&p->lock);
    free(p->first_error);
    free(p);
}
