/*
 * rx.c — the receive half of io.h.
 *
 *   RECV_RING  AF_PACKET TPACKET_V3 RX ring. The kernel writes frames that
 *              pass our BPF filter into large blocks of a ring mapped into
 *              our address space and hands over a whole block at a time: no
 *              syscall and no copy per frame, one poll() per block at most.
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
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bytes kept of each frame. Replies are classified from their headers
 * (Ethernet + IPv6 + TCP with options, or an ICMP error quoting our probe's
 * headers), which fit in 256 bytes. Small frames also keep the rings dense:
 * libpcap sizes each ring slot from the snaplen, and on a veth with GSO/GRO
 * a 64 KiB snaplen leaves only a few dozen slots in the whole buffer, so
 * replies to a fast scan overflow it. */
#define RX_SNAPLEN 256

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
#define RX_RING_MIN         (1u << 20)
#define RX_RING_MAX         (64u << 20)
#define RX_FRAME_BYTES      160  /* a reply's slot, rounded up: for rx_ring_bytes() */
#define RX_FRAME_HINT       2048 /* only used to size tp_frame_nr */
#define RX_BLOCK_TIMEOUT_MS 10

/* libpcap's buffer for RX_RING_DEFAULT (the whole ring, split into
 * snaplen-sized slots; bench/sendpath.sh patches this line to show what
 * libpcap's defaults would do). */
#define RX_PCAP_BUFFER (64 << 20)

#define RX_SOCK_BATCH 64
/* Room for SCM_TIMESTAMPNS and PACKET_AUXDATA. */
struct rx_cmsg {
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        struct cmsghdr align;
    } u;
};

struct rx {
    enum recv_method method;
    int linktype;
    int wake_fd; /* eventfd: rx_wake() ends a poll at once */

    /* RECV_RING */
    int fd;
    uint8_t *map;
    size_t map_len;
    unsigned block_nr;
    unsigned block_size;
    unsigned cur;               /* next block to read */
    uint64_t received, dropped; /* PACKET_STATISTICS resets on read: we sum */

    /* RECV_SOCKET: one batch of frames, RX_SNAPLEN bytes each */
    struct mmsghdr *msgs;
    struct iovec *iov;
    uint8_t *bufs;
    struct rx_cmsg *cbufs;
    struct sockaddr_ll *from;

    /* RECV_PCAP */
    pcap_t *pcap;
    int64_t ts_unit; /* ns per unit of the header's tv_usec: 1 (nano precision) or 1000 */
    rx_frame_fn fn;  /* valid during rx_poll */
    void *ctx;
};

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
static size_t clamp_hint(size_t hint)
{
    if (hint == RX_RING_DEFAULT || hint > RX_RING_MAX)
        return RX_RING_MAX;
    return hint < RX_RING_MIN ? RX_RING_MIN : hint;
}

static void ring_geometry(size_t hint, unsigned *block_size, unsigned *block_nr)
{
    size_t bytes = clamp_hint(hint);
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

static void set_err(char *err, size_t errlen, const char *ifname, const char *what, int e)
{
    if (e == EPERM || e == EACCES)
        snprintf(err, errlen, "raw sockets need root or CAP_NET_RAW (try -sT)");
    else
        snprintf(err, errlen, "%s on %s: %s", what, ifname, strerror(e));
}

/* The DLT of frames read from ifname with AF_PACKET SOCK_RAW: Ethernet and
 * loopback give an Ethernet header (zero MACs on lo), tun and other
 * ARPHRD_NONE links start at the IP header. -1 for anything else. */
static int link_dlt(int fd, const char *ifname)
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
static int attach_filter(int fd, int linktype, const char *ifname, const char *bpf, char *err,
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
            set_err(err, errlen, ifname, "SO_ATTACH_FILTER", errno);
        free(code);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    pcap_freecode(&prog);
    pcap_close(dead);
    return rc;
}

static int open_ring(struct rx *r, const char *ifname, int ifindex, const char *bpf,
                     size_t ring_bytes, char *err, size_t errlen)
{
    int version = TPACKET_V3;
    struct sockaddr_ll sll = {0};
    struct tpacket_req3 req = {0};

    /* Protocol 0 until the filter and ring are in place, so nothing
     * unfiltered is queued; bind() below starts reception. */
    r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (r->fd < 0) {
        set_err(err, errlen, ifname, "socket(AF_PACKET)", errno);
        return -1;
    }
    r->linktype = link_dlt(r->fd, ifname);
    if (r->linktype < 0) {
        snprintf(err, errlen, "%s: unsupported link type for packet capture", ifname);
        return -1;
    }
    if (attach_filter(r->fd, r->linktype, ifname, bpf, err, errlen) < 0)
        return -1;
    if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0) {
        set_err(err, errlen, ifname, "PACKET_VERSION(TPACKET_V3)", errno);
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
            set_err(err, errlen, ifname, "PACKET_RX_RING", errno);
            return -1;
        }
    }
    r->block_nr = req.tp_block_nr;
    r->block_size = req.tp_block_size;
    r->map_len = (size_t)r->block_nr * r->block_size;
    r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        set_err(err, errlen, ifname, "mmap(PACKET_RX_RING)", errno);
        return -1;
    }
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        set_err(err, errlen, ifname, "bind(AF_PACKET)", errno);
        return -1;
    }
    return 0;
}

