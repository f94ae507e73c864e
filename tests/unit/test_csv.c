/* Unit tests: CSV from JSON object records (lib/csv.c).
 *
 * Small cases compare the exact expected text, written by hand from the
 * rules in csv.h.  Larger outputs are also read back with python3's csv
 * module (when python3 is installed), which must see a rectangular table
 * and write the very same bytes again with lineterminator="\r\n": that
 * proves the quoting round-trips through an independent RFC 4180 reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libstream/csv.h"

/* ---- helpers ------------------------------------------------------------ */

static ls_csv_t *new_csv(void)
{
    ls_csv_t *c = NULL;
    assert_null(ls_csv_new(&c));
    assert_non_null(c);
    return c;
}

static void add_ok(ls_csv_t *c, const char *json)
{
    ls_error_t *e = ls_csv_add(c, json, strlen(json));
    if (e)
        fail_msg("ls_csv_add(%s): %s", json, ls_error_message(e));
}

static const char *render(ls_csv_t *c, size_t *lenp)
{
    const char *data = NULL;
    size_t len = 0;
    ls_error_t *e = ls_csv_render(c, &data, &len);
    if (e)
        fail_msg("ls_csv_render: %s", ls_error_message(e));
    assert_non_null(data);
    assert_int_equal(strlen(data), len); /* NUL-terminated, no NUL inside */
    if (lenp)
        *lenp = len;
    return data;
}

/* Add the NULL-terminated records and compare the rendered text. */
static void check_csv(const char *const *records, const char *want)
{
    ls_csv_t *c = new_csv();
    size_t n = 0;
    for (; records[n]; n++)
        add_ok(c, records[n]);
    assert_int_equal(ls_csv_count(c), n);
    const char *got = render(c, NULL);
    if (strcmp(got, want))
        fail_msg("CSV differs\n--- got ---\n%s\n--- want ---\n%s", got, want);
    ls_csv_destroy(c);
}

#define CHECK(want, ...)                                                   \
    do {                                                                   \
        static const char *const recs_[] = {__VA_ARGS__, NULL};           \
        check_csv(recs_, want);                                            \
    } while (0)

/* Expect ls_csv_add to reject json (len bytes) with LS_ERR_BAD_RECORD and
 * a message containing each needle. */
static void check_reject(ls_csv_t *c, const char *json, size_t len,
                         const char *needle1, const char *needle2)
{
    size_t count = ls_csv_count(c), cols = ls_csv_column_count(c);
    ls_error_t *e = ls_csv_add(c, json, len);
    if (!e)
        fail_msg("record accepted: %.*s", (int)len, json);
    assert_int_equal(ls_error_code(e), LS_ERR_BAD_RECORD);
    const char *m = ls_error_message(e);
    if (needle1 && !strstr(m, needle1))
        fail_msg("\"%s\" does not mention \"%s\"", m, needle1);
    if (needle2 && !strstr(m, needle2))
        fail_msg("\"%s\" does not mention \"%s\"", m, needle2);
    ls_error_destroy(e);
    assert_int_equal(ls_csv_count(c), count);
    assert_int_equal(ls_csv_column_count(c), cols);
}

/* Read text back with python3's csv module; it must find a rectangular
 * table of rows+1 lines and write identical bytes.  Skipped (with a
 * message) when python3 is missing. */
static const char PY_CHECK[] =
    "import csv, sys\n"
    "data = open(sys.argv[1], newline='', encoding='utf-8').read()\n"
    "rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))\n"
    "assert len(rows) == int(sys.argv[2]), (len(rows), sys.argv[2])\n"
    "assert all(len(r) == len(rows[0]) for r in rows), 'ragged'\n"
    "class W:\n"
    "    def __init__(s): s.parts = []\n"
    "    def write(s, x): s.parts.append(x)\n"
    "w = W()\n"
    "csv.writer(w, lineterminator='\\r\\n').writerows(rows)\n"
    "assert ''.join(w.parts) == data, 'rewrite differs'\n";

static void python_roundtrip(const char *data, size_t len, size_t rows)
{
    if (system("python3 -c '' >/dev/null 2>&1") != 0) {
        print_message("python3 not found: round-trip check skipped\n");
        return;
    }
    char csvpath[] = "/tmp/ls_test_csv_XXXXXX";
    char pypath[] = "/tmp/ls_test_csv_py_XXXXXX";
    int fd = mkstemp(csvpath), pfd = mkstemp(pypath);
    assert_true(fd >= 0 && pfd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(write(pfd, PY_CHECK, sizeof(PY_CHECK) - 1),
                     (ssize_t)(sizeof(PY_CHECK) - 1));
    close(fd);
    close(pfd);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "python3 %s %s %zu", pypath, csvpath, rows + 1);
    int rc = system(cmd);
    unlink(csvpath);
    unlink(pypath);
    assert_int_equal(rc, 0);
}

