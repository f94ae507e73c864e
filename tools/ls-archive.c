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
TOOL_MONITOR_USAGE
"  -q, --quiet             no progress or rebalance lines (warnings and\n"
"                          retries still show)\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: 0 done (or stopped by SIGINT/SIGTERM after closing complete\n"
"files), 1 runtime failure, also the destination still failing when\n"
"stopped (nothing past the last closed file is committed), 2 usage or\n"
"configuration error.\n");
}

static void on_log(void *opaque, int level, const char *msg)
{
    int quiet = *(int *)opaque;
    if (!quiet || level <= LS_LOG_WARNING)
        tool_warn("%s", msg);
}

static ls_error_t *archiver_poll(void *h, int timeout_ms, size_t *n)
{
    return ls_archiver_poll(h, timeout_ms, n);
}

static int archiver_at_end(const void *h) { return ls_archiver_at_end(h); }

static void archiver_progress(const void *h, char *buf, size_t size)
{
    uint64_t files;
    ls_archiver_counts(h, NULL, NULL, &files, NULL, NULL, NULL);
    snprintf(buf, size, "%" PRIu64 " files, lag %" PRId64, files,
             ls_archiver_lag(h));
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
        TOOL_MONITOR_LONGOPTS,
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
    ls_conf_t *conf = tool_conf_new();
    tool_config_pass(argc, argv, shortopts, opts, conf, usage);
    int opt;
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
            if (tool_monitor_opt(opt, conf, optarg))
                break;
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
    tool_sink_defaults(conf, stop_at_end);
    tool_warn_insecure(conf);
    ls_monitor_t *mon = tool_monitor_new(conf);
    ls_archiver_t *a;
    ls_error_t *err = ls_archiver_new(&a, conf);
    if (err)
        tool_fail(err, tool_exit_code(err), NULL);
    ls_archiver_set_log_cb(a, on_log, &quiet);
    ls_metrics_t *reg = ls_archiver_metrics(a);
    tool_monitor_serve(mon, &reg, 1);
    tool_install_signals();

    static const tool_sink_ops_t ops = {archiver_poll, archiver_at_end,
                                        archiver_progress};
    double start, first_at;
    int rc = tool_run_sink(&ops, a, stop_at_end, quiet, &start, &first_at);
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
    ls_monitor_destroy(mon);
    ls_archiver_destroy(a);
    return rc;
}
