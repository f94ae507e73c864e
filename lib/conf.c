/* libstream: configuration properties.  Keys libstream owns are in
 * props[] below; all other keys are librdkafka's and pass straight to its
 * conf, whose verdict is returned unchanged. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "libstream/conf.h"

typedef enum { P_STR, P_INT, P_BOOL, P_ENUM, P_DOUBLE } ptype_t;

typedef struct {
    const char *name;
    ptype_t type;
    const char *def;
    int64_t min, max;   /* P_INT range; P_DOUBLE uses them as bounds too */
    const char *values; /* P_ENUM: '|'-separated */
    int sensitive;
    const char *desc;
} prop_t;

/* The single table of libstream-owned keys (source of
 * docs/configuration.md).  Namespaces librdkafka does not use. */
static const prop_t props[] = {
    {"consumer.start", P_STR, "committed", 0, 0, NULL, 0,
     "Where to start in each assigned partition: committed, beginning, "
     "end, an offset, or @<ms since epoch>"},
    {"consumer.stop.at.end", P_BOOL, "false", 0, 0, NULL, 0,
     "Batch mode: stop once every assigned partition is read to its end"},
    {"archive.topics", P_STR, "", 0, 0, NULL, 0,
     "Topics for ls-archive, comma-separated (flag -t)"},
    {"archive.dest", P_STR, "", 0, 0, NULL, 0,
     "Destination URL or directory for ls-archive (flag --dest)"},
    {"archive.path", P_STR, "%{topic}/%Y-%m-%d", 0, 0, NULL, 0,
     "Directory template under the destination (Flume hdfs.path escapes)"},
    {"archive.prefix", P_STR, "%{topic}-archive", 0, 0, NULL, 0,
     "File name prefix template (Flume hdfs.filePrefix)"},
    {"archive.suffix", P_STR, ".json", 0, 0, NULL, 0,
     "File name suffix (Flume hdfs.fileSuffix); .gz is added with gzip"},
    {"archive.in.use.suffix", P_STR, ".tmp", 0, 0, NULL, 0,
     "Suffix of files being written (Flume hdfs.inUseSuffix)"},
    {"archive.roll.count", P_INT, "100000", 0, INT64_MAX, NULL, 0,
     "Roll after this many records; 0 disables (Flume hdfs.rollCount)"},
    {"archive.roll.bytes", P_INT, "134217728", 0, INT64_MAX, NULL, 0,
     "Roll after this many bytes before compression; 0 disables (Flume "
     "hdfs.rollSize)"},
    {"archive.roll.interval", P_INT, "300", 0, INT32_MAX, NULL, 0,
     "Roll files open this many seconds; 0 disables (Flume "
     "hdfs.rollInterval)"},
    {"archive.idle.timeout", P_INT, "60", 0, INT32_MAX, NULL, 0,
     "Close files idle this many seconds; 0 disables (Flume "
     "hdfs.idleTimeout)"},
    {"archive.format", P_ENUM, "jsonl", 0, 0, "jsonl|envelope", 0,
     "jsonl: each value as a line; envelope: a JSON object with topic, "
     "partition, offset, timestamp, key, headers, value"},
    {"archive.gzip", P_BOOL, "false", 0, 0, NULL, 0,
     "Compress each file with gzip (Flume hdfs.codeC=gzip)"},
    {"archive.time", P_ENUM, "event", 0, 0, "event|processing", 0,
     "Time for path escapes: the record's Kafka timestamp (event) or now "
     "(processing, Flume hdfs.useLocalTimeStamp)"},
    {"archive.retry.backoff.ms", P_INT, "100", 1, 3600000, NULL, 0,
     "First wait before retrying a failing destination (doubles each time)"},
    {"archive.retry.backoff.max.ms", P_INT, "10000", 1, 3600000, NULL, 0,
     "Longest wait between retries of a failing destination"},
    {"archive.recovery.timeout.ms", P_INT, "60000", 0, INT32_MAX, NULL, 0,
     "When partitions are assigned, how long to retry reading the "
     "destination's state while it fails retriably (namenode down) before "
     "giving up with exit 1; 0: one attempt"},
    {"archive.buffer.bytes", P_INT, "65536", 4096, 67108864, NULL, 0,
     "Write buffer per open file, in bytes"},
    {"s3sink.topics", P_STR, "", 0, 0, NULL, 0,
     "Topics for ls-batch2s3, comma-separated (flag -t)"},
    {"s3sink.key", P_STR,
     "%{type}/%{type}_%Y%m%d_%H%M%S_p%{partition}_o%{offset}", 0, 0, NULL, 0,
     "Object key template, without extension; time and offset of the "
     "batch's first record; must contain %{offset}"},
    {"s3sink.format", P_ENUM, "csv", 0, 0, "csv|jsonl", 0,
     "Object format: CSV (flattened, header row) or JSON lines"},
    {"s3sink.gzip", P_BOOL, "false", 0, 0, NULL, 0,
     "Compress each object with gzip (.gz)"},
    {"s3sink.batch.size", P_INT, "100", 1, 10000000, NULL, 0,
     "Records per object (per topic-partition batch)"},
    {"s3sink.batch.bytes", P_INT, "8388608", 0, INT64_MAX, NULL, 0,
     "Bytes of records per object; 0 disables"},
    {"s3sink.batch.timeout.ms", P_INT, "300000", 1, INT32_MAX, NULL, 0,
     "Longest a batch waits after its first record, in ms"},
    {"s3sink.buffer.max.bytes", P_INT, "67108864", 0, INT64_MAX, NULL, 0,
     "Bytes held in all batches together; over it the biggest batch is "
     "stored early (0: no bound)"},
    {"s3sink.dlq", P_STR, "dead-letters.jsonl", 0, 0, NULL, 0,
     "Dead letters (records that are not JSON objects): a JSON-lines file, "
     "or kafka:TOPIC"},
    {"s3sink.retry.backoff.ms", P_INT, "100", 1, 3600000, NULL, 0,
     "First wait before retrying a failing S3 (doubles each time)"},
    {"s3sink.retry.backoff.max.ms", P_INT, "10000", 1, 3600000, NULL, 0,
     "Longest wait between retries of a failing S3"},
    {"hdfs.user", P_STR, "", 0, 0, NULL, 0,
     "WebHDFS user.name when there is no token and no Kerberos; empty: "
     "$HADOOP_USER_NAME, else the login name"},
    {"hdfs.namenodes", P_STR, "", 0, 0, NULL, 0,
     "HA namenodes host[:port], comma-separated, tried in order with "
     "failover; overrides the URL's host"},
    {"hdfs.delegation.token", P_STR, "", 0, 0, NULL, 1,
     "Delegation token sent as delegation= instead of user.name"},
    {"hdfs.kerberos", P_BOOL, "false", 0, 0, NULL, 0,
     "SPNEGO/Kerberos authentication through libcurl's Negotiate"},
    {"hdfs.retries", P_INT, "8", 0, 100, NULL, 0,
     "WebHDFS retries after the first attempt"},
    {"hdfs.retry.backoff.ms", P_INT, "100", 0, 3600000, NULL, 0,
     "WebHDFS backoff base in ms; doubled each retry, full jitter"},
    {"hdfs.retry.backoff.max.ms", P_INT, "10000", 0, 3600000, NULL, 0,
     "Cap of one WebHDFS backoff in ms"},
    {"hdfs.timeout.ms", P_INT, "60000", 0, INT32_MAX, NULL, 0,
     "Whole-request timeout for WebHDFS in ms (0: none)"},
    {"hdfs.connect.timeout.ms", P_INT, "10000", 0, INT32_MAX, NULL, 0,
     "WebHDFS connect timeout including TLS in ms"},
    {"hdfs.tls.verify", P_BOOL, "true", 0, 0, NULL, 0,
     "Verify the swebhdfs server certificate and host name"},
    {"hdfs.tls.ca.file", P_STR, "", 0, 0, NULL, 0,
     "CA bundle (PEM) for swebhdfs; empty: the system's"},
    {"hdfs.replication", P_INT, "0", 0, 32767, NULL, 0,
     "CREATE replication; 0: the server's default"},
    {"hdfs.blocksize", P_INT, "0", 0, INT64_MAX, NULL, 0,
     "CREATE block size in bytes; 0: the server's default"},
    {"hdfs.permission", P_STR, "", 0, 0, NULL, 0,
     "CREATE permission in octal, e.g. 644; empty: the server's default"},
    {"s3.endpoint", P_STR, "", 0, 0, NULL, 0,
     "S3 endpoint http(s)://host[:port] (MinIO, s3rver...); empty: AWS, "
     "https://s3.<region>.amazonaws.com"},
    {"s3.region", P_STR, "us-east-1", 0, 0, NULL, 0,
     "Signing region (the bucket's); when unset $AWS_REGION or "
     "$AWS_DEFAULT_REGION win over the default"},
    {"s3.bucket", P_STR, "", 0, 0, NULL, 0, "Bucket (required for S3)"},
    {"s3.path.style", P_ENUM, "auto", 0, 0, "auto|true|false", 0,
     "Path-style URLs (endpoint/bucket/key) instead of virtual-hosted "
     "(bucket.endpoint/key); auto: path-style when s3.endpoint is set or "
     "the bucket name holds a '.'"},
    {"s3.access.key.id", P_STR, "", 0, 0, NULL, 0,
     "Access key id; empty: $AWS_ACCESS_KEY_ID, then the shared "
     "credentials file"},
    {"s3.secret.access.key", P_STR, "", 0, 0, NULL, 1,
     "Secret access key, with s3.access.key.id"},
    {"s3.session.token", P_STR, "", 0, 0, NULL, 1,
     "Session token of temporary credentials, with s3.access.key.id"},
    {"s3.profile", P_STR, "", 0, 0, NULL, 0,
     "Profile in the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE "
     "or ~/.aws/credentials); empty: $AWS_PROFILE, else default"},
    {"s3.part.size", P_INT, "8388608", 5242880, 5368709120LL, NULL, 0,
     "Multipart part size in bytes; objects up to this size are sent with "
     "one PutObject"},
    {"s3.retries", P_INT, "8", 0, 100, NULL, 0,
     "S3 retries after the first attempt"},
    {"s3.retry.backoff.ms", P_INT, "100", 0, 3600000, NULL, 0,
     "S3 backoff base in ms; doubled each retry, full jitter"},
    {"s3.retry.backoff.max.ms", P_INT, "10000", 0, 3600000, NULL, 0,
     "Cap of one S3 backoff in ms"},
    {"s3.timeout.ms", P_INT, "300000", 0, INT32_MAX, NULL, 0,
     "Whole-request timeout for S3 in ms (0: none)"},
    {"s3.connect.timeout.ms", P_INT, "10000", 0, INT32_MAX, NULL, 0,
     "S3 connect timeout including TLS in ms"},
    {"s3.tls.verify", P_BOOL, "true", 0, 0, NULL, 0,
     "Verify the S3 server certificate and host name"},
    {"s3.tls.ca.file", P_STR, "", 0, 0, NULL, 0,
     "CA bundle (PEM) for S3; empty: the system's"},
    {"s3.unsigned.payload", P_BOOL, "false", 0, 0, NULL, 0,
     "Sign bodies as UNSIGNED-PAYLOAD instead of hashing them (Content-MD5 "
     "is still sent)"},
    {"httpsrc.port", P_INT, "0", 0, 65535, NULL, 0,
     "TCP port ls-http listens on; 0: a free one, printed at start "
     "(Flume HTTP source port)"},
    {"httpsrc.bind", P_STR, "127.0.0.1", 0, 0, NULL, 0,
     "Address ls-http listens on; 0.0.0.0 or :: for every interface "
     "(Flume HTTP source bind)"},
    {"httpsrc.topic", P_STR, "", 0, 0, NULL, 0,
     "Kafka topic the HTTP source produces to (flag -t)"},
    {"httpsrc.max.body.bytes", P_INT, "1048576", 1, 1073741824, NULL, 0,
     "Largest request body in bytes; larger ones get 413"},
    {"httpsrc.token", P_STR, "", 0, 0, NULL, 1,
     "Bearer token requests must carry (Authorization: Bearer ...); "
     "empty: no authentication"},
    {"httpsrc.key.header", P_STR, "", 0, 0, NULL, 0,
     "Event header whose value becomes the record key when the event has "
     "no \"key\"; empty: no key"},
    {"httpsrc.body.encoding", P_ENUM, "text", 0, 0, "text|base64", 0,
     "How event bodies are encoded when a request has no X-Body-Encoding "
     "header: text (UTF-8) or base64"},
    {"httpsrc.threads", P_INT, "4", 1, 256, NULL, 0,
     "HTTP server threads (libmicrohttpd thread pool)"},
    {"httpsrc.max.connections", P_INT, "1024", 1, 65536, NULL, 0,
     "Most open HTTP connections; more are refused"},
    {"httpsrc.idle.timeout", P_INT, "60", 0, 86400, NULL, 0,
     "Close HTTP connections idle this many seconds; 0 disables"},
    {"httpsrc.max.inflight", P_INT, "50000", 1, 10000000, NULL, 0,
     "Events awaiting Kafka acknowledgement above which new requests get "
     "503 (backpressure); keep below queue.buffering.max.messages"},
    {"httpsrc.backoff.ms", P_INT, "1000", 0, 3600000, NULL, 0,
     "After a failed delivery, new requests get 503 with Retry-After for "
     "this long, unless a delivery succeeds first"},
    {"monitor.port", P_INT, "-1", -1, 65535, NULL, 0,
     "Port of the monitor's HTTP server (/metrics, /api/stats, /health, "
     "the live page); -1: off, 0: a free one (flag --http-port)"},
    {"monitor.bind", P_STR, "127.0.0.1", 0, 0, NULL, 0,
     "Address the monitor listens on (flag --http-bind)"},
    {"monitor.health.threshold.ms", P_INT, "30000", 0, INT32_MAX, NULL, 0,
     "/health answers 503 once a destination has failed, or the pipeline "
     "has had lag without progress, for this long"},
    {"tail.topic", P_STR, "", 0, 0, NULL, 0,
     "Topic ls-tail sends lines to (flag -t; Flume: the Kafka sink's "
     "kafka.topic)"},
    {"tail.files", P_STR, "", 0, 0, NULL, 0,
     "Files or glob patterns to follow, comma-separated, besides those "
     "given to ls_tail_add() (Flume TAILDIR filegroups.<name>)"},
    {"tail.position.file", P_STR, "", 0, 0, NULL, 0,
     "JSON position file: per file inode, device and acknowledged offset; "
     "empty: none (Flume TAILDIR positionFile)"},
    {"tail.from.start", P_BOOL, "false", 0, 0, NULL, 0,
     "Read files that exist at the first scan, and are not in the position "
     "file, from the start instead of the end (Flume TAILDIR skipToEnd, "
     "inverted)"},
    {"tail.position.interval.ms", P_INT, "3000", 10, 3600000, NULL, 0,
     "Write the position file at most this often (Flume TAILDIR "
     "writePosInterval)"},
    {"tail.poll.interval.ms", P_INT, "250", 1, 60000, NULL, 0,
     "Longest wait between checks of the files when there is nothing new "
     "(Flume TAILDIR maxBackoffSleep)"},
    {"tail.scan.interval.ms", P_INT, "1000", 10, 3600000, NULL, 0,
     "Expand the glob patterns again this often to find new files"},
    {"tail.idle.timeout.ms", P_INT, "120000", 0, INT32_MAX, NULL, 0,
     "Close a file that is no longer at a followed path (rotated away, "
     "deleted) after this long without new data (Flume TAILDIR "
     "idleTimeout)"},
    {"tail.line.max.bytes", P_INT, "1000000", 1, 1000000000, NULL, 0,
     "Longest line sent as one message; longer lines are sent in pieces "
     "of this size"},
    {"tail.key.delim", P_STR, "", 0, 0, NULL, 0,
     "Split each line at the first occurrence into key and value (kcat -K); "
     "empty: no key"},
    {"tail.file.header", P_STR, "", 0, 0, NULL, 0,
     "Header carrying the file's path on every message; empty: none (Flume "
     "TAILDIR fileHeader + fileHeaderKey)"},
    {"tail.exactly.once", P_BOOL, "true", 0, 0, NULL, 0,
     "Idempotent producer, an ls.tail.src header (DEV:INO:EPOCH:END) on "
     "every message, and a reconciliation with the topic after an unclean "
     "stop, so that a restart repeats no line"},
};
#define NPROPS (sizeof(props) / sizeof(props[0]))

