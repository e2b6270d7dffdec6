/*
 * libFuzzer harness for the version template expander
 * (svc_template_expand): $1-$9, $P(), $SUBST(), $I() and CPE escaping on
 * arbitrary templates, subjects and capture offsets.
 *
 * Input: 3 parameter bytes (capture count, flags, buffer size), the
 * template up to the first '\n', then the subject. Capture offsets are
 * drawn from the subject's own bytes so that every shape occurs: unset,
 * empty, whole, partial. Seeds live in fuzz/corpus/svctmpl/:
 *
 *   fuzz_svctmpl -max_total_time=60 fuzz/corpus/svctmpl
 */
#include "detect/svcdb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 4096)
        return 0;
    size_t npairs = data[0] % 12;
    bool cpe = data[1] & 1;
    size_t outlen = (size_t)data[2] + 1; /* 1-256: nmap's sizes and the refused < 3 */
    data += 3;
    size = 3 > size ? 0 : size - 3;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tlen = nl ? (size_t)(nl - data) : size;
    char *tmpl = malloc(tlen + 1);
    if (!tmpl)
        return 0;
    memcpy(tmpl, data, tlen);
    tmpl[tlen] = '\0';
    const uint8_t *subj = nl ? nl + 1 : data + size;
    size_t slen = (size_t)(data + size - subj);

    size_t ov[24];
    for (size_t k = 0; k < 12; k++) {
        uint8_t a = slen ? subj[(2 * k) % slen] : 0, b = slen ? subj[(2 * k + 1) % slen] : 0;
        if (a == 0xff) {
            ov[2 * k] = ov[2 * k + 1] = SIZE_MAX;
            continue;
        }
        size_t s = slen ? a % (slen + 1) : 0;
        ov[2 * k] = s;
        ov[2 * k + 1] = s + (slen - s ? b % (slen - s + 1) : 0);
    }
    char out[257];
    memset(out, 'X', sizeof out);
    int rc = svc_template_expand(tmpl, subj, slen, ov, npairs, cpe, out, outlen);
    /* The result is always a string inside the buffer; on failure it is
     * empty; never a trailing blank or comma. */
    size_t n = strnlen(out, outlen);
    if (n >= outlen || (rc < 0 && n != 0) || (rc != 0 && rc != -1))
        __builtin_trap();
    if (n && (out[n - 1] == ' ' || out[n - 1] == ','))
        __builtin_trap();
    if (out[outlen] != 'X' && outlen < sizeof out)
        __builtin_trap(); /* wrote past outlen */
    free(tmpl);
    return 0;
}
