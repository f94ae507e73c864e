/* ls-archive: archive Kafka topics into rolling files, exactly once.
 * A thin main over ls_archiver_t: flags -> conf -> poll loop -> summary. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static void usage(void)
{
    printf(
"Usage: ls-archive [-b BROKERS] -t TOPIC[,TOPIC...] --dest URL [options]\n"
"\n"
"Archive Kafka topics into rolling files, exactly once: each final file\n"
"holds records of one partition, named by its first and last offset, and\n"
"offsets are committed only after the file is closed and renamed.  On\n"
"assignment the archiver resumes from the destination itself.\n"
"\n"
"Options (Flume property in brackets):\n"
"  -b, --brokers LIST      bootstrap brokers (default: $LS_BROKERS, else\n"
"                          localhost:9092)\n"
"  -t, --topic LIST        topics, comma-separated\n"
"  -G, --group GROUP       consumer group (default: ls-archive)\n"
"      --dest URL          file:///abs/dir, a directory,\n"
"                          webhdfs://namenode:9870/dir or swebhdfs://...\n"
"      --path TEMPLATE     directory template [hdfs.path]\n"
"                          (default: %%{topic}/%%Y-%%m-%%d)\n"
"      --prefix P          file prefix [hdfs.filePrefix] (default:\n"
"                          %%{topic}-archive)\n"
"      --suffix S          file suffix [hdfs.fileSuffix] (default: .json)\n"
"      --roll-count N      records per file, 0 = off [hdfs.rollCount]\n"
"                          (default 100000)\n"
"      --roll-bytes N      bytes per file, 0 = off [hdfs.rollSize]\n"
"                          (default 134217728)\n"
"      --roll-interval S   seconds a file stays open, 0 = off\n"
"                          [hdfs.rollInterval] (default 300)\n"
"      --idle-timeout S    close files idle S seconds, 0 = off\n"
"                          [hdfs.idleTimeout] (default 60)\n"
"      --format F          jsonl (value per line) or envelope (JSON with\n"
"                          topic/partition/offset/timestamp/key/headers)\n"
"      --gzip              gzip each file [hdfs.codeC=gzip]\n"
"  -e, --exit              exit when every partition is archived to its end\n"
"  -X, --property K=V      libstream (archive.*, hdfs.*) or librdkafka\n"
"                          property (repeatable; -X list)\n"
"  -c, --config FILE       key=value file: the long option names above\n"
"                          (brokers, topic, dest, roll-count...), archive.*,\n"
"                          hdfs.* and kafka.* keys; flags override it\n"
"  -q, --quiet             no progress, rebalance or retry lines\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: 0 done (or stopped by SIGINT/SIGTERM after closing complete\n"
"files), 1 runtime failure (nothing past the last closed file is\n"
"committed), 2 usage or configuration error.\n");
}

static void on_log(void *opaque, int level, const char *msg)
{
    int quiet = *(int *)opaque;
    if (!quiet || level <= LS_LOG_WARNING)
        tool_warn("%s", msg);
}

int main(int argc, char **argv)
{
    int quiet = 0, stop_at_end = 0;
    enum { O_DEST = 256, O_PATH, O_PREFIX, O_SUFFIX, O_RCOUNT, O_RBYTES,
           O_RINT, O_IDLE, O_FORMAT, O_GZIP };
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"group", required_argument, NULL, 'G'},
        {"dest", required_argument, NULL, O_DEST},
        {"path", required_argument, NULL, O_PATH},
        {"prefix", required_argument, NULL, O_PREFIX},
        {"suffix", required_argument, NULL, O_SUFFIX},
        {"roll-count", required_argument, NULL, O_RCOUNT},
        {"roll-bytes", required_argument, NULL, O_RBYTES},
        {"roll-interval", required_argument, NULL, O_RINT},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"format", required_argument, NULL, O_FORMAT},
        {"gzip", no_argument, NULL, O_GZIP},
        {"exit", no_argument, NULL, 'e'},
        {"property", required_argument, NULL, 'X'},
        {"config", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *shortopts = "b:t:G:eX:c:qh";
    static const char *const keys[] = {
        [O_DEST - O_DEST] = "archive.dest", [O_PATH - O_DEST] = "archive.path",
        [O_PREFIX - O_DEST] = "archive.prefix",
        [O_SUFFIX - O_DEST] = "archive.suffix",
        [O_RCOUNT - O_DEST] = "archive.roll.count",
        [O_RBYTES - O_DEST] = "archive.roll.bytes",
        [O_RINT - O_DEST] = "archive.roll.interval",
        [O_IDLE - O_DEST] = "archive.idle.timeout",
        [O_FORMAT - O_DEST] = "archive.format"};

    tool_init(argv[0]);
    ls_conf_t *conf = ls_conf_new();
    if (!conf)
        return EXIT_RUNTIME;
    /* Pass 1: the config file, so that flags override it. */
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        if (opt == 'h') {
            usage();
            return 0;
        }
        if (opt == 'c') {
            ls_error_t *err = ls_conf_load_file(conf, optarg);
            if (err)
                tool_fail(err, EXIT_USAGE, NULL);
        }
    }
    opterr = 1;
    optind = 1;
    while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        switch (opt) {
        case 'b': tool_conf_set(conf, "bootstrap.servers", optarg); break;
        case 't': tool_conf_set(conf, "archive.topics", optarg); break;
        case 'G': tool_conf_set(conf, "group.id", optarg); break;
        case O_DEST: case O_PATH: case O_PREFIX: case O_SUFFIX: case O_RCOUNT:
        case O_RBYTES: case O_RINT: case O_IDLE: case O_FORMAT:
            tool_conf_set(conf, keys[opt - O_DEST], optarg);
            break;
        case O_GZIP: tool_conf_set(conf, "archive.gzip", "true"); break;
        case 'e': stop_at_end = 1; break;
        case 'X': tool_conf_kv(conf, optarg); break;
        case 'c': break;
        case 'q': quiet = 1; break;
        default:
            fprintf(stderr, "Try '%s --help' for more information.\n",
                    tool_name);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        tool_usage_error("unexpected argument '%s'", argv[optind]);
    if (!*ls_conf_get(conf, "archive.topics"))
        tool_usage_error("-t TOPIC is required (or topic= in the config)");
    if (!*ls_conf_get(conf, "archive.dest"))
        tool_usage_error("--dest URL is required (or dest= in the config)");
    if (!ls_conf_is_set(conf, "bootstrap.servers"))
        tool_conf_set(conf, "bootstrap.servers", tool_brokers(NULL));
    /* Bound what librdkafka prefetches (memory stays flat when the
     * destination is slow): 16 MiB unless the user says otherwise. */
    if (!ls_conf_is_set(conf, "queued.max.messages.kbytes"))
        tool_conf_set(conf, "queued.max.messages.kbytes", "16384");
    /* librdkafka 2.0 backs a partition off for fetch.error.backoff.ms
     * (500 ms) when that queue is full; a short backoff keeps the bound
     * without stalling the fetcher. */
    if (!ls_conf_is_set(conf, "fetch.error.backoff.ms"))
        tool_conf_set(conf, "fetch.error.backoff.ms", "10");
    /* Measured on the embedded broker: 500 ms (librdkafka's default)
     * costs ~25% of the drain rate; 100 ms keeps idle polling cheap. */
    if (!ls_conf_is_set(conf, "fetch.wait.max.ms"))
        tool_conf_set(conf, "fetch.wait.max.ms", "100");
    if (stop_at_end)
        tool_conf_set(conf, "consumer.stop.at.end", "true");

    ls_archiver_t *a;
    ls_error_t *err = ls_archiver_new(&a, conf);
    if (err)
        tool_fail(err, ls_error_code(err) == LS_ERR_INVALID_ARG ||
                               ls_error_code(err) == LS_ERR_UNKNOWN_KEY
                           ? EXIT_USAGE
                           : EXIT_RUNTIME,
                  NULL);
    ls_archiver_set_log_cb(a, on_log, &quiet);
    tool_install_signals();

    uint64_t n = 0;
    double start = tool_now(), first_at = 0, last_progress = start;
    int tty = !quiet && isatty(2), rc = 0;
    while (!tool_stop) {
        size_t cnt = 0;
        if ((err = ls_archiver_poll(a, 200, &cnt))) {
            tool_warn("%s", ls_error_message(err));
            ls_error_destroy(err);
            rc = EXIT_RUNTIME;
            break;
        }
        if (cnt && !first_at)
            first_at = tool_now();
        n += cnt;
        double now = tool_now();
        if (tty && now - last_progress >= 1.0) {
            uint64_t files;
            ls_archiver_counts(a, NULL, NULL, &files, NULL, NULL, NULL);
            fprintf(stderr, "\r%s: %" PRIu64 " records, %" PRIu64 " files, "
                    "%.0f records/s, lag %" PRId64 "   ", tool_name, n, files,
                    n / (now - start), ls_archiver_lag(a));
            last_progress = now;
        }
        if (stop_at_end && ls_archiver_at_end(a))
            break;
    }
    if (tty)
        fputc('\n', stderr);
    /* Close what is complete (so it is committed), then leave the group. */
    double close_start = tool_now();
    if ((err = ls_archiver_close(a))) {
        tool_warn("%s", ls_error_message(err));
        ls_error_destroy(err);
        rc = EXIT_RUNTIME;
    }
    double end = tool_now();
    uint64_t records, files, bytes, commits, retries;
    ls_archiver_counts(a, NULL, &records, &files, &bytes, &commits, &retries);
    fprintf(stderr, "%s: %" PRIu64 " records archived in %" PRIu64 " files "
            "(%" PRIu64 " bytes, %" PRIu64 " commits, %" PRIu64 " retries) "
            "in %.2f s; steady state %.2f s from the first record "
            "(%.0f records/s); final close %.2f s\n", tool_name, records,
            files, bytes, commits, retries, end - start,
            first_at ? end - first_at : 0.0,
            first_at && end > first_at ? records / (end - first_at) : 0.0,
            end - close_start);
    ls_archiver_destroy(a);
    return rc;
}
