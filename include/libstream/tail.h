/* libstream: the tail — follow files line by line into Kafka (Flume's
 * exec "tail -F" and TAILDIR sources, with a Kafka sink, in one).
 *
 * Files are named by paths or glob patterns (ls_tail_add(), or the
 * tail.files key); patterns are expanded again every tail.scan.interval.ms
 * so new files are picked up.  A file is known by its device and inode,
 * not its name, which makes rotation safe:
 *   - rename + create: the old inode is read to its end (also what the
 *     writer appends after the rename), then closed once it has been idle
 *     for tail.idle.timeout.ms; the new file at the path is read from 0;
 *   - copytruncate: a file that shrinks, or whose bytes before the read
 *     position change, is read again from 0.
 * Every line (without its '\n'; a '\r' stays) becomes one message.  A
 * last line without a newline waits for it; lines longer than
 * tail.line.max.bytes are sent in pieces of that size.
 *
 * Position file (tail.position.file, JSON): per file its device, inode,
 * path, epoch (truncations seen) and the offset up to which every line was
 * acknowledged by the broker; written atomically (temp file, fsync,
 * rename) at most every tail.position.interval.ms and on close.  A line's
 * offset is committed only when it and every line sent before it were
 * acknowledged.  On restart files are matched by device and inode (also a
 * file renamed while the tail was down, if it is still in the same
 * directory) and resume at the saved offset.  Files that existed before
 * the first scan and are not in the position file start at their end
 * (tail.from.start: at 0) unless a position file already existed; files
 * that appear later are read from 0.
 *
 * Exactly once (tail.exactly.once, default true): lines acknowledged
 * after the last position write, and lines the broker stored whose
 * acknowledgement never arrived (kill -9), would be sent again.  To avoid
 * that, every message carries a header "ls.tail.src" =
 * "DEV:INO:EPOCH:END" (END: the line's end offset in the file), the
 * producer is idempotent (enable.idempotence=true, unless set), and the
 * position file also records, per partition of tail.topic, the Kafka
 * offset from which messages may belong to lines past the saved offsets.
 * On restart after an unclean stop, ls_tail_new() reads those partitions
 * from there to their end and skips the lines already in Kafka.
 *
 * Producer: the tail creates and owns its producer from the conf
 * (bootstrap.servers and any librdkafka producer property); the caller
 * never sees it.  Counts and errors come through ls_tail_counts() and
 * ls_tail_delivery_error().
 *
 * Thread safety: one thread drives a tail; delivery reports are served on
 * that thread inside ls_tail_poll() and ls_tail_close().
 */
#ifndef LIBSTREAM_TAIL_H
#define LIBSTREAM_TAIL_H

#include "common.h"
#include "conf.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_tail_s ls_tail_t;

/** Log callback: files followed, rotations, truncations, warnings; one
 *  line without newline; level LS_LOG_INFO or LS_LOG_WARNING.  Runs on the
 *  thread calling ls_tail_poll()/ls_tail_close().  Must not call
 *  ls_tail_destroy(). */
typedef void(ls_tail_log_cb_t)(void *opaque, int level, const char *message);

/**
 * Create a tail from conf (taken over on success only, like rd_kafka_new):
 * tail.* keys and librdkafka producer properties.  Reads the position file
 * if there is one and, with tail.exactly.once, asks the brokers for the
 * topic's partitions and reconciles an unclean previous run (may block up
 * to ~30 s).  No file is opened yet: that happens in the first
 * ls_tail_poll().  Fails with LS_ERR_INVALID_ARG naming a bad key (no
 * tail.topic, enable.idempotence=false with exactly-once), LS_ERR_IO for an
 * unreadable or corrupt position file, LS_ERR_KAFKA when the producer
 * cannot be created or the reconciliation cannot read the topic.
 */
LS_EXPORT ls_error_t *ls_tail_new(ls_tail_t **out, ls_conf_t *conf);

