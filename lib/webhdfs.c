/* libstream: the WebHDFS REST client.  See include/libstream/webhdfs.h.
 *
 * Every operation goes through run(): build the namenode URL, do one
 * attempt (one request, or the two steps of CREATE/APPEND), and on
 * failure decide between giving up, failing over to the next namenode
 * and backing off (ls__webhdfs_decide).  Replies are read into one
 * response buffer the client reuses. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "backend_webhdfs.h"
#include "http_int.h"

#define LIST_BODY_MAX ((size_t)64 << 20)
#define MAX_NAMENODES 16

struct ls_webhdfs_s {
    ls__http_t *http;
    ls__http_resp_t resp;
    char **nn; /* "host:port" */
    size_t nnn, active;
    int tls;
    char *base;        /* "/" or "/a/b" */
    char *auth;        /* "&user.name=u" / "&delegation=t" / "" */
    char *token;       /* hdfs.delegation.token, to scrub; NULL: none */
    char *create_args; /* "&replication=..&blocksize=..&permission=.." */
    ls__retry_t retry;
    long timeout_ms; /* hdfs.timeout.ms, for the settle wait */
    uint64_t rng;
};

/* One operation. */
typedef struct {
    const char *op;     /* "CREATE" */
    const char *method; /* at the namenode */
    const char *full;   /* full HDFS path */
    const char *extra;  /* encoded "&k=v..." or "" */
    int two_step;       /* CREATE/APPEND: namenode 307, then datanode */
    int once;           /* not idempotent at the namenode (RENAME, DELETE) */
    const void *data;
    size_t len;
    size_t body_max;
    int64_t verify_from; /* APPEND: length before, -1 unknown; else -2 */
} call_t;

/* What one attempt found out besides its error. */
typedef struct {
    int at_nn;     /* the failure came from the namenode */
    int ambiguous; /* the data step may have been applied */
    int in_flight; /* ...and the datanode may still be working on it */
    char exc[96];  /* RemoteException name or "" */
} try_t;

/* ---- configuration ---------------------------------------------------- */

static const char *cget(const ls_conf_t *conf, const char *key)
{
    return conf ? ls_conf_get(conf, key) : NULL;
}

static ls_error_t *get_int(const ls_conf_t *conf, const char *key,
                           int64_t min, int64_t max, int64_t *v)
{
    const char *s = cget(conf, key);
    char *end;
    if (!s)
        return NULL;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x < min || x > max)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid value \"%s\" for %s: expected an "
                            "integer from %lld to %lld",
                            s, key, (long long)min, (long long)max);
    *v = x;
    return NULL;
}

static ls_error_t *get_bool(const ls_conf_t *conf, const char *key, int *v)
{
    const char *s = cget(conf, key);
    if (!s)
        return NULL;
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes"))
        *v = 1;
    else if (!strcasecmp(s, "false") || !strcmp(s, "0") ||
             !strcasecmp(s, "no"))
        *v = 0;
    else
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid value \"%s\" for %s: expected true "
                            "or false",
                            s, key);
    return NULL;
}

ls_error_t *ls__webhdfs_opts_from_conf(ls__webhdfs_opts_t *o,
                                       const ls_conf_t *conf)
{
    int64_t retries = 8, base = 100, cap = 10000, tmo = 60000,
            ctmo = 10000, repl = 0, bs = 0;
    ls_error_t *err;
    memset(o, 0, sizeof(*o));
    o->user = o->namenodes = o->delegation = o->ca_file = o->permission =
        "";
    o->tls_verify = 1;
#define STR(key, field)                                                  \
    do {                                                                 \
        const char *s_ = cget(conf, key);                                \
        if (s_)                                                          \
            o->field = s_;                                               \
    } while (0)
    STR("hdfs.user", user);
    STR("hdfs.namenodes", namenodes);
    STR("hdfs.delegation.token", delegation);
    STR("hdfs.tls.ca.file", ca_file);
    STR("hdfs.permission", permission);
#undef STR
    if ((err = get_bool(conf, "hdfs.kerberos", &o->kerberos)) ||
        (err = get_bool(conf, "hdfs.tls.verify", &o->tls_verify)) ||
        (err = get_int(conf, "hdfs.retries", 0, 100, &retries)) ||
        (err = get_int(conf, "hdfs.retry.backoff.ms", 0, 3600000, &base)) ||
        (err = get_int(conf, "hdfs.retry.backoff.max.ms", 0, 3600000,
                       &cap)) ||
        (err = get_int(conf, "hdfs.timeout.ms", 0, INT32_MAX, &tmo)) ||
        (err = get_int(conf, "hdfs.connect.timeout.ms", 0, INT32_MAX,
                       &ctmo)) ||
        (err = get_int(conf, "hdfs.replication", 0, 32767, &repl)) ||
        (err = get_int(conf, "hdfs.blocksize", 0, INT64_MAX, &bs)))
        return err;
    o->retries = (int)retries;
    o->backoff_ms = (long)base;
    o->backoff_max_ms = (long)cap;
    o->timeout_ms = (long)tmo;
    o->connect_timeout_ms = (long)ctmo;
    o->replication = repl;
    o->blocksize = bs;
    return NULL;
}

/* ---- URLs and paths ----------------------------------------------------- */

