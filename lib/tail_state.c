/* libstream: the tail's parts that need no broker — the position file,
 * line splitting, the ring of in-flight lines — declared in tail_int.h so
 * that unit tests reach them.  The tail itself is lib/tail.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tail_int.h"

/* ------------------------------------------------------------------ */
/* Fingerprints                                                        */

uint64_t ls__tail_hash(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* ------------------------------------------------------------------ */
/* Line splitting                                                      */

size_t ls__tail_split(const char *buf, size_t n, size_t line_max, int flush,
                      ls__tail_line_cb_t *cb, void *opaque)
{
    size_t start = 0;
    if (line_max == 0)
        line_max = 1;
    while (start < n) {
        size_t avail = n - start;
        size_t lim = avail < line_max + 1 ? avail : line_max + 1;
        const char *nl = memchr(buf + start, '\n', lim);
        if (nl) {
            size_t len = (size_t)(nl - (buf + start));
            if (cb(opaque, buf + start, len, start + len + 1))
                return start;
            start += len + 1;
        } else if (avail > line_max) {
            /* A line longer than line_max: send a piece. */
            if (cb(opaque, buf + start, line_max, start + line_max))
                return start;
            start += line_max;
        } else {
            /* A last line without its newline: wait, unless finished. */
            if (flush && !cb(opaque, buf + start, avail, n))
                start = n;
            break;
        }
    }
    return start;
}

/* ------------------------------------------------------------------ */
/* In-flight ring                                                      */

int ls__tail_ring_push(ls__tail_ring_t *r, const ls__tail_slot_t *slot,
                       uint64_t *seq)
{
    if (r->next - r->head == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        ls__tail_slot_t *s = malloc(cap * sizeof(*s));
        if (!s)
            return -1;
        for (uint64_t i = r->head; i < r->next; i++)
            s[i & (cap - 1)] = r->s[i & (r->cap - 1)];
        free(r->s);
        r->s = s;
        r->cap = cap;
    }
    r->s[r->next & (r->cap - 1)] = *slot;
    *seq = r->next++;
    return 0;
}

ls__tail_slot_t *ls__tail_ring_get(ls__tail_ring_t *r, uint64_t seq)
{
    if (seq < r->head || seq >= r->next)
        return NULL;
    return &r->s[seq & (r->cap - 1)];
}

void ls__tail_ring_unpush(ls__tail_ring_t *r)
{
    if (r->next > r->head)
        r->next--;
}

int ls__tail_ring_pop(ls__tail_ring_t *r, ls__tail_slot_t *out)
{
    if (r->head == r->next)
        return 0;
    ls__tail_slot_t *s = &r->s[r->head & (r->cap - 1)];
    if (s->state == LS__SLOT_PENDING)
        return 0;
    *out = *s;
    r->head++;
    return 1;
}

void ls__tail_ring_free(ls__tail_ring_t *r)
{
    free(r->s);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Position file                                                       */

void ls__tail_pos_clear(ls__tail_pos_t *pos)
{
    if (!pos)
        return;
    free(pos->topic);
    free(pos->scan_from);
    for (size_t i = 0; i < pos->n; i++)
        free(pos->e[i].path);
    free(pos->e);
    memset(pos, 0, sizeof(*pos));
}

/* Integers beyond 2^53 do not survive a JSON double: write them as
 * strings; the reader takes both. */
static cJSON *json_u64(uint64_t v)
{
    if (v < (1ULL << 53))
        return cJSON_CreateNumber((double)v);
    char s[24];
    snprintf(s, sizeof(s), "%" PRIu64, v);
    return cJSON_CreateString(s);
}

static int json_get_u64(const cJSON *o, const char *name, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
        v->valuedouble < 18446744073709551616.0) {
        *out = (uint64_t)v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v->valuestring, &end, 0);
        if (!errno && !*end) {
            *out = x;
            return 0;
        }
    }
    return -1;
}

static int add_item(cJSON *o, const char *name, cJSON *item)
{
    if (!item)
        return -1;
    cJSON_AddItemToObject(o, name, item);
    return 0;
}

