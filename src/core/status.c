/* status.c — the progress line; see status.h. */
#include "core/status.h"

#include <unistd.h>

void status_init(struct status *s, FILE *out, uint64_t every_ms, int64_t start_ns)
{
    s->out = out;
    s->tty = out && isatty(fileno(out));
    s->enabled = out && (s->tty || every_ms > 0);
    s->drawn = false;
    s->every_ns = (int64_t)(every_ms ? every_ms : 1000) * 1000000;
    s->next_ns = start_ns + s->every_ns;
}

const char *status_format(char *buf, size_t len, double pps, double done_frac, double remaining_s,
                          uint64_t found)
{
    const char *unit = "pps";
    double v = pps;
    if (pps >= 1e6) {
        unit = "Mpps";
        v = pps / 1e6;
    } else if (pps >= 1e3) {
        unit = "kpps";
        v = pps / 1e3;
    }
    if (done_frac < 0)
        done_frac = 0;
    if (done_frac > 1)
        done_frac = 1;
    char eta[32];
    if (remaining_s < 0 || remaining_s > 359999) {
        snprintf(eta, sizeof(eta), "--:--:--");
    } else {
        unsigned long r = (unsigned long)(remaining_s + 0.5);
        snprintf(eta, sizeof(eta), "%lu:%02lu:%02lu", r / 3600, r / 60 % 60, r % 60);
    }
    snprintf(buf, len, "rate: %.2f-%s, %.2f%% done, %s remaining, found=%llu", v, unit,
             done_frac * 100.0, eta, (unsigned long long)found);
    return buf;
}

bool status_due(struct status *s, int64_t now_ns)
{
    if (!s->enabled || now_ns < s->next_ns)
        return false;
    /* Skip reports missed while busy rather than printing a burst. */
    while (s->next_ns <= now_ns)
        s->next_ns += s->every_ns;
    return true;
}

void status_print(struct status *s, double pps, double done_frac, double remaining_s,
                  uint64_t found)
{
    char line[160];
    status_format(line, sizeof(line), pps, done_frac, remaining_s, found);
    if (s->tty) {
        /* Trailing blanks wipe the tail of a longer previous line. */
        fprintf(s->out, "\r%s   ", line);
        s->drawn = true;
    } else {
        fprintf(s->out, "%s\n", line);
    }
    fflush(s->out);
}

void status_finish(struct status *s)
{
    if (s->drawn) {
        fputc('\n', s->out);
        fflush(s->out);
        s->drawn = false;
    }
}
