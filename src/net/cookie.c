/*
 * cookie.c — SipHash probe cookies and reply validation (see cookie.h).
 */
#include "net/cookie.h"

#include "net/packet.h"
#include "net/packet_icmp.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

int cookie_init(struct cookie_ctx *c, const uint8_t key[16], uint16_t sport_base,
                uint32_t sport_count)
{
    memset(c, 0, sizeof(*c));
    if (sport_count == 0 || (uint32_t)sport_base + sport_count > 65536)
        return -1;
    siphash_key_from_bytes(&c->key, key);
    c->sport_base = sport_base;
    c->sport_count = sport_count;
    return 0;
}

uint64_t cookie_hash(const struct cookie_ctx *c, const struct ipaddr *src, const struct ipaddr *dst,
                     uint16_t dport)
{
    uint8_t m[36];
    size_t n = src->family == AF_INET6 ? 16 : 4;
    uint16_t sport = c->sport_count == 1 ? c->sport_base : 0;

    memcpy(m, src->bytes, n);
    memcpy(m + n, dst->bytes, n);
    m[2 * n] = (uint8_t)(sport >> 8);
    m[2 * n + 1] = (uint8_t)sport;
    m[2 * n + 2] = (uint8_t)(dport >> 8);
    m[2 * n + 3] = (uint8_t)dport;
    return siphash24(&c->key, m, 2 * n + 4);
}

void cookie_src_init(struct cookie_src *s, const struct cookie_ctx *c, const struct ipaddr *src)
{
    /* SipHash's initial state ("somepseudorandomlygeneratedbytes"). */
    s->v[0] = c->key.k0 ^ 0x736f6d6570736575ULL;
    s->v[1] = c->key.k1 ^ 0x646f72616e646f6dULL;
    s->v[2] = c->key.k0 ^ 0x6c7967656e657261ULL;
    s->v[3] = c->key.k1 ^ 0x7465646279746573ULL;
    s->family = src->family;
    s->src_lo = 0;
    size_t len;
    if (src->family == AF_INET6) {
        cookie_block(s->v, cookie_le64(src->bytes));
        cookie_block(s->v, cookie_le64(src->bytes + 8));
        len = 36;
    } else {
        s->src_lo = cookie_le32(src->bytes);
        len = 12;
    }
    /* Last block: sport' big-endian in its bytes 0-1, the length on top. */
    uint16_t sport = c->sport_count == 1 ? c->sport_base : 0;
    s->tail = (uint64_t)len << 56 | (uint64_t)(sport >> 8) | (uint64_t)(sport & 0xff) << 8;
}

struct cookie_probe cookie_probe(const struct cookie_ctx *c, const struct ipaddr *src,
                                 const struct ipaddr *dst, uint16_t dport)
{
    uint64_t h = cookie_hash(c, src, dst, dport);
    struct cookie_probe p = {
        .sport = cookie_sport(c, h),
        .seq = (uint32_t)h,
        .ack = (uint32_t)(h >> 32),
    };
    return p;
}

/* d = a - b modulo 2^32 lies in [lo, hi] (sequence-space arithmetic). */
static bool seq_in(uint32_t a, uint32_t b, uint32_t lo, uint32_t hi)
{
    uint32_t d = a - b;
    return d >= lo && d <= hi;
}

bool cookie_tcp_valid(const struct cookie_ctx *c, uint8_t probe_flags, size_t probe_payload_len,
                      const struct pkt_info *r)
{
    struct cookie_probe p;
    uint32_t len;

    if (r->proto != IPPROTO_TCP || r->src.family != r->dst.family)
        return false;
    if (r->src.family != AF_INET && r->src.family != AF_INET6)
        return false;
    /* The reply goes from the target (probe dst) back to us (probe src). */
    p = cookie_probe(c, &r->dst, &r->src, r->sport);
    if (r->dport != p.sport)
        return false;

    if (probe_payload_len > 0xffff)
        probe_payload_len = 0xffff;
    len =
        (uint32_t)probe_payload_len + !!(probe_flags & PKT_TCP_SYN) + !!(probe_flags & PKT_TCP_FIN);

    if (r->tcp_flags & PKT_TCP_RST) {
        if (probe_flags & PKT_TCP_ACK)
            return r->seq == p.ack; /* <SEQ=SEG.ACK><CTL=RST> */
        /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
        return (r->tcp_flags & PKT_TCP_ACK) && seq_in(r->ack, p.seq, 0, len);
    }
    if ((probe_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) != PKT_TCP_SYN)
        return false;
    if ((r->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) != (PKT_TCP_SYN | PKT_TCP_ACK))
        return false;
    return seq_in(r->ack, p.seq, 1, len);
}

