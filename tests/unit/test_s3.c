/* Unit tests: the S3 client's pure parts, without an S3 server: the XML
 * reader (error documents, UploadId, ListObjectsV2 pages, the
 * CompleteMultipartUpload result against a 200 carrying an <Error>,
 * entities, truncated and malformed documents), the mapping of replies
 * to errors and retry decisions, the credentials chain (conf, the
 * environment, the shared credentials file and its profiles), URL
 * building for path-style and virtual-hosted requests with odd keys, and
 * that the secret key and the session token never show in an error.
 *
 * A few tests send real requests to a canned responder thread on a
 * loopback port (a fixed list of raw replies, the requests recorded, as
 * curl's test suite does), to check the request bytes, the retries and
 * the redaction end to end; one reaches a closed port. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "http_int.h"
#include "libstream/conf.h"
#include "libstream/s3.h"
#include "s3_int.h" /* the internals under test */

/* Credentials used throughout; none may ever show in a message. */
#define AKID "AKIDUNITTEST0001"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
#define TOKEN "FQoGZXIvYXdzEXAMPLESESSIONTOKEN+/=="

/* ---- helpers --------------------------------------------------------- */

static void clear_aws_env(void)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_REGION", "AWS_DEFAULT_REGION"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    /* No real ~/.aws/credentials may leak into a test. */
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/libstream-test", 1);
}

static int setup(void **state)
{
    (void)state;
    clear_aws_env();
    return 0;
}

static ls_conf_t *conf_of(const char *kv, ...)
{
    ls_conf_t *conf = ls_conf_new();
    va_list ap;
    assert_non_null(conf);
    va_start(ap, kv);
    for (const char *s = kv; s; s = va_arg(ap, const char *)) {
        ls_error_t *err = ls_conf_set_kv(conf, s);
        if (err)
            fail_msg("conf %s: %s", s, ls_error_message(err));
    }
    va_end(ap);
    return conf;
}

static void no_secret(const ls_error_t *err)
{
    const char *m = ls_error_message(err);
    if (strstr(m, SECRET) || strstr(m, TOKEN) || strstr(m, "K7MDENG") ||
        strstr(m, "EXAMPLESESSION"))
        fail_msg("a secret leaked into: %s", m);
}

static void expect_err(ls_error_t *err, ls_err_t code, const char *needle)
{
    if (!err)
        fail_msg("expected an error with \"%s\"", needle ? needle : "");
    if (ls_error_code(err) != code)
        fail_msg("code %s, expected %s: %s", ls_err2str(ls_error_code(err)),
                 ls_err2str(code), ls_error_message(err));
    if (needle && !strstr(ls_error_message(err), needle))
        fail_msg("\"%s\" not in \"%s\"", needle, ls_error_message(err));
    no_secret(err);
    ls_error_destroy(err);
}

static ls_s3_t *client_of(ls_conf_t *conf)
{
    ls_s3_t *c = NULL;
    ls_error_t *err = ls_s3_new(&c, conf);
    if (err)
        fail_msg("ls_s3_new: %s", ls_error_message(err));
    ls_conf_destroy(conf);
    return c;
}

static char tmpdir[256];

