/* Shared helpers for the ls-* tools: option values, -X, signals, exits.
 * Tools use only the public libstream API plus these helpers. */
#ifndef LS_TOOLS_COMMON_H
#define LS_TOOLS_COMMON_H

#include <signal.h>
#include <stdint.h>
#include <libstream/libstream.h>

#define EXIT_USAGE 2   /* usage or configuration error */
#define EXIT_RUNTIME 1 /* runtime failure */

/* The program name used in messages (set by tool_init). */
extern const char *tool_name;

/* Set tool_name from argv[0]'s basename and initialise the library's
 * process-wide state (ls_global_init); exits 1 if that fails. */
void tool_init(const char *argv0);

/* A new, empty configuration for main(); exits 1 when out of memory.  It
 * stays reachable from a static until exit, so that exiting on an error
 * (exit 1 or 2, with the conf still held) is not a leak. */
ls_conf_t *tool_conf_new(void);
extern ls_conf_t *tool_main_conf;

/* Print "NAME: message" and "Try 'NAME --help'." to stderr, exit 2. */
void tool_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Print "NAME: <context>: <error message>" to stderr, free err, exit with
 * code (2 for configuration errors, 1 for runtime ones). */
void tool_fail(ls_error_t *err, int code, const char *context) __attribute__((noreturn));

/* Exit status for a library error: 2 for a configuration error (invalid
 * value, unknown key), 1 for anything else. */
int tool_exit_code(const ls_error_t *err);

/* Load a -c/--config properties file into conf; exit 2 naming the file
 * and line on error. */
void tool_conf_file(ls_conf_t *conf, const char *path);

/* Parse a -H name=value argument in place (arg is modified) into
 * headers[*n], incrementing *n; usage error (exit 2) when malformed or
 * when max headers are already there. */
void tool_parse_header(char *arg, ls_header_t *headers, size_t *n,
                       size_t max);

/* Print "NAME: message" to stderr (a warning; does not exit). */
void tool_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a whole signed integer in [min, max] for option opt; on error a
 * usage error naming the option, the value and the range. */
int64_t tool_parse_int(const char *opt, const char *s, int64_t min, int64_t max);

/* Parse a rate like "1000" (per second), as a double > 0. */
double tool_parse_rate(const char *opt, const char *s);

/* Brokers: the -b value if given, else $LS_BROKERS, else localhost:9092. */
const char *tool_brokers(const char *arg);

/* Apply one -X key=value to conf; usage error (exit 2) on failure.
 * "-X list" prints libstream's properties and exits 0. */
void tool_conf_kv(ls_conf_t *conf, const char *kv);

/* Set key=value on conf, exiting 2 with the library's message on failure. */
void tool_conf_set(ls_conf_t *conf, const char *key, const char *value);

/* SIGINT/SIGTERM: the first sets tool_stop; a second exits at once (130). */
extern volatile sig_atomic_t tool_stop;
void tool_install_signals(void);

/* Warn on stderr when conf turns Kafka TLS verification off
 * (enable.ssl.certificate.verification=false,
 * ssl.endpoint.identification.algorithm=none), as the S3 and WebHDFS
 * clients do for s3.tls.verify / hdfs.tls.verify. */
void tool_warn_insecure(const ls_conf_t *conf);

/* Monotonic clock in seconds. */
double tool_now(void);

struct option;

/* Pass 1 of a sink tool's options: -h prints usage and exits 0; each -c
 * FILE is loaded into conf now, so that flags (pass 2) override it.
 * Resets getopt for pass 2. */
void tool_config_pass(int argc, char **argv, const char *shortopts,
                      const struct option *opts, ls_conf_t *conf,
                      void (*usage)(void));

/* Defaults every Kafka sink tool sets unless the user did: brokers, a
 * 16 MiB prefetch bound, and fetch timings measured faster on librdkafka
 * 2.0 (fetch.error.backoff.ms=10, fetch.wait.max.ms=100); stop-at-end. */
void tool_sink_defaults(ls_conf_t *conf, int stop_at_end);

/* The poll loop of a sink tool, over its library pipeline. */
typedef struct {
    ls_error_t *(*poll)(void *h, int timeout_ms, size_t *processed);
    int (*at_end)(const void *h);
    /* One progress fragment, e.g. "12 files" (TTY only). */
    void (*progress)(const void *h, char *buf, size_t size);
} tool_sink_ops_t;

/* Run until SIGINT/SIGTERM, a fatal error (warned, returns 1) or, with
 * stop_at_end, the end.  *first_at is when the first record came (0:
 * none), *start when the loop began.  Returns 0 or EXIT_RUNTIME. */
int tool_run_sink(const tool_sink_ops_t *ops, void *h, int stop_at_end,
                  int quiet, double *start, double *first_at);

/* --http-port / --http-bind: the monitor (monitor.port, monitor.bind).
 * Tools add TOOL_MONITOR_LONGOPTS to their options, TOOL_MONITOR_USAGE to
 * their help, and pass unknown option codes to tool_monitor_opt(). */
#define TOOL_O_HTTP_PORT 1000
#define TOOL_O_HTTP_BIND 1001
#define TOOL_MONITOR_LONGOPTS                                                \
    {"http-port", required_argument, NULL, TOOL_O_HTTP_PORT},                \
    {"http-bind", required_argument, NULL, TOOL_O_HTTP_BIND}
#define TOOL_MONITOR_USAGE                                                   \
    "      --http-port P       serve /metrics (Prometheus), /api/stats,\n"    \
    "                          /health and a live page on port P (0: a free\n" \
    "                          one, printed); see docs/observability.md\n"     \
    "      --http-bind ADDR    address for --http-port (default 127.0.0.1)\n"

/* Apply a monitor option; returns 1 when opt was one. */
int tool_monitor_opt(int opt, ls_conf_t *conf, const char *arg);

/* The monitor conf asks for (monitor.port >= 0), not yet serving; NULL
 * when off.  Call before the pipeline takes conf over. */
ls_monitor_t *tool_monitor_new(const ls_conf_t *conf);

/* Serve registries ms[0..n) on mon (NULL: nothing), printing "NAME:
 * monitor on URL" to stderr.  Exits 2 for a bad address, 1 when the port
 * cannot be bound. */
void tool_monitor_serve(ls_monitor_t *mon, ls_metrics_t *const *ms, size_t n);

#endif
