/*
 * raw_internal.h — internals of the raw engine, shared by raw_engine.c
 * (setup, passes, cooldown, dry run), raw_tx.c (sender thread), raw_rx.c
 * (receiver threads) and raw_results.c (aggregation and delivery). Not a
 * public contract; tests/unit/test_raw_engine.c uses the results part.
 *
 * Threads and what they own:
 *   senders   1..RAW_MAX_SENDERS (--sender-threads), each with its own
 *             sockets, its part of the permutation walk, frame buffers and
 *             token bucket (its share of the rate); each writes its own
 *             struct raw_sender and tx_sent; reads rate_bits and the decided
 *             bits;
 *   receiver  one per interface of a way out (struct raw_fam): parse,
 *             cookie check, classify, dedupe (the decided bitmap's writers,
 *             by atomic OR: a reply reaches one interface), push to its ring;
 *   caller    drains the rings into struct raw_results, runs the rate
 *             controller and the status line, sequences passes, runs the
 *             paced UDP rounds (raw_pace.c, sending itself through sender
 *             0's sockets while the sender threads are stopped), delivers.
 * Everything shared is in struct raw_ctx and is either read-only after
 * setup or a C11 atomic; there are no locks.
 */
#ifndef PRTIP_ENGINE_RAW_INTERNAL_H
#define PRTIP_ENGINE_RAW_INTERNAL_H

#include "core/permute.h"
#include "core/rate.h"
#include "core/rtt.h"
#include "core/stream.h"
#include "engine/raw/raw_engine.h"
#include "engine/raw/raw_ring.h"
#include "net/cookie.h"
#include "net/io.h"
#include "net/packet.h"
#include "net/route.h"
#include "scan/probe_kind.h"
#include "scan/scan_module.h"
#include "scan/udp_payloads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RAW_SPORT_BASE  40000 /* probes leave from 40000-60999 unless -g */
#define RAW_SPORT_COUNT 21000
#define RAW_RING_SIZE   65536 /* replies in flight to the aggregator, per receiver */
#define RAW_STAMPS      65536 /* send-time records (one per batch) kept for RTT samples */
#define RAW_MAX_ROUTES  8     /* ways out (struct raw_fam): each family's own, and 6 more */
#define RAW_MAX_RX      RAW_MAX_ROUTES /* a receiver per interface of a way out */
#define RAW_MAX_SENDERS 16

#define RAW_MAX_GROUPS RAW_JOB_MAX_TYPES

/*
 * The probe list: what is sent to every address. The index space is
 * naddrs x nentries, x -> (addr_idx = x % naddrs, entry = x / naddrs), as
 * permute_split() says. Entries come in groups, one per module, each group's
 * ports ascending; groups are ordered by their kind's order (TCP, UDP, then
 * ICMP kinds: scan/probe_kind.h), so that results list tcp ports before udp
 * ports as nmap does, and the entries of the icmp_paced kind (UDP) are one
 * contiguous range (the pacing of raw_pace.c works on it). For
 * "-sS -sU -p T:80,U:53" the list is {syn 80/tcp, udp 53/udp}. A discovery
 * probe is an entry of an ICMP kind with port 0 ({icmp_echo, 0}).
 */
struct raw_probe {
    const struct scan_module *mod;
    uint16_t port; /* destination port; 0 for ICMP kinds */
    uint8_t proto; /* enum port_proto of the port result */
    uint8_t group; /* index in raw_ctx.groups */
};

struct raw_group {
    const struct scan_module *mod;
    const struct probe_kind *kind; /* the module's (never NULL) */
    uint8_t tcp_flags;             /* TCP kinds: the module's flags or --scanflags */
    uint32_t first, count;         /* entries [first, first + count), ports ascending */
};

/*
 * One way out: a route (interface and source address) that a group of
 * targets shares, with its send method, packet templates and cookie
 * source. Slots 0 and 1 are each family's main route (that of its first
 * target that is not one of our own addresses); targets whose route has
 * another interface or source (other links, the scanner's own addresses
 * through loopback, 127.0.0.1 among other targets) get slots 2 and up,
 * found through struct raw_ctx's route maps. Everything here is resolved
 * once, before sending: no route lookup per packet.
 */