void ls__webhdfs_free_list(char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

/* "host", "host:port", "[v6]", "[v6]:port" -> "host:port" (malloc'd). */
static ls_error_t *norm_authority(const char *s, size_t n, int tls,
                                  char **out)
{
    const char *what = NULL;
    size_t hl;
    const char *port = NULL;
    *out = NULL;
    if (n == 0) {
        what = "empty host";
    } else if (memchr(s, '@', n)) {
        what = "user info is not allowed (set hdfs.user)";
    } else if (s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb || rb == s + 1)
            what = "bad IPv6 address";
        /* Hex digits, ':' and '.', and a zone after '%' (no byte that
         * would need escaping in a URL). */
        for (const char *q = s + 1; rb && q < rb && !what; q++)
            if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z') ||
                  (*q >= 'A' && *q <= 'Z') || *q == ':' || *q == '.' ||
                  *q == '%' || *q == '-' || *q == '_' || *q == '~'))
                what = "bad IPv6 address";
        if (!what && rb) {
            hl = (size_t)(rb + 1 - s);
            if (hl < n) {
                if (s[hl] != ':')
                    what = "garbage after the IPv6 address";
                else
                    port = s + hl + 1;
            }
        }
    } else {
        const char *colon = memchr(s, ':', n);
        hl = colon ? (size_t)(colon - s) : n;
        if (colon)
            port = colon + 1;
        for (size_t i = 0; i < hl && !what; i++) {
            char ch = s[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
                  ch == '_'))
                what = "bad character in the host name";
        }
        if (hl == 0 && !what)
            what = "empty host";
    }
    long pn = tls ? 9871 : 9870;
    if (!what && port) {
        size_t pl = (size_t)(s + n - port);
        pn = 0;
        if (pl == 0 || pl > 5)
            what = "bad port";
        for (size_t i = 0; i < pl && !what; i++) {
            if (port[i] < '0' || port[i] > '9')
                what = "bad port";
            else
                pn = pn * 10 + (port[i] - '0');
        }
        if (!what && (pn < 1 || pn > 65535))
            what = "port out of range 1-65535";
    }
    if (what)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "namenode \"%.*s\": %s, expected host[:port]",
                            (int)n, s, what);
    if (asprintf(out, "%.*s:%ld", (int)hl, s, pn) < 0) {
        *out = NULL;
        return ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
    }
    return NULL;
}

ls_error_t *ls__webhdfs_parse_namenodes(const char *list, int tls,
                                        char ***out, size_t *n)
{
    char **v = NULL;
    size_t k = 0;
    *out = NULL;
    *n = 0;
    for (const char *s = list;;) {
        const char *e = strchr(s, ',');
        const char *end = e ? e : s + strlen(s);
        const char *a = s;
        while (a < end && (*a == ' ' || *a == '\t'))
            a++;
        while (end > a && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        ls_error_t *err = NULL;
        char *one = NULL;
        if (end == a)
            err = ls_error_new(LS_ERR_INVALID_ARG,
                               "hdfs.namenodes \"%s\": empty entry, "
                               "expected host:port[,host:port...]",
                               list);
        else if (k == MAX_NAMENODES)
            err = ls_error_new(LS_ERR_INVALID_ARG,
                               "hdfs.namenodes: more than %d namenodes",
                               MAX_NAMENODES);
        else
            err = norm_authority(a, (size_t)(end - a), tls, &one);
        if (!err) {
            char **nv = realloc(v, (k + 1) * sizeof(*v));
            if (!nv) {
                free(one);
                err = ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
            } else {
                v = nv;
                v[k++] = one;
            }
        }
        if (err) {
            ls__webhdfs_free_list(v, k);
            return err;
        }
        if (!e)
            break;
        s = e + 1;
    }
    *out = v;
    *n = k;
    return NULL;
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* Check that a '/'-separated path has no empty, "." or ".." segments;
 * returns why not, or NULL.  "" is fine. */
static const char *bad_segments(const char *p)
{
    size_t pl = strlen(p);
    if (pl && p[pl - 1] == '/')
        return "empty path segment";
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0)
            return "empty path segment";
        if (n == 1 && s[0] == '.')
            return "\".\" segments are not allowed";
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return "\"..\" segments are not allowed";
        if (!e)
            break;
        s = e + 1;
    }
    return NULL;
}

ls_error_t *ls__webhdfs_parse_url(const char *url, int *tls,
                                  char **authority, char **base)
{
    const char *p;
    *authority = *base = NULL;
    if (!strncasecmp(url, "webhdfs://", 10)) {
        *tls = 0;
        p = url + 10;
    } else if (!strncasecmp(url, "swebhdfs://", 11)) {
        *tls = 1;
        p = url + 11;
    } else {
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "webhdfs URL: expected webhdfs://host:port/path "
                            "or swebhdfs://host:port/path");
    }
    size_t an = strcspn(p, "/?#");
    const char *path = p + an;
    size_t pn = strcspn(path, "?#");
    if (path[pn])
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "webhdfs URL %.*s: a query or fragment is not "
                            "allowed (settings go in hdfs.* properties)",
                            (int)(path - url), url);
    ls_error_t *err = NULL;
    if (an && (err = norm_authority(p, an, *tls, authority)))
        return ls_error_prefix(err, "webhdfs URL");
    if (!an && !(*authority = strdup("")))
        return ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");

    /* Decode the base path, drop trailing slashes. */
    char *b = malloc(pn + 2);
    if (!b) {
        free(*authority);
        *authority = NULL;
        return ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
    }
    size_t k = 0;
    const char *why = NULL;
    b[k++] = '/';
    for (size_t i = 0; i < pn && !why; i++) {
        char ch = path[i];
        if (ch == '%') {
            if (i + 2 >= pn || hexval(path[i + 1]) < 0 ||
                hexval(path[i + 2]) < 0) {
                why = "bad %-escape";
                break;
            }
            ch = (char)(hexval(path[i + 1]) * 16 + hexval(path[i + 2]));
            i += 2;
            if (!ch) {
                why = "%00 in the path";
                break;
            }
        }
        if (ch == '/' && b[k - 1] == '/')
            continue; /* collapse "//" */
        b[k++] = ch;
    }
    while (k > 1 && b[k - 1] == '/')
        k--;
    b[k] = '\0';
    if (!why)
        why = bad_segments(b + 1);
    if (why) {
        free(b);
        free(*authority);
        *authority = NULL;
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "webhdfs URL path \"%.*s\": %s", (int)pn, path,
                            why);
    }
    *base = b;
    return NULL;
}

