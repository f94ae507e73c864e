/* libstream: retry pacing and rewind bookkeeping shared by the sinks. */
#include <string.h>
#include <time.h>

#include "sink_int.h"

double ls__mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void ls__pacer_init(ls__pacer_t *p, int64_t min_ms, int64_t max_ms)
{
    memset(p, 0, sizeof(*p));
    p->min_ms = p->cur_ms = min_ms > 0 ? min_ms : 1;
    p->max_ms = max_ms > p->min_ms ? max_ms : p->min_ms;
    p->rng = (uint64_t)(uintptr_t)p ^ (uint64_t)(ls__mono() * 1e9) ^ 1;
}

double ls__pacer_fail(ls__pacer_t *p, ls_consumer_t *c)
{
    ls_error_destroy(ls_consumer_pause_all(c, 1));
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    double wait = p->cur_ms * (0.5 + (double)(p->rng % 1000) / 2000.0) / 1000.0;
    p->retry_at = ls__mono() + wait;
    p->retries++;
    p->cur_ms = p->cur_ms * 2 > p->max_ms ? p->max_ms : p->cur_ms * 2;
    return wait;
}

void ls__pacer_ok(ls__pacer_t *p)
{
    if (!p->retry_at)
        p->cur_ms = p->min_ms;
}

int ls__pacer_poll_timeout(ls__pacer_t *p, ls_consumer_t *c, int timeout_ms)
{
    if (!p->retry_at)
        return timeout_ms;
    double now = ls__mono();
    if (now < p->retry_at) {
        int wait = (int)((p->retry_at - now) * 1000);
        return wait < timeout_ms ? wait : timeout_ms;
    }
    p->retry_at = 0;
    ls_error_destroy(ls_consumer_pause_all(c, 0));
    return timeout_ms;
}

void ls__skip_add(ls__skip_t *s, const char *topic, int32_t partition)
{
    if (s->n < sizeof(s->e) / sizeof(s->e[0])) {
        s->e[s->n].topic = topic;
        s->e[s->n].partition = partition;
        s->n++;
    } else {
        s->overflow = 1;
    }
}

int ls__skip_has(const ls__skip_t *s, const ls_event_t *ev)
{
    if (s->overflow)
        return 1;
    for (size_t i = 0; i < s->n; i++)
        if (s->e[i].partition == ls_event_partition(ev) &&
            !strcmp(s->e[i].topic, ls_event_topic(ev)))
            return 1;
    return 0;
}

ls_error_t *ls__sink_seek_back(ls_consumer_t *c, ls__skip_t *skip,
                               const char *topic, int32_t partition,
                               int64_t offset, const char *what)
{
    ls_error_t *err = ls_consumer_seek(c, topic, partition, offset);
    ls__skip_add(skip, topic, partition);
    if (!err || ls_error_code(err) == LS_ERR_NOT_FOUND)
        return err;
    return ls_error_set_retriable(
        ls_error_prefix(err, "cannot re-read the records of a failed %s",
                        what),
        0);
}

/* ---- metrics ---- */

ls_error_t *ls__sink_metrics_init(ls__sink_metrics_t *sm, const char *group,
                                  const char *kind, const char *gauge_name)
{
    memset(sm, 0, sizeof(*sm));
    ls_error_t *err = ls_metrics_new(&sm->reg, group);
    if (err)
        return err;
    sm->c = ls_metrics_component(sm->reg, "sink", LS_ROLE_SINK, kind);
    sm->attempt = ls_component_counter(sm->c, "EventDrainAttemptCount", NULL);
    sm->success = ls_component_counter(sm->c, "EventDrainSuccessCount", NULL);
    sm->batches = ls_component_counter(sm->c, "BatchCompleteCount", NULL);
    sm->bytes = ls_component_counter(sm->c, "BytesWrittenCount", NULL);
    sm->failed = ls_component_counter(sm->c, "ConnectionFailedCount", NULL);
    sm->retries = ls_component_counter(sm->c, "RetryCount", NULL);
    sm->pauses = ls_component_counter(sm->c, "BackpressurePauseCount", NULL);
    sm->dead = ls_component_counter(sm->c, "DeadLetterCount", NULL);
    if (gauge_name)
        sm->gauge = ls_component_gauge(sm->c, gauge_name, NULL);
    return NULL;
}

void ls__sink_metrics_source(ls__sink_metrics_t *sm, ls_consumer_t *c)
{
    ls_consumer_set_metrics(c, sm->reg, "source");
}

void ls__sink_metrics_fail(ls__sink_metrics_t *sm, const ls_error_t *err)
{
    ls_metric_add(sm->failed, 1);
    ls_metric_add(sm->retries, 1);
    ls_metric_add(sm->pauses, 1);
    ls_component_error(sm->c, ls_error_message(err));
    ls_component_failing(sm->c, 1);
    sm->failing = 1;
}

void ls__sink_metrics_free(ls__sink_metrics_t *sm)
{
    ls_metrics_destroy(sm->reg);
    sm->reg = NULL;
}
