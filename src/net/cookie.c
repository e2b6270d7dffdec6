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

/*
 * The lanes of cookie_hash_src_batch(): one vector of 8 64-bit words, a
 * 512-bit register with AVX-512, two with AVX2, four with SSE2 (GCC lowers
 * what the target lacks). The rounds are cookie_block()/siphash_round() on
 * vectors; a vector shifted by a scalar shifts every lane.
 */
#define COOKIE_LANES 8
typedef uint64_t cookie_vec __attribute__((vector_size(COOKIE_LANES * sizeof(uint64_t))));

#define COOKIE_VROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define COOKIE_VROUND(v0, v1, v2, v3)                                                              \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = COOKIE_VROTL(v1, 13) ^ v0;                                                            \
        v0 = COOKIE_VROTL(v0, 32);                                                                 \
        v2 += v3;                                                                                  \
        v3 = COOKIE_VROTL(v3, 16) ^ v2;                                                            \
        v0 += v3;                                                                                  \
        v3 = COOKIE_VROTL(v3, 21) ^ v0;                                                            \
        v2 += v1;                                                                                  \
        v1 = COOKIE_VROTL(v1, 17) ^ v2;                                                            \
        v2 = COOKIE_VROTL(v2, 32);                                                                 \
    } while (0)
#define COOKIE_VBLOCK(v0, v1, v2, v3, m)                                                           \
    do {                                                                                           \
        v3 ^= m;                                                                                   \
        COOKIE_VROUND(v0, v1, v2, v3);                                                             \
        COOKIE_VROUND(v0, v1, v2, v3);                                                             \
        v0 ^= m;                                                                                   \
    } while (0)

/* The batch for one instruction set: the same code compiled three times
 * (below), inlined into each. */
static inline __attribute__((always_inline)) void hash_batch(const struct cookie_src *s,
                                                             const struct ipaddr *dsts,
                                                             const uint16_t *dports, uint64_t *h,
                                                             size_t n)
{
    const bool v6 = s->family == AF_INET6;
    for (size_t at = 0; at < n; at += COOKIE_LANES) {
        size_t k = n - at < COOKIE_LANES ? n - at : COOKIE_LANES;
        /* The message blocks of each lane; unused lanes hash zeros. */
        uint64_t a[COOKIE_LANES] = {0}, b[COOKIE_LANES] = {0}, last[COOKIE_LANES] = {0};
        for (size_t i = 0; i < k; i++) {
            const uint8_t *d = dsts[at + i].bytes;
            if (v6) {
                a[i] = cookie_le64(d);
                b[i] = cookie_le64(d + 8);
            } else {
                a[i] = cookie_v4_block(s, d);
            }
            last[i] = cookie_last_block(s, dports[at + i]);
        }
        cookie_vec m, v0, v1, v2, v3, zero = {0};
        v0 = zero + s->v[0];
        v1 = zero + s->v[1];
        v2 = zero + s->v[2];
        v3 = zero + s->v[3];
        memcpy(&m, a, sizeof(m));
        COOKIE_VBLOCK(v0, v1, v2, v3, m);
        if (v6) {
            memcpy(&m, b, sizeof(m));
            COOKIE_VBLOCK(v0, v1, v2, v3, m);
        }
        memcpy(&m, last, sizeof(m));
        COOKIE_VBLOCK(v0, v1, v2, v3, m);
        v2 ^= 0xff;
        COOKIE_VROUND(v0, v1, v2, v3);
        COOKIE_VROUND(v0, v1, v2, v3);
        COOKIE_VROUND(v0, v1, v2, v3);
        COOKIE_VROUND(v0, v1, v2, v3);
        v0 ^= v1 ^ v2 ^ v3;
        uint64_t out[COOKIE_LANES];
        memcpy(out, &v0, sizeof(out));
        memcpy(h + at, out, k * sizeof(*h));
    }
}

static void hash_batch_base(const struct cookie_src *s, const struct ipaddr *dsts,
                            const uint16_t *dports, uint64_t *h, size_t n)
{
    hash_batch(s, dsts, dports, h, n);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define COOKIE_X86 1
__attribute__((target("avx2"))) static void hash_batch_avx2(const struct cookie_src *s,
                                                            const struct ipaddr *dsts,
                                                            const uint16_t *dports, uint64_t *h,
                                                            size_t n)
{
    hash_batch(s, dsts, dports, h, n);
}

__attribute__((target("avx512f"))) static void hash_batch_avx512(const struct cookie_src *s,
                                                                 const struct ipaddr *dsts,
                                                                 const uint16_t *dports,
                                                                 uint64_t *h, size_t n)
{
    hash_batch(s, dsts, dports, h, n);
}
#endif

/*
 * The widest registers the CPU has, asked once per batch (a load of
 * libgcc's CPU model, set at startup). 512-bit registers only from Ice
 * Lake on (its AVX-512 VBMI2 tells it): on the Skylake/Cascade Lake Xeons
 * before it, 512-bit integer instructions lower the core's clock for a
 * while, and the kernel's send path that runs after every batch would pay
 * for it; those get the AVX2 code. target_clones would choose by feature
 * or by exact CPU model only, so neither says "Ice Lake or later".
 */
void cookie_hash_src_batch(const struct cookie_src *s, const struct ipaddr *dsts,
                           const uint16_t *dports, uint64_t *h, size_t n)
{
#ifdef COOKIE_X86
    if (__builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("avx512f")) {
        hash_batch_avx512(s, dsts, dports, h, n);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        hash_batch_avx2(s, dsts, dports, h, n);
        return;
    }
#endif
    hash_batch_base(s, dsts, dports, h, n);
}

struct cookie_probe cookie_probe(const struct cookie_ctx *c, const struct ipaddr *src,
                                 const struct ipaddr *dst, uint16_t dport)
{
    return cookie_probe_from_hash(c, cookie_hash(c, src, dst, dport));
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
