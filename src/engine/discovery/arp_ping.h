/*
 * arp_ping.h — host discovery on the scanner's own Ethernet segment: ARP
 * requests (RFC 826) for IPv4 targets and Neighbor Solicitations (RFC 4861
 * §7.2.2) for IPv6 targets, as nmap's -PR and its default for on-link
 * targets. A host that answers is up (reason arp-response / nd-response)
 * even if it drops all IP traffic: address resolution is below any IP
 * firewall, which is why nmap prefers it on local links.
 */
#ifndef PRTIP_ENGINE_ARP_PING_H
#define PRTIP_ENGINE_ARP_PING_H

#include "core/addr.h"
#include "core/stop.h"
#include "core/timing.h"
#include "net/io.h"
#include "net/route.h"

#include <signal.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One target and what was learnt about it. The caller fills addr (and tag,
 * free for its own use); arp_ping_run fills the rest. */
struct arp_target {
    struct ipaddr addr;
    uint64_t tag;
    bool up;        /* answered */
    uint8_t mac[6]; /* the answer's sender hardware address / NA target lladdr */
    int64_t rtt_us; /* from the last request sent before the answer, -1 if none */
};

/* The discovery stage's job for one link: how fast and how patiently to
 * ask, and the run's stop flag. */
struct arp_job {
    struct timing timing;        /* retries, RTT bounds, --min/--max-rate */
    double rate;                 /* --rate in packets/s; 0 = ARP_PING_RATE within timing */
    enum recv_method recv;       /* 0 = RECV_SOCKET (the capture filter does the matching) */
    bool dry_run;                /* print probes, send nothing */
    volatile sig_atomic_t *stop; /* the run's stop flag (core/stop.h) */
};

/*
 * Resolve every target of t[0..n) on the Ethernet interface of ri (from
 * route_lookup of one of them: on-link, hwtype ARPHRD_ETHER). All targets
 * must be of ri's family (ri->src.family) and on that link.
 *
 * Requests leave through AF_PACKET at job->rate packets/s (default
 * ARP_PING_RATE, within --min-rate/--max-rate), in passes: pass 0 asks
 * every target, later passes (up to --max-retries, at most
 * ARP_PING_PASSES - 1) only the silent ones. After each pass the receiver
 * waits 2 x (SRTT + 4 RTTVAR) of the answers so far (at least 100 ms,
 * --initial-rtt-timeout before the first answer, at most
 * --max-rtt-timeout). Replies are taken from an "arp or icmp6" capture and
 * matched by address: an ARP reply whose sender is a target, or a Neighbor
 * Advertisement whose target is one (validated as RFC 4861 §7.1.2).
 * Honours job->stop. With job->dry_run prints "probe ADDR arp"
 * (or "nd") per target and sends nothing.
 *
 * Returns 0, or -1 with err set ("raw sockets need root or CAP_NET_RAW
 * (try -sT)", interface errors).
 */
int arp_ping_run(const struct arp_job *job, const struct route_info *ri, struct arp_target *t,
                 size_t n, char *err, size_t errlen);

#define ARP_PING_RATE   2000 /* requests per second without --rate */
#define ARP_PING_PASSES 3

#endif
