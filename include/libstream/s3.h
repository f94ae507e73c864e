/* libstream: an S3 client (AWS S3 and S3-compatible stores: MinIO,
 * s3rver, Ceph RGW...).
 *
 * A client talks to one bucket through one endpoint, signing every
 * request with libstream's own SigV4 signer (sigv4.h).  Keys are sent
 * URI-encoded once, the S3 way, exactly as they were signed, so any key
 * bytes (spaces, '+', '%', "..", UTF-8) name the same object on every
 * S3 implementation.
 *
 * Addressing: path-style ("http://host:port/bucket/key", the default
 * when s3.endpoint is set) or virtual-hosted ("https://bucket.host/key",
 * the default for AWS itself unless the bucket name holds a '.', which
 * the wildcard certificate does not cover).  s3.path.style overrides.
 *
 * Credentials, looked up once by ls_s3_new(), first match wins:
 *   1. s3.access.key.id + s3.secret.access.key (+ s3.session.token);
 *   2. $AWS_ACCESS_KEY_ID + $AWS_SECRET_ACCESS_KEY (+ $AWS_SESSION_TOKEN);
 *   3. the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE, else
 *      ~/.aws/credentials), profile s3.profile, else $AWS_PROFILE, else
 *      "default" (keys aws_access_key_id, aws_secret_access_key,
 *      aws_session_token).
 * Half a pair (a key id without its secret) is an error, not a reason to
 * look further.  ~/.aws/config, container and EC2 instance credentials
 * are not read.  The secret key and the session token never appear in
 * any error message; they are wiped from memory by ls_s3_destroy().
 *
 * Errors name the request, the bucket/key and S3's error code and
 * message, e.g. "s3 PUT bucket/key: HTTP 403 AccessDenied: Access
 * Denied", and carry the HTTP status (ls_error_http_status()).  Codes:
 * NoSuchKey, NoSuchBucket, NoSuchUpload and other 404s ->
 * LS_ERR_NOT_FOUND; AccessDenied, InvalidAccessKeyId,
 * SignatureDoesNotMatch, RequestTimeTooSkewed, ExpiredToken and other
 * 403s -> LS_ERR_ACCESS; malformed requests (InvalidArgument,
 * EntityTooSmall, InvalidPart, MalformedXML, a wrong region...) ->
 * LS_ERR_INVALID_ARG; network failures, SlowDown, 503, InternalError,
 * 500, RequestTimeout -> LS_ERR_TRANSPORT, retriable.
 *
 * Retries: network failures and the retriable replies above are retried
 * inside each call, up to s3.retries times, with capped exponential
 * backoff and full jitter (s3.retry.backoff.ms, s3.retry.backoff.max.ms);
 * every attempt is signed afresh.  Other 4xx replies are returned at
 * once.  A CompleteMultipartUpload whose reply was lost is checked (its
 * retry finds NoSuchUpload and the object exists with the expected size)
 * rather than reported as a failure.
 *
 * Process-wide setup: call curl_global_init(CURL_GLOBAL_ALL) (or
 * ls_global_init()) once at startup; the library never calls it.
 *
 * Thread safety: one thread at a time per client and its uploads (the
 * client owns one libcurl easy handle).  Different clients may be used
 * from different threads.
 */
#ifndef LIBSTREAM_S3_H
#define LIBSTREAM_S3_H

#include "common.h"
#include "conf.h"
#include "error.h"

LS_BEGIN_DECLS

/** An S3 client bound to one bucket (opaque). */
typedef struct ls_s3_s ls_s3_t;

/** A multipart upload in progress (opaque). */
typedef struct ls_s3_upload_s ls_s3_upload_t;

/** The smallest part S3 accepts, except for the last part: 5 MiB. */
#define LS_S3_MIN_PART_SIZE ((size_t)5 << 20)

/** The most parts one multipart upload may have. */
#define LS_S3_MAX_PARTS 10000

/** Room for any ETag ls_s3_head() returns, quotes and NUL included. */
#define LS_S3_ETAG_SIZE 128

