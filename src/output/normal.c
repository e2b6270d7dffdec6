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
#include "output/render.h"

#include <errno.h>
#include <stdarg.h>
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

static int normal_open_common(struct output *o, bool terminal)
{
    struct normal_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    st->terminal = terminal;
    st->start = out_start_time(o->info);
    o->priv = st;

    const char *args = o->info->args ? o->info->args : "prtip";
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
        out_ctime(st->start, when, sizeof(when));
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
static void print_host_up(FILE *fp, const struct scan_info *info, const struct host_result *h)
{
    fputs("Host is up", fp);
    if (info->show_reason || info->verbose > 1) {
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

/* "Not shown: 40 filtered tcp ports (no-response), 30 filtered tcp ports
 * (admin-prohibited), 29 closed tcp ports (reset)": one entry per hidden
 * (state, reason, protocol), states and entries in nmap 7.93's order
 * (out_hidden_order, out_extrareasons), so the line reads as nmap's. */
struct not_shown_ctx {
    FILE *fp;
    int state;
    bool first;
};

static void not_shown_entry(void *ctx, enum reason r, enum port_proto proto, size_t n,
                            const char *ranges)
{
    struct not_shown_ctx *c = ctx;
    (void)ranges;
    fprintf(c->fp, "%s%zu %s %s port%s (%s)", c->first ? "" : ", ", n, port_state_name(c->state),
            port_proto_name(proto), n == 1 ? "" : "s", reason_name(r));
    c->first = false;
}

static void print_not_shown(FILE *fp, const struct host_result *h, unsigned hidden)
{
    int order[PORT_STATE_COUNT];
    size_t counts[PORT_STATE_COUNT];
    size_t n = out_hidden_order(h, hidden, order, counts);
    struct not_shown_ctx c = {fp, 0, true};
    /* A partial host's counts cover the ports scanned only: worded so that
     * neither a reader nor a parser of nmap's "Not shown:" line takes them
     * for the whole host. */
    if (out_host_partial(h))
        fprintf(fp, "Of the %zu ports scanned, not shown: ", h->nports);
    else
        fputs("Not shown: ", fp);
    for (size_t i = 0; i < n; i++) {
        c.state = order[i];
        /* Only allocation can fail; the line is then short, and the port
         * table still follows. */
        (void)out_extrareasons(h, order[i], not_shown_entry, &c);
    }
    fputc('\n', fp);
}

static int normal_host_begin(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct normal_state *st = o->priv;
    const struct scan_info *info = o->info;
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
        if (info->verbose > 0) {
            fprintf(fp, "prtip scan report for %s [host down", who);
            if (info->show_reason || info->verbose > 1)
                fprintf(fp, ", received %s", reason_name(h->status_reason));
            fputs("]\n", fp);
        }
        return ferror(fp) ? -1 : 0;
    }

    fprintf(fp, "prtip scan report for %s\n", who);
    print_host_up(fp, info, h);
    if (h->hostname && h->other_addrs && *h->other_addrs)
        fprintf(fp, "Other addresses for %s (not scanned): %s\n", h->hostname, h->other_addrs);
    if (h->hostname && h->rdns && strcmp(h->hostname, h->rdns) != 0) {
        char addr[IPADDR_STRLEN];
        fprintf(fp, "rDNS record for %s: %s\n", ipaddr_str(&h->addr, addr, sizeof(addr)), h->rdns);
    }
    if (info->verbose > 1) {
        struct tm tm;
        char when[64];
        if (localtime_r(&h->start.tv_sec, &tm) &&
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm))
            fprintf(fp, "Scanned at %s for %llds\n", when,
                    (long long)(h->end.tv_sec - h->start.tv_sec));
    }
    if (out_host_partial(h)) {
        char note[96];
        out_partial_note(h, note, sizeof(note));
        fprintf(fp, "Scan of this host interrupted: %s (they have no state).\n", note);
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

/* The table's columns, in nmap's order; REASON with --reason or -vv,
 * VERSION when version detection ran. */
enum col { COL_PORT, COL_STATE, COL_SERVICE, COL_REASON, COL_VERSION, COL_COUNT };

static void cell(const struct port_result *p, enum col col, char *buf, size_t len)
{
    switch (col) {
    case COL_PORT:
        snprintf(buf, len, "%u/%s", p->port, port_proto_name(p->proto));
        break;
    case COL_STATE:
        snprintf(buf, len, "%s", port_state_name(p->state));
        break;
    case COL_SERVICE:
        out_service_name(p, buf, len);
        break;
    case COL_REASON: {
        /* nmap's port_reason_str(): "admin-prohibited from 198.18.0.254"
         * when a router sent it, then " ttl 64" when there was a reply. */
        char from[IPADDR_STRLEN + 8] = "";
        if (p->detail && p->detail->have_reason_ip) {
            char a[IPADDR_STRLEN];
            snprintf(from, sizeof(from), " from %s",
                     ipaddr_str(&p->detail->reason_ip, a, sizeof(a)));
        }
        if (p->reason_ttl)
            snprintf(buf, len, "%s%s ttl %u", reason_name(p->reason), from, p->reason_ttl);
        else
            snprintf(buf, len, "%s%s", reason_name(p->reason), from);
        break;
    }
    default:
        out_version_string(p, buf, len);
        break;
    }
}

/* One table line: every column but the last padded to its width plus one
 * space, as nmap's NmapOutputTable does. */
/* Cells are padded to their column's width only where a later cell of the
 * row has text: nmap ends "7000/tcp open  tcpwrapped" (VERSION empty) at the
 * last word, with no trailing blanks. */
static void print_row(FILE *fp, char cells[][256], const size_t *width, int ncols)
{
    int last = ncols - 1;
    while (last > 0 && cells[last][0] == '\0')
        last--;
    for (int c = 0; c < last; c++)
        fprintf(fp, "%-*s ", (int)width[c], cells[c]);
    fprintf(fp, "%s\n", cells[last]);
}

/*
 * A script's output as nmap prints it under a port or in "Host script
 * results": "|_id: text" for one line, else "| id: first" then "| line"
 * and "|_last".
 */
static void print_script(FILE *fp, const char *id, const char *text)
{
    if (!text)
        text = "";
    while (*text == '\n') /* structured scripts start their text on a new line */
        text++;
    size_t len = strlen(text);
    while (len && text[len - 1] == '\n')
        len--;
    const char *nl = memchr(text, '\n', len);
    if (!nl) {
        fprintf(fp, "|_%s: %.*s\n", id, (int)len, text);
        return;
    }
    fprintf(fp, "| %s: %.*s\n", id, (int)(nl - text), text);
    const char *line = nl + 1, *end = text + len;
    while (line < end) {
        const char *e = memchr(line, '\n', (size_t)(end - line));
        if (!e)
            e = end;
        fprintf(fp, "%s%.*s\n", e == end ? "|_" : "| ", (int)(e - line), line);
        line = e + 1;
    }
}

/* Append formatted text to buf at *used, never past len. */
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    if (*used >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n;
}

/* TLS facts nmap's ssl-cert does not show, as a script-style block under
 * the port (the certificate itself is the ssl-cert block the version stage
 * adds, in nmap's words). */
static void print_tls(FILE *fp, const struct tls_info *t)
{
    char text[4096] = "";
    size_t used = 0, len = sizeof(text);
    if (t->protocol)
        add(text, len, &used, "%s%s%s\n", t->protocol, t->cipher ? " " : "",
            t->cipher ? t->cipher : "");
    if (t->alpn)
        add(text, len, &used, "ALPN: %s\n", t->alpn);
    if (t->sni)
        add(text, len, &used, "SNI: %s\n", t->sni);
    if (t->subject)
        add(text, len, &used, "Certificate: %s, %lld days left, %u in chain%s\n",
            t->key_type ? t->key_type : "?", (long long)t->days_left, t->chain_len,
            t->self_signed ? ", self-signed" : "");
    if (t->sha256)
        add(text, len, &used, "SHA-256: %s\n", t->sha256);
    if (t->spki_sha256)
        add(text, len, &used, "SPKI SHA-256: %s\n", t->spki_sha256);
    if (t->ja3s)
        add(text, len, &used, "JA3S: %s\n", t->ja3s);
    print_script(fp, "tls-info", text);
}

static void print_port_extras(FILE *fp, const struct port_result *p)
{
    if (!p->detail)
        return;
    for (size_t i = 0; i < p->detail->nscripts; i++)
        print_script(fp, p->detail->scripts[i].id, p->detail->scripts[i].output);
    if (p->detail->tls)
        print_tls(fp, p->detail->tls);
}

static void print_table(FILE *fp, const struct port_result **rows, size_t n, const enum col *cols,
                        int ncols)
{
    static const char *const head[COL_COUNT] = {"PORT", "STATE", "SERVICE", "REASON", "VERSION"};
    char cells[COL_COUNT][256];
    size_t width[COL_COUNT];
    for (int c = 0; c < ncols; c++) {
        width[c] = strlen(head[cols[c]]);
        for (size_t i = 0; i < n; i++) {
            cell(rows[i], cols[c], cells[c], sizeof(cells[c]));
            if (strlen(cells[c]) > width[c])
                width[c] = strlen(cells[c]);
        }
    }
    for (int c = 0; c < ncols; c++)
        snprintf(cells[c], sizeof(cells[c]), "%s", head[cols[c]]);
    print_row(fp, cells, width, ncols);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < ncols; c++)
            cell(rows[i], cols[c], cells[c], sizeof(cells[c]));
        print_row(fp, cells, width, ncols);
        print_port_extras(fp, rows[i]);
    }
}

/* nmap's service fingerprints of the shown ports that answered and matched
 * nothing, after the table, so users can still submit them to nmap. */
static void print_fingerprints(FILE *fp, const struct port_result **rows, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i]->detail && rows[i]->detail->service && rows[i]->detail->service->fingerprint)
            count++;
    if (count == 0)
        return;
    fprintf(fp,
            "%zu service%s unrecognized despite returning data. If you know the service/version, "
            "please submit the following fingerprint%s at "
            "https://nmap.org/cgi-bin/submit.cgi?new-service :\n",
            count, count > 1 ? "s" : "", count > 1 ? "s" : "");
    for (size_t i = 0; i < n; i++) {
        const struct service_result *s = rows[i]->detail ? rows[i]->detail->service : NULL;
        if (!s || !s->fingerprint)
            continue;
        if (count > 1)
            fputs("==============NEXT SERVICE FINGERPRINT (SUBMIT INDIVIDUALLY)==============\n",
                  fp);
        fprintf(fp, "%s\n", s->fingerprint);
    }
}