struct raw_fam {
    bool used;
    int family;
    int slot; /* index in raw_ctx.fam[] (the senders' sockets are per slot) */
    struct route_info ri;
    enum send_method method;
    struct ip_settings ip;                /* every probe's IP layer (net/packet.h) */
    struct probe_tpl tpl[RAW_MAX_GROUPS]; /* per group: its kind's prepared packet */
    uint16_t slot_len;                    /* longest frame of any entry: the size of a send slot */
    /* Payloads per entry (kinds with probe_kind.payloads: UDP): payload[e]
     * is entry e's first of npayload[e] (NULL and 0 for other kinds; both
     * NULL when no kind of the scan has payloads). One allocation:
     * npayload lives in payload's block, freed with it. */
    const struct udp_payload **payload;
    uint16_t *npayload;
    struct cookie_src csrc; /* ri.src's share of every probe's cookie (net/cookie.h) */
};

/*
 * When a batch of pass 0 went out: shard positions [pos, end) were handed
 * to tx_send at t0 and all sent by t1 (0 while that send still runs). In
 * rx_clock_ns()'s clock (CLOCK_REALTIME), the clock of the kernel's receive
 * timestamps, so an RTT is one subtraction (net/io.h says why). A probe's
 * send time is interpolated between t0 and t1 by its position: a batch of
 * 1024 frames takes ~1.5 ms on a veth, 50 times a lab round trip.
 */
struct raw_stamp {
    _Atomic uint64_t pos, end;
    _Atomic int64_t t0, t1;
};

/*
 * One sender thread. Sender t of T walks the positions p of this shard
 * with p % T == t (permute_iter_init(shard + t * nshards, nshards * T):
 * shards of shards, so T senders together send exactly the shard), at
 * rate / T. Its "positions" below count its own walk: shard position
 * p = t + q * T for its q-th (raw_sender_of()).
 */
struct raw_sender {
    struct raw_ctx *ctx;
    unsigned id;
    struct tx *tx[RAW_MAX_ROUTES]; /* its own sockets per way out (raw_ctx.fam; NULL: unused) */
    pthread_t th;
    _Atomic uint64_t pos; /* its positions walked in this pass */
    _Atomic bool done;
    uint64_t sent_pass0; /* probes it sent in pass 0 (non-excluded), after join */
    uint64_t n_unroutable;
    struct ipaddr last_unroutable;
    int tx_errno;
    char tx_err[160];
    struct raw_stamp *stamps; /* RAW_STAMPS entries, a ring; positions are its own */
    _Atomic uint64_t nstamps;
};

/* Address indices [lo, hi) left out: a spec with no route. */
struct raw_skip {
    uint64_t lo, hi;
    struct ipaddr first;
};

static inline bool raw_skipped(const struct raw_skip *s, size_t n, uint64_t addr_idx)
{
    for (size_t i = 0; i < n; i++) /* few: one per unroutable spec checked */
        if (addr_idx >= s[i].lo && addr_idx < s[i].hi)
            return true;
    return false;
}

/* Address indices [lo, hi) leave through raw_ctx.fam[slot]. */
struct raw_route_map {
    uint64_t lo, hi;
    int slot;
};

/* The last entry of m[0..n) with lo <= ai, or NULL. */
static inline const struct raw_route_map *raw_route_find(const struct raw_route_map *m, size_t n,
                                                         uint64_t ai)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m[mid].lo <= ai)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &m[lo - 1] : NULL;
}

struct raw_ctx;

struct raw_rxer {
    struct raw_ctx *ctx;
    struct rx *rx;
    int linktype;
    char ifname[IF_NAMESIZE];
    struct raw_ring ring;
    pthread_t th;
    bool running;
    _Atomic uint64_t kernel_drops; /* rx_stats, published by the thread */
    /* Thread-private counters, read after join. */
    uint64_t frames, valid, dupes, unmapped, ring_waits;
};

struct raw_pace;

