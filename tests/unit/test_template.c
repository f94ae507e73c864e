/* libstream unit tests: path templates (escapes, sanitising, static dir).
 *
 * Events are real librdkafka messages made through the mock cluster (see
 * test_events.h), in topic "orders", partition 3.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libstream/template.h"
#include "test_events.h"

#define T0_MS 1795666826123LL /* 2026-11-26T04:20:26.123Z, a Thursday */

/* ---- helpers ----------------------------------------------------------- */

static te_env_t *env_of(void **state) { return *state; }

static ls_template_t *tpl(const char *pattern)
{
    ls_template_t *t = NULL;
    ls_error_t *err = ls_template_new(&t, pattern);
    if (err)
        fail_msg("ls_template_new(%s): %s", pattern, ls_error_message(err));
    assert_non_null(t);
    return t;
}

/* Expand pattern for ev at time_ms and compare with want. */
static void check(const char *pattern, const ls_event_t *ev, int64_t time_ms,
                  const char *want)
{
    ls_template_t *t = tpl(pattern);
    char buf[1024];
    size_t n = ls_template_expand(t, ev, time_ms, buf, sizeof(buf));
    if (strcmp(buf, want))
        fail_msg("\"%s\" expanded to \"%s\", expected \"%s\"", pattern, buf,
                 want);
    assert_int_equal(n, strlen(want));
    ls_template_destroy(t);
}

static void check_tp(const char *pattern, const char *topic, int32_t part,
                     int64_t time_ms, const char *want)
{
    ls_template_t *t = tpl(pattern);
    char buf[1024];
    size_t n =
        ls_template_expand_tp(t, topic, part, time_ms, buf, sizeof(buf));
    if (strcmp(buf, want))
        fail_msg("\"%s\" expanded to \"%s\", expected \"%s\"", pattern, buf,
                 want);
    assert_int_equal(n, strlen(want));
    ls_template_destroy(t);
}

static void check_dir(const char *pattern, const char *topic, int32_t part,
                      const char *want)
{
    ls_template_t *t = tpl(pattern);
    char buf[512];
    size_t n = ls_template_static_dir(t, topic, part, buf, sizeof(buf));
    if (strcmp(buf, want))
        fail_msg("static dir of \"%s\" is \"%s\", expected \"%s\"", pattern,
                 buf, want);
    assert_int_equal(n, strlen(want));
    ls_template_destroy(t);
}

/* One event in orders/3 with the given key (NULL: none) and headers. */
static ls_event_t *make_event(void **state, const char *key,
                              const ls_header_t *hdrs, size_t nhdrs)
{
    te_rec_t rec = {.key = key, .key_len = key ? strlen(key) : 0,
                    .value = "v", .value_len = 1, .headers = hdrs,
                    .header_count = nhdrs};
    ls_event_t *ev = NULL;
    assert_int_equal(te_make(env_of(state), "orders", 3, &rec, 1, &ev), 0);
    return ev;
}

static int setup(void **state)
{
    te_env_t *env = te_env_new();
    if (!env)
        return -1;
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    te_env_destroy(*state);
    return 0;
}

/* ---- tests ------------------------------------------------------------- */

static void test_time_escapes(void **state)
{
    (void)state;
    check("%Y-%m-%dT%H:%M:%S", NULL, T0_MS, "2026-11-26T04:20:26");
    check("%s", NULL, T0_MS, "1795666826");
    check("%j", NULL, T0_MS, "330");
    check("100%%/%Y%%", NULL, T0_MS, "100%/2026%");
    check("%%{topic}", NULL, T0_MS, "%{topic}");
    check("%%%Y", NULL, T0_MS, "%2026");
    check("plain/text", NULL, T0_MS, "plain/text");
    check("", NULL, T0_MS, "");
    /* The epoch, and the ms part is dropped, not rounded. */
    check("%Y-%m-%d %H:%M:%S %s %j", NULL, 999, "1970-01-01 00:00:00 0 001");
    /* Leap years: 2024-12-31 is day 366, 2024-03-01 is day 61. */
    check("%Y-%m-%d %j", NULL, 1735603200000LL, "2024-12-31 366");
    check("%Y-%m-%d %j", NULL, 1709251200000LL, "2024-03-01 061");
    check("%Y-%m-%d %j", NULL, 1709164800000LL, "2024-02-29 060");
    /* Before 1970: floor division of negative milliseconds. */
    check("%Y-%m-%d %H:%M:%S %s %j", NULL, -1, "1969-12-31 23:59:59 -1 365");
    check("%H:%M:%S %s", NULL, -1000, "23:59:59 -1");
    check("%H:%M:%S %s", NULL, -1001, "23:59:58 -2");
    check("%Y-%m-%d %j %s", NULL, -2208988800000LL,
          "1900-01-01 001 -2208988800");
    /* Single-digit fields are zero-padded. */
    check("%Y/%m/%d/%H/%M/%S", NULL, 1000LL * (3600 * 1 + 60 * 2 + 3),
          "1970/01/01/01/02/03");
}

