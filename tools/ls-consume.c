/* ls-consume: read Kafka topics to stdout, one message a line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define MAX_TOPICS 64
#define BATCH 1000

static void usage(void)
{
    printf(
"Usage: ls-consume [-b BROKERS] -t TOPIC[,TOPIC...] [options]\n"
"\n"
"Write each message of the topics to stdout, one a line: the value, or\n"
"with -f json an envelope object.  Without -G every partition is read\n"
"directly; with -G the consumer joins a group, shares the partitions with\n"
"the group's other members and commits what it has written.\n"
"\n"
"Options:\n"
"  -b, --brokers LIST     bootstrap brokers (default: $LS_BROKERS, else\n"
"                         localhost:9092)\n"
"  -t, --topic LIST       topics, comma-separated (with -G, ^regex too)\n"
"  -G, --group GROUP      consumer group id\n"
"  -o, --offset POS       start: beginning, end, committed, an offset, or\n"
"                         @MS (first record at/after a time in ms); default\n"
"                         committed (else auto.offset.reset=earliest)\n"
"  -e, --exit             exit when every assigned partition is at its end\n"
"  -c, --count N          exit after N messages\n"
"  -f, --format FMT       value (default) or json: {\"topic\",\"partition\",\n"
"                         \"offset\",\"timestamp\",\"key\",\"headers\",\"value\"}\n"
"  -X, --property K=V     set a libstream or librdkafka property\n"
"                         (repeatable; -X list shows libstream's)\n"
"      --config FILE      read properties from FILE (key=value lines)\n"
"  -q, --quiet            no rebalance or summary lines on stderr\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n");
}

typedef struct {
    ls_consumer_t *c;
    int quiet;
    int assigned_ever;
} state_t;

static ls_error_t *on_rebalance(void *opaque, ls_rebalance_t kind,
                                ls_partition_list_t *parts)
{
    state_t *st = opaque;
    size_t n = ls_partition_list_count(parts);
    if (kind == LS_REBALANCE_ASSIGN)
        st->assigned_ever = 1;
    if (kind == LS_REBALANCE_REVOKE) {
        /* What was written is done: commit it before losing the
         * partitions (nothing, when stdout could not be written). */
        if (fflush(stdout) == 0 && !ferror(stdout))
            ls_error_destroy(ls_consumer_commit_stored(st->c, 0));
    }
    if (!st->quiet) {
        fprintf(stderr, "%s: %s %zu partition(s):", tool_name,
                kind == LS_REBALANCE_ASSIGN ? "assigned"
                : kind == LS_REBALANCE_REVOKE ? "revoked" : "lost", n);
        for (size_t i = 0; i < n && i < 32; i++)
            fprintf(stderr, " %s[%d]", ls_partition_list_topic(parts, i),
                    (int)ls_partition_list_partition(parts, i));
        fprintf(stderr, "%s\n", n > 32 ? " ..." : "");
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *group = NULL, *offset = NULL;
    char *topics_arg = NULL;
    int json = 0, quiet = 0, stop_at_end = 0;
    int64_t limit = -1;
    enum { O_CONFIG = 256 };
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"group", required_argument, NULL, 'G'},
        {"offset", required_argument, NULL, 'o'},
        {"exit", no_argument, NULL, 'e'},
        {"count", required_argument, NULL, 'c'},
        {"format", required_argument, NULL, 'f'},
        {"property", required_argument, NULL, 'X'},
        {"config", required_argument, NULL, O_CONFIG},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};

    tool_init(argv[0]);
    ls_conf_t *conf = tool_conf_new();
    int opt;
    while ((opt = getopt_long(argc, argv, "b:t:G:o:ec:f:X:qh", opts, NULL)) !=
           -1) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 't': topics_arg = optarg; break;
        case 'G': group = optarg; break;
        case 'o': offset = optarg; break;
        case 'e': stop_at_end = 1; break;
        case 'c': limit = tool_parse_int("-c", optarg, 1, INT64_MAX); break;
        case 'f':
            if (!strcmp(optarg, "json"))
                json = 1;
            else if (strcmp(optarg, "value"))
                tool_usage_error("invalid value '%s' for -f: expected json "
                                 "or value", optarg);
            break;
        case 'X': tool_conf_kv(conf, optarg); break;
        case O_CONFIG:
            tool_conf_file(conf, optarg);
            break;
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
    if (!topics_arg || !*topics_arg)
        tool_usage_error("-t TOPIC is required");

    const char *topics[MAX_TOPICS];
    size_t ntopics = 0;
    for (char *save = NULL, *t = strtok_r(topics_arg, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (ntopics == MAX_TOPICS)
            tool_usage_error("too many topics (at most %d)", MAX_TOPICS);
        topics[ntopics++] = t;
    }
    tool_conf_set(conf, "bootstrap.servers", tool_brokers(brokers));
    if (group)
        tool_conf_set(conf, "group.id", group);
    if (offset)
        tool_conf_set(conf, "consumer.start", offset);
    if (stop_at_end)
        tool_conf_set(conf, "consumer.stop.at.end", "true");

    tool_warn_insecure(conf);
    state_t st = {NULL, quiet, 0};
    ls_error_t *err = ls_consumer_new(&st.c, conf);
    if (err)
        tool_fail(err, EXIT_USAGE, NULL);
    ls_consumer_set_rebalance_cb(st.c, on_rebalance, &st);
    tool_install_signals();
    err = ls_consumer_subscribe(st.c, topics, ntopics);
    if (err) {
        ls_consumer_destroy(st.c);
        tool_fail(err, tool_exit_code(err), NULL);
    }

    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    char *jbuf = NULL;
    size_t jcap = 0;
    ls_event_t *evs[BATCH];
    uint64_t count = 0, bytes = 0;
    int wr_errno = 0;
    double start = tool_now(), last_commit = start;
    int rc = 0;
    while (!tool_stop) {
        size_t n = 0, want = BATCH;
        if (limit > 0 && (uint64_t)limit - count < want)
            want = (size_t)((uint64_t)limit - count);
        err = ls_consumer_poll(st.c, evs, want, 200, &n);
        for (size_t i = 0; i < n; i++) {
            size_t len;
            const void *v;
            if (json) {
                len = ls_event_to_json(evs[i], jbuf, jcap);
                if (len >= jcap) {
                    jcap = len + 1 > 2 * jcap ? len + 1 : 2 * jcap;
                    char *nb = realloc(jbuf, jcap);
                    if (!nb) {
                        fprintf(stderr, "%s: out of memory\n", tool_name);
                        return EXIT_RUNTIME;
                    }
                    jbuf = nb;
                    len = ls_event_to_json(evs[i], jbuf, jcap);
                }
                v = jbuf;
            } else {
                v = ls_event_value(evs[i], &len);
            }
            if (len)
                fwrite(v, 1, len, stdout);
            putchar('\n');
            if (ferror(stdout) && !wr_errno)
                wr_errno = errno; /* before anything else can change it */
            bytes += len;
            count++;
            if (group)
                ls_error_destroy(ls_consumer_store(st.c, evs[i]));
            ls_event_destroy(evs[i]);
        }
        if (ferror(stdout)) {
            fprintf(stderr, "%s: writing stdout: %s\n", tool_name,
                    strerror(wr_errno ? wr_errno : EIO));
            rc = EXIT_RUNTIME;
            break;
        }
        if (err) {
            int transport = ls_error_code(err) == LS_ERR_TRANSPORT;
            if (!ls_error_is_retriable(err) || (transport && !st.assigned_ever)) {
                fprintf(stderr, "%s: %s\n", tool_name, ls_error_message(err));
                ls_error_destroy(err);
                rc = EXIT_RUNTIME;
                break;
            }
            if (!quiet)
                fprintf(stderr, "%s: warning: %s\n", tool_name,
                        ls_error_message(err));
            ls_error_destroy(err);
        }
        if (limit > 0 && count >= (uint64_t)limit)
            break;
        if (stop_at_end && ls_consumer_at_end(st.c))
            break;
        if (group && tool_now() - last_commit > 1.0) {
            if (fflush(stdout)) {
                fprintf(stderr, "%s: writing stdout: %s\n", tool_name,
                        strerror(errno));
                rc = EXIT_RUNTIME;
                break;
            }
            ls_error_destroy(ls_consumer_commit_stored(st.c, 1));
            last_commit = tool_now();
        }
    }
    /* Buffered output can fail only now (a full disk, a closed pipe):
     * then nothing more is committed, and the exit status says so. */
    int written = fflush(stdout) == 0 && !ferror(stdout);
    if (!written && rc == 0) {
        fprintf(stderr, "%s: writing stdout: %s\n", tool_name,
                strerror(errno));
        rc = EXIT_RUNTIME;
    }
    if (group && written)
        ls_error_destroy(ls_consumer_commit_stored(st.c, 0));
    st.quiet = 1; /* the final revocation is not news */
    ls_error_destroy(ls_consumer_close(st.c));
    ls_consumer_destroy(st.c);
    free(jbuf);
    double el = tool_now() - start;
    if (!quiet)
        fprintf(stderr, "%s: %llu message(s), %llu bytes in %.2f s\n",
                tool_name, (unsigned long long)count,
                (unsigned long long)bytes, el);
    return rc;
}
