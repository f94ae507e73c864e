/* libstream: a Kafka producer that never drops a message silently.
 *
 * Every message sent is counted: sent, then delivered or failed once the
 * broker (or librdkafka's message.timeout.ms) decides.  Delivery reports
 * are served on the caller's thread inside ls_producer_poll(),
 * ls_producer_send() (while it waits for queue space) and
 * ls_producer_flush().
 *
 * Configuration: any librdkafka producer property (enable.idempotence,
 * compression.type, linger.ms, ...) through the ls_conf_t.
 *
 * Thread safety: ls_producer_send() may be called from many threads; the
 * delivery callback runs in whichever thread polls.
 */
#ifndef LIBSTREAM_PRODUCER_H
#define LIBSTREAM_PRODUCER_H

#include "common.h"
#include "conf.h"
#include "error.h"
#include "event.h"

LS_BEGIN_DECLS

typedef struct ls_producer_s ls_producer_t;

/** One message to send.  The library copies what it needs during
 *  ls_producer_send(); nothing here is kept after it returns. */
typedef struct ls_message {
    const char *topic;          /**< required */
    int32_t partition;          /**< -1: the partitioner chooses */
    const void *key;            /**< may be NULL */
    size_t key_len;
    const void *value;          /**< may be NULL (tombstone) */
    size_t value_len;
    const ls_header_t *headers; /**< may be NULL */
    size_t header_count;
    int64_t timestamp_ms;       /**< 0: now */
    void *opaque;               /**< handed back to the delivery callback */
} ls_message_t;

/** Initializer for ls_message_t with partition -1 and all else empty. */
#define LS_MESSAGE_INIT {NULL, -1, NULL, 0, NULL, 0, NULL, 0, 0, NULL}

/**
 * Delivery callback: one call for each message, with err NULL when the
 * broker acknowledged it.  ev describes the message (topic, partition,
 * offset when delivered, key, value); both are borrowed for the call.
 * msg_opaque is ls_message_t.opaque.  Must not call ls_producer_destroy().
 */
typedef void(ls_delivery_cb_t)(void *opaque, const ls_event_t *ev,
                               const ls_error_t *err, void *msg_opaque);

/**
 * Create a producer from conf.  Takes over conf on success only.
 * Fails with LS_ERR_INVALID_ARG (bad property) or LS_ERR_KAFKA.
 */
LS_EXPORT ls_error_t *ls_producer_new(ls_producer_t **out, ls_conf_t *conf);

/** Set the delivery callback (before the first send). */
LS_EXPORT void ls_producer_set_delivery_cb(ls_producer_t *p,
                                           ls_delivery_cb_t *cb,
                                           void *opaque);

/**
 * Enqueue one message.  When librdkafka's queue is full it serves delivery
 * reports and waits, so memory stays bounded; the wait ends when space
 * frees (messages are delivered or time out after message.timeout.ms).
 * Fails at once (nothing enqueued, nothing counted) for an invalid topic,
 * a message over message.max.bytes, or a fatal producer error.
 */
LS_EXPORT ls_error_t *ls_producer_send(ls_producer_t *p,
                                       const ls_message_t *msg);

/** Serve delivery reports, waiting up to timeout_ms.  Returns how many
 *  events were served. */
LS_EXPORT int ls_producer_poll(ls_producer_t *p, int timeout_ms);

/**
 * Look up topic's partitions and leaders now, waiting up to timeout_ms
 * (-1: forever), so that the first send to it is not held back: librdkafka
 * 2.0 drops the leader query of a topic first produced to before a broker
 * connection is up and retries it only with its 1 s topic scan.  Optional;
 * the producer stays usable when it fails (LS_ERR_TIMED_OUT or
 * LS_ERR_KAFKA naming the topic, e.g. it does not exist and is not
 * auto-created).
 */
LS_EXPORT ls_error_t *ls_producer_prepare(ls_producer_t *p, const char *topic,
                                          int timeout_ms);

/**
 * Wait until every message sent is delivered or failed, up to timeout_ms
 * (-1: forever).  Fails with LS_ERR_TIMED_OUT naming how many are still
 * outstanding.  A flush that returns NULL means every message has its
 * final count; see ls_producer_counts() for failures.
 */
LS_EXPORT ls_error_t *ls_producer_flush(ls_producer_t *p, int timeout_ms);

/** Message counts so far.  Any pointer may be NULL. */
LS_EXPORT void ls_producer_counts(const ls_producer_t *p, uint64_t *sent,
                                  uint64_t *delivered, uint64_t *failed);

/**
 * The first delivery failure's message ("topic [partition]: librdkafka
 * error"), borrowed for the producer's lifetime, or NULL if none failed.
 */
LS_EXPORT const char *ls_producer_delivery_error(const ls_producer_t *p);

/**
 * Destroy the producer.  Messages not yet delivered are purged and counted
 * failed (their delivery callbacks run).  Call ls_producer_flush() first
 * to deliver them.  NULL is a no-op.
 */
LS_EXPORT void ls_producer_destroy(ls_producer_t *p);

LS_END_DECLS

#endif
