/* libstream: CSV from a batch of JSON object records (see csv.h).
 *
 * cJSON_ParseWithLengthOpts() validates each record and gives the byte
 * offset of a syntax error.  Once a record is known to be valid, a small
 * scanner walks its source bytes to flatten it, so numbers and the text
 * of arrays are kept exactly as written (cJSON keeps only a double).  The
 * scanner follows cJSON's grammar: whitespace is any byte <= 0x20 and a
 * leading UTF-8 BOM is skipped.
 *
 * Storage: a record is a run of cells (column, text span in one text
 * arena); columns are names in a name arena found through an
 * open-addressing hash.  Everything is offsets into growable buffers, so
 * ls_csv_reset() only zeroes lengths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_int.h"
#include "libstream/csv.h"

#define NO_CELL SIZE_MAX

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

typedef struct {
    size_t col;
    size_t off, len; /* text span in the text arena */
    int is_null;     /* JSON null: an empty field */
} cell_t;

typedef struct {
    size_t off, len; /* name span in the name arena */
} col_t;

struct ls_csv_s {
    buf_t names; /* column names, back to back */
    col_t *cols;
    size_t ncols, cols_cap;
    size_t *index; /* hash slots: column + 1, 0 = empty */
    size_t index_cap; /* a power of two, or 0 */

    cell_t *cells;
    size_t ncells, cells_cap;
    size_t *recs; /* first cell of each record */
    size_t nrecs, recs_cap;
    buf_t text; /* cell texts, back to back */

    buf_t path; /* scratch: the dotted name being built */
    buf_t out;  /* rendered CSV */
    size_t *slot; /* scratch for render: cell per column */
    size_t slot_cap;
};

/* ---- buffers ------------------------------------------------------------ */

