/* libstream: the monitor's HTTP server (see monitor.h). */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf_int.h"
#include "libstream/monitor.h"
#include "listen_int.h"
#include "metrics_int.h"

/* The page, embedded at build time from lib/monitor_page.html. */
extern const char ls__monitor_page[];
extern const size_t ls__monitor_page_len;

#define MAX_REGISTRIES 16

struct ls_monitor_s {
    char *name;
    char *bind;
    int cfg_port, port;
    int64_t threshold_ms;
    ls_metrics_t *ms[MAX_REGISTRIES];
    size_t n;
    struct MHD_Daemon *d;
    int listen_fd;
    char url[128];
    /* sampler */
    pthread_t sampler;
    int sampler_running, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

int ls_monitor_enabled(const ls_conf_t *conf)
{
    return conf && ls__conf_int(conf, "monitor.port") >= 0;
}

ls_error_t *ls_monitor_new(ls_monitor_t **out, const char *name,
                           const ls_conf_t *conf)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_monitor_new: no handle");
    *out = NULL;
    int port = conf ? (int)ls__conf_int(conf, "monitor.port") : 0;
    if (port < 0)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "monitor.port is -1: the monitor is off");
    const char *bind = conf ? ls_conf_get(conf, "monitor.bind") : NULL;
    if (bind && *bind) {
        /* A configuration error now, before any pipeline starts. */
        struct addrinfo *ai = NULL;
        ls_error_t *err = ls__listen_resolve(
            bind, port, "monitor.bind (--http-bind)", &ai);
        if (err)
            return err;
        freeaddrinfo(ai);
    }
    ls_monitor_t *mon = calloc(1, sizeof(*mon));
    if (!mon)
        return ls_error_new(LS_ERR_NOMEM, "monitor: out of memory");
    mon->name = strdup(name && *name ? name : "libstream");
    mon->bind = strdup(bind && *bind ? bind : "127.0.0.1");
    if (!mon->name || !mon->bind) {
        ls_monitor_destroy(mon);
        return ls_error_new(LS_ERR_NOMEM, "monitor: out of memory");
    }
    mon->cfg_port = port;
    mon->threshold_ms =
        conf ? ls__conf_int(conf, "monitor.health.threshold.ms") : 30000;
    mon->listen_fd = -1;
    pthread_mutex_init(&mon->mu, NULL);
    pthread_cond_init(&mon->cv, NULL);
    *out = mon;
    return NULL;
}

