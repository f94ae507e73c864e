/* Unit tests: the backend wrappers, URL dispatch and the local backend. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend_int.h"
#include "libstream/backend.h"

/* Both resolution strategies and both rename strategies. */
static const unsigned all_flags[] = {
    0, LS__LOCAL_NO_OPENAT2, LS__LOCAL_NO_RENAMEAT2,
    LS__LOCAL_NO_OPENAT2 | LS__LOCAL_NO_RENAMEAT2};
#define N_FLAGS (sizeof(all_flags) / sizeof(all_flags[0]))

typedef struct {
    char base[64];  /* the mkdtemp dir */
    char root[128]; /* base/root: the backend root */
    ls_backend_t *b;
} fx_t;

/* ---- helpers -------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int type,
                  struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int exists(const char *fmt, ...) LS_PRINTF(1, 2);
static int exists(const char *fmt, ...)
{
    char p[PATH_MAX];
    struct stat st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, sizeof(p), fmt, ap);
    va_end(ap);
    return lstat(p, &st) == 0;
}

/* Read a whole file (below PATH_MAX-sized test content) into buf. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, cap);
    close(fd);
    assert_true(n >= 0);
    return (size_t)n;
}

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

/* Expect err to have code; free it. */
static void expect_err(ls_error_t *err, ls_err_t code, const char *needle)
{
    if (ls_error_code(err) != code)
        print_error("unexpected error %d: %s\n", (int)ls_error_code(err),
                    ls_error_message(err));
    assert_int_equal(ls_error_code(err), code);
    if (needle && !strstr(ls_error_message(err), needle))
        print_error("\"%s\" not in \"%s\"\n", needle, ls_error_message(err));
    if (needle)
        assert_non_null(strstr(ls_error_message(err), needle));
    ls_error_destroy(err);
}

static void ok(ls_error_t *err)
{
    if (err)
        print_error("unexpected error: %s\n", ls_error_message(err));
    assert_null(err);
}

static void put(ls_backend_t *b, const char *path, const char *content)
{
    ls_bfile_t *f = NULL;
    ok(ls_backend_create(b, path, &f));
    ok(ls_backend_append(b, f, content, strlen(content)));
    ok(ls_backend_close(b, f));
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    strcpy(fx->base, "/tmp/ls_test_backend.XXXXXX");
    assert_non_null(mkdtemp(fx->base));
    snprintf(fx->root, sizeof(fx->root), "%s/root", fx->base);
    ok(ls_backend_open(&fx->b, fx->root, NULL));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    ls_backend_destroy(fx->b);
    rm_rf(fx->base);
    free(fx);
    return 0;
}

/* ---- opening -------------------------------------------------------- */

static void test_open_path_and_url(void **state)
{
    fx_t *fx = *state;
    ls_backend_t *b = NULL;
    char url[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX];

    /* setup opened a plain path that did not exist: created. */
    assert_string_equal(ls_backend_name(fx->b), "local");
    assert_string_equal(ls_backend_root(fx->b), fx->root);
    assert_true(exists("%s", fx->root));

    /* file:// URL, nested and missing: mkdir -p; trailing '/' dropped. */
    snprintf(url, sizeof(url), "file://%s/u/v/w/", fx->base);
    ok(ls_backend_open(&b, url, NULL));
    snprintf(want, sizeof(want), "%s/u/v/w", fx->base);
    assert_string_equal(ls_backend_root(b), want);
    assert_true(exists("%s/u/v/w", fx->base));
    put(b, "x", "1");
    assert_true(exists("%s/u/v/w/x", fx->base));
    ls_backend_destroy(b);

    /* file://localhost/ and case-insensitive scheme. */
    snprintf(url, sizeof(url), "FILE://localhost%s/lh", fx->base);
    ok(ls_backend_open(&b, url, NULL));
    assert_true(exists("%s/lh", fx->base));
    ls_backend_destroy(b);

    /* A relative plain path is made absolute against the cwd. */
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(fx->base), 0);
    ls_error_t *err = ls_backend_open(&b, "rel/./dir", NULL);
    assert_int_equal(chdir(cwd), 0);
    ok(err);
    snprintf(want, sizeof(want), "%s/rel/dir", fx->base);
    assert_string_equal(ls_backend_root(b), want);
    ls_backend_destroy(b);

    /* An existing directory is fine too. */
    ok(ls_backend_open(&b, fx->root, NULL));
    ls_backend_destroy(b);

    /* A host, or no absolute path, in a file URL. */
    b = (ls_backend_t *)1;
    expect_err(ls_backend_open(&b, "file://host/x", NULL), LS_ERR_INVALID_ARG,
               "file://host/x");
    assert_null(b);
    expect_err(ls_backend_open(&b, "file://", NULL), LS_ERR_INVALID_ARG,
               "file:///abs/dir");
}

