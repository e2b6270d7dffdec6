/*
 * scan.h — struct scan: the whole configuration and run state of one scan,
 * passed down to every stage. There is no global mutable state; the only
 * process-wide variable is the signal flag that *stop points at.
 */
#ifndef PRTIP_CORE_SCAN_H
#define PRTIP_CORE_SCAN_H

#include "core/ports.h"
#include "core/rdns.h"
#include "core/result.h"
#include "core/services.h"
#include "core/targets.h"
#include "core/timing.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct scan_module;
struct output_module;

#define SCAN_MAX_TYPES   8
#define SCAN_MAX_OUTPUTS 8

/* Options of the stateless raw engine (-sS and the stealth scans). */
struct raw_opts {
    double rate;             /* --rate in packets/s; 0 = adaptive within timing min/max_rate */
    uint32_t shard, nshards; /* --shard i/n as 0-based shard and count; nshards 1 = all */
    bool dry_run;            /* --dry-run: print probes on stdout, send nothing */
    double wait_s;           /* --wait: cooldown after the last pass in seconds; < 0 = from RTTs */
    uint64_t stats_every_ms; /* --stats-every; 0 = the default, once a second */
    char iface[16];          /* -e, "" = from the routing table */
    struct ipaddr src;       /* -S, valid when have_src */
    bool have_src;
    int src_port;       /* -g, -1 = derived from the cookie */
    int scanflags;      /* --scanflags byte, -1 = the scan type's own */
    int send_method;    /* enum send_method (net/io.h) */
    int sender_threads; /* --sender-threads, 1..16; 0 = the default, 1 */
    int recv_method;    /* enum recv_method */
};

/*
 * Host discovery plan (nmap "HOST DISCOVERY"), filled by the command line
 * and carried out by engine/plan.c. Port lists are ascending, no
 * duplicates: syn_ports and ack_ports use their PROTO_TCP list, udp_ports
 * its PROTO_UDP list.
 */
struct disc_opts {
    bool list_only; /* -sL: list targets, send nothing to them */
    bool ping_only; /* -sn: discovery only, no port scan */
    /* ARP (IPv4) / Neighbor Discovery (IPv6) for targets on a directly
     * connected Ethernet link; on by default as nmap, off with
     * --disable-arp-ping. -PR sets it again and selects nothing else. */
    bool arp;
    bool icmp_echo;           /* -PE (ICMPv6 echo for IPv6) */
    bool icmp_ts;             /* -PP */
    bool icmp_mask;           /* -PM */
    struct portset syn_ports; /* -PS */
    struct portset ack_ports; /* -PA */
    struct portset udp_ports; /* -PU */
    /* Any -PE/-PP/-PM/-PS/-PA/-PU/-PR given: the probes above replace
     * nmap's default set (echo, SYN 443, ACK 80, timestamp). */
    bool explicit_probes;
    /* Unprivileged run (no raw socket) with explicit probes: discovery is
     * nmap's connect() ping to syn_ports (the -PS and -PA lists merged, or
     * 80 when only ICMP probes were asked for); udp_ports left set means
     * -PU, which cannot be done without raw sockets (engine/plan.h). */
    bool connect_ping;
};

/* One requested output: module and file path ("-" = stdout). */
struct output_request {
    const struct output_module *module;
    char *path; /* owned */
};

struct scan {
    /* What to scan. */
    struct target_set *targets; /* owned */
    struct portset ports;       /* owned */
    struct services *services;  /* owned; nmap-services */
    const struct scan_module *types[SCAN_MAX_TYPES];
    size_t ntypes;

    /* How. */
    struct timing timing;
    bool randomize_ports;  /* false with -r */
    bool skip_discovery;   /* -Pn */
    struct disc_opts disc; /* owned port lists */
    enum dns_mode dns;
    int family; /* 0, 4 (-4) or 6 (-6) */
    uint64_t seed;
    struct raw_opts raw;

    /* Reporting. */
    int verbose, debug;
    bool open_only;   /* --open */
    bool show_reason; /* --reason */
    struct output_request outputs[SCAN_MAX_OUTPUTS];
    size_t noutputs;
    char *args; /* the command line as typed, for output headers (owned) */

    /* Run state. */
    volatile sig_atomic_t *stop; /* nonzero: finish now, report what was found */
    struct scan_summary summary;
};

/* Zero s and set defaults (T3 timing, random port order, reverse DNS for up
 * hosts). stop may be NULL. */
void scan_init(struct scan *s, volatile sig_atomic_t *stop);

/* Release everything s owns. */
void scan_free(struct scan *s);

/* True when the scan should stop (Ctrl-C). */
static inline bool scan_stopping(const struct scan *s)
{
    return s->stop && *s->stop;
}

#endif