ls_error_t *ls__webhdfs_full_path(const ls_webhdfs_t *c, const char *path,
                                  char **out)
{
    *out = NULL;
    while (*path == '/')
        path++;
    const char *why = bad_segments(path);
    if (why)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "webhdfs: invalid path \"%s\": %s", path, why);
    int r = *path ? asprintf(out, "%s%s%s", c->base,
                             strcmp(c->base, "/") ? "/" : "", path)
                  : asprintf(out, "%s", c->base);
    if (r < 0) {
        *out = NULL;
        return ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
    }
    return NULL;
}

char *ls__webhdfs_url(const ls_webhdfs_t *c, const char *op,
                      const char *full, const char *extra)
{
    char *b = NULL;
    size_t len = 0, cap = 0;
    const char *scheme = c->tls ? "https://" : "http://";
    const char *nn = c->nn[c->active];
    if (ls__http_append(&b, &len, &cap, scheme, strlen(scheme)) ||
        ls__http_append(&b, &len, &cap, nn, strlen(nn)) ||
        ls__http_append(&b, &len, &cap, "/webhdfs/v1", 11) ||
        ls__http_escape(&b, &len, &cap, full, 1) ||
        ls__http_append(&b, &len, &cap, "?op=", 4) ||
        ls__http_append(&b, &len, &cap, op, strlen(op)) ||
        ls__http_append(&b, &len, &cap, c->auth, strlen(c->auth)) ||
        ls__http_append(&b, &len, &cap, extra, strlen(extra))) {
        free(b);
        return NULL;
    }
    return b;
}

/* "&name=<escaped value>" appended. */
static int add_param(char **b, size_t *len, size_t *cap, const char *name,
                     const char *value)
{
    return ls__http_append(b, len, cap, "&", 1) ||
           ls__http_append(b, len, cap, name, strlen(name)) ||
           ls__http_append(b, len, cap, "=", 1) ||
           ls__http_escape(b, len, cap, value, 0);
}

/* ---- the client --------------------------------------------------------- */

static int valid_permission(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 4)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '7')
            return 0;
    return strtol(p, NULL, 8) <= 01777;
}

/* The user for user.name: hdfs.user, $HADOOP_USER_NAME, the login. */
static char *default_user(const char *configured)
{
    if (configured && *configured)
        return strdup(configured);
    const char *env = getenv("HADOOP_USER_NAME");
    if (env && *env)
        return strdup(env);
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
        res->pw_name && *res->pw_name)
        return strdup(res->pw_name);
    return strdup("");
}

void ls_webhdfs_destroy(ls_webhdfs_t *c)
{
    if (!c)
        return;
    ls__http_destroy(c->http);
    ls__http_resp_free(&c->resp);
    ls__webhdfs_free_list(c->nn, c->nnn);
    free(c->base);
    if (c->auth)
        explicit_bzero(c->auth, strlen(c->auth));
    free(c->auth);
    if (c->token)
        explicit_bzero(c->token, strlen(c->token));
    free(c->token);
    free(c->create_args);
    free(c);
}

ls_error_t *ls__webhdfs_new_opts(ls_webhdfs_t **out, const char *url,
                                 const ls__webhdfs_opts_t *o)
{
    char *authority = NULL;
    ls_error_t *err;
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_webhdfs_new: out is NULL");
    *out = NULL;
    if (!url || !o)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_webhdfs_new: url is NULL");
    if (*o->permission && !valid_permission(o->permission))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "invalid value \"%s\" for hdfs.permission: "
                            "expected an octal mode from 0 to 1777, e.g. "
                            "644",
                            o->permission);
    ls_webhdfs_t *c = calloc(1, sizeof(*c));
    if (!c)
        return ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
    err = ls__webhdfs_parse_url(url, &c->tls, &authority, &c->base);
    if (!err) {
        if (*o->namenodes)
            err = ls__webhdfs_parse_namenodes(o->namenodes, c->tls, &c->nn,
                                              &c->nnn);
        else if (!*authority)
            err = ls_error_new(LS_ERR_INVALID_ARG,
                               "webhdfs URL \"%s\": no host (name one, or "
                               "set hdfs.namenodes)",
                               url);
        else if (!(c->nn = malloc(sizeof(*c->nn))))
            err = ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
        else {
            c->nn[0] = authority;
            c->nnn = 1;
            authority = NULL;
        }
    }
    free(authority);

    /* Authentication and CREATE parameters, encoded once. */
    size_t len = 0, cap = 0, clen = 0, ccap = 0;
    int oom = 0;
    if (!err) {
        if (*o->delegation) {
            oom = add_param(&c->auth, &len, &cap, "delegation", o->delegation) ||
                  !(c->token = strdup(o->delegation));
        } else if (!o->kerberos) {
            char *u = default_user(o->user);
            oom = !u || (*u && add_param(&c->auth, &len, &cap, "user.name", u));
            free(u);
        }
        if (!c->auth && !oom)
            oom = ls__http_append(&c->auth, &len, &cap, "", 0);
        char num[32];
        if (!oom && o->replication > 0) {
            snprintf(num, sizeof(num), "%lld", (long long)o->replication);
            oom = add_param(&c->create_args, &clen, &ccap, "replication",
                            num);
        }
        if (!oom && o->blocksize > 0) {
            snprintf(num, sizeof(num), "%lld", (long long)o->blocksize);
            oom = add_param(&c->create_args, &clen, &ccap, "blocksize", num);
        }
        if (!oom && *o->permission)
            oom = add_param(&c->create_args, &clen, &ccap, "permission",
                            o->permission);
        if (!c->create_args && !oom)
            oom = ls__http_append(&c->create_args, &clen, &ccap, "", 0);
        if (oom)
            err = ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
    }
    if (!err) {
        ls__http_opts_t ho = {o->connect_timeout_ms, o->timeout_ms,
                              o->tls_verify, o->ca_file, o->kerberos};
        err = ls__http_new(&c->http, &ho);
    }
    if (err) {
        ls_webhdfs_destroy(c);
        return err;
    }
    c->retry.max_retries = o->retries;
    c->retry.base_ms = o->backoff_ms;
    c->retry.cap_ms = o->backoff_max_ms;
    c->timeout_ms = o->timeout_ms;
    c->rng = ls__http_seed(c);
    *out = c;
    return NULL;
}

