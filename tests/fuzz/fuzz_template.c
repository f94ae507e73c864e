/* Fuzz target: path and key templates (lib/template.c) — the pattern
 * itself (archive.path, archive.prefix, s3sink.key come from outside)
 * and hostile record values substituted into it (topic, key, headers),
 * plus the JSON envelope of the same record (ls_event_to_json).
 *
 * Input: fields separated by 0xFF:
 *   TIME_MS[,PARTITION] 0xFF PATTERN 0xFF TOPIC 0xFF KEY 0xFF NAME=VALUE...
 * The record is a real librdkafka message: produced to a producer with no
 * broker, purged at once, and seen in its delivery report.  Its topic is
 * one of a few valid names (a real topic name); the arbitrary TOPIC goes
 * through ls_template_expand_tp and ls_template_static_dir, as recovery
 * does with names read back from storage. */
#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "fuzz_util.h"

#include "libstream/event.h"
#include "libstream/template.h"

#define MAX_HEADERS 16

static rd_kafka_t *rk;
static ls_template_t *fixed[4]; /* one value each: sanitising checked */
static const char *const fixed_pat[4] = {"%{topic}", "%{key}", "%{type}",
                                         "%{h}"};

typedef struct {
    const ls_template_t *t; /* the fuzzed pattern, or NULL */
    int64_t time_ms;
    int seen;
} cur_t;

static cur_t cur;

/* Expand through every buffer size class and check snprintf semantics
 * against the full expansion.  Returns the full text (malloc'd). */
typedef size_t(expand_fn)(const ls_template_t *t, const void *a, int64_t tm,
                          char *buf, size_t size);

static size_t ex_event(const ls_template_t *t, const void *a, int64_t tm,
                       char *buf, size_t size)
{
    return ls_template_expand(t, a, tm, buf, size);
}

static const char *tp_topic;
static int32_t tp_part;

static size_t ex_tp(const ls_template_t *t, const void *a, int64_t tm,
                    char *buf, size_t size)
{
    (void)a;
    return ls_template_expand_tp(t, tp_topic, tp_part, tm, buf, size);
}

static size_t ex_dir(const ls_template_t *t, const void *a, int64_t tm,
                     char *buf, size_t size)
{
    (void)a;
    (void)tm;
    return ls_template_static_dir(t, tp_topic, tp_part, buf, size);
}

static char *expand_all(expand_fn *fn, const ls_template_t *t, const void *a,
                        int64_t tm)
{
    size_t need = fn(t, a, tm, NULL, 0);
    FZ_CHECK(need < (1u << 24));
    char *full = malloc(need + 1);
    FZ_CHECK(full != NULL);
    FZ_CHECK(fn(t, a, tm, full, need + 1) == need);
    FZ_CHECK(strlen(full) <= need);
    /* Cut short: a prefix, NUL-terminated, same needed length. */
    size_t small = need / 2 + 1;
    char *part = malloc(small);
    FZ_CHECK(part != NULL);
    FZ_CHECK(fn(t, a, tm, part, small) == need);
    FZ_CHECK(strlen(part) <= small - 1);
    FZ_CHECK(!memcmp(part, full, strlen(part)));
    free(part);
    return full;
}

/* A value substituted alone: never a path separator, control byte, or a
 * "." / ".." segment; never empty; at most 200 bytes. */
static void check_sanitised(const char *s, size_t n)
{
    size_t dots = 0;
    FZ_CHECK(n >= 1 && n <= 200);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        FZ_CHECK(ch >= 0x20 && ch != 0x7f && ch != '/' && ch != '\\');
        dots += ch == '.';
    }
    FZ_CHECK(dots < n);
}

static void run_fixed(expand_fn *fn, const void *a, int64_t tm)
{
    for (size_t i = 0; i < 4; i++) {
        char *s = expand_all(fn, fixed[i], a, tm);
        /* %{topic} and %{type} of an event are a real topic name; the
         * checks hold for them too. */
        check_sanitised(s, strlen(s));
        free(s);
    }
}

