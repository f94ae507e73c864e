/* libstream: the local filesystem backend.
 *
 * Every operation works relative to a descriptor of the root directory
 * (openat, mkdirat, renameat2, unlinkat, fstatat), never by joining path
 * strings, and never follows a symbolic link below the root: directories
 * are reached with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) when the
 * kernel has it, else by opening one component at a time with O_NOFOLLOW,
 * and the last component is handled by a call that does not follow it.
 *
 * Durability: close() fsyncs the file; rename() fsyncs the directory it
 * renamed into (and the source directory when different); mkdirs() fsyncs
 * the parent of every directory it creates.  So once rename() returns,
 * the file survives a power loss under its new name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/openat2.h>) && defined(SYS_openat2)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif
#endif

#include "backend_int.h"

typedef struct {
    int rootfd;
    char *root;        /* absolute, for messages */
    unsigned flags;    /* LS__LOCAL_* */
    int openat2_gone;  /* the kernel said ENOSYS: stop trying */
} local_t;

struct ls_bfile_s {
    int fd;
    int64_t size; /* bytes written so far, for messages */
    int64_t synced; /* bytes handed to writeback so far */
    char *path;   /* relative to the root, for messages */
};

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* ---- errors --------------------------------------------------------- */

static ls_err_t map_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: /* a parent is a file: the path does not exist */
        return LS_ERR_NOT_FOUND;
    case EEXIST:
        return LS_ERR_EXISTS;
    case EACCES:
    case EPERM:
    case EROFS:
    case ELOOP: /* a symbolic link we refuse to follow */
        return LS_ERR_ACCESS;
    case ENOMEM:
        return LS_ERR_NOMEM;
    default:
        return LS_ERR_IO;
    }
}

static const char *errno_hint(int e)
{
    return e == ELOOP ? " (symbolic links below the root are not followed)"
                      : "";
}

/* The separator between the root and a relative path in messages. */
static const char *sep(const local_t *l, const char *path)
{
    return path[0] && strcmp(l->root, "/") != 0 ? "/" : "";
}

/* "local <op> <root>/<path>: <strerror>". */
static ls_error_t *sys_err(const local_t *l, const char *op,
                           const char *path, int e)
{
    return ls_error_new(map_errno(e), "local %s %s%s%s: %s%s", op, l->root,
                        sep(l, path), path, strerror(e), errno_hint(e));
}

/* ---- path resolution ------------------------------------------------ */

/* Open the segment seg (NUL-terminated) of directory dirfd as a directory
 * without following a symbolic link (ELOOP for one, not ENOTDIR). */
