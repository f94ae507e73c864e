/* libstream: process-wide set-up, called explicitly by the application.
 *
 * libcurl needs curl_global_init() once per process before any thread
 * uses it, and it is not thread-safe; libstream never calls it behind the
 * application's back.  Call ls_global_init() once at the start of main(),
 * before creating threads and before using the HTTP-based parts (WebHDFS,
 * S3), and ls_global_cleanup() once at the end.
 */
#ifndef LIBSTREAM_GLOBAL_H
#define LIBSTREAM_GLOBAL_H

#include "common.h"
#include "error.h"

LS_BEGIN_DECLS

/** Initialise libcurl for the process.  Not thread-safe: call once, first.
 *  Fails with LS_ERR_GENERIC naming curl's error. */
LS_EXPORT ls_error_t *ls_global_init(void);

/** Undo ls_global_init(); call once, last, with no other thread running. */
LS_EXPORT void ls_global_cleanup(void);

LS_END_DECLS

#endif
