/*
 * ce_launch.c — starting connect probes, and reading back where a socket
 * stands, for the connect engine; optionally on two threads.
 *
 * The loop (connect_engine.c) hands over a batch of requests it has fully
 * planned (slot, host, port); ce_launch_batch performs the system calls and
 * writes each outcome back into its request, and the loop applies them.
 * Nearly all of a loopback scan's time is kernel work inside connect()
 * (the SYN and its RST are processed before the call returns), so on a
 * multi-core machine a helper thread takes requests from the same batch.
 * The two threads share nothing but the batch: requests are claimed with
 * one atomic counter, each request's slot belongs to whoever claimed it,
 * and host data is only read while the loop waits for the batch to end.
 */
#include "engine/connect/ce.h"
#include "core/clock.h"

#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POOL_MIN_BATCH 16  /* smaller batches are not worth waking the helper */
#define POOL_STALL_US  500 /* a join wait this long means the helper was preempted */
#define POOL_PAUSE     64  /* batches to run alone after such a stall */

void ce_slot_close(struct ce_slot *p)
{
    if (p->fd >= 0) {
        close(p->fd); /* also drops it from the epoll set */
        if (p->fd == p->reg_fd)
            p->reg_closed = true;
    }
    p->fd = -1;
}

/* Make sure slot s has a socket of family: 0 if it already had one, 1 if
 * one was created, or -errno. */
static int slot_socket(struct ce *ce, uint32_t s, int family)
{
    struct ce_slot *p = &ce->slots[s];
    if (p->fd >= 0 && p->family == family)
        return 0;
    ce_slot_close(p);
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* Not registered with the loop here (this may be the helper thread):
     * the loop registers the sockets whose connect is still pending. */
    p->fd = fd;
    p->family = (uint8_t)family;
    return 1;
}

