/* ls-demo: the order pipeline end to end, then a verification summary.
 *
 * A thin main over the public API and examples/order_services.c: the
 * embedded broker (unless -b), the orders producer, the warehouse,
 * inventory and notification services and the archiver, one thread each
 * (every handle has its own polling thread); then it checks that every
 * order was archived exactly once, that the stock arithmetic holds and
 * that every consumer group is at lag 0. */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "order_services.h"

#define POLL_MS 100
#define LAG_TIMEOUT_MS 5000
#define MARKER ".ls-demo"
#define DEFAULT_STOCK 150
/* The embedded broker keeps only the newest ~5 MiB of each partition:
 * 4000 orders make ~2 MB of notifications (two per order). */
#define ORDERS_PER_PARTITION 4000

static void usage(void)
{
    printf(
"Usage: ls-demo [--orders N] [--rate R] [--dest DIR|URL] [-b BROKERS]\n"
"               [--stock N] [-X KEY=VALUE]... [-q]\n"
"\n"
"Run the order pipeline end to end and verify it.  Without -b an embedded\n"
"broker is started and the topics orders, inventory and notifications are\n"
"created.  Then, all at once, one thread each: a producer of generated\n"
"orders; the warehouse (orders -> stock requests + customer messages), the\n"
"inventory (stock per product, never negative: an order that does not fit\n"
"is rejected) and the notification service (examples/order_services.c);\n"
"and the archiver (orders -> files under --dest, exactly once).  It ends\n"
"with a verification summary and exits 0 only when every check passes.\n"
"\n"
"Options:\n"
"  -n, --orders N        orders to produce (default 1000, at most 1000000)\n"
"  -r, --rate R          orders per second (default: as fast as possible)\n"
"  -d, --dest DIR|URL    archive destination: a directory, file:///dir or\n"
"                        webhdfs://host:port/dir (default ./archive/)\n"
"  -b, --brokers LIST    use these brokers instead of the embedded one (the\n"
"                        three topics must exist or be auto-created)\n"
"  -s, --stock N         starting stock of every product (default %d)\n"
"  -p, --partitions N    partitions of each topic on the embedded broker\n"
"                        (default: 4, or one per %d orders: it keeps\n"
"                        only ~5 MiB per partition)\n"
"      --seed N          generator seed (default 42)\n"
"      --timeout S       give up after S seconds (default 120, plus 1 per\n"
"                        5000 orders)\n"
"  -X, --property K=V    librdkafka or libstream property for every client\n"
"                        (archive.* keys reach the archiver; -X list)\n"
"      --http-port P     serve the live page, /metrics, /api/stats and\n"
"                        /health on port P (0: a free one); after the\n"
"                        run it keeps serving until SIGINT/SIGTERM\n"
"      --http-bind ADDR  address for --http-port (default 127.0.0.1)\n"
"  -q, --quiet           print only the verification summary\n"
"  -h, --help            show this help\n"
"\n"
"Exit status: 0 every check passed, 1 a check failed or a stage failed,\n"
"2 usage or configuration error.\n", DEFAULT_STOCK, ORDERS_PER_PARTITION);
}

/* ---- shared state ------------------------------------------------------ */

typedef struct demo demo_t;

/* A service as the runner sees it. */
typedef struct {
    ls_error_t *(*step)(void *s, int timeout_ms, size_t *n);
    ls_error_t *(*lag)(void *s, int timeout_ms, int64_t *lag, int *parts);
    ls_error_t *(*close)(void *s);
    /* Messages handled (skipped ones too) and the two outputs published. */
    void (*counts)(const void *s, uint64_t *handled, uint64_t out[2]);
} svc_ops_t;

/* One stage: its thread, its result, and what it published (out[], read
 * by later stages once state is 1). */
typedef struct stage {
    const char *name, *group;
    demo_t *d;
    pthread_t th;
    int started;
    atomic_int state;     /* 0 running, 1 done, -1 failed */
    atomic_int published; /* out[] is final (set before closing) */
    uint64_t out[2];
    int64_t lag;
    int partitions;
    char error[512];
    void *svc;
    const svc_ops_t *ops;
    struct stage *up[2]; /* input: the sum of up[i]->out[up_out[i]] */
    int up_out[2], nup;
} stage_t;

/* A growable per-partition array of offsets. */
typedef struct {
    int64_t *v;
    int n;
} offs_t;

/* One archive file found under the destination. */
typedef struct {
    char *rel;
    int32_t partition;
    int64_t first, last, size;
    int tmp;
} afile_t;

typedef struct {
    afile_t *v;
    size_t n, cap;
    char **dirs;
    size_t ndirs, capdirs;
} walk_t;

struct demo {
    int64_t orders, stock, timeout;
    double rate;
    uint64_t seed;
    int quiet, embedded;
    const char *dest;
    char display[1024]; /* the destination as printed */
    ls_conf_t *base;  /* every client: brokers, -X, demo defaults */
    ls_conf_t *pconf; /* producers: base + their own defaults */
    double start;
    atomic_int abort;
    atomic_int lost; /* the embedded broker discarded records */
    pthread_mutex_t out;
    /* producer (its thread only, until prod.state is 1) */
    stage_t prod;
    uint64_t units;
    offs_t pmin, pmax;
    /* archive */
    stage_t arch;
    ls_archiver_t *a;
    ls_backend_t *b;
    ls_template_t *prefix;
    char suffix[256], inuse[256], root[1024];
    offs_t start_next, shown_next;
    uint64_t commits;
    /* services */
    stage_t wh, inv, nt;
    /* metrics of the producer and services (the archiver has its own) */
    ls_metrics_t *reg;
    ls_metric_t *m_generated, *m_delivered;
};

static int stopping(demo_t *d)
{
    return tool_stop || atomic_load(&d->abort) || atomic_load(&d->lost) ||
           tool_now() - d->start > (double)d->timeout;
}

static void say(demo_t *d, const char *fmt, ...) LS_PRINTF(2, 3);
static void say(demo_t *d, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&d->out);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    pthread_mutex_unlock(&d->out);
}

/* A warning on stderr, whole lines even from several threads. */
static void warn(demo_t *d, const char *fmt, ...) LS_PRINTF(2, 3);
static void warn(demo_t *d, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&d->out);
    fprintf(stderr, "%s: ", tool_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&d->out);
}

static void on_log(void *opaque, int level, const char *line)
{
    demo_t *d = opaque;
    if (level <= LS_LOG_WARNING)
        warn(d, "%s", line);
    else if (!d->quiet)
        say(d, "%s", line);
}

static void on_archive_log(void *opaque, int level, const char *line)
{
    demo_t *d = opaque;
    if (level <= LS_LOG_WARNING)
        warn(d, "archive: %s", line);
    else if (!d->quiet)
        say(d, "archive: %s", line);
}

