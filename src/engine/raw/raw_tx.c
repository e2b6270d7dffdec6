/*
 * raw_tx.c — the probe templates (one per family and module: TCP, UDP,
 * ICMP) and the sender thread: one pass over this shard of the permuted
 * (address x probe) space, paced by the token bucket, in batches of frames
 * that each need only a patch (addresses, ports, cookie fields, IP ID,
 * checksums; a UDP probe also its payload) on a slot that already holds
 * the template of that module. Per probe: one Feistel map (amortised over
 * 8), one multiply-based split (no division), one target lookup, one lane
 * of a batch of SipHashes, one patch; no locks, no atomics, no allocation.
 */
#include "engine/raw/raw_internal.h"
#include "core/clock.h"
#include "engine/raw/raw_pace.h"

#include "core/log.h"
#include "core/rate.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define TX_MAX_SLEEP_NS 50000000 /* recheck Ctrl-C and the rate at least this often */

int raw_tx_template(struct raw_ctx *c, struct raw_fam *f, char *err, size_t errlen)
{
    const char *fam = f->family == AF_INET6 ? "IPv6" : "IPv4";
    /* TTL 64, the Linux default, rather than nmap's random 37-59: the
     * templates' IPv4 checksums are precomputed, and a fixed common value
     * makes probes look like the host's own traffic. */
    f->ip = (struct ip_settings){.ttl = 64, .src = f->ri.src};
    struct probe_setup su = {
        .family = f->family,
        .eth = tx_wants_ethernet(f->method, &f->ri),
        .src_mac = f->ri.src_mac,
        .dst_mac = f->ri.next_mac,
        .ip = &f->ip,
    };
    size_t slot = 0;
    for (int g = 0; g < c->ngroups; g++) {
        const struct raw_group *gr = &c->groups[g];
        const struct probe_kind *k = gr->kind;
        struct probe_tpl *t = &f->tpl[g];
        memset(t, 0, sizeof(*t));
        t->kind = k;
        if (k->ipv4_only && f->family == AF_INET6)
            continue; /* e.g. no ICMPv6 timestamp/netmask: not sent over IPv6 */
        su.tcp_flags = gr->tcp_flags;
        su.os_seq1 = c->job->os_passive && f->family == AF_INET;
        if (k->prepare(t, &su) < 0) {
            snprintf(err, errlen, "cannot build the %s probe template for %s", gr->mod->name, fam);
            return -1;
        }
        t->ok = true;
        if (t->frame_len > slot)
            slot = t->frame_len;
        if (!k->payloads || gr->mod->no_payloads)
            continue;
        if (!f->payload) {
            /* The pointers and their counts in one block, so that the
             * engine's free(f->payload) releases both. */
            size_t ptrs = (size_t)c->nentries * sizeof(*f->payload);
            f->payload = calloc(1, ptrs + (size_t)c->nentries * sizeof(*f->npayload));
            if (!f->payload) {
                snprintf(err, errlen, "raw scan: out of memory");
                return -1;
            }
            f->npayload = (uint16_t *)((uint8_t *)f->payload + ptrs);
        }
        for (uint32_t e = gr->first; e < gr->first + gr->count; e++) {
            size_t len =
                k->payloads(t, c->payloads, c->probes[e].port, &f->payload[e], &f->npayload[e]);
            if (len > slot)
                slot = len;
        }
    }
    f->slot_len = (uint16_t)(slot ? slot : 1);
    cookie_src_init(&f->csrc, &c->cookie, &f->ri.src);
    return 0;
}

int raw_probe_frame(const struct raw_ctx *c, const struct raw_fam *f, uint32_t e,
                    const struct ipaddr *dst, uint8_t *buf, int8_t *holds)
{
    return raw_probe_frame_try(c, f, e, dst, buf, holds,
                               (unsigned)atomic_load_explicit(&c->pass, memory_order_relaxed));
}

