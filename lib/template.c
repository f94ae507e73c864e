/* libstream: path templates with Flume's escapes (see template.h).
 *
 * ls_template_new() parses the pattern once into an op list held in one
 * allocation: the ops, then a text area with the literal runs (with "%%"
 * already folded to '%') and the NUL-terminated header names they point
 * into.  Expansion walks the ops and writes through a bounded writer
 * (snprintf semantics), so it never allocates.
 *
 * Values from a record go through put_value(), the one place that
 * sanitises: no '/', '\', control byte, DEL or byte that is not part of
 * a valid UTF-8 character survives, a value of dots alone or an
 * empty/missing value becomes "_", and values are cut at VALUE_MAX bytes
 * (on a character boundary).  So no value can add a path separator or a
 * "." / ".." segment; only the operator's literal text can.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libstream/template.h"
#include "json_int.h"

#define VALUE_MAX 200

typedef enum {
    OP_LIT,    /* literal text */
    OP_YEAR,   /* %Y */
    OP_MONTH,  /* %m */
    OP_DAY,    /* %d */
    OP_HOUR,   /* %H */
    OP_MIN,    /* %M */
    OP_SEC,    /* %S */
    OP_EPOCH,  /* %s */
    OP_YDAY,   /* %j */
    OP_TOPIC,  /* %{topic} */
    OP_PART,   /* %{partition} */
    OP_KEY,    /* %{key} */
    OP_OFFSET, /* %{offset}: the record's offset, 10 digits at least */
    OP_TYPE,   /* %{type}: the topic without a trailing "_topic" */
    OP_HEADER  /* %{NAME} */
} op_kind_t;

typedef struct {
    op_kind_t kind;
    size_t off, len; /* into text: literal bytes, or the header name */
} op_t;

struct ls_template_s {
    size_t nops;
    op_t *ops;
    char *text;
    int uses_time, uses_record, uses_topic;
};

/* ---- parsing ---------------------------------------------------------- */

static int is_time_op(op_kind_t k) { return k >= OP_YEAR && k <= OP_YDAY; }

/* One pass over the pattern.  With t == NULL only validates and counts
 * ops and text bytes; otherwise fills t (sized by the counting pass). */
static ls_error_t *parse(const char *pattern, ls_template_t *t, size_t *nops,
                         size_t *ntext)
{
    size_t n = 0, tx = 0;
    int in_lit = 0;
    const char *p = pattern;
    while (*p) {
        if (*p != '%' || p[1] == '%') {
            if (!in_lit) {
                if (t)
                    t->ops[n] = (op_t){OP_LIT, tx, 0};
                n++;
                in_lit = 1;
            }
            if (t) {
                t->text[tx] = *p;
                t->ops[n - 1].len++;
            }
            tx++;
            p += *p == '%' ? 2 : 1;
            continue;
        }
        size_t at = (size_t)(p - pattern);
        op_kind_t k;
        size_t name_off = 0, name_len = 0;
        switch (p[1]) {
        case 'Y': k = OP_YEAR; break;
        case 'm': k = OP_MONTH; break;
        case 'd': k = OP_DAY; break;
        case 'H': k = OP_HOUR; break;
        case 'M': k = OP_MIN; break;
        case 'S': k = OP_SEC; break;
        case 's': k = OP_EPOCH; break;
        case 'j': k = OP_YDAY; break;
        case '\0':
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "template \"%s\": lone '%%' at the end "
                                "(offset %zu); write \"%%%%\" for a '%%'",
                                pattern, at);
        case '{': {
            const char *name = p + 2;
            const char *close = strchr(name, '}');
            if (!close)
                return ls_error_new(LS_ERR_INVALID_ARG,
                                    "template \"%s\": unterminated \"%%{\" "
                                    "at offset %zu; expected %%{NAME}",
                                    pattern, at);
            name_len = (size_t)(close - name);
            if (name_len == 0)
                return ls_error_new(LS_ERR_INVALID_ARG,
                                    "template \"%s\": empty escape \"%%{}\" "
                                    "at offset %zu; expected %%{NAME}",
                                    pattern, at);
            if (name_len == 5 && !memcmp(name, "topic", 5)) {
                k = OP_TOPIC;
            } else if (name_len == 9 && !memcmp(name, "partition", 9)) {
                k = OP_PART;
            } else if (name_len == 3 && !memcmp(name, "key", 3)) {
                k = OP_KEY;
            } else if (name_len == 6 && !memcmp(name, "offset", 6)) {
                k = OP_OFFSET;
            } else if (name_len == 4 && !memcmp(name, "type", 4)) {
                k = OP_TYPE;
            } else {
                k = OP_HEADER;
                name_off = tx;
                if (t) {
                    memcpy(t->text + tx, name, name_len);
                    t->text[tx + name_len] = '\0';
                }
                tx += name_len + 1;
            }
            p = close + 1;
            goto add;
        }
        default:
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "template \"%s\": unknown escape \"%%%c\" at "
                                "offset %zu; expected one of %%Y %%m %%d %%H "
                                "%%M %%S %%s %%j %%%% %%{NAME}",
                                pattern, p[1], at);
        }
        p += 2;
    add:
        if (t) {
            t->ops[n] = (op_t){k, name_off, name_len};
            if (is_time_op(k))
                t->uses_time = 1;
            else if (k == OP_KEY || k == OP_HEADER || k == OP_OFFSET)
                t->uses_record = 1;
            else if (k == OP_TOPIC || k == OP_TYPE)
                t->uses_topic = 1;
        }
        n++;
        in_lit = 0;
    }
    *nops = n;
    *ntext = tx;
    return NULL;
}

