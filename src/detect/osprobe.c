/*
 * osprobe.c — building, sending and catching nmap's OS detection probes
 * (osprobe.h) on raw IPv4 sockets: one IPPROTO_RAW socket to send whole IP
 * packets, one raw TCP and one raw ICMP socket to receive every reply.
 */
#include "detect/osprobe.h"

#include "core/bytes.h"
#include "core/clock.h"
#include "net/capture.h"
#include "net/packet.h"
#include "net/route.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/* TCP options of the 13 TCP probes, in nmap's order: SEQ1-6, ECN, T2-T7
 * (nmap book, "Probes sent"). */
static const struct {
    const char *opt;
    uint8_t len;
} tcp_opts[13] = {
    {PKT_TCP_OPT_NMAP_SEQ1, PKT_TCP_OPT_NMAP_SEQ1_LEN},
    {"\x02\x04\x05\x78\x03\x03\x00\x04\x02\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x00", 20},
    {"\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x01\x01\x03\x03\x05\x01\x02\x04\x02\x80", 20},
    {"\x04\x02\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x03\x03\x0A\x00", 16},
    {"\x02\x04\x02\x18\x04\x02\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x03\x03\x0A\x00", 20},
    {"\x02\x04\x01\x09\x04\x02\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00", 16},
    {"\x03\x03\x0A\x01\x02\x04\x05\xb4\x04\x02\x01\x01", 12},
    {"\x03\x03\x0A\x01\x02\x04\x01\x09\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x04\x02", 20},
    {"\x03\x03\x0A\x01\x02\x04\x01\x09\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x04\x02", 20},
    {"\x03\x03\x0A\x01\x02\x04\x01\x09\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x04\x02", 20},
    {"\x03\x03\x0A\x01\x02\x04\x01\x09\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x04\x02", 20},
    {"\x03\x03\x0A\x01\x02\x04\x01\x09\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x04\x02", 20},
    {"\x03\x03\x0F\x01\x02\x04\x01\x09\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x04\x02", 20},
};
static const uint16_t tcp_window[13] = {1,   63,  4,    4,     16,    512,  3,
                                        128, 256, 1024, 31337, 32768, 65535};
static const uint8_t tcp_flags[13] = {
    PKT_TCP_SYN,
    PKT_TCP_SYN,
    PKT_TCP_SYN,
    PKT_TCP_SYN,
    PKT_TCP_SYN,
    PKT_TCP_SYN,
    PKT_TCP_CWR | PKT_TCP_ECE | PKT_TCP_SYN,
    0,
    PKT_TCP_SYN | PKT_TCP_FIN | PKT_TCP_URG | PKT_TCP_PSH,
    PKT_TCP_ACK,
    PKT_TCP_SYN,
    PKT_TCP_ACK,
    PKT_TCP_FIN | PKT_TCP_PSH | PKT_TCP_URG,
};
static const bool tcp_df[13] = {false, false, false, false, false, false, false,
                                true,  false, true,  false, true,  false};

#define SEQ_GAP_US 100000 /* nmap's 100 ms between SEQ probes */
#define PROBE_TTL  64

/* Which of the other probes follow SEQ probe k (slot k), two per slot. */
static const int8_t slot_others[6][2] = {
    {OSP_T2, OSP_T2 + 1}, {OSP_T2 + 2, OSP_T2 + 3}, {OSP_T2 + 4, OSP_T2 + 5},
    {OSP_ECN, OSP_U1},    {OSP_IE1, OSP_IE2},       {-1, -1},
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint16_t rand16(void)
{
    uint16_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint16_t)(clock_mono_ns() * 2654435761u >> 7);
    return v;
}

static uint32_t rand32(void)
{
    return (uint32_t)rand16() << 16 | rand16();
}

/* IPv4 header (RFC 791) into b; returns 20. */
static size_t ip4(uint8_t *b, const struct os_target *t, uint8_t proto, uint8_t tos, bool df,
                  uint16_t id, size_t total)
{
    b[0] = 0x45;
    b[1] = tos;
    put16(b + 2, (uint16_t)total);
    put16(b + 4, id);
    put16(b + 6, df ? 0x4000 : 0);
    b[8] = t->ttl;
    b[9] = proto;
    b[10] = b[11] = 0;
    memcpy(b + 12, t->src.bytes, 4);
    memcpy(b + 16, t->addr.bytes, 4);
    put16(b + 10, pkt_ipv4_checksum(b, 20));
    return 20;
}