static int buf_reserve(buf_t *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_add(buf_t *b, const void *s, size_t n)
{
    if (buf_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int buf_chr(buf_t *b, char c) { return buf_add(b, &c, 1); }

/* Array a (capacity *cap elements of sz bytes) with room for n + 1:
 * a itself, a larger copy, or NULL when out of memory (a still valid). */
static void *grow(void *a, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return a;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > SIZE_MAX / sz)
        return NULL;
    void *p = realloc(a, ncap * sz);
    if (p)
        *cap = ncap;
    return p;
}

/* ---- columns ------------------------------------------------------------- */

static uint64_t hash_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void index_insert(ls_csv_t *c, size_t col)
{
    size_t mask = c->index_cap - 1;
    size_t i = (size_t)hash_name(c->names.p + c->cols[col].off,
                                 c->cols[col].len) &
               mask;
    while (c->index[i])
        i = (i + 1) & mask;
    c->index[i] = col + 1;
}

/* Rebuild the index in place from the columns kept (no allocation). */
static void reindex(ls_csv_t *c)
{
    if (!c->index_cap)
        return;
    memset(c->index, 0, c->index_cap * sizeof(*c->index));
    for (size_t i = 0; i < c->ncols; i++)
        index_insert(c, i);
}

/* The column named name[0..n), added when new.  Returns 0 and sets *col,
 * or -1 when out of memory. */
static int column(ls_csv_t *c, const char *name, size_t n, size_t *col)
{
    if (c->index_cap) {
        size_t mask = c->index_cap - 1;
        size_t i = (size_t)hash_name(name, n) & mask;
        for (; c->index[i]; i = (i + 1) & mask) {
            const col_t *k = &c->cols[c->index[i] - 1];
            if (k->len == n && !memcmp(c->names.p + k->off, name, n)) {
                *col = c->index[i] - 1;
                return 0;
            }
        }
    }
    /* New column: keep the load factor under 1/2. */
    if ((c->ncols + 1) * 2 > c->index_cap) {
        size_t cap = c->index_cap ? c->index_cap * 2 : 64;
        size_t *idx = calloc(cap, sizeof(*idx));
        if (!idx)
            return -1;
        free(c->index);
        c->index = idx;
        c->index_cap = cap;
        reindex(c);
    }
    col_t *cols = grow(c->cols, &c->cols_cap, c->ncols, sizeof(*cols));
    if (!cols)
        return -1;
    c->cols = cols;
    size_t off = c->names.len;
    if (buf_add(&c->names, name, n))
        return -1;
    c->cols[c->ncols] = (col_t){off, n};
    index_insert(c, c->ncols);
    *col = c->ncols++;
    return 0;
}

/* ---- the scanner (input already validated by cJSON) -------------------- */

typedef struct {
    const unsigned char *p, *end;
} scan_t;

static void skip_ws(scan_t *s)
{
    while (s->p < s->end && *s->p <= 0x20)
        s->p++;
}

static unsigned hex4(const unsigned char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            v |= ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F')
            v |= ch - 'A' + 10;
    }
    return v;
}

static int put_utf8(buf_t *b, unsigned cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_add(b, u, n);
}

/* Decode the string at s->p (on its opening quote) into b. */
static int decode_string(scan_t *s, buf_t *b)
{
    s->p++; /* '"' */
    while (s->p < s->end && *s->p != '"') {
        const unsigned char *run = s->p;
        while (s->p < s->end && *s->p != '"' && *s->p != '\\')
            s->p++;
        if (buf_add(b, run, (size_t)(s->p - run)))
            return -1;
        if (s->p >= s->end || *s->p != '\\')
            break;
        unsigned char e = s->p[1];
        s->p += 2;
        int r = 0;
        switch (e) {
        case 'b': r = buf_chr(b, '\b'); break;
        case 'f': r = buf_chr(b, '\f'); break;
        case 'n': r = buf_chr(b, '\n'); break;
        case 'r': r = buf_chr(b, '\r'); break;
        case 't': r = buf_chr(b, '\t'); break;
        case 'u': {
            unsigned cp = hex4(s->p);
            s->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && s->end - s->p >= 6 &&
                s->p[0] == '\\' && s->p[1] == 'u') {
                unsigned lo = hex4(s->p + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s->p += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD; /* lone surrogate (cJSON rejects these) */
            r = put_utf8(b, cp);
            break;
        }
        default: /* '"', '\\', '/' */
            r = buf_chr(b, (char)e);
            break;
        }
        if (r)
            return -1;
    }
    s->p++; /* closing '"' */
    return 0;
}

/* Copy the array at s->p into b without whitespace outside strings. */
static int copy_array(scan_t *s, buf_t *b)
{
    int depth = 0;
    do {
        unsigned char ch = *s->p;
        if (ch == '"') {
            const unsigned char *start = s->p++;
            while (s->p < s->end && *s->p != '"')
                s->p += *s->p == '\\' ? 2 : 1;
            s->p++;
            if (buf_add(b, start, (size_t)(s->p - start)))
                return -1;
            continue;
        }
        s->p++;
        if (ch <= 0x20)
            continue;
        if (ch == '[' || ch == '{')
            depth++;
        else if (ch == ']' || ch == '}')
            depth--;
        if (buf_chr(b, (char)ch))
            return -1;
    } while (depth > 0 && s->p < s->end);
    return 0;
}

static int add_cell(ls_csv_t *c, size_t col, size_t off, int is_null)
{
    cell_t *cells = grow(c->cells, &c->cells_cap, c->ncells, sizeof(*cells));
    if (!cells)
        return -1;
    c->cells = cells;
    c->cells[c->ncells++] =
        (cell_t){col, off, is_null ? 0 : c->text.len - off, is_null};
    return 0;
}

/* Flatten the object at s->p (on its '{'); column names are key, or
 * when nested, c->path[0..plen) + "." + key. */
static int flatten(ls_csv_t *c, scan_t *s, size_t plen, int nested)
{
    s->p++; /* '{' */
    for (;;) {
        skip_ws(s);
        if (s->p >= s->end || *s->p == '}') {
            s->p++;
            return 0;
        }
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        /* Key: path = prefix + "." + key. */
        c->path.len = plen;
        if (nested && buf_chr(&c->path, '.'))
            return -1;
        if (decode_string(s, &c->path))
            return -1;
        skip_ws(s);
        s->p++; /* ':' */
        skip_ws(s);

        unsigned char ch = *s->p;
        if (ch == '{') {
            if (flatten(c, s, c->path.len, 1))
                return -1;
            continue;
        }
        size_t col, off = c->text.len;
        if (column(c, c->path.p, c->path.len, &col))
            return -1;
        int is_null = 0, r = 0;
        if (ch == '"') {
            r = decode_string(s, &c->text);
        } else if (ch == '[') {
            r = copy_array(s, &c->text);
        } else if (ch == 't') {
            r = buf_add(&c->text, "true", 4);
            s->p += 4;
        } else if (ch == 'f') {
            r = buf_add(&c->text, "false", 5);
            s->p += 5;
        } else if (ch == 'n') {
            is_null = 1;
            s->p += 4;
        } else { /* a number: its source text */
            const unsigned char *start = s->p;
            while (s->p < s->end &&
                   ((*s->p >= '0' && *s->p <= '9') || *s->p == '-' ||
                    *s->p == '+' || *s->p == '.' || *s->p == 'e' ||
                    *s->p == 'E'))
                s->p++;
            r = buf_add(&c->text, start, (size_t)(s->p - start));
        }
        if (r || add_cell(c, col, off, is_null))
            return -1;
    }
}

/* ---- public API ------------------------------------------------------- */

ls_error_t *ls_csv_new(ls_csv_t **out)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "csv new: NULL out");
    ls_csv_t *c = calloc(1, sizeof(*c));
    /* The arenas exist from the start: an empty name or text (a "" key)
     * is then an offset into a buffer, never into NULL. */
    if (!c || buf_reserve(&c->names, 1) || buf_reserve(&c->text, 1) ||
        buf_reserve(&c->path, 1)) {
        ls_csv_destroy(c);
        return ls_error_new(LS_ERR_NOMEM, "csv new: out of memory");
    }
    *out = c;
    return NULL;
}