/* The embedded broker dropped a partition's oldest records (watcher
 * thread): nothing can add up any more, so stop now. */
static void on_loss(void *opaque, const char *topic, int32_t partition,
                    int64_t lost, int64_t total)
{
    demo_t *d = opaque;
    if (!atomic_exchange(&d->lost, 1))
        warn(d, "the embedded broker discarded the oldest %" PRId64
             " records of %s [%d] (%" PRId64 " in all): it keeps ~5 MiB per "
             "partition; use more --partitions", lost, topic, (int)partition,
             total);
}

/* Record the stage's end: done, or failed with err (taken). */
static void *finish(stage_t *st, ls_error_t *err)
{
    if (err) {
        snprintf(st->error, sizeof(st->error), "%s", ls_error_message(err));
        ls_error_destroy(err);
        atomic_store(&st->d->abort, 1);
        atomic_store(&st->state, -1);
    } else {
        atomic_store(&st->published, 1);
        atomic_store(&st->state, 1);
    }
    return NULL;
}

static ls_error_t *stopped(stage_t *st)
{
    return ls_error_new(LS_ERR_TIMED_OUT, "stopped before the end (%s)",
                        tool_stop ? "interrupted"
                        : atomic_load(&st->d->lost)
                            ? "the embedded broker discarded records"
                        : atomic_load(&st->d->abort) ? "another stage failed"
                                                     : "--timeout reached");
}

static int64_t *offs_at(offs_t *o, int32_t p)
{
    if (p < 0)
        return NULL;
    if (p >= o->n) {
        int n = p + 16;
        int64_t *v = realloc(o->v, (size_t)n * sizeof(*v));
        if (!v)
            return NULL;
        for (int i = o->n; i < n; i++)
            v[i] = -1;
        o->v = v;
        o->n = n;
    }
    return &o->v[p];
}

static int64_t offs_get(const offs_t *o, int32_t p)
{
    return p >= 0 && p < o->n ? o->v[p] : -1;
}

/* ---- the producer ------------------------------------------------------ */

static void on_delivery(void *opaque, const ls_event_t *ev,
                        const ls_error_t *err, void *msg_opaque)
{
    demo_t *d = opaque;
    (void)msg_opaque;
    if (err)
        return;
    ls_metric_add(d->m_delivered, 1);
    int64_t off = ls_event_offset(ev);
    int64_t *lo = offs_at(&d->pmin, ls_event_partition(ev));
    int64_t *hi = offs_at(&d->pmax, ls_event_partition(ev));
    if (lo && hi) { /* out of memory: the range check fails */
        if (*lo < 0 || off < *lo)
            *lo = off;
        if (off > *hi)
            *hi = off;
    }
}

static void pace(demo_t *d, double start, int64_t sent, ls_producer_t *p)
{
    double due = start + (double)sent / d->rate;
    for (double now = tool_now(); now < due && !stopping(d); now = tool_now()) {
        int ms = (int)((due - now) * 1000);
        ls_producer_poll(p, ms > 100 ? 100 : ms < 1 ? 1 : ms);
    }
}

static void *producer_main(void *arg)
{
    stage_t *st = arg;
    demo_t *d = st->d;
    ls_producer_t *p = NULL;
    ls_generator_t *g = NULL;
    ls_conf_t *conf = ls_conf_dup(d->pconf);
    ls_error_t *err = NULL;
    if (!conf)
        err = ls_error_new(LS_ERR_NOMEM, "out of memory");
    else if ((err = ls_producer_new(&p, conf)))
        ls_conf_destroy(conf);
    if (!err)
        err = ls_generator_new(&g, "orders", d->seed);
    if (!err) {
        ls_producer_set_delivery_cb(p, on_delivery, d);
        double t0 = tool_now();
        for (int64_t i = 0; i < d->orders && !err; i++) {
            if (d->rate > 0)
                pace(d, t0, i, p);
            if (stopping(d))
                break;
            ls_generator_next(g);
            ls_message_t m = LS_MESSAGE_INIT;
            m.topic = ORDER_TOPIC_ORDERS;
            m.key = ls_generator_key(g, &m.key_len);
            m.value = ls_generator_value(g, &m.value_len);
            if ((err = ls_producer_send(p, &m)))
                break;
            ls_metric_add(d->m_generated, 1);
            const char *v = m.value;
            size_t n = m.value_len, tlen = 1;
            char cust[128] = "?", product[128] = "?";
            int64_t qty = 0;
            const char *total = order_json_value(v, n, "total", &tlen);
            order_json_int(v, n, "quantity", &qty);
            d->units += (uint64_t)(qty > 0 ? qty : 0);
            if (!d->quiet) {
                order_json_string(v, n, "customer", cust, sizeof(cust));
                order_json_string(v, n, "product", product, sizeof(product));
                say(d, "order placed %.*s: %s, %" PRId64 " x %s, %.*s USD",
                    (int)m.key_len, (const char *)m.key, cust, qty, product,
                    (int)tlen, total ? total : "?");
            }
        }
        /* In slices, so that --timeout and a signal end the wait. */
        while (!err && !stopping(d)) {
            err = ls_producer_flush(p, 200);
            if (ls_error_code(err) != LS_ERR_TIMED_OUT)
                break;
            ls_error_destroy(err);
            err = NULL;
        }
    }
    uint64_t sent = 0, delivered = 0, failed = 0;
    if (p)
        ls_producer_counts(p, &sent, &delivered, &failed);
    st->out[0] = delivered;
    st->out[1] = failed;
    if (!err && failed)
        err = ls_error_new(LS_ERR_KAFKA, "%" PRIu64 " orders not delivered, "
                           "first: %s", failed, ls_producer_delivery_error(p));
    if (!err && (int64_t)delivered < d->orders)
        err = stopped(st);
    ls_producer_destroy(p);
    ls_generator_destroy(g);
    return finish(st, ls_error_prefix(err, "producer"));
}

/* ---- the services ------------------------------------------------------ */

static ls_error_t *wh_step(void *s, int t, size_t *n)
{
    return warehouse_step(s, t, n);
}
static ls_error_t *wh_lag(void *s, int t, int64_t *lag, int *parts)
{
    return warehouse_lag(s, t, lag, parts);
}
static ls_error_t *wh_close(void *s) { return warehouse_close(s); }
static void wh_counts(const void *s, uint64_t *handled, uint64_t out[2])
{
    warehouse_stats_t st;
    warehouse_stats(s, &st);
    *handled = st.orders + st.bad;
    out[0] = st.requests_sent;
    out[1] = st.notifications_sent;
}
static const svc_ops_t wh_ops = {wh_step, wh_lag, wh_close, wh_counts};

