/* libstream: the rolling file writer over a storage backend.  One open
 * file per topic-partition, buffered appends, optional gzip, rename on
 * close, and recovery of where to resume from the destination itself. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "conf_int.h"
#include "libstream/template.h"
#include "libstream/writer.h"

#define PATH_MAX_LEN 4096

typedef struct {
    char *topic;
    const char *topic_id; /* the last event's topic pointer (identity) */
    int32_t partition;
    int open;
    ls_bfile_t *f;
    char *dir;    /* expanded directory */
    char *prefix; /* expanded prefix */
    int64_t first, last;
    uint64_t records, bytes;
    double opened_at, last_write;
    char *buf;
    size_t len;
    int gz;
    z_stream z;
    /* Expansion cache: the path depends only on the second when the
     * template uses no record field, so most records skip expansion. */
    char *cdir, *cprefix;
    int64_t csec;
    int cvalid;
    /* After a failure: the offset to re-read this partition from (the
     * first record of the discarded file), or -1. */
    int64_t rewind;
} slot_t;

static void set_rewind(slot_t *s, int64_t offset)
{
    if (s->rewind < 0 || offset < s->rewind)
        s->rewind = offset;
}

struct ls_writer_s {
    ls_backend_t *backend;
    ls_template_t *path, *prefix;
    char *suffix, *inuse;
    int64_t roll_count, roll_bytes, roll_interval, idle_timeout;
    int envelope, gzip, processing_time, path_uses_record;
    size_t bufcap;
    ls_file_closed_cb_t *cb;
    void *cb_opaque;
    slot_t *slots;
    size_t nslots, capslots, last;
    char *lastdir; /* last directory made, to skip repeated mkdirs */
    char *jbuf;    /* envelope scratch */
    size_t jcap;
    uint64_t files, records, bytes;
    uint64_t appends; /* successful appends to the destination */
    double now; /* monotonic clock at the last open or tick */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double coarse_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ls_writer_destroy(ls_writer_t *w)
{
    if (!w)
        return;
    /* Discard every open file first: discarding looks slots up by name. */
    for (size_t i = 0; i < w->nslots; i++)
        ls_writer_discard_partition(w, w->slots[i].topic,
                                    w->slots[i].partition);
    for (size_t i = 0; i < w->nslots; i++) {
        free(w->slots[i].topic);
        free(w->slots[i].buf);
        free(w->slots[i].cdir);
        free(w->slots[i].cprefix);
    }
    free(w->slots);
    ls_template_destroy(w->path);
    ls_template_destroy(w->prefix);
    free(w->suffix);
    free(w->inuse);
    free(w->lastdir);
    free(w->jbuf);
    free(w);
}

ls_error_t *ls_writer_new(ls_writer_t **out, ls_backend_t *backend,
                          const ls_conf_t *conf)
{
    if (!out || !backend || !conf)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_writer_new: out, backend and conf are required");
    *out = NULL;
    ls_writer_t *w = calloc(1, sizeof(*w));
    if (!w)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    w->backend = backend;
    ls_error_t *err = ls_template_new(&w->path, ls_conf_get(conf, "archive.path"));
    if (!err)
        err = ls_template_new(&w->prefix, ls_conf_get(conf, "archive.prefix"));
    if (err) {
        ls_writer_destroy(w);
        return err;
    }
    if (!ls_template_uses_topic(w->path) && !ls_template_uses_topic(w->prefix)) {
        ls_writer_destroy(w);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "archive.path \"%s\" or archive.prefix \"%s\" must "
                            "contain %%{topic}, so that each topic's files can "
                            "be told apart on recovery",
                            ls_conf_get(conf, "archive.path"),
                            ls_conf_get(conf, "archive.prefix"));
    }
    const char *path_s = ls_conf_get(conf, "archive.path");
    const char *prefix_s = ls_conf_get(conf, "archive.prefix");
    if (path_s[0] == '/' || strstr(path_s, "..") || strchr(prefix_s, '/')) {
        ls_writer_destroy(w);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "archive.path \"%s\" / archive.prefix \"%s\": "
                            "expected a path relative to the destination "
                            "without \"..\", and a prefix without '/'",
                            path_s, prefix_s);
    }
    if (ls_template_uses_time(w->prefix) || ls_template_uses_record(w->prefix)) {
        ls_writer_destroy(w);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "archive.prefix \"%s\" may use only %%{topic} and "
                            "%%{partition} (time and record escapes belong in "
                            "archive.path)",
                            ls_conf_get(conf, "archive.prefix"));
    }
    w->path_uses_record = ls_template_uses_record(w->path);
    w->gzip = ls__conf_bool(conf, "archive.gzip");
    const char *suffix = ls_conf_get(conf, "archive.suffix");
    const char *inuse = ls_conf_get(conf, "archive.in.use.suffix");
    if (strchr(suffix, '/') || strchr(inuse, '/') || !*inuse) {
        ls_writer_destroy(w);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "archive.suffix \"%s\" / archive.in.use.suffix "
                            "\"%s\": expected names without '/', the in-use "
                            "suffix not empty",
                            suffix, inuse);
    }
    if (asprintf(&w->suffix, "%s%s", suffix, w->gzip ? ".gz" : "") < 0 ||
        !(w->inuse = strdup(inuse))) {
        ls_writer_destroy(w);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    w->roll_count = ls__conf_int(conf, "archive.roll.count");
    w->roll_bytes = ls__conf_int(conf, "archive.roll.bytes");
    w->roll_interval = ls__conf_int(conf, "archive.roll.interval");
    w->idle_timeout = ls__conf_int(conf, "archive.idle.timeout");
    w->envelope = !strcmp(ls_conf_get(conf, "archive.format"), "envelope");
    w->processing_time = !strcmp(ls_conf_get(conf, "archive.time"), "processing");
    w->bufcap = (size_t)ls__conf_int(conf, "archive.buffer.bytes");
    /* Each WebHDFS append costs two HTTP requests: bigger chunks there. */
    if (!ls_conf_is_set(conf, "archive.buffer.bytes") &&
        strcmp(ls_backend_name(backend), "local"))
        w->bufcap = 256 * 1024;
    *out = w;
    return NULL;
}

