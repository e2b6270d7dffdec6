/*
 * targets_spec.h — the compact target specs shared by targets_parse.c
 * (nmap target syntax into specs) and targets.c (the set: counting,
 * iteration, exclusion, random access). Not a public contract: users of
 * targets go through core/targets.h.
 */
#ifndef PRTIP_CORE_TARGETS_SPEC_H
#define PRTIP_CORE_TARGETS_SPEC_H

#include "core/ipset.h"
#include "core/targets.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Characters of an IPv4 octet-range spec ("198.18.0-3.1-254"): the
 * exclude list joins such specs back together after splitting on commas. */
#define V4_RANGE_CHARS "0123456789.,*-"

enum spec_kind { SPEC_RANGE, SPEC_OCTETS };

struct spec {
    enum spec_kind kind;
    uint8_t family;
    uint8_t first[16], last[16]; /* SPEC_RANGE, inclusive, ipaddr layout */
    uint8_t oct[4][32];          /* SPEC_OCTETS */
    struct ipaddr named;         /* what hostname resolved to */
    char *hostname, *other_addrs;
    uint64_t base;  /* index of the first address (included specs), saturating */
    uint64_t count; /* its addresses, saturating (included specs): spec_count(), once */
};

struct spec_list {
    struct spec *v;
    size_t n, cap;
};

struct target_set {
    int family;
    struct spec_list inc;
    /* Exclusions: every range and every octet product of at most
     * EXCLUDE_EXPAND_MAX intervals as merged intervals (O(log n) lookup);
     * the rare larger octet product stays a spec in exc, tested one by one. */
    struct ipset exc_iv;
    struct spec_list exc;
    size_t expanded;                          /* intervals octet-range exclusions expanded into */
    size_t spec_bytes;                        /* exclusion text read (expand_budget) */
    void (*warn)(void *arg, const char *msg); /* target_opts.warn */
    void *warn_arg;
    size_t nskipped; /* targets skipped with a warning */
};

/* Intervals an octet-range exclusion may expand into (198.18.0-255.1-10
 * is 256; 10.0-255.0-255.1,3,5 would be 8M and stays a spec). */
#define EXCLUDE_EXPAND_MAX 65536
/* Intervals all octet-range exclusions together may expand into: 64k,
 * plus 16 for each byte of exclusion text read, up to 4M (32 MB; half a
 * second of adding). In proportion to the input, so a short list of huge
 * octet products (a fuzzer's favourite) costs milliseconds while an
 * exclude file of many small octet ranges expands whole; what is past the
 * budget stays a spec, tested per address with run skipping. */
#define EXCLUDE_EXPAND_FLOOR    (1u << 16)
#define EXCLUDE_EXPAND_PER_BYTE 16u
#define EXCLUDE_EXPAND_TOTAL    (1u << 22)

/* Room for a warning naming one spec (at most 1024 characters). */
#define SPEC_WARN_MAX 1100

/* targets_parse_spec: a host name that did not resolve (err says so). */
#define TARGETS_UNRESOLVED (-2)

/* Format a message into err (if any) and return -1. */
int targets_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Parse one target spec (literal, CIDR, IPv4 octet ranges, or a host name
 * resolved with getaddrinfo) into *sp. family 0, 4 or 6 restricts names
 * and literals (-4/-6) when check_family. Returns 0, or -1 with err naming
 * the spec and a hint, or TARGETS_UNRESOLVED (-2) when spec is a host name
 * that did not resolve (err as for -1); sp then owns nothing.
 */
int targets_parse_spec(const char *spec, int family, bool check_family, struct spec *sp, char *err,
                       size_t errlen);

/* Release what a parsed spec owns (its names). */
void targets_spec_clear(struct spec *sp);

static inline size_t addr_len(int family)
{
    return family == AF_INET6 ? 16 : 4;
}

static inline bool bit_get(const uint8_t set[32], unsigned v)
{
    return set[v >> 3] & (1u << (v & 7));
}

/* Smallest member of set that is >= from, or -1. Skips empty bytes: an
 * exclude file of 300,000 single addresses steps through these sets. */
static inline int bit_next(const uint8_t set[32], unsigned from)
{
    if (from >= 256)
        return -1;
    unsigned i = from >> 3;
    unsigned b = set[i] & (0xffu << (from & 7));
    while (!b) {
        if (++i == 32)
            return -1;
        b = set[i];
    }
    return (int)(i * 8 + (unsigned)__builtin_ctz(b));
}

static inline unsigned bit_count(const uint8_t set[32])
{
    unsigned n = 0;
    for (int i = 0; i < 32; i += 8) {
        uint64_t w;
        memcpy(&w, set + i, 8);
        n += (unsigned)__builtin_popcountll(w);
    }
    return n;
}

#endif
