/* libstream: the metrics registry of one pipeline (see metrics.h), its
 * JSON snapshot, its Prometheus rendering and the health decision. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libstream/version.h"
#include "metrics_int.h"

#define MAX_OUTPUTS 20
#define MAX_HISTORY 600

struct ls_metric_s {
    char *name;
    char *help;
    int gauge;
    _Atomic int64_t v;
};

typedef struct {
    char *topic;
    int32_t partition;
    int64_t committed, position, log_end;
} part_t;

typedef struct {
    char *name;
    uint64_t records, bytes;
    double time;
} output_t;

struct ls_component_s {
    ls_metrics_t *m;
    char *name, *role, *kind, *group;
    ls_metric_t **metrics;
    size_t nmetrics, capmetrics;
    part_t *parts;
    size_t nparts;
    int parts_known;
    output_t out[MAX_OUTPUTS];
    size_t nout, outhead; /* ring: outhead is the next slot */
    char *err;
    double err_time;
    ls_metric_t *errors;
    _Atomic int64_t failing_since_ms; /* monotonic ms; 0: healthy */
};

struct ls_metrics_s {
    char *pipeline;
    pthread_mutex_t mu;
    ls_component_t **comps;
    size_t ncomps, capcomps;
    double started; /* wall clock */
    int64_t threshold_ms;
    /* history ring */
    double ht[MAX_HISTORY];
    int64_t hin[MAX_HISTORY], hout[MAX_HISTORY], hlag[MAX_HISTORY];
    size_t hn, hhead;
    double last_sample; /* monotonic */
    /* progress tracking for health */
    int64_t seen_in, seen_out;
    double last_progress; /* monotonic */
};

/* Help texts of the well-known metrics (docs/observability.md). */
static const struct {
    const char *name, *help;
} known[] = {
    {"EventReceivedCount", "Records read by the source (Flume: EventReceivedCount)"},
    {"EventAcceptedCount", "Records the source handed on (Flume: EventAcceptedCount)"},
    {"BytesReceivedCount", "Payload bytes of the records read by the source"},
    {"KafkaCommitCount", "Offset commits made to the consumer group"},
    {"RebalanceCount", "Partition assignments and revocations handled"},
    {"AssignedPartitions", "Partitions currently assigned to this consumer"},
    {"ChannelSize", "Events in the channel (Flume: ChannelSize)"},
    {"ChannelCapacity", "Most events the channel holds (Flume: ChannelCapacity)"},
    {"ChannelFillPercentage", "Channel fill, percent (Flume: ChannelFillPercentage)"},
    {"EventPutSuccessCount", "Events put on the channel (Flume: EventPutSuccessCount)"},
    {"EventTakeSuccessCount", "Events taken from the channel (Flume: EventTakeSuccessCount)"},
    {"ChannelFullCount", "Times a put found the channel full (backpressure)"},
    {"EventDrainAttemptCount", "Records the sink tried to write (Flume: EventDrainAttemptCount)"},
    {"EventDrainSuccessCount", "Records in final files/objects or acknowledged by Kafka (Flume: EventDrainSuccessCount)"},
    {"BytesWrittenCount", "Bytes written by the sink before compression"},
    {"BatchCompleteCount", "Files closed or objects stored (Flume: BatchCompleteCount)"},
    {"ConnectionFailedCount", "Failed requests to the destination (Flume: ConnectionFailedCount)"},
    {"RetryCount", "Retries after a retriable destination failure"},
    {"DeadLetterCount", "Malformed records sent to the dead-letter destination"},
    {"BackpressurePauseCount", "Times every partition was paused because the destination failed"},
    {"OpenFiles", "Files open for writing"},
    {"BufferedRecords", "Records buffered in batches not yet stored"},
    {"InFlightRecords", "Records sent to Kafka and not yet acknowledged"},
    {"EventWriteFailCount", "Records Kafka did not acknowledge (Flume: EventWriteFail)"},
    {"ErrorCount", "Errors recorded for this component"},
    {"FilesTracked", "Files the source follows"},
    {"RequestCount", "HTTP requests received"},
    {"RequestRejectedCount", "HTTP requests answered with an error status"},
};