/* Short names accepted in config files and ls_conf_set(), the same as the
 * tools' long flags, so an agent can run from one file like Flume's. */
static const struct {
    const char *alias, *key;
} aliases[] = {
    {"brokers", "bootstrap.servers"},
    {"group", "group.id"},
    {"topic", "archive.topics"},
    {"dest", "archive.dest"},
    {"path", "archive.path"},
    {"prefix", "archive.prefix"},
    {"suffix", "archive.suffix"},
    {"in-use-suffix", "archive.in.use.suffix"},
    {"roll-count", "archive.roll.count"},
    {"roll-bytes", "archive.roll.bytes"},
    {"roll-interval", "archive.roll.interval"},
    {"idle-timeout", "archive.idle.timeout"},
    {"format", "archive.format"},
    {"gzip", "archive.gzip"},
    {"time", "archive.time"},
    {"http-port", "monitor.port"},
    {"http-bind", "monitor.bind"},
};

static const char *unalias(const char *key)
{
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (!strcmp(aliases[i].alias, key))
            return aliases[i].key;
    return key;
}

typedef struct {
    char *key, *value;
} kv_t;

struct ls_conf_s {
    rd_kafka_conf_t *rk;
    char *vals[NPROPS]; /* NULL: default */
    kv_t *kafka;        /* librdkafka keys set, in order, for dump */
    size_t nkafka, capkafka;
};

