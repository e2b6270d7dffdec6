/*
 * trace.h — --packet-trace: one line per frame in nmap's SENT/RCVD format
 * (trace.c shows it). The capture's writer thread (capture.c) calls it, so
 * the send path only copies the frame, as for --packet-capture.
 */
#ifndef PRTIP_NET_TRACE_H
#define PRTIP_NET_TRACE_H

#include "net/capture.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Print frame d (caplen bytes of a wirelen-byte frame, link CAPTURE_LINK_*)
 * to out as nmap's --packet-trace line; t_s is the time since the run's
 * start in seconds; dir CAPTURE_OUT prints SENT, anything else RCVD.
 * Frames that are not IPv4/IPv6 print nothing. Not thread-safe on out.
 */
void trace_frame(FILE *out, double t_s, enum capture_dir dir, int link, const uint8_t *d,
                 size_t caplen, size_t wirelen);

#endif
