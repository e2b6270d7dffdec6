/*
 * Tests for engine/evloop.c: descriptors (socketpairs that become
 * readable, removal, stale events within one batch), timer order and
 * cancellation with thousands of timers, periodic and re-armed timers,
 * deferred tasks, the cross-thread wake-up and the stop flag. A guard
 * timer fails a test that would otherwise hang.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/loop/evloop.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct evloop *new_loop(void *ctx)
{
    char err[128];
    struct evloop *loop = evloop_new(ctx, err, sizeof(err));
    assert_non_null(loop);
    return loop;
}

static void guard_fired(struct evloop *loop, struct evloop_timer *t, void *user)
{
    (void)loop;
    (void)t;
    (void)user;
    fail_msg("guard timer: the loop did not stop by itself");
}

/* Run loop with a guard ms from now; returns evloop_run's result. */
static int run_guarded(struct evloop *loop, int64_t ms)
{
    struct evloop_timer guard;
    evloop_timer_init(&guard, guard_fired, NULL);
    assert_int_equal(evloop_timer_in_ms(loop, &guard, ms), 0);
    char err[128];
    int r = evloop_run(loop, err, sizeof(err));
    evloop_timer_cancel(loop, &guard);
    return r;
}

static void stop_cb(struct evloop *loop, struct evloop_timer *t, void *user)
{
    (void)t;
    (void)user;
    evloop_stop(loop);
}

/* ---- descriptors ------------------------------------------------------- */

struct io_log {
    int calls, fd;
    uint32_t events;
    bool stop;
};

static void io_cb(struct evloop *loop, int fd, uint32_t events, void *user)
{
    struct io_log *log = user;
    log->calls++;
    log->fd = fd;
    log->events = events;
    char buf[16];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    if (log->stop)
        evloop_stop(loop);
}

static void test_readable_fires_removal_stops(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct evloop *loop = new_loop(NULL);
    struct io_log log = {.stop = true};
    char err[128];
    assert_int_equal(evloop_add(loop, sv[0], EVLOOP_READ, io_cb, &log, err, sizeof(err)), 0);
    assert_ptr_equal(evloop_fd_user(loop, sv[0]), &log);
    /* Registering twice is refused. */
    assert_int_equal(evloop_add(loop, sv[0], EVLOOP_READ, io_cb, &log, err, sizeof(err)), -1);

    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(run_guarded(loop, 2000), 0);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.fd, sv[0]);
    assert_true(log.events & EVLOOP_READ);

    /* Nothing to read: a short run sees no call. */
    struct evloop_timer t;
    evloop_timer_init(&t, stop_cb, NULL);
    assert_int_equal(evloop_timer_in_ms(loop, &t, 30), 0);
    assert_int_equal(run_guarded(loop, 2000), 0);
    assert_int_equal(log.calls, 1);

    /* Removed: data arriving no longer calls back. */
    assert_int_equal(evloop_del(loop, sv[0]), 0);
    assert_null(evloop_fd_user(loop, sv[0]));
    assert_int_equal(write(sv[1], "y", 1), 1);
    assert_int_equal(evloop_timer_in_ms(loop, &t, 30), 0);
    assert_int_equal(run_guarded(loop, 2000), 0);
    assert_int_equal(log.calls, 1);

    /* Interest switched to write (a socket is writable at once). */
    assert_int_equal(evloop_add(loop, sv[0], EVLOOP_READ, io_cb, &log, err, sizeof(err)), 0);
    assert_int_equal(evloop_mod(loop, sv[0], EVLOOP_WRITE | EVLOOP_EDGE, err, sizeof(err)), 0);
    log.calls = 0;
    assert_int_equal(run_guarded(loop, 2000), 0);
    assert_int_equal(log.calls, 1);
    assert_true(log.events & EVLOOP_WRITE);
    evloop_free(loop);
    close(sv[0]);
    close(sv[1]);
}

/* Two descriptors ready in one batch; whichever runs first closes the
 * other and forgets it: the other's fetched event must be dropped. */
struct pair {
    int fd[2];
    int calls, closed;
};

static void close_other(struct evloop *loop, int fd, uint32_t events, void *user)
{
    struct pair *p = user;
    (void)events;
    p->calls++;
    char c;
    assert_int_equal(read(fd, &c, 1), 1); /* level-triggered: drain it */
    int other = fd == p->fd[0] ? p->fd[1] : p->fd[0];
    evloop_forget(loop, other);
    close(other);
    p->closed = other;
    evloop_stop(loop);
}

