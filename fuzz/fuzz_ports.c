/*
 * libFuzzer harness for nmap's -p syntax (portset_parse) and the set
 * operations applied to its result.
 *
 * Names and "[...]" need nmap-services: the harness loads the hand-written
 * tests/data/nmap-services-mini once, from $PRTIP_TESTDATA or, failing that,
 * relative to this source file. Seeds live in fuzz/corpus/ports/.
 *
 *   fuzz_ports -max_total_time=60 fuzz/corpus/ports
 */
#include "core/ports.h"
#include "core/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct services *svc;

static void load_services(void)
{
    char path[4096], err[512];
    const char *dir = getenv("PRTIP_TESTDATA");
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s/nmap-services-mini", dir);
    } else {
        /* fuzz/fuzz_ports.c -> tests/data/nmap-services-mini */
        const char *slash = strrchr(__FILE__, '/');
        int len = slash ? (int)(slash - __FILE__) : 1;
        snprintf(path, sizeof path, "%.*s/../tests/data/nmap-services-mini", len,
                 slash ? __FILE__ : ".");
    }
    svc = services_load(path, err, sizeof err);
    if (!svc) {
        /* Without names the fuzzer would only ever see one error path for
         * every name and bracket; refuse to run silently weakened. */
        fprintf(stderr, "fuzz_ports: %s (set PRTIP_TESTDATA to <repo>/tests/data)\n", err);
        exit(1);
    }
}

/* Invariant every consumer relies on: strictly ascending lists. */
static void check_sorted(const struct portset *set)
{
    for (int p = 0; p < PROTO_COUNT; p++)
        for (size_t i = 1; i < set->count[p]; i++)
            if (set->ports[p][i - 1] >= set->ports[p][i])
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!svc)
        load_services();
    if (size > 4096)
        return 0; /* longer specs exercise nothing new, only time */

    char *spec = malloc(size + 1);
    if (!spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';

    char err[256];
    enum port_proto def = (enum port_proto)(size % PROTO_COUNT);
    struct portset set = {{NULL}, {0}};
    if (portset_parse(&set, spec, def, svc, err, sizeof err) == 0) {
        check_sorted(&set);
        for (int p = 0; p < PROTO_COUNT; p++) {
            char *r = ports_format_ranges(set.ports[p], set.count[p]);
            free(r);
            for (size_t i = 0; i < set.count[p]; i++)
                if (!portset_contains(&set, (enum port_proto)p, set.ports[p][i]))
                    __builtin_trap();
        }

        /* Parsing the same spec again must merge to the same set, and
         * subtracting it from itself must leave nothing. */
        struct portset again = {{NULL}, {0}};
        size_t total = portset_total(&set);
        if (portset_parse(&again, spec, def, svc, err, sizeof err) != 0 ||
            portset_parse(&again, spec, def, svc, err, sizeof err) != 0 ||
            portset_total(&again) != total)
            __builtin_trap();
        portset_subtract(&again, &set);
        if (portset_total(&again) != 0)
            __builtin_trap();
        portset_free(&again);

        if (portset_add_top(&set, svc, def, size) != 0)
            __builtin_trap();
        check_sorted(&set);
    } else if (err[0] == '\0' || strchr(err, '\n')) {
        __builtin_trap(); /* every failure explains itself on one line */
    }
    portset_free(&set);

    /* Without nmap-services, names fail but numbers must still parse. */
    portset_parse(&set, spec, def, NULL, err, sizeof err);
    portset_free(&set);

    free(spec);
    return 0;
}