static void test_record_escapes(void **state)
{
    ls_header_t hdrs[] = {
        {"region", "eu", 2},
        {"h", "first", 5},
        {"h", "last", 4},
        {"empty", "", 0},
        {"null", NULL, 0},
        {"utf8", "caf\xc3\xa9", 5},
    };
    ls_event_t *ev = make_event(state, "ORD-1", hdrs, 6);
    assert_string_equal(ls_event_topic(ev), "orders");
    assert_int_equal(ls_event_partition(ev), 3);

    check("%{topic}/%{partition}/%{key}", ev, T0_MS, "orders/3/ORD-1");
    check("r=%{region}", ev, T0_MS, "r=eu");
    check("%{h}", ev, T0_MS, "last"); /* the last header of that name */
    check("%{empty}|%{null}|%{missing}", ev, T0_MS, "_|_|_");
    check("%{utf8}", ev, T0_MS, "caf\xc3\xa9");
    check("%{topic}/%Y/%m/%d/%H/%{key}-%{partition}.json", ev, T0_MS,
          "orders/2026/11/26/04/ORD-1-3.json");
    char want[64];
    snprintf(want, sizeof(want), "o=%010lld", (long long)ls_event_offset(ev));
    check("o=%{offset}", ev, T0_MS, want);
    check("%{type}", ev, T0_MS, "orders"); /* no _topic suffix: unchanged */
    ls_event_destroy(ev);

    /* %{type}: the replaced demo's folder rule, sales_topic -> sales. */
    te_rec_t rec = {.key = "k", .key_len = 1, .value = "v", .value_len = 1};
    assert_int_equal(te_make(env_of(state), "sales_topic", 0, &rec, 1, &ev), 0);
    check("%{type}/%{type}_%Y%m%d_%{partition}", ev, T0_MS,
          "sales/sales_20261126_0");
    ls_event_destroy(ev);

    /* No key. */
    ev = make_event(state, NULL, NULL, 0);
    check("k=%{key} h=%{h}", ev, T0_MS, "k=_ h=_");
    ls_event_destroy(ev);

    /* No event: every record escape gives "_". */
    check("%{topic}/%{partition}/%{key}/%{h}/%Y", NULL, T0_MS,
          "_/_/_/_/2026");
    check("%{offset}/%{type}", NULL, T0_MS, "_/_");
}

static void test_expand_tp(void **state)
{
    (void)state;
    check_tp("%{topic}/%{partition}/%{key}/%{h}/%Y", "orders", 7, T0_MS,
             "orders/7/_/_/2026");
    check_tp("%{topic}", NULL, 0, T0_MS, "_");
    check_tp("%{topic}", "", 0, T0_MS, "_");
    check_tp("%{topic}", "..", 0, T0_MS, "_");
    check_tp("%{topic}", "../x", 0, T0_MS, ".._x");
    check_tp("p%{partition}", "t", -1, T0_MS, "p-1");
}

/* Checks that a path expanded from a hostile value is safe: exactly
 * want_slashes '/' (those of the pattern), no "." or ".." segment and
 * no control byte. */
