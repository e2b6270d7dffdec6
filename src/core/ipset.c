/*
 * ipset.c — sorted, merged address intervals (see ipset.h).
 */
#include "core/ipset.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static uint32_t get32(const uint8_t *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static uint64_t get64(const uint8_t *b)
{
    return ((uint64_t)get32(b) << 32) | get32(b + 4);
}

static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/* a <=> b for 128-bit values as (high, low) halves. */
static int cmp128(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl)
{
    if (ah != bh)
        return ah < bh ? -1 : 1;
    return al < bl ? -1 : al > bl;
}

void ipset_init(struct ipset *s)
{
    memset(s, 0, sizeof(*s));
    atomic_init(&s->dirty, false);
    pthread_mutex_init(&s->lock, NULL);
}

void ipset_free(struct ipset *s)
{
    free(s->v4);
    free(s->v6);
    pthread_mutex_destroy(&s->lock);
    s->v4 = NULL;
    s->v6 = NULL;
    s->n4 = s->n6 = s->cap4 = s->cap6 = 0;
}

static void normalize(struct ipset *s);

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

int ipset_add(struct ipset *s, int family, const uint8_t *first, const uint8_t *last)
{
    if (family == AF_INET) {
        struct ipset_v4 iv = {get32(first), get32(last)};
        struct ipset_v4 *p = s->n4 ? &s->v4[s->n4 - 1] : NULL;
        if (p && !s->unsorted4 && iv.lo >= p->lo && (p->hi == UINT32_MAX || iv.lo <= p->hi + 1)) {
            if (iv.hi > p->hi)
                p->hi = iv.hi; /* touches the last one: still sorted and merged */
            return 0;
        }
        bool below = p && iv.lo < p->lo; /* (p dies with a grow) */
        if (grow((void **)&s->v4, &s->cap4, s->n4, sizeof(*s->v4)) < 0)
            return -1;
        s->unsorted4 |= below;
        s->v4[s->n4++] = iv;
    } else if (family == AF_INET6) {
        struct ipset_v6 iv = {get64(first), get64(first + 8), get64(last), get64(last + 8)};
        struct ipset_v6 *p = s->n6 ? &s->v6[s->n6 - 1] : NULL;
        if (p && !s->unsorted6 && cmp128(iv.lo_hi, iv.lo_lo, p->lo_hi, p->lo_lo) >= 0) {
            bool top = p->hi_hi == UINT64_MAX && p->hi_lo == UINT64_MAX;
            uint64_t h = p->hi_hi + (p->hi_lo == UINT64_MAX), l = p->hi_lo + 1;
            if (top || cmp128(iv.lo_hi, iv.lo_lo, h, l) <= 0) {
                if (cmp128(iv.hi_hi, iv.hi_lo, p->hi_hi, p->hi_lo) > 0) {
                    p->hi_hi = iv.hi_hi;
                    p->hi_lo = iv.hi_lo;
                }
                return 0;
            }
        }
        bool below = p && cmp128(iv.lo_hi, iv.lo_lo, p->lo_hi, p->lo_lo) < 0;
        if (grow((void **)&s->v6, &s->cap6, s->n6, sizeof(*s->v6)) < 0)
            return -1;
        s->unsorted6 |= below;
        s->v6[s->n6++] = iv;
    } else {
        return -1;
    }
    if (!s->unsorted4 && !s->unsorted6) {
        s->merged = s->n4 + s->n6; /* in order so far: nothing to settle */
        return 0;
    }
    atomic_store_explicit(&s->dirty, true, memory_order_relaxed);
    size_t floor = s->merged > 65536 ? s->merged : 65536;
    if (s->n4 + s->n6 >= 2 * floor) {
        normalize(s);
        atomic_store_explicit(&s->dirty, false, memory_order_relaxed);
    }
    return 0;
}

