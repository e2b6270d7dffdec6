/*
 * svcdb_match.c — which probe comes next and what a reply means, with the
 * semantics of nmap's service_scan.cc (ServiceNFO::nextProbe,
 * servicescan_read_handler, ServiceProbe::testMatch, processMatch).
 */
#include "detect/svcdb_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* nmap's buffers for the fields of a match (service_scan.cc); a template
 * whose expansion does not fit leaves its field empty. */
static const size_t field_len[SVC_F_COUNT] = {80, 80, 256, 80, 32, 32};
#define CPE_LEN 80

/* reply contains lit (n bytes), ignoring ASCII case when caseless. */
static bool contains(const uint8_t *reply, size_t len, const uint8_t *lit, size_t n, bool caseless)
{
    if (n > len)
        return false;
    if (!caseless)
        return memmem(reply, len, lit, n) != NULL;
    for (size_t i = 0; i + n <= len; i++) {
        size_t k = 0;
        while (k < n && tolower(reply[i + k]) == tolower(lit[k]))
            k++;
        if (k == n)
            return true;
    }
    return false;
}

bool svc_rule_may_match(const struct svc_rule *r, const uint8_t *reply, size_t len)
{
    if (len < r->minlen)
        return false;
    if (r->first_known && (len == 0 || !(r->first[reply[0] >> 3] >> (reply[0] & 7) & 1)))
        return false;
    /* Past 64 KB (more than nmap ever reads) the search would cost more
     * than PCRE2, which its limits bound anyway. */
    return r->nlit < 3 || len > 65536 ||
           contains(reply, len, r->lit, r->nlit, r->opts & PCRE2_CASELESS);
}

/* ---- probe order -------------------------------------------------------- */

static bool possible(const struct svc_probe *p, int intensity, const char *soft)
{
    return !soft || intensity >= 9 || svc_probe_can_match(p, soft);
}

static bool port_probe(const struct svc_probe *p, enum svc_proto proto, uint16_t port, bool ssl)
{
    return !p->is_null && p->proto == proto && svc_probe_lists_port(p, port, ssl);
}

const struct svc_probe *svc_db_next(const struct svc_db *db, enum svc_proto proto, uint16_t port,
                                    bool ssl, int intensity, const char *softmatched,
                                    const struct svc_probe *cur)
{
    if (!db)
        return NULL;
    if (!cur && proto == SVC_TCP && db->null_probe)
        return db->null_probe;
    /* Phase 1: probes whose ports (sslports over TLS) list the port, in file
     * order, whatever their rarity; phase 2: the others, by rarity unless a
     * softmatch narrowed the search to probes able to finish it. */
    size_t from = 0;
    bool matching = true;
    if (cur && !cur->is_null) {
        from = (size_t)(cur - db->probes) + 1;
        matching = port_probe(cur, proto, port, ssl);
    }
    if (matching) {
        for (size_t i = from; i < db->nprobes; i++) {
            const struct svc_probe *p = &db->probes[i];
            if (port_probe(p, proto, port, ssl) && possible(p, intensity, softmatched))
                return p;
        }
        from = 0;
    }
    for (size_t i = from; i < db->nprobes; i++) {
        const struct svc_probe *p = &db->probes[i];
        if (p->is_null || p->proto != proto || svc_probe_lists_port(p, port, ssl))
            continue;
        if (softmatched ? possible(p, intensity, softmatched) : p->rarity <= intensity)
            return p;
    }
    return NULL;
}

size_t svc_db_plan(const struct svc_db *db, enum svc_proto proto, uint16_t port, bool ssl,
                   int intensity, const char *softmatched, const struct svc_probe **out, size_t max)
{
    size_t n = 0;
    for (const struct svc_probe *p = NULL;
         (p = svc_db_next(db, proto, port, ssl, intensity, softmatched, p)) != NULL; n++)
        if (n < max)
            out[n] = p;
    return n;
}

/* ---- matching ------------------------------------------------------------ */

