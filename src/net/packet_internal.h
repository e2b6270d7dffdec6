/*
 * packet_internal.h — what the TCP, UDP and ICMP probe builders share
 * (packet.c, packet_udp.c, packet_icmp.c); not a public contract. All
 * multi-byte values are written in network byte order.
 */
#ifndef PRTIP_NET_PACKET_INTERNAL_H
#define PRTIP_NET_PACKET_INTERNAL_H

#include "core/addr.h"
#include "net/packet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline void pkt_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Fold a one's-complement accumulator to 16 bits, not complemented (RFC 1071). */
static inline uint16_t pkt_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Sum of an address's 16-bit words (4 or 16 bytes by family), for the
 * per-probe part of IPv4 header and pseudo-header checksums. */
static inline uint32_t pkt_addr_words(const struct ipaddr *a)
{
    size_t n = a->family == AF_INET6 ? 16 : 4;
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i += 2)
        sum += (uint32_t)a->bytes[i] << 8 | a->bytes[i + 1];
    return sum;
}

/* The link and network layers of a probe template, common to every kind. */
struct pkt_ip_layout {
    int family; /* AF_INET or AF_INET6 */
    bool eth;   /* Ethernet II header first (AF_PACKET senders) */
    const uint8_t *dst_mac, *src_mac;
    const struct ip_settings *ip; /* TTL, TOS, DF (checked by pkt_ip_settings_check()) */
    uint8_t proto;                /* IPPROTO_TCP / UDP / ICMP / ICMPV6 */
    size_t l4_len;                /* transport bytes when fixed per template; 0 = set per probe */
};

/*
 * Write the Ethernet header (when l->eth) and the constant fields of the
 * IPv4 (RFC 791) or IPv6 (RFC 8200) header into frame from l->ip;
 * identification (fixed or not: see pkt_ip_id()), checksum and addresses
 * are left for the per-probe patch, as is the length
 * when l->l4_len is 0. Sets *l3 and *l4 to the offsets of the IP and
 * transport headers and returns the one's-complement sum of the IPv4
 * header as written (0 for IPv6), which the patch completes.
 */
uint32_t pkt_lay_ip(uint8_t *frame, const struct pkt_ip_layout *l, size_t *l3, size_t *l4);

/* The IPv4 identification a probe carries: the template's when fixed
 * (struct ip_settings.ip_id_fixed), else the probe's own. */
static inline uint16_t pkt_ip_id(bool fixed, uint16_t fixed_id, uint16_t probe_id)
{
    return fixed ? fixed_id : probe_id;
}

#endif