void ls_writer_set_closed_cb(ls_writer_t *w, ls_file_closed_cb_t *cb,
                             void *opaque)
{
    if (w) {
        w->cb = cb;
        w->cb_opaque = opaque;
    }
}

static slot_t *slot_get(ls_writer_t *w, const char *topic, int32_t partition,
                        int create)
{
    /* The last slot first: records come in runs of one partition.  The
     * name is compared too (a caller's buffer may be reused). */
    if (w->last < w->nslots && w->slots[w->last].partition == partition &&
        !strcmp(w->slots[w->last].topic, topic))
        return &w->slots[w->last];
    for (size_t i = 0; i < w->nslots; i++)
        if (w->slots[i].partition == partition &&
            !strcmp(w->slots[i].topic, topic)) {
            w->slots[i].topic_id = topic;
            w->last = i;
            return &w->slots[i];
        }
    if (!create)
        return NULL;
    if (w->nslots == w->capslots) {
        size_t cap = w->capslots ? w->capslots * 2 : 32;
        slot_t *n = realloc(w->slots, cap * sizeof(*n));
        if (!n)
            return NULL;
        w->slots = n;
        w->capslots = cap;
    }
    slot_t *s = &w->slots[w->nslots];
    memset(s, 0, sizeof(*s));
    if (!(s->topic = strdup(topic)) || !(s->buf = malloc(w->bufcap)) ||
        !(s->cdir = malloc(PATH_MAX_LEN)) || !(s->cprefix = malloc(1024))) {
        free(s->topic);
        free(s->buf);
        free(s->cdir);
        return NULL;
    }
    s->topic_id = topic;
    s->partition = partition;
    s->rewind = -1;
    w->last = w->nslots++;
    return s;
}

static void tmp_name(const ls_writer_t *w, const slot_t *s, char *buf,
                     size_t size)
{
    snprintf(buf, size, "%s%s%s+%" PRId32 "+%010" PRId64 "%s%s", s->dir,
             *s->dir ? "/" : "", s->prefix, s->partition, s->first, w->suffix,
             w->inuse);
}

