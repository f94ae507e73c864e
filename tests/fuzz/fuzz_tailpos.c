/* Fuzz target: ls-tail's position file (lib/tail_state.c
 * ls__tail_pos_read: our {"files":[...]} format and Flume TAILDIR's
 * array), which a restart reads back from disk, and the line splitter
 * (ls__tail_split) over the same bytes as file content.  A file that
 * reads is written back (ls__tail_pos_write, in a private directory under
 * /dev/shm or $TMPDIR) and must read back the same. */
#include <sys/stat.h>

#include "fuzz_util.h"

#include "libstream/error.h"
#include "tail_int.h"

static char dir[256];

typedef struct {
    size_t lines, bytes, last_end;
    size_t line_max;
} split_t;

static int line_cb(void *opaque, const char *line, size_t len, size_t end)
{
    split_t *s = opaque;
    FZ_CHECK(len <= s->line_max);
    FZ_CHECK(end > s->last_end || (end == s->last_end && len == 0 && end));
    FZ_CHECK(!memchr(line, '\n', len));
    (void)fz_touch(line, len);
    s->last_end = end;
    s->lines++;
    s->bytes += len;
    return 0;
}

static int same(const ls__tail_pos_t *a, const ls__tail_pos_t *b)
{
    if (a->n != b->n || a->clean != b->clean || a->nparts != b->nparts)
        return 0;
    if (!a->topic != !b->topic || (a->topic && strcmp(a->topic, b->topic)))
        return 0;
    for (int32_t i = 0; i < a->nparts; i++)
        if (a->scan_from[i] != b->scan_from[i])
            return 0;
    for (size_t i = 0; i < a->n; i++) {
        const ls__tail_pos_entry_t *x = &a->e[i], *y = &b->e[i];
        if (x->dev != y->dev || x->ino != y->ino || x->pos != y->pos ||
            x->epoch != y->epoch || x->hashlen != y->hashlen ||
            (x->hashlen && x->hash != y->hash) || strcmp(x->path, y->path))
            return 0;
    }
    return 1;
}

static void remove_dir(void)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/pos.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/pos.json.tmp", dir);
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct stat sb;
    const char *t = getenv("TMPDIR");
    if (!stat("/dev/shm", &sb) && S_ISDIR(sb.st_mode))
        t = "/dev/shm";
    snprintf(dir, sizeof(dir), "%s/ls-fuzz-tailpos-XXXXXX", t ? t : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
    atexit(remove_dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return -1;
    ls__tail_pos_t pos, again;
    ls_error_t *err = ls__tail_pos_read(fz_file(data, size), &pos);
    if (!err) {
        char path[300];
        snprintf(path, sizeof(path), "%s/pos.json", dir);
        err = ls__tail_pos_write(path, &pos);
        FZ_CHECK(err == NULL);
        err = ls__tail_pos_read(path, &again);
        FZ_CHECK(err == NULL);
        FZ_CHECK(same(&pos, &again));
        ls__tail_pos_clear(&again);
        ls__tail_pos_clear(&pos);
        unlink(path);
    } else {
        FZ_CHECK(ls_error_message(err) != NULL);
        FZ_CHECK(pos.n == 0 && pos.e == NULL && pos.topic == NULL);
        ls_error_destroy(err);
    }

    /* The same bytes as a followed file's content. */
    static const size_t maxes[] = {0, 1, 7, 4096};
    for (size_t k = 0; k < 4; k++)
        for (int flush = 0; flush <= 1; flush++) {
            char *buf = fz_dup(data, size);
            split_t s = {0, 0, 0, maxes[k] ? maxes[k] : 1};
            size_t used = ls__tail_split(buf, size, maxes[k], flush,
                                         line_cb, &s);
            FZ_CHECK(used <= size);
            FZ_CHECK(used == s.last_end);
            if (flush)
                FZ_CHECK(used == size);
            free(buf);
        }
    return 0;
}
