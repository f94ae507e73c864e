/* libstream: a bounded, thread-safe batching channel (see channel.h).
 *
 * Events live in one ring buffer of max_events slots, allocated at
 * ls_channel_new(); nothing is allocated per put.  The open transaction is
 * not a copy: it is the first txn_n slots from the head of the ring.  So a
 * commit frees those events and advances the head, and a rollback only
 * forgets the transaction, which leaves its events at the head in their
 * order.  Producers write at head + count, which never reaches the
 * transaction's slots because they count against capacity.
 *
 * Each slot remembers its event's bytes and its put time (CLOCK_MONOTONIC)
 * for the age trigger; a rolled-back event keeps its original put time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "libstream/channel.h"

typedef struct {
    ls_event_t *ev;
    size_t bytes;
    int64_t put_ns; /* CLOCK_MONOTONIC at put */
} slot_t;

struct ls_txn_s {
    ls_channel_t *ch;
    size_t n;     /* events in the transaction (0: none open) */
    size_t bytes; /* their bytes */
    int open;
};

struct ls_channel_s {
    pthread_mutex_t mu;
    pthread_cond_t not_full;  /* producers wait here */
    pthread_cond_t not_empty; /* the taker waits here */
    size_t max_events, max_bytes;
    slot_t *ring; /* max_events slots */
    size_t head;  /* first slot (of the transaction, if one is open) */
    size_t count; /* events in the ring, transaction included */
    size_t bytes; /* their bytes */
    uint64_t full_count;
    int closed;
    /* what a waiting taker needs, so puts wake it only when useful */
    int taker_waiting;
    size_t want_events, want_bytes;
    ls_txn_t txn;
};

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static struct timespec to_timespec(int64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / NS_PER_S);
    ts.tv_nsec = (long)(ns % NS_PER_S);
    return ts;
}

/* Wait on cv until deadline_ns (-1: forever).  Returns 0 when woken (maybe
 * spuriously), ETIMEDOUT when the deadline passed. */
static int wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
                      int64_t deadline_ns)
{
    if (deadline_ns < 0)
        return pthread_cond_wait(cv, mu);
    struct timespec ts = to_timespec(deadline_ns);
    return pthread_cond_timedwait(cv, mu, &ts);
}

static size_t event_bytes(const ls_event_t *ev)
{
    size_t klen = 0, vlen = 0;
    ls_event_key(ev, &klen);
    ls_event_value(ev, &vlen);
    return klen + vlen;
}

static slot_t *slot_at(const ls_channel_t *ch, size_t i)
{
    return &ch->ring[(ch->head + i) % ch->max_events];
}

/* Full: a put of any event would have to wait. */
static int is_full_locked(const ls_channel_t *ch)
{
    return ch->count >= ch->max_events ||
           (ch->max_bytes && ch->bytes >= ch->max_bytes);
}

/* Room for an event of b bytes.  Anything fits into an empty channel. */
static int has_room(const ls_channel_t *ch, size_t b)
{
    if (ch->count == 0)
        return 1;
    if (ch->count >= ch->max_events)
        return 0;
    return !ch->max_bytes ||
           (ch->bytes <= ch->max_bytes && b <= ch->max_bytes - ch->bytes);
}

static void lock(const ls_channel_t *ch)
{
    pthread_mutex_lock((pthread_mutex_t *)&ch->mu);
}

static void unlock(const ls_channel_t *ch)
{
    pthread_mutex_unlock((pthread_mutex_t *)&ch->mu);
}

ls_error_t *ls_channel_new(ls_channel_t **out, size_t max_events,
                           size_t max_bytes)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_channel_new: out must not be NULL");
    *out = NULL;
    if (max_events < 1)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_channel_new: max_events is 0; expected >= 1");
    ls_channel_t *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return ls_error_new(LS_ERR_NOMEM, "ls_channel_new: out of memory");
    ch->ring = calloc(max_events, sizeof(*ch->ring));
    if (!ch->ring) {
        free(ch);
        return ls_error_new(LS_ERR_NOMEM,
                            "ls_channel_new: no memory for %zu events",
                            max_events);
    }
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);
    if (!rc)
        rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int inited = 0;
    if (!rc && !(rc = pthread_mutex_init(&ch->mu, NULL)))
        inited = 1;
    if (!rc && !(rc = pthread_cond_init(&ch->not_full, &ca)))
        inited = 2;
    if (!rc && !(rc = pthread_cond_init(&ch->not_empty, &ca)))
        inited = 3;
    pthread_condattr_destroy(&ca);
    if (rc) {
        if (inited >= 2)
            pthread_cond_destroy(&ch->not_full);
        if (inited >= 1)
            pthread_mutex_destroy(&ch->mu);
        free(ch->ring);
        free(ch);
        return ls_error_new(LS_ERR_GENERIC,
                            "ls_channel_new: cannot create locks (error %d)",
                            rc);
    }
    ch->max_events = max_events;
    ch->max_bytes = max_bytes;
    ch->txn.ch = ch;
    *out = ch;
    return NULL;
}

