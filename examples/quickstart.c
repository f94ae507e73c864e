/* quickstart: the whole path on the embedded broker, through the public
 * API only.  Start a broker, produce N generated orders, read them back in
 * a consumer group until the end of every partition, check that each
 * order came back exactly once with the right total, print a summary.
 *
 *   quickstart [N]       (default 1000)
 *
 * Exit status 0 when every order came back exactly once, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libstream/libstream.h>

#define TOPIC "orders"
#define PARTITIONS 4

static int fail(ls_error_t *err, const char *what)
{
    fprintf(stderr, "quickstart: %s: %s\n", what, ls_error_message(err));
    ls_error_destroy(err);
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    if (n <= 0 || n > 1000000) {
        fprintf(stderr, "usage: quickstart [N]   (1..1000000 orders)\n");
        return 2;
    }
    ls_error_t *err;
    ls_broker_t *broker;
    double t0 = now();

    /* 1. An embedded Kafka-protocol broker on 127.0.0.1. */
    if ((err = ls_broker_new(&broker, 1)))
        return fail(err, "starting the embedded broker");
    if ((err = ls_broker_create_topic(broker, TOPIC, PARTITIONS)))
        return fail(err, "creating topic");
    printf("embedded broker at %s, topic %s with %d partitions\n",
           ls_broker_bootstraps(broker), TOPIC, PARTITIONS);

    /* 2. Produce n generated orders, keyed by order id. */
    ls_conf_t *conf = ls_conf_new();
    ls_conf_set(conf, "bootstrap.servers", ls_broker_bootstraps(broker));
    ls_producer_t *producer;
    if ((err = ls_producer_new(&producer, conf)))
        return fail(err, "creating producer");
    ls_generator_t *gen;
    if ((err = ls_generator_new(&gen, "orders", 42)))
        return fail(err, "creating generator");
    long long cents_out = 0;
    for (long i = 0; i < n; i++) {
        ls_generator_next(gen);
        ls_message_t m = LS_MESSAGE_INIT;
        m.topic = TOPIC;
        m.key = ls_generator_key(gen, &m.key_len);
        m.value = ls_generator_value(gen, &m.value_len);
        if ((err = ls_producer_send(producer, &m)))
            return fail(err, "sending");
        const char *t = strstr(m.value, "\"total\":");
        if (t)
            cents_out += (long long)(strtod(t + 8, NULL) * 100 + 0.5);
    }
    if ((err = ls_producer_flush(producer, 30000)))
        return fail(err, "flushing");
    uint64_t sent, delivered, failed;
    ls_producer_counts(producer, &sent, &delivered, &failed);
    ls_producer_destroy(producer);
    ls_generator_destroy(gen);
    printf("produced %llu orders: %llu delivered, %llu failed\n",
           (unsigned long long)sent, (unsigned long long)delivered,
           (unsigned long long)failed);

    /* 3. Consume them back in a group, committing what was read. */
    conf = ls_conf_new();
    ls_conf_set(conf, "bootstrap.servers", ls_broker_bootstraps(broker));
    ls_conf_set(conf, "group.id", "quickstart");
    ls_conf_set(conf, "consumer.stop.at.end", "true");
    ls_consumer_t *consumer;
    if ((err = ls_consumer_new(&consumer, conf)))
        return fail(err, "creating consumer");
    const char *topics[] = {TOPIC};
    if ((err = ls_consumer_subscribe(consumer, topics, 1)))
        return fail(err, "subscribing");
    char **keys = calloc((size_t)n + 1, sizeof(char *));
    long got = 0, dups = 0, bad = 0;
    long long cents_in = 0;
    double deadline = now() + 60;
    while (!ls_consumer_at_end(consumer) && now() < deadline) {
        ls_event_t *evs[500];
        size_t cnt;
        if ((err = ls_consumer_poll(consumer, evs, 500, 500, &cnt))) {
            fprintf(stderr, "quickstart: warning: %s\n", ls_error_message(err));
            ls_error_destroy(err);
        }
        for (size_t i = 0; i < cnt; i++) {
            size_t len;
            const char *v = ls_event_value(evs[i], &len);
            const char *t = v ? strstr(v, "\"total\":") : NULL;
            size_t klen;
            const char *k = ls_event_key(evs[i], &klen);
            if (got < n)
                keys[got] = k ? strndup(k, klen) : strdup("");
            if (!t) {
                bad++;
            } else {
                cents_in += (long long)(strtod(t + 8, NULL) * 100 + 0.5);
            }
            got++;
            ls_error_destroy(ls_consumer_store(consumer, evs[i]));
            ls_event_destroy(evs[i]);
        }
    }
    ls_error_destroy(ls_consumer_commit_stored(consumer, 0));
    ls_consumer_close(consumer);
    ls_consumer_destroy(consumer);
    /* Each order id exactly once: sort the keys and look for neighbours. */
    long nkeys = got < n ? got : n;
    if (nkeys > 1)
        qsort(keys, (size_t)nkeys, sizeof(char *), cmp_str);
    for (long i = 1; i < nkeys; i++)
        dups += !strcmp(keys[i - 1], keys[i]);
    for (long i = 0; i < nkeys; i++)
        free(keys[i]);
    free(keys);
    int64_t lost = ls_broker_records_lost(broker);
    ls_broker_destroy(broker);

    printf("consumed %ld orders back (%ld malformed, %ld duplicates)\n", got,
           bad, dups);
    printf("sum of totals: produced %lld.%02lld, consumed %lld.%02lld\n",
           cents_out / 100, cents_out % 100, cents_in / 100, cents_in % 100);
    int ok = got == n && (long)delivered == n && !bad && !dups &&
             cents_in == cents_out && lost == 0;
    printf("%s: %ld produced = %ld consumed in %.1f s\n",
           ok ? "OK" : "MISMATCH", n, got, now() - t0);
    return ok ? 0 : 1;
}