static void test_stale_event_dropped(void **state)
{
    (void)state;
    int a[2], b[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    struct evloop *loop = new_loop(NULL);
    struct pair p = {.fd = {a[0], b[0]}};
    char err[128];
    assert_int_equal(evloop_add(loop, a[0], EVLOOP_READ, close_other, &p, err, sizeof(err)), 0);
    assert_int_equal(evloop_add(loop, b[0], EVLOOP_READ, close_other, &p, err, sizeof(err)), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "x", 1), 1);
    assert_int_equal(run_guarded(loop, 2000), 0);
    /* Run again: a stop leaves the rest of the batch for the next run,
     * where the closed descriptor's event must be recognised as stale. */
    struct evloop_timer t;
    evloop_timer_init(&t, stop_cb, NULL);
    assert_int_equal(evloop_timer_in_ms(loop, &t, 30), 0);
    assert_int_equal(run_guarded(loop, 2000), 0);
    assert_int_equal(p.calls, 1);
    evloop_free(loop);
    assert_true(p.closed == a[0] || p.closed == b[0]);
    close(a[1]);
    close(b[1]);
    close(p.closed == a[0] ? b[0] : a[0]);
}

/* ---- timers -------------------------------------------------------------- */

#define NTIMERS 3000

struct tlog {
    int64_t last_due;
    uint64_t last_seq;
    int fired, expected;
    bool out_of_order, early;
    int *hits; /* per timer */
    struct evloop_timer *base;
};

static void order_cb(struct evloop *loop, struct evloop_timer *t, void *user)
{
    struct tlog *log = user;
    if (t->due_us < log->last_due || (t->due_us == log->last_due && t->seq < log->last_seq))
        log->out_of_order = true;
    if (clock_mono_us() < t->due_us)
        log->early = true;
    log->last_due = t->due_us;
    log->last_seq = t->seq;
    log->hits[t - log->base]++;
    if (++log->fired == log->expected)
        evloop_stop(loop);
}

static void test_timer_order_and_cancel(void **state)
{
    (void)state;
    struct evloop *loop = new_loop(NULL);
    struct evloop_timer *t = calloc(NTIMERS, sizeof(*t));
    int *hits = calloc(NTIMERS, sizeof(*hits));
    assert_non_null(t);
    assert_non_null(hits);
    struct tlog log = {.last_due = INT64_MIN, .hits = hits, .base = t};
    int64_t now = clock_mono_us();
    srand(7);
    for (int i = 0; i < NTIMERS; i++) {
        evloop_timer_init(&t[i], order_cb, &log);
        /* Deadlines within 30 ms, with many exact ties. */
        assert_int_equal(evloop_timer_at(loop, &t[i], now + (rand() % 60) * 500), 0);
    }
    /* Re-arm some (moves them in the heap) and cancel every third. */
    for (int i = 0; i < NTIMERS; i += 7)
        assert_int_equal(evloop_timer_at(loop, &t[i], now + (rand() % 60) * 500), 0);
    int cancelled = 0;
    for (int i = 0; i < NTIMERS; i += 3) {
        evloop_timer_cancel(loop, &t[i]);
        evloop_timer_cancel(loop, &t[i]); /* twice is harmless */
        assert_false(evloop_timer_armed(&t[i]));
        cancelled++;
    }
    log.expected = NTIMERS - cancelled;
    assert_int_equal(run_guarded(loop, 5000), 0);
    assert_int_equal(log.fired, log.expected);
    assert_false(log.out_of_order);
    for (int i = 0; i < NTIMERS; i++)
        assert_int_equal(hits[i], i % 3 == 0 ? 0 : 1);
    assert_false(log.early);
    free(t);
    free(hits);
    evloop_free(loop);
}

struct periodic {
    int n;
    int64_t first_us, last_us;
};

static void periodic_cb(struct evloop *loop, struct evloop_timer *t, void *user)
{
    struct periodic *p = user;
    int64_t now = clock_mono_us();
    if (p->n++ == 0)
        p->first_us = now;
    p->last_us = now;
    if (p->n == 5) {
        evloop_timer_cancel(loop, t);
        evloop_stop(loop);
    }
}

static void rearm_cb(struct evloop *loop, struct evloop_timer *t, void *user)
{
    int *n = user;
    /* Re-armed at a past deadline: must wait for the next iteration, not
     * spin inside the timer phase. */
    if (++*n < 100)
        assert_int_equal(evloop_timer_at(loop, t, 0), 0);
    else
        evloop_stop(loop);
}

/* Counts loop iterations: one run per task phase. */
static void tick_cb(struct evloop *loop, void *user)
{
    struct evloop_task *self = user;
    (*(int *)evloop_ctx(loop))++;
    evloop_defer(loop, self);
}

static void test_periodic_and_rearm(void **state)
{
    (void)state;
    int ticks = 0;
    struct evloop *loop = new_loop(&ticks);
    struct periodic p = {0};
    struct evloop_timer t;
    evloop_timer_init(&t, periodic_cb, &p);
    t.period_us = 10000;
    int64_t t0 = clock_mono_us();
    assert_int_equal(evloop_timer_in_us(loop, &t, 10000), 0);
    assert_int_equal(run_guarded(loop, 3000), 0);
    assert_int_equal(p.n, 5);
    assert_true(p.first_us - t0 >= 10000);
    assert_true(p.last_us - t0 >= 50000);
    assert_false(evloop_timer_armed(&t));

    int n = 0;
    struct evloop_task tick;
    evloop_task_init(&tick, tick_cb, &tick);
    evloop_defer(loop, &tick);
    evloop_timer_init(&t, rearm_cb, &n);
    assert_int_equal(evloop_timer_at(loop, &t, 0), 0);
    assert_int_equal(run_guarded(loop, 3000), 0);
    assert_int_equal(n, 100);
    assert_true(ticks >= 99); /* one firing per iteration */
    evloop_undefer(loop, &tick);
    evloop_free(loop);
}

