/* libstream: the generic part of storage backends — argument and path
 * validation in front of every operation, and ls_backend_open()'s
 * dispatch from a destination URL to the backend that serves it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backend_int.h"
#include "backend_webhdfs.h"
#include "libstream/backend.h"

struct ls_backend_s {
    const ls_backend_ops_t *ops;
    void *self;
    char *root; /* printable root, "" for caller-supplied ops */
};

/* Opens a backend from a full destination URL whose scheme is known. */
typedef ls_error_t *(open_fn_t)(ls_backend_t **out, const char *url,
                                const ls_conf_t *conf);

static ls_error_t *open_file_url(ls_backend_t **out, const char *url,
                                 const ls_conf_t *conf);

/* The URL schemes ls_backend_open() knows.  A NULL open function means
 * "recognised but not supported yet"; adding a backend is one line. */
static const struct {
    const char *scheme;
    open_fn_t *open;
} schemes[] = {
    {"file", open_file_url},
    {"webhdfs", ls__backend_webhdfs_open},
    {"swebhdfs", ls__backend_webhdfs_open},
};

#define N_SCHEMES (sizeof(schemes) / sizeof(schemes[0]))

/* ---- construction --------------------------------------------------- */

ls_error_t *ls__backend_new_root(ls_backend_t **out,
                                 const ls_backend_ops_t *ops, void *self,
                                 const char *root)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_backend_new: out is NULL");
    *out = NULL;
    if (!ops)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_backend_new: ops is NULL");
    if (ops->struct_size < sizeof(ls_backend_ops_t))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_backend_new: ops->struct_size is %zu, "
                            "expected at least %zu "
                            "(sizeof(ls_backend_ops_t))",
                            ops->struct_size, sizeof(ls_backend_ops_t));
    if (!ops->name || !*ops->name)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_backend_new: ops->name is %s, expected a "
                            "non-empty name",
                            ops->name ? "empty" : "NULL");

    const char *missing = !ops->mkdirs    ? "mkdirs"
                          : !ops->create  ? "create"
                          : !ops->append  ? "append"
                          : !ops->close   ? "close"
                          : !ops->rename  ? "rename"
                          : !ops->remove  ? "remove"
                          : !ops->list    ? "list"
                          : !ops->stat    ? "stat"
                          : !ops->destroy ? "destroy"
                                          : NULL;
    if (missing)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_backend_new: backend \"%s\": ops->%s is "
                            "NULL, every operation is required",
                            ops->name, missing);

    ls_backend_t *b = calloc(1, sizeof(*b));
    if (!b)
        return ls_error_new(LS_ERR_NOMEM, "ls_backend_new: out of memory");
    b->root = strdup(root ? root : "");
    if (!b->root) {
        free(b);
        return ls_error_new(LS_ERR_NOMEM, "ls_backend_new: out of memory");
    }
    b->ops = ops;
    b->self = self;
    *out = b;
    return NULL;
}

ls_error_t *ls_backend_new(ls_backend_t **out, const ls_backend_ops_t *ops,
                           void *self)
{
    return ls__backend_new_root(out, ops, self, "");
}

void ls_backend_destroy(ls_backend_t *b)
{
    if (!b)
        return;
    b->ops->destroy(b->self);
    free(b->root);
    free(b);
}

const char *ls_backend_name(const ls_backend_t *b)
{
    return b ? b->ops->name : "";
}

const char *ls_backend_root(const ls_backend_t *b)
{
    return b ? b->root : "";
}

/* ---- URL dispatch --------------------------------------------------- */

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of the scheme when url starts with "scheme://", else 0. */
static size_t scheme_len(const char *url)
{
    size_t n = 0;
    if (!is_alpha(url[0]))
        return 0;
    while (is_alpha(url[n]) || (url[n] >= '0' && url[n] <= '9') ||
           url[n] == '+' || url[n] == '-' || url[n] == '.')
        n++;
    return strncmp(url + n, "://", 3) == 0 ? n : 0;
}

/* "file:///abs/dir" or "file://localhost/abs/dir" (no percent-decoding). */
static ls_error_t *open_file_url(ls_backend_t **out, const char *url,
                                 const ls_conf_t *conf)
{
    const char *p = url + strlen("file://");
    if (strncasecmp(p, "localhost/", 10) == 0)
        p += strlen("localhost");
    if (*p != '/')
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "destination \"%s\": expected file:///abs/dir "
                            "(an absolute path, no host)",
                            url);
    return ls__backend_local_open(out, p, conf, 0);
}

