/*
 * sendpath.c — drive prtip's packet I/O (src/net/io.h) the way the raw
 * engine does, to measure it and to check that nothing is lost.
 *
 *   sendpath send --if IF --method auto|raw|packet|ring --src IP --dst IP
 *                 [--dmac MAC] [--count N] [--rate PPS] [--batch B]
 *                 [--flags syn|synack] [--seq-base S]
 *       Sends N TCP probes built with pkt_template_init/pkt_patch (nmap's SYN:
 *       MSS option, 58-byte frames on Ethernet), frame i carrying sequence
 *       number S+i, source port 40000 + i % 16 and destination port
 *       1 + i % 4096 (the ceiling's traffic exactly), in batches of B
 *       (default 256) through tx_send, optionally paced to PPS.
 *       Prints "method=M sent=N secs=S pps=P cpu=C" (cpu: % of one CPU).
 *
 *   sendpath recv --if IF --method auto|ring|pcap --filter BPF --count N
 *                 [--seq-base S] [--idle-ms MS] [--max-secs S]
 *       Prints "ready" once the receiver is open, then counts TCP frames whose
 *       sequence number is S..S+N-1: distinct ones, duplicates, and others.
 *       Stops when all N arrived (plus 200 ms to catch duplicates), after
 *       MS ms without a frame (default 1000), or after S seconds (30).
 *       Prints "method=M received=R distinct=D dup=U foreign=F
 *       kernel_received=K drops=X".
 *
 * SAFETY: only for the lab namespaces or loopback (bench/sendpath.sh and
 * tests/integration/test_io.sh run it there).
 *
 * Build (bench/sendpath.sh does this): gcc -O2 -std=c11 -D_GNU_SOURCE -Isrc
 *   bench/sendpath.c build/libprtip_core.a -lpcap -lm
 */
#include "net/io.h"
#include "net/packet.h"

#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct opts {
    const char *mode, *ifname, *method, *src, *dst, *dmac, *filter, *flags;
    unsigned long count, batch, rate, seq_base, idle_ms, max_secs;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_secs(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

/* What route.c would fill in, taken from the interface directly. */
static int fill_route(struct route_info *ri, const struct opts *o)
{
    struct ifreq ifr = {0};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    memset(ri, 0, sizeof(*ri));
    snprintf(ri->ifname, sizeof(ri->ifname), "%s", o->ifname);
    ri->ifindex = (int)if_nametoindex(o->ifname);
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifname);
    if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
        fprintf(stderr, "sendpath: %s: %s\n", o->ifname, strerror(errno));
        return -1;
    }
    close(fd);
    ri->hwtype = ifr.ifr_hwaddr.sa_family;
    memcpy(ri->src_mac, ifr.ifr_hwaddr.sa_data, 6);
    if (ipaddr_parse(o->src, &ri->src) < 0 || ipaddr_parse(o->dst, &ri->next_hop) < 0) {
        fprintf(stderr, "sendpath: bad --src/--dst\n");
        return -1;
    }
    ri->have_next_mac = parse_mac(o->dmac, ri->next_mac) == 0;
    ri->up = true;
    return 0;
}

