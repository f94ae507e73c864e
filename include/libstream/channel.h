/* libstream: a bounded, thread-safe batching channel of events.
 *
 * The channel sits between a source and a sink, like Flume's memory
 * channel.  Capacity is counted in events and bytes (an event's bytes are
 * its key + value lengths); events taken but not yet committed still count,
 * so memory is bounded whatever the sink does.  A put into a full channel
 * waits (up to a timeout) or fails at once with LS_ERR_FULL, so the source
 * can pause instead of growing memory.
 *
 * The sink takes a batch as a transaction: ls_channel_take() waits for a
 * flush trigger (max events, max bytes or max age of the oldest event),
 * then the sink writes the batch and either commits it (events are freed,
 * capacity released) or rolls it back (events return to the head of the
 * channel, in their order, for the next take).
 *
 * Thread safety: many threads may put; one thread takes/commits/rolls back.
 */
#ifndef LIBSTREAM_CHANNEL_H
#define LIBSTREAM_CHANNEL_H

#include "common.h"
#include "error.h"
#include "event.h"

LS_BEGIN_DECLS

typedef struct ls_channel_s ls_channel_t;
/** A batch taken from a channel, open until commit or rollback. */
typedef struct ls_txn_s ls_txn_t;

/**
 * Create a channel holding at most max_events events and max_bytes bytes
 * (0: no byte limit; max_events must be >= 1).  A single event larger than
 * max_bytes is accepted when the channel is empty, so nothing is stuck.
 */
LS_EXPORT ls_error_t *ls_channel_new(ls_channel_t **out, size_t max_events,
                                     size_t max_bytes);

/**
 * Put ev.  On success the channel owns ev.  When the channel is full, wait
 * up to timeout_ms (0: do not wait, -1: forever) for room, then fail with
 * LS_ERR_FULL and the caller keeps ev.  Fails with LS_ERR_STATE once the
 * channel is closed.
 */
LS_EXPORT ls_error_t *ls_channel_put(ls_channel_t *ch, ls_event_t *ev,
                                     int timeout_ms);

/**
 * Take a batch: wait up to timeout_ms (-1: forever) until the channel
 * holds max_events events, or max_bytes bytes (0: no byte trigger), or its
 * oldest event has waited max_age_ms (0: no age trigger), or the channel is
 * closed; then take up to max_events events.  On timeout with no trigger,
 * *out is NULL and NULL is returned.  Only one transaction may be open at a
 * time (LS_ERR_STATE otherwise).
 */
LS_EXPORT ls_error_t *ls_channel_take(ls_channel_t *ch, size_t max_events,
                                      size_t max_bytes, int64_t max_age_ms,
                                      int timeout_ms, ls_txn_t **out);

/** Number of events in the transaction. */
LS_EXPORT size_t ls_txn_count(const ls_txn_t *txn);

/** Event i of the transaction, borrowed until commit/rollback. */
LS_EXPORT ls_event_t *ls_txn_event(const ls_txn_t *txn, size_t i);

/** The batch was written: free its events and release their capacity. */
LS_EXPORT void ls_txn_commit(ls_txn_t *txn);

/** The write failed: put the events back at the head, in order. */
LS_EXPORT void ls_txn_rollback(ls_txn_t *txn);

/** Events in the channel, including an open transaction's. */
LS_EXPORT size_t ls_channel_size(const ls_channel_t *ch);

/** Bytes in the channel, including an open transaction's. */
LS_EXPORT size_t ls_channel_bytes(const ls_channel_t *ch);

/** Non-zero when a put would have to wait. */
LS_EXPORT int ls_channel_is_full(const ls_channel_t *ch);

/** How many puts found the channel full so far (backpressure events). */
LS_EXPORT uint64_t ls_channel_full_count(const ls_channel_t *ch);

/** Close: puts fail from now on, waiting puts and takes wake up; takes
 *  still drain what is left. */
LS_EXPORT void ls_channel_close(ls_channel_t *ch);

/** Destroy the channel and every event left in it.  No transaction may be
 *  open.  NULL is a no-op. */
LS_EXPORT void ls_channel_destroy(ls_channel_t *ch);

LS_END_DECLS

#endif