/* Should a put that left the channel in this state wake the taker? */
static int taker_should_wake(const ls_channel_t *ch)
{
    size_t q = ch->count - ch->txn.n;
    return ch->taker_waiting &&
           (q == 1 /* the age clock starts */ || q >= ch->want_events ||
            (ch->want_bytes && ch->bytes - ch->txn.bytes >= ch->want_bytes) ||
            is_full_locked(ch));
}

ls_error_t *ls_channel_put(ls_channel_t *ch, ls_event_t *ev, int timeout_ms)
{
    if (!ch || !ev)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_channel_put: channel and event must not be "
                            "NULL");
    size_t b = event_bytes(ev);
    int64_t deadline = -1;
    int counted = 0;
    ls_err_t code = LS_OK;

    lock(ch);
    for (;;) {
        if (ch->closed) {
            code = LS_ERR_STATE;
            break;
        }
        if (has_room(ch, b))
            break;
        if (!counted) {
            ch->full_count++;
            counted = 1;
        }
        if (timeout_ms == 0) {
            code = LS_ERR_FULL;
            break;
        }
        if (timeout_ms > 0 && deadline < 0)
            deadline = now_ns() + (int64_t)timeout_ms * NS_PER_MS;
        if (wait_until(&ch->not_full, &ch->mu, deadline) == ETIMEDOUT &&
            !ch->closed && !has_room(ch, b)) {
            code = LS_ERR_FULL;
            break;
        }
    }
    if (code == LS_OK) {
        slot_t *s = slot_at(ch, ch->count);
        s->ev = ev;
        s->bytes = b;
        s->put_ns = now_ns();
        ch->count++;
        ch->bytes += b;
        if (taker_should_wake(ch))
            pthread_cond_signal(&ch->not_empty);
    }
    size_t n = ch->count, nb = ch->bytes;
    unlock(ch);

    if (code == LS_ERR_STATE)
        return ls_error_new(LS_ERR_STATE,
                            "ls_channel_put: the channel is closed");
    if (code == LS_ERR_FULL)
        return ls_error_new(LS_ERR_FULL,
                            "ls_channel_put: channel full (%zu/%zu events, "
                            "%zu/%zu bytes) after waiting %d ms",
                            n, ch->max_events, nb, ch->max_bytes, timeout_ms);
    return NULL;
}

/* Does the queue (the events outside a transaction) warrant a take? */
static int triggered(const ls_channel_t *ch, size_t want, size_t max_bytes,
                     int64_t max_age_ms, int64_t now, int64_t *age_deadline)
{
    size_t q = ch->count - ch->txn.n;
    *age_deadline = -1;
    if (ch->closed)
        return 1;
    if (q == 0)
        return 0;
    if (q >= want || (max_bytes && ch->bytes - ch->txn.bytes >= max_bytes) ||
        is_full_locked(ch))
        return 1;
    if (max_age_ms > 0) {
        int64_t due = slot_at(ch, ch->txn.n)->put_ns + max_age_ms * NS_PER_MS;
        if (now >= due)
            return 1;
        *age_deadline = due;
    }
    return 0;
}

