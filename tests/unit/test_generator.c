/* libstream unit tests: the deterministic JSON event generators. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "libstream/generator.h"

#define T0_MS 1795666826123LL /* 2026-11-26T04:20:26.123Z */

static const char *const erp_kinds[6] = {"sales",     "payments",
                                         "interactions", "inventory",
                                         "procurement", "telemetry"};
static const char *const erp_prefixes[6] = {"SALE-", "PAY-", "INT-",
                                            "INV-",  "PROC-", "TEL-"};

/* ---- helpers ----------------------------------------------------------- */

static ls_generator_t *new_gen(const char *kind, uint64_t seed)
{
    ls_generator_t *g = NULL;
    ls_error_t *err = ls_generator_new(&g, kind, seed);
    if (err)
        fail_msg("ls_generator_new(%s): %s", kind, ls_error_message(err));
    assert_non_null(g);
    return g;
}

/* Parse the current event, checking it is one complete JSON object with
 * no trailing newline and a length that matches. */
static cJSON *parse_current(const ls_generator_t *g)
{
    size_t len = 0;
    const char *v = ls_generator_value(g, &len);
    assert_non_null(v);
    assert_true(len > 2);
    assert_int_equal(strlen(v), len);
    assert_int_equal(v[0], '{');
    assert_int_equal(v[len - 1], '}');
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithOpts(v, &end, 1);
    if (!o)
        fail_msg("invalid JSON: %s", v);
    assert_true(cJSON_IsObject(o));
    return o;
}

static const char *get_str(const cJSON *o, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(it) || !it->valuestring)
        fail_msg("field \"%s\" missing or not a string", name);
    return it->valuestring;
}

static double get_num(const cJSON *o, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(it))
        fail_msg("field \"%s\" missing or not a number", name);
    return it->valuedouble;
}

static long long get_int(const cJSON *o, const char *name)
{
    double d = get_num(o, name);
    long long i = (long long)d;
    if ((double)i != d)
        fail_msg("field \"%s\" is not an integer: %f", name, d);
    return i;
}

/* The raw text of a numeric field, from the JSON text itself. */
static void raw_number(const char *json, const char *name, char *out,
                       size_t outsz)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", name);
    const char *p = strstr(json, pat);
    if (!p)
        fail_msg("field \"%s\" not in %s", name, json);
    p += strlen(pat);
    size_t n = 0;
    while (p[n] && (isdigit((unsigned char)p[n]) || p[n] == '.' ||
                    p[n] == '-') && n + 1 < outsz) {
        out[n] = p[n];
        n++;
    }
    out[n] = '\0';
}

/* A number with exactly `places` decimals, scaled to an integer. */
static long long fixed_field(const char *json, const char *name, int places)
{
    char raw[64];
    raw_number(json, name, raw, sizeof(raw));
    const char *dot = strchr(raw, '.');
    if (!dot || (int)strlen(dot + 1) != places)
        fail_msg("field \"%s\" = \"%s\": want exactly %d decimals", name, raw,
                 places);
    int neg = raw[0] == '-';
    long long v = 0;
    for (const char *c = raw + neg; *c; c++) {
        if (*c == '.')
            continue;
        if (!isdigit((unsigned char)*c))
            fail_msg("field \"%s\" = \"%s\": not a decimal", name, raw);
        v = v * 10 + (*c - '0');
    }
    return neg ? -v : v;
}

static long long cents_field(const char *json, const char *name)
{
    return fixed_field(json, name, 2);
}

static int has_prefix_digits(const char *s, const char *prefix, size_t ndig)
{
    size_t pl = strlen(prefix);
    if (strncmp(s, prefix, pl) != 0 || strlen(s) != pl + ndig)
        return 0;
    for (size_t i = pl; i < pl + ndig; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* prefix followed by exactly 8 uppercase hex digits. */
static int is_hex_id(const char *s, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(s, prefix, pl) != 0 || strlen(s) != pl + 8)
        return 0;
    for (size_t i = pl; i < pl + 8; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'A' && s[i] <= 'F'))
            return 0;
    return 1;
}

