/*
 * raw_rx.c — the receiver thread: every frame that passes the BPF filter is
 * parsed, checked against the probe cookie, mapped back to its probe
 * (address index, port index), classified by the scan module and, if it is
 * the first answer for that probe, marked decided and pushed to the
 * aggregator's ring.
 *
 * RTT samples. A reply arriving while pass 0 is still the current pass
 * answers a probe that was sent exactly once (Karn's rule). Its send time
 * is recovered exactly, with no per-probe state: the probe's value x goes
 * back through the inverse permutation to its domain index i, whose shard
 * position is (i - shard) / nshards; the sender stamped every batch of
 * pass 0 with (first position, time), so a binary search over the recent
 * stamps finds the batch, and its time is the probe's send time.
 */
#include "engine/raw_internal.h"

#include "core/log.h"
#include "net/parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#define RX_POLL_MS 50 /* how soon the thread notices rx_stop */

int64_t raw_port_index(const uint16_t *ports, uint32_t n, uint16_t port)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ports[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ports[lo] == port ? (int64_t)lo : -1;
}

void raw_rx_filter(const struct raw_ctx *c, char *buf, size_t len)
{
    char ports[48], hosts[160] = "", a[IPADDR_STRLEN];
    if (c->cookie.sport_count == 1)
        snprintf(ports, sizeof(ports), "dst port %u", c->cookie.sport_base);
    else
        snprintf(ports, sizeof(ports), "dst portrange %u-%u", c->cookie.sport_base,
                 c->cookie.sport_base + c->cookie.sport_count - 1);
    size_t used = 0;
    for (int f = 0; f < 2; f++) {
        if (!c->fam[f].used)
            continue;
        used += (size_t)snprintf(hosts + used, sizeof(hosts) - used, "%sdst host %s",
                                 used ? " or " : "", ipaddr_str(&c->fam[f].ri.src, a, sizeof(a)));
    }
    /* Only segments to our source ports and ICMP errors, addressed to us:
     * our own outgoing probes (dst = target) never pass. */
    snprintf(buf, len, "((tcp and %s) or icmp or icmp6) and (%s)", ports, hosts);
}

/* Send time of the probe with value x, or -1 if no longer known. */
static int64_t sent_at(const struct raw_ctx *c, uint64_t x)
{
    uint64_t i = permute_unmap(&c->perm, x);
    if (i % c->nshards != c->shard)
        return -1;
    uint64_t pos = (i - c->shard) / c->nshards;
    uint64_t nb = atomic_load_explicit(&c->nstamps, memory_order_acquire);
    if (nb == 0)
        return -1;
    uint64_t lo = nb > RAW_STAMPS ? nb - RAW_STAMPS : 0, hi = nb - 1;
    /* Last batch whose first position is <= pos (positions ascend). */
    if (atomic_load_explicit(&c->stamps[lo % RAW_STAMPS].pos, memory_order_relaxed) > pos)
        return -1; /* older than the stamps kept */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (atomic_load_explicit(&c->stamps[mid % RAW_STAMPS].pos, memory_order_relaxed) <= pos)
            lo = mid;
        else
            hi = mid - 1;
    }
    const struct raw_stamp *s = &c->stamps[lo % RAW_STAMPS];
    uint64_t p1 = atomic_load_explicit(&s->pos, memory_order_acquire);
    int64_t t = atomic_load_explicit(&s->t_ns, memory_order_acquire);
    /* Overwritten while we looked (the ring wrapped): no sample. */
    if (p1 > pos || atomic_load_explicit(&c->nstamps, memory_order_acquire) - lo > RAW_STAMPS)
        return -1;
    return t;
}

