/*
 * trace.h — --packet-trace: one line per frame in nmap's SENT/RCVD format
 * (trace.c shows it). The capture's writer thread (capture.c) calls it, so
 * the send path only copies the frame, as for --packet-capture.
 */
#ifndef PRTIP_NET_TRACE_H
#define PRTIP_NET_TRACE_H

#include "net/capture.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Print frame d (caplen bytes of a wirelen-byte frame, link CAPTURE_LINK_*)
 * to out as nmap's --packet-trace line; t_s is the time since the run's
 * start in seconds; dir CAPTURE_OUT prints SENT, anything else RCVD.
 * Frames that are not IPv4/IPv6 print nothing, nor TCP frames when
 * skip_tcp (a connect scan's segments: the kernel's, shown as CONN lines
 * by trace_conn instead, as nmap does). The line is written in one locked
 * piece (flockfile), so it never lands inside another thread's line.
 */
void trace_frame(FILE *out, double t_s, enum capture_dir dir, int link, const uint8_t *d,
                 size_t caplen, size_t wirelen, bool skip_tcp);

/*
 * nmap's --packet-trace line for a connect(2) probe (scan_engine_connect):
 *   CONN (0.0240s) TCP localhost > 127.0.0.1:22 => Operation now in progress
 *   CONN (0.0241s) TCP localhost > 127.0.0.1:22 => Connected
 * err 0 prints "Connected", any other errno its strerror text (EINPROGRESS
 * when the connect() was started, ECONNREFUSED, ...). dst is the target,
 * port in host order; t_s as for trace_frame. One locked write.
 */
struct ipaddr;
void trace_conn(FILE *out, double t_s, const struct ipaddr *dst, uint16_t port, int err);

#endif