ls_error_t *ls_channel_take(ls_channel_t *ch, size_t max_events,
                            size_t max_bytes, int64_t max_age_ms,
                            int timeout_ms, ls_txn_t **out)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_channel_take: out must not be NULL");
    *out = NULL;
    if (!ch || max_events < 1)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_channel_take: need a channel and "
                            "max_events >= 1");
    size_t want = max_events < ch->max_events ? max_events : ch->max_events;
    int64_t deadline =
        timeout_ms >= 0 ? now_ns() + (int64_t)timeout_ms * NS_PER_MS : -1;

    lock(ch);
    if (ch->txn.open) {
        unlock(ch);
        return ls_error_new(LS_ERR_STATE,
                            "ls_channel_take: a transaction is already open; "
                            "commit or roll it back first");
    }
    for (;;) {
        int64_t now = now_ns(), age_due;
        if (triggered(ch, want, max_bytes, max_age_ms, now, &age_due))
            break;
        if (deadline >= 0 && now >= deadline) {
            unlock(ch);
            return NULL;
        }
        int64_t wake = deadline;
        if (age_due >= 0 && (wake < 0 || age_due < wake))
            wake = age_due;
        ch->taker_waiting = 1;
        ch->want_events = want;
        ch->want_bytes = max_bytes;
        wait_until(&ch->not_empty, &ch->mu, wake);
        ch->taker_waiting = 0;
    }
    size_t n = ch->count < want ? ch->count : want;
    if (n == 0) { /* closed and drained */
        unlock(ch);
        return NULL;
    }
    size_t b = 0;
    for (size_t i = 0; i < n; i++)
        b += slot_at(ch, i)->bytes;
    ch->txn.n = n;
    ch->txn.bytes = b;
    ch->txn.open = 1;
    unlock(ch);
    *out = &ch->txn;
    return NULL;
}

size_t ls_txn_count(const ls_txn_t *txn) { return txn ? txn->n : 0; }

ls_event_t *ls_txn_event(const ls_txn_t *txn, size_t i)
{
    /* The transaction's slots are only written by the taker's thread, so
     * reading them needs no lock. */
    if (!txn || !txn->open || i >= txn->n)
        return NULL;
    return slot_at(txn->ch, i)->ev;
}

void ls_txn_commit(ls_txn_t *txn)
{
    if (!txn || !txn->open)
        return;
    ls_channel_t *ch = txn->ch;
    /* Free outside the lock: no producer touches these slots. */
    for (size_t i = 0; i < txn->n; i++) {
        slot_t *s = slot_at(ch, i);
        ls_event_destroy(s->ev);
        s->ev = NULL;
    }
    lock(ch);
    ch->head = (ch->head + txn->n) % ch->max_events;
    ch->count -= txn->n;
    ch->bytes -= txn->bytes;
    txn->n = 0;
    txn->bytes = 0;
    txn->open = 0;
    pthread_cond_broadcast(&ch->not_full);
    unlock(ch);
}

void ls_txn_rollback(ls_txn_t *txn)
{
    if (!txn || !txn->open)
        return;
    ls_channel_t *ch = txn->ch;
    lock(ch);
    txn->n = 0;
    txn->bytes = 0;
    txn->open = 0;
    unlock(ch);
}

size_t ls_channel_size(const ls_channel_t *ch)
{
    if (!ch)
        return 0;
    lock(ch);
    size_t n = ch->count;
    unlock(ch);
    return n;
}

size_t ls_channel_bytes(const ls_channel_t *ch)
{
    if (!ch)
        return 0;
    lock(ch);
    size_t n = ch->bytes;
    unlock(ch);
    return n;
}

int ls_channel_is_full(const ls_channel_t *ch)
{
    if (!ch)
        return 0;
    lock(ch);
    int f = is_full_locked(ch);
    unlock(ch);
    return f;
}

uint64_t ls_channel_full_count(const ls_channel_t *ch)
{
    if (!ch)
        return 0;
    lock(ch);
    uint64_t n = ch->full_count;
    unlock(ch);
    return n;
}

void ls_channel_close(ls_channel_t *ch)
{
    if (!ch)
        return;
    lock(ch);
    ch->closed = 1;
    pthread_cond_broadcast(&ch->not_full);
    pthread_cond_broadcast(&ch->not_empty);
    unlock(ch);
}

void ls_channel_destroy(ls_channel_t *ch)
{
    if (!ch)
        return;
    for (size_t i = 0; i < ch->count; i++)
        ls_event_destroy(slot_at(ch, i)->ev);
    pthread_cond_destroy(&ch->not_empty);
    pthread_cond_destroy(&ch->not_full);
    pthread_mutex_destroy(&ch->mu);
    free(ch->ring);
    free(ch);
}
