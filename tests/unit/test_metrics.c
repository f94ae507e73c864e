/* libstream unit tests: the metrics registry (Prometheus names, format and
 * escaping, the JSON snapshot's shape, partitions and outputs, health
 * decisions, create/destroy) and the monitor's HTTP endpoints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "libstream/metrics.h"
#include "libstream/monitor.h"
#include "metrics_int.h"

static ls_metrics_t *reg(const char *name)
{
    ls_metrics_t *m = NULL;
    ls_error_t *err = ls_metrics_new(&m, name);
    assert_null(err);
    assert_non_null(m);
    return m;
}

/* ---- names ------------------------------------------------------------- */

static void prom_name(const char *camel, int counter, const char *want)
{
    char buf[160];
    ls__metrics_prom_name(camel, counter, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_prom_names(void **state)
{
    (void)state;
    prom_name("EventReceivedCount", 1, "libstream_event_received_total");
    prom_name("KafkaCommitCount", 1, "libstream_kafka_commit_total");
    prom_name("RetryCount", 1, "libstream_retry_total");
    prom_name("Retries", 1, "libstream_retries_total");
    prom_name("ChannelFillPercentage", 0, "libstream_channel_fill_percentage");
    prom_name("HTTPRequestCount", 1, "libstream_http_request_total");
    prom_name("Odd name-with.dots", 0, "libstream_odd_name_with_dots");
}

/* ---- Prometheus text --------------------------------------------------- */

/* Count lines of s starting with prefix. */
static int count_lines(const char *s, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = s; p && *p;) {
        if (!strncmp(p, prefix, len))
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

static void test_prometheus_format(void **state)
{
    (void)state;
    ls_metrics_t *a = reg("pipe \"a\"\\x\ny");
    ls_metrics_t *b = reg("b");
    ls_component_t *src = ls_metrics_component(a, "source", LS_ROLE_SOURCE,
                                               "kafka-consumer");
    ls_component_t *snk = ls_metrics_component(a, "sink", LS_ROLE_SINK, "files");
    ls_component_t *bs = ls_metrics_component(b, "source", LS_ROLE_SOURCE, "x");
    ls_metric_add(ls_component_counter(src, "EventReceivedCount", NULL), 7);
    ls_metric_add(ls_component_counter(bs, "EventReceivedCount", NULL), 3);
    ls_metric_set(ls_component_gauge(snk, "OpenFiles", NULL), 2);
    ls_metric_add(ls_component_counter(snk, "Custom", "help with \\ and\nnewline"),
                  1);
    ls_component_set_group(src, "g\"1");
    ls_partition_stat_t p[] = {{"orders", 0, 10, 12, 15},
                               {"orders", 1, -1, 4, 9},
                               {"orders", 2, -1, -1, -1}};
    ls_component_set_partitions(src, p, 3);
    ls_component_error(snk, "boom");
    ls_metrics_t *both[] = {a, b};
    char *text = ls_metrics_prometheus(both, 2);
    assert_non_null(text);

    /* One HELP and TYPE per family; samples of both registries in it. */
    assert_int_equal(count_lines(text, "# HELP libstream_event_received_total "), 1);
    assert_int_equal(count_lines(text, "# TYPE libstream_event_received_total counter"), 1);
    assert_int_equal(count_lines(text, "libstream_event_received_total{"), 2);
    assert_non_null(strstr(text, "# TYPE libstream_open_files gauge\n"));
    assert_non_null(strstr(text, "libstream_event_received_total{pipeline=\"b\","
                                 "component=\"source\"} 3\n"));
    /* Label values escape \, " and newline; HELP escapes \ and newline. */
    assert_non_null(strstr(text, "{pipeline=\"pipe \\\"a\\\"\\\\x\\ny\","
                                 "component=\"source\"} 7\n"));
    assert_non_null(strstr(text, "# HELP libstream_custom_total help with \\\\ "
                                 "and\\nnewline\n"));
    /* Partitions: committed, log end, lag (unknown lag left out). */
    assert_non_null(strstr(text, "group=\"g\\\"1\",topic=\"orders\","
                                 "partition=\"0\"} 5\n"));
    assert_int_equal(count_lines(text, "libstream_partition_lag{"), 2);
    assert_int_equal(count_lines(text, "libstream_partition_log_end_offset{"), 3);
    assert_non_null(strstr(text, "partition=\"1\"} 5\n")); /* 9 - 4 */
    assert_int_equal(count_lines(text, "libstream_last_error_timestamp_seconds{"), 1);
    assert_int_equal(count_lines(text, "libstream_healthy{"), 2);
    /* Every line is a comment or "name{labels} value". */
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(line[0] == '#' || strstr(line, "} ") < nl);
        line = nl + 1;
    }
    free(text);
    ls_metrics_destroy(a);
    ls_metrics_destroy(b);
}

/* ---- JSON snapshot ----------------------------------------------------- */

static void test_json_snapshot(void **state)
{
    (void)state;
    ls_metrics_t *m = reg("arch");
    ls_component_t *src = ls_metrics_component(m, "source", LS_ROLE_SOURCE, "k");
    ls_component_t *snk = ls_metrics_component(m, "sink", LS_ROLE_SINK, "files");
    assert_ptr_equal(ls_metrics_component(m, "sink", LS_ROLE_SOURCE, "other"),
                     snk);
    ls_metric_add(ls_component_counter(src, "EventReceivedCount", NULL), 100);
    ls_metric_add(ls_component_counter(snk, "EventDrainSuccessCount", NULL), 60);
    ls_metric_add(ls_component_counter(snk, "BatchCompleteCount", NULL), 3);
    ls_metric_add(ls_component_counter(snk, "RetryCount", NULL), 2);
    /* Same name, other type: refused. */
    assert_null(ls_component_gauge(snk, "RetryCount", NULL));
    ls_partition_stat_t p[] = {{"t", 0, 50, 55, 70}, {"t", 1, -1, 20, 25}};
    ls_component_set_partitions(src, p, 2);
    for (int i = 0; i < 25; i++) {
        char name[32];
        snprintf(name, sizeof(name), "file-%02d", i);
        ls_component_output(snk, name, (uint64_t)i, 10);
    }
    ls_metrics_sample(m);
    char *s = ls_metrics_json(m);
    assert_non_null(s);
    cJSON *d = cJSON_Parse(s);
    free(s);
    assert_non_null(d);
    assert_string_equal(cJSON_GetObjectItem(d, "name")->valuestring, "arch");
    cJSON *t = cJSON_GetObjectItem(d, "totals");
    assert_int_equal(cJSON_GetObjectItem(t, "records_in")->valuedouble, 100);
    assert_int_equal(cJSON_GetObjectItem(t, "records_out")->valuedouble, 60);
    assert_int_equal(cJSON_GetObjectItem(t, "outputs")->valuedouble, 3);
    assert_int_equal(cJSON_GetObjectItem(t, "retries")->valuedouble, 2);
    assert_int_equal(cJSON_GetObjectItem(t, "lag")->valuedouble, 25);
    cJSON *h = cJSON_GetObjectItem(d, "health");
    assert_string_equal(cJSON_GetObjectItem(h, "status")->valuestring, "ok");
    cJSON *comps = cJSON_GetObjectItem(d, "components");
    assert_int_equal(cJSON_GetArraySize(comps), 2);
    cJSON *c0 = cJSON_GetArrayItem(comps, 0), *c1 = cJSON_GetArrayItem(comps, 1);
    assert_string_equal(cJSON_GetObjectItem(c0, "role")->valuestring, "source");
    cJSON *parts = cJSON_GetObjectItem(c0, "partitions");
    assert_int_equal(cJSON_GetArraySize(parts), 2);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 0), "lag")
                         ->valuedouble, 20);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 1), "lag")
                         ->valuedouble, 5);
    /* The newest 20 outputs, oldest first. */
    cJSON *outs = cJSON_GetObjectItem(c1, "outputs");
    assert_int_equal(cJSON_GetArraySize(outs), 20);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(outs, 0),
                                            "name")->valuestring, "file-05");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(outs, 19),
                                            "name")->valuestring, "file-24");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(c1, "last_error")));
    assert_null(cJSON_GetObjectItem(c1, "partitions"));
    cJSON *hist = cJSON_GetObjectItem(d, "history");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(hist, "t")), 1);
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(hist, "records_in"),
                                        0)->valuedouble, 100);
    /* A second sample within the second is not taken. */
    cJSON_Delete(d);
    ls_metrics_sample(m);
    s = ls_metrics_json(m);
    d = cJSON_Parse(s);
    free(s);
    hist = cJSON_GetObjectItem(d, "history");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(hist, "t")), 1);
    cJSON_Delete(d);
    ls_metrics_destroy(m);
}

