/*
 * parse.c — bounds-checked decoding of received frames (see parse.h).
 *
 * Convention: every helper gets a pointer and the number of bytes that are
 * valid from it (len), and checks a length before each read. Helpers that
 * check a declared length also get wire, the bytes the packet had from the
 * same point on the wire (wire >= len; wire > len when the capture cut the
 * frame): a declared length past len is cut by the capture when it is
 * within wire, and truncated for real otherwise. Offsets stored in
 * struct pkt_info are relative to the caller's buffer (base + local offset).
 */
#include "net/parse.h"

#include "core/bytes.h"
#include "net/packet.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static void set_addr(struct ipaddr *a, uint8_t family, const uint8_t *bytes)
{
    memset(a, 0, sizeof(*a));
    a->family = family;
    memcpy(a->bytes, bytes, family == AF_INET6 ? 16 : 4);
}

/*
 * Walk IPv6 extension headers (RFC 8200 §4) from *off, within end bytes of
 * p, updating *off and *nh to the first upper-layer header. Every header
 * consumes at least 8 bytes, so the loop is bounded by end / 8.
 */
static int skip_ipv6_ext(const uint8_t *p, size_t end, size_t *off, uint8_t *nh)
{
    for (unsigned n = 0;; n++) {
        size_t o = *off, hlen;

        switch (*nh) {
        case 0: /* Hop-by-Hop Options: only directly after the IPv6 header */
            if (n != 0)
                return PARSE_ERR_MALFORMED;
            /* fall through */
        case 43:  /* Routing */
        case 60:  /* Destination Options */
        case 135: /* Mobility (RFC 6275) */
        case 139: /* HIP (RFC 7401) */
        case 140: /* Shim6 (RFC 5533) */
        case 253: /* experimentation (RFC 3692) */
        case 254:
            if (end - o < 2)
                return PARSE_ERR_TRUNCATED;
            hlen = ((size_t)p[o + 1] + 1) * 8;
            break;
        case 44: /* Fragment: fixed 8 bytes */
            if (end - o < 8)
                return PARSE_ERR_TRUNCATED;
            if (be16_get(p + o + 2) >> 3) /* offset != 0: no upper-layer header here */
                return PARSE_ERR_UNSUPPORTED;
            hlen = 8;
            break;
        case 51: /* Authentication Header: length in 4-byte units, minus 2 */
            if (end - o < 2)
                return PARSE_ERR_TRUNCATED;
            hlen = ((size_t)p[o + 1] + 2) * 4;
            break;
        case 50: /* ESP: the rest is encrypted */
            return PARSE_ERR_UNSUPPORTED;
        default: /* an upper-layer protocol (or 59, No Next Header) */
            return PARSE_OK;
        }
        if (end - o < hlen)
            return PARSE_ERR_TRUNCATED;
        *nh = p[o];
        *off = o + hlen;
    }
}

/* The first 8 bytes of the quoted transport header (t has at least 8). */
static void quote_l4(const uint8_t *t, struct pkt_quote *q)
{
    switch (q->proto) {
    case IPPROTO_TCP:
        q->seq = be32_get(t + 4);
        /* fall through */
    case IPPROTO_UDP:
        q->sport = be16_get(t);
        q->dport = be16_get(t + 2);
        break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        q->icmp_type = t[0];
        q->icmp_code = t[1];
        q->icmp_id = be16_get(t + 4);
        q->icmp_seq = be16_get(t + 6);
        break;
    default:
        break;
    }
}

/*
 * The datagram quoted by an ICMPv4 error (RFC 792, RFC 1812 §4.3.2.3): its
 * IPv4 header (options included) and at least 8 bytes of transport header.
 * The quoted total length is not checked: routers quote only a prefix, and
 * some stacks are known to rewrite it.
 */
static int parse_quote_v4(const uint8_t *q, size_t len, struct pkt_quote *out)
{
    size_t ihl;

    if (len < PKT_IPV4_LEN)
        return PARSE_ERR_TRUNCATED;
    if (q[0] >> 4 != 4)
        return PARSE_ERR_MALFORMED;
    ihl = (size_t)(q[0] & 0x0f) * 4;
    if (ihl < PKT_IPV4_LEN)
        return PARSE_ERR_MALFORMED;
    out->family = AF_INET;
    out->ip_id = be16_get(q + 4);
    out->ttl = q[8];
    out->proto = q[9];
    set_addr(&out->src, AF_INET, q + 12);
    set_addr(&out->dst, AF_INET, q + 16);
    if (be16_get(q + 6) & 0x1fff)
        return PARSE_ERR_UNSUPPORTED; /* a non-first fragment quotes no ports */
    if (len < ihl || len - ihl < 8)
        return PARSE_ERR_TRUNCATED;
    quote_l4(q + ihl, out);
    return PARSE_OK;
}

/* The packet quoted by an ICMPv6 error (RFC 4443 §2.4 c): IPv6 header,
 * extension headers, and at least 8 bytes of the upper-layer header. */