static int parse_frame(int linktype, const uint8_t *data, size_t len, struct pkt_info *pi)
{
    switch (linktype) {
    case DLT_EN10MB:
        return pkt_parse_eth(data, len, pi);
    case DLT_LINUX_SLL: /* 16-byte cooked header, then the packet */
        return len < 16 ? PARSE_ERR_TRUNCATED : pkt_parse_ip(data + 16, len - 16, pi);
    default:
        return pkt_parse_ip(data, len, pi);
    }
}

static void on_frame(void *arg, const uint8_t *data, size_t len)
{
    struct raw_rxer *r = arg;
    struct raw_ctx *c = r->ctx;
    struct pkt_info pi;
    r->frames++;
    if (parse_frame(r->linktype, data, len, &pi) != PARSE_OK)
        return;
    const struct ipaddr *tgt;
    uint16_t port;
    if (pi.proto == IPPROTO_TCP) {
        if (!cookie_tcp_valid(&c->cookie, c->probe_flags, 0, &pi))
            return;
        tgt = &pi.src;
        port = pi.sport;
    } else if (pi.has_quote && pi.quote.proto == IPPROTO_TCP) {
        if (!cookie_icmp_valid(&c->cookie, &pi))
            return;
        tgt = &pi.quote.dst;
        port = pi.quote.dport;
    } else {
        return;
    }
    r->valid++;
    uint64_t ai;
    int64_t pidx = raw_port_index(c->ports, c->nports, port);
    if (pidx < 0 || target_set_index_of(c->scan->targets, tgt, &ai) < 0 || ai >= c->naddrs) {
        r->unmapped++; /* ours by cookie, but not a probe of this scan's space */
        return;
    }
    uint64_t x = (uint64_t)pidx * c->naddrs + ai;
    if (raw_decided(c, x)) {
        r->dupes++;
        return;
    }
    enum port_state st;
    enum reason rs;
    if (c->mod->classify_reply(&pi, &st, &rs) != VERDICT_FINAL)
        return;
    int pass = atomic_load_explicit(&c->pass, memory_order_acquire);
    struct raw_reply rep = {
        .addr_idx = ai,
        .port_idx = (uint32_t)pidx,
        .state = (uint8_t)st,
        .reason = (uint8_t)rs,
        .ttl = pi.ttl,
        .pass = (uint8_t)(pass > 255 ? 255 : pass),
        .rtt_us = -1,
    };
    if (pass == 0) {
        int64_t t = sent_at(c, x);
        if (t >= 0) {
            int64_t us = (raw_now_ns() - t) / 1000;
            rep.rtt_us = us < 0 ? 0 : us > INT32_MAX ? INT32_MAX : (int32_t)us;
        }
    }
    if (c->decided) /* sole writer: this receiver (one per family's interface) */
        atomic_fetch_or_explicit(&c->decided[x / 64], 1ULL << (x % 64), memory_order_relaxed);
    /* A full ring means the aggregator is behind: wait for it rather than
     * lose a result (the kernel buffers meanwhile). */
    while (!raw_ring_push(&r->ring, &rep)) {
        if (atomic_load_explicit(&c->rx_stop, memory_order_relaxed))
            return;
        r->ring_waits++;
        sched_yield();
    }
}

void *raw_rx_main(void *arg)
{
    struct raw_rxer *r = arg;
    struct raw_ctx *c = r->ctx;
    int64_t next_stats = 0;
    while (!atomic_load_explicit(&c->rx_stop, memory_order_acquire)) {
        int n = rx_poll(r->rx, RX_POLL_MS, on_frame, r);
        if (n < 0 && errno != EINTR && errno != EAGAIN) {
            log_error("raw", "receive on %s failed: %s", r->ifname, strerror(errno));
            break;
        }
        int64_t now = raw_now_ns();
        if (now >= next_stats) {
            uint64_t got, dropped;
            rx_stats(r->rx, &got, &dropped);
            atomic_store_explicit(&r->kernel_drops, dropped, memory_order_relaxed);
            next_stats = now + 50000000; /* 50 ms: fresh for each rate tick */
        }
    }
    return NULL;
}
