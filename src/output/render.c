/*
 * render.c — layout pieces shared by the output formats (render.h).
 */
#include "output/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void out_ctime(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
}

time_t out_start_time(const struct scan_info *info)
{
    return info && info->start.tv_sec ? info->start.tv_sec : time(NULL);
}

time_t out_end_time(const struct scan_summary *sum)
{
    return sum->end.tv_sec ? sum->end.tv_sec : time(NULL);
}

void out_totals(const struct scan_summary *sum, char *buf, size_t len)
{
    snprintf(buf, len, "%llu IP address%s (%llu host%s up) scanned in %.2f seconds",
             (unsigned long long)sum->hosts_total, sum->hosts_total == 1 ? "" : "es",
             (unsigned long long)sum->hosts_up, sum->hosts_up == 1 ? "" : "s", sum->elapsed_s);
}

const char *out_host_state(const struct host_result *h)
{
    if (h->status == HOST_UP || h->timed_out)
        return "up";
    return h->status == HOST_DOWN ? "down" : "unknown";
}

void out_mac(const uint8_t mac[6], char *buf, size_t len)
{
    snprintf(buf, len, "%02X:%02X:%02X:%02X:%02X:%02X", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

bool out_host_partial(const struct host_result *h)
{
    return h->interrupted && h->ports_unscanned > 0;
}

void out_partial_note(const struct host_result *h, char *buf, size_t len)
{
    unsigned long long todo = h->ports_unscanned, all = todo + h->nports;
    snprintf(buf, len, "%llu of %llu port%s not scanned", todo, all, all == 1 ? "" : "s");
}

/* Not "complete for the hosts shown": a host cut short is shown too, marked
 * as such; only unmarked hosts are complete. */
const char out_interrupted_sentence[] =
    "prtip interrupted: hosts not marked \"interrupted\" are complete; ports not scanned "
    "have no state";

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

int out_extrareasons(const struct host_result *h, int state, out_reason_fn fn, void *ctx)
{
    uint16_t *list = malloc((h->nports ? h->nports : 1) * sizeof(*list));
    if (!list)
        return -1;
    int rc = 0;
    for (int r = 0; r < REASON_COUNT; r++) {
        for (int pr = 0; pr < PROTO_COUNT; pr++) {
            size_t n = 0;
            for (size_t i = 0; i < h->nports; i++) {
                const struct port_result *p = &h->ports[i];
                if (p->state == state && p->reason == r && p->proto == pr)
                    list[n++] = p->port;
            }
            if (n == 0)
                continue;
            /* Ports arrive in scan order; the range form needs them sorted. */
            qsort(list, n, sizeof(*list), cmp_u16);
            char *ranges = ports_format_ranges(list, n);
            if (!ranges) {
                rc = -1;
                continue;
            }
            fn(ctx, (enum reason)r, (enum port_proto)pr, n, ranges);
            free(ranges);
        }
    }
    free(list);
    return rc;
}

static const struct service_result *service_of(const struct port_result *p)
{
    return p->detail ? p->detail->service : NULL;
}

void out_service_name(const struct port_result *p, char *buf, size_t len)
{
    const struct service_result *s = service_of(p);
    const char *name = s && s->name ? s->name : p->service ? p->service : "unknown";
    snprintf(buf, len, "%s%s", s && s->tunnel_ssl ? "ssl/" : "", name);
}

void out_version_string(const struct port_result *p, char *buf, size_t len)
{
    const struct service_result *s = service_of(p);
    if (len)
        buf[0] = '\0';
    if (!s)
        return;
    size_t used = 0;
    const char *parts[3] = {s->product, s->version, s->extrainfo};
    for (int i = 0; i < 3 && used < len; i++) {
        if (!parts[i] || !*parts[i])
            continue;
        int n =
            snprintf(buf + used, len - used, i == 2 ? "%s(%s)" : "%s%s", used ? " " : "", parts[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