/* Build probe p for t into b (at least 400 bytes); returns its length. */
static size_t build(const struct os_target *t, int p, uint8_t *b)
{
    uint16_t sport = (uint16_t)(t->port_base + p);
    if (p <= OSP_T2 + 5) { /* TCP */
        size_t ol = tcp_opts[p].len, tl = 20 + ol;
        bool open = p <= OSP_T2 + 2;
        size_t h = ip4(b, t, IPPROTO_TCP, 0, tcp_df[p], rand16(), 20 + tl);
        uint8_t *tcp = b + h;
        memset(tcp, 0, tl);
        put16(tcp, sport);
        put16(tcp + 2, open ? t->open_tcp : t->closed_tcp_used);
        put32(tcp + 4, p < OSP_ECN ? t->seq_base + (uint32_t)p : t->seq_base);
        put32(tcp + 8, t->ack);
        tcp[12] = (uint8_t)((tl / 4) << 4);
        if (p == OSP_ECN)
            tcp[12] |= 0x08; /* nmap sets the reserved bit before CWR */
        tcp[13] = tcp_flags[p];
        put16(tcp + 14, tcp_window[p]);
        if (p == OSP_ECN)
            put16(tcp + 18, 0xF7F5); /* urgent pointer without URG */
        memcpy(tcp + 20, tcp_opts[p].opt, ol);
        put16(tcp + 16, pkt_l4_checksum(&t->src, &t->addr, IPPROTO_TCP, tcp, tl));
        return h + tl;
    }
    if (p == OSP_U1) {
        size_t ul = 8 + 300;
        size_t h = ip4(b, t, IPPROTO_UDP, 0, false, 0x1042, 20 + ul);
        uint8_t *udp = b + h;
        put16(udp, sport);
        put16(udp + 2, t->closed_udp_used);
        put16(udp + 4, (uint16_t)ul);
        put16(udp + 6, 0);
        memset(udp + 8, 'C', 300);
        put16(udp + 6, t->u1_sum);
        return h + ul;
    }
    /* IE1 / IE2: ICMP echo requests */
    bool first = p == OSP_IE1;
    size_t dl = first ? 120 : 150, il = 8 + dl;
    size_t h = ip4(b, t, IPPROTO_ICMP, first ? 0 : 4, first, rand16(), 20 + il);
    uint8_t *ic = b + h;
    memset(ic, 0, il);
    ic[0] = 8;
    ic[1] = first ? 9 : 0;
    put16(ic + 4, (uint16_t)(t->icmp_id + (first ? 0 : 1)));
    put16(ic + 6, first ? 295 : 296);
    put16(ic + 2, pkt_csum_fold(pkt_csum_add(0, ic, il)));
    return h + il;
}

static uint16_t u1_checksum(const struct os_target *t)
{
    uint8_t udp[308];
    put16(udp, (uint16_t)(t->port_base + OSP_U1));
    put16(udp + 2, t->closed_udp_used);
    put16(udp + 4, sizeof udp);
    put16(udp + 6, 0);
    memset(udp + 8, 'C', 300);
    uint16_t s = pkt_l4_checksum(&t->src, &t->addr, IPPROTO_UDP, udp, sizeof udp);
    return s ? s : 0xFFFF;
}

static bool wanted(const struct os_target *t, int p)
{
    if (t->addr.family != AF_INET)
        return false;
    if (t->seq_only && p >= OSP_ECN)
        return false;
    bool to_open = p <= OSP_SEQ1 + 5 || p == OSP_ECN || (p >= OSP_T2 && p <= OSP_T2 + 2);
    bool to_closed = p >= OSP_T2 + 3 && p <= OSP_T2 + 5;
    /* nmap sends T5-T7 only when the scan found a closed TCP port. */
    return to_open ? t->open_tcp != 0 : to_closed ? t->closed_tcp != 0 : true;
}

static int send_probe(int fd, struct os_target *t, int p)
{
    uint8_t b[512];
    size_t len = build(t, p, b);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    memcpy(&sin.sin_addr, t->addr.bytes, 4);
    ssize_t n = sendto(fd, b, len, 0, (struct sockaddr *)&sin, sizeof sin);
    if (n == (ssize_t)len) /* --packet-capture: the raw socket sends from the IP header */
        capture_frame(CAPTURE_LINK_RAW, NULL, b, len, len, 0, CAPTURE_OUT);
    t->sent[p] = true;
    t->sends[p]++;
    t->sent_us[p] = clock_mono_us();
    return n == (ssize_t)len ? 0 : -1;
}

