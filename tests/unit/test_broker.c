/* Unit tests for the embedded broker (lib/broker.c): cluster start,
 * topic creation and validation, real librdkafka clients producing and
 * consuming against it, broker down/up, and the loss watcher. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "libstream/broker.h"
#include "libstream/consumer.h"
#include "libstream/producer.h"

/* ---- helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

static ls_broker_t *start_broker(int n)
{
    ls_broker_t *b = NULL;
    ls_error_t *err = ls_broker_new(&b, n);
    if (err)
        fail_msg("ls_broker_new(%d): %s", n, ls_error_message(err));
    assert_non_null(b);
    return b;
}

static void check_ok(ls_error_t *err)
{
    if (err) {
        const char *msg = ls_error_message(err);
        fail_msg("unexpected error: %s", msg);
    }
}

/* A quiet librdkafka client of b; extra key/value pairs, NULL-terminated. */
static rd_kafka_t *make_client(ls_broker_t *b, rd_kafka_type_t type, ...)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *k;
    va_list ap;
    rd_kafka_t *rk;

    rd_kafka_conf_set_log_cb(conf, quiet_log);
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
                                       ls_broker_bootstraps(b), errstr,
                                       sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    va_start(ap, type);
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)))
            fail_msg("conf %s=%s: %s", k, v, errstr);
    }
    va_end(ap);
    rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk)
        fail_msg("rd_kafka_new: %s", errstr);
    return rk;
}

/* Delivery results counted through the producer's opaque. */
typedef struct {
    int ok;
    int failed;
    rd_kafka_resp_err_t last_err;
} dr_count_t;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    dr_count_t *c = opaque;
    (void)rk;
    if (m->err) {
        c->failed++;
        c->last_err = m->err;
    } else {
        c->ok++;
    }
}

static rd_kafka_t *make_producer(ls_broker_t *b, dr_count_t *dr,
                                 const char *msg_timeout_ms)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, dr);
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
                                       ls_broker_bootstraps(b), errstr,
                                       sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "message.timeout.ms",
                                       msg_timeout_ms, errstr,
                                       sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    /* Reconnect quickly after ls_broker_set_up() (the default backoff
     * grows to 10 s while a broker is down). */
    assert_int_equal(rd_kafka_conf_set(conf, "reconnect.backoff.max.ms",
                                       "200", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        fail_msg("rd_kafka_new: %s", errstr);
    return rk;
}

static void produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                    const void *key, size_t klen, const void *val,
                    size_t vlen)
{
    rd_kafka_resp_err_t err;
    double deadline = now_s() + 10;

    while ((err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)val, vlen),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        if (now_s() > deadline)
            fail_msg("producer queue stayed full for 10 s");
        rd_kafka_poll(rk, 10);
    }
    if (err)
        fail_msg("produce to %s [%d]: %s", topic, (int)partition,
                 rd_kafka_err2str(err));
    rd_kafka_poll(rk, 0);
}

/* Number of partitions the cluster reports for topic, or -1. */
static int metadata_partitions(rd_kafka_t *rk, const char *topic)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int cnt = -1;

    assert_non_null(rkt);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && !md->topics[0].err)
            cnt = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    return cnt;
}

/* ---- tests ---- */

/* bootstraps must be n comma-separated 127.0.0.1:PORT entries. */
static void check_bootstraps(const char *bs, int n)
{
    const char *p = bs;
    int cnt = 0;

    assert_non_null(bs);
    while (*p) {
        char *end;
        long port;

        assert_true(strncmp(p, "127.0.0.1:", 10) == 0);
        p += 10;
        port = strtol(p, &end, 10);
        assert_true(end > p);
        assert_true(port > 0 && port < 65536);
        cnt++;
        p = end;
        if (*p == ',')
            p++;
        else
            assert_int_equal(*p, '\0');
    }
    assert_int_equal(cnt, n);
}

static void test_start_one_and_three(void **state)
{
    (void)state;
    ls_broker_t *b1 = start_broker(1);
    ls_broker_t *b3 = start_broker(3);

    check_bootstraps(ls_broker_bootstraps(b1), 1);
    check_bootstraps(ls_broker_bootstraps(b3), 3);
    assert_string_not_equal(ls_broker_bootstraps(b1),
                            ls_broker_bootstraps(b3));
    assert_int_equal(ls_broker_records_lost(b1), 0);

    ls_broker_destroy(b3);
    ls_broker_destroy(b1);
}