ls_error_t *ls_webhdfs_new(ls_webhdfs_t **out, const char *url,
                           const ls_conf_t *conf)
{
    ls__webhdfs_opts_t o;
    if (out)
        *out = NULL;
    ls_error_t *err = ls__webhdfs_opts_from_conf(&o, conf);
    if (err)
        return err;
    return ls__webhdfs_new_opts(out, url, &o);
}

const char *ls_webhdfs_base(const ls_webhdfs_t *c)
{
    return c ? c->base : "";
}

int ls__webhdfs_tls(const ls_webhdfs_t *c)
{
    return c ? c->tls : 0;
}

const char *ls_webhdfs_namenode(const ls_webhdfs_t *c)
{
    return c && c->nnn ? c->nn[c->active] : "";
}

/* ---- one attempt ---------------------------------------------------------- */

ls__wh_action_t ls__webhdfs_decide(const ls_error_t *err,
                                   const char *exception, int at_namenode,
                                   int ambiguous, size_t n_namenodes)
{
    ls_err_t code = ls_error_code(err);
    if (!err || code == LS_ERR_NOMEM)
        return LS__WH_FAIL;
    if (exception && !strcmp(exception, "StandbyException"))
        return n_namenodes > 1 ? LS__WH_FAILOVER : LS__WH_RETRY;
    if (at_namenode && code == LS_ERR_TRANSPORT &&
        ls_error_http_status(err) == 0 && ls_error_is_retriable(err))
        return n_namenodes > 1 ? LS__WH_FAILOVER : LS__WH_RETRY;
    if (exception && !strcmp(exception, "AlreadyBeingCreatedException"))
        /* Another writer's lease is a conflict; our own lost request's
         * lease goes away once the datanode closes or it is recovered. */
        return ambiguous ? LS__WH_RETRY : LS__WH_FAIL;
    return ls_error_is_retriable(err) ? LS__WH_RETRY : LS__WH_FAIL;
}

static char *what_of(const call_t *k)
{
    char *w = NULL;
    if (asprintf(&w, "webhdfs %s %s", k->op, k->full) < 0)
        return NULL;
    return w;
}

/* A Location from a 2xx JSON body {"Location": "..."} (noredirect). */
static char *json_location(const ls__http_resp_t *r)
{
    const char *end;
    char *loc = NULL;
    if (!r->body_len)
        return NULL;
    cJSON *root = cJSON_ParseWithOpts(r->body, &end, 1);
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(root, "Location");
    if (cJSON_IsString(l))
        loc = strdup(l->valuestring);
    cJSON_Delete(root);
    return loc;
}

/* Server text quoted in an error (a RemoteException message, a
 * Location, a proxy's error page) may echo the delegation token, whole,
 * cut short or URL-encoded: every run of at least 12 bytes of it (all of
 * a shorter token) becomes "[redacted]", keeping the error's code, HTTP
 * status and retriable flag.  The token is a secret (hdfs.md). */
static size_t token_run(const char *m, const char *tok)
{
    size_t n = 0;
    while (tok[n] && m[n] == tok[n])
        n++;
    size_t tl = strlen(tok), min = tl < 12 ? tl : 12;
    return n >= min ? n : 0;
}

static ls_error_t *scrub_token(const ls_webhdfs_t *c, ls_error_t *err)
{
    if (!err || !c->token || !*c->token)
        return err;
    const char *enc = strstr(c->auth, "delegation=");
    enc = enc ? enc + 11 : NULL;
    const char *m = ls_error_message(err);
    size_t ml = strlen(m);
    /* Each replaced run is at least 1 byte: 10x is the worst case. */
    char *out = malloc(ml * 10 + 1), *o = out;
    int hit = 0;
    if (!out)
        return err;
    for (size_t i = 0; i < ml;) {
        size_t r = token_run(m + i, c->token);
        size_t re = enc && *enc ? token_run(m + i, enc) : 0;
        if (re > r)
            r = re;
        if (r) {
            memcpy(o, "[redacted]", 10);
            o += 10;
            i += r;
            hit = 1;
        } else {
            *o++ = m[i++];
        }
    }
    *o = '\0';
    if (!hit) {
        free(out);
        return err;
    }
    ls_error_t *e = ls_error_new(ls_error_code(err), "%s", out);
    explicit_bzero(out, (size_t)(o - out));
    free(out);
    if (ls_error_code(e) != ls_error_code(err)) { /* out of memory */
        ls_error_destroy(err);
        return e;
    }
    ls_error_set_http_status(e, ls_error_http_status(err));
    ls_error_set_retriable(e, ls_error_is_retriable(err));
    ls_error_destroy(err);
    return e;
}

