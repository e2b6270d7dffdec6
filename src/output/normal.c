/*
 * normal.c — nmap's human-readable output (-oN, and the report on stdout).
 *
 * Two flavours share this file, as in nmap: the report on the terminal
 * starts with "Starting prtip ..." and ends with "prtip done: ...", while a
 * file written with -oN starts with "# prtip ... scan initiated ... as: ..."
 * and ends with "# prtip done at ...". The table, "Not shown" line and host
 * lines are the same in both.
 */
#include "output/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct normal_state {
    bool terminal; /* "Starting ..." flavour (stdout report) */
    time_t start;
    /* Shown ports of the current host, buffered because column widths
     * depend on every row. Pointers into the host record, which outlives
     * host_end. */
    const struct port_result **rows;
    size_t nrows, cap;
    bool skip_host; /* current host prints nothing (down without -v) */
};

/* nmap's num_to_string_sigdigits: d with `digits` significant digits and
 * never in exponent form ("0.00012", "0.0020", "0.15", "1.5"). */
static void format_sigdigits(double d, int digits, char *buf, size_t len)
{
    int exp10 = 0; /* floor(log10(d)) without libm */
    if (d > 0) {
        double v = d;
        while (v >= 10.0) {
            v /= 10.0;
            exp10++;
        }
        while (v < 1.0) {
            v *= 10.0;
            exp10--;
        }
    }
    int decimals = digits - 1 - exp10;
    if (decimals < 0)
        decimals = 0;
    snprintf(buf, len, "%.*f", decimals, d);
}

/* ctime(3) layout without its newline, as nmap's headers use it. */
static void format_ctime(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
}

/* "1 IP address (1 host up) scanned in 0.05 seconds" */
static int print_totals(FILE *fp, const struct scan_summary *sum)
{
    return fprintf(fp, "%llu IP address%s (%llu host%s up) scanned in %.2f seconds\n",
                   (unsigned long long)sum->hosts_total, sum->hosts_total == 1 ? "" : "es",
                   (unsigned long long)sum->hosts_up, sum->hosts_up == 1 ? "" : "s",
                   sum->elapsed_s);
}

/* nmap's Target::NameIP: the name the user typed, else the PTR name, then
 * the address in parentheses; just the address without a name. */
static void name_ip(const struct host_result *h, char *buf, size_t len)
{
    char addr[IPADDR_STRLEN];
    ipaddr_str(&h->addr, addr, sizeof(addr));
    const char *name = h->hostname ? h->hostname : h->rdns;
    if (name && *name)
        snprintf(buf, len, "%s (%s)", name, addr);
    else
        snprintf(buf, len, "%s", addr);
}

static time_t scan_start_time(const struct scan *scan)
{
    return scan->summary.start.tv_sec ? scan->summary.start.tv_sec : time(NULL);
}