static int cmp_v4(const void *pa, const void *pb)
{
    const struct ipset_v4 *a = pa, *b = pb;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static int cmp_v6(const void *pa, const void *pb)
{
    const struct ipset_v6 *a = pa, *b = pb;
    return cmp128(a->lo_hi, a->lo_lo, b->lo_hi, b->lo_lo);
}

/* Sort by start, then fold each interval into the previous one when it
 * overlaps or touches it (prev.hi + 1 >= next.lo, without overflowing at
 * 255.255.255.255 or ffff:...:ffff). */
static void normalize(struct ipset *s)
{
    if (s->n4 && s->unsorted4) {
        qsort(s->v4, s->n4, sizeof(*s->v4), cmp_v4);
        size_t w = 0;
        for (size_t r = 1; r < s->n4; r++) {
            struct ipset_v4 *p = &s->v4[w], *c = &s->v4[r];
            if (p->hi == UINT32_MAX || c->lo <= p->hi + 1) {
                if (c->hi > p->hi)
                    p->hi = c->hi;
            } else {
                s->v4[++w] = *c;
            }
        }
        s->n4 = w + 1;
    }
    if (s->n6 && s->unsorted6) {
        qsort(s->v6, s->n6, sizeof(*s->v6), cmp_v6);
        size_t w = 0;
        for (size_t r = 1; r < s->n6; r++) {
            struct ipset_v6 *p = &s->v6[w], *c = &s->v6[r];
            /* p.hi + 1 as (h, l); saturated at the top address. */
            uint64_t h = p->hi_hi + (p->hi_lo == UINT64_MAX), l = p->hi_lo + 1;
            bool top = p->hi_hi == UINT64_MAX && p->hi_lo == UINT64_MAX;
            if (top || cmp128(c->lo_hi, c->lo_lo, h, l) <= 0) {
                if (cmp128(c->hi_hi, c->hi_lo, p->hi_hi, p->hi_lo) > 0) {
                    p->hi_hi = c->hi_hi;
                    p->hi_lo = c->hi_lo;
                }
            } else {
                s->v6[++w] = *c;
            }
        }
        s->n6 = w + 1;
    }
    s->unsorted4 = s->unsorted6 = false;
    s->merged = s->n4 + s->n6;
}

/* Sorting is a one-time change of representation, not of the set's
 * contents; hence the cast for callers that hold the set const. */
static void settle(const struct ipset *cs)
{
    struct ipset *s = (struct ipset *)cs;
    if (!atomic_load_explicit(&s->dirty, memory_order_acquire))
        return;
    pthread_mutex_lock(&s->lock);
    if (atomic_load_explicit(&s->dirty, memory_order_relaxed)) {
        normalize(s);
        atomic_store_explicit(&s->dirty, false, memory_order_release);
    }
    pthread_mutex_unlock(&s->lock);
}

bool ipset_find(const struct ipset *s, int family, const uint8_t *a, uint8_t *run_end)
{
    settle(s);
    if (family == AF_INET) {
        uint32_t x = get32(a);
        /* Last interval with lo <= x. */
        size_t lo = 0, hi = s->n4;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->v4[mid].lo <= x)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0 || s->v4[lo - 1].hi < x)
            return false;
        if (run_end)
            put32(run_end, s->v4[lo - 1].hi);
        return true;
    }
    if (family != AF_INET6)
        return false;
    uint64_t xh = get64(a), xl = get64(a + 8);
    size_t lo = 0, hi = s->n6;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp128(s->v6[mid].lo_hi, s->v6[mid].lo_lo, xh, xl) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || cmp128(s->v6[lo - 1].hi_hi, s->v6[lo - 1].hi_lo, xh, xl) < 0)
        return false;
    if (run_end) {
        put32(run_end, (uint32_t)(s->v6[lo - 1].hi_hi >> 32));
        put32(run_end + 4, (uint32_t)s->v6[lo - 1].hi_hi);
        put32(run_end + 8, (uint32_t)(s->v6[lo - 1].hi_lo >> 32));
        put32(run_end + 12, (uint32_t)s->v6[lo - 1].hi_lo);
    }
    return true;
}

size_t ipset_count(const struct ipset *s, int family)
{
    settle(s);
    return family == AF_INET ? s->n4 : family == AF_INET6 ? s->n6 : 0;
}