/* ---- mapping ------------------------------------------------------------ */

static void test_basic(void **state)
{
    (void)state;
    CHECK("id,name,ok\r\n"
          "1,Ann,true\r\n"
          "2,Bob,false\r\n",
          "{\"id\":1,\"name\":\"Ann\",\"ok\":true}",
          "{\"id\":2,\"name\":\"Bob\",\"ok\":false}");
}

static void test_union_header_first_seen_order(void **state)
{
    (void)state;
    CHECK("a,b,c,d\r\n"
          "1,2,,\r\n"
          "4,,3,\r\n"
          ",5,,\r\n"
          ",,,x\r\n",
          "{\"a\":1,\"b\":2}", "{\"c\":3,\"a\":4}", "{\"b\":5}",
          "{\"d\":\"x\"}");
}

static void test_nested_objects(void **state)
{
    (void)state;
    CHECK("data.user_id,data.geo.lat,data.geo.lon,ts,a.b.c.d\r\n"
          "7,1.50,-0,t1,\r\n"
          ",,,t2,deep\r\n",
          "{\"data\":{\"user_id\":7,\"geo\":{\"lat\":1.50,\"lon\":-0}},"
          "\"ts\":\"t1\"}",
          "{\"ts\":\"t2\",\"a\":{\"b\":{\"c\":{\"d\":\"deep\"}}},"
          "\"data\":{}}");
}

static void test_arrays_as_json_text(void **state)
{
    (void)state;
    /* Whitespace outside strings dropped; numbers, escapes and spaces in
     * strings kept as written. */
    CHECK("tags\r\n"
          "\"[\"\"a b\"\",\"\"c,d\"\"]\"\r\n",
          "{\"tags\":[ \"a b\" , \"c,d\" ]}");
    CHECK("tags,n,e,one\r\n"
          "\"[\"\"a\\\"\"q\"\",\"\"c,d\"\"]\","
          "\"[1,2.50,-0,1e3,{\"\"x\"\":null,\"\"y\"\":[true]}]\","
          "[],"
          "[42]\r\n",
          "{\"tags\":[\"a\\\"q\", \"c,d\"],"
          " \"n\": [1, 2.50,\n -0, 1e3, {\"x\" : null, \"y\":[ true ]}],"
          " \"e\": [ ], \"one\": [42]}");
}

static void test_numbers_as_written(void **state)
{
    (void)state;
    CHECK("price,big,neg,tiny,huge,int,negint\r\n"
          "26.50,1e3,-0,1.5E-7,12345678901234567890123,0,-12\r\n",
          "{\"price\":26.50,\"big\":1e3,\"neg\":-0,\"tiny\":1.5E-7,"
          "\"huge\":12345678901234567890123,\"int\":0,\"negint\":-12}");
}

static void test_booleans_and_null(void **state)
{
    (void)state;
    CHECK("t,f,n,s,e\r\n"
          "true,false,,null,\r\n",
          "{\"t\":true,\"f\":false,\"n\":null,\"s\":\"null\",\"e\":\"\"}");
}

static void test_quoting(void **state)
{
    (void)state;
    CHECK("q,c,nl,cr,crlf,plain,tab\r\n"
          "\"say \"\"hi\"\"\",\"a,b\",\"line1\nline2\",\"x\ry\","
          "\"p\r\nq\", spaced ,a\tb\r\n",
          "{\"q\":\"say \\\"hi\\\"\",\"c\":\"a,b\",\"nl\":\"line1\\nline2\","
          "\"cr\":\"x\\ry\",\"crlf\":\"p\\r\\nq\",\"plain\":\" spaced \","
          "\"tab\":\"a\\tb\"}");
    /* Header names are quoted by the same rule. */
    CHECK("\"a,b\",\"he said \"\"x\"\"\",\"n.\"\"q\"\"\"\r\n"
          "1,2,3\r\n",
          "{\"a,b\":1,\"he said \\\"x\\\"\":2,\"n\":{\"\\\"q\\\"\":3}}");
}

static void test_unicode(void **state)
{
    (void)state;
    /* Raw UTF-8 passes through; \u escapes (with a surrogate pair) are
     * decoded to UTF-8; other escapes too. */
    CHECK("name,city,emoji,esc,\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87,slash\r\n"
          "Zo\xc3\xab,\xe6\x9d\xb1\xe4\xba\xac,\xf0\x9f\x98\x80,"
          "\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac,"
          "\xd0\xb7\xd0\xbd\xd0\xb0\xd1\x87,a/b\\c\r\n",
          "{\"name\":\"Zo\xc3\xab\",\"city\":\"\xe6\x9d\xb1\xe4\xba\xac\","
          "\"emoji\":\"\xf0\x9f\x98\x80\","
          "\"esc\":\"\\u00e9\\ud83d\\ude00\\u20AC\","
          "\"\\u043a\\u043b\\u044e\\u0447\":\"\xd0\xb7\xd0\xbd\xd0\xb0\xd1\x87\","
          "\"slash\":\"a\\/b\\\\c\"}");
}