static ls_error_t *inv_step(void *s, int t, size_t *n)
{
    return inventory_step(s, t, n);
}
static ls_error_t *inv_lag(void *s, int t, int64_t *lag, int *parts)
{
    return inventory_lag(s, t, lag, parts);
}
static ls_error_t *inv_close(void *s) { return inventory_close(s); }
static void inv_counts(const void *s, uint64_t *handled, uint64_t out[2])
{
    inventory_stats_t st;
    inventory_stats(s, &st);
    *handled = st.requests + st.bad;
    out[0] = st.notifications_sent;
    out[1] = 0;
}
static const svc_ops_t inv_ops = {inv_step, inv_lag, inv_close, inv_counts};

static ls_error_t *nt_step(void *s, int t, size_t *n)
{
    return notifier_step(s, t, n);
}
static ls_error_t *nt_lag(void *s, int t, int64_t *lag, int *parts)
{
    return notifier_lag(s, t, lag, parts);
}
static ls_error_t *nt_close(void *s) { return notifier_close(s); }
static void nt_counts(const void *s, uint64_t *handled, uint64_t out[2])
{
    notifier_stats_t st;
    notifier_stats(s, &st);
    *handled = st.notifications + st.bad;
    out[0] = out[1] = 0;
}
static const svc_ops_t nt_ops = {nt_step, nt_lag, nt_close, nt_counts};

/* Step until the upstream stages are done and everything they published
 * is handled (then publish this stage's outputs: the next stages need not
 * wait for the lag query), and the group's committed offsets reach the log
 * end. */
static void *service_main(void *arg)
{
    stage_t *st = arg;
    demo_t *d = st->d;
    ls_error_t *err = NULL;
    double next_check = 0;
    int done = 0;
    while (!err && !done && !stopping(d)) {
        if ((err = st->ops->step(st->svc, POLL_MS, NULL)))
            break;
        uint64_t expected = 0, handled, out[2];
        int ready = 1;
        for (int i = 0; i < st->nup; i++) {
            if (!atomic_load(&st->up[i]->published))
                ready = 0;
            else
                expected += st->up[i]->out[st->up_out[i]];
        }
        st->ops->counts(st->svc, &handled, out);
        if (!ready || handled < expected)
            continue;
        if (!atomic_load(&st->published)) {
            /* Every input handled and every output flushed by the step. */
            st->out[0] = out[0];
            st->out[1] = out[1];
            atomic_store(&st->published, 1);
        }
        if (tool_now() < next_check)
            continue;
        next_check = tool_now() + 0.5;
        err = st->ops->lag(st->svc, LAG_TIMEOUT_MS, &st->lag, &st->partitions);
        done = !err && st->lag == 0 && st->partitions > 0;
    }
    if (!err && !done)
        err = ls_error_prefix(stopped(st), "%s", st->name);
    ls_error_t *cerr = st->ops->close(st->svc);
    if (err)
        ls_error_destroy(cerr);
    else
        err = cerr;
    return finish(st, err);
}

/* ---- the archive: files under the destination -------------------------- */

/* name = <prefix>+<partition>+<first>[+<last>]<suffix>[<inuse>]: parse
 * the numbers from the right, then check the prefix. */
static const char *back_num(const char *start, const char *end, int64_t *v)
{
    const char *p = end;
    while (p > start && p[-1] >= '0' && p[-1] <= '9')
        p--;
    if (p == end || p == start || p[-1] != '+' || end - p > 18)
        return NULL;
    *v = strtoll(p, NULL, 10);
    return p - 1;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

static int parse_name(const demo_t *d, const char *name, afile_t *f)
{
    size_t n = strlen(name);
    int64_t part = 0;
    const char *p, *end;
    f->tmp = ends_with(name, n, d->inuse) &&
             ends_with(name, n - strlen(d->inuse), d->suffix);
    if (f->tmp) {
        end = name + n - strlen(d->inuse) - strlen(d->suffix);
        f->last = -1;
        p = back_num(name, end, &f->first);
    } else if (ends_with(name, n, d->suffix)) {
        end = name + n - strlen(d->suffix);
        p = back_num(name, end, &f->last);
        p = p ? back_num(name, p, &f->first) : NULL;
    } else {
        return -1;
    }
    if (!p || !(p = back_num(name, p, &part)) || part > INT32_MAX)
        return -1;
    char prefix[1024];
    size_t plen = ls_template_expand_tp(d->prefix, ORDER_TOPIC_ORDERS,
                                        (int32_t)part, 0, prefix,
                                        sizeof(prefix));
    if (plen != (size_t)(p - name) || memcmp(name, prefix, plen))
        return -1;
    f->partition = (int32_t)part;
    return 0;
}

typedef struct {
    char *name;
    int is_dir;
    int64_t size;
} entry_t;

typedef struct {
    entry_t *v;
    size_t n, cap;
} entries_t;

static void on_entry(void *opaque, const char *name, int is_dir, int64_t size)
{
    entries_t *e = opaque;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        entry_t *v = realloc(e->v, cap * sizeof(*v));
        if (!v)
            return;
        e->v = v;
        e->cap = cap;
    }
    if ((e->v[e->n].name = strdup(name))) {
        e->v[e->n].is_dir = is_dir;
        e->v[e->n++].size = size;
    }
}

static void walk_free(walk_t *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i].rel);
    for (size_t i = 0; i < w->ndirs; i++)
        free(w->dirs[i]);
    free(w->v);
    free(w->dirs);
    memset(w, 0, sizeof(*w));
}

/* Every archive file below dir (recursively), and the directories. */
static ls_error_t *walk_dir(demo_t *d, const char *dir, int depth, walk_t *w)
{
    entries_t e = {0};
    ls_error_t *err = ls_backend_list(d->b, dir, on_entry, &e);
    if (err && ls_error_code(err) == LS_ERR_NOT_FOUND) {
        ls_error_destroy(err);
        return NULL;
    }
    if (!err && w->ndirs == w->capdirs) {
        size_t cap = w->capdirs ? w->capdirs * 2 : 16;
        char **v = realloc(w->dirs, cap * sizeof(*v));
        if (v) {
            w->dirs = v;
            w->capdirs = cap;
        }
    }
    if (!err && w->ndirs < w->capdirs && (w->dirs[w->ndirs] = strdup(dir)))
        w->ndirs++;
    for (size_t i = 0; i < e.n; i++) {
        char rel[2048];
        snprintf(rel, sizeof(rel), "%s%s%s", dir, *dir ? "/" : "",
                 e.v[i].name);
        afile_t f = {0};
        if (err) {
            /* drain */
        } else if (e.v[i].is_dir) {
            if (depth < 16)
                err = walk_dir(d, rel, depth + 1, w);
        } else if (!parse_name(d, e.v[i].name, &f)) {
            if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 64;
                afile_t *v = realloc(w->v, cap * sizeof(*v));
                if (!v) {
                    err = ls_error_new(LS_ERR_NOMEM, "out of memory");
                    free(e.v[i].name);
                    continue;
                }
                w->v = v;
                w->cap = cap;
            }
            f.rel = strdup(rel);
            f.size = e.v[i].size;
            if (f.rel)
                w->v[w->n++] = f;
        }
        free(e.v[i].name);
    }
    free(e.v);
    return err;
}