/** Set the log callback (NULL: silent). */
LS_EXPORT void ls_tail_set_log_cb(ls_tail_t *t, ls_tail_log_cb_t *cb,
                                  void *opaque);

/**
 * Follow pattern: a path or a glob(3) pattern (with {a,b} braces).  May be
 * called before or between polls; its files are found at the next poll.
 * Fails with LS_ERR_INVALID_ARG for an empty pattern.
 */
LS_EXPORT ls_error_t *ls_tail_add(ls_tail_t *t, const char *pattern);

/**
 * Add a header to every message (name and value are copied).  Call before
 * the first ls_tail_poll().  Fails with LS_ERR_INVALID_ARG for an empty
 * name or after polling started.
 */
LS_EXPORT ls_error_t *ls_tail_add_header(ls_tail_t *t, const char *name,
                                         const void *value, size_t size);

/**
 * One step: expand patterns when due, check rotation and truncation, read
 * new lines and send them, serve delivery reports, write the position file
 * when due.  Waits up to timeout_ms (at most tail.poll.interval.ms) when
 * there is nothing to read.  *lines (may be NULL) is the number of lines
 * sent in this step.  Returns an error when the tail cannot go on: a line
 * failed delivery (LS_ERR_KAFKA; the position stays before it, and that
 * file is no longer read) or could not be sent.  A failing position write
 * is logged and retried; only ls_tail_close() returns it.
 */
LS_EXPORT ls_error_t *ls_tail_poll(ls_tail_t *t, int timeout_ms,
                                   size_t *lines);

/**
 * Non-zero when the last ls_tail_poll() found nothing to send in any file
 * (each is read up to its last newline; a last line without newline is not
 * counted) and no line is waiting for its delivery report.  For batch use
 * ("read these files, then exit").
 */
LS_EXPORT int ls_tail_at_end(const ls_tail_t *t);

/**
 * Stop reading, wait up to timeout_ms (-1: forever) for every outstanding
 * delivery, then write the final position file.  Fails with
 * LS_ERR_TIMED_OUT when deliveries were still outstanding (the position
 * covers what was acknowledged), or with the position file's LS_ERR_IO.
 * After close only ls_tail_counts(), ls_tail_delivery_error() and
 * ls_tail_destroy() are valid.
 */
LS_EXPORT ls_error_t *ls_tail_close(ls_tail_t *t, int timeout_ms);

/**
 * Counters; any pointer may be NULL.  sent: lines handed to the producer;
 * delivered/failed: their delivery reports; skipped: lines of an unclean
 * previous run found already in Kafka (not sent again); files: distinct
 * files followed since ls_tail_new().
 */
LS_EXPORT void ls_tail_counts(const ls_tail_t *t, uint64_t *sent,
                              uint64_t *delivered, uint64_t *failed,
                              uint64_t *skipped, uint64_t *files);

/** The first delivery failure ("topic [partition]: error"), borrowed for
 *  the tail's lifetime, or NULL. */
LS_EXPORT const char *ls_tail_delivery_error(const ls_tail_t *t);

/** The tail's metrics registry ("ls-tail"; components "source" — lines
 *  and bytes read, files tracked — and "sink" — the Kafka producer's
 *  sent, delivered, failed and in-flight records), borrowed: valid until
 *  ls_tail_destroy().  Values are published at each ls_tail_poll(). */
struct ls_metrics_s;
LS_EXPORT struct ls_metrics_s *ls_tail_metrics(ls_tail_t *t);

/** The metrics snapshot as JSON (metrics.h), malloc'd (caller frees);
 *  NULL when out of memory. */
LS_EXPORT char *ls_tail_stats(ls_tail_t *t);

/**
 * Free the tail and its producer.  Without ls_tail_close() messages in
 * flight are purged (counted failed) and the position file is not
 * written.  NULL is a no-op.
 */
LS_EXPORT void ls_tail_destroy(ls_tail_t *t);

LS_END_DECLS

#endif
