/*
 * route.h — where a probe to an address leaves from: interface, source
 * address, next hop and its link-layer address, from the kernel's routing
 * and neighbour tables over rtnetlink (rtnetlink(7), RFC 3549), resolving a
 * missing neighbour by ARP (RFC 826) or IPv6 Neighbor Discovery (RFC 4861).
 */
#ifndef PRTIP_NET_ROUTE_H
#define PRTIP_NET_ROUTE_H

#include "core/addr.h"

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct route_info {
    char ifname[IF_NAMESIZE];
    int ifindex;
    unsigned short hwtype;  /* ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_NONE (tun) ... */
    int mtu;                /* bytes, of the interface */
    bool up;                /* IFF_UP and IFF_RUNNING */
    struct ipaddr src;      /* source address the kernel would use (or -S) */
    bool via_gateway;       /* false when the destination is on-link */
    struct ipaddr next_hop; /* gateway, or the destination itself when on-link */
    uint8_t src_mac[6];     /* interface's address (zero on loopback) */
    uint8_t next_mac[6];    /* next hop's address, valid when have_next_mac */
    bool have_next_mac;
};

/*
 * Ask the kernel (RTM_GETROUTE) how it would reach dst, optionally forced
 * through ifname (-e, NULL = any) and from src (-S, NULL = kernel's choice).
 * Fills everything but the next-hop MAC. Returns 0, or -1 with a one-line
 * err naming the address ("no route to 198.18.9.9 (add a route or use -e)",
 * "interface veth0 is down").
 */
int route_lookup(const struct ipaddr *dst, const char *ifname, const struct ipaddr *src,
                 struct route_info *out, char *err, size_t errlen);

/*
 * Fill out->next_mac for out->next_hop: from the neighbour table
 * (RTM_GETNEIGH) if a usable entry exists, else by sending ARP requests
 * (IPv4) or Neighbor Solicitations (IPv6) on out->ifindex and waiting up to
 * timeout_ms for the answer. Loopback and ARPHRD_NONE interfaces need no
 * MAC (returns 0 with a zero MAC). Needs CAP_NET_RAW for the resolution
 * path. Returns 0, or -1 with err naming the next hop
 * ("cannot resolve next hop 198.18.0.2 on veth0: no ARP reply").
 */
int route_resolve_mac(struct route_info *out, int timeout_ms, char *err, size_t errlen);

/*
 * The MAC address of a host on a directly connected Ethernet link, as nmap
 * reports it for every on-link host that answered (its frames carried it):
 * route_lookup (any interface, kernel's source), then route_resolve_mac
 * with timeout_ms (ms). Meant for a host that has just answered, so the
 * neighbour table holds it and a miss is rare. Returns 0 with mac[6]
 * filled, or -1 (off-link, not Ethernet, unresolved) with mac untouched.
 */
int route_onlink_mac(const struct ipaddr *addr, int timeout_ms, uint8_t mac[6]);

/*
 * The scanner's own addresses of family (AF_INET or AF_INET6), from
 * getifaddrs(3): every address configured on an interface. A probe to one
 * of them is routed through the loopback interface whatever the target
 * range around it, so engines that choose one route per group of targets
 * set these apart (nmap: localhost-response). *out is malloc'd (free it;
 * NULL when *n is 0). Returns 0, or -1 with errno set.
 */
int route_local_addrs(int family, struct ipaddr **out, size_t *n);

#endif
