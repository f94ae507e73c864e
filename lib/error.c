/* libstream: the error object. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libstream/error.h"

struct ls_error_s {
    ls_err_t code;
    int retriable;
    int kafka_code;
    int http_status;
    int is_static;
    char *message;
};

/* Returned when an error cannot be allocated; never freed. */
static struct ls_error_s oom_error = {LS_ERR_NOMEM, 1, 0, 0, 1,
                                      (char *)"out of memory"};

static const char *const err_names[LS_ERR__COUNT] = {
    [LS_OK] = "success",
    [LS_ERR_GENERIC] = "error",
    [LS_ERR_INVALID_ARG] = "invalid argument",
    [LS_ERR_UNKNOWN_KEY] = "unknown configuration property",
    [LS_ERR_NOMEM] = "out of memory",
    [LS_ERR_IO] = "I/O error",
    [LS_ERR_TIMED_OUT] = "timed out",
    [LS_ERR_KAFKA] = "Kafka error",
    [LS_ERR_TRANSPORT] = "transport error",
    [LS_ERR_NOT_FOUND] = "not found",
    [LS_ERR_EXISTS] = "already exists",
    [LS_ERR_ACCESS] = "permission denied",
    [LS_ERR_BUSY] = "busy",
    [LS_ERR_FULL] = "queue full",
    [LS_ERR_BAD_RECORD] = "bad record",
    [LS_ERR_STATE] = "invalid state",
};

const char *ls_err2str(ls_err_t code)
{
    if ((int)code < 0 || code >= LS_ERR__COUNT || !err_names[code])
        return "unknown error code";
    return err_names[code];
}

ls_error_t *ls_error_newv(ls_err_t code, const char *fmt, va_list ap)
{
    ls_error_t *e = calloc(1, sizeof(*e));
    if (!e)
        return &oom_error;
    if (vasprintf(&e->message, fmt ? fmt : "", ap) < 0) {
        free(e);
        return &oom_error;
    }
    e->code = code;
    e->retriable = code == LS_ERR_TIMED_OUT || code == LS_ERR_TRANSPORT ||
                   code == LS_ERR_BUSY || code == LS_ERR_FULL;
    return e;
}

ls_error_t *ls_error_new(ls_err_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ls_error_t *e = ls_error_newv(code, fmt, ap);
    va_end(ap);
    return e;
}

ls_error_t *ls_error_prefix(ls_error_t *err, const char *fmt, ...)
{
    char *pre = NULL, *msg = NULL;
    va_list ap;
    if (!err || err->is_static)
        return err;
    va_start(ap, fmt);
    int r = vasprintf(&pre, fmt, ap);
    va_end(ap);
    if (r < 0)
        return err;
    if (asprintf(&msg, "%s: %s", pre, err->message) >= 0) {
        free(err->message);
        err->message = msg;
    }
    free(pre);
    return err;
}

ls_err_t ls_error_code(const ls_error_t *err) { return err ? err->code : LS_OK; }

const char *ls_error_message(const ls_error_t *err)
{
    return err ? err->message : "";
}

int ls_error_is_retriable(const ls_error_t *err)
{
    return err ? err->retriable : 0;
}

ls_error_t *ls_error_set_retriable(ls_error_t *err, int retriable)
{
    if (err && !err->is_static)
        err->retriable = !!retriable;
    return err;
}

int ls_error_kafka_code(const ls_error_t *err)
{
    return err ? err->kafka_code : 0;
}

ls_error_t *ls_error_set_kafka_code(ls_error_t *err, int code)
{
    if (err && !err->is_static)
        err->kafka_code = code;
    return err;
}

int ls_error_http_status(const ls_error_t *err)
{
    return err ? err->http_status : 0;
}

ls_error_t *ls_error_set_http_status(ls_error_t *err, int status)
{
    if (err && !err->is_static)
        err->http_status = status;
    return err;
}

void ls_error_destroy(ls_error_t *err)
{
    if (!err || err->is_static)
        return;
    free(err->message);
    free(err);
}