static int normal_open_common(struct output *o, bool terminal)
{
    struct normal_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    st->terminal = terminal;
    st->start = scan_start_time(o->scan);
    o->priv = st;

    const char *args = o->scan->args ? o->scan->args : "prtip";
    int rc;
    if (terminal) {
        char when[64];
        struct tm tm;
        if (!localtime_r(&st->start, &tm) ||
            !strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", &tm))
            snprintf(when, sizeof(when), "%lld", (long long)st->start);
        rc = fprintf(o->fp, "Starting prtip %s at %s\n", PRTIP_VERSION, when);
    } else {
        char when[64];
        format_ctime(st->start, when, sizeof(when));
        rc = fprintf(o->fp, "# prtip %s scan initiated %s as: %s\n", PRTIP_VERSION, when, args);
    }
    fflush(o->fp);
    return rc < 0 ? -1 : 0;
}

static int normal_open(struct output *o)
{
    return normal_open_common(o, false);
}

static int normal_open_terminal(struct output *o)
{
    return normal_open_common(o, true);
}

/* "Host is up, received syn-ack ttl 64 (0.00012s latency)." */
static void print_host_up(FILE *fp, const struct scan *scan, const struct host_result *h)
{
    fputs("Host is up", fp);
    if (scan->show_reason || scan->verbose > 1) {
        fprintf(fp, ", received %s", reason_name(h->status_reason));
        if (h->status_ttl)
            fprintf(fp, " ttl %u", h->status_ttl);
    }
    if (h->srtt_us >= 0) {
        char lat[32];
        format_sigdigits((double)h->srtt_us / 1e6, 2, lat, sizeof(lat));
        fprintf(fp, " (%ss latency)", lat);
    }
    fputs(".\n", fp);
}

/*
 * "Not shown: 998 closed tcp ports (conn-refused), 5 filtered tcp ports
 * (5 no-response)": one group per hidden (state, protocol), reasons inside
 * by falling count; a lone reason is printed without its count, as nmap.
 */
static void print_not_shown(FILE *fp, const struct host_result *h, unsigned hidden)
{
    size_t counts[PORT_STATE_COUNT][PROTO_COUNT][REASON_COUNT] = {{{0}}};
    for (size_t i = 0; i < h->nports; i++) {
        const struct port_result *p = &h->ports[i];
        if (p->state < PORT_STATE_COUNT && p->proto < PROTO_COUNT && p->reason < REASON_COUNT)
            counts[p->state][p->proto][p->reason]++;
    }

    fputs("Not shown: ", fp);
    bool first = true;
    for (int s = 0; s < PORT_STATE_COUNT; s++) {
        if (!(hidden & (1u << s)))
            continue;
        for (int pr = 0; pr < PROTO_COUNT; pr++) {
            size_t total = 0, nreasons = 0;
            for (int r = 0; r < REASON_COUNT; r++) {
                total += counts[s][pr][r];
                nreasons += counts[s][pr][r] > 0;
            }
            if (total == 0)
                continue;
            fprintf(fp, "%s%zu %s %s port%s (", first ? "" : ", ", total, port_state_name(s),
                    port_proto_name(pr), total == 1 ? "" : "s");
            first = false;
            /* Selection by falling count; REASON_COUNT is small. */
            for (size_t k = 0; k < nreasons; k++) {
                int best = -1;
                for (int r = 0; r < REASON_COUNT; r++)
                    if (counts[s][pr][r] && (best < 0 || counts[s][pr][r] > counts[s][pr][best]))
                        best = r;
                if (nreasons == 1)
                    fputs(reason_name(best), fp);
                else
                    fprintf(fp, "%s%zu %s", k ? ", " : "", counts[s][pr][best], reason_name(best));
                counts[s][pr][best] = 0;
            }
            fputc(')', fp);
        }
    }
    fputc('\n', fp);
}

static int normal_host_begin(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct normal_state *st = o->priv;
    const struct scan *scan = o->scan;
    FILE *fp = o->fp;
    char who[512];
    name_ip(h, who, sizeof(who));
    st->nrows = 0;
    st->skip_host = false;

    if (h->timed_out) {
        /* nmap reports nothing else about a host that ran out of time: its
         * ports are incomplete and would mislead. */
        fprintf(fp, "Skipping host %s due to host timeout\n", who);
        st->skip_host = true;
        return ferror(fp) ? -1 : 0;
    }
    if (h->status == HOST_UNKNOWN) {
        /* List scan (-sL): the name line only, as nmap prints it. */
        fprintf(fp, "prtip scan report for %s\n", who);
        st->skip_host = true;
        return ferror(fp) ? -1 : 0;
    }
    if (h->status != HOST_UP) {
        st->skip_host = true;
        if (scan->verbose > 0) {
            fprintf(fp, "prtip scan report for %s [host down", who);
            if (scan->show_reason || scan->verbose > 1)
                fprintf(fp, ", received %s", reason_name(h->status_reason));
            fputs("]\n", fp);
        }
        return ferror(fp) ? -1 : 0;
    }

    fprintf(fp, "prtip scan report for %s\n", who);
    print_host_up(fp, scan, h);
    if (h->hostname && h->other_addrs && *h->other_addrs)
        fprintf(fp, "Other addresses for %s (not scanned): %s\n", h->hostname, h->other_addrs);
    if (h->hostname && h->rdns && strcmp(h->hostname, h->rdns) != 0) {
        char addr[IPADDR_STRLEN];
        fprintf(fp, "rDNS record for %s: %s\n", ipaddr_str(&h->addr, addr, sizeof(addr)), h->rdns);
    }
    if (scan->verbose > 1) {
        struct tm tm;
        char when[64];
        if (localtime_r(&h->start.tv_sec, &tm) &&
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm))
            fprintf(fp, "Scanned at %s for %llds\n", when,
                    (long long)(h->end.tv_sec - h->start.tv_sec));
    }
    if (h->nports == 0)
        return ferror(fp) ? -1 : 0;

    size_t counts[PORT_STATE_COUNT], nhidden = 0;
    result_state_counts(h, counts);
    for (int s = 0; s < PORT_STATE_COUNT; s++)
        if (hidden & (1u << s))
            nhidden += counts[s];
    if (nhidden == h->nports)
        fprintf(fp, "All %zu scanned ports on %s are in ignored states.\n", h->nports, who);
    if (nhidden)
        print_not_shown(fp, h, hidden);
    else
        fputc('\n', fp); /* nmap's blank line where "Not shown" would be */

    if (h->nports > st->cap) {
        const struct port_result **rows = realloc(st->rows, h->nports * sizeof(*rows));
        if (!rows)
            return -1;
        st->rows = rows;
        st->cap = h->nports;
    }
    return ferror(fp) ? -1 : 0;
}