static const prop_t *find_prop(const char *key, size_t *idx)
{
    for (size_t i = 0; i < NPROPS; i++)
        if (!strcmp(props[i].name, key)) {
            if (idx)
                *idx = i;
            return &props[i];
        }
    return NULL;
}

ls_conf_t *ls_conf_new(void)
{
    ls_conf_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->rk = rd_kafka_conf_new();
    if (!c->rk) {
        free(c);
        return NULL;
    }
    return c;
}

void ls_conf_destroy(ls_conf_t *c)
{
    if (!c)
        return;
    if (c->rk)
        rd_kafka_conf_destroy(c->rk);
    for (size_t i = 0; i < NPROPS; i++)
        free(c->vals[i]);
    for (size_t i = 0; i < c->nkafka; i++) {
        free(c->kafka[i].key);
        free(c->kafka[i].value);
    }
    free(c->kafka);
    free(c);
}

ls_conf_t *ls_conf_dup(const ls_conf_t *src)
{
    ls_conf_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->rk = rd_kafka_conf_dup(src->rk);
    if (!c->rk)
        goto fail;
    for (size_t i = 0; i < NPROPS; i++)
        if (src->vals[i] && !(c->vals[i] = strdup(src->vals[i])))
            goto fail;
    if (src->nkafka) {
        c->kafka = calloc(src->nkafka, sizeof(kv_t));
        if (!c->kafka)
            goto fail;
        c->capkafka = src->nkafka;
        for (size_t i = 0; i < src->nkafka; i++) {
            c->kafka[i].key = strdup(src->kafka[i].key);
            c->kafka[i].value = strdup(src->kafka[i].value);
            c->nkafka++;
            if (!c->kafka[i].key || !c->kafka[i].value)
                goto fail;
        }
    }
    return c;
fail:
    ls_conf_destroy(c);
    return NULL;
}