static void final_name(const ls_writer_t *w, const slot_t *s, char *buf,
                       size_t size)
{
    snprintf(buf, size,
             "%s%s%s+%" PRId32 "+%010" PRId64 "+%010" PRId64 "%s", s->dir,
             *s->dir ? "/" : "", s->prefix, s->partition, s->first, s->last,
             w->suffix);
}

/* Forget the open file's state (the backend file is already closed). */
static void slot_reset(slot_t *s)
{
    if (s->gz)
        deflateEnd(&s->z);
    s->gz = 0;
    s->open = 0;
    s->f = NULL;
    s->len = 0;
    free(s->dir);
    free(s->prefix);
    s->dir = s->prefix = NULL;
}

void ls_writer_discard_partition(ls_writer_t *w, const char *topic,
                                 int32_t partition)
{
    if (!w || !topic)
        return;
    slot_t *s = slot_get(w, topic, partition, 0);
    if (!s || !s->open)
        return;
    char path[PATH_MAX_LEN];
    tmp_name(w, s, path, sizeof(path));
    ls_error_destroy(ls_backend_close(w->backend, s->f));
    ls_error_destroy(ls_backend_remove(w->backend, path));
    slot_reset(s);
}

static ls_error_t *flush_buf(ls_writer_t *w, slot_t *s)
{
    if (!s->len)
        return NULL;
    ls_error_t *err = ls_backend_append(w->backend, s->f, s->buf, s->len);
    s->len = 0;
    if (!err)
        w->appends++;
    return err;
}

/* Append bytes to the slot's buffer, compressing when gzip is on. */
static ls_error_t *put(ls_writer_t *w, slot_t *s, const void *data, size_t n)
{
    ls_error_t *err;
    if (!s->gz) {
        if (s->len + n > w->bufcap) {
            if ((err = flush_buf(w, s)))
                return err;
            if (n >= w->bufcap)
                return ls_backend_append(w->backend, s->f, data, n);
        }
        memcpy(s->buf + s->len, data, n);
        s->len += n;
        return NULL;
    }
    s->z.next_in = (Bytef *)data;
    s->z.avail_in = (uInt)n;
    while (s->z.avail_in) {
        s->z.next_out = (Bytef *)s->buf + s->len;
        s->z.avail_out = (uInt)(w->bufcap - s->len);
        deflate(&s->z, Z_NO_FLUSH);
        s->len = w->bufcap - s->z.avail_out;
        if (s->len == w->bufcap && (err = flush_buf(w, s)))
            return err;
    }
    return NULL;
}

static ls_error_t *gz_finish(ls_writer_t *w, slot_t *s)
{
    ls_error_t *err;
    int r;
    s->z.next_in = NULL;
    s->z.avail_in = 0;
    do {
        s->z.next_out = (Bytef *)s->buf + s->len;
        s->z.avail_out = (uInt)(w->bufcap - s->len);
        r = deflate(&s->z, Z_FINISH);
        s->len = w->bufcap - s->z.avail_out;
        if ((err = flush_buf(w, s)))
            return err;
    } while (r == Z_OK || r == Z_BUF_ERROR);
    return r == Z_STREAM_END ? NULL
                             : ls_error_new(LS_ERR_GENERIC, "gzip: deflate failed (%d)", r);
}

/* Close slots' files, make them durable, rename them to their final
 * names and report them, with one flush and one directory sync for the
 * lot where the backend allows.  A file that fails is discarded and the
 * error names the offsets lost from it (not committed). */
