/* ls-archive: a consumer group that archives Kafka topics into rolling
 * files on a destination, exactly once (Flume's Kafka source -> channel ->
 * HDFS sink, in one process). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define MAX_TOPICS 64

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
"      --dest URL          file:///abs/dir or a directory\n"
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
"  -X, --property K=V      libstream or librdkafka property (repeatable)\n"
"  -c, --config FILE       key=value file: the long option names above\n"
"                          (brokers, topic, dest, roll-count...), archive.*\n"
"                          and kafka.* keys; flags override it\n"
"  -q, --quiet             no progress or rebalance lines\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: 0 done (or stopped by SIGINT/SIGTERM after closing complete\n"
"files), 1 runtime failure (nothing past the last closed file is\n"
"committed), 2 usage or configuration error.\n");
}

typedef struct {
    ls_consumer_t *c;
    ls_writer_t *w;
    int quiet;
    ls_error_t *fatal;
    uint64_t commits;
} archiver_t;

static void on_closed(void *opaque, const char *topic, int32_t partition,
                      int64_t first, int64_t last, const char *path,
                      uint64_t records, uint64_t bytes)
{
    archiver_t *a = opaque;
    (void)first, (void)path, (void)records, (void)bytes;
    /* The file is durable and renamed: now its offsets are done. */
    ls_error_t *err = ls_consumer_commit(a->c, topic, partition, last + 1);
    if (err) {
        /* Not fatal: recovery reads the destination, not the commit. */
        if (!a->quiet)
            tool_warn("warning: %s", ls_error_message(err));
        ls_error_destroy(err);
    } else {
        a->commits++;
    }
}

static ls_error_t *on_rebalance(void *opaque, ls_rebalance_t kind,
                                ls_partition_list_t *parts)
{
    archiver_t *a = opaque;
    size_t n = ls_partition_list_count(parts);
    if (kind == LS_REBALANCE_ASSIGN) {
        /* Recover per topic: one scan of the destination each. */
        int32_t *ids = calloc(n ? n : 1, sizeof(int32_t));
        int64_t *next = calloc(n ? n : 1, sizeof(int64_t));
        size_t *idx = calloc(n ? n : 1, sizeof(size_t));
        char *done = calloc(n ? n : 1, 1);
        ls_error_t *err = NULL;
        if (!ids || !next || !idx || !done)
            err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n && !err; i++) {
            if (done[i])
                continue;
            const char *topic = ls_partition_list_topic(parts, i);
            size_t k = 0;
            for (size_t j = i; j < n; j++)
                if (!done[j] && !strcmp(ls_partition_list_topic(parts, j), topic)) {
                    ids[k] = ls_partition_list_partition(parts, j);
                    idx[k++] = j;
                    done[j] = 1;
                }
            err = ls_writer_recover(a->w, topic, ids, k, next);
            for (size_t j = 0; !err && j < k; j++)
                if (next[j] >= 0)
                    ls_partition_list_set_offset(parts, idx[j], next[j]);
        }
        free(ids);
        free(next);
        free(idx);
        free(done);
        if (!err && !a->quiet)
            tool_warn("assigned %zu partition(s)", n);
        return err;
    }
    for (size_t i = 0; i < n; i++) {
        const char *topic = ls_partition_list_topic(parts, i);
        int32_t p = ls_partition_list_partition(parts, i);
        if (kind == LS_REBALANCE_LOST) {
            ls_writer_discard_partition(a->w, topic, p);
            continue;
        }
        ls_error_t *err = ls_writer_close_partition(a->w, topic, p);
        if (err) {
            tool_warn("warning: %s", ls_error_message(err));
            ls_error_destroy(err);
        }
    }
    if (!a->quiet)
        tool_warn("%s %zu partition(s)",
                  kind == LS_REBALANCE_LOST ? "lost" : "revoked", n);
    return NULL;
}

