/* libstream: AWS Signature Version 4 for S3 (header and query auth).
 *
 * Our own signer, so multipart requests (`?uploads`,
 * `?partNumber=N&uploadId=ID`) sign correctly on every libcurl (the
 * CURLOPT_AWS_SIGV4 of curl 7.88 does not sort the query and drops the
 * '=' of `uploads=`).  It follows the S3 rules: the path is URI-encoded
 * once and never normalised; query names and values are encoded with '/'
 * as %2F and sorted by encoded name, then value.
 *
 * Use: describe a request with ls_sigv4_request_new() and the _add/_set
 * calls, sign it with ls_sigv4_sign() (or ls_sigv4_presign()), then send
 * exactly the bytes the result gives: the URI from ls_sigv4_result_uri(),
 * the query from ls_sigv4_result_query(), the caller's headers and the
 * headers listed by ls_sigv4_result_header().  Every intermediate step
 * (canonical request, string to sign, signed headers, signature) can be
 * read from the result, which is what S3 echoes back in a
 * SignatureDoesNotMatch error.
 *
 * Secrets: the secret access key and the session token never appear in
 * an error message.  The secret key is never stored in a request or a
 * result, and the derived keys are wiped after use.  A result does hold
 * the session token, because it is a header to send.
 *
 * Thread safety: requests and results are plain data: use each from one
 * thread at a time; signing does not modify the request, so one request
 * may be signed from several threads at once.
 */
#ifndef LIBSTREAM_SIGV4_H
#define LIBSTREAM_SIGV4_H

#include <time.h>

#include "common.h"
#include "error.h"

LS_BEGIN_DECLS

/** The payload hash that tells S3 the body is not signed. */
#define LS_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/** The hex SHA-256 of an empty body. */
#define LS_SIGV4_EMPTY_SHA256 \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/**
 * Credentials, a plain descriptor the caller owns.  The signer copies
 * nothing from it but the access key id (into the Authorization header)
 * and the session token (into its header).
 */
typedef struct ls_sigv4_creds {
    const char *access_key_id;     /**< e.g. "AKIAIOSFODNN7EXAMPLE" */
    const char *secret_access_key; /**< never copied, never printed */
    const char *session_token;     /**< NULL or "" for long-term keys */
} ls_sigv4_creds_t;

/** A request to sign (opaque). */
typedef struct ls_sigv4_request_s ls_sigv4_request_t;

/** The signature and the headers to send (opaque). */
typedef struct ls_sigv4_result_s ls_sigv4_result_t;

/* ---- describing a request ------------------------------------------- */

/**
 * Start describing a request.
 *
 * @param out     receives the new request; free it with
 *                ls_sigv4_request_destroy().  Left NULL on failure.
 * @param method  HTTP method, e.g. "GET", "PUT" (A-Z only).
 * @param host    the Host header exactly as sent, with ":port" when the
 *                port is not the scheme's default (e.g. "127.0.0.1:4568").
 * @param path    the raw, NOT encoded, absolute path: "/bucket/my key.txt"
 *                for path-style or "/my key.txt" for virtual-hosted
 *                requests.  NULL or "" means "/".  It is encoded once,
 *                '/' kept, and never normalised ("//", "." and ".." stay).
 * @return NULL, or LS_ERR_INVALID_ARG (bad method, empty host or a host
 *         with control characters, a path not starting with '/'), or
 *         LS_ERR_NOMEM.  All arguments are copied.
 */
LS_EXPORT ls_error_t *ls_sigv4_request_new(ls_sigv4_request_t **out,
                                           const char *method,
                                           const char *host,
                                           const char *path);

/**
 * Add a query parameter, raw (NOT encoded): the signer encodes it.
 * value NULL or "" gives "name=" (so "?uploads" is added as
 * ("uploads", NULL)).  Parameters may repeat; order does not matter.
 * Fails with LS_ERR_INVALID_ARG for a NULL/empty name, LS_ERR_NOMEM.
 */
LS_EXPORT ls_error_t *ls_sigv4_request_add_query(ls_sigv4_request_t *req,
                                                 const char *name,
                                                 const char *value);

