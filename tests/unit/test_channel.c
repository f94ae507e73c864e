/* libstream unit tests: the bounded batching channel.
 *
 * Events are real librdkafka messages made through the mock cluster (see
 * test_events.h).  Assertions run only on the main thread; helper threads
 * record what happened and the main thread checks it after joining.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libstream/channel.h"
#include "test_events.h"

/* ---- helpers ----------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static te_env_t *env_of(void **state) { return *state; }

/* n events with values "e0".."e<n-1>" and keys "k0".. (so small events
 * have 4 or 5 bytes: key + value). */
static void make(void **state, size_t n, ls_event_t **out)
{
    assert_int_equal(te_make_seq(env_of(state), "chan", 0, "e", n, out), 0);
}

/* n events of exactly key_len + value_len bytes. */
static void make_sized(void **state, size_t n, size_t key_len,
                       size_t value_len, ls_event_t **out)
{
    static char buf[4096];
    memset(buf, 'x', sizeof(buf));
    te_rec_t *recs = calloc(n, sizeof(*recs));
    assert_non_null(recs);
    for (size_t i = 0; i < n; i++) {
        recs[i].key = key_len ? buf : NULL;
        recs[i].key_len = key_len;
        recs[i].value = buf;
        recs[i].value_len = value_len;
    }
    assert_int_equal(te_make(env_of(state), "chan", 1, recs, n, out), 0);
    free(recs);
}

static ls_channel_t *new_channel(size_t max_events, size_t max_bytes)
{
    ls_channel_t *ch = NULL;
    ls_error_t *err = ls_channel_new(&ch, max_events, max_bytes);
    if (err)
        fail_msg("ls_channel_new: %s", ls_error_message(err));
    assert_non_null(ch);
    return ch;
}

static void put_ok(ls_channel_t *ch, ls_event_t *ev)
{
    ls_error_t *err = ls_channel_put(ch, ev, 0);
    if (err)
        fail_msg("ls_channel_put: %s", ls_error_message(err));
}

static void expect_err(ls_error_t *err, ls_err_t code)
{
    assert_non_null(err);
    assert_int_equal(ls_error_code(err), code);
    assert_true(strlen(ls_error_message(err)) > 0);
    ls_error_destroy(err);
}

static ls_txn_t *take(ls_channel_t *ch, size_t max_events, size_t max_bytes,
                      int64_t max_age_ms, int timeout_ms)
{
    ls_txn_t *txn = (ls_txn_t *)1;
    ls_error_t *err = ls_channel_take(ch, max_events, max_bytes, max_age_ms,
                                      timeout_ms, &txn);
    if (err)
        fail_msg("ls_channel_take: %s", ls_error_message(err));
    return txn;
}

static int setup(void **state)
{
    te_env_t *env = te_env_new();
    if (!env)
        return -1;
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    te_env_destroy(*state);
    return 0;
}

/* ---- a thread doing one put ------------------------------------------- */

typedef struct {
    ls_channel_t *ch;
    ls_event_t *ev;
    int timeout_ms;
    atomic_int done;
    ls_err_t code;
    int64_t elapsed_ms;
} put_job_t;

static void *put_thread(void *arg)
{
    put_job_t *j = arg;
    int64_t t0 = mono_ms();
    ls_error_t *err = ls_channel_put(j->ch, j->ev, j->timeout_ms);
    j->elapsed_ms = mono_ms() - t0;
    j->code = ls_error_code(err);
    ls_error_destroy(err);
    atomic_store(&j->done, 1);
    return NULL;
}

/* ---- a thread doing one take ------------------------------------------ */

typedef struct {
    ls_channel_t *ch;
    size_t max_events;
    int64_t max_age_ms;
    int timeout_ms;
    atomic_int done;
    ls_err_t code;
    ls_txn_t *txn;
    int64_t elapsed_ms;
} take_job_t;

static void *take_thread(void *arg)
{
    take_job_t *j = arg;
    int64_t t0 = mono_ms();
    ls_error_t *err = ls_channel_take(j->ch, j->max_events, 0, j->max_age_ms,
                                      j->timeout_ms, &j->txn);
    j->elapsed_ms = mono_ms() - t0;
    j->code = ls_error_code(err);
    ls_error_destroy(err);
    atomic_store(&j->done, 1);
    return NULL;
}

