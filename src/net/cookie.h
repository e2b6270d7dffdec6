/*
 * cookie.h — the stateless scan's probe cookie and reply validation
 * (SPEC "Architecture: stateless raw core"). Pure functions: no I/O, no
 * global state; a struct cookie_ctx is read-only after cookie_init() and may
 * be shared by the sender and receiver threads.
 *
 * The cookie is a keyed PRF of the probe's 4-tuple with a per-scan random
 * 128-bit key:
 *
 *     c = SipHash-2-4(key, src || dst || sport' || dport)
 *
 * src/dst are the raw address bytes (4 for IPv4, 16 for IPv6; the input
 * length separates the families), ports big-endian. From c:
 *     probe seq   = (uint32_t)c            (low 32 bits)
 *     probe ack   = (uint32_t)(c >> 32)    (for probes with the ACK bit)
 *     probe sport = sport_base + (c >> 32) % sport_count   when sport_count > 1
 *
 * sport' is the fixed source port when sport_count == 1 (the cookie then
 * covers all four fields, as in SPEC), and 0 when the source port is drawn
 * from the cookie: a derived port cannot be an input of the hash it comes
 * from, and it is authenticated anyway because it is a function of c, which
 * the receiver recomputes and compares.
 *
 * A reply is valid only if it matches the cookie recomputed from the
 * reply's own (swapped) tuple: replies from another scan (other key), for
 * another tuple, stale or blindly forged, are rejected except with
 * probability about 2^-32 (times the few acknowledgment values accepted).
 *
 * All ports, sequence and acknowledgment numbers are HOST byte order.
 *
 * Sources: RFC 9293 §3.10.7.1 and §3.5.2 (reset generation: "If the
 * incoming segment has an ACK field, the reset takes its sequence number
 * from the ACK field of the segment, otherwise the reset has sequence number
 * zero and the ACK field is set to the sum of the sequence number and
 * segment length of the incoming segment"), §3.10.7.2 (SYN-ACK acknowledges
 * SEG.SEQ + 1), §3.4 (SYN and FIN occupy one sequence number each); RFC 792
 * and RFC 4443 (ICMP errors quote the probe); SipHash (Aumasson, Bernstein
 * 2012); the construction follows ZMap's validate.c and masscan's syn_cookie.
 */
#ifndef PRTIP_NET_COOKIE_H
#define PRTIP_NET_COOKIE_H

#include "core/addr.h"
#include "core/siphash.h"
#include "net/parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

struct cookie_ctx {
    struct siphash_key key;
    uint16_t sport_base;  /* first source port */
    uint32_t sport_count; /* ports in [sport_base, sport_base + count): 1..65536 */
};

/* What a probe carries: its source port, sequence and acknowledgment numbers. */
struct cookie_probe {
    uint16_t sport;
    uint32_t seq;
    uint32_t ack; /* put in the probe's ack field (ACK/Window/Maimon scans need it) */
};

/*
 * Set up a context from the 16-byte key (draw it from getrandom(2) per
 * scan), the first source port and the number of source ports. count 1 pins
 * the source port (-g); count > 1 spreads probes over a range.
 * Returns 0, or -1 if count is 0 or base + count exceeds 65536.
 */
int cookie_init(struct cookie_ctx *c, const uint8_t key[16], uint16_t sport_base,
                uint32_t sport_count);

/* The raw 64-bit cookie for a probe from src to dst:dport (see above). */
uint64_t cookie_hash(const struct cookie_ctx *c, const struct ipaddr *src, const struct ipaddr *dst,
                     uint16_t dport);

/* The source port, seq and ack to send to dst:dport from src. Never fails. */
struct cookie_probe cookie_probe(const struct cookie_ctx *c, const struct ipaddr *src,
                                 const struct ipaddr *dst, uint16_t dport);

/*
 * The sender's fast path: the same cookie as cookie_hash()/cookie_probe(),
 * with the part of the SipHash message that only depends on the probe's
 * source worked out once per scan instead of once per probe. All probes of
 * one family leave from one address, so its bytes never change: IPv6's 16
 * source bytes are two whole 8-byte blocks, whose compression is done here
 * (4 of the 14 SipRounds of a probe); IPv4's 4 are half a block, kept as a
 * word. The rest builds the blocks from integers, not a byte buffer
 * (cookie_hash()'s memcpy and byte-wise loads were ~2% of the sender's
 * samples). The receiver keeps cookie_probe(): test_cookie.c checks that
 * both give the same values.
 */