/* RECV_SOCKET: the ring's socket without the ring. The socket buffer
 * counts each frame's skb (about 1-2 KiB on a veth, not the 160 bytes a
 * ring slot takes), hence 8x the hint; SO_RCVBUFFORCE because rmem_max is
 * usually 208 KiB. */
static int open_sock(struct rx *r, const char *ifname, int ifindex, const char *bpf,
                     size_t ring_bytes, char *err, size_t errlen)
{
    int one = 1;
    struct sockaddr_ll sll = {0};

    r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (r->fd < 0) {
        set_err(err, errlen, ifname, "socket(AF_PACKET)", errno);
        return -1;
    }
    r->linktype = link_dlt(r->fd, ifname);
    if (r->linktype < 0) {
        snprintf(err, errlen, "%s: unsupported link type for packet capture", ifname);
        return -1;
    }
    if (attach_filter(r->fd, r->linktype, ifname, bpf, err, errlen) < 0)
        return -1;
    size_t hint = clamp_hint(ring_bytes);
    int rcvbuf = (int)(hint * 8 > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : hint * 8);
    if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
        (void)setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    /* Kernel receive times (CLOCK_REALTIME, as the ring's) and each frame's
     * length before the filter's snaplen cut it. */
    if (setsockopt(r->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
        setsockopt(r->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
        set_err(err, errlen, ifname, "SO_TIMESTAMPNS/PACKET_AUXDATA", errno);
        return -1;
    }
    r->msgs = calloc(RX_SOCK_BATCH, sizeof(*r->msgs));
    r->iov = calloc(RX_SOCK_BATCH, sizeof(*r->iov));
    r->bufs = malloc((size_t)RX_SOCK_BATCH * RX_SNAPLEN);
    r->cbufs = calloc(RX_SOCK_BATCH, sizeof(*r->cbufs));
    r->from = calloc(RX_SOCK_BATCH, sizeof(*r->from));
    if (!r->msgs || !r->iov || !r->bufs || !r->cbufs || !r->from) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        set_err(err, errlen, ifname, "bind(AF_PACKET)", errno);
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
    if (m == RECV_AUTO) /* io.h says why */
        r->method =
            ring_bytes != RX_RING_DEFAULT && ring_bytes <= RX_RING_MIN ? RECV_SOCKET : RECV_RING;
    r->fd = -1;
    /* Without it rx_wake() does nothing and a poll runs its full slice. */
    r->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->method == RECV_RING)
        rc = open_ring(r, ifname, ifindex, bpf, ring_bytes, err, errlen);
    else if (r->method == RECV_PCAP)
        rc = open_pcap(r, ifname, bpf, ring_bytes, err, errlen);
    else if (r->method == RECV_SOCKET)
        rc = open_sock(r, ifname, ifindex, bpf, ring_bytes, err, errlen);
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
            fn(ctx, p + h->tp_mac, h->tp_snaplen, h->tp_len, ts);
            delivered++;
        }
        p += h->tp_next_offset;
    }
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    return delivered;
}

