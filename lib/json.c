/* libstream: JSON writing helpers (escaping, base64, UTF-8 checks). */
#include <string.h>

#include "json_int.h"

void ls__jw_raw(ls__jw_t *w, const char *s, size_t n)
{
    if (w->len < w->size) {
        size_t room = w->size - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

void ls__jw_str(ls__jw_t *w, const char *s) { ls__jw_raw(w, s, strlen(s)); }

void ls__jw_json_string(ls__jw_t *w, const void *data, size_t n)
{
    ls__jw_raw(w, "\"", 1);
    ls__jw_escaped(w, data, n);
    ls__jw_raw(w, "\"", 1);
}

void ls__jw_escaped(ls__jw_t *w, const void *data, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = data;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        ls__jw_raw(w, (const char *)s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0};
        switch (ch) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            ls__jw_raw(w, esc, 6);
            continue;
        }
        ls__jw_raw(w, esc, 2);
    }
    ls__jw_raw(w, (const char *)s + run, n - run);
}

void ls__jw_base64(ls__jw_t *w, const void *data, size_t n)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = data;
    char q[4];
    ls__jw_raw(w, "\"", 1);
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        q[0] = tbl[s[i] >> 2];
        q[1] = tbl[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
        q[2] = tbl[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
        q[3] = tbl[s[i + 2] & 63];
        ls__jw_raw(w, q, 4);
    }
    if (i < n) {
        q[0] = tbl[s[i] >> 2];
        if (i + 1 < n) {
            q[1] = tbl[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
            q[2] = tbl[(s[i + 1] & 15) << 2];
        } else {
            q[1] = tbl[(s[i] & 3) << 4];
            q[2] = '=';
        }
        q[3] = '=';
        ls__jw_raw(w, q, 4);
    }
    ls__jw_raw(w, "\"", 1);
}

size_t ls__jw_finish(ls__jw_t *w)
{
    if (w->size)
        w->buf[w->len < w->size ? w->len : w->size - 1] = '\0';
    return w->len;
}

int ls__utf8_valid(const void *data, size_t n)
{
    const unsigned char *s = data;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned int cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + need >= n)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += need + 1;
    }
    return 1;
}