static int open_dir_nofollow(int dirfd, const char *seg)
{
    int fd = openat(dirfd, seg, DIR_FLAGS);
    if (fd < 0 && errno == ENOTDIR) {
        struct stat st;
        if (fstatat(dirfd, seg, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            errno = ELOOP;
        else
            errno = ENOTDIR;
    }
    return fd;
}

/* Open the directory rel (canonical, non-empty) below the root without
 * following symbolic links.  Returns a new fd or -1 with errno set. */
static int open_dir_beneath(local_t *l, const char *rel)
{
#ifdef HAVE_OPENAT2
    if (!(l->flags & LS__LOCAL_NO_OPENAT2) && !l->openat2_gone) {
        struct open_how how;
        memset(&how, 0, sizeof(how));
        how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                      RESOLVE_NO_MAGICLINKS;
        long fd = syscall(SYS_openat2, l->rootfd, rel, &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if (errno == EXDEV) /* an escape attempt (cannot happen with
                               canonical paths): refuse like a link */
            errno = ELOOP;
        if (errno != ENOSYS)
            return -1;
        l->openat2_gone = 1;
    }
#endif
    char seg[NAME_MAX + 1];
    int cur = l->rootfd;
    for (const char *s = rel;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        int fd = -1;
        if (n > NAME_MAX) {
            errno = ENAMETOOLONG;
        } else {
            memcpy(seg, s, n);
            seg[n] = '\0';
            fd = open_dir_nofollow(cur, seg);
        }
        int saved = errno;
        if (cur != l->rootfd)
            close(cur);
        if (fd < 0) {
            errno = saved;
            return -1;
        }
        if (!e)
            return fd;
        cur = fd;
        s = e + 1;
    }
}

/* Open the directory holding path's last segment and point *leaf at that
 * segment.  Returns l->rootfd (do not close) or a new fd, or -1. */
static int open_parent(local_t *l, const char *path, const char **leaf)
{
    char buf[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *leaf = path;
        return l->rootfd;
    }
    *leaf = slash + 1;
    size_t n = (size_t)(slash - path);
    if (n >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n);
    buf[n] = '\0';
    return open_dir_beneath(l, buf);
}

static void close_parent(const local_t *l, int fd)
{
    if (fd >= 0 && fd != l->rootfd)
        close(fd);
}

/* mkdir -p of rel (canonical, may be empty) below directory base: every
 * directory created has its parent fsynced.  Returns an fd of the last
 * directory, or -1 with errno set and *fail_len the length of rel's
 * prefix that failed.  nofollow refuses symbolic links. */
static int mkdirs_at(int base, const char *rel, int nofollow,
                     size_t *fail_len)
{
    char seg[NAME_MAX + 1];
    int cur = openat(base, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *fail_len = 0;
    if (cur < 0)
        return -1;
    for (const char *s = rel; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        int fd = -1;
        *fail_len = (size_t)(s - rel) + n;
        if (n > NAME_MAX) {
            errno = ENAMETOOLONG;
            goto fail;
        }
        memcpy(seg, s, n);
        seg[n] = '\0';
        if (mkdirat(cur, seg, 0755) == 0) {
            if (fsync(cur) != 0)
                goto fail;
        } else if (errno != EEXIST) {
            goto fail;
        }
        fd = nofollow ? open_dir_nofollow(cur, seg)
                      : openat(cur, seg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            goto fail;
        close(cur);
        cur = fd;
        s = e ? e + 1 : s + n;
    }
    return cur;
fail:;
    int saved = errno;
    close(cur);
    errno = saved;
    return -1;
}

/* ---- operations ----------------------------------------------------- */

static ls_error_t *local_mkdirs(void *self, const char *path)
{
    local_t *l = self;
    size_t fail_len = 0;
    if (!*path)
        return NULL;
    /* The common case: it exists already. */
    int fd = open_dir_beneath(l, path);
    if (fd < 0)
        fd = mkdirs_at(l->rootfd, path, 1, &fail_len);
    if (fd >= 0) {
        close(fd);
        return NULL;
    }
    int e = errno;
    if (e == ENOTDIR) /* a component exists and is not a directory */
        return ls_error_new(LS_ERR_EXISTS,
                            "local mkdirs %s%s%s: %s%s%.*s exists and is "
                            "not a directory",
                            l->root, sep(l, path), path, l->root,
                            sep(l, path), (int)fail_len, path);
    return ls_error_new(map_errno(e), "local mkdirs %s%s%s: %s%s%.*s: %s%s",
                        l->root, sep(l, path), path, l->root, sep(l, path),
                        (int)fail_len, path, strerror(e), errno_hint(e));
}

static ls_error_t *local_create(void *self, const char *path,
                                ls_bfile_t **out)
{
    local_t *l = self;
    const char *leaf;
    struct stat st;
    int dfd = open_parent(l, path, &leaf);
    if (dfd < 0)
        return sys_err(l, "create", path, errno);
    /* O_NOFOLLOW: never truncate what a link points to; O_NONBLOCK: never
     * hang on a FIFO (it has no effect on regular files). */
    int fd = openat(dfd, leaf,
                    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW |
                        O_NONBLOCK,
                    0644);
    int e = errno;
    close_parent(l, dfd);
    if (fd < 0)
        return sys_err(l, "create", path, e);
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        return sys_err(l, "create", path, e);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ls_error_new(LS_ERR_EXISTS,
                            "local create %s%s%s: exists and is not a "
                            "regular file",
                            l->root, sep(l, path), path);
    }
    ls_bfile_t *f = calloc(1, sizeof(*f));
    if (f)
        f->path = strdup(path);
    if (!f || !f->path) {
        free(f);
        close(fd);
        return ls_error_new(LS_ERR_NOMEM, "local create %s%s%s: out of memory",
                            l->root, sep(l, path), path);
    }
    f->fd = fd;
    *out = f;
    return NULL;
}

static ls_error_t *local_append(void *self, ls_bfile_t *f, const void *data,
                                size_t len)
{
    local_t *l = self;
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(f->fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            return ls_error_new(map_errno(e),
                                "local append %s%s%s (at byte %lld): %s",
                                l->root, sep(l, f->path), f->path,
                                (long long)f->size, strerror(e));
        }
        p += w;
        len -= (size_t)w;
        f->size += w;
    }
    /* Start writeback of what was just written, without waiting, so that
     * the fsync at close finds little left to do. */
    if (f->size - f->synced >= (256 << 10)) {
        sync_file_range(f->fd, f->synced, f->size - f->synced,
                        SYNC_FILE_RANGE_WRITE);
        f->synced = f->size;
    }
    return NULL;
}

static ls_error_t *local_close(void *self, ls_bfile_t *f)
{
    local_t *l = self;
    const char *what = NULL;
    int e = 0;
    while (fsync(f->fd) != 0) {
        if (errno != EINTR) {
            e = errno;
            what = "fsync";
            break;
        }
    }
    /* Linux always releases the fd, even when close() fails. */
    if (close(f->fd) != 0 && !what && errno != EINTR) {
        e = errno;
        what = "close";
    }
    ls_error_t *err = NULL;
    if (what)
        err = ls_error_new(map_errno(e), "local close %s%s%s: %s: %s",
                           l->root, sep(l, f->path), f->path, what,
                           strerror(e));
    free(f->path);
    free(f);
    return err;
}

/* renameat() that fails with EEXIST when to exists. */
static int rename_noreplace(const local_t *l, int sfd, const char *sleaf,
                            int dfd, const char *dleaf)
{
#ifdef RENAME_NOREPLACE
    if (!(l->flags & LS__LOCAL_NO_RENAMEAT2)) {
        if (renameat2(sfd, sleaf, dfd, dleaf, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return -1;
    }
#else
    (void)l;
#endif
    /* A hard link cannot replace anything: atomic for regular files. */
    if (linkat(sfd, sleaf, dfd, dleaf, 0) == 0) {
        if (unlinkat(sfd, sleaf, 0) == 0)
            return 0;
        int e = errno;
        unlinkat(dfd, dleaf, 0); /* undo; the source is still there */
        errno = e;
        return -1;
    }
    if (errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK)
        return -1;
    /* Directories, or a filesystem without hard links: check, then
     * rename (racy, but only against writers below our own root). */
    struct stat st;
    if (fstatat(dfd, dleaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        errno = EEXIST;
        return -1;
    }
    if (errno != ENOENT)
        return -1;
    return renameat(sfd, sleaf, dfd, dleaf);
}

/* Length of path's directory part ("" -> 0). */
static size_t dir_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) : 0;
}

static ls_error_t *local_rename(void *self, const char *from, const char *to)
{
    local_t *l = self;
    const char *sleaf, *dleaf;
    int e = 0;
    int sfd = open_parent(l, from, &sleaf);
    int dfd = sfd < 0 ? -1 : open_parent(l, to, &dleaf);
    const char *failed = NULL;

    if (sfd < 0 || dfd < 0 ||
        rename_noreplace(l, sfd, sleaf, dfd, dleaf) != 0) {
        e = errno;
    } else if (fsync(dfd) != 0) {
        e = errno;
        failed = "fsync of the target directory";
    } else if ((dir_len(from) != dir_len(to) ||
                memcmp(from, to, dir_len(to)) != 0) &&
               fsync(sfd) != 0) {
        e = errno;
        failed = "fsync of the source directory";
    }
    close_parent(l, sfd);
    close_parent(l, dfd);
    if (!e)
        return NULL;
    return ls_error_new(map_errno(e), "local rename %s%s%s -> %s%s%s: %s%s%s%s",
                        l->root, sep(l, from), from, l->root, sep(l, to), to,
                        failed ? "renamed, but " : "", failed ? failed : "",
                        failed ? " failed: " : "", strerror(e));
}

static ls_error_t *local_remove(void *self, const char *path)
{
    local_t *l = self;
    const char *leaf;
    int dfd = open_parent(l, path, &leaf);
    int r = -1;
    if (dfd >= 0) {
        r = unlinkat(dfd, leaf, 0);
        if (r != 0 && errno == EISDIR)
            r = unlinkat(dfd, leaf, AT_REMOVEDIR);
    }
    int e = errno;
    close_parent(l, dfd);
    return r == 0 ? NULL : sys_err(l, "remove", path, e);
}

static ls_error_t *local_list(void *self, const char *dir, ls_list_cb_t *cb,
                              void *opaque)
{
    local_t *l = self;
    int fd = *dir ? open_dir_beneath(l, dir)
                  : openat(l->rootfd, ".", DIR_FLAGS);
    if (fd < 0)
        return sys_err(l, "list", dir, errno);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return sys_err(l, "list", dir, e);
    }
    for (;;) {
        struct stat st;
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            int e = errno;
            closedir(d);
            return e ? sys_err(l, "list", dir, e) : NULL;
        }
        const char *n = de->d_name;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            int e = errno;
            if (e == ENOENT) /* removed meanwhile */
                continue;
            closedir(d);
            return ls_error_new(map_errno(e), "local list %s%s%s: %s: %s",
                                l->root, sep(l, dir), dir, n, strerror(e));
        }
        int is_dir = S_ISDIR(st.st_mode);
        cb(opaque, n, is_dir, is_dir ? 0 : (int64_t)st.st_size);
    }
}

static ls_error_t *local_stat(void *self, const char *path, int64_t *size,
                              int *is_dir)
{
    local_t *l = self;
    struct stat st;
    int r, e;
    if (!*path) {
        r = fstat(l->rootfd, &st);
        e = errno;
    } else {
        const char *leaf;
        int dfd = open_parent(l, path, &leaf);
        r = dfd < 0 ? -1 : fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW);
        e = errno;
        close_parent(l, dfd);
    }
    if (r != 0)
        return sys_err(l, "stat", path, e);
    *is_dir = S_ISDIR(st.st_mode);
    *size = *is_dir ? 0 : (int64_t)st.st_size;
    return NULL;
}