static void test_open_bad_scheme(void **state)
{
    (void)state;
    ls_backend_t *b = (ls_backend_t *)1;
    expect_err(ls_backend_open(&b, "ftp://x", NULL), LS_ERR_INVALID_ARG,
               "\"ftp\"");
    assert_null(b);
    ls_error_t *err = ls_backend_open(&b, "s3+x://u:secret@h/p", NULL);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    assert_non_null(strstr(ls_error_message(err), "s3+x"));
    assert_non_null(strstr(ls_error_message(err), "file://"));
    assert_null(strstr(ls_error_message(err), "secret"));
    ls_error_destroy(err);
    /* webhdfs:// opens without network I/O; a bad one is refused. */
    assert_null(ls_backend_open(&b, "webhdfs://nn:9870/a", NULL));
    assert_string_equal(ls_backend_name(b), "webhdfs");
    ls_backend_destroy(b);
    b = NULL;
    expect_err(ls_backend_open(&b, "webhdfs://:notaport/a", NULL),
               LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_open(&b, NULL, NULL), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_open(&b, "", NULL), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_open(NULL, "/tmp", NULL), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls__backend_local_open(&b, "rel", NULL, 0), LS_ERR_INVALID_ARG,
               "absolute");
}

static void test_open_unusable_root(void **state)
{
    fx_t *fx = *state;
    ls_backend_t *b = (ls_backend_t *)1;
    char p[PATH_MAX], f[256];

    /* Below a regular file: cannot be created (even as root). */
    snprintf(f, sizeof(f), "%s/file", fx->base);
    write_file(f, "x");
    snprintf(p, sizeof(p), "%s/sub", f);
    ls_error_t *err = ls_backend_open(&b, p, NULL);
    assert_null(b);
    assert_int_equal(ls_error_code(err), LS_ERR_IO);
    assert_non_null(strstr(ls_error_message(err), p));
    assert_non_null(strstr(ls_error_message(err), "Not a directory"));
    ls_error_destroy(err);

    /* The root itself a regular file. */
    expect_err(ls_backend_open(&b, f, NULL), LS_ERR_IO, "Not a directory");

    /* Unwritable: only meaningful when permissions are enforced. */
    if (geteuid() != 0) {
        snprintf(p, sizeof(p), "%s/ro", fx->base);
        assert_int_equal(mkdir(p, 0555), 0);
        expect_err(ls_backend_open(&b, p, NULL), LS_ERR_ACCESS, p);
        snprintf(p, sizeof(p), "%s/ro/sub", fx->base);
        expect_err(ls_backend_open(&b, p, NULL), LS_ERR_ACCESS, p);
    }
}

/* ---- operations ----------------------------------------------------- */

