/* libstream: a Kafka consumer, in a consumer group or on its own.
 *
 * With group.id set it joins the group (subscribe); without, it assigns
 * itself every partition of the topics.  Auto-commit is off by default:
 * offsets are committed only when the caller says records are done
 * (ls_consumer_commit() or ls_consumer_store() + ls_consumer_commit_stored()).
 * auto.offset.reset defaults to "earliest" so that nothing is skipped.
 *
 * Rebalance callbacks run on the polling thread inside ls_consumer_poll()
 * and ls_consumer_close(), before partitions are revoked or after they are
 * assigned, so a sink can flush (and commit) or discard its partial work.
 *
 * Thread safety: one polling thread; the handle is not shared.
 */
#ifndef LIBSTREAM_CONSUMER_H
#define LIBSTREAM_CONSUMER_H

#include "common.h"
#include "conf.h"
#include "error.h"
#include "event.h"

LS_BEGIN_DECLS

typedef struct ls_consumer_s ls_consumer_t;

/** A list of topic partitions, each with an offset.  Borrowed from the
 *  consumer inside callbacks. */
typedef struct ls_partition_list_s ls_partition_list_t;

/** Number of entries. */
LS_EXPORT size_t ls_partition_list_count(const ls_partition_list_t *l);
/** Topic of entry i (borrowed). */
LS_EXPORT const char *ls_partition_list_topic(const ls_partition_list_t *l,
                                              size_t i);
/** Partition of entry i. */
LS_EXPORT int32_t ls_partition_list_partition(const ls_partition_list_t *l,
                                              size_t i);
/** Offset of entry i: an offset >= 0, or LS_OFFSET_* below. */
LS_EXPORT int64_t ls_partition_list_offset(const ls_partition_list_t *l,
                                           size_t i);
/** Set the offset of entry i (in an assign callback: where to start). */
LS_EXPORT void ls_partition_list_set_offset(ls_partition_list_t *l, size_t i,
                                            int64_t offset);

/** Special offsets, librdkafka's values. */
#define LS_OFFSET_BEGINNING (-2)
#define LS_OFFSET_END (-1)
#define LS_OFFSET_STORED (-1000)

/** Where a consumer starts in each partition it is given. */
typedef enum {
    LS_START_COMMITTED = 0, /**< committed offset, else auto.offset.reset */
    LS_START_BEGINNING,     /**< the oldest record */
    LS_START_END,           /**< only new records */
    LS_START_OFFSET,        /**< an absolute offset */
    LS_START_TIMESTAMP      /**< the first record at or after a time (ms) */
} ls_start_t;

/** Kinds of rebalance event. */
typedef enum {
    LS_REBALANCE_ASSIGN, /**< partitions given; offsets may be set */
    LS_REBALANCE_REVOKE, /**< partitions about to be taken away */
    LS_REBALANCE_LOST    /**< partitions lost (session timed out); do not
                              commit, discard partial work */
} ls_rebalance_t;

/**
 * Rebalance callback.  For ASSIGN, parts holds the partitions with the
 * offset they will start at (LS_OFFSET_STORED when the committed offset
 * is used); the callback may change them with
 * ls_partition_list_set_offset().  For REVOKE, the callback may still
 * commit offsets of those partitions.  Returning an error from an ASSIGN
 * callback makes ls_consumer_poll() fail with it.
 */
typedef ls_error_t *(ls_rebalance_cb_t)(void *opaque, ls_rebalance_t kind,
                                        ls_partition_list_t *parts);

/**
 * Create a consumer from conf.  Takes over conf on success only.
 * Fails with LS_ERR_INVALID_ARG (bad property) or LS_ERR_KAFKA.
 */
LS_EXPORT ls_error_t *ls_consumer_new(ls_consumer_t **out, ls_conf_t *conf);

/** Set the rebalance callback (before ls_consumer_subscribe()). */
LS_EXPORT void ls_consumer_set_rebalance_cb(ls_consumer_t *c,
                                            ls_rebalance_cb_t *cb,
                                            void *opaque);

/**
 * Where to start in each assigned partition (before subscribe).  value is
 * the offset for LS_START_OFFSET and milliseconds since the epoch for
 * LS_START_TIMESTAMP.  Default LS_START_COMMITTED.
 */
LS_EXPORT ls_error_t *ls_consumer_set_start(ls_consumer_t *c, ls_start_t how,
                                            int64_t value);

/**
 * Stop-at-end mode for batch jobs (before subscribe): ls_consumer_at_end()
 * turns true once every assigned partition has been read to its end.
 */
LS_EXPORT void ls_consumer_set_stop_at_end(ls_consumer_t *c, int on);

