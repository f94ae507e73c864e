/* ls-lag: committed offsets, log ends and lag of consumer groups. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstream/lag.h>

#include "common.h"

#define MAX_NAMES 256

static void usage(void)
{
    printf(
"Usage: ls-lag [-b BROKERS] [-G GROUP]... [-t TOPIC]... [-f text|json]\n"
"\n"
"Show each consumer group's committed offset, the log end and the lag of\n"
"every partition, and the total lag, like kafka-consumer-groups.sh\n"
"--describe, without joining the groups.  Without -G every group of the\n"
"cluster (brokers that cannot list groups, such as ls-broker, need -G).\n"
"Without -t every partition of the topics the group has committed in; with\n"
"-t every partition of those topics (\"-\" where nothing is committed: the\n"
"lag then counts from the log start).\n"
"\n"
"Options:\n"
"  -b, --brokers LIST     bootstrap brokers (default: $LS_BROKERS, else\n"
"                         localhost:9092)\n"
"  -G, --group GROUP      consumer group (repeatable, or comma-separated)\n"
"  -t, --topic TOPIC      only these topics (repeatable, or comma-separated)\n"
"  -f, --format FMT       text (default) or json: {\"groups\":[{\"group\",\n"
"                         \"partitions\":[{\"topic\",\"partition\",\n"
"                         \"committed\",\"end\",\"lag\"}],\"lag\"}],\"lag\"}\n"
"      --timeout MS       wait at most MS for each broker request\n"
"                         (default 10000)\n"
"  -X, --property K=V     set a libstream or librdkafka property\n"
"                         (repeatable; -X list shows libstream's)\n"
"      --config FILE      read properties from FILE (key=value lines)\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 success (whatever the lag), 1 runtime failure, 2 usage or\n"
"configuration error (also: the brokers cannot list groups and no -G).\n");
}

typedef struct {
    char *group, *topic;
    int32_t partition;
    int64_t committed, end, lag;
} row_t;

typedef struct {
    row_t *v;
    size_t n, cap;
} rows_t;

static void on_row(void *opaque, const char *group, const char *topic,
                   int32_t partition, int64_t committed, int64_t end,
                   int64_t lag)
{
    rows_t *r = opaque;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        if (!(r->v = realloc(r->v, r->cap * sizeof(*r->v)))) {
            fprintf(stderr, "%s: out of memory\n", tool_name);
            exit(EXIT_RUNTIME);
        }
    }
    row_t *w = &r->v[r->n++];
    w->group = strdup(group);
    w->topic = strdup(topic);
    if (!w->group || !w->topic) {
        fprintf(stderr, "%s: out of memory\n", tool_name);
        exit(EXIT_RUNTIME);
    }
    w->partition = partition;
    w->committed = committed;
    w->end = end;
    w->lag = lag;
}

typedef struct {
    char *v[MAX_NAMES];
    size_t n;
} listed_t;

static void on_group(void *opaque, const char *group)
{
    listed_t *g = opaque;
    if (g->n == MAX_NAMES) {
        if (g->n++ == MAX_NAMES)
            tool_warn("more than %d groups: showing the first %d (use -G)",
                      MAX_NAMES, MAX_NAMES);
        return;
    }
    if (!(g->v[g->n++] = strdup(group))) {
        fprintf(stderr, "%s: out of memory\n", tool_name);
        exit(EXIT_RUNTIME);
    }
}

/* Append a comma-separated option value to names[*n]. */
static void add_names(const char *opt, char *arg, const char **names,
                      size_t *n)
{
    for (char *save = NULL, *s = strtok_r(arg, ",", &save); s;
         s = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < *n && strcmp(names[i], s))
            i++;
        if (i < *n)
            continue; /* given twice */
        if (*n == MAX_NAMES)
            tool_usage_error("too many %s values (at most %d)", opt,
                             MAX_NAMES);
        names[(*n)++] = s;
    }
}

