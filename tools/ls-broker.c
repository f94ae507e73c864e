/* ls-broker: run an embedded Kafka-protocol broker (librdkafka's mock
 * cluster) on 127.0.0.1 for demos and tests.  Prints the bootstrap string
 * as the first line of stdout, serves until SIGINT/SIGTERM, and warns on
 * stderr whenever the broker discards records.  SIGUSR1 takes every broker
 * down, SIGUSR2 brings them back (fault injection for tests). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define DEFAULT_PARTITIONS 4
#define DEFAULT_WATCH_MS 1000

static void usage(void)
{
    printf(
        "Usage: %s [--brokers N] [--partitions P] [--topic T]... "
        "[--watch-ms MS] [-q]\n"
        "\n"
        "Run an embedded Kafka-protocol broker on 127.0.0.1 (random ports)\n"
        "for demos and tests.  The first line of stdout is the bootstrap\n"
        "string to give clients (-b); the broker serves until SIGINT or\n"
        "SIGTERM.  SIGUSR1 takes every broker down (connections closed and\n"
        "refused, data kept), SIGUSR2 brings them back up.\n"
        "\n"
        "Options:\n"
        "  --brokers N      number of brokers, 1..64 (default 1)\n"
        "  --partitions P   partitions for each --topic, 1..10000 "
        "(default %d)\n"
        "  --topic T        create topic T (repeatable)\n"
        "  --watch-ms MS    check for discarded records every MS ms, "
        ">= 100;\n"
        "                   0 turns the check off (default %d)\n"
        "  -q, --quiet      print only the bootstrap line and warnings\n"
        "  -h, --help       show this help and exit\n"
        "\n"
        "Limits (librdkafka's mock cluster, not a real Kafka):\n"
        "  - all data is kept in memory and lost on exit;\n"
        "  - each partition keeps only its newest ~5 MiB (record batches as\n"
        "    sent, headers included); older batches are dropped, and a\n"
        "    warning on stderr counts the records lost;\n"
        "  - topics created on first use (auto-created) get 4 partitions;\n"
        "  - the first consumer-group join takes about 3 s;\n"
        "  - a batch in flight at SIGUSR1 may be appended twice, even from\n"
        "    an idempotent producer;\n"
        "  - replication factor is 1; no TLS, SASL or ACLs.\n"
        "\n"
        "Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime failure,\n"
        "2 on a usage error.\n",
        tool_name, DEFAULT_PARTITIONS, DEFAULT_WATCH_MS);
}

/* SIGUSR1 / SIGUSR2: the state asked for last (1 down, 2 up, 0 none);
 * applied by the main loop. */
static volatile sig_atomic_t want_state = 0;

static void on_usr(int sig)
{
    want_state = sig == SIGUSR1 ? 1 : 2;
}

/* Apply a pending SIGUSR1/SIGUSR2 to every broker. */
static void apply_state(ls_broker_t *b, int quiet)
{
    int down = want_state == 1;
    ls_error_t *err;

    want_state = 0;
    err = down ? ls_broker_set_down(b, -1) : ls_broker_set_up(b, -1);
    if (err) {
        tool_warn("%s: %s", down ? "SIGUSR1 (down)" : "SIGUSR2 (up)",
                  ls_error_message(err));
        ls_error_destroy(err);
    } else if (!quiet) {
        tool_warn("%s", down ? "all brokers down (SIGUSR1)"
                             : "all brokers up (SIGUSR2)");
    }
}

/* Watcher thread: one line per partition whose oldest records went. */
static void on_loss(void *opaque, const char *topic, int32_t partition,
                    int64_t lost, int64_t total)
{
    (void)opaque;
    tool_warn("WARNING: topic %s [%d]: %lld oldest records discarded "
              "(partition keeps only its newest ~5 MiB); %lld lost in all",
              topic, (int)partition, (long long)lost, (long long)total);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'B'},
        {"partitions", required_argument, NULL, 'P'},
        {"topic", required_argument, NULL, 'T'},
        {"watch-ms", required_argument, NULL, 'W'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int arg_brokers = 1;
    int arg_partitions = DEFAULT_PARTITIONS;
    int arg_watch_ms = DEFAULT_WATCH_MS;
    int arg_quiet = 0;
    const char *arg_topics[256]; /* no heap: a usage exit leaks nothing */
    int topic_cnt = 0;
    ls_broker_t *b = NULL;
    ls_error_t *err;
    int c, i;

    tool_init(argv[0]);

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'B':
            arg_brokers = (int)tool_parse_int("--brokers", optarg, 1, 64);
            break;
        case 'P':
            arg_partitions =
                (int)tool_parse_int("--partitions", optarg, 1, 10000);
            break;
        case 'T':
            if (topic_cnt == (int)(sizeof(arg_topics) / sizeof(arg_topics[0])))
                tool_usage_error("too many --topic options (at most %zu)",
                                 sizeof(arg_topics) / sizeof(arg_topics[0]));
            arg_topics[topic_cnt++] = optarg;
            break;
        case 'W':
            arg_watch_ms =
                (int)tool_parse_int("--watch-ms", optarg, 0, 3600000);
            if (arg_watch_ms > 0 && arg_watch_ms < 100)
                tool_usage_error("invalid value '%s' for --watch-ms: "
                                 "expected 0 (off) or at least 100", optarg);
            break;
        case 'q':
            arg_quiet = 1;
            break;
        case 'h':
            usage();
            return 0;
        case ':':
            tool_usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt)
                tool_usage_error("unknown option '-%c'", optopt);
            tool_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        tool_usage_error("unexpected argument '%s'", argv[optind]);

    tool_install_signals();
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_usr;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGUSR2, &sa, NULL);
    }

    if ((err = ls_broker_new(&b, arg_brokers)))
        tool_fail(err, EXIT_RUNTIME, "starting the broker");
    for (i = 0; i < topic_cnt; i++) {
        if ((err = ls_broker_create_topic(b, arg_topics[i],
                                          arg_partitions))) {
            int code = ls_error_code(err) == LS_ERR_INVALID_ARG
                           ? EXIT_USAGE
                           : EXIT_RUNTIME;
            ls_broker_destroy(b);
            tool_fail(err, code, "--topic");
        }
    }
    if (arg_watch_ms > 0 &&
        (err = ls_broker_watch(b, arg_watch_ms, on_loss, NULL))) {
        ls_broker_destroy(b);
        tool_fail(err, EXIT_RUNTIME, "starting the loss watcher");
    }

    printf("%s\n", ls_broker_bootstraps(b));
    fflush(stdout);

    if (!arg_quiet) {
        tool_warn("%d broker(s) listening on %s", arg_brokers,
                  ls_broker_bootstraps(b));
        for (i = 0; i < topic_cnt; i++)
            tool_warn("topic %s: %d partition(s)", arg_topics[i],
                      arg_partitions);
        tool_warn("data is kept in memory, ~5 MiB per partition; "
                  "press Ctrl-C to stop");
    }

    while (!tool_stop) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        if (want_state)
            apply_state(b, arg_quiet);
    }

    {
        int64_t lost = ls_broker_records_lost(b);
        ls_broker_destroy(b);
        if (lost > 0)
            tool_warn("WARNING: %lld records were discarded in all",
                      (long long)lost);
        else if (!arg_quiet)
            tool_warn("stopped");
    }
    return 0;
}
