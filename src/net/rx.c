/*
 * rx.c — the receive half of io.h.
 *
 *   RECV_RING  AF_PACKET TPACKET_V3 RX ring. The kernel writes frames that
 *              pass our BPF filter into large blocks of a ring mapped into
 *              our address space and hands over a whole block at a time: no
 *              syscall and no copy per frame, one poll() per block at most.
 *              Setting a ring up waits for a kernel grace period (io.h),
 *              so rx_open returns at once with the receiver on a plain
 *              socket (rx_sock.c) and a thread sets the ring up; frames
 *              move over to the ring by their kernel stamp (struct rx),
 *              each delivered once.
 *   RECV_PCAP  libpcap on the same kind of ring (TPACKET_V2 in immediate
 *              mode), for systems or filters where that is preferable.
 *   RECV_SOCKET the same filtered AF_PACKET socket without a ring, read with
 *              recvmmsg: a syscall per batch, but no kernel grace period to
 *              set up and no block timeout (frames come at once), which is
 *              what small scans and ARP/ND pings want.
 *
 * Both see only frames arriving on the interface: our own outgoing probes
 * (which packet taps see on lo and on veth when the qdisc is not bypassed)
 * are dropped in the kernel filter (RECV_RING) or by pcap_setdirection
 * (RECV_PCAP), and RECV_RING checks sll_pkttype again in user space.
 */
#include "net/io.h"
#include "net/rx_internal.h"
#include "net/capture.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* TPACKET_V3 ring: sized by rx_open's hint, from RX_RING_MIN to RX_RING_MAX.
 * The kernel maps every page of it into our address space at mmap time
 * (packet_mmap inserts them all), so its size is resident memory from the
 * start: a scan of one host should not pay for a ring that holds half a
 * second at 1 Mpps. A 60-byte reply takes a 144-byte slot (tpacket3_hdr,
 * sockaddr_ll, alignment), so the largest ring holds ~460k frames.
 * Blocks grow with the ring, keeping at least 4 of them so the kernel
 * always has one to fill while we walk another. A block is handed to us
 * when full or after RX_BLOCK_TIMEOUT_MS, which bounds the delivery
 * latency at low rates (round-trip times come from the kernel's receive
 * timestamps, so they do not include it). */
#define RX_FRAME_BYTES      160  /* a reply's slot, rounded up: for rx_ring_bytes() */
#define RX_FRAME_HINT       2048 /* only used to size tp_frame_nr */
#define RX_BLOCK_TIMEOUT_MS 10

/* libpcap's buffer for RX_RING_DEFAULT (the whole ring, split into
 * snaplen-sized slots; bench/sendpath.sh patches this line to show what
 * libpcap's defaults would do). */
#define RX_PCAP_BUFFER (64 << 20)

size_t rx_ring_bytes(uint64_t max_frames, double rate, unsigned window_ms)
{
    double frames = (double)max_frames;
    if (rate > 0 && rate * window_ms / 1000.0 < frames)
        frames = rate * window_ms / 1000.0;
    double bytes = frames * RX_FRAME_BYTES;
    if (bytes >= RX_RING_MAX)
        return RX_RING_MAX;
    return bytes < RX_RING_MIN ? RX_RING_MIN : (size_t)bytes;
}

/* The ring's geometry for a hint: blocks are powers of two (the kernel
 * allocates each as 2^order pages), at least 4 of them. */
size_t rx_clamp_hint(size_t hint)
{
    if (hint == RX_RING_DEFAULT || hint > RX_RING_MAX)
        return RX_RING_MAX;
    return hint < RX_RING_MIN ? RX_RING_MIN : hint;
}

static void ring_geometry(size_t hint, unsigned *block_size, unsigned *block_nr)
{
    size_t bytes = rx_clamp_hint(hint);
    unsigned bs = bytes >= (32u << 20)  ? (4u << 20)
                  : bytes >= (8u << 20) ? (1u << 20)
                                        : (256u << 10);
    *block_size = bs;
    *block_nr = (unsigned)((bytes + bs - 1) / bs);
}