static void test_mkdirs(void **state)
{
    fx_t *fx = *state;
    int64_t size = -1;
    int is_dir = -1;

    ok(ls_backend_mkdirs(fx->b, "a/b/c"));
    ok(ls_backend_mkdirs(fx->b, "a/b/c")); /* idempotent */
    ok(ls_backend_mkdirs(fx->b, "a/b"));
    ok(ls_backend_mkdirs(fx->b, "a/b/c/d"));
    ok(ls_backend_mkdirs(fx->b, ""));
    ok(ls_backend_stat(fx->b, "a/b/c/d", &size, &is_dir));
    assert_int_equal(is_dir, 1);
    assert_int_equal(size, 0);
    ok(ls_backend_stat(fx->b, "", &size, &is_dir));
    assert_int_equal(is_dir, 1);

    /* A component that is a file. */
    put(fx->b, "a/f", "x");
    expect_err(ls_backend_mkdirs(fx->b, "a/f/g"), LS_ERR_EXISTS,
               "not a directory");
    expect_err(ls_backend_mkdirs(fx->b, "a/f"), LS_ERR_EXISTS, "a/f");
}

static void test_create_append_close(void **state)
{
    fx_t *fx = *state;
    ls_bfile_t *f = NULL;
    char buf[4096], p[PATH_MAX];
    int64_t size = -1;
    int is_dir = -1;

    ok(ls_backend_mkdirs(fx->b, "orders/2026-11-26"));
    ok(ls_backend_create(fx->b, "orders/2026-11-26/x.tmp", &f));
    assert_non_null(f);
    ok(ls_backend_append(fx->b, f, "hello ", 6));
    ok(ls_backend_append(fx->b, f, "", 0));
    ok(ls_backend_append(fx->b, f, NULL, 0));
    ok(ls_backend_append(fx->b, f, "world", 5));
    ok(ls_backend_append(fx->b, f, "\n", 1));
    ok(ls_backend_close(fx->b, f));

    ok(ls_backend_stat(fx->b, "orders/2026-11-26/x.tmp", &size, &is_dir));
    assert_int_equal(size, 12);
    assert_int_equal(is_dir, 0);
    snprintf(p, sizeof(p), "%s/orders/2026-11-26/x.tmp", fx->root);
    assert_int_equal(slurp(p, buf, sizeof(buf)), 12);
    assert_memory_equal(buf, "hello world\n", 12);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0644 & ~mask);

    /* create truncates; an empty file is fine. */
    ok(ls_backend_create(fx->b, "orders/2026-11-26/x.tmp", &f));
    ok(ls_backend_close(fx->b, f));
    ok(ls_backend_stat(fx->b, "orders/2026-11-26/x.tmp", &size, NULL));
    assert_int_equal(size, 0);

    /* A large append goes through the write loop. */
    size_t big = 3u << 20;
    char *data = malloc(big);
    assert_non_null(data);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 7);
    ok(ls_backend_create(fx->b, "big", &f));
    ok(ls_backend_append(fx->b, f, data, big));
    ok(ls_backend_close(fx->b, f));
    ok(ls_backend_stat(fx->b, "big", &size, NULL));
    assert_int_equal(size, (int64_t)big);
    free(data);

    /* The parent must exist: the caller mkdirs. */
    f = (ls_bfile_t *)1;
    expect_err(ls_backend_create(fx->b, "nodir/x", &f), LS_ERR_NOT_FOUND,
               "local create ");
    assert_null(f);
    /* The message names op, root + path and strerror. */
    ls_error_t *err = ls_backend_create(fx->b, "nodir/x", &f);
    snprintf(buf, sizeof(buf), "local create %s/nodir/x: %s", fx->root,
             strerror(ENOENT));
    assert_string_equal(ls_error_message(err), buf);
    ls_error_destroy(err);
    /* A directory cannot be created over; a FIFO never blocks. */
    expect_err(ls_backend_create(fx->b, "orders", &f), LS_ERR_IO, "orders");
    snprintf(p, sizeof(p), "%s/fifo", fx->root);
    assert_int_equal(mkfifo(p, 0644), 0);
    expect_err(ls_backend_create(fx->b, "fifo", &f), LS_ERR_IO, "fifo");
}