static int setup_tmp(void **state)
{
    setup(state);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_s3.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown_tmp(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
    clear_aws_env();
    return 0;
}

static int starts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* ---- XML: error documents -------------------------------------------- */

static void test_xml_error(void **state)
{
    (void)state;
    char code[64], msg[256];
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not "
        "exist.</Message><Key>a/b</Key><RequestId>4442587FB7D0A2F9"
        "</RequestId><HostId>xyz</HostId></Error>";
    assert_int_equal(ls__s3_xml_error(doc, strlen(doc), code, sizeof(code),
                                      msg, sizeof(msg)),
                     1);
    assert_string_equal(code, "NoSuchKey");
    assert_string_equal(msg, "The specified key does not exist.");

    /* s3rver's shape: no declaration spacing, extra detail elements. */
    doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>"
          "NoSuchBucket</Code>\n  <Message>The specified bucket does not "
          "exist</Message>\n  <BucketName>nob</BucketName>\n</Error>\n";
    assert_int_equal(ls__s3_xml_error(doc, strlen(doc), code, sizeof(code),
                                      msg, sizeof(msg)),
                     1);
    assert_string_equal(code, "NoSuchBucket");
    assert_string_equal(msg, "The specified bucket does not exist");

    /* Entities, numeric references, CDATA, comments, a missing Message. */
    doc = "<Error><!-- c --><Code>SlowDown</Code><Message>a &amp; b &lt;c"
          "&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#xe9;&#x65E5;"
          "&#128512;<![CDATA[<raw&>]]></Message></Error>";
    assert_int_equal(ls__s3_xml_error(doc, strlen(doc), code, sizeof(code),
                                      msg, sizeof(msg)),
                     1);
    assert_string_equal(code, "SlowDown");
    assert_string_equal(msg, "a & b <c> \"d\" 'e' AB\xc3\xa9\xe6\x97\xa5"
                             "\xf0\x9f\x98\x80<raw&>");
    doc = "<Error><Code>InternalError</Code></Error>";
    assert_int_equal(ls__s3_xml_error(doc, strlen(doc), code, sizeof(code),
                                      msg, sizeof(msg)),
                     1);
    assert_string_equal(msg, "");

    /* Truncation to the buffers. */
    char small[5];
    doc = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
          "</Error>";
    assert_int_equal(ls__s3_xml_error(doc, strlen(doc), small,
                                      sizeof(small), msg, sizeof(msg)),
                     1);
    assert_string_equal(small, "Acce");

    /* Not S3 errors: nothing is copied. */
    static const char *const not_errors[] = {
        "",
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        "{\"RemoteException\":{}}",
        "<Error><Message>no code</Message></Error>",
        "<Error><Code></Code></Error>",
        "<NotError><Code>X</Code></NotError>",
        "<Wrapper><Error><Code>X</Code></Error></Wrapper>",
        "<Error><Code>X</Code></Error><Error><Code>Y</Code></Error>",
        "<Error><Code>X</Code>", /* cut off */
    };
    for (size_t i = 0; i < sizeof(not_errors) / sizeof(not_errors[0]); i++) {
        strcpy(code, "junk");
        strcpy(msg, "junk");
        if (ls__s3_xml_error(not_errors[i], strlen(not_errors[i]), code,
                             sizeof(code), msg, sizeof(msg)))
            fail_msg("taken as an error: %s", not_errors[i]);
        assert_string_equal(code, "");
        assert_string_equal(msg, "");
    }
    /* The length bounds the parse, not a NUL. */
    doc = "<Error><Code>NoSuchKey</Code></Error>trailing garbage";
    assert_int_equal(ls__s3_xml_error(doc, 37, code, sizeof(code), NULL, 0),
                     1);
    assert_int_equal(ls__s3_xml_error(doc, 30, code, sizeof(code), NULL, 0),
                     0);
    assert_int_equal(ls__s3_xml_error(doc, strlen(doc), code, sizeof(code),
                                      NULL, 0),
                     0);
}

/* ---- XML: well-formedness -------------------------------------------- */

static void test_xml_malformed(void **state)
{
    (void)state;
    char root[64];
    static const char *const good[] = {
        "<A/>",
        "<A></A>",
        "  \r\n\t <A>x</A>\n", /* S3's keep-alive white space first */
        ("<?xml version=\"1.0\"?><!-- hi --><A><B/><C  k='v>' j = \"w\" >t"
         "</C  ></A><!-- end -->\n"),
        "<A><![CDATA[ <not> &a tag ]]></A>",
        "<A>&#x10FFFF;&#9;&#10;&#13;</A>",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (ls__s3_xml_root(good[i], strlen(good[i]), root, sizeof(root)))
            fail_msg("refused: %s", good[i]);
        assert_string_equal(root, "A");
    }
    char deep[2000] = "", tail[2000] = "";
    for (int i = 0; i < 32; i++) {
        strcat(deep, "<d>");
        strcat(tail, "</d>");
    }
    strcat(deep, tail);
    assert_int_equal(ls__s3_xml_root(deep, strlen(deep), root, sizeof(root)),
                     0);
    char deeper[2000] = "<e>";
    strcat(deeper, deep);
    strcat(deeper, "</e>");

    static const char *const bad[] = {
        "",
        "   ",
        "text",
        "<A>",
        "<A><B></A></B>",
        "<A></B>",
        "<A>x</A>y",
        "x<A/>",
        "<A/><B/>",
        "<A></A></A>",
        "<A",
        "<A b>",
        "<A b=c>",
        "<A b=\"c>",
        "<A b=\"<\">",
        "<A>&unknown;</A>",
        "<A>&amp</A>",
        "<A>& </A>",
        "<A>&#;</A>",
        "<A>&#0;</A>",
        "<A>&#1;</A>",
        "<A>&#xD800;</A>",
        "<A>&#x110000;</A>",
        "<A>&#xFFFE;</A>",
        "<A>&#99999999999;</A>",
        "<A>&#x41</A>",
        "<!DOCTYPE A [<!ENTITY e \"x\">]><A>&e;</A>",
        "<A><!-- unterminated </A>",
        "<A><![CDATA[ x </A>",
        "<?xml version=\"1.0\"",
        "<></>",
        "</A>",
        "<A/ >",
        "<A>&amp;</A",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (!ls__s3_xml_root(bad[i], strlen(bad[i]), root, sizeof(root)))
            fail_msg("accepted: \"%s\"", bad[i]);
    /* Nesting deeper than the bound, and a NUL inside. */
    assert_int_equal(
        ls__s3_xml_root(deeper, strlen(deeper), root, sizeof(root)), -1);
    assert_int_equal(ls__s3_xml_root("<A>\0</A>", 8, root, sizeof(root)),
                     -1);
    assert_int_equal(ls__s3_xml_root(NULL, 0, root, sizeof(root)), -1);
    assert_string_equal(root, "");
}

/* ---- XML: UploadId ------------------------------------------------- */

static void test_xml_upload_id(void **state)
{
    (void)state;
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/"
        "2006-03-01/\"><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE"
        "IGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA&amp;x</UploadId>"
        "</InitiateMultipartUploadResult>";
    char *id = ls__s3_xml_upload_id(doc, strlen(doc));
    assert_non_null(id);
    assert_string_equal(id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMn"
                            "RzIHVwbG9hZA&x");
    free(id);
    static const char *const bad[] = {
        "<InitiateMultipartUploadResult><Bucket>b</Bucket>"
        "</InitiateMultipartUploadResult>",
        "<InitiateMultipartUploadResult><UploadId></UploadId>"
        "</InitiateMultipartUploadResult>",
        "<Other><UploadId>x</UploadId></Other>",
        "<InitiateMultipartUploadResult><X><UploadId>x</UploadId></X>"
        "</InitiateMultipartUploadResult>",
        "<InitiateMultipartUploadResult><UploadId>x</UploadId>",
        "<Error><Code>AccessDenied</Code></Error>",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        id = ls__s3_xml_upload_id(bad[i], strlen(bad[i]));
        if (id)
            fail_msg("UploadId \"%s\" from %s", id, bad[i]);
    }
}

/* ---- XML: ListObjectsV2 -------------------------------------------- */

typedef struct {
    char keys[16][64];
    int64_t sizes[16];
    int n;
    int stop_after; /* 0: never */
} seen_t;

static int collect(void *opaque, const char *key, int64_t size)
{
    seen_t *s = opaque;
    assert_true(s->n < 16);
    snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
    s->sizes[s->n] = size;
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static void test_xml_list(void **state)
{
    (void)state;
    seen_t s;
    int trunc = -1;
    char *next = NULL;
    const char *page1 =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>bkt</Name><Prefix>logs/</Prefix><KeyCount>3</KeyCount>"
        "<MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOw"
        "M=</NextContinuationToken>"
        "<Contents><Key>logs/a.json</Key><LastModified>2009-10-12T17:50:30."
        "000Z</LastModified><ETag>&quot;fba9dede5f27731c9771645a39863328"
        "&quot;</ETag><Size>434234</Size><StorageClass>STANDARD"
        "</StorageClass></Contents>"
        "<Contents><Key>logs/b &amp; c&#x2F;&lt;d&gt;.json</Key><Size>0"
        "</Size></Contents>"
        "<Contents><Key>logs/\xc3\xa9t\xc3\xa9</Key><Size>9223372036854775807"
        "</Size></Contents>"
        "</ListBucketResult>";
    memset(&s, 0, sizeof(s));
    assert_int_equal(ls__s3_xml_list(page1, strlen(page1), collect, &s,
                                     &trunc, &next),
                     0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.keys[0], "logs/a.json");
    assert_int_equal(s.sizes[0], 434234);
    assert_string_equal(s.keys[1], "logs/b & c/<d>.json");
    assert_int_equal(s.sizes[1], 0);
    assert_string_equal(s.keys[2], "logs/\xc3\xa9t\xc3\xa9");
    assert_true(s.sizes[2] == INT64_MAX);
    assert_int_equal(trunc, 1);
    assert_non_null(next);
    assert_string_equal(next, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    free(next);

    /* The last page, URL-encoded keys (encoding-type=url). */
    const char *page2 =
        "<ListBucketResult><Name>bkt</Name><Prefix>logs%2F</Prefix>"
        "<ContinuationToken>tok</ContinuationToken>"
        "<Contents><Key>logs%2Fa+b%2Bc%25d%20e</Key><Size>5</Size>"
        "</Contents><Contents><Key>logs/%01ctl</Key><Size>1</Size>"
        "</Contents><EncodingType>url</EncodingType><KeyCount>2</KeyCount>"
        "<IsTruncated>false</IsTruncated></ListBucketResult>";
    memset(&s, 0, sizeof(s));
    assert_int_equal(ls__s3_xml_list(page2, strlen(page2), collect, &s,
                                     &trunc, &next),
                     0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.keys[0], "logs/a b+c%d e");
    assert_string_equal(s.keys[1], "logs/\x01""ctl");
    assert_int_equal(trunc, 0);
    assert_null(next);

    /* Without EncodingType the keys are taken as they are. */
    const char *raw = "<ListBucketResult><Contents><Key>a+b%20c</Key><Size>1"
                      "</Size></Contents><IsTruncated>false</IsTruncated>"
                      "</ListBucketResult>";
    memset(&s, 0, sizeof(s));
    assert_int_equal(
        ls__s3_xml_list(raw, strlen(raw), collect, &s, &trunc, &next), 0);
    assert_string_equal(s.keys[0], "a+b%20c");

    /* An empty bucket. */
    const char *empty = "<ListBucketResult><Name>b</Name><KeyCount>0"
                        "</KeyCount><IsTruncated>false</IsTruncated>"
                        "</ListBucketResult>";
    memset(&s, 0, sizeof(s));
    assert_int_equal(
        ls__s3_xml_list(empty, strlen(empty), collect, &s, &trunc, &next),
        0);
    assert_int_equal(s.n, 0);

    /* The callback stops the listing. */
    memset(&s, 0, sizeof(s));
    s.stop_after = 2;
    assert_int_equal(ls__s3_xml_list(page1, strlen(page1), collect, &s,
                                     &trunc, &next),
                     1);
    assert_int_equal(s.n, 2);
    free(next);

    /* Malformed pages give no key at all, even when the fault is last. */
    static const char *const bad[] = {
        /* cut off after two keys */
        "<ListBucketResult><Contents><Key>a</Key><Size>1</Size></Contents>"
        "<Contents><Key>b</Key><Size>1</Size></Contents><IsTrunc",
        /* truncated without a token */
        "<ListBucketResult><Contents><Key>a</Key><Size>1</Size></Contents>"
        "<IsTruncated>true</IsTruncated></ListBucketResult>",
        "<ListBucketResult><IsTruncated>maybe</IsTruncated>"
        "</ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents>"
        "</ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size>1x</Size></Contents>"
        "</ListBucketResult>",
        "<ListBucketResult><Contents><Size>1</Size></Contents>"
        "</ListBucketResult>",
        "<ListBucketResult><Contents><Key></Key></Contents>"
        "</ListBucketResult>",
        "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>"
        "a%zz</Key></Contents></ListBucketResult>",
        "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>"
        "a%00b</Key></Contents></ListBucketResult>",
        "<ListAllMyBucketsResult/>",
        "<Error><Code>NoSuchBucket</Code></Error>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&s, 0, sizeof(s));
        next = (char *)"junk";
        if (ls__s3_xml_list(bad[i], strlen(bad[i]), collect, &s, &trunc,
                            &next) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(s.n, 0);
        assert_null(next);
    }
}

static void test_url_decode(void **state)
{
    (void)state;
    char b[64];
    strcpy(b, "a+b%2Bc%2fd%C3%A9");
    assert_int_equal(ls__s3_url_decode(b), 0);
    assert_string_equal(b, "a b+c/d\xc3\xa9");
    static const char *const bad[] = {"%", "%2", "%g0", "a%00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        strcpy(b, bad[i]);
        assert_int_equal(ls__s3_url_decode(b), -1);
    }
}

/* ---- XML: CompleteMultipartUpload ---------------------------------- */

static void test_xml_complete(void **state)
{
    (void)state;
    char etag[LS_S3_ETAG_SIZE];
    const char *what = "s3 POST b/k (complete multipart upload, 2 parts)";
    const char *ok =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/"
        "2006-03-01/\"><Location>http://b.s3.amazonaws.com/k</Location>"
        "<Bucket>b</Bucket><Key>k</Key><ETag>&quot;3858f62230ac3c915f300c6"
        "64312c11f-9&quot;</ETag></CompleteMultipartUploadResult>";
    assert_null(ls__s3_check_complete(what, ok, strlen(ok), etag,
                                      sizeof(etag)));
    assert_string_equal(etag, "\"3858f62230ac3c915f300c664312c11f-9\"");

    /* S3 sends 200 at once, then white space while it works. */
    char slow[1024];
    snprintf(slow, sizeof(slow), "\n \n \n \n%s", ok);
    assert_null(ls__s3_check_complete(what, slow, strlen(slow), NULL, 0));

    /* ...and a failure as an <Error> in that 200 body. */
    char failed[1024];
    snprintf(failed, sizeof(failed),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n \n \n<Error>"
             "<Code>InternalError</Code><Message>We encountered an internal "
             "error. Please try again.</Message><RequestId>656c76696e6727732"
             "</RequestId></Error>");
    ls_error_t *err = ls__s3_check_complete(what, failed, strlen(failed),
                                            etag, sizeof(etag));
    assert_non_null(err);
    assert_int_equal(ls_error_code(err), LS_ERR_TRANSPORT);
    assert_true(ls_error_is_retriable(err));
    assert_int_equal(ls_error_http_status(err), 200);
    assert_string_equal(ls_error_message(err),
                        "s3 POST b/k (complete multipart upload, 2 parts): "
                        "HTTP 200 InternalError: We encountered an internal "
                        "error. Please try again.");
    ls_error_destroy(err);

    const char *too_small =
        "<Error><Code>EntityTooSmall</Code><Message>Your proposed upload is "
        "smaller than the minimum allowed object size.</Message></Error>";
    err = ls__s3_check_complete(what, too_small, strlen(too_small), NULL, 0);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    assert_false(ls_error_is_retriable(err));
    ls_error_destroy(err);

    const char *odd = "<Error><Code>SomethingNew</Code></Error>";
    err = ls__s3_check_complete(what, odd, strlen(odd), NULL, 0);
    assert_int_equal(ls_error_code(err), LS_ERR_GENERIC);
    assert_false(ls_error_is_retriable(err));
    ls_error_destroy(err);

    /* Cut off, garbled, empty or another document: retriable. */
    static const char *const cut[] = {
        "", "  \n  ", "<CompleteMultipartUploadResult><Bucket>b</Bucket>",
        "<html>oops</html>", "<Error><Code>Internal",
        "<InitiateMultipartUploadResult/>"};
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        err = ls__s3_check_complete(what, cut[i], strlen(cut[i]), NULL, 0);
        if (!err)
            fail_msg("accepted: %s", cut[i]);
        assert_int_equal(ls_error_code(err), LS_ERR_TRANSPORT);
        assert_true(ls_error_is_retriable(err));
        assert_non_null(strstr(ls_error_message(err), what));
        ls_error_destroy(err);
    }
}

/* ---- error mapping and retry decisions ------------------------------ */

static void test_status_errors(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *body;
        ls_err_t code;
        int retriable;
        const char *message, *s3code;
    } cases[] = {
        {403,
         "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>"
         "Access Denied</Message></Error>",
         LS_ERR_ACCESS, 0, "s3 PUT bkt/k: HTTP 403 AccessDenied: Access Denied",
         "AccessDenied"},
        {404, "<Error><Code>NoSuchKey</Code><Message>The specified key does "
              "not exist.</Message></Error>",
         LS_ERR_NOT_FOUND, 0,
         "s3 PUT bkt/k: HTTP 404 NoSuchKey: The specified key does not exist.",
         "NoSuchKey"},
        {404, "<Error><Code>NoSuchBucket</Code></Error>", LS_ERR_NOT_FOUND, 0,
         "s3 PUT bkt/k: HTTP 404 NoSuchBucket", "NoSuchBucket"},
        {404, "<Error><Code>NoSuchUpload</Code></Error>", LS_ERR_NOT_FOUND,
         0, NULL, "NoSuchUpload"},
        {404, "", LS_ERR_NOT_FOUND, 0, "s3 PUT bkt/k: HTTP 404 Not Found", ""},
        {403, "", LS_ERR_ACCESS, 0, "s3 PUT bkt/k: HTTP 403 Forbidden", ""},
        {403, "<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
              "signature we calculated does not match</Message>"
              "<StringToSign>AWS4-HMAC-SHA256...</StringToSign></Error>",
         LS_ERR_ACCESS, 0, NULL, "SignatureDoesNotMatch"},
        {403, "<Error><Code>RequestTimeTooSkewed</Code></Error>",
         LS_ERR_ACCESS, 0, NULL, NULL},
        {403, "<Error><Code>InvalidAccessKeyId</Code></Error>", LS_ERR_ACCESS,
         0, NULL, NULL},
        {503, "<Error><Code>SlowDown</Code><Message>Please reduce your "
              "request rate.</Message></Error>",
         LS_ERR_TRANSPORT, 1,
         "s3 PUT bkt/k: HTTP 503 SlowDown: Please reduce your request rate.",
         "SlowDown"},
        {503, "", LS_ERR_TRANSPORT, 1,
         "s3 PUT bkt/k: HTTP 503 Service Unavailable", ""},
        {500, "<Error><Code>InternalError</Code></Error>", LS_ERR_TRANSPORT,
         1, NULL, NULL},
        {500, "", LS_ERR_TRANSPORT, 1, NULL, NULL},
        {400, "<Error><Code>RequestTimeout</Code><Message>Your socket "
              "connection to the server was not read from or written to "
              "within the timeout period.</Message></Error>",
         LS_ERR_TRANSPORT, 1, NULL, NULL},
        {400, "<Error><Code>EntityTooSmall</Code></Error>",
         LS_ERR_INVALID_ARG, 0, NULL, NULL},
        {400, "<Error><Code>InvalidPart</Code></Error>", LS_ERR_INVALID_ARG,
         0, NULL, NULL},
        {400, "<Error><Code>BadDigest</Code></Error>", LS_ERR_IO, 0, NULL,
         NULL},
        {400, "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the "
              "region 'us-east-1' is wrong; expecting 'eu-west-1'</Message>"
              "<Region>eu-west-1</Region></Error>",
         LS_ERR_INVALID_ARG, 0, NULL, NULL},
        {301, "<Error><Code>PermanentRedirect</Code><Message>The bucket you "
              "are attempting to access must be addressed using the "
              "specified endpoint.</Message><Endpoint>bkt.s3.eu-west-1."
              "amazonaws.com</Endpoint></Error>",
         LS_ERR_INVALID_ARG, 0,
         "s3 PUT bkt/k: HTTP 301 PermanentRedirect: The bucket you are "
         "attempting to access must be addressed using the specified "
         "endpoint. (endpoint bkt.s3.eu-west-1.amazonaws.com)",
         NULL},
        {405, "<Error><Code>MethodNotAllowed</Code><Message>The specified "
              "method is not allowed against this resource.</Message>"
              "</Error>",
         LS_ERR_GENERIC, 0, NULL, NULL},
        {501, "<Error><Code>NotImplemented</Code></Error>", LS_ERR_GENERIC, 0,
         NULL, NULL},
        /* Unknown codes go by the status. */
        {409, "<Error><Code>SomeConflict</Code></Error>", LS_ERR_EXISTS, 0,
         "s3 PUT bkt/k: HTTP 409 SomeConflict", "SomeConflict"},
        {502, "<Error><Code>BadGatewayThing</Code></Error>", LS_ERR_TRANSPORT,
         1, NULL, NULL},
        {429, "", LS_ERR_TRANSPORT, 1, NULL, NULL},
        /* Not XML: the first line of the body. */
        {502, "\r\n<html><head><title>502 Bad Gateway</title></head>\n<body>",
         LS_ERR_TRANSPORT, 1,
         "s3 PUT bkt/k: HTTP 502 <html><head><title>502 Bad Gateway</title>"
         "</head>",
         ""},
        /* Control characters in S3's text are not passed on. */
        {400, "<Error><Code>InvalidArgument</Code><Message>bad\x1b[31m&#10;"
              "x</Message></Error>",
         LS_ERR_INVALID_ARG, 0,
         "s3 PUT bkt/k: HTTP 400 InvalidArgument: bad?[31m?x", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char code[64] = "junk";
        ls_error_t *err = ls__s3_status_error(
            "s3 PUT bkt/k", cases[i].status, cases[i].body,
            strlen(cases[i].body), code, sizeof(code));
        assert_non_null(err);
        if (ls_error_code(err) != cases[i].code ||
            ls_error_is_retriable(err) != cases[i].retriable)
            fail_msg("case %zu: %s retriable=%d: %s", i,
                     ls_err2str(ls_error_code(err)),
                     ls_error_is_retriable(err), ls_error_message(err));
        assert_int_equal(ls_error_http_status(err), cases[i].status);
        if (cases[i].message)
            assert_string_equal(ls_error_message(err), cases[i].message);
        if (cases[i].s3code)
            assert_string_equal(code, cases[i].s3code);
        ls_error_destroy(err);
    }
    int r = -1, known = -1;
    assert_int_equal(ls__s3_code("SlowDown", &r, &known), LS_ERR_TRANSPORT);
    assert_int_equal(r, 1);
    assert_int_equal(known, 1);
    assert_int_equal(ls__s3_code("Nope", &r, &known), LS_ERR_GENERIC);
    assert_int_equal(r, 0);
    assert_int_equal(known, 0);
    assert_int_equal(ls__s3_code(NULL, NULL, NULL), LS_ERR_GENERIC);
}

static void test_retry_decisions(void **state)
{
    (void)state;
    ls__retry_t r = {3, 100, 1000};
    static const struct {
        long status;
        const char *body;
        int retry;
    } cases[] = {
        {503, "<Error><Code>SlowDown</Code></Error>", 1},
        {500, "<Error><Code>InternalError</Code></Error>", 1},
        {400, "<Error><Code>RequestTimeout</Code></Error>", 1},
        {504, "", 1},
        {403, "<Error><Code>AccessDenied</Code></Error>", 0},
        {404, "<Error><Code>NoSuchKey</Code></Error>", 0},
        {400, "<Error><Code>MalformedXML</Code></Error>", 0},
        {400, "<Error><Code>InvalidPart</Code></Error>", 0},
        {409, "", 0},
        {501, "", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ls_error_t *err = ls__s3_status_error("s3 x", cases[i].status,
                                              cases[i].body,
                                              strlen(cases[i].body), NULL, 0);
        assert_int_equal(ls__http_should_retry(&r, err, 0), cases[i].retry);
        assert_int_equal(ls__http_should_retry(&r, err, 2), cases[i].retry);
        assert_int_equal(ls__http_should_retry(&r, err, 3), 0); /* budget */
        ls_error_destroy(err);
    }
    /* Capped exponential backoff with full jitter. */
    uint64_t rng = 42;
    for (int a = 0; a < 12; a++) {
        long cap = a < 4 ? 100L << a : 1000;
        for (int k = 0; k < 50; k++) {
            long b = ls__http_backoff_ms(&r, a, &rng);
            assert_true(b >= 0 && b <= cap);
        }
    }
}

/* ---- credentials ------------------------------------------------------ */

static void creds(const ls_conf_t *conf, const char *akid,
                  const char *secret, const char *token, const char *source)
{
    char *a, *s, *t, *src;
    ls_error_t *err = ls__s3_credentials(conf, &a, &s, &t, &src);
    if (err)
        fail_msg("credentials: %s", ls_error_message(err));
    assert_string_equal(a, akid);
    assert_string_equal(s, secret);
    assert_string_equal(t, token);
    if (strncmp(src, source, strlen(source)))
        fail_msg("source \"%s\", expected \"%s...\"", src, source);
    free(a);
    free(s);
    free(t);
    free(src);
}

static void creds_err(const ls_conf_t *conf, ls_err_t code,
                      const char *needle)
{
    char *a = (char *)"x", *s = (char *)"x", *t = (char *)"x",
         *src = (char *)"x";
    ls_error_t *err = ls__s3_credentials(conf, &a, &s, &t, &src);
    assert_null(a);
    assert_null(s);
    assert_null(t);
    assert_null(src);
    expect_err(err, code, needle);
}

static void test_creds_conf_env(void **state)
{
    (void)state;
    /* Conf wins over the environment. */
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    ls_conf_t *conf = conf_of("s3.access.key.id=" AKID,
                              "s3.secret.access.key=" SECRET, NULL);
    creds(conf, AKID, SECRET, "", "conf"); /* no env token mixed in */
    ls_conf_destroy(conf);
    conf = conf_of("s3.access.key.id=" AKID, "s3.secret.access.key=" SECRET,
                   "s3.session.token=" TOKEN, NULL);
    creds(conf, AKID, SECRET, TOKEN, "conf");
    ls_conf_destroy(conf);

    /* Then the environment. */
    creds(NULL, "ENVKEY", "envsecret", "envtoken", "env");
    conf = ls_conf_new();
    creds(conf, "ENVKEY", "envsecret", "envtoken", "env");
    ls_conf_destroy(conf);
    unsetenv("AWS_SESSION_TOKEN");
    creds(NULL, "ENVKEY", "envsecret", "", "env");
    setenv("AWS_SECURITY_TOKEN", "legacy", 1);
    creds(NULL, "ENVKEY", "envsecret", "legacy", "env");

    /* Half a pair is an error, not a reason to look further. */
    conf = conf_of("s3.access.key.id=" AKID, NULL);
    creds_err(conf, LS_ERR_INVALID_ARG,
              "s3.access.key.id is set but s3.secret.access.key is not");
    ls_conf_destroy(conf);
    conf = conf_of("s3.secret.access.key=" SECRET, "s3.session.token=" TOKEN,
                   NULL);
    creds_err(conf, LS_ERR_INVALID_ARG,
              "s3.secret.access.key is set but s3.access.key.id is not");
    ls_conf_destroy(conf);
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    creds_err(NULL, LS_ERR_INVALID_ARG,
              "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    creds_err(NULL, LS_ERR_INVALID_ARG,
              "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    /* Empty values count as unset. */
    setenv("AWS_ACCESS_KEY_ID", "", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "", 1);
    creds_err(NULL, LS_ERR_ACCESS, "s3: no credentials");
}

static void test_creds_file(void **state)
{
    (void)state;
    char path[600], home[300], dir[400];
    snprintf(path, sizeof(path), "%s/credentials", tmpdir);
    write_file(path,
               "# comment\n"
               "; another\n"
               "[default]\r\n"
               "aws_access_key_id = DEFKEY\r\n"
               "aws_secret_access_key=defsecret  \r\n"
               "\n"
               "[ prod ]\n"
               "AWS_ACCESS_KEY_ID=PRODKEY\n"
               "aws_secret_access_key = " SECRET "\n"
               "aws_session_token = " TOKEN "\n"
               "region = eu-west-1\n"
               "[halfway]\n"
               "aws_access_key_id = HALF\n"
               "[role]\n"
               "role_arn = arn:aws:iam::123456789012:role/x\n"
               "source_profile = default\n"
               "[broken\n"
               "aws_access_key_id = BROKEN\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);

    creds(NULL, "DEFKEY", "defsecret", "", "file ");
    char *a, *s, *t, *src;
    assert_null(ls__s3_credentials(NULL, &a, &s, &t, &src));
    assert_non_null(strstr(src, path));
    assert_non_null(strstr(src, "[default]"));
    free(a);
    free(s);
    free(t);
    free(src);

    setenv("AWS_PROFILE", "prod", 1);
    creds(NULL, "PRODKEY", SECRET, TOKEN, "file ");

    /* s3.profile wins over $AWS_PROFILE; the environment's keys and the
     * conf's keys win over any profile. */
    ls_conf_t *conf = conf_of("s3.profile=default", NULL);
    creds(conf, "DEFKEY", "defsecret", "", "file ");
    ls_conf_destroy(conf);
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    creds(NULL, "ENVKEY", "envsecret", "", "env");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");

    /* Profiles that do not work. */
    setenv("AWS_PROFILE", "nosuch", 1);
    creds_err(NULL, LS_ERR_INVALID_ARG,
              "profile \"nosuch\" ($AWS_PROFILE) is not in the credentials "
              "file");
    conf = conf_of("s3.profile=other", NULL);
    creds_err(conf, LS_ERR_INVALID_ARG,
              "profile \"other\" (s3.profile) is not in the credentials");
    ls_conf_destroy(conf);
    setenv("AWS_PROFILE", "halfway", 1);
    creds_err(NULL, LS_ERR_INVALID_ARG,
              "profile \"halfway\" in ");
    setenv("AWS_PROFILE", "role", 1);
    creds_err(NULL, LS_ERR_INVALID_ARG, "are not supported");
    setenv("AWS_PROFILE", "broken", 1);
    creds_err(NULL, LS_ERR_INVALID_ARG, "is not in the credentials file");
    unsetenv("AWS_PROFILE");

    /* No file: "no credentials" unless a profile was asked for. */
    snprintf(path, sizeof(path), "%s/missing", tmpdir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    creds_err(NULL, LS_ERR_ACCESS, "s3: no credentials");
    setenv("AWS_PROFILE", "prod", 1);
    creds_err(NULL, LS_ERR_INVALID_ARG, "does not exist");
    unsetenv("AWS_PROFILE");

    /* A file without [default]. */
    snprintf(path, sizeof(path), "%s/nodefault", tmpdir);
    write_file(path, "[x]\naws_access_key_id=X\naws_secret_access_key=Y\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    creds_err(NULL, LS_ERR_ACCESS, "s3: no credentials");

    /* A directory is not a credentials file. */
    setenv("AWS_SHARED_CREDENTIALS_FILE", tmpdir, 1);
    creds_err(NULL, LS_ERR_IO, "cannot read credentials file");

    /* $HOME/.aws/credentials when the variable is not set. */
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    snprintf(home, sizeof(home), "%s/home", tmpdir);
    snprintf(dir, sizeof(dir), "%s/.aws", home);
    assert_int_equal(mkdir(home, 0700), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof(path), "%s/credentials", dir);
    write_file(path, "[default]\naws_access_key_id=HOMEKEY\n"
                     "aws_secret_access_key=homesecret\n");
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", home, 1);
    creds(NULL, "HOMEKEY", "homesecret", "", "file ");
    if (old_home)
        setenv("HOME", old_home, 1);
    else
        unsetenv("HOME");
    free(old_home);
}

/* ---- configuration and URLs ---------------------------------------------- */

static void expect_url(ls_s3_t *c, const char *method, const char *key,
                       const char *const *query, const char *url,
                       const char *host)
{
    char *u = NULL, *h = NULL;
    ls_error_t *err = ls__s3_url(c, method, key, query, &u, &h);
    if (err)
        fail_msg("url: %s", ls_error_message(err));
    assert_string_equal(u, url);
    assert_string_equal(h, host);
    free(u);
    free(h);
}

static void test_urls(void **state)
{
    (void)state;
    static const char *const uploads[] = {"uploads", NULL, NULL};
    static const char *const part[] = {"uploadId", "a/b+c=d", "partNumber",
                                       "3", NULL};
    static const char *const list[] = {"list-type", "2", "prefix", "x/y z",
                                       "encoding-type", "url", NULL};
    const char *odd = "dir/a b+c%d/\xc3\xbc\xe6\x97\xa5?#&=;:@$,~'!()*.txt";
    const char *odd_enc = "dir/a%20b%2Bc%25d/%C3%BC%E6%97%A5%3F%23%26%3D%3B"
                          "%3A%40%24%2C~%27%21%28%29%2A.txt";
    char want[512];

    /* Path-style against a local endpoint (the default there). */
    ls_s3_t *c = client_of(conf_of("s3.endpoint=http://127.0.0.1:4568",
                                   "s3.bucket=bkt", "s3.access.key.id=" AKID,
                                   "s3.secret.access.key=" SECRET, NULL));
    assert_string_equal(ls_s3_endpoint(c), "http://127.0.0.1:4568");
    assert_string_equal(ls_s3_bucket(c), "bkt");
    assert_string_equal(ls_s3_region(c), "us-east-1");
    assert_string_equal(ls_s3_credentials_source(c), "conf");
    assert_int_equal(ls_s3_part_size(c), 8 << 20);
    expect_url(c, "PUT", "k", NULL, "http://127.0.0.1:4568/bkt/k",
               "127.0.0.1:4568");
    snprintf(want, sizeof(want), "http://127.0.0.1:4568/bkt/%s", odd_enc);
    expect_url(c, "PUT", odd, NULL, want, "127.0.0.1:4568");
    expect_url(c, "POST", "k", uploads,
               "http://127.0.0.1:4568/bkt/k?uploads=", "127.0.0.1:4568");
    expect_url(c, "PUT", "k", part,
               "http://127.0.0.1:4568/bkt/k?partNumber=3&uploadId=a%2Fb%2Bc"
               "%3Dd",
               "127.0.0.1:4568");
    expect_url(c, "GET", NULL, list,
               "http://127.0.0.1:4568/bkt?encoding-type=url&list-type=2&"
               "prefix=x%2Fy%20z",
               "127.0.0.1:4568");
    /* Dot segments and empty segments are sent (and signed) as they are. */
    expect_url(c, "GET", "a/../b/./c//d", NULL,
               "http://127.0.0.1:4568/bkt/a/../b/./c//d", "127.0.0.1:4568");
    expect_url(c, "GET", "/lead", NULL, "http://127.0.0.1:4568/bkt//lead",
               "127.0.0.1:4568");
    ls_s3_destroy(c);

    /* AWS: virtual-hosted by default, region from the environment. */
    setenv("AWS_REGION", "eu-west-1", 1);
    c = client_of(conf_of("s3.bucket=my-bucket", "s3.access.key.id=" AKID,
                          "s3.secret.access.key=" SECRET, NULL));
    assert_string_equal(ls_s3_endpoint(c),
                        "https://s3.eu-west-1.amazonaws.com");
    assert_string_equal(ls_s3_region(c), "eu-west-1");
    snprintf(want, sizeof(want),
             "https://my-bucket.s3.eu-west-1.amazonaws.com/%s", odd_enc);
    expect_url(c, "PUT", odd, NULL, want,
               "my-bucket.s3.eu-west-1.amazonaws.com");
    expect_url(c, "GET", NULL, list,
               "https://my-bucket.s3.eu-west-1.amazonaws.com/?encoding-type="
               "url&list-type=2&prefix=x%2Fy%20z",
               "my-bucket.s3.eu-west-1.amazonaws.com");
    ls_s3_destroy(c);

    /* An explicit s3.region beats the environment; a dotted bucket goes
     * path-style on AWS (the wildcard certificate does not cover it). */
    c = client_of(conf_of("s3.bucket=my.bucket", "s3.region=ap-south-1",
                          "s3.access.key.id=" AKID,
                          "s3.secret.access.key=" SECRET, NULL));
    assert_string_equal(ls_s3_region(c), "ap-south-1");
    expect_url(c, "HEAD", "k", NULL,
               "https://s3.ap-south-1.amazonaws.com/my.bucket/k",
               "s3.ap-south-1.amazonaws.com");
    ls_s3_destroy(c);
    unsetenv("AWS_REGION");
    setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
    c = client_of(conf_of("s3.bucket=b1", "s3.access.key.id=" AKID,
                          "s3.secret.access.key=" SECRET, NULL));
    assert_string_equal(ls_s3_region(c), "us-west-2");
    ls_s3_destroy(c);
    unsetenv("AWS_DEFAULT_REGION");

    /* Virtual-hosted on a custom endpoint; default ports dropped. */
    c = client_of(conf_of("s3.endpoint=http://MinIO.local:9000/",
                          "s3.path.style=false", "s3.bucket=bkt",
                          "s3.access.key.id=" AKID,
                          "s3.secret.access.key=" SECRET, NULL));
    expect_url(c, "GET", "a b", NULL, "http://bkt.minio.local:9000/a%20b",
               "bkt.minio.local:9000");
    ls_s3_destroy(c);
    c = client_of(conf_of("s3.endpoint=https://store.example:443",
                          "s3.bucket=bkt", "s3.access.key.id=" AKID,
                          "s3.secret.access.key=" SECRET, NULL));
    expect_url(c, "GET", "k", NULL, "https://store.example/bkt/k",
               "store.example");
    ls_s3_destroy(c);
    c = client_of(conf_of("s3.endpoint=http://[::1]:9000", "s3.bucket=bkt",
                          "s3.access.key.id=" AKID,
                          "s3.secret.access.key=" SECRET, NULL));
    expect_url(c, "GET", "k", NULL, "http://[::1]:9000/bkt/k", "[::1]:9000");
    ls_s3_destroy(c);
    c = client_of(conf_of("s3.endpoint=http://h:80", "s3.bucket=bkt",
                          "s3.access.key.id=" AKID,
                          "s3.secret.access.key=" SECRET,
                          "s3.part.size=5242880", NULL));
    expect_url(c, "GET", "k", NULL, "http://h/bkt/k", "h");
    assert_int_equal(ls_s3_part_size(c), 5 << 20);
    ls_s3_destroy(c);
}

static void test_bad_conf(void **state)
{
    (void)state;
    static const struct {
        const char *kv, *needle;
        ls_err_t code;
    } bad[] = {
        {"s3.endpoint=ftp://h", "expected http://host[:port]",
         LS_ERR_INVALID_ARG},
        {"s3.endpoint=127.0.0.1:4568", "expected http://host[:port]",
         LS_ERR_INVALID_ARG},
        {"s3.endpoint=http://", "no host", LS_ERR_INVALID_ARG},
        {"s3.endpoint=http://h/prefix", "a path", LS_ERR_INVALID_ARG},
        {"s3.endpoint=http://h?x=1", "a path, query", LS_ERR_INVALID_ARG},
        {"s3.endpoint=http://h:0", "bad port", LS_ERR_INVALID_ARG},
        {"s3.endpoint=http://h:65536", "bad port", LS_ERR_INVALID_ARG},
        {"s3.endpoint=http://h:", "bad port", LS_ERR_INVALID_ARG},
        {"s3.endpoint=http://h h", "bad character", LS_ERR_INVALID_ARG},
        {"s3.endpoint=http://[::1", "IPv6", LS_ERR_INVALID_ARG},
        {"s3.endpoint=http://" AKID ":" SECRET "@h", "user info",
         LS_ERR_INVALID_ARG},
        {"s3.region=us east", "invalid s3.region", LS_ERR_INVALID_ARG},
        {"s3.bucket=a/b", "invalid s3.bucket", LS_ERR_INVALID_ARG},
        {"s3.bucket=UPPER", "not a valid host name", LS_ERR_INVALID_ARG},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ls_conf_t *conf = conf_of("s3.bucket=bkt", "s3.access.key.id=" AKID,
                                  "s3.secret.access.key=" SECRET, bad[i].kv,
                                  NULL);
        ls_s3_t *c = (ls_s3_t *)&c;
        expect_err(ls_s3_new(&c, conf), bad[i].code, bad[i].needle);
        assert_null(c);
        ls_conf_destroy(conf);
    }
    /* Values the conf table refuses never reach the client. */
    ls_conf_t *conf = ls_conf_new();
    expect_err(ls_conf_set(conf, "s3.part.size", "1048576"),
               LS_ERR_INVALID_ARG, "s3.part.size");
    expect_err(ls_conf_set(conf, "s3.path.style", "sometimes"),
               LS_ERR_INVALID_ARG, "s3.path.style");
    /* No bucket, no credentials. */
    ls_s3_t *c = NULL;
    expect_err(ls_s3_new(&c, conf), LS_ERR_INVALID_ARG, "s3.bucket is not set");
    expect_err(ls_s3_new(&c, NULL), LS_ERR_INVALID_ARG, "s3.bucket is not set");
    assert_null(ls_conf_set(conf, "s3.bucket", "bkt"));
    expect_err(ls_s3_new(&c, conf), LS_ERR_ACCESS, "s3: no credentials");
    assert_null(c);
    ls_conf_destroy(conf);
    expect_err(ls_s3_new(NULL, NULL), LS_ERR_INVALID_ARG, "out is NULL");

    /* Every call checks its arguments. */
    c = client_of(conf_of("s3.endpoint=http://127.0.0.1:1", "s3.bucket=bkt",
                          "s3.access.key.id=" AKID,
                          "s3.secret.access.key=" SECRET, NULL));
    char longkey[1100];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    expect_err(ls_s3_put(c, NULL, "x", 1, NULL), LS_ERR_INVALID_ARG,
               "key is NULL");
    expect_err(ls_s3_put(c, "", "x", 1, NULL), LS_ERR_INVALID_ARG,
               "1 to 1024 bytes");
    expect_err(ls_s3_put_object(c, longkey, "x", 1, NULL),
               LS_ERR_INVALID_ARG, "1 to 1024 bytes");
    expect_err(ls_s3_put(c, "k", NULL, 1, NULL), LS_ERR_INVALID_ARG,
               "data is NULL");
    expect_err(ls_s3_head(NULL, "k", NULL, NULL, 0), LS_ERR_INVALID_ARG,
               "client is NULL");
    expect_err(ls_s3_list(c, NULL, NULL, NULL), LS_ERR_INVALID_ARG,
               "cb is NULL");
    expect_err(ls_s3_get(c, "k", 10, NULL, NULL), LS_ERR_INVALID_ARG,
               "cb is NULL");
    expect_err(ls_s3_abort_upload(c, "k", ""), LS_ERR_INVALID_ARG,
               "upload_id is empty");
    expect_err(ls_s3_upload_part(NULL, "x", 1), LS_ERR_INVALID_ARG,
               "upload is NULL");
    expect_err(ls_s3_upload_new(NULL, c, "k", NULL), LS_ERR_INVALID_ARG,
               "out is NULL");
    ls_s3_destroy(c);
    ls_s3_destroy(NULL);
    ls_s3_upload_destroy(NULL);
    assert_string_equal(ls_s3_bucket(NULL), "");
    assert_string_equal(ls_s3_upload_id(NULL), "");
}

/* ---- a canned responder ---------------------------------------------------- */

#define MAX_EXCHANGES 8

typedef struct {
    int lfd, port;
    const char *replies[MAX_EXCHANGES]; /* raw HTTP replies, in order */
    int nreplies;
    char req[MAX_EXCHANGES][8192]; /* the requests' heads (and bodies) */
    int nreq;
    int send_failed;
    pthread_t th;
} responder_t;

static void *responder_main(void *arg)
{
    responder_t *r = arg;
    for (int i = 0; i < r->nreplies; i++) {
        int fd = accept(r->lfd, NULL, NULL);
        if (fd < 0)
            break;
        char *b = r->req[r->nreq];
        size_t n = 0, want = 0;
        char *end = NULL;
        while (n < sizeof(r->req[0]) - 1) {
            ssize_t k = recv(fd, b + n, sizeof(r->req[0]) - 1 - n, 0);
            if (k <= 0)
                break;
            n += (size_t)k;
            b[n] = '\0';
            if (!end && (end = strstr(b, "\r\n\r\n"))) {
                const char *cl = strcasestr(b, "\r\nContent-Length:");
                want = (size_t)(end + 4 - b) +
                       (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
            }
            if (end && n >= want)
                break;
        }
        r->nreq++;
        const char *rep = r->replies[i];
        /* "" drops the connection without a reply.  No cmocka assert in
         * this thread: a short send shows as a failed request. */
        if (*rep && send(fd, rep, strlen(rep), MSG_NOSIGNAL) < 0)
            r->send_failed = 1;
        close(fd);
    }
    return NULL;
}

static void responder_start(responder_t *r)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    r->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(r->lfd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(r->lfd, 8), 0);
    assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&a, &al), 0);
    r->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&r->th, NULL, responder_main, r), 0);
}

static void responder_stop(responder_t *r)
{
    shutdown(r->lfd, SHUT_RDWR);
    pthread_join(r->th, NULL);
    close(r->lfd);
}

static ls_s3_t *local_client(int port, const char *extra)
{
    char ep[64];
    snprintf(ep, sizeof(ep), "s3.endpoint=http://127.0.0.1:%d", port);
    return client_of(conf_of(ep, "s3.bucket=bkt", "s3.access.key.id=" AKID,
                             "s3.secret.access.key=" SECRET,
                             "s3.session.token=" TOKEN,
                             "s3.retry.backoff.ms=1",
                             "s3.retry.backoff.max.ms=5", "s3.retries=3",
                             "s3.timeout.ms=10000",
                             extra ? extra : "s3.unsigned.payload=false",
                             NULL));
}

#define XMLHDR "Content-Type: application/xml\r\nConnection: close\r\n"

static void test_requests(void **state)
{
    (void)state;
    /* A PutObject that meets 503 SlowDown twice, then succeeds. */
    responder_t r;
    memset(&r, 0, sizeof(r));
    static const char slow[] =
        "HTTP/1.1 503 Slow Down\r\n" XMLHDR "Content-Length: 77\r\n\r\n"
        "<Error><Code>SlowDown</Code><Message>Reduce your rate.</Message>"
        "</Error>\n";
    r.replies[0] = slow;
    r.replies[1] = "";
    r.replies[2] = "HTTP/1.1 200 OK\r\nETag: \"5d41402abc4b2a76b9719d911017c5"
                   "92\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    r.nreplies = 3;
    responder_start(&r);
    ls_s3_t *c = local_client(r.port, NULL);
    assert_null(ls_s3_put(c, "dir/a b+c", "hello", 5, "text/plain"));
    responder_stop(&r);
    assert_int_equal(r.nreq, 3);
    const char *q = r.req[2];
    char host[64];
    snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d\r\n", r.port);
    if (!starts(q, "PUT /bkt/dir/a%20b%2Bc HTTP/1.1\r\n") ||
        !strstr(q, host) ||
        !strstr(q, "\r\nContent-MD5: XUFAKrxLKna5cZ2REBfFkg==\r\n") ||
        !strstr(q, "\r\nContent-Type: text/plain\r\n") ||
        !strstr(q, "\r\nContent-Length: 5\r\n") ||
        !strstr(q, "\r\nx-amz-content-sha256: 2cf24dba5fb0a30e26e83b2ac5b9e2"
                   "9e1b161e5c1fa7425e73043362938b9824\r\n") ||
        !strstr(q, "\r\nx-amz-security-token: " TOKEN "\r\n") ||
        !strstr(q, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=" AKID
                   "/") ||
        !strstr(q, "/us-east-1/s3/aws4_request,SignedHeaders=content-md5;"
                   "content-type;host;x-amz-content-sha256;x-amz-date;"
                   "x-amz-security-token,Signature=") ||
        strstr(q, "Transfer-Encoding") || strstr(q, "Expect: 100") ||
        strstr(q, SECRET) || !strstr(q, "\r\n\r\nhello"))
        fail_msg("unexpected request:\n%s", q);
    ls_s3_destroy(c);

    /* The secret and the token are redacted even when a server echoes
     * them back; a 403 is not retried. */
    memset(&r, 0, sizeof(r));
    static const char echo[] =
        "HTTP/1.1 403 Forbidden\r\n" XMLHDR "\r\n"
        "<Error><Code>AccessDenied</Code><Message>token " TOKEN " secret "
        SECRET " denied</Message></Error>";
    r.replies[0] = echo;
    r.nreplies = 1;
    responder_start(&r);
    c = local_client(r.port, "s3.unsigned.payload=true");
    ls_error_t *err = ls_s3_put_object(c, "k", "x", 1, NULL);
    responder_stop(&r);
    assert_int_equal(r.nreq, 1);
    assert_non_null(strstr(r.req[0], "x-amz-content-sha256: UNSIGNED-PAYLOAD"));
    assert_non_null(strstr(r.req[0], "Content-MD5: ndTkYSaMgDT1yFZOFVxnpg=="));
    assert_int_equal(ls_error_http_status(err), 403);
    assert_false(ls_error_is_retriable(err));
    assert_string_equal(ls_error_message(err),
                        "s3 PUT bkt/k: HTTP 403 AccessDenied: token "
                        "[redacted] secret [redacted] denied");
    expect_err(err, LS_ERR_ACCESS, "AccessDenied");
    ls_s3_destroy(c);

    /* HEAD: size and ETag from the headers; a 404 without a body. */
    memset(&r, 0, sizeof(r));
    r.replies[0] = "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\nETag: "
                   "\"abc-2\"\r\nConnection: close\r\n\r\n";
    r.replies[1] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                   "Connection: close\r\n\r\n";
    r.nreplies = 2;
    responder_start(&r);
    c = local_client(r.port, NULL);
    int64_t size = -1;
    char etag[LS_S3_ETAG_SIZE];
    ls_error_t *herr = ls_s3_head(c, "k", &size, etag, sizeof(etag));
    if (herr)
        fail_msg("head: %s", ls_error_message(herr));
    assert_int_equal(size, 12345);
    assert_string_equal(etag, "\"abc-2\"");
    expect_err(ls_s3_head(c, "gone", &size, etag, sizeof(etag)),
               LS_ERR_NOT_FOUND, "s3 HEAD bkt/gone: HTTP 404 Not Found");
    responder_stop(&r);
    assert_int_equal(size, 12345); /* untouched on failure */
    ls_s3_destroy(c);

    /* A multipart upload: create, one part, a 200 <Error> on complete
     * (retried), then the result. */
    memset(&r, 0, sizeof(r));
    r.replies[0] = "HTTP/1.1 200 OK\r\n" XMLHDR "\r\n"
                   "<InitiateMultipartUploadResult><Bucket>bkt</Bucket>"
                   "<Key>k</Key><UploadId>up/1+2</UploadId>"
                   "</InitiateMultipartUploadResult>";
    r.replies[1] = "HTTP/1.1 200 OK\r\nETag: \"p1\"\r\nContent-Length: 0\r\n"
                   "Connection: close\r\n\r\n";
    r.replies[2] = "HTTP/1.1 200 OK\r\n" XMLHDR "\r\n  \n<Error><Code>"
                   "InternalError</Code><Message>try again</Message></Error>";
    r.replies[3] = "HTTP/1.1 200 OK\r\n" XMLHDR "\r\n"
                   "<CompleteMultipartUploadResult><ETag>\"x-1\"</ETag>"
                   "</CompleteMultipartUploadResult>";
    r.nreplies = 4;
    responder_start(&r);
    c = local_client(r.port, NULL);
    ls_s3_upload_t *u = NULL;
    assert_null(ls_s3_upload_new(&u, c, "k", "application/json"));
    assert_string_equal(ls_s3_upload_id(u), "up/1+2");
    assert_null(ls_s3_upload_part(u, "abc", 3));
    assert_int_equal(ls_s3_upload_parts(u), 1);
    assert_null(ls_s3_upload_complete(u));
    expect_err(ls_s3_upload_part(u, "abc", 3), LS_ERR_STATE, "completed");
    ls_s3_upload_destroy(u);
    responder_stop(&r);
    assert_int_equal(r.nreq, 4);
    if (!starts(r.req[0], "POST /bkt/k?uploads= HTTP/1.1\r\n") ||
        !strstr(r.req[0], "Content-Type: application/json\r\n") ||
        !starts(r.req[1],
                "PUT /bkt/k?partNumber=1&uploadId=up%2F1%2B2 HTTP/1.1\r\n") ||
        !starts(r.req[2], "POST /bkt/k?uploadId=up%2F1%2B2 HTTP/1.1\r\n") ||
        !strstr(r.req[2], "<CompleteMultipartUpload xmlns=\"http://s3."
                          "amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>"
                          "1</PartNumber><ETag>\"p1\"</ETag></Part>"
                          "</CompleteMultipartUpload>") ||
        !strstr(r.req[2], "\r\nContent-Type: application/xml\r\n") ||
        !starts(r.req[3], "POST /bkt/k?uploadId=up%2F1%2B2 HTTP/1.1\r\n"))
        fail_msg("unexpected requests:\n%s\n%s\n%s", r.req[0], r.req[1],
                 r.req[2]);
    ls_s3_destroy(c);
}

/* A closed port: retried, then a retriable transport error naming the
 * request, without a secret. */
static void test_connection_refused(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
    close(s);
    ls_s3_t *c = local_client(ntohs(a.sin_port), NULL);
    ls_error_t *err = ls_s3_put(c, "k", "x", 1, NULL);
    assert_int_equal(ls_error_code(err), LS_ERR_TRANSPORT);
    assert_true(ls_error_is_retriable(err));
    assert_int_equal(ls_error_http_status(err), 0);
    const char *m = ls_error_message(err);
    if (!starts(m, "s3 PUT bkt/k: ") ||
        !strstr(m, "(gave up after 4 attempts)"))
        fail_msg("unexpected message: %s", m);
    expect_err(err, LS_ERR_TRANSPORT, NULL);
    seen_t seen;
    memset(&seen, 0, sizeof(seen));
    int pages = -1;
    expect_err(ls__s3_list_ex(c, "p", 5, collect, &seen, &pages),
               LS_ERR_TRANSPORT, "s3 GET bkt (list \"p\")");
    assert_int_equal(pages, 0);
    ls_s3_upload_t *u = (ls_s3_upload_t *)&u;
    expect_err(ls_s3_upload_new(&u, c, "k", NULL), LS_ERR_TRANSPORT,
               "(create multipart upload)");
    assert_null(u);
    ls_s3_destroy(c);
}

/* ---- secrets ----------------------------------------------------------------- */

typedef struct {
    int secret_seen;
} dump_t;

static void dump_cb(void *opaque, const char *key, const char *value,
                    const char *description)
{
    dump_t *d = opaque;
    (void)description;
    if (strstr(value, SECRET) || strstr(value, TOKEN))
        d->secret_seen = 1;
    if (!strcmp(key, "s3.secret.access.key") ||
        !strcmp(key, "s3.session.token"))
        assert_string_equal(value, "[redacted]");
}

static void test_secrets_never_shown(void **state)
{
    (void)state;
    /* Every kind of failure ls_s3_new() reports, with the secrets set
     * in the conf, the environment or a file. */
    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    ls_error_t *err;
    ls_s3_t *c = NULL;
    ls_conf_t *conf = conf_of("s3.bucket=bkt", NULL);
    err = ls_s3_new(&c, conf);
    expect_err(err, LS_ERR_INVALID_ARG, "AWS_ACCESS_KEY_ID is not");
    ls_conf_destroy(conf);
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");

    conf = conf_of("s3.bucket=bkt", "s3.secret.access.key=" SECRET,
                   "s3.session.token=" TOKEN, NULL);
    expect_err(ls_s3_new(&c, conf), LS_ERR_INVALID_ARG,
               "s3.access.key.id is not");
    assert_null(ls_conf_set(conf, "s3.access.key.id", AKID));
    /* ls_conf_dump() redacts both. */
    dump_t d = {0};
    ls_conf_dump(conf, dump_cb, &d);
    assert_int_equal(d.secret_seen, 0);
    assert_null(ls_conf_set(conf, "s3.endpoint",
                            "http://" AKID ":" SECRET "@h:1"));
    expect_err(ls_s3_new(&c, conf), LS_ERR_INVALID_ARG, "user info");
    assert_null(ls_conf_set(conf, "s3.endpoint", "http://h/" SECRET));
    expect_err(ls_s3_new(&c, conf), LS_ERR_INVALID_ARG, "[redacted]");
    assert_null(ls_conf_set(conf, "s3.endpoint", ""));
    assert_null(ls_conf_set(conf, "s3.region", TOKEN));
    expect_err(ls_s3_new(&c, conf), LS_ERR_INVALID_ARG, "invalid s3.region");

    ls_conf_destroy(conf);

    /* Credentials files whose lines hold the secret are never quoted. */
    char path[512];
    snprintf(path, sizeof(path), "%s/credentials", tmpdir);
    write_file(path, "[p]\naws_secret_access_key = " SECRET "\n"
                     "aws_session_token = " TOKEN "\n"
                     "[" SECRET "]\naws_access_key_id = x\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_PROFILE", "p", 1);
    conf = conf_of("s3.bucket=bkt", NULL);
    expect_err(ls_s3_new(&c, conf), LS_ERR_INVALID_ARG,
               "has no aws_access_key_id");
    ls_conf_destroy(conf);
    unsetenv("AWS_PROFILE");

    /* A key named after the secret, failing at a closed port. */
    c = local_client(1, "s3.retries=0");
    err = ls_s3_put(c, "x/" SECRET "/" TOKEN, "x", 1, NULL);
    assert_non_null(strstr(ls_error_message(err), "x/[redacted]/[redacted]"));
    expect_err(err, LS_ERR_TRANSPORT, NULL);
    ls_s3_destroy(c);
}

int main(void)
{
    /* As every application must: once, before anything else. */
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_xml_error, setup),
        cmocka_unit_test_setup(test_xml_malformed, setup),
        cmocka_unit_test_setup(test_xml_upload_id, setup),
        cmocka_unit_test_setup(test_xml_list, setup),
        cmocka_unit_test_setup(test_url_decode, setup),
        cmocka_unit_test_setup(test_xml_complete, setup),
        cmocka_unit_test_setup(test_status_errors, setup),
        cmocka_unit_test_setup(test_retry_decisions, setup),
        cmocka_unit_test_setup(test_creds_conf_env, setup),
        cmocka_unit_test_setup_teardown(test_creds_file, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup(test_urls, setup),
        cmocka_unit_test_setup(test_bad_conf, setup),
        cmocka_unit_test_setup(test_requests, setup),
        cmocka_unit_test_setup(test_connection_refused, setup),
        cmocka_unit_test_setup_teardown(test_secrets_never_shown, setup_tmp,
                                        teardown_tmp),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return r;
}
