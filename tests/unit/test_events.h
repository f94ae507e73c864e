/* libstream unit tests: real events without a real broker.
 *
 * An ls_event_t is a librdkafka message, and librdkafka has no public
 * constructor for one, so the tests make real messages: a producer writes
 * records to librdkafka's in-process mock cluster and a consumer reads
 * them back (a few hundred ms per batch).  Usage:
 *
 *   te_env_t *env = te_env_new();
 *   ls_event_t *evs[2];
 *   te_rec_t recs[2] = {{.value = "a", .value_len = 1}, ...};
 *   te_make(env, "orders", 0, recs, 2, evs);   (returns 0 on success)
 *   ... ls_event_destroy() every event ...
 *   te_env_destroy(env);
 *
 * Every event must be destroyed before te_env_destroy(): librdkafka's
 * rd_kafka_destroy() waits for outstanding messages, so a leaked event
 * shows up as a hang at teardown.  Topics are created with TE_PARTITIONS
 * partitions.  The first te_make() of a process takes about 1 s (the
 * consumer's first connection), later ones about 10 ms.
 */
#ifndef LS_TEST_EVENTS_H
#define LS_TEST_EVENTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "libstream/event.h"

#define TE_PARTITIONS 8
#define TE_UNUSED __attribute__((unused))

/* One record to make.  A NULL key or value makes a null one. */
typedef struct {
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    int64_t timestamp; /* 0: now */
    const ls_header_t *headers;
    size_t header_count;
} te_rec_t;

typedef struct {
    rd_kafka_t *owner; /* holds the mock cluster */
    rd_kafka_mock_cluster_t *mc;
    rd_kafka_t *prod;
    rd_kafka_t *cons;
} te_env_t;

static void te_quiet_log(const rd_kafka_t *rk, int level, const char *fac,
                         const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

static rd_kafka_t *te_client(rd_kafka_type_t type, const char *bootstraps)
{
    char err[512];
    static const char *const prod_props[][2] = {{"linger.ms", "0"}};
    static const char *const cons_props[][2] = {
        {"group.id", "ls-unit-tests"},
        {"enable.auto.commit", "false"},
        {"fetch.wait.max.ms", "10"},
    };
    const char *const(*props)[2] =
        type == RD_KAFKA_CONSUMER ? cons_props : prod_props;
    size_t nprops = type == RD_KAFKA_CONSUMER
                        ? sizeof(cons_props) / sizeof(cons_props[0])
                        : sizeof(prod_props) / sizeof(prod_props[0]);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, te_quiet_log);
    if (bootstraps &&
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err,
                          sizeof(err)) != RD_KAFKA_CONF_OK)
        goto fail;
    for (size_t i = 0; i < nprops; i++)
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err,
                              sizeof(err)) != RD_KAFKA_CONF_OK)
            goto fail;
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "test_events: rd_kafka_new: %s\n", err);
        return NULL;
    }
    return rk;
fail:
    fprintf(stderr, "test_events: config: %s\n", err);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

TE_UNUSED static void te_env_destroy(te_env_t *env)
{
    if (!env)
        return;
    if (env->cons) {
        rd_kafka_consumer_close(env->cons);
        rd_kafka_destroy(env->cons);
    }
    if (env->prod)
        rd_kafka_destroy(env->prod);
    if (env->mc)
        rd_kafka_mock_cluster_destroy(env->mc);
    if (env->owner)
        rd_kafka_destroy(env->owner);
    free(env);
}

TE_UNUSED static te_env_t *te_env_new(void)
{
    te_env_t *env = calloc(1, sizeof(*env));
    if (!env)
        return NULL;
    env->owner = te_client(RD_KAFKA_PRODUCER, NULL);
    if (env->owner)
        env->mc = rd_kafka_mock_cluster_new(env->owner, 1);
    if (env->mc) {
        const char *bs = rd_kafka_mock_cluster_bootstraps(env->mc);
        env->prod = te_client(RD_KAFKA_PRODUCER, bs);
        env->cons = te_client(RD_KAFKA_CONSUMER, bs);
    }
    if (!env->prod || !env->cons) {
        te_env_destroy(env);
        return NULL;
    }
    return env;
}