/* nmap's "Service Info: Host: x; OS: Linux; Device: router; CPE: ..." from
 * the -sV findings of the shown ports. */
static void print_service_info(FILE *fp, const struct port_result **rows, size_t n)
{
    char host[256] = "", os[256] = "", dev[256] = "", cpe[1024] = "";
    for (size_t i = 0; i < n; i++) {
        const struct service_result *s = rows[i]->detail ? rows[i]->detail->service : NULL;
        if (!s)
            continue;
        out_add_distinct(host, sizeof(host), s->hostname);
        out_add_distinct(os, sizeof(os), s->ostype);
        out_add_distinct(dev, sizeof(dev), s->devicetype);
        for (size_t k = 0; k < s->ncpe; k++)
            if (strncmp(s->cpe[k], "cpe:/a", 6) != 0) /* nmap lists OS and hardware CPEs */
                out_add_distinct(cpe, sizeof(cpe), s->cpe[k]);
    }
    if (!*host && !*os && !*dev && !*cpe)
        return;
    /* nmap's labels turn plural with a second value ("OSs: Unix, Linux"). */
    const char *label[4] = {
        strchr(host, ',') ? "Hosts: " : "Host: ", strchr(os, ',') ? "OSs: " : "OS: ",
        strchr(dev, ',') ? "Devices: " : "Device: ", "CPE: "};
    const char *val[4] = {host, os, dev, cpe};
    fputs("Service Info: ", fp);
    bool first = true;
    for (int k = 0; k < 4; k++) {
        if (!*val[k])
            continue;
        fprintf(fp, "%s%s%s", first ? "" : "; ", label[k], val[k]);
        first = false;
    }
    fputc('\n', fp);
}