static const char *known_help(const char *name)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (!strcmp(known[i].name, name))
            return known[i].help;
    return name;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- registry ---------------------------------------------------------- */

ls_error_t *ls_metrics_new(ls_metrics_t **out, const char *pipeline)
{
    if (!out || !pipeline || !*pipeline)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_metrics_new: the pipeline needs a name");
    *out = NULL;
    ls_metrics_t *m = calloc(1, sizeof(*m));
    if (!m || !(m->pipeline = strdup(pipeline))) {
        free(m);
        return ls_error_new(LS_ERR_NOMEM, "metrics: out of memory");
    }
    pthread_mutex_init(&m->mu, NULL);
    m->started = wall();
    m->threshold_ms = 30000;
    m->last_progress = mono();
    *out = m;
    return NULL;
}

static void component_free(ls_component_t *c)
{
    for (size_t i = 0; i < c->nmetrics; i++) {
        free(c->metrics[i]->name);
        free(c->metrics[i]->help);
        free(c->metrics[i]);
    }
    free(c->metrics);
    for (size_t i = 0; i < c->nparts; i++)
        free(c->parts[i].topic);
    free(c->parts);
    for (size_t i = 0; i < MAX_OUTPUTS; i++)
        free(c->out[i].name);
    free(c->err);
    free(c->name);
    free(c->role);
    free(c->kind);
    free(c->group);
    free(c);
}

void ls_metrics_destroy(ls_metrics_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ncomps; i++)
        component_free(m->comps[i]);
    free(m->comps);
    pthread_mutex_destroy(&m->mu);
    free(m->pipeline);
    free(m);
}

const char *ls_metrics_pipeline(const ls_metrics_t *m)
{
    return m ? m->pipeline : NULL;
}

void ls_metrics_set_health_threshold(ls_metrics_t *m, int64_t ms)
{
    if (!m || ms < 0)
        return;
    pthread_mutex_lock(&m->mu);
    m->threshold_ms = ms;
    pthread_mutex_unlock(&m->mu);
}

static ls_metric_t *metric_locked(ls_component_t *c, const char *name,
                                  const char *help, int gauge);

ls_component_t *ls_metrics_component(ls_metrics_t *m, const char *name,
                                     const char *role, const char *kind)
{
    if (!m || !name || !*name)
        return NULL;
    ls_component_t *c = NULL;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->ncomps; i++)
        if (!strcmp(m->comps[i]->name, name)) {
            c = m->comps[i];
            goto out;
        }
    if (m->ncomps == m->capcomps) {
        size_t cap = m->capcomps ? m->capcomps * 2 : 8;
        ls_component_t **n = realloc(m->comps, cap * sizeof(*n));
        if (!n)
            goto out;
        m->comps = n;
        m->capcomps = cap;
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        goto out;
    c->m = m;
    c->name = strdup(name);
    c->role = strdup(role ? role : LS_ROLE_PROCESSOR);
    c->kind = strdup(kind ? kind : "");
    if (!c->name || !c->role || !c->kind) {
        component_free(c);
        c = NULL;
        goto out;
    }
    c->errors = metric_locked(c, "ErrorCount", NULL, 0);
    m->comps[m->ncomps++] = c;
out:
    pthread_mutex_unlock(&m->mu);
    return c;
}

void ls_component_set_group(ls_component_t *c, const char *group)
{
    if (!c)
        return;
    char *g = group ? strdup(group) : NULL;
    pthread_mutex_lock(&c->m->mu);
    free(c->group);
    c->group = g;
    pthread_mutex_unlock(&c->m->mu);
}