/* ISO 8601 UTC with milliseconds, computed independently with gmtime_r. */
static void iso_ms(int64_t ms, char *out, size_t outsz)
{
    int64_t sec = ms / 1000, rem = ms % 1000;
    if (rem < 0) {
        rem += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outsz, "%s.%03dZ", base, (int)rem);
}

static int is_iso_ts(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (strlen(s) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return 0;
    }
    return 1;
}

static unsigned vin_value(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    static const char *const groups[] = {"AJ", "BKS", "CLT", "DMU", "ENV",
                                         "FW", "GPX", "HY",  "RZ"};
    static const unsigned vals[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        if (strchr(groups[i], c))
            return vals[i];
    return 100; /* I, O, Q and anything else */
}

/* 17 chars, no I/O/Q, valid ISO 3779 check digit in position 9. */
static int is_valid_vin(const char *v)
{
    static const unsigned w[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0,
                                   9, 8, 7, 6, 5, 4, 3, 2};
    if (strlen(v) != 17)
        return 0;
    unsigned sum = 0;
    for (int i = 0; i < 17; i++) {
        char c = v[i];
        if (!(isdigit((unsigned char)c) || (c >= 'A' && c <= 'Z')) ||
            c == 'I' || c == 'O' || c == 'Q')
            return 0;
        if (i != 8)
            sum += vin_value(c) * w[i];
    }
    sum %= 11;
    return v[8] == (sum == 10 ? 'X' : (char)('0' + sum));
}

static int in_set(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Assert that n keys produced by the kind are all distinct. */
static void check_keys_unique(const char *kind, size_t n)
{
    ls_generator_t *g = new_gen(kind, 7);
    ls_generator_set_clock(g, T0_MS, 1);
    char *store = malloc(n * 32);
    char **keys = malloc(n * sizeof(*keys));
    assert_non_null(store);
    assert_non_null(keys);
    for (size_t i = 0; i < n; i++) {
        size_t kl = 0;
        ls_generator_next(g);
        const char *k = ls_generator_key(g, &kl);
        assert_true(kl > 0 && kl < 32);
        memcpy(store + i * 32, k, kl);
        store[i * 32 + kl] = '\0';
        keys[i] = store + i * 32;
    }
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            fail_msg("%s: duplicate key %s", kind, keys[i]);
    free(keys);
    free(store);
    ls_generator_destroy(g);
}

/* ---- tests ------------------------------------------------------------- */

static void test_new_errors(void **state)
{
    (void)state;
    ls_generator_t *g = (ls_generator_t *)(uintptr_t)1;
    ls_error_t *err = ls_generator_new(&g, "foo", 1);
    assert_non_null(err);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    assert_null(g);
    const char *msg = ls_error_message(err);
    assert_non_null(strstr(msg, "\"foo\""));
    assert_non_null(strstr(msg, "orders"));
    assert_non_null(strstr(msg, "telemetry"));
    assert_non_null(strstr(msg, "erp"));
    ls_error_destroy(err);

    /* Case matters, and near-misses are rejected. */
    err = ls_generator_new(&g, "Orders", 1);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    assert_non_null(strstr(ls_error_message(err), "Orders"));
    ls_error_destroy(err);
    err = ls_generator_new(&g, "", 1);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    ls_error_destroy(err);

    err = ls_generator_new(NULL, "orders", 1);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    ls_error_destroy(err);

    g = (ls_generator_t *)(uintptr_t)1;
    err = ls_generator_new(&g, NULL, 1);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    assert_null(g);
    ls_error_destroy(err);
}

static void test_kinds_list(void **state)
{
    (void)state;
    static const char *const want[] = {
        "orders",    "clicks",      "sales",     "payments", "interactions",
        "inventory", "procurement", "telemetry", "erp"};
    char list[256];
    snprintf(list, sizeof(list), "%s", ls_generator_kinds());
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        assert_true(n < 9);
        assert_string_equal(tok, want[n]);
        ls_generator_t *g = new_gen(tok, 1);
        ls_generator_next(g);
        cJSON_Delete(parse_current(g));
        ls_generator_destroy(g);
        n++;
    }
    assert_int_equal(n, 9);
}

static void test_orders_shape(void **state)
{
    (void)state;
    ls_generator_t *g = new_gen("orders", 42);
    ls_generator_set_clock(g, T0_MS, 1000);
    assert_string_equal(ls_generator_topic(g), "orders");
    int qty_seen[6] = {0};
    char first_tag[13] = "";
    for (int i = 0; i < 5000; i++) {
        ls_generator_next(g);
        const char *json = ls_generator_value(g, NULL);
        cJSON *o = parse_current(g);

        const char *id = get_str(o, "order_id");
        /* ORD-<4-digit seed tag><sequence, 8 digits here>: digits only */
        assert_int_equal(strlen(id), 16);
        assert_true(has_prefix_digits(id, "ORD-", 12));
        char tag[9];
        memcpy(tag, id, 8);
        tag[8] = '\0';
        if (i == 0)
            memcpy(first_tag, tag, sizeof(tag));
        assert_string_equal(tag, first_tag);
        char seqs[16];
        snprintf(seqs, sizeof(seqs), "%08d", i + 1);
        assert_string_equal(id + 8, seqs);

        size_t kl = 0;
        const char *key = ls_generator_key(g, &kl);
        assert_int_equal(kl, strlen(id));
        assert_memory_equal(key, id, kl);

        assert_true(has_prefix_digits(get_str(o, "customer_id"), "CUST-", 5));
        const char *cust = get_str(o, "customer");
        assert_non_null(strchr(cust, ' '));
        assert_true(has_prefix_digits(get_str(o, "product_id"), "P-", 3));
        assert_true(strlen(get_str(o, "product")) > 0);
        assert_true(strlen(get_str(o, "category")) > 0);
        assert_string_equal(get_str(o, "currency"), "USD");

        long long qty = get_int(o, "quantity");
        assert_in_range(qty, 1, 5);
        qty_seen[qty] = 1;
        get_num(o, "price");
        get_num(o, "total");
        long long price = cents_field(json, "price");
        long long total = cents_field(json, "total");
        assert_true(price > 0);
        assert_true(total == qty * price);

        const char *ts = get_str(o, "timestamp");
        assert_true(is_iso_ts(ts));
        char want[40];
        iso_ms(T0_MS + (int64_t)i * 1000, want, sizeof(want));
        assert_string_equal(ts, want);
        assert_int_equal(ls_generator_timestamp(g), T0_MS + (int64_t)i * 1000);
        cJSON_Delete(o);
    }
    for (int q = 1; q <= 5; q++)
        assert_true(qty_seen[q]);
    ls_generator_destroy(g);
}

static void test_order_ids_unique(void **state)
{
    (void)state;
    check_keys_unique("orders", 100000);
}

static void test_event_ids_unique(void **state)
{
    (void)state;
    check_keys_unique("erp", 100000);
    check_keys_unique("sales", 100000);
    check_keys_unique("clicks", 100000);
}

static void test_clicks_shape(void **state)
{
    (void)state;
    static const char *const actions[] = {"view", "click", "add_to_cart",
                                          "purchase"};
    ls_generator_t *g = new_gen("clicks", 3);
    ls_generator_set_clock(g, T0_MS, 10);
    assert_string_equal(ls_generator_topic(g), "clicks");
    int low = 0, medium = 0, high = 0;
    int action_seen[4] = {0};
    for (int i = 0; i < 5000; i++) {
        ls_generator_next(g);
        const char *json = ls_generator_value(g, NULL);
        cJSON *o = parse_current(g);
        const char *id = get_str(o, "event_id");
        assert_true(is_hex_id(id, "CLK-"));
        assert_string_equal(ls_generator_key(g, NULL), id);
        assert_true(has_prefix_digits(get_str(o, "user_id"), "USER-", 5));
        assert_true(has_prefix_digits(get_str(o, "product_id"), "P-", 3));
        assert_true(strlen(get_str(o, "product")) > 0);
        assert_true(strlen(get_str(o, "category")) > 0);
        get_num(o, "price");
        long long price = cents_field(json, "price");
        assert_true(price > 0);
        const char *bucket = get_str(o, "price_bucket");
        if (price < 5000) {
            low++;
            assert_string_equal(bucket, "low");
        } else if (price <= 20000) {
            medium++;
            assert_string_equal(bucket, "medium");
        } else {
            high++;
            assert_string_equal(bucket, "high");
        }
        const char *action = get_str(o, "action");
        assert_true(in_set(action, actions, 4));
        for (int a = 0; a < 4; a++)
            if (strcmp(action, actions[a]) == 0)
                action_seen[a] = 1;
        assert_true(is_iso_ts(get_str(o, "timestamp")));
        cJSON_Delete(o);
    }
    /* Every bucket gets a real share. */
    assert_true(low > 500);
    assert_true(medium > 500);
    assert_true(high > 500);
    for (int a = 0; a < 4; a++)
        assert_true(action_seen[a]);
    ls_generator_destroy(g);
}

static void check_erp_common(const ls_generator_t *g, const cJSON *o,
                             int which)
{
    char topic[64];
    assert_string_equal(get_str(o, "event_type"), erp_kinds[which]);
    snprintf(topic, sizeof(topic), "%s_topic", erp_kinds[which]);
    assert_string_equal(ls_generator_topic(g), topic);
    const char *id = get_str(o, "event_id");
    if (!is_hex_id(id, erp_prefixes[which]))
        fail_msg("bad event_id %s for %s", id, erp_kinds[which]);
    size_t kl = 0;
    const char *key = ls_generator_key(g, &kl);
    assert_int_equal(kl, strlen(id));
    assert_memory_equal(key, id, kl);
    assert_true(is_iso_ts(get_str(o, "timestamp")));
}

static void check_erp_fields(const char *json, const cJSON *o, int which)
{
    static const char *const methods[] = {"card", "bank_transfer", "cash",
                                          "financing"};
    static const char *const statuses[] = {"completed", "pending", "failed",
                                           "refunded"};
    static const char *const channels[] = {"email", "phone", "web",
                                           "showroom"};
    static const char *const currencies[] = {"EUR", "USD", "GBP"};
    switch (which) {
    case 0: /* sales */
        assert_true(is_valid_vin(get_str(o, "vin")));
        assert_true(has_prefix_digits(get_str(o, "customer_id"), "CUST-", 5));
        assert_true(strlen(get_str(o, "model")) > 0);
        get_num(o, "amount");
        assert_true(cents_field(json, "amount") >= 1000000);
        assert_true(in_set(get_str(o, "currency"), currencies, 3));
        assert_true(strlen(get_str(o, "dealer")) > 0);
        break;
    case 1: /* payments */
        assert_true(has_prefix_digits(get_str(o, "payment_ref"), "REF-", 10));
        assert_true(has_prefix_digits(get_str(o, "customer_id"), "CUST-", 5));
        get_num(o, "amount");
        assert_true(cents_field(json, "amount") > 0);
        assert_true(in_set(get_str(o, "currency"), currencies, 3));
        assert_true(in_set(get_str(o, "method"), methods, 4));
        assert_true(in_set(get_str(o, "status"), statuses, 4));
        break;
    case 2: /* interactions */
        assert_true(has_prefix_digits(get_str(o, "customer_id"), "CUST-", 5));
        assert_true(in_set(get_str(o, "channel"), channels, 4));
        assert_true(strlen(get_str(o, "type")) > 0);
        assert_non_null(strchr(get_str(o, "agent"), ' '));
        assert_in_range(get_int(o, "duration_s"), 1, 86400);
        break;
    case 3: /* inventory */
        assert_true(has_prefix_digits(get_str(o, "sku"), "SKU-", 5));
        assert_true(strlen(get_str(o, "part")) > 0);
        assert_true(strncmp(get_str(o, "warehouse"), "WH-", 3) == 0);
        assert_in_range(get_int(o, "stock_level"), 0, 1000000);
        assert_in_range(get_int(o, "reorder_point"), 1, 1000000);
        break;
    case 4: { /* procurement */
        assert_true(has_prefix_digits(get_str(o, "po_number"), "PO-", 8));
        assert_true(strlen(get_str(o, "supplier")) > 0);
        assert_true(has_prefix_digits(get_str(o, "sku"), "SKU-", 5));
        assert_true(strlen(get_str(o, "part")) > 0);
        long long qty = get_int(o, "quantity");
        assert_in_range(qty, 1, 100000);
        get_num(o, "unit_cost");
        get_num(o, "total_cost");
        long long unit = cents_field(json, "unit_cost");
        long long total = cents_field(json, "total_cost");
        assert_true(unit > 0);
        assert_true(total == qty * unit);
        assert_true(in_set(get_str(o, "currency"), currencies, 3));
        break;
    }
    case 5: { /* telemetry */
        assert_true(is_valid_vin(get_str(o, "vin")));
        double lat = get_num(o, "lat"), lon = get_num(o, "lon");
        assert_true(lat >= -90.0 && lat <= 90.0);
        assert_true(lon >= -180.0 && lon <= 180.0);
        long long ulat = fixed_field(json, "lat", 6);
        long long ulon = fixed_field(json, "lon", 6);
        assert_true(ulat >= -90000000 && ulat <= 90000000);
        assert_true(ulon >= -180000000 && ulon <= 180000000);
        double speed = get_num(o, "speed_kmh");
        assert_true(speed >= 0.0 && speed <= 250.0);
        double fuel = get_num(o, "fuel_pct");
        assert_true(fuel >= 0.0 && fuel <= 100.0);
        double temp = get_num(o, "engine_temp_c");
        assert_true(temp >= -40.0 && temp <= 150.0);
        break;
    }
    default:
        fail();
    }
}

static void test_erp_kinds_shape(void **state)
{
    (void)state;
    for (int k = 0; k < 6; k++) {
        ls_generator_t *g = new_gen(erp_kinds[k], 99);
        ls_generator_set_clock(g, T0_MS, 5);
        for (int i = 0; i < 3000; i++) {
            ls_generator_next(g);
            const char *json = ls_generator_value(g, NULL);
            cJSON *o = parse_current(g);
            check_erp_common(g, o, k);
            check_erp_fields(json, o, k);
            char want[40];
            iso_ms(T0_MS + 5 * (int64_t)i, want, sizeof(want));
            assert_string_equal(get_str(o, "timestamp"), want);
            cJSON_Delete(o);
        }
        ls_generator_destroy(g);
    }
}

static void test_telemetry_negative_coordinates(void **state)
{
    (void)state;
    /* Some fleet cities are south/west of 0,0; negatives print right. */
    ls_generator_t *g = new_gen("telemetry", 5);
    ls_generator_set_clock(g, T0_MS, 1);
    int neg_lat = 0, neg_lon = 0;
    for (int i = 0; i < 5000; i++) {
        ls_generator_next(g);
        const char *json = ls_generator_value(g, NULL);
        cJSON *o = parse_current(g);
        long long ulat = fixed_field(json, "lat", 6);
        long long ulon = fixed_field(json, "lon", 6);
        /* The raw text and the parsed number agree. */
        assert_true(ulat / 1e6 - get_num(o, "lat") < 1e-9 &&
                    get_num(o, "lat") - ulat / 1e6 < 1e-9);
        assert_true(ulon / 1e6 - get_num(o, "lon") < 1e-9 &&
                    get_num(o, "lon") - ulon / 1e6 < 1e-9);
        neg_lat += ulat < 0;
        neg_lon += ulon < 0;
        cJSON_Delete(o);
    }
    assert_true(neg_lat > 0);
    assert_true(neg_lon > 0);
    ls_generator_destroy(g);
}

static void test_erp_cycles(void **state)
{
    (void)state;
    ls_generator_t *g = new_gen("erp", 11);
    ls_generator_set_clock(g, T0_MS, 1);
    /* Before any event the topic is the first in the cycle. */
    assert_string_equal(ls_generator_topic(g), "sales_topic");
    for (int i = 0; i < 60; i++) {
        ls_generator_next(g);
        const char *json = ls_generator_value(g, NULL);
        cJSON *o = parse_current(g);
        int k = i % 6;
        check_erp_common(g, o, k);
        check_erp_fields(json, o, k);
        cJSON_Delete(o);
    }
    ls_generator_destroy(g);
}

static void test_single_kind_topics(void **state)
{
    (void)state;
    for (int k = 0; k < 6; k++) {
        char want[64];
        snprintf(want, sizeof(want), "%s_topic", erp_kinds[k]);
        ls_generator_t *g = new_gen(erp_kinds[k], 1);
        assert_string_equal(ls_generator_topic(g), want);
        for (int i = 0; i < 10; i++) {
            ls_generator_next(g);
            assert_string_equal(ls_generator_topic(g), want);
        }
        ls_generator_destroy(g);
    }
}

static void test_determinism(void **state)
{
    (void)state;
    static const char *const kinds[] = {
        "orders",    "clicks",      "sales",     "payments", "interactions",
        "inventory", "procurement", "telemetry", "erp"};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        ls_generator_t *a = new_gen(kinds[k], 12345);
        ls_generator_t *b = new_gen(kinds[k], 12345);
        ls_generator_t *c = new_gen(kinds[k], 12344); /* one bit off */
        ls_generator_set_clock(a, T0_MS, 7);
        ls_generator_set_clock(b, T0_MS, 7);
        ls_generator_set_clock(c, T0_MS, 7);
        int differ = 0;
        for (int i = 0; i < 1000; i++) {
            size_t la, lb, lc, ka, kb;
            ls_generator_next(a);
            ls_generator_next(b);
            ls_generator_next(c);
            const char *va = ls_generator_value(a, &la);
            const char *vb = ls_generator_value(b, &lb);
            const char *vc = ls_generator_value(c, &lc);
            assert_int_equal(la, lb);
            assert_memory_equal(va, vb, la);
            const char *keya = ls_generator_key(a, &ka);
            const char *keyb = ls_generator_key(b, &kb);
            assert_int_equal(ka, kb);
            assert_memory_equal(keya, keyb, ka);
            assert_string_equal(ls_generator_topic(a), ls_generator_topic(b));
            assert_int_equal(ls_generator_timestamp(a),
                             ls_generator_timestamp(b));
            if (la != lc || memcmp(va, vc, la) != 0)
                differ++;
        }
        /* A different seed gives a different stream almost everywhere. */
        if (differ < 990)
            fail_msg("%s: only %d of 1000 events differ across seeds",
                     kinds[k], differ);
        ls_generator_destroy(a);
        ls_generator_destroy(b);
        ls_generator_destroy(c);
    }
}

