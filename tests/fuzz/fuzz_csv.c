/* Fuzz target: JSON records -> CSV (lib/csv.c: validation, the flattening
 * scanner, column hashing, RFC 4180 rendering).  Input: records, one per
 * line (as JSON lines, what Kafka values usually are).  Each rendering is
 * read back with an RFC 4180 reader: one header row plus one row per
 * record, each with exactly as many fields as there are columns. */
#include "fuzz_util.h"

#include "libstream/csv.h"
#include "libstream/error.h"

/* Count the rows of text and check each has ncols fields.  Returns the
 * number of rows; aborts on malformed CSV. */
static size_t check_csv(const char *s, size_t n, size_t ncols)
{
    size_t rows = 0, i = 0;
    while (i < n) {
        size_t fields = 0;
        for (;;) { /* one field */
            if (i < n && s[i] == '"') {
                i++;
                for (;;) {
                    FZ_CHECK(i < n); /* unterminated quote */
                    if (s[i] == '"') {
                        if (i + 1 < n && s[i + 1] == '"') {
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    i++;
                }
            } else {
                while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
                    FZ_CHECK(s[i] != '"'); /* a quote in a bare field */
                    i++;
                }
            }
            fields++;
            if (i < n && s[i] == ',') {
                i++;
                continue;
            }
            break;
        }
        /* Lines end with CRLF, the last one too. */
        FZ_CHECK(i + 1 < n && s[i] == '\r' && s[i + 1] == '\n');
        i += 2;
        FZ_CHECK(fields == ncols);
        rows++;
    }
    return rows;
}

static void render_check(ls_csv_t *csv)
{
    const char *out = NULL;
    size_t len = 0;
    ls_error_t *err = ls_csv_render(csv, &out, &len);
    FZ_CHECK(err == NULL);
    FZ_CHECK(out != NULL && out[len] == '\0');
    size_t ncols = ls_csv_column_count(csv);
    if (ncols == 0) {
        FZ_CHECK(len == 0);
        return;
    }
    FZ_CHECK(check_csv(out, len, ncols) == ls_csv_count(csv) + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ls_csv_t *csv = NULL;
    if (size > 65536)
        return -1;
    FZ_CHECK(ls_csv_new(&csv) == NULL);
    for (int pass = 0; pass < 2; pass++) {
        size_t start = 0;
        for (size_t i = 0; i <= size; i++) {
            if (i < size && data[i] != '\n')
                continue;
            /* Exact-size copy: no read past the record. */
            void *rec = fz_dup(data + start, i - start);
            size_t before = ls_csv_count(csv);
            size_t cols = ls_csv_column_count(csv);
            ls_error_t *err = ls_csv_add(csv, rec, i - start);
            if (err) {
                FZ_CHECK(ls_error_code(err) == LS_ERR_BAD_RECORD);
                /* A rejected record leaves the batch unchanged. */
                FZ_CHECK(ls_csv_count(csv) == before);
                FZ_CHECK(ls_csv_column_count(csv) == cols);
                ls_error_destroy(err);
            } else {
                FZ_CHECK(ls_csv_count(csv) == before + 1);
            }
            free(rec);
            start = i + 1;
        }
        /* Render, then add again and render (render does not consume);
         * the second pass starts from a reset. */
        render_check(csv);
        if (pass == 0)
            ls_csv_reset(csv);
        FZ_CHECK(pass || ls_csv_count(csv) == 0);
    }
    render_check(csv);
    ls_csv_destroy(csv);
    return 0;
}
