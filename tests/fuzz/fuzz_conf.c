/* Fuzz target: configuration from outside — a properties file
 * (ls_conf_load_file, what -c/--config reads) and -X key=value strings
 * (ls_conf_set_kv / ls_conf_set), then reading everything back
 * (ls_conf_get, ls_conf_is_set, typed reads, ls_conf_dump, ls_conf_dup).
 * Input: the file's text; each of its lines is also tried as one -X. */
#include <strings.h>

#include "fuzz_util.h"

#include "conf_int.h"
#include "libstream/conf.h"
#include "libstream/error.h"

static void dump_cb(void *opaque, const char *key, const char *value,
                    const char *description)
{
    unsigned *sum = opaque;
    (void)description;
    FZ_CHECK(key && *key && value);
    *sum += fz_touch(key, strlen(key)) + fz_touch(value, strlen(value));
}

/* librdkafka loads shared libraries named by plugin.library.paths when the
 * property is set: never let the fuzzer dlopen() files. */
static int dangerous(const uint8_t *data, size_t size)
{
    static const char word[] = "plugin";
    for (size_t i = 0; i + 6 <= size; i++)
        if (!strncasecmp((const char *)data + i, word, 6))
            return 1;
    return 0;
}

static void read_back(ls_conf_t *c)
{
    unsigned sum = 0;
    ls_conf_dump(c, dump_cb, &sum);
    ls_conf_t *d = ls_conf_dup(c);
    FZ_CHECK(d != NULL);
    ls_conf_dump(d, dump_cb, &sum);
    ls_conf_destroy(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096 || dangerous(data, size))
        return -1; /* not worth keeping in the corpus */

    /* 1. The whole input as a properties file. */
    ls_conf_t *c = ls_conf_new();
    FZ_CHECK(c != NULL);
    ls_error_t *err = ls_conf_load_file(c, fz_file(data, size));
    if (err) {
        FZ_CHECK(ls_error_message(err) != NULL);
        ls_error_destroy(err);
    }
    read_back(c);
    ls_conf_destroy(c);

    /* 2. Each line as -X key=value, and split by hand into
     * ls_conf_set(key, value). */
    c = ls_conf_new();
    FZ_CHECK(c != NULL);
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        char *kv = fz_str(data + start, i - start);
        err = ls_conf_set_kv(c, kv);
        if (!err) {
            char *eq = strchr(kv, '=');
            FZ_CHECK(eq != NULL);
            *eq = '\0';
            FZ_CHECK(ls_conf_is_set(c, kv));
            const char *v = ls_conf_get(c, kv);
            if (v)
                FZ_CHECK(!strcmp(v, eq + 1));
            /* Typed reads of what was just accepted. */
            (void)ls__conf_int(c, kv);
            (void)ls__conf_bool(c, kv);
            (void)ls__conf_double(c, kv);
            *eq = '=';
        }
        ls_error_destroy(err);
        char *eq = strchr(kv, '=');
        if (eq) {
            *eq = '\0';
            ls_error_destroy(ls_conf_set(c, kv, eq + 1));
        }
        free(kv);
        start = i + 1;
    }
    read_back(c);
    ls_conf_destroy(c);
    return 0;
}
