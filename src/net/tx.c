/*
 * tx.c — the send half of io.h: three ways to push complete frames out of
 * one interface with as few syscalls and as little kernel work as possible.
 *
 *   SEND_RAW          socket(AF_INET[6], SOCK_RAW, IPPROTO_RAW) + sendmmsg.
 *                     Frames start at the IP header; the kernel routes,
 *                     resolves the neighbour and runs the qdisc and netfilter.
 *   SEND_PACKET_MMSG  AF_PACKET SOCK_RAW + sendmmsg + PACKET_QDISC_BYPASS.
 *                     Frames carry their own Ethernet header; no routing,
 *                     neighbour, netfilter or qdisc work per packet.
 *   SEND_PACKET_RING  AF_PACKET PACKET_TX_RING (TPACKET_V2): frames are
 *                     written into a shared ring and one send() flushes many.
 *
 * Measured on the 2-vCPU veth lab (bench/sendpath.sh, docs/BENCHMARKS.md),
 * AF_PACKET + sendmmsg is the fastest, so SEND_AUTO picks it on Ethernet,
 * and the raw IP socket elsewhere (loopback: see resolve_method(); tun and
 * other headerless links).
 *
 * Congestion: a full device queue or veth peer backlog shows up as
 * ENOBUFS (or EAGAIN for a full socket send buffer). The frame that got the
 * error was not sent, so we back off briefly and resend from it: a frame is
 * either sent or reported as not sent, never silently lost in here.
 */
#include "net/io.h"
#include "net/capture.h"
#include "core/clock.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Messages per sendmmsg call (the kernel caps vlen at UIO_MAXIOV = 1024). */
#define TX_BATCH 1024

/* Socket send buffer: in-flight skbs are charged to it until the peer frees
 * them; the 208 KiB default holds only ~200 small frames and would make
 * sendmmsg sleep long before the link is busy. */
#define TX_SNDBUF (16 << 20)

/* TX ring geometry: 2 KiB frames hold any frame up to PKT_MAX_FRAME after the
 * 32-byte tpacket2_hdr; 8 blocks of 1 MiB give 4096 frames, enough to fill a
 * whole batch while the previous one is still being freed by the peer. */
#define RING_FRAME_SIZE 2048
#define RING_BLOCK_SIZE (1 << 20)
#define RING_BLOCK_NR   8

/* Give up after this long without any progress (the link is gone). */
#define TX_STALL_NS (5LL * 1000 * 1000 * 1000)

struct tx {
    enum send_method method;
    int fd;
    int family;
    int ifindex;
    char ifname[IF_NAMESIZE]; /* for --packet-capture's interface blocks */

    /* sendmmsg state, reused across calls (SEND_RAW, SEND_PACKET_MMSG) */
    struct mmsghdr *msgs;
    struct iovec *iov;
    struct sockaddr_storage *addrs; /* SEND_RAW only: one destination per message */

    /* PACKET_TX_RING state */
    uint8_t *ring;
    size_t ring_len;
    unsigned frame_nr;
    unsigned head; /* next slot we fill; the kernel sends in the same order */
};

static const char *const send_names[] = {
    [SEND_AUTO] = "auto",
    [SEND_RAW] = "raw",
    [SEND_PACKET_MMSG] = "packet",
    [SEND_PACKET_RING] = "ring",
};