void svc_answer_clear(struct svc_answer *ans)
{
    if (!ans)
        return;
    free(ans->service);
    free(ans->product);
    free(ans->version);
    free(ans->extrainfo);
    free(ans->hostname);
    free(ans->ostype);
    free(ans->devicetype);
    for (size_t i = 0; i < ans->ncpe; i++)
        free(ans->cpe[i]);
    free(ans->cpe);
    memset(ans, 0, sizeof *ans);
}

static char **field_slot(struct svc_answer *a, int f)
{
    switch (f) {
    case SVC_F_PRODUCT:
        return &a->product;
    case SVC_F_VERSION:
        return &a->version;
    case SVC_F_INFO:
        return &a->extrainfo;
    case SVC_F_HOSTNAME:
        return &a->hostname;
    case SVC_F_OSTYPE:
        return &a->ostype;
    default:
        return &a->devicetype;
    }
}

static void tracef(void (*trace)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tracef(void (*trace)(void *, const char *), void *ctx, const char *fmt, ...)
{
    if (!trace)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    trace(ctx, buf);
}

/* The answer of rule r on reply (its captures in ov[0..np)): nmap's
 * getVersionStr. Empty fields stay NULL. -1 on allocation failure. */
static int fill(struct svc_answer *a, const struct svc_rule *r, const uint8_t *reply, size_t len,
                const size_t *ov, size_t np, void (*trace)(void *, const char *), void *ctx)
{
    char buf[256];
    a->service = strdup(r->service);
    if (!a->service)
        return -1;
    for (int f = 0; f < SVC_F_COUNT; f++) {
        if (!r->tmpl[f])
            continue;
        if (svc_template_expand(r->tmpl[f], reply, len, ov, np, false, buf, field_len[f]) < 0) {
            tracef(trace, ctx,
                   "line %u: template \"%s\" does not fit or refers to no capture: "
                   "field left empty (as nmap)",
                   r->line, r->tmpl[f]);
            continue;
        }
        if (buf[0] && !(*field_slot(a, f) = strdup(buf)))
            return -1;
    }
    /* One CPE per part, in a, h, o order; a later template of a part
     * replaces an earlier one and a failing one clears it (nmap). */
    char cpe[3][CPE_LEN];
    static const char parts[3] = {'a', 'h', 'o'};
    memset(cpe, 0, sizeof cpe);
    for (size_t i = 0; i < r->ncpe; i++) {
        const char *pp = memchr(parts, r->cpe[i].part, 3);
        if (!pp || !r->cpe[i].part)
            continue;
        char *dst = cpe[pp - parts];
        if (svc_template_expand(r->cpe[i].tmpl, reply, len, ov, np, true, dst, CPE_LEN) < 0)
            tracef(trace, ctx, "line %u: cpe template \"%s\" failed: cpe left empty (as nmap)",
                   r->line, r->cpe[i].tmpl);
    }
    for (int k = 0; k < 3; k++) {
        if (!cpe[k][0])
            continue;
        char **nc = realloc(a->cpe, (a->ncpe + 1) * sizeof *nc);
        if (!nc)
            return -1;
        a->cpe = nc;
        if (!(a->cpe[a->ncpe] = strdup(cpe[k])))
            return -1;
        a->ncpe++;
    }
    return 0;
}

int svc_match(const struct svc_db *db, const struct svc_probe *p, const uint8_t *reply, size_t len,
              const char *softmatched, struct svc_answer *ans,
              void (*trace)(void *ctx, const char *line), void *ctx)
{
    memset(ans, 0, sizeof *ans);
    if (!db || !p)
        return 0;
    static const uint8_t empty[1];
    if (!reply)
        reply = empty, len = 0;
    pcre2_match_data *md = pcre2_match_data_create(db->max_captures ? db->max_captures : 1, NULL);
    if (!md)
        return -1;
    int rc = 0;
    /* nmap tries the probe's rules, then each fallback's, then the NULL
     * probe's; the first rule that matches decides, soft or hard. */
    for (size_t c = 0; c < p->nchain; c++) {
        const struct svc_probe *fp = p->chain[c];
        svc_probe_compile(db, fp);
        for (size_t i = 0; i < fp->nrules; i++) {
            const struct svc_rule *r = &fp->rules[i];
            if (!r->re)
                continue; /* refused by PCRE2 (lazy load): warned, not used */
            if (!svc_rule_may_match(r, reply, len)) {
                tracef(trace, ctx, "probe %s line %u %s %s: no match", fp->name, r->line,
                       r->soft ? "softmatch" : "match", r->service);
                continue;
            }
            svc_rule_jit(db, r);
            int m = pcre2_match(r->re, reply, len, 0, 0, md, db->mctx);
            if (m == PCRE2_ERROR_JIT_STACKLIMIT)
                m = pcre2_match(r->re, reply, len, 0, PCRE2_NO_JIT, md, db->mctx);
            if (m < 0) {
                if (m == PCRE2_ERROR_NOMATCH)
                    tracef(trace, ctx, "probe %s line %u %s %s: no match", fp->name, r->line,
                           r->soft ? "softmatch" : "match", r->service);
                else
                    tracef(trace, ctx,
                           "probe %s line %u %s %s: PCRE2 error %d (match limit?): no match, "
                           "as nmap",
                           fp->name, r->line, r->soft ? "softmatch" : "match", r->service, m);
                continue;
            }
            size_t np = m == 0 ? pcre2_get_ovector_count(md) : (size_t)m;
            const size_t *ov = pcre2_get_ovector_pointer(md);
            if (r->soft && softmatched) {
                /* nmap keeps its first softmatch and ignores later ones. */
                tracef(trace, ctx,
                       "probe %s line %u softmatch %s: matches, ignored after softmatch %s",
                       fp->name, r->line, r->service, softmatched);
                goto done;
            }
            ans->found = true;
            ans->soft = r->soft;
            ans->line = r->line;
            ans->probe = fp;
            if (fill(ans, r, reply, len, ov, np, trace, ctx) < 0) {
                svc_answer_clear(ans);
                rc = -1;
                goto done;
            }
            tracef(trace, ctx, "probe %s line %u %s %s: MATCH", fp->name, r->line,
                   r->soft ? "softmatch" : "match", r->service);
            goto done;
        }
    }
done:
    pcre2_match_data_free(md);
    return rc;
}

static int merge_field(char **dst, const char *src)
{
    if (!src)
        return 0;
    char *d = strdup(src);
    if (!d)
        return -1;
    free(*dst);
    *dst = d;
    return 0;
}

int svc_answer_merge(struct svc_answer *dst, const struct svc_answer *src)
{
    if (!src->found)
        return 0;
    if (merge_field(&dst->service, src->service) < 0 ||
        merge_field(&dst->product, src->product) < 0 ||
        merge_field(&dst->version, src->version) < 0 ||
        merge_field(&dst->extrainfo, src->extrainfo) < 0 ||
        merge_field(&dst->hostname, src->hostname) < 0 ||
        merge_field(&dst->ostype, src->ostype) < 0 ||
        merge_field(&dst->devicetype, src->devicetype) < 0)
        return -1;
    /* CPEs merge per part (nmap's cpe_a/cpe_h/cpe_o slots). */
    for (size_t i = 0; i < src->ncpe; i++) {
        char part = src->cpe[i][5];
        size_t k = 0;
        while (k < dst->ncpe && dst->cpe[k][5] != part)
            k++;
        if (k == dst->ncpe) {
            char **nc = realloc(dst->cpe, (dst->ncpe + 1) * sizeof *nc);
            if (!nc)
                return -1;
            dst->cpe = nc;
            dst->cpe[dst->ncpe++] = NULL;
        }
        if (merge_field(&dst->cpe[k], src->cpe[i]) < 0)
            return -1;
    }
    /* keep a, h, o order */
    for (size_t i = 1; i < dst->ncpe; i++)
        for (size_t j = i; j > 0 && dst->cpe[j - 1][5] > dst->cpe[j][5]; j--) {
            char *t = dst->cpe[j];
            dst->cpe[j] = dst->cpe[j - 1];
            dst->cpe[j - 1] = t;
        }
    dst->found = true;
    dst->soft = src->soft;
    dst->line = src->line;
    dst->probe = src->probe;
    return 0;
}
