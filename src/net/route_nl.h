/*
 * route_nl.h — the reply side of route.c's rtnetlink exchanges (rtnetlink(7),
 * RFC 3549) as pure functions over received bytes, so that the fuzz harness
 * (fuzz/fuzz_netlink.c) and tests can feed them what a socket would. Not a
 * public contract: users of routes go through net/route.h.
 */
#ifndef PRTIP_NET_ROUTE_NL_H
#define PRTIP_NET_ROUTE_NL_H

#include "core/addr.h"

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called for each answer message of the request (h->nlmsg_len bytes, at
 * least a header, inside the buffer). */
typedef void (*nl_msg_fn)(const struct nlmsghdr *h, void *ctx);

/*
 * One received datagram: len bytes of netlink messages at buf (any
 * alignment the socket gives, i.e. 4-byte). Messages of another sequence
 * number than seq are skipped; the others go to fn until NLMSG_DONE, an
 * NLMSG_ERROR, or (dump false) the first one. Returns 0 when the request
 * wants more datagrams, 1 when it is answered (DONE, an ACK, the single
 * answer), or -1 with errno set (the kernel's error, EPROTO for a cut
 * error message). Never reads outside buf.
 */
int nl_walk(const void *buf, size_t len, uint32_t seq, bool dump, nl_msg_fn fn, void *ctx);

/* What RTM_GETROUTE answered (rt_parse's ctx). */
struct rt_answer {
    bool got;
    int family;
    unsigned char type; /* RTN_UNICAST, RTN_LOCAL, ... */
    int oif;
    bool have_prefsrc, have_gw;
    struct ipaddr prefsrc, gw;
};

/* An RTM_NEWROUTE message into the struct rt_answer at ctx: family, type,
 * output interface, preferred source and gateway (RTA_GATEWAY, RTA_VIA, or
 * the first hop of RTA_MULTIPATH). Other messages are ignored. */
void rt_parse(const struct nlmsghdr *h, void *ctx);

/* The neighbour-table search (neigh_parse_msg's ctx): the entry for want on
 * ifindex. */
struct neigh_search {
    const struct ipaddr *want;
    int ifindex;
    bool found;
    uint8_t mac[6];
};

/* An RTM_NEWNEIGH message: when it is a usable entry (reachable, stale,
 * delay, probe, permanent or noarp) for s->want on s->ifindex with a
 * unicast 6-byte link-layer address, sets s->found and s->mac. */
void neigh_parse_msg(const struct nlmsghdr *h, void *ctx);

#endif