ls_error_t *ls_monitor_add(ls_monitor_t *mon, ls_metrics_t *m)
{
    if (!mon || !m)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_monitor_add: no registry");
    if (mon->d)
        return ls_error_new(LS_ERR_STATE, "ls_monitor_add: already serving");
    if (mon->n == MAX_REGISTRIES)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_monitor_add: at most %d registries",
                            MAX_REGISTRIES);
    ls_metrics_set_health_threshold(m, mon->threshold_ms);
    mon->ms[mon->n++] = m;
    return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *type, char *body, size_t len,
                             int owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
                                  unsigned status, const char *text)
{
    return reply(conn, status, "text/plain; charset=utf-8", (char *)text,
                 strlen(text), 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    ls_monitor_t *mon = cls;
    (void)version;
    (void)upload_data;
    if (!*con_cls) { /* first call: headers only */
        *con_cls = mon;
        return MHD_YES;
    }
    if (*upload_data_size) { /* ignore any body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, "Allow", "GET, HEAD");
        enum MHD_Result ret =
            MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
                     (char *)ls__monitor_page, ls__monitor_page_len, 0);
    if (!strcmp(url, "/metrics")) {
        char *s = ls_metrics_prometheus(mon->ms, mon->n);
        if (!s)
            return reply_text(conn, 500, "out of memory\n");
        return reply(conn, MHD_HTTP_OK,
                     "text/plain; version=0.0.4; charset=utf-8", s, strlen(s),
                     1);
    }
    if (!strcmp(url, "/api/stats")) {
        cJSON *doc = ls__metrics_snapshot(mon->ms, mon->n, mon->name);
        char *s = doc ? cJSON_PrintUnformatted(doc) : NULL;
        cJSON_Delete(doc);
        if (!s)
            return reply_text(conn, 500, "out of memory\n");
        return reply(conn, MHD_HTTP_OK, "application/json", s, strlen(s), 1);
    }
    if (!strcmp(url, "/health")) {
        char reason[300];
        const char *status;
        int code = ls__metrics_health_many(mon->ms, mon->n, reason,
                                           sizeof(reason), &status);
        cJSON *o = cJSON_CreateObject();
        char *s = NULL;
        if (o) {
            cJSON_AddStringToObject(o, "status", status);
            cJSON_AddNumberToObject(o, "code", code);
            cJSON_AddStringToObject(o, "reason", reason);
            s = cJSON_PrintUnformatted(o);
            cJSON_Delete(o);
        }
        if (!s)
            return reply_text(conn, 500, "out of memory\n");
        return reply(conn, (unsigned)code, "application/json", s, strlen(s),
                     1);
    }
    return reply_text(conn, MHD_HTTP_NOT_FOUND,
                      "not found: try /, /metrics, /api/stats or /health\n");
}

static void *sampler_main(void *arg)
{
    ls_monitor_t *mon = arg;
    pthread_mutex_lock(&mon->mu);
    while (!mon->stop) {
        pthread_mutex_unlock(&mon->mu);
        for (size_t i = 0; i < mon->n; i++)
            ls_metrics_sample(mon->ms[i]);
        pthread_mutex_lock(&mon->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        while (!mon->stop &&
               pthread_cond_timedwait(&mon->cv, &mon->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&mon->mu);
    return NULL;
}

ls_error_t *ls_monitor_start(ls_monitor_t *mon)
{
    if (!mon)
        return ls_error_new(LS_ERR_INVALID_ARG, "ls_monitor_start: no monitor");
    if (mon->d)
        return ls_error_new(LS_ERR_STATE, "ls_monitor_start: already serving");
    int ipv6 = 0;
    ls_error_t *err = ls__listen_tcp(mon->bind, mon->cfg_port, "monitor.bind",
                                     &mon->listen_fd, &ipv6, &mon->port);
    if (err)
        return ls_error_prefix(err, "monitor: ");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    mon->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, mon,
                              MHD_OPTION_LISTEN_SOCKET,
                              (MHD_socket)mon->listen_fd,
                              MHD_OPTION_CONNECTION_LIMIT, 64u,
                              MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                              MHD_OPTION_END);
    if (!mon->d) {
        close(mon->listen_fd);
        mon->listen_fd = -1;
        mon->port = 0;
        return ls_error_new(LS_ERR_IO, "monitor: cannot start the HTTP "
                            "server on %s port %d", mon->bind, mon->cfg_port);
    }
    mon->listen_fd = -1; /* MHD's now: closed by MHD_stop_daemon */
    for (size_t i = 0; i < mon->n; i++)
        ls_metrics_sample(mon->ms[i]);
    if (pthread_create(&mon->sampler, NULL, sampler_main, mon) == 0)
        mon->sampler_running = 1;
    snprintf(mon->url, sizeof(mon->url), ipv6 ? "http://[%s]:%d/"
                                              : "http://%s:%d/",
             mon->bind, mon->port);
    return NULL;
}

int ls_monitor_port(const ls_monitor_t *mon)
{
    return mon && mon->d ? mon->port : 0;
}

const char *ls_monitor_url(const ls_monitor_t *mon)
{
    return mon ? mon->url : "";
}

void ls_monitor_destroy(ls_monitor_t *mon)
{
    if (!mon)
        return;
    if (mon->sampler_running) {
        pthread_mutex_lock(&mon->mu);
        mon->stop = 1;
        pthread_cond_signal(&mon->cv);
        pthread_mutex_unlock(&mon->mu);
        pthread_join(mon->sampler, NULL);
    }
    if (mon->d)
        MHD_stop_daemon(mon->d);
    if (mon->listen_fd >= 0)
        close(mon->listen_fd);
    pthread_mutex_destroy(&mon->mu);
    pthread_cond_destroy(&mon->cv);
    free(mon->name);
    free(mon->bind);
    free(mon);
}