/* ---- tests ------------------------------------------------------------- */

static void test_new_invalid(void **state)
{
    (void)state;
    ls_channel_t *ch = (ls_channel_t *)1;
    expect_err(ls_channel_new(&ch, 0, 0), LS_ERR_INVALID_ARG);
    assert_null(ch);
    ls_channel_destroy(NULL);
    ch = new_channel(1, 0);
    ls_txn_t *txn = (ls_txn_t *)1;
    expect_err(ls_channel_take(ch, 0, 0, 0, 0, &txn), LS_ERR_INVALID_ARG);
    assert_null(txn);
    expect_err(ls_channel_put(ch, NULL, 0), LS_ERR_INVALID_ARG);
    ls_channel_destroy(ch);
}

static void test_capacity_events(void **state)
{
    ls_event_t *ev[4];
    make(state, 4, ev);
    ls_channel_t *ch = new_channel(3, 0);
    for (int i = 0; i < 3; i++) {
        assert_false(ls_channel_is_full(ch));
        put_ok(ch, ev[i]);
    }
    assert_int_equal(ls_channel_size(ch), 3);
    assert_true(ls_channel_is_full(ch));
    assert_int_equal(ls_channel_full_count(ch), 0);

    expect_err(ls_channel_put(ch, ev[3], 0), LS_ERR_FULL);
    assert_int_equal(ls_channel_full_count(ch), 1);
    /* The caller still owns ev[3]: it is usable and ours to free. */
    assert_string_equal(ls_event_topic(ev[3]), "chan");
    size_t len = 0;
    assert_memory_equal(ls_event_value(ev[3], &len), "e3", 2);

    /* A short wait fails after about its timeout. */
    int64_t t0 = mono_ms();
    expect_err(ls_channel_put(ch, ev[3], 100), LS_ERR_FULL);
    int64_t dt = mono_ms() - t0;
    assert_true(dt >= 95 && dt < 1500);
    assert_int_equal(ls_channel_full_count(ch), 2);
    assert_int_equal(ls_channel_size(ch), 3);

    /* Taken but uncommitted events still count. */
    ls_txn_t *txn = take(ch, 2, 0, 0, 0);
    assert_non_null(txn);
    assert_int_equal(ls_txn_count(txn), 2);
    assert_int_equal(ls_channel_size(ch), 3);
    assert_true(ls_channel_is_full(ch));
    expect_err(ls_channel_put(ch, ev[3], 0), LS_ERR_FULL);
    ls_txn_commit(txn);
    assert_int_equal(ls_channel_size(ch), 1);
    put_ok(ch, ev[3]);
    assert_int_equal(ls_channel_full_count(ch), 3);
    ls_channel_destroy(ch); /* frees ev[2], ev[3] */
}

static void test_capacity_bytes(void **state)
{
    ls_event_t *ev[4], *big[2];
    make_sized(state, 4, 1, 4, ev); /* 5 bytes each */
    make_sized(state, 2, 0, 20, big); /* 20 bytes each, no key */

    ls_channel_t *ch = new_channel(100, 10);
    put_ok(ch, ev[0]);
    assert_int_equal(ls_channel_bytes(ch), 5);
    assert_false(ls_channel_is_full(ch));
    put_ok(ch, ev[1]);
    assert_int_equal(ls_channel_bytes(ch), 10);
    assert_true(ls_channel_is_full(ch));
    expect_err(ls_channel_put(ch, ev[2], 0), LS_ERR_FULL);
    assert_int_equal(ls_channel_full_count(ch), 1);
    assert_int_equal(ls_channel_size(ch), 2);

    /* Bytes are released on commit only. */
    ls_txn_t *txn = take(ch, 1, 0, 0, 0);
    assert_non_null(txn);
    assert_int_equal(ls_channel_bytes(ch), 10);
    ls_txn_commit(txn);
    assert_int_equal(ls_channel_bytes(ch), 5);
    put_ok(ch, ev[2]);
    /* Too big to fit next to others... */
    expect_err(ls_channel_put(ch, big[0], 0), LS_ERR_FULL);
    ls_channel_destroy(ch);

    /* ...but an event larger than max_bytes enters an empty channel. */
    ch = new_channel(100, 10);
    put_ok(ch, big[0]);
    assert_int_equal(ls_channel_bytes(ch), 20);
    assert_true(ls_channel_is_full(ch));
    expect_err(ls_channel_put(ch, ev[3], 0), LS_ERR_FULL);
    txn = take(ch, 10, 0, 0, 0); /* full: taken without other trigger */
    assert_non_null(txn);
    assert_ptr_equal(ls_txn_event(txn, 0), big[0]);
    ls_txn_commit(txn);
    assert_int_equal(ls_channel_bytes(ch), 0);
    put_ok(ch, ev[3]);
    ls_channel_destroy(ch);
    ls_event_destroy(big[1]);
}