static void assert_safe(const char *path, int want_slashes)
{
    int slashes = 0;
    const char *seg = path;
    for (const char *p = path;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t n = (size_t)(p - seg);
            if ((n == 1 && seg[0] == '.') ||
                (n == 2 && seg[0] == '.' && seg[1] == '.'))
                fail_msg("\"%s\" has a dot segment", path);
            if (!*p)
                break;
            slashes++;
            seg = p + 1;
            continue;
        }
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || c == '\\')
            fail_msg("\"%s\" has byte 0x%02x", path, c);
    }
    assert_int_equal(slashes, want_slashes);
}

static void test_hostile_values(void **state)
{
    static char big[1000], dots[1000], want_big[201];
    memset(big, 'a', sizeof(big));
    memset(dots, '.', sizeof(dots));
    memset(want_big, 'a', 200);
    want_big[200] = '\0';
    static const struct {
        const char *value;
        size_t len;
        const char *want;
    } cases[] = {
        {"../../etc/passwd", 16, ".._.._etc_passwd"},
        {"..", 2, "_"},
        {".", 1, "_"},
        {"....", 4, "_"},
        {"a/b", 3, "a_b"},
        {"a\\b", 3, "a_b"},
        {"\x01\n", 2, "__"},
        {"\x7f\t\r", 3, "___"},
        {"", 0, "_"},
        {"x\0y", 3, "x_y"}, /* an embedded NUL is a control byte */
        {".a.", 3, ".a."},
        {"/", 1, "_"},
        {big, sizeof(big), want_big},
        {dots, sizeof(dots), "_"},
    };
    ls_template_t *t = tpl("root/%{h}/%{key}.txt");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ls_header_t h = {"h", cases[i].value, cases[i].len};
        /* The key carries the same hostile bytes. */
        char key[1001];
        memcpy(key, cases[i].value, cases[i].len);
        key[cases[i].len] = '\0';
        te_rec_t rec = {.key = key, .key_len = cases[i].len, .value = "v",
                        .value_len = 1, .headers = &h, .header_count = 1};
        ls_event_t *ev = NULL;
        assert_int_equal(te_make(env_of(state), "orders", 3, &rec, 1, &ev),
                         0);
        char buf[1024], want[1024];
        snprintf(want, sizeof(want), "root/%s/%s.txt", cases[i].want,
                 cases[i].want);
        size_t n = ls_template_expand(t, ev, T0_MS, buf, sizeof(buf));
        if (strcmp(buf, want))
            fail_msg("case %zu: \"%s\", expected \"%s\"", i, buf, want);
        assert_int_equal(n, strlen(want));
        assert_safe(buf, 2);
        /* A value alone never makes a path either. */
        ls_template_t *t1 = tpl("%{h}");
        ls_template_expand(t1, ev, T0_MS, buf, sizeof(buf));
        assert_safe(buf, 0);
        assert_true(strlen(buf) <= 200);
        ls_template_destroy(t1);
        ls_event_destroy(ev);
    }
    ls_template_destroy(t);

    /* A header value with '/' in it, and no event at all. */
    ls_header_t h = {"h", "x/y", 3};
    ls_event_t *ev = make_event(state, "k", &h, 1);
    check("%{h}", ev, T0_MS, "x_y");
    ls_event_destroy(ev);
    check("%{h}", NULL, T0_MS, "_");
}

static void expect_bad(const char *pattern, const char *needle)
{
    ls_template_t *t = (ls_template_t *)1;
    ls_error_t *err = ls_template_new(&t, pattern);
    if (!err)
        fail_msg("pattern \"%s\" was accepted", pattern);
    assert_null(t);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    const char *msg = ls_error_message(err);
    char quoted[128];
    snprintf(quoted, sizeof(quoted), "\"%s\"", pattern);
    if (!strstr(msg, quoted) || !strstr(msg, needle))
        fail_msg("message \"%s\" lacks %s or %s", msg, quoted, needle);
    ls_error_destroy(err);
}

static void test_bad_patterns(void **state)
{
    (void)state;
    expect_bad("%q", "%q");
    expect_bad("a/%Y/%x", "%x");
    expect_bad("%{", "unterminated");
    expect_bad("x/%{topic", "unterminated");
    expect_bad("%{}", "%{}");
    expect_bad("%", "lone '%'");
    expect_bad("a/b%", "lone '%'");
    expect_bad("%%%", "lone '%'");
    ls_template_t *t = (ls_template_t *)1;
    ls_error_t *err = ls_template_new(&t, NULL);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    assert_null(t);
    ls_error_destroy(err);
    ls_template_destroy(NULL);
}