static void test_duplicate_and_colliding_keys(void **state)
{
    (void)state;
    /* The last value for a column wins. */
    CHECK("a\r\n2\r\n", "{\"a\":1,\"a\":2}");
    CHECK("a.b\r\n2\r\n1\r\n", "{\"a.b\":1,\"a\":{\"b\":2}}",
          "{\"a\":{\"b\":2},\"a.b\":1}");
}

static void test_empty_objects(void **state)
{
    (void)state;
    /* One column: an empty field is written "" so no line is blank. */
    CHECK("a\r\n1\r\n\"\"\r\n\"\"\r\n", "{\"a\":1}", "{}",
          "{\"a\":\"\"}");
    CHECK("a,b\r\n1,2\r\n,\r\n", "{\"a\":1,\"b\":2}", "{ }");

    /* No column at all: empty text, but the records are counted. */
    ls_csv_t *c = new_csv();
    add_ok(c, "{}");
    add_ok(c, "{\"x\":{}}");
    size_t len = 99;
    assert_string_equal(render(c, &len), "");
    assert_int_equal(len, 0);
    assert_int_equal(ls_csv_count(c), 2);
    assert_int_equal(ls_csv_column_count(c), 0);
    ls_csv_destroy(c);

    /* An empty batch renders as empty text too. */
    c = new_csv();
    assert_string_equal(render(c, NULL), "");
    ls_csv_destroy(c);
}

static void test_whitespace_bom_and_length(void **state)
{
    (void)state;
    CHECK("a,b\r\n1,\"[1,2]\"\r\n",
          "\xEF\xBB\xBF  {\n \"a\" : 1 ,\t\"b\":[ 1 , 2 ]\n}\r\n");

    /* Only len bytes are read: the input need not be NUL-terminated. */
    ls_csv_t *c = new_csv();
    const char buf[] = "{\"a\":1}{\"b\":2}";
    assert_null(ls_csv_add(c, buf, 7));
    char nonul[7];
    memcpy(nonul, "{\"c\":3}", 7);
    assert_null(ls_csv_add(c, nonul, sizeof(nonul)));
    assert_string_equal(render(c, NULL), "a,c\r\n1,\r\n,3\r\n");
    ls_csv_destroy(c);
}

/* ---- rejected records ---------------------------------------------------- */

static void test_rejects_non_objects(void **state)
{
    (void)state;
    ls_csv_t *c = new_csv();
    add_ok(c, "{\"a\":1}");

#define REJECT(lit, n1, n2) check_reject(c, lit, sizeof(lit) - 1, n1, n2)
    REJECT("[1,2]", "a JSON array, not a JSON object", NULL);
    REJECT("\"x\"", "a JSON string", "not a JSON object");
    REJECT("42", "a JSON number", NULL);
    REJECT("true", "a JSON boolean", NULL);
    REJECT("null", "JSON null", NULL);
    REJECT("{bad", "not valid JSON", "near byte 2 of 4");
    REJECT("{\"a\":", "not valid JSON", "near byte 4 of 5");
    REJECT("{\"a\":1,}", "not valid JSON", "byte");
    REJECT("{\"a\":tru}", "not valid JSON", NULL);
    REJECT("{\"a\":\"\\q\"}", "not valid JSON", NULL);
    REJECT("{\"a\":1} {\"b\":2}", "trailing data at byte 8 of 15", NULL);
    REJECT("{\"a\":1}x", "trailing data at byte 7", NULL);
    REJECT("", "empty", NULL);
    REJECT(" \n\t", "empty", NULL);
    REJECT("{\"a\":\"\xff\"}", "not valid UTF-8", NULL);
    REJECT("{\"a\":\"\xed\xa0\x80\"}", "not valid UTF-8", NULL);
    REJECT("{\"a\":\"\\udc00\"}", "not valid JSON", NULL); /* lone low */
#undef REJECT
    ls_error_t *e = ls_csv_add(c, NULL, 0);
    assert_int_equal(ls_error_code(e), LS_ERR_BAD_RECORD);
    ls_error_destroy(e);

    /* The rest of the batch still goes out. */
    add_ok(c, "{\"b\":2}");
    assert_int_equal(ls_csv_count(c), 2);
    assert_string_equal(render(c, NULL), "a,b\r\n1,\r\n,2\r\n");
    ls_csv_destroy(c);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    ls_error_t *e = ls_csv_new(NULL);
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    ls_error_destroy(e);
    e = ls_csv_add(NULL, "{}", 2);
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    ls_error_destroy(e);

    ls_csv_t *c = new_csv();
    e = ls_csv_add(c, NULL, 3);
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    ls_error_destroy(e);

    const char *data = (const char *)1;
    size_t len = 5;
    e = ls_csv_render(NULL, &data, &len);
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    assert_null(data);
    assert_int_equal(len, 0);
    ls_error_destroy(e);
    e = ls_csv_render(c, NULL, &len);
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    ls_error_destroy(e);

    assert_int_equal(ls_csv_count(NULL), 0);
    assert_int_equal(ls_csv_column_count(NULL), 0);
    ls_csv_reset(NULL);
    ls_csv_destroy(NULL);
    ls_csv_destroy(c);
}