int raw_probe_frame_try(const struct raw_ctx *c, const struct raw_fam *f, uint32_t e,
                        const struct ipaddr *dst, uint8_t *buf, int8_t *holds, unsigned try)
{
    const struct raw_probe *pr = &c->probes[e];
    uint64_t h = f->tpl[pr->group].kind->port_cookie ? cookie_hash_src(&f->csrc, dst, pr->port) : 0;
    return raw_probe_frame_hashed(c, f, e, dst, buf, holds, try, h);
}

int raw_probe_frame_hashed(const struct raw_ctx *c, const struct raw_fam *f, uint32_t e,
                           const struct ipaddr *dst, uint8_t *buf, int8_t *holds, unsigned try,
                           uint64_t h)
{
    const struct raw_probe *pr = &c->probes[e];
    const struct probe_tpl *t = &f->tpl[pr->group];
    if (!t->ok)
        return -1;
    struct probe_make m = {
        .cookie = &c->cookie,
        .dst = dst,
        .dport = pr->port,
        .hash = h,
        .payload = NULL,
    };
    /* Several payloads for a port (UDP): try k sends the k-th, round robin. */
    if (f->npayload && f->npayload[e])
        m.payload = &f->payload[e][try % f->npayload[e]];
    bool loaded = *holds == (int8_t)pr->group;
    *holds = (int8_t)pr->group;
    return t->kind->make(t, &m, buf, f->slot_len, loaded);
}

/*
 * Per-family batch under construction, in two steps: the permutation walk
 * fills dsts/ents/ports (add_probe), then build_frames() hashes every
 * cookie of the batch at once (cookie_hash_src_batch) and patches the
 * slots.
 */
struct tx_batch {
    struct raw_fam *fam;
    uint8_t *buf; /* RATE_BATCH_MAX slots of fam->slot_len bytes */
    uint8_t *frames[RATE_BATCH_MAX];
    uint16_t lens[RATE_BATCH_MAX];
    int8_t holds[RATE_BATCH_MAX]; /* group whose template each slot holds, -1 none */
    struct ipaddr dsts[RATE_BATCH_MAX];
    uint32_t ents[RATE_BATCH_MAX];  /* probe list entry of each slot */
    uint16_t ports[RATE_BATCH_MAX]; /* its destination port (0 for ICMP kinds) */
    uint64_t hash[RATE_BATCH_MAX];  /* its cookie hash */
    unsigned n;
};

static double load_rate(const struct raw_ctx *c)
{
    uint64_t bits = atomic_load_explicit(&c->rate_bits, memory_order_relaxed);
    double r;
    memcpy(&r, &bits, sizeof(r));
    return r;
}