/* Make n events in topic/partition from recs (one each, in order) into
 * out[].  Returns 0, or -1 (nothing left allocated) on failure. */
TE_UNUSED static int te_make(te_env_t *env, const char *topic,
                             int32_t partition, const te_rec_t *recs,
                             size_t n, ls_event_t **out)
{
    int64_t lo = 0, hi = 0;
    size_t got = 0;
    rd_kafka_resp_err_t err;

    /* Fails harmlessly when the topic exists. */
    rd_kafka_mock_topic_create(env->mc, topic, TE_PARTITIONS, 1);
    err = rd_kafka_query_watermark_offsets(env->prod, topic, partition, &lo,
                                           &hi, 10000);
    if (err) {
        fprintf(stderr, "test_events: watermarks: %s\n", rd_kafka_err2str(err));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const te_rec_t *r = &recs[i];
        rd_kafka_headers_t *hdrs = NULL;
        if (r->header_count) {
            hdrs = rd_kafka_headers_new(r->header_count);
            for (size_t h = 0; h < r->header_count; h++)
                rd_kafka_header_add(hdrs, r->headers[h].name, -1,
                                    r->headers[h].value,
                                    r->headers[h].value
                                        ? (ssize_t)r->headers[h].size
                                        : 0);
        }
        for (;;) {
            err = rd_kafka_producev(
                env->prod, RD_KAFKA_V_TOPIC(topic),
                RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(r->key, r->key ? r->key_len : 0),
                RD_KAFKA_V_VALUE((void *)r->value,
                                 r->value ? r->value_len : 0),
                RD_KAFKA_V_TIMESTAMP(r->timestamp),
                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(env->prod, 10);
        }
        if (err) {
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            fprintf(stderr, "test_events: produce: %s\n",
                    rd_kafka_err2str(err));
            return -1;
        }
    }
    if (rd_kafka_flush(env->prod, 30000)) {
        fprintf(stderr, "test_events: flush timed out\n");
        return -1;
    }

    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, topic, partition)->offset = hi;
    err = rd_kafka_assign(env->cons, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    if (err) {
        fprintf(stderr, "test_events: assign: %s\n", rd_kafka_err2str(err));
        return -1;
    }
    time_t give_up = time(NULL) + 60;
    while (got < n && time(NULL) < give_up) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(env->cons, 100);
        if (!m)
            continue;
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        out[got++] = (ls_event_t *)m;
    }
    rd_kafka_assign(env->cons, NULL);
    if (got < n) {
        fprintf(stderr, "test_events: consumed %zu of %zu\n", got, n);
        for (size_t i = 0; i < got; i++)
            ls_event_destroy(out[i]);
        return -1;
    }
    return 0;
}

/* n events with value "<prefix><i>" (and key "k<i>"). */
TE_UNUSED static int te_make_seq(te_env_t *env, const char *topic,
                                 int32_t partition, const char *prefix,
                                 size_t n, ls_event_t **out)
{
    te_rec_t *recs = calloc(n ? n : 1, sizeof(*recs));
    char *text = calloc(n ? n : 1, 64);
    if (!recs || !text) {
        free(recs);
        free(text);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char *v = text + i * 64;
        int vl = snprintf(v, 32, "%s%zu", prefix, i);
        int kl = snprintf(v + 32, 32, "k%zu", i);
        recs[i].value = v;
        recs[i].value_len = (size_t)vl;
        recs[i].key = v + 32;
        recs[i].key_len = (size_t)kl;
    }
    int rc = te_make(env, topic, partition, recs, n, out);
    free(recs);
    free(text);
    return rc;
}

#endif
