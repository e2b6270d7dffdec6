/*
 * packet_icmp.h — raw ICMP/ICMPv6 query probes for host discovery: echo
 * (-PE; ICMPv6 echo for IPv6), timestamp (-PP) and address mask (-PM),
 * built like the TCP probes of packet.h: the template holds the whole frame
 * and the partial sums of its constant words; per probe, addresses, IP ID,
 * identifier, sequence number and both checksums are patched.
 *
 * Messages (RFC 792 for ICMPv4, RFC 950 appendix I for address mask,
 * RFC 4443 §4.1 for ICMPv6 echo):
 *   echo       type 8 (v4) / 128 (v6), code 0, id, seq, then the payload
 *   timestamp  type 13, code 0, id, seq, originate/receive/transmit
 *              timestamps (12 bytes, sent as zero, as nmap), IPv4 only
 *   netmask    type 17, code 0, id, seq, address mask (4 bytes, zero),
 *              IPv4 only
 * The identifier and sequence number come from the probe cookie
 * (cookie_icmp_probe() in net/cookie.h); replies echo them (types 0/129,
 * 14, 18).
 *
 * Checksums: ICMPv4 covers the ICMP message only (RFC 792); ICMPv6 also
 * covers the IPv6 pseudo-header with next header 58 (RFC 4443 §2.3, RFC
 * 8200 §8.1). badsum flips the lowest bit of the ICMP checksum.
 *
 * Byte orders as in packet.h: integers in HOST order, addresses as
 * struct ipaddr, buffers in network order.
 */
#ifndef PRTIP_NET_PACKET_ICMP_H
#define PRTIP_NET_PACKET_ICMP_H

#include "net/packet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ICMPv4 query types not in net/parse.h (RFC 792, RFC 950). */
#define PKT_ICMP_TSTAMP      13
#define PKT_ICMP_TSTAMPREPLY 14
#define PKT_ICMP_MASKREQ     17
#define PKT_ICMP_MASKREPLY   18

#define PKT_ICMP_HDR_LEN 8 /* type, code, checksum, id, seq */

enum pkt_icmp_kind {
    PKT_ICMP_KIND_ECHO,      /* IPv4 and IPv6 */
    PKT_ICMP_KIND_TIMESTAMP, /* IPv4 only */
    PKT_ICMP_KIND_NETMASK,   /* IPv4 only */
};

/* What stays constant over a scan (fields as in struct pkt_tcp_params). */
struct pkt_icmp_params {
    uint8_t family; /* AF_INET or AF_INET6 */
    bool eth;
    uint8_t dst_mac[6];
    uint8_t src_mac[6];
    /* TTL, TOS, DF, IP ID, source (packet.h); ip.payload is the echo data
     * (--data-length), copied; NULL/0 for none (nmap's default). Ignored
     * for timestamp and netmask, whose bodies are fixed. */
    struct ip_settings ip;
    enum pkt_icmp_kind kind;
    bool badsum;
};

/* A prepared probe: the frame with zeros in the per-probe fields and the
 * sums of everything else. Read-only after pkt_icmp_template_init(). */
struct pkt_icmp_template {
    uint8_t family;
    uint8_t type; /* ICMP type sent: 8, 13, 17 or 128 */
    uint16_t len;
    uint16_t l3_off, l4_off;
    bool badsum;
    bool ip_id_fixed; /* ip.ip_id_fixed: every probe carries ip_id */
    uint16_t ip_id;
    uint32_t ip_sum;   /* constant IPv4 header words */
    uint32_t icmp_sum; /* constant ICMP words (+ pseudo-header length and 58 for v6) */
    uint8_t frame[PKT_MAX_FRAME];
};

/* The per-probe fields; integers in host order. */
struct pkt_icmp_probe {
    struct ipaddr src, dst;
    uint16_t id, seq;
    uint16_t ip_id; /* IPv4 identification; ignored for IPv6 or a fixed ID */
};

/*
 * Lay out the constant part of every probe. Returns 0, or -1 for a family
 * other than AF_INET/AF_INET6, timestamp or netmask over IPv6 (ICMPv6 has
 * neither), p->ip refused by pkt_ip_settings_check(), or a frame longer
 * than PKT_MAX_FRAME.
 */
int pkt_icmp_template_init(struct pkt_icmp_template *t, const struct pkt_icmp_params *p);

/* Patch a buffer holding a copy of t->frame[0..t->len): addresses, IP ID,
 * id, seq, checksums. Returns t->len, or -1 if p's families do not match. */
int pkt_icmp_patch(const struct pkt_icmp_template *t, uint8_t *buf, const struct pkt_icmp_probe *p);

/* Copy the template into buf (buflen >= t->len) and patch it. Returns
 * t->len or -1. */
int pkt_icmp_make(const struct pkt_icmp_template *t, uint8_t *buf, size_t buflen,
                  const struct pkt_icmp_probe *p);

/* The reply type that answers a request type (8→0, 13→14, 17→18,
 * 128→129), or -1 for anything else. */
int pkt_icmp_reply_type(uint8_t request_type);

#endif