static void blocked_put_wakes(void **state, int timeout_ms)
{
    ls_event_t *ev[3];
    make(state, 3, ev);
    ls_channel_t *ch = new_channel(2, 0);
    put_ok(ch, ev[0]);
    put_ok(ch, ev[1]);

    put_job_t j = {.ch = ch, .ev = ev[2], .timeout_ms = timeout_ms};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, put_thread, &j), 0);
    sleep_ms(100);
    assert_false(atomic_load(&j.done));

    /* Taking does not make room, and neither does a rollback. */
    ls_txn_t *txn = take(ch, 2, 0, 0, 0);
    assert_non_null(txn);
    sleep_ms(50);
    assert_false(atomic_load(&j.done));
    ls_txn_rollback(txn);
    sleep_ms(50);
    assert_false(atomic_load(&j.done));

    /* Committing does. */
    txn = take(ch, 2, 0, 0, 0);
    assert_non_null(txn);
    assert_ptr_equal(ls_txn_event(txn, 0), ev[0]);
    ls_txn_commit(txn);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(j.code, LS_OK);
    assert_true(j.elapsed_ms >= 150);
    assert_int_equal(ls_channel_full_count(ch), 1);
    assert_int_equal(ls_channel_size(ch), 1);
    txn = take(ch, 5, 0, 0, 0);
    assert_null(txn); /* one event, no trigger reached at timeout 0 */
    ls_channel_destroy(ch);
}

static void test_blocked_put_forever(void **state)
{
    blocked_put_wakes(state, -1);
}

static void test_blocked_put_timeout(void **state)
{
    blocked_put_wakes(state, 2000);
}

static void test_rollback_order(void **state)
{
    ls_event_t *ev[6];
    make(state, 6, ev);
    ls_channel_t *ch = new_channel(10, 0);
    for (int i = 0; i < 5; i++)
        put_ok(ch, ev[i]);
    ls_txn_t *txn = take(ch, 3, 0, 0, 0);
    assert_non_null(txn);
    assert_int_equal(ls_txn_count(txn), 3);
    for (size_t i = 0; i < 3; i++)
        assert_ptr_equal(ls_txn_event(txn, i), ev[i]);
    assert_null(ls_txn_event(txn, 3));
    put_ok(ch, ev[5]); /* newer than the batch */
    ls_txn_rollback(txn);
    assert_int_equal(ls_channel_size(ch), 6);

    txn = take(ch, 10, 0, 0, 100); /* no count trigger: age/timeout */
    assert_null(txn);
    txn = take(ch, 6, 0, 0, 0);
    assert_non_null(txn);
    assert_int_equal(ls_txn_count(txn), 6);
    for (size_t i = 0; i < 6; i++)
        assert_ptr_equal(ls_txn_event(txn, i), ev[i]);
    /* Roll back twice in a row: still the same order. */
    ls_txn_rollback(txn);
    txn = take(ch, 4, 0, 0, 0);
    for (size_t i = 0; i < 4; i++)
        assert_ptr_equal(ls_txn_event(txn, i), ev[i]);
    ls_txn_commit(txn);
    txn = take(ch, 2, 0, 0, 0);
    assert_ptr_equal(ls_txn_event(txn, 0), ev[4]);
    assert_ptr_equal(ls_txn_event(txn, 1), ev[5]);
    ls_txn_commit(txn);
    assert_int_equal(ls_channel_size(ch), 0);
    assert_int_equal(ls_channel_bytes(ch), 0);
    ls_channel_destroy(ch);
}