static void local_destroy(void *self)
{
    local_t *l = self;
    if (!l)
        return;
    if (l->rootfd >= 0)
        close(l->rootfd);
    free(l->root);
    free(l);
}

/* Many files: one syncfs() of the filesystem instead of n fsync()s, so a
 * writer closing 96 files pays one journal commit, not 96. */
static ls_error_t *local_close_many(void *self, ls_bfile_t **files, size_t n)
{
    local_t *l = self;
    int e = 0;
    if (syncfs(files[0]->fd) != 0)
        e = errno;
    ls_error_t *err = NULL;
    for (size_t i = 0; i < n; i++) {
        if (close(files[i]->fd) != 0 && !e && errno != EINTR)
            e = errno;
        if (e && !err)
            err = ls_error_new(map_errno(e), "local close %s%s%s: syncfs: %s",
                               l->root, sep(l, files[i]->path),
                               files[i]->path, strerror(e));
        free(files[i]->path);
        free(files[i]);
    }
    return err;
}

/* Renames in order; a directory is fsynced once after the last of a run
 * of renames into it (and the source directory when it differs), so
 * *done counts only renames already made durable. */
static ls_error_t *local_rename_many(void *self, const char *const *from,
                                     const char *const *to, size_t n,
                                     size_t *done)
{
    local_t *l = self;
    ls_error_t *err = NULL;
    size_t durable = 0;
    for (size_t i = 0; i < n && !err; i++) {
        const char *sleaf, *dleaf;
        int sfd = open_parent(l, from[i], &sleaf);
        int dfd = sfd < 0 ? -1 : open_parent(l, to[i], &dleaf);
        if (sfd < 0 || dfd < 0 ||
            rename_noreplace(l, sfd, sleaf, dfd, dleaf) != 0) {
            int e = errno;
            err = ls_error_new(map_errno(e), "local rename %s%s%s -> %s%s%s: %s",
                               l->root, sep(l, from[i]), from[i], l->root,
                               sep(l, to[i]), to[i], strerror(e));
        } else {
            size_t dl = dir_len(to[i]);
            int same_src = dir_len(from[i]) == dl && !memcmp(from[i], to[i], dl);
            int last_of_run = i + 1 == n || dir_len(to[i + 1]) != dl ||
                              memcmp(to[i + 1], to[i], dl) ||
                              dir_len(from[i + 1]) != dir_len(from[i]) ||
                              memcmp(from[i + 1], from[i], dir_len(from[i]));
            if (last_of_run) {
                if (fsync(dfd) != 0 || (!same_src && fsync(sfd) != 0)) {
                    int e = errno;
                    err = ls_error_new(map_errno(e),
                                       "local rename %s%s%s: renamed, but "
                                       "fsync of the directory failed: %s",
                                       l->root, sep(l, to[i]), to[i],
                                       strerror(e));
                } else {
                    durable = i + 1;
                }
            }
        }
        close_parent(l, sfd);
        close_parent(l, dfd);
    }
    *done = durable;
    return err;
}

