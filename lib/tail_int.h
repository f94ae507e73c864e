/* libstream: tail internals, reachable by unit tests (tests/unit/test_tail.c)
 * through the static libstream_internal. */
#ifndef LS_TAIL_INT_H
#define LS_TAIL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "libstream/error.h"

/* Bytes before a position kept as its fingerprint. */
#define LS__TAIL_FP_MAX 64

/* ---- position file ---- */

/* One followed file: identity, committed offset, and a fingerprint of the
 * (up to 64) bytes before it, to notice a file rewritten in place. */
typedef struct {
    uint64_t dev, ino; /* dev 0: unknown (a Flume TAILDIR file): ino only */
    int64_t pos;       /* every line before pos is acknowledged */
    uint32_t epoch;    /* truncations seen */
    uint64_t hash;     /* ls__tail_hash of the hashlen bytes before pos */
    uint32_t hashlen;
    char *path;        /* last known path */
} ls__tail_pos_entry_t;

typedef struct {
    char *topic;          /* tail.topic the offsets below belong to */
    int clean;            /* the run ended with nothing in flight */
    int64_t *scan_from;   /* per partition: first Kafka offset that may hold
                             a line past pos; -1 unknown */
    int32_t nparts;
    ls__tail_pos_entry_t *e;
    size_t n;
} ls__tail_pos_t;

/* Write pos to path atomically: path.tmp, fsync, rename, fsync the
 * directory.  LS_ERR_IO names the step and file. */
ls_error_t *ls__tail_pos_write(const char *path, const ls__tail_pos_t *pos);

/* Read path into *out (zeroed first).  LS_ERR_NOT_FOUND when path does
 * not exist; LS_ERR_IO when unreadable or not a position file.  Also reads
 * a Flume TAILDIR position file ([{"inode","pos","file"}]). */
ls_error_t *ls__tail_pos_read(const char *path, ls__tail_pos_t *out);

/* Free what *pos holds and zero it. */
void ls__tail_pos_clear(ls__tail_pos_t *pos);

/* FNV-1a 64 of s[0..n). */
uint64_t ls__tail_hash(const void *s, size_t n);

/* ---- lines ---- */

/* Called for each line (without '\n') or piece of a long line; end is the
 * offset just past it in buf (past its '\n' when it has one).  Returns 0
 * to go on, non-zero to stop splitting. */
typedef int(ls__tail_line_cb_t)(void *opaque, const char *line, size_t len,
                                size_t end);

/* Split buf[0..n) into lines: each complete line, or a piece of line_max
 * bytes of a longer one, goes to cb.  A last line without '\n' is left
 * (it waits for its newline) unless it already holds line_max bytes, or
 * flush is set (the file is finished).  Returns the bytes consumed: where
 * the next read starts. */
size_t ls__tail_split(const char *buf, size_t n, size_t line_max, int flush,
                      ls__tail_line_cb_t *cb, void *opaque);

/* ---- in-flight lines ---- */

enum { LS__SLOT_PENDING = 0, LS__SLOT_ACKED, LS__SLOT_FAILED };

/* One line sent (or skipped) and not yet retired, in send order. */
typedef struct {
    void *owner;   /* the file */
    int64_t end;   /* end offset of the line in the file */
    int64_t koff;  /* Kafka offset when acknowledged, else -1 */
    int32_t part;  /* Kafka partition when acknowledged, else -1 */
    uint32_t epoch;
    uint8_t state;
} ls__tail_slot_t;

/* A growable ring of slots numbered by a sequence that never repeats;
 * the sequence is what goes into the message's opaque, so growing never
 * invalidates a pending delivery. */
typedef struct {
    ls__tail_slot_t *s;
    size_t cap;           /* power of two, or 0 */
    uint64_t head, next;  /* in flight: [head, next) */
} ls__tail_ring_t;

/* Append a slot; *seq gets its number.  -1 when out of memory. */
int ls__tail_ring_push(ls__tail_ring_t *r, const ls__tail_slot_t *slot,
                       uint64_t *seq);

/* The slot numbered seq, or NULL when it is not in flight. */
ls__tail_slot_t *ls__tail_ring_get(ls__tail_ring_t *r, uint64_t seq);

/* Drop the newest slot (its send failed). */
void ls__tail_ring_unpush(ls__tail_ring_t *r);

/* When the oldest slot is no longer pending, copy it to *out, retire it
 * and return 1; else return 0.  Retiring in order is what advances a
 * committed position only over a contiguous acknowledged prefix. */
int ls__tail_ring_pop(ls__tail_ring_t *r, ls__tail_slot_t *out);

void ls__tail_ring_free(ls__tail_ring_t *r);

#endif