/* nmap's OS section for a host -O ran on (output.cc printosscanoutput):
 * the warning, the classification lines, the verdict, the fingerprint,
 * then uptime, distance and the sequence lines (-v). */
/* --os-passive's lines: labelled, never in -O's words (docs/OUTPUT.md). */
static void print_os_passive(FILE *fp, const struct scan_info *info, const struct host_result *h)
{
    const struct os_report *r = h->os_report;
    if (r->device_types && r->running)
        fprintf(fp, "Passive device type: %s\nPassive running: %s\n", r->device_types, r->running);
    fputs("Passive OS guess (SYN-ACK only: O1/W1/T1): ", fp);
    if (h->nos == 0)
        fputs("none over 85%", fp);
    for (size_t i = 0; i < h->nos; i++)
        fprintf(fp, "%s%s (%u%%)", i ? ", " : "", h->os[i].name, h->os[i].accuracy);
    fputc('\n', fp);
    if (h->os_fingerprint && (info->verbose > 1 || info->debug > 0))
        fprintf(fp, "Passive TCP/IP fingerprint:\n%s", h->os_fingerprint);
}

static void print_os_report(FILE *fp, const struct scan_info *info, const struct host_result *h)
{
    const struct os_report *r = h->os_report;
    bool v2 = info->verbose > 1 || info->debug > 0;
    if (r->passive) {
        print_os_passive(fp, info, h);
        return;
    }
    if (r->verdict == OS_VERDICT_UNSUPPORTED) {
        fprintf(fp, "%s\n", r->note ? r->note : "OS detection not performed");
        return;
    }
    if (r->unreliable && r->verdict != OS_VERDICT_TOOMANY)
        fputs("Warning: OSScan results may be unreliable because we could not find at least 1 "
              "open and 1 closed port\n",
              fp);
    if (r->device_types && r->running) {
        fprintf(fp, "Device type: %s\nRunning%s: %s\n", r->device_types,
                r->running_guess ? " (JUST GUESSING)" : "", r->running);
        if (r->os_cpe)
            fprintf(fp, "OS CPE: %s\n", r->os_cpe);
    }
    const char *fpt = h->os_fingerprint;
    switch (r->verdict) {
    case OS_VERDICT_DETAILS:
        fputs("OS details: ", fp);
        for (size_t i = 0; i < h->nos; i++)
            fprintf(fp, "%s%s", i ? ", " : "", h->os[i].name);
        fputc('\n', fp);
        break;
    case OS_VERDICT_GUESSES:
        if (v2 && r->not_ideal)
            fprintf(fp, "OS fingerprint not ideal because: %s\n", r->not_ideal);
        if (r->show_guesses && h->nos) {
            fputs("Aggressive OS guesses: ", fp);
            for (size_t i = 0; i < h->nos; i++)
                fprintf(fp, "%s%s (%u%%)", i ? ", " : "", h->os[i].name, h->os[i].accuracy);
            fputc('\n', fp);
        }
        fputs(r->not_ideal ? "No exact OS matches for host (test conditions non-ideal).\n"
                           : "No exact OS matches for host (If you know what OS is running on "
                             "it, see https://nmap.org/submit/ ).\n",
              fp);
        break;
    case OS_VERDICT_NONE:
        if (r->not_ideal)
            fprintf(fp, "OS fingerprint not ideal because: %s\nNo OS matches for host\n",
                    r->not_ideal);
        else
            fputs("No OS matches for host (If you know what OS is running on it, see "
                  "https://nmap.org/submit/ ).\n",
                  fp);
        break;
    default:
        fputs("Too many fingerprints match this host to give specific OS details\n", fp);
        break;
    }
    if (fpt)
        fprintf(fp, "TCP/IP fingerprint:\n%s\n", fpt);
    if (r->lastboot && info->verbose) {
        char when[64];
        out_ctime((time_t)r->lastboot, when, sizeof when);
        fprintf(fp, "Uptime guess: %.3f days (since %s)\n", (double)r->uptime_s / 86400, when);
    }
    if (r->distance != -1)
        fprintf(fp, "Network Distance: %d hop%s\n", r->distance, r->distance == 1 ? "" : "s");
    if (r->seq_index >= 0 && info->verbose)
        fprintf(fp, "TCP Sequence Prediction: Difficulty=%d (%s)\n", r->seq_index,
                r->seq_difficulty);
    if (r->ipid_class && info->verbose)
        fprintf(fp, "IP ID Sequence Generation: %s\n", r->ipid_class);
}