static const char *const recv_names[] = {
    [RECV_AUTO] = "auto",
    [RECV_RING] = "ring",
    [RECV_PCAP] = "pcap",
    [RECV_SOCKET] = "socket",
};

int recv_method_parse(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof(recv_names) / sizeof(recv_names[0]); i++)
        if (strcmp(name, recv_names[i]) == 0)
            return (int)i;
    return -1;
}

void rx_set_err(char *err, size_t errlen, const char *ifname, const char *what, int e)
{
    if (e == EPERM || e == EACCES)
        snprintf(err, errlen, "raw sockets need root or CAP_NET_RAW (try -sT)");
    else
        snprintf(err, errlen, "%s on %s: %s", what, ifname, strerror(e));
}

/* The DLT of frames read from ifname with AF_PACKET SOCK_RAW: Ethernet and
 * loopback give an Ethernet header (zero MACs on lo), tun and other
 * ARPHRD_NONE links start at the IP header. -1 for anything else. */
int rx_link_dlt(int fd, const char *ifname)
{
    struct ifreq ifr = {0};

    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
        return -1;
    switch (ifr.ifr_hwaddr.sa_family) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
        return DLT_EN10MB;
    case ARPHRD_NONE:
        return DLT_RAW;
    default:
        return -1;
    }
}

/*
 * Compile bpf (pcap syntax) for linktype and attach it to fd, preceded by two
 * instructions that reject PACKET_OUTGOING frames via the pkttype ancillary
 * load, so our own probes never take ring space. Relative jumps in the
 * compiled program are unaffected by the prefix.
 */
int rx_attach_filter(int fd, int linktype, const char *ifname, const char *bpf, char *err,
                     size_t errlen)
{
    pcap_t *dead = pcap_open_dead(linktype, RX_SNAPLEN);
    struct bpf_program prog;
    struct sock_filter *code;
    int rc = -1;

    if (!dead) {
        snprintf(err, errlen, "pcap_open_dead failed");
        return -1;
    }
    if (pcap_compile(dead, &prog, bpf ? bpf : "", 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(err, errlen, "bad BPF filter '%s': %s", bpf ? bpf : "", pcap_geterr(dead));
        pcap_close(dead);
        return -1;
    }
    code = calloc(prog.bf_len + 3, sizeof(*code));
    if (code) {
        code[0] =
            (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE);
        code[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1);
        code[2] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
        /* struct bpf_insn and struct sock_filter share one layout. */
        memcpy(code + 3, prog.bf_insns, prog.bf_len * sizeof(*code));
        struct sock_fprog fprog = {.len = (unsigned short)(prog.bf_len + 3), .filter = code};
        if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) == 0)
            rc = 0;
        else
            rx_set_err(err, errlen, ifname, "SO_ATTACH_FILTER", errno);
        free(code);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    pcap_freecode(&prog);
    pcap_close(dead);
    return rc;
}

int rx_filtered_socket(struct rx *r, const char *ifname, const char *bpf, int socket_flags,
                       char *err, size_t errlen)
{
    r->fd = socket(AF_PACKET, SOCK_RAW | socket_flags, 0);
    if (r->fd < 0) {
        rx_set_err(err, errlen, ifname, "socket(AF_PACKET)", errno);
        return -1;
    }
    r->linktype = rx_link_dlt(r->fd, ifname);
    if (r->linktype < 0) {
        snprintf(err, errlen, "%s: unsupported link type for packet capture", ifname);
        return -1;
    }
    return rx_attach_filter(r->fd, r->linktype, ifname, bpf, err, errlen);
}

/* pub: the struct rx whose early socket serves until this ring is bound
 * (told RING_BINDING just before bind), or NULL. */