/*
 * The schedule (raw_sched.c): nmap's per-host timing options in the
 * stateless walk. Off (on = false) unless -r, --scan-delay,
 * --max-parallelism, --max-hostgroup below the target count or
 * --host-timeout asks for it; then one sender walks, instead of the
 * permutation of the whole space, the probes of one host group at a time:
 *
 *   groups   the addresses of this shard (address index a with
 *            a % nshards == shard: a host's probes all on one machine, so
 *            its timing is one machine's) in runs of gsize, in index order
 *            (--max-hostgroup; --min-hostgroup only bounds it). Each group
 *            is a sub-run: passes, cooldowns, UDP pacing, as the whole scan
 *            is without groups. Group k's addresses are shard + j * nshards,
 *            j in [k * gsize, min((k + 1) * gsize, nmine)).
 *   order    a group of n hosts and m entries is walked by a domain index
 *            d in [0, n * m). Random (the default): a permutation of
 *            [0, n * m), split as the plain walk splits (host = v % n,
 *            entry = v / n). Rounds (-r or --scan-delay): d = r * n + i is
 *            round r, and every round probes each host once: host
 *            gperm(i), entry r with -r (ports ascending per host), else
 *            eperm((r + host) % m) (each host its own rotation of one
 *            shuffled port order).
 *   delay    --scan-delay D: a round starts no sooner than D after the
 *            last probe of the round before (of this pass or the last one),
 *            so two probes to one host, always in different rounds, are at
 *            least D apart, while the hosts of a round go at the rate.
 *   window   --max-parallelism N: the probes sent and neither answered
 *            (decided bit) nor timed out (sent + the cooldown rule's wait)
 *            are at most N: a ring of their values and send times, N long.
 *   timeout  --host-timeout: the hosts of a group start together, so they
 *            share a deadline; at it the group stops, and its hosts with a
 *            probe undecided are delivered timed out (nmap's "Skipping host
 *            ... due to host timeout").
 *
 * Positions (the RTT stamps of raw_rx.c, raw_pace.c's pass 0): a group's
 * d plus the probes of the groups before it.
 */
struct raw_sched {
    bool on;
    bool rounds, ordered;
    uint64_t nmine; /* addresses of this shard */
    uint64_t gsize; /* hosts per group */
    uint64_t ngroups;
    /* The current group. */
    uint64_t group, jlo, n;     /* group number, first j, hosts */
    uint64_t count;             /* its probes: n * nentries */
    uint64_t pos_base;          /* probes of the groups before it */
    struct permute gperm;       /* random: over n * nentries; rounds: over n */
    struct permute eperm;       /* rounds without -r: over nentries */
    int64_t delay_ns;           /* --scan-delay, 0 none */
    int64_t last_send_ns;       /* last probe sent (the delay's reference), 0 none */
    uint32_t window;            /* --max-parallelism, 0 = none */
    int64_t deadline_ns;        /* this group's --host-timeout, INT64_MAX = none */
    _Atomic int64_t timeout_ns; /* a probe's reply wait (the cooldown rule), from the aggregator */
    _Atomic bool expired;       /* the group's deadline passed */
    struct raw_skip *tmo;       /* address ranges of groups that timed out (index order) */
    size_t ntmo;
};

/*
 * --resume in this run (raw_resume.c; core/scan_pos.h): the first pass
 * run (of the first group run, with host groups) starts where the
 * interrupted run stood; the answers it was still waiting for count in
 * that group's expected answers.
 */
struct raw_resume_run {
    bool armed;        /* the next pass started is job->resume->from's */
    uint64_t pending;  /* from.pending: added to the current group's expected answers */
    uint64_t expected; /* the current group's expected answers (pass-0 probes sent) */
    bool pacing;       /* the current group's passes are over (raw_pace.c runs) */
    bool done;         /* from.pass is SCAN_POS_DONE: the port scan was over */
};

struct raw_ctx {
    const struct raw_job *job;
    struct raw_probe *probes; /* the probe list (owned) */
    uint32_t nentries;
    struct raw_group groups[RAW_MAX_GROUPS];
    int ngroups;
    uint32_t udp_first, udp_end;   /* entries of icmp_paced (UDP) groups: [udp_first, udp_end) */
    struct udp_payloads *payloads; /* owned; NULL without UDP entries */
    uint64_t naddrs, nprobes;      /* nprobes = naddrs * nentries */
    struct permute perm;
    uint32_t shard, nshards;
    uint64_t shard_count; /* probes of this shard, excluded addresses included */
    struct cookie_ctx cookie;
    struct raw_fam fam[RAW_MAX_ROUTES]; /* [0] IPv4, [1] IPv6, then other routes */
    int nfam;                           /* slots in use are below it (at least 2) */
    /* Targets not on their family's main route: address index ranges
     * (sorted, disjoint: specs) and single indices (sorted: own addresses
     * inside ranges, which win over their range) -> slot. Both empty in
     * the common scan of one route, where raw_slot_of() costs a branch. */
    struct raw_route_map *rmap, *rown;
    size_t nrmap, nrown;
    bool ways_full;        /* more routes than slots: said once */
    struct raw_skip *skip; /* unroutable specs */
    size_t nskip;

