/* libstream: S3 client internals shared by lib/s3.c (client, requests,
 * objects, multipart), lib/s3_xml.c (the XML reader and S3's response
 * documents) and lib/s3_creds.c (the credentials chain), and reached by
 * tests/unit/test_s3.c.  Not installed. */
#ifndef LS_S3_INT_H
#define LS_S3_INT_H

#include <stddef.h>

#include "libstream/conf.h"
#include "libstream/error.h"
#include "libstream/s3.h"

/* ---- small helpers (lib/s3.c) ------------------------------------------ */

/* LS_ERR_NOMEM "s3: out of memory". */
ls_error_t *ls__s3_nomem(void);

/* Wipe a NUL-terminated secret, then free it; s may be NULL. */
void ls__s3_wipe_free(char *s);

/* A printable, bounded copy of s (may be NULL) for messages: control
 * bytes become '?', and more than max bytes end in "...". */
void ls__s3_printable(char *buf, size_t size, const char *s, size_t max);

/* conf's value for key when it is set to something non-empty, else NULL
 * (also when conf is NULL). */
const char *ls__s3_conf_str(const ls_conf_t *conf, const char *key);

/* XML white space, also what the credentials file trims. */
static inline int ls__s3_is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* ---- XML and S3's response documents (lib/s3_xml.c) -------------------- */

/* Parse an S3 <Error> document: 1 when the root is Error with a Code,
 * copying Code and Message (decoded, truncated to fit); 0 otherwise. */
int ls__s3_xml_error(const char *body, size_t len, char *code,
                     size_t code_size, char *msg, size_t msg_size);

/* The root element's name of a well-formed document into buf: 0, or -1
 * when the document is malformed or truncated. */
int ls__s3_xml_root(const char *body, size_t len, char *buf, size_t size);

/* The UploadId of an InitiateMultipartUploadResult, malloc'd; NULL when
 * the document is anything else (or out of memory). */
char *ls__s3_xml_upload_id(const char *body, size_t len);

/* Parse one ListObjectsV2 page: validate it all first, then call cb for
 * each Contents (Key, Size).  *truncated and *next_token (malloc'd, NULL
 * when none) describe the continuation.  Returns 0; 1 when cb stopped
 * the listing; -1 for a malformed document or another root; -2 out of
 * memory. */
int ls__s3_xml_list(const char *body, size_t len, ls_s3_list_cb_t *cb,
                    void *opaque, int *truncated, char **next_token);

/* URL-decode s in place the way encoding-type=url needs it ('+' is a
 * space, %XX a byte): 0, or -1 for a bad escape or a NUL byte. */
int ls__s3_url_decode(char *s);

/* Check a CompleteMultipartUpload reply body (the status was 2xx): NULL
 * for a CompleteMultipartUploadResult (its ETag copied to etag, may be
 * NULL); an error named after what for an <Error> document (retriable
 * as its code says, HTTP status 200) or for anything else (retriable:
 * the reply was cut or garbled). */
ls_error_t *ls__s3_check_complete(const char *what, const char *body,
                                  size_t len, char *etag, size_t etag_size);

/* The error for a failed reply: "<what>: HTTP <status> <Code>: <Message>"
 * from an S3 error document, else "<what>: HTTP <status> <first line>".
 * The code and retriable flag come from the S3 code when it is known,
 * else from the status; the error carries the status.  code (may be
 * NULL) receives the S3 code, "" when none. */
ls_error_t *ls__s3_status_error(const char *what, long status,
                                const char *body, size_t len, char *code,
                                size_t code_size);

/* The libstream code for an S3 error code and whether it is retriable;
 * LS_ERR_GENERIC with *known = 0 for a code not in the table. */
ls_err_t ls__s3_code(const char *s3code, int *retriable, int *known);

/* ---- credentials (lib/s3_creds.c) -------------------------------------- */

/* Resolve credentials from conf (may be NULL), the environment and the
 * shared credentials file (see s3.h).  Outputs are malloc'd (token ""
 * when none; source "conf", "env" or "file <path> [<profile>]"). */
ls_error_t *ls__s3_credentials(const ls_conf_t *conf, char **akid,
                               char **secret, char **token, char **source);

/* ---- requests (lib/s3.c) ----------------------------------------------- */

/* The URL and Host header for a request (key NULL: the bucket itself;
 * query: raw name, value pairs ending with NULL; value may be NULL).
 * Both malloc'd.  The same code path as real requests. */
ls_error_t *ls__s3_url(ls_s3_t *c, const char *method, const char *key,
                       const char *const *query, char **url, char **host);

/* ls_s3_list() with a page size (max-keys; 0: S3's default) and the
 * number of pages fetched (may be NULL). */
ls_error_t *ls__s3_list_ex(ls_s3_t *c, const char *prefix, int max_keys,
                           ls_s3_list_cb_t *cb, void *opaque, int *pages);

#endif