static ls_error_t *finalize_many(ls_writer_t *w, slot_t **slots, size_t n)
{
    ls_error_t *err = NULL, *e;
    size_t m = 0, done = 0;
    ls_bfile_t **files = calloc(n ? n : 1, sizeof(*files));
    char **tmp = calloc(n ? n : 1, sizeof(char *));
    char **fin = calloc(n ? n : 1, sizeof(char *));
    slot_t **ok = calloc(n ? n : 1, sizeof(slot_t *));
    if (!files || !tmp || !fin || !ok) {
        err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        slot_t *s = slots[i];
        char t[PATH_MAX_LEN], f[PATH_MAX_LEN];
        if (!s->open)
            continue;
        tmp_name(w, s, t, sizeof(t));
        final_name(w, s, f, sizeof(f));
        e = s->gz ? gz_finish(w, s) : flush_buf(w, s);
        if (!e && (!(tmp[m] = strdup(t)) || !(fin[m] = strdup(f))))
            e = ls_error_new(LS_ERR_NOMEM, "out of memory");
        if (e) {
            free(tmp[m]);
            tmp[m] = NULL;
            e = ls_error_prefix(e, "closing %s [%d] offsets %" PRId64 "..%" PRId64
                                   " (not committed)",
                                s->topic, (int)s->partition, s->first, s->last);
            set_rewind(s, s->first);
            ls_writer_discard_partition(w, s->topic, s->partition);
            if (!err)
                err = e;
            else
                ls_error_destroy(e);
            continue;
        }
        files[m] = s->f;
        s->f = NULL;
        ok[m++] = s;
    }
    if (!m)
        goto out;
    if ((e = ls_backend_close_many(w->backend, files, m))) {
        e = ls_error_prefix(e, "closing %zu file(s) of %s [%d] and others "
                               "(not committed)",
                            m, ok[0]->topic, (int)ok[0]->partition);
        done = 0;
    } else {
        e = ls_backend_rename_many(w->backend, (const char *const *)tmp,
                                   (const char *const *)fin, m, &done);
        if (e)
            e = ls_error_prefix(e, "renaming %s [%d] offsets %" PRId64
                                   "..%" PRId64 " (not committed)",
                                ok[done]->topic, (int)ok[done]->partition,
                                ok[done]->first, ok[done]->last);
    }
    if (e) {
        if (!err)
            err = e;
        else
            ls_error_destroy(e);
    }
    for (size_t i = 0; i < m; i++) {
        slot_t *s = ok[i];
        int64_t first = s->first, last = s->last;
        uint64_t records = s->records, bytes = s->bytes;
        slot_reset(s);
        if (i >= done) {
            set_rewind(s, first);
            ls_error_destroy(ls_backend_remove(w->backend, tmp[i]));
            continue;
        }
        w->files++;
        w->records += records;
        w->bytes += bytes;
        if (w->cb)
            w->cb(w->cb_opaque, s->topic, s->partition, first, last, fin[i],
                  records, bytes);
    }
out:
    for (size_t i = 0; i < n; i++) {
        if (tmp)
            free(tmp[i]);
        if (fin)
            free(fin[i]);
    }
    free(files);
    free(tmp);
    free(fin);
    free(ok);
    return err;
}

static ls_error_t *finalize(ls_writer_t *w, slot_t *s)
{
    return s->open ? finalize_many(w, &s, 1) : NULL;
}