static void test_rename(void **state)
{
    fx_t *fx = *state;
    char buf[64], p[PATH_MAX], root[256];
    int64_t size;

    for (size_t i = 0; i < N_FLAGS; i++) {
        ls_backend_t *b = NULL;
        snprintf(root, sizeof(root), "%s/it%zu", fx->root, i);
        ok(ls__backend_local_open(&b, root, NULL, all_flags[i]));
        ok(ls_backend_mkdirs(b, "d/e"));

        put(b, "d/a.tmp", "AAA");
        ok(ls_backend_rename(b, "d/a.tmp", "d/a"));
        expect_err(ls_backend_stat(b, "d/a.tmp", NULL, NULL),
                   LS_ERR_NOT_FOUND, NULL);
        ok(ls_backend_stat(b, "d/a", &size, NULL));
        assert_int_equal(size, 3);

        /* Onto an existing file: EXISTS, both unchanged. */
        put(b, "d/b.tmp", "BBBBB");
        expect_err(ls_backend_rename(b, "d/b.tmp", "d/a"), LS_ERR_EXISTS,
                   "d/a");
        snprintf(p, sizeof(p), "%s/d/a", root);
        assert_int_equal(slurp(p, buf, sizeof(buf)), 3);
        assert_memory_equal(buf, "AAA", 3);
        ok(ls_backend_stat(b, "d/b.tmp", &size, NULL));
        assert_int_equal(size, 5);

        /* Across directories, and a directory. */
        ok(ls_backend_rename(b, "d/b.tmp", "d/e/b"));
        ok(ls_backend_stat(b, "d/e/b", &size, NULL));
        assert_int_equal(size, 5);
        ok(ls_backend_rename(b, "d/e", "e2"));
        ok(ls_backend_stat(b, "e2/b", NULL, NULL));
        ok(ls_backend_mkdirs(b, "e3"));
        expect_err(ls_backend_rename(b, "e2", "e3"), LS_ERR_EXISTS, NULL);

        /* Missing source, missing target directory. */
        expect_err(ls_backend_rename(b, "nope", "x"), LS_ERR_NOT_FOUND,
                   "nope");
        expect_err(ls_backend_rename(b, "d/a", "nodir/a"), LS_ERR_NOT_FOUND,
                   "nodir/a");
        assert_true(exists("%s/d/a", root));
        ls_backend_destroy(b);
    }
}

static void test_remove(void **state)
{
    fx_t *fx = *state;
    put(fx->b, "f", "x");
    ok(ls_backend_mkdirs(fx->b, "d/sub"));
    ok(ls_backend_remove(fx->b, "f"));
    assert_false(exists("%s/f", fx->root));
    expect_err(ls_backend_remove(fx->b, "f"), LS_ERR_NOT_FOUND, "remove");
    expect_err(ls_backend_remove(fx->b, "d"), LS_ERR_IO, "d");
    ok(ls_backend_remove(fx->b, "d/sub"));
    ok(ls_backend_remove(fx->b, "d"));
    assert_false(exists("%s/d", fx->root));
}

typedef struct {
    int n;
    char names[8][32];
    int is_dir[8];
    int64_t size[8];
} listing_t;

static void list_cb(void *opaque, const char *name, int is_dir, int64_t size)
{
    listing_t *ls = opaque;
    assert_true(ls->n < 8);
    snprintf(ls->names[ls->n], sizeof(ls->names[0]), "%s", name);
    ls->is_dir[ls->n] = is_dir;
    ls->size[ls->n] = size;
    ls->n++;
}

static int find(const listing_t *ls, const char *name)
{
    for (int i = 0; i < ls->n; i++)
        if (strcmp(ls->names[i], name) == 0)
            return i;
    return -1;
}

