/*
 * libFuzzer harness for the nmap-service-probes loader (svc_db_load_buf,
 * and svc_db_load_buf_lazy on odd-sized inputs)
 * and, on whatever loads, the probe order and the matcher with the input
 * itself as the service's reply.
 *
 * Seeds live in fuzz/corpus/svcdb/ (small hand-written probe files):
 *
 *   fuzz_svcdb -max_total_time=60 fuzz/corpus/svcdb
 */
#include "detect/svcdb.h"
#include "detect/svcdb_internal.h"

#include <string.h>

static void quiet(void *ctx, const char *msg)
{
    (void)ctx;
    /* Warnings name file:line on one line, like errors. */
    if (strncmp(msg, "fuzz:", 5) != 0 || strchr(msg, '\n'))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0; /* longer files exercise nothing new, only time */

    char err[256];
    struct svc_db *db = NULL;
    struct svc_db_stats st;
    /* Both loads: eager (every rule compiled now) and lazy (a probe's
     * rules compiled on its first svc_match, or below). */
    bool lazy = size & 1;
    if ((lazy ? svc_db_load_buf_lazy : svc_db_load_buf)("fuzz", (const char *)data, size, &db, &st,
                                                        quiet, NULL, err, sizeof err) != 0) {
        /* Every failure explains itself on one line, naming file:line. */
        if (db || strncmp(err, "fuzz:", 5) != 0 || strchr(err, '\n'))
            __builtin_trap();
        return 0;
    }

    /* Invariants the version stage relies on: a plan starts with the NULL
     * probe on TCP when there is one, never repeats a probe, keeps to the
     * protocol, and svc_db_next walks the same list; matching any reply
     * returns an answer whose fields are NUL-terminated strings. */
    static const uint16_t ports[] = {0, 21, 80, 443, 65535};
    const struct svc_probe *plan[64];
    for (int proto = 0; proto < 2; proto++)
        for (size_t k = 0; k < sizeof ports / sizeof ports[0]; k++) {
            const char *soft = k == 2 ? "http" : NULL;
            size_t n = svc_db_plan(db, (enum svc_proto)proto, ports[k], k == 3, 7, soft, plan, 64);
            if (n > st.probes)
                __builtin_trap();
            const struct svc_probe *p = NULL;
            for (size_t i = 0; i < n && i < 64; i++) {
                p = svc_db_next(db, (enum svc_proto)proto, ports[k], k == 3, 7, soft, p);
                if (p != plan[i] || svc_probe_proto(p) != (enum svc_proto)proto)
                    __builtin_trap();
                for (size_t j = 0; j < i; j++)
                    if (plan[j] == plan[i])
                        __builtin_trap();
                struct svc_answer a;
                if (i < 4 && svc_match(db, p, data, size, soft, &a, NULL, NULL) == 0) {
                    if (a.found && (!a.service || !a.probe))
                        __builtin_trap();
                    volatile size_t sink = a.service ? strlen(a.service) : 0;
                    sink += a.product ? strlen(a.product) : 0;
                    for (size_t c = 0; c < a.ncpe; c++)
                        sink += strlen(a.cpe[c]);
                    (void)sink;
                    svc_answer_clear(&a);
                }
            }
        }
    /* The prefilter never hides a match: for every rule, and the input's
     * lines as replies (a rule's own line holds its literals), a rule it
     * rules out must not match under PCRE2 either. */
    pcre2_match_data *md = pcre2_match_data_create(db->max_captures ? db->max_captures : 1, NULL);
    size_t budget = 4096; /* rule x line pairs per input, to keep runs fast */
    for (size_t i = 0; md && i < db->nprobes; i++) {
        svc_probe_compile(db, &db->probes[i]); /* lazy load: not all were used */
        for (size_t k = 0; k < db->probes[i].nrules; k++) {
            const struct svc_rule *r = &db->probes[i].rules[k];
            if (!r->re)
                continue; /* refused (lazy load keeps it, never matched) */
            for (size_t off = 0; off < size && budget; budget--) {
                const uint8_t *nl = memchr(data + off, '\n', size - off);
                size_t len = nl ? (size_t)(nl - (data + off)) : size - off;
                if (!svc_rule_may_match(r, data + off, len) &&
                    pcre2_match(r->re, data + off, len, 0, 0, md, db->mctx) >= 0)
                    __builtin_trap();
                off += len + 1;
            }
        }
    }
    pcre2_match_data_free(md);
    svc_db_free(db);
    return 0;
}
