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

enum send_method {
    SEND_AUTO = 0,     /* the fastest measured on this kind of link (see docs/BENCHMARKS.md) */
    SEND_RAW,          /* socket(AF_INET[6], SOCK_RAW, IPPROTO_RAW) + sendmmsg */
    SEND_PACKET_MMSG,  /* AF_PACKET SOCK_RAW + sendmmsg + PACKET_QDISC_BYPASS */
    SEND_PACKET_RING,  /* AF_PACKET TX ring (PACKET_TX_RING) + PACKET_QDISC_BYPASS */
};

enum recv_method {
    RECV_AUTO = 0,    /* TPACKET_V3 ring unless it is unavailable */
    RECV_RING,        /* AF_PACKET TPACKET_V3 RX ring with a kernel BPF filter */
    RECV_PCAP,        /* libpcap, immediate mode, buffer sized for the rate */
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

/* One received frame; data is valid only during the callback. */
typedef void (*rx_frame_fn)(void *ctx, const uint8_t *data, size_t len);

/*
 * Open a receiver on ifname with a BPF filter in pcap syntax (compiled with
 * libpcap's pcap_compile, attached with SO_ATTACH_FILTER for the ring).
 * Returns NULL with err set.
 */
struct rx *rx_open(enum recv_method m, const char *ifname, const char *bpf, char *err,
                   size_t errlen);

/* DLT_EN10MB (frames start at Ethernet), DLT_RAW (at IP) or DLT_LINUX_SLL. */
int rx_linktype(const struct rx *r);

/* Wait up to timeout_ms for frames and hand each to fn. Returns the number of
 * frames delivered (0 on timeout), or -1 with errno set. */
int rx_poll(struct rx *r, int timeout_ms, rx_frame_fn fn, void *ctx);

/* Kernel counters since open: frames received and dropped
 * (PACKET_STATISTICS / pcap_stats). */
void rx_stats(struct rx *r, uint64_t *received, uint64_t *dropped);
void rx_close(struct rx *r);

#endif
