/*
 * capture.c — the PCAPNG writer behind --packet-capture (capture.h).
 *
 * Block layouts follow draft-ietf-opsawg-pcapng (sections 4.1 SHB, 4.2 IDB,
 * 4.3 EPB), written in host byte order, which the SHB's byte-order magic
 * declares. libpcap 1.10 only writes classic pcap (pcap_dump), which has
 * one link type per file and microsecond stamps; the raw-socket sender
 * (IP frames) and the AF_PACKET receiver (Ethernet frames) need two link
 * types in one file, hence this small writer.
 *
 * Producers append whole blocks to a byte ring under one mutex (a batch of
 * sent frames takes it once per frame, ~50 ns uncontended); the writer
 * thread takes the filled span, writes it with the lock released, and
 * frees the space.
 */
#include "net/capture.h"
#include "net/trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Atomic int capture_active;

#define RING_BYTES      (32u << 20) /* ~1/4 s of 1 Mpps of 64-byte frames plus headers */
#define TRACE_SETTLE_NS 5000000L    /* --packet-trace: a span is read this long after it began */
#define MAX_IFACES      32
#define SNAPLEN         65535u
#define EPB_OVERHEAD    44u /* 28 header + 8 epb_flags + 4 end-of-options + 4 trailer */

static struct {
    FILE *f; /* NULL: --packet-trace only */
    bool to_stdout;
    bool trace;    /* --packet-trace: the writer prints each frame */
    int64_t t0_ns; /* the trace's time zero */
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t filled, drained;
    uint8_t *ring;
    uint64_t head, tail; /* byte positions; head - tail bytes are waiting */
    bool stop;
    int werr; /* errno of the first failed write */
    uint64_t frames, waits;
    struct {
        int link;
        char name[32];
    } ifaces[MAX_IFACES];
    unsigned nifaces;
} cap = {.mu = PTHREAD_MUTEX_INITIALIZER,
         .filled = PTHREAD_COND_INITIALIZER,
         .drained = PTHREAD_COND_INITIALIZER};

int capture_link_of_dlt(int dlt)
{
    switch (dlt) {
    case 1: /* DLT_EN10MB */
        return CAPTURE_LINK_ETHERNET;
    case 12: /* DLT_RAW on Linux */
    case 14: /* DLT_RAW on the BSDs */
    case 101:
        return CAPTURE_LINK_RAW;
    default: /* DLT_LINUX_SLL and the rest share their LINKTYPE number */
        return dlt;
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

/* Copy n bytes into the ring at head; the caller holds the lock and has
 * checked the room. */
static void ring_put(const void *src, size_t n)
{
    size_t at = (size_t)(cap.head % RING_BYTES);
    size_t first = n < RING_BYTES - at ? n : RING_BYTES - at;
    memcpy(cap.ring + at, src, first);
    memcpy(cap.ring, (const uint8_t *)src + first, n - first);
    cap.head += n;
}

/* Wait (lock held) until n bytes fit. */
static void ring_reserve(size_t n)
{
    if (RING_BYTES - (cap.head - cap.tail) < n) {
        cap.waits++;
        while (RING_BYTES - (cap.head - cap.tail) < n && !cap.stop)
            pthread_cond_wait(&cap.drained, &cap.mu);
    }
}

/* Copy n bytes at ring position pos (which may wrap) to dst. */
static void ring_get(uint64_t pos, void *dst, size_t n)
{
    size_t at = (size_t)(pos % RING_BYTES);
    size_t first = n < RING_BYTES - at ? n : RING_BYTES - at;
    memcpy(dst, cap.ring + at, first);
    memcpy((uint8_t *)dst + first, cap.ring, n - first);
}

/* --packet-trace: a line for each EPB in [from, to) of the ring (whole
 * blocks, written by capture_put; IDBs written before are in cap.ifaces),
 * in timestamp order: the receiver may append an answer before the sender
 * appends its probe (loopback answers inside the send call). */
struct trace_ent {
    int64_t ts;
    uint64_t at; /* ring position of the block: the tie-break keeps ring order */
};

static int cmp_trace_ent(const void *a, const void *b)
{
    const struct trace_ent *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->at > y->at) - (x->at < y->at);
}

static void trace_one(uint64_t at)
{
    static uint8_t blk[SNAPLEN + 64];
    uint32_t hdr[2];
    ring_get(at, hdr, sizeof hdr);
    ring_get(at, blk, hdr[1]);
    uint32_t ifid, hi, lo, caplen, wirelen, flags = 0;
    memcpy(&ifid, blk + 8, 4);
    memcpy(&hi, blk + 12, 4);
    memcpy(&lo, blk + 16, 4);
    memcpy(&caplen, blk + 20, 4);
    memcpy(&wirelen, blk + 24, 4);
    memcpy(&flags, blk + 28 + ((caplen + 3) & ~3u) + 4, 4);
    int64_t ts = (int64_t)((uint64_t)hi << 32 | lo);
    /* The tap's TCP is a connect scan's: CONN lines show it. */
    trace_frame(stdout, (double)(ts - cap.t0_ns) / 1e9, (enum capture_dir)(flags & 3),
                cap.ifaces[ifid < cap.nifaces ? ifid : 0].link, blk + 28, caplen, wirelen,
                atomic_load_explicit(&capture_tapping, memory_order_relaxed));
}

static void trace_span(uint64_t from, uint64_t to)
{
    static struct trace_ent *ents;
    static size_t cap_ents;
    size_t n = 0;
    while (from + 12 <= to) {
        uint32_t hdr[4];
        ring_get(from, hdr, sizeof hdr);
        if (hdr[1] < 12 || hdr[1] > SNAPLEN + 64 || from + hdr[1] > to)
            break; /* cannot happen: producers append whole blocks */
        if (hdr[0] == 6) {
            if (n == cap_ents) {
                size_t c = cap_ents ? cap_ents * 2 : 256;
                struct trace_ent *e = realloc(ents, c * sizeof(*e));
                if (!e)
                    break; /* the lines are a courtesy; the file is whole */
                ents = e;
                cap_ents = c;
            }
            uint32_t tsw[2];
            ring_get(from + 12, tsw, sizeof tsw);
            ents[n].ts = (int64_t)((uint64_t)tsw[0] << 32 | tsw[1]);
            ents[n++].at = from;
        }
        from += hdr[1];
    }
    qsort(ents, n, sizeof(*ents), cmp_trace_ent);
    for (size_t i = 0; i < n; i++)
        trace_one(ents[i].at);
    fflush(stdout);
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cap.mu);
    for (;;) {
        while (cap.head == cap.tail && !cap.stop)
            pthread_cond_wait(&cap.filled, &cap.mu);
        if (cap.head == cap.tail)
            break; /* stopped and drained */
        if (cap.trace && !cap.stop) {
            /* A receiver can append an answer before its sender appends
             * the probe (the answer came inside the send call): give the
             * sender TRACE_SETTLE_NS to catch up, so that one sorted span
             * holds both and SENT prints first. */
            pthread_mutex_unlock(&cap.mu);
            struct timespec d = {0, TRACE_SETTLE_NS};
            nanosleep(&d, NULL);
            pthread_mutex_lock(&cap.mu);
        }
        uint64_t tail = cap.tail, head = cap.head;
        pthread_mutex_unlock(&cap.mu);
        size_t at = (size_t)(tail % RING_BYTES);
        size_t n = (size_t)(head - tail);
        size_t first = n < RING_BYTES - at ? n : RING_BYTES - at;
        int e = 0;
        if (cap.f && (fwrite(cap.ring + at, 1, first, cap.f) != first ||
                      (n > first && fwrite(cap.ring, 1, n - first, cap.f) != n - first)))
            e = errno ? errno : EIO;
        if (cap.trace)
            trace_span(tail, head);
        pthread_mutex_lock(&cap.mu);
        if (e && !cap.werr)
            cap.werr = e;
        cap.tail = head;
        pthread_cond_broadcast(&cap.drained);
    }
    pthread_mutex_unlock(&cap.mu);
    return NULL;
}