static void test_known_output(void **state)
{
    (void)state;
    /* Byte-exact golden events: the stream must not drift between builds
     * or platforms.  Update deliberately if the generator changes. */
    static const char orders0[] =
        "{\"order_id\":\"ORD-757000000001\",\"customer_id\":"
        "\"CUST-49591\",\"customer\":\"Jessica Lopez\",\"product_id\":"
        "\"P-002\",\"product\":\"Phone Case\",\"category\":\"Accessories\","
        "\"quantity\":2,\"price\":26.50,\"total\":53.00,\"currency\":\"USD\","
        "\"timestamp\":\"2026-11-26T04:20:26.123Z\"}";
    static const char telemetry5[] =
        "{\"event_type\":\"telemetry\",\"event_id\":\"TEL-2994B262\","
        "\"timestamp\":\"2026-11-26T04:20:26.128Z\",\"vin\":"
        "\"JTD3PVJX5TU649968\",\"lat\":50.151441,\"lon\":8.601527,"
        "\"speed_kmh\":101.5,\"fuel_pct\":86.8,\"engine_temp_c\":106.4}";

    ls_generator_t *g = new_gen("orders", 42);
    ls_generator_set_clock(g, T0_MS, 1);
    ls_generator_next(g);
    assert_string_equal(ls_generator_value(g, NULL), orders0);
    assert_string_equal(ls_generator_key(g, NULL), "ORD-757000000001");
    ls_generator_destroy(g);

    g = new_gen("erp", 42);
    ls_generator_set_clock(g, T0_MS, 1);
    for (int i = 0; i < 6; i++)
        ls_generator_next(g);
    assert_string_equal(ls_generator_value(g, NULL), telemetry5);
    assert_string_equal(ls_generator_key(g, NULL), "TEL-2994B262");
    assert_string_equal(ls_generator_topic(g), "telemetry_topic");
    ls_generator_destroy(g);
}