int send_method_parse(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof(send_names) / sizeof(send_names[0]); i++)
        if (strcmp(name, send_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *send_method_name(enum send_method m)
{
    if ((unsigned)m < sizeof(send_names) / sizeof(send_names[0]))
        return send_names[m];
    return "?";
}

/* AF_PACKET SOCK_RAW frames must start with the device's link header; we only
 * build Ethernet headers, which loopback also takes (zero MACs). */
static bool link_takes_ethernet(const struct route_info *ri)
{
    return ri && (ri->hwtype == ARPHRD_ETHER || ri->hwtype == ARPHRD_LOOPBACK);
}

/*
 * SEND_AUTO → the method measured fastest for this link (see file comment).
 * Not AF_PACKET on loopback: a frame injected there has no route attached,
 * so IPv4 input looks one up and drops it as a martian because its source
 * is a local address (fib_validate_source without accept_local; 127/8 also
 * needs route_localnet). The frames go out and capture sees them, but the
 * local stack never answers: measured, IpInReceives without IpInDelivers.
 */
static enum send_method resolve_method(enum send_method m, const struct route_info *ri)
{
    if (m != SEND_AUTO)
        return m;
    return ri && ri->hwtype == ARPHRD_ETHER ? SEND_PACKET_MMSG : SEND_RAW;
}

bool tx_wants_ethernet(enum send_method m, const struct route_info *ri)
{
    m = resolve_method(m, ri);
    return m != SEND_RAW && link_takes_ethernet(ri);
}

/* One message for a failed system call: the permission case gets the
 * user-facing hint, everything else names the interface and the call. */
static void set_err(char *err, size_t errlen, const char *ifname, const char *what, int e)
{
    if (!err || !errlen)
        return;
    if (e == EPERM || e == EACCES)
        snprintf(err, errlen, "raw sockets need root or CAP_NET_RAW (try -sT)");
    else
        snprintf(err, errlen, "%s on %s: %s", what, ifname, strerror(e));
}

static void set_bufsize(int fd)
{
    int sz = TX_SNDBUF;

    /* SO_SNDBUFFORCE ignores net.core.wmem_max (needs CAP_NET_ADMIN); fall
     * back to what the sysctl allows. */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

static int open_raw(struct tx *t, const struct route_info *ri, char *err, size_t errlen)
{
    int on = 1;

    /* IPPROTO_RAW implies IP_HDRINCL (and IPV6_HDRINCL since Linux 4.5): the
     * frame we give is the whole IP packet. */
    t->fd = socket(t->family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (t->fd < 0) {
        set_err(err, errlen, ri->ifname, "socket(SOCK_RAW)", errno);
        return -1;
    }
    /* Leave by the interface the route said (or -e), whatever the table says
     * for each destination. Not loopback: only our own addresses are routed
     * there anyway, and a SYN sent through a socket bound to lo to one that
     * is not 127/8 (198.18.0.1 on lab0) reaches lo but TCP never answers it
     * (measured: no RST; unbound, or bound to lab0, the kernel loops it and
     * the RST comes back; UDP and 127.0.0.1 answer either way). */
    if (ri->hwtype != ARPHRD_LOOPBACK && setsockopt(t->fd, SOL_SOCKET, SO_BINDTODEVICE, ri->ifname,
                                                    (socklen_t)strlen(ri->ifname)) < 0) {
        set_err(err, errlen, ri->ifname, "SO_BINDTODEVICE", errno);
        return -1;
    }
    /* A range holds its subnet's broadcast address (198.18.0.255 of a /24):
     * without SO_BROADCAST the kernel refuses a probe to it with EACCES,
     * which stopped the whole scan. nmap's raw sockets allow it too. */
    if (t->family == AF_INET)
        (void)setsockopt(t->fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on));
    /* Without IP_RECVERR a raw socket swallows ENOBUFS from a full device
     * queue (raw_send_hdrinc: "if (err == -ENOBUFS && !recverr) err = 0"),
     * so dropped probes would look sent. */
    if (t->family == AF_INET6)
        (void)setsockopt(t->fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
    else
        (void)setsockopt(t->fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
    set_bufsize(t->fd);
    t->addrs = calloc(TX_BATCH, sizeof(*t->addrs));
    if (!t->addrs) {
        set_err(err, errlen, ri->ifname, "allocating send buffers", ENOMEM);
        return -1;
    }
    return 0;
}

/* AF_PACKET socket bound to the interface, common to both packet methods. */
static int open_packet(struct tx *t, const struct route_info *ri, char *err, size_t errlen)
{
    struct sockaddr_ll sll = {0};
    int on = 1;

    if (!link_takes_ethernet(ri)) {
        snprintf(err, errlen, "%s: send method '%s' needs an Ethernet or loopback interface",
                 ri->ifname, send_method_name(t->method));
        return -1;
    }
    /* Protocol 0: the socket receives nothing. A sender bound to ETH_P_IP
     * would get a clone of every incoming IP packet queued to it. The
     * kernel reads each frame's EtherType from its Ethernet header. */
    t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (t->fd < 0) {
        set_err(err, errlen, ri->ifname, "socket(AF_PACKET)", errno);
        return -1;
    }
    /* Hand frames straight to the driver: no qdisc enqueue/dequeue, no
     * per-packet lock, and no copy to packet taps (dev_queue_xmit_nit).
     * We pace ourselves and resend on ENOBUFS, so the qdisc's buffering
     * buys nothing. Older kernels lack it: not fatal. */
    (void)setsockopt(t->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &on, sizeof(on));
    set_bufsize(t->fd);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = 0;
    sll.sll_ifindex = t->ifindex;
    if (bind(t->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        set_err(err, errlen, ri->ifname, "bind(AF_PACKET)", errno);
        return -1;
    }
    return 0;
}

static int open_ring(struct tx *t, const struct route_info *ri, char *err, size_t errlen)
{
    int version = TPACKET_V2;
    struct tpacket_req req = {
        .tp_block_size = RING_BLOCK_SIZE,
        .tp_block_nr = RING_BLOCK_NR,
        .tp_frame_size = RING_FRAME_SIZE,
        .tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCK_NR,
    };

    if (setsockopt(t->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0) {
        set_err(err, errlen, ri->ifname, "PACKET_VERSION", errno);
        return -1;
    }
    if (setsockopt(t->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0) {
        set_err(err, errlen, ri->ifname, "PACKET_TX_RING", errno);
        return -1;
    }
    t->ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
    t->ring = mmap(NULL, t->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
    if (t->ring == MAP_FAILED) {
        t->ring = NULL;
        set_err(err, errlen, ri->ifname, "mmap(PACKET_TX_RING)", errno);
        return -1;
    }
    t->frame_nr = req.tp_frame_nr;
    return 0;
}

struct tx *tx_open(enum send_method m, const struct route_info *ri, int family, char *err,
                   size_t errlen)
{
    struct tx *t;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!ri || (family != AF_INET && family != AF_INET6)) {
        snprintf(err, errlen, "tx_open: bad arguments");
        errno = EINVAL;
        return NULL;
    }
    /* Check the interface first: a clear "no such interface" beats EPERM
     * or ENODEV from the socket calls, and needs no privilege. */
    int ifindex = ri->ifname[0] ? (int)if_nametoindex(ri->ifname) : ri->ifindex;
    if (ifindex <= 0) {
        snprintf(err, errlen, "no such interface '%s'", ri->ifname);
        errno = ENODEV;
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->method = resolve_method(m, ri);
    t->fd = -1;
    t->family = family;
    t->ifindex = ifindex;
    snprintf(t->ifname, sizeof(t->ifname), "%s", ri->ifname);
    t->msgs = calloc(TX_BATCH, sizeof(*t->msgs));
    t->iov = calloc(TX_BATCH, sizeof(*t->iov));
    if (!t->msgs || !t->iov) {
        snprintf(err, errlen, "out of memory");
        tx_close(t);
        return NULL;
    }
    switch (t->method) {
    case SEND_RAW:
        rc = open_raw(t, ri, err, errlen);
        break;
    case SEND_PACKET_MMSG:
        rc = open_packet(t, ri, err, errlen);
        break;
    case SEND_PACKET_RING:
        rc = open_packet(t, ri, err, errlen);
        if (rc == 0)
            rc = open_ring(t, ri, err, errlen);
        break;
    default:
        snprintf(err, errlen, "unknown send method %d", (int)m);
        rc = -1;
        break;
    }
    if (rc < 0) {
        int e = errno;
        tx_close(t);
        errno = e;
        return NULL;
    }
    return t;
}

/*
 * Wait a little before retrying a send the kernel refused for lack of room.
 * The first few retries only yield (the softirq that drains the peer usually
 * runs right away); later ones sleep 10 µs doubling to 1 ms. Returns -1 once
 * nothing has moved for TX_STALL_NS.
 */
static int backoff(unsigned *tries, int64_t *since)
{
    if (*tries == 0)
        *since = clock_mono_ns();
    else if (clock_mono_ns() - *since > TX_STALL_NS)
        return -1;
    if (*tries < 4) {
        sched_yield();
    } else {
        unsigned shift = *tries - 4 < 7 ? *tries - 4 : 7;
        struct timespec ts = {0, 10000L << shift};
        nanosleep(&ts, NULL);
    }
    (*tries)++;
    return 0;
}

static bool congestion(int e)
{
    return e == ENOBUFS || e == EAGAIN || e == EINTR;
}

static int send_mmsg(struct tx *t, uint8_t *const frames[], const uint16_t lens[],
                     const struct ipaddr dsts[], unsigned n)
{
    unsigned done = 0, tries = 0;
    int64_t since = 0;

    while (done < n) {
        unsigned k = n - done < TX_BATCH ? n - done : TX_BATCH;

        for (unsigned i = 0; i < k; i++) {
            struct msghdr *mh = &t->msgs[i].msg_hdr;

            t->iov[i].iov_base = frames[done + i];
            t->iov[i].iov_len = lens[done + i];
            mh->msg_iov = &t->iov[i];
            mh->msg_iovlen = 1;
            if (t->method == SEND_RAW) {
                mh->msg_name = &t->addrs[i];
                mh->msg_namelen = ipaddr_to_sockaddr(&dsts[done + i], 0, &t->addrs[i]);
            } else {
                mh->msg_name = NULL;
                mh->msg_namelen = 0;
            }
        }
        int r = sendmmsg(t->fd, t->msgs, k, 0);
        if (r > 0) {
            /* A short count means message r failed (its error is reported
             * by the next call, which starts with it). */
            done += (unsigned)r;
            tries = 0;
            continue;
        }
        if (r < 0 && congestion(errno)) {
            if (backoff(&tries, &since) == 0)
                continue;
            errno = ENOBUFS;
        }
        if (r == 0)
            errno = EIO;
        return done ? (int)done : -1;
    }
    return (int)done;
}

/* TX ring slot i and its payload (TPACKET_V2 puts the data right after the
 * aligned header, minus the sockaddr_ll that only RX frames carry). */
static struct tpacket2_hdr *slot(struct tx *t, unsigned i)
{
    return (struct tpacket2_hdr *)(t->ring + (size_t)i * RING_FRAME_SIZE);
}

static uint32_t slot_status(struct tpacket2_hdr *h)
{
    return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
}

/*
 * Ask the kernel to send every SEND_REQUEST frame. MSG_DONTWAIT: tpacket_snd
 * still hands all of them to the driver before returning, it only skips
 * waiting for their skbs to be freed (we notice that per slot instead).
 * Returns 0 when every queued frame went out, 1 when some are still queued
 * (congestion: call again after a backoff), -1 on a hard error.
 */
static int ring_flush(struct tx *t)
{
    if (send(t->fd, NULL, 0, MSG_DONTWAIT) < 0) {
        if (congestion(errno))
            return 1;
        return -1;
    }
    /* A frame the kernel could not take (e.g. sndbuf full mid-batch) stays
     * SEND_REQUEST; the one before head is the last we queued. */
    unsigned last = (t->head + t->frame_nr - 1) % t->frame_nr;
    return slot_status(slot(t, last)) == TP_STATUS_SEND_REQUEST ? 1 : 0;
}

/* Withdraw queued-but-unsent frames at the end of the ring (we are the only
 * thread calling send(), so the kernel is not looking at them). Returns how
 * many were withdrawn. */
static unsigned ring_unqueue(struct tx *t)
{
    unsigned n = 0;

    while (n < t->frame_nr) {
        unsigned prev = (t->head + t->frame_nr - 1) % t->frame_nr;
        struct tpacket2_hdr *h = slot(t, prev);
        if (slot_status(h) != TP_STATUS_SEND_REQUEST)
            break;
        __atomic_store_n(&h->tp_status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
        t->head = prev;
        n++;
    }
    return n;
}

static int send_ring(struct tx *t, uint8_t *const frames[], const uint16_t lens[], unsigned n)
{
    const size_t off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
    unsigned queued = 0, pending = 0, tries = 0;
    int64_t since = 0;
    int rc;

    for (unsigned i = 0; i < n; i++) {
        struct tpacket2_hdr *h = slot(t, t->head);

        if (lens[i] > RING_FRAME_SIZE - off) {
            errno = EMSGSIZE;
            goto fail;
        }
        /* The slot is busy while the kernel still owns it: queued and not
         * yet flushed (SEND_REQUEST) or in flight (SENDING, until the peer
         * frees the skb). Flush and wait. */
        while (slot_status(h) != TP_STATUS_AVAILABLE) {
            if (slot_status(h) == TP_STATUS_WRONG_FORMAT) {
                errno = EINVAL;
                goto fail;
            }
            rc = ring_flush(t);
            if (rc < 0)
                goto fail;
            pending = 0;
            if (slot_status(h) == TP_STATUS_AVAILABLE)
                break;
            if (rc == 0) {
                /* In flight: the peer has not freed it yet. */
                struct pollfd pfd = {.fd = t->fd, .events = POLLOUT};
                (void)poll(&pfd, 1, 1);
            }
            if (backoff(&tries, &since) < 0) {
                errno = ENOBUFS;
                goto fail;
            }
        }
        tries = 0;
        memcpy((uint8_t *)h + off, frames[i], lens[i]);
        h->tp_len = lens[i];
        __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
        t->head = (t->head + 1) % t->frame_nr;
        queued++;
        /* Flush every quarter ring so the kernel works while we fill. */
        if (++pending >= t->frame_nr / 4) {
            if (ring_flush(t) < 0)
                goto fail;
            pending = 0;
        }
    }
    while ((rc = ring_flush(t)) != 0) {
        if (rc < 0 || backoff(&tries, &since) < 0) {
            if (rc > 0)
                errno = ENOBUFS;
            goto fail;
        }
    }
    return (int)queued;

fail : {
    int e = errno;
    queued -= ring_unqueue(t);
    errno = e;
    return queued ? (int)queued : -1;
}
}

/* --packet-capture: the frames the kernel took, stamped with the time the
 * send began (within the batch's syscall of the wire time, and never after
 * an answer that the kernel delivered inside that syscall, as on loopback
 * and veth). */
static void capture_sent(const struct tx *t, uint8_t *const frames[], const uint16_t lens[], int k,
                         int64_t began_ns)
{
    if (k <= 0)
        return;
    int link = t->method == SEND_RAW ? CAPTURE_LINK_RAW : CAPTURE_LINK_ETHERNET;
    for (int i = 0; i < k; i++)
        capture_frame(link, t->ifname, frames[i], lens[i], lens[i], began_ns, CAPTURE_OUT);
}

int tx_send(struct tx *t, uint8_t *const frames[], const uint16_t lens[],
            const struct ipaddr dsts[], unsigned n)
{
    if (n == 0)
        return 0;
    bool cap = atomic_load_explicit(&capture_active, memory_order_relaxed);
    int64_t began = cap ? rx_clock_ns() : 0;
    int k;
    if (t->method == SEND_PACKET_RING) {
        k = send_ring(t, frames, lens, n);
    } else if (t->method == SEND_RAW && !dsts) {
        errno = EINVAL;
        return -1;
    } else {
        k = send_mmsg(t, frames, lens, dsts, n);
    }
    int e = errno;
    if (cap)
        capture_sent(t, frames, lens, k, began);
    errno = e;
    return k;
}

void tx_close(struct tx *t)
{
    if (!t)
        return;
    if (t->ring) {
        /* Let in-flight frames finish before the ring goes away: a blocking
         * send waits for the kernel's pending count to drain, bounded by a
         * send timeout in case the device is stuck. */
        struct timeval tv = {1, 0};
        (void)setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        (void)send(t->fd, NULL, 0, 0);
        munmap(t->ring, t->ring_len);
    }
    if (t->fd >= 0)
        close(t->fd);
    free(t->msgs);
    free(t->iov);
    free(t->addrs);
    free(t);
}