/* The interface id for (link, name), writing its IDB on first use (lock
 * held, so the IDB precedes every EPB that names it). */
static uint32_t iface_id(int link, const char *name)
{
    if (!name)
        name = "";
    for (unsigned i = 0; i < cap.nifaces; i++)
        if (cap.ifaces[i].link == link && strcmp(cap.ifaces[i].name, name) == 0)
            return i;
    if (cap.nifaces == MAX_IFACES)
        return MAX_IFACES - 1; /* cannot happen with a few interfaces; keep the frame */
    unsigned i = cap.nifaces++;
    cap.ifaces[i].link = link;
    snprintf(cap.ifaces[i].name, sizeof(cap.ifaces[i].name), "%s", name);
    size_t nl = strlen(cap.ifaces[i].name);
    size_t npad = (nl + 3) & ~(size_t)3;
    uint8_t b[96] = {0};
    size_t o = 8;
    put16(b + o, (uint16_t)link);
    put32(b + o + 4, SNAPLEN);
    o += 8;
    if (nl) { /* if_name */
        put16(b + o, 2);
        put16(b + o + 2, (uint16_t)nl);
        memcpy(b + o + 4, cap.ifaces[i].name, nl);
        o += 4 + npad;
    }
    put16(b + o, 9); /* if_tsresol: 10^-9 s */
    put16(b + o + 2, 1);
    b[o + 4] = 9;
    o += 8;
    o += 4; /* opt_endofopt */
    o += 4; /* trailing length */
    put32(b, 1);
    put32(b + 4, (uint32_t)o);
    put32(b + o - 4, (uint32_t)o);
    ring_reserve(o);
    ring_put(b, o);
    return i;
}

_Atomic int capture_tapping;

void capture_frame(int link, const char *ifname, const uint8_t *data, size_t caplen, size_t wirelen,
                   int64_t ts_ns, enum capture_dir dir)
{
    if (!atomic_load_explicit(&capture_tapping, memory_order_relaxed))
        capture_put(link, ifname, data, caplen, wirelen, ts_ns, dir);
}

