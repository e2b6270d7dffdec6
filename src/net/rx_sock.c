/*
 * rx_sock.c — RECV_SOCKET (io.h): the ring's filtered AF_PACKET socket
 * without the ring, read with recvmmsg; also the socket a RECV_RING
 * receiver serves from while its ring is set up (rx.c).
 */
#include "net/rx_internal.h"

#include <errno.h>
#include <net/ethernet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RECV_SOCKET: the ring's socket without the ring. The socket buffer
 * counts each frame's skb (about 1-2 KiB on a veth, not the 160 bytes a
 * ring slot takes), hence 8x the hint; SO_RCVBUFFORCE because rmem_max is
 * usually 208 KiB. */
int rx_open_sock(struct rx *r, const char *ifname, int ifindex, const char *bpf, size_t ring_bytes,
                 char *err, size_t errlen)
{
    int one = 1;
    struct sockaddr_ll sll = {0};

    if (rx_filtered_socket(r, ifname, bpf, SOCK_CLOEXEC | SOCK_NONBLOCK, err, errlen) < 0)
        return -1;
    size_t hint = rx_clamp_hint(ring_bytes);
    int rcvbuf = (int)(hint * 8 > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : hint * 8);
    if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
        (void)setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    /* Kernel receive times (CLOCK_REALTIME, as the ring's) and each frame's
     * length before the filter's snaplen cut it. */
    if (setsockopt(r->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
        setsockopt(r->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
        rx_set_err(err, errlen, ifname, "SO_TIMESTAMPNS/PACKET_AUXDATA", errno);
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
        rx_set_err(err, errlen, ifname, "bind(AF_PACKET)", errno);
        return -1;
    }
    return 0;
}

/* A ring's early socket delivers frames stamped up to ring_cut only (the
 * ring has the later ones), which is known once the ring's bind is done. */
static int64_t sock_cut(struct rx *r, int fd)
{
    int st;
    if (fd != r->sock_fd)
        return INT64_MAX;
    while ((st = atomic_load_explicit(&r->ring_state, memory_order_acquire)) == RING_BINDING)
        sched_yield(); /* bind() takes microseconds */
    return st == RING_READY ? r->ring_cut : INT64_MAX;
}

/* got (may be NULL): frames read, delivered or not. */
int rx_poll_sock(struct rx *r, int fd, int timeout_ms, rx_frame_fn fn, void *ctx, int *got)
{
    if (got)
        *got = 0;
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
        int n = recvmmsg(fd, r->msgs, RX_SOCK_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (n > 0) {
            unsigned delivered = 0;
            int64_t cut = sock_cut(r, fd);
            if (got)
                *got = n;
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
                if (ts > cut)
                    continue;
                if (caplen > RX_SNAPLEN)
                    caplen = RX_SNAPLEN;
                fn(ctx, r->bufs + (size_t)i * RX_SNAPLEN, caplen, wirelen, ts);
                delivered++;
            }
            return (int)delivered;
        }
        if (waited || timeout_ms == 0)
            return 0;
        int pr = rx_wait_fd(r, fd, timeout_ms);
        if (pr <= 0)
            return pr;
        waited = 1;
    }
}
