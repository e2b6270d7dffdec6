/*
 * scan_module.h — one scan type (-sT, later -sS/-sF/...) as a table of
 * callbacks, after ZMap's probe_modules. Adding a scan type is adding one
 * file in src/scan/ and one line in scan_modules.c.
 */
#ifndef PRTIP_SCAN_SCAN_MODULE_H
#define PRTIP_SCAN_SCAN_MODULE_H

#include "core/ports.h"
#include "core/result.h"

#include <stdbool.h>
#include <stdint.h>

struct pkt_info;

/* Which engine drives the module. */
enum scan_engine_kind {
    SCAN_ENGINE_CONNECT, /* kernel sockets on the epoll loop (no privileges) */
    SCAN_ENGINE_RAW,     /* stateless raw packets (needs CAP_NET_RAW) */
};

/* What the engine does with a probe outcome. */
enum scan_verdict {
    VERDICT_FINAL,  /* state/reason decided */
    VERDICT_RETRY,  /* local failure (e.g. EADDRNOTAVAIL): send again, not a target answer */
    VERDICT_IGNORE, /* raw engine: a valid reply that decides nothing (keep waiting) */
};

/*
 * The packet a raw module sends (ZMap's prepare/make split): the raw engine
 * builds one template per (address family, module) from the kind, and per
 * probe patches only the per-probe fields (net/packet.h, packet_udp.h,
 * packet_icmp.h). A probe-list entry is (module, port): the port is the
 * destination port for TCP/UDP and 0 for the ICMP kinds.
 *   PROBE_TCP             tcp_flags below (or --scanflags), nmap's MSS option with SYN
 *   PROBE_UDP             UDP with the port's payload (scan/udp_payloads.h)
 *   PROBE_ICMP_ECHO       ICMP echo (IPv4) / ICMPv6 echo (IPv6)
 *   PROBE_ICMP_TIMESTAMP  ICMP timestamp request, IPv4 only
 *   PROBE_ICMP_NETMASK    ICMP address mask request, IPv4 only
 * Replies reach classify_reply only after cookie validation for that kind
 * (net/cookie.h): TCP by seq/ack, UDP by the derived source port, ICMP
 * queries by id/seq, ICMP errors by the quoted probe.
 */
enum probe_kind {
    PROBE_TCP = 0, /* the default: existing TCP modules need not say it */
    PROBE_UDP,
    PROBE_ICMP_ECHO,
    PROBE_ICMP_TIMESTAMP,
    PROBE_ICMP_NETMASK,
};

struct scan_module {
    const char *name;      /* "connect" */
    const char *option;    /* "-sT" */
    const char *help;      /* one line for -h and the man page: "TCP connect() scan" */
    const char *xml_type;  /* nmap XML scaninfo type: "connect", "syn", ... */
    enum port_proto proto; /* which portset list the module scans */
    enum scan_engine_kind engine;
    bool needs_root;
    /* State and reason for a port that never answered within the retries. */
    enum port_state silence_state;
    enum reason silence_reason;

    /*
     * Connect engine: classify the outcome of a non-blocking connect(2).
     * err is 0 when the connection was established, else the errno from
     * connect() or SO_ERROR. Sets *state and *reason and returns
     * VERDICT_FINAL, or VERDICT_RETRY for local, non-answer failures.
     * Must be pure: no I/O, no state.
     */
    enum scan_verdict (*classify_connect)(int err, enum port_state *state, enum reason *reason);

    /*
     * Raw engine. probe is the packet kind sent (above). tcp_flags is the
     * probe's flag byte for PROBE_TCP (PKT_TCP_* of net/packet.h: SYN for
     * -sS, FIN|PSH|URG for -sX, ...); --scanflags replaces it at run time
     * for the scan's TCP port-scan module. classify_reply gets a reply that
     * already passed cookie validation (net/cookie.h) for a probe of this
     * module to (dst, dport): a TCP segment or UDP datagram from the target
     * (reply->proto IPPROTO_TCP/UDP), an ICMP query reply, or an
     * ICMP/ICMPv6 error quoting the probe (reply->has_quote). Sets *state
     * and *reason as nmap documents for the scan type and returns
     * VERDICT_FINAL, or VERDICT_IGNORE for a reply that decides nothing.
     * Pure: no I/O, no state. The engine records reply->ttl as reason_ttl.
     */
    enum probe_kind probe;
    uint8_t tcp_flags;
    enum scan_verdict (*classify_reply)(const struct pkt_info *reply, enum port_state *state,
                                        enum reason *reason);
};

/* Look up a module by its option ("-sT") or name ("connect"). NULL if none. */
const struct scan_module *scan_module_find(const char *option_or_name);

/* NULL-terminated table of every registered module. */
extern const struct scan_module *const scan_modules[];

#endif
