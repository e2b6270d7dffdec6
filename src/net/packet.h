/*
 * packet.h — build raw TCP probes over IPv4 and IPv6, and the Internet
 * checksum. Pure functions on caller buffers: no I/O, no allocation, no
 * global state.
 *
 * Design (after ZMap's probe modules, "write all the constant packet
 * contents in prepare_packet, and only write the fields that need to be
 * updated in make_packet"): a scan describes its probe once in a
 * struct pkt_tcp_params; pkt_template_init() lays out the whole frame
 * (Ethernet, IP, TCP, options, payload) in a struct pkt_template and
 * precomputes the one's-complement sums of every constant field. Per probe,
 * pkt_make() copies the template and pkt_patch() writes only the addresses,
 * ports, sequence/acknowledgment numbers and IP ID, finishing both checksums
 * from the precomputed sums (no pass over the options or payload).
 *
 * Byte orders: every integer in these structs and arguments is in HOST
 * order (ports, seq, ack, window, IP ID). Addresses are struct ipaddr, whose
 * bytes[] are in network order. Everything written into buffers is in
 * network order. Checksum helpers return the value as a host-order integer
 * that is stored big-endian on the wire (see pkt_csum_fold()).
 *
 * Sources: RFC 791 (IPv4 header), RFC 8200 §3 and §8.1 (IPv6 header and
 * the upper-layer checksum's pseudo-header), RFC 9293 §3.1 (TCP header and
 * the IPv4 pseudo-header), RFC 1071 (computing the Internet checksum),
 * RFC 1624 (incremental update), IEEE 802.3 (Ethernet II framing).
 */
#ifndef PRTIP_NET_PACKET_H
#define PRTIP_NET_PACKET_H

#include "core/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Header sizes in bytes. */
#define PKT_ETH_LEN     14
#define PKT_IPV4_LEN    20 /* without options (struct ip_settings refuses them for now) */
#define PKT_IPV6_LEN    40
#define PKT_TCP_LEN     20 /* without options */
#define PKT_TCP_OPT_MAX 40 /* data offset is 4 bits of 32-bit words: 60 - 20 */

/* Largest frame a template may describe: a 1500-byte IP MTU plus Ethernet. */
#define PKT_MAX_FRAME 1514

/* EtherTypes (IEEE 802), host order. */
#define PKT_ETHERTYPE_IPV4  0x0800
#define PKT_ETHERTYPE_IPV6  0x86DD
#define PKT_ETHERTYPE_VLAN  0x8100 /* IEEE 802.1Q C-tag */
#define PKT_ETHERTYPE_QINQ  0x88A8 /* IEEE 802.1ad S-tag */
#define PKT_ETHERTYPE_VLAN9 0x9100 /* pre-standard QinQ, still seen */

/* TCP control bits, the 13th byte of the TCP header (RFC 9293 §3.1, RFC 3168). */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20
#define PKT_TCP_ECE 0x40
#define PKT_TCP_CWR 0x80

/* nmap's SYN-probe options: MSS 1460 and nothing else (kind 2, length 4). */
#define PKT_TCP_OPT_MSS1460 "\x02\x04\x05\xb4"
/* nmap's first OS-detection SEQ probe's options (20 bytes): window scale
 * 10, NOP, MSS 1460, timestamp (TSval 0xFFFFFFFF, TSecr 0), SACK permitted
 * (nmap book, "Probes sent"). Sent with window 1. */
#define PKT_TCP_OPT_NMAP_SEQ1                                                                      \
    "\x03\x03\x0A\x01\x02\x04\x05\xb4\x08\x0A\xff\xff\xff\xff\x00\x00\x00\x00\x04\x02"
#define PKT_TCP_OPT_NMAP_SEQ1_LEN 20

/*
 * The IP layer of every probe of a scan: one struct for every builder (TCP
 * here, UDP in packet_udp.h, ICMP in packet_icmp.h; IPv4 and IPv6), so that
 * the evasion options (--ttl, --ip-options, -S, -g, --data-length, ...) are
 * threaded in one place. Zero-initialise, then fill in; a zeroed struct
 * means TTL 0, TOS 0, no DF, per-probe IP ID, no options, no extra data.
 * Read by the template builders only (copied where needed: the caller's
 * struct and the memory ip_options and payload point to need live only for
 * the *_template_init() call). Integers in HOST order.
 */
