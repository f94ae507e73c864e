/* libstream: events are librdkafka messages seen through accessors, so a
 * consumed record is never copied. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <librdkafka/rdkafka.h>

#include "event_int.h"
#include "json_int.h"

const char *ls_event_topic(const ls_event_t *ev)
{
    return rd_kafka_topic_name(EV(ev)->rkt);
}

int32_t ls_event_partition(const ls_event_t *ev) { return EV(ev)->partition; }

int64_t ls_event_offset(const ls_event_t *ev) { return EV(ev)->offset; }

int64_t ls_event_timestamp(const ls_event_t *ev)
{
    rd_kafka_timestamp_type_t tt;
    return rd_kafka_message_timestamp(EV(ev), &tt);
}

const void *ls_event_key(const ls_event_t *ev, size_t *len)
{
    if (len)
        *len = EV(ev)->key ? EV(ev)->key_len : 0;
    return EV(ev)->key;
}

const void *ls_event_value(const ls_event_t *ev, size_t *len)
{
    if (len)
        *len = EV(ev)->payload ? EV(ev)->len : 0;
    return EV(ev)->payload;
}

static rd_kafka_headers_t *hdrs(const ls_event_t *ev)
{
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(EV(ev), &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return NULL;
    return h;
}

size_t ls_event_header_count(const ls_event_t *ev)
{
    rd_kafka_headers_t *h = hdrs(ev);
    return h ? rd_kafka_header_cnt(h) : 0;
}

int ls_event_header_get(const ls_event_t *ev, size_t idx, const char **name,
                        const void **value, size_t *size)
{
    rd_kafka_headers_t *h = hdrs(ev);
    const char *n;
    const void *v;
    size_t sz;
    if (!h || rd_kafka_header_get_all(h, idx, &n, &v, &sz))
        return -1;
    if (name)
        *name = n;
    if (value)
        *value = v;
    if (size)
        *size = sz;
    return 0;
}

int ls_event_header_find(const ls_event_t *ev, const char *name,
                         const void **value, size_t *size)
{
    rd_kafka_headers_t *h = hdrs(ev);
    const void *v;
    size_t sz;
    if (!h || rd_kafka_header_get_last(h, name, &v, &sz))
        return -1;
    if (value)
        *value = v;
    if (size)
        *size = sz;
    return 0;
}

void ls_event_destroy(ls_event_t *ev)
{
    if (ev)
        rd_kafka_message_destroy(EV(ev));
}

ls_error_t *ls__kafka_error(rd_kafka_resp_err_t code, const char *fmt, ...)
{
    char ctx[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof(ctx), fmt, ap);
    va_end(ap);
    ls_error_t *e = ls_error_new(LS_ERR_KAFKA, "%s: %s", ctx,
                                 rd_kafka_err2str(code));
    return ls_error_set_kafka_code(e, code);
}

/* "name":"utf8" or "name_b64":"base64", or "name":null. */
static void json_bytes(ls__jw_t *w, const char *name, const void *p, size_t n,
                       int first)
{
    if (!first)
        ls__jw_raw(w, ",", 1);
    ls__jw_raw(w, "\"", 1);
    /* A header name may hold any bytes and has no _b64 form: bytes that
     * are not UTF-8 become U+FFFD, so that the envelope stays JSON. */
    size_t nl = strlen(name);
    for (size_t i = 0; i < nl;) {
        size_t j = i;
        while (j < nl && (unsigned char)name[j] < 0x80)
            j++;
        ls__jw_escaped(w, name + i, j - i);
        if (j == nl)
            break;
        unsigned char c = (unsigned char)name[j];
        size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (k > 1 && j + k <= nl && ls__utf8_valid(name + j, k)) {
            ls__jw_raw(w, name + j, k);
            j += k;
        } else {
            ls__jw_str(w, "\\ufffd");
            j++;
        }
        i = j;
    }
    if (!p) {
        ls__jw_str(w, "\":null");
    } else if (ls__utf8_valid(p, n)) {
        ls__jw_str(w, "\":");
        ls__jw_json_string(w, p, n);
    } else {
        ls__jw_str(w, "_b64\":");
        ls__jw_base64(w, p, n);
    }
}

size_t ls_event_to_json(const ls_event_t *ev, char *buf, size_t size)
{
    ls__jw_t w = {buf, size, 0};
    char num[96];
    const char *topic = ls_event_topic(ev);
    ls__jw_str(&w, "{\"topic\":");
    ls__jw_json_string(&w, topic, strlen(topic));
    int n = snprintf(num, sizeof(num),
                     ",\"partition\":%d,\"offset\":%lld,\"timestamp\":%lld",
                     (int)ls_event_partition(ev),
                     (long long)ls_event_offset(ev),
                     (long long)ls_event_timestamp(ev));
    ls__jw_raw(&w, num, (size_t)n);
    size_t len;
    const void *p = ls_event_key(ev, &len);
    json_bytes(&w, "key", p, len, 0);
    ls__jw_str(&w, ",\"headers\":{");
    size_t hc = ls_event_header_count(ev);
    for (size_t i = 0; i < hc; i++) {
        const char *name;
        ls_event_header_get(ev, i, &name, &p, &len);
        json_bytes(&w, name, p, len, i == 0);
    }
    ls__jw_raw(&w, "}", 1);
    p = ls_event_value(ev, &len);
    json_bytes(&w, "value", p, len, 0);
    ls__jw_raw(&w, "}", 1);
    return ls__jw_finish(&w);
}

int ls__topic_name_valid(const char *t)
{
    size_t n = 0;
    for (; t[n]; n++) {
        char ch = t[n];
        if (n == 249 || !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
                          ch == '-'))
            return 0;
    }
    return n > 0 && strcmp(t, ".") && strcmp(t, "..");
}
