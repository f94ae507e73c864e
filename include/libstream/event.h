/* libstream: an event (one Kafka record) as seen by consumers and sinks.
 *
 * Events come from ls_consumer_poll() and are owned by whoever holds them
 * until ls_event_destroy().  Accessors return pointers borrowed from the
 * event, valid until it is destroyed; no accessor allocates or copies.
 *
 * Thread safety: an event may move between threads; it must not be used
 * from two threads at once.
 */
#ifndef LIBSTREAM_EVENT_H
#define LIBSTREAM_EVENT_H

#include "common.h"

LS_BEGIN_DECLS

typedef struct ls_event_s ls_event_t;

/** A header given to ls_producer_send(): name and value bytes. */
typedef struct ls_header {
    const char *name;   /**< NUL-terminated header name */
    const void *value;  /**< value bytes, may be NULL (null header) */
    size_t size;        /**< value length in bytes */
} ls_header_t;

/** Topic name; never NULL. */
LS_EXPORT const char *ls_event_topic(const ls_event_t *ev);

/** Partition number. */
LS_EXPORT int32_t ls_event_partition(const ls_event_t *ev);

/** Offset in the partition. */
LS_EXPORT int64_t ls_event_offset(const ls_event_t *ev);

/** Record timestamp in milliseconds since the epoch, or -1 if none. */
LS_EXPORT int64_t ls_event_timestamp(const ls_event_t *ev);

/** Key bytes and length; NULL with *len 0 when the record has no key. */
LS_EXPORT const void *ls_event_key(const ls_event_t *ev, size_t *len);

/** Value bytes and length; NULL with *len 0 for a null value. */
LS_EXPORT const void *ls_event_value(const ls_event_t *ev, size_t *len);

/** Number of headers. */
LS_EXPORT size_t ls_event_header_count(const ls_event_t *ev);

/**
 * Header idx (0-based): name, value and length through the out params.
 * Returns 0 on success, -1 when idx is out of range.
 */
LS_EXPORT int ls_event_header_get(const ls_event_t *ev, size_t idx,
                                  const char **name, const void **value,
                                  size_t *size);

/**
 * The last header called name.  Returns 0 and sets value/size when found,
 * -1 otherwise.
 */
LS_EXPORT int ls_event_header_find(const ls_event_t *ev, const char *name,
                                   const void **value, size_t *size);

/**
 * Render ev as one JSON object (no newline): {"topic","partition","offset",
 * "timestamp","key","headers":{name:value},"value"}.  Key, header values
 * and value are JSON strings when they are valid UTF-8 (null when absent);
 * otherwise they are base64 and the field name gets a "_b64" suffix
 * ("value_b64").  Writes at most size bytes (NUL-terminated when size > 0)
 * and returns the length the whole text needs, like snprintf: call again
 * with a larger buffer when the result is >= size.
 */
LS_EXPORT size_t ls_event_to_json(const ls_event_t *ev, char *buf,
                                  size_t size);

/** Free an event.  NULL is a no-op. */
LS_EXPORT void ls_event_destroy(ls_event_t *ev);

LS_END_DECLS

#endif