static int parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int enum_has(const char *values, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = values; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, v, n))
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static ls_error_t *validate(const prop_t *p, const char *v)
{
    int64_t i;
    int b;
    switch (p->type) {
    case P_STR:
        if (!strcmp(p->name, "consumer.start")) {
            if (!strcmp(v, "committed") || !strcmp(v, "beginning") ||
                !strcmp(v, "end"))
                return NULL;
            if ((v[0] == '@' && !parse_int(v + 1, &i) && i >= 0) ||
                (!parse_int(v, &i) && i >= 0))
                return NULL;
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid value \"%s\" for %s: expected "
                                "committed, beginning, end, an offset >= 0 "
                                "or @<ms since epoch>",
                                v, p->name);
        }
        return NULL;
    case P_INT:
        if (parse_int(v, &i) || i < p->min || i > p->max)
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid value \"%s\" for %s: expected an "
                                "integer from %lld to %lld",
                                v, p->name, (long long)p->min,
                                (long long)p->max);
        return NULL;
    case P_DOUBLE: {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (errno || end == v || *end || d < (double)p->min ||
            d > (double)p->max)
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid value \"%s\" for %s: expected a "
                                "number from %lld to %lld",
                                v, p->name, (long long)p->min,
                                (long long)p->max);
        return NULL;
    }
    case P_BOOL:
        if (parse_bool(v, &b))
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid value \"%s\" for %s: expected true "
                                "or false",
                                v, p->name);
        return NULL;
    case P_ENUM:
        if (!enum_has(p->values, v))
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid value \"%s\" for %s: expected one "
                                "of %s",
                                v, p->name, p->values);
        return NULL;
    }
    return NULL;
}

