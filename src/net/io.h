/*
 * io.h — raw packet send and receive back ends for the stateless engine.
 *
 * Senders take batches of complete frames (with an Ethernet header for the
 * AF_PACKET methods, from the IP header for the raw-socket method) and push
 * them with as few syscalls as possible. Receivers hand every frame that
 * passes the BPF filter to a callback, starting at the link-layer header
 * described by rx_linktype().
 */
#ifndef PRTIP_NET_IO_H
#define PRTIP_NET_IO_H

#include "core/addr.h"
#include "net/route.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum send_method {
    SEND_AUTO = 0,    /* the fastest measured on this kind of link (see docs/BENCHMARKS.md) */
    SEND_RAW,         /* socket(AF_INET[6], SOCK_RAW, IPPROTO_RAW) + sendmmsg */
    SEND_PACKET_MMSG, /* AF_PACKET SOCK_RAW + sendmmsg + PACKET_QDISC_BYPASS */
    SEND_PACKET_RING, /* AF_PACKET TX ring (PACKET_TX_RING) + PACKET_QDISC_BYPASS */
};

enum recv_method {
    RECV_AUTO = 0, /* RECV_SOCKET for small hints, else RECV_RING (rx_open) */
    RECV_RING,     /* AF_PACKET TPACKET_V3 RX ring with a kernel BPF filter */
    RECV_PCAP,     /* libpcap, immediate mode, buffer sized for the rate */
    RECV_SOCKET,   /* AF_PACKET socket, kernel BPF filter, recvmmsg: no ring */
};

/* "auto", "raw", "packet", "ring" ↔ enum; -1 when unknown. */
int send_method_parse(const char *name);
int recv_method_parse(const char *name);
const char *send_method_name(enum send_method m);

struct tx; /* opaque */
struct rx; /* opaque */

/* True when frames for m must start with an Ethernet header. */
bool tx_wants_ethernet(enum send_method m, const struct route_info *ri);

/*
 * Open a sender on ri's interface for family (AF_INET/AF_INET6). The caller
 * owns the result (tx_close). Returns NULL with err naming the interface
 * and the cause; EPERM gives "raw sockets need root or CAP_NET_RAW (try -sT)".
 */
struct tx *tx_open(enum send_method m, const struct route_info *ri, int family, char *err,
                   size_t errlen);

/*
 * Send n frames (frames[i] of lens[i] bytes). dsts[i] is each frame's IP
 * destination (needed by the raw-socket method, ignored by AF_PACKET).
 * Blocks only while the kernel queue is full. Returns how many were sent
 * (n unless an error occurred), or -1 with errno set.
 */
int tx_send(struct tx *t, uint8_t *const frames[], const uint16_t lens[],
            const struct ipaddr dsts[], unsigned n);
void tx_close(struct tx *t);
/* tx_close() on a detached thread: see rx_close_async(). */
void tx_close_async(struct tx *t);

/*
 * The clock of receive timestamps: CLOCK_REALTIME, in ns. The kernel stamps
 * AF_PACKET frames (and libpcap's headers, which come from the same
 * socket) in the real-time clock, and no socket option offers another
 * software clock (SO_TIMESTAMPING/PACKET_TIMESTAMP only choose between that
 * and a NIC's hardware clock, which a veth does not have). A caller that
 * measures round trips stamps its sends with this, so a sample is one
 * subtraction with no offset between clocks to estimate. NTP slews the
 * real-time and monotonic clocks alike; only a step (settimeofday) moves one
 * against the other, and then a few samples are implausible, not a whole
 * scan (the engine drops negative ones).
 */
static inline int64_t rx_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * One received frame, handed to an rx_frame_fn. data (caplen bytes, from
 * the link-layer header of rx_linktype()) is valid only during the callback.
 * caplen is at most the receiver's snaplen (256 bytes: headers, not
 * payloads); wirelen is the frame's length on the wire, > caplen when the
 * snaplen cut it (parse it with pkt_parse_eth_cap/pkt_parse_ip_cap). ts_ns
 * is when the kernel received it, in rx_clock_ns()'s clock; 0 if the
 * kernel gave no timestamp (then the caller's own clock is all there is).
 */
typedef void (*rx_frame_fn)(void *ctx, const uint8_t *data, size_t caplen, size_t wirelen,
                            int64_t ts_ns);

/* rx_open()'s ring_bytes for "no idea": the largest ring (64 MiB). */
#define RX_RING_DEFAULT 0

/*
 * Open a receiver on ifname with a BPF filter in pcap syntax (compiled with
 * libpcap's pcap_compile, attached with SO_ATTACH_FILTER for the ring).
 * ring_bytes sizes the kernel's buffer (the TPACKET_V3 ring, or libpcap's
 * buffer): the replies it must hold while the receiving thread is not
 * running, i.e. expected reply rate x a burst window x ~128 bytes a frame
 * (rx_ring_bytes() computes that). The whole buffer is mapped into the
 * process (it is most of a raw scan's resident memory), so small scans
 * should ask for little. It is rounded up to at least 1 MiB, capped at
 * 64 MiB; RX_RING_DEFAULT gives 64 MiB. RECV_SOCKET has no ring: the hint
 * sizes its socket buffer instead. RECV_AUTO picks RECV_SOCKET for hints
 * of at most 1 MiB (the smallest ring: up to ~6,500 replies) and the ring
 * above that: setting up a ring waits for a kernel grace period (5-20 ms
 * here, the largest part of a small scan's time to its first probe) and
 * only pays off at rates a socket's per-batch syscalls cannot keep up
 * with. Returns NULL with err set.
 */
struct rx *rx_open(enum recv_method m, const char *ifname, const char *bpf, size_t ring_bytes,
                   char *err, size_t errlen);

/*
 * The ring_bytes hint for a receiver expecting at most max_frames frames in
 * all, at up to rate frames/s (0: unknown, as fast as the link goes),
 * holding window_ms of them. E.g. 1 Mpps x 500 ms -> 64 MiB, a single
 * host's 65,535 ports -> 8 MiB, a few ports -> 1 MiB.
 */
size_t rx_ring_bytes(uint64_t max_frames, double rate, unsigned window_ms);

/* DLT_EN10MB (frames start at Ethernet), DLT_RAW (at IP) or DLT_LINUX_SLL. */
int rx_linktype(const struct rx *r);

/* Wait up to timeout_ms for frames and hand each to fn. Returns the number of
 * frames delivered (0 on timeout), or -1 with errno set. */
int rx_poll(struct rx *r, int timeout_ms, rx_frame_fn fn, void *ctx);

/* Kernel counters since open: frames received and dropped
 * (PACKET_STATISTICS / pcap_stats). */
void rx_stats(struct rx *r, uint64_t *received, uint64_t *dropped);
void rx_close(struct rx *r);

/*
 * Make a poll in progress (or the next one) in another thread return at
 * once, as a timeout: how a receiving thread is told to stop without
 * waiting out its poll slice. Safe from any thread while r is open.
 */
void rx_wake(struct rx *r);

/*
 * rx_close() on a detached thread, for callers that do not need to wait.
 * Closing an AF_PACKET socket waits for an RCU grace period in the kernel
 * (synchronize_net, twice with a ring): 5 to 25 ms each here, which a
 * small scan would otherwise spend doing nothing. r must not be used
 * afterwards; the socket is gone by the time the process has exited (the
 * kernel waits for the thread). Falls back to rx_close() when no thread
 * can be started.
 */
void rx_close_async(struct rx *r);

/* close(fd) on a detached thread (a packet socket without the struct
 * around it): see rx_close_async(). */
void io_close_fd_async(int fd);

#endif
