/*
 * probe_kind.h — what a raw probe is on the wire: one file per kind
 * (probe_tcp.c, probe_udp.c, probe_icmp.c) exporting one const struct of
 * callbacks, registered in one table (probe_kinds.c), after ZMap's
 * probe_modules. A kind owns everything that depends on the packet it
 * sends: building its template per (address family, scan module), patching
 * the per-probe fields including the cookie, and validating a received
 * reply against the cookie and mapping it back to the probe it answers.
 * The raw engine (src/engine/raw_*.c) only calls through this struct, so a
 * new kind (OS probes, idle-scan probes, SCTP) is one file and one row.
 *
 * Scan modules (scan/scan_module.h) name their kind in their probe field;
 * several modules may share a kind (-sS, -sA, -PS, -PA all send TCP) and
 * differ in the TCP flags and in how they classify a validated reply.
 *
 * Threads: the structs here are const; a struct probe_tpl is written by
 * prepare on the setup thread and then only read, so one template may be
 * shared by every sender thread. validate runs on the receiver threads.
 * No callback allocates, blocks or keeps state.
 *
 * Byte orders: integers in HOST order (ports, flags); addresses as struct
 * ipaddr (bytes in network order); frames in network order.
 */
#ifndef PRTIP_SCAN_PROBE_KIND_H
#define PRTIP_SCAN_PROBE_KIND_H

#include "core/addr.h"
#include "net/cookie.h"
#include "net/packet.h"
#include "net/packet_icmp.h"
#include "net/packet_udp.h"
#include "net/parse.h"
#include "scan/udp_payloads.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probe_kind;

/* What a kind's template is built from: constant over a scan, per
 * (family, module). All pointers need live only for the prepare call. */
struct probe_setup {
    int family; /* AF_INET or AF_INET6 */
    /* Ethernet II header first (AF_PACKET senders) with these addresses;
     * without it the frame starts at the IP header (raw IP sockets). */
    bool eth;
    const uint8_t *src_mac, *dst_mac; /* 6 bytes each; read only when eth */
    /* The IP layer (TTL, TOS, DF, IP ID, source address, ...): ip->src is
     * the source every probe of this template leaves from. */
    const struct ip_settings *ip;
    uint8_t tcp_flags; /* TCP kinds: PKT_TCP_* of the module or --scanflags */
    /* --os-passive (TCP kinds, SYN probes): send nmap's SEQ1 options and
     * window 1 instead of MSS 1460 and window 1024, so that the SYN-ACK
     * reads as nmap's O1, W1 and T1 lines. */
    bool os_seq1;
};

/* A kind's prepared packet for one (family, module). Built by prepare,
 * read-only afterwards. ok is false when the kind does not exist in the
 * family (struct probe_kind.ipv4_only over IPv6): nothing is sent then. */
struct probe_tpl {
    const struct probe_kind *kind;
    bool ok;
    uint8_t tcp_flags;  /* probe_setup.tcp_flags, kept for make */
    uint16_t frame_len; /* longest frame make writes without a payload */
    struct ipaddr src;  /* probe_setup.ip->src: every probe's source */
    uint8_t icmp_type;  /* ICMP kinds: the request type sent (8, 13, 17, 128) */
    union {
        struct pkt_template tcp;
        struct pkt_udp_template udp;
        struct pkt_icmp_template icmp;
    } u;
};

/* The per-probe fields make writes. */
struct probe_make {
    const struct cookie_ctx *cookie; /* the scan's cookie key and source ports */
    const struct ipaddr *dst;        /* the target; of the template's family */
    uint16_t dport;                  /* destination port; 0 for unported kinds */
    /* cookie_hash_src() of (dst, dport) for kinds with port_cookie (the
     * sender hashes a batch at once: cookie_hash_src_batch()); else 0. */
    uint64_t hash;
    /* Kinds with payloads: this try's payload (never NULL for them); the
     * engine passes list[try % n] of the entry's list. NULL otherwise. */
    const struct udp_payload *payload;
};

/* A validated reply mapped back to its probe. */
struct probe_match {
    const struct ipaddr *target; /* the probed address (points into the reply) */
    uint16_t port;               /* the probed port; 0 for unported kinds */
};

struct probe_kind {
    const char *name; /* "tcp", "udp", "icmp_echo", ... (logs) */