static ls_error_t *attempt(ls_webhdfs_t *c, const call_t *k, try_t *t)
{
    static const char *const nn_headers[] = {"X-XSRF-HEADER: libstream",
                                             NULL};
    static const char *const dn_headers[] = {
        "Content-Type: application/octet-stream", NULL};
    char host[300];
    ls_error_t *err = NULL;
    char *loc = NULL;
    memset(t, 0, sizeof(*t));
    t->at_nn = 1;
    char *what = what_of(k);
    char *url = ls__webhdfs_url(c, k->op, k->full, k->extra);
    if (!what || !url) {
        err = ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
        goto out;
    }
    int put_or_post = !strcmp(k->method, "PUT") || !strcmp(k->method, "POST");
    ls__http_req_t rq = {k->method, url, nn_headers, NULL, 0, put_or_post,
                         k->body_max, k->once};
    if ((err = ls__http_do(c->http, &rq, &c->resp))) {
        /* A one-step operation (RENAME, DELETE...) the namenode received
         * may have been done; step 1 of CREATE/APPEND changes nothing. */
        t->ambiguous = !k->two_step && !c->resp.not_sent;
        t->in_flight = t->ambiguous && c->resp.timed_out;
        err = ls_error_prefix(err, "%s: namenode %s", what,
                              c->nn[c->active]);
        goto out;
    }
    long st = c->resp.status;
    if (!k->two_step) {
        if (st < 200 || st > 299) {
            err = ls__http_status_error(what, &c->resp, t->exc,
                                        sizeof(t->exc));
            t->ambiguous = st >= 500;
        }
        goto out;
    }
    if (st == 307 && c->resp.location) {
        loc = strdup(c->resp.location);
    } else if (st >= 200 && st <= 299) {
        loc = json_location(&c->resp);
        if (!loc) {
            err = ls_error_new(LS_ERR_GENERIC,
                               "%s: namenode %s answered HTTP %ld without "
                               "a redirect to a datanode",
                               what, c->nn[c->active], st);
            goto out;
        }
    } else if (st == 307) {
        err = ls_error_new(LS_ERR_GENERIC,
                           "%s: namenode %s answered HTTP 307 without a "
                           "Location",
                           what, c->nn[c->active]);
        goto out;
    } else {
        err = ls__http_status_error(what, &c->resp, t->exc, sizeof(t->exc));
        goto out;
    }
    if (!loc) {
        err = ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
        goto out;
    }
    if (loc[0] == '/') { /* relative: same server */
        char *abs = NULL;
        if (asprintf(&abs, "%s%s%s", c->tls ? "https://" : "http://",
                     c->nn[c->active], loc) < 0)
            abs = NULL;
        free(loc);
        loc = abs;
        if (!loc) {
            err = ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
            goto out;
        }
    } else if (strncasecmp(loc, "http://", 7) &&
               strncasecmp(loc, "https://", 8)) {
        /* Without its query, which echoes ours (delegation=...). */
        size_t ql = strcspn(loc, "?#");
        err = ls_error_new(LS_ERR_GENERIC,
                           "%s: namenode %s redirected to \"%.*s\", "
                           "expected an http(s) URL",
                           what, c->nn[c->active], (int)(ql < 200 ? ql : 200),
                           loc);
        goto out;
    }

    /* Step 2: the data, to the datanode. */
    t->at_nn = 0;
    /* The data step is never idempotent: a fresh connection, so that
     * libcurl cannot re-send it by itself (datanodes close after every
     * reply anyway; HttpFS keeps connections). */
    ls__http_req_t dq = {k->method, loc, dn_headers, k->data, k->len, 1,
                         k->body_max, 1};
    if ((err = ls__http_do(c->http, &dq, &c->resp))) {
        t->ambiguous = !c->resp.not_sent;
        t->in_flight = c->resp.timed_out;
        ls__http_url_host(loc, host, sizeof(host));
        err = ls_error_prefix(err, "%s: datanode %s", what, host);
        goto out;
    }
    st = c->resp.status;
    if (st < 200 || st > 299) {
        err = ls__http_status_error(what, &c->resp, t->exc, sizeof(t->exc));
        /* A datanode failing half-way may have written part of it. */
        t->ambiguous = st >= 500;
    }
out:
    free(loc);
    free(url);
    free(what);
    return scrub_token(c, err);
}

/* err with " (gave up after N attempts)" appended, keeping its code,
 * HTTP status and retriable flag. */
static ls_error_t *gave_up(ls_error_t *err, int attempts)
{
    ls_error_t *e = ls_error_new(ls_error_code(err),
                                 "%s (gave up after %d attempts)",
                                 ls_error_message(err), attempts);
    if (ls_error_code(e) != ls_error_code(err)) /* out of memory */
        return err;
    ls_error_set_http_status(e, ls_error_http_status(err));
    ls_error_set_retriable(e, ls_error_is_retriable(err));
    ls_error_destroy(err);
    return e;
}

static ls_error_t *stat_full(ls_webhdfs_t *c, const char *full,
                             int64_t *length, ls_webhdfs_type_t *type,
                             int64_t *mtime);

/* Before retrying an APPEND that may have been applied: is it there? */
static ls_error_t *verify_append(ls_webhdfs_t *c, const call_t *k, int *done)
{
    int64_t have = -1;
    *done = 0;
    ls_error_t *err = stat_full(c, k->full, &have, NULL, NULL);
    if (err)
        return ls_error_prefix(err, "webhdfs APPEND %s: checking the length "
                                    "after a lost reply",
                               k->full);
    int64_t before = k->verify_from, after = before + (int64_t)k->len;
    if (have == after) {
        *done = 1; /* the lost request did write it */
        return NULL;
    }
    if (have == before)
        return NULL; /* it did not: send it again */
    return ls_error_new(LS_ERR_IO,
                        "webhdfs APPEND %s: the reply to an append of %zu "
                        "bytes was lost and the file now holds %lld bytes, "
                        "expected %lld (not applied) or %lld (applied): a "
                        "partial append, the file must be discarded",
                        k->full, k->len, (long long)have, (long long)before,
                        (long long)after);
}

/* Run an operation with retries and failover.  *ambiguous (may be NULL)
 * tells whether some attempt may have been applied without a reply.
 *
 * A data step that timed out may still be running on the datanode (and
 * still apply its data later), so before looking at the file's length,
 * or before sending the data again, the client waits one more
 * hdfs.timeout.ms: a datanode that has not finished by then has had
 * twice the time the client allows.  Real HDFS also holds the file's
 * lease for a running append, so a retry meanwhile gets a lease error
 * and waits. */
