/*
 * route_probe.c — drive net/route.h from a shell test (test_route.sh).
 *
 *   route_probe [-e IFNAME] [-S SRC] [-t TIMEOUT_MS] [-n] DST
 *
 * Prints route_lookup()'s answer and, unless -n, route_resolve_mac()'s, one
 * "key=value" per line (iface, ifindex, hwtype, mtu, up, src, via_gateway,
 * next_hop, src_mac, have_next_mac, next_mac). On failure prints
 * "error: MESSAGE" on stderr and exits 1; bad usage exits 2.
 *
 * Built by the test against the library:
 *   cc -std=c11 -D_GNU_SOURCE -Isrc route_probe.c build/libprtip_core.a
 */
#include "core/addr.h"
#include "net/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_mac(const char *key, const uint8_t *m)
{
    printf("%s=%02x:%02x:%02x:%02x:%02x:%02x\n", key, m[0], m[1], m[2], m[3], m[4], m[5]);
}

int main(int argc, char **argv)
{
    const char *ifname = NULL;
    struct ipaddr dst, src;
    bool have_src = false, resolve = true;
    int timeout_ms = 1000, opt;
    struct route_info ri;
    char err[256], buf[IPADDR_STRLEN];

    while ((opt = getopt(argc, argv, "e:S:t:n")) != -1) {
        switch (opt) {
        case 'e':
            ifname = optarg;
            break;
        case 'S':
            if (ipaddr_parse(optarg, &src) != 0) {
                fprintf(stderr, "route_probe: bad -S address '%s'\n", optarg);
                return 2;
            }
            have_src = true;
            break;
        case 't':
            timeout_ms = atoi(optarg);
            break;
        case 'n':
            resolve = false;
            break;
        default:
            fprintf(stderr, "usage: route_probe [-e IF] [-S SRC] [-t MS] [-n] DST\n");
            return 2;
        }
    }
    if (optind != argc - 1 || ipaddr_parse(argv[optind], &dst) != 0) {
        fprintf(stderr, "usage: route_probe [-e IF] [-S SRC] [-t MS] [-n] DST\n");
        return 2;
    }
    if (route_lookup(&dst, ifname, have_src ? &src : NULL, &ri, err, sizeof(err)) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    printf("iface=%s\nifindex=%d\nhwtype=%u\nmtu=%d\nup=%d\n", ri.ifname, ri.ifindex, ri.hwtype,
           ri.mtu, ri.up);
    printf("src=%s\n", ipaddr_str(&ri.src, buf, sizeof(buf)));
    printf("via_gateway=%d\n", ri.via_gateway);
    printf("next_hop=%s\n", ipaddr_str(&ri.next_hop, buf, sizeof(buf)));
    print_mac("src_mac", ri.src_mac);
    if (resolve) {
        fflush(stdout);
        if (route_resolve_mac(&ri, timeout_ms, err, sizeof(err)) != 0) {
            fprintf(stderr, "error: %s\n", err);
            return 1;
        }
        printf("have_next_mac=%d\n", ri.have_next_mac);
        print_mac("next_mac", ri.next_mac);
    }
    return 0;
}
