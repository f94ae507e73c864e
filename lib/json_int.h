/* libstream: small JSON writing helpers for hot paths (no allocation). */
#ifndef LS_JSON_INT_H
#define LS_JSON_INT_H

#include <stddef.h>

/* A bounded writer: appends while there is room, always counts the length
 * the whole output needs (snprintf semantics). */
typedef struct {
    char *buf;
    size_t size, len;
} ls__jw_t;

void ls__jw_raw(ls__jw_t *w, const char *s, size_t n);
void ls__jw_str(ls__jw_t *w, const char *s);
/* A JSON string of bytes s[0..n) (escaped); the caller checked UTF-8. */
void ls__jw_json_string(ls__jw_t *w, const void *s, size_t n);
/* The escaped bytes of a JSON string, without the quotes. */
void ls__jw_escaped(ls__jw_t *w, const void *s, size_t n);
/* Base64 of s[0..n) inside quotes. */
void ls__jw_base64(ls__jw_t *w, const void *s, size_t n);
/* NUL-terminate within size; returns len. */
size_t ls__jw_finish(ls__jw_t *w);

/* Non-zero if s[0..n) is valid UTF-8. */
int ls__utf8_valid(const void *s, size_t n);

#endif
