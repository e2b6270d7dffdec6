/*
 * evloop.h — one epoll event loop for every stateful stage: the connect
 * scan today, version detection and scripts later (SPEC "Event loop").
 *
 * A loop multiplexes four kinds of work, each iteration in this order:
 *   1. the stop flag (Ctrl-C): evloop_run returns 1 when it is set;
 *   2. timers that are due (a binary min-heap on CLOCK_MONOTONIC µs,
 *      O(log n) arm/cancel, ties fire in arming order);
 *   3. deferred tasks ("run soon"), in the order they were queued;
 *   4. one epoll wait, as long as the next timer allows (0 when tasks are
 *      queued), then the callbacks of the descriptors that reported.
 * Work queued by a callback during phase 2 or 3 (a timer re-armed at or
 * before now, a task deferred again) runs in the next iteration, after
 * descriptors had their turn: nothing can starve the epoll wait.
 *
 * Thread contract: a loop, and every callback it makes, belongs to the
 * thread that calls evloop_run. Only evloop_wake may be called from other
 * threads (it writes the loop's eventfd).
 *
 * Ownership: timers (struct evloop_timer) and tasks (struct evloop_task)
 * are caller-owned and must stay put while armed or queued; the loop never
 * allocates per timer or task. Descriptors stay the caller's too: the loop
 * only remembers a callback and a user pointer per registered fd.
 *
 * TLS later: a descriptor's user pointer is where a client keeps its
 * connection state, an OpenSSL SSL * included. A TLS client will register
 * the socket like any other and drive SSL_do_handshake/SSL_read/SSL_write
 * from its callback, switching interest with evloop_mod as OpenSSL asks
 * (SSL_ERROR_WANT_READ/WRITE). Nothing in the loop needs to know.
 */
#ifndef PRTIP_ENGINE_EVLOOP_H
#define PRTIP_ENGINE_EVLOOP_H

#include "core/clock.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;

/* Interest (evloop_add, evloop_mod) and reported events (callbacks). */
#define EVLOOP_READ  0x1u /* readable, or peer closed its side */
#define EVLOOP_WRITE 0x2u /* writable (a non-blocking connect finished) */
#define EVLOOP_EDGE  0x4u /* interest only: edge-triggered (EPOLLET) */
#define EVLOOP_ERROR 0x8u /* reported only: EPOLLERR or EPOLLHUP */

/* The wait's cap while a stop flag is watched: how late a Ctrl-C that
 * slipped in just before epoll_wait can be noticed. */
#define EVLOOP_STOP_POLL_US 100000

/* Descriptor callback: fd reported events (EVLOOP_READ/WRITE/ERROR bits);
 * user is what was registered. Runs on the loop's thread; it may add,
 * modify, remove or forget any descriptor, this one included. */
typedef void (*evloop_io_fn)(struct evloop *loop, int fd, uint32_t events, void *user);

struct evloop_timer;
/* Timer callback: t is due and already disarmed (or re-armed for the next
 * period when t->period_us > 0); it may re-arm or cancel t. */
typedef void (*evloop_timer_fn)(struct evloop *loop, struct evloop_timer *t, void *user);

/* Task callback: runs once per evloop_defer. */
typedef void (*evloop_task_fn)(struct evloop *loop, void *user);

/* A timer. Initialise with evloop_timer_init; the other fields are the
 * loop's. period_us (µs, 0 = one-shot) may be set by the caller. */
struct evloop_timer {
    evloop_timer_fn fn;
    void *user;
    int64_t period_us;
    int64_t due_us;  /* CLOCK_MONOTONIC µs, valid while armed */
    uint64_t seq;    /* arming order, breaks ties */
    uint64_t round;  /* iteration it was armed in */
    size_t heap_idx; /* SIZE_MAX: not armed */
};

/* A deferred task. Initialise with evloop_task_init. */
struct evloop_task {
    evloop_task_fn fn;
    void *user;
    struct evloop_task *next;
    bool queued;
};

/*
 * A new loop (epoll instance and wake-up eventfd, both close-on-exec).
 * ctx is the caller's, returned by evloop_ctx (the callbacks' way back to
 * the stage's state). Returns NULL with a message in err on failure.
 */
struct evloop *evloop_new(void *ctx, char *err, size_t errlen);

