/* libstream: the tail — follow files line by line into Kafka, with a
 * position file committed only over acknowledged lines, rotation by
 * inode, and an exactly-once reconciliation after an unclean stop.  See
 * include/libstream/tail.h for the semantics; the position file, line
 * splitting and the in-flight ring are in lib/tail_state.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf_int.h"
#include "event_int.h"
#include "libstream/producer.h"
#include "libstream/metrics.h"
#include "libstream/tail.h"
#include "tail_int.h"

#define FP_MAX LS__TAIL_FP_MAX       /* fingerprint bytes before a position */
#define READ_BUDGET (8u << 20)       /* bytes read per file per poll */
#define SRC_HEADER "ls.tail.src"     /* "DEV:INO:EPOCH:END" */
#define RECONCILE_TIMEOUT_MS 30000
#define METADATA_TIMEOUT_MS 10000
#define PREPARE_TIMEOUT_MS 1000 /* librdkafka 2.0's topic scan interval */

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static ssize_t pread_full(int fd, void *buf, size_t n, int64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + (int64_t)got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* ------------------------------------------------------------------ */
/* The tail                                                            */

typedef struct {
    uint64_t dev, ino, end;
    uint32_t epoch;
} recon_t;

typedef struct tfile {
    char *path;
    uint64_t dev, ino;
    int fd;
    int64_t pos;       /* next byte to read: end of the last line sent */
    int64_t committed; /* acknowledged prefix, in this epoch */
    uint32_t epoch;
    unsigned char fp[FP_MAX]; /* the bytes before pos */
    uint32_t fplen;
    uint64_t inflight; /* slots in the ring that point here */
    uint64_t seen_gen;
    int matched;       /* at a path a pattern names */
    int frozen;        /* a line failed: no more reading or committing */
    int finishing;     /* unmatched and idle: flush, then close */
    double last_data;  /* when bytes were last consumed (or first seen) */
    char src[72];      /* "DEV:INO:EPOCH:" for the ls.tail.src header */
    uint8_t srclen;
    uint32_t srcepoch;
    const recon_t *recon; /* lines of the last run already in Kafka */
    size_t nrecon, irecon;
} tfile_t;

typedef struct {
    char *pattern;
    int expanded;
} pattern_t;

struct ls_tail_s {
    ls_producer_t *p;
    char *topic, *posfile, *key_delim, *file_header;
    size_t key_delim_len;
    int from_start, exactly_once;
    size_t line_max;
    int64_t pos_interval, poll_interval, scan_interval, idle_timeout;

    pattern_t *pats;
    size_t npats;
    ls_header_t *hdrs; /* user headers, then the file and src headers */
    size_t nuser, caphdrs;
    char srcbuf[96];

    tfile_t **files;
    size_t nfiles, capfiles;
    ls__tail_ring_t ring;
    char *buf;
    size_t bufcap;

    int started, closed, had_posfile;
    ls__tail_pos_t saved;
    uint64_t gen;
    double next_scan, next_pos_write;
    int dirty;

    /* per partition: persisted scan start, watermark at start, 1 + the
     * highest committed Kafka offset this run (-1: unknown) */
    int64_t *sf, *hw0, *maxc;
    int32_t nparts;
    int freeze_failed;
    size_t recon_pending;
    uint64_t recon_last_seq;
    int recon_seen, reconciled;
    int64_t recon_scanned;
    recon_t *recon;
    size_t nrecon;

    uint64_t sent, delivered, failed, skipped, nfiles_total;
    uint64_t progress; /* lines sent or skipped in this poll */
    uint64_t bytes_read; /* line bytes taken from files */
    /* metrics: "source" (files) and "sink" (Kafka producer) */
    ls_metrics_t *reg;
    ls_component_t *msrc, *msink;
    ls_metric_t *m_recv, *m_bytes, *m_files, *m_sent, *m_delivered,
        *m_failed, *m_inflight;
    int failing;
    int at_end;
    char *first_error;
    ls_error_t *pending;
    ls_error_t *pos_err;

    ls_tail_log_cb_t *log_cb;
    void *log_opaque;
};

static void tlog(ls_tail_t *t, int level, const char *fmt, ...)
    LS_PRINTF(3, 4);
static void tlog(ls_tail_t *t, int level, const char *fmt, ...)
{
    if (!t->log_cb)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    t->log_cb(t->log_opaque, level, buf);
}

static void set_pending(ls_tail_t *t, ls_error_t *err)
{
    if (!err)
        return;
    if (t->pending)
        ls_error_destroy(err);
    else
        t->pending = err;
}

static int ensure_parts(ls_tail_t *t, int32_t n)
{
    if (n <= t->nparts)
        return 0;
    int64_t *a = realloc(t->sf, (size_t)n * sizeof(int64_t));
    if (!a)
        return -1;
    t->sf = a;
    a = realloc(t->hw0, (size_t)n * sizeof(int64_t));
    if (!a)
        return -1;
    t->hw0 = a;
    a = realloc(t->maxc, (size_t)n * sizeof(int64_t));
    if (!a)
        return -1;
    t->maxc = a;
    for (int32_t i = t->nparts; i < n; i++)
        t->sf[i] = t->hw0[i] = t->maxc[i] = -1;
    t->nparts = n;
    return 0;
}

/* Kafka offsets may move past the committed lines only when no line past
 * a saved position can lie below: not while lines of the last run found
 * in Kafka are still to be passed, nor after a failure. */
static int scan_frozen(const ls_tail_t *t)
{
    return t->freeze_failed || t->recon_pending > 0 ||
           (t->recon_seen && t->ring.head <= t->recon_last_seq);
}

static void recon_done(ls_tail_t *t, tfile_t *f)
{
    if (f->recon) {
        f->recon = NULL;
        f->nrecon = f->irecon = 0;
        if (t->recon_pending)
            t->recon_pending--;
    }
}

/* Retire the acknowledged prefix of the ring: advance committed offsets. */
static void retire(ls_tail_t *t)
{
    ls__tail_slot_t s;
    while (ls__tail_ring_pop(&t->ring, &s)) {
        tfile_t *f = s.owner;
        f->inflight--;
        if (s.state == LS__SLOT_FAILED) {
            f->frozen = 1;
            t->freeze_failed = 1;
            continue;
        }
        if (!f->frozen && s.epoch == f->epoch && s.end > f->committed) {
            f->committed = s.end;
            t->dirty = 1;
        }
        if (s.part >= 0 && s.koff >= 0) {
            if (ensure_parts(t, s.part + 1))
                t->freeze_failed = 1; /* cannot track: stay conservative */
            else if (s.koff + 1 > t->maxc[s.part])
                t->maxc[s.part] = s.koff + 1;
        }
    }
}

static void on_delivery(void *opaque, const ls_event_t *ev,
                        const ls_error_t *err, void *msg_opaque)
{
    ls_tail_t *t = opaque;
    /* The opaque carries the slot's sequence (only its low bits on 32-bit
     * systems; the in-flight window is far smaller). */
    uint64_t seq = t->ring.head +
                   (uint64_t)((uintptr_t)msg_opaque - (uintptr_t)t->ring.head);
    ls__tail_slot_t *s = ls__tail_ring_get(&t->ring, seq);
    if (!s)
        return;
    if (err) {
        s->state = LS__SLOT_FAILED;
        t->failed++;
        ls_component_error(t->msink, ls_error_message(err));
        ls_component_failing(t->msink, 1);
        t->failing = 1;
        if (!t->first_error)
            t->first_error = strdup(ls_error_message(err));
        set_pending(t, ls_error_set_kafka_code(
                           ls_error_new(LS_ERR_KAFKA, "%s (the position stays "
                                        "before this line)",
                                        ls_error_message(err)),
                           ls_error_kafka_code(err)));
    } else {
        s->state = LS__SLOT_ACKED;
        s->part = ls_event_partition(ev);
        s->koff = ls_event_offset(ev);
        t->delivered++;
        if (t->failing) {
            t->failing = 0;
            ls_component_failing(t->msink, 0);
        }
    }
    retire(t);
}

/* ---- sending ---- */

static int recon_before(const recon_t *r, uint32_t epoch, int64_t end)
{
    return r->epoch < epoch || (r->epoch == epoch && (int64_t)r->end < end);
}

static ls_error_t *emit(ls_tail_t *t, tfile_t *f, const char *line,
                        size_t len, int64_t end)
{
    ls__tail_slot_t slot = {f, end, -1, -1, f->epoch, LS__SLOT_PENDING};
    uint64_t seq;

    if (f->recon) {
        while (f->irecon < f->nrecon &&
               recon_before(&f->recon[f->irecon], f->epoch, end))
            f->irecon++;
        if (f->irecon < f->nrecon && f->recon[f->irecon].epoch == f->epoch &&
            (int64_t)f->recon[f->irecon].end == end) {
            /* Sent by the last run and stored: count it done. */
            slot.state = LS__SLOT_ACKED;
            if (ls__tail_ring_push(&t->ring, &slot, &seq))
                return ls_error_new(LS_ERR_NOMEM, "out of memory");
            f->inflight++;
            f->irecon++;
            t->skipped++;
            t->recon_last_seq = seq;
            t->recon_seen = 1;
            f->pos = end;
            if (f->irecon == f->nrecon)
                recon_done(t, f);
            retire(t);
            return NULL;
        }
        if (f->irecon == f->nrecon)
            recon_done(t, f);
    }

    ls_message_t m = LS_MESSAGE_INIT;
    m.topic = t->topic;
    m.value = line;
    m.value_len = len;
    if (t->key_delim) {
        const char *d = memmem(line, len, t->key_delim, t->key_delim_len);
        if (d) {
            m.key = line;
            m.key_len = (size_t)(d - line);
            m.value = d + t->key_delim_len;
            m.value_len = len - m.key_len - t->key_delim_len;
        }
    }
    size_t nh = t->nuser;
    if (t->file_header) {
        t->hdrs[nh].name = t->file_header;
        t->hdrs[nh].value = f->path;
        t->hdrs[nh].size = strlen(f->path);
        nh++;
    }
    if (t->exactly_once) {
        /* "DEV:INO:EPOCH:" is cached per file; only END is formatted. */
        if (f->srcepoch != f->epoch || !f->srclen) {
            int w = snprintf(f->src, sizeof(f->src),
                             "%" PRIu64 ":%" PRIu64 ":%" PRIu32 ":", f->dev,
                             f->ino, f->epoch);
            f->srclen = (uint8_t)w;
            f->srcepoch = f->epoch;
        }
        char digits[24], *d = digits + sizeof(digits);
        uint64_t v = (uint64_t)end;
        do
            *--d = (char)('0' + v % 10);
        while (v /= 10);
        size_t nd = (size_t)(digits + sizeof(digits) - d);
        memcpy(t->srcbuf, f->src, f->srclen);
        memcpy(t->srcbuf + f->srclen, d, nd);
        t->hdrs[nh].name = SRC_HEADER;
        t->hdrs[nh].value = t->srcbuf;
        t->hdrs[nh].size = f->srclen + nd;
        nh++;
    }
    m.headers = nh ? t->hdrs : NULL;
    m.header_count = nh;

    if (ls__tail_ring_push(&t->ring, &slot, &seq))
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    m.opaque = (void *)(uintptr_t)seq;
    f->inflight++;
    ls_error_t *err = ls_producer_send(t->p, &m);
    if (err) {
        ls__tail_ring_unpush(&t->ring);
        f->inflight--;
        return ls_error_prefix(err, "%s at offset %" PRId64, f->path,
                               end - (int64_t)len);
    }
    t->sent++;
    f->pos = end;
    /* Serve delivery reports as we go: delivered messages are freed, and
     * committed offsets advance, without waiting for the next poll. */
    if ((t->sent & 1023) == 0)
        ls_producer_poll(t->p, 0);
    return NULL;
}

typedef struct {
    ls_tail_t *t;
    tfile_t *f;
    int64_t base;
    ls_error_t *err;
} emit_ctx_t;

static int emit_cb(void *opaque, const char *line, size_t len, size_t end)
{
    emit_ctx_t *c = opaque;
    c->err = emit(c->t, c->f, line, len, c->base + (int64_t)end);
    if (c->err)
        return 1;
    c->t->progress++;
    c->t->bytes_read += len;
    return 0;
}

/* ---- files ---- */

static tfile_t *find_file(ls_tail_t *t, uint64_t dev, uint64_t ino)
{
    for (size_t i = 0; i < t->nfiles; i++)
        if (t->files[i]->dev == dev && t->files[i]->ino == ino)
            return t->files[i];
    return NULL;
}

static void restart_file(ls_tail_t *t, tfile_t *f, const char *why)
{
    tlog(t, LS_LOG_WARNING, "%s: %s: reading it again from the start",
         f->path, why);
    f->epoch++;
    f->pos = 0;
    f->committed = 0;
    f->fplen = 0;
    t->dirty = 1;
}

/* Offset after the last '\n' before size (looking back 64 KiB), for a file
 * that starts at its end. */
static int64_t end_of_last_line(ls_tail_t *t, int fd, int64_t size)
{
    size_t look = size < 65536 ? (size_t)size : 65536;
    if (!look)
        return 0;
    ssize_t n = pread_full(fd, t->buf, look, size - (int64_t)look);
    if (n != (ssize_t)look)
        return size;
    for (size_t i = look; i > 0; i--)
        if (t->buf[i - 1] == '\n')
            return size - (int64_t)look + (int64_t)i;
    return size <= 65536 ? 0 : size;
}

/* Load the fingerprint: the bytes before f->pos. */
static void load_fp(tfile_t *f)
{
    f->fplen = 0;
    size_t k = f->pos < FP_MAX ? (size_t)f->pos : FP_MAX;
    if (k && pread_full(f->fd, f->fp, k, f->pos - (int64_t)k) == (ssize_t)k)
        f->fplen = (uint32_t)k;
}

static const ls__tail_pos_entry_t *saved_entry(ls_tail_t *t, uint64_t dev,
                                               uint64_t ino, size_t *idx)
{
    for (size_t i = 0; i < t->saved.n; i++) {
        const ls__tail_pos_entry_t *e = &t->saved.e[i];
        if (e->path && e->ino == ino && (e->dev == 0 || e->dev == dev)) {
            *idx = i;
            return e;
        }
    }
    return NULL;
}

static void attach_recon(ls_tail_t *t, tfile_t *f)
{
    size_t i = 0;
    while (i < t->nrecon &&
           (t->recon[i].dev != f->dev || t->recon[i].ino != f->ino))
        i++;
    /* Entries of an older epoch (the file was truncated while stopped)
     * can never match: leave them out, so they do not hold the scan
     * offsets back for the whole run. */
    while (i < t->nrecon && t->recon[i].dev == f->dev &&
           t->recon[i].ino == f->ino && t->recon[i].epoch < f->epoch)
        i++;
    size_t j = i;
    while (j < t->nrecon && t->recon[j].dev == f->dev &&
           t->recon[j].ino == f->ino)
        j++;
    if (j > i) {
        f->recon = &t->recon[i];
        f->nrecon = j - i;
        f->irecon = 0;
        t->recon_pending++;
    }
}

/* Start following path (already stat'ed as st).  initial: found by a
 * pattern's first expansion (may start at the end); matched: at a path a
 * pattern names. */
static tfile_t *open_file(ls_tail_t *t, const char *path,
                          const struct stat *st, int initial, int matched,
                          double now)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno != ENOENT)
            tlog(t, LS_LOG_WARNING, "cannot open %s: %s", path,
                 strerror(errno));
        return NULL;
    }
    struct stat fst;
    if (fstat(fd, &fst) || fst.st_dev != st->st_dev ||
        fst.st_ino != st->st_ino || !S_ISREG(fst.st_mode)) {
        close(fd); /* replaced between stat and open: next scan */
        return NULL;
    }
    if (t->nfiles == t->capfiles) {
        size_t cap = t->capfiles ? t->capfiles * 2 : 16;
        tfile_t **n = realloc(t->files, cap * sizeof(*n));
        if (!n) {
            close(fd);
            return NULL;
        }
        t->files = n;
        t->capfiles = cap;
    }
    tfile_t *f = calloc(1, sizeof(*f));
    if (!f || !(f->path = strdup(path))) {
        free(f);
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->dev = (uint64_t)fst.st_dev;
    f->ino = (uint64_t)fst.st_ino;
    f->matched = matched;
    f->seen_gen = t->gen;
    f->last_data = now;
    int64_t size = (int64_t)fst.st_size;

    size_t idx;
    const ls__tail_pos_entry_t *e = saved_entry(t, f->dev, f->ino, &idx);
    const char *how;
    if (e) {
        f->epoch = e->epoch;
        f->pos = f->committed = e->pos;
        how = "resuming";
        if (size < e->pos) {
            f->epoch++;
            f->pos = f->committed = 0;
            how = "truncated while stopped, from the start";
        } else if (e->hashlen) {
            load_fp(f);
            if (f->fplen != e->hashlen ||
                ls__tail_hash(f->fp, f->fplen) != e->hash) {
                f->epoch++;
                f->pos = f->committed = 0;
                f->fplen = 0;
                how = "rewritten while stopped, from the start";
            }
        } else {
            load_fp(f);
        }
        free(t->saved.e[idx].path); /* used */
        t->saved.e[idx].path = NULL;
        attach_recon(t, f);
    } else if (initial && !t->had_posfile && !t->from_start) {
        f->pos = f->committed = end_of_last_line(t, fd, size);
        load_fp(f);
        how = "from its end";
    } else {
        how = "from the start";
    }
    t->files[t->nfiles++] = f;
    t->nfiles_total++;
    t->dirty = 1;
    tlog(t, LS_LOG_INFO, "following %s (inode %" PRIu64 ") %s, offset %" PRId64,
         path, f->ino, how, f->pos);
    return f;
}

