/* libstream: configuration properties.
 *
 * A conf is a set of key=value properties shaped like librdkafka's
 * rd_kafka_conf_t.  Keys libstream owns (channel.*, archive.*, hdfs.*,
 * s3.*, consumer.*, producer.*) live in one table in lib/conf.c and are
 * validated there; every other key goes straight to librdkafka, whose
 * verdict (unknown key, invalid value) is returned unchanged.  A key may be
 * written "kafka.<librdkafka key>" to say explicitly that it is
 * librdkafka's.
 *
 * Ownership: ls_producer_new() and ls_consumer_new() take over the conf
 * only when they succeed, exactly like rd_kafka_new(); on failure the
 * caller still owns it.
 *
 * Thread safety: a conf is not thread-safe; build it in one thread.
 */
#ifndef LIBSTREAM_CONF_H
#define LIBSTREAM_CONF_H

#include "common.h"
#include "error.h"

LS_BEGIN_DECLS

typedef struct ls_conf_s ls_conf_t;

/** A new conf with every default.  Returns NULL only when out of memory. */
LS_EXPORT ls_conf_t *ls_conf_new(void);

/** A deep copy of conf, or NULL when out of memory. */
LS_EXPORT ls_conf_t *ls_conf_dup(const ls_conf_t *conf);

/** Free a conf.  NULL is a no-op. */
LS_EXPORT void ls_conf_destroy(ls_conf_t *conf);

/**
 * Set one property.  Fails with LS_ERR_UNKNOWN_KEY when neither libstream
 * nor librdkafka knows the key, and LS_ERR_INVALID_ARG when the value is
 * not of the expected form; the message names the key, the value and the
 * expected form.  On failure the conf is unchanged.
 */
LS_EXPORT ls_error_t *ls_conf_set(ls_conf_t *conf, const char *key,
                                  const char *value);

/**
 * Set a property from one "key=value" string, as given to -X.  Fails like
 * ls_conf_set(), or with LS_ERR_INVALID_ARG when there is no '='.
 */
LS_EXPORT ls_error_t *ls_conf_set_kv(ls_conf_t *conf, const char *kv);

/**
 * Load a properties file: one key=value a line, blank lines and lines
 * starting with '#' ignored, whitespace around key and value trimmed.
 * Errors name the file and line.  Properties before a failing line stay
 * set.
 */
LS_EXPORT ls_error_t *ls_conf_load_file(ls_conf_t *conf, const char *path);

/**
 * The value of a libstream-owned key (its default when unset), borrowed
 * until the key is set again or the conf is destroyed.  Returns NULL for
 * keys libstream does not own (librdkafka's: see ls_conf_dump()).
 */
LS_EXPORT const char *ls_conf_get(const ls_conf_t *conf, const char *key);

/** Non-zero when key was set explicitly (by ls_conf_set or a file). */
LS_EXPORT int ls_conf_is_set(const ls_conf_t *conf, const char *key);

/** Callback for ls_conf_dump() and ls_conf_describe(). */
typedef void(ls_conf_kv_cb_t)(void *opaque, const char *key,
                              const char *value, const char *description);

/**
 * Call cb for every property set explicitly, libstream's and librdkafka's,
 * with secrets (passwords, secret keys, tokens) shown as "[redacted]".
 * description is NULL.  Runs on the caller's thread.
 */
LS_EXPORT void ls_conf_dump(const ls_conf_t *conf, ls_conf_kv_cb_t *cb,
                            void *opaque);

/**
 * Call cb for every key libstream owns with its default value and a
 * one-line description (the source of docs/configuration.md).
 */
LS_EXPORT void ls_conf_describe(ls_conf_kv_cb_t *cb, void *opaque);

LS_END_DECLS

#endif
