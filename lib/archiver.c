/* libstream: the archiver — consumer group -> rolling writer, with
 * commit-after-rename, recovery from the destination on assignment, and
 * pause/seek/backoff while the destination fails. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf_int.h"
#include "sink_int.h"
#include "libstream/archiver.h"
#include "libstream/backend.h"
#include "libstream/consumer.h"
#include "libstream/metrics.h"
#include "libstream/writer.h"

#define BATCH 1000
#define MAX_TOPICS 256

/* One offset per partition. */
typedef struct {
    char *topic;
    int32_t partition;
    int64_t offset;
} poff_t;

typedef struct {
    poff_t *v;
    size_t n, cap;
} plist_t;

struct ls_archiver_s {
    ls_backend_t *backend;
    ls_writer_t *w;
    ls_consumer_t *c;
    ls_archiver_log_cb_t *log;
    void *log_opaque;
    char *topics_buf;
    const char *topics[MAX_TOPICS];
    size_t ntopics;
    ls__pacer_t pacer;
    double recovery_timeout; /* s: archive.recovery.timeout.ms */
    double last_tick;
    uint64_t consumed, commits;
    ls__skip_t skip;
    ls_event_t *evs[BATCH];
    int closed;
    int insecure; /* TLS verification turned off: warned at first poll */
    ls__sink_metrics_t sm;
    uint64_t io_at_fail; /* destination requests done at the last failure */
    /* Offsets durable in the destination but not committed yet (the
     * commit failed, or recovery found them): retried at the next tick. */
    plist_t pend;
    /* Where partitions were sent back to by a failed write and not read
     * again yet: those records are not archived. */
    plist_t rew;
    ls_error_t *fatal; /* a re-read that could not be set up */
};

static void logf_(ls_archiver_t *a, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(ls_archiver_t *a, int level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    if (!a->log)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    a->log(a->log_opaque, level, buf);
}

/* ---- per-partition offsets: commits to retry, rewinds ---- */

static poff_t *plist_find(plist_t *l, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].partition == partition && !strcmp(l->v[i].topic, topic))
            return &l->v[i];
    return NULL;
}

static void plist_remove(plist_t *l, poff_t *p)
{
    free(p->topic);
    *p = l->v[--l->n];
}

static void plist_drop(plist_t *l, const char *topic, int32_t partition)
{
    poff_t *p = plist_find(l, topic, partition);
    if (p)
        plist_remove(l, p);
}

/* Remember offset for the partition; when it has one, keep the higher
 * (highest) or the lower.  Under OOM nothing is remembered: see callers. */
static void plist_set(plist_t *l, const char *topic, int32_t partition,
                      int64_t offset, int highest)
{
    poff_t *p = plist_find(l, topic, partition);
    if (p) {
        if (highest ? offset > p->offset : offset < p->offset)
            p->offset = offset;
        return;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        poff_t *n = realloc(l->v, cap * sizeof(*n));
        if (!n)
            return;
        l->v = n;
        l->cap = cap;
    }
    char *t = strdup(topic);
    if (!t)
        return;
    l->v[l->n++] = (poff_t){t, partition, offset};
}

static void plist_free(plist_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].topic);
    free(l->v);
}

/* Under OOM a commit is not retried: the next file's commit, or the next
 * owner's recovery, still covers it. */
static void pend_set(ls_archiver_t *a, const char *topic, int32_t partition,
                     int64_t offset)
{
    plist_set(&a->pend, topic, partition, offset, 1);
}

/* Retry the commits that failed (brokers down, member evicted) or that
 * recovery found: without this the group's committed offset would stay
 * behind the archive until the partition's next file closes. */
static void pend_retry(ls_archiver_t *a)
{
    for (size_t i = 0; i < a->pend.n;) {
        poff_t *p = &a->pend.v[i];
        ls_error_t *err =
            ls_consumer_commit(a->c, p->topic, p->partition, p->offset);
        if (err) {
            ls_error_destroy(err); /* still failing: next tick */
            i++;
            continue;
        }
        a->commits++;
        plist_remove(&a->pend, p);
    }
}