static const char *json_kind(const cJSON *j)
{
    if (cJSON_IsArray(j))
        return "a JSON array";
    if (cJSON_IsString(j))
        return "a JSON string";
    if (cJSON_IsNumber(j))
        return "a JSON number";
    if (cJSON_IsBool(j))
        return "a JSON boolean";
    if (cJSON_IsNull(j))
        return "JSON null";
    return "a JSON value";
}

static int is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
           (ch >= 'A' && ch <= 'F');
}

/* The offset of the first "\u" escape not followed by four hex digits,
 * or len.  cJSON takes such an escape (invalid JSON) as U+0000 six bytes
 * long whatever they are, so where it ends a string could differ from
 * where the scanner does. */
static size_t bad_u_escape(const char *json, size_t len)
{
    int in = 0;
    size_t i = 0;
    while (i < len) {
        if (json[i] == '"') {
            in = !in;
        } else if (in && json[i] == '\\') {
            if (i + 1 < len && json[i + 1] == 'u')
                for (size_t k = 2; k < 6; k++)
                    if (i + k >= len || !is_hex(json[i + k]))
                        return i;
            i++; /* the escaped byte */
        }
        i++;
    }
    return len;
}

/* LS_ERR_BAD_RECORD unless json[0..len) is one JSON object. */
static ls_error_t *validate(const char *json, size_t len)
{
    const char *end = NULL;
    size_t i;
    for (i = 0; i < len && (unsigned char)json[i] <= 0x20; i++)
        ;
    if (i == len)
        return ls_error_new(LS_ERR_BAD_RECORD,
                            "csv: record is empty, not a JSON object");
    if (!ls__utf8_valid(json, len))
        return ls_error_new(LS_ERR_BAD_RECORD,
                            "csv: record is not valid UTF-8");
    cJSON *j = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!j) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        return ls_error_new(LS_ERR_BAD_RECORD,
                            "csv: record is not valid JSON: syntax error "
                            "near byte %zu of %zu",
                            at, len);
    }
    ls_error_t *err = NULL;
    if ((i = bad_u_escape(json, len)) < len) {
        err = ls_error_new(LS_ERR_BAD_RECORD,
                           "csv: record is not valid JSON: bad \\u escape "
                           "at byte %zu of %zu",
                           i, len);
    } else if (!cJSON_IsObject(j)) {
        err = ls_error_new(LS_ERR_BAD_RECORD,
                           "csv: record is %s, not a JSON object",
                           json_kind(j));
    } else {
        i = (size_t)(end - json);
        while (i < len && (unsigned char)json[i] <= 0x20)
            i++;
        if (i < len)
            err = ls_error_new(LS_ERR_BAD_RECORD,
                               "csv: record has trailing data at byte %zu "
                               "of %zu after the JSON object",
                               i, len);
    }
    cJSON_Delete(j);
    return err;
}

ls_error_t *ls_csv_add(ls_csv_t *csv, const void *json, size_t len)
{
    if (!csv)
        return ls_error_new(LS_ERR_INVALID_ARG, "csv add: NULL batch");
    if (!json && len)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "csv add: NULL record with length %zu", len);
    ls_error_t *err = validate(json ? json : "", len);
    if (err)
        return err;

    /* Remember the state so a failure leaves the batch unchanged. */
    size_t ncols = csv->ncols, names_len = csv->names.len;
    size_t ncells = csv->ncells, text_len = csv->text.len;

    scan_t s = {json, (const unsigned char *)json + len};
    if (len >= 3 && !memcmp(json, "\xEF\xBB\xBF", 3))
        s.p += 3;
    skip_ws(&s);
    csv->path.len = 0;
    size_t *recs = grow(csv->recs, &csv->recs_cap, csv->nrecs, sizeof(*recs));
    if (recs)
        csv->recs = recs;
    if (!recs || flatten(csv, &s, 0, 0)) {
        csv->ncols = ncols;
        csv->names.len = names_len;
        csv->ncells = ncells;
        csv->text.len = text_len;
        reindex(csv);
        return ls_error_new(LS_ERR_NOMEM, "csv add: out of memory");
    }
    csv->recs[csv->nrecs++] = ncells;
    return NULL;
}

