/* Fuzz target: ls-http's request bodies (lib/httpsrc.c parse_batch /
 * parse_event through ls__httpsrc_parse_body): a Flume JSONHandler array
 * [{"headers":{...},"body":"..."}], bodies as text and as base64
 * (X-Body-Encoding: base64).  Input: the raw POST body. */
#include "fuzz_util.h"

#include "httpsrc_int.h"
#include "libstream/producer.h"

typedef struct {
    size_t n;
    unsigned sum;
} seen_t;

/* Every event handed on: its bytes must all be readable. */
static void each(void *opaque, const ls_message_t *m)
{
    seen_t *s = opaque;
    FZ_CHECK(m->topic && !strcmp(m->topic, "fuzz"));
    FZ_CHECK(m->value != NULL);
    FZ_CHECK(m->key || m->key_len == 0);
    FZ_CHECK(m->headers || m->header_count == 0);
    s->sum += fz_touch(m->value, m->value_len);
    s->sum += fz_touch(m->key, m->key_len);
    for (size_t i = 0; i < m->header_count; i++) {
        FZ_CHECK(m->headers[i].name && m->headers[i].name[0]);
        s->sum += fz_touch(m->headers[i].name,
                           strlen(m->headers[i].name) + 1);
        s->sum += fz_touch(m->headers[i].value, m->headers[i].size);
    }
    s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ls_header_t statics[] = {
        {"source", "fuzz", 4},
        {"host", "", 0},
    };
    char why[1024];
    /* An exact-size copy: the parser must not read past len. */
    char *body = fz_dup(data, size);
    for (int base64 = 0; base64 <= 1; base64++) {
        for (int cfg = 0; cfg < 2; cfg++) {
            seen_t s = {0, 0};
            why[0] = '\0';
            int st = ls__httpsrc_parse_body(
                body, size, base64, "fuzz", cfg ? "id" : NULL,
                cfg ? statics : NULL, cfg ? 2 : 0,
                cfg ? 64 : 1000000, each, &s, why, sizeof(why));
            FZ_CHECK(st == 0 || st == 400 || st == 413 || st == 503);
            FZ_CHECK(st == 0 || why[0] != '\0');
            FZ_CHECK(strlen(why) < sizeof(why));
        }
    }
    free(body);
    return 0;
}