static int do_send(const struct opts *o)
{
    struct route_info ri;
    struct pkt_tcp_params pp = {0};
    static struct pkt_template tpl;
    char err[256];
    int m = send_method_parse(o->method);

    if (m < 0 || fill_route(&ri, o) < 0) {
        fprintf(stderr, "sendpath: bad method or interface\n");
        return 1;
    }
    pp.family = ri.src.family;
    pp.eth = tx_wants_ethernet((enum send_method)m, &ri);
    memcpy(pp.src_mac, ri.src_mac, 6);
    memcpy(pp.dst_mac, ri.next_mac, 6); /* zero on loopback */
    pp.ip.ttl = 64;
    pp.tcp_flags =
        o->flags && !strcmp(o->flags, "synack") ? PKT_TCP_SYN | PKT_TCP_ACK : PKT_TCP_SYN;
    pp.window = 1024;
    pp.tcp_options = (const uint8_t *)PKT_TCP_OPT_MSS1460;
    pp.tcp_options_len = 4;
    if (pkt_template_init(&tpl, &pp) < 0) {
        fprintf(stderr, "sendpath: template\n");
        return 1;
    }
    struct tx *t = tx_open((enum send_method)m, &ri, ri.src.family, err, sizeof(err));
    if (!t) {
        fprintf(stderr, "sendpath: %s\n", err);
        return 2;
    }
    unsigned b = (unsigned)o->batch;
    uint8_t *buf = malloc((size_t)b * tpl.len);
    uint8_t **frames = malloc(b * sizeof(*frames));
    uint16_t *lens = malloc(b * sizeof(*lens));
    struct ipaddr *dsts = malloc(b * sizeof(*dsts));
    if (!buf || !frames || !lens || !dsts)
        return 2;
    for (unsigned i = 0; i < b; i++) {
        frames[i] = buf + (size_t)i * tpl.len;
        memcpy(frames[i], tpl.frame, tpl.len); /* once: pkt_patch writes only what varies */
        lens[i] = tpl.len;
        dsts[i] = ri.next_hop;
    }
    struct pkt_tcp_probe p = {.src = ri.src, .dst = ri.next_hop};
    unsigned long sent = 0;
    double c0 = cpu_secs(), t0 = now();
    while (sent < o->count) {
        unsigned k = o->count - sent < b ? (unsigned)(o->count - sent) : b;
        for (unsigned i = 0; i < k; i++) {
            unsigned long idx = sent + i;
            p.sport = (uint16_t)(40000 + idx % 16);
            p.dport = (uint16_t)(1 + idx % 4096);
            p.seq = (uint32_t)(o->seq_base + idx);
            p.ack = p.seq;
            p.ip_id = (uint16_t)idx;
            pkt_patch(&tpl, frames[i], &p);
        }
        int r = tx_send(t, frames, lens, dsts, k);
        if (r < 0) {
            fprintf(stderr, "sendpath: tx_send: %s\n", strerror(errno));
            break;
        }
        sent += (unsigned)r;
        if ((unsigned)r < k) {
            fprintf(stderr, "sendpath: short send %d/%u: %s\n", r, k, strerror(errno));
            break;
        }
        if (o->rate) {
            double due = t0 + (double)sent / (double)o->rate, d = due - now();
            if (d > 0) {
                struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
    }
    double secs = now() - t0, cpu = cpu_secs() - c0;
    tx_close(t);
    printf("method=%s sent=%lu secs=%.3f pps=%.0f cpu=%.0f\n", o->method, sent, secs,
           (double)sent / secs, 100.0 * cpu / secs);
    return sent == o->count ? 0 : 2;
}

struct counter {
    int linktype;
    unsigned long count, seq_base;
    uint8_t *seen; /* one bit per expected frame */
    unsigned long frames, distinct, dup, foreign;
    double last;
};

static void on_frame(void *ctx, const uint8_t *d, size_t len, size_t wirelen, int64_t ts_ns)
{
    (void)wirelen;
    (void)ts_ns;
    struct counter *c = ctx;
    size_t off = 0;
    int ver;

    c->frames++;
    c->last = now();
    if (c->linktype == 1 /* DLT_EN10MB */)
        off = 14;
    if (len < off + 40) {
        c->foreign++;
        return;
    }
    ver = d[off] >> 4;
    size_t l4;
    if (ver == 4 && d[off + 9] == 6)
        l4 = off + (size_t)(d[off] & 15) * 4;
    else if (ver == 6 && d[off + 6] == 6)
        l4 = off + 40;
    else {
        c->foreign++;
        return;
    }
    if (len < l4 + 20) {
        c->foreign++;
        return;
    }
    uint32_t seq = (uint32_t)d[l4 + 4] << 24 | (uint32_t)d[l4 + 5] << 16 |
                   (uint32_t)d[l4 + 6] << 8 | d[l4 + 7];
    uint32_t idx = seq - (uint32_t)c->seq_base;
    if (idx >= c->count) {
        c->foreign++;
        return;
    }
    if (c->seen[idx / 8] & (1u << (idx % 8))) {
        c->dup++;
    } else {
        c->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
        c->distinct++;
    }
}

static int do_recv(const struct opts *o)
{
    char err[256];
    int m = recv_method_parse(o->method);
    struct counter c = {.count = o->count, .seq_base = o->seq_base};

    if (m < 0) {
        fprintf(stderr, "sendpath: bad receive method '%s'\n", o->method);
        return 1;
    }
    /* The largest buffer, as a scan at this rate gets (rx_ring_bytes). */
    struct rx *r =
        rx_open((enum recv_method)m, o->ifname, o->filter, RX_RING_DEFAULT, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "sendpath: %s\n", err);
        return 2;
    }
    c.linktype = rx_linktype(r);
    c.seen = calloc(o->count / 8 + 1, 1);
    printf("ready\n");
    fflush(stdout);
    double start = now(), done_at = 0, first = 0;
    for (;;) {
        if (rx_poll(r, 50, on_frame, &c) < 0) {
            fprintf(stderr, "sendpath: rx_poll: %s\n", strerror(errno));
            break;
        }
        double t = now();
        if (c.frames && !first)
            first = t;
        if (c.distinct == c.count && !done_at)
            done_at = t;
        if (done_at && t - done_at > 0.2)
            break;
        if (c.frames && t - c.last > (double)o->idle_ms / 1000)
            break;
        if (t - start > (double)o->max_secs)
            break;
    }
    uint64_t kr, kd;
    rx_stats(r, &kr, &kd);
    rx_close(r);
    printf("method=%s received=%lu distinct=%lu dup=%lu foreign=%lu kernel_received=%llu "
           "drops=%llu\n",
           o->method, c.frames, c.distinct, c.dup, c.foreign, (unsigned long long)kr,
           (unsigned long long)kd);
    return c.distinct == c.count && c.dup == 0 && kd == 0 ? 0 : 3;
}

int main(int argc, char **argv)
{
    struct opts o = {.method = "auto",
                     .count = 10000,
                     .batch = 256,
                     .idle_ms = 1000,
                     .max_secs = 30,
                     .filter = "tcp"};

    if (argc < 2) {
        fprintf(stderr, "usage: sendpath send|recv OPTIONS (see bench/sendpath.c)\n");
        return 1;
    }
    o.mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--if"))
            o.ifname = v;
        else if (!strcmp(k, "--method"))
            o.method = v;
        else if (!strcmp(k, "--src"))
            o.src = v;
        else if (!strcmp(k, "--dst"))
            o.dst = v;
        else if (!strcmp(k, "--dmac"))
            o.dmac = v;
        else if (!strcmp(k, "--filter"))
            o.filter = v;
        else if (!strcmp(k, "--flags"))
            o.flags = v;
        else if (!strcmp(k, "--count"))
            o.count = strtoul(v, NULL, 0);
        else if (!strcmp(k, "--batch"))
            o.batch = strtoul(v, NULL, 0);
        else if (!strcmp(k, "--rate"))
            o.rate = strtoul(v, NULL, 0);
        else if (!strcmp(k, "--seq-base"))
            o.seq_base = strtoul(v, NULL, 0);
        else if (!strcmp(k, "--idle-ms"))
            o.idle_ms = strtoul(v, NULL, 0);
        else if (!strcmp(k, "--max-secs"))
            o.max_secs = strtoul(v, NULL, 0);
        else {
            fprintf(stderr, "sendpath: unknown option %s\n", k);
            return 1;
        }
    }
    if (!o.ifname || !o.batch) {
        fprintf(stderr, "sendpath: --if is required\n");
        return 1;
    }
    if (!strcmp(o.mode, "send")) {
        if (!o.src || !o.dst) {
            fprintf(stderr, "sendpath: send needs --src and --dst\n");
            return 1;
        }
        return do_send(&o);
    }
    if (!strcmp(o.mode, "recv"))
        return do_recv(&o);
    fprintf(stderr, "sendpath: unknown mode %s\n", o.mode);
    return 1;
}
