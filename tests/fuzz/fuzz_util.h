/* libstream fuzz targets: small helpers shared by tests/fuzz/fuzz_*.c.
 * Header-only (static functions), so each target stays one .c file. */
#ifndef LS_FUZZ_UTIL_H
#define LS_FUZZ_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FZ_UNUSED __attribute__((unused))

/* The fields of a multi-part input are separated by this byte (0xFF never
 * occurs in UTF-8, so text seeds stay readable). */
#define FZ_SEP 0xFF

typedef struct {
    const uint8_t *p;
    size_t n;
} fz_span_t;

/* Split data at FZ_SEP into at most max spans; returns how many. */
static FZ_UNUSED size_t fz_split(const uint8_t *data, size_t size,
                                 fz_span_t *out, size_t max)
{
    size_t k = 0, start = 0;
    if (!max)
        return 0;
    for (size_t i = 0; i < size && k + 1 < max; i++)
        if (data[i] == FZ_SEP) {
            out[k].p = data + start;
            out[k].n = i - start;
            k++;
            start = i + 1;
        }
    out[k].p = data + start;
    out[k].n = size - start;
    return k + 1;
}

/* A malloc'd, NUL-terminated copy of n bytes (a NUL inside ends the C
 * string, as it would for any string read from outside).  Aborts when out
 * of memory: the fuzzer's limit, not a finding. */
static FZ_UNUSED char *fz_str(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* An exact-size heap copy (no NUL after it), so that ASan sees any read
 * past the end. */
static FZ_UNUSED void *fz_dup(const void *p, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (!d)
        abort();
    if (n)
        memcpy(d, p, n);
    return d;
}

/* Read every byte of p[0..n) so that ASan checks the range. */
static FZ_UNUSED unsigned fz_touch(const void *p, size_t n)
{
    const volatile unsigned char *s = p;
    unsigned sum = 0;
    for (size_t i = 0; p && i < n; i++)
        sum += s[i];
    return sum;
}

/* A file that holds exactly the given bytes, for parsers that take a
 * path: one memfd per process, rewritten each run, named through
 * /proc/self/fd.  Returns the path (static). */
static FZ_UNUSED const char *fz_file(const void *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("libstream-fuzz", MFD_CLOEXEC);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) ||
        (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("fz_file");
        abort();
    }
    return path;
}

/* A failed property: report and abort so libFuzzer saves the input. */
#define FZ_CHECK(cond)                                                     \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                      \
            abort();                                                       \
        }                                                                  \
    } while (0)

#endif
