/* libstream: an embedded Kafka-protocol broker over librdkafka's mock
 * cluster, plus a watcher thread that reports records the mock discards.
 *
 * The mock cluster lives inside an rd_kafka_t (mock_rk) created with
 * test.mock.num.brokers: destroying that handle stops the mock promptly,
 * whereas rd_kafka_mock_cluster_new() + rd_kafka_mock_cluster_destroy()
 * stalls ~1 s on an idle internal broker thread once clients connected
 * (librdkafka 2.0.2).  The watcher uses a second, ordinary client
 * (watch_rk) bootstrapped from the mock's listeners and reads every
 * partition's low watermark.  The mock keeps each partition's newest
 * ~5 MiB only, so a rising low watermark is exactly the number of records
 * it dropped.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "conf_int.h"
#include "libstream/broker.h"

#define BROKERS_MAX 64          /* sanity bound for ls_broker_new() */
#define PARTITIONS_MAX 10000    /* sanity bound for create_topic() */
#define TOPIC_NAME_MAX 249      /* Kafka's limit */
#define WATCH_MIN_MS 100
#define WATCH_QUERY_TIMEOUT_MS 500 /* per metadata/watermark request */

/* Per-topic loss state, touched only by the watcher thread. */
typedef struct {
    char *name;
    int32_t cnt;   /* entries in lost[] */
    int64_t *lost; /* last low watermark seen, per partition id */
} watch_topic_t;

struct ls_broker_s {
    rd_kafka_t *mock_rk;               /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mcluster; /* borrowed from mock_rk */
    char *bootstraps;
    int broker_cnt;

    /* Watcher. */
    rd_kafka_t *watch_rk;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int sync_inited;     /* lock and cond are initialised */
    int thread_started;  /* thread must be joined */
    pthread_t thread;
    atomic_int stop;     /* set (under lock) to end the watcher */
    int interval_ms;
    ls_broker_loss_cb_t *cb;
    void *opaque;
    watch_topic_t *topics;
    size_t topic_cnt;
    _Atomic int64_t total_lost;
};

/* Build a quiet producer handle: a client of bootstraps, or (when
 * bootstraps is NULL) the owner of a new mock cluster of mock_brokers. */
static ls_error_t *make_client(rd_kafka_t **out, const char *what,
                               const char *bootstraps, int mock_brokers)
{
    char num[16];
    char errstr[512];
    const char *key = bootstraps ? "bootstrap.servers"
                                 : "test.mock.num.brokers";
    const char *value = bootstraps ? bootstraps : num;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;

    *out = NULL;
    snprintf(num, sizeof(num), "%d", mock_brokers);
    if (!(conf = rd_kafka_conf_new()))
        return ls_error_new(LS_ERR_NOMEM, "broker: %s: out of memory", what);
    rd_kafka_conf_set_log_cb(conf, ls__kafka_log_drop); /* never print */
    if (rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr))) {
        rd_kafka_conf_destroy(conf);
        return ls_error_new(LS_ERR_KAFKA, "broker: %s: configuration: %s",
                            what, errstr);
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return ls_error_new(LS_ERR_KAFKA, "broker: %s: rd_kafka_new: %s",
                            what, errstr);
    }
    *out = rk;
    return NULL;
}

ls_error_t *ls_broker_new(ls_broker_t **out, int brokers)
{
    ls_broker_t *b;
    ls_error_t *err;
    const char *bs;

    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_broker_new: out must not be NULL");
    *out = NULL;
    if (brokers < 1 || brokers > BROKERS_MAX)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_broker_new: invalid broker count %d: "
                            "expected 1 to %d", brokers, BROKERS_MAX);

    b = calloc(1, sizeof(*b));
    if (!b)
        return ls_error_new(LS_ERR_NOMEM, "ls_broker_new: out of memory");
    atomic_init(&b->stop, 0);
    atomic_init(&b->total_lost, 0);
    b->broker_cnt = brokers;

    if ((err = make_client(&b->mock_rk, "mock cluster", NULL, brokers)))
        goto fail;

    /* Borrowed: owned and destroyed by mock_rk. */
    b->mcluster = rd_kafka_handle_mock_cluster(b->mock_rk);
    if (!b->mcluster) {
        err = ls_error_new(LS_ERR_KAFKA,
                           "ls_broker_new: could not start a mock cluster "
                           "of %d broker(s) on 127.0.0.1", brokers);
        goto fail;
    }
    bs = rd_kafka_mock_cluster_bootstraps(b->mcluster);
    if (!bs || !(b->bootstraps = strdup(bs))) {
        err = ls_error_new(LS_ERR_NOMEM, "ls_broker_new: out of memory");
        goto fail;
    }

    {
        pthread_condattr_t ca;
        if (pthread_condattr_init(&ca)) {
            err = ls_error_new(LS_ERR_NOMEM, "ls_broker_new: out of memory");
            goto fail;
        }
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (pthread_mutex_init(&b->lock, NULL)) {
            pthread_condattr_destroy(&ca);
            err = ls_error_new(LS_ERR_GENERIC,
                               "ls_broker_new: pthread_mutex_init failed");
            goto fail;
        }
        if (pthread_cond_init(&b->cond, &ca)) {
            pthread_condattr_destroy(&ca);
            pthread_mutex_destroy(&b->lock);
            err = ls_error_new(LS_ERR_GENERIC,
                               "ls_broker_new: pthread_cond_init failed");
            goto fail;
        }
        pthread_condattr_destroy(&ca);
        b->sync_inited = 1;
    }

    *out = b;
    return NULL;