/* Find or create; the caller holds the mutex. */
static ls_metric_t *metric_locked(ls_component_t *c, const char *name,
                                  const char *help, int gauge)
{
    for (size_t i = 0; i < c->nmetrics; i++)
        if (!strcmp(c->metrics[i]->name, name))
            return c->metrics[i]->gauge == gauge ? c->metrics[i] : NULL;
    if (c->nmetrics == c->capmetrics) {
        size_t cap = c->capmetrics ? c->capmetrics * 2 : 16;
        ls_metric_t **n = realloc(c->metrics, cap * sizeof(*n));
        if (!n)
            return NULL;
        c->metrics = n;
        c->capmetrics = cap;
    }
    ls_metric_t *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->name = strdup(name);
    x->help = strdup(help ? help : known_help(name));
    if (!x->name || !x->help) {
        free(x->name);
        free(x->help);
        free(x);
        return NULL;
    }
    x->gauge = gauge;
    atomic_init(&x->v, 0);
    c->metrics[c->nmetrics++] = x;
    return x;
}

static ls_metric_t *metric(ls_component_t *c, const char *name,
                           const char *help, int gauge)
{
    if (!c || !name || !*name)
        return NULL;
    pthread_mutex_lock(&c->m->mu);
    ls_metric_t *x = metric_locked(c, name, help, gauge);
    pthread_mutex_unlock(&c->m->mu);
    return x;
}

ls_metric_t *ls_component_counter(ls_component_t *c, const char *name,
                                  const char *help)
{
    return metric(c, name, help, 0);
}

ls_metric_t *ls_component_gauge(ls_component_t *c, const char *name,
                                const char *help)
{
    return metric(c, name, help, 1);
}

void ls_metric_add(ls_metric_t *x, uint64_t n)
{
    if (x)
        atomic_fetch_add_explicit(&x->v, (int64_t)n, memory_order_relaxed);
}

void ls_metric_set(ls_metric_t *x, int64_t v)
{
    if (x)
        atomic_store_explicit(&x->v, v, memory_order_relaxed);
}

int64_t ls_metric_value(const ls_metric_t *x)
{
    return x ? atomic_load_explicit(&((ls_metric_t *)x)->v,
                                    memory_order_relaxed)
             : 0;
}

static int64_t part_lag(const part_t *p)
{
    if (p->log_end < 0)
        return -1;
    int64_t base = p->committed >= 0 ? p->committed : p->position;
    if (base < 0)
        return -1;
    return p->log_end > base ? p->log_end - base : 0;
}

void ls_component_set_partitions(ls_component_t *c,
                                 const ls_partition_stat_t *p, size_t n)
{
    if (!c || (n && !p))
        return;
    part_t *np = n ? calloc(n, sizeof(*np)) : NULL;
    if (n && !np)
        return;
    for (size_t i = 0; i < n; i++) {
        np[i].topic = strdup(p[i].topic ? p[i].topic : "");
        if (!np[i].topic) {
            for (size_t j = 0; j < i; j++)
                free(np[j].topic);
            free(np);
            return;
        }
        np[i].partition = p[i].partition;
        np[i].committed = p[i].committed;
        np[i].position = p[i].position;
        np[i].log_end = p[i].log_end;
    }
    pthread_mutex_lock(&c->m->mu);
    part_t *old = c->parts;
    size_t nold = c->nparts;
    c->parts = np;
    c->nparts = n;
    c->parts_known = 1;
    pthread_mutex_unlock(&c->m->mu);
    for (size_t i = 0; i < nold; i++)
        free(old[i].topic);
    free(old);
}

void ls_component_output(ls_component_t *c, const char *name,
                         uint64_t records, uint64_t bytes)
{
    if (!c || !name)
        return;
    char *n = strdup(name);
    if (!n)
        return;
    pthread_mutex_lock(&c->m->mu);
    output_t *o = &c->out[c->outhead];
    char *old = o->name;
    o->name = n;
    o->records = records;
    o->bytes = bytes;
    o->time = wall();
    c->outhead = (c->outhead + 1) % MAX_OUTPUTS;
    if (c->nout < MAX_OUTPUTS)
        c->nout++;
    pthread_mutex_unlock(&c->m->mu);
    free(old);
}

void ls_component_error(ls_component_t *c, const char *message)
{
    if (!c)
        return;
    char *e = strdup(message ? message : "error");
    pthread_mutex_lock(&c->m->mu);
    if (e) {
        free(c->err);
        c->err = e;
        c->err_time = wall();
    }
    pthread_mutex_unlock(&c->m->mu);
    ls_metric_add(c->errors, 1);
}

