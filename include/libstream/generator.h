/* libstream: deterministic generators of realistic JSON events.
 *
 * Kinds: "orders", "clicks", and the ERP/CRM kinds "sales", "payments",
 * "interactions", "inventory", "procurement", "telemetry", plus "erp"
 * which cycles through the six ERP/CRM kinds.  The same kind, seed and
 * clock give the same events byte for byte.
 *
 * Each call to ls_generator_next() renders one event into a buffer owned by
 * the generator (no allocation per event); the accessors' pointers are
 * valid until the next call or destroy.
 *
 * Thread safety: one thread at a time per generator.
 */
#ifndef LIBSTREAM_GENERATOR_H
#define LIBSTREAM_GENERATOR_H

#include "common.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_generator_s ls_generator_t;

/**
 * Create a generator of kind with a seed.  Fails with LS_ERR_INVALID_ARG
 * naming the kind and listing the valid kinds.
 */
LS_EXPORT ls_error_t *ls_generator_new(ls_generator_t **out, const char *kind,
                                       uint64_t seed);

/**
 * Timestamps: the first event is at start_ms (ms since the epoch), each
 * next one step_ms later.  Default: wall-clock time at each event.
 */
LS_EXPORT void ls_generator_set_clock(ls_generator_t *g, int64_t start_ms,
                                      int64_t step_ms);

/** Render the next event.  Never fails. */
LS_EXPORT void ls_generator_next(ls_generator_t *g);

/** The event's JSON text (no trailing newline) and its length. */
LS_EXPORT const char *ls_generator_value(const ls_generator_t *g, size_t *len);

/** The event's key (order_id or event_id) and its length. */
LS_EXPORT const char *ls_generator_key(const ls_generator_t *g, size_t *len);

/** The topic this kind of event goes to by default: "orders", "clicks",
 *  or "<type>_topic" for ERP/CRM kinds (e.g. "sales_topic"). */
LS_EXPORT const char *ls_generator_topic(const ls_generator_t *g);

/** The event's timestamp in ms since the epoch. */
LS_EXPORT int64_t ls_generator_timestamp(const ls_generator_t *g);

/** The list of valid kinds, comma-separated, static. */
LS_EXPORT const char *ls_generator_kinds(void);

/** Free.  NULL is a no-op. */
LS_EXPORT void ls_generator_destroy(ls_generator_t *g);

LS_END_DECLS

#endif
