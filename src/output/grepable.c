/*
 * grepable.c — nmap's greppable output (-oG): one line per host and fact,
 * fields separated by tabs, ports as "port/state/proto/owner/service/rpc/
 * version/" joined by ", ". The format has no reason field; nmap keeps it
 * frozen for the scripts that parse it, and so do we.
 */
#include "output/output.h"
#include "output/render.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct grep_state {
    bool skip_host;
    bool first_port;
};

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

static int grep_open(struct output *o)
{
    struct grep_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    o->priv = st;
    const struct scan_info *info = o->info;
    char when[64];
    out_ctime(out_start_time(info), when, sizeof(when));
    fprintf(o->fp, "# prtip %s scan initiated %s as: %s\n", PRTIP_VERSION, when,
            info->args ? info->args : "prtip");

    if (info->verbose > 0) {
        /* nmap's "# Ports scanned: TCP(1001;1-1000,8080) UDP(0;) SCTP(0;)
         * PROTOCOLS(0;)" */
        static const char *const label[PROTO_COUNT] = {"TCP", "UDP", "SCTP"};
        fputs("# Ports scanned:", o->fp);
        for (int p = 0; p < PROTO_COUNT; p++) {
            const struct scan_info_type *t = scan_info_proto(info, p);
            fprintf(o->fp, " %s(%zu;%s)", label[p], t ? t->nservices : 0,
                    t && t->services ? t->services : "");
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
        if (o->info->verbose > 0)
            fprintf(o->fp, "%s\tStatus: Down\n", host);
        return ferror(o->fp) ? -1 : 0;
    }
    fprintf(o->fp, "%s\tStatus: Up", host);
    if (out_host_partial(h)) {
        /* A field of its own, so that no reader takes the host as whole. */
        char note[96];
        out_partial_note(h, note, sizeof(note));
        fprintf(o->fp, "\tInterrupted: %s", note);
    }
    fputc('\n', o->fp);
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
    char name[128], version[512];
    /* nmap leaves the field empty for a port without a service name; the
     * normal output's "unknown" is filler. */
    out_service_name_grep(p, name, sizeof(name));
    out_version_string(p, version, sizeof(version));
    put_field(o->fp, name);
    fputs("//", o->fp);
    put_field(o->fp, version);
    fputc('/', o->fp);
    st->first_port = false;
    return ferror(o->fp) ? -1 : 0;
}

static int grep_host_end(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct grep_state *st = o->priv;
    if (!st->skip_host) {
        /* nmap 7.93 writes "Ignored State" only when exactly one state is
         * hidden; with several it writes none (output.cc checks
         * numIgnoredStates() == 1), and parsers expect the same. */
        int order[PORT_STATE_COUNT];
        size_t counts[PORT_STATE_COUNT];
        if (out_hidden_order(h, hidden, order, counts) == 1)
            fprintf(o->fp, "\tIgnored State: %s (%zu)", port_state_name(order[0]),
                    counts[order[0]]);
        if (out_host_partial(h))
            fprintf(o->fp, "\tNot scanned: %lu", (unsigned long)h->ports_unscanned);
        const struct os_report *r = h->os_report;
        if (r && r->passive) {
            if (h->nos > 0) { /* --os-passive: the top guess, labelled */
                fputs("\tOS: (passive) ", o->fp);
                put_field(o->fp, h->os[0].name);
            }
        } else if (r) {
            /* nmap writes OS: only for perfect matches, all of them. */
            if (r->verdict == OS_VERDICT_DETAILS && h->nos > 0) {
                fputs("\tOS: ", o->fp);
                for (size_t i = 0; i < h->nos; i++) {
                    if (i)
                        fputc('|', o->fp);
                    put_field(o->fp, h->os[i].name);
                }
            }
            if (r->seq_index >= 0)
                fprintf(o->fp, "\tSeq Index: %d", r->seq_index);
            if (r->ipid_class)
                fprintf(o->fp, "\tIP ID Seq: %s", r->ipid_class);
        } else if (h->nos > 0) { /* a record from elsewhere: the best guess */
            fputs("\tOS: ", o->fp);
            put_field(o->fp, h->os[0].name);
        }
        fputc('\n', o->fp);
    }
    st->skip_host = true;
    return ferror(o->fp) ? -1 : 0; /* flushed by the output set (output.c) */
}

static int grep_close(struct output *o, const struct scan_summary *sum)
{
    char when[64], totals[160];
    out_ctime(out_end_time(sum), when, sizeof(when));
    out_totals(sum, totals, sizeof(totals));
    if (sum->interrupted)
        fprintf(o->fp, "# %s\n", out_interrupted_sentence);
    if (sum->error)
        fprintf(o->fp, "# prtip stopped: %s\n", sum->error);
    fprintf(o->fp, "# prtip done at %s -- %s\n", when, totals);
    free(o->priv);
    o->priv = NULL;
    return fflush(o->fp) != 0 || ferror(o->fp) ? -1 : 0;
}

const struct output_module output_grepable = {
    .name = "grepable",
    .option = "-oG",
    .ext = "gnmap",
    .summary = "nmap's greppable output, one line per host",
    .open = grep_open,
    .host_begin = grep_host_begin,
    .port = grep_port,
    .host_end = grep_host_end,
    .close = grep_close,
};
