/* Protocol names and the compact port-range text shared by every output. */
#include "core/ports.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

int port_proto_ipproto(enum port_proto p)
{
    switch (p) {
    case PROTO_UDP:
        return IPPROTO_UDP;
    case PROTO_SCTP:
        return IPPROTO_SCTP;
    default:
        return IPPROTO_TCP;
    }
}

const char *port_proto_name(enum port_proto p)
{
    static const char *const names[PROTO_COUNT] = {"tcp", "udp", "sctp"};
    return (unsigned)p < PROTO_COUNT ? names[p] : "tcp";
}

char *ports_format_ranges(const uint16_t *ports, size_t n)
{
    /* Worst case "65535," per port. */
    size_t cap = n * 12 + 1;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && ports[j + 1] == ports[j] + 1)
            j++;
        if (j == i)
            len += (size_t)snprintf(buf + len, cap - len, "%s%u", len ? "," : "", ports[i]);
        else
            len += (size_t)snprintf(buf + len, cap - len, "%s%u-%u", len ? "," : "", ports[i],
                                    ports[j]);
        i = j + 1;
    }
    return buf;
}
