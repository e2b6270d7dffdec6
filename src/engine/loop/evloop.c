/*
 * evloop.c — the epoll event loop (see evloop.h for the contract).
 *
 * Registered descriptors live in a table indexed by fd (descriptors are
 * small integers bounded by RLIMIT_NOFILE), so a report costs one array
 * lookup. Each registration gets a fresh generation number, carried in the
 * upper half of the epoll data next to the fd: an event fetched for a
 * descriptor that a callback earlier in the same batch removed, closed or
 * replaced by a new one with the same number is recognised and dropped.
 */
#include "engine/loop/evloop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 512
#define WAKE_GEN   0 /* generation of the loop's own eventfd; fds start at 1 */

struct fd_ent {
    evloop_io_fn fn;
    void *user;
    uint32_t gen; /* 0: not registered */
};

struct evloop {
    int ep, wake_fd;
    void *ctx;
    struct fd_ent *fds;
    size_t nfds; /* table size */
    uint32_t next_gen;

    struct evloop_timer **heap;
    size_t nheap, cap_heap;
    uint64_t timer_seq, round;

    struct evloop_task *task_head, *task_tail;
    evloop_task_fn wake_fn;
    void *wake_user;

    volatile sig_atomic_t *stop_flag;
    bool stopped;
    /* Fetched events; those a stop left undispatched go first next run
     * (an edge-triggered report would not come again). */
    struct epoll_event evs[MAX_EVENTS];
    int nev, iev;
};

static void set_err(char *err, size_t errlen, const char *what, int e)
{
    if (errlen)
        snprintf(err, errlen, "%s: %s", what, strerror(e));
}

struct evloop *evloop_new(void *ctx, char *err, size_t errlen)
{
    struct evloop *loop = calloc(1, sizeof(*loop));
    if (!loop) {
        set_err(err, errlen, "event loop", ENOMEM);
        return NULL;
    }
    loop->ctx = ctx;
    loop->next_gen = WAKE_GEN + 1;
    loop->wake_fd = -1;
    loop->ep = epoll_create1(EPOLL_CLOEXEC);
    if (loop->ep < 0) {
        set_err(err, errlen, "epoll_create1", errno);
        evloop_free(loop);
        return NULL;
    }
    loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->wake_fd < 0) {
        set_err(err, errlen, "eventfd", errno);
        evloop_free(loop);
        return NULL;
    }
    /* The wake-up eventfd is not in the table: its data (generation 0,
     * which no registration gets) is recognised before any lookup. */
    struct epoll_event ev = {.events = EPOLLIN,
                             .data.u64 = ((uint64_t)WAKE_GEN << 32) | (uint32_t)loop->wake_fd};
    if (epoll_ctl(loop->ep, EPOLL_CTL_ADD, loop->wake_fd, &ev) < 0) {
        set_err(err, errlen, "epoll_ctl(eventfd)", errno);
        evloop_free(loop);
        return NULL;
    }
    return loop;
}

void evloop_free(struct evloop *loop)
{
    if (!loop)
        return;
    if (loop->wake_fd >= 0)
        close(loop->wake_fd);
    if (loop->ep >= 0)
        close(loop->ep);
    free(loop->fds);
    free(loop->heap);
    free(loop);
}

void *evloop_ctx(const struct evloop *loop)
{
    return loop->ctx;
}

/* ---- descriptors --------------------------------------------------------- */

static uint32_t to_epoll(uint32_t interest)
{
    uint32_t e = 0;
    if (interest & EVLOOP_READ)
        e |= EPOLLIN | EPOLLRDHUP;
    if (interest & EVLOOP_WRITE)
        e |= EPOLLOUT;
    if (interest & EVLOOP_EDGE)
        e |= EPOLLET;
    return e;
}

