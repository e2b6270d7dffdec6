/*
 * raw_rx.c — the receiver thread: every frame that passes the BPF filter is
 * parsed, checked against the probe cookie of its kind, mapped back to its
 * probe (address index, probe-list entry), classified by the entry's scan
 * module and, if it is the first answer for that probe, marked decided and
 * pushed to the aggregator's ring.
 *
 * RTT samples. A reply arriving while pass 0 is still the current pass
 * answers a probe that was sent exactly once (Karn's rule). Its send time
 * is recovered exactly, with no per-probe state: the probe's value x goes
 * back through the inverse permutation to its domain index i, whose shard
 * position is (i - shard) / nshards (raw_pass0_pos(), which also knows the
 * scheduled walk of raw_sched.c); the sender stamped every batch of
 * pass 0 with (first position, time), so a binary search over the recent
 * stamps finds the batch, and the probe's send time is interpolated
 * between the batch's t0 and t1 by its position in it. The reply's time is
 * the kernel's receive timestamp (rx_frame_fn's ts_ns), not when this
 * thread got to it: the TPACKET_V3 ring hands frames over a block at a
 * time, up to 10 ms later at low rates, which is 300 times a lab RTT.
 */
#include "engine/raw/raw_internal.h"
#include "core/clock.h"

#include "core/log.h"
#include "net/parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RX_POLL_MS 50 /* a poll slice; rx_wake() ends it early on stop */

