/*
 * raw_internal.h — internals of the raw engine, shared by raw_engine.c
 * (setup, passes, cooldown, dry run), raw_tx.c (sender thread), raw_rx.c
 * (receiver threads) and raw_results.c (aggregation and delivery). Not a
 * public contract; tests/unit/test_raw_engine.c uses the results part.
 *
 * Threads and what they own:
 *   sender    the permutation walk, frame buffers, the token bucket; writes
 *             tx_pos/tx_sent/stamps; reads rate_bits and the decided bits;
 *   receiver  one per interface: parse, cookie check, classify, dedupe
 *             (sole writer of the decided bitmap), push to its ring;
 *   caller    drains the rings into struct raw_results, runs the rate
 *             controller and the status line, sequences passes, delivers.
 * Everything shared is in struct raw_ctx and is either read-only after
 * setup or a C11 atomic; there are no locks.
 */
#ifndef PRTIP_ENGINE_RAW_INTERNAL_H
#define PRTIP_ENGINE_RAW_INTERNAL_H

#include "core/permute.h"
#include "core/rtt.h"
#include "core/scan.h"
#include "engine/engine.h"
#include "engine/raw_ring.h"
#include "net/cookie.h"
#include "net/io.h"
#include "net/packet.h"
#include "net/route.h"
#include "scan/scan_module.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RAW_SPORT_BASE  40000 /* probes leave from 40000-60999 unless -g */
#define RAW_SPORT_COUNT 21000
#define RAW_RING_SIZE   65536 /* replies in flight to the aggregator, per receiver */
#define RAW_STAMPS      65536 /* send-time records (one per batch) kept for RTT samples */
#define RAW_MAX_RX      2

static inline int64_t raw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One address family's way out. */
struct raw_fam {
    bool used;
    int family;
    struct route_info ri;
    enum send_method method;
    struct pkt_template tpl;
    struct tx *tx;
};

/* When a batch of pass 0 went out: shard positions from pos on. */
struct raw_stamp {
    _Atomic uint64_t pos;
    _Atomic int64_t t_ns;
};

/* Address indices [lo, hi) left out: a spec with no route. */
struct raw_skip {
    uint64_t lo, hi;
    struct ipaddr first;
};

static inline bool raw_skipped(const struct raw_skip *s, size_t n, uint64_t addr_idx)
{
    for (size_t i = 0; i < n; i++) /* few: one per unroutable spec checked */
        if (addr_idx >= s[i].lo && addr_idx < s[i].hi)
            return true;
    return false;
}

struct raw_ctx;

struct raw_rxer {
    struct raw_ctx *ctx;
    struct rx *rx;
    int linktype;
    char ifname[IF_NAMESIZE];
    struct raw_ring ring;
    pthread_t th;
    bool running;
    _Atomic uint64_t kernel_drops; /* rx_stats, published by the thread */
    /* Thread-private counters, read after join. */
    uint64_t frames, valid, dupes, unmapped, ring_waits;
};

struct raw_ctx {
    struct scan *scan;
    const struct scan_module *mod;
    const uint16_t *ports; /* ascending */
    uint32_t nports;
    uint64_t naddrs, nprobes; /* nprobes = naddrs * nports */
    struct permute perm;
    uint32_t shard, nshards;
    uint64_t shard_count; /* probes of this shard, excluded addresses included */
    uint8_t probe_flags;
    struct cookie_ctx cookie;
    struct raw_fam fam[2]; /* [0] IPv4, [1] IPv6 */
    struct raw_skip *skip; /* unroutable specs */
    size_t nskip;

    /* One bit per probe value x: decided. Written by the receivers only. */
    _Atomic uint64_t *decided;
    size_t decided_bytes;

    struct raw_rxer rx[RAW_MAX_RX];
    int nrx;
    _Atomic bool rx_stop;

    /* Sender <-> caller. */
    _Atomic int pass;
    _Atomic uint64_t rate_bits; /* double, packets/s */
    _Atomic uint64_t tx_pos;    /* shard positions walked in this pass */
    _Atomic uint64_t tx_sent;   /* frames sent, all passes */
    _Atomic bool tx_done;
    uint64_t sent_pass0;   /* probes sent in pass 0 (non-excluded), after join */
    uint64_t n_unroutable; /* sender only */
    struct ipaddr last_unroutable;
    int tx_errno;
    char tx_err[160];
    struct raw_stamp *stamps;
    _Atomic uint64_t nstamps;
};

/* ---- decided bitmap ---- */
static inline bool raw_decided(const struct raw_ctx *c, uint64_t x)
{
    if (!c->decided)
        return false;
    return (atomic_load_explicit(&c->decided[x / 64], memory_order_relaxed) >> (x % 64)) & 1;
}

/* ---- raw_tx.c ---- */
/* Sender thread body for pass atomic ctx->pass; sets tx_done at the end. */
void *raw_tx_main(void *arg);
/* Frames for this family: ethernet header or not, per the method. */
int raw_tx_template(struct raw_ctx *c, struct raw_fam *f, char *err, size_t errlen);

/* ---- raw_rx.c ---- */
void *raw_rx_main(void *arg);
/* The BPF filter for our replies (ctx's source addresses and ports). */
void raw_rx_filter(const struct raw_ctx *c, char *buf, size_t len);
/* Index of port in the ascending list, or -1. */
int64_t raw_port_index(const uint16_t *ports, uint32_t n, uint16_t port);

/* ---- raw_results.c ---- */

/* Aggregated answers: only hosts that replied, 4 bytes per port each. */
struct raw_results;

struct raw_results *raw_results_new(uint32_t nports);
void raw_results_free(struct raw_results *r);
/* Record a decided probe. Returns 1 if new, 0 for a repeat of a decided
 * (host, port), -1 on allocation failure. */
int raw_results_add(struct raw_results *r, const struct raw_reply *rep);
/* Unique answers so far, and hosts that answered. */
uint64_t raw_results_answers(const struct raw_results *r);
uint64_t raw_results_hosts(const struct raw_results *r);
/* Ports found open (the status line's found=, as masscan counts). */
uint64_t raw_results_open(const struct raw_results *r);
/* Scan-wide RTT estimate from all samples (have_sample false if none). */
const struct rtt_est *raw_results_rtt(const struct raw_results *r);

/* What delivery needs to know. perm is used with nshards > 1 only, to leave
 * out ports whose probe belongs to another shard. */
struct raw_deliver {
    struct scan *scan;
    const struct scan_module *mod;
    const uint16_t *ports;
    uint32_t nports;
    uint64_t naddrs;
    const struct permute *perm;
    uint32_t shard, nshards;
    const struct result_sink *sink;
    const struct raw_skip *skip; /* not scanned: not delivered */
    size_t nskip;
    bool interrupted;
    struct timespec start; /* wall clock */
};

/* Deliver every host in index order (see raw_engine.h); fills summary
 * counts. Returns 0 or -1 (no memory). */
int raw_results_deliver(struct raw_results *r, const struct raw_deliver *d);

#endif
