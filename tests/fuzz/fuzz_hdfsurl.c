/* Fuzz target: WebHDFS locations from configuration (lib/webhdfs.c): the
 * destination URL (ls__webhdfs_parse_url), the hdfs.namenodes list
 * (ls__webhdfs_parse_namenodes), and, for a URL that parses, a client's
 * full paths and request URLs for a relative path.
 * Input: URL 0xFF NAMENODES 0xFF PATH. */
#include "fuzz_util.h"

#include "backend_webhdfs.h"
#include "libstream/error.h"
#include "libstream/webhdfs.h"

static void check_err(ls_error_t *err)
{
    if (!err)
        return;
    const char *m = ls_error_message(err);
    FZ_CHECK(m != NULL);
    (void)fz_touch(m, strlen(m));
    ls_error_destroy(err);
}

/* "/" or "/a/b": no empty, "." or ".." segment, no trailing '/'. */
static void check_base(const char *b)
{
    size_t n = strlen(b);
    FZ_CHECK(n >= 1 && b[0] == '/');
    FZ_CHECK(n == 1 || b[n - 1] != '/');
    FZ_CHECK(!strstr(b, "//"));
    FZ_CHECK(!strstr(b, "/./") && !strstr(b, "/../"));
    FZ_CHECK(!(n >= 2 && !strcmp(b + n - 2, "/.")));
    FZ_CHECK(!(n >= 3 && !strcmp(b + n - 3, "/..")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_span_t f[3];
    if (size > 4096)
        return -1;
    memset(f, 0, sizeof(f));
    size_t nf = fz_split(data, size, f, 3);
    char *url = fz_str(f[0].p, f[0].n);
    char *nns = nf > 1 ? fz_str(f[1].p, f[1].n) : NULL;
    char *path = nf > 2 ? fz_str(f[2].p, f[2].n) : NULL;

    int tls = -1;
    char *auth = NULL, *base = NULL;
    ls_error_t *err = ls__webhdfs_parse_url(url, &tls, &auth, &base);
    if (!err) {
        FZ_CHECK(tls == 0 || tls == 1);
        FZ_CHECK(auth && base);
        check_base(base);
    } else {
        FZ_CHECK(!auth && !base);
    }
    check_err(err);

    for (int t = 0; t <= 1 && nns; t++) {
        char **v = NULL;
        size_t n = 0;
        err = ls__webhdfs_parse_namenodes(nns, t, &v, &n);
        if (!err) {
            FZ_CHECK(n >= 1 && v);
            for (size_t i = 0; i < n; i++)
                FZ_CHECK(v[i] && strrchr(v[i], ':'));
        }
        check_err(err);
        ls__webhdfs_free_list(v, n);
    }

    /* A client for the URL (no network I/O until an operation). */
    if (!err && auth && *auth && path) {
        ls__webhdfs_opts_t o;
        check_err(ls__webhdfs_opts_from_conf(&o, NULL));
        o.user = "fuzz";
        ls_webhdfs_t *c = NULL;
        err = ls__webhdfs_new_opts(&c, url, &o);
        if (!err) {
            char *full = NULL;
            err = ls__webhdfs_full_path(c, path, &full);
            if (!err) {
                check_base(full);
                char *u = ls__webhdfs_url(c, "GETFILESTATUS", full, "");
                FZ_CHECK(u != NULL);
                /* Percent-encoded: no raw space, '?' only once. */
                FZ_CHECK(!strchr(u, ' '));
                FZ_CHECK(strchr(u, '?') == strrchr(u, '?'));
                free(u);
            }
            free(full);
        }
        check_err(err);
        ls_webhdfs_destroy(c);
    }
    free(auth);
    free(base);
    free(url);
    free(nns);
    free(path);
    return 0;
}
