/*
 * raw_tx.c — the sender thread: one pass over this shard of the permuted
 * (address x port) space, paced by the token bucket, in batches of frames
 * that each need only pkt_patch (addresses, ports, cookie seq/ack, IP ID,
 * checksums) on a buffer that already holds the template. Per probe: one
 * Feistel map (amortised over 8), one target lookup, one SipHash, one patch;
 * no locks, no allocation.
 */
#include "engine/raw_internal.h"

#include "core/log.h"
#include "core/rate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define TX_MAX_SLEEP_NS 50000000 /* recheck Ctrl-C and the rate at least this often */

int raw_tx_template(struct raw_ctx *c, struct raw_fam *f, char *err, size_t errlen)
{
    struct pkt_tcp_params p;
    memset(&p, 0, sizeof(p));
    p.family = (uint8_t)f->family;
    p.eth = tx_wants_ethernet(f->method, &f->ri);
    memcpy(p.src_mac, f->ri.src_mac, 6);
    memcpy(p.dst_mac, f->ri.next_mac, 6);
    /* TTL 64, the Linux default, rather than nmap's random 37-59: the
     * template's IPv4 checksum is precomputed, and a fixed common value
     * makes probes look like the host's own traffic. */
    p.ttl = 64;
    p.tcp_flags = c->probe_flags;
    p.window = 1024; /* nmap's SYN-scan window */
    if (c->probe_flags & PKT_TCP_SYN) {
        p.tcp_options = (const uint8_t *)PKT_TCP_OPT_MSS1460;
        p.tcp_options_len = 4;
    }
    if (pkt_template_init(&f->tpl, &p) < 0) {
        snprintf(err, errlen, "cannot build the probe template for %s",
                 f->family == AF_INET6 ? "IPv6" : "IPv4");
        return -1;
    }
    return 0;
}