static void test_list(void **state)
{
    fx_t *fx = *state;
    listing_t ls;

    ok(ls_backend_mkdirs(fx->b, "t/sub"));
    put(fx->b, "t/one", "1");
    put(fx->b, "t/three", "333");
    memset(&ls, 0, sizeof(ls));
    ok(ls_backend_list(fx->b, "t", list_cb, &ls));
    assert_int_equal(ls.n, 3);
    int i = find(&ls, "sub"), j = find(&ls, "one"), k = find(&ls, "three");
    assert_true(i >= 0 && j >= 0 && k >= 0);
    assert_int_equal(ls.is_dir[i], 1);
    assert_int_equal(ls.size[i], 0);
    assert_int_equal(ls.is_dir[j], 0);
    assert_int_equal(ls.size[j], 1);
    assert_int_equal(ls.is_dir[k], 0);
    assert_int_equal(ls.size[k], 3);

    memset(&ls, 0, sizeof(ls));
    ok(ls_backend_list(fx->b, "t/sub", list_cb, &ls));
    assert_int_equal(ls.n, 0);

    memset(&ls, 0, sizeof(ls));
    ok(ls_backend_list(fx->b, "", list_cb, &ls));
    assert_int_equal(ls.n, 1);
    assert_string_equal(ls.names[0], "t");

    expect_err(ls_backend_list(fx->b, "missing", list_cb, &ls),
               LS_ERR_NOT_FOUND, "local list ");
    expect_err(ls_backend_list(fx->b, "t/missing/deeper", list_cb, &ls),
               LS_ERR_NOT_FOUND, "t/missing/deeper");
    expect_err(ls_backend_list(fx->b, "t/one", list_cb, &ls),
               LS_ERR_NOT_FOUND, "t/one");
}

static void test_stat(void **state)
{
    fx_t *fx = *state;
    int64_t size = 42;
    int is_dir = 42;
    expect_err(ls_backend_stat(fx->b, "missing", &size, &is_dir),
               LS_ERR_NOT_FOUND, "local stat ");
    expect_err(ls_backend_stat(fx->b, "m/i/ss", &size, &is_dir),
               LS_ERR_NOT_FOUND, "m/i/ss");
    put(fx->b, "file", "abc");
    expect_err(ls_backend_stat(fx->b, "file/x", &size, &is_dir),
               LS_ERR_NOT_FOUND, NULL);
    ok(ls_backend_stat(fx->b, "file", &size, &is_dir));
    assert_int_equal(size, 3);
    assert_int_equal(is_dir, 0);
    ok(ls_backend_stat(fx->b, "file", NULL, NULL));
}

/* ---- escaping the root ---------------------------------------------- */

static void test_invalid_paths(void **state)
{
    fx_t *fx = *state;
    static const char *const bad[] = {
        "../x", "/etc/passwd", "a/../../b", "..", "a/..", "./x", "a/./b",
        "a//b", "a/", "/", "x/../../../../../../tmp/escaped"};
    ls_bfile_t *f;
    listing_t ls;
    ok(ls_backend_mkdirs(fx->b, "a"));
    put(fx->b, "ok", "x");

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *p = bad[i];
        expect_err(ls_backend_create(fx->b, p, &f), LS_ERR_INVALID_ARG, p);
        expect_err(ls_backend_mkdirs(fx->b, p), LS_ERR_INVALID_ARG, p);
        expect_err(ls_backend_rename(fx->b, "ok", p), LS_ERR_INVALID_ARG, p);
        expect_err(ls_backend_rename(fx->b, p, "ok2"), LS_ERR_INVALID_ARG, p);
        expect_err(ls_backend_remove(fx->b, p), LS_ERR_INVALID_ARG, p);
        expect_err(ls_backend_list(fx->b, p, list_cb, &ls),
                   LS_ERR_INVALID_ARG, p);
        expect_err(ls_backend_stat(fx->b, p, NULL, NULL), LS_ERR_INVALID_ARG,
                   p);
    }
    /* "" is the root: fine to list/stat/mkdirs, not to create etc. */
    expect_err(ls_backend_create(fx->b, "", &f), LS_ERR_INVALID_ARG,
               "empty path");
    expect_err(ls_backend_remove(fx->b, ""), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_rename(fx->b, "ok", ""), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_create(fx->b, NULL, &f), LS_ERR_INVALID_ARG, NULL);

    assert_false(exists("%s/x", fx->base));
    assert_false(exists("%s/b", fx->base));
    assert_false(exists("/tmp/escaped"));
    assert_true(exists("%s/ok", fx->root));
    assert_false(exists("%s/ok2", fx->root));
}

