/* Unit tests: configuration parsing, routing to librdkafka, redaction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "conf_int.h"
#include "libstream/conf.h"

static void test_own_keys(void **state)
{
    (void)state;
    ls_conf_t *c = ls_conf_new();
    assert_non_null(c);
    assert_string_equal(ls_conf_get(c, "consumer.start"), "committed");
    assert_false(ls_conf_is_set(c, "consumer.start"));
    assert_null(ls_conf_set(c, "consumer.start", "beginning"));
    assert_string_equal(ls_conf_get(c, "consumer.start"), "beginning");
    assert_true(ls_conf_is_set(c, "consumer.start"));
    assert_null(ls_conf_set(c, "consumer.start", "@1700000000000"));
    assert_null(ls_conf_set(c, "consumer.start", "42"));

    ls_error_t *e = ls_conf_set(c, "consumer.start", "yesterday");
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    assert_non_null(strstr(ls_error_message(e), "\"yesterday\""));
    assert_non_null(strstr(ls_error_message(e), "consumer.start"));
    ls_error_destroy(e);
    assert_string_equal(ls_conf_get(c, "consumer.start"), "42");

    e = ls_conf_set(c, "archive.roll.count", "-1");
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    assert_non_null(strstr(ls_error_message(e), "from 0 to"));
    assert_non_null(strstr(ls_error_message(e), "\"-1\""));
    ls_error_destroy(e);
    e = ls_conf_set(c, "archive.format", "xml");
    assert_non_null(strstr(ls_error_message(e), "jsonl|envelope"));
    ls_error_destroy(e);
    /* Aliases: the long flag names of ls-archive. */
    assert_null(ls_conf_set(c, "roll-count", "7"));
    assert_string_equal(ls_conf_get(c, "archive.roll.count"), "7");
    assert_true(ls_conf_is_set(c, "archive.roll.count"));
    e = ls_conf_set(c, "consumer.stop.at.end", "maybe");
    assert_non_null(strstr(ls_error_message(e), "true or false"));
    ls_error_destroy(e);
    assert_null(ls_conf_set(c, "consumer.stop.at.end", "true"));
    assert_int_equal(ls__conf_bool(c, "consumer.stop.at.end"), 1);
    assert_null(ls_conf_set(c, "archive.roll.bytes", "250"));
    assert_int_equal(ls__conf_int(c, "archive.roll.bytes"), 250);
    ls_conf_destroy(c);
}

static void test_kafka_passthrough(void **state)
{
    (void)state;
    char buf[64];
    ls_conf_t *c = ls_conf_new();
    assert_null(ls_conf_set(c, "linger.ms", "7"));
    assert_null(ls_conf_set(c, "kafka.compression.type", "lz4"));
    ls__conf_kafka_get(c, "linger.ms", buf, sizeof(buf));
    assert_string_equal(buf, "7");
    ls__conf_kafka_get(c, "compression.type", buf, sizeof(buf));
    assert_string_equal(buf, "lz4");
    assert_null(ls_conf_get(c, "linger.ms"));
    assert_true(ls_conf_is_set(c, "linger.ms"));

    ls_error_t *e = ls_conf_set(c, "no.such.property", "1");
    assert_int_equal(ls_error_code(e), LS_ERR_UNKNOWN_KEY);
    assert_non_null(strstr(ls_error_message(e), "\"no.such.property\""));
    ls_error_destroy(e);
    e = ls_conf_set(c, "linger.ms", "soon");
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    assert_non_null(strstr(ls_error_message(e), "linger.ms"));
    assert_non_null(strstr(ls_error_message(e), "\"soon\""));
    ls_error_destroy(e);
    e = ls_conf_set(c, "compression.type", "zip");
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    ls_error_destroy(e);

    e = ls_conf_set_kv(c, "noequals");
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    assert_non_null(strstr(ls_error_message(e), "key=value"));
    ls_error_destroy(e);
    assert_null(ls_conf_set_kv(c, "client.id=a=b"));
    ls__conf_kafka_get(c, "client.id", buf, sizeof(buf));
    assert_string_equal(buf, "a=b");

    ls_conf_t *d = ls_conf_dup(c);
    ls_conf_destroy(c);
    ls__conf_kafka_get(d, "linger.ms", buf, sizeof(buf));
    assert_string_equal(buf, "7");
    ls_conf_destroy(d);
}

static void check_unknown(void *opaque, const char *key, const char *value,
                          const char *desc)
{
    (void)value;
    int *n = opaque;
    char errstr[256];
    rd_kafka_conf_t *rc = rd_kafka_conf_new();
    /* Our keys must never collide with librdkafka's. */
    assert_int_equal(rd_kafka_conf_set(rc, key, "1", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_UNKNOWN);
    assert_non_null(desc);
    assert_true(strlen(desc) > 10);
    rd_kafka_conf_destroy(rc);
    (*n)++;
}

static void test_no_collision_with_librdkafka(void **state)
{
    (void)state;
    int n = 0;
    ls_conf_describe(check_unknown, &n);
    assert_true(n >= 3);
}

typedef struct {
    char text[4096];
} dump_t;

static void collect(void *opaque, const char *key, const char *value,
                    const char *desc)
{
    dump_t *d = opaque;
    (void)desc;
    size_t l = strlen(d->text);
    snprintf(d->text + l, sizeof(d->text) - l, "%s=%s\n", key, value);
}

static void test_dump_redacts_secrets(void **state)
{
    (void)state;
    ls_conf_t *c = ls_conf_new();
    assert_null(ls_conf_set(c, "sasl.password", "hunter2-secret"));
    assert_null(ls_conf_set(c, "client.id", "me"));
    dump_t d = {{0}};
    ls_conf_dump(c, collect, &d);
    assert_null(strstr(d.text, "hunter2"));
    assert_non_null(strstr(d.text, "sasl.password=[redacted]"));
    assert_non_null(strstr(d.text, "client.id=me"));
    ls_conf_destroy(c);
}

static void test_file(void **state)
{
    (void)state;
    char path[] = "/tmp/ls-test-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\n\n  consumer.start = end  \nkafka.linger.ms=3\n"
               "bogus line\n");
    fclose(f);
    ls_conf_t *c = ls_conf_new();
    ls_error_t *e = ls_conf_load_file(c, path);
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    char want[128];
    snprintf(want, sizeof(want), "%s:5", path);
    assert_non_null(strstr(ls_error_message(e), want));
    ls_error_destroy(e);
    assert_string_equal(ls_conf_get(c, "consumer.start"), "end");

    f = fopen(path, "w");
    fprintf(f, "consumer.start=beginning\nnot.a.key=1\n");
    fclose(f);
    e = ls_conf_load_file(c, path);
    assert_int_equal(ls_error_code(e), LS_ERR_UNKNOWN_KEY);
    snprintf(want, sizeof(want), "%s:2", path);
    assert_non_null(strstr(ls_error_message(e), want));
    ls_error_destroy(e);
    unlink(path);

    e = ls_conf_load_file(c, "/nonexistent/x.conf");
    assert_int_equal(ls_error_code(e), LS_ERR_IO);
    assert_non_null(strstr(ls_error_message(e), "/nonexistent/x.conf"));
    ls_error_destroy(e);
    ls_conf_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_keys),
        cmocka_unit_test(test_kafka_passthrough),
        cmocka_unit_test(test_no_collision_with_librdkafka),
        cmocka_unit_test(test_dump_redacts_secrets),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
