/* notification: the order pipeline's notification service, standalone.
 *
 *   notification [-b BROKERS] [-G GROUP] [-X KEY=VALUE]... [-e]
 *
 * Reads "notifications" in a consumer group (default "notification") and
 * prints one line per notification on stdout:
 *
 *   notification: to Mary Smith (CUST-00042): your order ORD-... has
 *   shipped: 2 x Laptop
 *
 * Runs until SIGINT/SIGTERM, or with -e until every partition is read to
 * its end.  Brokers: -b, else $LS_BROKERS, else localhost:9092.  Exit
 * status 0, 1 on a runtime error, 2 on a usage error. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, getopt: also with cc -std=c11 */
#endif
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libstream/libstream.h>

#include "order_services.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_log(void *opaque, int level, const char *line)
{
    (void)opaque;
    fprintf(level <= LS_LOG_WARNING ? stderr : stdout, "%s\n", line);
}

static int usage(int rc)
{
    fprintf(rc ? stderr : stdout, "usage: notification [-b BROKERS] "
            "[-G GROUP] [-X KEY=VALUE]... [-e]\n");
    return rc;
}

int main(int argc, char **argv)
{
    const char *brokers = getenv("LS_BROKERS");
    int opt, exit_at_end = 0;
    ls_error_t *err = NULL;
    ls_conf_t *conf = ls_conf_new();
    if (!conf)
        return 1;
    while ((opt = getopt(argc, argv, "b:G:X:eh")) != -1 && !err) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 'G': err = ls_conf_set(conf, "group.id", optarg); break;
        case 'X': err = ls_conf_set_kv(conf, optarg); break;
        case 'e': exit_at_end = 1; break;
        case 'h': ls_conf_destroy(conf); return usage(0);
        default: ls_conf_destroy(conf); return usage(2);
        }
    }
    if (!err)
        err = ls_conf_set(conf, "bootstrap.servers",
                          brokers && *brokers ? brokers : "localhost:9092");
    if (err || optind < argc) {
        fprintf(stderr, "notification: %s\n",
                err ? ls_error_message(err) : "unexpected argument");
        ls_error_destroy(err);
        ls_conf_destroy(conf);
        return 2;
    }

    notifier_t *n;
    err = notifier_new(&n, conf);
    ls_conf_destroy(conf); /* borrowed by notifier_new() */
    if (err) {
        fprintf(stderr, "notification: %s\n", ls_error_message(err));
        ls_error_destroy(err);
        return 1;
    }
    notifier_set_log_cb(n, on_log, NULL);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop && !err && !(exit_at_end && notifier_at_end(n)))
        err = notifier_step(n, 500, NULL);
    ls_error_t *cerr = notifier_close(n);
    if (!err)
        err = cerr;
    else
        ls_error_destroy(cerr);

    notifier_stats_t st;
    notifier_stats(n, &st);
    fprintf(stderr, "notification: %" PRIu64 " notifications (%" PRIu64
            " received, %" PRIu64 " shipped, %" PRIu64 " rejected, %" PRIu64
            " other), %" PRIu64 " skipped%s%s\n", st.notifications,
            st.received, st.shipped, st.rejected, st.other, st.bad,
            err ? "; " : "", err ? ls_error_message(err) : "");
    notifier_destroy(n);
    int rc = err ? 1 : 0;
    ls_error_destroy(err);
    return rc;
}
