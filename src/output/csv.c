/*
 * csv.c — comma-separated values (-oC), for spreadsheets and for tools that
 * read tables: a header row, then one row per listed port. RFC 4180: CRLF
 * line ends, and a field with a comma, double quote, CR or LF is enclosed
 * in double quotes with its quotes doubled. Columns are documented in
 * docs/OUTPUT.md; they never change order, new ones are only appended.
 *
 * A host shown without any port row (a ping or list scan, every port
 * collapsed into "Not shown", a down host with -v) gets one row of its own
 * with the port columns empty, so every host the other formats show is in
 * the table. Rows reach the file within OUTPUT_FLUSH_MS of their host, like the normal output.
 *
 * A host cut short by an interruption carries, on every one of its rows,
 * the count of its ports never probed (ports_not_scanned), so a reader of
 * the table alone cannot take a partial host for a complete one.
 */
#include "output/output.h"
#include "output/render.h"

#include <stdlib.h>
#include <string.h>

static const char *const columns[] = {
    "address",
    "hostname",
    "host_state",
    "protocol",
    "port",
    "state",
    "reason",
    "reason_ttl",
    "service",
    "product",
    "version",
    "extrainfo",
    "cpe",
    /* appended after the first release of -oC */
    "reason_ip",
    "ports_not_scanned",
    "os",
    "os_passive",
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

struct csv_state {
    size_t rows;            /* port rows of the current host */
    char unscanned[12];     /* its ports_not_scanned column, "" when complete */
    const char *os;         /* its top -O match (borrowed from the host), or NULL */
    const char *os_passive; /* its top --os-passive guess, or NULL */
};

/* One field, quoted when RFC 4180 requires it; NULL is an empty field. */
static void field(FILE *fp, const char *s, bool first)
{
    if (!first)
        fputc(',', fp);
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* Write row[0..NCOLUMNS) and the CRLF that ends every record. */
static int row(FILE *fp, const char *const row[NCOLUMNS])
{
    for (size_t i = 0; i < NCOLUMNS; i++)
        field(fp, row[i], i == 0);
    fputs("\r\n", fp);
    return ferror(fp) ? -1 : 0;
}

static int csv_open(struct output *o)
{
    struct csv_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    o->priv = st;
    return row(o->fp, columns);
}

/* The name a reader knows the host by: as typed, else reverse DNS. */
static const char *host_name(const struct host_result *h)
{
    return h->hostname ? h->hostname : h->rdns;
}

static int csv_host_begin(struct output *o, const struct host_result *h, unsigned hidden)
{
    (void)hidden;
    struct csv_state *st = o->priv;
    st->rows = 0;
    st->unscanned[0] = '\0';
    if (out_host_partial(h))
        snprintf(st->unscanned, sizeof(st->unscanned), "%u", (unsigned)h->ports_unscanned);
    /* A guess from one SYN-ACK (--os-passive) has its own column: no
     * reader takes it for -O's match. */
    bool passive = h->os_report && h->os_report->passive;
    const char *top = h->nos && h->os[0].name ? h->os[0].name : NULL;
    st->os = passive ? NULL : top;
    st->os_passive = passive ? top : NULL;
    return 0;
}

static int csv_port(struct output *o, const struct host_result *h, const struct port_result *p)
{
    struct csv_state *st = o->priv;
    const struct service_result *s = p->detail ? p->detail->service : NULL;
    char addr[IPADDR_STRLEN], port[8], ttl[4], rip[IPADDR_STRLEN];
    snprintf(port, sizeof(port), "%u", (unsigned)p->port);
    snprintf(ttl, sizeof(ttl), "%u", (unsigned)p->reason_ttl);
    /* Several CPEs share the column, space-separated as nmap's normal
     * output prints them; a CPE has no spaces. */
    char *cpe = NULL;
    if (s && s->ncpe) {
        size_t len = 1;
        for (size_t i = 0; i < s->ncpe; i++)
            len += strlen(s->cpe[i]) + 1;
        cpe = malloc(len);
        if (!cpe)
            return -1;
        cpe[0] = '\0';
        for (size_t i = 0; i < s->ncpe; i++) {
            if (i)
                strcat(cpe, " ");
            strcat(cpe, s->cpe[i]);
        }
    }
    const char *r[NCOLUMNS] = {
        ipaddr_str(&h->addr, addr, sizeof(addr)),
        host_name(h),
        out_host_state(h),
        port_proto_name(p->proto),
        port,
        port_state_name(p->state),
        reason_name(p->reason),
        ttl,
        s && s->name ? s->name : p->service,
        s ? s->product : NULL,
        s ? s->version : NULL,
        s ? s->extrainfo : NULL,
        cpe,
        p->detail && p->detail->have_reason_ip ? ipaddr_str(&p->detail->reason_ip, rip, sizeof(rip))
                                               : NULL,
        st->unscanned[0] ? st->unscanned : NULL,
        st->os,
        st->os_passive,
    };
    int rc = row(o->fp, r);
    free(cpe);
    st->rows++;
    return rc;
}

static int csv_host_end(struct output *o, const struct host_result *h, unsigned hidden)
{
    (void)hidden;
    struct csv_state *st = o->priv;
    /* Down hosts only with -v, as in every other format. */
    bool shown = h->status != HOST_DOWN || h->timed_out || o->info->verbose > 0;
    if (st->rows == 0 && shown) {
        char addr[IPADDR_STRLEN];
        const char *r[NCOLUMNS] = {ipaddr_str(&h->addr, addr, sizeof(addr)), host_name(h),
                                   out_host_state(h)};
        r[NCOLUMNS - 3] = st->unscanned[0] ? st->unscanned : NULL;
        r[NCOLUMNS - 2] = st->os;
        r[NCOLUMNS - 1] = st->os_passive;
        if (row(o->fp, r) < 0)
            return -1;
    }
    return ferror(o->fp) ? -1 : 0; /* flushed by the output set (output.c) */
}

static int csv_close(struct output *o, const struct scan_summary *sum)
{
    (void)sum;
    free(o->priv);
    o->priv = NULL;
    return fflush(o->fp) == 0 ? 0 : -1;
}

const struct output_module output_csv = {
    .name = "csv",
    .option = "-oC",
    .ext = NULL, /* nmap's -oA has no such format */
    .summary = "CSV (RFC 4180), a header row and one row per port",
    .open = csv_open,
    .host_begin = csv_host_begin,
    .port = csv_port,
    .host_end = csv_host_end,
    .close = csv_close,
};
