/*
 * rdns.c — the reverse-DNS pool of rdns.h.
 *
 * State is one mutex-protected table of max_pending entries; a handle is
 * (generation << 32 | index), so a stale handle can never collect another
 * lookup's name. Queued entries form a doubly linked FIFO, so a lookup
 * abandoned before any thread picked it up leaves the queue in O(1).
 * Workers are detached and hold a reference on the pool: rdns_free only
 * marks running lookups abandoned, and whoever drops the last reference
 * (the caller or the last worker to come back from getnameinfo) frees it.
 */
#include "core/rdns.h"
#include "core/clock.h"

#include "core/log.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define NIL UINT32_MAX

enum { E_FREE, E_QUEUED, E_RUNNING, E_DONE, E_ABANDONED };

struct entry {
    uint32_t gen; /* bumped on every reuse; part of the handle */
    uint8_t state;
    struct ipaddr addr;
    char *name;          /* E_DONE */
    int64_t deadline_us; /* CLOCK_MONOTONIC */
    uint32_t prev, next; /* queue (E_QUEUED) or free list (E_FREE, next only) */
};

struct rdns {
    pthread_mutex_t mu;
    pthread_cond_t work; /* queue non-empty or quit */
    pthread_cond_t done; /* some lookup finished */
    int efd;
    struct entry *e;
    uint32_t cap, free_head, q_head, q_tail, nqueued;
    unsigned max_threads, nthreads, nidle, refs;
    int64_t timeout_us;
    rdns_lookup_fn lookup;
    void *lookup_ctx;
    unsigned misses; /* consecutive deadline misses */
    bool dead, quit;
};

char *rdns_getnameinfo(const struct ipaddr *a, void *ctx)
{
    (void)ctx;
    struct sockaddr_storage ss;
    socklen_t len = ipaddr_to_sockaddr(a, 0, &ss);
    char name[NI_MAXHOST];
    if (getnameinfo((const struct sockaddr *)&ss, len, name, sizeof(name), NULL, 0, NI_NAMEREQD) !=
        0)
        return NULL;
    return strdup(name);
}

static void destroy(struct rdns *r)
{
    for (uint32_t i = 0; r->e && i < r->cap; i++)
        free(r->e[i].name);
    free(r->e);
    if (r->efd >= 0)
        close(r->efd);
    pthread_cond_destroy(&r->work);
    pthread_cond_destroy(&r->done);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

/* Entry i back on the free list (mu held). */
static void entry_release(struct rdns *r, uint32_t i)
{
    struct entry *e = &r->e[i];
    free(e->name);
    e->name = NULL;
    e->state = E_FREE;
    e->gen = (e->gen + 1) & 0x7fffffff; /* handles stay non-negative */
    e->next = r->free_head;
    r->free_head = i;
}

static void queue_unlink(struct rdns *r, uint32_t i)
{
    struct entry *e = &r->e[i];
    if (e->prev == NIL)
        r->q_head = e->next;
    else
        r->e[e->prev].next = e->next;
    if (e->next == NIL)
        r->q_tail = e->prev;
    else
        r->e[e->next].prev = e->prev;
    r->nqueued--;
}

static void *worker(void *arg)
{
    struct rdns *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->quit && r->q_head == NIL)
            pthread_cond_wait(&r->work, &r->mu);
        if (r->quit)
            break;
        uint32_t i = r->q_head;
        queue_unlink(r, i);
        struct entry *e = &r->e[i];
        e->state = E_RUNNING;
        struct ipaddr a = e->addr;
        r->nidle--;
        pthread_mutex_unlock(&r->mu);

        char *name = r->lookup(&a, r->lookup_ctx);

        pthread_mutex_lock(&r->mu);
        r->nidle++;
        if (e->state == E_ABANDONED) {
            /* The caller gave up (deadline, cancel, free): drop the answer. */
            free(name);
            entry_release(r, i);
            continue;
        }
        e->name = name;
        e->state = E_DONE;
        if (clock_mono_us() <= e->deadline_us)
            r->misses = 0;
        pthread_cond_broadcast(&r->done);
        uint64_t one = 1;
        if (write(r->efd, &one, sizeof(one)) < 0) {
            /* EAGAIN: the counter is already nonzero, the loop will wake. */
        }
    }
    bool last = --r->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (last)
        destroy(r);
    return NULL;
}

struct rdns *rdns_new(const struct rdns_opts *o)
{
    struct rdns *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cap = o->max_pending ? o->max_pending : 1;
    r->max_threads = o->max_threads ? o->max_threads : RDNS_DEFAULT_THREADS;
    if (r->max_threads > 64)
        r->max_threads = 64;
    r->timeout_us = o->timeout_us > 0 ? o->timeout_us : RDNS_DEFAULT_TIMEOUT;
    r->lookup = o->lookup ? o->lookup : rdns_getnameinfo;
    r->lookup_ctx = o->lookup_ctx;
    r->refs = 1;
    r->q_head = r->q_tail = NIL;
    r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    r->e = calloc(r->cap, sizeof(*r->e));
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines are monotonic */
    pthread_cond_init(&r->done, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&r->work, NULL);
    if (r->efd < 0 || !r->e) {
        destroy(r);
        return NULL;
    }
    for (uint32_t i = 0; i < r->cap; i++)
        r->e[i].next = i + 1 < r->cap ? i + 1 : NIL;
    return r;
}

