/*
 * parse.h — decode a received frame into one flat struct pkt_info.
 *
 * Hostile input: every length is checked before it is read, and a
 * truncated or malformed packet returns a negative PARSE_ERR_* code, never
 * reads outside [pkt, pkt + len). No allocation, no global state; the
 * functions are reentrant.
 *
 * Two entry points: pkt_parse_eth() for frames that start at the Ethernet
 * header (AF_PACKET sockets, libpcap on Ethernet/veth), up to two 802.1Q /
 * 802.1ad VLAN tags; pkt_parse_ip() for buffers that start at the IP header
 * (raw IP sockets). The IP version is taken from the first nibble.
 *
 * Lengths: the IP header's own length (IPv4 total length, IPv6 payload
 * length) bounds the packet; bytes after it (Ethernet padding) are ignored,
 * and a buffer shorter than it is PARSE_ERR_TRUNCATED — unless the caller
 * says the frame was longer on the wire than what it captured (the
 * receivers keep only a snaplen's worth of each frame): then
 * pkt_parse_eth_cap()/pkt_parse_ip_cap() accept a packet whose headers
 * (link, IP with options/extensions, transport header, and for ICMP errors
 * the quoted IP header plus 8 bytes) were all captured and whose payload
 * was cut, report the payload as far as it was captured and set
 * pkt_info.truncated. A declared length beyond the wire length is still
 * PARSE_ERR_TRUNCATED: that packet really was short.
 *
 * Checksums are NOT verified: frames seen on veth/loopback through
 * AF_PACKET often carry CHECKSUM_PARTIAL sums from offload. Callers who want
 * to check them can use pkt_ipv4_checksum()/pkt_l4_checksum() (packet.h)
 * with the offsets reported here.
 *
 * Sources: RFC 791 (IPv4, options via IHL), RFC 8200 §4 (IPv6 extension
 * headers: Hop-by-Hop first, Routing, Fragment, Destination Options), RFC
 * 4302 (AH length unit), RFC 9293 §3.1 (TCP header), RFC 768 (UDP), RFC 792
 * and RFC 1812 §4.3.2.3 (ICMP errors quote the IP header plus at least 8
 * bytes), RFC 4443 §2.4, §3 (ICMPv6 errors quote as much as fits),
 * IEEE 802.1Q / 802.1ad (VLAN tags).
 */
#ifndef PRTIP_NET_PARSE_H
#define PRTIP_NET_PARSE_H

#include "core/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Return codes: 0 on success, or one of these (negative). */
#define PARSE_OK            0
#define PARSE_ERR_TRUNCATED (-1) /* a header or declared length runs past the buffer */
#define PARSE_ERR_MALFORMED (-2) /* impossible field values (version, IHL, data offset...) */
#define PARSE_ERR_UNSUPPORTED                                                                      \
    (-3) /* well-formed but not decodable here: not IP, a                                          \
            non-first fragment, ESP, an IPv6 jumbogram */

/* ICMP types used by the scanners (RFC 792, RFC 4443). */
#define PKT_ICMP_ECHOREPLY       0
#define PKT_ICMP_UNREACH         3
#define PKT_ICMP_SOURCEQUENCH    4
#define PKT_ICMP_REDIRECT        5
#define PKT_ICMP_ECHO            8
#define PKT_ICMP_TIMXCEED        11
#define PKT_ICMP_PARAMPROB       12
#define PKT_ICMP6_UNREACH        1
#define PKT_ICMP6_PACKET_TOO_BIG 2
#define PKT_ICMP6_TIMXCEED       3
#define PKT_ICMP6_PARAMPROB      4
#define PKT_ICMP6_ECHO           128
#define PKT_ICMP6_ECHOREPLY      129

/*
 * The original datagram quoted in an ICMP/ICMPv6 error: the probe WE sent,
 * so src is our address and dst the target. Integers in host order.
 */