static int normal_port(struct output *o, const struct host_result *h, const struct port_result *p)
{
    struct normal_state *st = o->priv;
    if (st->skip_host || st->nrows >= st->cap)
        return 0;
    st->rows[st->nrows++] = p;
    return 0;
}

/* Cell text for column col of a port row (col 0..3: PORT STATE SERVICE REASON). */
static void cell(const struct port_result *p, int col, char *buf, size_t len)
{
    switch (col) {
    case 0:
        snprintf(buf, len, "%u/%s", p->port, port_proto_name(p->proto));
        break;
    case 1:
        snprintf(buf, len, "%s", port_state_name(p->state));
        break;
    case 2:
        snprintf(buf, len, "%s", p->service ? p->service : "unknown");
        break;
    default:
        if (p->reason_ttl)
            snprintf(buf, len, "%s ttl %u", reason_name(p->reason), p->reason_ttl);
        else
            snprintf(buf, len, "%s", reason_name(p->reason));
        break;
    }
}

/* One table line: every column but the last padded to its width plus one
 * space, as nmap's NmapOutputTable does. */
static void print_row(FILE *fp, char cells[][128], const size_t *width, int ncols)
{
    for (int c = 0; c + 1 < ncols; c++)
        fprintf(fp, "%-*s ", (int)width[c], cells[c]);
    fprintf(fp, "%s\n", cells[ncols - 1]);
}

static void print_table(FILE *fp, const struct port_result **rows, size_t n, int ncols)
{
    static const char *const head[] = {"PORT", "STATE", "SERVICE", "REASON"};
    char cells[4][128];
    size_t width[4];
    for (int c = 0; c < ncols; c++) {
        width[c] = strlen(head[c]);
        for (size_t i = 0; i < n; i++) {
            cell(rows[i], c, cells[c], sizeof(cells[c]));
            if (strlen(cells[c]) > width[c])
                width[c] = strlen(cells[c]);
        }
    }
    for (int c = 0; c < ncols; c++)
        snprintf(cells[c], sizeof(cells[c]), "%s", head[c]);
    print_row(fp, cells, width, ncols);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < ncols; c++)
            cell(rows[i], c, cells[c], sizeof(cells[c]));
        print_row(fp, cells, width, ncols);
    }
}

static int normal_host_end(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct normal_state *st = o->priv;
    FILE *fp = o->fp;
    if (!st->skip_host) {
        if (st->nrows)
            print_table(fp, st->rows, st->nrows,
                        o->scan->show_reason || o->scan->verbose > 1 ? 4 : 3);
        /* After the table, as nmap. The vendor would come from
         * nmap-mac-prefixes; it is not read yet, so every MAC is "(Unknown)",
         * which is also what nmap prints for locally administered ones. */
        if (h->have_mac)
            fprintf(fp, "MAC Address: %02X:%02X:%02X:%02X:%02X:%02X (Unknown)\n", h->mac[0],
                    h->mac[1], h->mac[2], h->mac[3], h->mac[4], h->mac[5]);
        if (!o->scan->disc.ping_only) /* a ping scan's hosts follow each other */
            fputc('\n', fp);
    }
    st->nrows = 0;
    if (fflush(fp) != 0 || ferror(fp))
        return -1;
    return 0;
}

static int normal_close(struct output *o, const struct scan_summary *sum)
{
    struct normal_state *st = o->priv;
    FILE *fp = o->fp;
    int rc = 0;
    if (sum->hosts_total == 1 && sum->hosts_up == 0 && !sum->interrupted && !sum->error)
        fputs("Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn\n",
              fp);
    if (sum->interrupted)
        fputs("prtip interrupted: results so far are complete for the hosts shown\n", fp);
    if (sum->error)
        fprintf(fp, "prtip stopped: %s\n", sum->error);
    if (st && st->terminal) {
        fputs("prtip done: ", fp);
    } else {
        char when[64];
        time_t end = sum->end.tv_sec ? sum->end.tv_sec : time(NULL);
        format_ctime(end, when, sizeof(when));
        fprintf(fp, "# prtip done at %s -- ", when);
    }
    if (print_totals(fp, sum) < 0 || fflush(fp) != 0 || ferror(fp))
        rc = -1;
    if (st)
        free(st->rows);
    free(st);
    o->priv = NULL;
    return rc;
}

const struct output_module output_normal = {
    .name = "normal",
    .option = "-oN",
    .ext = "nmap",
    .open = normal_open,
    .host_begin = normal_host_begin,
    .port = normal_port,
    .host_end = normal_host_end,
    .close = normal_close,
};

/* The report nmap always prints on stdout; output.c adds it unless another
 * output writes to "-". Not in the registry: users ask for it with no flag. */
const struct output_module output_normal_terminal = {
    .name = "normal-terminal",
    .option = "",
    .ext = "nmap",
    .open = normal_open_terminal,
    .host_begin = normal_host_begin,
    .port = normal_port,
    .host_end = normal_host_end,
    .close = normal_close,
};
