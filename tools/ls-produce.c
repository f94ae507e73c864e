/* ls-produce: send lines from stdin/a file, or generated events, to Kafka. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define MAX_HEADERS 64

static void usage(void)
{
    printf(
"Usage: ls-produce [-b BROKERS] -t TOPIC [options]\n"
"       ls-produce [-b BROKERS] --gen KIND [--count N] [--rate N] [options]\n"
"       ls-produce --gen KIND --print [--count N] [--rate N] [--seed S]\n"
"\n"
"Send one message per input line (stdin or -f FILE), kcat -P style, or\n"
"generated JSON events, to Kafka.  Prints a summary line on stderr.\n"
"\n"
"Options:\n"
"  -b, --brokers LIST     bootstrap brokers (default: $LS_BROKERS, else\n"
"                         localhost:9092)\n"
"  -t, --topic TOPIC      destination topic (with --gen: default is the\n"
"                         kind's topic: orders, clicks, <type>_topic)\n"
"  -p, --partition N      send every message to partition N (default: by\n"
"                         key hash, or the partitioner's choice)\n"
"  -f, --file FILE        read lines from FILE instead of stdin\n"
"  -K, --key-delim DELIM  split each line at the first DELIM into key and\n"
"                         value (kcat -K)\n"
"  -H, --header N=V       add header N with value V to every message\n"
"                         (repeatable)\n"
"  -X, --property K=V     set a libstream or librdkafka property\n"
"                         (repeatable; -X list shows libstream's)\n"
"  -c, --config FILE      read properties from FILE (key=value lines)\n"
"      --gen KIND         generate events: %s\n"
"      --count N          number of events to generate (default 10; with\n"
"                         --rate: unbounded)\n"
"      --rate N           at most N messages per second\n"
"      --seed S           generator seed (default 1)\n"
"      --print            with --gen: write the events to stdout, one JSON\n"
"                         object a line, instead of sending them (no\n"
"                         broker; each line is flushed when --rate is given)\n"
"      --timeout MS       how long to wait for deliveries at the end\n"
"                         (default: message.timeout.ms)\n"
"  -q, --quiet            no progress line\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 all delivered, 1 a message failed or a runtime error,\n"
"2 usage or configuration error.\n",
        ls_generator_kinds());
}

typedef struct {
    double start, last_progress;
    int tty;
    ls_producer_t *p;
} progress_t;

static void progress(progress_t *pr, int final)
{
    uint64_t sent, delivered, failed;
    double now = tool_now();
    if (!pr->tty || (!final && now - pr->last_progress < 1.0))
        return;
    pr->last_progress = now;
    ls_producer_counts(pr->p, &sent, &delivered, &failed);
    double el = now - pr->start;
    fprintf(stderr, "\r%s: sent %llu, delivered %llu, failed %llu, "
            "%.0f msgs/s   %s", tool_name, (unsigned long long)sent,
            (unsigned long long)delivered, (unsigned long long)failed,
            el > 0 ? delivered / el : 0.0, final ? "\n" : "");
}

/* Sleep so that sent messages do not exceed rate per second (serving p's
 * delivery reports meanwhile, if there is a producer). */
static void pace(double start, uint64_t sent, double rate, ls_producer_t *p)
{
    double due = start + sent / rate;
    double now = tool_now();
    while (now < due && !tool_stop) {
        int ms = (int)((due - now) * 1000);
        ms = ms > 100 ? 100 : (ms < 1 ? 1 : ms);
        if (p) {
            ls_producer_poll(p, ms);
        } else {
            struct timespec ts = {0, ms * 1000000L};
            nanosleep(&ts, NULL);
        }
        now = tool_now();
    }
}

/* --print: the generated events to stdout, one a line, no Kafka. */
static int print_events(ls_generator_t *g, int64_t count, double rate)
{
    double start = tool_now();
    uint64_t n = 0;
    for (; (int64_t)n < count && !tool_stop; n++) {
        size_t len;
        const char *v;
        ls_generator_next(g);
        v = ls_generator_value(g, &len);
        fwrite(v, 1, len, stdout);
        putchar('\n');
        if (rate > 0) {
            fflush(stdout); /* whole lines, as they happen, for tail -F */
            pace(start, n + 1, rate, NULL);
        }
        if (ferror(stdout))
            break;
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "%s: writing stdout: %s\n", tool_name,
                strerror(errno));
        return EXIT_RUNTIME;
    }
    double el = tool_now() - start;
    fprintf(stderr, "%s: printed %llu event(s) in %.2f s (%.0f events/s)\n",
            tool_name, (unsigned long long)n, el, el > 0 ? n / el : 0.0);
    return 0;
}

