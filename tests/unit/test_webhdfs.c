/* Unit tests: the WebHDFS client's pure parts (no server): URL parsing
 * and building, path escaping, authentication parameters, RemoteException
 * mapping, retry decisions and backoff bounds, namenode lists, and the
 * backend opener.  One test reaches a closed loopback port to check the
 * connection-failure path end to end. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "backend_webhdfs.h"
#include "http_int.h"
#include "libstream/backend.h"
#include "libstream/webhdfs.h"

/* ---- helpers -------------------------------------------------------- */

static char *esc(const char *s, int keep_slash)
{
    char *b = NULL;
    size_t len = 0, cap = 0;
    assert_int_equal(ls__http_escape(&b, &len, &cap, s, keep_slash), 0);
    assert_non_null(b);
    assert_int_equal(strlen(b), len);
    return b;
}

static void opts_default(ls__webhdfs_opts_t *o)
{
    ls_error_t *err = ls__webhdfs_opts_from_conf(o, NULL);
    assert_null(err);
}

static ls_webhdfs_t *client(const char *url, const ls__webhdfs_opts_t *o)
{
    ls_webhdfs_t *c = NULL;
    ls_error_t *err = ls__webhdfs_new_opts(&c, url, o);
    if (err)
        fail_msg("ls__webhdfs_new_opts(%s): %s", url, ls_error_message(err));
    assert_non_null(c);
    return c;
}

static ls_webhdfs_t *client_user(const char *url, const char *user)
{
    ls__webhdfs_opts_t o;
    opts_default(&o);
    o.user = user;
    return client(url, &o);
}

/* The namenode URL for op on path (relative to the client's base). */
static char *url_for(ls_webhdfs_t *c, const char *op, const char *path,
                     const char *extra)
{
    char *full = NULL;
    ls_error_t *err = ls__webhdfs_full_path(c, path, &full);
    if (err)
        fail_msg("full_path(%s): %s", path, ls_error_message(err));
    char *u = ls__webhdfs_url(c, op, full, extra);
    assert_non_null(u);
    free(full);
    return u;
}

static void expect_invalid(ls_error_t *err, const char *needle)
{
    assert_non_null(err);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    if (needle && !strstr(ls_error_message(err), needle))
        fail_msg("\"%s\" not in \"%s\"", needle, ls_error_message(err));
    ls_error_destroy(err);
}

/* A loopback port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
    close(s);
    return ntohs(a.sin_port);
}

/* ---- escaping ------------------------------------------------------- */

static void test_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int keep_slash;
        const char *out;
    } cases[] = {
        {"", 1, ""},
        {"plain-name_1.json~", 1, "plain-name_1.json~"},
        {"a b", 1, "a%20b"},
        {"100%", 1, "100%25"},
        {"%20", 1, "%2520"},
        {"a+b", 1, "a%2Bb"},
        {"/dir/x y/z", 1, "/dir/x%20y/z"},
        {"/dir/x", 0, "%2Fdir%2Fx"},
        {"\xc3\xa9t\xc3\xa9", 1, "%C3%A9t%C3%A9"},             /* été */
        {"\xe6\x97\xa5\xe6\x9c\xac", 1, "%E6%97%A5%E6%9C%AC"}, /* 日本 */
        {"a?b#c&d=e;f:g@h", 1, "a%3Fb%23c%26d%3De%3Bf%3Ag%40h"},
        {"t\tn\nq\"'", 1, "t%09n%0Aq%22%27"},
        {"\x7f\xff", 1, "%7F%FF"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *b = esc(cases[i].in, cases[i].keep_slash);
        assert_string_equal(b, cases[i].out);
        free(b);
    }
    /* Appends to what is there. */
    char *b = NULL;
    size_t len = 0, cap = 0;
    assert_int_equal(ls__http_append(&b, &len, &cap, "x=", 2), 0);
    assert_int_equal(ls__http_escape(&b, &len, &cap, "a b", 0), 0);
    assert_string_equal(b, "x=a%20b");
    free(b);
}

/* ---- URL parsing ---------------------------------------------------- */