bool cookie_icmp_valid(const struct cookie_ctx *c, const struct pkt_info *r)
{
    const struct pkt_quote *q = &r->quote;
    struct cookie_probe p;

    if (!r->has_quote || q->family != r->family || q->src.family != q->dst.family)
        return false;
    if (q->family != AF_INET && q->family != AF_INET6)
        return false;
    if (!ipaddr_equal(&r->dst, &q->src))
        return false;
    if (q->proto == IPPROTO_ICMP || q->proto == IPPROTO_ICMPV6) {
        if ((q->proto == IPPROTO_ICMPV6) != (q->family == AF_INET6) ||
            pkt_icmp_reply_type(q->icmp_type) < 0)
            return false;
        struct cookie_icmp ci = cookie_icmp_probe(c, &q->src, &q->dst, q->icmp_type);
        return q->icmp_id == ci.id && q->icmp_seq == ci.seq;
    }
    if (q->proto != IPPROTO_TCP && q->proto != IPPROTO_UDP)
        return false;
    p = cookie_probe(c, &q->src, &q->dst, q->dport);
    if (q->sport != p.sport)
        return false;
    if (q->proto == IPPROTO_UDP)
        return q->family == AF_INET6 || q->ip_id == cookie_udp_ip_id(&p);
    return q->seq == p.seq;
}

bool cookie_udp_valid(const struct cookie_ctx *c, const struct pkt_info *r)
{
    if (r->proto != IPPROTO_UDP || r->src.family != r->dst.family)
        return false;
    if (r->src.family != AF_INET && r->src.family != AF_INET6)
        return false;
    /* The reply goes from the target (probe dst) back to us (probe src). */
    return r->dport == cookie_probe(c, &r->dst, &r->src, r->sport).sport;
}

struct cookie_icmp cookie_icmp_probe(const struct cookie_ctx *c, const struct ipaddr *src,
                                     const struct ipaddr *dst, uint8_t type)
{
    uint8_t m[34];
    size_t n = src->family == AF_INET6 ? 16 : 4;

    memcpy(m, src->bytes, n);
    memcpy(m + n, dst->bytes, n);
    m[2 * n] = type;
    m[2 * n + 1] = 0xff; /* 2n + 2 bytes: never the length of a port probe's message */
    uint64_t h = siphash24(&c->key, m, 2 * n + 2);
    struct cookie_icmp ci = {
        .id = (uint16_t)h,
        .seq = (uint16_t)(h >> 16),
        .ip_id = (uint16_t)(h >> 32),
    };
    return ci;
}

bool cookie_icmp_reply_valid(const struct cookie_ctx *c, uint8_t request_type,
                             const struct pkt_info *r)
{
    int want = pkt_icmp_reply_type(request_type);
    if (want < 0 || r->icmp_type != want || r->has_quote || r->src.family != r->dst.family)
        return false;
    if ((r->proto == IPPROTO_ICMPV6) != (r->src.family == AF_INET6) ||
        (r->proto != IPPROTO_ICMP && r->proto != IPPROTO_ICMPV6))
        return false;
    if ((request_type == PKT_ICMP6_ECHO) != (r->proto == IPPROTO_ICMPV6))
        return false;
    struct cookie_icmp ci = cookie_icmp_probe(c, &r->dst, &r->src, request_type);
    return r->icmp_id == ci.id && r->icmp_seq == ci.seq;
}