static ls_error_t *write_all(int fd, const char *s, size_t n, const char *path)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return ls_error_new(LS_ERR_IO, "position file %s: write: %s",
                                path, strerror(errno));
        }
        s += w;
        n -= (size_t)w;
    }
    return NULL;
}

ls_error_t *ls__tail_pos_write(const char *path, const ls__tail_pos_t *pos)
{
    if (!path || !pos)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls__tail_pos_write: path and pos are required");
    cJSON *root = cJSON_CreateObject(), *parts = NULL, *files = NULL;
    int bad = !root;
    if (!bad) {
        bad |= add_item(root, "version", cJSON_CreateNumber(1));
        bad |= add_item(root, "topic", cJSON_CreateString(pos->topic ? pos->topic : ""));
        bad |= add_item(root, "clean", cJSON_CreateBool(pos->clean));
        bad |= add_item(root, "partitions", parts = cJSON_CreateObject());
        bad |= add_item(root, "files", files = cJSON_CreateArray());
    }
    for (int32_t p = 0; !bad && p < pos->nparts; p++) {
        if (pos->scan_from[p] < 0)
            continue;
        char k[16];
        snprintf(k, sizeof(k), "%d", (int)p);
        bad |= add_item(parts, k, json_u64((uint64_t)pos->scan_from[p]));
    }
    for (size_t i = 0; !bad && i < pos->n; i++) {
        const ls__tail_pos_entry_t *e = &pos->e[i];
        cJSON *o = cJSON_CreateObject();
        char h[24];
        if (!o) {
            bad = 1;
            break;
        }
        cJSON_AddItemToArray(files, o);
        snprintf(h, sizeof(h), "%016" PRIx64, e->hash);
        bad |= add_item(o, "inode", json_u64(e->ino));
        bad |= add_item(o, "dev", json_u64(e->dev));
        bad |= add_item(o, "pos", json_u64((uint64_t)e->pos));
        bad |= add_item(o, "epoch", cJSON_CreateNumber(e->epoch));
        bad |= add_item(o, "hash", cJSON_CreateString(h));
        bad |= add_item(o, "hashlen", cJSON_CreateNumber(e->hashlen));
        bad |= add_item(o, "file", cJSON_CreateString(e->path ? e->path : ""));
    }
    char *text = bad ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return ls_error_new(LS_ERR_NOMEM, "position file %s: out of memory",
                            path);

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp) {
        cJSON_free(text);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    ls_error_t *err = NULL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err = ls_error_new(errno == EACCES ? LS_ERR_ACCESS : LS_ERR_IO,
                           "position file %s: cannot create: %s", tmp,
                           strerror(errno));
    } else {
        err = write_all(fd, text, strlen(text), tmp);
        if (!err)
            err = write_all(fd, "\n", 1, tmp);
        if (!err && fsync(fd))
            err = ls_error_new(LS_ERR_IO, "position file %s: fsync: %s", tmp,
                               strerror(errno));
        if (close(fd) && !err)
            err = ls_error_new(LS_ERR_IO, "position file %s: close: %s", tmp,
                               strerror(errno));
        if (!err && rename(tmp, path))
            err = ls_error_new(LS_ERR_IO, "position file %s: rename from %s: %s",
                               path, tmp, strerror(errno));
        if (err)
            unlink(tmp);
    }
    if (!err) {
        /* Make the rename itself durable. */
        const char *slash = strrchr(path, '/');
        char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                          : strdup(".");
        int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    free(tmp);
    cJSON_free(text);
    return err;
}

