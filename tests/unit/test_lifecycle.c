/* libstream unit tests: every public handle's _new/_destroy (and the
 * start/close steps that allocate) in a loop must give back all it took.
 *
 * Each case runs once to warm up (librdkafka, libcurl and OpenSSL keep
 * process-wide state on first use), then LOOPS more times; glibc's count
 * of bytes in use (mallinfo2) must not grow by more than SLACK bytes over
 * the loop.  The sanitizer run (scripts/sanitize.sh) runs this file under
 * LeakSanitizer too, which checks every allocation at exit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libstream/libstream.h"

#define LOOPS 30
#define SLACK (64 * 1024) /* allocator and librdkafka caches, not a leak */

static char tmpdir[256];
static const char *bootstrap = "127.0.0.1:1"; /* never contacted */

static ls_conf_t *conf_of(const char *const *kv)
{
    ls_conf_t *c = ls_conf_new();
    assert_non_null(c);
    for (size_t i = 0; kv && kv[i]; i += 2) {
        ls_error_t *err = ls_conf_set(c, kv[i], kv[i + 1]);
        if (err)
            fail_msg("%s=%s: %s", kv[i], kv[i + 1], ls_error_message(err));
    }
    return c;
}

static void ok(ls_error_t *err, const char *what)
{
    if (err)
        fail_msg("%s: %s", what, ls_error_message(err));
}

/* One create/use/destroy cycle of some handle. */
typedef void(cycle_t)(void);

static void run_loop(const char *name, cycle_t *cycle, int loops)
{
    cycle(); /* warm-up */
    cycle();
    malloc_trim(0);
    size_t before = mallinfo2().uordblks;
    for (int i = 0; i < loops; i++)
        cycle();
    malloc_trim(0);
    size_t after = mallinfo2().uordblks;
    long grew = (long)after - (long)before;
    printf("# %-10s %d cycles: in-use bytes %+ld\n", name, loops, grew);
    if (grew > SLACK)
        fail_msg("%s: %d create/destroy cycles left %ld bytes in use", name,
                 loops, grew);
}

/* ---- the cycles -------------------------------------------------------- */

static void c_conf(void)
{
    static const char *const kv[] = {"linger.ms", "5", "archive.roll.count",
                                     "10", "s3.secret.access.key", "x", NULL};
    ls_conf_t *c = conf_of(kv);
    ls_conf_t *d = ls_conf_dup(c);
    ls_conf_destroy(c);
    ls_conf_destroy(d);
    ls_error_destroy(ls_conf_set(NULL, "x", "y"));
}

static void c_producer(void)
{
    static const char *const kv[] = {"bootstrap.servers", NULL, NULL};
    ls_conf_t *c = conf_of(NULL);
    ok(ls_conf_set(c, "bootstrap.servers", bootstrap), "conf");
    (void)kv;
    ls_producer_t *p = NULL;
    ok(ls_producer_new(&p, c), "ls_producer_new");
    ls_message_t m = LS_MESSAGE_INIT;
    m.topic = "t";
    m.value = "v";
    m.value_len = 1;
    ok(ls_producer_send(p, &m), "send"); /* queued, then purged */
    ls_producer_destroy(p);
}

static void c_consumer(void)
{
    ls_conf_t *c = conf_of(NULL);
    ok(ls_conf_set(c, "bootstrap.servers", bootstrap), "conf");
    ok(ls_conf_set(c, "group.id", "g"), "conf");
    ls_consumer_t *k = NULL;
    ok(ls_consumer_new(&k, c), "ls_consumer_new");
    ls_metrics_t *m = NULL;
    ok(ls_metrics_new(&m, "p"), "metrics");
    ls_consumer_set_metrics(k, m, "source");
    const char *topics[] = {"t"};
    ok(ls_consumer_subscribe(k, topics, 1), "subscribe");
    ls_consumer_destroy(k);
    ls_metrics_destroy(m);
}

static void c_generator(void)
{
    static const char *const kinds[] = {"orders", "clicks", "erp"};
    for (size_t i = 0; i < 3; i++) {
        ls_generator_t *g = NULL;
        ok(ls_generator_new(&g, kinds[i], 7), "ls_generator_new");
        for (int n = 0; n < 10; n++)
            ls_generator_next(g);
        ls_generator_destroy(g);
    }
}

