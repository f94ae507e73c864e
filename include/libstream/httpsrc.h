/* libstream: the HTTP source — an embedded HTTP server taking batches of
 * events in Flume's JSONHandler format and producing them to Kafka
 * (ls-http; Flume's HTTP source + Kafka channel/sink, in one).
 *
 * Each POST carries a JSON array of events:
 *
 *     [{"headers": {"host": "web1"}, "body": "hello"}, ...]
 *
 * "headers" (optional) is an object of string values, sent as Kafka record
 * headers; "body" (required) is a string, sent as the record value: its
 * UTF-8 bytes, or the bytes it encodes in base64 when the request has
 * "X-Body-Encoding: base64" (or httpsrc.body.encoding=base64 and no
 * such header).  "key" (optional, a string) is the record key; otherwise
 * the header named by httpsrc.key.header, if any.  Other members are
 * ignored, as Flume's JSONHandler does.
 *
 * The answer comes only once every record of the request has its
 * delivery report: 200 {"accepted":N} when Kafka acknowledged all of them
 * (per the producer's acks), 503 {"error":...,"delivered":K} when one
 * failed or timed out (K are in Kafka and the others may be too, so a
 * client retrying the batch gets at-least-once delivery).  Before anything
 * is sent a request may get 400 {"error":...} (the reason names the
 * problem and its position: byte/line/column for malformed JSON,
 * "$[3].headers.host" for a wrong shape), 401 (httpsrc.token set and no
 * or a wrong "Authorization: Bearer" token), 405 (not POST), 413 (body
 * over httpsrc.max.body.bytes, or an event over message.max.bytes), 415
 * (a Content-Encoding such as gzip), or 503 with Retry-After
 * (backpressure: a delivery failed in the last httpsrc.backoff.ms and
 * none succeeded since, or httpsrc.max.inflight events already await
 * acknowledgement, or the source is closing).  A batch is sent only when
 * every event in it is valid.
 *
 * Configured by one ls_conf_t: httpsrc.* keys (port, bind, topic, limits,
 * token) and any librdkafka producer property.
 *
 * Threads: the server runs on httpsrc.threads threads of its own
 * (libmicrohttpd's internal thread pool).  Delivery reports are served on
 * the application's thread inside ls_httpsrc_poll() and ls_httpsrc_close():
 * a request is answered only while some thread polls, so call
 * ls_httpsrc_poll() in a loop (it returns as soon as reports arrive).
 *
 * Thread safety: ls_httpsrc_poll() may be called from any one thread at a
 * time; every other call belongs to the thread that created the source.
 */
#ifndef LIBSTREAM_HTTPSRC_H
#define LIBSTREAM_HTTPSRC_H

#include "common.h"
#include "conf.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_httpsrc_s ls_httpsrc_t;

/** Log callback: the sink starting to fail and recovering; level 4
 *  warning, 6 info; one line without newline.  Runs on the thread calling
 *  ls_httpsrc_poll()/ls_httpsrc_close().  The token is never logged. */
typedef void(ls_httpsrc_log_cb_t)(void *opaque, int level,
                                  const char *message);

/**
 * Create a source from conf (taken over on success only, like
 * rd_kafka_new()): checks the httpsrc.* keys (LS_ERR_INVALID_ARG naming
 * the key; httpsrc.topic is required) and creates the producer.  Nothing
 * listens until ls_httpsrc_start().  Free with ls_httpsrc_destroy().
 */
LS_EXPORT ls_error_t *ls_httpsrc_new(ls_httpsrc_t **out, ls_conf_t *conf);

/** Set the log callback (NULL: silent).  Call before ls_httpsrc_start(). */
LS_EXPORT void ls_httpsrc_set_log_cb(ls_httpsrc_t *s, ls_httpsrc_log_cb_t *cb,
                                     void *opaque);

/**
 * Add a header to every record, before the event's own headers (like
 * Flume's static interceptor).  name and value are copied.  Only before
 * ls_httpsrc_start() (LS_ERR_STATE after).
 */
LS_EXPORT ls_error_t *ls_httpsrc_add_header(ls_httpsrc_t *s,
                                            const char *name,
                                            const char *value);

/**
 * Listen on httpsrc.bind:httpsrc.port and start serving.  Fails with
 * LS_ERR_IO naming the address and the system's reason (address in use,
 * permission denied), or LS_ERR_STATE when already started.
 */
LS_EXPORT ls_error_t *ls_httpsrc_start(ls_httpsrc_t *s);

/** The port listened on (the real one when httpsrc.port is 0), or 0
 *  before ls_httpsrc_start(). */
LS_EXPORT int ls_httpsrc_port(const ls_httpsrc_t *s);

/**
 * Serve delivery reports, waiting up to timeout_ms for the first; every
 * request whose records are all reported is then answered.  Returns the
 * number of reports served.
 */
LS_EXPORT int ls_httpsrc_poll(ls_httpsrc_t *s, int timeout_ms);

/**
 * Stop accepting connections, answer new requests on open connections
 * with 503, and serve delivery reports until every request already sent
 * to Kafka is answered, then stop the server.  Blocks up to timeout_ms
 * (-1: until every report is in, which librdkafka bounds by
 * message.timeout.ms).  On timeout the requests still waiting are answered
 * 503 and LS_ERR_TIMED_OUT names how many.  After close only
 * ls_httpsrc_counts() and ls_httpsrc_destroy() are valid.
 */
LS_EXPORT ls_error_t *ls_httpsrc_close(ls_httpsrc_t *s, int timeout_ms);

/**
 * Counters; any pointer may be NULL.  requests: answered requests; events:
 * records acknowledged by Kafka; client_errors / server_errors: requests
 * answered 4xx / 5xx.  May be called from any thread.
 */
LS_EXPORT void ls_httpsrc_counts(const ls_httpsrc_t *s, uint64_t *requests,
                                 uint64_t *events, uint64_t *client_errors,
                                 uint64_t *server_errors);

/** The source's metrics registry ("ls-http"; components "source" —
 *  requests, rejected requests, events accepted — and "sink" — the Kafka
 *  producer's delivered, failed and in-flight records), borrowed: valid
 *  until ls_httpsrc_destroy().  Values are published at each
 *  ls_httpsrc_poll(). */
struct ls_metrics_s;
LS_EXPORT struct ls_metrics_s *ls_httpsrc_metrics(ls_httpsrc_t *s);

/** The metrics snapshot as JSON (metrics.h), malloc'd (caller frees);
 *  NULL when out of memory. */
LS_EXPORT char *ls_httpsrc_stats(ls_httpsrc_t *s);

/**
 * Free the source.  Without a successful ls_httpsrc_close() first,
 * requests still waiting are answered 503 at once (blocks up to about a
 * second for the answers to go out) and records not yet delivered are
 * purged.  NULL is a no-op.
 */
LS_EXPORT void ls_httpsrc_destroy(ls_httpsrc_t *s);

LS_END_DECLS

#endif