static const ls_backend_ops_t local_ops = {
    .struct_size = sizeof(ls_backend_ops_t),
    .name = "local",
    .mkdirs = local_mkdirs,
    .create = local_create,
    .append = local_append,
    .close = local_close,
    .rename = local_rename,
    .remove = local_remove,
    .list = local_list,
    .stat = local_stat,
    .destroy = local_destroy,
    .close_many = local_close_many,
    .rename_many = local_rename_many,
};

/* ---- opening -------------------------------------------------------- */

/* A copy of the absolute path p with "//" and "." segments and trailing
 * slashes dropped ("/" stays "/"); ".." is kept as given. */
static char *clean_root(const char *p)
{
    char *out = malloc(strlen(p) + 2);
    size_t o = 0;
    if (!out)
        return NULL;
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n > 0 && !(n == 1 && s[0] == '.')) {
            out[o++] = '/';
            memcpy(out + o, s, n);
            o += n;
        }
        s += n + (e ? 1 : 0);
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

static ls_err_t root_code(int e)
{
    return e == EACCES || e == EPERM || e == EROFS ? LS_ERR_ACCESS
                                                   : LS_ERR_IO;
}

ls_error_t *ls__backend_local_open(ls_backend_t **out, const char *root,
                                   const ls_conf_t *conf, unsigned flags)
{
    (void)conf;
    size_t fail_len = 0;
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "local backend: out is NULL");
    *out = NULL;
    if (!root || root[0] != '/')
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "local backend root \"%s\": expected an "
                            "absolute directory path",
                            root ? root : "(null)");

    local_t *l = calloc(1, sizeof(*l));
    if (l)
        l->root = clean_root(root);
    if (!l || !l->root) {
        free(l);
        return ls_error_new(LS_ERR_NOMEM, "local backend: out of memory");
    }
    l->flags = flags;
    l->rootfd = -1;

    /* mkdir -p; symbolic links in the root's own path are the user's
     * choice and are followed. */
    ls_error_t *err = NULL;
    int base = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    l->rootfd = base < 0 ? -1 : mkdirs_at(base, l->root + 1, 0, &fail_len);
    if (l->rootfd < 0) {
        int e = errno;
        if (base < 0)
            fail_len = 0;
        err = ls_error_new(root_code(e),
                           "local backend root %s: cannot create or open "
                           "directory /%.*s: %s",
                           l->root, (int)fail_len, l->root + 1, strerror(e));
    } else if (faccessat(l->rootfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        int e = errno;
        err = ls_error_new(root_code(e),
                           "local backend root %s: directory is not "
                           "writable: %s",
                           l->root, strerror(e));
    }
    if (base >= 0)
        close(base);
    if (!err)
        err = ls__backend_new_root(out, &local_ops, l, l->root);
    if (err)
        local_destroy(l);
    return err;
}