static void sleep_ns(int64_t ns)
{
    if (ns > TX_MAX_SLEEP_NS)
        ns = TX_MAX_SLEEP_NS;
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

#define TX_MAX_WARNINGS 10

static void warn_unroutable(struct raw_sender *s, const struct ipaddr *dst, int e)
{
    if (s->n_unroutable++ >= TX_MAX_WARNINGS || ipaddr_equal(dst, &s->last_unroutable))
        return;
    s->last_unroutable = *dst;
    char a[IPADDR_STRLEN];
    log_warn("raw", "no route to %s (%s): its probes are skipped%s", ipaddr_str(dst, a, sizeof(a)),
             strerror(e),
             s->n_unroutable == TX_MAX_WARNINGS ? "; further such warnings hidden" : "");
}

/* Push frames out. A full kernel queue (ENOBUFS/EAGAIN) is waited out;
 * anything else ends the pass with the error recorded. */
int raw_tx_flush(struct raw_sender *s, const struct raw_fam *f, uint8_t *const frames[],
                 const uint16_t lens[], const struct ipaddr dsts[], unsigned n)
{
    unsigned done = 0;
    int spins = 0;
    struct tx *tx = s->tx[f->slot];
    while (done < n) {
        int k = tx_send(tx, frames + done, lens + done, dsts + done, n - done);
        if (k > 0) {
            done += (unsigned)k;
            spins = 0;
            continue;
        }
        if (k == 0 || errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
            if (++spins > 20000) { /* ~2 s of a queue that never drains */
                s->tx_errno = ENOBUFS;
                snprintf(s->tx_err, sizeof(s->tx_err), "send on %s: queue stuck", f->ri.ifname);
                return -1;
            }
            sleep_ns(100000);
            continue;
        }
        if (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EHOSTDOWN ||
            errno == EINVAL) {
            /* Raw socket: the kernel has no route for this one. Skip it, and
             * say so, as nmap scans the targets it can reach. */
            warn_unroutable(s, &dsts[done], errno);
            done++;
            continue;
        }
        s->tx_errno = errno;
        snprintf(s->tx_err, sizeof(s->tx_err), "send on %s: %s", f->ri.ifname, strerror(errno));
        return -1;
    }
    atomic_fetch_add_explicit(&s->ctx->tx_sent, n, memory_order_relaxed);
    return 0;
}

static int flush(struct raw_sender *s, struct tx_batch *b)
{
    int rc = raw_tx_flush(s, b->fam, b->frames, b->lens, b->dsts, b->n);
    b->n = 0;
    return rc;
}

int raw_tx_slots(const struct raw_fam *f, uint8_t **buf, uint8_t *frames[RATE_BATCH_MAX],
                 int8_t holds[RATE_BATCH_MAX])
{
    *buf = malloc((size_t)RATE_BATCH_MAX * f->slot_len);
    if (!*buf)
        return -1;
    for (unsigned i = 0; i < RATE_BATCH_MAX; i++) {
        frames[i] = *buf + (size_t)i * f->slot_len;
        holds[i] = -1;
    }
    return 0;
}

static int batch_init(struct tx_batch *b, struct raw_fam *f)
{
    memset(b, 0, sizeof(*b));
    if (!f->used)
        return 0;
    b->fam = f;
    return raw_tx_slots(f, &b->buf, b->frames, b->holds);
}

/* Queue probe (dst, entry) in the family's next slot; false (nothing
 * queued) when the family has no template for the entry's kind. */
static bool add_probe(const struct raw_ctx *c, struct tx_batch *b, const struct ipaddr *dst,
                      uint32_t e)
{
    const struct raw_probe *pr = &c->probes[e];
    if (!b->fam->tpl[pr->group].ok)
        return false;
    b->dsts[b->n] = *dst;
    b->ents[b->n] = e;
    b->ports[b->n] = pr->port;
    b->n++;
    return true;
}

/* Write the frames of the queued probes. Returns how many were dropped (a
 * patch refused: not expected, as add_probe checked the template); the
 * kept ones stay in order at the front. */
static unsigned build_frames(const struct raw_ctx *c, struct tx_batch *b, int pass)
{
    struct raw_fam *f = b->fam;
    cookie_hash_src_batch(&f->csrc, b->dsts, b->ports, b->hash, b->n);
    unsigned k = 0;
    for (unsigned i = 0; i < b->n; i++) {
        if (k != i) {
            b->dsts[k] = b->dsts[i];
            b->ents[k] = b->ents[i];
        }
        int len = raw_probe_frame_hashed(c, f, b->ents[k], &b->dsts[k], b->frames[k], &b->holds[k],
                                         (unsigned)pass, b->hash[i]);
        if (len < 0)
            continue;
        b->lens[k++] = (uint16_t)len;
    }
    unsigned dropped = b->n - k;
    b->n = k;
    return dropped;
}

/*
 * Keep this sender on one CPU: the CPU it started on, or, when another
 * sender of this scan holds that one, the first free CPU it may use.
 * Returns true if pinned; *allowed is then the set to return to.
 *
 * Why: measured on the lab's 2-vCPU VM (bench/sender.sh), an unpinned
 * sender was moved between CPUs whenever the receiver, the aggregator or
 * anything else woke on its CPU, and a pass of 2M probes ran 0.9-1.6 s,
 * against 0.87-1.02 s pinned; masscan and ZMap pin their threads too. The
 * CPU it starts on, rather than a fixed one, keeps two scans on one machine
 * off each other's CPU. Not pinned when the scan may use no more CPUs than
 * it has senders (the receivers need somewhere to run), on CPUs past 63
 * (the claim mask), or once c->unpin is set (below).
 */
static bool pin_sender(const struct raw_sender *s, cpu_set_t *allowed)
{
    struct raw_ctx *c = s->ctx;
    if (atomic_load_explicit(&c->unpin, memory_order_relaxed) ||
        sched_getaffinity(0, sizeof(*allowed), allowed) < 0 ||
        CPU_COUNT(allowed) <= (int)c->nsenders)
        return false;
    int cpu = sched_getcpu();
    for (int tries = 0; tries < 2; tries++) {
        if (cpu < 0 || cpu >= 64 || !CPU_ISSET(cpu, allowed) ||
            (atomic_fetch_or(&c->cpus_claimed, 1ULL << cpu) >> cpu & 1)) {
            /* Taken or unusable: the first allowed CPU nobody holds. */
            uint64_t held = atomic_load(&c->cpus_claimed);
            cpu = -1;
            for (int i = 0; i < 64; i++)
                if (CPU_ISSET(i, allowed) && !(held >> i & 1)) {
                    cpu = i;
                    break;
                }
            continue;
        }
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) != 0)
            return false;
        log_debug("raw", "sender %u pinned to CPU %d", s->id, cpu);
        return true;
    }
    return false;
}

