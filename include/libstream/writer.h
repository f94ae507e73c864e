/* libstream: the rolling file writer (Flume's HDFS sink, done exactly once).
 *
 * Records are appended to files on a storage backend, named by templates
 * with Flume's escapes (see template.h):
 *
 *   <archive.path>/<archive.prefix>+<partition>+<first>+<last><archive.suffix>
 *
 * e.g. orders/2026-11-26/orders-archive+3+0000000000+0000004999.json, with
 * first and last the offsets of the first and last record inside (10
 * digits at least).  A file is written under its in-use name
 *
 *   <archive.path>/<archive.prefix>+<partition>+<first><archive.suffix>.tmp
 *
 * and renamed to its final name only when closed, after its data is
 * durable.  Each file holds records of one topic-partition, in offset
 * order, and a partition has at most one open file: when a record's path
 * differs from the open file's (a new day, say), that file is closed first.
 * So the final files of a partition hold consecutive offset ranges, and
 * ls_writer_recover() can find where to resume from the destination alone.
 *
 * Roll policies (0 disables each), like Flume's hdfs.rollCount, rollSize,
 * rollInterval and idleTimeout: archive.roll.count records,
 * archive.roll.bytes bytes (before compression), archive.roll.interval
 * seconds since the file was opened, archive.idle.timeout seconds without
 * a write (checked by ls_writer_tick()).
 *
 * Delivery: the closed callback fires after each rename; only then may the
 * caller commit last + 1 for that partition.
 *
 * Thread safety: one thread at a time.
 */
#ifndef LIBSTREAM_WRITER_H
#define LIBSTREAM_WRITER_H

#include "backend.h"
#include "common.h"
#include "conf.h"
#include "error.h"
#include "event.h"

LS_BEGIN_DECLS

typedef struct ls_writer_s ls_writer_t;

/**
 * Called after a file was closed and renamed to path (relative to the
 * backend's root).  It holds records first..last of topic/partition.
 */
typedef void(ls_file_closed_cb_t)(void *opaque, const char *topic,
                                  int32_t partition, int64_t first,
                                  int64_t last, const char *path,
                                  uint64_t records, uint64_t bytes);

/**
 * A writer over backend (borrowed: it must outlive the writer) configured
 * by the archive.* keys of conf (conf is only read).  Fails with
 * LS_ERR_INVALID_ARG for a bad template or a path/prefix without
 * %{topic}.
 */
LS_EXPORT ls_error_t *ls_writer_new(ls_writer_t **out, ls_backend_t *backend,
                                    const ls_conf_t *conf);

/** Set the closed-file callback (runs inside write/tick/close calls). */
LS_EXPORT void ls_writer_set_closed_cb(ls_writer_t *w, ls_file_closed_cb_t *cb,
                                       void *opaque);

/**
 * Recover partitions of topic from the destination: delete their stale
 * in-use files and set next_offsets[i] to the offset after the highest
 * one in a final file of partitions[i], or -1 when it has none.  One scan
 * of the destination for all n partitions.  Any file the writer has open
 * for these partitions is discarded first.
 */
LS_EXPORT ls_error_t *ls_writer_recover(ls_writer_t *w, const char *topic,
                                        const int32_t *partitions, size_t n,
                                        int64_t *next_offsets);

/**
 * Append one record (the writer copies what it needs; ev stays the
 * caller's), opening or rolling files as the policies say.  On a backend
 * failure the partition's open file is discarded (its in-use file removed
 * when possible) and the error says which topic/partition and offsets were
 * lost from it; the caller must not commit past its last closed file.
 */
LS_EXPORT ls_error_t *ls_writer_write(ls_writer_t *w, const ls_event_t *ev);

/** Apply the time policies (roll interval, idle timeout) now. */
LS_EXPORT ls_error_t *ls_writer_tick(ls_writer_t *w);

/** Close (and rename) the open file of one partition, if any. */
LS_EXPORT ls_error_t *ls_writer_close_partition(ls_writer_t *w,
                                                const char *topic,
                                                int32_t partition);

/** Drop the open file of one partition, if any, removing its in-use file
 *  (partitions lost in a rebalance: nothing is committed). */
LS_EXPORT void ls_writer_discard_partition(ls_writer_t *w, const char *topic,
                                           int32_t partition);

/** Close every open file.  Stops at the first failure. */
LS_EXPORT ls_error_t *ls_writer_close_all(ls_writer_t *w);

/** Callback of ls_writer_take_rewinds(). */
typedef void(ls_rewind_cb_t)(void *opaque, const char *topic,
                             int32_t partition, int64_t offset);

/**
 * After failures: call cb once for each partition whose file was
 * discarded, with the offset it must be re-read from (the first record of
 * that file; the caller seeks its consumer there), and forget them.
 */
LS_EXPORT void ls_writer_take_rewinds(ls_writer_t *w, ls_rewind_cb_t *cb,
                                      void *opaque);

/** Totals so far: files closed, records and bytes (before compression) in
 *  closed files, files open now.  Any pointer may be NULL. */
LS_EXPORT void ls_writer_stats(const ls_writer_t *w, uint64_t *files,
                               uint64_t *records, uint64_t *bytes,
                               size_t *open_files);

/** Successful requests to the destination so far (appends and closed
 *  files): grows only when the destination accepted something, so a
 *  caller can tell it recovered.  0 for NULL. */
LS_EXPORT uint64_t ls_writer_io_count(const ls_writer_t *w);

/** Destroy; open files are discarded (call ls_writer_close_all() first to
 *  keep them).  NULL is a no-op. */
LS_EXPORT void ls_writer_destroy(ls_writer_t *w);

LS_END_DECLS

#endif