void ls_component_failing(ls_component_t *c, int failing)
{
    if (!c)
        return;
    if (!failing) {
        atomic_store(&c->failing_since_ms, 0);
        return;
    }
    int64_t zero = 0, now = (int64_t)(mono() * 1000.0);
    if (now == 0)
        now = 1;
    atomic_compare_exchange_strong(&c->failing_since_ms, &zero, now);
}

/* ---- totals and health ------------------------------------------------- */

static int64_t comp_value(const ls_component_t *c, const char *name)
{
    for (size_t i = 0; i < c->nmetrics; i++)
        if (!strcmp(c->metrics[i]->name, name))
            return ls_metric_value(c->metrics[i]);
    return 0;
}

typedef struct {
    int64_t in, out, lag, retries, errors, dead, outputs;
    int lag_known;
} totals_t;

/* Caller holds m->mu. */
static void totals_locked(const ls_metrics_t *m, totals_t *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < m->ncomps; i++) {
        const ls_component_t *c = m->comps[i];
        if (!strcmp(c->role, LS_ROLE_SOURCE))
            t->in += comp_value(c, "EventReceivedCount");
        if (!strcmp(c->role, LS_ROLE_SINK)) {
            t->out += comp_value(c, "EventDrainSuccessCount");
            t->outputs += comp_value(c, "BatchCompleteCount");
        }
        t->retries += comp_value(c, "RetryCount");
        t->errors += comp_value(c, "ErrorCount");
        t->dead += comp_value(c, "DeadLetterCount");
        for (size_t j = 0; j < c->nparts; j++) {
            int64_t l = part_lag(&c->parts[j]);
            if (l >= 0) {
                t->lag += l;
                t->lag_known = 1;
            }
        }
    }
}

int ls__health_decide(double now, double failing_since,
                      const char *failing_what, double last_progress,
                      int64_t lag, double threshold_s, const char **status,
                      char *reason, size_t reason_size)
{
    char dummy[1];
    if (!reason || !reason_size) {
        reason = dummy;
        reason_size = sizeof(dummy);
    }
    if (failing_since > 0 && now - failing_since >= threshold_s) {
        *status = "failing";
        snprintf(reason, reason_size, "%s failing for %.0f s",
                 failing_what ? failing_what : "a component",
                 now - failing_since);
        return 503;
    }
    if (lag > 0 && now - last_progress >= threshold_s) {
        *status = "stalled";
        snprintf(reason, reason_size,
                 "no progress for %.0f s with %lld records of lag",
                 now - last_progress, (long long)lag);
        return 503;
    }
    *status = "ok";
    if (failing_since > 0)
        snprintf(reason, reason_size, "%s failing for %.0f s (retrying)",
                 failing_what ? failing_what : "a component",
                 now - failing_since);
    else if (lag > 0)
        snprintf(reason, reason_size, "making progress, %lld records of lag",
                 (long long)lag);
    else
        snprintf(reason, reason_size, "idle at the log end or making progress");
    return 200;
}

/* Caller holds m->mu.  Updates the progress tracking. */
static int health_locked(ls_metrics_t *m, const totals_t *t,
                         const char **status, char *reason, size_t size)
{
    double now = mono();
    if (t->in != m->seen_in || t->out != m->seen_out) {
        m->seen_in = t->in;
        m->seen_out = t->out;
        m->last_progress = now;
    }
    double failing = 0;
    const char *what = NULL;
    for (size_t i = 0; i < m->ncomps; i++) {
        int64_t f = atomic_load(&m->comps[i]->failing_since_ms);
        if (f && (failing == 0 || f / 1000.0 < failing)) {
            failing = f / 1000.0;
            what = m->comps[i]->name;
        }
    }
    char buf[256];
    int code = ls__health_decide(now, failing, what, m->last_progress,
                                 t->lag_known ? t->lag : -1,
                                 m->threshold_ms / 1000.0, status, buf,
                                 sizeof(buf));
    if (reason && size)
        snprintf(reason, size, "%s: %s", m->pipeline, buf);
    return code;
}

