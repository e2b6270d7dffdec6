/*
 * raw_resume.c — --resume in the raw engine (core/scan_pos.h): where the
 * walk starts again, the answers of the interrupted run taken as received,
 * and where it stood when a signal stopped it.
 *
 * Exactness. The permutation is a function of the seed and the target
 * and port lists (all in the resume file and checked by its checksum), so
 * sender t's position q names the same probes in both runs. Probes before
 * the position in the pass reached are not sent again; probes answered
 * before the stop are decided (their bits set here), so the retry passes
 * skip them just as they would have; probes sent and not answered are
 * retried by the next pass, as they would have been. A reply that was on
 * the wire when the signal came is lost with the process: its probe is
 * retried (with --max-retries 0 it ends filtered), the only difference
 * from an uninterrupted run.
 */
#include "engine/raw/raw_internal.h"

#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>

static const struct scan_pos *from(const struct raw_ctx *c)
{
    const struct scan_resume *r = c->job->resume;
    return r && r->from.valid ? &r->from : NULL;
}

/* The entry of (port, proto) in the probe list, or -1. */
static int64_t entry_of(const struct raw_ctx *c, uint16_t port, uint8_t proto)
{
    for (int g = 0; g < c->ngroups; g++) {
        const struct raw_group *gr = &c->groups[g];
        if (gr->count == 0 || c->probes[gr->first].proto != proto)
            continue;
        int64_t e = raw_probe_index(c->probes, gr->first, gr->count, port);
        if (e >= 0)
            return e;
    }
    return -1;
}

int raw_resume_preload(struct raw_ctx *c, struct raw_results *res, char *err, size_t errlen)
{
    const struct scan_resume *r = c->job->resume;
    const struct scan_pos *f = from(c);
    if (!f)
        return 0;
    c->rr.armed = true;
    c->rr.done = f->pass == SCAN_POS_DONE;
    c->rr.pending = f->pending;
    uint64_t taken = 0;
    for (size_t i = 0; i < r->npartial; i++) {
        const struct host_result *h = &r->partial[i];
        uint64_t ai;
        if (target_set_index_of(c->job->targets, &h->addr, &ai) != 0 || ai >= c->naddrs)
            continue; /* not a target of these arguments: the checksum makes it rare */
        for (size_t k = 0; k < h->nports; k++) {
            const struct port_result *p = &h->ports[k];
            int64_t e = entry_of(c, p->port, p->proto);
            if (e < 0)
                continue;
            uint64_t x = (uint64_t)e * c->naddrs + ai;
            struct raw_reply rep = {.addr_idx = ai,
                                    .entry = (uint32_t)e,
                                    .state = p->state,
                                    .reason = p->reason,
                                    .ttl = p->reason_ttl,
                                    .rtt_us = -1};
            if (p->detail && p->detail->have_reason_ip) {
                rep.flags |= RAW_REPLY_FROM;
                rep.from = p->detail->reason_ip;
            }
            if (raw_results_add(res, &rep) < 0)
                return raw_fail(err, errlen, "--resume: out of memory");
            if (c->decided)
                atomic_fetch_or_explicit(&c->decided[x / 64], 1ULL << (x % 64),
                                         memory_order_relaxed);
            taken++;
        }
    }
    log_debug("raw",
              "resume: pass %" PRIu32 ", group %" PRIu64 ", %" PRIu64 " answers of %zu hosts taken",
              f->pass, f->group, taken, r->npartial);
    return 0;
}

int raw_resume_first_pass(const struct raw_ctx *c)
{
    const struct scan_pos *f = from(c);
    if (!c->rr.armed || !f)
        return 0;
    return f->pass >= SCAN_POS_PACING ? INT32_MAX : (int)f->pass;
}

uint64_t raw_resume_first_group(const struct raw_ctx *c)
{
    const struct scan_pos *f = from(c);
    return c->rr.armed && f ? f->group : 0;
}

uint64_t raw_resume_start_pos(const struct raw_ctx *c, unsigned t)
{
    const struct scan_pos *f = from(c);
    if (!c->rr.armed || !f || f->pass >= SCAN_POS_PACING)
        return 0;
    if (f->nsenders == c->nsenders && t < f->nsenders)
        return f->pos[t];
    /* Another sender count (a machine with other CPUs picked another
     * default): from the lowest shard position any sender had reached,
     * sender t's own walk. The probes between that and where the faster
     * senders were are sent again. */
    uint64_t low = UINT64_MAX;
    for (uint32_t k = 0; k < f->nsenders && k < SCAN_POS_MAX_SENDERS; k++) {
        uint64_t p = f->pos[k] * f->nsenders + k;
        if (p < low)
            low = p;
    }
    if (low == UINT64_MAX || low <= t)
        return 0;
    return (low - t + c->nsenders - 1) / c->nsenders;
}

void raw_resume_note_done(struct raw_ctx *c)
{
    struct scan_resume *r = c->job->resume;
    if (!r)
        return;
    r->keeps_partial = true;
    r->reached = (struct scan_pos){
        .valid = true, .pass = SCAN_POS_DONE, .nsenders = c->nsenders ? c->nsenders : 1};
}

void raw_resume_note(struct raw_ctx *c, uint64_t decided)
{
    struct scan_resume *r = c->job->resume;
    if (!r)
        return;
    struct scan_pos *p = &r->reached;
    r->keeps_partial = true;
    *p = (struct scan_pos){.valid = true};
    p->group = c->sched.on ? c->sched.group : 0;
    if (c->rr.done) {
        raw_resume_note_done(c); /* still over */
        return;
    } else if (c->rr.pacing) {
        p->pass = SCAN_POS_PACING;
    } else if (c->rr.armed) {
        /* Stopped before the resumed pass even started: where it was. */
        *p = *from(c);
        return;
    } else {
        p->pass = (uint32_t)atomic_load(&c->pass);
    }
    p->nsenders = c->nsenders < SCAN_POS_MAX_SENDERS ? c->nsenders : SCAN_POS_MAX_SENDERS;
    for (uint32_t t = 0; t < p->nsenders; t++)
        p->pos[t] = atomic_load(&c->snd[t].pos);
    p->pending = c->rr.expected > decided ? c->rr.expected - decided : 0;
}
