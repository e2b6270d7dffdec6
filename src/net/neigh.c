/*
 * neigh.c — ARP and Neighbor Discovery messages (see neigh.h).
 *
 * Convention as in parse.c: helpers get a pointer and the number of bytes
 * valid from it and check a length before every read.
 */
#include "net/neigh.h"

#include "core/bytes.h"
#include "net/packet.h"
#include "net/parse.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define ARP_HTYPE_ETHER 1  /* IANA hardware type for Ethernet (10 Mb and up) */
#define ND_HDR_LEN      24 /* type, code, checksum, 4 bytes flags/reserved, target */
#define ND_OPT_SLLA     1  /* source link-layer address option (RFC 4861 §4.6.1) */
#define ND_OPT_TLLA     2  /* target link-layer address option */

static const uint8_t BROADCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ZERO_MAC[6];

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void set_addr(struct ipaddr *a, uint8_t family, const uint8_t *bytes)
{
    memset(a, 0, sizeof(*a));
    a->family = family;
    memcpy(a->bytes, bytes, family == AF_INET6 ? 16 : 4);
}

static void put_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    put16(buf + 12, type);
}

/*
 * Skip the Ethernet header and up to two VLAN tags (802.1ad outer, 802.1Q
 * inner, as parse.c does). Returns the offset of the payload and stores the
 * EtherType, or PARSE_ERR_TRUNCATED.
 */
static int eth_payload(const uint8_t *f, size_t len, uint16_t *type)
{
    size_t off = 12;

    for (int tags = 0;; tags++) {
        if (len - off < 2)
            return PARSE_ERR_TRUNCATED;
        *type = be16_get(f + off);
        off += 2;
        if (tags == 2 || (*type != PKT_ETHERTYPE_VLAN && *type != PKT_ETHERTYPE_QINQ &&
                          *type != PKT_ETHERTYPE_VLAN9))
            return (int)off;
        if (len - off < 2) /* the tag's TCI */
            return PARSE_ERR_TRUNCATED;
        off += 2;
    }
}

int neigh_arp_build(uint8_t *buf, size_t buflen, uint16_t op, const uint8_t eth_dst[6],
                    const uint8_t sha[6], const struct ipaddr *spa, const uint8_t tha[6],
                    const struct ipaddr *tpa)
{
    uint8_t *a;

    if (!buf || buflen < NEIGH_ARP_FRAME_LEN || spa->family != AF_INET || tpa->family != AF_INET)
        return -1;
    a = buf + PKT_ETH_LEN;
    put_eth(buf, eth_dst, sha, NEIGH_ETHERTYPE_ARP);
    put16(a, ARP_HTYPE_ETHER);
    put16(a + 2, PKT_ETHERTYPE_IPV4); /* ARP's protocol type reuses EtherTypes */
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, sha, 6);
    memcpy(a + 14, spa->bytes, 4);
    memcpy(a + 18, tha, 6);
    memcpy(a + 24, tpa->bytes, 4);
    return NEIGH_ARP_FRAME_LEN;
}

int neigh_arp_request(uint8_t *buf, size_t buflen, const uint8_t src_mac[6],
                      const struct ipaddr *src, const struct ipaddr *target)
{
    /* RFC 826 leaves tha "don't care" in a request; zero is what Linux,
     * nmap and RFC 5227 put there. */
    return neigh_arp_build(buf, buflen, NEIGH_ARP_REQUEST, BROADCAST, src_mac, src, ZERO_MAC,
                           target);
}

int neigh_arp_parse(const uint8_t *frame, size_t len, struct neigh_arp *out)
{
    uint16_t type;
    int off;
    const uint8_t *a;

    memset(out, 0, sizeof(*out));
    if (!frame || len < PKT_ETH_LEN)
        return PARSE_ERR_TRUNCATED;
    memcpy(out->eth_dst, frame, 6);
    memcpy(out->eth_src, frame + 6, 6);
    off = eth_payload(frame, len, &type);
    if (off < 0)
        return off;
    if (type != NEIGH_ETHERTYPE_ARP)
        return PARSE_ERR_UNSUPPORTED;
    if (len - (size_t)off < 8) /* the fixed part: htype, ptype, hlen, plen, op */
        return PARSE_ERR_TRUNCATED;
    a = frame + off;
    if (be16_get(a) != ARP_HTYPE_ETHER || be16_get(a + 2) != PKT_ETHERTYPE_IPV4)
        return PARSE_ERR_UNSUPPORTED;
    if (a[4] != 6 || a[5] != 4) /* lengths are implied by the types above */
        return PARSE_ERR_MALFORMED;
    out->op = be16_get(a + 6);
    if (len - (size_t)off < NEIGH_ARP_LEN)
        return PARSE_ERR_TRUNCATED;
    memcpy(out->sha, a + 8, 6);
    set_addr(&out->spa, AF_INET, a + 14);
    memcpy(out->tha, a + 18, 6);
    set_addr(&out->tpa, AF_INET, a + 24);
    return PARSE_OK;
}

