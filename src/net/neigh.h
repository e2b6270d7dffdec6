/*
 * neigh.h — build and parse the link-layer address resolution messages:
 * ARP over Ethernet for IPv4 (RFC 826) and IPv6 Neighbor Discovery's
 * Neighbor Solicitation / Advertisement (RFC 4861 §4.3, §4.4, §4.6.1,
 * §7.1). Used by route_resolve_mac() (route.h) on a neighbour-table miss
 * and by the ARP/NDP host discovery (-PR).
 *
 * Pure functions on caller buffers: no I/O, no allocation, no global state.
 * Parsers take hostile input: every length is checked before it is read,
 * and they return a negative PARSE_ERR_* code (parse.h), never read outside
 * [frame, frame + len).
 *
 * Byte orders: integers in the structs are HOST order (ARP opcode);
 * addresses are struct ipaddr (network-order bytes) and MACs are 6 bytes as
 * on the wire. Everything written into buffers is network order.
 *
 * Frames start at the Ethernet II header (AF_PACKET SOCK_RAW). The parsers
 * accept up to two 802.1Q / 802.1ad VLAN tags before the EtherType and
 * ignore trailing bytes (Ethernet pads ARP to 60 bytes).
 *
 * Sources: RFC 826 (ARP packet), RFC 5227 §2.1.1 (ARP probe: sender IP
 * 0.0.0.0), IANA ARP parameters (hardware type 1 = Ethernet, opcodes),
 * RFC 4861 §4.3 (NS), §4.4 (NA), §4.6.1 (link-layer address options),
 * §7.1.1/§7.1.2 (validation: hop limit 255, code 0, length, option lengths
 * non-zero), §7.2.2 (NS to the solicited-node multicast address),
 * RFC 4291 §2.7.1 (solicited-node address ff02::1:ffXX:XXXX),
 * RFC 2464 §7 (IPv6 multicast over Ethernet: 33:33 + low 32 bits),
 * RFC 4443 §2.3 (ICMPv6 checksum over the RFC 8200 §8.1 pseudo-header),
 * RFC 1112 §6.4 (IPv4 multicast over Ethernet).
 */
#ifndef PRTIP_NET_NEIGH_H
#define PRTIP_NET_NEIGH_H

#include "core/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* EtherType of ARP (IEEE 802), host order. */
#define NEIGH_ETHERTYPE_ARP 0x0806

/* ARP opcodes (RFC 826), host order. */
#define NEIGH_ARP_REQUEST 1
#define NEIGH_ARP_REPLY   2

/* ICMPv6 Neighbor Discovery types (RFC 4861 §4.3, §4.4). */
#define NEIGH_ND_NS 135
#define NEIGH_ND_NA 136

/* Neighbor Advertisement flags: the first byte after the ICMPv6 checksum. */
#define NEIGH_NA_ROUTER    0x80
#define NEIGH_NA_SOLICITED 0x40
#define NEIGH_NA_OVERRIDE  0x20

/* Sizes in bytes. ARP for Ethernet/IPv4 is 28 bytes; the frame is sent
 * without padding (the NIC or veth pads to the 60-byte minimum). An NS with
 * a source link-layer address option is 24 + 8 bytes of ICMPv6. */
#define NEIGH_ARP_LEN       28
#define NEIGH_ARP_FRAME_LEN (14 + NEIGH_ARP_LEN)
#define NEIGH_NS_LEN        32
#define NEIGH_NS_FRAME_LEN  (14 + 40 + NEIGH_NS_LEN)

/* A decoded ARP packet for Ethernet (htype 1, hlen 6) and IPv4 (ptype
 * 0x0800, plen 4). Other hardware/protocol types are PARSE_ERR_UNSUPPORTED. */
struct neigh_arp {
    uint8_t eth_src[6]; /* Ethernet header's source (may differ from sha) */
    uint8_t eth_dst[6];
    uint16_t op;       /* NEIGH_ARP_REQUEST / NEIGH_ARP_REPLY (others pass) */
    uint8_t sha[6];    /* sender hardware address */
    struct ipaddr spa; /* sender protocol address (AF_INET) */
    uint8_t tha[6];    /* target hardware address */
    struct ipaddr tpa; /* target protocol address (AF_INET) */
};

/* A decoded Neighbor Solicitation or Advertisement. */
struct neigh_nd {
    uint8_t eth_src[6];
    uint8_t eth_dst[6];
    struct ipaddr src, dst; /* IPv6 header's addresses (AF_INET6) */
    uint8_t type;           /* NEIGH_ND_NS or NEIGH_ND_NA */
    uint8_t flags;          /* NA: NEIGH_NA_* bits; NS: 0 */
    struct ipaddr target;   /* the address being resolved / advertised */
    bool has_lladdr;        /* a link-layer address option was present: */
    uint8_t lladdr[6];      /* source (NS, type 1) or target (NA, type 2) */
};