/* Wait up to timeout_ms for fd or a wake-up; > 0 when fd is ready. A
 * wake-up is consumed here: the caller sees a timeout and checks its stop
 * flag, instead of sleeping out the slice. */
static int wait_fd(struct rx *r, int fd, int timeout_ms)
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

    for (int waited = 0;;) {
        /* At most one lap per call, so the caller gets control back. */
        for (unsigned k = 0; k < r->block_nr && block_ready(block(r, r->cur)); k++) {
            delivered += walk_block(r, block(r, r->cur), fn, ctx);
            r->cur = (r->cur + 1) % r->block_nr;
        }
        if (delivered || waited)
            return (int)delivered;
        int pr = wait_fd(r, r->fd, timeout_ms);
        if (pr <= 0)
            return pr;
        waited = 1;
    }
}

/* One recvmmsg batch (at most one per call after a wait, like poll_ring's
 * lap): frames of our own (PACKET_OUTGOING) were already dropped by the
 * filter, checked again here as the ring does. */
static int poll_sock(struct rx *r, int timeout_ms, rx_frame_fn fn, void *ctx)
{
    for (int waited = 0;;) {
        for (unsigned i = 0; i < RX_SOCK_BATCH; i++) {
            r->iov[i].iov_base = r->bufs + (size_t)i * RX_SNAPLEN;
            r->iov[i].iov_len = RX_SNAPLEN;
            r->msgs[i].msg_hdr = (struct msghdr){
                .msg_name = &r->from[i],
                .msg_namelen = sizeof(r->from[i]),
                .msg_iov = &r->iov[i],
                .msg_iovlen = 1,
                .msg_control = r->cbufs[i].u.buf,
                .msg_controllen = sizeof(r->cbufs[i].u.buf),
            };
        }
        int n = recvmmsg(r->fd, r->msgs, RX_SOCK_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (n > 0) {
            unsigned delivered = 0;
            for (int i = 0; i < n; i++) {
                struct msghdr *h = &r->msgs[i].msg_hdr;
                size_t caplen = r->msgs[i].msg_len, wirelen = caplen;
                int64_t ts = 0;
                if (r->from[i].sll_pkttype == PACKET_OUTGOING)
                    continue;
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
                    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                        struct timespec t;
                        memcpy(&t, CMSG_DATA(cm), sizeof(t));
                        ts = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
                    } else if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA) {
                        struct tpacket_auxdata a;
                        memcpy(&a, CMSG_DATA(cm), sizeof(a));
                        wirelen = a.tp_len;
                    }
                }
                if (caplen > RX_SNAPLEN)
                    caplen = RX_SNAPLEN;
                fn(ctx, r->bufs + (size_t)i * RX_SNAPLEN, caplen, wirelen, ts);
                delivered++;
            }
            return (int)delivered;
        }
        if (waited)
            return 0;
        int pr = wait_fd(r, r->fd, timeout_ms);
        if (pr <= 0)
            return pr;
        waited = 1;
    }
}

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
        int pr = wait_fd(r, r->fd, timeout_ms);
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

int rx_poll(struct rx *r, int timeout_ms, rx_frame_fn fn, void *ctx)
{
    if (r->method == RECV_PCAP)
        return poll_pcap(r, timeout_ms, fn, ctx);
    if (r->method == RECV_SOCKET)
        return poll_sock(r, timeout_ms, fn, ctx);
    return poll_ring(r, timeout_ms, fn, ctx);
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
    struct tpacket_stats_v3 st = {0};
    socklen_t len = sizeof(st);

    /* The kernel zeroes its counters on every read and returns tp_packets
     * with the drops already added; keep running totals. */
    if (getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
        r->received += st.tp_packets - st.tp_drops;
        r->dropped += st.tp_drops;
    }
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

static void *close_thread(void *arg)
{
    rx_close(arg);
    return NULL;
}

void rx_close_async(struct rx *r)
{
    pthread_t th;
    pthread_attr_t a;
    if (!r)
        return;
    if (pthread_attr_init(&a) == 0) {
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&th, &a, close_thread, r);
        pthread_attr_destroy(&a);
        if (rc == 0)
            return;
    }
    rx_close(r);
}
