/*
 * osreport.c — nmap's OS verdict and its printed pieces from scored tries
 * (osreport.h).
 */
#include "detect/osreport.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CLASS_MEMBERS 8  /* nmap's MAX_OS_CLASSMEMBERS */
#define WRAP_COLS         72 /* characters after "OS:" per wrapped line */

const char *os_not_ideal(const struct os_try *t, const struct os_report_opts *o, char *buf,
                         size_t len)
{
    if (o->scan_delay_ms > 500) {
        snprintf(buf, len, "Scan delay (%llu) is greater than 500",
                 (unsigned long long)o->scan_delay_ms);
        return buf;
    }
    if (o->timing_level > 4)
        return "Timing level 5 (Insane) used";
    if (o->open_tcp <= 0)
        return "Missing an open TCP port so results incomplete";
    if (o->closed_tcp <= 0)
        return "Missing a closed TCP port so results incomplete";
    if (t->distance < -1) {
        snprintf(buf, len, "Host distance (%d network hops) appears to be negative", t->distance);
        return buf;
    }
    if (t->distance > 5) {
        snprintf(buf, len, "Host distance (%d network hops) is greater than five", t->distance);
        return buf;
    }
    if (!t->tgt.reply[OSP_U1].got && !o->udp_scanned)
        return "Didn't receive UDP response. Please try again with -sSU";
    return NULL;
}

static bool is_private(const struct ipaddr *a)
{
    if (a->family != AF_INET)
        return false;
    const uint8_t *b = a->bytes;
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) ||
           b[0] == 127 || (b[0] == 169 && b[1] == 254);
}

static int cmp_lines(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int tx = os_test_find(x, strcspn(x, "(")), ty = os_test_find(y, strcspn(y, "("));
    if (tx != ty)
        return tx - ty;
    return strcmp(x, y);
}

char *os_fingerprint_text(const struct os_try *tries, size_t n, const struct os_try *best,
                          const struct host_result *h, const struct os_report_opts *o, bool good,
                          bool wrap)
{
    char scan[512], ot[16] = "", ct[16] = "", cu[16] = "", ds[24] = "", dc[8] = "", mac[16] = "";
    if (o->open_tcp > 0)
        snprintf(ot, sizeof ot, "%d", o->open_tcp);
    if (o->closed_tcp > 0)
        snprintf(ct, sizeof ct, "%d", o->closed_tcp);
    if (best->tgt.reply[OSP_U1].got)
        snprintf(cu, sizeof cu, "%u", best->tgt.closed_udp_used);
    if (best->distance != -1)
        snprintf(ds, sizeof ds, "%%DS=%d", best->distance);
    if (best->dist_method)
        snprintf(dc, sizeof dc, "%%DC=%c", best->dist_method);
    if (h->have_mac)
        snprintf(mac, sizeof mac, "%%M=%02X%02X%02X", h->mac[0], h->mac[1], h->mac[2]);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    snprintf(scan, sizeof scan,
             "SCAN(V=%s%%E=4%%D=%d/%d%%OT=%s%%CT=%s%%CU=%s%%PV=%c%s%s%%G=%c%s%%TM=%X%%P=%s)",
             PRTIP_VERSION, tm.tm_mon + 1, tm.tm_mday, ot, ct, cu, is_private(&h->addr) ? 'Y' : 'N',
             ds, dc, good ? 'Y' : 'N', mac, (unsigned)now, "x86_64-pc-linux-gnu");

    /* Distinct test lines of every try, in nmap's order. */
    char *lines[OS_NTESTS * 8];
    size_t nl = 0;
    char buf[2048];
    for (size_t i = 0; i < n && nl + OS_NTESTS <= sizeof lines / sizeof lines[0]; i++) {
        os_obs_format(&tries[i].obs, buf, sizeof buf);
        for (char *p = buf, *e; *p; p = e + 1) {
            e = strchr(p, '\n');
            if (!e)
                break;
            *e = '\0';
            bool dup = false;
            for (size_t k = 0; k < nl && !dup; k++)
                dup = strcmp(lines[k], p) == 0;
            if (!dup)
                lines[nl++] = strdup(p);
        }
    }
    size_t total = strlen(scan) + 2;
    for (size_t k = 0; k < nl; k++) {
        if (!lines[k]) {
            for (size_t j = 0; j < nl; j++)
                free(lines[j]);
            return NULL;
        }
        total += strlen(lines[k]) + 1;
    }
    qsort(lines, nl, sizeof lines[0], cmp_lines);
    char *flat = malloc(total);
    char *out = flat ? malloc(total + (total / WRAP_COLS + 2) * 4) : NULL;
    if (out) {
        size_t w = (size_t)sprintf(flat, "%s%s", scan, wrap ? "" : "\n");
        for (size_t k = 0; k < nl; k++)
            w += (size_t)sprintf(flat + w, "%s%s", lines[k], wrap ? "" : "\n");
        if (!wrap) {
            memcpy(out, flat, w + 1);
        } else {
            size_t o2 = 0;
            for (size_t i = 0; i < w; i += WRAP_COLS) {
                size_t c = w - i < WRAP_COLS ? w - i : WRAP_COLS;
                memcpy(out + o2, "OS:", 3);
                memcpy(out + o2 + 3, flat + i, c);
                o2 += 3 + c;
                out[o2++] = '\n';
            }
            out[o2] = '\0';
        }
    }
    free(flat);
    for (size_t k = 0; k < nl; k++)
        free(lines[k]);
    return out;
}