void neigh_solicited_node(const struct ipaddr *target, struct ipaddr *out)
{
    static const uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};

    memset(out, 0, sizeof(*out));
    out->family = AF_INET6;
    memcpy(out->bytes, prefix, sizeof(prefix));
    memcpy(out->bytes + 13, target->bytes + 13, 3);
}

void neigh_ipv6_mcast_mac(const struct ipaddr *mcast, uint8_t mac[6])
{
    mac[0] = 0x33;
    mac[1] = 0x33;
    memcpy(mac + 2, mcast->bytes + 12, 4);
}

static bool is_unspecified6(const uint8_t *b)
{
    static const uint8_t zero[16];
    return memcmp(b, zero, 16) == 0;
}

int neigh_ns_build(uint8_t *buf, size_t buflen, const uint8_t src_mac[6], const struct ipaddr *src,
                   const struct ipaddr *target)
{
    struct ipaddr snm;
    uint8_t mac[6];
    uint8_t *ip, *icmp;
    uint16_t csum;

    if (!buf || buflen < NEIGH_NS_FRAME_LEN || src->family != AF_INET6 ||
        target->family != AF_INET6 || is_unspecified6(src->bytes) || target->bytes[0] == 0xff)
        return -1;
    ip = buf + PKT_ETH_LEN;
    icmp = ip + PKT_IPV6_LEN;
    neigh_solicited_node(target, &snm);
    neigh_ipv6_mcast_mac(&snm, mac);
    memset(buf, 0, NEIGH_NS_FRAME_LEN);
    put_eth(buf, mac, src_mac, PKT_ETHERTYPE_IPV6);

    ip[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
    put16(ip + 4, NEIGH_NS_LEN);
    ip[6] = IPPROTO_ICMPV6;
    ip[7] = 255; /* §7.1.1: receivers drop ND messages with any other hop limit */
    memcpy(ip + 8, src->bytes, 16);
    memcpy(ip + 24, snm.bytes, 16);

    icmp[0] = NEIGH_ND_NS;
    icmp[1] = 0; /* code; bytes 4..7 are reserved, zero */
    memcpy(icmp + 8, target->bytes, 16);
    icmp[24] = ND_OPT_SLLA;
    icmp[25] = 1; /* option length in units of 8 bytes */
    memcpy(icmp + 26, src_mac, 6);
    csum = pkt_l4_checksum(src, &snm, IPPROTO_ICMPV6, icmp, NEIGH_NS_LEN);
    put16(icmp + 2, csum);
    return NEIGH_NS_FRAME_LEN;
}

/* Walk the ND options in [p, p + len): §7.1 requires every option's length
 * to be non-zero (a zero length would loop forever) and to fit. Stores the
 * first 6-byte link-layer address option of type want. */
static int nd_options(const uint8_t *p, size_t len, uint8_t want, struct neigh_nd *out)
{
    size_t off = 0;

    while (off < len) {
        size_t olen;

        if (len - off < 2)
            return PARSE_ERR_TRUNCATED;
        olen = (size_t)p[off + 1] * 8;
        if (olen == 0)
            return PARSE_ERR_MALFORMED;
        if (len - off < olen)
            return PARSE_ERR_TRUNCATED;
        /* An Ethernet address fills a one-unit option (RFC 2464 §6); other
         * link types use longer options, which we skip. */
        if (p[off] == want && olen == 8 && !out->has_lladdr) {
            out->has_lladdr = true;
            memcpy(out->lladdr, p + off + 2, 6);
        }
        off += olen;
    }
    return PARSE_OK;
}

int neigh_nd_parse(const uint8_t *frame, size_t len, struct neigh_nd *out)
{
    uint16_t type, plen;
    int off, rc;
    const uint8_t *ip, *icmp;

    memset(out, 0, sizeof(*out));
    if (!frame || len < PKT_ETH_LEN)
        return PARSE_ERR_TRUNCATED;
    memcpy(out->eth_dst, frame, 6);
    memcpy(out->eth_src, frame + 6, 6);
    off = eth_payload(frame, len, &type);
    if (off < 0)
        return off;
    if (type != PKT_ETHERTYPE_IPV6)
        return PARSE_ERR_UNSUPPORTED;
    if (len - (size_t)off < PKT_IPV6_LEN)
        return PARSE_ERR_TRUNCATED;
    ip = frame + off;
    if (ip[0] >> 4 != 6)
        return PARSE_ERR_MALFORMED;
    set_addr(&out->src, AF_INET6, ip + 8);
    set_addr(&out->dst, AF_INET6, ip + 24);
    if (ip[6] != IPPROTO_ICMPV6)
        return PARSE_ERR_UNSUPPORTED;
    plen = be16_get(ip + 4);
    if (len - (size_t)off - PKT_IPV6_LEN < plen)
        return PARSE_ERR_TRUNCATED;
    icmp = ip + PKT_IPV6_LEN;
    if (plen < 1)
        return PARSE_ERR_TRUNCATED;
    if (icmp[0] != NEIGH_ND_NS && icmp[0] != NEIGH_ND_NA)
        return PARSE_ERR_UNSUPPORTED;
    out->type = icmp[0];
    if (plen < ND_HDR_LEN)
        return PARSE_ERR_TRUNCATED;
    /* §7.1.1/§7.1.2: hop limit 255 proves the sender is on-link (a router
     * would have decremented it); code must be 0. */
    if (ip[7] != 255 || icmp[1] != 0)
        return PARSE_ERR_MALFORMED;
    if (pkt_l4_checksum(&out->src, &out->dst, IPPROTO_ICMPV6, icmp, plen) != 0)
        return PARSE_ERR_MALFORMED;
    set_addr(&out->target, AF_INET6, icmp + 8);
    if (out->target.bytes[0] == 0xff)
        return PARSE_ERR_MALFORMED;
    if (out->type == NEIGH_ND_NA) {
        out->flags = icmp[4] & (NEIGH_NA_ROUTER | NEIGH_NA_SOLICITED | NEIGH_NA_OVERRIDE);
        if ((out->flags & NEIGH_NA_SOLICITED) && out->dst.bytes[0] == 0xff)
            return PARSE_ERR_MALFORMED;
    } else if (is_unspecified6(out->src.bytes) && out->dst.bytes[0] != 0xff) {
        /* §7.1.1: a DAD probe (source ::) must go to a solicited-node group. */
        return PARSE_ERR_MALFORMED;
    }
    rc = nd_options(icmp + ND_HDR_LEN, plen - ND_HDR_LEN,
                    out->type == NEIGH_ND_NA ? ND_OPT_TLLA : ND_OPT_SLLA, out);
    /* §7.1.1: a DAD probe has nobody to name as its source link address. */
    if (rc == PARSE_OK && out->type == NEIGH_ND_NS && out->has_lladdr &&
        is_unspecified6(out->src.bytes))
        return PARSE_ERR_MALFORMED;
    return rc;
}

bool neigh_mac_unicast(const uint8_t mac[6])
{
    return !(mac[0] & 1) && memcmp(mac, ZERO_MAC, 6) != 0;
}

bool neigh_match_reply(const uint8_t *frame, size_t len, const struct ipaddr *want, uint8_t mac[6])
{
    const uint8_t *got;
    struct neigh_arp arp;
    struct neigh_nd nd;

    if (want->family == AF_INET) {
        if (neigh_arp_parse(frame, len, &arp) != PARSE_OK || arp.op != NEIGH_ARP_REPLY ||
            !ipaddr_equal(&arp.spa, want))
            return false;
        got = arp.sha;
    } else {
        if (neigh_nd_parse(frame, len, &nd) != PARSE_OK || nd.type != NEIGH_ND_NA ||
            !ipaddr_equal(&nd.target, want))
            return false;
        got = nd.has_lladdr ? nd.lladdr : nd.eth_src;
    }
    if (!neigh_mac_unicast(got))
        return false;
    memcpy(mac, got, 6);
    return true;
}

bool neigh_mac_by_rule(const struct ipaddr *a, uint8_t mac[6])
{
    if (a->family == AF_INET6 && a->bytes[0] == 0xff) {
        neigh_ipv6_mcast_mac(a, mac);
        return true;
    }
    if (a->family != AF_INET)
        return false;
    if ((a->bytes[0] & 0xf0) == 0xe0) { /* 224.0.0.0/4 */
        mac[0] = 0x01;
        mac[1] = 0x00;
        mac[2] = 0x5e;
        mac[3] = a->bytes[1] & 0x7f;
        mac[4] = a->bytes[2];
        mac[5] = a->bytes[3];
        return true;
    }
    if (memcmp(a->bytes, BROADCAST, 4) == 0) {
        memcpy(mac, BROADCAST, 6);
        return true;
    }
    return false;
}