static void c_channel_template_csv(void)
{
    ls_channel_t *ch = NULL;
    ok(ls_channel_new(&ch, 100, 1 << 20), "ls_channel_new");
    ls_channel_destroy(ch);
    ls_template_t *t = NULL;
    ok(ls_template_new(&t, "%{topic}/%Y-%m-%d/%{partition}"), "template");
    ls_template_destroy(t);
    ls_csv_t *csv = NULL;
    ok(ls_csv_new(&csv), "ls_csv_new");
    ok(ls_csv_add(csv, "{\"a\":1,\"b\":{\"c\":\"x\"}}", 21), "csv add");
    const char *out;
    size_t len;
    ok(ls_csv_render(csv, &out, &len), "csv render");
    ls_csv_destroy(csv);
}

static void c_backend_writer(void)
{
    ls_backend_t *b = NULL;
    ok(ls_backend_open(&b, tmpdir, NULL), "ls_backend_open");
    ls_conf_t *c = conf_of(NULL);
    ls_writer_t *w = NULL;
    ok(ls_writer_new(&w, b, c), "ls_writer_new");
    ls_writer_destroy(w);
    ls_backend_destroy(b);
    ls_conf_destroy(c);
}

static void c_webhdfs(void)
{
    ls_webhdfs_t *h = NULL;
    ok(ls_webhdfs_new(&h, "webhdfs://127.0.0.1:1/archive", NULL), "webhdfs");
    ls_webhdfs_destroy(h);
    ls_backend_t *b = NULL;
    ok(ls_backend_open(&b, "webhdfs://127.0.0.1:1/archive", NULL), "backend");
    ls_backend_destroy(b);
}

static void c_s3(void)
{
    static const char *const kv[] = {
        "s3.bucket", "b", "s3.endpoint", "http://127.0.0.1:1",
        "s3.access.key.id", "AKIDEXAMPLE", "s3.secret.access.key", "secret",
        NULL};
    ls_conf_t *c = conf_of(kv);
    ls_s3_t *s = NULL;
    ok(ls_s3_new(&s, c), "ls_s3_new");
    ls_s3_destroy(s);
    ls_conf_destroy(c);
}

static void c_archiver(void)
{
    ls_conf_t *c = conf_of(NULL);
    ok(ls_conf_set(c, "bootstrap.servers", bootstrap), "conf");
    ok(ls_conf_set(c, "archive.topics", "t1,t2"), "conf");
    ok(ls_conf_set(c, "archive.dest", tmpdir), "conf");
    ls_archiver_t *a = NULL;
    ok(ls_archiver_new(&a, c), "ls_archiver_new");
    free(ls_archiver_stats(a));
    ls_archiver_destroy(a);
}

static void c_s3sink(void)
{
    static const char *const kv[] = {
        "s3sink.topics", "t", "s3.bucket", "b",
        "s3.endpoint", "http://127.0.0.1:1", "s3.access.key.id", "AKID",
        "s3.secret.access.key", "secret", NULL};
    ls_conf_t *c = conf_of(kv);
    ok(ls_conf_set(c, "bootstrap.servers", bootstrap), "conf");
    ls_s3sink_t *s = NULL;
    ok(ls_s3sink_new(&s, c), "ls_s3sink_new");
    free(ls_s3sink_stats(s));
    ls_s3sink_destroy(s);
}

static void c_lag(void)
{
    ls_conf_t *c = conf_of(NULL);
    ok(ls_conf_set(c, "bootstrap.servers", bootstrap), "conf");
    ls_lag_t *l = NULL;
    ok(ls_lag_new(&l, c), "ls_lag_new");
    ls_lag_destroy(l);
}

static void c_httpsrc(void)
{
    static const char *const kv[] = {"httpsrc.topic", "t", "httpsrc.port", "0",
                                     "httpsrc.threads", "2", NULL};
    ls_conf_t *c = conf_of(kv);
    ok(ls_conf_set(c, "bootstrap.servers", bootstrap), "conf");
    ls_httpsrc_t *s = NULL;
    ok(ls_httpsrc_new(&s, c), "ls_httpsrc_new");
    ok(ls_httpsrc_add_header(s, "h", "v"), "header");
    ok(ls_httpsrc_start(s), "start");
    assert_true(ls_httpsrc_port(s) > 0);
    free(ls_httpsrc_stats(s));
    ls_error_destroy(ls_httpsrc_close(s, 100));
    ls_httpsrc_destroy(s);
}

