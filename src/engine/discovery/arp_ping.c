/*
 * arp_ping.c — ARP / Neighbor Discovery ping of on-link targets (see
 * arp_ping.h). One thread: requests are sent in small batches paced by a
 * token bucket, and the capture is drained between batches, so a reply's
 * RTT is measured against the last request sent to that target.
 *
 * Replies are matched by address through an open-addressing table (the
 * target list can be a whole /16 segment); nothing is trusted from a frame
 * before neigh.c's parsers have validated it.
 */
#include "engine/discovery/arp_ping.h"
#include "core/clock.h"

#include "core/log.h"
#include "core/rtt.h"
#include "net/io.h"
#include "net/neigh.h"
#include "net/parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH         32
#define MIN_WAIT_NS   100000000LL /* 100 ms: ARP answers come from the kernel at once */
#define POLL_SLICE_MS 5
#define FRAME_CAP     128

struct ap {
    const struct arp_job *job;
    const struct route_info *ri;
    struct arp_target *t;
    size_t n;
    uint32_t *slot; /* hash slots: target index + 1, 0 = empty */
    size_t mask;
    int64_t *sent_ns; /* last request per target, 0 = never */
    uint8_t *tries;   /* requests sent per target (Karn: RTT only from the first) */
    struct rtt_est est;
    size_t nup;
    bool v6;
};

static uint64_t addr_hash(const struct ipaddr *a)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ a->bytes[i]) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}

static int table_build(struct ap *c)
{
    size_t cap = 16;
    while (cap < c->n * 2)
        cap <<= 1;
    c->slot = calloc(cap, sizeof(*c->slot));
    if (!c->slot)
        return -1;
    c->mask = cap - 1;
    for (size_t i = 0; i < c->n; i++) {
        size_t s = addr_hash(&c->t[i].addr) & c->mask;
        while (c->slot[s])
            s = (s + 1) & c->mask;
        c->slot[s] = (uint32_t)i + 1;
    }
    return 0;
}

/* The next target after slot position *pos (start with *pos = 0) whose
 * address is a, or -1. A target listed twice has two entries: nmap scans and
 * reports each copy, so a reply is credited to every one of them. */
static int64_t table_next(const struct ap *c, const struct ipaddr *a, size_t *pos)
{
    /* *pos is the next slot to look at plus one; the table is at least
     * twice the target count, so an empty slot ends every chain. */
    for (size_t s = *pos ? *pos - 1 : addr_hash(a) & c->mask; c->slot[s]; s = (s + 1) & c->mask) {
        uint32_t i = c->slot[s] - 1;
        if (ipaddr_equal(&c->t[i].addr, a)) {
            *pos = ((s + 1) & c->mask) + 1;
            return i;
        }
    }
    return -1;
}

/* A frame from the capture: an answer from one of our targets? */
static void on_frame(void *ctx, const uint8_t *data, size_t len, size_t wirelen, int64_t ts_ns)
{
    (void)wirelen; /* ARP and NDP answers fit in the snaplen */
    (void)ts_ns;
    struct ap *c = ctx;
    struct ipaddr who;
    uint8_t mac[6];
    if (!c->v6) {
        struct neigh_arp a;
        if (neigh_arp_parse(data, len, &a) != PARSE_OK || a.op != NEIGH_ARP_REPLY)
            return;
        who = a.spa;
        memcpy(mac, a.sha, 6);
    } else {
        struct neigh_nd nd;
        if (neigh_nd_parse(data, len, &nd) != PARSE_OK || nd.type != NEIGH_ND_NA)
            return;
        who = nd.target;
        /* §7.2.5: the option is only required in answers to multicast
         * solicitations, which ours are; fall back to the frame's source. */
        memcpy(mac, nd.has_lladdr ? nd.lladdr : nd.eth_src, 6);
    }
    if (!neigh_mac_unicast(mac))
        return;
    size_t pos = 0;
    for (int64_t i; (i = table_next(c, &who, &pos)) >= 0;) {
        struct arp_target *t = &c->t[i];
        if (t->up)
            continue;
        t->up = true;
        memcpy(t->mac, mac, 6);
        if (c->sent_ns[i]) {
            t->rtt_us = (clock_mono_ns() - c->sent_ns[i]) / 1000;
            if (c->tries[i] == 1)
                rtt_update(&c->est, t->rtt_us);
        }
        c->nup++;
    }
}