static void set_flag(ls_conf_t *conf, const char *key, const char *value)
{
    tool_conf_set(conf, key, value);
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
        case 'b': set_flag(conf, "bootstrap.servers", optarg); break;
        case 't': set_flag(conf, "archive.topics", optarg); break;
        case 'G': set_flag(conf, "group.id", optarg); break;
        case O_DEST: set_flag(conf, "archive.dest", optarg); break;
        case O_PATH: set_flag(conf, "archive.path", optarg); break;
        case O_PREFIX: set_flag(conf, "archive.prefix", optarg); break;
        case O_SUFFIX: set_flag(conf, "archive.suffix", optarg); break;
        case O_RCOUNT: set_flag(conf, "archive.roll.count", optarg); break;
        case O_RBYTES: set_flag(conf, "archive.roll.bytes", optarg); break;
        case O_RINT: set_flag(conf, "archive.roll.interval", optarg); break;
        case O_IDLE: set_flag(conf, "archive.idle.timeout", optarg); break;
        case O_FORMAT: set_flag(conf, "archive.format", optarg); break;
        case O_GZIP: set_flag(conf, "archive.gzip", "true"); break;
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

    char *topics_arg = strdup(ls_conf_get(conf, "archive.topics"));
    const char *dest = ls_conf_get(conf, "archive.dest");
    if (!topics_arg || !*topics_arg)
        tool_usage_error("-t TOPIC is required (or topic= in the config)");
    if (!*dest)
        tool_usage_error("--dest URL is required (or dest= in the config)");
    const char *topics[MAX_TOPICS];
    size_t ntopics = 0;
    for (char *save = NULL, *t = strtok_r(topics_arg, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (ntopics == MAX_TOPICS)
            tool_usage_error("too many topics (at most %d)", MAX_TOPICS);
        topics[ntopics++] = t;
    }
    if (!ls_conf_is_set(conf, "bootstrap.servers"))
        set_flag(conf, "bootstrap.servers", tool_brokers(NULL));
    if (!ls_conf_is_set(conf, "group.id"))
        set_flag(conf, "group.id", "ls-archive");
    /* Bound what librdkafka prefetches (memory stays flat when the
     * destination is slow): 16 MiB unless the user says otherwise. */
    if (!ls_conf_is_set(conf, "queued.max.messages.kbytes"))
        set_flag(conf, "queued.max.messages.kbytes", "16384");
    /* librdkafka 2.0 backs a partition off for fetch.error.backoff.ms
     * (500 ms) when that queue is full; a short backoff keeps the bound
     * without stalling the fetcher. */
    if (!ls_conf_is_set(conf, "fetch.error.backoff.ms"))
        set_flag(conf, "fetch.error.backoff.ms", "10");
    /* Measured on the embedded broker: 500 ms (librdkafka's default)
     * costs ~25% of the drain rate; 100 ms keeps idle polling cheap. */
    if (!ls_conf_is_set(conf, "fetch.wait.max.ms"))
        set_flag(conf, "fetch.wait.max.ms", "100");
    if (stop_at_end)
        set_flag(conf, "consumer.stop.at.end", "true");

    archiver_t a = {0};
    a.quiet = quiet;
    ls_backend_t *backend;
    ls_error_t *err = ls_backend_open(&backend, dest, conf);
    if (err)
        tool_fail(err, ls_error_code(err) == LS_ERR_INVALID_ARG ? EXIT_USAGE
                                                                : EXIT_RUNTIME,
                  "--dest");
    if ((err = ls_writer_new(&a.w, backend, conf)))
        tool_fail(err, EXIT_USAGE, NULL);
    ls_writer_set_closed_cb(a.w, on_closed, &a);
    if ((err = ls_consumer_new(&a.c, conf)))
        tool_fail(err, EXIT_USAGE, NULL);
    ls_consumer_set_rebalance_cb(a.c, on_rebalance, &a);
    tool_install_signals();
    if ((err = ls_consumer_subscribe(a.c, topics, ntopics)))
        tool_fail(err, ls_error_code(err) == LS_ERR_INVALID_ARG ? EXIT_USAGE
                                                                : EXIT_RUNTIME,
                  NULL);

    ls_event_t *evs[1000];
    uint64_t n = 0;
    double start = tool_now(), first_at = 0, last_tick = start,
           last_progress = start;
    int tty = !quiet && isatty(2), rc = 0;
    while (!tool_stop) {
        size_t cnt = 0;
        err = ls_consumer_poll(a.c, evs, 1000, 200, &cnt);
        if (cnt && !first_at)
            first_at = tool_now();
        ls_error_t *werr = NULL;
        for (size_t i = 0; i < cnt; i++) {
            if (!werr)
                werr = ls_writer_write(a.w, evs[i]);
            ls_event_destroy(evs[i]);
        }
        n += cnt;
        if (werr) {
            tool_warn("%s", ls_error_message(werr));
            ls_error_destroy(werr);
            ls_error_destroy(err);
            rc = EXIT_RUNTIME;
            break;
        }
        if (err) {
            if (!ls_error_is_retriable(err)) {
                tool_warn("%s", ls_error_message(err));
                ls_error_destroy(err);
                rc = EXIT_RUNTIME;
                break;
            }
            if (!quiet)
                tool_warn("warning: %s", ls_error_message(err));
            ls_error_destroy(err);
        }
        double now = tool_now();
        if (now - last_tick >= 0.5) {
            last_tick = now;
            if ((err = ls_writer_tick(a.w))) {
                tool_warn("%s", ls_error_message(err));
                ls_error_destroy(err);
                rc = EXIT_RUNTIME;
                break;
            }
        }
        if (tty && now - last_progress >= 1.0) {
            uint64_t files;
            ls_writer_stats(a.w, &files, NULL, NULL, NULL);
            fprintf(stderr, "\r%s: %" PRIu64 " records, %" PRIu64 " files, "
                    "%.0f records/s   ", tool_name, n, files,
                    n / (now - start));
            last_progress = now;
        }
        if (stop_at_end && ls_consumer_at_end(a.c))
            break;
    }
    if (tty)
        fputc('\n', stderr);
    /* Close what is complete (so it is committed), then leave the group. */
    double close_start = tool_now();
    if (rc == 0 && (err = ls_writer_close_all(a.w))) {
        tool_warn("%s", ls_error_message(err));
        ls_error_destroy(err);
        rc = EXIT_RUNTIME;
    }
    double close_secs = tool_now() - close_start;
    a.quiet = 1;
    ls_error_destroy(ls_consumer_close(a.c));
    double end = tool_now();
    uint64_t files, records, bytes;
    size_t open_files;
    ls_writer_stats(a.w, &files, &records, &bytes, &open_files);
    fprintf(stderr, "%s: %" PRIu64 " records archived in %" PRIu64 " files "
            "(%" PRIu64 " bytes, %" PRIu64 " commits) in %.2f s; steady state "
            "%.2f s from the first record (%.0f records/s); final close "
            "%.2f s\n", tool_name, records, files, bytes, a.commits,
            end - start,
            first_at ? end - first_at : 0.0,
            first_at && end > first_at ? records / (end - first_at) : 0.0,
            close_secs);
    ls_consumer_destroy(a.c);
    ls_writer_destroy(a.w);
    ls_backend_destroy(backend);
    free(topics_arg);
    return rc;
}
