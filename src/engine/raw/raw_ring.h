/*
 * raw_ring.h — a bounded single-producer/single-consumer ring of reply
 * records, receiver thread -> aggregator, with C11 atomics only (Lamport's
 * queue with acquire/release indices; each index on its own cache line so
 * the two threads do not share a written line except through the slots).
 */
#ifndef PRTIP_ENGINE_RAW_RING_H
#define PRTIP_ENGINE_RAW_RING_H

#include "core/addr.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* The reply answers a probe that was already decided (a known-closed UDP
 * port probed again on purpose: the pacer's canary, raw_pace.h). */
#define RAW_REPLY_REPEAT 0x01
/* An ICMP error about the probe came from another address than the
 * target (a router or firewall on the way): from holds it, nmap's
 * reason_ip. */
#define RAW_REPLY_FROM 0x02

/* One decided probe, as the receiver classified it. */
struct raw_reply {
    uint64_t addr_idx;
    uint32_t entry;             /* index in the probe list */
    uint8_t state, reason, ttl; /* enum port_state, enum reason, reply TTL */
    uint8_t pass;               /* pass being sent when the reply arrived */
    int32_t rtt_us;             /* -1: no sample (Karn, or send time unknown) */
    uint8_t flags;              /* RAW_REPLY_* */
    int64_t rx_ns;              /* kernel receive time (rx_clock_ns()'s clock), 0 unknown */
    struct ipaddr from;         /* with RAW_REPLY_FROM: the ICMP error's source */
};

struct raw_ring {
    _Alignas(64) _Atomic uint64_t head; /* next slot to write (producer) */
    _Alignas(64) _Atomic uint64_t tail; /* next slot to read (consumer) */
    _Alignas(64) uint64_t mask;
    struct raw_reply *slots;
};

/* size must be a power of two. Returns 0 or -1 (no memory). */
static inline int raw_ring_init(struct raw_ring *r, uint64_t size)
{
    r->slots = calloc(size, sizeof(*r->slots));
    r->mask = size - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return r->slots ? 0 : -1;
}

static inline void raw_ring_free(struct raw_ring *r)
{
    free(r->slots);
    r->slots = NULL;
}

/* Producer only. False when full. */
static inline bool raw_ring_push(struct raw_ring *r, const struct raw_reply *v)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h - atomic_load_explicit(&r->tail, memory_order_acquire) > r->mask)
        return false;
    r->slots[h & r->mask] = *v;
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return true;
}

/* Consumer only. False when empty. */
static inline bool raw_ring_pop(struct raw_ring *r, struct raw_reply *v)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t == atomic_load_explicit(&r->head, memory_order_acquire))
        return false;
    *v = r->slots[t & r->mask];
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return true;
}

#endif
