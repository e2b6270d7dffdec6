/*
 * capture.h — --packet-capture: every frame the scan sends and receives,
 * written as PCAPNG (draft-ietf-opsawg-pcapng: section header, one
 * interface description per link type and interface with if_tsresol = 9,
 * i.e. nanoseconds, and one enhanced packet block per frame with
 * epb_flags giving the direction).
 *
 * Process-wide, like the signal flag in main.c: the send and receive back
 * ends (net/tx.c, net/rx.c) and the OS probes call capture_frame() when a
 * capture is open, so every engine is covered without each stage carrying a
 * handle. Copying a frame into the capture's ring is the only cost on the
 * send path; a writer thread formats nothing and only writes the ring's
 * bytes to the file. A full ring makes the producer wait (counted in
 * capture_waits), never drops a frame: the file is complete by design.
 */
#ifndef PRTIP_NET_CAPTURE_H
#define PRTIP_NET_CAPTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nonzero while a capture is open; tested before any other capture call. */
extern _Atomic int capture_active;

/* pcap/pcapng link types (LINKTYPE_*, tcpdump.org/linktypes.html). */
#define CAPTURE_LINK_ETHERNET 1
#define CAPTURE_LINK_RAW      101 /* starts at the IPv4/IPv6 header */
#define CAPTURE_LINK_SLL      113

/* The LINKTYPE_* value of a libpcap DLT_* value (rx_linktype()). */
int capture_link_of_dlt(int dlt);

/*
 * Open path for writing (truncating) and start the writer thread; "-"
 * writes to stdout, NULL writes no file. trace: also print each frame as
 * nmap's --packet-trace line on stdout (trace.h), from the writer thread.
 * Returns 0, or -1 with err naming the file and cause. Not thread-safe
 * against itself: call once, before any engine starts.
 */
int capture_open(const char *path, bool trace, char *err, size_t errlen);

/* A frame's direction, as epb_flags has it. */
enum capture_dir { CAPTURE_DIR_UNKNOWN = 0, CAPTURE_IN = 1, CAPTURE_OUT = 2 };

/*
 * Record one frame seen by a sender or receiver of the scan: link
 * (CAPTURE_LINK_*), the interface it crossed (NULL: none known), data of
 * caplen bytes from the link header, wirelen its length on the wire (>=
 * caplen), ts_ns in CLOCK_REALTIME ns (0: now), its direction.
 * Thread-safe; copies data; waits while the ring is full. Does nothing
 * while a tap (below) runs: the tap sees these frames on the interface.
 */
void capture_frame(int link, const char *ifname, const uint8_t *data, size_t caplen, size_t wirelen,
                   int64_t ts_ns, enum capture_dir dir);

/*
 * The tap, for scans whose packets the kernel makes (-sT: connect(2)): an
 * AF_PACKET socket on each interface that routes to a target, with a BPF
 * filter of the targets ("net A/n or ...", at most 64 specs, each spec's
 * smallest covering prefix; with more specs all IP and ARP of the
 * interface), read by a thread of its own until capture_tap_stop().
 * On loopback, where the kernel shows each packet twice (leaving and
 * arriving), one copy is kept, with an unknown direction.
 * Returns 0 (also when no capture is open: nothing to do), or -1 with err.
 */
struct target_set;
int capture_tap_start(const struct target_set *targets, char *err, size_t errlen);

/* Read what is still queued on the tap's sockets, then close them. */
void capture_tap_stop(void);

/* For the tap: record a frame even while it runs (capture_frame's body). */
void capture_put(int link, const char *ifname, const uint8_t *data, size_t caplen, size_t wirelen,
                 int64_t ts_ns, enum capture_dir dir);
extern _Atomic int capture_tapping;

/*
 * Write everything still in the ring, stop the writer and close the file.
 * Returns the number of frames written, or -1 if a write failed (err
 * names the file and cause). Safe when no capture is open (returns 0).
 */
int64_t capture_close(char *err, size_t errlen);

/*
 * Wait until every frame recorded before the call is written (and, with
 * --packet-trace, its line printed): the normal output calls it before a
 * host's report so that the report follows the trace lines of its probes,
 * as nmap's does. Any thread but the writer; returns at once when no
 * capture is open.
 */
void capture_flush(void);

/* True while a capture opened with trace (--packet-trace) is open: engines
 * whose packets the kernel makes print their own lines (trace_conn). */
bool capture_tracing(void);
/* Seconds since capture_open: the time of --packet-trace lines. */
double capture_clock_s(void);

/* Times a producer found the ring full and waited for the writer. */
uint64_t capture_waits(void);

#endif
