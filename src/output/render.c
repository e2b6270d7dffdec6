/*
 * render.c — layout pieces shared by the output formats (render.h).
 */
#include "output/render.h"

#include <stdbool.h>
#include <stdint.h>
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

/* nmap's numbering of port states (portlist.h: closed 1, open 2, filtered
 * 3, unfiltered 6, open|filtered 7, closed|filtered 8): its tie-break
 * between hidden states of equal size. */
static int nmap_state_number(int s)
{
    switch (s) {
    case PORT_CLOSED:
        return 1;
    case PORT_OPEN:
        return 2;
    case PORT_FILTERED:
        return 3;
    case PORT_UNFILTERED:
        return 6;
    case PORT_OPEN_FILTERED:
        return 7;
    case PORT_CLOSED_FILTERED:
        return 8;
    default:
        return 0;
    }
}

size_t out_hidden_order(const struct host_result *h, unsigned hidden, int order[PORT_STATE_COUNT],
                        size_t counts[PORT_STATE_COUNT])
{
    result_state_counts(h, counts);
    size_t n = 0;
    for (int s = 0; s < PORT_STATE_COUNT; s++)
        if ((hidden & (1u << s)) && counts[s] > 0)
            order[n++] = s;
    /* Insertion sort (at most a handful of states): falling count, ties by
     * nmap's state number, as PortList::nextIgnoredState picks them. */
    for (size_t i = 1; i < n; i++) {
        int s = order[i];
        size_t j = i;
        while (j > 0 && (counts[order[j - 1]] < counts[s] ||
                         (counts[order[j - 1]] == counts[s] &&
                          nmap_state_number(order[j - 1]) > nmap_state_number(s)))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = s;
    }
    return n;
}

/* One (reason, protocol) group of a hidden state. */
struct group {
    int reason, proto;
    size_t n;
    uint32_t first; /* (protocol << 16) | lowest port: where nmap first meets the group */
};

/* nmap lists a state's groups as it meets them walking the ports (tcp, then
 * udp, then sctp, each by port number) and merge-sorts them by falling count
 * taking the later group first on ties (portreasons.cc reason_sort): so
 * equal counts come out in reverse order of first appearance. */
static bool group_before(const struct group *a, const struct group *b)
{
    return a->n > b->n || (a->n == b->n && a->first > b->first);
}

int out_extrareasons(const struct host_result *h, int state, out_reason_fn fn, void *ctx)
{
    struct group groups[REASON_COUNT * PROTO_COUNT];
    size_t ngroups = 0;
    for (int r = 0; r < REASON_COUNT; r++)
        for (int pr = 0; pr < PROTO_COUNT; pr++) {
            struct group g = {r, pr, 0, UINT32_MAX};
            for (size_t i = 0; i < h->nports; i++) {
                const struct port_result *p = &h->ports[i];
                if (p->state != state || p->reason != r || p->proto != pr)
                    continue;
                g.n++;
                uint32_t at = (uint32_t)pr << 16 | p->port;
                if (at < g.first)
                    g.first = at;
            }
            if (g.n == 0)
                continue;
            size_t j = ngroups++;
            while (j > 0 && group_before(&g, &groups[j - 1])) {
                groups[j] = groups[j - 1];
                j--;
            }
            groups[j] = g;
        }

    uint16_t *list = malloc((h->nports ? h->nports : 1) * sizeof(*list));
    if (!list)
        return -1;
    int rc = 0;
    for (size_t k = 0; k < ngroups; k++) {
        size_t n = 0;
        for (size_t i = 0; i < h->nports; i++) {
            const struct port_result *p = &h->ports[i];
            if (p->state == state && p->reason == groups[k].reason && p->proto == groups[k].proto)
                list[n++] = p->port;
        }
        /* Ports arrive in scan order; the range form needs them sorted. */
        qsort(list, n, sizeof(*list), cmp_u16);
        char *ranges = ports_format_ranges(list, n);
        if (!ranges) {
            rc = -1;
            continue;
        }
        fn(ctx, (enum reason)groups[k].reason, (enum port_proto)groups[k].proto, n, ranges);
        free(ranges);
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
    /* nmap: "?" when -sV ran and the name is only a guess (confidence 5
     * or less: the nmap-services name of a port nothing matched), on open
     * ports only ("9998/udp open|filtered distinct32", nmap 7.93). */
    snprintf(buf, len, "%s%s%s", s && s->tunnel_ssl ? "ssl/" : "", name,
             s && s->conf <= 5 && p->state == PORT_OPEN ? "?" : "");
}

void out_service_name_grep(const struct port_result *p, char *buf, size_t len)
{
    const struct service_result *s = service_of(p);
    const char *name = s && s->name ? s->name : p->service ? p->service : "";
    snprintf(buf, len, "%s%s", s && s->tunnel_ssl ? "ssl|" : "", name);
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

void out_add_distinct(char *buf, size_t len, const char *s)
{
    if (!s || !*s)
        return;
    size_t n = strlen(s), have = strlen(buf);
    for (const char *p = buf; (p = strstr(p, s)) != NULL; p++)
        if ((p == buf || (p >= buf + 2 && p[-2] == ',')) && (p[n] == '\0' || p[n] == ','))
            return;
    snprintf(buf + have, len - have, "%s%s", have ? ", " : "", s);
}

void out_os_classes(const struct host_result *h, char *types, size_t tlen, char *running,
                    size_t rlen, char *cpe, size_t clen)
{
    types[0] = running[0] = cpe[0] = '\0';
    for (size_t i = 0; i < h->nos; i++) {
        for (size_t k = 0; k < h->os[i].nclasses; k++) {
            const struct os_class *c = &h->os[i].classes[k];
            char run[128];
            snprintf(run, sizeof(run), "%s%s%s", c->osfamily ? c->osfamily : "",
                     c->osgen ? " " : "", c->osgen ? c->osgen : "");
            out_add_distinct(types, tlen, c->type);
            out_add_distinct(running, rlen, run);
            for (size_t j = 0; j < c->ncpe; j++)
                out_add_distinct(cpe, clen, c->cpe[j]);
        }
    }
}
