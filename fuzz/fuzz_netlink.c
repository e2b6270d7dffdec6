/*
 * fuzz_netlink.c — libFuzzer harness for the rtnetlink replies that route
 * lookups read (net/route_nl.h): the message walk of one received datagram
 * (nl_walk), RTM_NEWROUTE answers (rt_parse: RTA_OIF, RTA_PREFSRC,
 * RTA_GATEWAY, RTA_VIA, RTA_MULTIPATH) and RTM_NEWNEIGH dump entries
 * (neigh_parse_msg).
 *
 * Input: byte 0 = flags (bit 0: a dump; bit 1: IPv6 neighbour wanted),
 * bytes 1-16 = the neighbour address wanted, byte 17 = its ifindex; the
 * rest is the datagram, on an exact-size heap copy so that ASan sees any
 * read past it. The same datagram goes through both parsers.
 *
 *   fuzz_netlink -max_total_time=60 fuzz/corpus/netlink
 */
#include "net/neigh.h"
#include "net/route_nl.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define HEAD 18

static bool family_ok(const struct ipaddr *a)
{
    return a->family == AF_INET || a->family == AF_INET6;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEAD || size > 65536 + HEAD)
        return 0;
    bool dump = data[0] & 1;
    struct ipaddr want = {.family = (data[0] & 2) ? AF_INET6 : AF_INET};
    memcpy(want.bytes, data + 1, 16);
    if (want.family == AF_INET)
        memset(want.bytes + 4, 0, 12);
    size_t len = size - HEAD;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + HEAD, len);

    struct rt_answer a;
    memset(&a, 0, sizeof a);
    errno = 0;
    int w = nl_walk(buf, len, 1, dump, rt_parse, &a);
    if (w < -1 || w > 1 || (w < 0 && errno == 0))
        __builtin_trap();
    if ((a.have_gw && !family_ok(&a.gw)) || (a.have_prefsrc && !family_ok(&a.prefsrc)))
        __builtin_trap();

    struct neigh_search s = {.want = &want, .ifindex = data[17]};
    w = nl_walk(buf, len, 1, dump, neigh_parse_msg, &s);
    if (w < -1 || w > 1)
        __builtin_trap();
    if (s.found && !neigh_mac_unicast(s.mac))
        __builtin_trap();
    free(buf);
    return 0;
}