static void test_trigger_count(void **state)
{
    ls_event_t *ev[3];
    make(state, 3, ev);
    ls_channel_t *ch = new_channel(10, 0);
    put_ok(ch, ev[0]);
    put_ok(ch, ev[1]);
    assert_null(take(ch, 3, 0, 0, 0));
    int64_t t0 = mono_ms();
    assert_null(take(ch, 3, 0, 0, 80));
    int64_t dt = mono_ms() - t0;
    assert_true(dt >= 75 && dt < 1500);

    /* A waiting take wakes when a put reaches the count. */
    take_job_t j = {.ch = ch, .max_events = 3, .timeout_ms = -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, take_thread, &j), 0);
    sleep_ms(100);
    assert_false(atomic_load(&j.done));
    put_ok(ch, ev[2]);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(j.code, LS_OK);
    assert_non_null(j.txn);
    assert_int_equal(ls_txn_count(j.txn), 3);
    ls_txn_commit(j.txn);
    ls_channel_destroy(ch);
}

static void test_trigger_bytes(void **state)
{
    ls_event_t *ev[3];
    make_sized(state, 3, 1, 4, ev); /* 5 bytes each */
    ls_channel_t *ch = new_channel(10, 0);
    put_ok(ch, ev[0]);
    assert_null(take(ch, 100, 10, 0, 0));
    put_ok(ch, ev[1]);
    ls_txn_t *txn = take(ch, 100, 10, 0, 0);
    assert_non_null(txn);
    assert_int_equal(ls_txn_count(txn), 2);
    ls_txn_commit(txn);
    /* A batch is limited to max_events. */
    put_ok(ch, ev[2]);
    txn = take(ch, 1, 100, 0, 0);
    assert_int_equal(ls_txn_count(txn), 1);
    ls_txn_commit(txn);
    ls_channel_destroy(ch);
}

static void test_trigger_age(void **state)
{
    ls_event_t *ev[2];
    make(state, 2, ev);
    ls_channel_t *ch = new_channel(10, 0);

    /* Nothing in the channel: no age trigger, just the timeout. */
    assert_null(take(ch, 100, 0, 100, 50));

    int64_t t0 = mono_ms();
    put_ok(ch, ev[0]);
    /* Not before 100 ms... */
    assert_null(take(ch, 100, 0, 100, 50));
    ls_txn_t *txn = take(ch, 100, 0, 100, 2000);
    int64_t dt = mono_ms() - t0;
    /* ...but soon after. */
    assert_non_null(txn);
    assert_int_equal(ls_txn_count(txn), 1);
    assert_true(dt >= 100);
    assert_true(dt < 1000);
    /* A rolled-back event keeps its age. */
    ls_txn_rollback(txn);
    txn = take(ch, 100, 0, 100, 0);
    assert_non_null(txn);
    ls_txn_commit(txn);

    /* A take waiting forever wakes for the first event's age. */
    take_job_t j = {.ch = ch, .max_events = 100, .max_age_ms = 100,
                    .timeout_ms = -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, take_thread, &j), 0);
    sleep_ms(50);
    t0 = mono_ms();
    put_ok(ch, ev[1]);
    assert_int_equal(pthread_join(th, NULL), 0);
    dt = mono_ms() - t0;
    assert_int_equal(j.code, LS_OK);
    assert_non_null(j.txn);
    assert_true(dt >= 100 && dt < 1000);
    ls_txn_commit(j.txn);
    ls_channel_destroy(ch);
}

static void test_one_txn(void **state)
{
    ls_event_t *ev[2];
    make(state, 2, ev);
    ls_channel_t *ch = new_channel(10, 0);
    put_ok(ch, ev[0]);
    put_ok(ch, ev[1]);
    ls_txn_t *txn = take(ch, 1, 0, 0, 0);
    assert_non_null(txn);
    ls_txn_t *other = (ls_txn_t *)1;
    expect_err(ls_channel_take(ch, 1, 0, 0, 0, &other), LS_ERR_STATE);
    assert_null(other);
    ls_txn_rollback(txn);
    txn = take(ch, 2, 0, 0, 0);
    assert_int_equal(ls_txn_count(txn), 2);
    ls_txn_commit(txn);
    ls_channel_destroy(ch);
}

