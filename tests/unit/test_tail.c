/* Unit tests for the tail (lib/tail.c): the position file round trip, line
 * splitting (partial lines, long lines), the in-flight ring (only a
 * contiguous acknowledged prefix retires), and, against the embedded
 * broker, partial lines end to end, the committed position, and the
 * exactly-once reconciliation after an unclean stop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "libstream/broker.h"
#include "libstream/conf.h"
#include "libstream/tail.h"
#include "tail_int.h"

/* ---- helpers ---- */

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_tail.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown_dir(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void check_ok(ls_error_t *err)
{
    if (err)
        fail_msg("unexpected error: %s", ls_error_message(err));
}

static void append(const char *path, const char *s)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
    assert_int_equal(fclose(f), 0);
}

static void write_text(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(s, f);
    assert_int_equal(fclose(f), 0);
}

/* ---- position file ---- */

static void test_pos_roundtrip(void **state)
{
    (void)state;
    char path[128], tmp[140];
    path_in(path, sizeof(path), "pos.json");
    int64_t sf[3] = {17, -1, 123456789012LL};
    ls__tail_pos_entry_t e[2] = {
        {2049, 1234567, 4096, 0, 0xdeadbeefcafef00dULL, 64,
         (char *)"/var/log/app.log"},
        {2049, 18446744073709551557ULL, 9007199254740993LL, 3, 1, 5,
         (char *)"/tmp/we\"ird\\name\nwith newline"},
    };
    ls__tail_pos_t in = {(char *)"orders", 1, sf, 3, e, 2};
    check_ok(ls__tail_pos_write(path, &in));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1); /* renamed, not left behind */

    ls__tail_pos_t out;
    check_ok(ls__tail_pos_read(path, &out));
    assert_string_equal(out.topic, "orders");
    assert_int_equal(out.clean, 1);
    assert_int_equal(out.nparts, 3);
    assert_int_equal(out.scan_from[0], 17);
    assert_int_equal(out.scan_from[1], -1);
    assert_int_equal(out.scan_from[2], 123456789012LL);
    assert_int_equal(out.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(out.e[i].dev, e[i].dev);
        assert_true(out.e[i].ino == e[i].ino); /* beyond 2^53: exact */
        assert_true(out.e[i].pos == e[i].pos);
        assert_int_equal(out.e[i].epoch, e[i].epoch);
        assert_true(out.e[i].hash == e[i].hash);
        assert_int_equal(out.e[i].hashlen, e[i].hashlen);
        assert_string_equal(out.e[i].path, e[i].path);
    }
    ls__tail_pos_clear(&out);

    /* Rewriting replaces the whole file. */
    ls__tail_pos_t empty = {(char *)"t2", 0, NULL, 0, NULL, 0};
    check_ok(ls__tail_pos_write(path, &empty));
    check_ok(ls__tail_pos_read(path, &out));
    assert_string_equal(out.topic, "t2");
    assert_int_equal(out.n, 0);
    assert_int_equal(out.clean, 0);
    ls__tail_pos_clear(&out);
}

static void test_pos_taildir_and_errors(void **state)
{
    (void)state;
    char path[128];
    ls__tail_pos_t out;
    ls_error_t *err;

    /* A Flume TAILDIR position file. */
    path_in(path, sizeof(path), "taildir.json");
    write_text(path, "[{\"inode\":2496275,\"pos\":1253,\"file\":\"/var/log/"
                     "test1/example.log\"},{\"inode\":2496274,\"pos\":0,"
                     "\"file\":\"/var/log/test2/log.txt\"}]");
    check_ok(ls__tail_pos_read(path, &out));
    assert_null(out.topic);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.e[0].ino, 2496275);
    assert_int_equal(out.e[0].dev, 0);
    assert_int_equal(out.e[0].pos, 1253);
    assert_string_equal(out.e[1].path, "/var/log/test2/log.txt");
    ls__tail_pos_clear(&out);

    path_in(path, sizeof(path), "missing.json");
    err = ls__tail_pos_read(path, &out);
    assert_int_equal(ls_error_code(err), LS_ERR_NOT_FOUND);
    ls_error_destroy(err);

    path_in(path, sizeof(path), "garbage.json");
    write_text(path, "{\"files\": [ {\"inode\": 1, \"pos\": ");
    err = ls__tail_pos_read(path, &out);
    assert_int_equal(ls_error_code(err), LS_ERR_IO);
    assert_non_null(strstr(ls_error_message(err), "garbage.json"));
    ls_error_destroy(err);

    write_text(path, "{\"files\": [ {\"pos\": 3} ]}");
    err = ls__tail_pos_read(path, &out);
    assert_int_equal(ls_error_code(err), LS_ERR_IO);
    assert_non_null(strstr(ls_error_message(err), "inode"));
    ls_error_destroy(err);

    /* A directory that does not exist: the error names the temp file. */
    ls__tail_pos_t in = {(char *)"t", 0, NULL, 0, NULL, 0};
    path_in(path, sizeof(path), "no/such/dir/pos.json");
    err = ls__tail_pos_write(path, &in);
    assert_int_equal(ls_error_code(err), LS_ERR_IO);
    assert_non_null(strstr(ls_error_message(err), "pos.json.tmp"));
    ls_error_destroy(err);
}

