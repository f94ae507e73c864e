/* libstream: consumer-group lag through librdkafka's Admin API.
 *
 * One client handle, never in any group: ListConsumerGroups for the group
 * names, ListConsumerGroupOffsets (OffsetFetch to the coordinator) for
 * the committed offsets, and offsets_for_times() with the special times
 * -1/-2 (ListOffsets LATEST/EARLIEST, batched per leader) for the log
 * ends and starts.  The candidate partitions always come from one
 * all-topics metadata request, so a named topic is never auto-created and
 * "every partition the group committed" works on brokers that ignore an
 * OffsetFetch for all partitions (librdkafka 2.0.2's mock cluster answers
 * it with nothing).
 *
 * What librdkafka 2.0.2's mock cluster (the embedded broker) supports:
 * OffsetFetch v0-5, FindCoordinator, ListOffsets and Metadata; not
 * ListGroups or DescribeGroups, so groups cannot be listed there and
 * ListConsumerGroups reports "Required feature not supported by broker".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "event_int.h"
#include "libstream/lag.h"

#define NO_ROW INT64_MIN /* a group has nothing to report for a partition */

struct ls_lag_s {
    rd_kafka_t *rk;
    char brokers[256];      /* bootstrap.servers, for messages */
    char broker_error[512]; /* the last error_cb reason */
};

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    ls_lag_t *l = opaque;
    (void)rk, (void)err;
    snprintf(l->broker_error, sizeof(l->broker_error), "%s", reason);
}

ls_error_t *ls_lag_new(ls_lag_t **out, ls_conf_t *conf)
{
    char errstr[512];
    if (!out || !conf)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_lag_new: out and conf are required");
    *out = NULL;
    ls_lag_t *l = calloc(1, sizeof(*l));
    if (!l)
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    ls__conf_kafka_get(conf, "bootstrap.servers", l->brokers,
                       sizeof(l->brokers));
    rd_kafka_conf_t *rc = ls__conf_kafka_dup(conf);
    if (!rc) {
        ls_lag_destroy(l);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    /* The log end as kafka-consumer-groups.sh shows it (high watermark,
     * not the last stable offset). */
    ls__conf_kafka_default(conf, rc, "isolation.level", "read_uncommitted");
    rd_kafka_conf_set_error_cb(rc, on_error);
    ls__conf_kafka_quiet(conf, rc);
    rd_kafka_conf_set_opaque(rc, l);
    /* A consumer handle without group.id: consumer properties apply, and
     * no group is ever joined (nothing subscribes). */
    l->rk = rd_kafka_new(RD_KAFKA_CONSUMER, rc, errstr, sizeof(errstr));
    if (!l->rk) {
        rd_kafka_conf_destroy(rc);
        ls_lag_destroy(l);
        return ls_error_new(LS_ERR_KAFKA, "cannot create Kafka client: %s",
                            errstr);
    }
    ls_conf_destroy(conf);
    *out = l;
    return NULL;
}

void ls_lag_destroy(ls_lag_t *l)
{
    if (!l)
        return;
    if (l->rk)
        rd_kafka_destroy(l->rk);
    free(l);
}

/* An error for librdkafka code re; transport problems and timeouts are
 * retriable and name the brokers and the last connection error. */
static ls_error_t *kafka_error(ls_lag_t *l, rd_kafka_resp_err_t re,
                               const char *what)
{
    ls_error_t *err = ls__kafka_error(re, "%s", what);
    if (re == RD_KAFKA_RESP_ERR__TRANSPORT ||
        re == RD_KAFKA_RESP_ERR__TIMED_OUT ||
        re == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
        re == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
        re == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
        re == RD_KAFKA_RESP_ERR_NOT_COORDINATOR) {
        rd_kafka_poll(l->rk, 0); /* serve error_cb */
        if (re != RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS &&
            re != RD_KAFKA_RESP_ERR_NOT_COORDINATOR)
            err = ls_error_prefix(err, "cannot reach brokers %s%s%s",
                                  l->brokers[0] ? l->brokers : "(none set)",
                                  l->broker_error[0] ? ": " : "",
                                  l->broker_error);
        ls_error_set_retriable(err, 1);
    }
    return err;
}

/* Run one admin request on its own queue (so a late answer to a request
 * given up on can never be taken for another's) and wait for its result
 * event, of type want.  On success *evp is the event to destroy. */
static ls_error_t *admin_wait(ls_lag_t *l, rd_kafka_queue_t *q, int want,
                              int timeout_ms, const char *what,
                              rd_kafka_event_t **evp)
{
    *evp = NULL;
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
    if (!ev)
        return kafka_error(l, RD_KAFKA_RESP_ERR__TIMED_OUT, what);
    if (rd_kafka_event_error(ev)) {
        rd_kafka_resp_err_t re = rd_kafka_event_error(ev);
        ls_error_t *err = kafka_error(l, re, what);
        const char *s = rd_kafka_event_error_string(ev);
        if (s && *s && strcmp(s, rd_kafka_err2str(re)))
            err = ls_error_prefix(err, "%s", s);
        rd_kafka_event_destroy(ev);
        return err;
    }
    if (rd_kafka_event_type(ev) != want) {
        rd_kafka_event_destroy(ev);
        return ls_error_new(LS_ERR_KAFKA, "%s: unexpected answer", what);
    }
    *evp = ev;
    return NULL;
}

static rd_kafka_AdminOptions_t *admin_options(ls_lag_t *l,
                                              rd_kafka_admin_op_t op,
                                              int timeout_ms)
{
    char errstr[256];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(l->rk, op);
    if (o)
        rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, errstr,
                                                  sizeof(errstr));
    return o;
}

