/* libstream: HTTP source internals reached by tests/fuzz (not installed).
 * Lets the request-body parser run without a server or a producer. */
#ifndef LS_HTTPSRC_INT_H
#define LS_HTTPSRC_INT_H

#include <stddef.h>

#include "libstream/producer.h"

typedef void ls__httpsrc_msg_cb_t(void *opaque, const ls_message_t *m);

/* Parse and validate one request body (len bytes, need not be
 * NUL-terminated) exactly as ls-http does once a POST is complete: a
 * Flume JSONHandler array, bodies base64 when base64 is non-zero.
 * key_header (may be NULL), the nstatic static headers (at most 64),
 * max_msg (message.max.bytes) and topic stand for the source's
 * configuration.  On success calls each(opaque, m) for every event, in
 * order (may be NULL), and returns 0; else returns the HTTP status
 * (400, 413, 503) with the reason in why. */
int ls__httpsrc_parse_body(const char *body, size_t len, int base64,
                           const char *topic, const char *key_header,
                           const ls_header_t *static_hdrs, size_t nstatic,
                           size_t max_msg, ls__httpsrc_msg_cb_t *each,
                           void *opaque, char *why, size_t whysize);

#endif
