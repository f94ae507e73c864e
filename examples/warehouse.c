/* warehouse: the order pipeline's warehouse as a standalone service.
 *
 *   warehouse [-b BROKERS] [-G GROUP] [-X KEY=VALUE]... [-e] [-q]
 *
 * Reads "orders" in a consumer group (default "warehouse"), asks the
 * inventory for each order's stock (topic "inventory", keyed by product)
 * and tells the customer (topic "notifications"), one line per order on
 * stdout.  Runs until SIGINT/SIGTERM, or with -e until every partition is
 * read to its end.  Brokers: -b, else $LS_BROKERS, else localhost:9092.
 * Exit status 0, 1 on a runtime error, 2 on a usage error. */
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
    int quiet = *(const int *)opaque;
    if (level <= LS_LOG_WARNING)
        fprintf(stderr, "%s\n", line);
    else if (!quiet)
        printf("%s\n", line);
}

static int usage(int rc)
{
    fprintf(rc ? stderr : stdout,
            "usage: warehouse [-b BROKERS] [-G GROUP] [-X KEY=VALUE]... "
            "[-e] [-q]\n");
    return rc;
}

int main(int argc, char **argv)
{
    const char *brokers = getenv("LS_BROKERS");
    int opt, quiet = 0, exit_at_end = 0;
    ls_error_t *err = NULL;
    ls_conf_t *conf = ls_conf_new();
    if (!conf)
        return 1;
    while ((opt = getopt(argc, argv, "b:G:X:eqh")) != -1 && !err) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 'G': err = ls_conf_set(conf, "group.id", optarg); break;
        case 'X': err = ls_conf_set_kv(conf, optarg); break;
        case 'e': exit_at_end = 1; break;
        case 'q': quiet = 1; break;
        case 'h': ls_conf_destroy(conf); return usage(0);
        default: ls_conf_destroy(conf); return usage(2);
        }
    }
    if (!err)
        err = ls_conf_set(conf, "bootstrap.servers",
                          brokers && *brokers ? brokers : "localhost:9092");
    if (err || optind < argc) {
        fprintf(stderr, "warehouse: %s\n",
                err ? ls_error_message(err) : "unexpected argument");
        ls_error_destroy(err);
        ls_conf_destroy(conf);
        return 2;
    }

    warehouse_t *w;
    err = warehouse_new(&w, conf, NULL);
    ls_conf_destroy(conf); /* borrowed by warehouse_new() */
    if (err) {
        fprintf(stderr, "warehouse: %s\n", ls_error_message(err));
        ls_error_destroy(err);
        return 1;
    }
    warehouse_set_log_cb(w, on_log, &quiet);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop && !err && !(exit_at_end && warehouse_at_end(w)))
        err = warehouse_step(w, 500, NULL);
    ls_error_t *cerr = warehouse_close(w);
    if (!err)
        err = cerr;
    else
        ls_error_destroy(cerr);

    warehouse_stats_t st;
    warehouse_stats(w, &st);
    fprintf(stderr, "warehouse: %" PRIu64 " orders (%" PRIu64 " units), %"
            PRIu64 " skipped; sent %" PRIu64 " stock requests and %" PRIu64
            " notifications%s%s\n", st.orders, st.units, st.bad,
            st.requests_sent, st.notifications_sent, err ? "; " : "",
            err ? ls_error_message(err) : "");
    warehouse_destroy(w);
    int rc = err ? 1 : 0;
    ls_error_destroy(err);
    return rc;
}
