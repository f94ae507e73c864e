/* libstream: the S3 sink — a consumer group batching topics into CSV or
 * JSON-lines objects on S3, exactly once (ls-batch2s3).
 *
 * Records are batched per topic-partition; a batch is flushed after
 * s3sink.batch.size records (100), s3sink.batch.bytes bytes (0: off) or
 * s3sink.batch.timeout.ms since its first record (300000), and written as
 * one object whose key comes from s3sink.key (default
 * "%{type}/%{type}_%Y%m%d_%H%M%S_p%{partition}_o%{offset}", time and
 * offset of the batch's first record) plus ".csv"/".jsonl" (and ".gz").
 * Memory is bounded over all partitions by s3sink.buffer.max.bytes
 * (64 MiB): past it the biggest batch is stored early.
 * Offsets are committed only after the object is stored.  Because a batch
 * always starts at the committed offset, a batch re-read after a crash
 * has the same key and overwrites its own object: each record is in
 * exactly one object.
 *
 * A record that is not a JSON object goes to the dead-letter destination
 * (s3sink.dlq: a file path, or "kafka:TOPIC") with its reason, and is
 * counted; it never stops the pipeline.  While S3 fails with a retriable
 * error, the batch's partition is re-read, every partition is paused and
 * the put is retried after a capped backoff (s3sink.retry.backoff.ms ..
 * s3sink.retry.backoff.max.ms).
 *
 * Configured by one ls_conf_t: s3sink.* keys, s3.* keys (bucket, endpoint,
 * credentials: see s3.h) and librdkafka consumer properties (group.id
 * defaults to "ls-batch2s3").
 *
 * Thread safety: one thread drives a sink.
 */
#ifndef LIBSTREAM_S3SINK_H
#define LIBSTREAM_S3SINK_H

#include "common.h"
#include "conf.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_s3sink_s ls_s3sink_t;

/** Log callback (rebalances, retries, dead letters); level 4 warning,
 *  6 info; one line without newline; runs on the polling thread. */
typedef void(ls_s3sink_log_cb_t)(void *opaque, int level, const char *message);

/**
 * Create a sink from conf (taken over on success only) and subscribe.
 * LS_ERR_INVALID_ARG names a bad key; no S3 request is made yet.
 */
LS_EXPORT ls_error_t *ls_s3sink_new(ls_s3sink_t **out, ls_conf_t *conf);

/** Set the log callback (NULL: silent). */
LS_EXPORT void ls_s3sink_set_log_cb(ls_s3sink_t *s, ls_s3sink_log_cb_t *cb,
                                    void *opaque);

/**
 * One step: poll records (waiting up to timeout_ms), batch them, flush
 * batches that are due, handle retries.  *processed (may be NULL) is the
 * number of records taken from Kafka.  Returns an error only when the
 * sink cannot go on (non-retriable S3 error, dead-letter write failure,
 * fatal consumer error); nothing past the last stored object is
 * committed then.
 */
LS_EXPORT ls_error_t *ls_s3sink_poll(ls_s3sink_t *s, int timeout_ms,
                                     size_t *processed);

/** With consumer.stop.at.end: non-zero once every partition is read to
 *  its end and no retry is pending (then ls_s3sink_close() flushes). */
LS_EXPORT int ls_s3sink_at_end(const ls_s3sink_t *s);

/** Flush every batch (stored and committed), then leave the group.
 *  Fails (LS_ERR_TRANSPORT, "closing: S3 is failing; ...") when a batch
 *  cannot be stored, or when a failed store sent records back and they
 *  were not stored since: they stay uncommitted for the next run.
 *  After close only ls_s3sink_destroy() is valid. */
LS_EXPORT ls_error_t *ls_s3sink_close(ls_s3sink_t *s);

/** Counters; any pointer may be NULL. */
LS_EXPORT void ls_s3sink_counts(const ls_s3sink_t *s, uint64_t *consumed,
                                uint64_t *stored, uint64_t *objects,
                                uint64_t *bytes, uint64_t *dead_letters,
                                uint64_t *retries);

/** The sink's metrics registry (named after its group.id; components
 *  "source" and "sink", outputs are object keys), borrowed: valid until
 *  ls_s3sink_destroy(). */
struct ls_metrics_s;
LS_EXPORT struct ls_metrics_s *ls_s3sink_metrics(ls_s3sink_t *s);

/** The metrics snapshot as JSON (metrics.h), malloc'd (caller frees);
 *  NULL when out of memory. */
LS_EXPORT char *ls_s3sink_stats(ls_s3sink_t *s);

/** Free.  Unflushed batches are dropped (their records are re-read by
 *  the next run).  NULL is a no-op. */
LS_EXPORT void ls_s3sink_destroy(ls_s3sink_t *s);

LS_END_DECLS

#endif