/**
 * Add a header to send and sign (e.g. "Content-Type", "Content-MD5",
 * "Range", "x-amz-storage-class").  The name is signed lowercased; the
 * value trimmed, with runs of spaces squeezed to one.  Send the header
 * with the same value.  A name added twice is signed as one header whose
 * values are joined by ',' in the order added.
 * Fails with LS_ERR_INVALID_ARG for a name that is empty or not an HTTP
 * token, a value holding CR, LF or NUL, or a name the signer sets itself
 * (Host, Authorization, x-amz-date, x-amz-content-sha256,
 * x-amz-security-token); LS_ERR_NOMEM.
 */
LS_EXPORT ls_error_t *ls_sigv4_request_add_header(ls_sigv4_request_t *req,
                                                  const char *name,
                                                  const char *value);

/**
 * The body: the signer hashes len bytes at data (data may be NULL when
 * len is 0) and keeps only the hash.  Without this call or
 * ls_sigv4_request_set_payload_hash() the body is empty.
 * Fails with LS_ERR_INVALID_ARG (NULL data with len > 0), LS_ERR_NOMEM.
 */
LS_EXPORT ls_error_t *ls_sigv4_request_set_payload(ls_sigv4_request_t *req,
                                                   const void *data,
                                                   size_t len);

/**
 * Use a payload hash computed elsewhere (e.g. while streaming a file):
 * 64 lowercase hex digits, LS_SIGV4_UNSIGNED_PAYLOAD, or a
 * "STREAMING-..." value.  Replaces any earlier payload.
 * Fails with LS_ERR_INVALID_ARG for anything else.
 */
LS_EXPORT ls_error_t *ls_sigv4_request_set_payload_hash(
    ls_sigv4_request_t *req, const char *hash);

/** Free a request.  NULL is a no-op. */
LS_EXPORT void ls_sigv4_request_destroy(ls_sigv4_request_t *req);

/* ---- signing -------------------------------------------------------- */

/**
 * Sign req for header authentication at time when (seconds since the
 * epoch, UTC; pass time(NULL)).
 *
 * The result lists the headers to send besides the caller's own:
 * x-amz-date, x-amz-content-sha256 (only when service is "s3", where S3
 * requires it on every request; other services sign the payload hash but
 * get no such header), x-amz-security-token (only with a session token)
 * and Authorization.  All of them except Authorization are signed, along
 * with host and every header added to req.
 *
 * @param out      receives the result, freed with
 *                 ls_sigv4_result_destroy(); left NULL on failure.
 * @param region   e.g. "us-east-1" (the bucket's region).
 * @param service  "s3" for S3.
 * @return NULL, or LS_ERR_INVALID_ARG naming the bad argument (missing
 *         access key id or secret, a region or service with characters
 *         outside A-Z a-z 0-9 - _ ., a time gmtime() cannot convert;
 *         the secret and token are never quoted), or LS_ERR_NOMEM /
 *         LS_ERR_GENERIC when OpenSSL fails.
 */
LS_EXPORT ls_error_t *ls_sigv4_sign(ls_sigv4_result_t **out,
                                    const ls_sigv4_request_t *req,
                                    const ls_sigv4_creds_t *creds,
                                    const char *region, const char *service,
                                    time_t when);

/**
 * Presign req (query authentication): the result's query holds
 * X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
 * X-Amz-SignedHeaders, X-Amz-Security-Token (with a session token) and
 * X-Amz-Signature next to req's own parameters, so the URL works without
 * any header.  The payload is always UNSIGNED-PAYLOAD (req's payload is
 * ignored).  Signed headers are host plus those added to req, which the
 * user of the URL must then send.  The result lists no headers.
 * expires_s must be 1..604800 (7 days).  Fails like ls_sigv4_sign().
 */
LS_EXPORT ls_error_t *ls_sigv4_presign(ls_sigv4_result_t **out,
                                       const ls_sigv4_request_t *req,
                                       const ls_sigv4_creds_t *creds,
                                       const char *region,
                                       const char *service, time_t when,
                                       unsigned expires_s);

/* ---- reading a result ----------------------------------------------- */
/* Every string is borrowed from the result and lives until
 * ls_sigv4_result_destroy(); none is NULL unless said so. */

