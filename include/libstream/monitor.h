/* libstream: the monitor — a small HTTP server (libmicrohttpd, the one
 * ls-http uses) serving the metrics registries of a process:
 *
 *   /metrics     Prometheus text exposition format (0.0.4)
 *   /api/stats   the JSON snapshot (metrics.h, docs/observability.md)
 *   /health      200 while the pipelines make progress or are idle at the
 *                log end, 503 when one has been failing past the
 *                threshold; a one-line JSON body says why
 *   /            a self-contained live page (no external resources)
 *
 * Configured by monitor.port (-1: off; 0: a free port), monitor.bind
 * (default 127.0.0.1) and monitor.health.threshold.ms.  It samples every
 * registry once a second for the page's history.  Only GET and HEAD are
 * answered.
 *
 * Thread safety: the server runs its own threads; ls_monitor_add() must
 * come before ls_monitor_start(); the registries must outlive the
 * monitor.
 */
#ifndef LIBSTREAM_MONITOR_H
#define LIBSTREAM_MONITOR_H

#include "common.h"
#include "conf.h"
#include "error.h"
#include "metrics.h"

LS_BEGIN_DECLS

typedef struct ls_monitor_s ls_monitor_t;

/**
 * Create a monitor named name (the page's title, copied) from conf's
 * monitor.* keys (conf is only read; NULL: defaults with port 0).  Nothing
 * listens yet.  LS_ERR_INVALID_ARG for monitor.port -1 (off) so callers
 * can test ls_monitor_enabled() first, or for a monitor.bind address
 * that does not resolve; LS_ERR_NOMEM.
 */
LS_EXPORT ls_error_t *ls_monitor_new(ls_monitor_t **out, const char *name,
                                     const ls_conf_t *conf);

/** Non-zero when conf asks for a monitor (monitor.port >= 0). */
LS_EXPORT int ls_monitor_enabled(const ls_conf_t *conf);

/** Serve registry m too (borrowed; applies the monitor's health
 *  threshold to it).  Before ls_monitor_start() only: LS_ERR_STATE
 *  after. */
LS_EXPORT ls_error_t *ls_monitor_add(ls_monitor_t *mon, ls_metrics_t *m);

/** Listen and serve.  LS_ERR_INVALID_ARG for an address that does not
 *  resolve, LS_ERR_IO when the port cannot be bound. */
LS_EXPORT ls_error_t *ls_monitor_start(ls_monitor_t *mon);

/** The port listened on (after start), else 0. */
LS_EXPORT int ls_monitor_port(const ls_monitor_t *mon);

/** The base URL ("http://127.0.0.1:PORT/"), borrowed; "" before start. */
LS_EXPORT const char *ls_monitor_url(const ls_monitor_t *mon);

/** Stop serving (in-flight requests finish) and free.  NULL is a
 *  no-op. */
LS_EXPORT void ls_monitor_destroy(ls_monitor_t *mon);

LS_END_DECLS

#endif