struct cookie_src {
    uint64_t v[4];   /* SipHash state after the blocks made of source bytes only */
    uint64_t src_lo; /* IPv4: the source's 4 bytes, the first block's low half */
    uint64_t tail;   /* the last block's constant part: message length and sport' */
    int family;      /* AF_INET or AF_INET6; dst must be of it */
};

/* Precompute src's share for context c. src must be IPv4 or IPv6. */
void cookie_src_init(struct cookie_src *s, const struct cookie_ctx *c, const struct ipaddr *src);

/* Little-endian words of address bytes (the message's byte order): one
 * load each, where a byte loop is left to the optimiser's mercy. */
static inline uint64_t cookie_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t cookie_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

/* Two SipRounds on message block m (compression). */
static inline void cookie_block(uint64_t v[4], uint64_t m)
{
    v[3] ^= m;
    siphash_round(v);
    siphash_round(v);
    v[0] ^= m;
}

/* The message blocks left after the source's share, shared by
 * cookie_hash_src() and the lanes of cookie_hash_src_batch(): IPv4's one
 * block of source and destination, and the last block, with dport
 * big-endian in its bytes 2-3. */
static inline uint64_t cookie_v4_block(const struct cookie_src *s, const uint8_t dst[4])
{
    return s->src_lo | cookie_le32(dst) << 32;
}

static inline uint64_t cookie_last_block(const struct cookie_src *s, uint16_t dport)
{
    return s->tail | (uint64_t)(dport >> 8) << 16 | (uint64_t)(dport & 0xff) << 24;
}