static void test_symlink_escape(void **state)
{
    fx_t *fx = *state;
    char out[256], lnk[PATH_MAX], tgt[PATH_MAX], buf[16];
    ls_bfile_t *f;
    listing_t ls;

    snprintf(out, sizeof(out), "%s/outside", fx->base);
    assert_int_equal(mkdir(out, 0755), 0);
    snprintf(tgt, sizeof(tgt), "%s/victim", out);
    write_file(tgt, "precious");

    /* root/evil -> outside, root/a/evil -> outside, root/leaf -> victim */
    ok(ls_backend_mkdirs(fx->b, "a"));
    snprintf(lnk, sizeof(lnk), "%s/evil", fx->root);
    assert_int_equal(symlink(out, lnk), 0);
    snprintf(lnk, sizeof(lnk), "%s/a/evil", fx->root);
    assert_int_equal(symlink(out, lnk), 0);
    snprintf(lnk, sizeof(lnk), "%s/leaf", fx->root);
    assert_int_equal(symlink(tgt, lnk), 0);
    put(fx->b, "mine", "m");

    for (size_t i = 0; i < N_FLAGS; i++) {
        ls_backend_t *b = NULL;
        ok(ls__backend_local_open(&b, fx->root, NULL, all_flags[i]));

        f = (ls_bfile_t *)1;
        expect_err(ls_backend_create(b, "evil/x", &f), LS_ERR_ACCESS,
                   "evil/x");
        assert_null(f);
        expect_err(ls_backend_create(b, "a/evil/x", &f), LS_ERR_ACCESS,
                   "symbolic link");
        expect_err(ls_backend_create(b, "leaf", &f), LS_ERR_ACCESS, "leaf");
        expect_err(ls_backend_mkdirs(b, "evil/sub"), LS_ERR_ACCESS, NULL);
        expect_err(ls_backend_mkdirs(b, "a/evil/sub/deeper"), LS_ERR_ACCESS,
                   NULL);
        expect_err(ls_backend_mkdirs(b, "evil"), LS_ERR_ACCESS, NULL);
        expect_err(ls_backend_rename(b, "mine", "evil/mine"), LS_ERR_ACCESS,
                   NULL);
        expect_err(ls_backend_rename(b, "evil/victim", "stolen"),
                   LS_ERR_ACCESS, NULL);
        expect_err(ls_backend_remove(b, "evil/victim"), LS_ERR_ACCESS, NULL);
        expect_err(ls_backend_list(b, "evil", list_cb, &ls), LS_ERR_ACCESS,
                   NULL);
        expect_err(ls_backend_list(b, "a/evil", list_cb, &ls), LS_ERR_ACCESS,
                   NULL);
        expect_err(ls_backend_stat(b, "evil/victim", NULL, NULL),
                   LS_ERR_ACCESS, NULL);

        /* The links themselves are entries of the root: stat/remove of
         * the link is allowed and never touches the target. */
        int is_dir = -1;
        ok(ls_backend_stat(b, "evil", NULL, &is_dir));
        assert_int_equal(is_dir, 0);
        ls_backend_destroy(b);
    }

    assert_false(exists("%s/x", out));
    assert_false(exists("%s/sub", out));
    assert_false(exists("%s/mine", out));
    assert_false(exists("%s/stolen", fx->root));
    assert_int_equal(slurp(tgt, buf, sizeof(buf)), 8);
    assert_memory_equal(buf, "precious", 8);
    assert_true(exists("%s/mine", fx->root));

    ok(ls_backend_remove(fx->b, "evil"));
    assert_true(exists("%s", out));
    assert_true(exists("%s", tgt));
}

/* ---- caller-supplied operations ------------------------------------- */

struct ls_bfile_s {
    int n;
};

typedef struct {
    int *destroyed;
    ls_error_t *last_err; /* what append returned */
    int appends;
} fake_t;

static ls_error_t *fake_mkdirs(void *self, const char *path)
{
    (void)self;
    (void)path;
    return NULL;
}

