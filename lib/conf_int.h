/* libstream: configuration internals shared inside lib/. */
#ifndef LS_CONF_INT_H
#define LS_CONF_INT_H

#include <librdkafka/rdkafka.h>
#include "libstream/conf.h"

/* A copy of the librdkafka conf held by conf; the caller owns it. */
rd_kafka_conf_t *ls__conf_kafka_dup(const ls_conf_t *conf);

/* Value of a librdkafka property as set in conf, into buf; "" if unset. */
void ls__conf_kafka_get(const ls_conf_t *conf, const char *key, char *buf,
                        size_t size);

/* Set a librdkafka property to value unless the user set it in conf. */
void ls__conf_kafka_default(const ls_conf_t *conf, rd_kafka_conf_t *rc,
                            const char *key, const char *value);

/* The library never prints: drop librdkafka's logs, unless the user asked
 * for them with the "debug" property. */
void ls__conf_kafka_quiet(const ls_conf_t *conf, rd_kafka_conf_t *rc);

/* A librdkafka log callback that drops every line. */
void ls__kafka_log_drop(const rd_kafka_t *rk, int level, const char *fac,
                        const char *buf);

/* Typed reads of libstream keys (already validated when set). */
int64_t ls__conf_int(const ls_conf_t *conf, const char *key);
int ls__conf_bool(const ls_conf_t *conf, const char *key);
double ls__conf_double(const ls_conf_t *conf, const char *key);

/* Non-zero when key names a secret that must never be shown. */
int ls__conf_is_sensitive(const char *key);

#endif