static int parse_quote_v6(const uint8_t *q, size_t len, struct pkt_quote *out)
{
    size_t off = PKT_IPV6_LEN;
    uint8_t nh;
    int rc;

    if (len < PKT_IPV6_LEN)
        return PARSE_ERR_TRUNCATED;
    if (q[0] >> 4 != 6)
        return PARSE_ERR_MALFORMED;
    out->family = AF_INET6;
    out->ttl = q[7];
    set_addr(&out->src, AF_INET6, q + 8);
    set_addr(&out->dst, AF_INET6, q + 24);
    nh = q[6];
    rc = skip_ipv6_ext(q, len, &off, &nh);
    out->proto = nh;
    if (rc != PARSE_OK)
        return rc;
    if (len - off < 8)
        return PARSE_ERR_TRUNCATED;
    quote_l4(q + off, out);
    return PARSE_OK;
}

static bool icmp4_is_error(uint8_t type)
{
    return type == PKT_ICMP_UNREACH || type == PKT_ICMP_SOURCEQUENCH || type == PKT_ICMP_REDIRECT ||
           type == PKT_ICMP_TIMXCEED || type == PKT_ICMP_PARAMPROB;
}

/* Types whose bytes 4..7 are identifier and sequence number (RFC 792). */
static bool icmp4_has_id(uint8_t type)
{
    return type == PKT_ICMP_ECHOREPLY || type == PKT_ICMP_ECHO || (type >= 13 && type <= 18);
}

/* The transport header: p has len bytes (of an IP payload of wire bytes),
 * at offset base of the caller's buffer. */
static int parse_l4(const uint8_t *p, size_t len, size_t wire, struct pkt_info *out, size_t base)
{
    size_t hlen;
    int rc;

    out->l4_off = (uint32_t)base;
    switch (out->proto) {
    case IPPROTO_TCP:
        if (len < PKT_TCP_LEN)
            return PARSE_ERR_TRUNCATED;
        hlen = (size_t)(p[12] >> 4) * 4;
        if (hlen < PKT_TCP_LEN)
            return PARSE_ERR_MALFORMED;
        if (hlen > len)
            return PARSE_ERR_TRUNCATED;
        out->sport = be16_get(p);
        out->dport = be16_get(p + 2);
        out->seq = be32_get(p + 4);
        out->ack = be32_get(p + 8);
        out->tcp_flags = p[13];
        out->window = be16_get(p + 14);
        out->tcp_opt_off = (uint32_t)(base + PKT_TCP_LEN);
        out->tcp_opt_len = (uint32_t)(hlen - PKT_TCP_LEN);
        break;
    case IPPROTO_UDP: {
        size_t ulen;

        if (len < 8)
            return PARSE_ERR_TRUNCATED;
        out->sport = be16_get(p);
        out->dport = be16_get(p + 2);
        ulen = be16_get(p + 4);
        if (ulen < 8)
            return PARSE_ERR_MALFORMED;
        if (ulen > wire)
            return PARSE_ERR_TRUNCATED;
        /* The UDP length bounds the payload; past what was captured, the
         * payload is what was (and the datagram was cut). */
        out->truncated = ulen > len;
        if (ulen <= len)
            len = ulen;
        hlen = 8;
        break;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
        bool v6 = out->proto == IPPROTO_ICMPV6;

        /* ICMP over the other family is not a thing we decode. */
        if (v6 != (out->family == AF_INET6)) {
            hlen = 0;
            break;
        }
        if (len < 8)
            return PARSE_ERR_TRUNCATED;
        out->icmp_type = p[0];
        out->icmp_code = p[1];
        hlen = 8;
        if (v6 ? (p[0] >= 1 && p[0] <= 4) : icmp4_is_error(p[0])) {
            rc = v6 ? parse_quote_v6(p + 8, len - 8, &out->quote)
                    : parse_quote_v4(p + 8, len - 8, &out->quote);
            if (rc != PARSE_OK)
                return rc;
            out->has_quote = true;
        } else if (v6 ? (p[0] == PKT_ICMP6_ECHO || p[0] == PKT_ICMP6_ECHOREPLY)
                      : icmp4_has_id(p[0])) {
            out->icmp_id = be16_get(p + 4);
            out->icmp_seq = be16_get(p + 6);
        }
        break;
    }
    default:
        hlen = 0;
        break;
    }
    out->payload_off = (uint32_t)(base + hlen);
    out->payload_len = (uint32_t)(len - hlen);
    return PARSE_OK;
}