static void unmatch(ls_tail_t *t, tfile_t *f, double now, const char *why)
{
    if (!f->matched)
        return;
    f->matched = 0;
    if (f->last_data < now)
        f->last_data = now; /* idle counts from here */
    tlog(t, LS_LOG_INFO, "%s (inode %" PRIu64 ") %s: reading it to its end",
         f->path, f->ino, why);
}

/* A path a pattern names: known inode (maybe renamed), or a new file. */
static void discover(ls_tail_t *t, const char *path, const struct stat *st,
                     int initial, double now)
{
    tfile_t *f = find_file(t, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
    if (f) {
        f->seen_gen = t->gen;
        if (!f->matched && !f->finishing) {
            if (strcmp(f->path, path)) {
                char *p = strdup(path);
                if (p) {
                    tlog(t, LS_LOG_INFO, "%s is now %s", f->path, p);
                    free(f->path);
                    f->path = p;
                    t->dirty = 1;
                }
            }
            f->matched = 1;
        }
        return;
    }
    open_file(t, path, st, initial, 1, now);
}

static void scan(ls_tail_t *t, double now)
{
    t->gen++;
    for (size_t i = 0; i < t->npats; i++) {
        glob_t g;
        int r = glob(t->pats[i].pattern, GLOB_BRACE | GLOB_NOSORT, NULL, &g);
        if (r == 0) {
            for (size_t j = 0; j < g.gl_pathc; j++) {
                struct stat st;
                if (stat(g.gl_pathv[j], &st) || !S_ISREG(st.st_mode))
                    continue;
                discover(t, g.gl_pathv[j], &st, !t->pats[i].expanded, now);
            }
        } else if (r != GLOB_NOMATCH) {
            tlog(t, LS_LOG_WARNING, "cannot expand %s", t->pats[i].pattern);
        }
        if (r == 0 || r == GLOB_NOMATCH)
            globfree(&g);
        t->pats[i].expanded = 1;
    }
    for (size_t i = 0; i < t->nfiles; i++) {
        tfile_t *f = t->files[i];
        if (f->matched && f->seen_gen != t->gen)
            unmatch(t, f, now, "is no longer matched");
    }
    t->next_scan = now + (double)t->scan_interval;
}

/* The path of a followed file now names another file, or none. */
static void check_path(ls_tail_t *t, tfile_t *f, double now)
{
    struct stat st;
    if (stat(f->path, &st)) {
        if (errno == ENOENT)
            unmatch(t, f, now, "was removed or renamed");
        return;
    }
    if ((uint64_t)st.st_dev == f->dev && (uint64_t)st.st_ino == f->ino)
        return;
    unmatch(t, f, now, "was rotated");
    if (S_ISREG(st.st_mode) && !find_file(t, (uint64_t)st.st_dev,
                                          (uint64_t)st.st_ino)) {
        char *path = strdup(f->path); /* f->path may change below */
        if (path) {
            open_file(t, path, &st, 0, 1, now);
            free(path);
        }
    }
}

/* Files of the position file not found by any pattern: renamed while
 * stopped?  Look for the inode in the directory it was in. */
static void rescue_saved(ls_tail_t *t, double now)
{
    for (size_t i = 0; i < t->saved.n; i++) {
        ls__tail_pos_entry_t *e = &t->saved.e[i];
        if (!e->path)
            continue;
        char *slash = strrchr(e->path, '/');
        char *dir = slash ? strndup(e->path, slash == e->path ? 1 : (size_t)(slash - e->path))
                          : strdup(".");
        DIR *d = dir ? opendir(dir) : NULL;
        int found = 0;
        if (d) {
            struct dirent *de;
            while (!found && (de = readdir(d))) {
                if ((uint64_t)de->d_ino != e->ino)
                    continue;
                size_t n = strlen(dir) + strlen(de->d_name) + 2;
                char *p = malloc(n);
                struct stat st;
                if (p) {
                    snprintf(p, n, "%s/%s", dir, de->d_name);
                    if (!stat(p, &st) && S_ISREG(st.st_mode) &&
                        (uint64_t)st.st_ino == e->ino &&
                        (e->dev == 0 || (uint64_t)st.st_dev == e->dev) &&
                        !find_file(t, (uint64_t)st.st_dev, e->ino)) {
                        if (strcmp(e->path, p))
                            tlog(t, LS_LOG_INFO, "%s was renamed to %s "
                                 "while stopped", e->path, p);
                        if (open_file(t, p, &st, 0, 0, now))
                            found = 1;
                    }
                    free(p);
                }
            }
            closedir(d);
        }
        if (!found && e->path) {
            tlog(t, LS_LOG_WARNING, "%s (inode %" PRIu64 ") of the position "
                 "file is gone: lines after offset %" PRId64 " are lost",
                 e->path, e->ino, e->pos);
            free(e->path);
            e->path = NULL;
            t->dirty = 1;
        }
        free(dir);
    }
}

/* Read what is new in f and send its lines. */
static void read_file(ls_tail_t *t, tfile_t *f, double now)
{
    if (f->fd < 0 || f->frozen || t->pending)
        return;
    struct stat st;
    if (fstat(f->fd, &st))
        return;
    if ((int64_t)st.st_size < f->pos)
        restart_file(t, f, "truncated");
    size_t budget = READ_BUDGET;
    while (budget && !t->pending) {
        int64_t from = f->pos - (int64_t)f->fplen;
        size_t want = f->fplen + t->bufcap;
        ssize_t n = pread_full(f->fd, t->buf, want, from);
        if (n < 0) {
            tlog(t, LS_LOG_WARNING, "%s: read: %s", f->path, strerror(errno));
            return;
        }
        if ((size_t)n < f->fplen || memcmp(t->buf, f->fp, f->fplen)) {
            if ((size_t)n < f->fplen)
                restart_file(t, f, "truncated");
            else
                restart_file(t, f, "rewritten in place (copytruncate?)");
            continue;
        }
        size_t dn = (size_t)n - f->fplen;
        if (!dn)
            break;
        emit_ctx_t c = {t, f, f->pos, NULL};
        ls__tail_split(t->buf + f->fplen, dn, t->line_max, f->finishing,
                       emit_cb, &c);
        if (c.err)
            set_pending(t, c.err);
        size_t used = (size_t)(f->pos - c.base);
        if (used) {
            /* The new fingerprint: the last bytes before the new pos. */
            size_t total = f->fplen + used;
            size_t k = total < FP_MAX ? total : FP_MAX;
            memmove(f->fp, t->buf + total - k, k);
            f->fplen = (uint32_t)k;
            f->last_data = now;
        }
        budget -= used < budget ? used : budget;
        if ((size_t)n < want || !used)
            break; /* all there was is read (a partial line waits) */
    }
}

static void close_file(ls_tail_t *t, size_t i)
{
    tfile_t *f = t->files[i];
    tlog(t, LS_LOG_INFO, "done with %s (inode %" PRIu64 ") at offset %" PRId64,
         f->path, f->ino, f->pos);
    if (f->fd >= 0)
        close(f->fd);
    recon_done(t, f);
    free(f->path);
    free(f);
    t->files[i] = t->files[--t->nfiles];
    t->dirty = 1;
}

/* Unmatched files idle for tail.idle.timeout.ms: flush a last line without
 * newline, then close once every line is acknowledged. */
static void reap(ls_tail_t *t, double now)
{
    for (size_t i = 0; i < t->nfiles;) {
        tfile_t *f = t->files[i];
        if (!f->matched && !f->frozen &&
            now - f->last_data >= (double)t->idle_timeout) {
            if (!f->finishing) {
                f->finishing = 1;
                read_file(t, f, now); /* sends the partial last line */
            }
            struct stat st;
            if (!f->inflight && !fstat(f->fd, &st) &&
                (int64_t)st.st_size <= f->pos) {
                close_file(t, i);
                continue;
            }
        }
        i++;
    }
}

/* ---- position file ---- */

static ls_error_t *write_position(ls_tail_t *t, int clean)
{
    if (!t->posfile)
        return NULL;
    ls__tail_pos_t pos;
    memset(&pos, 0, sizeof(pos));
    pos.topic = t->topic;
    pos.clean = clean;
    pos.nparts = t->nparts;
    pos.scan_from = t->nparts ? calloc((size_t)t->nparts, sizeof(int64_t)) : NULL;
    pos.e = t->nfiles ? calloc(t->nfiles, sizeof(*pos.e)) : NULL;
    if ((t->nparts && !pos.scan_from) || (t->nfiles && !pos.e)) {
        free(pos.scan_from);
        free(pos.e);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    int frozen = scan_frozen(t);
    for (int32_t p = 0; p < t->nparts; p++) {
        int64_t v = t->sf[p];
        if (!frozen) {
            if (t->hw0[p] > v)
                v = t->hw0[p];
            if (t->maxc[p] > v)
                v = t->maxc[p];
            t->sf[p] = v;
        }
        pos.scan_from[p] = v;
    }
    unsigned char tmp[FP_MAX];
    for (size_t i = 0; i < t->nfiles; i++) {
        tfile_t *f = t->files[i];
        ls__tail_pos_entry_t *e = &pos.e[pos.n++];
        e->dev = f->dev;
        e->ino = f->ino;
        e->pos = f->committed;
        e->epoch = f->epoch;
        e->path = f->path;
        size_t k = f->committed < FP_MAX ? (size_t)f->committed : FP_MAX;
        if (k && pread_full(f->fd, tmp, k, f->committed - (int64_t)k) == (ssize_t)k) {
            e->hash = ls__tail_hash(tmp, k);
            e->hashlen = (uint32_t)k;
        }
    }
    ls_error_t *err = ls__tail_pos_write(t->posfile, &pos);
    free(pos.scan_from);
    free(pos.e);
    if (!err)
        t->dirty = 0;
    return err;
}

static void maybe_write_position(ls_tail_t *t, double now)
{
    if (!t->posfile || !t->dirty || now < t->next_pos_write)
        return;
    t->next_pos_write = now + (double)t->pos_interval;
    ls_error_t *err = write_position(t, 0);
    if (err) {
        tlog(t, LS_LOG_WARNING, "%s (retrying)", ls_error_message(err));
        ls_error_destroy(t->pos_err);
        t->pos_err = err;
    } else if (t->pos_err) {
        ls_error_destroy(t->pos_err);
        t->pos_err = NULL;
    }
}

/* ---- Kafka side of exactly-once: partitions and reconciliation ---- */

static int recon_cmp(const void *a, const void *b)
{
    const recon_t *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    if (x->epoch != y->epoch)
        return x->epoch < y->epoch ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* A message of the last run: keep it when it is past its file's saved
 * position. */
static int recon_add(ls_tail_t *t, const void *v, size_t size, size_t *cap)
{
    char s[96];
    unsigned long long dev, ino, end;
    unsigned int epoch;
    if (!v || size == 0 || size >= sizeof(s))
        return 0;
    memcpy(s, v, size);
    s[size] = '\0';
    if (sscanf(s, "%llu:%llu:%u:%llu", &dev, &ino, &epoch, &end) != 4)
        return 0;
    size_t idx;
    const ls__tail_pos_entry_t *e = saved_entry(t, dev, ino, &idx);
    if (!e || epoch < e->epoch || (epoch == e->epoch && (int64_t)end <= e->pos))
        return 0;
    if (t->nrecon == *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        recon_t *n = realloc(t->recon, ncap * sizeof(*n));
        if (!n)
            return -1;
        t->recon = n;
        *cap = ncap;
    }
    t->recon[t->nrecon++] = (recon_t){dev, ino, end, epoch};
    return 0;
}

static ls_error_t *kafka_start(ls_tail_t *t, const ls_conf_t *conf)
{
    char errstr[512], gid[64];
    int need = t->had_posfile && t->saved.topic && !t->saved.clean &&
               !strcmp(t->saved.topic, t->topic);
    rd_kafka_conf_t *rc = ls__conf_kafka_dup(conf);
    if (!rc)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    snprintf(gid, sizeof(gid), "ls-tail-nogroup-%p", (void *)t);
    rd_kafka_conf_set(rc, "group.id", gid, errstr, sizeof(errstr));
    rd_kafka_conf_set(rc, "enable.auto.commit", "false", errstr, sizeof(errstr));
    rd_kafka_conf_set(rc, "auto.offset.reset", "earliest", errstr, sizeof(errstr));
    rd_kafka_conf_set(rc, "enable.partition.eof", "true", errstr, sizeof(errstr));
    rd_kafka_conf_set_log_cb(rc, ls__kafka_log_drop);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, rc, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(rc);
        return ls_error_new(LS_ERR_KAFKA, "cannot create a consumer to "
                            "reconcile: %s", errstr);
    }
    ls_error_t *err = NULL;
    int32_t np = 0;
    int64_t *lo = NULL, *hi = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, t->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t re = rd_kafka_metadata(rk, 0, rkt, &md,
                                               METADATA_TIMEOUT_MS);
    if (!re && md->topic_cnt == 1 && !md->topics[0].err)
        np = md->topics[0].partition_cnt;
    else if (need)
        err = ls__kafka_error(re ? re
                                 : md->topic_cnt ? md->topics[0].err
                                                 : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
                              "reconcile: metadata of topic \"%s\"", t->topic);
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);

    if (!err && np > 0) {
        if (ensure_parts(t, np) || !(lo = calloc((size_t)np, sizeof(*lo))) ||
            !(hi = calloc((size_t)np, sizeof(*hi))))
            err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        for (int32_t p = 0; !err && p < np; p++) {
            re = rd_kafka_query_watermark_offsets(rk, t->topic, p, &lo[p],
                                                  &hi[p], METADATA_TIMEOUT_MS);
            if (re) {
                if (need)
                    err = ls__kafka_error(re, "reconcile: watermarks of %s [%d]",
                                          t->topic, (int)p);
                lo[p] = hi[p] = -1;
            }
            t->hw0[p] = hi[p];
        }
    }
    /* Where the last run said its unacknowledged lines may start. */
    if (!err && t->saved.topic && !strcmp(t->saved.topic, t->topic))
        for (int32_t p = 0; p < t->saved.nparts && !ensure_parts(t, p + 1); p++)
            t->sf[p] = t->saved.scan_from[p];

    if (!err && need && np > 0) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
        int left = 0;
        int64_t scanned = 0;
        char lasterr[300] = "";
        size_t cap = 0;
        for (int32_t p = 0; p < np; p++) {
            int64_t from = t->sf[p] >= 0 ? t->sf[p] : lo[p];
            if (from < lo[p])
                from = lo[p];
            t->sf[p] = from; /* persisted until the reconciled lines pass */
            if (from < hi[p]) {
                rd_kafka_topic_partition_list_add(l, t->topic, p)->offset = from;
                left++;
            }
        }
        char *done = calloc((size_t)np, 1);
        if (!done)
            err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        if (!err && left && (re = rd_kafka_assign(rk, l)))
            err = ls__kafka_error(re, "reconcile: assign %s", t->topic);
        double deadline = now_ms() + RECONCILE_TIMEOUT_MS;
        while (!err && left > 0) {
            if (now_ms() > deadline) {
                err = ls_error_set_retriable(
                    ls_error_new(LS_ERR_TIMED_OUT, "reconcile: reading %s "
                                 "timed out after %d ms (%d partition(s) "
                                 "left)%s", t->topic, RECONCILE_TIMEOUT_MS,
                                 left, lasterr),
                    1);
                break;
            }
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
            if (!m)
                continue;
            int32_t p = m->partition;
            if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                /* Transient errors are retried by librdkafka until the
                 * deadline; keep the last one for the timeout message. */
                snprintf(lasterr, sizeof(lasterr), ": %s",
                         rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                continue;
            }
            if (!m->err) {
                rd_kafka_headers_t *h = NULL;
                const void *v = NULL;
                size_t sz = 0;
                scanned++;
                if (!rd_kafka_message_headers(m, &h) &&
                    !rd_kafka_header_get_last(h, SRC_HEADER, &v, &sz) &&
                    recon_add(t, v, sz, &cap))
                    err = ls_error_new(LS_ERR_NOMEM, "out of memory");
            }
            if (p >= 0 && p < np && !done[p] &&
                (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
                 m->offset >= hi[p] - 1)) {
                done[p] = 1;
                left--;
            }
            rd_kafka_message_destroy(m);
        }
        free(done);
        rd_kafka_topic_partition_list_destroy(l);
        if (!err) {
            if (t->nrecon > 1) /* qsort's array must not be NULL */
                qsort(t->recon, t->nrecon, sizeof(*t->recon), recon_cmp);
            t->recon_seen = t->nrecon > 0;
            t->reconciled = 1; /* logged at the first poll */
            t->recon_scanned = scanned;
        }
    }
    free(lo);
    free(hi);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return err;
}