static ls_error_t *remember_kafka(ls_conf_t *c, const char *key,
                                  const char *value)
{
    for (size_t i = 0; i < c->nkafka; i++)
        if (!strcmp(c->kafka[i].key, key)) {
            char *v = strdup(value);
            if (!v)
                return ls_error_new(LS_ERR_NOMEM, "out of memory");
            free(c->kafka[i].value);
            c->kafka[i].value = v;
            return NULL;
        }
    if (c->nkafka == c->capkafka) {
        size_t cap = c->capkafka ? c->capkafka * 2 : 16;
        kv_t *n = realloc(c->kafka, cap * sizeof(kv_t));
        if (!n)
            return ls_error_new(LS_ERR_NOMEM, "out of memory");
        c->kafka = n;
        c->capkafka = cap;
    }
    c->kafka[c->nkafka].key = strdup(key);
    c->kafka[c->nkafka].value = strdup(value);
    if (!c->kafka[c->nkafka].key || !c->kafka[c->nkafka].value) {
        free(c->kafka[c->nkafka].key);
        free(c->kafka[c->nkafka].value);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    c->nkafka++;
    return NULL;
}

ls_error_t *ls_conf_set(ls_conf_t *c, const char *key, const char *value)
{
    size_t idx;
    if (!c || !key || !value)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_conf_set: conf, key and value are required");
    if (!*key)
        return ls_error_new(LS_ERR_UNKNOWN_KEY,
                            "empty configuration property name");
    key = unalias(key);
    const prop_t *p = find_prop(key, &idx);
    if (p) {
        ls_error_t *err = validate(p, value);
        if (err)
            return err;
        char *v = strdup(value);
        if (!v)
            return ls_error_new(LS_ERR_NOMEM, "out of memory");
        free(c->vals[idx]);
        c->vals[idx] = v;
        return NULL;
    }
    const char *rkey = !strncmp(key, "kafka.", 6) ? key + 6 : key;
    char errstr[512];
    rd_kafka_conf_res_t r =
        rd_kafka_conf_set(c->rk, rkey, value, errstr, sizeof(errstr));
    if (r == RD_KAFKA_CONF_UNKNOWN)
        return ls_error_new(LS_ERR_UNKNOWN_KEY,
                            "unknown configuration property \"%s\": neither "
                            "libstream nor librdkafka knows it (-X list shows "
                            "libstream's)",
                            key);
    if (r == RD_KAFKA_CONF_INVALID) {
        if (ls__conf_is_sensitive(rkey))
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid value for %s: %s", rkey, errstr);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid value \"%s\" for %s: %s", value, rkey,
                            errstr);
    }
    return remember_kafka(c, rkey, value);
}

