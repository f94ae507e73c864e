/* libstream: pieces shared by the Kafka sinks (archiver, S3 sink): the
 * retry pacer (capped exponential backoff with jitter, paused partitions)
 * and the per-batch list of partitions to skip after a rewind. */
#ifndef LS_SINK_INT_H
#define LS_SINK_INT_H

#include <stdint.h>
#include "libstream/conf.h"
#include "libstream/consumer.h"
#include "libstream/event.h"
#include "libstream/metrics.h"

typedef struct {
    int64_t min_ms, max_ms, cur_ms;
    double retry_at; /* monotonic seconds; 0: healthy */
    uint64_t rng;
    uint64_t retries;
} ls__pacer_t;

/* Monotonic clock in seconds. */
double ls__mono(void);

void ls__pacer_init(ls__pacer_t *p, int64_t min_ms, int64_t max_ms);
/* A failure: pause c's partitions and schedule a retry; returns the wait
 * in seconds (jittered in [cur/2, cur]); the next wait doubles. */
double ls__pacer_fail(ls__pacer_t *p, ls_consumer_t *c);
/* A success: the next failure waits min_ms again. */
void ls__pacer_ok(ls__pacer_t *p);
/* Before polling: resume c when the wait is over; returns the timeout to
 * poll with (timeout_ms, shortened to the end of the wait). */
int ls__pacer_poll_timeout(ls__pacer_t *p, ls_consumer_t *c, int timeout_ms);

/* Partitions whose batch or file failed within the current poll batch:
 * their later records in that batch are dropped (they are re-read). */
typedef struct {
    struct {
        const char *topic;
        int32_t partition;
    } e[64];
    size_t n;
    int overflow; /* more than fit: skip everything for this batch */
} ls__skip_t;

static inline void ls__skip_clear(ls__skip_t *s)
{
    s->n = 0;
    s->overflow = 0;
}
void ls__skip_add(ls__skip_t *s, const char *topic, int32_t partition);
int ls__skip_has(const ls__skip_t *s, const ls_event_t *ev);

/* Re-read a partition from offset after its records were dropped (a
 * failed write or store, named by what): seek c there and skip the
 * partition's later records in this poll batch.  NULL: sought back.
 * LS_ERR_NOT_FOUND: not assigned any more; its next owner re-reads it.
 * Any other error comes back non-retriable: reading on past the dropped
 * records would store and commit after a gap. */
ls_error_t *ls__sink_seek_back(ls_consumer_t *c, ls__skip_t *skip,
                               const char *topic, int32_t partition,
                               int64_t offset, const char *what);

/* The metrics of a Kafka sink pipeline: its registry (named after the
 * consumer group), the consumer attached as component "source", and the
 * "sink" component's counters. */
typedef struct {
    ls_metrics_t *reg;
    ls_component_t *c;
    ls_metric_t *attempt, *success, *batches, *bytes, *failed, *retries,
        *pauses, *dead, *gauge;
    int failing;
} ls__sink_metrics_t;

/* Create the registry named group (LS_ERR_NOMEM) with a sink component of
 * kind; gauge_name (may be NULL) names one extra gauge (OpenFiles,
 * BufferedRecords). */
ls_error_t *ls__sink_metrics_init(ls__sink_metrics_t *sm, const char *group,
                                  const char *kind, const char *gauge_name);
/* Attach consumer c as the "source" component. */
void ls__sink_metrics_source(ls__sink_metrics_t *sm, ls_consumer_t *c);
/* A retriable failure that paused the pipeline (counts, last error,
 * failing since now). */
void ls__sink_metrics_fail(ls__sink_metrics_t *sm, const ls_error_t *err);
/* A write succeeded: healthy again. */
static inline void ls__sink_metrics_ok(ls__sink_metrics_t *sm)
{
    if (sm->failing) {
        sm->failing = 0;
        ls_component_failing(sm->c, 0);
    }
}
/* Free the registry (NULL-safe). */
void ls__sink_metrics_free(ls__sink_metrics_t *sm);

#endif