static void on_closed(void *opaque, const char *topic, int32_t partition,
                      int64_t first, int64_t last, const char *path,
                      uint64_t records, uint64_t bytes)
{
    ls_archiver_t *a = opaque;
    (void)first;
    ls_metric_add(a->sm.success, records);
    ls_metric_add(a->sm.batches, 1);
    ls_metric_add(a->sm.bytes, bytes);
    ls_component_output(a->sm.c, path, records, bytes);
    /* The file is durable and renamed: now its offsets are done. */
    ls_error_t *err = ls_consumer_commit(a->c, topic, partition, last + 1);
    if (err) {
        /* Not fatal: recovery reads the destination, not the commit;
         * retried at the next tick so that the group's lag is right. */
        logf_(a, LS_LOG_WARNING, "warning: %s (retrying)",
              ls_error_message(err));
        ls_error_destroy(err);
        pend_set(a, topic, partition, last + 1);
    } else {
        a->commits++;
        plist_drop(&a->pend, topic, partition);
    }
}

static ls_error_t *recover(ls_archiver_t *a, ls_partition_list_t *parts)
{
    size_t n = ls_partition_list_count(parts);
    int32_t *ids = calloc(n ? n : 1, sizeof(int32_t));
    int64_t *next = calloc(n ? n : 1, sizeof(int64_t));
    size_t *idx = calloc(n ? n : 1, sizeof(size_t));
    char *done = calloc(n ? n : 1, 1);
    ls_error_t *err = NULL;
    if (!ids || !next || !idx || !done)
        err = ls_error_new(LS_ERR_NOMEM, "out of memory");
    /* One scan of the destination per topic. */
    for (size_t i = 0; i < n && !err; i++) {
        if (done[i])
            continue;
        const char *topic = ls_partition_list_topic(parts, i);
        size_t k = 0;
        for (size_t j = i; j < n; j++)
            if (!done[j] && !strcmp(ls_partition_list_topic(parts, j), topic)) {
                ids[k] = ls_partition_list_partition(parts, j);
                idx[k++] = j;
                done[j] = 1;
            }
        err = ls_writer_recover(a->w, topic, ids, k, next);
        for (size_t j = 0; !err && j < k; j++)
            if (next[j] >= 0) {
                ls_partition_list_set_offset(parts, idx[j], next[j]);
                /* Durable already: make the group's offset say so. */
                pend_set(a, topic, ids[j], next[j]);
            }
    }
    free(ids);
    free(next);
    free(idx);
    free(done);
    return err;
}

