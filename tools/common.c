/* Shared helpers for the ls-* tools. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

const char *tool_name = "ls";
volatile sig_atomic_t tool_stop = 0;

static void global_cleanup(void) { ls_global_cleanup(); }

void tool_init(const char *argv0)
{
    const char *s = strrchr(argv0, '/');
    tool_name = s ? s + 1 : argv0;
    ls_error_t *err = ls_global_init();
    if (err)
        tool_fail(err, EXIT_RUNTIME, NULL);
    atexit(global_cleanup);
}

void tool_usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", tool_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", tool_name);
    exit(EXIT_USAGE);
}

void tool_fail(ls_error_t *err, int code, const char *context)
{
    if (context)
        fprintf(stderr, "%s: %s: %s\n", tool_name, context,
                ls_error_message(err));
    else
        fprintf(stderr, "%s: %s\n", tool_name, ls_error_message(err));
    ls_error_destroy(err);
    exit(code);
}

void tool_warn(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", tool_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int64_t tool_parse_int(const char *opt, const char *s, int64_t min, int64_t max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        tool_usage_error("invalid value '%s' for %s: expected an integer "
                         "from %lld to %lld", s, opt, (long long)min,
                         (long long)max);
    return v;
}

double tool_parse_rate(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || (*end && strcmp(end, "/s")) || !(v > 0))
        tool_usage_error("invalid value '%s' for %s: expected a positive "
                         "number of messages per second", s, opt);
    return v;
}

const char *tool_brokers(const char *arg)
{
    if (arg && *arg)
        return arg;
    const char *env = getenv("LS_BROKERS");
    if (env && *env)
        return env;
    return "localhost:9092";
}

static void print_prop(void *opaque, const char *key, const char *value,
                       const char *desc)
{
    (void)opaque;
    printf("%-32s %-12s %s\n", key, value && *value ? value : "-",
           desc ? desc : "");
}

void tool_conf_kv(ls_conf_t *conf, const char *kv)
{
    if (!strcmp(kv, "list")) {
        printf("%-32s %-12s %s\n", "PROPERTY", "DEFAULT", "DESCRIPTION");
        ls_conf_describe(print_prop, NULL);
        printf("\nAll other properties go to librdkafka (see its "
               "CONFIGURATION.md).\n");
        exit(0);
    }
    ls_error_t *err = ls_conf_set_kv(conf, kv);
    if (err)
        tool_fail(err, EXIT_USAGE, "-X");
}

void tool_conf_set(ls_conf_t *conf, const char *key, const char *value)
{
    ls_error_t *err = ls_conf_set(conf, key, value);
    if (err)
        tool_fail(err, EXIT_USAGE, NULL);
}

static void on_signal(int sig)
{
    if (tool_stop) {
        /* Second signal: force exit without cleanup. */
        _exit(128 + sig);
    }
    tool_stop = 1;
}

void tool_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

double tool_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
