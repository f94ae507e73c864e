/* Fuzz target: S3's XML replies (lib/s3_xml.c: the XML reader and the
 * documents read with it): <Error>, ListObjectsV2 pages (with
 * encoding-type=url key decoding), InitiateMultipartUploadResult,
 * CompleteMultipartUploadResult, and error mapping by status.  Input: one
 * reply body; every reader runs on it. */
#include "fuzz_util.h"

#include "libstream/error.h"
#include "s3_int.h"

static int list_cb(void *opaque, const char *key, int64_t size)
{
    unsigned *n = opaque;
    FZ_CHECK(key && *key);
    (void)size;
    *n += fz_touch(key, strlen(key) + 1);
    return 0;
}

static int stop_cb(void *opaque, const char *key, int64_t size)
{
    (void)opaque;
    (void)key;
    (void)size;
    return 1;
}

static void check_err(ls_error_t *err)
{
    if (!err)
        return;
    const char *m = ls_error_message(err);
    FZ_CHECK(m != NULL);
    (void)fz_touch(m, strlen(m));
    ls_error_destroy(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 301, 400, 403, 404, 409, 500, 503};
    if (size > 65536)
        return -1;
    /* Exact-size copy: the reader must never read past len (S3 bodies
     * are not NUL-terminated for it). */
    char *body = fz_dup(data, size);
    char code[64], msg[1024], root[64], tiny[3];

    if (ls__s3_xml_error(body, size, code, sizeof(code), msg, sizeof(msg)))
        FZ_CHECK(code[0] != '\0');
    FZ_CHECK(strlen(code) < sizeof(code) && strlen(msg) < sizeof(msg));
    (void)ls__s3_xml_error(body, size, tiny, sizeof(tiny), NULL, 0);
    FZ_CHECK(strlen(tiny) < sizeof(tiny));
    if (ls__s3_xml_root(body, size, root, sizeof(root)) == 0)
        FZ_CHECK(root[0] != '\0');
    (void)ls__s3_xml_root(body, size, tiny, sizeof(tiny));

    char *id = ls__s3_xml_upload_id(body, size);
    if (id)
        FZ_CHECK(*id);
    free(id);

    unsigned n = 0;
    int truncated = -1;
    char *next = NULL;
    int rc = ls__s3_xml_list(body, size, list_cb, &n, &truncated, &next);
    FZ_CHECK(rc == 0 || rc == -1 || rc == -2);
    if (rc == 0 && truncated)
        FZ_CHECK(next && *next);
    if (rc < 0)
        FZ_CHECK(!next);
    free(next);
    next = NULL;
    rc = ls__s3_xml_list(body, size, stop_cb, NULL, &truncated, &next);
    FZ_CHECK(rc >= -2 && rc <= 1);
    free(next);

    char etag[80];
    check_err(ls__s3_check_complete("s3 complete k", body, size, etag,
                                    sizeof(etag)));
    FZ_CHECK(strlen(etag) < sizeof(etag));
    check_err(ls__s3_check_complete("s3 complete k", body, size, NULL, 0));

    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        code[0] = 'x';
        check_err(ls__s3_status_error("s3 PUT k", statuses[i], body, size,
                                      code, sizeof(code)));
        FZ_CHECK(strlen(code) < sizeof(code));
    }
    check_err(ls__s3_status_error("s3 PUT k", 500, NULL, 0, NULL, 0));

    /* URL decoding of a key, as for encoding-type=url. */
    char *s = fz_str(data, size);
    size_t before = strlen(s);
    if (ls__s3_url_decode(s) == 0)
        FZ_CHECK(strlen(s) <= before);
    free(s);
    free(body);
    return 0;
}