/* ---- line splitting ---- */

typedef struct {
    char lines[16][32];
    size_t ends[16];
    size_t n, stop_after;
} lines_t;

static int collect(void *opaque, const char *line, size_t len, size_t end)
{
    lines_t *l = opaque;
    if (l->stop_after && l->n == l->stop_after)
        return 1;
    assert_true(l->n < 16 && len < 32);
    memcpy(l->lines[l->n], line, len);
    l->lines[l->n][len] = '\0';
    l->ends[l->n++] = end;
    return 0;
}

static void test_split_partial_lines(void **state)
{
    (void)state;
    lines_t l;
    const char *buf = "a\n\nbb\r\nccc";
    size_t n = strlen(buf);

    memset(&l, 0, sizeof(l));
    assert_int_equal(ls__tail_split(buf, n, 100, 0, collect, &l), 7);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.lines[0], "a");
    assert_string_equal(l.lines[1], ""); /* an empty line is a message */
    assert_string_equal(l.lines[2], "bb\r"); /* only '\n' is removed */
    assert_int_equal(l.ends[0], 2);
    assert_int_equal(l.ends[1], 3);
    assert_int_equal(l.ends[2], 7);

    /* The partial "ccc" waits; once its newline comes it is whole. */
    memset(&l, 0, sizeof(l));
    assert_int_equal(ls__tail_split("ccc", 3, 100, 0, collect, &l), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(ls__tail_split("cccdd\n", 6, 100, 0, collect, &l), 6);
    assert_string_equal(l.lines[0], "cccdd");

    /* flush: a finished file's last line goes out without newline. */
    memset(&l, 0, sizeof(l));
    assert_int_equal(ls__tail_split(buf, n, 100, 1, collect, &l), n);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.lines[3], "ccc");
    assert_int_equal(l.ends[3], n);

    /* The callback can stop: consumed ends before the refused line. */
    memset(&l, 0, sizeof(l));
    l.stop_after = 2;
    assert_int_equal(ls__tail_split(buf, n, 100, 0, collect, &l), 3);
}

static void test_split_long_lines(void **state)
{
    (void)state;
    lines_t l;

    /* Longer than line_max: pieces of line_max, then the rest. */
    memset(&l, 0, sizeof(l));
    assert_int_equal(ls__tail_split("abcdefg\nxy", 10, 3, 0, collect, &l), 8);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.lines[0], "abc");
    assert_string_equal(l.lines[1], "def");
    assert_string_equal(l.lines[2], "g");
    assert_int_equal(l.ends[0], 3);
    assert_int_equal(l.ends[1], 6);
    assert_int_equal(l.ends[2], 8);

    /* Exactly line_max plus its newline: one line, no empty extra. */
    memset(&l, 0, sizeof(l));
    assert_int_equal(ls__tail_split("abc\n", 4, 3, 0, collect, &l), 4);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.lines[0], "abc");

    /* line_max bytes without newline yet: it may still be a whole line. */
    memset(&l, 0, sizeof(l));
    assert_int_equal(ls__tail_split("abc", 3, 3, 0, collect, &l), 0);
    assert_int_equal(l.n, 0);
    /* One more byte, no newline: now it is too long, send a piece. */
    assert_int_equal(ls__tail_split("abcd", 4, 3, 0, collect, &l), 3);
    assert_string_equal(l.lines[0], "abc");
}

/* ---- in-flight ring ---- */