/* ---- health ------------------------------------------------------------ */

static void test_health_decide(void **state)
{
    (void)state;
    const char *st;
    char why[256];
    /* Idle at the log end: ok however long nothing moved. */
    assert_int_equal(ls__health_decide(1000, 0, NULL, 0, 0, 30, &st, why,
                                       sizeof(why)), 200);
    assert_string_equal(st, "ok");
    /* Lag unknown counts as idle. */
    assert_int_equal(ls__health_decide(1000, 0, NULL, 0, -1, 30, &st, why,
                                       sizeof(why)), 200);
    /* Lag and recent progress: ok. */
    assert_int_equal(ls__health_decide(1000, 0, NULL, 990, 50, 30, &st, why,
                                       sizeof(why)), 200);
    /* Lag and no progress past the threshold: stalled. */
    assert_int_equal(ls__health_decide(1000, 0, NULL, 960, 50, 30, &st, why,
                                       sizeof(why)), 503);
    assert_string_equal(st, "stalled");
    assert_non_null(strstr(why, "50 records of lag"));
    /* Failing, but not for long: still ok (retrying). */
    assert_int_equal(ls__health_decide(1000, 990, "sink", 999, 5, 30, &st,
                                       why, sizeof(why)), 200);
    assert_non_null(strstr(why, "retrying"));
    /* Failing past the threshold: 503 naming the component. */
    assert_int_equal(ls__health_decide(1000, 960, "sink", 999, 5, 30, &st,
                                       why, sizeof(why)), 503);
    assert_string_equal(st, "failing");
    assert_non_null(strstr(why, "sink failing for 40 s"));
}