static void test_close(void **state)
{
    ls_event_t *ev[5];
    make(state, 5, ev);
    ls_channel_t *ch = new_channel(3, 0);

    /* Close wakes a waiting take, which then finds nothing. */
    take_job_t tj = {.ch = ch, .max_events = 10, .timeout_ms = -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, take_thread, &tj), 0);
    sleep_ms(50);
    put_ok(ch, ev[0]);
    put_ok(ch, ev[1]);
    put_ok(ch, ev[2]);
    assert_int_equal(pthread_join(th, NULL), 0);
    /* The channel filled up: taken though below max_events. */
    assert_int_equal(tj.code, LS_OK);
    assert_int_equal(ls_txn_count(tj.txn), 3);
    ls_txn_rollback(tj.txn);

    /* Close wakes a blocked put, which keeps its event. */
    put_job_t pj = {.ch = ch, .ev = ev[3], .timeout_ms = -1};
    assert_int_equal(pthread_create(&th, NULL, put_thread, &pj), 0);
    sleep_ms(50);
    assert_false(atomic_load(&pj.done));
    ls_channel_close(ch);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(pj.code, LS_ERR_STATE);
    expect_err(ls_channel_put(ch, ev[4], 0), LS_ERR_STATE);
    expect_err(ls_channel_put(ch, ev[4], -1), LS_ERR_STATE);

    /* Takes drain what is left, at once, then return nothing. */
    ls_txn_t *txn = take(ch, 2, 0, 0, -1);
    assert_non_null(txn);
    assert_ptr_equal(ls_txn_event(txn, 0), ev[0]);
    assert_ptr_equal(ls_txn_event(txn, 1), ev[1]);
    ls_txn_commit(txn);
    txn = take(ch, 2, 0, 0, -1);
    assert_non_null(txn);
    assert_int_equal(ls_txn_count(txn), 1);
    assert_ptr_equal(ls_txn_event(txn, 0), ev[2]);
    ls_txn_commit(txn);
    int64_t t0 = mono_ms();
    assert_null(take(ch, 2, 0, 0, -1));
    assert_null(take(ch, 2, 0, 0, 5000));
    assert_true(mono_ms() - t0 < 1000);
    assert_int_equal(ls_channel_size(ch), 0);
    ls_channel_close(ch); /* twice is fine */
    ls_channel_destroy(ch);
    ls_event_destroy(ev[3]);
    ls_event_destroy(ev[4]);
}

static void test_full_count(void **state)
{
    ls_event_t *ev[2];
    make(state, 2, ev);
    ls_channel_t *ch = new_channel(1, 0);
    put_ok(ch, ev[0]);
    for (int i = 1; i <= 5; i++) {
        expect_err(ls_channel_put(ch, ev[1], 0), LS_ERR_FULL);
        assert_int_equal(ls_channel_full_count(ch), (uint64_t)i);
    }
    ls_channel_destroy(ch);
    ls_event_destroy(ev[1]);
}

static void test_destroy_frees(void **state)
{
    ls_event_t *ev[8];
    make(state, 8, ev);
    ls_channel_t *ch = new_channel(8, 0);
    for (int i = 0; i < 8; i++)
        put_ok(ch, ev[i]);
    /* Wrap the ring so the events left are not at slot 0. */
    ls_txn_t *txn = take(ch, 5, 0, 0, 0);
    ls_txn_commit(txn);
    ls_channel_destroy(ch); /* valgrind: the 3 left are freed */
}

/* ---- multi-producer stress -------------------------------------------- */

#define NPROD 4
#define PER_PROD 10000
#define STRESS_CAP 100

typedef struct {
    ls_channel_t *ch;
    ls_event_t **evs;
    int failures;
} prod_job_t;

static void *producer(void *arg)
{
    prod_job_t *j = arg;
    for (size_t i = 0; i < PER_PROD; i++) {
        /* Alternate blocking forever and bounded waits (retried). */
        int timeout = (i % 2) ? -1 : 5;
        for (;;) {
            ls_error_t *err = ls_channel_put(j->ch, j->evs[i], timeout);
            if (!err)
                break;
            if (ls_error_code(err) != LS_ERR_FULL)
                j->failures++;
            ls_error_destroy(err);
            if (j->failures)
                return NULL;
        }
    }
    return NULL;
}