static ls_error_t *open_file(ls_writer_t *w, slot_t *s, const char *dir,
                             const char *prefix, int64_t offset)
{
    char tmp[PATH_MAX_LEN];
    ls_error_t *err = NULL;
    if (*dir && (!w->lastdir || strcmp(w->lastdir, dir))) {
        if ((err = ls_backend_mkdirs(w->backend, dir)))
            return err;
        free(w->lastdir);
        w->lastdir = strdup(dir);
    }
    s->dir = strdup(dir);
    s->prefix = strdup(prefix);
    if (!s->dir || !s->prefix) {
        slot_reset(s);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    s->first = s->last = offset;
    s->records = s->bytes = 0;
    s->len = 0;
    tmp_name(w, s, tmp, sizeof(tmp));
    if ((err = ls_backend_create(w->backend, tmp, &s->f))) {
        slot_reset(s);
        return err;
    }
    if (w->gzip) {
        memset(&s->z, 0, sizeof(s->z));
        if (deflateInit2(&s->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            ls_error_destroy(ls_backend_close(w->backend, s->f));
            ls_error_destroy(ls_backend_remove(w->backend, tmp));
            slot_reset(s);
            return ls_error_new(LS_ERR_NOMEM, "gzip: deflateInit failed");
        }
        s->gz = 1;
    }
    s->open = 1;
    s->opened_at = s->last_write = w->now = mono_now();
    return NULL;
}

ls_error_t *ls_writer_write(ls_writer_t *w, const ls_event_t *ev)
{
    if (!w || !ev)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_writer_write: no event");
    const char *topic = ls_event_topic(ev);
    int32_t partition = ls_event_partition(ev);
    int64_t offset = ls_event_offset(ev);
    slot_t *s = slot_get(w, topic, partition, 1);
    if (!s)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    int64_t t = w->processing_time ? wall_ms() : ls_event_timestamp(ev);
    if (t < 0)
        t = wall_ms();
    int64_t sec = t >= 0 ? t / 1000 : -((-t + 999) / 1000);
    const char *dir = s->cdir, *prefix = s->cprefix;
    ls_error_t *err;
    int same = s->cvalid && s->csec == sec;
    if (!same) {
        size_t dl = ls_template_expand(w->path, ev, t, s->cdir, PATH_MAX_LEN);
        size_t pl = ls_template_expand(w->prefix, ev, t, s->cprefix, 1024);
        if (dl >= PATH_MAX_LEN || pl >= 1024) {
            s->cvalid = 0;
            return ls_error_new(LS_ERR_BAD_RECORD,
                                "%s [%d] offset %" PRId64 ": expanded path is "
                                "too long (%zu bytes)",
                                topic, (int)partition, offset, dl + pl);
        }
        /* Strip a trailing '/' so that names join cleanly. */
        while (dl > 0 && s->cdir[dl - 1] == '/')
            s->cdir[--dl] = '\0';
        s->csec = sec;
        s->cvalid = !w->path_uses_record;
    }
    if (s->open && (offset <= s->last ||
                    (!same && (strcmp(s->dir, dir) || strcmp(s->prefix, prefix))))) {
        if (offset <= s->last) {
            /* Replayed records (e.g. after a seek): start over cleanly. */
            ls_writer_discard_partition(w, topic, partition);
        } else if ((err = finalize(w, s))) {
            return err;
        }
    }
    if (!s->open && (err = open_file(w, s, dir, prefix, offset))) {
        set_rewind(s, offset);
        return ls_error_prefix(err, "%s [%d] offset %" PRId64, topic,
                               (int)partition, offset);
    }
    size_t len;
    const void *v;
    if (w->envelope) {
        len = ls_event_to_json(ev, w->jbuf, w->jcap);
        if (len >= w->jcap) {
            size_t cap = len + 1 > 2 * w->jcap ? len + 1 : 2 * w->jcap;
            char *nb = realloc(w->jbuf, cap);
            if (!nb)
                return ls_error_new(LS_ERR_NOMEM, "out of memory");
            w->jbuf = nb;
            w->jcap = cap;
            len = ls_event_to_json(ev, w->jbuf, w->jcap);
        }
        v = w->jbuf;
    } else {
        v = ls_event_value(ev, &len);
    }
    int newline = !len || ((const char *)v)[len - 1] != '\n';
    err = len ? put(w, s, v, len) : NULL;
    if (!err && newline)
        err = put(w, s, "\n", 1);
    if (err) {
        int64_t first = s->first;
        set_rewind(s, first);
        ls_writer_discard_partition(w, topic, partition);
        return ls_error_prefix(err, "writing %s [%d] offsets %" PRId64
                                    "..%" PRId64 " (discarded, not committed)",
                               topic, (int)partition, first, offset);
    }
    s->last = offset;
    s->records++;
    s->bytes += len + (size_t)newline;
    /* A coarse clock (jiffy resolution) is enough for idle timeouts in
     * seconds and cheaper per record than CLOCK_MONOTONIC. */
    s->last_write = coarse_now();
    if ((w->roll_count > 0 && s->records >= (uint64_t)w->roll_count) ||
        (w->roll_bytes > 0 && s->bytes >= (uint64_t)w->roll_bytes))
        return finalize(w, s);
    return NULL;
}

uint64_t ls_writer_io_count(const ls_writer_t *w)
{
    return w ? w->appends + w->files : 0;
}

ls_error_t *ls_writer_tick(ls_writer_t *w)
{
    if (!w || (!w->roll_interval && !w->idle_timeout))
        return NULL;
    double now = w->now = mono_now();
    for (size_t i = 0; i < w->nslots; i++) {
        slot_t *s = &w->slots[i];
        if (!s->open)
            continue;
        if ((w->roll_interval && now - s->opened_at >= (double)w->roll_interval) ||
            (w->idle_timeout && now - s->last_write >= (double)w->idle_timeout)) {
            ls_error_t *err = finalize(w, s);
            if (err)
                return err;
        }
    }
    return NULL;
}

ls_error_t *ls_writer_close_partition(ls_writer_t *w, const char *topic,
                                      int32_t partition)
{
    if (!w || !topic)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_writer_close_partition: "
                                                "no topic");
    slot_t *s = slot_get(w, topic, partition, 0);
    return s ? finalize(w, s) : NULL;
}

ls_error_t *ls_writer_close_all(ls_writer_t *w)
{
    if (!w || !w->nslots)
        return NULL;
    slot_t **open = calloc(w->nslots, sizeof(slot_t *));
    if (!open)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < w->nslots; i++)
        if (w->slots[i].open)
            open[n++] = &w->slots[i];
    ls_error_t *err = finalize_many(w, open, n);
    free(open);
    return err;
}

