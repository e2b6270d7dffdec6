/*
 * rdns.h — asynchronous reverse DNS for the scan engines: a small pool of
 * resolver threads behind a bounded table of lookups, so that a slow or
 * dead resolver never stalls an epoll loop or an aggregator.
 *
 * A caller submits an address, goes on with its work, and later collects
 * the name (or NULL: no PTR record, resolver error, or the lookup's
 * deadline passed, as nmap delivers a host without a name when its
 * resolver gives up). Lookups are getnameinfo(NI_NAMEREQD), which follows
 * nsswitch.conf (so /etc/hosts first on most systems) and resolv.conf.
 *
 * Bounded in three ways, because glibc's own timeouts (resolv.conf
 * "timeout:5 attempts:2" per server) can add up to tens of seconds:
 *   - each lookup has a deadline (opts.timeout_us after submission); at the
 *     deadline rdns_collect answers NULL and the lookup is abandoned (its
 *     thread finishes in the background, the answer is dropped);
 *   - after RDNS_DEAD_AFTER consecutive lookups missed their deadline the
 *     resolver is declared dead and later submissions fail at once, so a
 *     dead resolver costs one timeout per scan, not one per host;
 *   - rdns_free never waits for a lookup in progress (threads are detached
 *     and the last one out frees the shared state).
 *
 * Thread-safety: one caller thread (the engine's); the workers are
 * internal. Threads are started on demand, up to opts.max_threads, and
 * block every signal (Ctrl-C belongs to the engine's thread).
 */
#ifndef PRTIP_CORE_RDNS_H
#define PRTIP_CORE_RDNS_H

#include "core/addr.h"

#include <stdbool.h>
#include <stdint.h>

/* Reverse-DNS policy, nmap's -n / -R. */
enum dns_mode {
    DNS_UP_HOSTS = 0, /* default: resolve hosts found up */
    DNS_NEVER,        /* -n */
    DNS_ALWAYS,       /* -R */
};

#define RDNS_DEFAULT_THREADS 8
#define RDNS_DEFAULT_TIMEOUT 5000000 /* us: per lookup, as the brief's cap */
#define RDNS_DEAD_AFTER      3       /* consecutive deadline misses */

/* A lookup: the PTR name of a, malloc'd, or NULL for none. Runs on a worker
 * thread; ctx is opts.lookup_ctx. */
typedef char *(*rdns_lookup_fn)(const struct ipaddr *a, void *ctx);

struct rdns_opts {
    unsigned max_threads;  /* 1..64; 0 = RDNS_DEFAULT_THREADS */
    unsigned max_pending;  /* lookups submitted and not yet collected; >= 1 */
    int64_t timeout_us;    /* per lookup, from submission; 0 = RDNS_DEFAULT_TIMEOUT */
    rdns_lookup_fn lookup; /* NULL = rdns_getnameinfo (tests inject a fake) */
    void *lookup_ctx;
};

struct rdns;

/* The default lookup: getnameinfo(NI_NAMEREQD) on a. */
char *rdns_getnameinfo(const struct ipaddr *a, void *ctx);

/* A pool with no threads yet. Returns NULL on allocation or eventfd failure
 * (callers then deliver hosts without names). */
struct rdns *rdns_new(const struct rdns_opts *opts);

/* Abandon every lookup and release the pool; never blocks on a lookup in
 * progress. NULL is fine. */
void rdns_free(struct rdns *r);

/* An eventfd that becomes readable when a lookup finishes, for epoll loops;
 * rdns_ack clears it (call it when it fired, before collecting). */
int rdns_fd(const struct rdns *r);
void rdns_ack(struct rdns *r);

/*
 * Start resolving a. Returns a handle (>= 0) for rdns_collect, or -1 when
 * the pool cannot take it (max_pending lookups outstanding, resolver
 * declared dead, no memory): the caller delivers without a name.
 */
int64_t rdns_submit(struct rdns *r, const struct ipaddr *a);

/*
 * The outcome of handle h, using the CLOCK_MONOTONIC time now_us (see
 * clock_mono_us, core/clock.h):
 *   1: finished or past its deadline; *name is the name (caller frees) or
 *      NULL, and h is released;
 *   0: still running (only when !wait); *deadline_us says when it will give
 *      up, for the caller's next wake-up.
 * wait: block until the lookup finishes or its deadline passes.
 */
int rdns_collect(struct rdns *r, int64_t h, bool wait, int64_t now_us, char **name,
                 int64_t *deadline_us);

/* Give up on h now (Ctrl-C): like a collect that found no name. */
void rdns_cancel(struct rdns *r, int64_t h);

/* True once the resolver has been declared dead (for -d diagnostics). */
bool rdns_dead(const struct rdns *r);

#endif