ls_error_t *ls_template_new(ls_template_t **out, const char *pattern)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_template_new: out must not be NULL");
    *out = NULL;
    if (!pattern)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_template_new: pattern must not be NULL");
    size_t nops, ntext;
    ls_error_t *err = parse(pattern, NULL, &nops, &ntext);
    if (err)
        return err;
    ls_template_t *t =
        calloc(1, sizeof(*t) + nops * sizeof(op_t) + ntext + 1);
    if (!t)
        return ls_error_new(LS_ERR_NOMEM,
                            "template \"%s\": out of memory", pattern);
    t->ops = (op_t *)(t + 1);
    t->text = (char *)(t->ops + nops);
    t->nops = nops;
    err = parse(pattern, t, &nops, &ntext);
    if (err) { /* cannot happen: the first pass accepted it */
        free(t);
        return err;
    }
    *out = t;
    return NULL;
}

void ls_template_destroy(ls_template_t *t) { free(t); }

int ls_template_uses_time(const ls_template_t *t)
{
    return t ? t->uses_time : 0;
}

int ls_template_uses_record(const ls_template_t *t)
{
    return t ? t->uses_record : 0;
}

int ls_template_uses_topic(const ls_template_t *t)
{
    return t ? t->uses_topic : 0;
}

/* ---- expansion -------------------------------------------------------- */

/* What an expansion draws on: an event, or a topic and partition. */
typedef struct {
    const ls_event_t *ev;
    const char *topic; /* used when ev is NULL; NULL: "_" */
    int32_t partition;
    int has_partition;
    struct tm tm;
    long long epoch_s;
} ctx_t;

/* A record's value, sanitised (see the file comment). */
static void put_value(ls__jw_t *w, const void *v, size_t n)
{
    const unsigned char *s = v;
    size_t dots = 0;
    if (!s)
        n = 0;
    if (n > VALUE_MAX) {
        n = VALUE_MAX;
        /* Never cut a UTF-8 character in two. */
        while (n > 0 && (s[n] & 0xC0) == 0x80)
            n--;
    }
    while (dots < n && s[dots] == '.')
        dots++;
    if (dots == n) { /* empty, missing, or dots alone */
        ls__jw_raw(w, "_", 1);
        return;
    }
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '/' &&
               s[j] != '\\')
            j++;
        ls__jw_raw(w, (const char *)s + i, j - i);
        if (j == n)
            break;
        /* A valid UTF-8 character is kept; any other byte becomes "_",
         * so a path or key is always UTF-8 (WebHDFS and S3 need it). */
        size_t k = s[j] >= 0xF0 ? 4 : s[j] >= 0xE0 ? 3 : s[j] >= 0xC0 ? 2
                                                                       : 0;
        if (k && j + k <= n && ls__utf8_valid(s + j, k)) {
            ls__jw_raw(w, (const char *)s + j, k);
            j += k;
        } else {
            ls__jw_raw(w, "_", 1);
            j++;
        }
        i = j;
    }
}

/* v in decimal, zero-padded to width digits. */
static void put_num(ls__jw_t *w, int width, long long v)
{
    char num[32];
    int k = snprintf(num, sizeof(num), "%0*lld", width, v);
    if (k > 0)
        ls__jw_raw(w, num, (size_t)k);
}