static void test_clock(void **state)
{
    (void)state;
    ls_generator_t *g = new_gen("sales", 1);

    /* Fixed clock, including a day boundary. */
    const int64_t start = 1798761599000LL; /* 2026-12-31T23:59:59.000Z */
    ls_generator_set_clock(g, start, 250);
    for (int i = 0; i < 12; i++) {
        ls_generator_next(g);
        int64_t want = start + 250 * (int64_t)i;
        assert_int_equal(ls_generator_timestamp(g), want);
        cJSON *o = parse_current(g);
        char iso[40];
        iso_ms(want, iso, sizeof(iso));
        assert_string_equal(get_str(o, "timestamp"), iso);
        cJSON_Delete(o);
    }
    cJSON *o = parse_current(g);
    assert_string_equal(get_str(o, "timestamp"), "2027-01-01T00:00:01.750Z");
    cJSON_Delete(o);

    /* Setting the clock again restarts from the new start. */
    ls_generator_set_clock(g, 0, 0);
    for (int i = 0; i < 3; i++) {
        ls_generator_next(g);
        assert_int_equal(ls_generator_timestamp(g), 0);
        o = parse_current(g);
        assert_string_equal(get_str(o, "timestamp"),
                            "1970-01-01T00:00:00.000Z");
        cJSON_Delete(o);
    }

    /* Before the epoch and going backwards. */
    ls_generator_set_clock(g, -1, -1000);
    ls_generator_next(g);
    o = parse_current(g);
    assert_string_equal(get_str(o, "timestamp"), "1969-12-31T23:59:59.999Z");
    cJSON_Delete(o);
    ls_generator_next(g);
    assert_int_equal(ls_generator_timestamp(g), -1001);
    o = parse_current(g);
    assert_string_equal(get_str(o, "timestamp"), "1969-12-31T23:59:58.999Z");
    cJSON_Delete(o);

    /* Leap day. */
    ls_generator_set_clock(g, 1709208000000LL, 1); /* 2024-02-29T12:00Z */
    ls_generator_next(g);
    o = parse_current(g);
    assert_string_equal(get_str(o, "timestamp"), "2024-02-29T12:00:00.000Z");
    cJSON_Delete(o);
    ls_generator_destroy(g);
}