static void test_ring_contiguous_prefix(void **state)
{
    (void)state;
    ls__tail_ring_t r;
    memset(&r, 0, sizeof(r));
    uint64_t seq[8];
    for (int i = 0; i < 8; i++) {
        ls__tail_slot_t s = {NULL, (i + 1) * 10, -1, -1, 0, LS__SLOT_PENDING};
        assert_int_equal(ls__tail_ring_push(&r, &s, &seq[i]), 0);
        assert_int_equal(seq[i], (uint64_t)i);
    }
    ls__tail_slot_t out;
    /* Acks out of order: nothing retires until the oldest is acked. */
    ls__tail_ring_get(&r, seq[3])->state = LS__SLOT_ACKED;
    ls__tail_ring_get(&r, seq[1])->state = LS__SLOT_ACKED;
    assert_int_equal(ls__tail_ring_pop(&r, &out), 0);
    ls__tail_ring_get(&r, seq[0])->state = LS__SLOT_ACKED;
    assert_int_equal(ls__tail_ring_pop(&r, &out), 1);
    assert_int_equal(out.end, 10);
    assert_int_equal(ls__tail_ring_pop(&r, &out), 1);
    assert_int_equal(out.end, 20);
    assert_int_equal(ls__tail_ring_pop(&r, &out), 0); /* 2 still pending */
    /* A failed line retires too (the caller freezes its file). */
    ls__tail_ring_get(&r, seq[2])->state = LS__SLOT_FAILED;
    assert_int_equal(ls__tail_ring_pop(&r, &out), 1);
    assert_int_equal(out.state, LS__SLOT_FAILED);
    assert_int_equal(ls__tail_ring_pop(&r, &out), 1);
    assert_int_equal(out.end, 40);
    assert_null(ls__tail_ring_get(&r, seq[0])); /* retired */

    /* Growing while slots are pending keeps every sequence valid. */
    uint64_t s;
    for (int i = 0; i < 5000; i++) {
        ls__tail_slot_t sl = {NULL, 1000 + i, -1, -1, 0, LS__SLOT_PENDING};
        assert_int_equal(ls__tail_ring_push(&r, &sl, &s), 0);
    }
    assert_int_equal(ls__tail_ring_get(&r, seq[4])->end, 50);
    assert_int_equal(ls__tail_ring_get(&r, s)->end, 1000 + 4999);
    /* A send that failed is taken back. */
    ls__tail_ring_unpush(&r);
    assert_null(ls__tail_ring_get(&r, s));
    for (uint64_t q = r.head; q < r.next; q++)
        ls__tail_ring_get(&r, q)->state = LS__SLOT_ACKED;
    int n = 0;
    int64_t last = 0;
    while (ls__tail_ring_pop(&r, &out)) {
        assert_true(out.end > last); /* in send order */
        last = out.end;
        n++;
    }
    assert_int_equal(n, 4 + 4999); /* seq 4..7, then the 4999 kept */
    ls__tail_ring_free(&r);
}

/* ---- against the embedded broker ---- */

static ls_broker_t *start_broker(const char *topic)
{
    ls_broker_t *b = NULL;
    check_ok(ls_broker_new(&b, 1));
    check_ok(ls_broker_create_topic(b, topic, 2));
    return b;
}

static ls_tail_t *new_tail(ls_broker_t *b, const char *topic,
                           const char *posfile, ...)
{
    ls_conf_t *c = ls_conf_new();
    va_list ap;
    const char *k;
    check_ok(ls_conf_set(c, "bootstrap.servers", ls_broker_bootstraps(b)));
    check_ok(ls_conf_set(c, "tail.topic", topic));
    check_ok(ls_conf_set(c, "tail.poll.interval.ms", "20"));
    check_ok(ls_conf_set(c, "linger.ms", "1"));
    if (posfile)
        check_ok(ls_conf_set(c, "tail.position.file", posfile));
    va_start(ap, posfile);
    while ((k = va_arg(ap, const char *)))
        check_ok(ls_conf_set(c, k, va_arg(ap, const char *)));
    va_end(ap);
    ls_tail_t *t = NULL;
    check_ok(ls_tail_new(&t, c));
    return t;
}

static void poll_until_end(ls_tail_t *t)
{
    for (int i = 0; i < 500; i++) {
        check_ok(ls_tail_poll(t, 20, NULL));
        if (ls_tail_at_end(t))
            return;
    }
    fail_msg("the tail did not reach the end of its files");
}

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

/* Every value in topic (2 partitions), newline-joined, sorted by offset
 * within a partition; returns the count. */
