/* libstream: the metrics registry — counters and gauges of one pipeline,
 * grouped by component (Flume's source / channel / sink), with the
 * per-partition offsets and lag of its consumers, the newest outputs
 * (files, objects) and the last error, read as a JSON snapshot or in the
 * Prometheus text format.
 *
 * Every pipeline handle (archiver, S3 sink, tail, HTTP source) owns one
 * registry; a C program reads it with ls_metrics_json() and exports it
 * its own way, or hands it to an ls_monitor_t (monitor.h) that serves it
 * over HTTP.  Metric names follow Flume's where one exists
 * (EventReceivedCount, EventDrainSuccessCount, ChannelSize, ...);
 * docs/observability.md lists them all.
 *
 * Thread safety: the registry may be updated by one or more pipeline
 * threads while any thread reads snapshots.  Counter and gauge updates
 * are lock-free atomics; registration, partitions, outputs and errors
 * take the registry's mutex.
 */
#ifndef LIBSTREAM_METRICS_H
#define LIBSTREAM_METRICS_H

#include "common.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_metrics_s ls_metrics_t;
/** A component of a pipeline (a source, a channel, a sink); owned by its
 *  registry, valid until ls_metrics_destroy(). */
typedef struct ls_component_s ls_component_t;
/** One counter or gauge; owned by its registry. */
typedef struct ls_metric_s ls_metric_t;

/** Component roles: records_in totals sum the sources' EventReceivedCount,
 *  records_out the sinks' EventDrainSuccessCount. */
#define LS_ROLE_SOURCE "source"
#define LS_ROLE_CHANNEL "channel"
#define LS_ROLE_SINK "sink"
#define LS_ROLE_PROCESSOR "processor"

/**
 * Create an empty registry for the pipeline named pipeline (copied; the
 * "pipeline" label of every metric).  Fails with LS_ERR_INVALID_ARG for
 * an empty name, LS_ERR_NOMEM.
 */
LS_EXPORT ls_error_t *ls_metrics_new(ls_metrics_t **out, const char *pipeline);

/** Free the registry and all its components and metrics.  NULL is a
 *  no-op.  No monitor may still serve it. */
LS_EXPORT void ls_metrics_destroy(ls_metrics_t *m);

/** The pipeline name, borrowed. */
LS_EXPORT const char *ls_metrics_pipeline(const ls_metrics_t *m);

/**
 * The component named name, created on first use with role (one of the
 * LS_ROLE_* strings) and kind (free text, e.g. "kafka-consumer",
 * "webhdfs"); later calls return the same component and ignore role and
 * kind.  NULL when out of memory or m is NULL: every update function
 * accepts NULL and does nothing, so instrumentation never fails a
 * pipeline.
 */
LS_EXPORT ls_component_t *ls_metrics_component(ls_metrics_t *m,
                                               const char *name,
                                               const char *role,
                                               const char *kind);

/** Set the component's consumer group (copied), shown as a label. */
LS_EXPORT void ls_component_set_group(ls_component_t *c, const char *group);

/**
 * The counter (monotonic) or gauge named name (CamelCase, Flume style)
 * of component c, created on first use.  help (copied) describes it; NULL
 * takes the built-in text of a well-known name.  NULL when out of memory,
 * when c is NULL, or when name exists with the other type.
 */
LS_EXPORT ls_metric_t *ls_component_counter(ls_component_t *c,
                                            const char *name,
                                            const char *help);
LS_EXPORT ls_metric_t *ls_component_gauge(ls_component_t *c, const char *name,
                                          const char *help);

/** Add n to a counter (or gauge).  NULL is a no-op. */
LS_EXPORT void ls_metric_add(ls_metric_t *x, uint64_t n);
/** Set a gauge (or counter).  NULL is a no-op. */
LS_EXPORT void ls_metric_set(ls_metric_t *x, int64_t v);
/** Current value; 0 for NULL. */
LS_EXPORT int64_t ls_metric_value(const ls_metric_t *x);

/** One partition's position, as given to ls_component_set_partitions. */
typedef struct {
    const char *topic;
    int32_t partition;
    int64_t committed; /* next offset committed by this pipeline; -1 none */
    int64_t position;  /* next offset to read; -1 unknown */
    int64_t log_end;   /* high watermark; -1 unknown */
} ls_partition_stat_t;

/**
 * Replace the component's partition table with p[0..n-1] (copied).  Lag
 * is log_end - committed (log_end - position when nothing is committed;
 * unknown when log_end is).  Out of memory keeps the old table.
 */
LS_EXPORT void ls_component_set_partitions(ls_component_t *c,
                                           const ls_partition_stat_t *p,
                                           size_t n);

/** Record a finished output (file or object name, copied) with its
 *  records and bytes; the newest 20 are kept. */
LS_EXPORT void ls_component_output(ls_component_t *c, const char *name,
                                   uint64_t records, uint64_t bytes);

/** Record the component's last error (message copied, with the time) and
 *  count it in ErrorCount. */
LS_EXPORT void ls_component_error(ls_component_t *c, const char *message);

/**
 * Mark the component's destination as failing (non-zero) or healthy
 * again (0).  A component failing for longer than the health threshold
 * makes the pipeline unhealthy.
 */
LS_EXPORT void ls_component_failing(ls_component_t *c, int failing);

/** Health threshold in ms (default 30000): how long a sink may fail, or
 *  a pipeline with lag make no progress, before health reports 503. */
LS_EXPORT void ls_metrics_set_health_threshold(ls_metrics_t *m, int64_t ms);

/**
 * The pipeline's health now: 200 when it makes progress or is idle at
 * the log end, 503 when a component has been failing (or the pipeline
 * has lag and made no progress) for longer than the threshold.  reason
 * (may be NULL) gets one line.  Returns the HTTP-style code.
 */
LS_EXPORT int ls_metrics_health(ls_metrics_t *m, char *reason,
                                size_t reason_size);

/** Take one history sample (time, records in, records out, lag) when at
 *  least a second passed since the last; the newest 600 are kept.  The
 *  monitor calls it every second. */
LS_EXPORT void ls_metrics_sample(ls_metrics_t *m);

/**
 * The snapshot as a JSON document (malloc'd, caller frees; NULL when out
 * of memory): name, time, health, totals, components with their metrics,
 * partitions, outputs and last error, and the sampled history.  The
 * shape is described in docs/observability.md.
 */
LS_EXPORT char *ls_metrics_json(ls_metrics_t *m);

/**
 * The metrics of n registries in the Prometheus text exposition format
 * (version 0.0.4; malloc'd, caller frees; NULL when out of memory): one
 * # HELP / # TYPE block per metric name, labels pipeline, component (and
 * group, topic, partition for partition metrics), values escaped.
 */
LS_EXPORT char *ls_metrics_prometheus(ls_metrics_t *const *ms, size_t n);

LS_END_DECLS

#endif