/**
 * Make a client.  No network I/O happens here: the first request finds
 * out whether the endpoint, the bucket and the credentials work.
 *
 * @param out   the new client; free it with ls_s3_destroy().  Left NULL
 *              on failure.
 * @param conf  s3.* settings: s3.bucket (required), s3.endpoint,
 *              s3.region, s3.path.style, s3.access.key.id,
 *              s3.secret.access.key, s3.session.token, s3.profile,
 *              s3.part.size, s3.retries, s3.retry.backoff.ms,
 *              s3.retry.backoff.max.ms, s3.timeout.ms,
 *              s3.connect.timeout.ms, s3.tls.verify, s3.tls.ca.file,
 *              s3.unsigned.payload.  Read once, not kept (the caller
 *              keeps owning conf).  The region is s3.region when set,
 *              else $AWS_REGION, else $AWS_DEFAULT_REGION, else
 *              us-east-1.
 * @return NULL; LS_ERR_INVALID_ARG naming the bad setting (no bucket, a
 *         malformed endpoint, half a credential pair, a profile that is
 *         not in the credentials file...); LS_ERR_ACCESS when no
 *         credentials are found anywhere; LS_ERR_IO when the credentials
 *         file cannot be read; LS_ERR_NOMEM.
 */
LS_EXPORT ls_error_t *ls_s3_new(ls_s3_t **out, const ls_conf_t *conf);

/**
 * Free a client, close its connections and wipe its secrets.  Destroy
 * its uploads first.  No request is made.  NULL is a no-op.
 */
LS_EXPORT void ls_s3_destroy(ls_s3_t *c);

/** The bucket, borrowed from the client. */
LS_EXPORT const char *ls_s3_bucket(const ls_s3_t *c);

/** The endpoint URL requests go to, e.g. "http://127.0.0.1:4568" or
 *  "https://s3.eu-west-1.amazonaws.com" (without the bucket), borrowed. */
LS_EXPORT const char *ls_s3_endpoint(const ls_s3_t *c);

/** The signing region, borrowed. */
LS_EXPORT const char *ls_s3_region(const ls_s3_t *c);

/** Where the credentials came from, for diagnostics (never a secret):
 *  "conf", "env" or "file <path> [<profile>]", borrowed. */
LS_EXPORT const char *ls_s3_credentials_source(const ls_s3_t *c);

/** The part size ls_s3_put() uses (s3.part.size). */
LS_EXPORT size_t ls_s3_part_size(const ls_s3_t *c);

/* ---- writing -------------------------------------------------------- */

/**
 * PutObject: store len bytes at data as key, replacing any object there.
 * Sends Content-MD5 (S3 refuses a body that does not match it) and the
 * body's SHA-256 (or UNSIGNED-PAYLOAD with s3.unsigned.payload), from
 * the caller's memory without a copy.  S3 takes at most 5 GiB this way;
 * use ls_s3_put() for anything that may be bigger.
 *
 * @param key           the object key, 1 to 1024 bytes, any bytes but NUL.
 * @param data          may be NULL when len is 0 (an empty object).
 * @param content_type  e.g. "application/json"; NULL: S3's default.
 * Blocks for the request and its retries.
 */
LS_EXPORT ls_error_t *ls_s3_put_object(ls_s3_t *c, const char *key,
                                       const void *data, size_t len,
                                       const char *content_type);

/**
 * Store len bytes as key the cheapest way: one PutObject when len is at
 * most the part size (s3.part.size), else a multipart upload streaming
 * the parts straight from the caller's memory (the part size grows when
 * the object would need more than LS_S3_MAX_PARTS parts).  A multipart
 * upload that fails is aborted, so no unfinished upload is left behind
 * (unless the abort itself fails; the error then says so).  Blocks until
 * done.
 */
LS_EXPORT ls_error_t *ls_s3_put(ls_s3_t *c, const char *key,
                                const void *data, size_t len,
                                const char *content_type);

/**
 * CreateMultipartUpload for key.  Parts are then added in order with
 * ls_s3_upload_part() and the object appears at
 * ls_s3_upload_complete(); until then nothing is visible at key.
 *
 * @param out           the upload; free it with ls_s3_upload_destroy()
 *                      (which makes no request).  Left NULL on failure.
 * @param c             the client; it must outlive the upload.
 * @param content_type  of the final object; NULL: S3's default.
 */
LS_EXPORT ls_error_t *ls_s3_upload_new(ls_s3_upload_t **out, ls_s3_t *c,
                                       const char *key,
                                       const char *content_type);

/** The upload's UploadId, borrowed from the upload. */
LS_EXPORT const char *ls_s3_upload_id(const ls_s3_upload_t *u);

/** How many parts were uploaded so far. */
LS_EXPORT int ls_s3_upload_parts(const ls_s3_upload_t *u);

