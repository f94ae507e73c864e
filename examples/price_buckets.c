/* price_buckets: live price analytics over click events, in a consumer
 * group.  Reads JSON events (ls-produce --gen clicks), takes each one's
 * "price" and "category" with a tiny scan (no JSON library: examples link
 * libstream only), and prints running counts per price bucket and the
 * average price per category every second and at exit, ending with one
 * machine-readable line:
 *
 *   TOTAL low=N medium=N high=N events=N skipped=N
 *
 * (skipped: events without a numeric "price"; low + medium + high +
 * skipped = events.)  Buckets: low below --low, medium below --high, high
 * otherwise.  Offsets are committed as events are counted, so the counts
 * cover what this run read from the group's committed position on.
 *
 *   price_buckets [-b BROKERS] [-t TOPIC] [-g GROUP] [--low N] [--high N] [-e]
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libstream/libstream.h>

#define MAX_CATEGORIES 64
#define BATCH 500

typedef struct {
    char name[64];
    uint64_t count;
    double sum;
} category_t;

typedef struct {
    double low, high; /* thresholds */
    uint64_t buckets[3], events, skipped;
    category_t cats[MAX_CATEGORIES];
    size_t ncats;
} stats_t;

static volatile sig_atomic_t stop = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: price_buckets [-b BROKERS] [-t TOPIC] [-g GROUP] [--low N] [--high N] [-e]\n"
"\n"
"Count click events per price bucket (low < --low <= medium < --high <=\n"
"high) and average the price per category, printing both every second\n"
"and at exit, then a line \"TOTAL low=.. medium=.. high=.. events=..\n"
"skipped=..\".\n"
"\n"
"  -b, --brokers LIST  bootstrap brokers (default $LS_BROKERS, else\n"
"                      localhost:9092)\n"
"  -t, --topic TOPIC   topic to read (default events)\n"
"  -g, --group GROUP   consumer group (default price-buckets)\n"
"      --low N         low/medium threshold (default 50)\n"
"      --high N        medium/high threshold (default 500)\n"
"  -e, --exit          exit once every partition is read to its end\n"
"  -h, --help          show this help\n");
}

/* The value of "key" in the JSON object text: the start of the value
 * (after the colon and blanks), or NULL. */
static const char *find_value(const char *json, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = json; (p = strstr(p, key)); p += klen) {
        if (p == json || p[-1] != '"' || p[klen] != '"')
            continue;
        const char *v = p + klen + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v != ':')
            continue; /* the key's text used as a value */
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        return v;
    }
    return NULL;
}

static category_t *category(stats_t *st, const char *name, size_t len)
{
    if (len >= sizeof(st->cats[0].name))
        len = sizeof(st->cats[0].name) - 1;
    for (size_t i = 0; i < st->ncats; i++)
        if (!strncmp(st->cats[i].name, name, len) && !st->cats[i].name[len])
            return &st->cats[i];
    if (st->ncats == MAX_CATEGORIES)
        return NULL; /* more categories than we keep: not averaged */
    category_t *c = &st->cats[st->ncats++];
    memcpy(c->name, name, len);
    c->name[len] = '\0';
    return c;
}

/* Count one event (a NUL-terminated JSON object). */
static void count_event(stats_t *st, const char *json)
{
    st->events++;
    const char *v = find_value(json, "price");
    char *end;
    double price = v ? strtod(v, &end) : 0;
    if (!v || end == v) {
        st->skipped++;
        return;
    }
    st->buckets[price < st->low ? 0 : price < st->high ? 1 : 2]++;
    const char *c = find_value(json, "category");
    if (c && *c == '"') {
        const char *q = ++c;
        while (*q && *q != '"')
            q += q[0] == '\\' && q[1] ? 2 : 1;
        category_t *cat = category(st, c, (size_t)(q - c));
        if (cat) {
            cat->count++;
            cat->sum += price;
        }
    }
}

