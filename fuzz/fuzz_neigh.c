/*
 * fuzz_neigh.c — libFuzzer harness for the ARP and Neighbor Discovery
 * parsers (net/neigh.h). Every input goes through both parsers on an
 * exact-size heap copy (so ASan catches any overread); accepted packets
 * must be self-consistent. The same bytes also drive build -> parse round
 * trips of an ARP request and a Neighbor Solicitation.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc fuzz/fuzz_neigh.c \
 *       src/net/{neigh,packet}.c src/core/addr.c -o fuzz_neigh
 *   ./fuzz_neigh fuzz/corpus/neigh -max_total_time=30
 */
#include "net/neigh.h"
#include "net/packet.h"
#include "net/parse.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static void check_arp(const uint8_t *data, size_t size)
{
    struct neigh_arp a;
    int rc = neigh_arp_parse(data, size, &a);

    if (rc > 0 || rc < PARSE_ERR_UNSUPPORTED)
        abort();
    if (rc == PARSE_OK &&
        (size < NEIGH_ARP_FRAME_LEN || a.spa.family != AF_INET || a.tpa.family != AF_INET))
        abort();
}

static void check_nd(const uint8_t *data, size_t size)
{
    struct neigh_nd n;
    int rc = neigh_nd_parse(data, size, &n);

    if (rc > 0 || rc < PARSE_ERR_UNSUPPORTED)
        abort();
    if (rc != PARSE_OK)
        return;
    if (size < 14 + 40 + 24 || (n.type != NEIGH_ND_NS && n.type != NEIGH_ND_NA) ||
        n.target.family != AF_INET6 || n.target.bytes[0] == 0xff)
        abort();
}

/* The resolver's matcher: any address from the input's first bytes. */
static void check_match(const uint8_t *data, size_t size)
{
    struct ipaddr want = {.family = AF_INET};
    uint8_t mac[6];

    if (size >= 28 + 14) /* the ARP sender address, so that matches happen */
        memcpy(want.bytes, data + 28, 4);
    if (neigh_match_reply(data, size, &want, mac) && !neigh_mac_unicast(mac))
        abort();
    want.family = AF_INET6;
    if (size >= 62 + 16) /* the NA target without VLAN tags */
        memcpy(want.bytes, data + 62, 16);
    if (neigh_match_reply(data, size, &want, mac) && !neigh_mac_unicast(mac))
        abort();
    (void)neigh_mac_by_rule(&want, mac);
}

static void roundtrip(const uint8_t *data, size_t size)
{
    uint8_t mac[6], frame[NEIGH_NS_FRAME_LEN];
    struct ipaddr s4 = {.family = AF_INET}, t4 = {.family = AF_INET};
    struct ipaddr s6 = {.family = AF_INET6}, t6 = {.family = AF_INET6};
    struct neigh_arp a;
    struct neigh_nd n;
    int len;

    if (size < 6 + 8 + 32)
        return;
    memcpy(mac, data, 6);
    memcpy(s4.bytes, data + 6, 4);
    memcpy(t4.bytes, data + 10, 4);
    memcpy(s6.bytes, data + 14, 16);
    memcpy(t6.bytes, data + 30, 16);

    len = neigh_arp_request(frame, sizeof(frame), mac, &s4, &t4);
    if (len != NEIGH_ARP_FRAME_LEN || neigh_arp_parse(frame, (size_t)len, &a) != PARSE_OK ||
        a.op != NEIGH_ARP_REQUEST || memcmp(a.sha, mac, 6) != 0 || !ipaddr_equal(&a.spa, &s4) ||
        !ipaddr_equal(&a.tpa, &t4))
        abort();

    len = neigh_ns_build(frame, sizeof(frame), mac, &s6, &t6);
    if (len < 0)
        return; /* unspecified source or multicast target: refused, fine */
    if (len != NEIGH_NS_FRAME_LEN || neigh_nd_parse(frame, (size_t)len, &n) != PARSE_OK ||
        n.type != NEIGH_ND_NS || !n.has_lladdr || memcmp(n.lladdr, mac, 6) != 0 ||
        !ipaddr_equal(&n.target, &t6) || !ipaddr_equal(&n.src, &s6))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);

    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    check_arp(buf, size);
    check_nd(buf, size);
    check_match(buf, size);
    free(buf);
    roundtrip(data, size);
    return 0;
}
