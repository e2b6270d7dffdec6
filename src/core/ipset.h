/*
 * ipset.h — a set of IPv4 and IPv6 addresses kept as sorted, merged,
 * inclusive intervals (one array per family), for exclusion lists with
 * hundreds of thousands of ranges: memory in the number of ranges
 * (8 bytes an IPv4 interval, 32 an IPv6 one), membership by binary search.
 *
 * Adding appends; the next lookup sorts and merges (overlapping and
 * adjacent intervals become one) once, under a lock, so lookups from
 * several threads are safe. Adding must not run concurrently with lookups.
 * Adding also merges whenever the appended part outgrows the merged one
 * (amortised O(log n) an add), so a list that names the same addresses
 * again and again never holds much more than its merged size. Adds in
 * ascending order merge into the last interval as they come and need no
 * sort at all.
 */
#ifndef PRTIP_CORE_IPSET_H
#define PRTIP_CORE_IPSET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ipset_v4 {
    uint32_t lo, hi; /* host order, inclusive */
};

struct ipset_v6 {
    uint64_t lo_hi, lo_lo, hi_hi, hi_lo; /* lo and hi as two host-order halves */
};

struct ipset {
    struct ipset_v4 *v4;
    struct ipset_v6 *v6;
    size_t n4, cap4, n6, cap6;
    size_t merged;     /* n4 + n6 after the last sort */
    atomic_bool dirty; /* appended since the last sort */
    /* An append started below its predecessor: the next sort must really
     * sort. Appends in ascending order (octet ranges expand so) keep the
     * arrays sorted and merged as they go, so settling them is free. */
    bool unsorted4, unsorted6;
    pthread_mutex_t lock;
};

/* Empty set. ipset_free releases it (not the struct itself). */
void ipset_init(struct ipset *s);
void ipset_free(struct ipset *s);

/*
 * Add [first, last] (inclusive, network byte order: 4 bytes for AF_INET,
 * 16 for AF_INET6; first <= last). Returns 0, or -1 on allocation failure
 * or an unknown family.
 */
int ipset_add(struct ipset *s, int family, const uint8_t *first, const uint8_t *last);

/*
 * True if a (network order, family's length) is in the set; then, if
 * run_end is not NULL, store there (same layout) the last address of the
 * merged interval holding a: everything from a to run_end is in the set.
 * O(log intervals) once sorted.
 */
bool ipset_find(const struct ipset *s, int family, const uint8_t *a, uint8_t *run_end);

/* Intervals after merging (sorts first if needed), per family. */
size_t ipset_count(const struct ipset *s, int family);

#endif