static void c_tail(void)
{
    char pos[300];
    snprintf(pos, sizeof(pos), "%s/tail.pos", tmpdir);
    static const char *const kv[] = {"tail.topic", "t", "tail.exactly.once",
                                     "false", NULL};
    ls_conf_t *c = conf_of(kv);
    ok(ls_conf_set(c, "bootstrap.servers", bootstrap), "conf");
    ok(ls_conf_set(c, "tail.position.file", pos), "conf");
    ls_tail_t *t = NULL;
    ok(ls_tail_new(&t, c), "ls_tail_new");
    char pattern[300];
    snprintf(pattern, sizeof(pattern), "%s/*.log", tmpdir);
    ok(ls_tail_add(t, pattern), "add");
    ok(ls_tail_add_header(t, "h", "v", 1), "header");
    free(ls_tail_stats(t));
    ls_tail_destroy(t);
}

static void c_metrics_monitor(void)
{
    ls_metrics_t *m = NULL;
    ok(ls_metrics_new(&m, "p"), "metrics");
    ls_component_t *k = ls_metrics_component(m, "sink", LS_ROLE_SINK, "x");
    ls_component_output(k, "o", 1, 2);
    ls_component_error(k, "e");
    ls_conf_t *c = conf_of(NULL);
    ok(ls_conf_set(c, "monitor.port", "0"), "conf");
    ls_monitor_t *mon = NULL;
    ok(ls_monitor_new(&mon, "x", c), "ls_monitor_new");
    ok(ls_monitor_add(mon, m), "add");
    ok(ls_monitor_start(mon), "start");
    ls_monitor_destroy(mon);
    ls_conf_destroy(c);
    ls_metrics_destroy(m);
}

static void c_broker(void)
{
    ls_broker_t *b = NULL;
    ok(ls_broker_new(&b, 1), "ls_broker_new");
    ok(ls_broker_create_topic(b, "t", 2), "create topic");
    ls_broker_destroy(b);
}

/* ---- tests ------------------------------------------------------------- */

#define CASE(fn, loops)                                                       \
    static void test_##fn(void **state)                                       \
    {                                                                         \
        (void)state;                                                          \
        int n = getenv("LS_LIFECYCLE_LOOPS")                                  \
                    ? atoi(getenv("LS_LIFECYCLE_LOOPS"))                      \
                    : (loops);                                                \
        run_loop(#fn + 2, fn, n);                                             \
    }
CASE(c_conf, LOOPS)
CASE(c_producer, LOOPS)
CASE(c_consumer, LOOPS)
CASE(c_generator, LOOPS)
CASE(c_channel_template_csv, LOOPS)
CASE(c_backend_writer, LOOPS)
CASE(c_webhdfs, LOOPS)
CASE(c_s3, LOOPS)
CASE(c_archiver, LOOPS)
CASE(c_s3sink, LOOPS)
CASE(c_lag, LOOPS)
CASE(c_httpsrc, 10)
CASE(c_tail, LOOPS)
CASE(c_metrics_monitor, LOOPS)
CASE(c_broker, 5)

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "%s/lslife.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        return 1;
    ls_error_destroy(ls_global_init());
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_conf),
        cmocka_unit_test(test_c_producer),
        cmocka_unit_test(test_c_consumer),
        cmocka_unit_test(test_c_generator),
        cmocka_unit_test(test_c_channel_template_csv),
        cmocka_unit_test(test_c_backend_writer),
        cmocka_unit_test(test_c_webhdfs),
        cmocka_unit_test(test_c_s3),
        cmocka_unit_test(test_c_archiver),
        cmocka_unit_test(test_c_s3sink),
        cmocka_unit_test(test_c_lag),
        cmocka_unit_test(test_c_httpsrc),
        cmocka_unit_test(test_c_tail),
        cmocka_unit_test(test_c_metrics_monitor),
        cmocka_unit_test(test_c_broker),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