size_t ls_csv_count(const ls_csv_t *csv) { return csv ? csv->nrecs : 0; }

size_t ls_csv_column_count(const ls_csv_t *csv)
{
    return csv ? csv->ncols : 0;
}

/* Append one field, quoted when it holds ',', '"', CR or LF. */
static int put_field(buf_t *b, const char *s, size_t n)
{
    int quote = 0;
    size_t quotes = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '"')
            quotes++;
        if (ch == ',' || ch == '"' || ch == '\r' || ch == '\n')
            quote = 1;
    }
    if (!quote)
        return buf_add(b, s, n);
    if (buf_reserve(b, n + quotes + 2))
        return -1;
    b->p[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            b->p[b->len++] = '"';
        b->p[b->len++] = s[i];
    }
    b->p[b->len++] = '"';
    return 0;
}

static int render(ls_csv_t *c)
{
    buf_t *b = &c->out;
    b->len = 0;
    if (c->ncols == 0)
        return buf_reserve(b, 1);

    if (c->ncols > c->slot_cap) {
        size_t *slot = realloc(c->slot, c->ncols * sizeof(*slot));
        if (!slot)
            return -1;
        c->slot = slot;
        c->slot_cap = c->ncols;
    }

    /* Header row. */
    for (size_t k = 0; k < c->ncols; k++) {
        if ((k && buf_chr(b, ',')) ||
            put_field(b, c->names.p + c->cols[k].off, c->cols[k].len))
            return -1;
    }
    if (c->ncols == 1 && c->cols[0].len == 0 && buf_add(b, "\"\"", 2))
        return -1;
    if (buf_add(b, "\r\n", 2))
        return -1;

    /* One row per record; a later cell for a column wins. */
    for (size_t r = 0; r < c->nrecs; r++) {
        size_t first = c->recs[r];
        size_t last = r + 1 < c->nrecs ? c->recs[r + 1] : c->ncells;
        for (size_t k = 0; k < c->ncols; k++)
            c->slot[k] = NO_CELL;
        for (size_t i = first; i < last; i++)
            c->slot[c->cells[i].col] = i;
        int empty_line = c->ncols == 1;
        for (size_t k = 0; k < c->ncols; k++) {
            const cell_t *cell =
                c->slot[k] == NO_CELL ? NULL : &c->cells[c->slot[k]];
            if (k && buf_chr(b, ','))
                return -1;
            if (!cell || cell->is_null || cell->len == 0)
                continue;
            empty_line = 0;
            if (put_field(b, c->text.p + cell->off, cell->len))
                return -1;
        }
        if (empty_line && buf_add(b, "\"\"", 2))
            return -1;
        if (buf_add(b, "\r\n", 2))
            return -1;
    }
    return buf_reserve(b, 1);
}

ls_error_t *ls_csv_render(ls_csv_t *csv, const char **data, size_t *len)
{
    if (data)
        *data = NULL;
    if (len)
        *len = 0;
    if (!csv || !data || !len)
        return ls_error_new(LS_ERR_INVALID_ARG, "csv render: NULL %s",
                            !csv ? "batch" : !data ? "data" : "len");
    if (render(csv)) {
        csv->out.len = 0;
        return ls_error_new(LS_ERR_NOMEM, "csv render: out of memory");
    }
    csv->out.p[csv->out.len] = '\0';
    *data = csv->out.p;
    *len = csv->out.len;
    return NULL;
}

void ls_csv_reset(ls_csv_t *csv)
{
    if (!csv)
        return;
    csv->ncols = 0;
    csv->names.len = 0;
    if (csv->index_cap)
        memset(csv->index, 0, csv->index_cap * sizeof(*csv->index));
    csv->ncells = 0;
    csv->nrecs = 0;
    csv->text.len = 0;
    csv->path.len = 0;
    csv->out.len = 0;
}

void ls_csv_destroy(ls_csv_t *csv)
{
    if (!csv)
        return;
    free(csv->names.p);
    free(csv->cols);
    free(csv->index);
    free(csv->cells);
    free(csv->recs);
    free(csv->text.p);
    free(csv->path.p);
    free(csv->out.p);
    free(csv->slot);
    free(csv);
}