static void test_create_topic_metadata(void **state)
{
    (void)state;
    ls_broker_t *b = start_broker(3);
    rd_kafka_t *rk;

    check_ok(ls_broker_create_topic(b, "eight", 8));
    check_ok(ls_broker_create_topic(b, "a.b_c-D9", 1));

    rk = make_client(b, RD_KAFKA_PRODUCER, NULL);
    assert_int_equal(metadata_partitions(rk, "eight"), 8);
    assert_int_equal(metadata_partitions(rk, "a.b_c-D9"), 1);
    rd_kafka_destroy(rk);

    /* Creating it again is a Kafka error carrying the Kafka code. */
    ls_error_t *err = ls_broker_create_topic(b, "eight", 8);
    assert_int_equal(ls_error_code(err), LS_ERR_KAFKA);
    assert_int_equal(ls_error_kafka_code(err),
                     RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
    assert_non_null(strstr(ls_error_message(err), "eight"));
    ls_error_destroy(err);

    ls_broker_destroy(b);
}

/* err must be INVALID_ARG and its message must contain needle. */
static void expect_invalid(ls_error_t *err, const char *needle)
{
    assert_non_null(err);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    if (!strstr(ls_error_message(err), needle))
        fail_msg("message '%s' does not name '%s'", ls_error_message(err),
                 needle);
    ls_error_destroy(err);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    ls_broker_t *b = NULL;
    char longname[260];

    /* Constructor. */
    expect_invalid(ls_broker_new(&b, 0), "0");
    assert_null(b);
    expect_invalid(ls_broker_new(&b, -3), "-3");
    assert_null(b);
    expect_invalid(ls_broker_new(NULL, 1), "NULL");

    b = start_broker(1);

    /* Topic names. */
    expect_invalid(ls_broker_create_topic(b, "bad name", 4), "'bad name'");
    expect_invalid(ls_broker_create_topic(b, "a/b", 4), "'a/b'");
    expect_invalid(ls_broker_create_topic(b, "", 4), "''");
    expect_invalid(ls_broker_create_topic(b, ".", 4), "'.'");
    expect_invalid(ls_broker_create_topic(b, "..", 4), "'..'");
    expect_invalid(ls_broker_create_topic(b, NULL, 4), "NULL");
    memset(longname, 'x', 250);
    longname[250] = '\0';
    expect_invalid(ls_broker_create_topic(b, longname, 4), "250");
    longname[249] = '\0'; /* 249 is the longest legal name */
    check_ok(ls_broker_create_topic(b, longname, 1));

    /* Partition counts. */
    expect_invalid(ls_broker_create_topic(b, "good", 0), "0");
    expect_invalid(ls_broker_create_topic(b, "good", -1), "-1");
    expect_invalid(ls_broker_create_topic(NULL, "good", 1), "NULL");

    /* Broker ids and watch intervals. */
    expect_invalid(ls_broker_set_down(b, 2), "2");
    expect_invalid(ls_broker_set_up(b, 0), "0");
    expect_invalid(ls_broker_watch(b, 50, NULL, NULL), "50");

    /* Watching twice is a state error. */
    check_ok(ls_broker_watch(b, 1000, NULL, NULL));
    ls_error_t *err = ls_broker_watch(b, 1000, NULL, NULL);
    assert_int_equal(ls_error_code(err), LS_ERR_STATE);
    ls_error_destroy(err);

    assert_int_equal(ls_broker_records_lost(NULL), 0);
    assert_null(ls_broker_bootstraps(NULL));
    ls_broker_destroy(NULL);
    ls_broker_destroy(b);
}

static void test_produce_and_consume(void **state)
{
    (void)state;
    enum { N = 200, P = 4 };
    ls_broker_t *b = start_broker(3);
    dr_count_t dr = {0, 0, 0};
    rd_kafka_t *prod, *cons;
    rd_kafka_topic_partition_list_t *parts;
    int64_t total = 0;
    int i, got = 0;
    double deadline;

    check_ok(ls_broker_create_topic(b, "rt", P));
    prod = make_producer(b, &dr, "10000");
    for (i = 0; i < N; i++) {
        char key[16], val[32];
        int kl = snprintf(key, sizeof(key), "k%d", i);
        int vl = snprintf(val, sizeof(val), "value-%d", i);
        produce(prod, "rt", RD_KAFKA_PARTITION_UA, key, (size_t)kl, val,
                (size_t)vl);
    }
    assert_int_equal(rd_kafka_flush(prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(dr.ok, N);
    assert_int_equal(dr.failed, 0);

    for (i = 0; i < P; i++) {
        int64_t lo = -1, hi = -1;
        assert_int_equal(rd_kafka_query_watermark_offsets(prod, "rt", i, &lo,
                                                          &hi, 5000),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(lo, 0);
        total += hi;
    }
    assert_int_equal(total, N);
    rd_kafka_destroy(prod);

    /* Read everything back with assign() (no group join needed). */
    cons = make_client(b, RD_KAFKA_CONSUMER, "group.id", "test-broker",
                       "enable.auto.commit", "false", NULL);
    parts = rd_kafka_topic_partition_list_new(P);
    for (i = 0; i < P; i++)
        rd_kafka_topic_partition_list_add(parts, "rt", i)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(cons, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(parts);
    deadline = now_s() + 15;
    while (got < N && now_s() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 100);
        if (!m)
            continue;
        if (!m->err) {
            assert_true(m->len >= 7 &&
                        memcmp(m->payload, "value-", 6) == 0);
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(got, N);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    ls_broker_destroy(b);
}

static void test_down_and_up(void **state)
{
    (void)state;
    ls_broker_t *b = start_broker(1);
    dr_count_t dr = {0, 0, 0};
    rd_kafka_t *prod;
    double t0, deadline;

    check_ok(ls_broker_create_topic(b, "du", 1));
    prod = make_producer(b, &dr, "1500");

    /* Up: one message goes through. */
    produce(prod, "du", 0, NULL, 0, "a", 1);
    assert_int_equal(rd_kafka_flush(prod, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(dr.ok, 1);

    /* Down: the next one times out (message.timeout.ms 1500). */
    check_ok(ls_broker_set_down(b, 1));
    t0 = now_s();
    produce(prod, "du", 0, NULL, 0, "b", 1);
    deadline = t0 + 6;
    while (dr.failed == 0 && now_s() < deadline)
        rd_kafka_poll(prod, 50);
    assert_int_equal(dr.failed, 1);
    assert_int_equal(dr.ok, 1);
    assert_int_equal(dr.last_err, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);

    /* Up again (all brokers): the next one is delivered. */
    check_ok(ls_broker_set_up(b, -1));
    produce(prod, "du", 0, NULL, 0, "c", 1);
    deadline = now_s() + 10;
    while (dr.ok < 2 && now_s() < deadline)
        rd_kafka_poll(prod, 50);
    assert_int_equal(dr.ok, 2);

    rd_kafka_destroy(prod);
    ls_broker_destroy(b);
}

/* What the loss callback saw, shared with the watcher thread. */
typedef struct {
    pthread_mutex_t lock;
    int calls;
    int big_calls;
    int other_calls;
    int64_t big_lost;
    int64_t total;
} loss_seen_t;

static void on_loss(void *opaque, const char *topic, int32_t partition,
                    int64_t lost, int64_t total)
{
    loss_seen_t *s = opaque;
    pthread_mutex_lock(&s->lock);
    s->calls++;
    if (!strcmp(topic, "big") && partition == 0) {
        s->big_calls++;
        s->big_lost = lost;
    } else {
        s->other_calls++;
    }
    s->total = total;
    pthread_mutex_unlock(&s->lock);
}

static void test_loss_watcher(void **state)
{
    (void)state;
    enum { MSG = 10 * 1024, COUNT = 8 * 1024 * 1024 / MSG };
    ls_broker_t *b = start_broker(1);
    loss_seen_t seen;
    dr_count_t dr = {0, 0, 0};
    rd_kafka_t *prod;
    char *val = malloc(MSG);
    int64_t lo = -1, hi = -1, lost = 0;
    double deadline;
    int i;

    memset(&seen, 0, sizeof(seen));
    pthread_mutex_init(&seen.lock, NULL);
    assert_non_null(val);
    memset(val, 'v', MSG);

    check_ok(ls_broker_create_topic(b, "big", 2));
    check_ok(ls_broker_create_topic(b, "small", 2));
    check_ok(ls_broker_watch(b, 100, on_loss, &seen));

    prod = make_producer(b, &dr, "30000");
    for (i = 0; i < 10; i++)
        produce(prod, "small", i % 2, "s", 1, "tiny", 4);
    for (i = 0; i < COUNT; i++) {
        char key[16];
        int kl = snprintf(key, sizeof(key), "%d", i);
        produce(prod, "big", 0, key, (size_t)kl, val, MSG);
    }
    assert_int_equal(rd_kafka_flush(prod, 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(dr.ok, COUNT + 10);

    /* The mock kept only the newest ~5 MiB of big [0]. */
    assert_int_equal(rd_kafka_query_watermark_offsets(prod, "big", 0, &lo,
                                                      &hi, 5000),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(hi, COUNT);
    assert_true(lo > 0);
    assert_true((hi - lo) * MSG <= 5 * 1024 * 1024);

    /* Wait (bounded) for the watcher to notice. */
    deadline = now_s() + 10;
    while (now_s() < deadline) {
        int big_calls;
        pthread_mutex_lock(&seen.lock);
        big_calls = seen.big_calls;
        pthread_mutex_unlock(&seen.lock);
        lost = ls_broker_records_lost(b);
        if (lost >= lo && big_calls > 0)
            break;
        sleep_ms(50);
    }
    assert_int_equal(lost, lo);
    pthread_mutex_lock(&seen.lock);
    assert_true(seen.big_calls > 0);
    assert_int_equal(seen.big_lost, lo);
    assert_int_equal(seen.total, lo);
    assert_int_equal(seen.other_calls, 0); /* nothing lost from "small" */
    pthread_mutex_unlock(&seen.lock);

    /* "small" kept everything. */
    for (i = 0; i < 2; i++) {
        assert_int_equal(rd_kafka_query_watermark_offsets(prod, "small", i,
                                                          &lo, &hi, 5000),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(lo, 0);
        assert_int_equal(hi, 5);
    }

    rd_kafka_destroy(prod);
    ls_broker_destroy(b);
    pthread_mutex_destroy(&seen.lock);
    free(val);
}

/* A watcher with a long interval must not hold up destroy. */
static void test_destroy_is_prompt(void **state)
{
    (void)state;
    ls_broker_t *b = start_broker(3);
    double t0;

    check_ok(ls_broker_create_topic(b, "t", 4));
    check_ok(ls_broker_watch(b, 60000, NULL, NULL));
    sleep_ms(200); /* let the first scan connect and finish */
    t0 = now_s();
    ls_broker_destroy(b);
    assert_true(now_s() - t0 < 1.0);
}

/* ls_producer_prepare: the topic's metadata now, or an error naming it;
 * the producer stays usable either way. */
static void test_producer_prepare(void **state)
{
    (void)state;
    ls_broker_t *b = start_broker(1);
    check_ok(ls_broker_create_topic(b, "prep", 4));
    ls_conf_t *c = ls_conf_new();
    assert_non_null(c);
    check_ok(ls_conf_set(c, "bootstrap.servers", ls_broker_bootstraps(b)));
    check_ok(ls_conf_set(c, "allow.auto.create.topics", "false"));
    ls_producer_t *p = NULL;
    check_ok(ls_producer_new(&p, c));

    check_ok(ls_producer_prepare(p, "prep", 5000));
    /* Known now: the first message goes out without the 1 s topic scan. */
    ls_message_t m = LS_MESSAGE_INIT;
    m.topic = "prep";
    m.value = "x";
    m.value_len = 1;
    double t0 = now_s();
    check_ok(ls_producer_send(p, &m));
    check_ok(ls_producer_flush(p, 5000));
    printf("# first delivery after prepare: %.3f s\n", now_s() - t0);
    uint64_t delivered = 0;
    ls_producer_counts(p, NULL, &delivered, NULL);
    assert_int_equal(delivered, 1);

    ls_error_t *err = ls_producer_prepare(p, NULL, 100);
    assert_non_null(err);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    ls_error_destroy(err);
    ls_producer_destroy(p);
    ls_broker_destroy(b);

    /* Unreachable brokers: fails after the timeout, naming the topic. */
    c = ls_conf_new();
    assert_non_null(c);
    check_ok(ls_conf_set(c, "bootstrap.servers", "127.0.0.1:1"));
    check_ok(ls_producer_new(&p, c));
    t0 = now_s();
    err = ls_producer_prepare(p, "prep", 300);
    double took = now_s() - t0;
    assert_non_null(err);
    assert_non_null(strstr(ls_error_message(err), "\"prep\""));
    assert_true(took >= 0.25 && took < 3.0);
    ls_error_destroy(err);
    ls_producer_destroy(p);
}

/* ls_consumer_seek on a partition that is not assigned: LS_ERR_NOT_FOUND
 * (the sinks leave such a partition to its next owner). */
static void test_consumer_seek_not_assigned(void **state)
{
    (void)state;
    ls_conf_t *c = ls_conf_new();
    assert_non_null(c);
    check_ok(ls_conf_set(c, "bootstrap.servers", "127.0.0.1:1"));
    check_ok(ls_conf_set(c, "group.id", "g"));
    ls_consumer_t *k = NULL;
    check_ok(ls_consumer_new(&k, c));
    ls_error_t *err = ls_consumer_seek(k, "t", 0, 5);
    assert_non_null(err);
    assert_int_equal(ls_error_code(err), LS_ERR_NOT_FOUND);
    assert_non_null(strstr(ls_error_message(err), "not assigned"));
    ls_error_destroy(err);
    ls_consumer_destroy(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_one_and_three),
        cmocka_unit_test(test_create_topic_metadata),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_produce_and_consume),
        cmocka_unit_test(test_down_and_up),
        cmocka_unit_test(test_loss_watcher),
        cmocka_unit_test(test_destroy_is_prompt),
        cmocka_unit_test(test_producer_prepare),
        cmocka_unit_test(test_consumer_seek_not_assigned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
