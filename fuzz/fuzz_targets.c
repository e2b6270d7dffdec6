/* libFuzzer harness for core/targets: spec and exclude-list parsing plus
 * iteration. Byte 0 picks the family; the rest is one string, used both as a
 * target spec and as an exclude list. */
#include "core/targets.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* targets.c hands a word to getaddrinfo when its host part (before the last
 * '/') has a letter and no ':'. The fuzzer must never do DNS: it is slow,
 * nondeterministic and may leave the machine. */
static bool may_resolve(const char *s, size_t n)
{
    size_t host = n;
    while (host > 0 && s[host - 1] != '/')
        host--;
    host = host ? host - 1 : n;
    bool letter = false, colon = false;
    for (size_t i = 0; i < host; i++) {
        letter |= (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F');
        colon |= s[i] == ':';
    }
    return letter && !colon;
}

/* Checks the whole string (as a spec) and each comma piece (as exclusions). */
static bool safe(const char *s)
{
    size_t len = strlen(s);
    if (strspn(s, "0123456789abcdefABCDEF.:/,-* \t") != len || may_resolve(s, len))
        return false;
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (may_resolve(p, n))
            return false;
        if (!comma)
            return true;
        p = comma + 1;
    }
}

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
    struct target_set *set = safe(spec) ? target_set_new(&opts) : NULL;
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