/*
 * Write an Ethernet + ARP frame: eth_dst, sha as Ethernet source,
 * EtherType 0x0806, htype 1, ptype 0x0800, hlen 6, plen 4, op, sha, spa,
 * tha, tpa. spa and tpa must be AF_INET. Returns NEIGH_ARP_FRAME_LEN, or -1
 * if buflen is too small or an address is not IPv4 (buf untouched).
 */
int neigh_arp_build(uint8_t *buf, size_t buflen, uint16_t op, const uint8_t eth_dst[6],
                    const uint8_t sha[6], const struct ipaddr *spa, const uint8_t tha[6],
                    const struct ipaddr *tpa);

/*
 * The ARP request "who has target? tell src": broadcast to ff:ff:ff:ff:ff:ff
 * from src_mac, tha zero (RFC 826). src may be 0.0.0.0 for an RFC 5227
 * probe. Returns NEIGH_ARP_FRAME_LEN or -1 as neigh_arp_build().
 */
int neigh_arp_request(uint8_t *buf, size_t buflen, const uint8_t src_mac[6],
                      const struct ipaddr *src, const struct ipaddr *target);

/*
 * Parse an Ethernet frame carrying ARP for Ethernet/IPv4 into *out (zeroed
 * first). Returns PARSE_OK; PARSE_ERR_TRUNCATED when the frame is shorter
 * than its headers; PARSE_ERR_UNSUPPORTED for another EtherType or ARP for
 * other hardware/protocol types; PARSE_ERR_MALFORMED for hlen/plen that
 * contradict htype/ptype.
 */
int neigh_arp_parse(const uint8_t *frame, size_t len, struct neigh_arp *out);

/* The solicited-node multicast address of target (RFC 4291 §2.7.1):
 * ff02::1:ff00:0/104 plus target's low 24 bits. target must be AF_INET6. */
void neigh_solicited_node(const struct ipaddr *target, struct ipaddr *out);

/* The Ethernet multicast MAC of an IPv6 multicast address (RFC 2464 §7):
 * 33:33 followed by the address's low 32 bits. */
void neigh_ipv6_mcast_mac(const struct ipaddr *mcast, uint8_t mac[6]);

/*
 * Write an Ethernet + IPv6 + ICMPv6 Neighbor Solicitation for target, as a
 * host does when resolving (RFC 4861 §7.2.2): Ethernet to the solicited-node
 * MAC 33:33:ff:XX:XX:XX from src_mac; IPv6 from src to ff02::1:ffXX:XXXX,
 * hop limit 255, next header 58; ICMPv6 type 135 code 0 with a correct
 * checksum, the target, and a source link-layer address option (src_mac).
 * src and target must be AF_INET6 (src must not be :: — an unspecified
 * source may not carry the option, §4.3). Returns NEIGH_NS_FRAME_LEN, or -1
 * if buflen is too small or the addresses are unusable (buf untouched).
 */
int neigh_ns_build(uint8_t *buf, size_t buflen, const uint8_t src_mac[6], const struct ipaddr *src,
                   const struct ipaddr *target);

/*
 * Parse an Ethernet frame carrying an IPv6 Neighbor Solicitation or
 * Advertisement into *out (zeroed first), validating as RFC 4861 §7.1.1 and
 * §7.1.2 require: hop limit 255, ICMPv6 code 0, ICMPv6 length >= 24, every
 * option's length non-zero and inside the packet, a non-multicast target,
 * and for an NA the solicited flag clear when sent to a multicast address.
 * The ICMPv6 checksum IS verified (hosts compute ND checksums in software,
 * so there is no offload excuse; a bad one is PARSE_ERR_MALFORMED).
 * IPv6 extension headers are not walked: a next header other than 58 is
 * PARSE_ERR_UNSUPPORTED, as are other ICMPv6 types. The IPv6 payload
 * length bounds the packet (trailing bytes ignored).
 */
int neigh_nd_parse(const uint8_t *frame, size_t len, struct neigh_nd *out);

/*
 * Does frame answer "what is the link-layer address of want?": an ARP reply
 * whose sender is want (IPv4 want), or a Neighbor Advertisement whose
 * target is want (IPv6 want), naming a unicast, non-zero MAC. On true,
 * stores that MAC: ARP's sender hardware address; the NA's target
 * link-layer address option, or its Ethernet source when the option is
 * missing (§7.2.5 wants it only in answers to multicast solicitations).
 */
bool neigh_match_reply(const uint8_t *frame, size_t len, const struct ipaddr *want, uint8_t mac[6]);

/* True for a MAC usable as a unicast destination: group bit clear, not all
 * zero. */
bool neigh_mac_unicast(const uint8_t mac[6]);

/*
 * The MAC that a multicast or limited-broadcast address maps to without
 * asking anyone: IPv4 multicast 01:00:5e + low 23 bits (RFC 1112 §6.4),
 * IPv6 multicast 33:33 + low 32 bits (RFC 2464 §7), 255.255.255.255 to
 * ff:ff:ff:ff:ff:ff. Returns false (mac untouched) for other addresses.
 */
bool neigh_mac_by_rule(const struct ipaddr *a, uint8_t mac[6]);

#endif
