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
#include "core/scan.h"
#include "net/route.h"

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

/*
 * Resolve every target of t[0..n) on the Ethernet interface of ri (from
 * route_lookup of one of them: on-link, hwtype ARPHRD_ETHER). All targets
 * must be of ri's family (ri->src.family) and on that link.
 *
 * Requests leave through AF_PACKET at scan->raw.rate packets/s (default
 * ARP_PING_RATE, within --min-rate/--max-rate), in passes: pass 0 asks
 * every target, later passes (up to --max-retries, at most
 * ARP_PING_PASSES - 1) only the silent ones. After each pass the receiver
 * waits 2 x (SRTT + 4 RTTVAR) of the answers so far (at least 100 ms,
 * --initial-rtt-timeout before the first answer, at most
 * --max-rtt-timeout). Replies are taken from an "arp or icmp6" capture and
 * matched by address: an ARP reply whose sender is a target, or a Neighbor
 * Advertisement whose target is one (validated as RFC 4861 §7.1.2).
 * Honours scan_stopping(). With scan->raw.dry_run prints "probe ADDR arp"
 * (or "nd") per target and sends nothing.
 *
 * Returns 0, or -1 with err set ("raw sockets need root or CAP_NET_RAW
 * (try -sT)", interface errors).
 */
int arp_ping_run(struct scan *scan, const struct route_info *ri, struct arp_target *t, size_t n,
                 char *err, size_t errlen);

#define ARP_PING_RATE   2000 /* requests per second without --rate */
#define ARP_PING_PASSES 3

#endif