static int consume_all(ls_broker_t *b, const char *topic, char *out,
                       size_t size)
{
    char errstr[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(c, quiet_log);
    rd_kafka_conf_set(c, "bootstrap.servers", ls_broker_bootstraps(b), errstr,
                      sizeof(errstr));
    rd_kafka_conf_set(c, "group.id", "test-tail-reader", errstr, sizeof(errstr));
    rd_kafka_conf_set(c, "enable.partition.eof", "true", errstr, sizeof(errstr));
    rd_kafka_conf_set(c, "enable.auto.commit", "false", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof(errstr));
    assert_non_null(rk);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    for (int p = 0; p < 2; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    int eof = 0, n = 0;
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < 200 && eof < 2; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eof++;
        } else if (!m->err) {
            len += (size_t)snprintf(out + len, size - len, "%.*s\n",
                                    (int)m->len, (const char *)m->payload);
            assert_true(len < size);
            n++;
        }
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(eof, 2);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n;
}

static void test_partial_line_end_to_end(void **state)
{
    (void)state;
    char log[128], pos[128], got[4096];
    uint64_t sent, delivered, failed;
    path_in(log, sizeof(log), "partial.log");
    path_in(pos, sizeof(pos), "partial.pos");
    write_text(log, "");
    ls_broker_t *b = start_broker("partial");
    ls_tail_t *t = new_tail(b, "partial", pos, (const char *)NULL);
    check_ok(ls_tail_add(t, log));
    poll_until_end(t);

    append(log, "abc");
    poll_until_end(t);
    ls_tail_counts(t, &sent, NULL, NULL, NULL, NULL);
    assert_int_equal(sent, 0); /* waits for its newline */

    append(log, "def\nxyz");
    poll_until_end(t);
    ls_tail_counts(t, &sent, &delivered, &failed, NULL, NULL);
    assert_int_equal(sent, 1);
    assert_int_equal(delivered, 1);
    assert_int_equal(failed, 0);
    check_ok(ls_tail_close(t, 5000));
    ls_tail_destroy(t);

    assert_int_equal(consume_all(b, "partial", got, sizeof(got)), 1);
    assert_string_equal(got, "abcdef\n");

    /* The position covers "abcdef\n" only: "xyz" is still to come. */
    ls__tail_pos_t p;
    check_ok(ls__tail_pos_read(pos, &p));
    assert_int_equal(p.n, 1);
    assert_int_equal(p.e[0].pos, 7);
    assert_int_equal(p.clean, 1);
    ls__tail_pos_clear(&p);

    /* A restart resumes there and completes the line. */
    append(log, "!\n");
    t = new_tail(b, "partial", pos, (const char *)NULL);
    check_ok(ls_tail_add(t, log));
    poll_until_end(t);
    check_ok(ls_tail_close(t, 5000));
    ls_tail_counts(t, &sent, &delivered, NULL, NULL, NULL);
    assert_int_equal(sent, 1);
    assert_int_equal(delivered, 1);
    ls_tail_destroy(t);
    assert_int_equal(consume_all(b, "partial", got, sizeof(got)), 2);
    assert_non_null(strstr(got, "xyz!\n"));
    ls_broker_destroy(b);
}

/* An unclean stop after lines were delivered but before the position was
 * written: the restart finds them in Kafka and does not send them again. */
static void test_reconcile_after_unclean_stop(void **state)
{
    (void)state;
    char log[128], pos[128], got[8192];
    uint64_t sent, delivered, skipped;
    path_in(log, sizeof(log), "recon.log");
    path_in(pos, sizeof(pos), "recon.pos");
    write_text(log, "");
    ls_broker_t *b = start_broker("recon");

    ls_tail_t *t = new_tail(b, "recon", pos, "tail.position.interval.ms",
                            "3600000", (const char *)NULL);
    check_ok(ls_tail_add(t, log));
    poll_until_end(t); /* the first position file: offset 0 */
    for (int i = 0; i < 50; i++) {
        char line[32];
        snprintf(line, sizeof(line), "line-%02d\n", i);
        append(log, line);
    }
    poll_until_end(t);
    ls_tail_counts(t, &sent, &delivered, NULL, NULL, NULL);
    assert_int_equal(sent, 50);
    assert_int_equal(delivered, 50);
    ls_tail_destroy(t); /* no close: the position file still says 0 */

    ls__tail_pos_t p;
    check_ok(ls__tail_pos_read(pos, &p));
    assert_int_equal(p.e[0].pos, 0);
    assert_int_equal(p.clean, 0);
    ls__tail_pos_clear(&p);

    append(log, "line-50\n");
    t = new_tail(b, "recon", pos, (const char *)NULL);
    check_ok(ls_tail_add(t, log));
    poll_until_end(t);
    check_ok(ls_tail_close(t, 5000));
    ls_tail_counts(t, &sent, &delivered, NULL, &skipped, NULL);
    assert_int_equal(skipped, 50);
    assert_int_equal(sent, 1);
    assert_int_equal(delivered, 1);
    ls_tail_destroy(t);

    assert_int_equal(consume_all(b, "recon", got, sizeof(got)), 51);
    check_ok(ls__tail_pos_read(pos, &p));
    assert_int_equal(p.e[0].pos, 51 * 8);
    assert_int_equal(p.clean, 1);
    ls__tail_pos_clear(&p);
    ls_broker_destroy(b);
}

/* Rename + create, and copytruncate, within one run. */
static void test_rotation(void **state)
{
    (void)state;
    char log[128], old[128], got[8192];
    uint64_t sent, delivered;
    path_in(log, sizeof(log), "rot.log");
    path_in(old, sizeof(old), "rot.log.1");
    write_text(log, "a1\na2\n");
    ls_broker_t *b = start_broker("rot");
    ls_tail_t *t = new_tail(b, "rot", NULL, "tail.from.start", "true",
                            "tail.idle.timeout.ms", "50", (const char *)NULL);
    check_ok(ls_tail_add(t, log));
    poll_until_end(t);

    assert_int_equal(rename(log, old), 0);
    append(old, "a3\n"); /* the writer still has the old file open */
    write_text(log, "b1\n");
    poll_until_end(t);
    /* copytruncate: the content is copied away, the file emptied and
     * written again, past the old offset before the tail looks. */
    assert_int_equal(truncate(log, 0), 0);
    append(log, "c1-longer-than-before\n");
    poll_until_end(t);
    check_ok(ls_tail_close(t, 5000));
    ls_tail_counts(t, &sent, &delivered, NULL, NULL, NULL);
    assert_int_equal(sent, 5);
    assert_int_equal(delivered, 5);
    ls_tail_destroy(t);
    assert_int_equal(consume_all(b, "rot", got, sizeof(got)), 5);
    for (const char *w = "a1 a2 a3 b1 c1-longer-than-before"; *w;) {
        char word[64];
        size_t n = strcspn(w, " ");
        snprintf(word, sizeof(word), "%.*s\n", (int)n, w);
        assert_non_null(strstr(got, word));
        w += n + (w[n] == ' ');
    }
    ls_broker_destroy(b);
}

static void test_new_errors(void **state)
{
    (void)state;
    ls_tail_t *t = (ls_tail_t *)1;
    ls_conf_t *c = ls_conf_new();
    ls_error_t *err = ls_tail_new(&t, c);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    assert_non_null(strstr(ls_error_message(err), "tail.topic"));
    assert_null(t);
    ls_error_destroy(err);

    /* The caller still owns conf after a failure. */
    check_ok(ls_conf_set(c, "tail.topic", "x"));
    check_ok(ls_conf_set(c, "enable.idempotence", "false"));
    err = ls_tail_new(&t, c);
    assert_int_equal(ls_error_code(err), LS_ERR_INVALID_ARG);
    assert_non_null(strstr(ls_error_message(err), "enable.idempotence"));
    ls_error_destroy(err);

    char pos[128];
    path_in(pos, sizeof(pos), "bad.pos");
    write_text(pos, "not json");
    check_ok(ls_conf_set(c, "enable.idempotence", "true"));
    check_ok(ls_conf_set(c, "tail.position.file", pos));
    err = ls_tail_new(&t, c);
    assert_int_equal(ls_error_code(err), LS_ERR_IO);
    ls_error_destroy(err);
    ls_conf_destroy(c);

    assert_int_equal(ls_error_code(err = ls_tail_poll(NULL, 0, NULL)),
                     LS_ERR_INVALID_ARG);
    ls_error_destroy(err);
    ls_tail_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pos_roundtrip),
        cmocka_unit_test(test_pos_taildir_and_errors),
        cmocka_unit_test(test_split_partial_lines),
        cmocka_unit_test(test_split_long_lines),
        cmocka_unit_test(test_ring_contiguous_prefix),
        cmocka_unit_test(test_partial_line_end_to_end),
        cmocka_unit_test(test_reconcile_after_unclean_stop),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_new_errors),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