static uint32_t from_epoll(uint32_t e)
{
    uint32_t r = 0;
    if (e & (EPOLLIN | EPOLLRDHUP))
        r |= EVLOOP_READ;
    if (e & EPOLLOUT)
        r |= EVLOOP_WRITE;
    if (e & (EPOLLERR | EPOLLHUP))
        r |= EVLOOP_ERROR;
    return r;
}

static int grow_fds(struct evloop *loop, int fd)
{
    if ((size_t)fd < loop->nfds)
        return 0;
    size_t n = loop->nfds ? loop->nfds : 64;
    while (n <= (size_t)fd)
        n *= 2;
    struct fd_ent *t = realloc(loop->fds, n * sizeof(*t));
    if (!t)
        return -1;
    memset(t + loop->nfds, 0, (n - loop->nfds) * sizeof(*t));
    loop->fds = t;
    loop->nfds = n;
    return 0;
}

static struct fd_ent *ent_of(const struct evloop *loop, int fd)
{
    if (fd < 0 || (size_t)fd >= loop->nfds || loop->fds[fd].gen == 0)
        return NULL;
    return &loop->fds[fd];
}

int evloop_add(struct evloop *loop, int fd, uint32_t interest, evloop_io_fn fn, void *user,
               char *err, size_t errlen)
{
    if (fd < 0 || ent_of(loop, fd)) {
        set_err(err, errlen, "event loop: add", fd < 0 ? EBADF : EEXIST);
        return -1;
    }
    if (grow_fds(loop, fd) < 0) {
        set_err(err, errlen, "event loop: add", ENOMEM);
        return -1;
    }
    uint32_t gen = loop->next_gen++;
    if (loop->next_gen == WAKE_GEN)
        loop->next_gen++;
    struct epoll_event ev = {.events = to_epoll(interest),
                             .data.u64 = ((uint64_t)gen << 32) | (uint32_t)fd};
    if (epoll_ctl(loop->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        set_err(err, errlen, "epoll_ctl(add)", errno);
        return -1;
    }
    loop->fds[fd] = (struct fd_ent){.fn = fn, .user = user, .gen = gen};
    return 0;
}

int evloop_mod(struct evloop *loop, int fd, uint32_t interest, char *err, size_t errlen)
{
    struct fd_ent *e = ent_of(loop, fd);
    if (!e) {
        set_err(err, errlen, "event loop: mod", ENOENT);
        return -1;
    }
    struct epoll_event ev = {.events = to_epoll(interest),
                             .data.u64 = ((uint64_t)e->gen << 32) | (uint32_t)fd};
    if (epoll_ctl(loop->ep, EPOLL_CTL_MOD, fd, &ev) < 0) {
        set_err(err, errlen, "epoll_ctl(mod)", errno);
        return -1;
    }
    return 0;
}

int evloop_del(struct evloop *loop, int fd)
{
    struct fd_ent *e = ent_of(loop, fd);
    if (!e)
        return -1;
    e->gen = 0;
    return epoll_ctl(loop->ep, EPOLL_CTL_DEL, fd, NULL);
}

void evloop_forget(struct evloop *loop, int fd)
{
    struct fd_ent *e = ent_of(loop, fd);
    if (e)
        e->gen = 0;
}

void *evloop_fd_user(const struct evloop *loop, int fd)
{
    const struct fd_ent *e = ent_of(loop, fd);
    return e ? e->user : NULL;
}

/* ---- timers: a binary min-heap on (due_us, seq) ------------------------ */

static bool before(const struct evloop_timer *a, const struct evloop_timer *b)
{
    return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void heap_put(struct evloop *loop, size_t i, struct evloop_timer *t)
{
    loop->heap[i] = t;
    t->heap_idx = i;
}

static void sift_up(struct evloop *loop, size_t i)
{
    struct evloop_timer *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(t, loop->heap[parent]))
            break;
        heap_put(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_put(loop, i, t);
}

static void sift_down(struct evloop *loop, size_t i)
{
    struct evloop_timer *t = loop->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= loop->nheap)
            break;
        if (c + 1 < loop->nheap && before(loop->heap[c + 1], loop->heap[c]))
            c++;
        if (!before(loop->heap[c], t))
            break;
        heap_put(loop, i, loop->heap[c]);
        i = c;
    }
    heap_put(loop, i, t);
}

