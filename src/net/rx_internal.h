/*
 * rx_internal.h — what rx.c (the ring and libpcap receivers, rx_open,
 * rx_poll) and rx_sock.c (RECV_SOCKET, and the socket a ring starts on)
 * share. Not a public contract: io.h is.
 */
#ifndef PRTIP_NET_RX_INTERNAL_H
#define PRTIP_NET_RX_INTERNAL_H

#include "net/io.h"

#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* Bytes kept of each frame. Replies are classified from their headers
 * (Ethernet + IPv6 + TCP with options, or an ICMP error quoting our probe's
 * headers), which fit in 256 bytes. Small frames also keep the rings dense:
 * libpcap sizes each ring slot from the snaplen, and on a veth with GSO/GRO
 * a 64 KiB snaplen leaves only a few dozen slots in the whole buffer, so
 * replies to a fast scan overflow it. */
#define RX_SNAPLEN 256

/* Hints below and above are clamped to these (rx_clamp_hint). */
#define RX_RING_MIN (1u << 20)
#define RX_RING_MAX (64u << 20)

#define RX_SOCK_BATCH 64
/* How long after ring_cut a frame stamped before it may still be on its
 * way into the early socket (it is queued in the same softirq, within
 * microseconds); the socket is closed after that. */
#define RX_SWITCH_NS 10000000

enum { RING_FAILED = -1, RING_PENDING, RING_BINDING, RING_READY };
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

    /* RECV_RING starts on a plain socket (sock_fd) while a thread sets the
     * ring up (ring_state); fd and the ring fields are the thread's until
     * RING_READY. Each frame is delivered once: from the socket if the
     * kernel stamped it at or before ring_cut (a time after the ring was
     * bound; the socket is open all along), from the ring if after. */
    int sock_fd;
    _Atomic int ring_state;
    int64_t ring_cut; /* rx_clock_ns(); written before RING_READY */
    pthread_t ring_th;
    bool ring_th_started;
    char ifname[IF_NAMESIZE]; /* also names --packet-capture's interface blocks */
    int ifindex;
    char *bpf;
    size_t ring_bytes;

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

/* The hint clamped to [RX_RING_MIN, RX_RING_MAX]; RX_RING_DEFAULT = max. */
size_t rx_clamp_hint(size_t hint);
/* err: "raw sockets need root ..." for EPERM/EACCES, else "what on ifname: errno text". */
void rx_set_err(char *err, size_t errlen, const char *ifname, const char *what, int e);
/* DLT of frames read from ifname with AF_PACKET SOCK_RAW, -1 if unsupported. */
int rx_link_dlt(int fd, const char *ifname);
/* Compile bpf (pcap syntax), prefix the outgoing-frame reject, attach to fd.
 * 0, or -1 with err set. */
int rx_attach_filter(int fd, int linktype, const char *ifname, const char *bpf, char *err,
                     size_t errlen);
/* r->fd = a new AF_PACKET SOCK_RAW socket (socket_flags: SOCK_CLOEXEC,
 * SOCK_NONBLOCK...) bound to no protocol yet, with r->linktype set and bpf
 * attached: nothing unfiltered is ever queued on it. 0, or -1 with err. */
int rx_filtered_socket(struct rx *r, const char *ifname, const char *bpf, int socket_flags,
                       char *err, size_t errlen);
/* poll() fd and the wake eventfd up to timeout_ms: > 0 when fd is ready,
 * 0 on timeout or wake-up (consumed), -1 on error. */
int rx_wait_fd(struct rx *r, int fd, int timeout_ms);
/* Add fd's PACKET_STATISTICS (reset by the read) to r's totals. */
void rx_add_stats(struct rx *r, int fd);

/* rx_sock.c: open a filtered, bound AF_PACKET socket into r->fd with its
 * batch buffers (0, or -1 with err set; r is closed by the caller), and
 * read one batch from fd (r->fd, or r->sock_fd while a ring starts):
 * returns frames delivered, 0 on timeout, -1 with errno set; *got (may be
 * NULL) is the frames read, delivered or not. */
int rx_open_sock(struct rx *r, const char *ifname, int ifindex, const char *bpf, size_t ring_bytes,
                 char *err, size_t errlen);
int rx_poll_sock(struct rx *r, int fd, int timeout_ms, rx_frame_fn fn, void *ctx, int *got);

#endif