int ls_metrics_health(ls_metrics_t *m, char *reason, size_t reason_size)
{
    const char *status;
    return ls__metrics_health_many(&m, m ? 1 : 0, reason, reason_size,
                                   &status);
}

int ls__metrics_health_many(ls_metrics_t *const *ms, size_t n, char *reason,
                            size_t reason_size, const char **status)
{
    int worst = 200;
    *status = "ok";
    if (reason && reason_size)
        snprintf(reason, reason_size, "no pipeline");
    for (size_t i = 0; i < n; i++) {
        totals_t t;
        const char *st;
        char buf[300];
        pthread_mutex_lock(&ms[i]->mu);
        totals_locked(ms[i], &t);
        int code = health_locked(ms[i], &t, &st, buf, sizeof(buf));
        pthread_mutex_unlock(&ms[i]->mu);
        if (i == 0 || code > worst) {
            worst = code;
            *status = st;
            if (reason && reason_size)
                snprintf(reason, reason_size, "%s", buf);
        }
    }
    return worst;
}

void ls_metrics_sample(ls_metrics_t *m)
{
    if (!m)
        return;
    double now = mono();
    totals_t t;
    const char *st;
    pthread_mutex_lock(&m->mu);
    if (m->hn && now - m->last_sample < 0.9) {
        pthread_mutex_unlock(&m->mu);
        return;
    }
    totals_locked(m, &t);
    health_locked(m, &t, &st, NULL, 0);
    m->last_sample = now;
    m->ht[m->hhead] = wall();
    m->hin[m->hhead] = t.in;
    m->hout[m->hhead] = t.out;
    m->hlag[m->hhead] = t.lag;
    m->hhead = (m->hhead + 1) % MAX_HISTORY;
    if (m->hn < MAX_HISTORY)
        m->hn++;
    pthread_mutex_unlock(&m->mu);
}

/* ---- JSON snapshot ----------------------------------------------------- */

static cJSON *component_json(const ls_metrics_t *m, const ls_component_t *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "pipeline", m->pipeline);
    cJSON_AddStringToObject(o, "name", c->name);
    cJSON_AddStringToObject(o, "role", c->role);
    cJSON_AddStringToObject(o, "kind", c->kind);
    if (c->group)
        cJSON_AddStringToObject(o, "group", c->group);
    cJSON *mx = cJSON_AddObjectToObject(o, "metrics");
    for (size_t i = 0; mx && i < c->nmetrics; i++)
        cJSON_AddNumberToObject(mx, c->metrics[i]->name,
                                (double)ls_metric_value(c->metrics[i]));
    if (c->parts_known) {
        cJSON *pa = cJSON_AddArrayToObject(o, "partitions");
        int64_t lag = 0;
        for (size_t i = 0; pa && i < c->nparts; i++) {
            const part_t *p = &c->parts[i];
            cJSON *e = cJSON_CreateObject();
            if (!e)
                break;
            cJSON_AddStringToObject(e, "topic", p->topic);
            cJSON_AddNumberToObject(e, "partition", p->partition);
            cJSON_AddNumberToObject(e, "committed", (double)p->committed);
            cJSON_AddNumberToObject(e, "position", (double)p->position);
            cJSON_AddNumberToObject(e, "log_end", (double)p->log_end);
            int64_t l = part_lag(p);
            cJSON_AddNumberToObject(e, "lag", (double)l);
            if (l > 0)
                lag += l;
            cJSON_AddItemToArray(pa, e);
        }
        cJSON_AddNumberToObject(o, "lag", (double)lag);
    }
    if (c->nout) {
        cJSON *oa = cJSON_AddArrayToObject(o, "outputs");
        size_t first = (c->outhead + MAX_OUTPUTS - c->nout) % MAX_OUTPUTS;
        for (size_t k = 0; oa && k < c->nout; k++) {
            const output_t *x = &c->out[(first + k) % MAX_OUTPUTS];
            cJSON *e = cJSON_CreateObject();
            if (!e)
                break;
            cJSON_AddStringToObject(e, "name", x->name);
            cJSON_AddNumberToObject(e, "records", (double)x->records);
            cJSON_AddNumberToObject(e, "bytes", (double)x->bytes);
            cJSON_AddNumberToObject(e, "time", x->time);
            cJSON_AddItemToArray(oa, e);
        }
    }
    if (c->err) {
        cJSON *e = cJSON_AddObjectToObject(o, "last_error");
        if (e) {
            cJSON_AddStringToObject(e, "message", c->err);
            cJSON_AddNumberToObject(e, "time", c->err_time);
        }
    } else {
        cJSON_AddNullToObject(o, "last_error");
    }
    return o;
}