static int open_ring(struct rx *r, const char *ifname, int ifindex, const char *bpf,
                     size_t ring_bytes, struct rx *pub, char *err, size_t errlen)
{
    int version = TPACKET_V3;
    struct sockaddr_ll sll = {0};
    struct tpacket_req3 req = {0};

    /* Protocol 0 until the filter and ring are in place, so nothing
     * unfiltered is queued; bind() below starts reception. */
    if (rx_filtered_socket(r, ifname, bpf, SOCK_CLOEXEC, err, errlen) < 0)
        return -1;
    if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0) {
        rx_set_err(err, errlen, ifname, "PACKET_VERSION(TPACKET_V3)", errno);
        return -1;
    }
    /* Large blocks may not be available as contiguous pages; the kernel
     * falls back to vmalloc, but memory limits can still refuse: halve the
     * block count down to 2 before giving up. */
    unsigned bs, nr0;
    ring_geometry(ring_bytes, &bs, &nr0);
    for (unsigned nr = nr0;; nr /= 2) {
        req.tp_block_size = bs;
        req.tp_block_nr = nr;
        req.tp_frame_size = RX_FRAME_HINT;
        req.tp_frame_nr = bs / RX_FRAME_HINT * nr;
        req.tp_retire_blk_tov = RX_BLOCK_TIMEOUT_MS;
        if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) == 0)
            break;
        if (errno != ENOMEM || nr <= 2) {
            rx_set_err(err, errlen, ifname, "PACKET_RX_RING", errno);
            return -1;
        }
    }
    r->block_nr = req.tp_block_nr;
    r->block_size = req.tp_block_size;
    r->map_len = (size_t)r->block_nr * r->block_size;
    r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        rx_set_err(err, errlen, ifname, "mmap(PACKET_RX_RING)", errno);
        return -1;
    }
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    if (pub)
        atomic_store_explicit(&pub->ring_state, RING_BINDING, memory_order_release);
    if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        rx_set_err(err, errlen, ifname, "bind(AF_PACKET)", errno);
        return -1;
    }
    return 0;
}

static int open_pcap(struct rx *r, const char *ifname, const char *bpf, size_t ring_bytes,
                     char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct bpf_program prog;
    int rc;

    r->pcap = pcap_create(ifname, ebuf);
    if (!r->pcap) {
        snprintf(err, errlen, "pcap on %s: %s", ifname, ebuf);
        return -1;
    }
    /* Small snaplen and a large buffer: see RX_SNAPLEN. Immediate mode
     * delivers each frame at once (libpcap then uses TPACKET_V2, whose
     * frames are not held back by a block timeout). */
    pcap_set_snaplen(r->pcap, RX_SNAPLEN);
    pcap_set_promisc(r->pcap, 0);
    pcap_set_immediate_mode(r->pcap, 1);
    pcap_set_buffer_size(r->pcap, ring_bytes == RX_RING_DEFAULT ? RX_PCAP_BUFFER
                                  : ring_bytes < RX_RING_MIN    ? (int)RX_RING_MIN
                                  : ring_bytes > RX_RING_MAX    ? (int)RX_RING_MAX
                                                                : (int)ring_bytes);
    /* Nanosecond header timestamps where libpcap has them (it reads the
     * kernel's tp_sec/tp_nsec either way); microseconds otherwise. */
    (void)pcap_set_tstamp_precision(r->pcap, PCAP_TSTAMP_PRECISION_NANO);
    rc = pcap_activate(r->pcap);
    if (rc == PCAP_ERROR_PERM_DENIED) {
        snprintf(err, errlen, "raw sockets need root or CAP_NET_RAW (try -sT)");
        return -1;
    }
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
        snprintf(err, errlen, "no such interface '%s'", ifname);
        return -1;
    }
    if (rc < 0) {
        snprintf(err, errlen, "pcap on %s: %s", ifname, pcap_geterr(r->pcap));
        return -1;
    }
    /* Replies only: never our own probes (looped back on lo, tapped on veth).
     * libpcap drops outgoing frames in user space, so pcap_stats still counts
     * them. (Prefixing the filter with "inbound" moves that into the kernel
     * but libpcap's user-space pass then loses the first frame: measured.) */
    if (pcap_setdirection(r->pcap, PCAP_D_IN) < 0) {
        snprintf(err, errlen, "pcap on %s: %s", ifname, pcap_geterr(r->pcap));
        return -1;
    }
    if (pcap_compile(r->pcap, &prog, bpf ? bpf : "", 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(err, errlen, "bad BPF filter '%s': %s", bpf ? bpf : "", pcap_geterr(r->pcap));
        return -1;
    }
    rc = pcap_setfilter(r->pcap, &prog);
    pcap_freecode(&prog);
    if (rc < 0) {
        snprintf(err, errlen, "pcap filter on %s: %s", ifname, pcap_geterr(r->pcap));
        return -1;
    }
    if (pcap_setnonblock(r->pcap, 1, ebuf) < 0) {
        snprintf(err, errlen, "pcap on %s: %s", ifname, ebuf);
        return -1;
    }
    r->fd = pcap_get_selectable_fd(r->pcap);
    r->linktype = pcap_datalink(r->pcap);
    r->ts_unit = pcap_get_tstamp_precision(r->pcap) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
    return 0;
}

