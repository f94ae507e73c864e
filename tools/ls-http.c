/* ls-http: an HTTP endpoint taking Flume JSONHandler batches and producing
 * them to Kafka, answering once Kafka acknowledged them.  A thin main over
 * ls_httpsrc_t. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstream/httpsrc.h>

#include "common.h"

static void usage(void)
{
    printf(
"Usage: ls-http --port P [--bind ADDR] [-b BROKERS] -t TOPIC [options]\n"
"\n"
"Accept HTTP POSTs of JSON arrays of events in Flume's JSONHandler format,\n"
"  [{\"headers\": {\"host\": \"web1\"}, \"body\": \"text\"}, ...]\n"
"and produce each event as a Kafka record (headers as record headers, body\n"
"as value).  A request is answered 200 {\"accepted\":N} only after Kafka\n"
"acknowledged all its records; 400 malformed or wrong-shaped JSON, 401 bad\n"
"token, 413 body over --max-body, 503 (Retry-After) while Kafka deliveries\n"
"fail or too many events await acknowledgement.  Every error answer is\n"
"{\"error\":\"reason\"}.  The first line of stdout is ADDR:PORT listened on.\n"
"\n"
"Options:\n"
"      --port P             TCP port; 0 picks a free one (required)\n"
"      --bind ADDR          address to listen on (default 127.0.0.1)\n"
"  -b, --brokers LIST       bootstrap brokers (default: $LS_BROKERS, else\n"
"                           localhost:9092)\n"
"  -t, --topic TOPIC        Kafka topic to produce to\n"
"      --dest URL           HDFS/S3 destination: not available yet (use\n"
"                           -b/-t; ls-archive or ls-batch2s3 can move the\n"
"                           topic on)\n"
"      --max-body BYTES     largest request body (default 1048576)\n"
"      --token TOKEN        require \"Authorization: Bearer TOKEN\"\n"
"                           (default: $LS_HTTP_TOKEN; prefer it or -c:\n"
"                           arguments are visible to other users in ps)\n"
"      --key-header NAME    event header used as the record key\n"
"      --base64             event bodies are base64 unless a request says\n"
"                           otherwise (X-Body-Encoding: text|base64)\n"
"      --threads N          HTTP server threads (default 4)\n"
"  -H, --header N=V         add header N=V to every record (repeatable)\n"
"  -X, --property K=V       libstream (httpsrc.*) or librdkafka producer\n"
"                           property (repeatable; -X list)\n"
"  -c, --config FILE        key=value file (httpsrc.*, kafka.* keys);\n"
"                           flags override it\n"
TOOL_MONITOR_USAGE
"  -q, --quiet              only warnings on stderr\n"
"  -h, --help               show this help\n"
"\n"
"Defaults set unless given: message.timeout.ms=30000 (a request waits at\n"
"most that long for its acknowledgement, then gets 503).\n"
"\n"
"SIGINT/SIGTERM stop accepting, wait for the acknowledgements of requests\n"
"in flight, answer them, print a summary and exit.\n"
"\n"
"Exit status: 0 after SIGINT/SIGTERM with every request answered, 1 runtime\n"
"failure (cannot listen, acknowledgements missing at exit), 2 usage or\n"
"configuration error.\n");
}

static void on_log(void *opaque, int level, const char *msg)
{
    int quiet = *(int *)opaque;
    if (!quiet || level <= LS_LOG_WARNING)
        tool_warn("%s", msg);
}

int main(int argc, char **argv)
{
    int quiet = 0, have_port = 0;
    const char *brokers = NULL;
    const char *hnames[64], *hvalues[64];
    size_t nheaders = 0;
    enum { O_PORT = 256, O_BIND, O_DEST, O_MAXBODY, O_TOKEN, O_KEYHDR,
           O_BASE64, O_THREADS };
    static const struct option opts[] = {
        {"port", required_argument, NULL, O_PORT},
        {"bind", required_argument, NULL, O_BIND},
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"dest", required_argument, NULL, O_DEST},
        {"max-body", required_argument, NULL, O_MAXBODY},
        {"token", required_argument, NULL, O_TOKEN},
        {"key-header", required_argument, NULL, O_KEYHDR},
        {"base64", no_argument, NULL, O_BASE64},
        {"threads", required_argument, NULL, O_THREADS},
        {"header", required_argument, NULL, 'H'},
        {"property", required_argument, NULL, 'X'},
        {"config", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        TOOL_MONITOR_LONGOPTS,
        {NULL, 0, NULL, 0}};
    const char *shortopts = "b:t:H:X:c:qh";

    tool_init(argv[0]);
    ls_conf_t *conf = tool_conf_new();
    tool_config_pass(argc, argv, shortopts, opts, conf, usage);
    int opt;
    while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        switch (opt) {
        case O_PORT:
            tool_parse_int("--port", optarg, 0, 65535);
            tool_conf_set(conf, "httpsrc.port", optarg);
            have_port = 1;
            break;
        case O_BIND: tool_conf_set(conf, "httpsrc.bind", optarg); break;
        case 'b': brokers = optarg; break;
        case 't': tool_conf_set(conf, "httpsrc.topic", optarg); break;
        case O_DEST:
            tool_usage_error("--dest is not available yet: ls-http produces "
                             "to Kafka only (-b BROKERS -t TOPIC); move the "
                             "topic on with ls-archive or ls-batch2s3");
        case O_MAXBODY:
            tool_conf_set(conf, "httpsrc.max.body.bytes", optarg);
            break;
        case O_TOKEN: tool_conf_set(conf, "httpsrc.token", optarg); break;
        case O_KEYHDR:
            tool_conf_set(conf, "httpsrc.key.header", optarg);
            break;
        case O_BASE64:
            tool_conf_set(conf, "httpsrc.body.encoding", "base64");
            break;
        case O_THREADS: tool_conf_set(conf, "httpsrc.threads", optarg); break;
        case 'H': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                tool_usage_error("invalid header '%s' for -H: expected "
                                 "name=value", optarg);
            if (nheaders == sizeof(hnames) / sizeof(hnames[0]))
                tool_usage_error("too many -H headers (at most 64)");
            *eq = '\0';
            hnames[nheaders] = optarg;
            hvalues[nheaders++] = eq + 1;
            break;
        }
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
    if (!have_port && !ls_conf_is_set(conf, "httpsrc.port"))
        tool_usage_error("--port P is required (0: a free port)");
    if (!*ls_conf_get(conf, "httpsrc.topic"))
        tool_usage_error("-t TOPIC is required");
    const char *env_token = getenv("LS_HTTP_TOKEN");
    if (!ls_conf_is_set(conf, "httpsrc.token") && env_token && *env_token)
        tool_conf_set(conf, "httpsrc.token", env_token);
    if (brokers || !ls_conf_is_set(conf, "bootstrap.servers"))
        tool_conf_set(conf, "bootstrap.servers", tool_brokers(brokers));
    if (!ls_conf_is_set(conf, "message.timeout.ms"))
        tool_conf_set(conf, "message.timeout.ms", "30000");
    tool_warn_insecure(conf);

    /* Kept for messages: conf belongs to the source once it is made. */
    char addr[256], topic[256];
    snprintf(addr, sizeof(addr), "%s", ls_conf_get(conf, "httpsrc.bind"));
    snprintf(topic, sizeof(topic), "%s", ls_conf_get(conf, "httpsrc.topic"));

    ls_monitor_t *mon = tool_monitor_new(conf);
    ls_httpsrc_t *s;
    ls_error_t *err = ls_httpsrc_new(&s, conf);
    if (err)
        tool_fail(err, tool_exit_code(err), NULL);
    ls_httpsrc_set_log_cb(s, on_log, &quiet);
    for (size_t i = 0; i < nheaders; i++)
        if ((err = ls_httpsrc_add_header(s, hnames[i], hvalues[i])))
            tool_fail(err, EXIT_USAGE, "-H");
    tool_install_signals();
    if ((err = ls_httpsrc_start(s))) {
        ls_httpsrc_destroy(s);
        tool_fail(err, tool_exit_code(err), NULL);
    }
    ls_metrics_t *reg = ls_httpsrc_metrics(s);
    tool_monitor_serve(mon, &reg, 1);
    /* The first line of stdout: where to send requests. */
    double start = tool_now();
    int v6 = strchr(addr, ':') != NULL;
    printf("%s%s%s:%d\n", v6 ? "[" : "", addr, v6 ? "]" : "",
           ls_httpsrc_port(s));
    fflush(stdout);
    if (!quiet)
        tool_warn("listening on http://%s%s%s:%d/, producing to topic %s",
                  v6 ? "[" : "", addr, v6 ? "]" : "", ls_httpsrc_port(s),
                  topic);

    while (!tool_stop)
        ls_httpsrc_poll(s, 200);

    if (!quiet)
        tool_warn("stopping: answering requests in flight");
    int rc = 0;
    if ((err = ls_httpsrc_close(s, -1))) {
        tool_warn("%s", ls_error_message(err));
        ls_error_destroy(err);
        rc = EXIT_RUNTIME;
    }
    uint64_t requests, events, c4, c5;
    ls_httpsrc_counts(s, &requests, &events, &c4, &c5);
    fprintf(stderr, "%s: %" PRIu64 " requests, %" PRIu64 " events "
            "acknowledged, %" PRIu64 " 4xx, %" PRIu64 " 5xx in %.2f s\n",
            tool_name, requests, events, c4, c5, tool_now() - start);
    ls_monitor_destroy(mon);
    ls_httpsrc_destroy(s);
    return rc;
}
