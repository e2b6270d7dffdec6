/*
 * progress.h — the one progress meter every scan engine reports to, after
 * nmap's ScanProgressMeter. An engine opens a task ("SYN Stealth Scan"),
 * reports how far it is now and then (progress_tick), each port it finds
 * open (progress_open_port) and closes the task; the meter turns that into
 * task records on the result stream (core/stream.h task_event), which the
 * outputs render as nmap does (Initiating/Completed/Discovered lines and
 * Stats lines on stdout, <taskbegin>/<taskprogress>/<taskend> in XML).
 *
 * Reports are due every --stats-every interval, and at once when a key is
 * pressed on the terminal (nmap's runtime interaction): any key prints the
 * status; v raises and V lowers the verbosity of the progress lines
 * (Discovered/Initiating/Completed), with nmap's "Verbosity Increased to
 * N." note. The key reader reads stdin without blocking, only when stdin is
 * a terminal and interaction is not disabled (--noninteractive); it puts
 * the terminal in non-canonical no-echo mode and progress_free restores it.
 *
 * Threads: everything runs on the stream's thread (the engines call it
 * from their aggregating loop on the main thread). A NULL meter is
 * accepted by every function and does nothing.
 */
#ifndef PRTIP_CORE_PROGRESS_H
#define PRTIP_CORE_PROGRESS_H

#include "core/stream.h"

#include <stdbool.h>
#include <stdint.h>
#include <termios.h>

struct progress {
    const struct result_sink *sink; /* borrowed; receives task records */
    int verbose;                    /* -v level, changed by keys v/V */
    int64_t scan_start_ns;          /* monotonic: "Stats: H:MM:SS elapsed" */
    int64_t every_ns;               /* --stats-every; 0 = no periodic report */
    int64_t next_ns;                /* next periodic report, monotonic */
    int key_fd;                     /* terminal to read keys from; -1 = none */
    bool tty_saved;                 /* saved holds the terminal's mode to restore */
    struct termios saved;
    /* The open task. */
    bool active;
    char task[64];
    int64_t task_start_ns;
    size_t nhosts, nports;
};

/*
 * Set p up for a run starting at now_ns (monotonic): records go to sink
 * (borrowed, must outlive p); every_ms is --stats-every (0 = none);
 * interactive enables the key reader when stdin is a terminal; verbose is
 * the -v level.
 */
void progress_init(struct progress *p, const struct result_sink *sink, uint64_t every_ms,
                   bool interactive, int verbose, int64_t now_ns);

/* Restore the terminal (when the key reader changed it). Safe twice. */
void progress_free(struct progress *p);

/*
 * Open a task named task (nmap's name: "SYN Stealth Scan", "Connect Scan",
 * "UDP Scan") over nhosts hosts of nports ports each; target is the one
 * host's address when nhosts == 1 (for "Scanning 198.18.0.2 [300 ports]"),
 * else NULL. Sends TASK_BEGIN. The first periodic report falls one
 * interval after this.
 */
void progress_task_begin(struct progress *p, const char *task, size_t nhosts, size_t nports,
                         const char *target, int64_t now_ns);

/*
 * Read pending keys, and send a TASK_PROGRESS when one was pressed or the
 * interval is due. done is the task's completed fraction (0..1), hosts_*
 * the host counts for nmap's Stats line. Cheap when nothing is due: call it
 * from the engine's loop as often as convenient.
 */
void progress_tick(struct progress *p, int64_t now_ns, double done, unsigned hosts_done,
                   unsigned hosts_up, unsigned hosts_active);

/* Send TASK_OPEN_PORT: port/proto on addr was found open just now. */
void progress_open_port(struct progress *p, const struct ipaddr *addr, uint16_t port,
                        enum port_proto proto);

/* Close the open task (TASK_END with its elapsed time). */
void progress_task_end(struct progress *p, int64_t now_ns);

/* nmap's task name for a scan type's XML name ("syn" -> "SYN Stealth
 * Scan"); "Custom Scan" for names nmap has none for. */
const char *progress_task_name(const char *xml_type);

#endif