/* Which probe of t a received IPv4 packet answers, or -1. */
static int classify(const struct os_target *t, const uint8_t *pkt, size_t len)
{
    if (len < 20 || (pkt[0] >> 4) != 4)
        return -1;
    size_t hl = (size_t)(pkt[0] & 15) * 4;
    if (hl < 20 || len < hl + 8)
        return -1;
    const uint8_t *l4 = pkt + hl;
    bool from_target = memcmp(pkt + 12, t->addr.bytes, 4) == 0;
    bool to_us = memcmp(pkt + 16, t->src.bytes, 4) == 0;
    if (!to_us)
        return -1;
    if (pkt[9] == IPPROTO_TCP && from_target && len >= hl + 20) {
        int p = be16_get(l4 + 2) - t->port_base;
        if (p < 0 || p > OSP_T2 + 5)
            return -1;
        bool open = p <= OSP_T2 + 2;
        return be16_get(l4) == (open ? t->open_tcp : t->closed_tcp_used) ? p : -1;
    }
    if (pkt[9] != IPPROTO_ICMP)
        return -1;
    if (l4[0] == 0 && from_target) { /* echo reply */
        uint16_t id = be16_get(l4 + 4);
        if (id == t->icmp_id)
            return OSP_IE1;
        if (id == (uint16_t)(t->icmp_id + 1))
            return OSP_IE2;
        return -1;
    }
    if (l4[0] == 3 && len >= hl + 8 + 28) { /* unreachable quoting U1 */
        const uint8_t *q = l4 + 8;
        size_t qhl = (size_t)(q[0] & 15) * 4;
        if ((q[0] >> 4) != 4 || qhl < 20 || len < hl + 8 + qhl + 4 || q[9] != IPPROTO_UDP ||
            memcmp(q + 16, t->addr.bytes, 4) != 0)
            return -1;
        if (be16_get(q + qhl) == (uint16_t)(t->port_base + OSP_U1) &&
            be16_get(q + qhl + 2) == t->closed_udp_used)
            return OSP_U1;
    }
    return -1;
}

static void drain(int fd, struct os_target *t, size_t n)
{
    uint8_t buf[2048];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r <= 0)
            return;
        int64_t now = clock_mono_us();
        bool captured = false;
        for (size_t i = 0; i < n; i++) {
            int p = classify(&t[i], buf, (size_t)r);
            /* A raw socket sees all of the host's TCP or ICMP: capture only
             * the answers to our probes. */
            if (p >= 0 && !captured) {
                capture_frame(CAPTURE_LINK_RAW, NULL, buf, (size_t)r, (size_t)r, 0, CAPTURE_IN);
                captured = true;
            }
            if (p < 0 || !t[i].sent[p] || t[i].reply[p].got)
                continue;
            struct os_reply *rp = &t[i].reply[p];
            rp->got = true;
            rp->len = (uint16_t)((size_t)r < OS_REPLY_MAX ? (size_t)r : OS_REPLY_MAX);
            memcpy(rp->pkt, buf, rp->len);
            rp->sent_us = t[i].sent_us[p];
            rp->rcvd_us = now;
            break;
        }
    }
}