static void put_op(ls__jw_t *w, const ls_template_t *t, const op_t *op,
                   const ctx_t *c)
{
    const void *v = NULL;
    size_t n = 0;
    switch (op->kind) {
    case OP_LIT: ls__jw_raw(w, t->text + op->off, op->len); return;
    case OP_YEAR: put_num(w, 4, c->tm.tm_year + 1900LL); return;
    case OP_MONTH: put_num(w, 2, c->tm.tm_mon + 1LL); return;
    case OP_DAY: put_num(w, 2, (long long)c->tm.tm_mday); return;
    case OP_HOUR: put_num(w, 2, (long long)c->tm.tm_hour); return;
    case OP_MIN: put_num(w, 2, (long long)c->tm.tm_min); return;
    case OP_SEC: put_num(w, 2, (long long)c->tm.tm_sec); return;
    case OP_EPOCH: put_num(w, 1, c->epoch_s); return;
    case OP_YDAY: put_num(w, 3, c->tm.tm_yday + 1LL); return;
    case OP_TOPIC:
        v = c->ev ? ls_event_topic(c->ev) : c->topic;
        put_value(w, v, v ? strlen(v) : 0);
        return;
    case OP_PART:
        if (c->ev)
            put_num(w, 1, (long long)ls_event_partition(c->ev));
        else if (c->has_partition)
            put_num(w, 1, (long long)c->partition);
        else
            ls__jw_raw(w, "_", 1);
        return;
    case OP_TYPE:
        v = c->ev ? ls_event_topic(c->ev) : c->topic;
        n = v ? strlen(v) : 0;
        if (n > 6 && !memcmp((const char *)v + n - 6, "_topic", 6))
            n -= 6;
        put_value(w, v, n);
        return;
    case OP_KEY:
        if (c->ev)
            v = ls_event_key(c->ev, &n);
        put_value(w, v, n);
        return;
    case OP_OFFSET:
        if (c->ev)
            put_num(w, 10, (long long)ls_event_offset(c->ev));
        else
            ls__jw_raw(w, "_", 1);
        return;
    case OP_HEADER:
        if (c->ev &&
            ls_event_header_find(c->ev, t->text + op->off, &v, &n) != 0)
            v = NULL;
        put_value(w, v, n);
        return;
    }
}

/* Split time_ms into the broken-down UTC time (floor division, so -1 ms
 * is 23:59:59 on 1969-12-31). */
static void set_time(ctx_t *c, int64_t time_ms)
{
    int64_t s = time_ms / 1000;
    if (time_ms % 1000 < 0)
        s--;
    c->epoch_s = (long long)s;
    time_t tt = (time_t)s;
    if (!gmtime_r(&tt, &c->tm)) {
        memset(&c->tm, 0, sizeof(c->tm));
        c->tm.tm_year = 70;
        c->tm.tm_mday = 1;
    }
}

static size_t expand(const ls_template_t *t, ctx_t *c, int64_t time_ms,
                     char *buf, size_t size)
{
    ls__jw_t w = {buf, size, 0};
    if (t->uses_time)
        set_time(c, time_ms);
    for (size_t i = 0; i < t->nops; i++)
        put_op(&w, t, &t->ops[i], c);
    return ls__jw_finish(&w);
}

size_t ls_template_expand(const ls_template_t *t, const ls_event_t *ev,
                          int64_t time_ms, char *buf, size_t size)
{
    ctx_t c;
    memset(&c, 0, sizeof(c));
    c.ev = ev;
    return expand(t, &c, time_ms, buf, size);
}

size_t ls_template_expand_tp(const ls_template_t *t, const char *topic,
                             int32_t partition, int64_t time_ms, char *buf,
                             size_t size)
{
    ctx_t c;
    memset(&c, 0, sizeof(c));
    c.topic = topic;
    c.partition = partition;
    c.has_partition = 1;
    return expand(t, &c, time_ms, buf, size);
}

size_t ls_template_static_dir(const ls_template_t *t, const char *topic,
                              int32_t partition, char *buf, size_t size)
{
    ctx_t c;
    memset(&c, 0, sizeof(c));
    c.topic = topic;
    c.partition = partition;
    c.has_partition = 1;
    ls__jw_t w = {buf, size, 0};

    /* The static prefix: ops before the first escape other than topic
     * and partition.  Find its last '/', in a literal. */
    size_t end = 0;
    while (end < t->nops && (t->ops[end].kind == OP_LIT ||
                             t->ops[end].kind == OP_TOPIC ||
                             t->ops[end].kind == OP_PART ||
                             t->ops[end].kind == OP_TYPE))
        end++;
    size_t slash_op = 0, slash_at = 0;
    int found = 0;
    for (size_t i = end; i-- > 0 && !found;) {
        if (t->ops[i].kind != OP_LIT)
            continue;
        const char *s = t->text + t->ops[i].off;
        for (size_t j = t->ops[i].len; j-- > 0;) {
            if (s[j] == '/') {
                slash_op = i;
                slash_at = j;
                found = 1;
                break;
            }
        }
    }
    if (found) {
        for (size_t i = 0; i < slash_op; i++)
            put_op(&w, t, &t->ops[i], &c);
        ls__jw_raw(&w, t->text + t->ops[slash_op].off, slash_at);
        if (w.len == 0) /* the pattern starts at the root: "/%Y" */
            ls__jw_raw(&w, "/", 1);
    }
    return ls__jw_finish(&w);
}