socklen_t ce_target_sa(const struct ce_host *h, uint16_t port, struct sockaddr_storage *ss)
{
    memcpy(ss, &h->sa, h->salen);
    if (h->sa.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    return h->salen;
}

int ce_connect_status(int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    if (connect(fd, (const struct sockaddr *)ss, len) == 0 || errno == EISCONN)
        return 0;
    if (errno == EALREADY || errno == EINPROGRESS)
        return CE_PENDING;
    return errno;
}

void ce_keep_if_reset(struct ce_slot *p, int err)
{
    /* Only a refusal is known to come through the kernel's reset path
     * (connect() reporting sk_err resets the socket). It is also the one
     * frequent enough for reuse to matter; any other outcome closes. */
    if (err != ECONNREFUSED)
        ce_slot_close(p);
}

/* A loopback connect from ephemeral port P to port P of the same address is
 * a TCP simultaneous open with itself: it "succeeds" with nobody listening. */
static bool self_connected(int fd, const struct ce_host *h, uint16_t port)
{
    struct sockaddr_storage local;
    socklen_t len = sizeof(local);
    struct ipaddr a;
    uint16_t lport;
    if (getsockname(fd, (struct sockaddr *)&local, &len) < 0 ||
        ipaddr_from_sockaddr((struct sockaddr *)&local, &a, &lport) < 0)
        return false;
    return lport == port && ipaddr_equal(&a, &h->tgt.addr);
}

int ce_established(struct ce_slot *p, const struct ce_host *h, uint16_t port)
{
    int err = 0;
    if (self_connected(p->fd, h, port)) {
        log_debug("connect", "port %u: connected to itself (TCP simultaneous open); closed", port);
        err = ECONNREFUSED;
    }
    /* RST instead of FIN (SO_LINGER 0): neither side keeps TIME_WAIT state
     * for a connection nobody will use. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    ce_slot_close(p);
    return err;
}

/* Perform one request: r->result becomes CE_PENDING (in flight, socket
 * kept), 0 (connected; socket closed) or an errno (socket reset by the
 * kernel and kept for reuse, or closed if its state is unknown). */
static void exec_req(struct ce *ce, struct ce_req *r)
{
    struct ce_slot *p = &ce->slots[r->slot];
    const struct ce_host *h = &ce->hosts[r->host];
    struct sockaddr_storage ss;
    socklen_t len = ce_target_sa(h, r->port, &ss);
    int err = 0, rc = -1;
    r->started = -1;
    /* A kept socket was reset by the kernel when it reported a refusal, so
     * connect() must answer EINPROGRESS (or fail before sending). If it
     * answers anything that means "already connected/connecting" (0,
     * EISCONN, EALREADY), the socket is not what we think: it is replaced
     * rather than misread as an answer for this port. */
    for (int attempt = 0; attempt < 2; attempt++) {
        int fresh = slot_socket(ce, r->slot, h->sa.ss_family);
        if (fresh < 0) {
            r->sent_us = r->done_us = clock_mono_us();
            r->result = -fresh;
            return;
        }
        r->sent_us = clock_mono_us();
        rc = connect(p->fd, (struct sockaddr *)&ss, len);
        err = rc == 0 ? 0 : errno;
        bool dirty = (rc == 0 && !fresh) || err == EALREADY || err == EISCONN;
        if (!dirty) {
            r->started = err;
            break;
        }
        ce_slot_close(p);
        rc = -1;
        err = EAGAIN; /* both attempts dirty: a local failure, try later */
    }
    if (rc == 0) {
        err = ce_established(p, h, r->port);
    } else if (err == EINPROGRESS) {
        /* On loopback the answer was handled before connect() returned;
         * asking again resolves the probe without a trip through epoll. */
        err = ce_connect_status(p->fd, &ss, len);
        if (err == 0)
            err = ce_established(p, h, r->port);
        else if (err != CE_PENDING)
            ce_keep_if_reset(p, err);
    } else {
        /* Failed before a SYN left (no route, no ephemeral port, local
         * firewall): the socket's state is not worth guessing at. */
        ce_slot_close(p);
    }
    r->result = err;
    r->done_us = clock_mono_us();
}

/* ---- the helper thread -------------------------------------------------- */

struct ce_pool {
    struct ce *ce;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t epoch; /* batch number (mu) */
    bool busy;      /* the helper owes the current batch a "done" (mu) */
    bool started;   /* the helper has begun on the current batch (mu) */
    bool quit;      /* (mu) */
    struct ce_req *reqs;
    uint32_t nreq;
    _Atomic uint32_t next; /* next request to claim */
    uint32_t pause;        /* batches to run without the helper (loop only) */
};

static void run_share(struct ce_pool *pool)
{
    uint32_t i;
    while ((i = atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed)) < pool->nreq)
        exec_req(pool->ce, &pool->reqs[i]);
}

static void *helper_main(void *arg)
{
    struct ce_pool *pool = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (!pool->quit && (seen == pool->epoch || !pool->busy))
            pthread_cond_wait(&pool->go, &pool->mu);
        if (pool->quit)
            break;
        seen = pool->epoch;
        pool->started = true;
        pthread_mutex_unlock(&pool->mu);
        run_share(pool);
        pthread_mutex_lock(&pool->mu);
        pool->busy = false;
        pool->started = false;
        pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

void ce_pool_start(struct ce *ce)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    /* -r promises ports in order on the wire: two threads connecting the
     * halves of a batch at once would interleave them. */
    if (ncpu < 2 || ce->nslots < POOL_MIN_BATCH || !ce->job->randomize_ports)
        return;
    struct ce_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return; /* fine: one thread does it all */
    pool->ce = ce;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->go, NULL);
    pthread_cond_init(&pool->done, NULL);
    /* The helper must not take SIGINT: the main thread's epoll wait is what
     * a Ctrl-C has to interrupt. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&pool->tid, NULL, helper_main, pool);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        pthread_cond_destroy(&pool->go);
        pthread_cond_destroy(&pool->done);
        pthread_mutex_destroy(&pool->mu);
        free(pool);
        return;
    }
    ce->pool = pool;
}

void ce_pool_stop(struct ce *ce)
{
    struct ce_pool *pool = ce->pool;
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mu);
    pool->quit = true;
    pthread_cond_signal(&pool->go);
    pthread_mutex_unlock(&pool->mu);
    pthread_join(pool->tid, NULL);
    pthread_cond_destroy(&pool->go);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->mu);
    free(pool);
    ce->pool = NULL;
}

void ce_launch_batch(struct ce *ce, struct ce_req *reqs, uint32_t n)
{
    struct ce_pool *pool = ce->pool;
    if (!pool || n < POOL_MIN_BATCH || pool->pause > 0) {
        if (pool && pool->pause > 0)
            pool->pause--;
        for (uint32_t i = 0; i < n; i++)
            exec_req(ce, &reqs[i]);
        return;
    }
    pthread_mutex_lock(&pool->mu);
    pool->reqs = reqs;
    pool->nreq = n;
    atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
    pool->epoch++;
    pool->busy = true;
    pool->started = false;
    pthread_cond_signal(&pool->go);
    pthread_mutex_unlock(&pool->mu);

    run_share(pool);

    int64_t t0 = clock_mono_us();
    pthread_mutex_lock(&pool->mu);
    if (!pool->started)
        pool->busy = false; /* it never woke up: nothing of this batch is its */
    while (pool->busy)
        pthread_cond_wait(&pool->done, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
    /* Waiting more than a request's worth means the helper was preempted
     * holding one: the CPUs are busy elsewhere and a second thread costs
     * more than it brings. Go alone for a while, then try again. */
    if (clock_mono_us() - t0 > POOL_STALL_US)
        pool->pause = POOL_PAUSE;
}