/* ---- lifecycle ------------------------------------------------------------ */

static void test_render_add_reset(void **state)
{
    (void)state;
    ls_csv_t *c = new_csv();
    add_ok(c, "{\"a\":1,\"b\":\"x\"}");
    assert_string_equal(render(c, NULL), "a,b\r\n1,x\r\n");
    /* Rendering again, and adding after a render, both work. */
    assert_string_equal(render(c, NULL), "a,b\r\n1,x\r\n");
    add_ok(c, "{\"c\":true}");
    const char *first = render(c, NULL);
    assert_string_equal(first, "a,b,c\r\n1,x,\r\n,,true\r\n");

    /* Reset: a fresh batch (new header), memory reused. */
    ls_csv_reset(c);
    assert_int_equal(ls_csv_count(c), 0);
    assert_int_equal(ls_csv_column_count(c), 0);
    assert_string_equal(render(c, NULL), "");
    add_ok(c, "{\"z\":9}");
    const char *second = render(c, NULL);
    assert_string_equal(second, "z\r\n9\r\n");
    assert_ptr_equal(first, second); /* same buffer, not reallocated */
    ls_csv_destroy(c);
}

/* ---- scale and interoperability --------------------------------------------- */

static void test_large_batch(void **state)
{
    (void)state;
    enum { N = 10000 };
    ls_csv_t *c = new_csv();
    char rec[512];
    for (int round = 0; round < 2; round++) { /* second round after reset */
        for (int i = 0; i < N; i++) {
            int n = snprintf(rec, sizeof(rec),
                             "{\"id\":%d,\"user\":{\"name\":\"u%d, \\\"the\\\" "
                             "%d\",\"tags\":[%d, \"x\"]},\"price\":%d.50,"
                             "\"opt%d\":true,\"note\":\"l1\\nl2\"}",
                             i, i, i, i, i, i % 7);
            assert_null(ls_csv_add(c, rec, (size_t)n));
        }
        assert_int_equal(ls_csv_count(c), N);
        assert_int_equal(ls_csv_column_count(c), 5 + 7);
        size_t len = 0;
        const char *out = render(c, &len);

        const char *hdr = "id,user.name,user.tags,price,opt0,note,opt1,opt2,"
                          "opt3,opt4,opt5,opt6\r\n";
        assert_memory_equal(out, hdr, strlen(hdr));
        const char *last = "9999,\"u9999, \"\"the\"\" 9999\","
                           "\"[9999,\"\"x\"\"]\",9999.50,,\"l1\nl2\",,,"
                           "true,,,\r\n"; /* 9999 % 7 == 3 */
        assert_true(len > strlen(last));
        assert_string_equal(out + len - strlen(last), last);
        python_roundtrip(out, len, N);
        ls_csv_reset(c);
    }
    ls_csv_destroy(c);
}

static void test_python_reads_tricky_text(void **state)
{
    (void)state;
    static const char *const recs[] = {
        "{\"a\":\"x,y\",\"b\":\"\\\"\",\"c\":\"\\r\\n\",\"d\":[\"q,\\\"\"]}",
        "{\"d\":\"\xe6\x97\xa5\",\"e\":\"\"}",
        "{}",
        "{\"e\":\" lead and trail \",\"f\":null}",
    };
    ls_csv_t *c = new_csv();
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
        add_ok(c, recs[i]);
    size_t len = 0;
    const char *out = render(c, &len);
    python_roundtrip(out, len, sizeof(recs) / sizeof(recs[0]));
    ls_csv_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_union_header_first_seen_order),
        cmocka_unit_test(test_nested_objects),
        cmocka_unit_test(test_arrays_as_json_text),
        cmocka_unit_test(test_numbers_as_written),
        cmocka_unit_test(test_booleans_and_null),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_duplicate_and_colliding_keys),
        cmocka_unit_test(test_empty_objects),
        cmocka_unit_test(test_whitespace_bom_and_length),
        cmocka_unit_test(test_rejects_non_objects),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_render_add_reset),
        cmocka_unit_test(test_large_batch),
        cmocka_unit_test(test_python_reads_tricky_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
