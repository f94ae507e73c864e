/* libstream: storage backend internals shared inside lib/. */
#ifndef LS_BACKEND_INT_H
#define LS_BACKEND_INT_H

#include "libstream/backend.h"

/* Like ls_backend_new(), with a printable root (copied) for
 * ls_backend_root().  On failure self is not freed. */
ls_error_t *ls__backend_new_root(ls_backend_t **out,
                                 const ls_backend_ops_t *ops, void *self,
                                 const char *root);

/* Flags for ls__backend_local_open(): disable a fast path so that tests
 * can exercise the fallback a kernel or filesystem without it uses. */
#define LS__LOCAL_NO_OPENAT2 0x1u   /* walk components instead */
#define LS__LOCAL_NO_RENAMEAT2 0x2u /* linkat+unlinkat instead */

/* Open the local backend rooted at the absolute directory root (created
 * if missing; must be a writable directory).  conf may be NULL. */
ls_error_t *ls__backend_local_open(ls_backend_t **out, const char *root,
                                   const ls_conf_t *conf, unsigned flags);

#endif