/* ---- tasks --------------------------------------------------------------- */

struct tasks {
    char order[16];
    int len, self_runs;
    struct evloop_task a, b, c, self;
};

static void task_cb(struct evloop *loop, void *user)
{
    struct tasks *ts = evloop_ctx(loop);
    ts->order[ts->len++] = *(const char *)user;
}

static void self_cb(struct evloop *loop, void *user)
{
    struct tasks *ts = user;
    /* Deferring itself queues a run in the next iteration, not now. */
    if (++ts->self_runs < 3)
        evloop_defer(loop, &ts->self);
    else
        evloop_stop(loop);
    ts->order[ts->len++] = '0' + (char)ts->self_runs;
}

static void test_deferred(void **state)
{
    (void)state;
    struct tasks ts = {0};
    struct evloop *loop = new_loop(&ts);
    evloop_task_init(&ts.a, task_cb, "a");
    evloop_task_init(&ts.b, task_cb, "b");
    evloop_task_init(&ts.c, task_cb, "c");
    evloop_task_init(&ts.self, self_cb, &ts);
    evloop_defer(loop, &ts.b);
    evloop_defer(loop, &ts.a);
    evloop_defer(loop, &ts.b); /* already queued: still one run */
    evloop_defer(loop, &ts.c);
    evloop_undefer(loop, &ts.c);
    evloop_defer(loop, &ts.self);
    assert_int_equal(run_guarded(loop, 2000), 0);
    ts.order[ts.len] = '\0';
    assert_string_equal(ts.order, "ba123");
    evloop_free(loop);
}

/* ---- wake-up and stop ---------------------------------------------------- */

struct waker {
    struct evloop *loop;
    volatile sig_atomic_t *flag;
    int delay_ms;
    int woken;
};

static void *waker_main(void *arg)
{
    struct waker *w = arg;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)w->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    if (w->flag)
        *w->flag = 1;
    else
        assert_int_equal(evloop_wake(w->loop), 0);
    return NULL;
}

static void on_wake(struct evloop *loop, void *user)
{
    struct waker *w = user;
    w->woken++;
    evloop_stop(loop);
}

static void test_cross_thread_wake(void **state)
{
    (void)state;
    struct evloop *loop = new_loop(NULL);
    struct waker w = {.loop = loop, .delay_ms = 30};
    evloop_on_wake(loop, on_wake, &w);
    pthread_t tid;
    int64_t t0 = clock_mono_us();
    assert_int_equal(pthread_create(&tid, NULL, waker_main, &w), 0);
    /* Only the guard is armed, 5 s away: the wake-up is what ends it. */
    assert_int_equal(run_guarded(loop, 5000), 0);
    int64_t took = clock_mono_us() - t0;
    pthread_join(tid, NULL);
    assert_int_equal(w.woken, 1);
    assert_true(took >= 25000);
    assert_true(took < 2000000);
    evloop_free(loop);
}

static void set_flag_cb(struct evloop *loop, struct evloop_timer *t, void *user)
{
    (void)loop;
    (void)t;
    *(volatile sig_atomic_t *)user = 1;
}

static void test_stop_flag(void **state)
{
    (void)state;
    struct evloop *loop = new_loop(NULL);
    volatile sig_atomic_t flag = 1;
    evloop_set_stop_flag(loop, &flag);
    char err[128];
    assert_int_equal(evloop_run(loop, err, sizeof(err)), 1); /* set before */

    flag = 0;
    struct evloop_timer t;
    evloop_timer_init(&t, set_flag_cb, (void *)&flag);
    assert_int_equal(evloop_timer_in_ms(loop, &t, 10), 0);
    assert_int_equal(run_guarded(loop, 2000), 1);

    /* Set from another thread while the loop blocks with nothing armed
     * but the guard: noticed within the poll cap, without a wake-up. */
    flag = 0;
    struct waker w = {.loop = loop, .flag = &flag, .delay_ms = 20};
    pthread_t tid;
    int64_t t0 = clock_mono_us();
    assert_int_equal(pthread_create(&tid, NULL, waker_main, &w), 0);
    assert_int_equal(run_guarded(loop, 5000), 1);
    int64_t took = clock_mono_us() - t0;
    pthread_join(tid, NULL);
    assert_true(took < 20000 + 2 * EVLOOP_STOP_POLL_US);
    evloop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readable_fires_removal_stops),
        cmocka_unit_test(test_stale_event_dropped),
        cmocka_unit_test(test_timer_order_and_cancel),
        cmocka_unit_test(test_periodic_and_rearm),
        cmocka_unit_test(test_deferred),
        cmocka_unit_test(test_cross_thread_wake),
        cmocka_unit_test(test_stop_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