void rdns_free(struct rdns *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->quit = true;
    for (uint32_t i = 0; i < r->cap; i++) {
        if (r->e[i].state == E_RUNNING)
            r->e[i].state = E_ABANDONED; /* its worker frees it on return */
        else if (r->e[i].state != E_FREE && r->e[i].state != E_ABANDONED)
            entry_release(r, i);
    }
    r->q_head = r->q_tail = NIL;
    r->nqueued = 0;
    pthread_cond_broadcast(&r->work);
    bool last = --r->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (last)
        destroy(r);
}

int rdns_fd(const struct rdns *r)
{
    return r->efd;
}

void rdns_ack(struct rdns *r)
{
    uint64_t v;
    if (read(r->efd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing finished since the last ack. */
    }
}

bool rdns_dead(const struct rdns *r)
{
    return r->dead;
}

/* One more worker (mu held); failure is fine while another thread runs. */
static void spawn(struct rdns *r)
{
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 * 1024); /* getnameinfo needs little */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t tid;
    if (pthread_create(&tid, &at, worker, r) == 0) {
        r->nthreads++;
        r->nidle++;
        r->refs++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&at);
}

int64_t rdns_submit(struct rdns *r, const struct ipaddr *a)
{
    pthread_mutex_lock(&r->mu);
    if (r->dead || r->free_head == NIL) {
        pthread_mutex_unlock(&r->mu);
        return -1;
    }
    uint32_t i = r->free_head;
    struct entry *e = &r->e[i];
    r->free_head = e->next;
    e->state = E_QUEUED;
    e->addr = *a;
    e->name = NULL;
    e->deadline_us = clock_mono_us() + r->timeout_us;
    e->next = NIL;
    e->prev = r->q_tail;
    if (r->q_tail == NIL)
        r->q_head = i;
    else
        r->e[r->q_tail].next = i;
    r->q_tail = i;
    r->nqueued++;
    if (r->nqueued > r->nidle && r->nthreads < r->max_threads)
        spawn(r);
    if (r->nthreads == 0) {
        /* Not even one thread: undo, the caller goes without a name. */
        queue_unlink(r, i);
        entry_release(r, i);
        pthread_mutex_unlock(&r->mu);
        return -1;
    }
    pthread_cond_signal(&r->work);
    int64_t h = (int64_t)e->gen << 32 | i;
    pthread_mutex_unlock(&r->mu);
    return h;
}

/* The entry of handle h, or NULL if h is stale (mu held). */
static struct entry *lookup_handle(struct rdns *r, int64_t h)
{
    if (h < 0)
        return NULL;
    uint32_t i = (uint32_t)(h & 0xffffffff);
    if (i >= r->cap || r->e[i].gen != (uint32_t)(h >> 32))
        return NULL;
    uint8_t st = r->e[i].state;
    return st == E_QUEUED || st == E_RUNNING || st == E_DONE ? &r->e[i] : NULL;
}

/* Stop waiting for entry e (mu held). */
static void abandon(struct rdns *r, struct entry *e)
{
    uint32_t i = (uint32_t)(e - r->e);
    if (e->state == E_QUEUED) {
        queue_unlink(r, i);
        entry_release(r, i);
    } else if (e->state == E_RUNNING) {
        e->state = E_ABANDONED;
    } else {
        entry_release(r, i);
    }
}

int rdns_collect(struct rdns *r, int64_t h, bool wait, int64_t now_us, char **name,
                 int64_t *deadline_us)
{
    *name = NULL;
    pthread_mutex_lock(&r->mu);
    struct entry *e = lookup_handle(r, h);
    for (;;) {
        if (!e)
            break;
        if (e->state == E_DONE) {
            *name = e->name;
            e->name = NULL;
            entry_release(r, (uint32_t)(e - r->e));
            break;
        }
        if (now_us >= e->deadline_us) {
            abandon(r, e);
            if (++r->misses >= RDNS_DEAD_AFTER && !r->dead) {
                r->dead = true;
                log_debug("rdns",
                          "%u lookups in a row got no answer within %lld ms; resolving no more",
                          r->misses, (long long)(r->timeout_us / 1000));
            }
            break;
        }
        if (!wait) {
            if (deadline_us)
                *deadline_us = e->deadline_us;
            pthread_mutex_unlock(&r->mu);
            return 0;
        }
        struct timespec ts = {.tv_sec = e->deadline_us / 1000000,
                              .tv_nsec = (long)(e->deadline_us % 1000000) * 1000};
        pthread_cond_timedwait(&r->done, &r->mu, &ts);
        now_us = clock_mono_us();
    }
    pthread_mutex_unlock(&r->mu);
    return 1;
}

void rdns_cancel(struct rdns *r, int64_t h)
{
    pthread_mutex_lock(&r->mu);
    struct entry *e = lookup_handle(r, h);
    if (e)
        abandon(r, e);
    pthread_mutex_unlock(&r->mu);
}