static void dr_cb(rd_kafka_t *k, const rd_kafka_message_t *m, void *opaque)
{
    (void)k;
    (void)opaque;
    const ls_event_t *ev = (const ls_event_t *)m;
    cur.seen++;
    if (cur.t)
        free(expand_all(ex_event, cur.t, ev, cur.time_ms));
    run_fixed(ex_event, ev, cur.time_ms);
    /* The JSON envelope of a record: valid JSON whatever the bytes. */
    size_t need = ls_event_to_json(ev, NULL, 0);
    char *js = malloc(need + 1);
    FZ_CHECK(js != NULL);
    FZ_CHECK(ls_event_to_json(ev, js, need + 1) == need);
    FZ_CHECK(strlen(js) == need);
    cJSON *j = cJSON_ParseWithLength(js, need);
    FZ_CHECK(cJSON_IsObject(j));
    cJSON_Delete(j);
    free(js);
}

static void quiet(const rd_kafka_t *k, int level, const char *fac,
                  const char *buf)
{
    (void)k;
    (void)level;
    (void)fac;
    (void)buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[512];
    (void)argc;
    (void)argv;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    if (rd_kafka_conf_set(conf, "linger.ms", "100000", err, sizeof(err)) ||
        !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)))) {
        fprintf(stderr, "fuzz_template: %s\n", err);
        abort();
    }
    for (size_t i = 0; i < 4; i++) {
        ls_error_t *e = ls_template_new(&fixed[i], fixed_pat[i]);
        FZ_CHECK(e == NULL);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const topics[] = {"orders", "sales_topic", "_topic",
                                         "a.b-c"};
    fz_span_t f[4 + MAX_HEADERS];
    if (size > 8192)
        return -1;
    memset(f, 0, sizeof(f));
    size_t nf = fz_split(data, size, f, 4 + MAX_HEADERS);

    char *tms = fz_str(f[0].p, f[0].n);
    char *comma = strchr(tms, ',');
    int64_t time_ms = strtoll(tms, NULL, 10);
    int32_t part = comma ? (int32_t)strtol(comma + 1, NULL, 10) : 0;
    free(tms);

    char *pattern = fz_str(f[1].p, f[1].n);
    ls_template_t *t = NULL;
    ls_error_t *err = ls_template_new(&t, pattern);
    FZ_CHECK(!err == !!t);
    if (err)
        FZ_CHECK(ls_error_message(err) != NULL);
    ls_error_destroy(err);

    /* No record: topic and partition only (recovery). */
    char *topic = nf > 2 ? fz_str(f[2].p, f[2].n) : NULL;
    tp_topic = topic;
    tp_part = part;
    if (t) {
        (void)ls_template_uses_time(t);
        (void)ls_template_uses_record(t);
        (void)ls_template_uses_topic(t);
        free(expand_all(ex_tp, t, NULL, time_ms));
        free(expand_all(ex_dir, t, NULL, time_ms));
        free(expand_all(ex_event, t, NULL, time_ms));
    }
    run_fixed(ex_tp, NULL, time_ms);

    /* A record: key and headers as given (binary allowed). */
    rd_kafka_headers_t *hs = rd_kafka_headers_new(MAX_HEADERS);
    for (size_t i = 4; i < nf; i++) {
        const uint8_t *eq = memchr(f[i].p, '=', f[i].n);
        size_t nl = eq ? (size_t)(eq - f[i].p) : f[i].n;
        char *name = fz_str(f[i].p, nl);
        const uint8_t *v = eq ? eq + 1 : NULL;
        size_t vl = eq ? f[i].n - nl - 1 : 0;
        rd_kafka_header_add(hs, name, -1, v, vl);
        free(name);
    }
    const char *ktopic = topics[(f[2].n + (size_t)(part & 3)) % 4];
    cur.t = t;
    cur.time_ms = time_ms;
    cur.seen = 0;
    /* (The V_ macros cast their arguments unparenthesised.) */
    const void *key = nf > 3 ? f[3].p : NULL;
    size_t key_len = nf > 3 ? f[3].n : 0;
    int64_t ts = time_ms > 0 ? time_ms : 0;
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(ktopic), RD_KAFKA_V_PARTITION(part & 7),
        RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_VALUE((void *)data, size), RD_KAFKA_V_HEADERS(hs),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
    if (e) {
        fprintf(stderr, "fuzz_template: producev: %s\n", rd_kafka_err2str(e));
        abort();
    }
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE);
    while (!cur.seen)
        rd_kafka_poll(rk, 10);
    cur.t = NULL;

    ls_template_destroy(t);
    free(topic);
    free(pattern);
    return 0;
}
