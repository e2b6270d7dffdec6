/*
 * libFuzzer harness for the ServerHello parser behind JA3S (vtls_ja3s,
 * detect/version_tls.c): any bytes a TLS server sends as its ServerHello.
 * The result must be "" or 32 lowercase hex digits. Seeds live in
 * fuzz/corpus/ja3s/.
 *
 *   fuzz_ja3s -max_total_time=60 fuzz/corpus/ja3s
 */
#include "detect/version_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[33];
    memset(out, 'x', sizeof(out));
    int rc = vtls_ja3s(data, size, out);
    size_t n = strlen(out);
    if ((rc == 0 && n != 32) || (rc != 0 && n != 0))
        abort();
    for (size_t i = 0; i < n; i++)
        if (!((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f')))
            abort();
    return 0;
}