struct pkt_quote {
    uint8_t family; /* AF_INET (in ICMPv4) or AF_INET6 (in ICMPv6) */
    uint8_t proto;  /* upper-layer protocol of the quoted datagram */
    uint8_t ttl;    /* TTL/hop limit as the reporting node saw it */
    struct ipaddr src, dst;
    uint16_t ip_id; /* IPv4 identification (0 for IPv6) */
    /* TCP/UDP: ports. TCP also seq (the first 8 bytes hold ports and seq). */
    uint16_t sport, dport;
    uint32_t seq;
    /* ICMP/ICMPv6 quoted: type, code, and echo identifier/sequence. */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;
};

/*
 * A decoded packet. Fields that do not apply are zero. All integers are in
 * HOST byte order; addresses are struct ipaddr (network-order bytes).
 * Offsets are from the start of the buffer passed to the parse function.
 */
struct pkt_info {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t proto;  /* upper-layer protocol after IPv6 extension headers:
                       IPPROTO_TCP/UDP/ICMP/ICMPV6, or other (59: none) */
    uint8_t ttl;    /* IPv4 TTL or IPv6 hop limit */
    uint8_t tos;    /* IPv4 TOS or IPv6 traffic class */
    uint16_t ip_id; /* IPv4 identification; 0 for IPv6 */
    uint16_t vlan;  /* innermost 802.1Q VLAN ID (12 bits); 0 if untagged */
    bool df;        /* IPv4 don't-fragment bit */
    struct ipaddr src, dst;

    uint32_t l3_off;      /* IP header */
    uint32_t l4_off;      /* transport header (after options/extensions) */
    uint32_t payload_off; /* transport payload (after the TCP/UDP/ICMP header) */
    uint32_t payload_len; /* bytes of it within the IP (and UDP) length and
                             within the captured bytes (see truncated) */
    bool truncated;       /* the capture cut the packet: payload_len counts
                             only the captured bytes of a longer payload */

    /* TCP (RFC 9293 §3.1) and UDP: ports. */
    uint16_t sport, dport;
    /* TCP only. */
    uint32_t seq, ack;
    uint8_t tcp_flags; /* PKT_TCP_* bits (packet.h) */
    uint16_t window;
    uint32_t tcp_opt_off, tcp_opt_len; /* TCP options: offset and bytes */

    /* ICMP / ICMPv6. */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq; /* echo request/reply only */
    bool has_quote;             /* an error message with a decoded quote */
    struct pkt_quote quote;
};

/*
 * Parse a frame that starts at the Ethernet II header (up to two VLAN tags).
 * Fills *out (zeroed first) and returns PARSE_OK, or a PARSE_ERR_* code; on
 * error, *out holds what was decoded before the error, for diagnostics only.
 * EtherTypes other than IPv4/IPv6 give PARSE_ERR_UNSUPPORTED.
 */
int pkt_parse_eth(const uint8_t *frame, size_t len, struct pkt_info *out);

/* Parse a packet that starts at the IPv4 or IPv6 header. As above. */
int pkt_parse_ip(const uint8_t *pkt, size_t len, struct pkt_info *out);

/*
 * The same for a captured frame: caplen bytes are at frame, and the frame
 * was wirelen bytes long on the wire (AF_PACKET's tp_len, pcap's len;
 * wirelen < caplen is taken as caplen). With wirelen == caplen these are
 * pkt_parse_eth()/pkt_parse_ip(). With wirelen > caplen, a packet whose
 * declared IP (and UDP) length runs past caplen but not past wirelen
 * parses when every header it has was captured, with truncated set and
 * payload_len = the captured payload bytes; offsets stay inside caplen.
 */
int pkt_parse_eth_cap(const uint8_t *frame, size_t caplen, size_t wirelen, struct pkt_info *out);
int pkt_parse_ip_cap(const uint8_t *pkt, size_t caplen, size_t wirelen, struct pkt_info *out);

/* A static string naming a PARSE_* code, for logs ("truncated", ...). */
const char *pkt_parse_strerror(int code);

#endif