struct ip_settings {
    uint8_t ttl;        /* IPv4 TTL or IPv6 hop limit (RFC 791, RFC 8200); 0 is sent as given */
    uint8_t tos;        /* IPv4 TOS / IPv6 traffic class (DSCP+ECN byte, RFC 2474) */
    bool dont_fragment; /* IPv4 DF bit; ignored for IPv6 (no in-flight fragmentation) */

    /* IPv4 identification: false sends each probe's own (pkt_*_probe.ip_id,
     * which the raw engine draws from the cookie); true sends ip_id in every
     * probe. Ignored for IPv6, which has no IP ID outside a fragment header. */
    bool ip_id_fixed;
    uint16_t ip_id;

    /* IPv4 options (RFC 791 §3.1) as raw bytes, at most 40. Threaded but not
     * yet laid out: the builders refuse a non-zero ip_options_len (-1). */
    const uint8_t *ip_options;
    size_t ip_options_len;

    /* Source address every probe leaves from (-S, or the route's), and the
     * fixed source port (-g; 0 = drawn per probe from the cookie). The
     * builders check src's family against the template's when set
     * (family != 0); the address and port written are the per-probe ones
     * (pkt_*_probe.src/sport), which the probe kinds take from here and
     * from the cookie. */
    struct ipaddr src;
    uint16_t sport;

    /* Extra data after the transport header (--data-length), copied into
     * the template: TCP payload, ICMP echo data (ignored by timestamp and
     * netmask, whose bodies are fixed). UDP refuses it for now (its payload
     * is per port, pkt_udp_probe.payload). NULL/0 for none. */
    const uint8_t *payload;
    size_t payload_len;
};

/*
 * What stays constant over a scan. Zero-initialise, then fill in.
 * src and dst are only used for their family here (both must be the same
 * family, AF_INET or AF_INET6): the real addresses are per probe.
 */
struct pkt_tcp_params {
    uint8_t family; /* AF_INET or AF_INET6 */

    /* Ethernet II header first when eth is true (AF_PACKET senders); the
     * frame then starts with dst_mac, src_mac and the EtherType of family.
     * Without it the buffer starts at the IP header (raw IP sockets). */
    bool eth;
    uint8_t dst_mac[6];
    uint8_t src_mac[6];

    struct ip_settings ip; /* TTL, TOS, DF, IP ID, options, source, payload */

    uint8_t tcp_flags; /* PKT_TCP_* bits */
    uint16_t window;   /* TCP window, host order */
    uint16_t urgent;   /* TCP urgent pointer, host order (usually 0) */

    /* TCP options as raw bytes (kind/length/value), at most PKT_TCP_OPT_MAX
     * bytes; padded with zero bytes (End of Option List) to a multiple of 4.
     * NULL/0 for none (masscan); PKT_TCP_OPT_MSS1460/4 for nmap's SYN. */
    const uint8_t *tcp_options;
    size_t tcp_options_len;

    /* --badsum: send a TCP checksum that is always wrong (the correct one
     * with its lowest bit flipped, never an equivalent 0x0000/0xFFFF). The
     * IPv4 header checksum stays correct so routers forward the packet. */
    bool badsum;
};

/* The per-probe fields. All integers in host order. */
struct pkt_tcp_probe {
    struct ipaddr src; /* our address; same family as the template */
    struct ipaddr dst; /* the target */
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;   /* sent as is; meaningful to the peer only with PKT_TCP_ACK */
    uint16_t ip_id; /* IPv4 identification; ignored for IPv6 or with ip.ip_id_fixed */
};

/* A prepared probe: the frame with zeros in the per-probe fields, and the
 * partial sums of everything else. Built by pkt_template_init(), then
 * read-only, so one template may be shared by several sender threads. */
