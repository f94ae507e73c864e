/* Unit tests: the error object. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "libstream/error.h"

static void test_message_and_code(void **state)
{
    (void)state;
    ls_error_t *e = ls_error_new(LS_ERR_INVALID_ARG, "bad value \"%s\" for %s",
                                 "x", "k");
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    assert_string_equal(ls_error_message(e), "bad value \"x\" for k");
    assert_false(ls_error_is_retriable(e));
    ls_error_prefix(e, "file %s:%d", "a.conf", 3);
    assert_string_equal(ls_error_message(e), "file a.conf:3: bad value \"x\" for k");
    assert_int_equal(ls_error_code(e), LS_ERR_INVALID_ARG);
    ls_error_destroy(e);
}

static void test_details(void **state)
{
    (void)state;
    ls_error_t *e = ls_error_new(LS_ERR_TRANSPORT, "PUT: %d", 503);
    assert_true(ls_error_is_retriable(e));
    ls_error_set_http_status(e, 503);
    ls_error_set_kafka_code(e, -195);
    assert_int_equal(ls_error_http_status(e), 503);
    assert_int_equal(ls_error_kafka_code(e), -195);
    ls_error_set_retriable(e, 0);
    assert_false(ls_error_is_retriable(e));
    ls_error_destroy(e);
}

static void test_null_and_names(void **state)
{
    (void)state;
    assert_int_equal(ls_error_code(NULL), LS_OK);
    assert_string_equal(ls_error_message(NULL), "");
    assert_null(ls_error_prefix(NULL, "x"));
    ls_error_destroy(NULL);
    for (int c = 0; c < LS_ERR__COUNT; c++)
        assert_true(strlen(ls_err2str((ls_err_t)c)) > 0);
    assert_string_equal(ls_err2str((ls_err_t)999), "unknown error code");
    assert_string_equal(ls_err2str(LS_ERR_NOT_FOUND), "not found");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_and_code),
        cmocka_unit_test(test_details),
        cmocka_unit_test(test_null_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