static int cmp_file(const void *a, const void *b)
{
    const afile_t *x = a, *y = b;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

static ls_error_t *walk(demo_t *d, walk_t *w)
{
    memset(w, 0, sizeof(*w));
    ls_error_t *err = walk_dir(d, d->root, 0, w);
    if (!err && w->n) /* qsort's array must not be NULL, even empty */
        qsort(w->v, w->n, sizeof(*w->v), cmp_file);
    return err;
}

/* This run's final files: those past what the destination held before. */
static int run_file(demo_t *d, const afile_t *f)
{
    return !f->tmp && f->first >= offs_get(&d->start_next, f->partition);
}

/* Print the final files not shown yet ("archive: wrote ..."). */
static void show_new_files(demo_t *d)
{
    walk_t w;
    ls_error_t *err = walk(d, &w);
    if (err) {
        warn(d, "archive: listing %s: %s", d->display, ls_error_message(err));
        ls_error_destroy(err);
    }
    for (size_t i = 0; i < w.n; i++) {
        afile_t *f = &w.v[i];
        int64_t *next = offs_at(&d->shown_next, f->partition);
        if (!run_file(d, f) || !next || f->first < *next)
            continue;
        *next = f->last + 1;
        say(d, "archive: wrote %s/%s (%" PRId64 " record%s)", d->display,
            f->rel, f->last - f->first + 1, f->last > f->first ? "s" : "");
    }
    walk_free(&w);
}

static void *archive_main(void *arg)
{
    stage_t *st = arg;
    demo_t *d = st->d;
    ls_error_t *err = NULL;
    uint64_t shown = 0;
    int done = 0;
    while (!err && !done && !stopping(d)) {
        size_t n;
        uint64_t consumed, files;
        if ((err = ls_archiver_poll(d->a, POLL_MS, &n)))
            break;
        ls_archiver_counts(d->a, &consumed, NULL, &files, NULL, NULL, NULL);
        if (files != shown && !d->quiet) {
            show_new_files(d);
            shown = files;
        }
        done = atomic_load(&d->prod.published) &&
               consumed >= d->prod.out[0] && ls_archiver_lag(d->a) == 0;
    }
    if (!err && !done)
        err = stopped(st);
    /* Close every file: renamed, then its offsets committed. */
    ls_error_t *cerr = ls_archiver_close(d->a);
    if (err)
        ls_error_destroy(cerr);
    else
        err = cerr;
    if (!d->quiet)
        show_new_files(d);
    ls_archiver_counts(d->a, NULL, &st->out[0], &st->out[1], NULL,
                       &d->commits, NULL);
    return finish(st, ls_error_prefix(err, "archive"));
}

/* ---- set-up ------------------------------------------------------------- */

static void display_dest(demo_t *d)
{
    const char *s = d->dest;
    while (s[0] == '.' && s[1] == '/')
        s += 2;
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/')
        n--;
    snprintf(d->display, sizeof(d->display), "%.*s", (int)n,
             n ? s : ".");
}

/* The directory below the destination that holds every orders file: the
 * static part of the path template (the root when it names partitions). */
static ls_error_t *archive_root(demo_t *d, const char *path)
{
    ls_template_t *t;
    char r0[1024], r1[1024];
    ls_error_t *err = ls_template_new(&t, path);
    if (err)
        return err;
    ls_template_static_dir(t, ORDER_TOPIC_ORDERS, 0, r0, sizeof(r0));
    ls_template_static_dir(t, ORDER_TOPIC_ORDERS, 1, r1, sizeof(r1));
    ls_template_destroy(t);
    snprintf(d->root, sizeof(d->root), "%s", strcmp(r0, r1) ? "" : r0);
    return NULL;
}

/* Before the run.  With -b, note where the destination's files end per
 * partition (this run's files come after).  On the embedded broker, whose
 * log starts empty, files of an earlier run would make the archiver skip
 * this run's offsets: remove them when the destination is ls-demo's own
 * (it holds the marker), refuse otherwise. */
static ls_error_t *prepare_dest(demo_t *d, int embedded)
{
    walk_t w;
    ls_error_t *err = walk(d, &w);
    size_t ours = 0;
    for (size_t i = 0; !err && i < w.n; i++) {
        int64_t *next = offs_at(&d->start_next, w.v[i].partition);
        if (next && w.v[i].last + 1 > *next)
            *next = w.v[i].last + 1;
        ours++;
    }
    if (err || !embedded) {
        walk_free(&w);
        return err;
    }
    int64_t size;
    int is_dir;
    ls_error_t *serr = ls_backend_stat(d->b, MARKER, &size, &is_dir);
    int marked = !serr;
    ls_error_destroy(serr);
    if (ours && !marked) {
        walk_free(&w);
        return ls_error_new(LS_ERR_EXISTS, "%s already holds %zu archive "
                            "file(s) of topic orders that ls-demo did not "
                            "write; the embedded broker starts empty, so "
                            "they would hide this run's records: pass "
                            "another --dest", d->display, ours);
    }
    for (size_t i = 0; !err && i < w.n; i++)
        err = ls_backend_remove(d->b, w.v[i].rel);
    for (size_t i = w.ndirs; !err && i-- > 0;)
        if (*w.dirs[i]) /* deepest first; a non-empty one stays */
            ls_error_destroy(ls_backend_remove(d->b, w.dirs[i]));
    if (!err && ours)
        warn(d, "removed %zu archive file(s) of an earlier run from %s%s%s "
             "(the embedded broker starts empty)", ours, d->display,
             *d->root ? "/" : "", d->root);
    walk_free(&w);
    free(d->start_next.v);
    memset(&d->start_next, 0, sizeof(d->start_next));
    if (!err && !marked) {
        static const char text[] =
            "ls-demo writes here: on the embedded broker it replaces the "
            "orders archive of its previous run.\n";
        ls_bfile_t *f;
        if (!(err = ls_backend_create(d->b, MARKER, &f))) {
            err = ls_backend_append(d->b, f, text, sizeof(text) - 1);
            ls_error_t *cerr = ls_backend_close(d->b, f);
            if (!err)
                err = cerr;
            else
                ls_error_destroy(cerr);
        }
    }
    return ls_error_prefix(err, "%s", d->display);
}

static void default_kv(ls_conf_t *conf, const char *key, const char *value)
{
    if (!ls_conf_is_set(conf, key))
        tool_conf_set(conf, key, value);
}

/* A copy of the base conf in the stage's own group. */
static ls_conf_t *stage_conf(demo_t *d, stage_t *st)
{
    ls_conf_t *c = ls_conf_dup(d->base);
    if (!c)
        tool_fail(ls_error_new(LS_ERR_NOMEM, "out of memory"), EXIT_RUNTIME,
                  NULL);
    tool_conf_set(c, "group.id", st->group);
    return c;
}

static void stage_init(demo_t *d, stage_t *st, const char *name,
                       const char *group)
{
    st->name = name;
    st->group = group;
    st->d = d;
    st->lag = -1;
    atomic_init(&st->state, 0);
    atomic_init(&st->published, 0);
}

static void stage_start(stage_t *st, void *(*fn)(void *))
{
    if (pthread_create(&st->th, NULL, fn, st))
        tool_fail(ls_error_new(LS_ERR_GENERIC, "cannot start a thread"),
                  EXIT_RUNTIME, st->name);
    st->started = 1;
}

/* ---- verification ------------------------------------------------------ */

typedef struct {
    order_product_t *v;
    size_t n, cap;
} products_t;

static void on_product(void *opaque, const order_product_t *p)
{
    products_t *ps = opaque;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 32;
        order_product_t *v = realloc(ps->v, cap * sizeof(*v));
        if (!v)
            return;
        ps->v = v;
        ps->cap = cap;
    }
    ps->v[ps->n++] = *p; /* ids stay valid while the service lives */
}