void evloop_timer_init(struct evloop_timer *t, evloop_timer_fn fn, void *user)
{
    memset(t, 0, sizeof(*t));
    t->fn = fn;
    t->user = user;
    t->heap_idx = SIZE_MAX;
}

void evloop_timer_cancel(struct evloop *loop, struct evloop_timer *t)
{
    size_t i = t->heap_idx;
    if (i == SIZE_MAX)
        return;
    t->heap_idx = SIZE_MAX;
    struct evloop_timer *last = loop->heap[--loop->nheap];
    if (i == loop->nheap)
        return;
    heap_put(loop, i, last);
    /* The moved timer may belong above or below its new place. */
    if (i > 0 && before(last, loop->heap[(i - 1) / 2]))
        sift_up(loop, i);
    else
        sift_down(loop, i);
}

int evloop_timer_at(struct evloop *loop, struct evloop_timer *t, int64_t due_us)
{
    if (t->heap_idx == SIZE_MAX && loop->nheap == loop->cap_heap) {
        size_t n = loop->cap_heap ? loop->cap_heap * 2 : 64;
        struct evloop_timer **h = realloc(loop->heap, n * sizeof(*h));
        if (!h)
            return -1;
        loop->heap = h;
        loop->cap_heap = n;
    }
    evloop_timer_cancel(loop, t);
    t->due_us = due_us;
    t->seq = loop->timer_seq++;
    t->round = loop->round;
    heap_put(loop, loop->nheap++, t);
    sift_up(loop, t->heap_idx);
    return 0;
}

int evloop_timer_in_us(struct evloop *loop, struct evloop_timer *t, int64_t delay_us)
{
    return evloop_timer_at(loop, t, clock_mono_us() + delay_us);
}

int evloop_timer_in_ms(struct evloop *loop, struct evloop_timer *t, int64_t delay_ms)
{
    return evloop_timer_in_us(loop, t, delay_ms * 1000);
}

/* Fire what is due at now. Timers armed during this phase (this round)
 * wait for the next one, so a callback re-arming at now cannot spin. */
static void run_timers(struct evloop *loop, int64_t now)
{
    while (loop->nheap > 0 && !loop->stopped) {
        struct evloop_timer *t = loop->heap[0];
        if (t->due_us > now || t->round == loop->round)
            break;
        evloop_timer_cancel(loop, t);
        if (t->period_us > 0 && evloop_timer_at(loop, t, t->due_us + t->period_us) < 0)
            t->period_us = 0; /* out of memory: it degrades to one-shot */
        t->fn(loop, t, t->user);
    }
}

/* ---- tasks and wake-ups ------------------------------------------------- */

void evloop_task_init(struct evloop_task *t, evloop_task_fn fn, void *user)
{
    memset(t, 0, sizeof(*t));
    t->fn = fn;
    t->user = user;
}

void evloop_defer(struct evloop *loop, struct evloop_task *t)
{
    if (t->queued)
        return;
    t->queued = true;
    t->next = NULL;
    if (loop->task_tail)
        loop->task_tail->next = t;
    else
        loop->task_head = t;
    loop->task_tail = t;
}

void evloop_undefer(struct evloop *loop, struct evloop_task *t)
{
    if (!t->queued)
        return;
    struct evloop_task **pp = &loop->task_head, *prev = NULL;
    while (*pp && *pp != t) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return; /* detached by run_tasks: it clears queued itself */
    *pp = t->next;
    if (loop->task_tail == t)
        loop->task_tail = prev;
    t->queued = false;
}