static double send_rate(const struct arp_job *job)
{
    double r = job->rate > 0 ? job->rate : ARP_PING_RATE;
    if (job->rate <= 0) {
        if (job->timing.max_rate > 0 && r > job->timing.max_rate)
            r = job->timing.max_rate;
        if (job->timing.min_rate > 0 && r < job->timing.min_rate)
            r = job->timing.min_rate;
    }
    return r;
}

static int64_t wait_ns(const struct ap *c)
{
    const struct timing *tm = &c->job->timing;
    int64_t w = c->est.have_sample ? 2 * (c->est.srtt_us + 4 * c->est.rttvar_us) * 1000
                                   : (int64_t)tm->initial_rtt_ms * 1000000;
    if (w < MIN_WAIT_NS)
        w = MIN_WAIT_NS;
    int64_t cap = (int64_t)tm->max_rtt_ms * 1000000;
    if (cap > 0 && w > cap && cap >= MIN_WAIT_NS)
        w = cap;
    return w;
}

/* Drain the capture for up to ms milliseconds (0 = what is queued). */
static int drain(struct ap *c, struct rx *rx, int ms, char *err, size_t errlen)
{
    if (rx_poll(rx, ms, on_frame, c) < 0 && errno != EINTR) {
        snprintf(err, errlen, "capture on %s: %s", c->ri->ifname, strerror(errno));
        return -1;
    }
    return 0;
}

static int build(const struct ap *c, size_t i, uint8_t *buf)
{
    if (c->v6)
        return neigh_ns_build(buf, FRAME_CAP, c->ri->src_mac, &c->ri->src, &c->t[i].addr);
    return neigh_arp_request(buf, FRAME_CAP, c->ri->src_mac, &c->ri->src, &c->t[i].addr);
}