    /* One bit per probe value x: decided. Written by the receivers only. */
    _Atomic uint64_t *decided;
    size_t decided_bytes;
    /* --os-passive: the first IPv4 SYN-ACK of each address index (owned,
     * NULL until one came), set once by a receiver (compare-and-swap),
     * taken by delivery. Lazily backed like decided. */
    _Atomic(struct os_synack *) *synacks;
    size_t synacks_bytes;

    struct raw_rxer rx[RAW_MAX_RX];
    int nrx;
    _Atomic bool rx_stop;

    /* Senders <-> caller. */
    _Atomic int pass;
    _Atomic uint64_t rate_bits; /* double, packets/s, all senders together */
    _Atomic uint64_t tx_sent;   /* frames sent, all passes, all senders */
    struct raw_sender snd[RAW_MAX_SENDERS];
    unsigned nsenders;
    _Atomic bool tx_abort;         /* a sender could not start: the others stop */
    _Atomic uint64_t cpus_claimed; /* CPUs 0-63 a sender has pinned itself to, this pass */
    _Atomic bool unpin;            /* most probes draw replies: senders drop their pin (raw_tx.c) */

    /* UDP hosts paced against their ICMP rate limit (raw_pace.h): built by
     * the caller between passes, read by the sender during retry passes. */
    struct raw_pace *pace;
    _Atomic bool pacing; /* receivers: also report repeats of decided UDP probes */

    struct raw_sched sched;
    struct raw_resume_run rr;
};

/* The way out (index in c->fam) of the target with address index ai and
 * address dst: its family's main route unless a route map says otherwise. */
static inline int raw_slot_of(const struct raw_ctx *c, uint64_t ai, const struct ipaddr *dst)
{
    int fi = dst->family == AF_INET6;
    if (c->nrown + c->nrmap == 0)
        return fi;
    const struct raw_route_map *m = raw_route_find(c->rown, c->nrown, ai);
    if (m && ai < m->hi)
        return m->slot;
    m = raw_route_find(c->rmap, c->nrmap, ai);
    return m && ai < m->hi ? m->slot : fi;
}

static inline bool raw_entry_is_udp(const struct raw_ctx *c, uint32_t e)
{
    return e >= c->udp_first && e < c->udp_end;
}

/* ---- decided bitmap ---- */
static inline bool raw_decided(const struct raw_ctx *c, uint64_t x)
{
    if (!c->decided)
        return false;
    return (atomic_load_explicit(&c->decided[x / 64], memory_order_relaxed) >> (x % 64)) & 1;
}

/* ---- pass-0 send stamps ---- */
/* The sender that sends shard position p, and p's place in its own walk. */
static inline const struct raw_sender *raw_sender_of(const struct raw_ctx *c, uint64_t p,
                                                     uint64_t *own)
{
    *own = p / c->nsenders;
    return &c->snd[p % c->nsenders];
}

/* Shard positions walked in this pass, all senders together. */
static inline uint64_t raw_tx_pos(const struct raw_ctx *c)
{
    uint64_t pos = 0;
    for (unsigned t = 0; t < c->nsenders; t++)
        pos += atomic_load_explicit(&c->snd[t].pos, memory_order_relaxed);
    return pos;
}

/*
 * Index (into s->stamps, modulo RAW_STAMPS) of s's last pass-0 batch whose
 * first position (s's own, see struct raw_sender) is <= pos, or -1 when no
 * such stamp is kept (nothing sent yet, or older than the ring). Positions
 * ascend with the index, so a binary search; the sender may still be
 * appending, so callers recheck s->nstamps after reading the stamp when
 * that matters.
 */
static inline int64_t raw_stamp_find(const struct raw_sender *s, uint64_t pos)
{
    uint64_t nb = atomic_load_explicit(&s->nstamps, memory_order_acquire);
    if (nb == 0)
        return -1;
    uint64_t lo = nb > RAW_STAMPS ? nb - RAW_STAMPS : 0, hi = nb - 1;
    if (atomic_load_explicit(&s->stamps[lo % RAW_STAMPS].pos, memory_order_relaxed) > pos)
        return -1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (atomic_load_explicit(&s->stamps[mid % RAW_STAMPS].pos, memory_order_relaxed) <= pos)
            lo = mid;
        else
            hi = mid - 1;
    }
    return (int64_t)lo;
}

