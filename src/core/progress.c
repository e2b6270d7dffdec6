/* progress.c — the progress meter; see progress.h. */
#include "core/progress.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct task_event event(const struct progress *p, enum task_kind kind)
{
    struct task_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.task = p->task;
    ev.verbose = p->verbose;
    ev.nhosts = p->nhosts;
    ev.nports = p->nports;
    clock_gettime(CLOCK_REALTIME, &ev.time);
    return ev;
}

void progress_init(struct progress *p, const struct result_sink *sink, uint64_t every_ms,
                   bool interactive, int verbose, int64_t now_ns)
{
    memset(p, 0, sizeof(*p));
    p->sink = sink;
    p->verbose = verbose;
    p->scan_start_ns = now_ns;
    p->every_ns = (int64_t)every_ms * 1000000;
    p->key_fd = -1;
    if (interactive && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &p->saved) == 0) {
        /* nmap's keyboard mode: keys arrive one at a time, unechoed. */
        struct termios t = p->saved;
        t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
            p->tty_saved = true;
            p->key_fd = STDIN_FILENO;
        }
    }
}

void progress_free(struct progress *p)
{
    if (p && p->tty_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &p->saved);
        p->tty_saved = false;
        p->key_fd = -1;
    }
}

void progress_task_begin(struct progress *p, const char *task, size_t nhosts, size_t nports,
                         const char *target, int64_t now_ns)
{
    if (!p)
        return;
    snprintf(p->task, sizeof(p->task), "%s", task);
    p->active = true;
    p->task_start_ns = now_ns;
    p->nhosts = nhosts;
    p->nports = nports;
    p->next_ns = now_ns + p->every_ns;
    struct task_event ev = event(p, TASK_BEGIN);
    ev.target = nhosts == 1 ? target : NULL;
    sink_task(p->sink, &ev);
}

static void note(struct progress *p, const char *text)
{
    struct task_event ev = event(p, TASK_NOTE);
    ev.text = text;
    sink_task(p->sink, &ev);
}

/* Consume pending keys; true when one asks for a status report. */
static bool read_keys(struct progress *p)
{
    bool report = false;
    struct pollfd pfd = {.fd = p->key_fd, .events = POLLIN};
    while (p->key_fd >= 0 && poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN)) {
        char c;
        if (read(p->key_fd, &c, 1) != 1) {
            p->key_fd = -1; /* end of input: stop polling */
            break;
        }
        char msg[64];
        if (c == 'v' || c == 'V') {
            /* nmap: v raises, V lowers (not below 0), and says so. */
            if (c == 'v')
                p->verbose++;
            else if (p->verbose > 0)
                p->verbose--;
            snprintf(msg, sizeof(msg), "Verbosity %s to %d.", c == 'v' ? "Increased" : "Decreased",
                     p->verbose);
            note(p, msg);
        } else {
            /* Any other key (nmap: also d/D/p/P, whose debugging and packet
             * tracing prtip cannot change mid-run) prints the status. */
            report = true;
        }
    }
    return report;
}

void progress_tick(struct progress *p, int64_t now_ns, double done, unsigned hosts_done,
                   unsigned hosts_up, unsigned hosts_active)
{
    if (!p || !p->active)
        return;
    bool due = read_keys(p);
    if (p->every_ns > 0 && now_ns >= p->next_ns) {
        due = true;
        /* Skip reports missed while busy rather than printing a burst. */
        while (p->next_ns <= now_ns)
            p->next_ns += p->every_ns;
    }
    if (!due)
        return;
    if (done < 0)
        done = 0;
    if (done > 1)
        done = 1;
    struct task_event ev = event(p, TASK_PROGRESS);
    double task_s = (double)(now_ns - p->task_start_ns) / 1e9;
    ev.elapsed_s = (double)(now_ns - p->scan_start_ns) / 1e9;
    ev.percent = done * 100.0;
    /* nmap's estimate: the time so far scaled by what is left. */
    ev.remaining_s = done > 0 ? task_s * (1 - done) / done : 0;
    ev.etc = ev.time.tv_sec + (time_t)(ev.remaining_s + 0.5);
    ev.hosts_done = hosts_done;
    ev.hosts_up = hosts_up;
    ev.hosts_active = hosts_active;
    sink_task(p->sink, &ev);
}

void progress_open_port(struct progress *p, const struct ipaddr *addr, uint16_t port,
                        enum port_proto proto)
{
    if (!p)
        return;
    struct task_event ev = event(p, TASK_OPEN_PORT);
    ev.addr = addr;
    ev.port = port;
    ev.proto = proto;
    sink_task(p->sink, &ev);
}

void progress_task_end(struct progress *p, int64_t now_ns)
{
    if (!p || !p->active)
        return;
    struct task_event ev = event(p, TASK_END);
    ev.elapsed_s = (double)(now_ns - p->task_start_ns) / 1e9;
    sink_task(p->sink, &ev);
    p->active = false;
}

const char *progress_task_name(const char *xml_type)
{
    static const char *const names[][2] = {
        {"syn", "SYN Stealth Scan"}, {"connect", "Connect Scan"},
        {"udp", "UDP Scan"},         {"fin", "FIN Scan"},
        {"null", "NULL Scan"},       {"xmas", "XMAS Scan"},
        {"ack", "ACK Scan"},         {"window", "Window Scan"},
        {"maimon", "Maimon Scan"},   {"sctpinit", "SCTP INIT Scan"},
    };
    for (size_t i = 0; xml_type && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i][0], xml_type) == 0)
            return names[i][1];
    return "Custom Scan";
}