/* ---- group names ---- */

typedef struct {
    char **v;
    size_t n, cap;
} names_t;

static void names_free(names_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int names_add(names_t *s, const char *name)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    if (!(s->v[s->n] = strdup(name)))
        return -1;
    s->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static ls_error_t *list_groups(ls_lag_t *l, int timeout_ms, names_t *out)
{
    const char *what = "listing consumer groups";
    rd_kafka_queue_t *q = rd_kafka_queue_new(l->rk);
    rd_kafka_AdminOptions_t *o =
        admin_options(l, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms);
    if (!q || !o) {
        if (q)
            rd_kafka_queue_destroy(q);
        rd_kafka_AdminOptions_destroy(o);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    rd_kafka_ListConsumerGroups(l->rk, o, q);
    rd_kafka_event_t *ev;
    ls_error_t *err = admin_wait(l, q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
                                 timeout_ms, what, &ev);
    if (!err) {
        const rd_kafka_ListConsumerGroups_result_t *r =
            rd_kafka_event_ListConsumerGroups_result(ev);
        size_t nv = 0, ne = 0;
        const rd_kafka_ConsumerGroupListing_t **v =
            rd_kafka_ListConsumerGroups_result_valid(r, &nv);
        const rd_kafka_error_t **e =
            rd_kafka_ListConsumerGroups_result_errors(r, &ne);
        if (ne) {
            /* A partial listing would silently hide groups: fail. */
            rd_kafka_resp_err_t re = rd_kafka_error_code(e[0]);
            if (re == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
                re == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION)
                err = ls_error_set_kafka_code(
                    ls_error_new(LS_ERR_KAFKA,
                                 "%s: not supported by the brokers (no "
                                 "ListGroups API, e.g. the embedded broker)",
                                 what),
                    re);
            else
                err = ls_error_prefix(kafka_error(l, re, what), "%zu of the "
                                      "brokers failed (%s)", ne,
                                      rd_kafka_error_string(e[0]));
        }
        for (size_t i = 0; !err && i < nv; i++)
            if (names_add(out, rd_kafka_ConsumerGroupListing_group_id(v[i])))
                err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    if (err)
        names_free(out);
    else if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), cmp_str);
    return err;
}

ls_error_t *ls_lag_list_groups(ls_lag_t *l, int timeout_ms,
                               ls_lag_group_cb_t *cb, void *opaque)
{
    if (!l || !cb || timeout_ms < 0)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_lag_list_groups: handle, callback and a "
                            "timeout >= 0 are required");
    names_t groups = {NULL, 0, 0};
    ls_error_t *err = list_groups(l, timeout_ms, &groups);
    for (size_t i = 0; !err && i < groups.n; i++)
        cb(opaque, groups.v[i]);
    names_free(&groups);
    return err;
}

/* ---- lag ---- */

static int cmp_part(const void *a, const void *b)
{
    const rd_kafka_topic_partition_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* The candidate partitions, sorted: those of topics (each must exist), or
 * of every topic in the cluster when ntopics is 0. */
static ls_error_t *candidates(ls_lag_t *l, const char *const *topics,
                              size_t ntopics, int timeout_ms,
                              rd_kafka_topic_partition_list_t **out)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t re = rd_kafka_metadata(l->rk, 1, NULL, &md,
                                               timeout_ms);
    if (re)
        return kafka_error(l, re, "metadata");
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(64);
    ls_error_t *err = NULL;
    for (size_t i = 0; i < ntopics && !err; i++) {
        int found = 0;
        for (int t = 0; t < md->topic_cnt && !found; t++)
            found = !strcmp(md->topics[t].topic, topics[i]) &&
                    !md->topics[t].err && md->topics[t].partition_cnt > 0;
        if (!found)
            err = ls_error_new(LS_ERR_NOT_FOUND, "topic \"%s\" does not exist",
                               topics[i]);
    }
    for (int t = 0; t < md->topic_cnt && !err; t++) {
        const struct rd_kafka_metadata_topic *mt = &md->topics[t];
        int wanted = ntopics == 0;
        for (size_t i = 0; i < ntopics && !wanted; i++)
            wanted = !strcmp(mt->topic, topics[i]);
        if (!wanted || mt->err)
            continue;
        for (int p = 0; p < mt->partition_cnt; p++)
            rd_kafka_topic_partition_list_add(parts, mt->topic,
                                              mt->partitions[p].id);
    }
    rd_kafka_metadata_destroy(md);
    if (err) {
        rd_kafka_topic_partition_list_destroy(parts);
        return err;
    }
    if (parts->cnt > 1) /* qsort's array must not be NULL */
        qsort(parts->elems, (size_t)parts->cnt, sizeof(*parts->elems),
              cmp_part);
    *out = parts;
    return NULL;
}