/* nmap's OS section: "Device type", "Running", "OS CPE", then "OS details"
 * for perfect matches or "Aggressive OS guesses" otherwise. */
static void print_os(FILE *fp, const struct host_result *h)
{
    if (h->nos == 0) {
        if (h->os_fingerprint)
            fprintf(fp, "No exact OS matches for host.\nTCP/IP fingerprint:\n%s\n",
                    h->os_fingerprint);
        return;
    }
    char types[256], running[512], cpe[1024];
    out_os_classes(h, types, sizeof(types), running, sizeof(running), cpe, sizeof(cpe));
    if (*types)
        fprintf(fp, "Device type: %s\n", types);
    if (*running)
        fprintf(fp, "Running: %s\n", running);
    if (*cpe)
        fprintf(fp, "OS CPE: %s\n", cpe);
    bool perfect = h->os[0].accuracy == 100;
    fputs(perfect ? "OS details: " : "Aggressive OS guesses: ", fp);
    for (size_t i = 0; i < h->nos; i++) {
        const char *name = h->os[i].name ? h->os[i].name : "";
        if (perfect && h->os[i].accuracy != 100)
            break;
        if (perfect)
            fprintf(fp, "%s%s", i ? ", " : "", name);
        else
            fprintf(fp, "%s%s (%u%%)", i ? ", " : "", name, h->os[i].accuracy);
    }
    fputc('\n', fp);
}