static void test_parse_url(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        int tls;
        const char *auth, *base;
    } ok[] = {
        {"webhdfs://nn", 0, "nn:9870", "/"},
        {"WEBHDFS://nn:1234", 0, "nn:1234", "/"},
        {"webhdfs://nn:1234/", 0, "nn:1234", "/"},
        {"webhdfs://127.0.0.1:9870/archive", 0, "127.0.0.1:9870",
         "/archive"},
        {"webhdfs://nn/a/b/", 0, "nn:9870", "/a/b"},
        {"webhdfs://nn//a//b", 0, "nn:9870", "/a/b"},
        {"swebhdfs://nn", 1, "nn:9871", "/"},
        {"swebhdfs://nn:443/x", 1, "nn:443", "/x"},
        {"webhdfs://[::1]:9870/x", 0, "[::1]:9870", "/x"},
        {"webhdfs://[::1]/x", 0, "[::1]:9870", "/x"},
        {"webhdfs://nn/a%20b/%2Bc%25", 0, "nn:9870", "/a b/+c%"},
        {"webhdfs://nn/d%C3%A9j%C3%A0", 0, "nn:9870", "/d\xc3\xa9j\xc3\xa0"},
        {"webhdfs:///archive", 0, "", "/archive"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int tls = -1;
        char *auth = NULL, *base = NULL;
        ls_error_t *err = ls__webhdfs_parse_url(ok[i].url, &tls, &auth,
                                                &base);
        if (err)
            fail_msg("%s: %s", ok[i].url, ls_error_message(err));
        assert_int_equal(tls, ok[i].tls);
        assert_string_equal(auth, ok[i].auth);
        assert_string_equal(base, ok[i].base);
        free(auth);
        free(base);
    }
    static const struct {
        const char *url, *needle;
    } bad[] = {
        {"http://nn:9870/x", "expected webhdfs://"},
        {"hdfs://nn:8020/x", "expected webhdfs://"},
        {"webhdfs://user@nn/x", "user info"},
        {"webhdfs://nn:0/x", "port out of range"},
        {"webhdfs://nn:65536/x", "port out of range"},
        {"webhdfs://nn:12a/x", "bad port"},
        {"webhdfs://nn:/x", "bad port"},
        {"webhdfs://n n/x", "bad character"},
        {"webhdfs://[::1/x", "IPv6"},
        {"webhdfs://nn/a?user.name=x", "query or fragment"},
        {"webhdfs://nn/a#frag", "query or fragment"},
        {"webhdfs://nn/a/../b", "\"..\""},
        {"webhdfs://nn/./b", "\".\""},
        {"webhdfs://nn/%zz", "bad %-escape"},
        {"webhdfs://nn/abc%2", "bad %-escape"},
        {"webhdfs://nn/a%00b", "%00"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int tls;
        char *auth = (char *)"x", *base = (char *)"x";
        ls_error_t *err = ls__webhdfs_parse_url(bad[i].url, &tls, &auth,
                                                &base);
        if (!err)
            fail_msg("%s was accepted", bad[i].url);
        assert_null(auth);
        assert_null(base);
        expect_invalid(err, bad[i].needle);
    }
}

/* ---- namenode lists ----------------------------------------------- */

static void test_namenodes(void **state)
{
    (void)state;
    char **v;
    size_t n;
    ls_error_t *err = ls__webhdfs_parse_namenodes(
        "nn1:9870, nn2.example.com:50070 ,nn3,[fe80::1]:1", 0, &v, &n);
    assert_null(err);
    assert_int_equal(n, 4);
    assert_string_equal(v[0], "nn1:9870");
    assert_string_equal(v[1], "nn2.example.com:50070");
    assert_string_equal(v[2], "nn3:9870");
    assert_string_equal(v[3], "[fe80::1]:1");
    ls__webhdfs_free_list(v, n);

    assert_null(ls__webhdfs_parse_namenodes("a", 1, &v, &n));
    assert_int_equal(n, 1);
    assert_string_equal(v[0], "a:9871");
    ls__webhdfs_free_list(v, n);

    static const char *const bad[] = {"", " ", "a,,b", "a,", ",a",
                                      "a:x", "a:70000", "u@a:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = (char **)"x";
        n = 99;
        err = ls__webhdfs_parse_namenodes(bad[i], 0, &v, &n);
        if (!err)
            fail_msg("\"%s\" was accepted", bad[i]);
        assert_null(v);
        assert_int_equal(n, 0);
        expect_invalid(err, NULL);
    }
    char many[256] = "";
    for (int i = 0; i < 17; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sn%d",
                 i ? "," : "", i);
    expect_invalid(ls__webhdfs_parse_namenodes(many, 0, &v, &n),
                   "more than 16");

    /* hdfs.namenodes overrides the URL's host; order is kept. */
    ls__webhdfs_opts_t o;
    opts_default(&o);
    o.user = "u";
    o.namenodes = "standby:9870,active:9870";
    ls_webhdfs_t *c = client("webhdfs://ignored:1/base", &o);
    assert_string_equal(ls_webhdfs_namenode(c), "standby:9870");
    char *u = url_for(c, "MKDIRS", "d", "");
    assert_string_equal(u, "http://standby:9870/webhdfs/v1/base/d?op=MKDIRS"
                           "&user.name=u");
    free(u);
    ls_webhdfs_destroy(c);

    /* No host anywhere. */
    opts_default(&o);
    ls_webhdfs_t *c2 = (ls_webhdfs_t *)&o;
    expect_invalid(ls__webhdfs_new_opts(&c2, "webhdfs:///x", &o),
                   "hdfs.namenodes");
    assert_null(c2);
}

/* ---- URL building and paths --------------------------------------- */

static void test_build_url(void **state)
{
    (void)state;
    ls_webhdfs_t *c = client_user("webhdfs://127.0.0.1:9870/archive",
                                  "alice");
    assert_string_equal(ls_webhdfs_base(c), "/archive");
    char *u = url_for(c, "CREATE", "t/2024-01-01/a b+c%.json.tmp",
                      "&overwrite=true");
    assert_string_equal(u, "http://127.0.0.1:9870/webhdfs/v1/archive/t/"
                           "2024-01-01/a%20b%2Bc%25.json.tmp?op=CREATE"
                           "&user.name=alice&overwrite=true");
    free(u);
    /* A leading '/' is still relative to the base; "" is the base. */
    u = url_for(c, "GETFILESTATUS", "/x", "");
    assert_string_equal(u, "http://127.0.0.1:9870/webhdfs/v1/archive/x"
                           "?op=GETFILESTATUS&user.name=alice");
    free(u);
    u = url_for(c, "LISTSTATUS", "", "");
    assert_string_equal(u, "http://127.0.0.1:9870/webhdfs/v1/archive"
                           "?op=LISTSTATUS&user.name=alice");
    free(u);
    /* Unicode names, byte by byte. */
    u = url_for(c, "MKDIRS", "donn\xc3\xa9" "es/\xe6\x97\xa5", "");
    assert_string_equal(u, "http://127.0.0.1:9870/webhdfs/v1/archive/"
                           "donn%C3%A9es/%E6%97%A5?op=MKDIRS&user.name="
                           "alice");
    free(u);
    /* Paths never leave the base. */
    static const char *const bad[] = {"..", "a/../../etc", "./a", "a/.",
                                      "a//b", "a/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *full = (char *)"x";
        expect_invalid(ls__webhdfs_full_path(c, bad[i], &full), NULL);
        assert_null(full);
    }
    ls_webhdfs_destroy(c);

    /* Root base, https, a user name that needs escaping. */
    c = client_user("swebhdfs://nn.example.com", "a b+c");
    assert_string_equal(ls_webhdfs_base(c), "/");
    u = url_for(c, "DELETE", "x/y", "&recursive=false");
    assert_string_equal(u, "https://nn.example.com:9871/webhdfs/v1/x/y"
                           "?op=DELETE&user.name=a%20b%2Bc&recursive=false");
    free(u);
    u = url_for(c, "LISTSTATUS", "", "");
    assert_string_equal(u, "https://nn.example.com:9871/webhdfs/v1/"
                           "?op=LISTSTATUS&user.name=a%20b%2Bc");
    free(u);
    ls_webhdfs_destroy(c);

    /* A base that was percent-encoded in the URL is decoded once and
     * encoded again on the wire. */
    c = client_user("webhdfs://nn/my%20data", "u");
    assert_string_equal(ls_webhdfs_base(c), "/my data");
    u = url_for(c, "GETFILESTATUS", "f", "");
    assert_string_equal(u, "http://nn:9870/webhdfs/v1/my%20data/f"
                           "?op=GETFILESTATUS&user.name=u");
    free(u);
    ls_webhdfs_destroy(c);
}

/* ---- authentication and CREATE parameters -------------------------- */

static void test_auth_params(void **state)
{
    (void)state;
    ls__webhdfs_opts_t o;
    char *u;

    /* A delegation token replaces user.name, escaped. */
    opts_default(&o);
    o.user = "alice";
    o.delegation = "HAAEaGRmcwRoZGZz+/=";
    ls_webhdfs_t *c = client("webhdfs://nn:9870", &o);
    u = url_for(c, "MKDIRS", "d", "");
    assert_string_equal(u, "http://nn:9870/webhdfs/v1/d?op=MKDIRS"
                           "&delegation=HAAEaGRmcwRoZGZz%2B%2F%3D");
    free(u);
    ls_webhdfs_destroy(c);

    /* Kerberos: SPNEGO, no user.name. */
    opts_default(&o);
    o.user = "alice";
    o.kerberos = 1;
    c = client("webhdfs://nn:9870", &o);
    u = url_for(c, "MKDIRS", "d", "");
    assert_string_equal(u, "http://nn:9870/webhdfs/v1/d?op=MKDIRS");
    free(u);
    ls_webhdfs_destroy(c);

    /* No hdfs.user: $HADOOP_USER_NAME, like the Hadoop client. */
    const char *saved = getenv("HADOOP_USER_NAME");
    char *keep = saved ? strdup(saved) : NULL;
    setenv("HADOOP_USER_NAME", "hdfs-svc", 1);
    opts_default(&o);
    c = client("webhdfs://nn:9870", &o);
    u = url_for(c, "MKDIRS", "d", "");
    assert_string_equal(u, "http://nn:9870/webhdfs/v1/d?op=MKDIRS"
                           "&user.name=hdfs-svc");
    free(u);
    ls_webhdfs_destroy(c);
    /* ...else the login name: some user.name is always sent. */
    unsetenv("HADOOP_USER_NAME");
    c = client("webhdfs://nn:9870", &o);
    u = url_for(c, "MKDIRS", "d", "");
    assert_non_null(strstr(u, "&user.name="));
    free(u);
    ls_webhdfs_destroy(c);
    if (keep) {
        setenv("HADOOP_USER_NAME", keep, 1);
        free(keep);
    }

    /* Permission must be octal up to 1777. */
    static const char *const perms_ok[] = {"644", "0644", "1777", "0", "755"};
    static const char *const perms_bad[] = {"888", "2000", "64a", "12345",
                                            "-1", "0x1"};
    for (size_t i = 0; i < sizeof(perms_ok) / sizeof(perms_ok[0]); i++) {
        opts_default(&o);
        o.permission = perms_ok[i];
        ls_webhdfs_destroy(client("webhdfs://nn", &o));
    }
    for (size_t i = 0; i < sizeof(perms_bad) / sizeof(perms_bad[0]); i++) {
        opts_default(&o);
        o.permission = perms_bad[i];
        c = NULL;
        expect_invalid(ls__webhdfs_new_opts(&c, "webhdfs://nn", &o),
                       "hdfs.permission");
        assert_null(c);
    }
}

static void test_opts_defaults(void **state)
{
    (void)state;
    ls__webhdfs_opts_t o;
    /* Without a conf, and with a conf where nothing is set (the keys a
     * conf does not know yet keep their defaults too). */
    for (int k = 0; k < 2; k++) {
        ls_conf_t *conf = k ? ls_conf_new() : NULL;
        assert_null(ls__webhdfs_opts_from_conf(&o, conf));
        assert_string_equal(o.user, "");
        assert_string_equal(o.namenodes, "");
        assert_string_equal(o.delegation, "");
        assert_int_equal(o.kerberos, 0);
        assert_int_equal(o.retries, 8);
        assert_int_equal(o.backoff_ms, 100);
        assert_int_equal(o.backoff_max_ms, 10000);
        assert_int_equal(o.timeout_ms, 60000);
        assert_int_equal(o.connect_timeout_ms, 10000);
        assert_int_equal(o.tls_verify, 1);
        assert_string_equal(o.ca_file, "");
        assert_int_equal(o.replication, 0);
        assert_int_equal(o.blocksize, 0);
        assert_string_equal(o.permission, "");
        ls_conf_destroy(conf);
    }
}

/* ---- RemoteException parsing and mapping ----------------------------- */

static ls_error_t *reply_error(long status, const char *body, char *exc,
                               size_t exc_size)
{
    ls__http_resp_t r;
    memset(&r, 0, sizeof(r));
    r.status = status;
    r.body = (char *)body;
    r.body_len = strlen(body);
    return ls__http_status_error("webhdfs CREATE /archive/x.tmp", &r, exc,
                                 exc_size);
}

static void test_remote_exception_parse(void **state)
{
    (void)state;
    char exc[64], msg[256];
    const char *body =
        "{\"RemoteException\":{\"exception\":\"FileNotFoundException\","
        "\"javaClassName\":\"java.io.FileNotFoundException\","
        "\"message\":\"File does not exist: /foo/a.patch\"}}";
    assert_int_equal(ls__http_remote_exception(body, strlen(body), exc,
                                               sizeof(exc), msg,
                                               sizeof(msg)),
                     1);
    assert_string_equal(exc, "FileNotFoundException");
    assert_string_equal(msg, "File does not exist: /foo/a.patch");

    /* Extra keys and whitespace are fine; only javaClassName is enough. */
    body = " {\"x\":1,\"RemoteException\":{\"javaClassName\":"
           "\"org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException\","
           "\"extra\":[1,2]}}\n";
    assert_int_equal(ls__http_remote_exception(body, strlen(body), exc,
                                               sizeof(exc), msg,
                                               sizeof(msg)),
                     1);
    assert_string_equal(exc, "AlreadyBeingCreatedException");
    assert_string_equal(msg, "");

    /* A qualified name in "exception" is shortened; inner classes too. */
    body = "{\"RemoteException\":{\"exception\":"
           "\"org.apache.hadoop.security.token.SecretManager$InvalidToken\","
           "\"message\":\"token expired\"}}";
    assert_int_equal(ls__http_remote_exception(body, strlen(body), exc,
                                               sizeof(exc), msg,
                                               sizeof(msg)),
                     1);
    assert_string_equal(exc, "InvalidToken");

    /* A class name ending in '.' keeps its whole name, not "". */
    body = "{\"RemoteException\":{\"exception\":\"a.b.\"}}";
    assert_int_equal(ls__http_remote_exception(body, strlen(body), exc,
                                               sizeof(exc), msg, sizeof(msg)),
                     1);
    assert_string_equal(exc, "a.b.");

    /* Long messages are truncated to the buffer. */
    char small[8];
    body = "{\"RemoteException\":{\"exception\":\"AccessControlException\","
           "\"message\":\"Permission denied: user=x\"}}";
    assert_int_equal(ls__http_remote_exception(body, strlen(body), exc,
                                               sizeof(exc), small,
                                               sizeof(small)),
                     1);
    assert_string_equal(small, "Permiss");

    /* Not a RemoteException. */
    static const char *const no[] = {
        "",
        "not json",
        "<html><body>502 Bad Gateway</body></html>",
        "{\"RemoteException\":",                              /* cut */
        "{\"RemoteException\":{\"exception\":\"X\"}} trailing", /* junk */
        "{\"RemoteException\":{\"message\":\"no name\"}}",
        "{\"RemoteException\":{\"exception\":\"\"}}",
        "{\"RemoteException\":{\"exception\":42}}",
        "{\"RemoteException\":\"str\"}",
        "{\"boolean\":false}",
        "[1,2,3]",
        "null",
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        strcpy(exc, "junk");
        if (ls__http_remote_exception(no[i], strlen(no[i]), exc,
                                      sizeof(exc), msg, sizeof(msg)))
            fail_msg("accepted: %s", no[i]);
        assert_string_equal(exc, "");
    }
    /* An embedded NUL is not JSON either. */
    assert_int_equal(ls__http_remote_exception("{}\0{}", 5, exc, sizeof(exc),
                                               msg, sizeof(msg)),
                     0);
}

static void test_exception_mapping(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *exc;
        ls_err_t code;
        int retriable;
    } cases[] = {
        {404, "FileNotFoundException", LS_ERR_NOT_FOUND, 0},
        {403, "AccessControlException", LS_ERR_ACCESS, 0},
        {403, "SecurityException", LS_ERR_ACCESS, 0},
        {401, "SecurityException", LS_ERR_ACCESS, 0},
        {403, "AuthorizationException", LS_ERR_ACCESS, 0},
        {403, "FileAlreadyExistsException", LS_ERR_EXISTS, 0},
        {500, "FileAlreadyExistsException", LS_ERR_EXISTS, 0}, /* HttpFS */
        {403, "AlreadyBeingCreatedException", LS_ERR_BUSY, 1},
        {403, "RecoveryInProgressException", LS_ERR_BUSY, 1},
        {403, "LeaseExpiredException", LS_ERR_BUSY, 1},
        {403, "RetriableException", LS_ERR_BUSY, 1},
        {403, "SafeModeException", LS_ERR_BUSY, 1},
        {403, "StandbyException", LS_ERR_TRANSPORT, 1},
        {400, "IllegalArgumentException", LS_ERR_INVALID_ARG, 0},
        {400, "UnsupportedOperationException", LS_ERR_INVALID_ARG, 0},
        {403, "ParentNotDirectoryException", LS_ERR_NOT_FOUND, 0},
        {403, "PathIsNotEmptyDirectoryException", LS_ERR_IO, 0},
        {403, "DSQuotaExceededException", LS_ERR_IO, 0},
        /* Unknown exceptions go by the status; 403 is "some IOException". */
        {403, "IOException", LS_ERR_IO, 0},
        {500, "NullPointerException", LS_ERR_TRANSPORT, 1},
        {503, "SomethingNew", LS_ERR_TRANSPORT, 1},
        {404, "SomethingNew", LS_ERR_NOT_FOUND, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[256], want[256], exc[64];
        snprintf(body, sizeof(body),
                 "{\"RemoteException\":{\"exception\":\"%s\","
                 "\"javaClassName\":\"org.apache.hadoop.x.%s\","
                 "\"message\":\"it failed\"}}",
                 cases[i].exc, cases[i].exc);
        ls_error_t *err = reply_error(cases[i].status, body, exc,
                                      sizeof(exc));
        snprintf(want, sizeof(want),
                 "webhdfs CREATE /archive/x.tmp: HTTP %ld %s: it failed",
                 cases[i].status, cases[i].exc);
        assert_string_equal(ls_error_message(err), want);
        if (ls_error_code(err) != cases[i].code)
            fail_msg("%s: code %s, expected %s", cases[i].exc,
                     ls_err2str(ls_error_code(err)),
                     ls_err2str(cases[i].code));
        assert_int_equal(ls_error_is_retriable(err), cases[i].retriable);
        assert_int_equal(ls_error_http_status(err), cases[i].status);
        assert_string_equal(exc, cases[i].exc);
        ls_error_destroy(err);

        /* The name lookup alone, short and qualified. */
        int r = -1;
        char q[128];
        snprintf(q, sizeof(q), "org.apache.hadoop.ipc.%s", cases[i].exc);
        ls_err_t c1 = ls__http_exception_code(cases[i].exc, &r);
        ls_err_t c2 = ls__http_exception_code(q, NULL);
        assert_int_equal(c1, c2);
    }

    /* The message as the brief asks for it. */
    char exc[64];
    ls_error_t *err = reply_error(
        403,
        "{\"RemoteException\":{\"exception\":\"FileAlreadyExistsException\","
        "\"message\":\"/archive/x.tmp for client 127.0.0.1 already "
        "exists\"}}",
        exc, sizeof(exc));
    assert_string_equal(ls_error_message(err),
                        "webhdfs CREATE /archive/x.tmp: HTTP 403 "
                        "FileAlreadyExistsException: /archive/x.tmp for "
                        "client 127.0.0.1 already exists");
    ls_error_destroy(err);

    /* No message. */
    err = reply_error(404,
                      "{\"RemoteException\":{\"exception\":"
                      "\"FileNotFoundException\"}}",
                      NULL, 0);
    assert_string_equal(ls_error_message(err),
                        "webhdfs CREATE /archive/x.tmp: HTTP 404 "
                        "FileNotFoundException");
    ls_error_destroy(err);
}

static void test_non_json_errors(void **state)
{
    (void)state;
    char exc[64];
    /* HTML from a proxy: the first line, printable. */
    ls_error_t *err = reply_error(502, "\r\n<html>Bad\tGateway</html>\nmore",
                                  exc, sizeof(exc));
    assert_string_equal(ls_error_message(err),
                        "webhdfs CREATE /archive/x.tmp: HTTP 502 "
                        "<html>Bad Gateway</html>");
    assert_int_equal(ls_error_code(err), LS_ERR_TRANSPORT);
    assert_true(ls_error_is_retriable(err));
    assert_int_equal(ls_error_http_status(err), 502);
    assert_string_equal(exc, "");
    ls_error_destroy(err);

    /* Empty body. */
    err = reply_error(401, "", NULL, 0);
    assert_string_equal(ls_error_message(err),
                        "webhdfs CREATE /archive/x.tmp: HTTP 401");
    assert_int_equal(ls_error_code(err), LS_ERR_ACCESS);
    assert_false(ls_error_is_retriable(err));
    ls_error_destroy(err);

    /* Malformed JSON falls back to the status. */
    err = reply_error(404, "{\"RemoteException\":{\"exception\":", NULL, 0);
    assert_int_equal(ls_error_code(err), LS_ERR_NOT_FOUND);
    ls_error_destroy(err);

    /* A very long line is cut. */
    char big[2048];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    err = reply_error(500, big, NULL, 0);
    assert_true(strlen(ls_error_message(err)) < 300);
    ls_error_destroy(err);
}

/* ---- retry decisions ---------------------------------------------- */

static void test_status_codes(void **state)
{
    (void)state;
    static const struct {
        long status;
        ls_err_t code;
        int retriable;
    } cases[] = {
        {500, LS_ERR_TRANSPORT, 1}, {502, LS_ERR_TRANSPORT, 1},
        {503, LS_ERR_TRANSPORT, 1}, {504, LS_ERR_TRANSPORT, 1},
        {501, LS_ERR_TRANSPORT, 0}, {505, LS_ERR_TRANSPORT, 0},
        {408, LS_ERR_TRANSPORT, 1}, {429, LS_ERR_TRANSPORT, 1},
        {400, LS_ERR_INVALID_ARG, 0}, {401, LS_ERR_ACCESS, 0},
        {403, LS_ERR_ACCESS, 0},   {404, LS_ERR_NOT_FOUND, 0},
        {405, LS_ERR_INVALID_ARG, 0}, {409, LS_ERR_EXISTS, 0},
        {410, LS_ERR_NOT_FOUND, 0}, {413, LS_ERR_INVALID_ARG, 0},
        {418, LS_ERR_GENERIC, 0},  {302, LS_ERR_GENERIC, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = -1;
        ls_err_t c = ls__http_status_code(cases[i].status, &r);
        if (c != cases[i].code || r != cases[i].retriable)
            fail_msg("HTTP %ld: %s/%d, expected %s/%d", cases[i].status,
                     ls_err2str(c), r, ls_err2str(cases[i].code),
                     cases[i].retriable);
    }
}

static ls_error_t *mk(ls_err_t code, int status, int retriable)
{
    ls_error_t *e = ls_error_new(code, "x");
    ls_error_set_http_status(e, status);
    return ls_error_set_retriable(e, retriable);
}

static void test_decide(void **state)
{
    (void)state;
    static const struct {
        ls_err_t code;
        int status, retriable;
        const char *exc;
        int at_nn, ambiguous;
        size_t nnn;
        ls__wh_action_t want;
    } cases[] = {
        /* Standby: the next namenode, or wait for the failover. */
        {LS_ERR_TRANSPORT, 403, 1, "StandbyException", 1, 0, 2,
         LS__WH_FAILOVER},
        {LS_ERR_TRANSPORT, 403, 1, "StandbyException", 1, 0, 1,
         LS__WH_RETRY},
        /* Connection failures: a namenode fails over, a datanode is
         * retried from the namenode step. */
        {LS_ERR_TRANSPORT, 0, 1, "", 1, 0, 3, LS__WH_FAILOVER},
        {LS_ERR_TRANSPORT, 0, 1, "", 1, 0, 1, LS__WH_RETRY},
        {LS_ERR_TRANSPORT, 0, 1, "", 0, 0, 3, LS__WH_RETRY},
        /* A certificate problem is not retriable anywhere. */
        {LS_ERR_TRANSPORT, 0, 0, "", 1, 0, 3, LS__WH_FAIL},
        /* 5xx retried; at a namenode it is not a failover reason. */
        {LS_ERR_TRANSPORT, 503, 1, "", 1, 0, 2, LS__WH_RETRY},
        {LS_ERR_TRANSPORT, 500, 1, "", 0, 0, 2, LS__WH_RETRY},
        {LS_ERR_TRANSPORT, 501, 0, "", 1, 0, 2, LS__WH_FAIL},
        /* Lease errors. */
        {LS_ERR_BUSY, 403, 1, "RecoveryInProgressException", 1, 0, 1,
         LS__WH_RETRY},
        {LS_ERR_BUSY, 403, 1, "LeaseExpiredException", 0, 0, 1,
         LS__WH_RETRY},
        {LS_ERR_BUSY, 403, 1, "AlreadyBeingCreatedException", 1, 0, 1,
         LS__WH_FAIL},
        {LS_ERR_BUSY, 403, 1, "AlreadyBeingCreatedException", 1, 1, 1,
         LS__WH_RETRY},
        /* 4xx that cannot succeed. */
        {LS_ERR_NOT_FOUND, 404, 0, "FileNotFoundException", 1, 0, 2,
         LS__WH_FAIL},
        {LS_ERR_ACCESS, 403, 0, "AccessControlException", 1, 0, 2,
         LS__WH_FAIL},
        {LS_ERR_EXISTS, 403, 0, "FileAlreadyExistsException", 0, 1, 2,
         LS__WH_FAIL},
        {LS_ERR_INVALID_ARG, 400, 0, "IllegalArgumentException", 1, 0, 2,
         LS__WH_FAIL},
        {LS_ERR_ACCESS, 401, 0, "", 1, 0, 2, LS__WH_FAIL},
        /* Out of memory never, even though it says retriable. */
        {LS_ERR_NOMEM, 0, 1, "", 1, 0, 2, LS__WH_FAIL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ls_error_t *e = mk(cases[i].code, cases[i].status,
                           cases[i].retriable);
        ls__wh_action_t a = ls__webhdfs_decide(
            e, cases[i].exc, cases[i].at_nn, cases[i].ambiguous,
            cases[i].nnn);
        if (a != cases[i].want)
            fail_msg("case %zu (%s %d %s): %d, expected %d", i,
                     ls_err2str(cases[i].code), cases[i].status,
                     cases[i].exc, (int)a, (int)cases[i].want);
        ls_error_destroy(e);
    }
}

static void test_should_retry(void **state)
{
    (void)state;
    ls__retry_t r = {3, 100, 1000};
    ls_error_t *t = mk(LS_ERR_TRANSPORT, 503, 1);
    ls_error_t *nf = mk(LS_ERR_NOT_FOUND, 404, 0);
    ls_error_t *oom = mk(LS_ERR_NOMEM, 0, 1);
    assert_true(ls__http_should_retry(&r, t, 0));
    assert_true(ls__http_should_retry(&r, t, 2));
    assert_false(ls__http_should_retry(&r, t, 3)); /* 3 retries made */
    assert_false(ls__http_should_retry(&r, nf, 0));
    assert_false(ls__http_should_retry(&r, oom, 0));
    assert_false(ls__http_should_retry(&r, NULL, 0));
    r.max_retries = 0;
    assert_false(ls__http_should_retry(&r, t, 0));
    ls_error_destroy(t);
    ls_error_destroy(nf);
    ls_error_destroy(oom);
}

/* ---- backoff ------------------------------------------------------- */

static void test_backoff(void **state)
{
    (void)state;
    uint64_t rng = 12345;
    ls__retry_t r = {8, 100, 10000};
    for (int a = 0; a < 70; a++) {
        long ceil = a < 7 ? 100L << a : 10000; /* 100 * 2^7 > cap */
        long lo = ceil, hi = 0;
        for (int i = 0; i < 2000; i++) {
            long v = ls__http_backoff_ms(&r, a, &rng);
            if (v < 0 || v > ceil)
                fail_msg("attempt %d: %ld not in [0, %ld]", a, v, ceil);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        /* Full jitter: spread over the whole range. */
        assert_true(lo < ceil / 10);
        assert_true(hi > ceil - ceil / 10);
    }
    /* Edge cases: no base, no cap, cap below base, huge base. */
    ls__retry_t zero = {8, 0, 10000};
    assert_int_equal(ls__http_backoff_ms(&zero, 5, &rng), 0);
    ls__retry_t nocap = {8, 100, 0};
    assert_int_equal(ls__http_backoff_ms(&nocap, 5, &rng), 0);
    ls__retry_t low = {8, 500, 50};
    for (int i = 0; i < 100; i++)
        assert_true(ls__http_backoff_ms(&low, 0, &rng) <= 50);
    ls__retry_t huge = {8, 3600000, 3600000};
    for (int a = 0; a < 100; a++)
        assert_true(ls__http_backoff_ms(&huge, a, &rng) <= 3600000);
    assert_true(ls__http_backoff_ms(&r, -1, &rng) <= 100);
    /* A zero seed still works. */
    uint64_t z = 0;
    long v = ls__http_backoff_ms(&r, 3, &z);
    assert_true(v >= 0 && v <= 800);
    /* Seeds differ between handles. */
    int x = 0, y = 0;
    assert_true(ls__http_seed(&x) != ls__http_seed(&y) ||
                ls__http_seed(&x) != ls__http_seed(&x));
}

/* ---- http helpers ------------------------------------------------- */

static void test_url_host(void **state)
{
    (void)state;
    char b[64];
    ls__http_url_host("http://dn1:9864/webhdfs/v1/x?op=CREATE", b,
                      sizeof(b));
    assert_string_equal(b, "dn1:9864");
    ls__http_url_host("https://user:pw@dn1/x", b, sizeof(b));
    assert_string_equal(b, "dn1");
    ls__http_url_host("http://[::1]:9864?x", b, sizeof(b));
    assert_string_equal(b, "[::1]:9864");
    /* A password holding '@' is still hidden whole. */
    ls__http_url_host("https://user:p@ss@w0rd@dn1:9871/x@y", b, sizeof(b));
    assert_string_equal(b, "dn1:9871");
}

/* ---- the backend opener and a closed port -------------------------- */

static void test_backend_open(void **state)
{
    (void)state;
    ls_backend_t *b = NULL;
    ls_error_t *err = ls__backend_webhdfs_open(
        &b, "webhdfs://127.0.0.1:9870/archive", NULL);
    assert_null(err);
    assert_string_equal(ls_backend_name(b), "webhdfs");
    assert_string_equal(ls_backend_root(b), "webhdfs://127.0.0.1:9870/archive");
    ls_backend_destroy(b);

    err = ls__backend_webhdfs_open(&b, "swebhdfs://nn/", NULL);
    assert_null(err);
    assert_string_equal(ls_backend_root(b), "swebhdfs://nn:9871/");
    ls_backend_destroy(b);

    b = (ls_backend_t *)&err;
    err = ls__backend_webhdfs_open(&b, "webhdfs://nn/a/../b", NULL);
    assert_null(b);
    expect_invalid(err, "destination");

    /* Arguments the public client refuses. */
    ls_webhdfs_t *c = client_user("webhdfs://nn", "u");
    int64_t len = 0;
    expect_invalid(ls_webhdfs_append(c, "x", NULL, 5, &len), "NULL");
    expect_invalid(ls_webhdfs_append(c, "x", "abc", 3, NULL), "length");
    expect_invalid(ls_webhdfs_create(c, "x", NULL, 3, 1), "NULL");
    expect_invalid(ls_webhdfs_delete(c, "", 1), "root");
    expect_invalid(ls_webhdfs_stat(c, "../x", NULL, NULL, NULL), "\"..\"");
    expect_invalid(ls_webhdfs_list(c, "x", NULL, NULL), "callback");
    assert_null(ls_webhdfs_append(c, "x", "", 0, &len)); /* no-op */
    ls_webhdfs_destroy(c);
    ls_webhdfs_destroy(NULL);
}

static void test_connection_refused(void **state)
{
    (void)state;
    char nns[64], url[64];
    int p1 = closed_port(), p2 = closed_port();
    snprintf(nns, sizeof(nns), "127.0.0.1:%d,127.0.0.1:%d", p1, p2);
    snprintf(url, sizeof(url), "webhdfs://127.0.0.1:%d/base", p1);
    ls__webhdfs_opts_t o;
    opts_default(&o);
    o.user = "u";
    o.retries = 2;
    o.backoff_ms = 1;
    o.backoff_max_ms = 2;
    o.connect_timeout_ms = 2000;
    o.timeout_ms = 5000;

    /* One namenode: retried, then a retriable transport error. */
    ls_webhdfs_t *c = client(url, &o);
    ls_error_t *err = ls_webhdfs_mkdirs(c, "d");
    assert_non_null(err);
    assert_int_equal(ls_error_code(err), LS_ERR_TRANSPORT);
    assert_true(ls_error_is_retriable(err));
    assert_int_equal(ls_error_http_status(err), 0);
    const char *m = ls_error_message(err);
    if (!strstr(m, "webhdfs MKDIRS /base/d: namenode 127.0.0.1:") ||
        !strstr(m, "(gave up after 3 attempts)"))
        fail_msg("unexpected message: %s", m);
    ls_error_destroy(err);
    ls_webhdfs_destroy(c);

    /* Two namenodes: both tried in each round; still 3 rounds. */
    o.namenodes = nns;
    c = client(url, &o);
    err = ls_webhdfs_stat(c, "f", NULL, NULL, NULL);
    assert_int_equal(ls_error_code(err), LS_ERR_TRANSPORT);
    m = ls_error_message(err);
    if (!strstr(m, "(gave up after 3 attempts)"))
        fail_msg("unexpected message: %s", m);
    ls_error_destroy(err);

    ls_webhdfs_destroy(c);

    /* Through the backend: create sends nothing; a failed first append
     * (the CREATE) leaves the file refusing more appends, and its close
     * sends nothing; closing a file never written sends the CREATE of
     * the empty file, and frees it even when that fails. */
    o.namenodes = "";
    ls_backend_t *b = NULL;
    assert_null(ls__backend_webhdfs_wrap(&b, client(url, &o)));
    ls_bfile_t *f = NULL;
    assert_null(ls_backend_create(b, "t/x.tmp", &f));
    assert_non_null(f);
    err = ls_backend_append(b, f, "abc", 3);
    assert_int_equal(ls_error_code(err), LS_ERR_TRANSPORT);
    if (!strstr(ls_error_message(err), "webhdfs CREATE /base/t/x.tmp"))
        fail_msg("unexpected message: %s", ls_error_message(err));
    ls_error_destroy(err);
    err = ls_backend_append(b, f, "abc", 3);
    assert_int_equal(ls_error_code(err), LS_ERR_STATE);
    ls_error_destroy(err);
    assert_null(ls_backend_close(b, f));

    assert_null(ls_backend_create(b, "t/y.tmp", &f));
    err = ls_backend_close(b, f);
    assert_int_equal(ls_error_code(err), LS_ERR_TRANSPORT);
    if (!strstr(ls_error_message(err), "webhdfs CREATE /base/t/y.tmp"))
        fail_msg("unexpected message: %s", ls_error_message(err));
    ls_error_destroy(err);
    ls_backend_destroy(b);
}

int main(void)
{
    /* As every application must: once, before anything else. */
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_namenodes),
        cmocka_unit_test(test_build_url),
        cmocka_unit_test(test_auth_params),
        cmocka_unit_test(test_opts_defaults),
        cmocka_unit_test(test_remote_exception_parse),
        cmocka_unit_test(test_exception_mapping),
        cmocka_unit_test(test_non_json_errors),
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_should_retry),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_url_host),
        cmocka_unit_test(test_backend_open),
        cmocka_unit_test(test_connection_refused),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return r;
}
