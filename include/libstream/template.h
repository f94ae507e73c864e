/* libstream: path templates with Flume's escapes.
 *
 * A template is parsed once and expanded per event without allocation.
 * Escapes (time in UTC):
 *   %Y year, %m month, %d day, %H hour, %M minute, %S second (zero-padded),
 *   %s seconds since the epoch, %j day of the year (001-366), %% a '%';
 *   %{topic}, %{partition}, %{key}, %{offset} (the record's offset, 10
 *   digits at least), %{type} (the topic without a trailing "_topic": the
 *   replaced demo's folder rule, sales_topic -> sales), and %{NAME} for
 *   any other NAME: the value of the record's last header called NAME.
 * Values substituted from the record (topic, key, headers) are sanitised so
 * that a record can never write outside the destination root: '/' and '\'
 * become '_', control bytes become '_', a value of "." or ".." (or any run
 * of dots alone) becomes "_", an empty or missing value becomes "_", and
 * values are cut at 200 bytes.
 *
 * Thread safety: an expanded template is read-only; expand from any thread.
 */
#ifndef LIBSTREAM_TEMPLATE_H
#define LIBSTREAM_TEMPLATE_H

#include "common.h"
#include "error.h"
#include "event.h"

LS_BEGIN_DECLS

typedef struct ls_template_s ls_template_t;

/**
 * Parse pattern.  Fails with LS_ERR_INVALID_ARG naming the pattern and
 * the bad escape (e.g. "%q", an unterminated "%{").
 */
LS_EXPORT ls_error_t *ls_template_new(ls_template_t **out,
                                      const char *pattern);

/**
 * Expand for ev (which may be NULL: record escapes then give "_") at
 * time_ms (ms since the epoch, UTC).  Writes at most size bytes,
 * NUL-terminated when size > 0, and returns the length the whole
 * expansion needs (like snprintf).
 */
LS_EXPORT size_t ls_template_expand(const ls_template_t *t,
                                    const ls_event_t *ev, int64_t time_ms,
                                    char *buf, size_t size);

/** Expand with explicit topic and partition instead of an event (for
 *  recovery, which has no record): key and header escapes give "_". */
LS_EXPORT size_t ls_template_expand_tp(const ls_template_t *t,
                                       const char *topic, int32_t partition,
                                       int64_t time_ms, char *buf,
                                       size_t size);

/** Non-zero when the template has any time escape. */
LS_EXPORT int ls_template_uses_time(const ls_template_t *t);

/** Non-zero when the template uses a record's key or a header. */
LS_EXPORT int ls_template_uses_record(const ls_template_t *t);

/** Non-zero when the template uses %{topic}. */
LS_EXPORT int ls_template_uses_topic(const ls_template_t *t);

/**
 * The leading part of the template that has no escape except %{topic}
 * and %{partition}, up to its last '/', expanded for topic/partition:
 * the directory that holds every file the template can name (for
 * recovery scans).  Same return convention as ls_template_expand().
 */
LS_EXPORT size_t ls_template_static_dir(const ls_template_t *t,
                                        const char *topic, int32_t partition,
                                        char *buf, size_t size);

/** Free.  NULL is a no-op. */
LS_EXPORT void ls_template_destroy(ls_template_t *t);

LS_END_DECLS

#endif
