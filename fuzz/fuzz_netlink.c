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
 * With bit 2 of byte 0 the rest is instead the three dumps of --iflist
 * (iflist_print_replies: links, addresses, routes), cut at the offsets in
 * bytes 1-2 and 3-4; the tables go to /dev/null.
 *
 *   fuzz_netlink -max_total_time=60 fuzz/corpus/netlink
 */
#include "net/iflist.h"
#include "net/neigh.h"
#include "net/route_nl.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD 18

static bool family_ok(const struct ipaddr *a)
{
    return a->family == AF_INET || a->family == AF_INET6;
}

/* The three dumps of --iflist, each on its own exact-size heap copy. */
static void iflist(const uint8_t *data, size_t len, size_t cut1, size_t cut2)
{
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w")))
        abort();
    cut1 = len ? cut1 % (len + 1) : 0;
    cut2 = len ? cut2 % (len + 1) : 0;
    if (cut2 < cut1) {
        size_t t = cut1;
        cut1 = cut2;
        cut2 = t;
    }
    size_t off[4] = {0, cut1, cut2, len};
    void *reply[3];
    size_t n[3];
    for (int i = 0; i < 3; i++) {
        n[i] = off[i + 1] - off[i];
        reply[i] = malloc(n[i] ? n[i] : 1);
        if (reply[i] && n[i])
            memcpy(reply[i], data + off[i], n[i]);
    }
    char err[256] = "";
    if (reply[0] && reply[1] && reply[2] &&
        iflist_print_replies(null, (const void *const *)reply, n, err, sizeof err) < 0 &&
        (strncmp(err, "cannot list ", 12) != 0 || strchr(err, '\n')))
        __builtin_trap();
    for (int i = 0; i < 3; i++)
        free(reply[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEAD || size > 65536 + HEAD)
        return 0;
    if (data[0] & 4) {
        iflist(data + HEAD, size - HEAD, (size_t)(data[1] << 8 | data[2]),
               (size_t)(data[3] << 8 | data[4]));
        return 0;
    }
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