static ls_error_t *on_rebalance(void *opaque, ls_rebalance_t kind,
                                ls_partition_list_t *parts)
{
    ls_archiver_t *a = opaque;
    size_t n = ls_partition_list_count(parts);
    if (kind == LS_REBALANCE_ASSIGN) {
        ls_error_t *err = NULL;
        /* A slow or failing destination: retry the scan with a capped
         * backoff for archive.recovery.timeout.ms (the group stays alive
         * meanwhile: its heartbeats are librdkafka's). */
        double give_up = ls__mono() + a->recovery_timeout;
        int64_t wait_ms = a->pacer.min_ms;
        for (int attempt = 0;; attempt++) {
            ls_error_destroy(err);
            err = recover(a, parts);
            if (!err || !ls_error_is_retriable(err) ||
                ls__mono() + wait_ms / 1000.0 > give_up)
                break;
            ls__sink_metrics_fail(&a->sm, err);
            if (attempt < 3 || attempt % 10 == 0)
                logf_(a, LS_LOG_WARNING, "recovery failed, retrying in "
                      "%.1f s: %s", wait_ms / 1000.0, ls_error_message(err));
            struct timespec ts = {(time_t)(wait_ms / 1000),
                                  (long)(wait_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            wait_ms = wait_ms * 2 > a->pacer.max_ms ? a->pacer.max_ms
                                                     : wait_ms * 2;
        }
        if (!err) {
            ls__sink_metrics_ok(&a->sm); /* the destination answered */
            logf_(a, LS_LOG_INFO, "assigned %zu partition(s)", n);
        }
        return err;
    }
    for (size_t i = 0; i < n; i++) {
        const char *topic = ls_partition_list_topic(parts, i);
        int32_t p = ls_partition_list_partition(parts, i);
        if (kind == LS_REBALANCE_LOST) {
            ls_writer_discard_partition(a->w, topic, p);
        } else {
            ls_error_t *err = ls_writer_close_partition(a->w, topic, p);
            if (err) {
                /* Discarded: the next owner re-reads it from the
                 * destination. */
                logf_(a, LS_LOG_WARNING, "warning: %s",
                      ls_error_message(err));
                ls_error_destroy(err);
            }
        }
        /* The next owner recovers it; dropped after the close, whose
         * failed commit would otherwise be retried for a partition that
         * is no longer ours. */
        plist_drop(&a->pend, topic, p);
        plist_drop(&a->rew, topic, p);
    }
    ls_writer_take_rewinds(a->w, NULL, NULL);
    logf_(a, LS_LOG_INFO, "%s %zu partition(s)",
          kind == LS_REBALANCE_LOST ? "lost" : "revoked", n);
    return NULL;
}

void ls_archiver_destroy(ls_archiver_t *a)
{
    if (!a)
        return;
    ls_consumer_destroy(a->c);
    ls_writer_destroy(a->w);
    ls_backend_destroy(a->backend);
    ls__sink_metrics_free(&a->sm);
    plist_free(&a->pend);
    plist_free(&a->rew);
    ls_error_destroy(a->fatal);
    free(a->topics_buf);
    free(a);
}

ls_error_t *ls_archiver_new(ls_archiver_t **out, ls_conf_t *conf)
{
    if (!out || !conf)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_archiver_new: out and conf are required");
    *out = NULL;
    const char *topics = ls_conf_get(conf, "archive.topics");
    const char *dest = ls_conf_get(conf, "archive.dest");
    if (!*topics)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "archive.topics is empty: expected one or more "
                            "topics, comma-separated");
    if (!*dest)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "archive.dest is empty: expected file:///dir, a "
                            "directory, or webhdfs://host:port/dir");
    ls_archiver_t *a = calloc(1, sizeof(*a));
    if (!a || !(a->topics_buf = strdup(topics))) {
        free(a);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    for (char *save = NULL, *t = strtok_r(a->topics_buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (a->ntopics == MAX_TOPICS) {
            ls_archiver_destroy(a);
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "archive.topics: too many topics (at most %d)",
                                MAX_TOPICS);
        }
        a->topics[a->ntopics++] = t;
    }
    ls__pacer_init(&a->pacer, ls__conf_int(conf, "archive.retry.backoff.ms"),
                   ls__conf_int(conf, "archive.retry.backoff.max.ms"));
    a->last_tick = ls__mono();
    a->recovery_timeout =
        ls__conf_int(conf, "archive.recovery.timeout.ms") / 1000.0;

    ls_conf_t *cc = ls_conf_dup(conf);
    ls_error_t *err = cc ? NULL : ls_error_new(LS_ERR_NOMEM, "out of memory");
    if (!err && !ls_conf_is_set(cc, "group.id"))
        err = ls_conf_set(cc, "group.id", "ls-archive");
    if (!err)
        err = ls_backend_open(&a->backend, dest, conf);
    if (!err)
        err = ls_writer_new(&a->w, a->backend, conf);
    char group[256] = "";
    if (!err) {
        ls__conf_kafka_get(cc, "group.id", group, sizeof(group));
        err = ls__sink_metrics_init(&a->sm, group,
                                    strncmp(dest, "webhdfs:", 8) &&
                                            strncmp(dest, "swebhdfs:", 9)
                                        ? "files"
                                        : "webhdfs",
                                    "OpenFiles");
    }
    if (!err)
        err = ls_consumer_new(&a->c, cc);
    if (err) {
        ls_conf_destroy(cc);
        ls_archiver_destroy(a);
        return err;
    }
    ls__sink_metrics_source(&a->sm, a->c);
    a->insecure = !ls__conf_bool(conf, "hdfs.tls.verify");
    ls_writer_set_closed_cb(a->w, on_closed, a);
    ls_consumer_set_rebalance_cb(a->c, on_rebalance, a);
    if ((err = ls_consumer_subscribe(a->c, a->topics, a->ntopics))) {
        ls_archiver_destroy(a);
        return err;
    }
    ls_conf_destroy(conf);
    *out = a;
    return NULL;
}

void ls_archiver_set_log_cb(ls_archiver_t *a, ls_archiver_log_cb_t *cb,
                            void *opaque)
{
    if (a) {
        a->log = cb;
        a->log_opaque = opaque;
    }
}

static void on_rewind(void *opaque, const char *topic, int32_t partition,
                      int64_t offset)
{
    ls_archiver_t *a = opaque;
    ls_error_t *err = ls__sink_seek_back(a->c, &a->skip, topic, partition,
                                         offset, "write");
    if (err && ls_error_code(err) == LS_ERR_NOT_FOUND) {
        /* Not assigned any more: its next owner recovers it. */
        logf_(a, LS_LOG_WARNING, "warning: %s", ls_error_message(err));
        ls_error_destroy(err);
        return;
    }
    if (err) {
        /* Stop (sink_error hands it back); the first such error is kept. */
        if (!a->fatal)
            a->fatal = err;
        else
            ls_error_destroy(err);
        return;
    }
    /* Under OOM not remembered: close may then miss that these records
     * are not archived (they are not committed either). */
    plist_set(&a->rew, topic, partition, offset, 0);
}

/* A retriable destination failure: re-read what was discarded, pause
 * everything, retry after a backoff. */
static void back_off(ls_archiver_t *a, ls_error_t *err)
{
    ls_writer_take_rewinds(a->w, on_rewind, a);
    double wait = ls__pacer_fail(&a->pacer, a->c);
    ls__sink_metrics_fail(&a->sm, err);
    a->io_at_fail = ls_writer_io_count(a->w);
    logf_(a, LS_LOG_WARNING, "destination failing, paused, retrying in %.1f s: %s",
          wait, ls_error_message(err));
}

/* Handle a writer error: back off when retriable, else hand it back. */
static ls_error_t *sink_error(ls_archiver_t *a, ls_error_t *err)
{
    if (!ls_error_is_retriable(err)) {
        ls_component_error(a->sm.c, ls_error_message(err));
        return err;
    }
    back_off(a, err);
    ls_error_destroy(err);
    if (a->fatal) {
        ls_error_t *f = a->fatal;
        a->fatal = NULL;
        ls_component_error(a->sm.c, ls_error_message(f));
        return f;
    }
    return NULL;
}

/* ev was written: if its partition was sent back to an offset at or
 * before it, that partition has been read again. */
static void rew_reread(ls_archiver_t *a, const ls_event_t *ev)
{
    poff_t *p = plist_find(&a->rew, ls_event_topic(ev),
                           ls_event_partition(ev));
    if (p && ls_event_offset(ev) >= p->offset)
        plist_remove(&a->rew, p);
}

ls_error_t *ls_archiver_poll(ls_archiver_t *a, int timeout_ms,
                             size_t *processed)
{
    size_t cnt = 0;
    if (processed)
        *processed = 0;
    if (!a || a->closed)
        return ls_error_new(LS_ERR_STATE, "ls_archiver_poll: closed");
    if (a->insecure == 1) {
        a->insecure = 2;
        logf_(a, LS_LOG_WARNING, "warning: hdfs.tls.verify=false: the "
                                 "server's TLS certificate is not checked");
    }
    timeout_ms = ls__pacer_poll_timeout(&a->pacer, a->c, timeout_ms);
    ls_error_t *err = ls_consumer_poll(a->c, a->evs, BATCH, timeout_ms, &cnt);
    if (err && ls_error_is_retriable(err)) {
        logf_(a, LS_LOG_WARNING, "warning: %s", ls_error_message(err));
        ls_error_destroy(err);
        err = NULL;
    }
    ls_error_t *werr = NULL;
    uint64_t written = 0;
    ls__skip_clear(&a->skip);
    for (size_t i = 0; i < cnt; i++) {
        if (!werr && !ls__skip_has(&a->skip, a->evs[i])) {
            ls_error_t *e = ls_writer_write(a->w, a->evs[i]);
            if (e) {
                werr = sink_error(a, e);
            } else {
                written++;
                ls__pacer_ok(&a->pacer); /* healthy again */
                if (a->rew.n)
                    rew_reread(a, a->evs[i]);
            }
        }
        ls_event_destroy(a->evs[i]);
    }
    a->consumed += cnt;
    ls_metric_add(a->sm.attempt, written);
    /* Healthy again once the destination accepted a request (writes are
     * buffered: a write that returns is no proof). */
    if (a->sm.failing && ls_writer_io_count(a->w) != a->io_at_fail)
        ls__sink_metrics_ok(&a->sm);
    if (cnt) {
        size_t open = 0;
        ls_writer_stats(a->w, NULL, NULL, NULL, &open);
        ls_metric_set(a->sm.gauge, (int64_t)open);
    }
    if (processed)
        *processed = cnt;
    if (werr) {
        ls_error_destroy(err);
        return werr;
    }
    if (err)
        return err;
    double now = ls__mono();
    if (now - a->last_tick >= 0.5) {
        a->last_tick = now;
        if (a->pend.n)
            pend_retry(a);
        ls_error_t *e = ls_writer_tick(a->w);
        if (e && (e = sink_error(a, e)))
            return e;
    }
    return NULL;
}

int ls_archiver_at_end(const ls_archiver_t *a)
{
    return a && !a->pacer.retry_at && ls_consumer_at_end(a->c);
}

ls_error_t *ls_archiver_close(ls_archiver_t *a)
{
    if (!a || a->closed)
        return NULL;
    /* A retry still to come: a write failed and its records were not read
     * again (also when that partition was revoked meanwhile). */
    int pending = a->pacer.retry_at != 0;
    ls_error_t *err = ls_writer_close_all(a->w);
    ls_writer_take_rewinds(a->w, NULL, NULL);
    if (!err && (pending || a->rew.n)) {
        /* A failed write sent records back, and they were not read again
         * (a retry still to come, or the fetch after it not done). */
        char what[300] = "what was not archived";
        if (a->rew.n)
            snprintf(what, sizeof(what), "%zu partition(s) not archived "
                     "from %s [%d] offset %" PRId64 " on", a->rew.n,
                     a->rew.v[0].topic, (int)a->rew.v[0].partition,
                     a->rew.v[0].offset);
        err = ls_error_set_retriable(
            ls_error_new(LS_ERR_TRANSPORT, "closing: the destination is "
                         "failing; %s will be re-read by the next run", what),
            1);
    }
    if (a->pend.n)
        pend_retry(a); /* last chance before leaving the group */
    a->closed = 1;
    ls_error_t *cerr = ls_consumer_close(a->c);
    if (!err)
        err = cerr;
    else
        ls_error_destroy(cerr);
    return err;
}

void ls_archiver_counts(const ls_archiver_t *a, uint64_t *consumed,
                        uint64_t *archived, uint64_t *files, uint64_t *bytes,
                        uint64_t *commits, uint64_t *retries)
{
    uint64_t f = 0, r = 0, b = 0;
    if (a)
        ls_writer_stats(a->w, &f, &r, &b, NULL);
    if (consumed)
        *consumed = a ? a->consumed : 0;
    if (archived)
        *archived = r;
    if (files)
        *files = f;
    if (bytes)
        *bytes = b;
    if (commits)
        *commits = a ? a->commits : 0;
    if (retries)
        *retries = a ? a->pacer.retries : 0;
}

int64_t ls_archiver_lag(const ls_archiver_t *a)
{
    return a ? ls_consumer_pending(a->c) : -1;
}

ls_metrics_t *ls_archiver_metrics(ls_archiver_t *a)
{
    return a ? a->sm.reg : NULL;
}

char *ls_archiver_stats(ls_archiver_t *a)
{
    return a ? ls_metrics_json(a->sm.reg) : NULL;
}

const char *ls_archiver_destination(const ls_archiver_t *a)
{
    return a ? ls_backend_root(a->backend) : "";
}