static const order_product_t *find_product(const products_t *ps,
                                           const char *id)
{
    for (size_t i = 0; i < ps->n; i++)
        if (!strcmp(ps->v[i].product_id, id))
            return &ps->v[i];
    return NULL;
}

static void on_group_lag(void *opaque, const char *group, const char *topic,
                         int32_t partition, int64_t committed, int64_t end,
                         int64_t lag)
{
    int64_t *sum = opaque;
    (void)group, (void)topic, (void)partition, (void)committed, (void)end;
    sum[0] += lag;
    sum[1]++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check(demo_t *d, int ok, const char *what, const char *fmt, ...)
    LS_PRINTF(4, 5);
static int check(demo_t *d, int ok, const char *what, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&d->out);
    printf("  %-4s %-12s ", ok ? "OK" : "FAIL", what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    pthread_mutex_unlock(&d->out);
    return ok;
}

/* Read this run's local files: lines per file and order ids in range. */
typedef struct {
    uint64_t lines, bad_files;
    char **ids;
    size_t nids, capids;
    int read;
} contents_t;

static void read_files(demo_t *d, const walk_t *w, contents_t *c)
{
    if (strcmp(ls_backend_name(d->b), "local") || ends_with(d->suffix,
                                                            strlen(d->suffix),
                                                            ".gz"))
        return; /* checked by name only */
    c->read = 1;
    for (size_t i = 0; i < w->n; i++) {
        const afile_t *f = &w->v[i];
        if (!run_file(d, f))
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", ls_backend_root(d->b), f->rel);
        FILE *fp = fopen(path, "r");
        if (!fp) {
            c->bad_files++;
            continue;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        int64_t off = f->first;
        int64_t lo = offs_get(&d->pmin, f->partition);
        int64_t hi = offs_get(&d->pmax, f->partition);
        while ((len = getline(&line, &cap, fp)) >= 0) {
            char id[64];
            c->lines++;
            if (lo >= 0 && off >= lo && off <= hi &&
                !order_json_string(line, (size_t)len, "order_id", id,
                                   sizeof(id))) {
                if (c->nids == c->capids) {
                    size_t n = c->capids ? c->capids * 2 : 1024;
                    char **v = realloc(c->ids, n * sizeof(*v));
                    if (v) {
                        c->ids = v;
                        c->capids = n;
                    }
                }
                if (c->nids < c->capids && (c->ids[c->nids] = strdup(id)))
                    c->nids++;
            }
            off++;
        }
        if (off != f->last + 1)
            c->bad_files++;
        free(line);
        fclose(fp);
    }
}

static int verify(demo_t *d, int64_t lost)
{
    int ok = 1, all = 1;
    uint64_t produced = d->prod.out[0];
    pthread_mutex_lock(&d->out);
    printf("verification:\n");
    pthread_mutex_unlock(&d->out);

    /* Stages. */
    stage_t *stages[] = {&d->prod, &d->wh, &d->inv, &d->nt, &d->arch};
    for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
        if (atomic_load(&stages[i]->state) != 1)
            all &= check(d, 0, stages[i]->name, "%s", stages[i]->error);

    /* Orders: produced = archived, by the archiver and in the files. */
    walk_t w;
    ls_error_t *err = walk(d, &w);
    if (err) {
        all &= check(d, 0, "files", "listing %s: %s", d->display,
                     ls_error_message(err));
        ls_error_destroy(err);
    }
    uint64_t in_files = 0, nfiles = 0, tmp = 0, bytes = 0;
    int contiguous = 1, at_end = 1;
    for (size_t i = 0; i < w.n; i++) {
        const afile_t *f = &w.v[i];
        if (f->tmp)
            tmp++;
        if (!run_file(d, f))
            continue;
        nfiles++;
        bytes += (uint64_t)(f->size > 0 ? f->size : 0);
        int64_t lo = offs_get(&d->pmin, f->partition);
        int64_t hi = offs_get(&d->pmax, f->partition);
        if (lo >= 0) {
            int64_t a = f->first > lo ? f->first : lo;
            int64_t b = f->last < hi ? f->last : hi;
            if (b >= a)
                in_files += (uint64_t)(b - a + 1);
        }
        const afile_t *prev = i > 0 ? &w.v[i - 1] : NULL;
        if (prev && run_file(d, prev) && prev->partition == f->partition &&
            prev->last + 1 != f->first)
            contiguous = 0;
    }
    /* Each partition's files end at its log end: its last offset. */
    for (int32_t p = 0; p < d->pmax.n; p++) {
        int64_t last = -1;
        for (size_t i = 0; i < w.n; i++)
            if (run_file(d, &w.v[i]) && w.v[i].partition == p &&
                w.v[i].last > last)
                last = w.v[i].last;
        if (d->pmax.v[p] >= 0 && last != d->pmax.v[p])
            at_end = 0;
    }
    contents_t c = {0};
    read_files(d, &w, &c);
    size_t distinct = c.nids;
    if (c.nids > 1)
        qsort(c.ids, c.nids, sizeof(char *), cmp_str);
    for (size_t i = 1; i < c.nids; i++)
        distinct -= !strcmp(c.ids[i - 1], c.ids[i]);
    char contents[256] = "contents not read: not a local directory";
    if (c.read)
        snprintf(contents, sizeof(contents), "%" PRIu64 " lines read, %zu "
                 "distinct order ids%s", c.lines, distinct,
                 c.bad_files ? ", a file's lines do not match its name" : "");
    /* With -b the archiver also takes what older runs left unarchived. */
    ok = produced == (uint64_t)d->orders && in_files == produced &&
         (d->embedded ? d->arch.out[0] == produced
                      : d->arch.out[0] >= produced) &&
         contiguous && !tmp && lost == 0 &&
         (!c.read || (distinct == produced && !c.bad_files));
    char lostbuf[96] = "";
    if (lost)
        snprintf(lostbuf, sizeof(lostbuf), "; the broker DISCARDED %" PRId64
                 " records", lost);
    all &= check(d, ok, "orders", "%" PRIu64 " produced = %" PRIu64
                 " archived = %" PRIu64 " in %" PRIu64 " files (%s)%s%s%s",
                 produced, d->arch.out[0], in_files, nfiles, contents,
                 contiguous ? "" : "; a gap between files",
                 tmp ? "; in-use files left" : "", lostbuf);

    /* Services: every order went through each of them. */
    warehouse_stats_t ws;
    inventory_stats_t is;
    notifier_stats_t ns;
    warehouse_stats(d->wh.svc, &ws);
    inventory_stats(d->inv.svc, &is);
    notifier_stats(d->nt.svc, &ns);
    ok = ws.orders == produced && !ws.bad &&
         is.requests == ws.requests_sent && ws.requests_sent == ws.orders &&
         is.served + is.rejected == is.requests && !is.bad &&
         ns.received == ws.notifications_sent &&
         ns.received == ws.orders && ns.shipped == is.served &&
         ns.rejected == is.rejected && !ns.other && !ns.bad &&
         ns.notifications == ws.notifications_sent + is.notifications_sent;
    all &= check(d, ok, "services", "warehouse %" PRIu64 " orders; inventory "
                 "%" PRIu64 " requests = %" PRIu64 " served + %" PRIu64
                 " rejected; %" PRIu64 " notifications = %" PRIu64
                 " received + %" PRIu64 " shipped + %" PRIu64 " rejected%s",
                 ws.orders, is.requests, is.served, is.rejected,
                 ns.notifications, ns.received, ns.shipped, ns.rejected,
                 ws.bad || is.bad || ns.bad || ns.other
                     ? " (some messages skipped)" : "");

    /* Stock: initial - shipped = left >= 0, per product, seen from the
     * inventory and from the notifications; rejections were necessary. */
    products_t ip = {0}, np = {0};
    inventory_foreach(d->inv.svc, on_product, &ip);
    notifier_foreach(d->nt.svc, on_product, &np);
    int64_t initial = 0, left = 0;
    uint64_t shipped = 0, bad_products = 0;
    char first_bad[256] = "";
    for (size_t i = 0; i < ip.n; i++) {
        const order_product_t *p = &ip.v[i];
        const order_product_t *q = find_product(&np, p->product_id);
        uint64_t q_served = q ? q->served : 0;
        uint64_t q_units = q ? q->units_served : 0;
        uint64_t q_rej = q ? q->rejected : 0;
        initial += p->initial;
        left += p->stock;
        shipped += p->units_served;
        const char *why = NULL;
        if (p->stock < 0 || p->stock != p->initial - (int64_t)p->units_served)
            why = "initial - shipped != left";
        else if (p->rejected && p->min_rejected <= p->stock)
            why = "an order that fitted was rejected";
        else if (q_served != p->served || q_units != p->units_served ||
                 q_rej != p->rejected)
            why = "the notifications disagree";
        if (why && !bad_products++)
            snprintf(first_bad, sizeof(first_bad), "; %s (%s): %s: %" PRId64
                     " - %" PRIu64 " shipped (notified %" PRIu64 ") = %"
                     PRId64 " left, %" PRIu64 " rejected (notified %" PRIu64
                     ")", p->product_id, p->product, why, p->initial,
                     p->units_served, q_units, p->stock, p->rejected, q_rej);
    }
    char rejections[128] = "no order rejected";
    if (is.rejected)
        snprintf(rejections, sizeof(rejections), "each of the %" PRIu64
                 " rejected orders wanted more than was left", is.rejected);
    ok = !bad_products && ip.n > 0 && np.n <= ip.n && ws.units == d->units &&
         is.units_served + is.units_rejected == ws.units &&
         is.units_served == shipped;
    all &= check(d, ok, "stock", "%zu products: %" PRId64 " initial - %"
                 PRIu64 " shipped = %" PRId64 " left, none negative; %s%s",
                 ip.n, initial, shipped, left, rejections, first_bad);
    free(ip.v);
    free(np.v);

    /* Lag: every group's committed offsets against the log ends, read
     * from outside the groups now that every member left (ls_lag_t: no
     * join, no rebalance). */
    stage_t *groups[] = {&d->wh, &d->inv, &d->nt, &d->arch};
    const char *topics[] = {ORDER_TOPIC_ORDERS, ORDER_TOPIC_INVENTORY,
                            ORDER_TOPIC_NOTIFICATIONS, ORDER_TOPIC_ORDERS};
    char lags[1024] = "";
    size_t used = 0;
    ls_lag_t *l = NULL;
    ls_conf_t *lconf = ls_conf_dup(d->base);
    err = lconf ? ls_lag_new(&l, lconf)
                : ls_error_new(LS_ERR_NOMEM, "out of memory");
    if (err)
        ls_conf_destroy(lconf);
    ok = !err;
    for (size_t i = 0; i < 4 && !err; i++) {
        int64_t sum[2] = {0, 0}; /* lag, partitions */
        err = ls_lag_query(l, &groups[i]->group, 1, &topics[i], 1,
                           LAG_TIMEOUT_MS, on_group_lag, sum);
        ok &= !err && sum[0] == 0 && sum[1] > 0;
        used += (size_t)snprintf(lags + used, sizeof(lags) - used,
                                 "%s%s %" PRId64 " (%s, %" PRId64
                                 " partition%s)", i ? ", " : "",
                                 groups[i]->group, sum[0], topics[i], sum[1],
                                 sum[1] == 1 ? "" : "s");
        if (used >= sizeof(lags))
            used = sizeof(lags) - 1;
    }
    ls_lag_destroy(l);
    if (err) {
        all &= check(d, 0, "lag", "%s%s%s", lags, *lags ? "; " : "",
                     ls_error_message(err));
        ls_error_destroy(err);
    } else {
        /* The archiver commits each file's last offset + 1 after its
         * rename: as many commits as files. */
        ok &= d->commits == d->arch.out[1] && at_end;
        all &= check(d, ok, "lag", "log end - committed, read from outside "
                     "the groups: %s; the archiver committed %" PRIu64
                     " files in %" PRIu64 " commits%s", lags, d->arch.out[1],
                     d->commits, at_end ? ""
                                        : ", its files stop short of the log "
                                          "end");
    }

    /* Where the files are. */
    char where[1024] = "";
    size_t nd = 0, wl = 0;
    for (size_t i = 0; i < w.n && nd < 4; i++) {
        if (!run_file(d, &w.v[i]))
            continue;
        const char *rel = w.v[i].rel, *slash = strrchr(rel, '/');
        int dlen = slash ? (int)(slash - rel) : 0;
        char dir[1200];
        snprintf(dir, sizeof(dir), "%s/%.*s%s", d->display, dlen, rel,
                 dlen ? "/" : "");
        if (strstr(where, dir))
            continue;
        wl += (size_t)snprintf(where + wl, sizeof(where) - wl, "%s%s",
                               nd ? ", " : "", dir);
        if (wl >= sizeof(where))
            wl = sizeof(where) - 1;
        nd++;
    }
    pthread_mutex_lock(&d->out);
    printf("  %-4s %-12s %s (%" PRIu64 " files, %" PRIu64 " bytes)\n", "",
           "files", nd ? where : d->display, nfiles, bytes);
    if (all)
        printf("OK: %" PRIu64 " orders produced = %" PRIu64 " archived, "
               "stock consistent, lag 0 in 4 groups, in %.1f s; files in "
               "%s\n", produced, in_files, tool_now() - d->start,
               nd ? where : d->display);
    else
        printf("FAILED: see the FAIL lines above (%.1f s)\n",
               tool_now() - d->start);
    fflush(stdout);
    pthread_mutex_unlock(&d->out);
    for (size_t i = 0; i < c.nids; i++)
        free(c.ids[i]);
    free(c.ids);
    walk_free(&w);
    return all;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static demo_t demo;
    demo_t *d = &demo;
    const char *brokers = NULL;
    int partitions = 0;
    enum { O_SEED = 256, O_TIMEOUT };
    static const struct option opts[] = {
        {"orders", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},
        {"dest", required_argument, NULL, 'd'},
        {"brokers", required_argument, NULL, 'b'},
        {"stock", required_argument, NULL, 's'},
        {"partitions", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, O_SEED},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"property", required_argument, NULL, 'X'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        TOOL_MONITOR_LONGOPTS,
        {NULL, 0, NULL, 0}};

    tool_init(argv[0]);
    d->orders = 1000;
    d->stock = DEFAULT_STOCK;
    d->seed = 42;
    d->timeout = 0; /* default: 120 s + 1 s per 5000 orders */
    d->dest = "./archive/";
    pthread_mutex_init(&d->out, NULL);
    atomic_init(&d->abort, 0);
    atomic_init(&d->lost, 0);
    d->base = tool_conf_new();
    int opt;
    while ((opt = getopt_long(argc, argv, "n:r:d:b:s:p:X:qh", opts, NULL)) !=
           -1) {
        switch (opt) {
        case 'n':
            d->orders = tool_parse_int("--orders", optarg, 1, 1000000);
            break;
        case 'r': d->rate = tool_parse_rate("--rate", optarg); break;
        case 'd': d->dest = optarg; break;
        case 'b': brokers = optarg; break;
        case 's':
            d->stock = tool_parse_int("--stock", optarg, 0, INT32_MAX);
            break;
        case 'p':
            partitions = (int)tool_parse_int("--partitions", optarg, 1, 1000);
            break;
        case O_SEED:
            d->seed = (uint64_t)tool_parse_int("--seed", optarg, 0, INT64_MAX);
            break;
        case O_TIMEOUT:
            d->timeout = tool_parse_int("--timeout", optarg, 1, 86400);
            break;
        case 'X': tool_conf_kv(d->base, optarg); break;
        case 'q': d->quiet = 1; break;
        case 'h': usage(); return 0;
        default:
            if (tool_monitor_opt(opt, d->base, optarg))
                break;
            fprintf(stderr, "Try '%s --help' for more information.\n",
                    tool_name);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        tool_usage_error("unexpected argument '%s'", argv[optind]);
    if (!d->timeout)
        d->timeout = 120 + d->orders / 5000;
    if (!*d->dest)
        tool_usage_error("--dest must not be empty");
    ls_monitor_t *mon = tool_monitor_new(d->base);
    display_dest(d);
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines show as they happen */
    d->start = tool_now();

    /* The broker: embedded unless -b. */
    ls_broker_t *broker = NULL;
    ls_error_t *err;
    if (!brokers) {
        if (!partitions) {
            partitions = (int)((d->orders + ORDERS_PER_PARTITION - 1) /
                               ORDERS_PER_PARTITION);
            partitions = partitions < 4 ? 4 : partitions;
        }
        if ((err = ls_broker_new(&broker, 1)))
            tool_fail(err, EXIT_RUNTIME, "starting the embedded broker");
        const char *topics[] = {ORDER_TOPIC_ORDERS, ORDER_TOPIC_INVENTORY,
                                ORDER_TOPIC_NOTIFICATIONS};
        for (size_t i = 0; i < 3; i++)
            if ((err = ls_broker_create_topic(broker, topics[i], partitions)))
                tool_fail(err, EXIT_RUNTIME, "creating topics");
        if ((err = ls_broker_watch(broker, 500, on_loss, d)))
            tool_fail(err, EXIT_RUNTIME, "watching the embedded broker");
        brokers = ls_broker_bootstraps(broker);
        d->embedded = 1;
        if (!d->quiet)
            say(d, "embedded broker at %s: topics orders, inventory, "
                "notifications with %d partitions each", brokers, partitions);
    }
    tool_conf_set(d->base, "bootstrap.servers", brokers);
    /* Short sessions: the embedded broker evicts a member that left only
     * when its session times out; fast fetches: each hop waits less. */
    default_kv(d->base, "session.timeout.ms", "6000");
    default_kv(d->base, "heartbeat.interval.ms", "1000");
    default_kv(d->base, "fetch.wait.max.ms", "100");
    default_kv(d->base, "fetch.error.backoff.ms", "10");
    /* The producers' conf.  librdkafka 2.0 asks for the metadata of a
     * topic it has not produced to yet only at its 1 s topic scan, so each
     * service's first flush waited ~1 s, one service after the other; a
     * refresh every 100 ms learns the topics sooner (cheap on the embedded
     * broker, too chatty for a cluster).  Producers only: consumers that
     * refresh that often while joining a group on the embedded broker were
     * seen to rejoin, which cost 5 s. */
    if (!(d->pconf = ls_conf_dup(d->base)))
        return EXIT_RUNTIME;
    if (broker)
        default_kv(d->pconf, "topic.metadata.refresh.interval.ms", "100");

    /* The archiver's conf, and the destination's layout. */
    stage_init(d, &d->prod, "producer", "");
    stage_init(d, &d->wh, "warehouse", "ls-demo-warehouse");
    stage_init(d, &d->inv, "inventory", "ls-demo-inventory");
    stage_init(d, &d->nt, "notification", "ls-demo-notification");
    stage_init(d, &d->arch, "archive", "ls-demo-archive");
    ls_conf_t *aconf = stage_conf(d, &d->arch);
    tool_conf_set(aconf, "archive.topics", ORDER_TOPIC_ORDERS);
    tool_conf_set(aconf, "archive.dest", d->dest);
    default_kv(aconf, "archive.roll.count", "250");
    tool_sink_defaults(aconf, 0);
    snprintf(d->suffix, sizeof(d->suffix), "%s%s",
             ls_conf_get(aconf, "archive.suffix"),
             strcmp(ls_conf_get(aconf, "archive.gzip"), "true") ? "" : ".gz");
    snprintf(d->inuse, sizeof(d->inuse), "%s",
             ls_conf_get(aconf, "archive.in.use.suffix"));
    if ((err = ls_template_new(&d->prefix,
                               ls_conf_get(aconf, "archive.prefix"))) ||
        (err = archive_root(d, ls_conf_get(aconf, "archive.path"))))
        tool_fail(err, EXIT_USAGE, NULL);
    if ((err = ls_backend_open(&d->b, d->dest, aconf)))
        tool_fail(err, EXIT_RUNTIME, "--dest");
    if ((err = prepare_dest(d, broker != NULL)))
        tool_fail(err, ls_error_code(err) == LS_ERR_EXISTS ? EXIT_USAGE
                                                           : EXIT_RUNTIME,
                  NULL);

    /* The services and the archiver, each in its own group. */
    warehouse_t *w = NULL;
    inventory_t *inv = NULL;
    notifier_t *nt = NULL;
    ls_conf_t *c = stage_conf(d, &d->wh);
    err = warehouse_new(&w, c, d->pconf); /* each conf is borrowed */
    ls_conf_destroy(c);
    if (!err) {
        c = stage_conf(d, &d->inv);
        err = inventory_new(&inv, c, d->pconf, d->stock);
        ls_conf_destroy(c);
    }
    if (!err) {
        c = stage_conf(d, &d->nt);
        err = notifier_new(&nt, c);
        ls_conf_destroy(c);
    }
    if (err)
        tool_fail(err, EXIT_RUNTIME, NULL);
    if ((err = ls_archiver_new(&d->a, aconf)))
        tool_fail(err, tool_exit_code(err), "archive");
    warehouse_set_log_cb(w, on_log, d);
    inventory_set_log_cb(inv, on_log, d);
    notifier_set_log_cb(nt, on_log, d);
    ls_archiver_set_log_cb(d->a, on_archive_log, d);
    /* One registry for the producer and the services, plus the
     * archiver's own: the monitor shows both. */
    if ((err = ls_metrics_new(&d->reg, "ls-demo")))
        tool_fail(err, EXIT_RUNTIME, NULL);
    /* A processor, not a source: the pipeline's records in are what the
     * archiver reads, its records out what it archives. */
    ls_component_t *pc = ls_metrics_component(d->reg, "producer",
                                               LS_ROLE_PROCESSOR, "generator");
    d->m_generated = ls_component_counter(pc, "EventReceivedCount",
                                          "Orders generated and sent");
    d->m_delivered = ls_component_counter(pc, "EventAcceptedCount",
                                          "Orders acknowledged by Kafka");
    warehouse_set_metrics(w, d->reg);
    inventory_set_metrics(inv, d->reg);
    notifier_set_metrics(nt, d->reg);
    ls_metrics_t *regs[] = {d->reg, ls_archiver_metrics(d->a)};
    tool_monitor_serve(mon, regs, 2);
    d->wh.svc = w;
    d->wh.ops = &wh_ops;
    d->wh.up[d->wh.nup++] = &d->prod; /* expects every order delivered */
    d->inv.svc = inv;
    d->inv.ops = &inv_ops;
    d->inv.up_out[d->inv.nup] = 0; /* the warehouse's stock requests */
    d->inv.up[d->inv.nup++] = &d->wh;
    d->nt.svc = nt;
    d->nt.ops = &nt_ops;
    d->nt.up_out[d->nt.nup] = 1; /* the warehouse's notifications */
    d->nt.up[d->nt.nup++] = &d->wh;
    d->nt.up_out[d->nt.nup] = 0; /* and the inventory's */
    d->nt.up[d->nt.nup++] = &d->inv;

    /* All at once: every group joins at the same time (the embedded
     * broker's first join takes ~3 s per group, in parallel). */
    tool_install_signals();
    stage_start(&d->arch, archive_main);
    stage_start(&d->wh, service_main);
    stage_start(&d->inv, service_main);
    stage_start(&d->nt, service_main);
    stage_start(&d->prod, producer_main);
    stage_t *all[] = {&d->prod, &d->arch, &d->wh, &d->inv, &d->nt};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i]->started)
            pthread_join(all[i]->th, NULL);

    int ok = verify(d, broker ? ls_broker_records_lost(broker) : 0);
    if (mon && !tool_stop) {
        /* Keep the final state on show until the user stops it. */
        fprintf(stderr, "%s: done; the monitor stays on %s until "
                "SIGINT/SIGTERM\n", tool_name, ls_monitor_url(mon));
        while (!tool_stop) {
            struct timespec ts = {0, 200000000L};
            nanosleep(&ts, NULL);
        }
    }
    ls_monitor_destroy(mon);
    warehouse_destroy(w);
    inventory_destroy(inv);
    notifier_destroy(nt);
    ls_archiver_destroy(d->a);
    ls_metrics_destroy(d->reg);
    ls_backend_destroy(d->b);
    ls_template_destroy(d->prefix);
    ls_conf_destroy(d->base);
    ls_conf_destroy(d->pconf);
    ls_broker_destroy(broker);
    free(d->pmin.v);
    free(d->pmax.v);
    free(d->start_next.v);
    free(d->shown_next.v);
    return ok ? 0 : EXIT_RUNTIME;
}
