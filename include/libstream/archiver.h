/* libstream: the archiver — a consumer group feeding the rolling writer,
 * exactly once (Flume's Kafka source -> channel -> HDFS sink, in one).
 *
 * Configured by one ls_conf_t: archive.topics, archive.dest (file://,
 * a directory, webhdfs://, swebhdfs://), the archive.* writer keys,
 * hdfs.* keys, and any librdkafka consumer property (group.id defaults to
 * "ls-archive").  Offsets are committed only after the file holding them
 * is renamed; on assignment the archiver resumes from the destination
 * itself (ls_writer_recover).  When the destination fails with a
 * retriable error, the partitions' discarded files are re-read (seek),
 * every partition is paused (memory stays bounded, the group stays
 * alive), and the write is retried after a capped exponential backoff
 * (archive.retry.backoff.ms .. archive.retry.backoff.max.ms).
 *
 * Thread safety: one thread drives an archiver.
 */
#ifndef LIBSTREAM_ARCHIVER_H
#define LIBSTREAM_ARCHIVER_H

#include "common.h"
#include "conf.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_archiver_s ls_archiver_t;

/** Log callback: rebalances, retries, warnings; one line, no newline.
 *  Runs on the thread calling ls_archiver_poll()/close(). */
typedef void(ls_archiver_log_cb_t)(void *opaque, int level,
                                   const char *message);

/**
 * Create an archiver from conf (taken over on success only).  Checks the
 * configuration (LS_ERR_INVALID_ARG naming the key), opens the destination
 * (LS_ERR_ACCESS / LS_ERR_IO when unusable) and subscribes.
 */
LS_EXPORT ls_error_t *ls_archiver_new(ls_archiver_t **out, ls_conf_t *conf);

/** Set the log callback (NULL: silent). */
LS_EXPORT void ls_archiver_set_log_cb(ls_archiver_t *a,
                                      ls_archiver_log_cb_t *cb, void *opaque);

/**
 * One step: poll up to a batch of records (waiting up to timeout_ms),
 * write them, apply time-based rolls, handle retries.  *processed (may be
 * NULL) is the number of records taken from Kafka.  Returns an error only
 * when the archiver cannot go on (a non-retriable destination error, a
 * fatal consumer error); then nothing past the last renamed file is
 * committed.
 */
LS_EXPORT ls_error_t *ls_archiver_poll(ls_archiver_t *a, int timeout_ms,
                                       size_t *processed);

/** With consumer.stop.at.end: non-zero once every assigned partition is
 *  read to its end and no retry is pending. */
LS_EXPORT int ls_archiver_at_end(const ls_archiver_t *a);

/**
 * Close every open file (renamed and committed), then leave the group.
 * A file that cannot be closed is discarded (its records are re-read by
 * the next run, from the destination's state).  Fails (retriable
 * LS_ERR_TRANSPORT) also when a failed write sent records back and they
 * were not archived since: nothing is lost, but not all was archived.
 * After close only ls_archiver_destroy() is valid.
 */
LS_EXPORT ls_error_t *ls_archiver_close(ls_archiver_t *a);

/** Counters; any pointer may be NULL. */
LS_EXPORT void ls_archiver_counts(const ls_archiver_t *a, uint64_t *consumed,
                                  uint64_t *archived, uint64_t *files,
                                  uint64_t *bytes, uint64_t *commits,
                                  uint64_t *retries);

/** Records in Kafka not yet read by this archiver (its lag), from cached
 *  watermarks; -1 when unknown. */
LS_EXPORT int64_t ls_archiver_lag(const ls_archiver_t *a);

/** The archiver's metrics registry (named after its group.id; components
 *  "source" and "sink"), borrowed: valid until ls_archiver_destroy(). */
struct ls_metrics_s;
LS_EXPORT struct ls_metrics_s *ls_archiver_metrics(ls_archiver_t *a);

/** The metrics snapshot as JSON (metrics.h), malloc'd (caller frees);
 *  NULL when out of memory. */
LS_EXPORT char *ls_archiver_stats(ls_archiver_t *a);

/** The destination backend's printable root, borrowed. */
LS_EXPORT const char *ls_archiver_destination(const ls_archiver_t *a);

/** Free.  Open files are discarded (call ls_archiver_close() first).
 *  NULL is a no-op. */
LS_EXPORT void ls_archiver_destroy(ls_archiver_t *a);

LS_END_DECLS

#endif
