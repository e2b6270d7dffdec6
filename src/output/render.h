/*
 * render.h — the pieces of nmap's layouts that several output formats
 * share: time stamps, the totals sentence, host states, MAC addresses, the
 * "extraports" grouping, and the service/version strings. One place each,
 * so that the formats cannot drift apart.
 */
#ifndef PRTIP_OUTPUT_RENDER_H
#define PRTIP_OUTPUT_RENDER_H

#include "core/result.h"
#include "core/stream.h"

#include <stddef.h>
#include <time.h>

/* ctime(3) layout without its newline ("Sat Nov 21 21:12:00 2026"), local
 * time, as nmap's headers and runstats use it. */
void out_ctime(time_t t, char *buf, size_t len);

/* The scan's start (Unix seconds) from the begin record; now if unset. */
time_t out_start_time(const struct scan_info *info);

/* The scan's end (Unix seconds) from the summary; now if unset. */
time_t out_end_time(const struct scan_summary *sum);

/* "1 IP address (1 host up) scanned in 0.05 seconds" (no newline). */
void out_totals(const struct scan_summary *sum, char *buf, size_t len);

/* nmap's host state word: "up" (a timed-out host answered, so it is up),
 * "down" or "unknown" (list scan). */
const char *out_host_state(const struct host_result *h);

/*
 * The states hidden for h (bit s of `hidden` set, at least one port) in the
 * order nmap 7.93 lists them in the "Not shown" line and in <extraports>
 * (PortList::nextIgnoredState): most ports first; on a tie, nmap's lower
 * state number first (closed, filtered, unfiltered, open|filtered,
 * closed|filtered). Fills order[0..n-1] with the states and counts[] with
 * every state's port count; returns n.
 */
size_t out_hidden_order(const struct host_result *h, unsigned hidden, int order[PORT_STATE_COUNT],
                        size_t counts[PORT_STATE_COUNT]);

/*
 * Is h a partial host (Ctrl-C before all its ports had a state)? Such a
 * host is reported with what was found, marked in every format with the
 * count of ports not scanned; its "Not shown" counts cover only the ports
 * scanned.
 */
bool out_host_partial(const struct host_result *h);

/* "1500 of 2000 ports not scanned": the count every format gives for a
 * partial host (XML host comment, normal and greppable text). */
void out_partial_note(const struct host_result *h, char *buf, size_t len);

/* The closing sentence of an interrupted scan (normal and greppable). */
extern const char out_interrupted_sentence[];

/*
 * For hidden state `state` of h, call fn once per (reason, protocol) with
 * the number of such ports and their list in nmap's range form ("1-21,23"),
 * in nmap 7.93's order (the "Not shown" line, XML's <extrareasons>): most
 * ports first; on a tie, the group whose lowest port nmap meets later first
 * (ports walked tcp, udp, sctp, each ascending), as nmap's merge sort of
 * its reason summary leaves them. Returns 0, or -1 on allocation failure
 * (fn may have been called).
 */
typedef void (*out_reason_fn)(void *ctx, enum reason r, enum port_proto proto, size_t n,
                              const char *ranges);
int out_extrareasons(const struct host_result *h, int state, out_reason_fn fn, void *ctx);

/* The service name a port row shows: the -sV name if any, else the
 * nmap-services name, else "unknown"; "ssl/" in front for a TLS tunnel. */
void out_service_name(const struct port_result *p, char *buf, size_t len);
/* The greppable form: "ssl|http", no "?", "" when nothing names the port. */
void out_service_name_grep(const struct port_result *p, char *buf, size_t len);

/* nmap's VERSION column: "product version (extrainfo)", parts absent left
 * out; "" when the port has no service detail. */
void out_version_string(const struct port_result *p, char *buf, size_t len);

/* Append s to the ", "-separated list in buf (len bytes, NUL-terminated)
 * unless it is empty or already an item; truncates at len. */
void out_add_distinct(char *buf, size_t len, const char *s);

/* The distinct device types, "family gen" pairs and CPEs of h's OS matches'
 * classes, each a ", "-separated list (empty when none), for the "Device
 * type", "Running" and "OS CPE" lines of a record that has matches but no
 * -O report (an imported file). */
void out_os_classes(const struct host_result *h, char *types, size_t tlen, char *running,
                    size_t rlen, char *cpe, size_t clen);

/* s with what XML 1.0 cannot hold (control characters, invalid UTF-8,
 * surrogates) replaced by '?' (xml.c), for every writer of XML text (the
 * -oX module, prtip db compare --xml); caller frees; NULL when out of
 * memory. NULL s gives "". */
char *xml_clean(const char *s);

#endif