static void test_health_registry(void **state)
{
    (void)state;
    ls_metrics_t *m = reg("p");
    ls_component_t *snk = ls_metrics_component(m, "sink", LS_ROLE_SINK, "x");
    char why[300];
    ls_metrics_set_health_threshold(m, 0);
    assert_int_equal(ls_metrics_health(m, why, sizeof(why)), 200);
    ls_component_failing(snk, 1);
    assert_int_equal(ls_metrics_health(m, why, sizeof(why)), 503);
    assert_non_null(strstr(why, "sink failing"));
    ls_component_failing(snk, 0);
    assert_int_equal(ls_metrics_health(m, why, sizeof(why)), 200);
    /* NULL handles are accepted everywhere by the updaters. */
    ls_component_failing(NULL, 1);
    ls_metric_add(NULL, 1);
    ls_component_output(NULL, "x", 1, 1);
    assert_null(ls_metrics_component(NULL, "x", NULL, NULL));
    ls_metrics_destroy(m);
}

/* ---- create/destroy ---------------------------------------------------- */

static void test_create_destroy_loop(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        ls_metrics_t *m = reg("loop");
        ls_component_t *c = ls_metrics_component(m, "c", LS_ROLE_SINK, "k");
        ls_metric_add(ls_component_counter(c, "EventDrainSuccessCount", NULL), 1);
        ls_partition_stat_t p = {"t", 0, 1, 1, 2};
        ls_component_set_partitions(c, &p, 1);
        ls_component_set_partitions(c, &p, 1);
        ls_component_output(c, "o", 1, 1);
        ls_component_error(c, "e1");
        ls_component_error(c, "e2");
        ls_metrics_sample(m);
        free(ls_metrics_json(m));
        free(ls_metrics_prometheus(&m, 1));
        ls_metrics_destroy(m);
    }
    ls_metrics_destroy(NULL);
    ls_error_t *err = NULL;
    ls_metrics_t *m = NULL;
    err = ls_metrics_new(&m, "");
    assert_non_null(err);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    ls_error_destroy(err);
}

/* ---- the monitor over HTTP --------------------------------------------- */

typedef struct {
    char *buf;
    size_t len;
} body_t;

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
    body_t *b = opaque;
    char *nb = realloc(b->buf, b->len + size * n + 1);
    assert_non_null(nb);
    memcpy(nb + b->len, p, size * n);
    b->len += size * n;
    nb[b->len] = '\0';
    b->buf = nb;
    return size * n;
}

static long get(const char *base, const char *path, const char *method,
                body_t *b, char *ctype, size_t ctype_size)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", base, path[0] == '/' ? path + 1 : path);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    b->buf = NULL;
    b->len = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    if (ctype)
        snprintf(ctype, ctype_size, "%s", ct ? ct : "");
    curl_easy_cleanup(h);
    return code;
}