/* ---- public API ---- */

static char *conf_str(const ls_conf_t *conf, const char *key)
{
    const char *v = ls_conf_get(conf, key);
    return v && *v ? strdup(v) : NULL;
}

ls_error_t *ls_tail_add(ls_tail_t *t, const char *pattern)
{
    if (!t || !pattern || !*pattern)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_tail_add: a tail and a non-empty pattern "
                            "are required");
    if (t->closed)
        return ls_error_new(LS_ERR_STATE, "ls_tail_add: the tail is closed");
    pattern_t *n = realloc(t->pats, (t->npats + 1) * sizeof(*n));
    if (!n)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    t->pats = n;
    if (!(n[t->npats].pattern = strdup(pattern)))
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    n[t->npats].expanded = 0;
    t->npats++;
    t->next_scan = 0; /* expand it at the next poll */
    return NULL;
}

ls_error_t *ls_tail_add_header(ls_tail_t *t, const char *name,
                               const void *value, size_t size)
{
    if (!t || !name || !*name || (!value && size))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_tail_add_header: a tail and a non-empty "
                            "header name are required");
    if (t->started)
        return ls_error_new(LS_ERR_STATE, "ls_tail_add_header: add headers "
                            "before the first ls_tail_poll()");
    if (t->nuser + 2 >= t->caphdrs) {
        size_t cap = t->caphdrs * 2;
        ls_header_t *n = realloc(t->hdrs, cap * sizeof(*n));
        if (!n)
            return ls_error_new(LS_ERR_NOMEM, "out of memory");
        t->hdrs = n;
        t->caphdrs = cap;
    }
    char *nm = strdup(name);
    void *v = value ? malloc(size ? size : 1) : NULL;
    if (!nm || (value && !v)) {
        free(nm);
        free(v);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    if (v)
        memcpy(v, value, size);
    t->hdrs[t->nuser].name = nm;
    t->hdrs[t->nuser].value = v;
    t->hdrs[t->nuser].size = size;
    t->nuser++;
    return NULL;
}