static int parse_ipv4(const uint8_t *p, size_t len, size_t wire, struct pkt_info *out, size_t base)
{
    size_t ihl, total;
    uint16_t frag;

    if (len < PKT_IPV4_LEN)
        return PARSE_ERR_TRUNCATED;
    ihl = (size_t)(p[0] & 0x0f) * 4;
    total = be16_get(p + 2);
    if (ihl < PKT_IPV4_LEN || total < ihl)
        return PARSE_ERR_MALFORMED;
    if (total > wire || ihl > len)
        return PARSE_ERR_TRUNCATED;
    out->family = AF_INET;
    out->tos = p[1];
    out->ip_id = be16_get(p + 4);
    frag = be16_get(p + 6);
    out->df = (frag & 0x4000) != 0;
    out->ttl = p[8];
    out->proto = p[9];
    set_addr(&out->src, AF_INET, p + 12);
    set_addr(&out->dst, AF_INET, p + 16);
    if (frag & 0x1fff)
        return PARSE_ERR_UNSUPPORTED; /* non-first fragment: no transport header */
    if (total > len) {
        out->truncated = true; /* within the wire length: cut by the capture */
        return parse_l4(p + ihl, len - ihl, total - ihl, out, base + ihl);
    }
    return parse_l4(p + ihl, total - ihl, total - ihl, out, base + ihl);
}

static int parse_ipv6(const uint8_t *p, size_t len, size_t wire, struct pkt_info *out, size_t base)
{
    size_t total, off = PKT_IPV6_LEN;
    uint8_t nh;
    int rc;

    if (len < PKT_IPV6_LEN)
        return PARSE_ERR_TRUNCATED;
    total = PKT_IPV6_LEN + (size_t)be16_get(p + 4);
    out->family = AF_INET6;
    out->tos = (uint8_t)((p[0] & 0x0f) << 4 | p[1] >> 4);
    out->ttl = p[7];
    set_addr(&out->src, AF_INET6, p + 8);
    set_addr(&out->dst, AF_INET6, p + 24);
    nh = p[6];
    if (total == PKT_IPV6_LEN && nh == 0)
        return PARSE_ERR_UNSUPPORTED; /* jumbogram (RFC 2675) */
    if (total > wire)
        return PARSE_ERR_TRUNCATED;
    size_t avail = total;
    if (total > len) {
        out->truncated = true; /* within the wire length: cut by the capture */
        avail = len;
    }
    /* Extension headers must have been captured whole. */
    rc = skip_ipv6_ext(p, avail, &off, &nh);
    out->proto = nh;
    if (rc != PARSE_OK)
        return rc;
    return parse_l4(p + off, avail - off, total - off, out, base + off);
}

static int parse_ip_at(const uint8_t *p, size_t len, size_t wire, struct pkt_info *out, size_t base)
{
    out->l3_off = (uint32_t)base;
    if (len < 1)
        return PARSE_ERR_TRUNCATED;
    switch (p[0] >> 4) {
    case 4:
        return parse_ipv4(p, len, wire, out, base);
    case 6:
        return parse_ipv6(p, len, wire, out, base);
    default:
        return PARSE_ERR_MALFORMED;
    }
}

int pkt_parse_ip_cap(const uint8_t *pkt, size_t caplen, size_t wirelen, struct pkt_info *out)
{
    memset(out, 0, sizeof(*out));
    return parse_ip_at(pkt, caplen, wirelen > caplen ? wirelen : caplen, out, 0);
}

int pkt_parse_ip(const uint8_t *pkt, size_t len, struct pkt_info *out)
{
    return pkt_parse_ip_cap(pkt, len, len, out);
}

int pkt_parse_eth(const uint8_t *frame, size_t len, struct pkt_info *out)
{
    return pkt_parse_eth_cap(frame, len, len, out);
}

int pkt_parse_eth_cap(const uint8_t *frame, size_t len, size_t wirelen, struct pkt_info *out)
{
    size_t off = PKT_ETH_LEN;
    uint16_t type;

    memset(out, 0, sizeof(*out));
    if (len < PKT_ETH_LEN)
        return PARSE_ERR_TRUNCATED;
    type = be16_get(frame + 12);
    for (int tags = 0;
         type == PKT_ETHERTYPE_VLAN || type == PKT_ETHERTYPE_QINQ || type == PKT_ETHERTYPE_VLAN9;
         tags++) {
        if (tags == 2)
            return PARSE_ERR_UNSUPPORTED; /* more than double tagging */
        if (len - off < 4)
            return PARSE_ERR_TRUNCATED;
        out->vlan = be16_get(frame + off) & 0x0fff;
        type = be16_get(frame + off + 2);
        off += 4;
    }
    if (type != PKT_ETHERTYPE_IPV4 && type != PKT_ETHERTYPE_IPV6)
        return PARSE_ERR_UNSUPPORTED;
    if (len - off >= 1 && (frame[off] >> 4) != (type == PKT_ETHERTYPE_IPV4 ? 4 : 6))
        return PARSE_ERR_MALFORMED;
    size_t wire = wirelen > len ? wirelen : len;
    return parse_ip_at(frame + off, len - off, wire - off, out, off);
}

const char *pkt_parse_strerror(int code)
{
    switch (code) {
    case PARSE_OK:
        return "ok";
    case PARSE_ERR_TRUNCATED:
        return "truncated";
    case PARSE_ERR_MALFORMED:
        return "malformed";
    case PARSE_ERR_UNSUPPORTED:
        return "unsupported";
    default:
        return "unknown error";
    }
}