static void add_i64_array(cJSON *o, const char *name, const int64_t *v,
                          size_t n)
{
    cJSON *a = cJSON_AddArrayToObject(o, name);
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
}

cJSON *ls__metrics_snapshot(ls_metrics_t *const *ms, size_t n,
                            const char *name)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return NULL;
    cJSON_AddStringToObject(doc, "name", name ? name : "libstream");
    cJSON_AddStringToObject(doc, "version", ls_version_str());
    cJSON_AddNumberToObject(doc, "time", wall());
    double started = 0;
    for (size_t i = 0; i < n; i++)
        if (started == 0 || ms[i]->started < started)
            started = ms[i]->started;
    cJSON_AddNumberToObject(doc, "started", started);

    char reason[300];
    const char *status;
    int code = ls__metrics_health_many(ms, n, reason, sizeof(reason), &status);
    cJSON *h = cJSON_AddObjectToObject(doc, "health");
    if (h) {
        cJSON_AddStringToObject(h, "status", status);
        cJSON_AddNumberToObject(h, "code", code);
        cJSON_AddStringToObject(h, "reason", reason);
    }

    totals_t sum;
    memset(&sum, 0, sizeof(sum));
    cJSON *comps = cJSON_CreateArray();
    size_t hn = 0;
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&ms[i]->mu);
        totals_t t;
        totals_locked(ms[i], &t);
        sum.in += t.in;
        sum.out += t.out;
        sum.lag += t.lag;
        sum.retries += t.retries;
        sum.errors += t.errors;
        sum.dead += t.dead;
        sum.outputs += t.outputs;
        for (size_t j = 0; comps && j < ms[i]->ncomps; j++)
            cJSON_AddItemToArray(comps, component_json(ms[i], ms[i]->comps[j]));
        if (i == 0 || ms[i]->hn < hn)
            hn = ms[i]->hn;
        pthread_mutex_unlock(&ms[i]->mu);
    }
    cJSON *to = cJSON_AddObjectToObject(doc, "totals");
    if (to) {
        cJSON_AddNumberToObject(to, "records_in", (double)sum.in);
        cJSON_AddNumberToObject(to, "records_out", (double)sum.out);
        cJSON_AddNumberToObject(to, "lag", (double)sum.lag);
        cJSON_AddNumberToObject(to, "retries", (double)sum.retries);
        cJSON_AddNumberToObject(to, "errors", (double)sum.errors);
        cJSON_AddNumberToObject(to, "dead_letters", (double)sum.dead);
        cJSON_AddNumberToObject(to, "outputs", (double)sum.outputs);
    }
    if (comps)
        cJSON_AddItemToObject(doc, "components", comps);

    /* History: the newest hn samples of every registry, summed. */
    double *t = hn ? calloc(hn, sizeof(*t)) : NULL;
    int64_t *in = hn ? calloc(hn, sizeof(*in)) : NULL;
    int64_t *out = hn ? calloc(hn, sizeof(*out)) : NULL;
    int64_t *lag = hn ? calloc(hn, sizeof(*lag)) : NULL;
    if (hn && (!t || !in || !out || !lag))
        hn = 0;
    for (size_t i = 0; i < n && hn; i++) {
        pthread_mutex_lock(&ms[i]->mu);
        size_t have = ms[i]->hn < hn ? ms[i]->hn : hn;
        for (size_t k = 0; k < have; k++) {
            size_t idx = (ms[i]->hhead + MAX_HISTORY - have + k) % MAX_HISTORY;
            size_t dst = hn - have + k;
            if (i == 0)
                t[dst] = ms[i]->ht[idx];
            in[dst] += ms[i]->hin[idx];
            out[dst] += ms[i]->hout[idx];
            lag[dst] += ms[i]->hlag[idx];
        }
        pthread_mutex_unlock(&ms[i]->mu);
    }
    cJSON *hist = cJSON_AddObjectToObject(doc, "history");
    if (hist) {
        cJSON_AddNumberToObject(hist, "interval_s", 1);
        cJSON *ta = cJSON_AddArrayToObject(hist, "t");
        for (size_t k = 0; ta && k < hn; k++)
            cJSON_AddItemToArray(ta, cJSON_CreateNumber(round(t[k] * 1000) /
                                                        1000));
        add_i64_array(hist, "records_in", in, hn);
        add_i64_array(hist, "records_out", out, hn);
        add_i64_array(hist, "lag", lag, hn);
    }
    free(t);
    free(in);
    free(out);
    free(lag);
    return doc;
}