/*
 * Undo pin_sender() once the aggregator sets c->unpin: when most probes
 * draw a reply, the kernel's receive work for the replies (on a veth, the
 * target's too) runs in softirq on the sender's CPU, and a pinned sender
 * can no longer move away from it while the other CPUs idle. Measured on
 * the lab's /17 x 3 ports, every probe answered: 505k probes/s unpinned,
 * 300-360k pinned.
 */
static void unpin_sender(const struct raw_sender *s, bool *pinned, const cpu_set_t *allowed)
{
    if (!*pinned || !atomic_load_explicit(&s->ctx->unpin, memory_order_relaxed))
        return;
    if (pthread_setaffinity_np(pthread_self(), sizeof(*allowed), allowed) == 0)
        log_debug("raw", "sender %u unpinned: most probes draw replies", s->id);
    *pinned = false;
}

void *raw_tx_main(void *arg)
{
    struct raw_sender *s = arg;
    struct raw_ctx *c = s->ctx;
    int pass = atomic_load(&c->pass);
    /* Default timer slack (50 us) would blur 100 us sleeps at 10 kpps. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    char name[16];
    snprintf(name, sizeof(name), "prtip-tx%u", s->id);
    prctl(PR_SET_NAME, name, 0, 0, 0); /* for top -H and perf */
    cpu_set_t allowed;
    bool pinned = pin_sender(s, &allowed);
    struct tx_batch b[RAW_MAX_ROUTES];
    const int nb = c->nfam; /* a batch per way out */
    memset(b, 0, sizeof(b));
    for (int f = 0; f < nb; f++)
        if (batch_init(&b[f], &c->fam[f]) < 0) {
            s->tx_errno = ENOMEM;
            snprintf(s->tx_err, sizeof(s->tx_err), "out of memory for send buffers");
            goto out;
        }
    /* This sender's share: a shard of the shard (struct raw_sender). */
    struct permute_iter it;
    permute_iter_init(&it, &c->perm, c->shard + s->id * c->nshards, c->nshards * c->nsenders);
    /* --resume: the caller set where the interrupted run stood (else 0). */
    permute_iter_seek(&it, atomic_load_explicit(&s->pos, memory_order_relaxed));
    struct rate_bucket rb;
    double rate = load_rate(c) / c->nsenders;
    rate_bucket_init(&rb, rate, clock_mono_ns());
    uint64_t sent = 0, vals[PERMUTE_BATCH];
    size_t nv = 0, vi = 0;
    bool exhausted = false;
    const struct target_set *set = c->job->targets;
    /* x -> (address, entry) by multiplication: a 64-bit DIV per probe was
     * the costliest instruction of this loop (core/permute.h). */
    struct permute_divisor naddrs_div;
    permute_divisor_init(&naddrs_div, c->naddrs);
    while (!exhausted && !job_stopping(c->job->stop) &&
           !atomic_load_explicit(&c->tx_abort, memory_order_relaxed)) {
        unpin_sender(s, &pinned, &allowed);
        int64_t now = clock_mono_ns(), wait;
        double r = load_rate(c) / c->nsenders;
        if (r != rate) {
            rate_bucket_set(&rb, r, now);
            rate = r;
        }
        uint32_t want = rate_bucket_take(&rb, now, rb.batch, &wait);
        if (want == 0) {
            sleep_ns(wait);
            continue;
        }
        uint64_t first_pos = it.pos - (nv - vi);
        uint32_t got = 0;
        while (got < want) {
            if (vi == nv) {
                nv = permute_iter_next_batch(&it, vals, PERMUTE_BATCH);
                vi = 0;
                if (nv == 0) {
                    exhausted = true;
                    break;
                }
            }
            uint64_t x = vals[vi++];
            if (pass > 0 && raw_decided(c, x))
                continue;
            uint64_t ai, pi;
            permute_split_fast(x, &naddrs_div, &ai, &pi);
            if (c->nskip && raw_skipped(c->skip, c->nskip, ai))
                continue;
            /* A paced host's UDP probes are retried by raw_pace.c only. */
            if (pass > 0 && c->pace && raw_entry_is_udp(c, (uint32_t)pi) &&
                raw_pace_has(c->pace, ai))
                continue;
            struct ipaddr dst;
            if (target_set_addr_at(set, ai, &dst) != 0)
                continue;
            struct tx_batch *fb = &b[raw_slot_of(c, ai, &dst)];
            if (!fb->fam || !add_probe(c, fb, &dst, (uint32_t)pi))
                continue;
            got++;
        }
        for (int f = 0; f < nb; f++)
            if (b[f].n)
                got -= build_frames(c, &b[f], pass);
        /* Stamp the batch for RTT samples (see raw_rx.c): published before
         * the send, so a reply processed during it finds its batch; t0
         * right before tx_send, after the frames are built, and t1 right
         * after it returns. */
        struct raw_stamp *st = NULL;
        if (pass == 0 && got > 0) {
            uint64_t k = atomic_load_explicit(&s->nstamps, memory_order_relaxed);
            st = &s->stamps[k % RAW_STAMPS];
            atomic_store_explicit(&st->pos, UINT64_MAX, memory_order_relaxed);
            atomic_store_explicit(&st->end, it.pos - (nv - vi), memory_order_relaxed);
            atomic_store_explicit(&st->t1, 0, memory_order_relaxed);
            atomic_store_explicit(&st->t0, rx_clock_ns(), memory_order_release);
            atomic_store_explicit(&st->pos, first_pos, memory_order_release);
            atomic_store_explicit(&s->nstamps, k + 1, memory_order_release);
        }
        /* Unused tokens (skipped probes) go back: the rate counts frames. */
        rb.tokens += want - got;
        for (int f = 0; f < nb; f++)
            if (b[f].n && flush(s, &b[f]) < 0)
                goto out;
        if (st)
            atomic_store_explicit(&st->t1, rx_clock_ns(), memory_order_release);
        sent += got;
        atomic_store_explicit(&s->pos, it.pos - (nv - vi), memory_order_relaxed);
    }
    if (pass == 0)
        s->sent_pass0 = sent;
out:
    for (int f = 0; f < RAW_MAX_ROUTES; f++)
        free(b[f].buf);
    atomic_store_explicit(&s->done, true, memory_order_release);
    return NULL;
}
