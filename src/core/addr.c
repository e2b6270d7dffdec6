#include "core/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int ipaddr_parse(const char *text, struct ipaddr *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, text, out->bytes) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, text, out->bytes) == 1) {
        out->family = AF_INET6;
        return 0;
    }
    return -1;
}

const char *mac_str(const uint8_t mac[6], bool lower, char buf[MAC_STRLEN])
{
    const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
    for (int i = 0; i < 6; i++) {
        buf[3 * i] = hex[mac[i] >> 4];
        buf[3 * i + 1] = hex[mac[i] & 15];
        buf[3 * i + 2] = i < 5 ? ':' : '\0';
    }
    return buf;
}

const char *ipaddr_str(const struct ipaddr *a, char *buf, size_t len)
{
    /* IPv4 by hand: glibc's inet_ntop formats it through sprintf, some
     * 1,800 instructions an address, and the outputs and the store format
     * every host's address (twice per host on a /17 with -oG and --db). */
    if (a->family != AF_INET6 && len >= INET_ADDRSTRLEN) {
        char *p = buf;
        for (int i = 0; i < 4; i++) {
            unsigned v = a->bytes[i];
            if (v >= 100)
                *p++ = (char)('0' + v / 100);
            if (v >= 10)
                *p++ = (char)('0' + v / 10 % 10);
            *p++ = (char)('0' + v % 10);
            *p++ = i < 3 ? '.' : '\0';
        }
        return buf;
    }
    if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

bool ipaddr_equal(const struct ipaddr *a, const struct ipaddr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

socklen_t ipaddr_to_sockaddr(const struct ipaddr *a, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, a->bytes, 16);
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    memcpy(&s4->sin_addr, a->bytes, 4);
    return sizeof(*s4);
}

int ipaddr_from_sockaddr(const struct sockaddr *sa, struct ipaddr *out, uint16_t *port)
{
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        out->family = AF_INET;
        memcpy(out->bytes, &s4->sin_addr, 4);
        if (port)
            *port = ntohs(s4->sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        out->family = AF_INET6;
        memcpy(out->bytes, &s6->sin6_addr, 16);
        if (port)
            *port = ntohs(s6->sin6_port);
        return 0;
    }
    return -1;
}

uint32_t ipaddr_v4(const struct ipaddr *a)
{
    return ((uint32_t)a->bytes[0] << 24) | ((uint32_t)a->bytes[1] << 16) |
           ((uint32_t)a->bytes[2] << 8) | a->bytes[3];
}

void ipaddr_set_v4(struct ipaddr *a, uint32_t v)
{
    memset(a, 0, sizeof(*a));
    a->family = AF_INET;
    a->bytes[0] = (uint8_t)(v >> 24);
    a->bytes[1] = (uint8_t)(v >> 16);
    a->bytes[2] = (uint8_t)(v >> 8);
    a->bytes[3] = (uint8_t)v;
}