char *ls_metrics_json(ls_metrics_t *m)
{
    if (!m)
        return NULL;
    cJSON *doc = ls__metrics_snapshot(&m, 1, m->pipeline);
    char *s = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    return s;
}

/* ---- Prometheus -------------------------------------------------------- */

void ls__metrics_prom_name(const char *camel, int counter, char *buf,
                           size_t size)
{
    size_t n = 0;
    const char *pre = "libstream_";
    for (const char *p = pre; *p && n + 1 < size; p++)
        buf[n++] = *p;
    size_t start = n;
    for (size_t i = 0; camel[i] && n + 2 < size; i++) {
        unsigned char ch = (unsigned char)camel[i];
        int upper = ch >= 'A' && ch <= 'Z';
        if (upper && n > start && buf[n - 1] != '_') {
            unsigned char prev = (unsigned char)camel[i - 1];
            unsigned char next = (unsigned char)camel[i + 1];
            int prev_upper = prev >= 'A' && prev <= 'Z';
            if (!prev_upper || (next >= 'a' && next <= 'z'))
                buf[n++] = '_';
        }
        if (upper)
            ch = (unsigned char)(ch - 'A' + 'a');
        else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '_'))
            ch = '_';
        buf[n++] = (char)ch;
    }
    buf[n] = '\0';
    if (counter) {
        if (n >= start + 6 && !strcmp(buf + n - 6, "_count"))
            n -= 6;
        snprintf(buf + n, size - n, "_total");
    }
}

static void prom_escape(FILE *f, const char *s, int label)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '"' && label)
            fputs("\\\"", f);
        else
            fputc(*s, f);
    }
}

static void prom_labels(FILE *f, const ls_metrics_t *m,
                        const ls_component_t *c)
{
    fputs("{pipeline=\"", f);
    prom_escape(f, m->pipeline, 1);
    fputs("\",component=\"", f);
    prom_escape(f, c->name, 1);
    fputc('"', f);
}

static void prom_head(FILE *f, const char *name, const char *help,
                      const char *type)
{
    fprintf(f, "# HELP %s ", name);
    prom_escape(f, help, 0);
    fprintf(f, "\n# TYPE %s %s\n", name, type);
}

/* One family of partition gauges: which 0 committed, 1 log end, 2 lag. */
static void prom_partitions(FILE *f, ls_metrics_t *const *ms, size_t n,
                            int which)
{
    static const char *const names[] = {"libstream_partition_committed_offset",
                                        "libstream_partition_log_end_offset",
                                        "libstream_partition_lag"};
    static const char *const helps[] = {
        "Next offset committed by the pipeline's consumer group (-1: none)",
        "High watermark (log end offset) of the partition (-1: unknown)",
        "Records in the partition not yet committed by the pipeline"};
    int head = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ms[i]->ncomps; j++) {
            const ls_component_t *c = ms[i]->comps[j];
            for (size_t k = 0; k < c->nparts; k++) {
                const part_t *p = &c->parts[k];
                int64_t v = which == 0 ? p->committed
                            : which == 1 ? p->log_end
                                         : part_lag(p);
                if (which == 2 && v < 0)
                    continue;
                if (!head++)
                    prom_head(f, names[which], helps[which], "gauge");
                fputs(names[which], f);
                prom_labels(f, ms[i], c);
                fputs(",group=\"", f);
                prom_escape(f, c->group ? c->group : "", 1);
                fputs("\",topic=\"", f);
                prom_escape(f, p->topic, 1);
                fprintf(f, "\",partition=\"%d\"} %lld\n", (int)p->partition,
                        (long long)v);
            }
        }
}

