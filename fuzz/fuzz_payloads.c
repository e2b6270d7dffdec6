/*
 * libFuzzer harness for the nmap-payloads parser (udp_payloads_parse) and
 * the per-port table built from its result.
 *
 * Seeds live in fuzz/corpus/payloads/ (small hand-written files):
 *
 *   fuzz_payloads -max_total_time=60 fuzz/corpus/payloads
 */
#include "scan/udp_payloads.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0; /* longer files exercise nothing new, only time */

    char err[256];
    err[0] = 'x';
    struct udp_payloads *p = udp_payloads_parse((const char *)data, size, "fuzz", err, sizeof err);
    if (!p) {
        /* Every failure explains itself on one line, naming file:line. */
        if (strncmp(err, "fuzz:", 5) != 0 || strchr(err, '\n'))
            __builtin_trap();
        return 0;
    }

    /* Invariants the raw engine relies on: never NULL, len within a UDP
     * datagram, data present exactly when len > 0, element 0 of the list
     * is what udp_payload_get() returns, and every byte is readable. */
    size_t entries = udp_payloads_file_entries(p);
    volatile uint8_t sink = 0;
    for (uint32_t port = 0; port < 65536; port += 1 + (port & 63)) {
        size_t n;
        const struct udp_payload *all = udp_payload_get_all(p, (uint16_t)port, AF_INET6, &n);
        if (!all || n > UDP_PAYLOADS_MAX_PER_PORT || (n > 1 && n > entries))
            __builtin_trap();
        if (n && udp_payload_get(p, (uint16_t)port, AF_INET6) != &all[0])
            __builtin_trap();
        for (size_t i = 0; i < n; i++) {
            if (all[i].len > UDP_PAYLOAD_MAX_LEN || (all[i].len == 0) != (all[i].data == NULL))
                __builtin_trap();
            for (size_t j = 0; j < all[i].len; j++)
                sink ^= all[i].data[j];
        }
    }
    (void)sink;
    udp_payloads_free(p);
    return 0;
}