/* ---- classification (FingerPrintResults::populateClassification) ---- */

struct cls_ref {
    struct os_db_class c;
    double acc;
};

static bool streq_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static size_t classify(const struct os_db *db, const struct os_matches *m, struct cls_ref *out,
                       size_t *nperfect)
{
    size_t n = 0;
    *nperfect = 0;
    if (m->outcome == OS_TOOMANYMATCHES)
        return 0;
    for (size_t p = 0; p < m->n; p++) {
        for (size_t k = 0; k < os_db_nclasses(db, m->print[p]); k++) {
            struct os_db_class c = os_db_class(db, m->print[p], k);
            bool dup = false;
            for (size_t i = 0; i < n && !dup; i++)
                dup = streq_null(c.vendor, out[i].c.vendor) &&
                      streq_null(c.family, out[i].c.family) && streq_null(c.type, out[i].c.type) &&
                      streq_null(c.gen, out[i].c.gen);
            if (dup)
                continue;
            if (n == OS_MAX_MATCHES)
                return n;
            if (*nperfect > 0 && p >= m->nperfect)
                return n;
            out[n++] = (struct cls_ref){.c = c, .acc = m->acc[p]};
            if (p < m->nperfect)
                (*nperfect)++;
        }
    }
    return n;
}

static bool add_new(const char **arr, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(arr[i], s) == 0)
            return true;
    if (*n >= MAX_CLASS_MEMBERS)
        return false;
    arr[(*n)++] = s;
    return true;
}