char *ls_metrics_prometheus(ls_metrics_t *const *ms, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < n; i++)
        pthread_mutex_lock(&ms[i]->mu);

    /* Families in first-seen order; all samples of a name together. */
    char name[160], other[160];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ms[i]->ncomps; j++)
            for (size_t k = 0; k < ms[i]->comps[j]->nmetrics; k++) {
                const ls_metric_t *x = ms[i]->comps[j]->metrics[k];
                ls__metrics_prom_name(x->name, !x->gauge, name, sizeof(name));
                /* Seen before (an earlier metric of the same name)? */
                int seen = 0;
                for (size_t i2 = 0; i2 <= i && !seen; i2++)
                    for (size_t j2 = 0; j2 < ms[i2]->ncomps && !seen; j2++) {
                        if (i2 == i && j2 > j)
                            break;
                        const ls_component_t *c2 = ms[i2]->comps[j2];
                        for (size_t k2 = 0; k2 < c2->nmetrics; k2++) {
                            if (i2 == i && j2 == j && k2 >= k)
                                break;
                            const ls_metric_t *y = c2->metrics[k2];
                            ls__metrics_prom_name(y->name, !y->gauge, other,
                                                  sizeof(other));
                            if (!strcmp(name, other)) {
                                seen = 1;
                                break;
                            }
                        }
                    }
                if (seen)
                    continue;
                prom_head(f, name, x->help, x->gauge ? "gauge" : "counter");
                for (size_t i2 = i; i2 < n; i2++)
                    for (size_t j2 = 0; j2 < ms[i2]->ncomps; j2++) {
                        const ls_component_t *c2 = ms[i2]->comps[j2];
                        for (size_t k2 = 0; k2 < c2->nmetrics; k2++) {
                            const ls_metric_t *y = c2->metrics[k2];
                            ls__metrics_prom_name(y->name, !y->gauge, other,
                                                  sizeof(other));
                            if (strcmp(name, other))
                                continue;
                            fputs(name, f);
                            prom_labels(f, ms[i2], c2);
                            fprintf(f, "} %lld\n", (long long)ls_metric_value(y));
                        }
                    }
            }
    for (int w = 0; w < 3; w++)
        prom_partitions(f, ms, n, w);

    int head = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ms[i]->ncomps; j++) {
            const ls_component_t *c = ms[i]->comps[j];
            if (!c->err)
                continue;
            if (!head++)
                prom_head(f, "libstream_last_error_timestamp_seconds",
                          "Unix time of the component's last error", "gauge");
            fputs("libstream_last_error_timestamp_seconds", f);
            prom_labels(f, ms[i], c);
            fprintf(f, "} %.3f\n", c->err_time);
        }
    for (size_t i = 0; i < n; i++)
        pthread_mutex_unlock(&ms[i]->mu);

    /* Health last: it takes the registries' mutexes itself. */
    prom_head(f, "libstream_healthy",
              "1 while the pipeline makes progress or is idle at the log end, "
              "0 when /health answers 503",
              "gauge");
    for (size_t i = 0; i < n; i++) {
        const char *st;
        int code = ls__metrics_health_many(&ms[i], 1, NULL, 0, &st);
        fputs("libstream_healthy{pipeline=\"", f);
        prom_escape(f, ms[i]->pipeline, 1);
        fprintf(f, "\"} %d\n", code == 200);
    }
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}