/* cookie_hash(c, src, dst, dport) for the src of cookie_src_init(). */
static inline uint64_t cookie_hash_src(const struct cookie_src *s, const struct ipaddr *dst,
                                       uint16_t dport)
{
    uint64_t v[4] = {s->v[0], s->v[1], s->v[2], s->v[3]};
    if (s->family == AF_INET6) {
        cookie_block(v, cookie_le64(dst->bytes));
        cookie_block(v, cookie_le64(dst->bytes + 8));
    } else {
        cookie_block(v, cookie_v4_block(s, dst->bytes));
    }
    cookie_block(v, cookie_last_block(s, dport));
    v[2] ^= 0xff;
    siphash_round(v);
    siphash_round(v);
    siphash_round(v);
    siphash_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The source port a cookie gives (see above). */
static inline uint16_t cookie_sport(const struct cookie_ctx *c, uint64_t h)
{
    if (c->sport_count == 1)
        return c->sport_base;
    /* Multiply-high range reduction (Lemire, "A fast alternative to the
     * modulo reduction", 2016): as uniform over [0, count) as h % count for
     * a 32-bit hash, without the division the sender paid once per probe.
     * Sender and receiver both use this function, so only consistency
     * matters, not equality with %. */
    return (uint16_t)(c->sport_base + (((h >> 32) * c->sport_count) >> 32));
}

/* What a probe carries, from its cookie hash h (cookie_hash*()). */
static inline struct cookie_probe cookie_probe_from_hash(const struct cookie_ctx *c, uint64_t h)
{
    struct cookie_probe p = {
        .sport = cookie_sport(c, h),
        .seq = (uint32_t)h,
        .ack = (uint32_t)(h >> 32),
    };
    return p;
}

/* cookie_probe(c, src, dst, dport) for the src of cookie_src_init(). */
static inline struct cookie_probe cookie_probe_src(const struct cookie_ctx *c,
                                                   const struct cookie_src *s,
                                                   const struct ipaddr *dst, uint16_t dport)
{
    return cookie_probe_from_hash(c, cookie_hash_src(s, dst, dport));
}

/*
 * cookie_hash_src() of n probes at once: h[i] = cookie_hash_src(s, &dsts[i],
 * dports[i]) for i in [0, n), every dsts[i] of s's family; h has room for n
 * values (n may be 0). Why: one SipHash is a single chain of dependent
 * rounds, so a probe at a time leaves most of the CPU's ALUs idle, while the
 * hashes of a send batch are independent. They run here as 8 lanes of one
 * vector computation (GCC vector extensions), compiled for AVX-512 (Ice
 * Lake on), AVX2 and baseline x86-64 and picked by the CPU it runs on:
 * about half the cost per probe of cookie_hash_src() in a loop, loads
 * included (test_cookie.c prints both figures). The sender's hot path (raw_tx.c).
 */
void cookie_hash_src_batch(const struct cookie_src *s, const struct ipaddr *dsts,
                           const uint16_t *dports, uint64_t *h, size_t n);

/*
 * Is the TCP reply r (as parsed: r->src is the target, r->dst us, r->sport
 * the probed port) an answer to our probe with TCP flags probe_flags and
 * probe_payload_len bytes of data? Rules, with seq/ack the probe's cookie
 * values and len = probe_payload_len + SYN + FIN (RFC 9293 §3.4):
 *  - r->dport must be the probe's source port, and the family of r->src and
 *    r->dst the same;
 *  - RST to a probe with ACK (ACK, Window, Maimon scans): r->seq == ack;
 *  - RST to a probe without ACK (SYN, FIN, NULL, Xmas): the ACK bit set and
 *    r->ack - seq in [0, len] (the RFC says exactly len; fewer is accepted
 *    for stacks that do not count SYN/FIN/data, as ZMap does);
 *  - any other reply must be a SYN-ACK to a SYN probe without ACK, with
 *    r->ack - seq in [1, len] (a listener acknowledges at least the SYN).
 * Everything else (pure ACKs, data, SYN without ACK) returns false.
 */
bool cookie_tcp_valid(const struct cookie_ctx *c, uint8_t probe_flags, size_t probe_payload_len,
                      const struct pkt_info *r);

/*
 * Is the ICMP/ICMPv6 error r about one of our probes? Requires r->has_quote,
 * the quote's family equal to r's, r->dst (the receiver, us) equal to the
 * quoted source. Then, by the quoted protocol:
 *  - TCP: quoted source port and seq equal the cookie's (~46 bits);
 *  - UDP: quoted source port equal to the cookie's, and over IPv4 the
 *    quoted IP ID equal to cookie_udp_ip_id() (log2(sport_count) + 16
 *    bits; IPv6 has no IP ID, so log2(sport_count) bits there);
 *  - ICMP/ICMPv6 echo, timestamp or mask request: quoted id and seq equal
 *    cookie_icmp_probe()'s for the quoted type (32 bits).
 * r->src may be any router. Other quoted protocols return false.
 */
bool cookie_icmp_valid(const struct cookie_ctx *c, const struct pkt_info *r);

/*
 * UDP probes (no sequence number): the source port comes from the same
 * cookie as a TCP probe's (cookie_probe(): sport), and the IPv4 IP ID
 * carries 16 more cookie bits for ICMP errors, which quote the IP header.
 * A UDP reply echoes nothing but the ports, so cookie_udp_valid() checks
 * that the reply r (r->src the target, r->sport the probed port) is
 * addressed to the source port derived for (r->dst, r->src, r->sport):
 * log2(sport_count) bits (~14.4 with the default 21000 ports; one port with
 * -g accepts any datagram from a probed (address, port)). The engine also
 * requires (r->src, r->sport) to be a probe of the scan.
 */
static inline uint16_t cookie_udp_ip_id(const struct cookie_probe *p)
{
    /* The low bits: independent of the sport, which comes from the high half. */
    return (uint16_t)p->seq;
}

bool cookie_udp_valid(const struct cookie_ctx *c, const struct pkt_info *r);

/*
 * ICMP query probes (echo, timestamp, address mask; ICMPv6 echo): id and
 * seq are 32 cookie bits from SipHash(key, src || dst || type), a message
 * of another length than the TCP/UDP one (so no collision with a port
 * probe), and ip_id 16 more for IPv4. type is the request type sent (8,
 * 13, 17, or 128 for ICMPv6 echo).
 */
struct cookie_icmp {
    uint16_t id, seq, ip_id;
};

struct cookie_icmp cookie_icmp_probe(const struct cookie_ctx *c, const struct ipaddr *src,
                                     const struct ipaddr *dst, uint8_t type);

/*
 * Is r an echo reply (0 / 129), timestamp reply (14) or mask reply (18)
 * answering our request of request_type (8 / 128, 13, 17)? The reply type
 * must be the one for request_type, the family of r->src and r->dst the
 * same, and id/seq those of cookie_icmp_probe(c, r->dst, r->src,
 * request_type).
 */
bool cookie_icmp_reply_valid(const struct cookie_ctx *c, uint8_t request_type,
                             const struct pkt_info *r);

#endif