/* The ring's setup, off the caller's path: PACKET_RX_RING waits for a
 * kernel grace period (io.h). Publishes the ring through ring_state. */
static void *ring_thread(void *arg)
{
    struct rx *r = arg;
    struct rx tmp = {.fd = -1, .wake_fd = -1};
    char err[160];
    int rc = open_ring(&tmp, r->ifname, r->ifindex, r->bpf, r->ring_bytes, r, err, sizeof(err));
    if (rc == 0) {
        r->ring_cut = rx_clock_ns(); /* after bind: later frames are in the ring */
        r->fd = tmp.fd;
        r->map = tmp.map;
        r->map_len = tmp.map_len;
        r->block_nr = tmp.block_nr;
        r->block_size = tmp.block_size;
        atomic_store_explicit(&r->ring_state, RING_READY, memory_order_release);
    } else {
        if (tmp.map)
            munmap(tmp.map, tmp.map_len);
        if (tmp.fd >= 0)
            close(tmp.fd);
        atomic_store_explicit(&r->ring_state, RING_FAILED, memory_order_release);
    }
    return NULL;
}

/* RECV_RING: receive on a plain socket at once and set the ring up on a
 * thread, so that sending need not wait for the ring's grace period. A
 * ring that cannot be set up leaves the socket in charge. */
static int open_ring_async(struct rx *r, const char *ifname, int ifindex, const char *bpf,
                           size_t ring_bytes, char *err, size_t errlen)
{
    if (rx_open_sock(r, ifname, ifindex, bpf, ring_bytes, err, errlen) < 0)
        return -1;
    r->sock_fd = r->fd;
    r->fd = -1;
    snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
    r->ifindex = ifindex;
    r->ring_bytes = ring_bytes;
    r->bpf = strdup(bpf ? bpf : "");
    if (r->bpf && pthread_create(&r->ring_th, NULL, ring_thread, r) == 0)
        r->ring_th_started = true;
    else
        atomic_store(&r->ring_state, RING_FAILED);
    return 0;
}

struct rx *rx_open(enum recv_method m, const char *ifname, const char *bpf, size_t ring_bytes,
                   char *err, size_t errlen)
{
    struct rx *r;
    int ifindex, rc;

    if (err && errlen)
        err[0] = '\0';
    if (!ifname || !ifname[0] || (ifindex = (int)if_nametoindex(ifname)) == 0) {
        snprintf(err, errlen, "no such interface '%s'", ifname ? ifname : "");
        errno = ENODEV;
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->method = m;
    snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
    if (m == RECV_AUTO) /* io.h says why */
        r->method =
            ring_bytes != RX_RING_DEFAULT && ring_bytes <= RX_RING_MIN ? RECV_SOCKET : RECV_RING;
    r->fd = -1;
    r->sock_fd = -1;
    r->ring_cut = INT64_MIN;
    /* Without it rx_wake() does nothing and a poll runs its full slice. */
    r->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->method == RECV_RING)
        rc = open_ring_async(r, ifname, ifindex, bpf, ring_bytes, err, errlen);
    else if (r->method == RECV_PCAP)
        rc = open_pcap(r, ifname, bpf, ring_bytes, err, errlen);
    else if (r->method == RECV_SOCKET)
        rc = rx_open_sock(r, ifname, ifindex, bpf, ring_bytes, err, errlen);
    else {
        snprintf(err, errlen, "unknown receive method %d", (int)m);
        rc = -1;
    }
    if (rc < 0) {
        int e = errno;
        rx_close(r);
        errno = e;
        return NULL;
    }
    return r;
}