static ls_error_t *parse_entry(const cJSON *o, ls__tail_pos_entry_t *e,
                               const char *path, size_t idx)
{
    uint64_t pos = 0, v = 0;
    memset(e, 0, sizeof(*e));
    if (!cJSON_IsObject(o) || json_get_u64(o, "inode", &e->ino) ||
        json_get_u64(o, "pos", &pos) || pos > (uint64_t)INT64_MAX)
        return ls_error_new(LS_ERR_IO,
                            "position file %s: entry %zu: expected an object "
                            "with \"inode\" and \"pos\"",
                            path, idx);
    e->pos = (int64_t)pos;
    if (!json_get_u64(o, "dev", &v))
        e->dev = v;
    if (!json_get_u64(o, "epoch", &v))
        e->epoch = (uint32_t)v;
    if (!json_get_u64(o, "hashlen", &v) && v <= LS__TAIL_FP_MAX)
        e->hashlen = (uint32_t)v;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "hash");
    if (cJSON_IsString(h))
        e->hash = strtoull(h->valuestring, NULL, 16);
    else
        e->hashlen = 0;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "file");
    e->path = strdup(cJSON_IsString(f) ? f->valuestring : "");
    if (!e->path)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    return NULL;
}

ls_error_t *ls__tail_pos_read(const char *path, ls__tail_pos_t *out)
{
    if (!path || !out)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls__tail_pos_read: path and out are required");
    memset(out, 0, sizeof(*out));
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ls_error_new(errno == ENOENT ? LS_ERR_NOT_FOUND : LS_ERR_IO,
                            "position file %s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *n = realloc(text, ncap);
            if (!n) {
                free(text);
                fclose(fp);
                return ls_error_new(LS_ERR_NOMEM, "out of memory");
            }
            text = n;
            cap = ncap;
        }
        size_t r = fread(text + len, 1, cap - len - 1, fp);
        len += r;
        if (r == 0)
            break;
    }
    int rerr = ferror(fp);
    fclose(fp);
    if (rerr) {
        free(text);
        return ls_error_new(LS_ERR_IO, "position file %s: read error", path);
    }
    text[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        ls_error_t *e = ls_error_new(LS_ERR_IO,
                                     "position file %s: not JSON (at byte %ld)",
                                     path, end ? (long)(end - text) : -1L);
        free(text);
        return e;
    }
    free(text);

    ls_error_t *err = NULL;
    const cJSON *files = root;
    if (cJSON_IsObject(root)) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "topic");
        if (cJSON_IsString(t) && t->valuestring[0] &&
            !(out->topic = strdup(t->valuestring)))
            err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        out->clean = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "clean"));
        const cJSON *parts = cJSON_GetObjectItemCaseSensitive(root, "partitions");
        const cJSON *p;
        cJSON_ArrayForEach(p, parts)
        {
            char *e;
            long id = strtol(p->string ? p->string : "", &e, 10);
            uint64_t off;
            if (err || *e || id < 0 || id > 1000000)
                continue;
            if (json_get_u64(parts, p->string, &off) || off > INT64_MAX)
                continue;
            if (id >= out->nparts) {
                int64_t *n = realloc(out->scan_from, (size_t)(id + 1) * sizeof(int64_t));
                if (!n) {
                    err = ls_error_new(LS_ERR_NOMEM, "out of memory");
                    break;
                }
                for (long i = out->nparts; i <= id; i++)
                    n[i] = -1;
                out->scan_from = n;
                out->nparts = (int32_t)(id + 1);
            }
            out->scan_from[id] = (int64_t)off;
        }
        files = cJSON_GetObjectItemCaseSensitive(root, "files");
    }
    if (!err && !cJSON_IsArray(files))
        err = ls_error_new(LS_ERR_IO,
                           "position file %s: expected {\"files\": [...]} or "
                           "a TAILDIR array",
                           path);
    int n = err ? 0 : cJSON_GetArraySize(files);
    if (n > 0 && !(out->e = calloc((size_t)n, sizeof(*out->e))))
        err = ls_error_new(LS_ERR_NOMEM, "out of memory");
    for (int i = 0; !err && i < n; i++) {
        err = parse_entry(cJSON_GetArrayItem(files, i), &out->e[i], path,
                          (size_t)i);
        if (!err)
            out->n++;
    }
    cJSON_Delete(root);
    if (err)
        ls__tail_pos_clear(out);
    return err;
}