/* ---- raw_sched.c ---- */
/* Set c->sched up from the job (after the probe list and the shard are
 * known). Returns 0, or -1 with err set (no memory). */
int raw_sched_init(struct raw_ctx *c, char *err, size_t errlen);
/* Make group k the current one (k < ngroups): its walk and deadline. */
void raw_sched_group(struct raw_ctx *c, uint64_t k);
/* The address index of the group's j-th host (j counted over the shard). */
static inline uint64_t raw_sched_addr(const struct raw_ctx *c, uint64_t j)
{
    return c->shard + j * c->nshards;
}
/* The probe value x = entry * naddrs + address of domain index d < count
 * of the current group. */
uint64_t raw_sched_x(const struct raw_ctx *c, uint64_t d);
/* The domain index of x in the current group; false when x is not one of
 * its probes. */
bool raw_sched_d(const struct raw_ctx *c, uint64_t x, uint64_t *d);
/* Is address index ai one of the current group's hosts (always true with
 * the schedule off)? */
bool raw_sched_in_group(const struct raw_ctx *c, uint64_t ai);
/* Sender body of a scheduled pass (one sender); see struct raw_sched. */
void *raw_sched_tx_main(void *arg);

/*
 * Where probe x stands in the send order of pass 0 (the position the
 * stamps of struct raw_stamp count, for the sender it belongs to), for
 * both walks. False when x is not this shard's (or, scheduled, not the
 * current group's).
 */
bool raw_pass0_pos(const struct raw_ctx *c, uint64_t x, uint64_t *pos);
/* Is probe x this shard's? */
bool raw_in_shard(const struct raw_ctx *c, uint64_t x);

/* ---- raw_resume.c ---- */
struct raw_results;
/* Take job->resume's partial hosts' answers into res and the decided bits,
 * and arm c->rr. Returns 0, or -1 with err set (no memory). */
int raw_resume_preload(struct raw_ctx *c, struct raw_results *res, char *err, size_t errlen);
/* The first pass to run for the current group: from.pass when armed
 * (SCAN_POS_PACING: none), else 0. */
int raw_resume_first_pass(const struct raw_ctx *c);
/* The first host group to run: from.group when armed, else 0. */
uint64_t raw_resume_first_group(const struct raw_ctx *c);
/* Where sender t starts its walk in the pass about to start: the
 * interrupted run's position when armed, else 0 (the schedule's senders
 * count from the group's pos_base, as their pos does). */
uint64_t raw_resume_start_pos(const struct raw_ctx *c, unsigned t);
/* After a stop: write job->resume->reached (decided: answers received in
 * the current group since its start). */
void raw_resume_note(struct raw_ctx *c, uint64_t decided);
/* After the whole port scan: reached says so (SCAN_POS_DONE), for a stop
 * in a later stage. */
void raw_resume_note_done(struct raw_ctx *c);

/* ---- raw_tx.c ---- */
/* Sender thread body (arg: its struct raw_sender) for pass atomic
 * ctx->pass; sets its done at the end. */
void *raw_tx_main(void *arg);
/* Templates of every group for this family (Ethernet header or not, per
 * the method), UDP payloads per entry, and f->slot_len. */
int raw_tx_template(struct raw_ctx *c, struct raw_fam *f, char *err, size_t errlen);
/*
 * Write the probe of entry e to dst into buf (f->slot_len bytes). *holds
 * is the group whose template the buffer already holds (-1: none): only
 * then is the template copied in first, so a slot reused for the same
 * group costs a patch only. Returns the frame length, or -1 when this
 * family cannot send the entry (no template for the kind).
 */
int raw_probe_frame(const struct raw_ctx *c, const struct raw_fam *f, uint32_t e,
                    const struct ipaddr *dst, uint8_t *buf, int8_t *holds);
/* The same for the try-th probe of (dst, e), 0-based: a UDP port with
 * several payloads sends payload try % n, so retries and paced rounds go
 * through all of them as nmap does. raw_probe_frame() uses the pass. */
int raw_probe_frame_try(const struct raw_ctx *c, const struct raw_fam *f, uint32_t e,
                        const struct ipaddr *dst, uint8_t *buf, int8_t *holds, unsigned try);