int rx_linktype(const struct rx *r)
{
    return r->linktype;
}

static struct tpacket_block_desc *block(struct rx *r, unsigned i)
{
    return (struct tpacket_block_desc *)(r->map + (size_t)i * r->block_size);
}

static bool block_ready(struct tpacket_block_desc *bd)
{
    return __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER;
}

/* Deliver every frame of a retired block, then give the block back. */
static unsigned walk_block(struct rx *r, struct tpacket_block_desc *bd, rx_frame_fn fn, void *ctx)
{
    uint32_t n = bd->hdr.bh1.num_pkts;
    uint8_t *p = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
    unsigned delivered = 0;

    for (uint32_t i = 0; i < n; i++) {
        const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)p;
        const struct sockaddr_ll *sll =
            (const struct sockaddr_ll *)(p + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));

        /* The kernel filter already rejects these; this keeps the
         * guarantee if the filter is ever replaced. */
        if (sll->sll_pkttype != PACKET_OUTGOING) {
            /* tp_sec/tp_nsec: the skb's receive stamp, else the time
             * tpacket_rcv ran (ktime_get_real): CLOCK_REALTIME either way
             * (see rx_clock_ns). TP_STATUS_TS_* says which; 0 means none. */
            int64_t ts = (int64_t)h->tp_sec * 1000000000 + h->tp_nsec;
            if (ts == 0 || ts > r->ring_cut) { /* else the early socket had it */
                fn(ctx, p + h->tp_mac, h->tp_snaplen, h->tp_len, ts);
                delivered++;
            }
        }
        p += h->tp_next_offset;
    }
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    return delivered;
}

/* Wait up to timeout_ms for fd or a wake-up; > 0 when fd is ready. A
 * wake-up is consumed here: the caller sees a timeout and checks its stop
 * flag, instead of sleeping out the slice. */
int rx_wait_fd(struct rx *r, int fd, int timeout_ms)
{
    struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN | POLLERR},
                            {.fd = r->wake_fd, .events = POLLIN}};
    int pr = poll(pfd, r->wake_fd >= 0 ? 2 : 1, timeout_ms);
    if (pr < 0)
        return errno == EINTR ? 0 : -1;
    if (pr > 0 && r->wake_fd >= 0 && (pfd[1].revents & POLLIN)) {
        uint64_t v;
        (void)!read(r->wake_fd, &v, sizeof(v));
    }
    return pfd[0].revents ? 1 : 0;
}

static int poll_ring(struct rx *r, int timeout_ms, rx_frame_fn fn, void *ctx)
{
    unsigned delivered = 0;

    if (r->sock_fd >= 0) {
        /* Pending, or failed for good: the socket serves alone. */
        if (atomic_load_explicit(&r->ring_state, memory_order_acquire) != RING_READY)
            return rx_poll_sock(r, r->sock_fd, timeout_ms, fn, ctx, NULL);
        /* Both, until nothing stamped before ring_cut can still reach the
         * socket; then it goes. */
        int got;
        do
            delivered += (unsigned)rx_poll_sock(r, r->sock_fd, 0, fn, ctx, &got);
        while (got > 0);
        if (rx_clock_ns() > r->ring_cut + RX_SWITCH_NS) {
            rx_add_stats(r, r->sock_fd);
            io_close_fd_async(r->sock_fd);
            r->sock_fd = -1;
        }
    }

    for (int waited = 0;;) {
        /* At most one lap per call, so the caller gets control back. */
        for (unsigned k = 0; k < r->block_nr && block_ready(block(r, r->cur)); k++) {
            delivered += walk_block(r, block(r, r->cur), fn, ctx);
            r->cur = (r->cur + 1) % r->block_nr;
        }
        if (delivered || waited)
            return (int)delivered;
        int pr = rx_wait_fd(r, r->fd, timeout_ms);
        if (pr <= 0)
            return pr;
        waited = 1;
    }
}

/* One recvmmsg batch (at most one per call after a wait, like poll_ring's
 * lap): frames of our own (PACKET_OUTGOING) were already dropped by the
 * filter, checked again here as the ring does. */