static void test_snprintf_semantics(void **state)
{
    (void)state;
    ls_template_t *t = tpl("%{topic}/%Y/%{h}");
    const char *full = "orders/2026/_";
    size_t len = strlen(full);
    char buf[64];
    assert_int_equal(ls_template_expand_tp(t, "orders", 0, T0_MS, NULL, 0),
                     len);
    for (size_t size = 1; size <= len + 2; size++) {
        memset(buf, '#', sizeof(buf));
        size_t n = ls_template_expand_tp(t, "orders", 0, T0_MS, buf, size);
        assert_int_equal(n, len);
        size_t kept = size - 1 < len ? size - 1 : len;
        assert_memory_equal(buf, full, kept);
        assert_int_equal(buf[kept], '\0');
        if (size < sizeof(buf))
            assert_int_equal(buf[size], '#'); /* nothing past size */
    }
    /* Long values are counted in full when truncated. */
    ls_header_t h = {"h", "0123456789", 10};
    ls_event_t *ev = make_event(state, "key", &h, 1);
    char small[4];
    assert_int_equal(ls_template_expand(t, ev, T0_MS, small, sizeof(small)),
                     strlen("orders/2026/0123456789"));
    assert_string_equal(small, "ord");
    ls_event_destroy(ev);
    ls_template_destroy(t);
}

static void test_uses(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        int time, record, topic;
    } cases[] = {
        {"plain", 0, 0, 0},         {"%%Y", 0, 0, 0},
        {"%Y", 1, 0, 0},            {"%m", 1, 0, 0},
        {"%d", 1, 0, 0},            {"%H", 1, 0, 0},
        {"%M", 1, 0, 0},            {"%S", 1, 0, 0},
        {"%s", 1, 0, 0},            {"%j", 1, 0, 0},
        {"%{topic}", 0, 0, 1},      {"%{partition}", 0, 0, 0},
        {"%{key}", 0, 1, 0},        {"%{region}", 0, 1, 0},
        {"%{topic}/%Y/%{h}", 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ls_template_t *t = tpl(cases[i].pattern);
        assert_int_equal(!!ls_template_uses_time(t), cases[i].time);
        assert_int_equal(!!ls_template_uses_record(t), cases[i].record);
        assert_int_equal(!!ls_template_uses_topic(t), cases[i].topic);
        ls_template_destroy(t);
    }
}

static void test_static_dir(void **state)
{
    (void)state;
    check_dir("%{topic}/%Y-%m-%d", "orders", 0, "orders");
    check_dir("archive/%{topic}/x/%{key}/y", "orders", 0, "archive/orders/x");
    check_dir("%Y/x", "orders", 0, "");
    check_dir("nodir-%Y", "orders", 0, "");
    check_dir("/data/%{topic}/%{partition}/%H.log", "orders", 5,
              "/data/orders/5");
    check_dir("/%Y", "orders", 0, "/");
    check_dir("a/b/c.txt", "t", 0, "a/b");
    check_dir("%{topic}-%{partition}/f", "orders", 2, "orders-2");
    check_dir("%{key}/x", "orders", 0, "");
    check_dir("x%%y/z%{h}/w", "orders", 0, "x%y");
    check_dir("d/%{topic}", "../evil", 0, "d");
    check_dir("%{topic}/%{topic}/%Y", "../evil", 0, ".._evil/.._evil");

    /* snprintf semantics. */
    ls_template_t *t = tpl("archive/%{topic}/x/%Y");
    char buf[8];
    assert_int_equal(ls_template_static_dir(t, "orders", 0, buf, sizeof(buf)),
                     strlen("archive/orders/x"));
    assert_string_equal(buf, "archive");
    assert_int_equal(ls_template_static_dir(t, "orders", 0, NULL, 0),
                     strlen("archive/orders/x"));
    ls_template_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_escapes),
        cmocka_unit_test(test_record_escapes),
        cmocka_unit_test(test_expand_tp),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_bad_patterns),
        cmocka_unit_test(test_snprintf_semantics),
        cmocka_unit_test(test_uses),
        cmocka_unit_test(test_static_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