/* The length of the valid UTF-8 character at s, or 0. */
static size_t utf8_char(const unsigned char *s)
{
    size_t n = s[0] >= 0xF0 && s[0] <= 0xF4   ? 4
               : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
               : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                                              : 0;
    unsigned cp = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/* A JSON string; bytes that are not UTF-8 (a group name may hold any)
 * become U+FFFD, so that the document stays valid JSON. */
static void json_string(const char *s)
{
    putchar('"');
    while (*s) {
        unsigned char ch = (unsigned char)*s;
        size_t n = 1;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else if (ch < 0x80)
            putchar(ch);
        else if ((n = utf8_char((const unsigned char *)s)))
            fwrite(s, 1, n, stdout);
        else {
            fputs("\\ufffd", stdout);
            n = 1;
        }
        s += n;
    }
    putchar('"');
}

static void print_json(const rows_t *r, const char *const *groups,
                       size_t ngroups)
{
    int64_t total = 0;
    printf("{\"groups\":[");
    for (size_t g = 0; g < ngroups; g++) {
        int64_t sum = 0;
        int first = 1;
        printf("%s{\"group\":", g ? "," : "");
        json_string(groups[g]);
        printf(",\"partitions\":[");
        for (size_t i = 0; i < r->n; i++) {
            const row_t *w = &r->v[i];
            if (strcmp(w->group, groups[g]))
                continue;
            printf("%s{\"topic\":", first ? "" : ",");
            json_string(w->topic);
            printf(",\"partition\":%d,\"committed\":", (int)w->partition);
            if (w->committed >= 0)
                printf("%lld", (long long)w->committed);
            else
                printf("null");
            printf(",\"end\":%lld,\"lag\":%lld}", (long long)w->end,
                   (long long)w->lag);
            sum += w->lag;
            first = 0;
        }
        printf("],\"lag\":%lld}", (long long)sum);
        total += sum;
    }
    printf("],\"lag\":%lld}\n", (long long)total);
}

static int width(const char *s, int min)
{
    int n = (int)strlen(s);
    return n > min ? n : min;
}

static void print_text(const rows_t *r, const char *const *groups,
                       size_t ngroups)
{
    int wg = 5, wt = 5;
    for (size_t i = 0; i < r->n; i++) {
        wg = width(r->v[i].group, wg);
        wt = width(r->v[i].topic, wt);
    }
    if (r->n)
        printf("%-*s  %-*s  %9s  %14s  %14s  %12s\n", wg, "GROUP", wt,
               "TOPIC", "PARTITION", "COMMITTED", "LOG-END", "LAG");
    for (size_t i = 0; i < r->n; i++) {
        const row_t *w = &r->v[i];
        char committed[32] = "-";
        if (w->committed >= 0)
            snprintf(committed, sizeof(committed), "%lld",
                     (long long)w->committed);
        printf("%-*s  %-*s  %9d  %14s  %14lld  %12lld\n", wg, w->group, wt,
               w->topic, (int)w->partition, committed, (long long)w->end,
               (long long)w->lag);
    }
    int64_t total = 0;
    size_t nparts = 0;
    for (size_t g = 0; g < ngroups; g++) {
        int64_t sum = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < r->n; i++)
            if (!strcmp(r->v[i].group, groups[g])) {
                sum += r->v[i].lag;
                cnt++;
            }
        if (!cnt)
            tool_warn("group \"%s\" has no committed offsets", groups[g]);
        printf("TOTAL group=%s partitions=%zu lag=%lld\n", groups[g], cnt,
               (long long)sum);
        total += sum;
        nparts += cnt;
    }
    if (ngroups > 1)
        printf("TOTAL groups=%zu partitions=%zu lag=%lld\n", ngroups, nparts,
               (long long)total);
}

int main(int argc, char **argv)
{
    const char *brokers = NULL;
    const char *groups[MAX_NAMES], *topics[MAX_NAMES];
    size_t ngroups = 0, ntopics = 0;
    int json = 0;
    int64_t timeout_ms = 10000;
    enum { O_CONFIG = 256, O_TIMEOUT };
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"group", required_argument, NULL, 'G'},
        {"topic", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"property", required_argument, NULL, 'X'},
        {"config", required_argument, NULL, O_CONFIG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};

    tool_init(argv[0]);
    ls_conf_t *conf = tool_conf_new();
    int opt;
    while ((opt = getopt_long(argc, argv, "b:G:t:f:X:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 'G': add_names("-G", optarg, groups, &ngroups); break;
        case 't': add_names("-t", optarg, topics, &ntopics); break;
        case 'f':
            if (!strcmp(optarg, "json"))
                json = 1;
            else if (strcmp(optarg, "text"))
                tool_usage_error("invalid value '%s' for -f: expected text "
                                 "or json", optarg);
            break;
        case O_TIMEOUT:
            timeout_ms = tool_parse_int("--timeout", optarg, 1, INT32_MAX);
            break;
        case 'X': tool_conf_kv(conf, optarg); break;
        case O_CONFIG:
            tool_conf_file(conf, optarg);
            break;
        case 'h': usage(); return 0;
        default:
            fprintf(stderr, "Try '%s --help' for more information.\n",
                    tool_name);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        tool_usage_error("unexpected argument '%s'", argv[optind]);
    tool_conf_set(conf, "bootstrap.servers", tool_brokers(brokers));

    tool_warn_insecure(conf);
    ls_lag_t *l;
    ls_error_t *err = ls_lag_new(&l, conf);
    if (err)
        tool_fail(err, EXIT_USAGE, NULL);

    /* Without -G: every listable group, named here so that groups without
     * committed offsets still show up. */
    listed_t listed = {{NULL}, 0};
    if (!ngroups) {
        err = ls_lag_list_groups(l, (int)timeout_ms, on_group, &listed);
        if (err) {
            ls_lag_destroy(l);
            if (ls_error_is_retriable(err))
                tool_fail(err, EXIT_RUNTIME, NULL);
            /* e.g. ls-broker: groups must be named. */
            fprintf(stderr, "%s: %s; name the groups with -G GROUP\n",
                    tool_name, ls_error_message(err));
            ls_error_destroy(err);
            return EXIT_USAGE;
        }
        for (; ngroups < listed.n && ngroups < MAX_NAMES; ngroups++)
            groups[ngroups] = listed.v[ngroups];
        if (!ngroups) {
            tool_warn("the cluster has no consumer groups");
            ls_lag_destroy(l);
            if (json)
                printf("{\"groups\":[],\"lag\":0}\n");
            return 0;
        }
    }

    rows_t rows = {NULL, 0, 0};
    err = ls_lag_query(l, groups, ngroups, topics, ntopics, (int)timeout_ms,
                       on_row, &rows);
    ls_lag_destroy(l);
    if (err)
        tool_fail(err, tool_exit_code(err), NULL);
    if (json)
        print_json(&rows, groups, ngroups);
    else
        print_text(&rows, groups, ngroups);
    for (size_t i = 0; i < rows.n; i++) {
        free(rows.v[i].group);
        free(rows.v[i].topic);
    }
    free(rows.v);
    for (size_t i = 0; i < ngroups && i < listed.n; i++)
        free(listed.v[i]);
    fflush(stdout);
    if (ferror(stdout)) {
        fprintf(stderr, "%s: writing stdout failed\n", tool_name);
        return EXIT_RUNTIME;
    }
    return 0;
}