/* "P<p>:<seq>" from an event's value. */
static int parse_value(const ls_event_t *ev, int *p, long *seq)
{
    size_t len = 0;
    const char *v = ls_event_value(ev, &len);
    char text[32];
    if (!v || len == 0 || len >= sizeof(text))
        return -1;
    memcpy(text, v, len);
    text[len] = '\0';
    return sscanf(text, "P%d:%ld", p, seq) == 2 ? 0 : -1;
}

static void test_stress(void **state)
{
    ls_event_t **evs = calloc(NPROD * PER_PROD, sizeof(*evs));
    assert_non_null(evs);
    for (int p = 0; p < NPROD; p++) {
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "P%d:", p);
        assert_int_equal(te_make_seq(env_of(state), "stress", p, prefix,
                                     PER_PROD, evs + p * PER_PROD),
                         0);
    }
    ls_channel_t *ch = new_channel(STRESS_CAP, 0);
    prod_job_t jobs[NPROD];
    pthread_t th[NPROD];
    for (int p = 0; p < NPROD; p++) {
        jobs[p] = (prod_job_t){ch, evs + p * PER_PROD, 0};
        assert_int_equal(pthread_create(&th[p], NULL, producer, &jobs[p]), 0);
    }

    long next[NPROD] = {0};
    size_t delivered = 0, rollbacks = 0, max_seen = 0;
    int bad = 0;
    unsigned seed = 12345;
    int64_t give_up = mono_ms() + 300000;
    while (delivered < (size_t)NPROD * PER_PROD && !bad &&
           mono_ms() < give_up) {
        ls_txn_t *txn = take(ch, 1 + (size_t)(rand_r(&seed) % 64), 0, 2,
                             1000);
        if (!txn)
            continue;
        size_t sz = ls_channel_size(ch);
        if (sz > max_seen)
            max_seen = sz;
        /* Check the batch against a copy; apply it on commit only. */
        long want[NPROD];
        memcpy(want, next, sizeof(want));
        for (size_t i = 0; i < ls_txn_count(txn); i++) {
            int p;
            long seq;
            if (parse_value(ls_txn_event(txn, i), &p, &seq) || p < 0 ||
                p >= NPROD || seq != want[p]) {
                bad = 1;
                break;
            }
            want[p]++;
        }
        if (!bad && rand_r(&seed) % 8 == 0) {
            ls_txn_rollback(txn);
            rollbacks++;
            continue;
        }
        delivered += ls_txn_count(txn);
        memcpy(next, want, sizeof(next));
        ls_txn_commit(txn);
    }
    if (bad) /* unblock producers before failing */
        ls_channel_close(ch);
    for (int p = 0; p < NPROD; p++)
        assert_int_equal(pthread_join(th[p], NULL), 0);
    assert_false(bad);
    for (int p = 0; p < NPROD; p++) {
        assert_int_equal(jobs[p].failures, 0);
        assert_int_equal(next[p], PER_PROD);
    }
    assert_int_equal(delivered, (size_t)NPROD * PER_PROD);
    assert_true(rollbacks > 0);
    assert_true(max_seen <= STRESS_CAP);
    assert_true(ls_channel_full_count(ch) > 0);
    assert_int_equal(ls_channel_size(ch), 0);
    assert_int_equal(ls_channel_bytes(ch), 0);
    ls_channel_close(ch);
    assert_null(take(ch, 10, 0, 0, -1));
    ls_channel_destroy(ch);
    free(evs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_invalid),
        cmocka_unit_test(test_capacity_events),
        cmocka_unit_test(test_capacity_bytes),
        cmocka_unit_test(test_blocked_put_forever),
        cmocka_unit_test(test_blocked_put_timeout),
        cmocka_unit_test(test_rollback_order),
        cmocka_unit_test(test_trigger_count),
        cmocka_unit_test(test_trigger_bytes),
        cmocka_unit_test(test_trigger_age),
        cmocka_unit_test(test_one_txn),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_full_count),
        cmocka_unit_test(test_destroy_frees),
        cmocka_unit_test(test_stress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