fail:
    ls_broker_destroy(b);
    return err;
}

const char *ls_broker_bootstraps(const ls_broker_t *b)
{
    return b ? b->bootstraps : NULL;
}

/* Kafka's topic name rule: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
static ls_error_t *check_topic_name(const char *topic)
{
    size_t len, i;

    if (!topic)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "create topic: topic name must not be NULL");
    len = strlen(topic);
    if (len == 0)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "create topic: invalid topic name '': expected "
                            "1 to %d characters", TOPIC_NAME_MAX);
    if (len > TOPIC_NAME_MAX)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "create topic: invalid topic name '%.40s...': "
                            "%zu characters, expected at most %d",
                            topic, len, TOPIC_NAME_MAX);
    if (!strcmp(topic, ".") || !strcmp(topic, ".."))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "create topic: invalid topic name '%s': "
                            "'.' and '..' are not allowed", topic);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)topic[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
            continue;
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "create topic: invalid topic name '%s': "
                            "character %zu (0x%02x) is not one of "
                            "[a-zA-Z0-9._-]", topic, i + 1, c);
    }
    return NULL;
}

ls_error_t *ls_broker_create_topic(ls_broker_t *b, const char *topic,
                                   int partitions)
{
    rd_kafka_resp_err_t kerr;
    ls_error_t *err;

    if (!b)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "create topic: broker must not be NULL");
    if ((err = check_topic_name(topic)))
        return err;
    if (partitions < 1 || partitions > PARTITIONS_MAX)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "create topic %s: invalid partition count %d: "
                            "expected 1 to %d", topic, partitions,
                            PARTITIONS_MAX);

    kerr = rd_kafka_mock_topic_create(b->mcluster, topic, partitions, 1);
    if (kerr)
        return ls_error_set_kafka_code(
            ls_error_new(LS_ERR_KAFKA, "create topic %s (%d partitions): %s",
                         topic, partitions, rd_kafka_err2str(kerr)),
            (int)kerr);
    return NULL;
}

/* Take one broker or all (-1) down or up. */
static ls_error_t *set_state(ls_broker_t *b, int broker_id, int up)
{
    const char *what = up ? "set broker up" : "set broker down";
    int id, first, last;

    if (!b)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s: broker must not be NULL",
                            what);
    if (broker_id != -1 && (broker_id < 1 || broker_id > b->broker_cnt))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "%s: invalid broker id %d: expected 1 to %d, "
                            "or -1 for all", what, broker_id, b->broker_cnt);
    first = broker_id == -1 ? 1 : broker_id;
    last = broker_id == -1 ? b->broker_cnt : broker_id;
    for (id = first; id <= last; id++) {
        rd_kafka_resp_err_t kerr =
            up ? rd_kafka_mock_broker_set_up(b->mcluster, id)
               : rd_kafka_mock_broker_set_down(b->mcluster, id);
        if (kerr)
            return ls_error_set_kafka_code(
                ls_error_new(LS_ERR_KAFKA, "%s %d: %s", what, id,
                             rd_kafka_err2str(kerr)),
                (int)kerr);
    }
    return NULL;
}

ls_error_t *ls_broker_set_down(ls_broker_t *b, int broker_id)
{
    return set_state(b, broker_id, 0);
}

ls_error_t *ls_broker_set_up(ls_broker_t *b, int broker_id)
{
    return set_state(b, broker_id, 1);
}

/* The watcher's state for topic name with at least cnt partitions, or
 * NULL on allocation failure. */
static watch_topic_t *watch_topic_get(ls_broker_t *b, const char *name,
                                      int32_t cnt)
{
    watch_topic_t *t = NULL;
    size_t i;

    for (i = 0; i < b->topic_cnt; i++) {
        if (!strcmp(b->topics[i].name, name)) {
            t = &b->topics[i];
            break;
        }
    }
    if (!t) {
        watch_topic_t *nt = realloc(b->topics,
                                    (b->topic_cnt + 1) * sizeof(*nt));
        char *dup;
        if (!nt)
            return NULL;
        b->topics = nt;
        if (!(dup = strdup(name)))
            return NULL;
        t = &b->topics[b->topic_cnt++];
        t->name = dup;
        t->cnt = 0;
        t->lost = NULL;
    }
    if (cnt > t->cnt) {
        int64_t *nl = realloc(t->lost, (size_t)cnt * sizeof(*nl));
        if (!nl)
            return NULL;
        memset(nl + t->cnt, 0, (size_t)(cnt - t->cnt) * sizeof(*nl));
        t->lost = nl;
        t->cnt = cnt;
    }
    return t;
}

