/* libstream: the one error type every API returns.
 *
 * Every fallible call returns an ls_error_t *: NULL on success, otherwise
 * an object the caller owns and frees with ls_error_destroy().  The message
 * names the operation, the value at fault and what was expected.  There is
 * no "last error" state anywhere.
 *
 * Thread safety: an error object belongs to the thread that received it.
 */
#ifndef LIBSTREAM_ERROR_H
#define LIBSTREAM_ERROR_H

#include <stdarg.h>
#include "common.h"

LS_BEGIN_DECLS

/** Error codes: a few expected failures plus one generic code. */
typedef enum {
    LS_OK = 0,
    LS_ERR_GENERIC = 1,      /**< anything not listed below */
    LS_ERR_INVALID_ARG,      /**< a bad argument or configuration value */
    LS_ERR_UNKNOWN_KEY,      /**< a configuration key nobody knows */
    LS_ERR_NOMEM,            /**< out of memory */
    LS_ERR_IO,               /**< local file or socket I/O failed */
    LS_ERR_TIMED_OUT,        /**< an operation did not finish in time */
    LS_ERR_KAFKA,            /**< a Kafka failure (see ls_error_kafka_code) */
    LS_ERR_TRANSPORT,        /**< a network/HTTP failure */
    LS_ERR_NOT_FOUND,        /**< file, object or topic does not exist */
    LS_ERR_EXISTS,           /**< file or object already exists */
    LS_ERR_ACCESS,           /**< permission denied */
    LS_ERR_BUSY,             /**< a lease/lock is held; retry later */
    LS_ERR_FULL,             /**< a bounded queue is full (backpressure) */
    LS_ERR_BAD_RECORD,       /**< a record cannot be encoded (dead letter) */
    LS_ERR_STATE,            /**< the call is not valid in this state */
    LS_ERR__COUNT
} ls_err_t;

/** Opaque error object. */
typedef struct ls_error_s ls_error_t;

/** Short static description of an error code; never NULL. */
LS_EXPORT const char *ls_err2str(ls_err_t code);

/**
 * Make an error with a printf-style message.  Used by the library and by
 * callers implementing library callbacks (e.g. a storage backend).
 * Returns a new error the caller owns; on allocation failure returns a
 * static out-of-memory error that ls_error_destroy() accepts.
 */
LS_EXPORT ls_error_t *ls_error_new(ls_err_t code, const char *fmt, ...)
    LS_PRINTF(2, 3);

/** va_list variant of ls_error_new(). */
LS_EXPORT ls_error_t *ls_error_newv(ls_err_t code, const char *fmt,
                                    va_list ap);

/**
 * Prefix an error's message with "prefix: " (printf-style), keeping its
 * code and details.  Returns err (which may be NULL: then nothing happens).
 */
LS_EXPORT ls_error_t *ls_error_prefix(ls_error_t *err, const char *fmt, ...)
    LS_PRINTF(2, 3);

/** The error's code.  NULL gives LS_OK. */
LS_EXPORT ls_err_t ls_error_code(const ls_error_t *err);

/** The error's message, borrowed for the error's lifetime.  NULL gives "". */
LS_EXPORT const char *ls_error_message(const ls_error_t *err);

/** Non-zero if retrying the same operation may succeed. */
LS_EXPORT int ls_error_is_retriable(const ls_error_t *err);

/** Mark an error retriable (or not).  Returns err. */
LS_EXPORT ls_error_t *ls_error_set_retriable(ls_error_t *err, int retriable);

/** Underlying librdkafka error code (rd_kafka_resp_err_t), or 0. */
LS_EXPORT int ls_error_kafka_code(const ls_error_t *err);

/** Set the librdkafka error code carried by err.  Returns err. */
LS_EXPORT ls_error_t *ls_error_set_kafka_code(ls_error_t *err, int code);

/** HTTP status of the failed request, or 0. */
LS_EXPORT int ls_error_http_status(const ls_error_t *err);

/** Set the HTTP status carried by err.  Returns err. */
LS_EXPORT ls_error_t *ls_error_set_http_status(ls_error_t *err, int status);

/** Free an error.  NULL is a no-op. */
LS_EXPORT void ls_error_destroy(ls_error_t *err);

LS_END_DECLS

#endif
