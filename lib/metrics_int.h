/* libstream: metrics internals shared by lib/metrics.c, lib/monitor.c and
 * the unit tests.  Not installed. */
#ifndef LS_METRICS_INT_H
#define LS_METRICS_INT_H

#include <cjson/cJSON.h>

#include "libstream/metrics.h"

/* The health decision, pure: now, failing_since (0: not failing),
 * last_progress and the threshold are monotonic seconds; lag < 0 is
 * unknown (treated as idle).  Fills status ("ok", "failing", "stalled")
 * and reason; returns 200 or 503. */
int ls__health_decide(double now, double failing_since,
                      const char *failing_what, double last_progress,
                      int64_t lag, double threshold_s, const char **status,
                      char *reason, size_t reason_size);

/* The snapshot of n registries as one document named name (cJSON, caller
 * deletes; NULL when out of memory).  Components of every registry in
 * order; health is the worst; history sums the registries' samples
 * aligned at the newest. */
cJSON *ls__metrics_snapshot(ls_metrics_t *const *ms, size_t n,
                            const char *name);

/* The Prometheus name of a CamelCase metric into buf: "libstream_" +
 * snake_case, counters ending in "_total" (a trailing "Count" becomes
 * it). */
void ls__metrics_prom_name(const char *camel, int counter, char *buf,
                           size_t size);

/* The worst health over n registries (code; reason into buf). */
int ls__metrics_health_many(ls_metrics_t *const *ms, size_t n, char *reason,
                            size_t reason_size, const char **status);

#endif