/* Per-family batch under construction. */
struct tx_batch {
    struct raw_fam *fam;
    uint8_t *buf; /* RATE_BATCH_MAX frames of tpl.len bytes, template-filled */
    uint8_t *frames[RATE_BATCH_MAX];
    uint16_t lens[RATE_BATCH_MAX];
    struct ipaddr dsts[RATE_BATCH_MAX];
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

static void warn_unroutable(struct raw_ctx *c, const struct ipaddr *dst, int e)
{
    if (c->n_unroutable++ >= TX_MAX_WARNINGS || ipaddr_equal(dst, &c->last_unroutable))
        return;
    c->last_unroutable = *dst;
    char a[IPADDR_STRLEN];
    log_warn("raw", "no route to %s (%s): its probes are skipped%s", ipaddr_str(dst, a, sizeof(a)),
             strerror(e),
             c->n_unroutable == TX_MAX_WARNINGS ? "; further such warnings hidden" : "");
}

/* Push a family's batch out. A full kernel queue (ENOBUFS/EAGAIN) is waited
 * out; anything else ends the pass with the error recorded. */
static int flush(struct raw_ctx *c, struct tx_batch *b)
{
    unsigned done = 0;
    int spins = 0;
    while (done < b->n) {
        int k = tx_send(b->fam->tx, b->frames + done, b->lens + done, b->dsts + done, b->n - done);
        if (k > 0) {
            done += (unsigned)k;
            spins = 0;
            continue;
        }
        if (k == 0 || errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
            if (++spins > 20000) { /* ~2 s of a queue that never drains */
                c->tx_errno = ENOBUFS;
                snprintf(c->tx_err, sizeof(c->tx_err), "send on %s: queue stuck",
                         b->fam->ri.ifname);
                return -1;
            }
            sleep_ns(100000);
            continue;
        }
        if (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EHOSTDOWN ||
            errno == EINVAL) {
            /* Raw socket: the kernel has no route for this one. Skip it, and
             * say so, as nmap scans the targets it can reach. */
            warn_unroutable(c, &b->dsts[done], errno);
            done++;
            continue;
        }
        c->tx_errno = errno;
        snprintf(c->tx_err, sizeof(c->tx_err), "send on %s: %s", b->fam->ri.ifname,
                 strerror(errno));
        return -1;
    }
    atomic_fetch_add_explicit(&c->tx_sent, b->n, memory_order_relaxed);
    b->n = 0;
    return 0;
}

static int batch_init(struct tx_batch *b, struct raw_fam *f)
{
    memset(b, 0, sizeof(*b));
    if (!f->used)
        return 0;
    b->fam = f;
    b->buf = malloc((size_t)RATE_BATCH_MAX * f->tpl.len);
    if (!b->buf)
        return -1;
    for (unsigned i = 0; i < RATE_BATCH_MAX; i++) {
        b->frames[i] = b->buf + (size_t)i * f->tpl.len;
        b->lens[i] = f->tpl.len;
        memcpy(b->frames[i], f->tpl.frame, f->tpl.len);
    }
    return 0;
}

/* Write probe (dst, port) into the family's next slot. */
static void add_probe(struct raw_ctx *c, struct tx_batch *b, const struct ipaddr *dst,
                      uint16_t port)
{
    struct raw_fam *f = b->fam;
    struct cookie_probe cp = cookie_probe(&c->cookie, &f->ri.src, dst, port);
    struct pkt_tcp_probe p = {
        .src = f->ri.src,
        .dst = *dst,
        .sport = cp.sport,
        .dport = port,
        .seq = cp.seq,
        /* A SYN carries ack 0 as every stack's does; ACK probes carry the
         * cookie that the RST's seq will echo. */
        .ack = (c->probe_flags & PKT_TCP_ACK) ? cp.ack : 0,
        .ip_id = (uint16_t)(cp.ack >> 16),
    };
    pkt_patch(&f->tpl, b->frames[b->n], &p);
    b->dsts[b->n] = *dst;
    b->n++;
}

void *raw_tx_main(void *arg)
{
    struct raw_ctx *c = arg;
    int pass = atomic_load(&c->pass);
    /* Default timer slack (50 us) would blur 100 us sleeps at 10 kpps. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    struct tx_batch b[2];
    if (batch_init(&b[0], &c->fam[0]) < 0 || batch_init(&b[1], &c->fam[1]) < 0) {
        c->tx_errno = ENOMEM;
        snprintf(c->tx_err, sizeof(c->tx_err), "out of memory for send buffers");
        goto out;
    }
    struct permute_iter it;
    permute_iter_init(&it, &c->perm, c->shard, c->nshards);
    struct rate_bucket rb;
    double rate = load_rate(c);
    rate_bucket_init(&rb, rate, raw_now_ns());
    uint64_t sent = 0, vals[PERMUTE_BATCH];
    size_t nv = 0, vi = 0;
    bool exhausted = false;
    const struct target_set *set = c->scan->targets;
    while (!exhausted && !scan_stopping(c->scan)) {
        int64_t now = raw_now_ns(), wait;
        double r = load_rate(c);
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
            permute_split(x, c->naddrs, &ai, &pi);
            if (c->nskip && raw_skipped(c->skip, c->nskip, ai))
                continue;
            struct target t;
            if (target_set_at(set, ai, &t) < 0 || target_set_is_excluded(set, &t.addr))
                continue;
            struct tx_batch *fb = &b[t.addr.family == AF_INET6];
            if (!fb->fam)
                continue;
            add_probe(c, fb, &t.addr, c->ports[pi]);
            got++;
        }
        if (pass == 0 && got > 0) {
            /* Stamp the batch for RTT samples (see raw_rx.c). */
            uint64_t k = atomic_load_explicit(&c->nstamps, memory_order_relaxed);
            struct raw_stamp *s = &c->stamps[k % RAW_STAMPS];
            atomic_store_explicit(&s->pos, UINT64_MAX, memory_order_relaxed);
            atomic_store_explicit(&s->t_ns, raw_now_ns(), memory_order_release);
            atomic_store_explicit(&s->pos, first_pos, memory_order_release);
            atomic_store_explicit(&c->nstamps, k + 1, memory_order_release);
        }
        /* Unused tokens (skipped probes) go back: the rate counts frames. */
        rb.tokens += want - got;
        for (int f = 0; f < 2; f++)
            if (b[f].n && flush(c, &b[f]) < 0)
                goto out;
        sent += got;
        atomic_store_explicit(&c->tx_pos, it.pos - (nv - vi), memory_order_relaxed);
    }
    if (pass == 0)
        c->sent_pass0 = sent;
out:
    free(b[0].buf);
    free(b[1].buf);
    atomic_store_explicit(&c->tx_done, true, memory_order_release);
    return NULL;
}