/** Number of headers to add to the request (0 for a presigned result). */
LS_EXPORT size_t ls_sigv4_result_header_count(const ls_sigv4_result_t *res);

/**
 * Header idx (0-based) to add: its name ("x-amz-date",
 * "x-amz-content-sha256", "x-amz-security-token", "Authorization", in
 * that order) and value.  Returns 0, or -1 when idx is out of range.
 */
LS_EXPORT int ls_sigv4_result_header(const ls_sigv4_result_t *res,
                                     size_t idx, const char **name,
                                     const char **value);

/** The Authorization header's value, or NULL for a presigned result. */
LS_EXPORT const char *ls_sigv4_result_authorization(
    const ls_sigv4_result_t *res);

/** The request time as "YYYYMMDDTHHMMSSZ" (the x-amz-date value). */
LS_EXPORT const char *ls_sigv4_result_amz_date(const ls_sigv4_result_t *res);

/** The payload hash (x-amz-content-sha256 value, last canonical line). */
LS_EXPORT const char *ls_sigv4_result_payload_hash(
    const ls_sigv4_result_t *res);

/** The encoded path to put on the wire (the canonical URI). */
LS_EXPORT const char *ls_sigv4_result_uri(const ls_sigv4_result_t *res);

/**
 * The encoded query to put on the wire after '?' ("" when none): the
 * canonical query string, plus "&X-Amz-Signature=..." when presigned.
 */
LS_EXPORT const char *ls_sigv4_result_query(const ls_sigv4_result_t *res);

/** The canonical request (six lines joined by newlines). */
LS_EXPORT const char *ls_sigv4_result_canonical_request(
    const ls_sigv4_result_t *res);

/** The string to sign (four lines joined by newlines). */
LS_EXPORT const char *ls_sigv4_result_string_to_sign(
    const ls_sigv4_result_t *res);

/** The signed header names, sorted and joined by ';'. */
LS_EXPORT const char *ls_sigv4_result_signed_headers(
    const ls_sigv4_result_t *res);

/** The credential scope, "YYYYMMDD/region/service/aws4_request". */
LS_EXPORT const char *ls_sigv4_result_scope(const ls_sigv4_result_t *res);

/** The signature: 64 lowercase hex digits. */
LS_EXPORT const char *ls_sigv4_result_signature(
    const ls_sigv4_result_t *res);

/** Free a result.  NULL is a no-op. */
LS_EXPORT void ls_sigv4_result_destroy(ls_sigv4_result_t *res);

/* ---- single steps (for URL building and tests) ----------------------- */

/**
 * URI-encode n bytes of s the S3 way: A-Z a-z 0-9 - _ . ~ are kept,
 * every other byte becomes %XX (uppercase hex; UTF-8 is encoded byte by
 * byte, space is %20), and '/' is kept only when keep_slash is non-zero
 * (paths) and encoded otherwise (query names and values).  Writes at
 * most size bytes, NUL-terminated when size > 0, and returns the length
 * the whole encoding needs (like snprintf).  Never fails.
 */
LS_EXPORT size_t ls_sigv4_uri_encode(const void *s, size_t n,
                                     int keep_slash, char *buf,
                                     size_t size);

/**
 * Hex SHA-256 of len bytes at data into hex (64 digits + NUL).
 * Returns NULL, or LS_ERR_GENERIC when OpenSSL fails.
 */
LS_EXPORT ls_error_t *ls_sigv4_sha256_hex(const void *data, size_t len,
                                          char hex[65]);

/**
 * The signing key: HMAC-SHA256 chain of "AWS4"+secret over date
 * ("YYYYMMDD"), region, service and "aws4_request", into key (32 bytes).
 * The caller should wipe key after use.  Fails with LS_ERR_INVALID_ARG
 * (NULL or empty argument; the secret is never quoted) or LS_ERR_GENERIC
 * / LS_ERR_NOMEM when OpenSSL fails.
 */
LS_EXPORT ls_error_t *ls_sigv4_signing_key(unsigned char key[32],
                                           const char *secret,
                                           const char *date,
                                           const char *region,
                                           const char *service);

LS_END_DECLS

#endif