static int normal_host_end(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct normal_state *st = o->priv;
    const struct scan_info *info = o->info;
    FILE *fp = o->fp;
    if (!st->skip_host) {
        if (st->nrows) {
            enum col cols[COL_COUNT] = {COL_PORT, COL_STATE, COL_SERVICE};
            int ncols = 3;
            if (info->show_reason || info->verbose > 1)
                cols[ncols++] = COL_REASON;
            if (info->version_scan)
                cols[ncols++] = COL_VERSION;
            print_table(fp, st->rows, st->nrows, cols, ncols);
            print_fingerprints(fp, st->rows, st->nrows);
        }
        /* After the table, as nmap. The vendor would come from
         * nmap-mac-prefixes; it is not read yet, so every MAC is "(Unknown)",
         * which is also what nmap prints for locally administered ones. */
        if (h->have_mac) {
            char mac[MAC_STRLEN];
            mac_str(h->mac, false, mac);
            fprintf(fp, "MAC Address: %s (Unknown)\n", mac);
        }
        if (h->os_report)
            print_os_report(fp, info, h);
        else
            print_os(fp, h);
        print_service_info(fp, st->rows, st->nrows);
        if (h->nscripts) {
            fputs("\nHost script results:\n", fp);
            for (size_t i = 0; i < h->nscripts; i++)
                print_script(fp, h->scripts[i].id, h->scripts[i].output);
        }
        if (info->mode != SCAN_MODE_PING) /* a ping scan's hosts follow each other */
            fputc('\n', fp);
    }
    st->nrows = 0;
    return ferror(fp) ? -1 : 0; /* flushed by the output set (output.c) */
}

static int normal_close(struct output *o, const struct scan_summary *sum)
{
    struct normal_state *st = o->priv;
    FILE *fp = o->fp;
    int rc = 0;
    /* A list scan probes nothing: no host is down, so no note (nmap). */
    if (sum->hosts_total == 1 && sum->hosts_up == 0 && !sum->interrupted && !sum->error &&
        o->info->mode != SCAN_MODE_LIST)
        fputs("Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn\n",
              fp);
    if (sum->interrupted)
        fprintf(fp, "%s\n", out_interrupted_sentence);
    if (sum->error)
        fprintf(fp, "prtip stopped: %s\n", sum->error);
    /* In place of nmap's "Service detection performed. Please report any
     * incorrect results at https://nmap.org/submit/ ." */
    if (o->info->version_scan && !sum->interrupted)
        fputs("Service detection performed with nmap's nmap-service-probes. An answer nmap would "
              "not give is a prtip bug: report it with --version-trace output.\n",
              fp);
    if (st && st->terminal) {
        fputs("prtip done: ", fp);
    } else {
        char when[64];
        out_ctime(out_end_time(sum), when, sizeof(when));
        fprintf(fp, "# prtip done at %s -- ", when);
    }
    char totals[160];
    out_totals(sum, totals, sizeof(totals));
    if (fprintf(fp, "%s\n", totals) < 0 || fflush(fp) != 0 || ferror(fp))
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
    .summary = "nmap's normal output",
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
    .task = normal_task,
};
