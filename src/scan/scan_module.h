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

/* The packet a raw module sends, its cookie and the validation of its
 * replies: a probe kind (scan/probe_kind.h: probe_tcp, probe_udp,
 * probe_icmp_echo, probe_icmp_timestamp, probe_icmp_netmask). */
struct probe_kind;

struct scan_module {
    const char *name;      /* "connect" */
    const char *option;    /* "-sT" */
    const char *help;      /* one line for -h and the man page: "TCP connect() scan" */
    const char *xml_type;  /* nmap XML scaninfo type: "connect", "syn", ... */
    enum port_proto proto; /* which portset list the module scans */
    enum scan_engine_kind engine;
    bool needs_root;
    /* Raw UDP modules: send the bare datagram, never nmap-payloads. nmap's
     * -PU pings carry no payload (only --data-length would add one). */
    bool no_payloads;
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
     * Raw engine. probe is the packet kind sent (scan/probe_kind.h; NULL
     * means probe_tcp, the default, so TCP modules need not say it): the
     * engine builds one template per (address family, module) with its
     * prepare, and per probe patches only the per-probe fields with its
     * make. A probe-list entry is (module, port): the destination port for
     * ported kinds (TCP, UDP), 0 for the ICMP kinds. tcp_flags is the
     * probe's flag byte for probe_tcp (PKT_TCP_* of net/packet.h: SYN for
     * -sS, FIN|PSH|URG for -sX, ...); --scanflags replaces it at run time
     * for the scan's TCP port-scan module. classify_reply gets a reply that
     * already passed cookie validation (net/cookie.h) for a probe of this
     * module to (dst, dport) (the kind's validate): a TCP segment or UDP datagram from the target
     * (reply->proto IPPROTO_TCP/UDP), an ICMP query reply, or an
     * ICMP/ICMPv6 error quoting the probe (reply->has_quote). Sets *state
     * and *reason as nmap documents for the scan type and returns
     * VERDICT_FINAL, or VERDICT_IGNORE for a reply that decides nothing.
     * Pure: no I/O, no state. The engine records reply->ttl as reason_ttl.
     */
    const struct probe_kind *probe;
    uint8_t tcp_flags;
    enum scan_verdict (*classify_reply)(const struct pkt_info *reply, enum port_state *state,
                                        enum reason *reason);
};

/* Look up a module by its option ("-sT") or name ("connect"). NULL if none. */
const struct scan_module *scan_module_find(const char *option_or_name);

/* NULL-terminated table of every registered module. */
extern const struct scan_module *const scan_modules[];

#endif