void ls_tail_set_log_cb(ls_tail_t *t, ls_tail_log_cb_t *cb, void *opaque)
{
    if (!t)
        return;
    t->log_cb = cb;
    t->log_opaque = opaque;
}

ls_error_t *ls_tail_new(ls_tail_t **out, ls_conf_t *conf)
{
    if (!out || !conf)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_tail_new: out and conf are required");
    *out = NULL;
    ls_tail_t *t = calloc(1, sizeof(*t));
    if (!t)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    ls_error_t *err = NULL;
    ls_conf_t *pconf = NULL;
    t->topic = conf_str(conf, "tail.topic");
    t->posfile = conf_str(conf, "tail.position.file");
    t->key_delim = conf_str(conf, "tail.key.delim");
    t->file_header = conf_str(conf, "tail.file.header");
    t->key_delim_len = t->key_delim ? strlen(t->key_delim) : 0;
    t->from_start = ls__conf_bool(conf, "tail.from.start");
    t->exactly_once = ls__conf_bool(conf, "tail.exactly.once");
    t->line_max = (size_t)ls__conf_int(conf, "tail.line.max.bytes");
    t->pos_interval = ls__conf_int(conf, "tail.position.interval.ms");
    t->poll_interval = ls__conf_int(conf, "tail.poll.interval.ms");
    t->scan_interval = ls__conf_int(conf, "tail.scan.interval.ms");
    t->idle_timeout = ls__conf_int(conf, "tail.idle.timeout.ms");
    if (!t->topic) {
        err = ls_error_new(LS_ERR_INVALID_ARG, "tail.topic is required (the "
                           "topic to send lines to)");
        goto fail;
    }
    if (!ls__topic_name_valid(t->topic)) {
        err = ls_error_new(LS_ERR_INVALID_ARG, "invalid topic name \"%s\" for "
                           "tail.topic: expected 1 to 249 characters of "
                           "a-z A-Z 0-9 . _ -", t->topic);
        goto fail;
    }
    if (t->line_max < 1)
        t->line_max = 1;
    t->bufcap = t->line_max + 1 > (1u << 20) ? t->line_max + 1 : (1u << 20);
    t->caphdrs = 8;
    if (!(t->buf = malloc(t->bufcap + FP_MAX)) ||
        !(t->hdrs = calloc(t->caphdrs, sizeof(*t->hdrs)))) {
        err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        goto fail;
    }

    /* tail.files: comma-separated patterns. */
    const char *files = ls_conf_get(conf, "tail.files");
    for (const char *s = files; s && *s && !err;) {
        const char *c = strchr(s, ',');
        size_t n = c ? (size_t)(c - s) : strlen(s);
        while (n && (*s == ' ' || *s == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n) {
            char *p = strndup(s, n);
            err = p ? ls_tail_add(t, p) : ls_error_new(LS_ERR_NOMEM, "out of memory");
            free(p);
        }
        s = c ? c + 1 : NULL;
    }
    if (err)
        goto fail;

    if (t->posfile) {
        err = ls__tail_pos_read(t->posfile, &t->saved);
        if (ls_error_code(err) == LS_ERR_NOT_FOUND) {
            ls_error_destroy(err);
            err = NULL;
        } else if (!err) {
            t->had_posfile = 1;
        } else {
            goto fail;
        }
    }

    if (!(pconf = ls_conf_dup(conf))) {
        err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (t->exactly_once) {
        char v[16];
        if (ls_conf_is_set(conf, "enable.idempotence")) {
            ls__conf_kafka_get(conf, "enable.idempotence", v, sizeof(v));
            if (strcmp(v, "true")) {
                err = ls_error_new(LS_ERR_INVALID_ARG,
                                   "tail.exactly.once needs "
                                   "enable.idempotence=true (or set "
                                   "tail.exactly.once=false)");
                goto fail;
            }
        } else if ((err = ls_conf_set(pconf, "enable.idempotence", "true"))) {
            goto fail;
        }
    }
    /* The producer first: it connects while the topic is read below.
     * (librdkafka 2.0 drops the leader query of a topic first produced to
     * before a broker connection is up, and retries it only with its 1 s
     * topic scan: a 1 s stall before the first delivery.) */
    if ((err = ls_producer_new(&t->p, pconf)))
        goto fail;
    pconf = NULL; /* the producer's now */
    ls_producer_set_delivery_cb(t->p, on_delivery, t);
    if ((err = ls_metrics_new(&t->reg, "ls-tail")))
        goto fail;
    t->msrc = ls_metrics_component(t->reg, "source", LS_ROLE_SOURCE, "files");
    t->m_recv = ls_component_counter(t->msrc, "EventReceivedCount", NULL);
    t->m_bytes = ls_component_counter(t->msrc, "BytesReceivedCount", NULL);
    t->m_files = ls_component_gauge(t->msrc, "FilesTracked", NULL);
    t->msink = ls_metrics_component(t->reg, "sink", LS_ROLE_SINK,
                                    "kafka-producer");
    t->m_sent = ls_component_counter(t->msink, "EventDrainAttemptCount", NULL);
    t->m_delivered =
        ls_component_counter(t->msink, "EventDrainSuccessCount", NULL);
    t->m_failed = ls_component_counter(t->msink, "EventWriteFailCount", NULL);
    t->m_inflight = ls_component_gauge(t->msink, "InFlightRecords", NULL);
    if (t->exactly_once && (err = kafka_start(t, conf)))
        goto fail;
    /* Without this the first delivery waits for librdkafka's 1 s topic
     * scan (see above).  This waits at most that long (the whole 1 s only
     * when the brokers do not answer); a failure leaves the producer as
     * it was. */
    ls_error_destroy(ls_producer_prepare(t->p, t->topic, PREPARE_TIMEOUT_MS));
    ls_conf_destroy(conf);
    *out = t;
    return NULL;
fail:
    ls_conf_destroy(pconf);
    ls_tail_destroy(t);
    return err;
}

static void tail_start(ls_tail_t *t, double now)
{
    t->started = 1;
    if (t->reconciled)
        tlog(t, LS_LOG_INFO, "reconciled with %s: %" PRId64 " message(s) "
             "read, %zu line(s) of the last run already there", t->topic,
             t->recon_scanned, t->nrecon);
    scan(t, now);
    rescue_saved(t, now);
    ls__tail_pos_clear(&t->saved); /* entries not found are dropped */
    /* Written before any line is read, so that a restart resumes here. */
    t->next_pos_write = now + (double)t->pos_interval;
    set_pending(t, write_position(t, 0));
}

/* Publish the tallies (cheap: a few atomic stores per poll). */
static void metrics_sync(ls_tail_t *t)
{
    ls_metric_set(t->m_recv, (int64_t)t->progress);
    ls_metric_set(t->m_bytes, (int64_t)t->bytes_read);
    ls_metric_set(t->m_files, (int64_t)t->nfiles);
    ls_metric_set(t->m_sent, (int64_t)t->sent);
    ls_metric_set(t->m_delivered, (int64_t)t->delivered);
    ls_metric_set(t->m_failed, (int64_t)t->failed);
    ls_metric_set(t->m_inflight, (int64_t)(t->ring.next - t->ring.head));
}

ls_metrics_t *ls_tail_metrics(ls_tail_t *t)
{
    return t ? t->reg : NULL;
}

char *ls_tail_stats(ls_tail_t *t)
{
    if (!t)
        return NULL;
    metrics_sync(t);
    return ls_metrics_json(t->reg);
}

ls_error_t *ls_tail_poll(ls_tail_t *t, int timeout_ms, size_t *lines)
{
    if (lines)
        *lines = 0;
    if (!t)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_tail_poll: no tail");
    if (t->closed)
        return ls_error_new(LS_ERR_STATE, "ls_tail_poll: the tail is closed");
    double now = now_ms();
    if (!t->started)
        tail_start(t, now);
    else if (now >= t->next_scan)
        scan(t, now);
    for (size_t i = 0; i < t->nfiles; i++)
        if (t->files[i]->matched)
            check_path(t, t->files[i], now);
    uint64_t before = t->progress;
    for (size_t i = 0; i < t->nfiles; i++) {
        read_file(t, t->files[i], now);
        ls_producer_poll(t->p, 0);
    }
    reap(t, now);
    maybe_write_position(t, now);
    uint64_t n = t->progress - before;
    metrics_sync(t);
    int was_at_end = t->at_end;
    t->at_end = n == 0 && t->ring.head == t->ring.next && !t->pending;
    if (lines)
        *lines = (size_t)n;
    if (t->pending) {
        ls_error_t *err = t->pending;
        t->pending = NULL;
        return err;
    }
    /* Idle: wait for delivery reports or new data, except right when
     * the end is reached, so that a caller waiting for it sees it now. */
    if (n == 0 && !(t->at_end && !was_at_end)) {
        int wait = timeout_ms < 0 || timeout_ms > t->poll_interval
                       ? (int)t->poll_interval
                       : timeout_ms;
        ls_producer_poll(t->p, wait);
        maybe_write_position(t, now_ms());
    }
    return NULL;
}

int ls_tail_at_end(const ls_tail_t *t)
{
    return t && t->started && t->at_end;
}

ls_error_t *ls_tail_close(ls_tail_t *t, int timeout_ms)
{
    if (!t)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_tail_close: no tail");
    if (t->closed)
        return ls_error_new(LS_ERR_STATE, "ls_tail_close: already closed");
    t->closed = 1;
    ls_error_t *err = ls_producer_flush(t->p, timeout_ms);
    int clean = t->ring.head == t->ring.next && !t->freeze_failed &&
                t->recon_pending == 0 && t->started;
    if (t->posfile && t->started) {
        ls_error_t *werr = write_position(t, clean);
        if (werr) {
            ls_error_destroy(err);
            err = werr;
        }
    }
    return err;
}

void ls_tail_counts(const ls_tail_t *t, uint64_t *sent, uint64_t *delivered,
                    uint64_t *failed, uint64_t *skipped, uint64_t *files)
{
    if (sent)
        *sent = t ? t->sent : 0;
    if (delivered)
        *delivered = t ? t->delivered : 0;
    if (failed)
        *failed = t ? t->failed : 0;
    if (skipped)
        *skipped = t ? t->skipped : 0;
    if (files)
        *files = t ? t->nfiles_total : 0;
}

const char *ls_tail_delivery_error(const ls_tail_t *t)
{
    return t ? t->first_error : NULL;
}

void ls_tail_destroy(ls_tail_t *t)
{
    if (!t)
        return;
    /* First the producer: purged messages call back into t. */
    ls_producer_destroy(t->p);
    t->p = NULL;
    ls_metrics_destroy(t->reg);
    for (size_t i = 0; i < t->nfiles; i++) {
        if (t->files[i]->fd >= 0)
            close(t->files[i]->fd);
        free(t->files[i]->path);
        free(t->files[i]);
    }
    free(t->files);
    for (size_t i = 0; i < t->npats; i++)
        free(t->pats[i].pattern);
    free(t->pats);
    for (size_t i = 0; t->hdrs && i < t->nuser; i++) {
        free((char *)t->hdrs[i].name);
        free((void *)t->hdrs[i].value);
    }
    free(t->hdrs);
    ls__tail_ring_free(&t->ring);
    ls__tail_pos_clear(&t->saved);
    free(t->recon);
    free(t->sf);
    free(t->hw0);
    free(t->maxc);
    free(t->buf);
    free(t->topic);
    free(t->posfile);
    free(t->key_delim);
    free(t->file_header);
    free(t->first_error);
    ls_error_destroy(t->pending);
    ls_error_destroy(t->pos_err);
    free(t);
}
