/* libstream: CSV from a batch of JSON object records (for S3 batches).
 *
 * Records are added one at a time and rendered together, because the
 * header row is the union of every record's columns in first-seen order.
 *
 * Mapping (RFC 4180 output, lines end with CRLF as the RFC says):
 *  - Nested objects are flattened with dotted names: {"data":{"id":7}}
 *    gives column "data.id".  An empty nested object gives no column.
 *  - Arrays are written as their JSON text, without insignificant
 *    whitespace, numbers and string escapes exactly as in the source.
 *  - Strings are written decoded (UTF-8), numbers exactly as written in
 *    the source (26.50 stays "26.50", 1e3 stays "1e3"), booleans as
 *    "true"/"false"; null and missing keys give an empty field.
 *  - A field holding a comma, a double quote, CR or LF is quoted and its
 *    quotes doubled.  In a one-column batch an empty field is written as
 *    "" so that its line is not blank.
 *  - A key repeated in one object, or two paths that flatten to the same
 *    name ({"a.b":1,"a":{"b":2}}), keep the last value.
 *  - A batch with no column at all (only {} records) renders as empty
 *    text.
 *
 * A record that is not a JSON object (invalid JSON or UTF-8, trailing
 * data, or an array/string/number/literal at top level) is rejected with
 * LS_ERR_BAD_RECORD and the batch is unchanged, so the caller can
 * dead-letter that record and keep the rest.
 *
 * Thread safety: one thread at a time per handle.  No global state is
 * touched (cJSON_ParseWithLengthOpts only; never cJSON_GetErrorPtr or
 * cJSON_InitHooks).
 */
#ifndef LIBSTREAM_CSV_H
#define LIBSTREAM_CSV_H

#include "common.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_csv_s ls_csv_t;

/**
 * Create an empty batch.
 * @param out  receives the batch, freed with ls_csv_destroy(); left NULL
 *             on failure.
 * @return NULL, or LS_ERR_INVALID_ARG (NULL out) / LS_ERR_NOMEM.
 */
LS_EXPORT ls_error_t *ls_csv_new(ls_csv_t **out);

/**
 * Add one record: len bytes of JSON text at json (need not be
 * NUL-terminated; a UTF-8 BOM and surrounding whitespace are allowed).
 * The bytes are parsed and copied; the caller keeps json.
 *
 * @return NULL when added.  LS_ERR_BAD_RECORD when the record is empty,
 *         not valid UTF-8, not valid JSON ("invalid JSON near byte N"),
 *         followed by other data ("trailing data at byte N"), or valid
 *         JSON that is not an object ("a JSON array, not an object"); the
 *         record is then not added and the batch is unchanged.
 *         LS_ERR_INVALID_ARG for a NULL csv, or NULL json with len > 0;
 *         LS_ERR_NOMEM (batch unchanged).
 */
LS_EXPORT ls_error_t *ls_csv_add(ls_csv_t *csv, const void *json,
                                 size_t len);

/** Number of records added since creation or the last reset. */
LS_EXPORT size_t ls_csv_count(const ls_csv_t *csv);

/** Number of columns (the header row's fields) so far. */
LS_EXPORT size_t ls_csv_column_count(const ls_csv_t *csv);

/**
 * Render the batch: a header row, then one row per record, each line
 * ending in CRLF.  *data receives the text, borrowed from csv (NUL-
 * terminated for convenience; *len excludes the NUL) and valid until the
 * next ls_csv_add(), ls_csv_render(), ls_csv_reset() or
 * ls_csv_destroy().  The caller never frees it.  Rendering does not
 * change the batch: more records may be added and rendered again.
 *
 * @return NULL, or LS_ERR_INVALID_ARG (NULL argument) / LS_ERR_NOMEM
 *         (then *data is NULL and *len 0).
 */
LS_EXPORT ls_error_t *ls_csv_render(ls_csv_t *csv, const char **data,
                                    size_t *len);

/**
 * Forget every record and column so the handle can build the next batch;
 * memory is kept for reuse, not freed.  NULL is a no-op.
 */
LS_EXPORT void ls_csv_reset(ls_csv_t *csv);

/** Free the batch and any rendered text.  NULL is a no-op. */
LS_EXPORT void ls_csv_destroy(ls_csv_t *csv);

LS_END_DECLS

#endif