static void test_monitor_http(void **state)
{
    (void)state;
    ls_conf_t *conf = ls_conf_new();
    assert_non_null(conf);
    assert_false(ls_monitor_enabled(conf)); /* off by default */
    assert_null(ls_conf_set(conf, "monitor.port", "0"));
    assert_null(ls_conf_set(conf, "monitor.health.threshold.ms", "0"));
    assert_true(ls_monitor_enabled(conf));
    ls_metrics_t *m = reg("mon");
    ls_component_t *snk = ls_metrics_component(m, "sink", LS_ROLE_SINK, "x");
    ls_metric_add(ls_component_counter(snk, "EventDrainSuccessCount", NULL), 42);
    ls_monitor_t *mon = NULL;
    assert_null(ls_monitor_new(&mon, "unit", conf));
    assert_null(ls_monitor_add(mon, m));
    assert_int_equal(ls_monitor_port(mon), 0);
    assert_null(ls_monitor_start(mon));
    assert_true(ls_monitor_port(mon) > 0);
    ls_error_t *err = ls_monitor_add(mon, m);
    assert_int_equal(ls_error_code(err), LS_ERR_STATE);
    ls_error_destroy(err);
    const char *base = ls_monitor_url(mon);
    assert_non_null(strstr(base, "http://127.0.0.1:"));

    body_t b;
    char ct[128];
    assert_int_equal(get(base, "/", "GET", &b, ct, sizeof(ct)), 200);
    assert_string_equal(ct, "text/html; charset=utf-8");
    assert_non_null(strstr(b.buf, "<html"));
    assert_null(strstr(b.buf, "http://")); /* nothing from elsewhere */
    assert_null(strstr(b.buf, "https://"));
    free(b.buf);
    assert_int_equal(get(base, "/metrics", "GET", &b, ct, sizeof(ct)), 200);
    assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(b.buf, "libstream_event_drain_success_total{"
                                  "pipeline=\"mon\",component=\"sink\"} 42\n"));
    free(b.buf);
    assert_int_equal(get(base, "/api/stats", "GET", &b, ct, sizeof(ct)), 200);
    assert_string_equal(ct, "application/json");
    cJSON *d = cJSON_Parse(b.buf);
    assert_non_null(d);
    assert_string_equal(cJSON_GetObjectItem(d, "name")->valuestring, "unit");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "totals"),
                                         "records_out")->valuedouble, 42);
    cJSON_Delete(d);
    free(b.buf);
    assert_int_equal(get(base, "/health", "GET", &b, NULL, 0), 200);
    assert_non_null(strstr(b.buf, "\"status\":\"ok\""));
    free(b.buf);
    ls_component_failing(snk, 1);
    assert_int_equal(get(base, "/health", "GET", &b, NULL, 0), 503);
    assert_non_null(strstr(b.buf, "\"status\":\"failing\""));
    free(b.buf);
    ls_component_failing(snk, 0);
    assert_int_equal(get(base, "/health", "GET", &b, NULL, 0), 200);
    free(b.buf);
    assert_int_equal(get(base, "/nope", "GET", &b, NULL, 0), 404);
    free(b.buf);
    assert_int_equal(get(base, "/metrics", "POST", &b, NULL, 0), 405);
    free(b.buf);

    ls_monitor_destroy(mon);
    ls_metrics_destroy(m);
    ls_conf_destroy(conf);
}

static void test_monitor_bad_bind(void **state)
{
    (void)state;
    ls_conf_t *conf = ls_conf_new();
    assert_null(ls_conf_set(conf, "monitor.port", "0"));
    assert_null(ls_conf_set(conf, "monitor.bind", "no.such.host.invalid"));
    ls_monitor_t *mon = NULL;
    ls_error_t *err = ls_monitor_new(&mon, "x", conf);
    assert_non_null(err);
    assert_null(mon);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    assert_non_null(strstr(ls_error_message(err), "no.such.host.invalid"));
    ls_error_destroy(err);
    /* A port in use: LS_ERR_IO at start. */
    ls_monitor_t *a = NULL, *b = NULL;
    assert_null(ls_conf_set(conf, "monitor.bind", "127.0.0.1"));
    assert_null(ls_monitor_new(&a, "a", conf));
    assert_null(ls_monitor_start(a));
    char port[16];
    snprintf(port, sizeof(port), "%d", ls_monitor_port(a));
    assert_null(ls_conf_set(conf, "monitor.port", port));
    assert_null(ls_monitor_new(&b, "b", conf));
    err = ls_monitor_start(b);
    assert_int_equal(ls_error_code(err), LS_ERR_IO);
    assert_non_null(strstr(ls_error_message(err), port));
    ls_error_destroy(err);
    ls_monitor_destroy(b);
    ls_monitor_destroy(a);
    /* Off: refused, so tools check ls_monitor_enabled() first. */
    assert_null(ls_conf_set(conf, "monitor.port", "-1"));
    err = ls_monitor_new(&mon, "x", conf);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    ls_error_destroy(err);
    ls_conf_destroy(conf);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prom_names),
        cmocka_unit_test(test_prometheus_format),
        cmocka_unit_test(test_json_snapshot),
        cmocka_unit_test(test_health_decide),
        cmocka_unit_test(test_health_registry),
        cmocka_unit_test(test_create_destroy_loop),
        cmocka_unit_test(test_monitor_http),
        cmocka_unit_test(test_monitor_bad_bind),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
