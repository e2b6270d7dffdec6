/*
 * task_text.c — nmap's progress lines in the report on stdout: the task
 * records of the result stream (core/stream.h task_event) as nmap 7.93
 * prints them with -v, --stats-every or a key press:
 *
 *     Initiating SYN Stealth Scan at 04:14
 *     Scanning 198.18.0.2 [300 ports]
 *     Discovered open port 22/tcp on 198.18.0.2
 *     Stats: 0:00:01 elapsed; 0 hosts completed (1 up), 1 undergoing SYN Stealth Scan
 *     SYN Stealth Scan Timing: About 2.67% done; ETC: 04:15 (0:00:37 remaining)
 *     Completed SYN Stealth Scan at 04:14, 2.52s elapsed (300 total ports)
 *
 * nmap writes these to stdout only, never to -oN files, so only the
 * terminal flavour of the normal module takes task records.
 */
#include "output/output.h"

#include <stdio.h>
#include <time.h>

static void hhmm(time_t t, char *buf, size_t len)
{
    struct tm tm;
    localtime_r(&t, &tm);
    snprintf(buf, len, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

/* nmap's H:MM:SS of elapsed and remaining times. */
static void hms(double s, char *buf, size_t len)
{
    unsigned long r = s > 0 ? (unsigned long)(s + 0.5) : 0;
    snprintf(buf, len, "%lu:%02lu:%02lu", r / 3600, r / 60 % 60, r % 60);
}

int normal_task(struct output *o, const struct task_event *ev)
{
    FILE *fp = o->fp;
    char at[16], a[64], b[64];
    int rc = 0;
    switch (ev->kind) {
    case TASK_BEGIN:
        if (ev->verbose < 1)
            return 0;
        hhmm(ev->time.tv_sec, at, sizeof(at));
        rc = fprintf(fp, "Initiating %s at %s\n", ev->task, at);
        if (rc >= 0 && ev->target)
            rc = fprintf(fp, "Scanning %s [%zu port%s]\n", ev->target, ev->nports,
                         ev->nports == 1 ? "" : "s");
        else if (rc >= 0)
            rc = fprintf(fp, "Scanning %zu hosts [%zu port%s/host]\n", ev->nhosts, ev->nports,
                         ev->nports == 1 ? "" : "s");
        break;
    case TASK_END:
        if (ev->verbose < 1)
            return 0;
        hhmm(ev->time.tv_sec, at, sizeof(at));
        rc = fprintf(fp, "Completed %s at %s, %.2fs elapsed (%zu total ports)\n", ev->task, at,
                     ev->elapsed_s, ev->nports * ev->nhosts);
        break;
    case TASK_PROGRESS:
        hms(ev->elapsed_s, a, sizeof(a));
        rc = fprintf(fp, "Stats: %s elapsed; %u hosts completed (%u up), %u undergoing %s\n", a,
                     ev->hosts_done, ev->hosts_up, ev->hosts_active, ev->task);
        hhmm(ev->etc, at, sizeof(at));
        hms(ev->remaining_s, b, sizeof(b));
        if (rc >= 0)
            rc = fprintf(fp, "%s Timing: About %.2f%% done; ETC: %s (%s remaining)\n", ev->task,
                         ev->percent, at, b);
        break;
    case TASK_OPEN_PORT:
        if (ev->verbose < 1 || !ev->addr)
            return 0;
        ipaddr_str(ev->addr, a, sizeof(a));
        rc = fprintf(fp, "Discovered open port %u/%s on %s\n", (unsigned)ev->port,
                     port_proto_name(ev->proto), a);
        break;
    case TASK_NOTE:
        rc = fprintf(fp, "%s\n", ev->text ? ev->text : "");
        break;
    }
    /* Flushed now: the point of a progress line is to be seen while the
     * scan runs, also through a pipe. */
    if (rc < 0 || fflush(fp) != 0)
        return -1;
    return 0;
}
