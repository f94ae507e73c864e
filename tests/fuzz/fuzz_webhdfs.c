/* Fuzz target: WebHDFS replies as the client reads them (lib/webhdfs.c,
 * lib/http.c): GETFILESTATUS {"FileStatus":{...}}, LISTSTATUS
 * {"FileStatuses":{"FileStatus":[...]}}, {"boolean":b}, the noredirect
 * {"Location":"..."} (and the host shown of a redirect), and error bodies
 * {"RemoteException":{...}} mapped to errors.  Input: one reply body;
 * every reader runs on it. */
#include "fuzz_util.h"

#include "backend_webhdfs.h"
#include "http_int.h"
#include "libstream/error.h"

static int list_cb(void *opaque, const char *name, ls_webhdfs_type_t type,
                   int64_t length, int64_t mtime_ms)
{
    unsigned *n = opaque;
    FZ_CHECK(name && *name);
    FZ_CHECK(type == LS_WEBHDFS_FILE || type == LS_WEBHDFS_DIRECTORY ||
             type == LS_WEBHDFS_SYMLINK);
    (void)length;
    (void)mtime_ms;
    *n += fz_touch(name, strlen(name) + 1);
    return 0;
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
    static const long statuses[] = {200, 307, 400, 403, 404, 500, 503};
    if (size > 65536)
        return -1;
    /* As ls__http_do() leaves a reply: the body, then a NUL. */
    ls__http_resp_t r;
    memset(&r, 0, sizeof(r));
    r.body = fz_str(data, size);
    r.body_len = size;
    r.status = 200;
    r.content_length = (int64_t)size;

    (void)ls__webhdfs_reply_boolean(&r);
    char host[300];
    char *loc = ls__webhdfs_json_location(&r);
    if (loc) {
        /* What attempt() shows of a redirect: its host. */
        ls__http_url_host(loc, host, sizeof(host));
        FZ_CHECK(strlen(host) < sizeof(host));
    }
    free(loc);
    /* The body as a Location header value. */
    ls__http_url_host(r.body, host, sizeof(host));
    FZ_CHECK(!strchr(host, '/'));

    int64_t length = -1, mtime = -1;
    ls_webhdfs_type_t type = LS_WEBHDFS_FILE;
    check_err(ls__webhdfs_parse_stat("/a/b", &r, &length, &type, &mtime));
    check_err(ls__webhdfs_parse_stat("/a/b", &r, NULL, NULL, NULL));

    unsigned n = 0;
    check_err(ls__webhdfs_parse_list("/a", &r, list_cb, &n));
    r.body_truncated = 1;
    check_err(ls__webhdfs_parse_list("/a", &r, list_cb, &n));
    r.body_truncated = 0;

    char exc[96], msg[512], tiny[4];
    if (ls__http_remote_exception(r.body, r.body_len, exc, sizeof(exc), msg,
                                  sizeof(msg))) {
        /* exc may be "" ("a.b." names no class): callers treat it as no
         * exception. */
        FZ_CHECK(strlen(exc) < sizeof(exc) && strlen(msg) < sizeof(msg));
        int retriable = 0;
        (void)ls__http_exception_code(exc, &retriable);
    }
    (void)ls__http_remote_exception(r.body, r.body_len, tiny, sizeof(tiny),
                                    tiny, sizeof(tiny));
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        r.status = statuses[i];
        check_err(ls__http_status_error("webhdfs GETFILESTATUS /a", &r, exc,
                                        sizeof(exc)));
        FZ_CHECK(strlen(exc) < sizeof(exc));
    }
    free(r.body);
    return 0;
}
