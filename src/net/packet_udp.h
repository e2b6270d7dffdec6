/*
 * packet_udp.h — raw UDP probes over IPv4 and IPv6 (-sU, UDP ping), built
 * like the TCP probes of packet.h: a template holds the constant headers and
 * their partial sums, and each probe patches addresses, ports, IP ID, the
 * lengths and both checksums, then copies its payload after the header.
 *
 * Unlike TCP, the payload depends on the port (a DNS query to 53, an SNMP
 * get to 161...), so the template stops at the end of the UDP header and
 * the frame length is per probe: PKT_ETH_LEN (if eth) + IP header + 8 +
 * payload_len.
 *
 * Checksum (RFC 768; RFC 8200 §8.1 for IPv6): one's complement over the
 * pseudo-header (addresses, protocol 17, UDP length), the UDP header and
 * the payload. A computed checksum of 0 is sent as 0xFFFF, since 0 means
 * "no checksum" over IPv4 (RFC 768) and is forbidden over IPv6 (RFC 8200
 * §8.1). With badsum the value is wrong but never 0 (which an IPv4
 * receiver would take as "not computed" and accept).
 *
 * Byte orders as in packet.h: integers in HOST order, addresses as
 * struct ipaddr, buffers in network order.
 */
#ifndef PRTIP_NET_PACKET_UDP_H
#define PRTIP_NET_PACKET_UDP_H

#include "net/packet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_UDP_LEN 8

/* Largest template: Ethernet + IPv6 + UDP header. */
#define PKT_UDP_HDR_MAX (PKT_ETH_LEN + PKT_IPV6_LEN + PKT_UDP_LEN)

/* What stays constant over a scan (fields as in struct pkt_tcp_params). */
struct pkt_udp_params {
    uint8_t family; /* AF_INET or AF_INET6 */
    bool eth;
    uint8_t dst_mac[6];
    uint8_t src_mac[6];
    struct ip_settings ip; /* TTL, TOS, DF, IP ID, source (packet.h); no payload yet */
    bool badsum;           /* --badsum: a wrong, non-zero UDP checksum */
};

/* The constant headers up to the end of UDP, and the sum of their
 * constant words. Read-only after pkt_udp_template_init(). */
struct pkt_udp_template {
    uint8_t family;
    uint16_t hdr_len; /* bytes up to the end of the UDP header */
    uint16_t l3_off;  /* IP header: 0 or PKT_ETH_LEN */
    uint16_t l4_off;  /* UDP header */
    bool badsum;
    bool ip_id_fixed; /* ip.ip_id_fixed: every probe carries ip_id */
    uint16_t ip_id;
    uint32_t ip_sum; /* constant IPv4 header words (no length, ID, addresses) */
    uint8_t frame[PKT_UDP_HDR_MAX];
};

/* The per-probe fields; integers in host order. */
struct pkt_udp_probe {
    struct ipaddr src, dst;
    uint16_t sport, dport;
    uint16_t ip_id;         /* IPv4 identification; ignored for IPv6 or a fixed ID */
    const uint8_t *payload; /* may be NULL when payload_len is 0 */
    size_t payload_len;
};

/* Lay out the constant headers. Returns 0, or -1 for a family other than
 * AF_INET/AF_INET6, p->ip refused by pkt_ip_settings_check(), or a non-zero
 * p->ip.payload_len (UDP payloads are per probe; --data-length for UDP is
 * not yet threaded). */
int pkt_udp_template_init(struct pkt_udp_template *t, const struct pkt_udp_params *p);

/* Frame length of a probe with payload_len bytes of payload, or -1 if it
 * would exceed PKT_MAX_FRAME (one Ethernet MTU: no fragmentation). */
int pkt_udp_frame_len(const struct pkt_udp_template *t, size_t payload_len);

/*
 * Patch a buffer whose first t->hdr_len bytes already hold the template
 * (a memcpy of t->frame, e.g. a send-ring slot prepared once): writes
 * addresses, ports, IP ID, lengths, both checksums, and copies the payload
 * after the UDP header. Returns the frame length, or -1 if the families do
 * not match the template or the frame would not fit in buflen or
 * PKT_MAX_FRAME (buf is then unchanged).
 */
int pkt_udp_patch(const struct pkt_udp_template *t, uint8_t *buf, size_t buflen,
                  const struct pkt_udp_probe *p);

/* Copy the template into buf and patch it: pkt_udp_patch() on a fresh
 * buffer. Same returns. */
int pkt_udp_make(const struct pkt_udp_template *t, uint8_t *buf, size_t buflen,
                 const struct pkt_udp_probe *p);

#endif
