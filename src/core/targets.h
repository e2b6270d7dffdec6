/*
 * targets.h — the set of addresses to scan, parsed from nmap target syntax
 * and iterated lazily.
 *
 * Accepted specs (nmap "Target Specification"): IPv4/IPv6 literals, CIDR for
 * both families (10.0.0.0/8, fd00::/120), IPv4 octet ranges and lists
 * (10.0.0-3.1-254, 192.168.1,3.*), and host names resolved with getaddrinfo.
 * Memory is proportional to the number of specs, never to the number of
 * addresses: a /8 or a /64 is one range. Exclusions are kept as merged
 * intervals (8 bytes an IPv4 one): an exclude file of 300,000 ranges costs
 * a few MB and loads in a fraction of a second (docs/BENCHMARKS.md).
 */
#ifndef PRTIP_CORE_TARGETS_H
#define PRTIP_CORE_TARGETS_H

#include "core/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct target_set; /* opaque */

/*
 * family: address family filter for names and literals: 0 = either (names
 * resolve to their first address, IPv4 preferred, as nmap), 4 = -4, 6 = -6.
 *
 * warn: when set, a target that cannot be scanned does not fail the set
 * (nmap's behaviour: one bad name does not abort the scan); it is skipped
 * and warn is called once with a one-line message (no newline), on the
 * calling thread, before target_set_add / target_set_add_file returns:
 *   - a host name that does not resolve: nmap's exact warning,
 *     'Failed to resolve "name".';
 *   - a word of a target file that is not a target: "FILE:LINE: <why>;
 *     skipped".
 * The message is only valid during the call. NULL: both are errors.
 */
struct target_opts {
    int family;
    void (*warn)(void *arg, const char *msg);
    void *warn_arg;
};

/* One address handed out by the iterator. hostname is the name the user
 * typed (NULL for literals); other_addrs lists further addresses of that
 * name, comma separated (NULL if none). Both are owned by the set and live
 * as long as it does. */
struct target {
    struct ipaddr addr;
    const char *hostname;
    const char *other_addrs;
};

/* Returns an empty set, or NULL on allocation failure. */
struct target_set *target_set_new(const struct target_opts *opts);
void target_set_free(struct target_set *set);

/*
 * Add one spec (one word of the command line). Returns 0, or -1 with a
 * one-line message in err naming the spec and a hint ("bad octet range
 * '300' in '10.0.0.300': octets are 0-255"). A name that does not resolve
 * returns 1 (skipped) after the warn callback when the set has one (see
 * struct target_opts), else -1 ("Failed to resolve ...").
 */
int target_set_add(struct target_set *set, const char *spec, char *err, size_t errlen);

/*
 * Add every whitespace-separated spec of a file ('-' is stdin; '#' starts a
 * comment). Returns 0 or -1 with err naming the file (and line). With a
 * warn callback, words that are not targets and names that do not resolve
 * are skipped with a warning (FILE:LINE for the former) and the rest is
 * added; a file that cannot be opened or read (read error, out of memory:
 * never taken for its end) or that holds a control byte is an error. An
 * empty file adds nothing and is not an error here; the caller decides.
 */
int target_set_add_file(struct target_set *set, const char *path, char *err, size_t errlen);

/*
 * The reader behind target_set_add_file and target_set_exclude_file, on
 * text[0..len) already in memory (it may hold NUL bytes; it need not be
 * NUL-terminated): name is the file's name for messages ("FILE:LINE: ...").
 * A control byte other than whitespace (a NUL, say) is an error naming the
 * line, never the end of it. exclude: the specs are exclusions. Returns 0 or
 * -1 with err set, as target_set_add_file. For the fuzz harness too.
 */
int target_set_load_text(struct target_set *set, const char *text, size_t len, const char *name,
                         bool exclude, char *err, size_t errlen);

/* Targets skipped with a warning so far (names that did not resolve, words
 * of target files that are not targets). */