ls_error_t *ls_conf_set_kv(ls_conf_t *c, const char *kv)
{
    if (!kv)
        return ls_error_new(LS_ERR_INVALID_ARG, "missing key=value");
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        /* "sasl.password:xyz" may be a secret: never quote it. */
        if (ls__conf_is_sensitive(kv))
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid property (not shown: it may hold "
                                "a secret): expected key=value");
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid property \"%s\": expected key=value",
                            kv);
    }
    char key[256];
    size_t n = (size_t)(eq - kv);
    if (n >= sizeof(key))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "property name too long (%zu bytes, max 255)", n);
    memcpy(key, kv, n);
    key[n] = '\0';
    return ls_conf_set(c, key, eq + 1);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

ls_error_t *ls_conf_load_file(ls_conf_t *c, const char *path)
{
    if (!c || !path)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_conf_load_file: conf and path are required");
    FILE *f = fopen(path, "r");
    if (!f)
        return ls_error_new(LS_ERR_IO, "cannot open config file %s: %s",
                            path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    ls_error_t *err = NULL;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            /* A line such as "s3.secret.access.key: xyz" may hold a
             * secret: never quote it. */
            err = ls__conf_is_sensitive(s)
                      ? ls_error_new(LS_ERR_INVALID_ARG,
                                     "%s:%d: expected key=value (the line "
                                     "is not shown: it may hold a secret)",
                                     path, lineno)
                      : ls_error_new(LS_ERR_INVALID_ARG,
                                     "%s:%d: expected key=value, got \"%s\"",
                                     path, lineno, s);
            break;
        }
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        if ((err = ls_conf_set(c, k, v))) {
            err = ls_error_prefix(err, "%s:%d", path, lineno);
            break;
        }
    }
    if (!err && ferror(f))
        err = ls_error_new(LS_ERR_IO, "reading %s: %s", path,
                           strerror(errno));
    free(line);
    fclose(f);
    return err;
}

