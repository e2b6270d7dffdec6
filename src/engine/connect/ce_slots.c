/*
 * ce_slots.c — the connect engine's bookkeeping lists: the send rotation of
 * hosts with work, the done list, probe slots (free list, per-host FIFO of
 * pending probes, registration with the loop) and each host's timer. All
 * on the loop's thread.
 */
#include "engine/connect/ce.h"

#include "core/rtt.h"

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Something failed (out of memory): stop the loop, report once. */
void ce_fail(struct ce *ce)
{
    ce->rc = -1;
    evloop_stop(ce->loop);
}

/* When h's timer is next due: the FIFO head's probe timeout, the first
 * probe not yet presumed lost reaching the pipe timeout, or the host
 * timeout; INT64_MAX for none. */
static int64_t ce_host_due(const struct ce *ce, const struct ce_host *h)
{
    int64_t due = h->deadline_us;
    if (h->fifo_head != CE_NIL)
        due = min64(due, ce->slots[h->fifo_head].sent_us + rtt_timeout_us(&h->rtt));
    if (h->mark != CE_NIL)
        due = min64(due, ce->slots[h->mark].sent_us + ce_cc_pipe_us(h));
    return due;
}

/* Bring h's timer forward when its next deadline moved earlier (a probe
 * joined an empty FIFO, the RTT estimate shrank). One that is late for a
 * deadline that moved away just finds nothing due and re-arms. */
void ce_host_arm(struct ce *ce, struct ce_host *h)
{
    int64_t due = ce_host_due(ce, h);
    if (due == INT64_MAX || (evloop_timer_armed(&h->timer) && h->timer.due_us <= due))
        return;
    if (evloop_timer_at(ce->loop, &h->timer, due) < 0)
        ce_fail(ce);
}

/* ---- host lists: send rotation and done list ---------------------------- */

void ce_ring_add(struct ce *ce, uint32_t hi)
{
    struct ce_host *h = &ce->hosts[hi];
    if (h->in_ring)
        return;
    h->in_ring = true;
    ce->ring_len++;
    if (ce->ring_cursor == CE_NIL) {
        h->ring_next = h->ring_prev = hi;
        ce->ring_cursor = hi;
        return;
    }
    /* Insert just before the cursor: the newcomer's turn comes last. */
    struct ce_host *c = &ce->hosts[ce->ring_cursor];
    h->ring_next = ce->ring_cursor;
    h->ring_prev = c->ring_prev;
    ce->hosts[c->ring_prev].ring_next = hi;
    c->ring_prev = hi;
}

void ce_ring_remove(struct ce *ce, uint32_t hi)
{
    struct ce_host *h = &ce->hosts[hi];
    if (!h->in_ring)
        return;
    h->in_ring = false;
    if (--ce->ring_len == 0) {
        ce->ring_cursor = CE_NIL;
        return;
    }
    ce->hosts[h->ring_prev].ring_next = h->ring_next;
    ce->hosts[h->ring_next].ring_prev = h->ring_prev;
    if (ce->ring_cursor == hi)
        ce->ring_cursor = h->ring_next;
}

void ce_done_push(struct ce *ce, uint32_t hi)
{
    struct ce_host *h = &ce->hosts[hi];
    ce_ring_remove(ce, hi);
    evloop_timer_cancel(ce->loop, &h->timer);
    h->done = true;
}

/* ---- probe slots ------------------------------------------------------- */

/* Reserve the free-list head for a probe of host hi (counted in flight
 * from here on, so that a planned batch respects the cap). */
uint32_t ce_slot_reserve(struct ce *ce, uint32_t hi)
{
    uint32_t s = ce->free_slot;
    struct ce_slot *p = &ce->slots[s];
    ce->free_slot = p->next;
    p->busy = true;
    p->host = hi;
    p->prev = p->next = CE_NIL;
    ce->inflight++;
    ce->hosts[hi].nbusy++;
    return s;
}

/* A reserved slot whose connect is pending joins its host's FIFO. */
void ce_slot_wait(struct ce *ce, uint32_t s, struct ce_host *h)
{
    struct ce_slot *p = &ce->slots[s];
    p->next = CE_NIL;
    p->prev = h->fifo_tail;
    if (h->fifo_tail == CE_NIL)
        h->fifo_head = s;
    else
        ce->slots[h->fifo_tail].next = s;
    h->fifo_tail = s;
    h->ninflight++;
    if (h->mark == CE_NIL)
        h->mark = s; /* everything before it is presumed lost */
}

/* The loop's record of a registered socket that was closed goes before
 * another socket can get the same number. */
void ce_slot_sync(struct ce *ce, struct ce_slot *p)
{
    if (p->reg_closed) {
        evloop_forget(ce->loop, p->reg_fd);
        p->reg_fd = -1;
        p->reg_closed = false;
    }
}

/* Back on the free list (the slot keeps its socket, if any). */
void ce_slot_release(struct ce *ce, uint32_t s)
{
    struct ce_slot *p = &ce->slots[s];
    ce_slot_sync(ce, p);
    ce->inflight--;
    if (p->host != CE_NIL)
        ce->hosts[p->host].nbusy--;
    p->busy = false;
    p->host = CE_NIL;
    p->next = ce->free_slot;
    ce->free_slot = s;
    /* Regrow after a local shortage lowered the cap: one per completion. */
    if (ce->cap_now < ce->nslots)
        ce->cap_now++;
}

/* Out of the host's FIFO and back on the free list. */
void ce_slot_drop(struct ce *ce, uint32_t s)
{
    struct ce_slot *p = &ce->slots[s];
    struct ce_host *h = &ce->hosts[p->host];
    if (p->lost) {
        p->lost = false;
        h->nlost--;
        ce->nlost--;
    }
    if (h->mark == s)
        h->mark = p->next;
    if (p->prev == CE_NIL)
        h->fifo_head = p->next;
    else
        ce->slots[p->prev].next = p->next;
    if (p->next == CE_NIL)
        h->fifo_tail = p->prev;
    else
        ce->slots[p->next].prev = p->prev;
    h->ninflight--;
    ce_slot_release(ce, s);
}

void ce_cancel_inflight(struct ce *ce, struct ce_host *h)
{
    while (h->fifo_head != CE_NIL) {
        uint32_t s = h->fifo_head;
        ce_slot_close(&ce->slots[s]);
        ce_slot_drop(ce, s);
    }
}