void capture_put(int link, const char *ifname, const uint8_t *data, size_t caplen, size_t wirelen,
                 int64_t ts_ns, enum capture_dir dir)
{
    if (!atomic_load_explicit(&capture_active, memory_order_acquire))
        return;
    if (ts_ns <= 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    if (caplen > SNAPLEN)
        caplen = SNAPLEN;
    if (wirelen < caplen)
        wirelen = caplen;
    size_t pad = ((caplen + 3) & ~(size_t)3) - caplen;
    uint32_t total = (uint32_t)(EPB_OVERHEAD + caplen + pad);
    uint8_t h[28], t[12] = {0};
    put32(h, 6);
    put32(h + 4, total);
    put32(h + 12, (uint32_t)((uint64_t)ts_ns >> 32));
    put32(h + 16, (uint32_t)(uint64_t)ts_ns);
    put32(h + 20, (uint32_t)caplen);
    put32(h + 24, (uint32_t)wirelen);
    put16(t, 2); /* epb_flags: direction in bits 0-1, 1 inbound, 2 outbound */
    put16(t + 2, 4);
    put32(t + 4, (uint32_t)dir);
    put32(t + 8, 0); /* opt_endofopt */
    static const uint8_t zero[4];

    pthread_mutex_lock(&cap.mu);
    if (!cap.stop) {
        put32(h + 8, iface_id(link, ifname));
        ring_reserve(total);
        ring_put(h, sizeof h);
        ring_put(data, caplen);
        ring_put(zero, pad);
        ring_put(t, sizeof t);
        ring_put(&total, 4);
        cap.frames++;
        pthread_cond_signal(&cap.filled);
    }
    pthread_mutex_unlock(&cap.mu);
}

void capture_flush(void)
{
    if (!atomic_load_explicit(&capture_active, memory_order_acquire))
        return;
    pthread_mutex_lock(&cap.mu);
    uint64_t upto = cap.head;
    pthread_cond_signal(&cap.filled);
    while (cap.tail < upto && !cap.stop)
        pthread_cond_wait(&cap.drained, &cap.mu);
    pthread_mutex_unlock(&cap.mu);
}

bool capture_tracing(void)
{
    return atomic_load_explicit(&capture_active, memory_order_acquire) && cap.trace;
}

double capture_clock_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)((int64_t)now.tv_sec * 1000000000 + now.tv_nsec - cap.t0_ns) / 1e9;
}

int capture_open(const char *path, bool trace, char *err, size_t errlen)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    cap.t0_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    cap.trace = trace;
    cap.to_stdout = path && strcmp(path, "-") == 0;
    cap.f = !path ? NULL : cap.to_stdout ? stdout : fopen(path, "wb");
    if (path && !cap.f) {
        snprintf(err, errlen, "--packet-capture %s: %s", path, strerror(errno));
        return -1;
    }
    cap.ring = malloc(RING_BYTES);
    if (!cap.ring) {
        snprintf(err, errlen, "--packet-capture: out of memory for the capture ring");
        goto fail;
    }
    /* Section header: byte-order magic, version 1.0, section length
     * unknown (-1), no options. */
    uint8_t shb[28] = {0};
    put32(shb, 0x0A0D0D0A);
    put32(shb + 4, sizeof shb);
    put32(shb + 8, 0x1A2B3C4D);
    put16(shb + 12, 1);
    put16(shb + 14, 0);
    memset(shb + 16, 0xff, 8);
    put32(shb + 24, sizeof shb);
    if (cap.f && fwrite(shb, 1, sizeof shb, cap.f) != sizeof shb) {
        snprintf(err, errlen, "--packet-capture %s: %s", path, strerror(errno));
        goto fail;
    }
    cap.stop = false;
    if (pthread_create(&cap.writer, NULL, writer_main, NULL) != 0) {
        snprintf(err, errlen, "--packet-capture: cannot start the writer thread");
        goto fail;
    }
    atomic_store_explicit(&capture_active, 1, memory_order_release);
    return 0;
fail:
    free(cap.ring);
    cap.ring = NULL;
    if (cap.f && !cap.to_stdout)
        fclose(cap.f);
    cap.f = NULL;
    return -1;
}

int64_t capture_close(char *err, size_t errlen)
{
    if (!atomic_exchange(&capture_active, 0))
        return 0;
    pthread_mutex_lock(&cap.mu);
    cap.stop = true;
    pthread_cond_broadcast(&cap.filled);
    pthread_cond_broadcast(&cap.drained);
    pthread_mutex_unlock(&cap.mu);
    pthread_join(cap.writer, NULL);
    int e = cap.werr;
    if (cap.f && fflush(cap.f) != 0 && !e)
        e = errno;
    if (cap.f && !cap.to_stdout && fclose(cap.f) != 0 && !e)
        e = errno;
    cap.f = NULL;
    free(cap.ring);
    cap.ring = NULL;
    if (e) {
        snprintf(err, errlen, "--packet-capture: write failed: %s", strerror(e));
        return -1;
    }
    return (int64_t)cap.frames;
}

uint64_t capture_waits(void)
{
    pthread_mutex_lock(&cap.mu);
    uint64_t w = cap.waits;
    pthread_mutex_unlock(&cap.mu);
    return w;
}
