/* libFuzzer harness for core/targets: spec and exclude-list parsing plus
 * iteration. Byte 0 picks the family; the rest is one string, used both as a
 * target spec and as an exclude list. Host names resolve through
 * fake_dns.h, never through the machine's resolver. */
#include "core/targets.h"
#include "fake_dns.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int families[] = {0, 4, 6};
    if (size < 1)
        return 0;
    char *spec = malloc(size);
    if (!spec)
        return 0;
    memcpy(spec, data + 1, size - 1);
    spec[size - 1] = '\0';
    struct target_opts opts = {.family = families[data[0] % 3]};
    struct target_set *set = target_set_new(&opts);
    if (set) {
        char err[256];
        struct target_iter it;
        struct target t;
        target_set_add(set, spec, err, sizeof(err));
        target_set_exclude(set, spec, err, sizeof(err));
        (void)target_set_count(set);
        target_iter_init(&it, set);
        for (int i = 0; i < 1000 && target_iter_next(&it, &t); i++)
            (void)target_set_is_excluded(set, &t.addr);
        target_set_free(set);
    }
    free(spec);
    return 0;
}