void ls_writer_take_rewinds(ls_writer_t *w, ls_rewind_cb_t *cb, void *opaque)
{
    for (size_t i = 0; w && i < w->nslots; i++) {
        slot_t *s = &w->slots[i];
        if (s->rewind < 0)
            continue;
        int64_t off = s->rewind;
        s->rewind = -1;
        if (cb)
            cb(opaque, s->topic, s->partition, off);
    }
}

void ls_writer_stats(const ls_writer_t *w, uint64_t *files, uint64_t *records,
                     uint64_t *bytes, size_t *open_files)
{
    size_t open = 0;
    for (size_t i = 0; w && i < w->nslots; i++)
        open += w->slots[i].open;
    if (files)
        *files = w ? w->files : 0;
    if (records)
        *records = w ? w->records : 0;
    if (bytes)
        *bytes = w ? w->bytes : 0;
    if (open_files)
        *open_files = open;
}

/* ---- recovery ---- */

typedef struct {
    ls_writer_t *w;
    const char *topic;
    const char *prefix; /* expanded for the topic (no partition escape) or
                           NULL when it depends on the partition */
    const int32_t *partitions;
    size_t n;
    int64_t *next;
    char **subdirs; /* directories still to scan */
    size_t nsub, capsub;
    char **stale; /* in-use files to delete */
    size_t nstale, capstale;
    const char *cur; /* directory being listed */
    ls_error_t *err;
} scan_t;

static int push(char ***arr, size_t *n, size_t *cap, char *s)
{
    if (!s)
        return -1;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        char **a = realloc(*arr, c * sizeof(char *));
        if (!a) {
            free(s);
            return -1;
        }
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = s;
    return 0;
}

/* Parse "+<digits>" backwards from end (exclusive); returns the start of
 * the '+' or NULL. */
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

static int ends_with(const char *s, size_t n, const char *suf)
{
    size_t m = strlen(suf);
    return n >= m && !memcmp(s + n - m, suf, m);
}

/* Which of the partitions does name belong to, with the prefix check. */
static ssize_t match_partition(scan_t *sc, const char *name, const char *plus,
                               int32_t part)
{
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->partitions[i] != part)
            continue;
        char pre[1024];
        const char *want = sc->prefix;
        if (!want) {
            ls_template_expand_tp(sc->w->prefix, sc->topic, part, 0, pre,
                                  sizeof(pre));
            want = pre;
        }
        size_t pl = strlen(want);
        if ((size_t)(plus - name) != pl || memcmp(name, want, pl))
            return -1;
        return (ssize_t)i;
    }
    return -1;
}

