/*
 * grepable.c — nmap's greppable output (-oG): one line per host and fact,
 * fields separated by tabs, ports as "port/state/proto/owner/service/rpc/
 * version/" joined by ", ". The format has no reason field; nmap keeps it
 * frozen for the scripts that parse it, and so do we.
 */
#include "output/output.h"
#include "scan/scan_module.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct grep_state {
    bool skip_host;
    bool first_port;
};

/* ctime(3) layout without its newline, as nmap's comment lines use it. */
static void format_ctime(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
}

/* "Host: 127.0.0.1 (localhost)": the PTR name only, "()" without one. */
static void host_field(const struct host_result *h, char *buf, size_t len)
{
    char addr[IPADDR_STRLEN];
    ipaddr_str(&h->addr, addr, sizeof(addr));
    snprintf(buf, len, "Host: %s (%s)", addr, h->rdns ? h->rdns : "");
}

/* Fields are separated by tabs and "/"; one in a name would split it. nmap
 * writes such characters as "|" too. */
static void put_field(FILE *fp, const char *s)
{
    for (; s && *s; s++)
        fputc(*s == '/' || *s == '\t' || *s == '\n' || *s == ',' ? '|' : *s, fp);
}

static bool proto_scanned(const struct scan *scan, enum port_proto p)
{
    for (size_t i = 0; i < scan->ntypes; i++)
        if (scan->types[i] && scan->types[i]->proto == p)
            return true;
    return false;
}

static int grep_open(struct output *o)
{
    struct grep_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    o->priv = st;
    const struct scan *scan = o->scan;
    time_t start = scan->summary.start.tv_sec ? scan->summary.start.tv_sec : time(NULL);
    char when[64];
    format_ctime(start, when, sizeof(when));
    fprintf(o->fp, "# prtip %s scan initiated %s as: %s\n", PRTIP_VERSION, when,
            scan->args ? scan->args : "prtip");

    if (scan->verbose > 0) {
        /* nmap's "# Ports scanned: TCP(1001;1-1000,8080) UDP(0;) SCTP(0;)
         * PROTOCOLS(0;)" */
        static const char *const label[PROTO_COUNT] = {"TCP", "UDP", "SCTP"};
        fputs("# Ports scanned:", o->fp);
        for (int p = 0; p < PROTO_COUNT; p++) {
            bool used = proto_scanned(scan, p) && !scan->disc.ping_only && !scan->disc.list_only;
            size_t n = used ? scan->ports.count[p] : 0;
            char *ranges = n ? ports_format_ranges(scan->ports.ports[p], n) : NULL;
            if (n && !ranges)
                return -1;
            fprintf(o->fp, " %s(%zu;%s)", label[p], n, ranges ? ranges : "");
            free(ranges);
        }
        fputs(" PROTOCOLS(0;)\n", o->fp);
    }
    return fflush(o->fp) != 0 || ferror(o->fp) ? -1 : 0;
}

static int grep_host_begin(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct grep_state *st = o->priv;
    char host[512];
    host_field(h, host, sizeof(host));
    st->skip_host = true;
    st->first_port = true;

    if (h->timed_out) {
        fprintf(o->fp, "%s\tStatus: Timeout\n", host);
        return ferror(o->fp) ? -1 : 0;
    }
    if (h->status == HOST_UNKNOWN) { /* list scan (-sL) */
        fprintf(o->fp, "%s\tStatus: Unknown\n", host);
        return ferror(o->fp) ? -1 : 0;
    }
    if (h->status != HOST_UP) {
        if (o->scan->verbose > 0)
            fprintf(o->fp, "%s\tStatus: Down\n", host);
        return ferror(o->fp) ? -1 : 0;
    }
    fprintf(o->fp, "%s\tStatus: Up\n", host);
    if (h->nports > 0) {
        fprintf(o->fp, "%s\tPorts: ", host);
        st->skip_host = false;
    }
    return ferror(o->fp) ? -1 : 0;
}

static int grep_port(struct output *o, const struct host_result *h, const struct port_result *p)
{
    struct grep_state *st = o->priv;
    if (st->skip_host)
        return 0;
    /* port/state/protocol/owner/service/rpc info/version/ */
    fprintf(o->fp, "%s%u/%s/%s//", st->first_port ? "" : ", ", p->port, port_state_name(p->state),
            port_proto_name(p->proto));
    put_field(o->fp, p->service ? p->service : "unknown");
    fputs("///", o->fp);
    st->first_port = false;
    return ferror(o->fp) ? -1 : 0;
}

static int grep_host_end(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct grep_state *st = o->priv;
    if (!st->skip_host) {
        /* One "Ignored State" field per collapsed state. */
        size_t counts[PORT_STATE_COUNT];
        result_state_counts(h, counts);
        for (int s = 0; s < PORT_STATE_COUNT; s++)
            if ((hidden & (1u << s)) && counts[s])
                fprintf(o->fp, "\tIgnored State: %s (%zu)", port_state_name(s), counts[s]);
        fputc('\n', o->fp);
    }
    st->skip_host = true;
    return fflush(o->fp) != 0 || ferror(o->fp) ? -1 : 0;
}

static int grep_close(struct output *o, const struct scan_summary *sum)
{
    char when[64];
    format_ctime(sum->end.tv_sec ? sum->end.tv_sec : time(NULL), when, sizeof(when));
    if (sum->interrupted)
        fputs("# prtip interrupted: results so far are complete for the hosts shown\n", o->fp);
    if (sum->error)
        fprintf(o->fp, "# prtip stopped: %s\n", sum->error);
    fprintf(o->fp,
            "# prtip done at %s -- %llu IP address%s (%llu host%s up) scanned in %.2f seconds\n",
            when, (unsigned long long)sum->hosts_total, sum->hosts_total == 1 ? "" : "es",
            (unsigned long long)sum->hosts_up, sum->hosts_up == 1 ? "" : "s", sum->elapsed_s);
    free(o->priv);
    o->priv = NULL;
    return fflush(o->fp) != 0 || ferror(o->fp) ? -1 : 0;
}

const struct output_module output_grepable = {
    .name = "grepable",
    .option = "-oG",
    .ext = "gnmap",
    .open = grep_open,
    .host_begin = grep_host_begin,
    .port = grep_port,
    .host_end = grep_host_end,
    .close = grep_close,
};