static void report(const stats_t *st, int final)
{
    printf("%s%llu events: low=%llu medium=%llu high=%llu skipped=%llu\n",
           final ? "final: " : "", (unsigned long long)st->events,
           (unsigned long long)st->buckets[0],
           (unsigned long long)st->buckets[1],
           (unsigned long long)st->buckets[2],
           (unsigned long long)st->skipped);
    for (size_t i = 0; i < st->ncats; i++)
        printf("  %-20s %8llu  avg %10.2f\n", st->cats[i].name,
               (unsigned long long)st->cats[i].count,
               st->cats[i].sum / (double)st->cats[i].count);
    if (final)
        printf("TOTAL low=%llu medium=%llu high=%llu events=%llu "
               "skipped=%llu\n",
               (unsigned long long)st->buckets[0],
               (unsigned long long)st->buckets[1],
               (unsigned long long)st->buckets[2],
               (unsigned long long)st->events,
               (unsigned long long)st->skipped);
    fflush(stdout);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_threshold(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    if (errno || end == s || *end) {
        fprintf(stderr, "price_buckets: invalid value '%s' for %s: expected "
                "a number\n", s, opt);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *brokers = getenv("LS_BROKERS"), *topic = "events";
    const char *group = "price-buckets";
    int stop_at_end = 0;
    stats_t st;
    memset(&st, 0, sizeof(st));
    st.low = 50;
    st.high = 500;
    enum { O_LOW = 256, O_HIGH };
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"group", required_argument, NULL, 'g'},
        {"low", required_argument, NULL, O_LOW},
        {"high", required_argument, NULL, O_HIGH},
        {"exit", no_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "b:t:g:eh", opts, NULL)) != -1) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 'g': group = optarg; break;
        case O_LOW:
            if (parse_threshold("--low", optarg, &st.low))
                return 2;
            break;
        case O_HIGH:
            if (parse_threshold("--high", optarg, &st.high))
                return 2;
            break;
        case 'e': stop_at_end = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || st.low > st.high) {
        fprintf(stderr, "price_buckets: %s\n",
                optind < argc ? "unexpected argument"
                              : "--low must not be above --high");
        usage(stderr);
        return 2;
    }
    if (!brokers || !*brokers)
        brokers = "localhost:9092";

    ls_error_t *err = ls_global_init();
    ls_conf_t *conf = ls_conf_new();
    ls_consumer_t *c = NULL;
    if (!err && !conf)
        err = ls_error_new(LS_ERR_NOMEM, "out of memory");
    if (!err)
        err = ls_conf_set(conf, "bootstrap.servers", brokers);
    if (!err)
        err = ls_conf_set(conf, "group.id", group);
    if (!err && stop_at_end)
        err = ls_conf_set(conf, "consumer.stop.at.end", "true");
    if (!err)
        err = ls_consumer_new(&c, conf); /* takes conf on success */
    if (err) {
        fprintf(stderr, "price_buckets: %s\n", ls_error_message(err));
        ls_error_destroy(err);
        ls_conf_destroy(conf);
        ls_global_cleanup();
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    const char *topics[] = {topic};
    err = ls_consumer_subscribe(c, topics, 1);
    char *buf = NULL;
    size_t cap = 0;
    double last = now_s();
    while (!err && !stop && !(stop_at_end && ls_consumer_at_end(c))) {
        ls_event_t *evs[BATCH];
        size_t n = 0;
        err = ls_consumer_poll(c, evs, BATCH, 200, &n);
        if (err && ls_error_is_retriable(err)) {
            ls_error_destroy(err); /* e.g. a broker briefly away */
            err = NULL;
        }
        for (size_t i = 0; i < n; i++) {
            size_t len;
            const char *v = ls_event_value(evs[i], &len);
            if (len + 1 > cap) { /* values are not NUL-terminated */
                char *nb = realloc(buf, len + 1);
                if (nb) {
                    buf = nb;
                    cap = len + 1;
                }
            }
            if (len + 1 <= cap) {
                memcpy(buf, v ? v : "", len);
                buf[len] = '\0';
                count_event(&st, buf);
            } else { /* out of memory: counted, but not priced */
                st.events++;
                st.skipped++;
            }
            ls_error_destroy(ls_consumer_store(c, evs[i]));
            ls_event_destroy(evs[i]);
        }
        if (now_s() - last >= 1.0) {
            report(&st, 0);
            ls_error_destroy(ls_consumer_commit_stored(c, 1));
            last = now_s();
        }
    }
    ls_error_t *cerr = ls_consumer_commit_stored(c, 0);
    ls_consumer_destroy(c);
    free(buf);
    report(&st, 1);
    int rc = 0;
    if (err || cerr) {
        fprintf(stderr, "price_buckets: %s\n",
                ls_error_message(err ? err : cerr));
        rc = 1;
    }
    ls_error_destroy(err);
    ls_error_destroy(cerr);
    ls_global_cleanup();
    return rc;
}
