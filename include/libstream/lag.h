/* libstream: consumer-group lag, seen from outside the group.
 *
 * For each consumer group, the committed offset of each partition, the
 * partition's log end (high watermark) and the lag between the two, like
 * `kafka-consumer-groups.sh --describe`.  Nothing joins the groups: the
 * committed offsets come from the group coordinator (OffsetFetch, through
 * librdkafka's Admin API), the log ends from the partition leaders
 * (ListOffsets), so looking does not trigger a rebalance.  For the lag of
 * a consumer's own assigned partitions see ls_consumer_lag().
 *
 * Listing the groups of a cluster needs the ListGroups API, which real
 * Kafka brokers have and the embedded broker (ls_broker_new(), librdkafka's
 * mock cluster) does not: there, name the groups.
 *
 * Thread safety: one thread at a time per handle.
 */
#ifndef LIBSTREAM_LAG_H
#define LIBSTREAM_LAG_H

#include "common.h"
#include "conf.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_lag_s ls_lag_t;

/**
 * Create a lag reader from conf (bootstrap.servers and any security
 * properties; group.id is not used).  No request is made yet.
 *
 * @param out   set to the new handle, to free with ls_lag_destroy();
 *              left NULL on failure.
 * @param conf  taken over on success only, like rd_kafka_new(); on
 *              failure the caller still owns it.
 * @returns NULL, or LS_ERR_INVALID_ARG (bad arguments or property) or
 *          LS_ERR_KAFKA (librdkafka refused the configuration).
 */
LS_EXPORT ls_error_t *ls_lag_new(ls_lag_t **out, ls_conf_t *conf);

/** Called once per group by ls_lag_list_groups(); group is borrowed for
 *  the call. */
typedef void(ls_lag_group_cb_t)(void *opaque, const char *group);

/**
 * List the consumer groups of the cluster (ListGroups on every broker),
 * calling cb once per group, sorted by name, on the caller's thread.  cb
 * is called only when the whole listing succeeded.  Blocks up to about
 * timeout_ms.
 *
 * @returns NULL, or LS_ERR_KAFKA: when a broker cannot list groups (no
 *          ListGroups API, e.g. the embedded broker) the error is not
 *          retriable and says so; timeouts and unreachable brokers are
 *          retriable.
 */
LS_EXPORT ls_error_t *ls_lag_list_groups(ls_lag_t *l, int timeout_ms,
                                         ls_lag_group_cb_t *cb,
                                         void *opaque);

/**
 * Called once per (group, topic, partition) by ls_lag_query().  committed
 * is the group's committed offset (the next offset it will read), or -1
 * when it has none; end is the log end (high watermark); lag is
 * end - committed (never below 0), or end - log start when nothing is
 * committed (what a consumer with auto.offset.reset=earliest would read).
 * Strings are borrowed for the call.
 */
typedef void(ls_lag_partition_cb_t)(void *opaque, const char *group,
                                    const char *topic, int32_t partition,
                                    int64_t committed, int64_t end,
                                    int64_t lag);

/**
 * Query the lag of groups[0..ngroups-1] (ngroups 0: every group
 * ls_lag_list_groups() finds) on topics[0..ntopics-1].  With topics, every
 * partition of those topics is reported for each group, committed or not;
 * with ntopics 0, every partition of each topic the group has a committed
 * offset in, in any partition (found by asking the coordinator about all
 * partitions of the cluster: one request per group).
 *
 * cb is called on the caller's thread, only once everything was fetched
 * (a failing call makes no call to cb), in the order of groups, then
 * topic name, then partition.  A group with nothing to report gets no
 * call.  Each request to the brokers waits up to timeout_ms.  Must not be
 * called on the same handle from inside cb.
 *
 * @returns NULL, or LS_ERR_INVALID_ARG (bad argument or topic name),
 *          LS_ERR_NOT_FOUND (a named topic does not exist), LS_ERR_KAFKA
 *          (the cluster or a group coordinator failed or timed out; the
 *          message names the group or partition), or the errors of
 *          ls_lag_list_groups() when ngroups is 0.
 */
LS_EXPORT ls_error_t *ls_lag_query(ls_lag_t *l, const char *const *groups,
                                   size_t ngroups, const char *const *topics,
                                   size_t ntopics, int timeout_ms,
                                   ls_lag_partition_cb_t *cb, void *opaque);

/** Free.  May block briefly while librdkafka closes its connections.
 *  NULL is a no-op. */
LS_EXPORT void ls_lag_destroy(ls_lag_t *l);

LS_END_DECLS

#endif