/* Close the loop's own descriptors and free it; registered descriptors are
 * not closed (they are the caller's). Armed timers and queued tasks are
 * simply dropped. NULL is fine. Loop thread, not from a callback. */
void evloop_free(struct evloop *loop);

void *evloop_ctx(const struct evloop *loop);

/*
 * Watch fd for interest (EVLOOP_READ/WRITE, plus EVLOOP_EDGE for
 * edge-triggered) and call fn(loop, fd, events, user) when it reports.
 * fd must not be registered already. Returns 0, or -1 with err set (the
 * epoll_ctl errno, or out of memory). An fd that is already ready is
 * reported in the next wait, edge-triggered or not.
 */
int evloop_add(struct evloop *loop, int fd, uint32_t interest, evloop_io_fn fn, void *user,
               char *err, size_t errlen);

/* Change a registered fd's interest. Returns 0, or -1 with err set. */
int evloop_mod(struct evloop *loop, int fd, uint32_t interest, char *err, size_t errlen);

/* Stop watching fd (EPOLL_CTL_DEL); the caller still owns and closes it.
 * Events already fetched for it in this iteration are dropped. Returns 0,
 * or -1 (fd not registered, or epoll_ctl failed). */
int evloop_del(struct evloop *loop, int fd);

/* fd was closed while registered: closing already took it out of the epoll
 * set (unless the file has other descriptors), so only the loop's record is
 * dropped, without a system call. Stale events are dropped as with
 * evloop_del. Must be called before the same fd number is added again. */
void evloop_forget(struct evloop *loop, int fd);

/* The user pointer fd was registered with, or NULL. */
void *evloop_fd_user(const struct evloop *loop, int fd);

void evloop_timer_init(struct evloop_timer *t, evloop_timer_fn fn, void *user);

/* Arm (or re-arm) t at due_us, CLOCK_MONOTONIC µs (clock_mono_us, core/clock.h); a
 * past deadline fires in the next timer phase. Returns 0, or -1 when the
 * heap could not grow (out of memory; t is then left as it was). */
int evloop_timer_at(struct evloop *loop, struct evloop_timer *t, int64_t due_us);

/* Arm t delay_us µs / delay_ms ms from now; as evloop_timer_at. */
int evloop_timer_in_us(struct evloop *loop, struct evloop_timer *t, int64_t delay_us);
int evloop_timer_in_ms(struct evloop *loop, struct evloop_timer *t, int64_t delay_ms);

/* Disarm t; a no-op when it is not armed. */
void evloop_timer_cancel(struct evloop *loop, struct evloop_timer *t);

static inline bool evloop_timer_armed(const struct evloop_timer *t)
{
    return t->heap_idx != SIZE_MAX;
}

void evloop_task_init(struct evloop_task *t, evloop_task_fn fn, void *user);

/* Queue t to run in the loop's next task phase; a no-op when it is queued
 * already (so "something changed, run the planner" costs one run however
 * many events said so). Loop thread. */
void evloop_defer(struct evloop *loop, struct evloop_task *t);

/* Take t off the queue if it is there. */
void evloop_undefer(struct evloop *loop, struct evloop_task *t);

/* What a wake-up runs: fn(loop, user) on the loop's thread after one or
 * more evloop_wake calls (coalesced). NULL fn: wake-ups only end the wait. */
void evloop_on_wake(struct evloop *loop, evloop_task_fn fn, void *user);

/* Any thread, async-signal-safe: make the loop's current or next wait
 * return and run the wake handler. Returns 0, or -1 if the eventfd write
 * failed (it cannot fill up: the counter saturates far beyond any use). */
int evloop_wake(struct evloop *loop);

/* Watch *flag (may be NULL: none): evloop_run returns 1 once it is
 * nonzero, and waits at most EVLOOP_STOP_POLL_US at a time meanwhile. */
void evloop_set_stop_flag(struct evloop *loop, volatile sig_atomic_t *flag);

/* Make evloop_run return 0 after the current callback (loop thread). */
void evloop_stop(struct evloop *loop);

/*
 * Run until evloop_stop (returns 0) or the stop flag (returns 1); -1 with
 * err set when epoll itself fails. Without timers, tasks or a stop flag the
 * wait has no timeout. May be called again after it returned.
 */
int evloop_run(struct evloop *loop, char *err, size_t errlen);

#endif