    /* Where the kind's groups go in the probe list: ascending, so results
     * list TCP ports before UDP as nmap does; equal ranks keep the order
     * the modules were requested in. */
    uint8_t order;
    /* One probe-list entry per destination port of the module's protocol
     * list (TCP, UDP); false: one entry with port 0 (ICMP queries). */
    bool ported;
    /* The probe's cookie is cookie_hash_src(dst, dport): the sender hashes
     * a batch at once and hands make the value (probe_make.hash). */
    bool port_cookie;
    /* Only exists over IPv4 (ICMP timestamp and address mask: ICMPv6 has
     * neither): templates over IPv6 are not built and not sent. */
    bool ipv4_only;
    /* A silent probe is told apart only by an ICMP port unreachable, which
     * hosts rate-limit (RFC 1812 §4.3.2.8, Linux icmp_ratelimit): the
     * engine paces these entries' retries per host (engine/raw_pace.h). */
    bool icmp_paced;
    /* Its direct replies' transport in pcap-filter(7) syntax ("tcp",
     * "udp"), matched to our source ports; NULL when only ICMP answers
     * (ICMP and ICMPv6 always pass the receive filter). */
    const char *bpf_proto;
    /* The protocol column of --dry-run for unported kinds ("icmp"). */
    const char *label;

    /*
     * Build t for s: write all the constant packet contents here (link
     * and IP headers from s->ip, transport header, options, data) and
     * their partial checksums, so that make only writes the fields that
     * change per probe. Sets t->frame_len (the frame without a per-probe
     * payload), t->src and t->tcp_flags. Not called for an ipv4_only kind
     * over IPv6. Returns 0, or -1 when the builder refuses s (bad family,
     * settings pkt_ip_settings_check() refuses, frame over PKT_MAX_FRAME).
     */
    int (*prepare)(struct probe_tpl *t, const struct probe_setup *s);

    /*
     * Write the probe m into buf (buflen bytes, at least t->frame_len plus
     * the largest payload): when loaded is false, first copy the template's
     * constant bytes; when true, buf already holds them (a send slot that
     * last held this template), and only the per-probe fields are written:
     * addresses, ports, the cookie fields (TCP: seq, ack, source port and
     * IP ID; UDP: source port and IP ID; ICMP: id, seq and IP ID), the
     * payload and the lengths it changes, checksums. Returns the frame
     * length in bytes, or -1 (m->dst of another family, buflen too small;
     * buf then holds the template or less). Called per probe on the
     * sender threads: no allocation, no locks.
     */
    int (*make)(const struct probe_tpl *t, const struct probe_make *m, uint8_t *buf, size_t buflen,
                bool loaded);

    /*
     * Kinds with a payload per destination port (UDP; NULL for others):
     * the payloads for port over t's family from db (may be NULL: the
     * built-in list), in *list (n >= 1 of them, *n capped at
     * UDP_PAYLOADS_MAX_PER_PORT; a port without one gets the empty
     * payload), owned by db or static. Returns the longest frame make
     * writes for them (a payload over one MTU is sent empty, warned once
     * here). Setup thread only.
     */
    size_t (*payloads)(const struct probe_tpl *t, const struct udp_payloads *db, uint16_t port,
                       const struct udp_payload **list, uint16_t *n);

    /*
     * Is the parsed reply r an answer to a probe of this kind sent with
     * tcp_flags (TCP kinds), by the cookie c (net/cookie.h)? Direct replies
     * (r->src the target) and ICMP/ICMPv6 errors quoting the probe
     * (r->has_quote; r->src any router) are both the kind's to recognise.
     * Returns true with m->target (the probed address, pointing into r) and
     * m->port (the probed port, 0 for unported kinds) set; false for a
     * reply that is not a valid answer to this kind. Pure; receiver
     * threads. A wrong cookie is rejected except with probability about
     * 2^-32 (TCP, ICMP) or 2^-log2(source ports) (UDP, see cookie.h).
     */
    bool (*validate)(const struct cookie_ctx *c, uint8_t tcp_flags, const struct pkt_info *r,
                     struct probe_match *m);
};

/* The kinds (probe_tcp.c, probe_udp.c, probe_icmp.c). */
extern const struct probe_kind probe_tcp;
extern const struct probe_kind probe_udp;
extern const struct probe_kind probe_icmp_echo;
extern const struct probe_kind probe_icmp_timestamp;
extern const struct probe_kind probe_icmp_netmask;

/* NULL-terminated table of every kind, in probe-list order (probe_kinds.c):
 * the only list, e.g. of the receive filter's transport clauses. */
extern const struct probe_kind *const probe_kinds[];

/*
 * The match of a ported kind's reply (TCP, UDP): a segment/datagram of
 * proto from the target whose cookie direct_ok vouched for (r->src,
 * r->sport), or an ICMP error quoting one of our proto probes with a valid
 * cookie (quote.dst, quote.dport). Returns false for anything else.
 */
bool probe_match_ported(const struct cookie_ctx *c, uint8_t proto, bool direct_ok,
                        const struct pkt_info *r, struct probe_match *m);

/* The kind a scan module sends: m_probe, or TCP when NULL (the default, so
 * TCP modules need not say it). Never NULL. */
static inline const struct probe_kind *probe_kind_or_tcp(const struct probe_kind *m_probe)
{
    return m_probe ? m_probe : &probe_tcp;
}

#endif