/* A plain directory path, made absolute against the working directory. */
static ls_error_t *open_plain_path(ls_backend_t **out, const char *path,
                                   const ls_conf_t *conf)
{
    if (path[0] == '/')
        return ls__backend_local_open(out, path, conf, 0);

    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return ls_error_new(LS_ERR_IO,
                            "destination \"%s\": cannot make it absolute: "
                            "getcwd: %s",
                            path, strerror(errno));
    size_t n = strlen(cwd), m = strlen(path);
    char *abs = malloc(n + 1 + m + 1);
    if (!abs) {
        free(cwd);
        return ls_error_new(LS_ERR_NOMEM, "ls_backend_open: out of memory");
    }
    memcpy(abs, cwd, n);
    abs[n] = '/';
    memcpy(abs + n + 1, path, m + 1);
    free(cwd);
    ls_error_t *err = ls__backend_local_open(out, abs, conf, 0);
    free(abs);
    return err;
}

ls_error_t *ls_backend_open(ls_backend_t **out, const char *url,
                            const ls_conf_t *conf)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_backend_open: out is NULL");
    *out = NULL;
    if (!url || !*url)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_backend_open: destination is %s, expected "
                            "file:///abs/dir or a directory path",
                            url ? "empty" : "NULL");

    size_t n = scheme_len(url);
    if (n == 0)
        return open_plain_path(out, url, conf);

    for (size_t i = 0; i < N_SCHEMES; i++) {
        if (strlen(schemes[i].scheme) != n ||
            strncasecmp(url, schemes[i].scheme, n) != 0)
            continue;
        if (!schemes[i].open)
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "destination scheme \"%s\" is not "
                                "supported yet",
                                schemes[i].scheme);
        return schemes[i].open(out, url, conf);
    }

    /* Name the scheme only: the rest of a URL may hold credentials. */
    char supported[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < N_SCHEMES && len < sizeof(supported); i++) {
        if (!schemes[i].open)
            continue;
        int w = snprintf(supported + len, sizeof(supported) - len, "%s%s://",
                         len ? ", " : "", schemes[i].scheme);
        if (w > 0)
            len += (size_t)w;
    }
    return ls_error_new(LS_ERR_INVALID_ARG,
                        "unknown destination scheme \"%.*s\" (supported: "
                        "%s; or a plain directory path)",
                        (int)n, url, supported);
}

/* ---- path validation ------------------------------------------------ */

/* Paths are relative to the root, '/'-separated segments that are not
 * empty, "." or "..": the one canonical spelling every backend maps the
 * same way, and the last line of defence against escaping the root.  ""
 * (the root itself) only where allow_root says so. */
static ls_error_t *check_path(const ls_backend_t *b, const char *op,
                              const char *what, const char *path,
                              int allow_root)
{
    const char *why = NULL;
    if (!path)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s %s: %s is NULL",
                            b->ops->name, op, what);
    if (!*path) {
        if (allow_root)
            return NULL;
        why = "empty path";
    } else if (path[0] == '/') {
        why = "absolute paths are not allowed, paths are relative to the "
              "backend root";
    } else {
        for (const char *s = path; !why;) {
            const char *e = strchr(s, '/');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            if (n == 0)
                why = "empty path segment";
            else if (n == 1 && s[0] == '.')
                why = "\".\" segments are not allowed";
            else if (n == 2 && s[0] == '.' && s[1] == '.')
                why = "\"..\" segments are not allowed";
            if (!e)
                break;
            s = e + 1;
        }
    }
    if (!why)
        return NULL;
    return ls_error_new(LS_ERR_INVALID_ARG,
                        "%s %s: invalid %s \"%s\": %s", b->ops->name, op,
                        what, path, why);
}

#define CHECK_B(b, fn)                                                   \
    do {                                                                 \
        if (!(b))                                                        \
            return ls_error_new(LS_ERR_INVALID_ARG, fn ": backend is NULL"); \
    } while (0)

/* ---- operations ----------------------------------------------------- */

ls_error_t *ls_backend_mkdirs(ls_backend_t *b, const char *path)
{
    CHECK_B(b, "ls_backend_mkdirs");
    ls_error_t *err = check_path(b, "mkdirs", "path", path, 1);
    if (err)
        return err;
    return b->ops->mkdirs(b->self, path);
}