static void on_entry(void *opaque, const char *name, int is_dir, int64_t size)
{
    scan_t *sc = opaque;
    (void)size;
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "%s%s%s", sc->cur, *sc->cur ? "/" : "", name);
    if (is_dir) {
        if (push(&sc->subdirs, &sc->nsub, &sc->capsub, strdup(path)) && !sc->err)
            sc->err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        return;
    }
    size_t n = strlen(name);
    const ls_writer_t *w = sc->w;
    int64_t first, last, part;
    const char *p;
    if (ends_with(name, n, w->inuse) &&
        ends_with(name, n - strlen(w->inuse), w->suffix)) {
        const char *end = name + n - strlen(w->inuse) - strlen(w->suffix);
        if (!(p = back_num(name, end, &first)) ||
            !(p = back_num(name, p, &part)))
            return;
        if (match_partition(sc, name, p, (int32_t)part) >= 0 &&
            push(&sc->stale, &sc->nstale, &sc->capstale, strdup(path)) &&
            !sc->err)
            sc->err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        return;
    }
    if (!ends_with(name, n, w->suffix))
        return;
    const char *end = name + n - strlen(w->suffix);
    if (!(p = back_num(name, end, &last)) || !(p = back_num(name, p, &first)) ||
        !(p = back_num(name, p, &part)))
        return;
    ssize_t i = match_partition(sc, name, p, (int32_t)part);
    if (i >= 0 && last + 1 > sc->next[i])
        sc->next[i] = last + 1;
}

ls_error_t *ls_writer_recover(ls_writer_t *w, const char *topic,
                              const int32_t *partitions, size_t n,
                              int64_t *next_offsets)
{
    char root[PATH_MAX_LEN], prefix[1024];
    if (!w || !topic || (n && (!partitions || !next_offsets)))
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_writer_recover: bad "
                                                "arguments");
    for (size_t i = 0; i < n; i++) {
        next_offsets[i] = -1;
        ls_writer_discard_partition(w, topic, partitions[i]);
    }
    if (!n)
        return NULL;
    /* The prefix may name the partition; then it is checked per file. */
    char probe_a[1024], probe_b[1024];
    ls_template_expand_tp(w->prefix, topic, 0, 0, probe_a, sizeof(probe_a));
    ls_template_expand_tp(w->prefix, topic, 1, 0, probe_b, sizeof(probe_b));
    int prefix_by_part = strcmp(probe_a, probe_b) != 0;
    ls_template_expand_tp(w->prefix, topic, partitions[0], 0, prefix,
                          sizeof(prefix));
    /* Scan from the static part of the path (one root for all partitions
     * unless the path names the partition: then the topic's root). */
    ls_template_static_dir(w->path, topic, partitions[0], root, sizeof(root));
    char other[PATH_MAX_LEN];
    for (size_t i = 1; i < n; i++) {
        ls_template_static_dir(w->path, topic, partitions[i], other,
                               sizeof(other));
        if (strcmp(other, root)) {
            /* Partition-specific roots: recover one at a time. */
            for (size_t k = 0; k < n; k++) {
                ls_error_t *err =
                    ls_writer_recover(w, topic, &partitions[k], 1,
                                      &next_offsets[k]);
                if (err)
                    return err;
            }
            return NULL;
        }
    }
    scan_t sc = {0};
    sc.w = w;
    sc.topic = topic;
    sc.prefix = prefix_by_part && n > 1 ? NULL : prefix;
    sc.partitions = partitions;
    sc.n = n;
    sc.next = next_offsets;
    size_t rl = strlen(root);
    while (rl && root[rl - 1] == '/')
        root[--rl] = '\0';
    if (push(&sc.subdirs, &sc.nsub, &sc.capsub, strdup(root)))
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    ls_error_t *err = NULL;
    while (sc.nsub && !err && !sc.err) {
        char *dir = sc.subdirs[--sc.nsub];
        sc.cur = dir;
        err = ls_backend_list(w->backend, dir, on_entry, &sc);
        if (ls_error_code(err) == LS_ERR_NOT_FOUND) {
            ls_error_destroy(err);
            err = NULL;
        }
        free(dir);
    }
    if (!err)
        err = sc.err;
    else
        ls_error_destroy(sc.err);
    for (size_t i = 0; i < sc.nsub; i++)
        free(sc.subdirs[i]);
    free(sc.subdirs);
    for (size_t i = 0; i < sc.nstale; i++) {
        if (!err) {
            err = ls_backend_remove(w->backend, sc.stale[i]);
            if (ls_error_code(err) == LS_ERR_NOT_FOUND) {
                ls_error_destroy(err);
                err = NULL;
            }
        }
        free(sc.stale[i]);
    }
    free(sc.stale);
    if (err)
        return ls_error_prefix(err, "recovering %s from %s", topic,
                               ls_backend_root(w->backend));
    return NULL;
}