static ls_error_t *fake_create(void *self, const char *path,
                               ls_bfile_t **out)
{
    (void)self;
    if (strcmp(path, "nofile") == 0)
        return NULL; /* misbehaves: success without a file */
    *out = calloc(1, sizeof(**out));
    return *out ? NULL : ls_error_new(LS_ERR_NOMEM, "fake");
}

static ls_error_t *fake_append(void *self, ls_bfile_t *f, const void *data,
                               size_t len)
{
    fake_t *fk = self;
    (void)f;
    (void)data;
    (void)len;
    fk->appends++;
    fk->last_err = ls_error_new(LS_ERR_TRANSPORT, "fake append: HTTP 503");
    ls_error_set_http_status(fk->last_err, 503);
    return fk->last_err;
}

static ls_error_t *fake_close(void *self, ls_bfile_t *f)
{
    (void)self;
    free(f);
    return NULL;
}

static ls_error_t *fake_rename(void *self, const char *from, const char *to)
{
    (void)self;
    (void)from;
    return ls_error_new(LS_ERR_EXISTS, "fake rename: %s exists", to);
}

static ls_error_t *fake_remove(void *self, const char *path)
{
    (void)self;
    return ls_error_new(LS_ERR_NOT_FOUND, "fake remove: %s", path);
}

static ls_error_t *fake_list(void *self, const char *dir, ls_list_cb_t *cb,
                             void *opaque)
{
    (void)self;
    (void)dir;
    cb(opaque, "only", 0, 7);
    return NULL;
}

static ls_error_t *fake_stat(void *self, const char *path, int64_t *size,
                             int *is_dir)
{
    (void)self;
    (void)path;
    *size = 7; /* outputs are never NULL for implementations */
    *is_dir = 0;
    return NULL;
}

static void fake_destroy(void *self)
{
    fake_t *fk = self;
    (*fk->destroyed)++;
    free(fk);
}

static const ls_backend_ops_t fake_ops = {
    .struct_size = sizeof(ls_backend_ops_t),
    .name = "fake",
    .mkdirs = fake_mkdirs,
    .create = fake_create,
    .append = fake_append,
    .close = fake_close,
    .rename = fake_rename,
    .remove = fake_remove,
    .list = fake_list,
    .stat = fake_stat,
    .destroy = fake_destroy,
};

static void test_custom_ops(void **state)
{
    (void)state;
    int destroyed = 0;
    fake_t *fk = calloc(1, sizeof(*fk));
    ls_backend_t *b = NULL;
    ls_bfile_t *f = NULL;
    listing_t ls;
    int64_t size = 0;
    assert_non_null(fk);
    fk->destroyed = &destroyed;

    ok(ls_backend_new(&b, &fake_ops, fk));
    assert_string_equal(ls_backend_name(b), "fake");
    assert_string_equal(ls_backend_root(b), "");
    ok(ls_backend_mkdirs(b, "x/y"));
    ok(ls_backend_create(b, "x/y/z", &f));

    /* The implementation's error comes back as is: same object. */
    ls_error_t *err = ls_backend_append(b, f, "abc", 3);
    assert_ptr_equal(err, fk->last_err);
    assert_int_equal(ls_error_code(err), LS_ERR_TRANSPORT);
    assert_string_equal(ls_error_message(err), "fake append: HTTP 503");
    assert_int_equal(ls_error_http_status(err), 503);
    assert_true(ls_error_is_retriable(err));
    ls_error_destroy(err);
    ok(ls_backend_append(b, f, "", 0)); /* 0 bytes never reach the op */
    assert_int_equal(fk->appends, 1);
    ok(ls_backend_close(b, f));

    expect_err(ls_backend_rename(b, "a", "b"), LS_ERR_EXISTS,
               "fake rename: b exists");
    expect_err(ls_backend_remove(b, "a"), LS_ERR_NOT_FOUND, "fake remove: a");
    memset(&ls, 0, sizeof(ls));
    ok(ls_backend_list(b, "", list_cb, &ls));
    assert_int_equal(ls.n, 1);
    ok(ls_backend_stat(b, "a", &size, NULL));
    assert_int_equal(size, 7);
    ok(ls_backend_stat(b, "a", NULL, NULL));
    /* Paths are validated before any implementation sees them. */
    expect_err(ls_backend_stat(b, "../a", NULL, NULL), LS_ERR_INVALID_ARG,
               "fake stat");
    f = (ls_bfile_t *)1;
    expect_err(ls_backend_create(b, "nofile", &f), LS_ERR_GENERIC, "fake");
    assert_null(f);

    ls_backend_destroy(b);
    assert_int_equal(destroyed, 1);
}

