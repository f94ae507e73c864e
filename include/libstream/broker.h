/* libstream: an embedded Kafka-protocol broker for demos and tests.
 *
 * A wrapper around librdkafka's mock cluster: N brokers listening on
 * 127.0.0.1 random ports, speaking the real Kafka protocol, data in memory.
 * Limits (librdkafka 2.0.2's rdkafka_mock.c): each partition keeps only
 * its newest ~5 MiB (and at most 100,000 batches) and silently drops older
 * batches; auto-created topics get 4 partitions; fetch answers ignore
 * fetch.max.bytes; the first group join waits ~3 s.
 *
 * The broker does not drop data silently: a watcher thread reads each
 * partition's low watermark once every interval and reports records that
 * were discarded, through ls_broker_records_lost() and the loss callback.
 *
 * Thread safety: all calls may be made from any thread; the loss callback
 * runs on the watcher thread.
 */
#ifndef LIBSTREAM_BROKER_H
#define LIBSTREAM_BROKER_H

#include "common.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_broker_s ls_broker_t;

/**
 * Called when a partition's low watermark rises above 0: its oldest
 * records were dropped.  lost is the partition's low watermark (records
 * lost so far in it); total is the sum over all partitions.
 */
typedef void(ls_broker_loss_cb_t)(void *opaque, const char *topic,
                                  int32_t partition, int64_t lost,
                                  int64_t total);

/**
 * Start an embedded cluster of brokers (>= 1) on 127.0.0.1.
 * Fails with LS_ERR_INVALID_ARG or LS_ERR_KAFKA.
 */
LS_EXPORT ls_error_t *ls_broker_new(ls_broker_t **out, int brokers);

/** The bootstrap.servers string ("127.0.0.1:PORT,..."), borrowed. */
LS_EXPORT const char *ls_broker_bootstraps(const ls_broker_t *b);

/** Create a topic with partitions partitions (replication 1).  Fails with
 *  LS_ERR_INVALID_ARG for a bad name or count, LS_ERR_KAFKA otherwise. */
LS_EXPORT ls_error_t *ls_broker_create_topic(ls_broker_t *b,
                                             const char *topic,
                                             int partitions);

/** Take broker id (1..N, or -1 for all) down: connections are closed and
 *  refused until ls_broker_set_up(). */
LS_EXPORT ls_error_t *ls_broker_set_down(ls_broker_t *b, int broker_id);

/** Bring broker id (or -1 for all) back up. */
LS_EXPORT ls_error_t *ls_broker_set_up(ls_broker_t *b, int broker_id);

/**
 * Start watching low watermarks every interval_ms (>= 100), calling cb
 * (may be NULL) from the watcher thread on each new loss.
 */
LS_EXPORT ls_error_t *ls_broker_watch(ls_broker_t *b, int interval_ms,
                                      ls_broker_loss_cb_t *cb, void *opaque);

/** Records discarded so far, as last seen by the watcher (0 if not
 *  watching). */
LS_EXPORT int64_t ls_broker_records_lost(const ls_broker_t *b);

/** Stop the watcher and the cluster.  NULL is a no-op. */
LS_EXPORT void ls_broker_destroy(ls_broker_t *b);

LS_END_DECLS

#endif