/* Committed offsets of group for every partition of all into
 * committed[i] (-1: none). */
static ls_error_t *fetch_committed(ls_lag_t *l, const char *group,
                                   const rd_kafka_topic_partition_list_t *all,
                                   int timeout_ms, int64_t *committed)
{
    char what[512];
    snprintf(what, sizeof(what), "committed offsets of group \"%s\"", group);
    for (int i = 0; i < all->cnt; i++)
        committed[i] = -1;
    if (!all->cnt)
        return NULL;
    rd_kafka_queue_t *q = rd_kafka_queue_new(l->rk);
    rd_kafka_AdminOptions_t *o = admin_options(
        l, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_ms);
    rd_kafka_ListConsumerGroupOffsets_t *req =
        rd_kafka_ListConsumerGroupOffsets_new(group, all);
    if (!q || !o || !req) {
        if (q)
            rd_kafka_queue_destroy(q);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_ListConsumerGroupOffsets_destroy(req);
        return ls_error_new(LS_ERR_NOMEM, "out of memory");
    }
    rd_kafka_ListConsumerGroupOffsets(l->rk, &req, 1, o, q);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev;
    ls_error_t *err =
        admin_wait(l, q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
                   timeout_ms, what, &ev);
    if (!err) {
        size_t ng = 0;
        const rd_kafka_group_result_t **gr =
            rd_kafka_ListConsumerGroupOffsets_result_groups(
                rd_kafka_event_ListConsumerGroupOffsets_result(ev), &ng);
        const rd_kafka_error_t *ge = ng ? rd_kafka_group_result_error(gr[0])
                                        : NULL;
        const rd_kafka_topic_partition_list_t *res =
            ng ? rd_kafka_group_result_partitions(gr[0]) : NULL;
        if (ge) {
            err = ls_error_prefix(kafka_error(l, rd_kafka_error_code(ge),
                                              what),
                                  "%s", rd_kafka_error_string(ge));
        } else if (!res) {
            err = ls_error_new(LS_ERR_KAFKA, "%s: no answer", what);
        } else {
            rd_kafka_topic_partition_list_t *sorted =
                rd_kafka_topic_partition_list_copy(res);
            if (sorted->cnt > 1)
                qsort(sorted->elems, (size_t)sorted->cnt,
                      sizeof(*sorted->elems), cmp_part);
            /* Both lists are sorted the same way: walk them together. */
            int j = 0;
            for (int i = 0; i < sorted->cnt && !err; i++) {
                const rd_kafka_topic_partition_t *p = &sorted->elems[i];
                while (j < all->cnt && cmp_part(&all->elems[j], p) < 0)
                    j++;
                if (p->err) {
                    char where[600];
                    snprintf(where, sizeof(where), "%s: %s [%d]", what,
                             p->topic, (int)p->partition);
                    err = kafka_error(l, p->err, where);
                } else if (j < all->cnt && !cmp_part(&all->elems[j], p)) {
                    committed[j] = p->offset >= 0 ? p->offset : -1;
                }
            }
            rd_kafka_topic_partition_list_destroy(sorted);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return err;
}

/* Offsets at time ts (-1: log end, -2: log start) of the partitions of
 * all with need[i] set, into off[i]. */
static ls_error_t *fetch_offsets(ls_lag_t *l,
                                 const rd_kafka_topic_partition_list_t *all,
                                 const char *need, int64_t ts, int timeout_ms,
                                 int64_t *off)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(64);
    for (int i = 0; i < all->cnt; i++)
        if (need[i])
            rd_kafka_topic_partition_list_add(q, all->elems[i].topic,
                                              all->elems[i].partition)
                ->offset = ts;
    ls_error_t *err = NULL;
    const char *what = ts == RD_KAFKA_OFFSET_END ? "log end offsets"
                                                 : "log start offsets";
    if (q->cnt) {
        rd_kafka_resp_err_t re = rd_kafka_offsets_for_times(l->rk, q,
                                                            timeout_ms);
        if (re)
            err = kafka_error(l, re, what);
        /* Back in the order of all, whatever librdkafka did to q. */
        if (q->cnt > 1)
            qsort(q->elems, (size_t)q->cnt, sizeof(*q->elems), cmp_part);
    }
    for (int i = 0, j = 0; i < all->cnt && !err; i++) {
        if (!need[i])
            continue;
        const rd_kafka_topic_partition_t *p = &q->elems[j++];
        if (p->err) {
            char where[300];
            snprintf(where, sizeof(where), "%s: %s [%d]", what, p->topic,
                     (int)p->partition);
            err = kafka_error(l, p->err, where);
        } else {
            off[i] = p->offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(q);
    return err;
}

ls_error_t *ls_lag_query(ls_lag_t *l, const char *const *groups,
                         size_t ngroups, const char *const *topics,
                         size_t ntopics, int timeout_ms,
                         ls_lag_partition_cb_t *cb, void *opaque)
{
    if (!l || !cb || timeout_ms < 0 || (ngroups && !groups) ||
        (ntopics && !topics))
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_lag_query: handle, callback, the group and "
                            "topic arrays and a timeout >= 0 are required");
    for (size_t i = 0; i < ngroups; i++)
        if (!groups[i] || !*groups[i])
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid group name \"%s\": expected a "
                                "non-empty string",
                                groups[i] ? groups[i] : "(null)");
    for (size_t i = 0; i < ntopics; i++)
        if (!topics[i] || !ls__topic_name_valid(topics[i]))
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "invalid topic name \"%s\": expected 1 to 249 "
                                "characters of a-z A-Z 0-9 . _ -",
                                topics[i] ? topics[i] : "(null)");

    names_t listed = {NULL, 0, 0};
    ls_error_t *err = NULL;
    if (!ngroups) {
        if ((err = list_groups(l, timeout_ms, &listed)))
            return err;
        groups = (const char *const *)listed.v;
        ngroups = listed.n;
    }
    rd_kafka_topic_partition_list_t *all = NULL;
    int64_t *committed = NULL, *end = NULL, *start = NULL;
    char *need_end = NULL, *need_start = NULL;
    size_t n = 0;
    if (!ngroups || (err = candidates(l, topics, ntopics, timeout_ms, &all)))
        goto done;
    n = (size_t)all->cnt;
    committed = malloc((ngroups * n + 1) * sizeof(*committed));
    end = malloc((n + 1) * sizeof(*end));
    start = malloc((n + 1) * sizeof(*start));
    need_end = calloc(n + 1, 1);
    need_start = calloc(n + 1, 1);
    if (!committed || !end || !start || !need_end || !need_start) {
        err = ls_error_new(LS_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* Every group's committed offsets first, then each partition's ends
     * once, whichever groups report it. */
    for (size_t g = 0; g < ngroups && !err; g++) {
        int64_t *c = committed + g * n;
        err = fetch_committed(l, groups[g], all, timeout_ms, c);
        /* Without topics: the topics the group committed in, each with
         * all its partitions (a topic's partitions are adjacent). */
        for (size_t i = 0, j; !err && !ntopics && i < n; i = j) {
            int any = 0;
            for (j = i; j < n && !strcmp(all->elems[j].topic,
                                         all->elems[i].topic); j++)
                any |= c[j] >= 0;
            for (size_t k = i; !any && k < j; k++)
                c[k] = NO_ROW;
        }
        for (size_t i = 0; !err && i < n; i++) {
            if (c[i] != NO_ROW)
                need_end[i] = 1;
            if (c[i] == -1)
                need_start[i] = 1;
        }
    }
    if (!err)
        err = fetch_offsets(l, all, need_end, RD_KAFKA_OFFSET_END, timeout_ms,
                            end);
    if (!err)
        err = fetch_offsets(l, all, need_start, RD_KAFKA_OFFSET_BEGINNING,
                            timeout_ms, start);
    for (size_t g = 0; g < ngroups && !err; g++) {
        const int64_t *c = committed + g * n;
        for (size_t i = 0; i < n; i++) {
            if (c[i] == NO_ROW)
                continue;
            int64_t lag = end[i] - (c[i] >= 0 ? c[i] : start[i]);
            cb(opaque, groups[g], all->elems[i].topic,
               all->elems[i].partition, c[i], end[i], lag > 0 ? lag : 0);
        }
    }
done:
    free(committed);
    free(end);
    free(start);
    free(need_end);
    free(need_start);
    if (all)
        rd_kafka_topic_partition_list_destroy(all);
    names_free(&listed);
    return err;
}
