/* libstream: shared macros for the public headers. */
#ifndef LIBSTREAM_COMMON_H
#define LIBSTREAM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define LS_EXPORT __attribute__((visibility("default")))
#define LS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LS_EXPORT
#define LS_PRINTF(f, a)
#endif

/* Log levels passed to the log callbacks of the pipelines (syslog's). */
#define LS_LOG_WARNING 4
#define LS_LOG_INFO 6

#ifdef __cplusplus
#define LS_BEGIN_DECLS extern "C" {
#define LS_END_DECLS }
#else
#define LS_BEGIN_DECLS
#define LS_END_DECLS
#endif

#endif