/* raw_probe_frame_try() with the probe's cookie hash h already worked out
 * (cookie_hash_src() of dst and the entry's port, or a lane of
 * cookie_hash_src_batch()); kinds without port_cookie (ICMP) ignore h:
 * their cookie covers another message (cookie_icmp_probe). */
int raw_probe_frame_hashed(const struct raw_ctx *c, const struct raw_fam *f, uint32_t e,
                           const struct ipaddr *dst, uint8_t *buf, int8_t *holds, unsigned try,
                           uint64_t h);
/* Push n frames out through sender s's socket for family f, waiting out a
 * full queue; 0 or -1 with s->tx_err set. */
int raw_tx_flush(struct raw_sender *s, const struct raw_fam *f, uint8_t *const frames[],
                 const uint16_t lens[], const struct ipaddr dsts[], unsigned n);

/* ---- raw_rx.c ---- */
void *raw_rx_main(void *arg);
/* The BPF filter for our replies (ctx's source addresses and ports). */
void raw_rx_filter(const struct raw_ctx *c, char *buf, size_t len);
/* Index of the entry for port in [first, first + count) of probes (ports
 * ascending there), or -1. */
int64_t raw_probe_index(const struct raw_probe *probes, uint32_t first, uint32_t count,
                        uint16_t port);

/* ---- raw_results.c ---- */

/* Aggregated answers: only hosts that replied, 4 bytes per entry each. */
struct raw_results;

/* A result cell: state | reason << 8 | ttl << 16 | RAW_CELL_ANSWERED. */
#define RAW_CELL_ANSWERED (1u << 24)

struct raw_results *raw_results_new(uint32_t nentries);
void raw_results_free(struct raw_results *r);
/* Record a decided probe. Returns 1 if new, 0 for a repeat of a decided
 * (host, port), -1 on allocation failure. */
int raw_results_add(struct raw_results *r, const struct raw_reply *rep);
/* Unique answers so far, and hosts that answered. */
uint64_t raw_results_answers(const struct raw_results *r);
uint64_t raw_results_hosts(const struct raw_results *r);
/* Ports found open (the status line's found=, as masscan counts). */
uint64_t raw_results_open(const struct raw_results *r);
/* Scan-wide RTT estimate from all samples (have_sample false if none). */
const struct rtt_est *raw_results_rtt(const struct raw_results *r);
/* The cell of (addr_idx, entry), 0 if that host never answered. */
uint32_t raw_results_cell(const struct raw_results *r, uint64_t addr_idx, uint32_t entry);
/* Hosts that answered some probe with an ICMP port unreachable (closed UDP
 * port): how many, and the i-th one's address index and that entry (the
 * first such), in the order they first did. For the pacing of raw_pace.c. */
size_t raw_results_unreach_hosts(const struct raw_results *r);
void raw_results_unreach_host(const struct raw_results *r, size_t i, uint64_t *addr_idx,
                              uint32_t *entry);

/* What delivery needs to know. perm is used with nshards > 1 only, to leave
 * out ports whose probe belongs to another shard. */
struct raw_deliver {
    const struct raw_job *job;
    const struct raw_probe *probes; /* one port result per entry */
    uint32_t nentries;
    uint64_t naddrs;
    const struct permute *perm;
    uint32_t shard, nshards;
    const struct result_sink *sink;
    const struct raw_skip *skip; /* not scanned: not delivered */
    /* --os-passive's SYN-ACKs by address index (raw_ctx.synacks), or NULL:
     * delivery moves each into its host_result.os_synack. */
    _Atomic(struct os_synack *) *synacks;
    size_t nskip;
    /* The schedule (struct raw_sched) shards by address: another shard's
     * address is not delivered, and every probe of ours is in the shard. */
    bool shard_by_addr;
    /* Address ranges whose --host-timeout passed: a host there with a probe
     * undecided is delivered timed_out, without ports (as nmap). */
    const struct raw_skip *tmo;
    size_t ntmo;
    bool interrupted;
    /* Interrupted with a schedule: the host groups before the current one
     * were finished (every probe answered or timed out), so hosts with
     * j = addr_idx / nshards below done_j are complete (--resume skips
     * them); 0 without a schedule. */
    uint64_t done_j;
    struct timespec start; /* wall clock */
};

