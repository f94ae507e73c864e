/* inventory: the order pipeline's inventory as a standalone service.
 *
 *   inventory [-b BROKERS] [-G GROUP] [-s STOCK] [-S PRODUCT_ID=N]...
 *             [-X KEY=VALUE]... [-e] [-q]
 *
 * Reads stock requests from "inventory" in a consumer group (default
 * "inventory").  Every product starts with STOCK units (-s, default 500)
 * unless -S sets its own; stock never goes negative: an order that does
 * not fit is rejected, and either way the customer is told (topic
 * "notifications").  One line per request on stdout; on exit the stock
 * table on stderr.  Stock lives in memory: a restart begins again from
 * the starting stock.  Runs until SIGINT/SIGTERM, or with -e until every
 * partition is read to its end.  Brokers: -b, else $LS_BROKERS, else
 * localhost:9092.  Exit status 0, 1 on a runtime error, 2 on a usage
 * error. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, getopt: also with cc -std=c11 */
#endif
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libstream/libstream.h>

#include "order_services.h"

#define MAX_SET 64

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

/* The stock table, sorted by product id. */
typedef struct {
    order_product_t v[1024];
    size_t n;
} table_t;

static void add_product(void *opaque, const order_product_t *p)
{
    table_t *t = opaque;
    if (t->n < sizeof(t->v) / sizeof(t->v[0]))
        t->v[t->n++] = *p;
}

static int cmp_product(const void *a, const void *b)
{
    return strcmp(((const order_product_t *)a)->product_id,
                  ((const order_product_t *)b)->product_id);
}

static void print_stock(const inventory_t *inv)
{
    static table_t t;
    inventory_foreach(inv, add_product, &t);
    if (t.n > 1)
        qsort(t.v, t.n, sizeof(t.v[0]), cmp_product);
    for (size_t i = 0; i < t.n; i++)
        fprintf(stderr, "  %-8s %-20s %6" PRId64 " -> %6" PRId64 "  (%"
                PRIu64 " served, %" PRIu64 " rejected)\n", t.v[i].product_id,
                t.v[i].product, t.v[i].initial, t.v[i].stock, t.v[i].served,
                t.v[i].rejected);
}

static int usage(int rc)
{
    fprintf(rc ? stderr : stdout,
            "usage: inventory [-b BROKERS] [-G GROUP] [-s STOCK] "
            "[-S PRODUCT_ID=N]... [-X KEY=VALUE]... [-e] [-q]\n");
    return rc;
}

/* A whole number >= 0, or -1. */
static int64_t parse_stock(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return errno || end == s || *end || v < 0 ? -1 : (int64_t)v;
}

int main(int argc, char **argv)
{
    const char *brokers = getenv("LS_BROKERS");
    const char *set[MAX_SET];
    int opt, quiet = 0, exit_at_end = 0, nset = 0;
    int64_t stock = ORDER_DEFAULT_STOCK;
    ls_error_t *err = NULL;
    ls_conf_t *conf = ls_conf_new();
    if (!conf)
        return 1;
    while ((opt = getopt(argc, argv, "b:G:s:S:X:eqh")) != -1 && !err) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 'G': err = ls_conf_set(conf, "group.id", optarg); break;
        case 's':
            if ((stock = parse_stock(optarg)) < 0)
                err = ls_error_new(LS_ERR_INVALID_ARG, "-s %s: expected a "
                                   "whole number >= 0", optarg);
            break;
        case 'S':
            if (nset == MAX_SET || !strchr(optarg, '='))
                err = ls_error_new(LS_ERR_INVALID_ARG, "-S %s: expected "
                                   "PRODUCT_ID=N (at most %d)", optarg,
                                   MAX_SET);
            else
                set[nset++] = optarg;
            break;
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
        fprintf(stderr, "inventory: %s\n",
                err ? ls_error_message(err) : "unexpected argument");
        ls_error_destroy(err);
        ls_conf_destroy(conf);
        return 2;
    }

    inventory_t *inv;
    err = inventory_new(&inv, conf, NULL, stock);
    ls_conf_destroy(conf); /* borrowed by inventory_new() */
    for (int i = 0; i < nset && !err; i++) {
        char id[64];
        const char *eq = strchr(set[i], '=');
        int64_t n = parse_stock(eq + 1);
        snprintf(id, sizeof(id), "%.*s", (int)(eq - set[i]), set[i]);
        err = n < 0 ? ls_error_new(LS_ERR_INVALID_ARG, "-S %s: expected a "
                                   "stock >= 0", set[i])
                    : inventory_set_stock(inv, id, n);
    }
    if (err) {
        fprintf(stderr, "inventory: %s\n", ls_error_message(err));
        ls_error_destroy(err);
        inventory_destroy(inv);
        return 1;
    }
    inventory_set_log_cb(inv, on_log, &quiet);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop && !err && !(exit_at_end && inventory_at_end(inv)))
        err = inventory_step(inv, 500, NULL);
    ls_error_t *cerr = inventory_close(inv);
    if (!err)
        err = cerr;
    else
        ls_error_destroy(cerr);

    inventory_stats_t st;
    inventory_stats(inv, &st);
    fprintf(stderr, "inventory: %" PRIu64 " requests: %" PRIu64 " served (%"
            PRIu64 " units), %" PRIu64 " rejected (%" PRIu64 " units), %"
            PRIu64 " skipped%s%s\n", st.requests, st.served, st.units_served,
            st.rejected, st.units_rejected, st.bad, err ? "; " : "",
            err ? ls_error_message(err) : "");
    print_stock(inv);
    inventory_destroy(inv);
    int rc = err ? 1 : 0;
    ls_error_destroy(err);
    return rc;
}
