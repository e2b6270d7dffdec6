/*
 * status.h — the progress line of long scans, masscan style:
 *     rate: 98.31-kpps, 45.21% done, 0:00:12 remaining, found=12
 * On a terminal the line is redrawn in place (\r); otherwise (a log file)
 * one full line per report, and only when --stats-every asked for it.
 */
#ifndef PRTIP_CORE_STATUS_H
#define PRTIP_CORE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct status {
    FILE *out;
    bool tty;     /* redraw in place */
    bool enabled; /* tty, or an explicit interval */
    bool drawn;   /* a \r line is on screen: end it before other output */
    int64_t every_ns;
    int64_t next_ns; /* when the next report is due */
};

/*
 * Report on out every every_ms (0 = once a second), the first report one
 * interval after start_ns, so that scans shorter than that print nothing.
 * Enabled when out is a terminal or every_ms was given explicitly.
 */
void status_init(struct status *s, FILE *out, uint64_t every_ms, int64_t start_ns);

/* The line for these figures, without \r or newline. remaining_s < 0
 * prints "--:--:--". Returns buf. */
const char *status_format(char *buf, size_t len, double pps, double done_frac, double remaining_s,
                          uint64_t found);

/* True when a report is due at now_ns (and schedules the next one). */
bool status_due(struct status *s, int64_t now_ns);

/* Print the line (status_format) now. */
void status_print(struct status *s, double pps, double done_frac, double remaining_s,
                  uint64_t found);

/* End an in-place line with a newline (call once at the end). */
void status_finish(struct status *s);

#endif