/**
 * Subscribe to topics.  A name starting with '^' is a regular expression.
 * Without group.id, every partition of the named topics (no regexes) is
 * assigned directly and no group is joined.  Fails with LS_ERR_INVALID_ARG
 * for an invalid topic name, LS_ERR_NOT_FOUND for a topic that does not
 * exist when assigning directly, LS_ERR_KAFKA otherwise.
 */
LS_EXPORT ls_error_t *ls_consumer_subscribe(ls_consumer_t *c,
                                            const char *const *topics,
                                            size_t count);

/**
 * Poll for up to max events, waiting up to timeout_ms for the first.
 * Stores them in events[0..*count-1]; the caller owns each and frees it
 * with ls_event_destroy().  Rebalance callbacks run inside.  When a
 * consumer error arrives, the events before it are returned with the
 * error; the error is retriable unless the consumer cannot go on (fatal
 * error, topic not found, authorization).
 */
LS_EXPORT ls_error_t *ls_consumer_poll(ls_consumer_t *c, ls_event_t **events,
                                       size_t max, int timeout_ms,
                                       size_t *count);

/**
 * In stop-at-end mode: non-zero once partitions are assigned and every
 * one has been read to its end (no event of it is pending).
 */
LS_EXPORT int ls_consumer_at_end(const ls_consumer_t *c);

/**
 * Commit next_offset (the offset of the next record to read, i.e. last
 * done + 1) for one partition, synchronously.  Fails with LS_ERR_KAFKA
 * (e.g. the partition is no longer assigned after a rebalance).
 */
LS_EXPORT ls_error_t *ls_consumer_commit(ls_consumer_t *c, const char *topic,
                                         int32_t partition,
                                         int64_t next_offset);

/** Mark ev done: its offset + 1 is stored for ls_consumer_commit_stored(). */
LS_EXPORT ls_error_t *ls_consumer_store(ls_consumer_t *c,
                                        const ls_event_t *ev);

/**
 * Count this consumer's records, bytes, commits and rebalances in
 * registry m under component (default "source"; role source), and
 * publish its partitions' committed offsets, positions, log ends and lag
 * (refreshed at most once a second from cached watermarks: no extra
 * request).  m is borrowed and must outlive the consumer; NULL detaches
 * nothing and counts nothing.
 */
struct ls_metrics_s;
LS_EXPORT void ls_consumer_set_metrics(ls_consumer_t *c,
                                       struct ls_metrics_s *m,
                                       const char *component);

/** Commit every stored offset; async when async is non-zero.  No stored
 *  offsets is not an error. */
LS_EXPORT ls_error_t *ls_consumer_commit_stored(ls_consumer_t *c, int async);

/**
 * The assigned partitions with their committed offsets and log end
 * (high watermark) queried from the brokers, through the callback, one
 * call per partition.  lag is end - committed (end when none committed).
 */
typedef void(ls_lag_cb_t)(void *opaque, const char *topic, int32_t partition,
                          int64_t committed, int64_t end, int64_t lag);
LS_EXPORT ls_error_t *ls_consumer_lag(ls_consumer_t *c, int timeout_ms,
                                      ls_lag_cb_t *cb, void *opaque);

/**
 * Records not yet read by this consumer over all assigned partitions,
 * from librdkafka's cached high watermarks and the current positions (no
 * network request; fresh to within a fetch).  -1 when unknown.
 */
LS_EXPORT int64_t ls_consumer_pending(ls_consumer_t *c);

/**
 * Re-read one assigned partition from offset (e.g. after a sink discarded
 * a file).  Records of that partition fetched before the seek are
 * dropped by librdkafka; the caller drops any it still holds.  Fails with
 * LS_ERR_NOT_FOUND when the partition is not assigned (any more), or
 * LS_ERR_KAFKA when librdkafka refuses the seek.
 */
LS_EXPORT ls_error_t *ls_consumer_seek(ls_consumer_t *c, const char *topic,
                                       int32_t partition, int64_t offset);

/**
 * Pause (pause != 0) or resume fetching of every assigned partition:
 * backpressure while a sink is failing, so memory stays bounded while the
 * caller keeps polling (which serves rebalances and group liveness).
 * Resuming re-fetches from the position the caller has reached.
 */
LS_EXPORT ls_error_t *ls_consumer_pause_all(ls_consumer_t *c, int pause);

/**
 * Leave the group: revoke callbacks run (so sinks can commit), then the
 * consumer stops.  After close only ls_consumer_destroy() is valid.
 */
LS_EXPORT ls_error_t *ls_consumer_close(ls_consumer_t *c);

/** Destroy; closes first if ls_consumer_close() was not called.  Events
 *  still held by the caller must be destroyed before.  NULL is a no-op. */
LS_EXPORT void ls_consumer_destroy(ls_consumer_t *c);

LS_END_DECLS

#endif