ls_error_t *ls_backend_create(ls_backend_t *b, const char *path,
                              ls_bfile_t **out)
{
    if (out)
        *out = NULL;
    CHECK_B(b, "ls_backend_create");
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s create: out is NULL",
                            b->ops->name);
    ls_error_t *err = check_path(b, "create", "path", path, 0);
    if (err)
        return err;
    err = b->ops->create(b->self, path, out);
    if (err) {
        *out = NULL;
        return err;
    }
    if (!*out)
        return ls_error_new(LS_ERR_GENERIC,
                            "%s create %s: the backend returned no file",
                            b->ops->name, path);
    return NULL;
}

ls_error_t *ls_backend_append(ls_backend_t *b, ls_bfile_t *f,
                              const void *data, size_t len)
{
    CHECK_B(b, "ls_backend_append");
    if (!f)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s append: file is NULL",
                            b->ops->name);
    if (len == 0)
        return NULL;
    if (!data)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "%s append: data is NULL for %zu bytes",
                            b->ops->name, len);
    return b->ops->append(b->self, f, data, len);
}

ls_error_t *ls_backend_close(ls_backend_t *b, ls_bfile_t *f)
{
    CHECK_B(b, "ls_backend_close");
    if (!f)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s close: file is NULL",
                            b->ops->name);
    return b->ops->close(b->self, f);
}

ls_error_t *ls_backend_rename(ls_backend_t *b, const char *from,
                              const char *to)
{
    CHECK_B(b, "ls_backend_rename");
    ls_error_t *err = check_path(b, "rename", "source path", from, 0);
    if (!err)
        err = check_path(b, "rename", "target path", to, 0);
    if (err)
        return err;
    return b->ops->rename(b->self, from, to);
}

ls_error_t *ls_backend_remove(ls_backend_t *b, const char *path)
{
    CHECK_B(b, "ls_backend_remove");
    ls_error_t *err = check_path(b, "remove", "path", path, 0);
    if (err)
        return err;
    return b->ops->remove(b->self, path);
}

ls_error_t *ls_backend_list(ls_backend_t *b, const char *dir,
                            ls_list_cb_t *cb, void *opaque)
{
    CHECK_B(b, "ls_backend_list");
    if (!cb)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s list: callback is NULL",
                            b->ops->name);
    ls_error_t *err = check_path(b, "list", "directory", dir, 1);
    if (err)
        return err;
    return b->ops->list(b->self, dir, cb, opaque);
}

ls_error_t *ls_backend_stat(ls_backend_t *b, const char *path,
                            int64_t *size, int *is_dir)
{
    int64_t size_dummy = 0;
    int dir_dummy = 0;
    CHECK_B(b, "ls_backend_stat");
    ls_error_t *err = check_path(b, "stat", "path", path, 1);
    if (err)
        return err;
    /* Either output may be NULL (e.g. to test existence only). */
    return b->ops->stat(b->self, path, size ? size : &size_dummy,
                        is_dir ? is_dir : &dir_dummy);
}

ls_error_t *ls_backend_close_many(ls_backend_t *b, ls_bfile_t **files,
                                  size_t n)
{
    CHECK_B(b, "ls_backend_close_many");
    if (n && !files)
        return ls_error_new(LS_ERR_INVALID_ARG, "%s close_many: no files",
                            b->ops->name);
    if (b->ops->close_many && n > 1)
        return b->ops->close_many(b->self, files, n);
    ls_error_t *first = NULL;
    for (size_t i = 0; i < n; i++) {
        ls_error_t *err = b->ops->close(b->self, files[i]);
        if (err && !first)
            first = err;
        else
            ls_error_destroy(err);
    }
    return first;
}

ls_error_t *ls_backend_rename_many(ls_backend_t *b, const char *const *from,
                                   const char *const *to, size_t n,
                                   size_t *done)
{
    size_t ok = 0;
    ls_error_t *err = NULL;
    if (done)
        *done = 0;
    CHECK_B(b, "ls_backend_rename_many");
    if (n && (!from || !to))
        return ls_error_new(LS_ERR_INVALID_ARG, "%s rename_many: no paths",
                            b->ops->name);
    for (size_t i = 0; i < n; i++)
        if ((err = check_path(b, "rename", "source", from[i], 0)) ||
            (err = check_path(b, "rename", "target", to[i], 0)))
            return err;
    if (b->ops->rename_many && n > 1) {
        err = b->ops->rename_many(b->self, from, to, n, &ok);
    } else {
        for (; ok < n && !err; ok++)
            if ((err = b->ops->rename(b->self, from[ok], to[ok])))
                break;
    }
    if (done)
        *done = ok;
    return err;
}
