/* ls-tail: follow files (tail -F, Flume TAILDIR) into a Kafka topic. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libstream/tail.h>

#include "common.h"

#define MAX_HEADERS 64

static void usage(void)
{
    printf(
"Usage: ls-tail [-b BROKERS] -t TOPIC [--position FILE] [--from-start]\n"
"               [options] FILE|GLOB...\n"
"\n"
"Follow files line by line and send each line to Kafka, like tail -F or\n"
"Flume's TAILDIR source.  Globs are expanded again every second, so new\n"
"files are picked up; rotation (rename + create, copytruncate) is followed\n"
"by inode.  With --position the acknowledged offset of every file is kept\n"
"in FILE, and a restart neither loses nor repeats lines.\n"
"\n"
"Options:\n"
"  -b, --brokers LIST     bootstrap brokers (default: $LS_BROKERS, else\n"
"                         localhost:9092)\n"
"  -t, --topic TOPIC      destination topic (tail.topic)\n"
"      --position FILE    position file (tail.position.file); without it\n"
"                         a restart starts at the end of the files again\n"
"      --from-start       read files that already exist from their start,\n"
"                         not their end (tail.from.start)\n"
"  -K, --key-delim DELIM  split each line at the first DELIM into key and\n"
"                         value (tail.key.delim)\n"
"  -H, --header N=V       add header N with value V to every message\n"
"                         (repeatable)\n"
"  -X, --property K=V     set a libstream or librdkafka property\n"
"                         (repeatable; -X list shows libstream's)\n"
"  -c, --config FILE      read properties from FILE (key=value lines)\n"
"  -e, --exit             exit once every file is read to its last newline\n"
"                         and every line is delivered\n"
"      --timeout MS       at exit, wait at most MS for deliveries\n"
"                         (default 30000)\n"
TOOL_MONITOR_USAGE
"  -q, --quiet            no progress line, only warnings\n"
"  -h, --help             show this help\n"
"\n"
"SIGINT/SIGTERM stop reading, wait for deliveries and write the final\n"
"position.  Exit status: 0 every line delivered, 1 a line failed or was\n"
"not delivered, or a runtime error, 2 usage or configuration error.\n");
}

typedef struct {
    int quiet, tty;
} logctx_t;

static void on_log(void *opaque, int level, const char *message)
{
    const logctx_t *l = opaque;
    if (l->quiet && level > LS_LOG_WARNING)
        return;
    fprintf(stderr, "%s%s: %s\n", l->tty ? "\r\033[K" : "", tool_name,
            message);
}

static void progress(ls_tail_t *t, double start, int final)
{
    uint64_t sent, delivered, failed, skipped, files;
    ls_tail_counts(t, &sent, &delivered, &failed, &skipped, &files);
    double el = tool_now() - start;
    fprintf(stderr, "\r%s: sent %llu, delivered %llu, failed %llu, files "
            "%llu, %.0f lines/s   %s", tool_name, (unsigned long long)sent,
            (unsigned long long)delivered, (unsigned long long)failed,
            (unsigned long long)files, el > 0 ? (double)delivered / el : 0.0,
            final ? "\n" : "");
}

int main(int argc, char **argv)
{
    const char *brokers = NULL;
    ls_header_t headers[MAX_HEADERS];
    size_t nheaders = 0;
    int64_t timeout_ms = 30000;
    int quiet = 0, exit_at_end = 0;
    enum { O_POSITION = 256, O_FROM_START, O_TIMEOUT };
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"position", required_argument, NULL, O_POSITION},
        {"from-start", no_argument, NULL, O_FROM_START},
        {"key-delim", required_argument, NULL, 'K'},
        {"header", required_argument, NULL, 'H'},
        {"property", required_argument, NULL, 'X'},
        {"config", required_argument, NULL, 'c'},
        {"exit", no_argument, NULL, 'e'},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        TOOL_MONITOR_LONGOPTS,
        {NULL, 0, NULL, 0}};

    tool_init(argv[0]);
    ls_conf_t *conf = tool_conf_new();
    int opt;
    while ((opt = getopt_long(argc, argv, "b:t:K:H:X:c:eqh", opts, NULL)) !=
           -1) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 't': tool_conf_set(conf, "tail.topic", optarg); break;
        case O_POSITION:
            tool_conf_set(conf, "tail.position.file", optarg);
            break;
        case O_FROM_START: tool_conf_set(conf, "tail.from.start", "true"); break;
        case 'K':
            if (!*optarg)
                tool_usage_error("-K needs a non-empty delimiter");
            tool_conf_set(conf, "tail.key.delim", optarg);
            break;
        case 'H':
            tool_parse_header(optarg, headers, &nheaders, MAX_HEADERS);
            break;
        case 'X': tool_conf_kv(conf, optarg); break;
        case 'c':
            tool_conf_file(conf, optarg);
            break;
        case 'e': exit_at_end = 1; break;
        case O_TIMEOUT:
            timeout_ms = tool_parse_int("--timeout", optarg, 0, INT32_MAX);
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(); return 0;
        default:
            if (tool_monitor_opt(opt, conf, optarg))
                break;
            fprintf(stderr, "Try '%s --help' for more information.\n",
                    tool_name);
            return EXIT_USAGE;
        }
    }
    const char *files = ls_conf_get(conf, "tail.files");
    if (optind == argc && !(files && *files))
        tool_usage_error("no FILE or GLOB to follow");
    const char *topic = ls_conf_get(conf, "tail.topic");
    if (!topic || !*topic)
        tool_usage_error("-t TOPIC is required");
    if (brokers || !ls_conf_is_set(conf, "bootstrap.servers"))
        tool_conf_set(conf, "bootstrap.servers", tool_brokers(brokers));

    ls_monitor_t *mon = tool_monitor_new(conf);
    tool_warn_insecure(conf);
    ls_tail_t *t;
    ls_error_t *err = ls_tail_new(&t, conf);
    if (err)
        tool_fail(err, tool_exit_code(err), NULL);
    logctx_t lc = {quiet, !quiet && isatty(2)};
    ls_tail_set_log_cb(t, on_log, &lc);
    for (int i = optind; i < argc; i++)
        if ((err = ls_tail_add(t, argv[i])))
            tool_fail(err, EXIT_USAGE, argv[i]);
    for (size_t i = 0; i < nheaders; i++)
        if ((err = ls_tail_add_header(t, headers[i].name, headers[i].value,
                                      headers[i].size)))
            tool_fail(err, EXIT_USAGE, "-H");
    ls_metrics_t *reg = ls_tail_metrics(t);
    tool_monitor_serve(mon, &reg, 1);
    tool_install_signals();

    int rc = 0;
    double start = tool_now(), last_progress = start, first_at = 0;
    while (!tool_stop) {
        err = ls_tail_poll(t, 250, NULL);
        if (err) {
            tool_warn("%s", ls_error_message(err));
            ls_error_destroy(err);
            rc = EXIT_RUNTIME;
            break;
        }
        if (!first_at) {
            uint64_t d;
            ls_tail_counts(t, NULL, &d, NULL, NULL, NULL);
            if (d)
                first_at = tool_now();
        }
        if (exit_at_end && ls_tail_at_end(t))
            break;
        if (lc.tty && tool_now() - last_progress >= 1.0) {
            progress(t, start, 0);
            last_progress = tool_now();
        }
    }

    /* Stop, wait for deliveries, write the final position. */
    err = ls_tail_close(t, (int)timeout_ms);
    if (err) {
        tool_warn("%s", ls_error_message(err));
        ls_error_destroy(err);
        rc = EXIT_RUNTIME;
    }
    if (lc.tty)
        progress(t, start, 1);
    uint64_t sent, delivered, failed, skipped, nfiles;
    ls_tail_counts(t, &sent, &delivered, &failed, &skipped, &nfiles);
    double el = tool_now() - start;
    uint64_t undelivered = sent - delivered - failed;
    /* From the first delivery: without the producer's start-up (which
     * librdkafka 2.0 may stretch by its 1 s topic scan). */
    double steady = first_at ? tool_now() - first_at : 0;
    fprintf(stderr, "%s: sent %llu, delivered %llu, failed %llu, skipped "
            "%llu, files %llu in %.2f s (%.0f lines/s); %.2f s from the "
            "first delivery (%.0f lines/s)\n", tool_name,
            (unsigned long long)sent, (unsigned long long)delivered,
            (unsigned long long)(failed + undelivered),
            (unsigned long long)skipped, (unsigned long long)nfiles, el,
            el > 0 ? (double)delivered / el : 0.0, steady,
            steady > 0 ? (double)delivered / steady : 0.0);
    if (failed || undelivered) {
        const char *why = ls_tail_delivery_error(t);
        fprintf(stderr, "%s: %llu line(s) not delivered: %s\n", tool_name,
                (unsigned long long)(failed + undelivered),
                why ? why : "stopped before delivery");
        rc = EXIT_RUNTIME;
    }
    ls_monitor_destroy(mon);
    ls_tail_destroy(t);
    return rc;
}
