/*
 * fuzz_services.c — libFuzzer harness for the nmap-services parser
 * (services_parse, core/services.h) and the lookups built on its result:
 * names by port, the --top-ports ranking and "-p name*" globs.
 *
 * Seeds live in fuzz/corpus/services/ (small hand-written files):
 *
 *   fuzz_services -max_total_time=60 fuzz/corpus/services
 */
#include "core/services.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static void visit(uint16_t port, void *arg)
{
    uint32_t *last = arg;
    /* Globs visit ports in ascending order, each once. */
    if (*last != UINT32_MAX && port <= *last)
        __builtin_trap();
    *last = port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP};
    static uint16_t top[65536];
    if (size > 65536)
        return 0; /* longer files exercise nothing new, only time */

    char err[256];
    err[0] = 'x';
    struct services *s = services_parse((const char *)data, size, "fuzz", err, sizeof err);
    if (!s) {
        /* Every failure explains itself on one line, naming the file. */
        if (strncmp(err, "fuzz", 4) != 0 || strchr(err, '\n'))
            __builtin_trap();
        return 0;
    }
    /* Globs walk all 65536 ports of a protocol (a few ms here, with every
     * comparison traced): one protocol for one input in four. */
    int glob_proto = size % 4 ? -1 : protos[size / 4 % 3];
    size_t total = 0;
    for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++) {
        int proto = protos[i];
        size_t n = services_top(s, proto, 65536, top, 65536);
        total += n;
        for (size_t j = 0; j < n; j++) {
            const char *name = services_name(s, top[j], proto);
            if (!name || !*name || strchr(name, ' ') || strchr(name, '\t') || strchr(name, '\n'))
                __builtin_trap();
        }
        if (proto != glob_proto)
            continue;
        /* The ranking lists every named port of proto exactly once. */
        if (services_match(s, "*", proto, NULL, NULL) != n)
            __builtin_trap();
        /* The top name's own glob finds its port. */
        if (n && !strpbrk(services_name(s, top[0], proto), "*?[\\") &&
            services_match(s, services_name(s, top[0], proto), proto, NULL, NULL) == 0)
            __builtin_trap();
        /* The first word of the input as a glob: any pattern is safe. */
        char pat[64];
        size_t plen = 0;
        while (plen < size && plen < sizeof pat - 1 &&
               !strchr(" \t\n", data[plen] ? data[plen] : ' '))
            plen++;
        memcpy(pat, data, plen);
        pat[plen] = '\0';
        uint32_t last = UINT32_MAX;
        (void)services_match(s, pat, proto, visit, &last);
    }
    if (total == 0)
        __builtin_trap(); /* a file without entries is refused above */
    services_free(s);
    return 0;
}