int64_t raw_probe_index(const struct raw_probe *probes, uint32_t first, uint32_t count,
                        uint16_t port)
{
    uint32_t lo = first, hi = first + count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (probes[mid].port < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < first + count && probes[lo].port == port ? (int64_t)lo : -1;
}

/* Whether some group of the scan sends kind k. */
static bool has_kind(const struct raw_ctx *c, const struct probe_kind *k)
{
    for (int g = 0; g < c->ngroups; g++)
        if (c->groups[g].kind == k)
            return true;
    return false;
}

/* Whether an earlier kind of the registry than *k, sent by the scan, has
 * the same transport: its clause is already in the filter. */
static bool clause_done(const struct raw_ctx *c, const struct probe_kind *const *k)
{
    for (const struct probe_kind *const *j = probe_kinds; j < k; j++)
        if ((*j)->bpf_proto && !strcmp((*j)->bpf_proto, (*k)->bpf_proto) && has_kind(c, *j))
            return true;
    return false;
}

void raw_rx_filter(const struct raw_ctx *c, char *buf, size_t len)
{
    char ports[48], hosts[RAW_MAX_ROUTES * 64] = "", a[IPADDR_STRLEN], l4[128] = "";
    if (c->cookie.sport_count == 1)
        snprintf(ports, sizeof(ports), "dst port %u", c->cookie.sport_base);
    else
        snprintf(ports, sizeof(ports), "dst portrange %u-%u", c->cookie.sport_base,
                 c->cookie.sport_base + c->cookie.sport_count - 1);
    size_t used = 0;
    for (int f = 0; f < c->nfam; f++) {
        bool dup = !c->fam[f].used; /* one clause per source address */
        for (int g = 0; g < f && !dup; g++)
            dup = c->fam[g].used && ipaddr_equal(&c->fam[g].ri.src, &c->fam[f].ri.src);
        if (!dup)
            used +=
                (size_t)snprintf(hosts + used, sizeof(hosts) - used, "%sdst host %s",
                                 used ? " or " : "", ipaddr_str(&c->fam[f].ri.src, a, sizeof(a)));
    }
    /* One clause per transport a kind of the scan is answered over, in
     * the registry's order, each once even if several kinds share it. */
    size_t l4used = 0;
    for (const struct probe_kind *const *k = probe_kinds; *k; k++) {
        if (!(*k)->bpf_proto || !has_kind(c, *k) || clause_done(c, k))
            continue;
        l4used += (size_t)snprintf(l4 + l4used, sizeof(l4) - l4used, "(%s and %s) or ",
                                   (*k)->bpf_proto, ports);
        if (l4used >= sizeof(l4))
            l4used = sizeof(l4) - 1;
    }
    /* Only segments/datagrams to our source ports and ICMP, addressed to
     * us: our own outgoing probes (dst = target) never pass. */
    snprintf(buf, len, "(%sicmp or icmp6) and (%s)", l4, hosts);
}

/*
 * Which probe does reply pi answer? Asks each group's kind to validate it
 * against the cookie (scan/probe_kind.h) and looks the probed port up in
 * the group's entries. Returns 1 with *entry and *tgt (the probed address)
 * set, 0 for a reply that is not ours, -1 for one that is ours by cookie
 * but whose port is not in the probe list.
 */
static int match(const struct raw_ctx *c, const struct pkt_info *pi, uint32_t *entry,
                 const struct ipaddr **tgt)
{
    bool valid = false;
    for (int g = 0; g < c->ngroups; g++) {
        const struct raw_group *gr = &c->groups[g];
        struct probe_match m;
        if (!gr->kind->validate(&c->cookie, gr->tcp_flags, pi, &m))
            continue;
        valid = true;
        int64_t e = raw_probe_index(c->probes, gr->first, gr->count, m.port);
        if (e >= 0) {
            *entry = (uint32_t)e;
            *tgt = m.target;
            return 1;
        }
    }
    return valid ? -1 : 0;
}

/* Send time of the probe with value x (rx_clock_ns's clock), or -1 if no
 * longer known. */
static int64_t sent_at(const struct raw_ctx *c, uint64_t x)
{
    uint64_t p, pos;
    if (!raw_pass0_pos(c, x, &p))
        return -1;
    const struct raw_sender *snd = raw_sender_of(c, p, &pos);
    int64_t found = raw_stamp_find(snd, pos);
    if (found < 0)
        return -1;
    uint64_t lo = (uint64_t)found;
    const struct raw_stamp *s = &snd->stamps[lo % RAW_STAMPS];
    uint64_t p0 = atomic_load_explicit(&s->pos, memory_order_acquire);
    uint64_t p1 = atomic_load_explicit(&s->end, memory_order_acquire);
    int64_t t0 = atomic_load_explicit(&s->t0, memory_order_acquire);
    int64_t t1 = atomic_load_explicit(&s->t1, memory_order_acquire);
    /* Overwritten while we looked (the ring wrapped): no sample. */
    if (p0 > pos || atomic_load_explicit(&snd->nstamps, memory_order_acquire) - lo > RAW_STAMPS)
        return -1;
    /* Still being sent: it left after t0, which is all that is known. */
    if (t1 < t0 || pos >= p1)
        return t0;
    /* The frames of a batch leave one after another between t0 and t1. */
    return t0 + (int64_t)((double)(t1 - t0) * (double)(pos - p0) / (double)(p1 - p0));
}

/*
 * The receivers keep only the first 256 bytes of each frame (net/rx.c's
 * snaplen): every header we read fits, but a UDP reply or an ICMP error
 * quoting a UDP probe with a large payload (DHCP, NetBIOS...) is longer.
 * The parser takes the wire length too and decodes such a frame from its
 * captured headers (pkt_info.truncated; nothing here reads payloads).
 */
static int parse_frame(int linktype, const uint8_t *data, size_t len, size_t wirelen,
                       struct pkt_info *pi)
{
    switch (linktype) {
    case DLT_EN10MB:
        return pkt_parse_eth_cap(data, len, wirelen, pi);
    case DLT_LINUX_SLL: /* 16-byte cooked header, then the packet */
        return len < 16 ? PARSE_ERR_TRUNCATED
                        : pkt_parse_ip_cap(data + 16, len - 16, wirelen - 16, pi);
    default:
        return pkt_parse_ip_cap(data, len, wirelen, pi);
    }
}

/* Round-trip samples below this are a clock step between send and
 * receive, not a measurement; small negative ones are interpolation. */
#define RTT_STEP_NS (-1000000)

/* Credit the reply in pi, a final (st, rs) for probe entry, to address
 * number ai: once per probe, except the pacer's UDP canary repeats. */
static void credit(struct raw_rxer *r, const struct pkt_info *pi, const struct ipaddr *tgt,
                   uint32_t entry, uint64_t ai, enum port_state st, enum reason rs, int64_t ts_ns)
{
    struct raw_ctx *c = r->ctx;
    uint64_t x = (uint64_t)entry * c->naddrs + ai;
    bool repeat = false;
    if (raw_decided(c, x)) {
        /* The pacer probes known-closed UDP ports on purpose (its canary):
         * it needs to see those answers; every other repeat is noise. */
        if (!raw_entry_is_udp(c, entry) ||
            !atomic_load_explicit(&c->pacing, memory_order_relaxed)) {
            r->dupes++;
            return;
        }
        repeat = true;
    }
    int pass = atomic_load_explicit(&c->pass, memory_order_acquire);
    struct raw_reply rep = {
        .addr_idx = ai,
        .entry = entry,
        .state = (uint8_t)st,
        .reason = (uint8_t)rs,
        .ttl = pi->ttl,
        .pass = (uint8_t)(pass > 255 ? 255 : pass),
        .rtt_us = -1,
        .flags = repeat ? RAW_REPLY_REPEAT : 0,
        .rx_ns = ts_ns,
    };
    /* An ICMP error sent by a router or firewall rather than the target:
     * nmap reports where it came from ("admin-prohibited from 198.18.0.254"). */
    if ((pi->proto == IPPROTO_ICMP || pi->proto == IPPROTO_ICMPV6) &&
        !ipaddr_equal(&pi->src, tgt)) {
        rep.flags |= RAW_REPLY_FROM;
        rep.from = pi->src;
    }
    if (pass == 0 && !repeat) {
        int64_t t = sent_at(c, x);
        if (t >= 0) {
            int64_t d = (ts_ns > 0 ? ts_ns : rx_clock_ns()) - t;
            int64_t us = d / 1000;
            if (d >= RTT_STEP_NS)
                rep.rtt_us = us < 0 ? 0 : us > INT32_MAX ? INT32_MAX : (int32_t)us;
        }
    }
    if (c->decided && !repeat) /* a reply reaches one receiver: the only writer of x */
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

/*
 * --os-passive: keep the first IPv4 SYN-ACK of address ai (the IP packet
 * from its header on) with the SYN's sequence number, which the cookie
 * check made sure is the reply's ack - 1. One allocation per answering
 * host; a later SYN-ACK of the same host loses the compare-and-swap.
 */
static void keep_synack(struct raw_ctx *c, const struct pkt_info *pi, const uint8_t *ip,
                        size_t caplen, uint64_t ai)
{
    if (pi->family != AF_INET || pi->proto != IPPROTO_TCP ||
        atomic_load_explicit(&c->synacks[ai], memory_order_relaxed))
        return;
    size_t len = (size_t)ip[2] << 8 | ip[3]; /* IPv4 total length */
    const uint8_t *tcp = ip + (pi->l4_off - pi->l3_off);
    if (len > caplen)
        len = caplen;
    if (len > OS_SYNACK_MAX)
        len = OS_SYNACK_MAX; /* options end by 60 + 60 bytes */
    if (len < pi->l4_off - pi->l3_off + 20u)
        return;
    struct os_synack *sa = malloc(sizeof *sa);
    if (!sa)
        return; /* no guess for this host, nothing else lost */
    uint32_t ack =
        (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
    sa->probe_seq = ack - 1u;
    sa->probe_ack = 0; /* a SYN carries ack 0 (probe_tcp.c) */
    sa->len = (uint16_t)len;
    memcpy(sa->pkt, ip, len);
    struct os_synack *none = NULL;
    if (!atomic_compare_exchange_strong(&c->synacks[ai], &none, sa))
        free(sa);
}

static void on_frame(void *arg, const uint8_t *data, size_t len, size_t wirelen, int64_t ts_ns)
{
    struct raw_rxer *r = arg;
    struct raw_ctx *c = r->ctx;
    struct pkt_info pi;
    r->frames++;
    if (parse_frame(r->linktype, data, len, wirelen < len ? len : wirelen, &pi) != PARSE_OK)
        return;
    const struct ipaddr *tgt = NULL;
    uint32_t entry = 0;
    int m = match(c, &pi, &entry, &tgt);
    if (m == 0)
        return;
    r->valid++;
    size_t spec = 0;
    uint64_t ai;
    if (m < 0 || target_set_index_next(c->job->targets, tgt, &spec, &ai) < 0 || ai >= c->naddrs) {
        r->unmapped++; /* ours by cookie, but not a probe of this scan's space */
        return;
    }
    enum port_state st;
    enum reason rs;
    if (c->probes[entry].mod->classify_reply(&pi, &st, &rs) != VERDICT_FINAL)
        return;
    if (c->synacks && st == PORT_OPEN && rs == REASON_SYN_ACK) {
        size_t skip = r->linktype == DLT_LINUX_SLL ? 16 : 0; /* parse_frame's start */
        keep_synack(c, &pi, data + skip + pi.l3_off, len - skip - pi.l3_off, ai);
    }
    /* A target listed twice (or in overlapping ranges) was probed once per
     * listing with identical packets: the reply answers every copy, as
     * nmap reports each copy of a host. */
    do
        credit(r, &pi, tgt, entry, ai, st, rs, ts_ns);
    while (target_set_index_next(c->job->targets, tgt, &spec, &ai) == 0 && ai < c->naddrs);
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
        int64_t now = clock_mono_ns();
        if (now >= next_stats) {
            uint64_t got, dropped;
            rx_stats(r->rx, &got, &dropped);
            atomic_store_explicit(&r->kernel_drops, dropped, memory_order_relaxed);
            next_stats = now + 50000000; /* 50 ms: fresh for each rate tick */
        }
    }
    return NULL;
}