/* One pass: list all topics, compare each partition's low watermark with
 * the last one seen, report rises. */
static void watch_scan(ls_broker_t *b)
{
    const struct rd_kafka_metadata *md = NULL;
    int i, j;

    if (rd_kafka_metadata(b->watch_rk, 1, NULL, &md,
                          WATCH_QUERY_TIMEOUT_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;

    for (i = 0; i < md->topic_cnt && !atomic_load(&b->stop); i++) {
        const rd_kafka_metadata_topic_t *mt = &md->topics[i];
        int32_t maxid = -1;
        watch_topic_t *t;

        if (!mt->topic || mt->partition_cnt <= 0)
            continue;
        for (j = 0; j < mt->partition_cnt; j++)
            if (mt->partitions[j].id > maxid)
                maxid = mt->partitions[j].id;
        if (maxid < 0 || !(t = watch_topic_get(b, mt->topic, maxid + 1)))
            continue;

        for (j = 0; j < mt->partition_cnt && !atomic_load(&b->stop); j++) {
            int32_t pid = mt->partitions[j].id;
            int64_t lo = -1, hi = -1, total;

            if (pid < 0 ||
                rd_kafka_query_watermark_offsets(b->watch_rk, mt->topic, pid,
                                                 &lo, &hi,
                                                 WATCH_QUERY_TIMEOUT_MS))
                continue;
            if (lo <= t->lost[pid])
                continue;
            total = atomic_fetch_add(&b->total_lost, lo - t->lost[pid]) +
                    (lo - t->lost[pid]);
            t->lost[pid] = lo;
            if (b->cb)
                b->cb(b->opaque, mt->topic, pid, lo, total);
        }
    }
    rd_kafka_metadata_destroy(md);
}

static void *watch_main(void *arg)
{
    ls_broker_t *b = arg;

    pthread_mutex_lock(&b->lock);
    while (!atomic_load(&b->stop)) {
        struct timespec deadline;

        pthread_mutex_unlock(&b->lock);
        watch_scan(b);
        pthread_mutex_lock(&b->lock);

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += b->interval_ms / 1000;
        deadline.tv_nsec += (long)(b->interval_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        while (!atomic_load(&b->stop) &&
               pthread_cond_timedwait(&b->cond, &b->lock, &deadline) !=
                   ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

ls_error_t *ls_broker_watch(ls_broker_t *b, int interval_ms,
                            ls_broker_loss_cb_t *cb, void *opaque)
{
    ls_error_t *err;
    int r;

    if (!b)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "broker watch: broker must not be NULL");
    if (interval_ms < WATCH_MIN_MS)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "broker watch: invalid interval %d ms: expected "
                            "at least %d", interval_ms, WATCH_MIN_MS);

    pthread_mutex_lock(&b->lock);
    if (b->thread_started || b->watch_rk) {
        pthread_mutex_unlock(&b->lock);
        return ls_error_new(LS_ERR_STATE,
                            "broker watch: already watching");
    }
    if ((err = make_client(&b->watch_rk, "loss watcher", b->bootstraps,
                           0))) {
        pthread_mutex_unlock(&b->lock);
        return err;
    }
    b->interval_ms = interval_ms;
    b->cb = cb;
    b->opaque = opaque;
    r = pthread_create(&b->thread, NULL, watch_main, b);
    if (r) {
        rd_kafka_destroy(b->watch_rk);
        b->watch_rk = NULL;
        pthread_mutex_unlock(&b->lock);
        return ls_error_new(LS_ERR_GENERIC,
                            "broker watch: pthread_create: %s", strerror(r));
    }
    b->thread_started = 1;
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

int64_t ls_broker_records_lost(const ls_broker_t *b)
{
    return b ? atomic_load(&((ls_broker_t *)b)->total_lost) : 0;
}

void ls_broker_destroy(ls_broker_t *b)
{
    size_t i;

    if (!b)
        return;

    if (b->sync_inited) {
        int started;

        pthread_mutex_lock(&b->lock);
        atomic_store(&b->stop, 1);
        pthread_cond_broadcast(&b->cond);
        started = b->thread_started;
        pthread_mutex_unlock(&b->lock);
        if (started)
            pthread_join(b->thread, NULL);
        pthread_cond_destroy(&b->cond);
        pthread_mutex_destroy(&b->lock);
    }
    if (b->watch_rk)
        rd_kafka_destroy(b->watch_rk);
    if (b->mock_rk) /* also destroys the mock cluster */
        rd_kafka_destroy(b->mock_rk);

    for (i = 0; i < b->topic_cnt; i++) {
        free(b->topics[i].name);
        free(b->topics[i].lost);
    }
    free(b->topics);
    free(b->bootstraps);
    free(b);
}