static void send_or_die(ls_producer_t *p, ls_message_t *m)
{
    ls_error_t *err = ls_producer_send(p, m);
    if (err) {
        ls_producer_flush(p, 10000);
        tool_fail(err, tool_exit_code(err), NULL);
    }
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *topic = NULL, *file = NULL, *gen = NULL;
    const char *key_delim = NULL;
    ls_header_t headers[MAX_HEADERS];
    size_t nheaders = 0;
    int64_t count = -1, partition = -1, seed = 1, timeout_ms = -1;
    double rate = 0;
    int quiet = 0, print = 0;
    enum { O_GEN = 256, O_COUNT, O_RATE, O_SEED, O_TIMEOUT, O_PRINT };
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"partition", required_argument, NULL, 'p'},
        {"file", required_argument, NULL, 'f'},
        {"key-delim", required_argument, NULL, 'K'},
        {"header", required_argument, NULL, 'H'},
        {"property", required_argument, NULL, 'X'},
        {"config", required_argument, NULL, 'c'},
        {"gen", required_argument, NULL, O_GEN},
        {"count", required_argument, NULL, O_COUNT},
        {"rate", required_argument, NULL, O_RATE},
        {"seed", required_argument, NULL, O_SEED},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"print", no_argument, NULL, O_PRINT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};

    tool_init(argv[0]);
    ls_conf_t *conf = tool_conf_new();
    int opt;
    while ((opt = getopt_long(argc, argv, "b:t:p:f:K:H:X:c:qh", opts, NULL)) !=
           -1) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 'p':
            partition = tool_parse_int("-p", optarg, 0, INT32_MAX);
            break;
        case 'f': file = optarg; break;
        case 'K':
            if (!*optarg)
                tool_usage_error("-K needs a non-empty delimiter");
            key_delim = optarg;
            break;
        case 'H':
            tool_parse_header(optarg, headers, &nheaders, MAX_HEADERS);
            break;
        case 'X': tool_conf_kv(conf, optarg); break;
        case 'c':
            tool_conf_file(conf, optarg);
            break;
        case O_GEN: gen = optarg; break;
        case O_COUNT:
            count = tool_parse_int("--count", optarg, 0, INT64_MAX);
            break;
        case O_RATE: rate = tool_parse_rate("--rate", optarg); break;
        case O_SEED:
            seed = tool_parse_int("--seed", optarg, 0, INT64_MAX);
            break;
        case O_TIMEOUT:
            timeout_ms = tool_parse_int("--timeout", optarg, 0, INT32_MAX);
            break;
        case O_PRINT: print = 1; break;
        case 'q': quiet = 1; break;
        case 'h': usage(); return 0;
        default:
            fprintf(stderr, "Try '%s --help' for more information.\n",
                    tool_name);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        tool_usage_error("unexpected argument '%s'", argv[optind]);
    if (!gen && !topic)
        tool_usage_error("-t TOPIC is required (or --gen KIND)");
    if (gen && (file || key_delim))
        tool_usage_error("--gen cannot be combined with -f or -K");
    if (!gen && count >= 0)
        tool_usage_error("--count needs --gen");
    if (!gen && print)
        tool_usage_error("--print needs --gen");

    ls_generator_t *g = NULL;
    if (gen) {
        ls_error_t *err = ls_generator_new(&g, gen, (uint64_t)seed);
        if (err)
            tool_fail(err, EXIT_USAGE, "--gen");
        if (count < 0)
            count = rate > 0 ? INT64_MAX : 10;
    }
    if (print) {
        ls_conf_destroy(conf);
        tool_install_signals();
        int rc = print_events(g, count, rate);
        ls_generator_destroy(g);
        return rc;
    }
    tool_conf_set(conf, "bootstrap.servers", tool_brokers(brokers));
    tool_warn_insecure(conf);

    FILE *in = stdin;
    if (file && !(in = fopen(file, "r"))) {
        fprintf(stderr, "%s: cannot open %s: %s\n", tool_name, file,
                strerror(errno));
        return EXIT_RUNTIME;
    }

    ls_producer_t *p;
    ls_error_t *err = ls_producer_new(&p, conf);
    if (err)
        tool_fail(err, EXIT_USAGE, NULL);
    tool_install_signals();

    progress_t pr = {tool_now(), 0, !quiet && isatty(2), p};
    ls_message_t m = LS_MESSAGE_INIT;
    m.partition = (int32_t)partition;
    m.headers = nheaders ? headers : NULL;
    m.header_count = nheaders;
    uint64_t n = 0;
    int read_failed = 0;

    if (g) {
        for (; (int64_t)n < count && !tool_stop; n++) {
            ls_generator_next(g);
            m.topic = topic ? topic : ls_generator_topic(g);
            m.key = ls_generator_key(g, &m.key_len);
            m.value = ls_generator_value(g, &m.value_len);
            m.timestamp_ms = ls_generator_timestamp(g);
            send_or_die(p, &m);
            if (rate > 0)
                pace(pr.start, n + 1, rate, p);
            else if ((n & 1023) == 0)
                ls_producer_poll(p, 0);
            if ((n & 4095) == 0)
                progress(&pr, 0);
        }
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        size_t dlen = key_delim ? strlen(key_delim) : 0;
        m.topic = topic;
        while (!tool_stop && (len = getline(&line, &cap, in)) >= 0) {
            if (len > 0 && line[len - 1] == '\n')
                line[--len] = '\0';
            m.key = NULL;
            m.key_len = 0;
            m.value = line;
            m.value_len = (size_t)len;
            if (key_delim) {
                char *d = memmem(line, (size_t)len, key_delim, dlen);
                if (d) {
                    m.key = line;
                    m.key_len = (size_t)(d - line);
                    m.value = d + dlen;
                    m.value_len = (size_t)len - m.key_len - dlen;
                }
            }
            send_or_die(p, &m);
            n++;
            if (rate > 0)
                pace(pr.start, n, rate, p);
            else if ((n & 1023) == 0)
                ls_producer_poll(p, 0);
            if ((n & 4095) == 0)
                progress(&pr, 0);
        }
        int read_errno = errno;
        free(line);
        /* A read interrupted by SIGINT/SIGTERM is the stop, not an
         * error; any other read error fails the run (exit 1). */
        if (ferror(in) && !(tool_stop && read_errno == EINTR)) {
            fprintf(stderr, "%s: reading %s: %s\n", tool_name,
                    file ? file : "stdin", strerror(read_errno));
            read_failed = 1;
        }
        if (in != stdin)
            fclose(in);
    }

    /* Wait for every delivery report (at most --timeout, or 5 s after a
     * signal); what is still undelivered then counts as failed. */
    double flush_start = tool_now();
    for (;;) {
        err = ls_producer_flush(p, 200);
        int timed_out = ls_error_code(err) == LS_ERR_TIMED_OUT;
        ls_error_destroy(err);
        if (!timed_out)
            break;
        progress(&pr, 0);
        double waited = (tool_now() - flush_start) * 1000;
        if ((timeout_ms >= 0 && waited > (double)timeout_ms) ||
            (tool_stop && waited > 5000))
            break;
    }
    progress(&pr, 1);
    uint64_t sent, delivered, failed;
    ls_producer_counts(p, &sent, &delivered, &failed);
    double el = tool_now() - pr.start;
    uint64_t undelivered = sent - delivered - failed;
    fprintf(stderr, "%s: sent %llu, delivered %llu, failed %llu in %.2f s "
            "(%.0f msgs/s)\n", tool_name, (unsigned long long)sent,
            (unsigned long long)delivered,
            (unsigned long long)(failed + undelivered), el,
            el > 0 ? delivered / el : 0.0);
    int rc = read_failed ? EXIT_RUNTIME : 0;
    if (failed || undelivered) {
        const char *why = ls_producer_delivery_error(p);
        fprintf(stderr, "%s: %llu message(s) not delivered: %s\n", tool_name,
                (unsigned long long)(failed + undelivered),
                why ? why : "interrupted before delivery");
        rc = EXIT_RUNTIME;
    }
    ls_producer_destroy(p);
    ls_generator_destroy(g);
    return rc;
}
