/* libstream: storage backends behind one small interface.
 *
 * A backend stores files under a root: paths given to it are relative to
 * the root, '/'-separated, and never contain "..".  The local backend
 * (file:///abs/dir or a plain directory) is built in; WebHDFS and S3 plug
 * in behind the same operations.  A caller may also supply its own
 * operations (ls_backend_new) — e.g. to test failure handling.
 *
 * Thread safety: one thread at a time per backend.
 */
#ifndef LIBSTREAM_BACKEND_H
#define LIBSTREAM_BACKEND_H

#include "common.h"
#include "conf.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_backend_s ls_backend_t;

/** An open file being written.  Owned by the backend until closed. */
typedef struct ls_bfile_s ls_bfile_t;

/** Callback for listings: one call per entry (name only, no path). */
typedef void(ls_list_cb_t)(void *opaque, const char *name, int is_dir,
                           int64_t size);

/**
 * Operations a backend implements.  self is the implementation's state.
 * Each returns NULL on success or an error (LS_ERR_NOT_FOUND,
 * LS_ERR_EXISTS, LS_ERR_ACCESS, LS_ERR_IO, LS_ERR_TRANSPORT...).
 */
typedef struct ls_backend_ops {
    size_t struct_size; /**< sizeof(ls_backend_ops_t), for growth */
    const char *name;   /**< "local", "webhdfs", ... */
    /** Create dir and its parents; existing is fine. */
    ls_error_t *(*mkdirs)(void *self, const char *path);
    /** Create (truncate) path for writing. */
    ls_error_t *(*create)(void *self, const char *path, ls_bfile_t **out);
    /** Append bytes to an open file. */
    ls_error_t *(*append)(void *self, ls_bfile_t *f, const void *data,
                          size_t len);
    /** Make the data durable and close; f is gone even on error. */
    ls_error_t *(*close)(void *self, ls_bfile_t *f);
    /** Rename from to to (to must not exist: LS_ERR_EXISTS). */
    ls_error_t *(*rename)(void *self, const char *from, const char *to);
    /** Remove a file (or an empty directory). */
    ls_error_t *(*remove)(void *self, const char *path);
    /** List a directory: LS_ERR_NOT_FOUND when it does not exist. */
    ls_error_t *(*list)(void *self, const char *dir, ls_list_cb_t *cb,
                        void *opaque);
    /** Size and type of path; LS_ERR_NOT_FOUND when missing. */
    ls_error_t *(*stat)(void *self, const char *path, int64_t *size,
                        int *is_dir);
    /** Free self. */
    void (*destroy)(void *self);
    /** Optional (NULL: close() one by one): make n files durable and
     *  close them all, with one flush where the storage allows it; every
     *  file is gone even on error. */
    ls_error_t *(*close_many)(void *self, ls_bfile_t **files, size_t n);
    /** Optional (NULL: rename() one by one): rename from[i] to to[i] in
     *  order, stopping at the first failure; *done is how many were
     *  renamed, and those renames are durable when it returns. */
    ls_error_t *(*rename_many)(void *self, const char *const *from,
                               const char *const *to, size_t n,
                               size_t *done);
} ls_backend_ops_t;

/** A backend over caller-supplied ops; it owns self (ops->destroy frees
 *  it).  ops must outlive the backend. */
LS_EXPORT ls_error_t *ls_backend_new(ls_backend_t **out,
                                     const ls_backend_ops_t *ops, void *self);

/**
 * Open the backend a destination URL names: "file:///abs/dir" or a plain
 * directory path (created if missing; must be writable).  conf may be
 * NULL.  Fails with LS_ERR_INVALID_ARG for an unknown scheme (naming it and
 * the supported ones), LS_ERR_ACCESS / LS_ERR_IO for an unusable root.
 */
LS_EXPORT ls_error_t *ls_backend_open(ls_backend_t **out, const char *url,
                                      const ls_conf_t *conf);

/** The backend's name ("local", ...), static. */
LS_EXPORT const char *ls_backend_name(const ls_backend_t *b);

/** A printable form of the root (e.g. "/abs/dir"), borrowed. */
LS_EXPORT const char *ls_backend_root(const ls_backend_t *b);

LS_EXPORT ls_error_t *ls_backend_mkdirs(ls_backend_t *b, const char *path);
LS_EXPORT ls_error_t *ls_backend_create(ls_backend_t *b, const char *path,
                                        ls_bfile_t **out);
LS_EXPORT ls_error_t *ls_backend_append(ls_backend_t *b, ls_bfile_t *f,
                                        const void *data, size_t len);
LS_EXPORT ls_error_t *ls_backend_close(ls_backend_t *b, ls_bfile_t *f);
LS_EXPORT ls_error_t *ls_backend_rename(ls_backend_t *b, const char *from,
                                        const char *to);
LS_EXPORT ls_error_t *ls_backend_remove(ls_backend_t *b, const char *path);
LS_EXPORT ls_error_t *ls_backend_list(ls_backend_t *b, const char *dir,
                                      ls_list_cb_t *cb, void *opaque);
LS_EXPORT ls_error_t *ls_backend_stat(ls_backend_t *b, const char *path,
                                      int64_t *size, int *is_dir);

/**
 * Close n files, all durable when it returns NULL (fewer flushes than n
 * ls_backend_close() calls where the backend can).  Every file is gone
 * even on error.
 */
LS_EXPORT ls_error_t *ls_backend_close_many(ls_backend_t *b,
                                            ls_bfile_t **files, size_t n);

/**
 * Rename from[i] to to[i] for i in order, stopping at the first failure;
 * *done says how many succeeded (and are durable).
 */
LS_EXPORT ls_error_t *ls_backend_rename_many(ls_backend_t *b,
                                             const char *const *from,
                                             const char *const *to, size_t n,
                                             size_t *done);

/** Free the backend.  Open files must be closed first.  NULL is a no-op. */
LS_EXPORT void ls_backend_destroy(ls_backend_t *b);

LS_END_DECLS

#endif