static ls_error_t *run(ls_webhdfs_t *c, const call_t *k, int *ambiguous)
{
    int retries = 0, amb = 0, ever = 0, settle = 0;
    size_t hops = 0;
    ls_error_t *err = NULL;
    try_t t;
    for (;;) {
        if (settle) {
            ls__http_sleep_ms(c->timeout_ms);
            settle = 0;
        }
        if (amb && k->verify_from >= 0) {
            int done = 0;
            if ((err = verify_append(c, k, &done)) || done)
                break;
            amb = 0; /* checked: not applied */
        }
        err = attempt(c, k, &t);
        if (!err)
            break;
        if (t.ambiguous)
            amb = ever = 1;
        if (amb && k->verify_from == -1) {
            err = ls_error_prefix(err, "the append may or may not have been "
                                       "applied (length unknown, not "
                                       "retried)");
            break;
        }
        ls__wh_action_t a = ls__webhdfs_decide(err, t.exc, t.at_nn, amb,
                                               c->nnn);
        if (a == LS__WH_FAIL)
            break;
        if (a == LS__WH_FAILOVER) {
            c->active = (c->active + 1) % c->nnn;
            if (++hops < c->nnn) {
                /* Try the next namenode at once. */
                ls_error_destroy(err);
                err = NULL;
                continue;
            }
        }
        /* Every namenode tried, or a plain retry: back off. */
        if (!ls__http_should_retry(&c->retry, err, retries))
            break;
        ls__http_sleep_ms(ls__http_backoff_ms(&c->retry, retries, &c->rng));
        settle = t.in_flight;
        retries++;
        hops = 0;
        ls_error_destroy(err);
        err = NULL;
    }
    if (ambiguous)
        *ambiguous = ever;
    if (err && retries > 0)
        err = gave_up(err, retries + 1);
    return err;
}

/* ---- replies ---------------------------------------------------------------- */

/* The "boolean" of a {"boolean": b} reply: 1, 0, or -1 if none. */
static int reply_boolean(const ls__http_resp_t *r)
{
    const char *end;
    int v = -1;
    if (!r->body_len)
        return -1;
    cJSON *root = cJSON_ParseWithOpts(r->body, &end, 1);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(root, "boolean");
    if (cJSON_IsBool(b))
        v = cJSON_IsTrue(b) ? 1 : 0;
    cJSON_Delete(root);
    return v;
}

static int64_t num_field(const cJSON *o, const char *name)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(n) || n->valuedouble != n->valuedouble)
        return 0;
    /* A garbled reply's number out of int64's range is clamped: the
     * conversion itself would be undefined. */
    if (n->valuedouble >= 9223372036854775808.0)
        return INT64_MAX;
    if (n->valuedouble <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)n->valuedouble;
}

static ls_webhdfs_type_t type_field(const cJSON *o)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "type");
    if (cJSON_IsString(t)) {
        if (!strcmp(t->valuestring, "DIRECTORY"))
            return LS_WEBHDFS_DIRECTORY;
        if (!strcmp(t->valuestring, "SYMLINK"))
            return LS_WEBHDFS_SYMLINK;
    }
    return LS_WEBHDFS_FILE;
}

/* A 2xx whose body is cut or garbled (a proxy, a server dying half-way)
 * is a transport failure: retriable, as a lost reply is. */
static ls_error_t *bad_reply(const char *op, const char *full,
                             const ls__http_resp_t *r, const char *expected)
{
    return ls_error_set_retriable(
        ls_error_new(LS_ERR_TRANSPORT,
                     "webhdfs %s %s: unexpected reply (HTTP %ld, %zu "
                     "bytes%s), expected %s",
                     op, full, r->status, r->body_len,
                     r->body_truncated ? ", truncated" : "", expected),
        1);
}

/* ---- operations -------------------------------------------------------------- */

static ls_error_t *stat_full(ls_webhdfs_t *c, const char *full,
                             int64_t *length, ls_webhdfs_type_t *type,
                             int64_t *mtime)
{
    call_t k = {.op = "GETFILESTATUS", .method = "GET", .full = full,
                .extra = "", .verify_from = -2};
    ls_error_t *err = run(c, &k, NULL);
    if (err)
        return err;
    return ls__webhdfs_parse_stat(full, &c->resp, length, type, mtime);
}

ls_error_t *ls__webhdfs_parse_stat(const char *full,
                                   const ls__http_resp_t *r, int64_t *length,
                                   ls_webhdfs_type_t *type, int64_t *mtime)
{
    const char *end;
    cJSON *root = cJSON_ParseWithOpts(r->body, &end, 1);
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(root, "FileStatus");
    if (!cJSON_IsObject(fs)) {
        cJSON_Delete(root);
        return bad_reply("GETFILESTATUS", full, r,
                         "{\"FileStatus\":{...}}");
    }
    if (length)
        *length = num_field(fs, "length");
    if (type)
        *type = type_field(fs);
    if (mtime)
        *mtime = num_field(fs, "modificationTime");
    cJSON_Delete(root);
    return NULL;
}

#define CHECK_C(fn)                                                      \
    do {                                                                 \
        if (!c)                                                          \
            return ls_error_new(LS_ERR_INVALID_ARG, fn ": client is NULL"); \
        if (!path)                                                       \
            return ls_error_new(LS_ERR_INVALID_ARG, fn ": path is NULL");   \
    } while (0)

ls_error_t *ls_webhdfs_stat(ls_webhdfs_t *c, const char *path,
                            int64_t *length, ls_webhdfs_type_t *type,
                            int64_t *mtime_ms)
{
    char *full;
    CHECK_C("ls_webhdfs_stat");
    ls_error_t *err = ls__webhdfs_full_path(c, path, &full);
    if (err)
        return err;
    err = stat_full(c, full, length, type, mtime_ms);
    free(full);
    return err;
}