/* Run the tasks queued before this phase began; what they defer waits. */
static void run_tasks(struct evloop *loop)
{
    struct evloop_task *t = loop->task_head;
    loop->task_head = loop->task_tail = NULL;
    while (t && !loop->stopped) {
        struct evloop_task *next = t->next;
        t->queued = false;
        t->fn(loop, t->user);
        t = next;
    }
    /* Stopped half-way: the rest goes back in front, in order. */
    if (t) {
        struct evloop_task *last = t;
        while (last->next)
            last = last->next;
        last->next = loop->task_head;
        if (!loop->task_head)
            loop->task_tail = last;
        loop->task_head = t;
    }
}

void evloop_on_wake(struct evloop *loop, evloop_task_fn fn, void *user)
{
    loop->wake_fn = fn;
    loop->wake_user = user;
}

int evloop_wake(struct evloop *loop)
{
    uint64_t one = 1;
    return write(loop->wake_fd, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
}

void evloop_set_stop_flag(struct evloop *loop, volatile sig_atomic_t *flag)
{
    loop->stop_flag = flag;
}

void evloop_stop(struct evloop *loop)
{
    loop->stopped = true;
}

/* ---- the loop ------------------------------------------------------------ */

/* How long the wait may block, in µs; -1 = no limit. */
static int64_t wait_budget(const struct evloop *loop)
{
    if (loop->task_head)
        return 0;
    int64_t t = -1;
    if (loop->nheap > 0) {
        t = loop->heap[0]->due_us - clock_mono_us();
        if (t < 0)
            t = 0;
    }
    if (loop->stop_flag && (t < 0 || t > EVLOOP_STOP_POLL_US))
        t = EVLOOP_STOP_POLL_US;
    return t;
}

static int wait_events(struct evloop *loop, int64_t timeout_us, struct epoll_event *evs)
{
    struct timespec ts = {.tv_sec = timeout_us / 1000000,
                          .tv_nsec = (long)(timeout_us % 1000000) * 1000};
    int n = epoll_pwait2(loop->ep, evs, MAX_EVENTS, timeout_us < 0 ? NULL : &ts, NULL);
    if (n < 0 && errno == ENOSYS) /* kernels before 5.11 */
        n = epoll_wait(loop->ep, evs, MAX_EVENTS,
                       timeout_us < 0 ? -1 : (int)((timeout_us + 999) / 1000));
    return n;
}

static void dispatch(struct evloop *loop, const struct epoll_event *ev)
{
    int fd = (int)(uint32_t)ev->data.u64;
    uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
    if (gen == WAKE_GEN) {
        uint64_t v;
        while (read(loop->wake_fd, &v, sizeof(v)) == sizeof(v))
            ;
        if (loop->wake_fn)
            loop->wake_fn(loop, loop->wake_user);
        return;
    }
    struct fd_ent *e = ent_of(loop, fd);
    if (!e || e->gen != gen)
        return; /* removed or replaced earlier in this batch */
    e->fn(loop, fd, from_epoll(ev->events), e->user);
}

/* Dispatch the fetched events until done or stopped. */
static void dispatch_all(struct evloop *loop)
{
    while (loop->iev < loop->nev && !loop->stopped)
        dispatch(loop, &loop->evs[loop->iev++]);
}

int evloop_run(struct evloop *loop, char *err, size_t errlen)
{
    loop->stopped = false;
    dispatch_all(loop);
    for (;;) {
        if (loop->stop_flag && *loop->stop_flag)
            return 1;
        loop->round++;
        run_timers(loop, clock_mono_us());
        if (loop->stopped)
            return 0;
        run_tasks(loop);
        if (loop->stopped)
            return 0;
        int n = wait_events(loop, wait_budget(loop), loop->evs);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            set_err(err, errlen, "epoll_wait", errno);
            return -1;
        }
        loop->nev = n;
        loop->iev = 0;
        dispatch_all(loop);
        if (loop->stopped)
            return 0;
    }
}