struct pkt_template {
    uint8_t family;
    uint16_t len;    /* total frame length in bytes */
    uint16_t l3_off; /* offset of the IP header: 0, or PKT_ETH_LEN */
    uint16_t l4_off; /* offset of the TCP header */
    bool badsum;
    bool ip_id_fixed; /* ip.ip_id_fixed: every probe carries ip_id below */
    uint16_t ip_id;
    uint32_t ip_sum;  /* one's-complement sum of the constant IPv4 header words */
    uint32_t tcp_sum; /* one's-complement sum of constant TCP words + pseudo-header
                         length and protocol */
    uint8_t frame[PKT_MAX_FRAME];
};

/*
 * Lay out the constant part of every probe of a scan.
 * Returns 0, or -1 if the family is neither AF_INET nor AF_INET6, options
 * are longer than PKT_TCP_OPT_MAX, the frame would exceed PKT_MAX_FRAME, or
 * p->ip is refused (pkt_ip_settings_check()).
 */
int pkt_template_init(struct pkt_template *t, const struct pkt_tcp_params *p);

/*
 * Write one probe: copy the template into buf and patch it for p.
 * Returns the frame length in bytes, or -1 if buflen < t->len or p's
 * addresses are not of the template's family (buf is then untouched).
 */
int pkt_make(const struct pkt_template *t, uint8_t *buf, size_t buflen,
             const struct pkt_tcp_probe *p);

/*
 * Patch a buffer that already holds a copy of the template (from pkt_make()
 * or a memcpy of t->frame[0..t->len)), e.g. a slot of a sendmmsg/TPACKET ring
 * prepared once: writes addresses, ports, seq, ack, IP ID and both checksums,
 * nothing else. buf must hold t->len bytes; p must match t->family (checked:
 * returns -1 otherwise, else t->len).
 */
int pkt_patch(const struct pkt_template *t, uint8_t *buf, const struct pkt_tcp_probe *p);

/*
 * Whether every builder can lay out ip for family (AF_INET/AF_INET6):
 * 0, or -1 when ip_options_len is non-zero (not yet supported), ip->src is
 * set (family != 0) but of another family, payload_len is non-zero with a
 * NULL payload, or payload_len exceeds PKT_MAX_FRAME. Pure.
 */
int pkt_ip_settings_check(const struct ip_settings *ip, int family);

/*
 * Internet checksum (RFC 1071). The data are summed as big-endian 16-bit
 * words (an odd last byte is padded with a zero byte), so results do not
 * depend on the host's byte order.
 *
 * pkt_csum_add: add len bytes at data to the running sum and return it,
 *   folded to 16 bits (not complemented). Chain calls over consecutive
 *   pieces; every piece but the last must have an even length. sum may be
 *   any 32-bit value (e.g. several sums added together); any len.
 * pkt_csum_fold: fold carries, complement, and return the checksum, to be
 *   stored big-endian (e.g. buf[10] = c >> 8, buf[11] = c & 0xff).
 *   Over data that already contain a correct checksum, the result is 0.
 */
uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t pkt_csum_fold(uint32_t sum);

/* Checksum of an IPv4 header of hlen bytes (the checksum field included as
 * it is: zero it before computing; 0 means a received header verifies). */
uint16_t pkt_ipv4_checksum(const uint8_t *hdr, size_t hlen);

/*
 * Checksum of a TCP (or UDP: proto 17) segment of len bytes over the
 * pseudo-header of src and dst: RFC 9293 §3.1 for IPv4 (src, dst, zero,
 * protocol, 16-bit length), RFC 8200 §8.1 for IPv6 (src, dst, 32-bit length,
 * three zero bytes, next header). The segment's checksum field is summed as
 * it is: zero it to compute, or leave it to verify (0 means valid).
 * src and dst must have the same family.
 */
uint16_t pkt_l4_checksum(const struct ipaddr *src, const struct ipaddr *dst, uint8_t proto,
                         const uint8_t *seg, size_t len);

/*
 * Incremental update (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')): the new
 * checksum after the len bytes old_data of a checksummed region became
 * new_data. len must be even and the bytes must start at an even offset of
 * the region. csum and the result are host-order values as above.
 */
uint16_t pkt_csum_update(uint16_t csum, const void *old_data, const void *new_data, size_t len);

#endif
