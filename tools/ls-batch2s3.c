/* ls-batch2s3: batch Kafka topics into CSV or JSON-lines objects on S3,
 * exactly once.  A thin main over ls_s3sink_t. */
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
"Usage: ls-batch2s3 [-b BROKERS] -t TOPIC[,TOPIC...] --bucket B [options]\n"
"\n"
"Batch Kafka records (JSON objects) per topic-partition into CSV or\n"
"JSON-lines objects on S3 or an S3-compatible store, exactly once: offsets\n"
"are committed only after the object is stored, and a replayed batch\n"
"overwrites its own object.  Records that are not JSON objects go to the\n"
"dead-letter destination with their reason.\n"
"\n"
"Options:\n"
"  -b, --brokers LIST       bootstrap brokers (default: $LS_BROKERS, else\n"
"                           localhost:9092)\n"
"  -t, --topic LIST         topics, comma-separated\n"
"  -G, --group GROUP        consumer group (default: ls-batch2s3)\n"
"      --bucket B           S3 bucket\n"
"      --endpoint URL       S3-compatible endpoint (e.g. http://127.0.0.1:4568;\n"
"                           path-style); default: AWS for --region\n"
"      --region R           region (default us-east-1)\n"
"      --key TEMPLATE       object key without extension (default\n"
"                           %%{type}/%%{type}_%%Y%%m%%d_%%H%%M%%S_p%%{partition}_o%%{offset};\n"
"                           %%{type} is the topic without \"_topic\")\n"
"      --format F           csv (default) or jsonl\n"
"      --gzip               gzip each object (.gz)\n"
"      --batch-size N       records per object (default 100)\n"
"      --batch-bytes N      bytes per object, 0 = off (default 8388608)\n"
"      --batch-timeout S    seconds a batch may wait (default 300)\n"
"      --dlq FILE|kafka:T   dead letters: a JSON-lines file or a topic\n"
"                           (default dead-letters.jsonl)\n"
"  -e, --exit               exit when every partition is stored to its end\n"
"  -X, --property K=V       libstream (s3.*, s3sink.*) or librdkafka\n"
"                           property (repeatable; -X list)\n"
"  -c, --config FILE        key=value file (s3.*, s3sink.*, kafka.* keys);\n"
"                           flags override it\n"
TOOL_MONITOR_USAGE
"  -q, --quiet              no progress or rebalance lines (warnings and\n"
"                           retries still show)\n"
"  -h, --help               show this help\n"
"\n"
"Credentials: s3.access.key.id/s3.secret.access.key, else $AWS_ACCESS_KEY_ID/\n"
"$AWS_SECRET_ACCESS_KEY/$AWS_SESSION_TOKEN, else ~/.aws/credentials\n"
"($AWS_PROFILE).  Secrets are never printed.\n"
"\n"
"Exit status: 0 done (or stopped by SIGINT/SIGTERM after storing complete\n"
"batches), 1 runtime failure, also S3 still failing when stopped (nothing\n"
"past the last stored object is committed), 2 usage or configuration\n"
"error.\n");
}

static void on_log(void *opaque, int level, const char *msg)
{
    int quiet = *(int *)opaque;
    if (!quiet || level <= LS_LOG_WARNING)
        tool_warn("%s", msg);
}

static ls_error_t *sink_poll(void *h, int timeout_ms, size_t *n)
{
    return ls_s3sink_poll(h, timeout_ms, n);
}

static int sink_at_end(const void *h) { return ls_s3sink_at_end(h); }

static void sink_progress(const void *h, char *buf, size_t size)
{
    uint64_t objects, dead;
    ls_s3sink_counts(h, NULL, NULL, &objects, NULL, &dead, NULL);
    snprintf(buf, size, "%" PRIu64 " objects, %" PRIu64 " dead letters",
             objects, dead);
}