ls_error_t *ls_webhdfs_mkdirs(ls_webhdfs_t *c, const char *path)
{
    char *full;
    CHECK_C("ls_webhdfs_mkdirs");
    ls_error_t *err = ls__webhdfs_full_path(c, path, &full);
    if (err)
        return err;
    call_t k = {.op = "MKDIRS", .method = "PUT", .full = full, .extra = "",
                .verify_from = -2};
    err = run(c, &k, NULL);
    if (!err && reply_boolean(&c->resp) != 1)
        err = reply_boolean(&c->resp) == 0
                  ? ls_error_new(LS_ERR_IO,
                                 "webhdfs MKDIRS %s: the namenode answered "
                                 "false",
                                 full)
                  : bad_reply("MKDIRS", full, &c->resp,
                              "{\"boolean\":true}");
    free(full);
    return err;
}

ls_error_t *ls_webhdfs_create(ls_webhdfs_t *c, const char *path,
                              const void *data, size_t len, int overwrite)
{
    return ls__webhdfs_create_ex(c, path, data, len, overwrite, NULL);
}

ls_error_t *ls__webhdfs_create_ex(ls_webhdfs_t *c, const char *path,
                                  const void *data, size_t len,
                                  int overwrite, int *ambiguous)
{
    char *full, *extra = NULL;
    int amb = 0;
    if (ambiguous)
        *ambiguous = 0;
    CHECK_C("ls_webhdfs_create");
    if (len && !data)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_webhdfs_create: data is NULL for %zu bytes",
                            len);
    ls_error_t *err = ls__webhdfs_full_path(c, path, &full);
    if (err)
        return err;
    if (asprintf(&extra, "&overwrite=%s%s", overwrite ? "true" : "false",
                 c->create_args) < 0) {
        free(full);
        return ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
    }
    call_t k = {.op = "CREATE", .method = "PUT", .full = full,
                .extra = extra, .two_step = 1, .data = data, .len = len,
                .verify_from = -2};
    err = run(c, &k, &amb);
    if (amb && ls_error_code(err) == LS_ERR_EXISTS) {
        /* Our own lost request may have made it: same length is ours. */
        int64_t have = -1;
        ls_webhdfs_type_t type = LS_WEBHDFS_DIRECTORY;
        ls_error_t *e2 = stat_full(c, full, &have, &type, NULL);
        if (!e2 && type == LS_WEBHDFS_FILE && have == (int64_t)len) {
            ls_error_destroy(err);
            err = NULL;
        }
        ls_error_destroy(e2);
    }
    if (ambiguous)
        *ambiguous = amb;
    free(extra);
    free(full);
    return err;
}

ls_error_t *ls_webhdfs_append(ls_webhdfs_t *c, const char *path,
                              const void *data, size_t len, int64_t *length)
{
    return ls__webhdfs_append_ex(c, path, data, len, length, NULL);
}

ls_error_t *ls__webhdfs_append_ex(ls_webhdfs_t *c, const char *path,
                                  const void *data, size_t len,
                                  int64_t *length, int *ambiguous)
{
    char *full;
    if (ambiguous)
        *ambiguous = 0;
    CHECK_C("ls_webhdfs_append");
    if (!length)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_webhdfs_append: length is NULL (pass -1 "
                            "when unknown)");
    if (len && !data)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_webhdfs_append: data is NULL for %zu bytes",
                            len);
    if (len == 0)
        return NULL;
    ls_error_t *err = ls__webhdfs_full_path(c, path, &full);
    if (err)
        return err;
    call_t k = {.op = "APPEND", .method = "POST", .full = full, .extra = "",
                .two_step = 1, .data = data, .len = len,
                .verify_from = *length >= 0 ? *length : -1};
    err = run(c, &k, ambiguous);
    if (!err && *length >= 0)
        *length += (int64_t)len;
    free(full);
    return err;
}

/* After RENAME said false: which error was it? */
static ls_error_t *diagnose_rename(ls_webhdfs_t *c, const char *from,
                                   const char *to)
{
    ls_webhdfs_type_t type;
    ls_error_t *e = stat_full(c, from, NULL, NULL, NULL);
    if (ls_error_code(e) == LS_ERR_NOT_FOUND) {
        ls_error_destroy(e);
        return ls_error_new(LS_ERR_NOT_FOUND,
                            "webhdfs RENAME %s -> %s: the source does not "
                            "exist",
                            from, to);
    }
    ls_error_destroy(e);
    e = stat_full(c, to, NULL, &type, NULL);
    if (!e)
        return ls_error_new(LS_ERR_EXISTS,
                            "webhdfs RENAME %s -> %s: the target exists%s",
                            from, to,
                            type == LS_WEBHDFS_DIRECTORY
                                ? " (a directory)"
                                : "");
    if (ls_error_code(e) == LS_ERR_NOT_FOUND) {
        ls_error_destroy(e);
        return ls_error_new(LS_ERR_NOT_FOUND,
                            "webhdfs RENAME %s -> %s: the namenode answered "
                            "false (does the target's parent directory "
                            "exist?)",
                            from, to);
    }
    ls_error_destroy(e);
    return ls_error_new(LS_ERR_IO,
                        "webhdfs RENAME %s -> %s: the namenode answered "
                        "false",
                        from, to);
}