/*
 * Early delivery (job->early): from now on, a host whose every probe is
 * answered is queued by raw_results_add, and raw_results_pump hands queued
 * hosts to d->sink with host_result.early set; its name, when one is
 * wanted, is awaited without blocking (a host whose name is slow waits for
 * the end). d is copied; its interrupted/tmo fields do not apply to such a
 * host. Not done when sharded by probe (nshards > 1 without a schedule).
 * Returns 0, or -1 when out of memory (nothing then goes early).
 */
int raw_results_early(struct raw_results *r, const struct raw_deliver *d);

/* Early delivery only for hosts of at most this many entries (ports): the
 * outputs' order_sink holds a full copy of each early host until its turn
 * in target order (24 bytes a port: 1.5 MiB a -p- host, +48 MiB for a
 * /27 with -p- when measured), while a host of k probes sent in random
 * order completes on average k/(k+1) of the way through the scan: beyond
 * a handful of ports, early hosts come too late to overlap anything. */
#define RAW_EARLY_MAX_ENTRIES 16
/* Deliver queued complete hosts until the CLOCK_MONOTONIC time until_ns
 * (checked every 16 hosts) or the queue is empty; for the aggregator when
 * the rings are empty, so that the sinks' work never holds replies back.
 * Returns 1 if a host went out, 0 if none, -1 when out of memory. */
int raw_results_pump(struct raw_results *r, int64_t until_ns);
/* Hosts handed to the sink so far (early or at the end). */
uint64_t raw_results_delivered(const struct raw_results *r);

/* Deliver every host not delivered early, in index order, to d->sink (see
 * raw_engine.h); first the early ones still waiting for their names.
 * Returns 0 or -1 (no memory). */
int raw_results_deliver(struct raw_results *r, const struct raw_deliver *d);

/* ---- raw_engine.c: the aggregator, shared with raw_pace.c ---- */
struct raw_agg;
/* Move every queued reply into the results (and to the pacer). Returns how many. */
size_t raw_agg_drain(struct raw_agg *g);
/* Rate control and the status line, every 100 ms. */
void raw_agg_tick(struct raw_agg *g, int64_t now, bool sending);
/* How long to wait for the replies to a probe: the cooldown rule. */
int64_t raw_agg_wait_ns(const struct raw_agg *g);
struct raw_ctx *raw_agg_ctx(struct raw_agg *g);
struct raw_results *raw_agg_results(struct raw_agg *g);
double raw_agg_rate(const struct raw_agg *g);

/* A sender's batch of RATE_BATCH_MAX frame slots of f->slot_len bytes in
 * one allocation (*buf, freed by the caller): frames[i] points at slot i,
 * holds[i] = -1 (no template loaded yet). Returns 0, or -1 out of memory. */
int raw_tx_slots(const struct raw_fam *f, uint8_t **buf, uint8_t *frames[RATE_BATCH_MAX],
                 int8_t holds[RATE_BATCH_MAX]);

/* ---- setup and teardown (raw_setup.c) ----------------------------------- */

/* Format a message into err and return -1: the raw engine's error path. */
int raw_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Publish rate r (packets/s) to the senders (relaxed atomic). */
void raw_store_rate(struct raw_ctx *c, double r);

/* The probe list from job (modules x ports), the index space naddrs x
 * nentries, the shard and its permutation. Returns 0, or -1 with err set. */
int raw_setup_space(struct raw_ctx *c, const struct raw_job *job, char *err, size_t errlen);

/* --dry-run: print pass 0's probes on stdout. Returns 0, or -1 on a write
 * error (a reader that went away is not one). */
int raw_dry_run(struct raw_ctx *c);

/* raw_route.c: routes, send methods and templates of address family fi
 * (0 IPv4, 1 IPv6): its main route in c->fam[fi] (used false when no
 * target has that family), other routes in further slots and the route
 * maps. 0, or -1 with err. */
int raw_setup_family(struct raw_ctx *c, int fi, char *err, size_t errlen);

/* Receivers and senders' sockets for the families in use. 0, or -1 with err. */
int raw_open_io(struct raw_ctx *c, char *err, size_t errlen);

/* The decided bitmap, one bit per probe of the shard (lazily mapped); with
 * --os-passive also the SYN-ACK table, one pointer per address index. */
void raw_alloc_bitmap(struct raw_ctx *c);

/* Stop and join the receiver threads. */
void raw_stop_receivers(struct raw_ctx *c);

/* Release everything setup made (sockets closed in the background). */
void raw_teardown(struct raw_ctx *c);

#endif