int main(int argc, char **argv)
{
    int quiet = 0, stop_at_end = 0;
    enum { O_BUCKET = 256, O_ENDPOINT, O_REGION, O_KEY, O_FORMAT, O_BSIZE,
           O_BBYTES, O_BTIMEOUT, O_DLQ, O_GZIP };
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"group", required_argument, NULL, 'G'},
        {"bucket", required_argument, NULL, O_BUCKET},
        {"endpoint", required_argument, NULL, O_ENDPOINT},
        {"region", required_argument, NULL, O_REGION},
        {"key", required_argument, NULL, O_KEY},
        {"format", required_argument, NULL, O_FORMAT},
        {"batch-size", required_argument, NULL, O_BSIZE},
        {"batch-bytes", required_argument, NULL, O_BBYTES},
        {"batch-timeout", required_argument, NULL, O_BTIMEOUT},
        {"dlq", required_argument, NULL, O_DLQ},
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
        [O_BUCKET - O_BUCKET] = "s3.bucket",
        [O_ENDPOINT - O_BUCKET] = "s3.endpoint",
        [O_REGION - O_BUCKET] = "s3.region", [O_KEY - O_BUCKET] = "s3sink.key",
        [O_FORMAT - O_BUCKET] = "s3sink.format",
        [O_BSIZE - O_BUCKET] = "s3sink.batch.size",
        [O_BBYTES - O_BUCKET] = "s3sink.batch.bytes",
        [O_BTIMEOUT - O_BUCKET] = NULL, [O_DLQ - O_BUCKET] = "s3sink.dlq"};

    tool_init(argv[0]);
    ls_conf_t *conf = tool_conf_new();
    tool_config_pass(argc, argv, shortopts, opts, conf, usage);
    int opt;
    while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        switch (opt) {
        case 'b': tool_conf_set(conf, "bootstrap.servers", optarg); break;
        case 't': tool_conf_set(conf, "s3sink.topics", optarg); break;
        case 'G': tool_conf_set(conf, "group.id", optarg); break;
        case O_BTIMEOUT: {
            char ms[32];
            snprintf(ms, sizeof(ms), "%lld",
                     (long long)tool_parse_int("--batch-timeout", optarg, 1,
                                               INT32_MAX / 1000) * 1000);
            tool_conf_set(conf, "s3sink.batch.timeout.ms", ms);
            break;
        }
        case O_BUCKET: case O_ENDPOINT: case O_REGION: case O_KEY:
        case O_FORMAT: case O_BSIZE: case O_BBYTES: case O_DLQ:
            tool_conf_set(conf, keys[opt - O_BUCKET], optarg);
            break;
        case O_GZIP: tool_conf_set(conf, "s3sink.gzip", "true"); break;
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
    if (!*ls_conf_get(conf, "s3sink.topics"))
        tool_usage_error("-t TOPIC is required");
    if (!*ls_conf_get(conf, "s3.bucket"))
        tool_usage_error("--bucket B is required");
    tool_sink_defaults(conf, stop_at_end);
    tool_warn_insecure(conf);
    ls_monitor_t *mon = tool_monitor_new(conf);
    ls_s3sink_t *s;
    ls_error_t *err = ls_s3sink_new(&s, conf);
    if (err)
        tool_fail(err, tool_exit_code(err), NULL);
    ls_s3sink_set_log_cb(s, on_log, &quiet);
    ls_metrics_t *reg = ls_s3sink_metrics(s);
    tool_monitor_serve(mon, &reg, 1);
    tool_install_signals();

    static const tool_sink_ops_t ops = {sink_poll, sink_at_end,
                                        sink_progress};
    double start, first_at;
    int rc = tool_run_sink(&ops, s, stop_at_end, quiet, &start, &first_at);
    if (rc == 0 && (err = ls_s3sink_close(s))) {
        tool_warn("%s", ls_error_message(err));
        ls_error_destroy(err);
        rc = EXIT_RUNTIME;
    }
    double end = tool_now();
    uint64_t stored, objects, bytes, dead, retries;
    ls_s3sink_counts(s, NULL, &stored, &objects, &bytes, &dead, &retries);
    fprintf(stderr, "%s: %" PRIu64 " records stored in %" PRIu64 " objects "
            "(%" PRIu64 " bytes), %" PRIu64 " dead letters, %" PRIu64
            " retries in %.2f s; steady state %.2f s (%.0f records/s)\n",
            tool_name, stored, objects, bytes, dead, retries, end - start,
            first_at ? end - first_at : 0.0,
            first_at && end > first_at ? stored / (end - first_at) : 0.0);
    ls_monitor_destroy(mon);
    ls_s3sink_destroy(s);
    return rc;
}