ls_error_t *ls_webhdfs_rename(ls_webhdfs_t *c, const char *from,
                              const char *to)
{
    char *ffrom = NULL, *fto = NULL, *extra = NULL;
    size_t len = 0, cap = 0;
    int amb = 0;
    if (!c || !from || !to)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_webhdfs_rename: client, from and to are "
                            "required");
    ls_error_t *err = ls__webhdfs_full_path(c, from, &ffrom);
    if (!err)
        err = ls__webhdfs_full_path(c, to, &fto);
    if (!err && (add_param(&extra, &len, &cap, "destination", fto) ||
                 add_param(&extra, &len, &cap, "renameoptions", "NONE")))
        err = ls_error_new(LS_ERR_NOMEM, "webhdfs: out of memory");
    if (!err) {
        call_t k = {.op = "RENAME", .method = "PUT", .full = ffrom,
                    .extra = extra, .once = 1, .verify_from = -2};
        err = run(c, &k, &amb);
        /* rename2 (renameoptions) answers with an empty body; the classic
         * rename with {"boolean": b}. */
        if (!err && reply_boolean(&c->resp) == 0)
            err = diagnose_rename(c, ffrom, fto);
        else if (!err && c->resp.body_len && reply_boolean(&c->resp) < 0 &&
                 c->resp.body[0] == '{') {
            err = bad_reply("RENAME", ffrom, &c->resp, "{\"boolean\":true}");
            /* The namenode did something: a garbled reply is a lost one. */
            amb = 1;
            ls_error_t *e1 = stat_full(c, ffrom, NULL, NULL, NULL);
            if (ls_error_code(e1) == LS_ERR_NOT_FOUND) {
                ls_error_t *e2 = stat_full(c, fto, NULL, NULL, NULL);
                if (!e2) { /* source gone, target there: it was done */
                    ls_error_destroy(err);
                    err = NULL;
                }
                ls_error_destroy(e2);
            }
            ls_error_destroy(e1);
        }
    }
    if (err && (ls_error_code(err) == LS_ERR_NOT_FOUND ||
                ls_error_code(err) == LS_ERR_EXISTS)) {
        /* A retry after a lost reply: the first request may have done
         * it.  Source gone and target there means it did.  (Also covers
         * a reply lost on the last attempt of a namenode that failed.) */
        ls_error_t *e1 = amb ? stat_full(c, ffrom, NULL, NULL, NULL) : NULL;
        if (amb && ls_error_code(e1) == LS_ERR_NOT_FOUND) {
            ls_error_t *e2 = stat_full(c, fto, NULL, NULL, NULL);
            if (!e2) {
                ls_error_destroy(err);
                err = NULL;
            }
            ls_error_destroy(e2);
        }
        ls_error_destroy(e1);
    }
    free(extra);
    free(ffrom);
    free(fto);
    return err;
}

ls_error_t *ls_webhdfs_delete(ls_webhdfs_t *c, const char *path,
                              int recursive)
{
    char *full;
    int amb = 0;
    CHECK_C("ls_webhdfs_delete");
    ls_error_t *err = ls__webhdfs_full_path(c, path, &full);
    if (err)
        return err;
    if (!strcmp(full, "/")) {
        free(full);
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "webhdfs DELETE /: refusing to delete the root");
    }
    call_t k = {.op = "DELETE", .method = "DELETE", .full = full,
                .extra = recursive ? "&recursive=true" : "&recursive=false",
                .once = 1, .verify_from = -2};
    err = run(c, &k, &amb);
    if (!err) {
        int b = reply_boolean(&c->resp);
        if (b == 0 && !amb)
            err = ls_error_new(LS_ERR_NOT_FOUND,
                               "webhdfs DELETE %s: does not exist", full);
        else if (b < 0)
            err = bad_reply("DELETE", full, &c->resp, "{\"boolean\":...}");
    }
    free(full);
    return err;
}

ls_error_t *ls_webhdfs_list(ls_webhdfs_t *c, const char *path,
                            ls_webhdfs_list_cb_t *cb, void *opaque)
{
    char *full;
    CHECK_C("ls_webhdfs_list");
    if (!cb)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_webhdfs_list: callback is NULL");
    ls_error_t *err = ls__webhdfs_full_path(c, path, &full);
    if (err)
        return err;
    call_t k = {.op = "LISTSTATUS", .method = "GET", .full = full,
                .extra = "", .body_max = LIST_BODY_MAX, .verify_from = -2};
    err = run(c, &k, NULL);
    if (!err)
        err = ls__webhdfs_parse_list(full, &c->resp, cb, opaque);
    free(full);
    /* Do not keep a huge listing's buffer for the client's lifetime. */
    if (c->resp.cap > 4 * LS__HTTP_BODY_MAX)
        ls__http_resp_free(&c->resp);
    return err;
}

ls_error_t *ls__webhdfs_parse_list(const char *full,
                                   const ls__http_resp_t *r,
                                   ls_webhdfs_list_cb_t *cb, void *opaque)
{
    ls_error_t *err = NULL;
    if (r->body_truncated)
        err = ls_error_new(LS_ERR_GENERIC,
                           "webhdfs LISTSTATUS %s: the listing is larger "
                           "than %zu MiB",
                           full, LIST_BODY_MAX >> 20);
    cJSON *root = NULL;
    const cJSON *arr = NULL;
    if (!err) {
        const char *end;
        root = cJSON_ParseWithOpts(r->body, &end, 1);
        const cJSON *fss = cJSON_GetObjectItemCaseSensitive(root,
                                                            "FileStatuses");
        arr = cJSON_GetObjectItemCaseSensitive(fss, "FileStatus");
        if (!cJSON_IsArray(arr))
            err = bad_reply("LISTSTATUS", full, r,
                            "{\"FileStatuses\":{\"FileStatus\":[...]}}");
    }
    /* On a file LISTSTATUS gives one entry named "": not a directory. */
    const cJSON *e;
    if (!err && cJSON_GetArraySize(arr) == 1) {
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(arr, 0), "pathSuffix");
        if (cJSON_IsString(ps) && !*ps->valuestring)
            err = ls_error_new(LS_ERR_NOT_FOUND,
                               "webhdfs LISTSTATUS %s: not a directory",
                               full);
    }
    if (!err) {
        cJSON_ArrayForEach(e, arr)
        {
            const cJSON *ps = cJSON_GetObjectItemCaseSensitive(e,
                                                               "pathSuffix");
            if (!cJSON_IsString(ps) || !*ps->valuestring)
                continue;
            if (cb(opaque, ps->valuestring, type_field(e),
                   num_field(e, "length"), num_field(e, "modificationTime")))
                break;
        }
    }
    cJSON_Delete(root);
    return err;
}

int ls__webhdfs_reply_boolean(const ls__http_resp_t *r)
{
    return reply_boolean(r);
}

char *ls__webhdfs_json_location(const ls__http_resp_t *r)
{
    return json_location(r);
}