size_t target_set_nskipped(const struct target_set *set);

/* Same syntax as target_set_add, for --exclude (comma-separated list) and
 * --excludefile. Excluded addresses are skipped by the iterator. */
int target_set_exclude(struct target_set *set, const char *list, char *err, size_t errlen);
int target_set_exclude_file(struct target_set *set, const char *path, char *err, size_t errlen);

/* Number of specs added (not addresses). */
size_t target_set_nspecs(const struct target_set *set);

/* Addresses the iterator will yield, before exclusions, saturating at
 * UINT64_MAX (an IPv6 /0 does not fit). */
uint64_t target_set_count(const struct target_set *set);

/* True if addr falls in any exclusion. O(log n) in the exclusions (a
 * binary search of their merged intervals; core/ipset.h), plus a test of
 * each octet-range exclusion too large to expand (over 65,536 intervals,
 * rare). Safe from several threads at once once no exclusion is being
 * added: the first lookup after adding sorts, under a lock. */
bool target_set_is_excluded(const struct target_set *set, const struct ipaddr *addr);

/*
 * Random access for the raw engine, which walks a permutation of the
 * address indices instead of the iterator. Index i in [0, target_set_count)
 * is the i-th address the iterator would yield if there were no
 * exclusions: specs in command-line order, ascending within a spec, an
 * octet range as a mixed-radix number with the last octet fastest.
 * Excluded addresses still have an index; callers skip them with
 * target_set_is_excluded().
 *
 * target_set_at: store address number index in *out (hostname and
 * other_addrs as the iterator sets them). Returns 0, or -1 if index is out
 * of range. O(log specs).
 *
 * target_set_index_of: the smallest index whose address is addr (a set may
 * name an address twice). Returns 0, or -1 if addr is in no spec (or its
 * index would not fit in 64 bits). O(specs): ranges by subtraction, octet
 * products by mixed radix.
 */
int target_set_at(const struct target_set *set, uint64_t index, struct target *out);
/* The sender's per-probe lookup: address number index only (no names) in
 * *out, and whether it is excluded. Returns 0, 1 if the address is
 * excluded (*out still set), or -1 if index is out of range. */
int target_set_addr_at(const struct target_set *set, uint64_t index, struct ipaddr *out);
int target_set_index_of(const struct target_set *set, const struct ipaddr *addr, uint64_t *index);
/*
 * Every index of addr, in ascending order: start with *spec = 0 and call
 * until it returns -1; each 0 stores the next index (from spec *spec on)
 * and advances *spec. A target listed twice, or inside overlapping ranges,
 * has one index per listing, and nmap scans and reports each one. Within a
 * spec an address occurs once, so specs are the unit. O(specs) in all.
 */
int target_set_index_next(const struct target_set *set, const struct ipaddr *addr, size_t *spec,
                          uint64_t *index);

/* Spec number i (0 <= i < target_set_nspecs): its first address, the index
 * of that address and its address count (saturating). Returns 0, or -1 if
 * i is out of range. For checks per spec, such as a route per range. */
int target_set_spec(const struct target_set *set, size_t i, struct ipaddr *first, uint64_t *base,
                    uint64_t *count);

/* Addresses of family (AF_INET/AF_INET6) before exclusions, saturating,
 * and the first of them in *first (may be NULL); 0 if none. */
uint64_t target_set_family_count(const struct target_set *set, int family, struct ipaddr *first);

/* Iterator: specs in command-line order, addresses in ascending order within
 * a spec, exclusions skipped. Holds no allocation; the set must outlive it. */
struct target_iter {
    const struct target_set *set;
    size_t spec;     /* index of the current spec */
    uint8_t cur[16]; /* next address of the current spec, network order */
    bool started, done;
};

void target_iter_init(struct target_iter *it, const struct target_set *set);

/* Store the next address in *out. Returns 1, or 0 when the set is exhausted. */
int target_iter_next(struct target_iter *it, struct target *out);

#endif
