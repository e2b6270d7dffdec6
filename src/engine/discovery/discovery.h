/*
 * discovery.h — the host discovery stage (nmap "HOST DISCOVERY"): which
 * targets are up, and how each was found. The plan (plan.h) runs it before
 * the port scan and delivers the down hosts and, with -sn, the up ones.
 *
 * Targets are sorted into kinds by their route: the scanner's own
 * addresses are up at once (localhost-response); targets on a directly
 * connected Ethernet link are asked by ARP / Neighbor Discovery
 * (arp_ping.h) unless the job says otherwise; unroutable targets are
 * skipped with a warning; the rest get the IP probes of job->disc through
 * the raw engine (-PE/-PP/-PM as ICMP probes, -PS as a SYN probe, -PA as
 * an ACK probe, -PU as a UDP probe). Without raw sockets and with explicit
 * probes (disc.connect_ping), nmap's connect() ping to the -PS/-PA ports
 * runs on the connect engine instead.
 *
 * What discovery found is kept only for hosts that are up (struct disc_up,
 * sorted by target index): down is the default, so memory follows the
 * number of live hosts, not the size of the range.
 */
#ifndef PRTIP_ENGINE_DISCOVERY_H
#define PRTIP_ENGINE_DISCOVERY_H

#include "core/ports.h"
#include "core/stop.h"
#include "core/targets.h"
#include "core/timing.h"
#include "engine/raw/raw_engine.h"
#include "scan/disc_modules.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Host discovery plan (nmap "HOST DISCOVERY"), filled by the command line
 * and carried out by discovery.c. The -P probes are indexed by the
 * discovery table's enum disc_probe (scan/disc_modules.h): a probe without
 * ports (-PE -PP -PM) is on[p], a probe with ports (-PS -PA -PU) sends to
 * ports[p], the list of its row's ports_proto, ascending, no duplicates.
 */
struct disc_opts {
    bool list_only; /* -sL: list targets, send nothing to them */
    bool ping_only; /* -sn: discovery only, no port scan */
    /* ARP (IPv4) / Neighbor Discovery (IPv6) for targets on a directly
     * connected Ethernet link; on by default as nmap, off with
     * --disable-arp-ping. -PR sets it again and selects nothing else. */
    bool arp;
    bool on[DISC_PROBE_COUNT];
    struct portset ports[DISC_PROBE_COUNT]; /* owned lists */
    /* Any -PE/-PP/-PM/-PS/-PA/-PU/-PR given: the probes above replace
     * nmap's default set (echo, SYN 443, ACK 80, timestamp). */
    bool explicit_probes;
    /* Unprivileged run (no raw socket) with explicit probes: discovery is
     * nmap's connect() ping to ports[DISC_SYN_PING] (the -PS and -PA lists
     * merged, or 80 when only ICMP probes were asked for); a -PU list left
     * means
     * -PU, which cannot be done without raw sockets (engine/plan/plan.h). */
    bool connect_ping;
};

/* The discovery stage's job. Everything is borrowed and read-only. */
struct disc_job {
    const struct target_set *targets;
    const struct disc_opts *disc; /* which probes, to which ports */
    struct timing timing;
    struct raw_opts io; /* interface, source, rate, dry run, send/receive methods */
    uint64_t seed;
    bool randomize_ports; /* connect() ping port order (-r) */
    /* -Pn with ARP/ND on (nmap(1), --disable-arp-ping: nmap "does ARP or
     * IPv6 ND discovery of locally connected ethernet hosts, even if ...
     * -Pn"): on-link targets are still asked by ARP/ND (down if silent),
     * every other routable target is up with reason user-set and gets no
     * IP probe. One record per up address: the caller bounds the target
     * count (at most ENUM_MAX in discovery.c, 2^20). */
    bool assume_off_link_up;
    volatile sig_atomic_t *stop; /* the run's stop flag (core/stop.h) */
};

/* A host found up, 32 bytes (a /16 of up hosts: 2 MiB). RTTs in us, up to
 * 35 minutes; srtt_us < 0: none. */
struct disc_up {
    uint64_t idx; /* target index in job->targets */
    uint32_t seq; /* order of finding: the first finding of a host wins */
    int32_t srtt_us, rttvar_us, to_us;
    uint8_t reason, ttl; /* enum reason; TTL of the reply, 0 if none */
    bool have_mac;
    uint8_t mac[6];
};

/* A range [lo, hi) of target indexes. */
struct disc_range {
    uint64_t lo, hi;
};

/* What discovery found: up hosts sorted by index, one record each, and
 * the unroutable ranges (neither up nor down: not reported). Owned;
 * disc_result_free releases it. */
struct disc_result {
    struct disc_up *up;
    size_t nup, capup;
    struct disc_range *skip;
    size_t nskip, capskip;
    size_t narp; /* targets asked by ARP/ND */
};

/*
 * Run discovery for job->targets. With job->io.dry_run, prints the probes
 * (ARP/ND lines from arp_ping.c, the IP probes in the raw engine's format)
 * and finds nothing up. Honours job->stop (returns what was found so far).
 * Returns 0, or -1 with err set on a runtime failure (no permission,
 * interface errors); *out holds what was found before the failure either
 * way and must be freed.
 */
int discovery_run(const struct disc_job *job, struct disc_result *out, char *err, size_t errlen);

/* The record of target index idx, or NULL when it was not found up. */
const struct disc_up *disc_result_find(const struct disc_result *r, uint64_t idx);

/* True when target index idx was skipped as unroutable. */
bool disc_result_skipped(const struct disc_result *r, uint64_t idx);

void disc_result_free(struct disc_result *r);

#endif