static void setup_target(struct os_target *t)
{
    struct os_target in = *t;
    memset(t, 0, sizeof *t);
    t->addr = in.addr;
    t->open_tcp = in.open_tcp;
    t->closed_tcp = in.closed_tcp;
    t->closed_udp = in.closed_udp;
    t->timeout_us = in.timeout_us < 100000 ? 100000 : in.timeout_us;
    t->max_sends = in.max_sends < 1 ? 1 : in.max_sends;
    t->closed_tcp_used = in.closed_tcp ? in.closed_tcp : (uint16_t)(rand32() % 14781 + 30000);
    t->closed_udp_used = in.closed_udp ? in.closed_udp : (uint16_t)(rand32() % 14781 + 30000);
    t->port_base = (uint16_t)(rand32() % 20000 + 40000);
    t->seq_base = rand32();
    t->ack = rand32();
    t->icmp_id = rand16();
    t->ttl = PROBE_TTL;
    t->direct = false;
    if (t->addr.family != AF_INET)
        return;
    struct route_info ri;
    char err[128];
    if (route_lookup(&t->addr, NULL, NULL, &ri, err, sizeof err) == 0) {
        t->src = ri.src;
        t->direct = !ri.via_gateway;
    } else {
        t->addr.family = 0; /* no route: nothing is sent */
    }
    t->u1_sum = u1_checksum(t);
    const struct os_target *r = in.reuse;
    if (r && r->addr.family == AF_INET) {
        /* A later try: the same numbers as the earlier one, its answers to
         * everything but the SEQ train. */
        t->seq_only = true;
        t->closed_tcp_used = r->closed_tcp_used;
        t->closed_udp_used = r->closed_udp_used;
        t->seq_base = r->seq_base;
        t->ack = r->ack;
        t->icmp_id = r->icmp_id;
        t->u1_sum = r->u1_sum;
        for (int p = OSP_ECN; p < OSP_COUNT; p++) {
            t->sent[p] = r->sent[p];
            t->sends[p] = r->sends[p];
            t->sent_us[p] = r->sent_us[p];
            t->reply[p] = r->reply[p];
        }
    }
}

int os_probe_run(struct os_target *t, size_t n, volatile sig_atomic_t *stop, char *err,
                 size_t errlen)
{
    int tx = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    int rtcp = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
    int ricmp = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (tx < 0 || rtcp < 0 || ricmp < 0) {
        snprintf(err, errlen, "OS detection needs root (CAP_NET_RAW): raw socket: %s",
                 strerror(errno));
        if (tx >= 0)
            close(tx);
        if (rtcp >= 0)
            close(rtcp);
        if (ricmp >= 0)
            close(ricmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        setup_target(&t[i]);

    int64_t t0 = clock_mono_us();
    int slot = 0;
    struct pollfd pf[2] = {{.fd = rtcp, .events = POLLIN}, {.fd = ricmp, .events = POLLIN}};
    for (;;) {
        if (stop && *stop)
            break;
        int64_t now = clock_mono_us();
        /* The SEQ train: slot k at t0 + k * 100 ms, with its two others. */
        while (slot < 6 && now >= t0 + (int64_t)slot * SEQ_GAP_US) {
            for (size_t i = 0; i < n; i++) {
                if (wanted(&t[i], OSP_SEQ1 + slot))
                    send_probe(tx, &t[i], OSP_SEQ1 + slot);
                for (int k = 0; k < 2; k++) {
                    int p = slot_others[slot][k];
                    if (p >= 0 && wanted(&t[i], p))
                        send_probe(tx, &t[i], p);
                }
            }
            slot++;
        }
        /* Resend once, after the host's timeout, what is still unanswered. */
        int64_t next = slot < 6 ? t0 + (int64_t)slot * SEQ_GAP_US : INT64_MAX;
        bool waiting = slot < 6;
        for (size_t i = 0; i < n; i++) {
            for (int p = OSP_ECN; p < OSP_COUNT; p++) {
                if (!t[i].sent[p] || t[i].reply[p].got)
                    continue;
                int64_t due = t[i].sent_us[p] + t[i].timeout_us;
                if (t[i].sends[p] < t[i].max_sends && now >= due) {
                    send_probe(tx, &t[i], p);
                    due = t[i].sent_us[p] + t[i].timeout_us;
                }
                if (now < due) {
                    waiting = true;
                    if (due < next)
                        next = due;
                }
            }
            for (int p = OSP_SEQ1; p < OSP_ECN; p++) {
                int64_t due = t[i].sent_us[p] + t[i].timeout_us;
                if (t[i].sent[p] && !t[i].reply[p].got && now < due) {
                    waiting = true;
                    if (due < next)
                        next = due;
                }
            }
        }
        if (!waiting)
            break;
        int ms = next == INT64_MAX ? 100 : (int)((next - now + 999) / 1000);
        if (ms < 0)
            ms = 0;
        if (poll(pf, 2, ms) > 0) {
            drain(rtcp, t, n);
            drain(ricmp, t, n);
        }
    }
    drain(rtcp, t, n);
    drain(ricmp, t, n);
    close(tx);
    close(rtcp);
    close(ricmp);
    return 0;
}