/* printosclassificationoutput's three lines, or none (all NULL). */
int os_report_classes(const struct os_db *db, const struct os_matches *m, bool guess,
                      struct os_report *r)
{
    struct cls_ref cl[OS_MAX_MATCHES];
    size_t nperf, n = classify(db, m, cl, &nperf);
    const char *types[MAX_CLASS_MEMBERS], *cpes[MAX_CLASS_MEMBERS];
    size_t ntypes = 0, ncpes = 0, nfam = 0;
    char fam[MAX_CLASS_MEMBERS][128], gens[MAX_CLASS_MEMBERS][96];
    double facc[MAX_CLASS_MEMBERS];
    bool overflow = false;
    for (size_t i = 0; i < n; i++) {
        if ((!guess && i >= nperf) || cl[i].acc <= cl[0].acc - 0.1 || (cl[i].acc < 1.0 && i > 9))
            break;
        if (!add_new(types, &ntypes, cl[i].c.type))
            overflow = true;
        for (size_t k = 0; k < cl[i].c.ncpe; k++)
            if (!add_new(cpes, &ncpes, cl[i].c.cpe[k]))
                overflow = true;
        char full[128];
        if (strcmp(cl[i].c.vendor, cl[i].c.family) == 0)
            snprintf(full, sizeof full, "%s", cl[i].c.family);
        else
            snprintf(full, sizeof full, "%s %s", cl[i].c.vendor, cl[i].c.family);
        size_t f = 0;
        while (f < nfam && strcmp(fam[f], full) != 0)
            f++;
        if (f < nfam) {
            const char *g = cl[i].c.gen;
            if (g && !strstr(gens[f], g)) {
                size_t gl = strlen(gens[f]);
                snprintf(gens[f] + gl, sizeof gens[f] - gl, "%s%s", gl ? "|" : "", g);
            }
            continue;
        }
        if (nfam >= MAX_CLASS_MEMBERS) {
            overflow = true;
            break;
        }
        snprintf(fam[nfam], sizeof fam[nfam], "%s", full);
        snprintf(gens[nfam], sizeof gens[nfam], "%s", cl[i].c.gen ? cl[i].c.gen : "");
        facc[nfam++] = cl[i].acc;
    }
    if (overflow || nfam == 0)
        return 0;
    char buf[2048];
    size_t w = 0;
    for (size_t i = 0; i < ntypes; i++)
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", i ? "|" : "", types[i]);
    r->device_types = strdup(buf);
    w = 0;
    for (size_t f = 0; f < nfam && w < sizeof buf; f++) {
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s%s%s", f ? ", " : "", fam[f],
                              *gens[f] ? " " : "", gens[f]);
        if (f >= nperf && w < sizeof buf)
            w += (size_t)snprintf(buf + w, sizeof buf - w, " (%.f%%)", floor(facc[f] * 100));
    }
    r->running = strdup(buf);
    r->running_guess = nperf == 0;
    if (ncpes) {
        w = 0;
        for (size_t i = 0; i < ncpes && w < sizeof buf; i++)
            w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", i ? " " : "", cpes[i]);
        r->os_cpe = strdup(buf);
    }
    return r->device_types && r->running && (!ncpes || r->os_cpe) ? 0 : -1;
}

/* One <osmatch>: the print's name, accuracy, line and classes. */
int os_match_fill(struct os_match *om, const struct os_db *db, uint32_t print, double acc)
{
    uint8_t pct = (uint8_t)(int)(acc * 100);
    om->name = strdup(os_db_name(db, print));
    om->accuracy = pct;
    om->line = os_db_line(db, print);
    size_t nc = os_db_nclasses(db, print);
    om->classes = nc ? calloc(nc, sizeof *om->classes) : NULL;
    if (!om->name || (nc && !om->classes))
        return -1;
    om->nclasses = nc;
    for (size_t k = 0; k < nc; k++) {
        struct os_db_class c = os_db_class(db, print, k);
        struct os_class *oc = &om->classes[k];
        oc->type = strdup(c.type);
        oc->vendor = strdup(c.vendor);
        oc->osfamily = strdup(c.family);
        oc->osgen = c.gen ? strdup(c.gen) : NULL;
        oc->accuracy = pct;
        oc->cpe = c.ncpe ? calloc(c.ncpe, sizeof *oc->cpe) : NULL;
        if (!oc->type || !oc->vendor || !oc->osfamily || (c.gen && !oc->osgen) ||
            (c.ncpe && !oc->cpe))
            return -1;
        oc->ncpe = c.ncpe;
        for (size_t j = 0; j < c.ncpe; j++)
            if (!(oc->cpe[j] = strdup(c.cpe[j])))
                return -1;
    }
    return 0;
}

static char *join_hex(const uint32_t *v, int n)
{
    char buf[128];
    size_t w = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%X", i ? "," : "", v[i]);
    return strdup(buf);
}