/* One pass: a request to every target still silent, paced at rate. */
static int send_pass(struct ap *c, struct tx *tx, struct rx *rx, double rate, char *err,
                     size_t errlen)
{
    static uint8_t bufs[BATCH][FRAME_CAP];
    uint8_t *frames[BATCH];
    uint16_t lens[BATCH];
    struct ipaddr dsts[BATCH];
    size_t idx[BATCH];
    double tokens = 1;
    int64_t last = clock_mono_ns();
    size_t i = 0;
    while (i < c->n && !job_stopping(c->job->stop)) {
        int64_t now = clock_mono_ns();
        tokens += (double)(now - last) * rate / 1e9;
        last = now;
        if (tokens > BATCH)
            tokens = BATCH;
        unsigned k = 0;
        while (i < c->n && k < (unsigned)tokens) {
            if (!c->t[i].up) {
                int len = build(c, i, bufs[k]);
                if (len < 0) {
                    snprintf(err, errlen, "cannot build a neighbour request on %s", c->ri->ifname);
                    return -1;
                }
                frames[k] = bufs[k];
                lens[k] = (uint16_t)len;
                dsts[k] = c->t[i].addr;
                idx[k] = i;
                k++;
            }
            i++;
        }
        if (k) {
            /* Stamped before the call: on a veth the answer can be queued
             * before tx_send even returns. */
            int64_t t = clock_mono_ns();
            int sent = tx_send(tx, frames, lens, dsts, k);
            if (sent < 0) {
                snprintf(err, errlen, "sending on %s: %s", c->ri->ifname, strerror(errno));
                return -1;
            }
            for (int j = 0; j < sent; j++) {
                c->sent_ns[idx[j]] = t;
                c->tries[idx[j]] += c->tries[idx[j]] < 255;
            }
            tokens -= sent;
        }
        /* Wait for the next token while collecting answers. */
        int ms = tokens >= 1 ? 0 : (int)((1 - tokens) * 1000 / rate);
        if (drain(c, rx, ms > POLL_SLICE_MS ? POLL_SLICE_MS : ms, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static int dry_run(const struct ap *c)
{
    for (size_t i = 0; i < c->n && !job_stopping(c->job->stop); i++) {
        char a[IPADDR_STRLEN];
        printf("probe %s 0 %s %s shard 1/1\n", ipaddr_str(&c->t[i].addr, a, sizeof(a)),
               c->v6 ? "icmp6" : "arp", c->v6 ? "nd" : "arp");
    }
    return 0;
}

int arp_ping_run(const struct arp_job *job, const struct route_info *ri, struct arp_target *t,
                 size_t n, char *err, size_t errlen)
{
    struct ap c = {.job = job, .ri = ri, .t = t, .n = n, .v6 = ri->src.family == AF_INET6};
    for (size_t i = 0; i < n; i++) {
        t[i].up = false;
        t[i].rtt_us = -1;
    }
    if (n == 0)
        return 0;
    if (job->dry_run)
        return dry_run(&c);
    const struct timing *tm = &job->timing;
    rtt_init(&c.est, (int64_t)tm->min_rtt_ms * 1000, (int64_t)tm->max_rtt_ms * 1000,
             (int64_t)tm->initial_rtt_ms * 1000);

    struct tx *tx = NULL;
    struct rx *rx = NULL;
    int rc = -1;
    c.sent_ns = calloc(n, sizeof(*c.sent_ns));
    c.tries = calloc(n, 1);
    if (!c.sent_ns || !c.tries || table_build(&c) < 0) {
        snprintf(err, errlen, "ARP ping: out of memory for %zu targets", n);
        goto out;
    }
    /* The capture first, so that no answer to the first request is missed.
     * The ring's block timeout would delay frames (and inflate RTTs) unless
     * the user chose it; a plain socket does not, and unlike libpcap's ring
     * it costs no kernel grace period to open (io.h: ~20 ms here, which was
     * a third of a small default scan). */
    enum recv_method rm = job->recv ? job->recv : RECV_SOCKET;
    errno = 0;
    /* A few answers per target: the smallest buffer does. */
    rx = rx_open(rm, ri->ifname, c.v6 ? "icmp6" : "arp", rx_ring_bytes(c.n, 0, 500), err, errlen);
    if (!rx)
        goto out;
    errno = 0;
    tx = tx_open(SEND_PACKET_MMSG, ri, c.v6 ? AF_INET6 : AF_INET, err, errlen);
    if (!tx)
        goto out;

    double rate = send_rate(job);
    int retries = tm->max_retries < 0 ? 0 : tm->max_retries;
    int passes = 1 + (retries < ARP_PING_PASSES - 1 ? retries : ARP_PING_PASSES - 1);
    for (int pass = 0; pass < passes && c.nup < n && !job_stopping(job->stop); pass++) {
        size_t before = c.nup;
        if (send_pass(&c, tx, rx, rate, err, errlen) < 0)
            goto out;
        int64_t end = clock_mono_ns();
        while (c.nup < n && !job_stopping(job->stop) && clock_mono_ns() < end + wait_ns(&c))
            if (drain(&c, rx, POLL_SLICE_MS, err, errlen) < 0)
                goto out;
        log_debug("arp", "%s pass %d on %s: %zu of %zu answered", c.v6 ? "ND" : "ARP", pass,
                  ri->ifname, c.nup - before, n - before);
    }
    rc = 0;
out:
    if (rc < 0 && errno == EPERM)
        snprintf(err, errlen, "raw sockets need root or CAP_NET_RAW (try -sT)");
    /* In the background: each close waits out a kernel grace period
     * (io.h), which the port scan after discovery need not wait for. */
    tx_close_async(tx);
    rx_close_async(rx);
    free(c.slot);
    free(c.sent_ns);
    free(c.tries);
    return rc;
}