static void pcap_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct rx *r = (struct rx *)user;
    int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * r->ts_unit;

    r->fn(r->ctx, bytes, h->caplen, h->len, ts);
}

static int poll_pcap(struct rx *r, int timeout_ms, rx_frame_fn fn, void *ctx)
{
    int n;

    r->fn = fn;
    r->ctx = ctx;
    n = pcap_dispatch(r->pcap, -1, pcap_cb, (u_char *)r);
    if (n == 0 && timeout_ms != 0) {
        int pr = rx_wait_fd(r, r->fd, timeout_ms);
        if (pr < 0)
            return -1;
        if (pr > 0)
            n = pcap_dispatch(r->pcap, -1, pcap_cb, (u_char *)r);
    }
    if (n < 0) {
        errno = EIO;
        return -1;
    }
    return n;
}

/* --packet-capture: each delivered frame goes to the capture first. */
struct capture_tap {
    const struct rx *r;
    rx_frame_fn fn;
    void *ctx;
};

static void capture_tap_frame(void *arg, const uint8_t *data, size_t caplen, size_t wirelen,
                              int64_t ts_ns)
{
    struct capture_tap *tap = arg;
    capture_frame(capture_link_of_dlt(tap->r->linktype), tap->r->ifname, data, caplen, wirelen,
                  ts_ns, CAPTURE_IN);
    tap->fn(tap->ctx, data, caplen, wirelen, ts_ns);
}

int rx_poll(struct rx *r, int timeout_ms, rx_frame_fn fn, void *ctx)
{
    struct capture_tap tap;
    if (atomic_load_explicit(&capture_active, memory_order_relaxed)) {
        tap = (struct capture_tap){r, fn, ctx};
        fn = capture_tap_frame;
        ctx = &tap;
    }
    if (r->method == RECV_PCAP)
        return poll_pcap(r, timeout_ms, fn, ctx);
    if (r->method == RECV_SOCKET)
        return rx_poll_sock(r, r->fd, timeout_ms, fn, ctx, NULL);
    return poll_ring(r, timeout_ms, fn, ctx);
}

/* The kernel zeroes its counters on every read and returns tp_packets
 * with the drops already added; keep running totals. While a ring takes
 * over from its socket, frames counted by both are counted twice. */
void rx_add_stats(struct rx *r, int fd)
{
    struct tpacket_stats_v3 st = {0};
    socklen_t len = sizeof(st);

    if (fd >= 0 && getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
        r->received += st.tp_packets - st.tp_drops;
        r->dropped += st.tp_drops;
    }
}

void rx_stats(struct rx *r, uint64_t *received, uint64_t *dropped)
{
    if (r->method == RECV_PCAP) {
        struct pcap_stat ps = {0};
        (void)pcap_stats(r->pcap, &ps);
        /* ps_recv counts dropped frames too (the kernel's tp_packets). */
        *received = ps.ps_recv - ps.ps_drop;
        *dropped = ps.ps_drop;
        return;
    }
    if (r->sock_fd >= 0)
        rx_add_stats(r, r->sock_fd);
    if (r->method != RECV_RING ||
        atomic_load_explicit(&r->ring_state, memory_order_acquire) == RING_READY)
        rx_add_stats(r, r->fd);
    *received = r->received;
    *dropped = r->dropped;
}

void rx_wake(struct rx *r)
{
    uint64_t one = 1;
    if (r && r->wake_fd >= 0)
        (void)!write(r->wake_fd, &one, sizeof(one));
}

void rx_close(struct rx *r)
{
    if (!r)
        return;
    if (r->ring_th_started)
        pthread_join(r->ring_th, NULL);
    if (r->sock_fd >= 0)
        close(r->sock_fd);
    free(r->bpf);
    if (r->wake_fd >= 0)
        close(r->wake_fd);
    if (r->pcap) {
        pcap_close(r->pcap); /* closes r->fd too */
    } else {
        if (r->map)
            munmap(r->map, r->map_len);
        if (r->fd >= 0)
            close(r->fd);
    }
    free(r->msgs);
    free(r->iov);
    free(r->bufs);
    free(r->cbufs);
    free(r->from);
    free(r);
}