int os_report_fill(struct host_result *h, const struct os_db *db, const struct os_try *tries,
                   size_t n, size_t best, const struct os_report_opts *o)
{
    const struct os_try *b = &tries[best];
    const struct os_matches *m = &b->m;
    struct os_report *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    char why[128];
    const char *reason = os_not_ideal(b, o, why, sizeof why);
    bool guess = o->guess || reason;
    bool dbg = o->debug > 0, v2 = o->verbose > 1 || dbg;
    r->unreliable = o->open_tcp <= 0 || o->closed_tcp <= 0;
    r->open_tcp = o->open_tcp > 0 ? o->open_tcp : -1;
    r->closed_tcp = o->closed_tcp > 0 ? o->closed_tcp : -1;
    r->closed_udp = b->tgt.reply[OSP_U1].got ? b->tgt.closed_udp_used : -1;
    r->distance = b->distance;
    r->seq_index = b->si.responses > 3 ? b->si.index : -1;
    if (r->seq_index >= 0)
        snprintf(r->seq_difficulty, sizeof r->seq_difficulty, "%s",
                 os_seq_difficulty(r->seq_index));
    if (b->si.lastboot) {
        r->lastboot = (int64_t)b->si.lastboot;
        r->uptime_s = (int64_t)(time(NULL) - b->si.lastboot);
    }
    int rc = 0;
    if (reason && !(r->not_ideal = strdup(reason)))
        rc = -1;
    if (rc == 0 && m->outcome != OS_TOOMANYMATCHES)
        rc = os_report_classes(db, m, guess, r);

    size_t first = 0, count = 0;
    bool good_fp = reason == NULL, show_fp = false, wrap = true;
    if (m->outcome == OS_SUCCESS && (m->nperfect <= 8 || dbg)) {
        if (m->nperfect > 0) {
            r->verdict = OS_VERDICT_DETAILS;
            count = m->nperfect;
            show_fp = v2;
        } else {
            r->verdict = OS_VERDICT_GUESSES;
            while (count < 10 && count < m->n && m->acc[count] > m->acc[0] - 0.10)
                count++;
            r->show_guesses = guess && m->n > 0;
            show_fp = !reason || v2;
            wrap = !reason;
        }
    } else if (m->outcome == OS_NOMATCHES) {
        r->verdict = OS_VERDICT_NONE;
        show_fp = !reason || v2;
        wrap = !reason;
    } else {
        r->verdict = OS_VERDICT_TOOMANY;
        show_fp = v2;
        wrap = false;
        good_fp = false;
    }
    if (r->verdict != OS_VERDICT_DETAILS)
        good_fp = good_fp && wrap;
    struct os_match *ms = count ? calloc(count, sizeof *ms) : NULL;
    if (count && !ms)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = os_match_fill(&ms[i], db, m->print[first + i], m->acc[first + i]);
    char *fp = NULL;
    if (rc == 0 && show_fp && !(fp = os_fingerprint_text(tries, n, b, h, o, good_fp, wrap)))
        rc = -1;

    const struct os_seq_info *si = &b->si;
    if (rc == 0 && si->responses > 3 && !(r->seq_values = join_hex(si->seqs, si->responses)))
        rc = -1;
    if (rc == 0 && si->responses > 2) {
        r->ipid_class = strdup(os_ipid_class_name(si->ipid_class));
        r->ipid_values = join_hex(si->ipids, si->responses);
        r->ts_class = strdup(os_ts_class_name(si->ts_class));
        if (si->ts_class != OS_TS_UNSUPPORTED)
            r->ts_values = join_hex(si->timestamps, si->responses);
        if (!r->ipid_class || !r->ipid_values || !r->ts_class ||
            (si->ts_class != OS_TS_UNSUPPORTED && !r->ts_values))
            rc = -1;
    }
    return os_report_give(h, ms, count, fp, r, rc);
}

int os_report_give(struct host_result *h, struct os_match *ms, size_t count, char *fp,
                   struct os_report *r, int rc)
{
    if (rc < 0) {
        for (size_t i = 0; ms && i < count; i++)
            os_match_free(&ms[i]);
        free(ms);
        free(fp);
        os_report_free(r);
        free(r);
        return -1;
    }
    host_result_free_os(h);
    h->os = ms;
    h->nos = count;
    h->os_fingerprint = fp;
    h->os_report = r;
    return 0;
}