static void test_new_validates_ops(void **state)
{
    (void)state;
    ls_backend_ops_t ops = fake_ops;
    ls_backend_t *b = (ls_backend_t *)1;
    int dummy;

    ops.struct_size = sizeof(ops) - sizeof(void *);
    expect_err(ls_backend_new(&b, &ops, &dummy), LS_ERR_INVALID_ARG,
               "struct_size");
    assert_null(b);
    ops = fake_ops;
    ops.rename = NULL;
    expect_err(ls_backend_new(&b, &ops, &dummy), LS_ERR_INVALID_ARG,
               "ops->rename");
    ops = fake_ops;
    ops.destroy = NULL;
    expect_err(ls_backend_new(&b, &ops, &dummy), LS_ERR_INVALID_ARG,
               "ops->destroy");
    ops = fake_ops;
    ops.name = NULL;
    expect_err(ls_backend_new(&b, &ops, &dummy), LS_ERR_INVALID_ARG, "name");
    expect_err(ls_backend_new(&b, NULL, &dummy), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_new(NULL, &fake_ops, &dummy), LS_ERR_INVALID_ARG,
               NULL);
}

static void test_null_args(void **state)
{
    fx_t *fx = *state;
    ls_bfile_t *f = NULL;
    listing_t ls;

    ls_backend_destroy(NULL);
    assert_string_equal(ls_backend_name(NULL), "");
    assert_string_equal(ls_backend_root(NULL), "");
    expect_err(ls_backend_mkdirs(NULL, "a"), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_create(NULL, "a", &f), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_create(fx->b, "a", NULL), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_append(NULL, f, "a", 1), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_append(fx->b, NULL, "a", 1), LS_ERR_INVALID_ARG,
               NULL);
    expect_err(ls_backend_close(NULL, f), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_close(fx->b, NULL), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_rename(NULL, "a", "b"), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_rename(fx->b, NULL, "b"), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_rename(fx->b, "a", NULL), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_remove(NULL, "a"), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_remove(fx->b, NULL), LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_list(NULL, "", list_cb, &ls), LS_ERR_INVALID_ARG,
               NULL);
    expect_err(ls_backend_list(fx->b, "", NULL, &ls), LS_ERR_INVALID_ARG,
               NULL);
    expect_err(ls_backend_list(fx->b, NULL, list_cb, &ls),
               LS_ERR_INVALID_ARG, NULL);
    expect_err(ls_backend_stat(NULL, "", NULL, NULL), LS_ERR_INVALID_ARG,
               NULL);
    expect_err(ls_backend_stat(fx->b, NULL, NULL, NULL), LS_ERR_INVALID_ARG,
               NULL);

    ok(ls_backend_create(fx->b, "f", &f));
    expect_err(ls_backend_append(fx->b, f, NULL, 1), LS_ERR_INVALID_ARG,
               "NULL");
    ok(ls_backend_close(fx->b, f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_path_and_url, setup,
                                        teardown),
        cmocka_unit_test(test_open_bad_scheme),
        cmocka_unit_test_setup_teardown(test_open_unusable_root, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_append_close, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_escape, setup, teardown),
        cmocka_unit_test(test_custom_ops),
        cmocka_unit_test(test_new_validates_ops),
        cmocka_unit_test_setup_teardown(test_null_args, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