const char *ls_conf_get(const ls_conf_t *c, const char *key)
{
    size_t idx;
    if (!c || !key || !find_prop(unalias(key), &idx))
        return NULL;
    return c->vals[idx] ? c->vals[idx] : props[idx].def;
}

int ls_conf_is_set(const ls_conf_t *c, const char *key)
{
    size_t idx;
    if (!c || !key)
        return 0;
    key = unalias(key);
    if (find_prop(key, &idx))
        return c->vals[idx] != NULL;
    const char *rkey = !strncmp(key, "kafka.", 6) ? key + 6 : key;
    for (size_t i = 0; i < c->nkafka; i++)
        if (!strcmp(c->kafka[i].key, rkey))
            return 1;
    return 0;
}

int ls__conf_is_sensitive(const char *key)
{
    size_t idx;
    const prop_t *p = find_prop(key, &idx);
    if (p)
        return p->sensitive;
    return strstr(key, "password") || strstr(key, "secret") ||
           strstr(key, "token") || strstr(key, ".pem") ||
           strstr(key, "sasl.jaas");
}

void ls_conf_dump(const ls_conf_t *c, ls_conf_kv_cb_t *cb, void *opaque)
{
    if (!c || !cb)
        return;
    for (size_t i = 0; i < NPROPS; i++)
        if (c->vals[i])
            cb(opaque, props[i].name,
               props[i].sensitive ? "[redacted]" : c->vals[i], NULL);
    for (size_t i = 0; i < c->nkafka; i++)
        cb(opaque, c->kafka[i].key,
           ls__conf_is_sensitive(c->kafka[i].key) ? "[redacted]"
                                                  : c->kafka[i].value,
           NULL);
}

void ls_conf_describe(ls_conf_kv_cb_t *cb, void *opaque)
{
    if (!cb)
        return;
    for (size_t i = 0; i < NPROPS; i++)
        cb(opaque, props[i].name, props[i].def, props[i].desc);
}

void ls__conf_kafka_default(const ls_conf_t *conf, rd_kafka_conf_t *rc,
                            const char *key, const char *value)
{
    char errstr[256];
    if (!ls_conf_is_set(conf, key))
        rd_kafka_conf_set(rc, key, value, errstr, sizeof(errstr));
}

void ls__kafka_log_drop(const rd_kafka_t *rk, int level, const char *fac,
                        const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

void ls__conf_kafka_quiet(const ls_conf_t *conf, rd_kafka_conf_t *rc)
{
    char dbg[8];
    ls__conf_kafka_get(conf, "debug", dbg, sizeof(dbg));
    if (!dbg[0])
        rd_kafka_conf_set_log_cb(rc, ls__kafka_log_drop);
}

rd_kafka_conf_t *ls__conf_kafka_dup(const ls_conf_t *c)
{
    return rd_kafka_conf_dup(c->rk);
}

void ls__conf_kafka_get(const ls_conf_t *c, const char *key, char *buf,
                        size_t size)
{
    size_t sz = size;
    if (rd_kafka_conf_get(c->rk, key, buf, &sz) != RD_KAFKA_CONF_OK && size)
        buf[0] = '\0';
}

int64_t ls__conf_int(const ls_conf_t *c, const char *key)
{
    int64_t v = 0;
    const char *s = ls_conf_get(c, key);
    if (s)
        parse_int(s, &v);
    return v;
}

int ls__conf_bool(const ls_conf_t *c, const char *key)
{
    int b = 0;
    const char *s = ls_conf_get(c, key);
    if (s)
        parse_bool(s, &b);
    return b;
}

double ls__conf_double(const ls_conf_t *c, const char *key)
{
    const char *s = ls_conf_get(c, key);
    return s ? strtod(s, NULL) : 0.0;
}