/**
 * UploadPart: upload len bytes at data (not copied) as the next part,
 * number ls_s3_upload_parts() + 1, and keep its ETag.  Every part but
 * the last must be at least LS_S3_MIN_PART_SIZE bytes, or S3 refuses the
 * completion (EntityTooSmall); this call cannot know which part is the
 * last, so it does not check.  When it fails, the part is not counted:
 * call it again with the same bytes to retry it.
 * Fails with LS_ERR_STATE after complete or abort, or past
 * LS_S3_MAX_PARTS parts.
 */
LS_EXPORT ls_error_t *ls_s3_upload_part(ls_s3_upload_t *u, const void *data,
                                        size_t len);

/**
 * CompleteMultipartUpload with every part uploaded, in order (an upload
 * with no part gets one empty part first).  A 200 reply whose body is an
 * <Error> document is a failure, as S3 documents.  After success the
 * upload accepts no more calls but ls_s3_upload_destroy().
 */
LS_EXPORT ls_error_t *ls_s3_upload_complete(ls_s3_upload_t *u);

/**
 * AbortMultipartUpload: discard the parts.  An upload that S3 no longer
 * knows after a lost reply to this very call counts as aborted.
 */
LS_EXPORT ls_error_t *ls_s3_upload_abort(ls_s3_upload_t *u);

/** Free an upload.  It makes no request: an upload neither completed nor
 *  aborted stays on the server (and is billed) until it is aborted.
 *  NULL is a no-op. */
LS_EXPORT void ls_s3_upload_destroy(ls_s3_upload_t *u);

/**
 * AbortMultipartUpload by id, for uploads left by an earlier process.
 * LS_ERR_NOT_FOUND when S3 does not know the upload.
 */
LS_EXPORT ls_error_t *ls_s3_abort_upload(ls_s3_t *c, const char *key,
                                         const char *upload_id);

/* ---- reading -------------------------------------------------------- */

/**
 * HeadObject.
 *
 * @param size       receives the object's size; may be NULL.
 * @param etag       receives the ETag as sent (quotes included, "" when
 *                   the reply has none), truncated to etag_size; may be
 *                   NULL.  LS_S3_ETAG_SIZE is always enough for S3.
 * @return NULL, LS_ERR_NOT_FOUND when there is no such key (or bucket),
 *         or another error.  The outputs are untouched on failure.
 */
LS_EXPORT ls_error_t *ls_s3_head(ls_s3_t *c, const char *key, int64_t *size,
                                 char *etag, size_t etag_size);

/**
 * Called by ls_s3_get() once, on the caller's thread, with the whole
 * object: data points at len bytes followed by a NUL that len does not
 * count, borrowed for the call.  Return 0; any other value makes
 * ls_s3_get() fail with LS_ERR_GENERIC.
 */
typedef int(ls_s3_data_cb_t)(void *opaque, const void *data, size_t len);

/**
 * GetObject for small objects (verification, tests, markers): the whole
 * object is read into memory, then handed to cb on the caller's thread.
 * An object bigger than max_bytes fails with LS_ERR_FULL and cb is not
 * called.  LS_ERR_NOT_FOUND when there is no such key.
 */
LS_EXPORT ls_error_t *ls_s3_get(ls_s3_t *c, const char *key,
                                size_t max_bytes, ls_s3_data_cb_t *cb,
                                void *opaque);

/**
 * Called by ls_s3_list() for each key, in S3's order (UTF-8 binary),
 * on the caller's thread; key is borrowed for the call.  Return 0 to go
 * on, anything else to stop the listing (ls_s3_list() then returns
 * NULL).  It may make other requests on the same client (say,
 * ls_s3_delete() of the key: each page is read whole before its keys are
 * handed out), but must not destroy it.
 */
typedef int(ls_s3_list_cb_t)(void *opaque, const char *key, int64_t size);

/**
 * ListObjectsV2 of every key starting with prefix (NULL or "": the whole
 * bucket), following continuation tokens across pages of up to 1000
 * keys.  Keys are requested URL-encoded (encoding-type=url) and decoded,
 * so keys holding characters XML cannot carry come back intact.  When a
 * page fails after its retries, keys of earlier pages have already been
 * given to cb.
 */
LS_EXPORT ls_error_t *ls_s3_list(ls_s3_t *c, const char *prefix,
                                 ls_s3_list_cb_t *cb, void *opaque);

/* ---- deleting ------------------------------------------------------- */

/** DeleteObject.  Deleting a key that does not exist succeeds (S3
 *  answers 204 either way). */
LS_EXPORT ls_error_t *ls_s3_delete(ls_s3_t *c, const char *key);

LS_END_DECLS

#endif
