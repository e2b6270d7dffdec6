/*
 * fake_dns.h — a getaddrinfo for the fuzz harnesses that reach host names
 * (target specs, target files, command lines). Include it in exactly one
 * .c of a harness: its definitions take the place of libc's (and of the
 * sanitizer's weak interceptor) in that executable, so a fuzzed name never
 * reaches the machine's resolver — no DNS, no files, no network, and the
 * same answer every time.
 *
 * Answers are made from the name alone, inside the documentation and
 * benchmarking ranges (198.18.0.0/15, fd00::/8): a name of even length
 * resolves to one to three addresses of the asked family (both families
 * for AF_UNSPEC, so "other addresses" lists are reached); an odd length
 * does not resolve (EAI_NONAME), so the "Failed to resolve" paths are
 * reached too.
 */
#ifndef PRTIP_FUZZ_FAKE_DNS_H
#define PRTIP_FUZZ_FAKE_DNS_H

#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct addrinfo *fake_ai(int family, unsigned n)
{
    struct addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_in6));
    if (!ai)
        return NULL;
    ai->ai_family = family;
    ai->ai_socktype = SOCK_STREAM;
    ai->ai_addr = (struct sockaddr *)(ai + 1);
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(0xc6120000u | (n & 0xffff)); /* 198.18.x.y */
        ai->ai_addrlen = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr.s6_addr[0] = 0xfd;
        sin6->sin6_addr.s6_addr[15] = (uint8_t)n;
        ai->ai_addrlen = sizeof(*sin6);
    }
    return ai;
}

void freeaddrinfo(struct addrinfo *res)
{
    while (res) {
        struct addrinfo *next = res->ai_next;
        free(res);
        res = next;
    }
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    (void)service;
    *res = NULL;
    size_t len = node ? strlen(node) : 0;
    if (len == 0 || len % 2)
        return EAI_NONAME;
    int family = hints ? hints->ai_family : AF_UNSPEC;
    unsigned h = 0;
    for (size_t i = 0; i < len; i++)
        h = h * 31 + (unsigned char)node[i];
    unsigned count = 1 + h % 3;
    struct addrinfo **tail = res;
    for (unsigned i = 0; i < count; i++) {
        int f = family != AF_UNSPEC ? family : ((h >> i) & 1) ? AF_INET6 : AF_INET;
        struct addrinfo *ai = fake_ai(f, h + i);
        if (!ai) {
            freeaddrinfo(*res);
            *res = NULL;
            return EAI_MEMORY;
        }
        *tail = ai;
        tail = &ai->ai_next;
    }
    return 0;
}

#endif
