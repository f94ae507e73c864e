/* libstream: an ls_event_t is a rd_kafka_message_t (no wrapper, no copy). */
#ifndef LS_EVENT_INT_H
#define LS_EVENT_INT_H

#include <librdkafka/rdkafka.h>
#include "libstream/error.h"
#include "libstream/event.h"

#define EV(ev) ((rd_kafka_message_t *)(ev))
#define TO_EVENT(m) ((ls_event_t *)(m))

/* Map a librdkafka error code to an ls_error_t with the code attached.
 * prefix is printf-style context. */
ls_error_t *ls__kafka_error(rd_kafka_resp_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Non-zero if t is a valid Kafka topic name: 1 to 249 characters of
 * a-z A-Z 0-9 . _ -, and not "." or "..". */
int ls__topic_name_valid(const char *t);

#endif