static void test_wall_clock_default(void **state)
{
    (void)state;
    ls_generator_t *g = new_gen("orders", 1);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    ls_generator_next(g);
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t after = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    int64_t t = ls_generator_timestamp(g);
    assert_true(t >= before && t <= after);
    cJSON *o = parse_current(g);
    char iso[40];
    iso_ms(t, iso, sizeof(iso));
    assert_string_equal(get_str(o, "timestamp"), iso);
    cJSON_Delete(o);

    /* The wall clock does not disturb the random stream. */
    ls_generator_t *f = new_gen("orders", 1);
    ls_generator_set_clock(f, t, 1);
    ls_generator_next(f);
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s", ls_generator_value(g, NULL));
    snprintf(b, sizeof(b), "%s", ls_generator_value(f, NULL));
    assert_string_equal(a, b);
    ls_generator_destroy(f);
    ls_generator_destroy(g);
}

static void test_null_and_fresh(void **state)
{
    (void)state;
    size_t len = 99;
    ls_generator_destroy(NULL);
    ls_generator_next(NULL);
    ls_generator_set_clock(NULL, 0, 0);
    assert_string_equal(ls_generator_value(NULL, &len), "");
    assert_int_equal(len, 0);
    len = 99;
    assert_string_equal(ls_generator_key(NULL, &len), "");
    assert_int_equal(len, 0);
    assert_string_equal(ls_generator_topic(NULL), "");
    assert_int_equal(ls_generator_timestamp(NULL), 0);

    /* A fresh generator has an empty event. */
    ls_generator_t *g = new_gen("clicks", 0);
    len = 99;
    assert_string_equal(ls_generator_value(g, &len), "");
    assert_int_equal(len, 0);
    assert_non_null(ls_generator_key(g, NULL));
    ls_generator_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_errors),
        cmocka_unit_test(test_kinds_list),
        cmocka_unit_test(test_orders_shape),
        cmocka_unit_test(test_order_ids_unique),
        cmocka_unit_test(test_event_ids_unique),
        cmocka_unit_test(test_clicks_shape),
        cmocka_unit_test(test_erp_kinds_shape),
        cmocka_unit_test(test_telemetry_negative_coordinates),
        cmocka_unit_test(test_erp_cycles),
        cmocka_unit_test(test_single_kind_topics),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_known_output),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_wall_clock_default),
        cmocka_unit_test(test_null_and_fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
