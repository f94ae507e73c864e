/* libstream: the WebHDFS storage backend (webhdfs:// and swebhdfs://).
 *
 * Files live under the URL's base path: webhdfs://nn:9870/archive and
 * the relative path "t/x.tmp" name /archive/t/x.tmp.
 *
 * Requests per file, fewest first: create() sends nothing; the first
 * append() is a CREATE (overwrite) carrying that chunk; each later
 * append() is one APPEND; close() sends nothing more (every WebHDFS write
 * request is complete and closed on the datanode when it returns), except
 * a CREATE of the empty file when no data was ever appended; rename() is
 * one RENAME.  CREATE and APPEND are two HTTP requests each (namenode 307,
 * then datanode), so a file written with N >= 1 appends costs 2N + 1
 * requests including its rename; no data is buffered here.
 *
 * Exactly-once: the file's length is tracked, so an APPEND whose reply is
 * lost is checked with GETFILESTATUS before any retry (see
 * ls_webhdfs_append); the first chunk goes with CREATE overwrite=true,
 * which is safe to repeat.  When any reply was lost during a file's life,
 * close() checks the length once more (one GETFILESTATUS), so that a
 * request a datanode finished late cannot slip into a published file.
 * After a failed append the file refuses further appends (LS_ERR_STATE):
 * the writer discards it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_int.h"
#include "backend_webhdfs.h"

typedef struct {
    ls_webhdfs_t *c;
} wh_t;

struct ls_bfile_s {
    char *path;     /* relative to the root */
    int64_t length; /* bytes written so far */
    int created;    /* the CREATE was sent */
    int broken;     /* an append failed: the content is unknown */
    int recheck;    /* a lost reply was resolved: check length at close */
};

static ls_error_t *wh_mkdirs(void *self, const char *path)
{
    wh_t *w = self;
    return ls_webhdfs_mkdirs(w->c, path);
}

static ls_error_t *wh_create(void *self, const char *path, ls_bfile_t **out)
{
    (void)self;
    ls_bfile_t *f = calloc(1, sizeof(*f));
    if (f)
        f->path = strdup(path);
    if (!f || !f->path) {
        free(f);
        return ls_error_new(LS_ERR_NOMEM, "webhdfs create %s: out of memory",
                            path);
    }
    *out = f; /* the CREATE goes with the first data (or at close) */
    return NULL;
}

static ls_error_t *wh_append(void *self, ls_bfile_t *f, const void *data,
                             size_t len)
{
    wh_t *w = self;
    ls_error_t *err;
    if (f->broken)
        return ls_error_new(LS_ERR_STATE,
                            "webhdfs append %s: an earlier append failed, "
                            "the file must be discarded",
                            f->path);
    int amb = 0;
    if (!f->created) {
        err = ls__webhdfs_create_ex(w->c, f->path, data, len, 1, &amb);
        if (!err) {
            f->created = 1;
            f->length = (int64_t)len;
        }
    } else {
        err = ls__webhdfs_append_ex(w->c, f->path, data, len, &f->length,
                                    &amb);
    }
    if (amb)
        f->recheck = 1;
    if (err)
        f->broken = 1;
    return err;
}

static ls_error_t *wh_close(void *self, ls_bfile_t *f)
{
    wh_t *w = self;
    ls_error_t *err = NULL;
    if (!f->created && !f->broken) {
        err = ls_webhdfs_create(w->c, f->path, NULL, 0, 1);
    } else if (f->recheck && !f->broken) {
        /* A request whose reply was lost could still have landed after
         * we moved on (a stalled datanode): make sure the file holds
         * exactly what we wrote before the caller publishes it. */
        int64_t have = -1;
        err = ls_webhdfs_stat(w->c, f->path, &have, NULL, NULL);
        if (!err && have != f->length)
            err = ls_error_new(LS_ERR_IO,
                               "webhdfs close %s: the file holds %lld "
                               "bytes, %lld were written (a request whose "
                               "reply was lost landed late); discard it",
                               f->path, (long long)have,
                               (long long)f->length);
    }
    free(f->path);
    free(f);
    return err;
}

static ls_error_t *wh_rename(void *self, const char *from, const char *to)
{
    wh_t *w = self;
    return ls_webhdfs_rename(w->c, from, to);
}

static ls_error_t *wh_remove(void *self, const char *path)
{
    wh_t *w = self;
    return ls_webhdfs_delete(w->c, path, 0);
}

typedef struct {
    ls_list_cb_t *cb;
    void *opaque;
} list_ctx_t;

static int on_entry(void *opaque, const char *name, ls_webhdfs_type_t type,
                    int64_t length, int64_t mtime_ms)
{
    list_ctx_t *lc = opaque;
    (void)mtime_ms;
    lc->cb(lc->opaque, name, type == LS_WEBHDFS_DIRECTORY, length);
    return 0;
}

static ls_error_t *wh_list(void *self, const char *dir, ls_list_cb_t *cb,
                           void *opaque)
{
    wh_t *w = self;
    list_ctx_t lc = {cb, opaque};
    return ls_webhdfs_list(w->c, dir, on_entry, &lc);
}

static ls_error_t *wh_stat(void *self, const char *path, int64_t *size,
                           int *is_dir)
{
    wh_t *w = self;
    ls_webhdfs_type_t type = LS_WEBHDFS_FILE;
    ls_error_t *err = ls_webhdfs_stat(w->c, path, size, &type, NULL);
    if (!err)
        *is_dir = type == LS_WEBHDFS_DIRECTORY;
    return err;
}

static void wh_destroy(void *self)
{
    wh_t *w = self;
    if (!w)
        return;
    ls_webhdfs_destroy(w->c);
    free(w);
}

/* close_many/rename_many stay NULL: WebHDFS has no batch form of either,
 * and close() sends nothing for a file that has data. */
static const ls_backend_ops_t webhdfs_ops = {
    .struct_size = sizeof(ls_backend_ops_t),
    .name = "webhdfs",
    .mkdirs = wh_mkdirs,
    .create = wh_create,
    .append = wh_append,
    .close = wh_close,
    .rename = wh_rename,
    .remove = wh_remove,
    .list = wh_list,
    .stat = wh_stat,
    .destroy = wh_destroy,
};

ls_error_t *ls__backend_webhdfs_wrap(ls_backend_t **out, ls_webhdfs_t *c)
{
    char *root = NULL;
    *out = NULL;
    wh_t *w = calloc(1, sizeof(*w));
    if (!w) {
        ls_webhdfs_destroy(c);
        return ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
    }
    w->c = c;
    /* A printable root without anything secret: scheme, namenode, base. */
    if (asprintf(&root, "%s://%s%s",
                 ls__webhdfs_tls(c) ? "swebhdfs" : "webhdfs",
                 ls_webhdfs_namenode(c), ls_webhdfs_base(c)) < 0) {
        wh_destroy(w);
        return ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
    }
    ls_error_t *err = ls__backend_new_root(out, &webhdfs_ops, w, root);
    free(root);
    if (err)
        wh_destroy(w);
    return err;
}

ls_error_t *ls__backend_webhdfs_open(ls_backend_t **out, const char *url,
                                     const ls_conf_t *conf)
{
    ls_webhdfs_t *c = NULL;
    *out = NULL;
    ls_error_t *err = ls_webhdfs_new(&c, url, conf);
    if (err)
        return ls_error_prefix(err, "destination");
    return ls__backend_webhdfs_wrap(out, c);
}
