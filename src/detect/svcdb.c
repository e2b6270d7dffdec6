/*
 * svcdb.c — nmap-service-probes loader: every directive of the file format
 * (nmap book, "nmap-service-probes File Format"), with the semantics of
 * nmap's parser in service_scan.cc. Compiling the rules with PCRE2 (JIT
 * when the library has it) lives in svcdb_compile.c, matching in
 * svcdb_match.c, template expansion in svcdb_tmpl.c.
 */
#include "detect/svcdb_internal.h"

#include "core/datafile.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loader {
    const char *name;
    unsigned line;
    struct svc_db *db;
    struct svc_db_stats *st;
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
    char *err;
    size_t errlen;
    bool seen_probe;
    size_t capprobes;
};

static int fail(struct loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct loader *L, const char *fmt, ...)
{
    if (L->err && L->errlen) {
        int n = snprintf(L->err, L->errlen, "%s:%u: ", L->name, L->line);
        if (n >= 0 && (size_t)n < L->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static void warnf(struct loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warnf(struct loader *L, const char *fmt, ...)
{
    if (!L->warn)
        return;
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s:%u: ", L->name, L->line);
    if (n < 0 || (size_t)n >= sizeof msg)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    L->warn(L->ctx, msg);
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* "21-25,53,80" as nmap's setPortVector reads it; appended to *v. */
static int parse_portlist(struct loader *L, const char *s, uint16_t **v, size_t *n)
{
    size_t cap = *n;
    const char *p = s;
    do {
        while (isspace((unsigned char)*p))
            p++;
        if (!isdigit((unsigned char)*p))
            return fail(L, "bad port list \"%s\": expected a form like \"21-25,53,80\"", s);
        char *end;
        long lo = strtol(p, &end, 10), hi;
        if (lo > 65535)
            return fail(L, "port %ld out of range: ports are 0-65535", lo);
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        hi = lo;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                return fail(L, "bad port range in \"%s\": expected a form like \"21-25\"", s);
            hi = strtol(p, &end, 10);
            if (hi > 65535 || hi < lo)
                return fail(L, "bad port range %ld-%ld: ports are 0-65535, low to high", lo, hi);
            p = end;
        }
        while (isspace((unsigned char)*p))
            p++;
        if (*p && *p != ',')
            return fail(L, "bad port list \"%s\": expected a form like \"21-25,53,80\"", s);
        if (*p == ',')
            p++;
        size_t need = *n + (size_t)(hi - lo + 1);
        if (need > cap) {
            cap = need < 2 * cap ? 2 * cap : need;
            uint16_t *nv = realloc(*v, cap * sizeof **v);
            if (!nv)
                return fail(L, "out of memory");
            *v = nv;
        }
        for (long x = lo; x <= hi; x++)
            (*v)[(*n)++] = (uint16_t)x;
    } while (*p);
    qsort(*v, *n, sizeof **v, cmp_u16);
    size_t u = 0;
    for (size_t i = 0; i < *n; i++)
        if (u == 0 || (*v)[u - 1] != (*v)[i])
            (*v)[u++] = (*v)[i];
    *n = u;
    return 0;
}

/* A number directive: whole line an integer in [lo, hi]. */
static int parse_num(struct loader *L, const char *what, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || errno || v < lo || v > hi)
        return fail(L, "bad %s \"%s\": must be a number from %ld to %ld", what, s, lo, hi);
    *out = v;
    return 0;
}

/* "Probe TCP|UDP name q|...| [no-payload]" */
static int parse_probe(struct loader *L, const char *s)
{
    struct svc_db *db = L->db;
    if (db->nprobes == L->capprobes) {
        size_t cap = L->capprobes ? 2 * L->capprobes : 64;
        struct svc_probe *np = realloc(db->probes, cap * sizeof *np);
        if (!np)
            return fail(L, "out of memory");
        db->probes = np;
        L->capprobes = cap;
    }
    struct svc_probe *p = &db->probes[db->nprobes];
    memset(p, 0, sizeof *p);
    p->rarity = 5; /* nmap's default for a probe without a rarity line */
    p->line = L->line;
    db->nprobes++;
    L->seen_probe = true;

    if (strncmp(s, "TCP ", 4) == 0)
        p->proto = SVC_TCP;
    else if (strncmp(s, "UDP ", 4) == 0)
        p->proto = SVC_UDP;
    else
        return fail(L, "Probe: protocol must be TCP or UDP");
    s += 4;
    if (!isalnum((unsigned char)*s))
        return fail(L, "Probe: bad probe name (must start with a letter or digit)");
    const char *sp = strchr(s, ' ');
    if (!sp)
        return fail(L, "Probe: nothing after the probe name (expected q|...|)");
    p->name = dupn(s, (size_t)(sp - s));
    if (!p->name)
        return fail(L, "out of memory");
    s = sp + 1;
    if (*s != 'q' || !s[1])
        return fail(L, "Probe: probe string must be written q|...| (any delimiter)");
    char delim = s[1];
    const char *start = s + 2, *end = strchr(start, delim);
    if (!end)
        return fail(L, "Probe: no closing '%c' for the probe string", delim);
    char *raw = dupn(start, (size_t)(end - start));
    if (!raw)
        return fail(L, "out of memory");
    long n = svc_unescape(raw, (size_t)(end - start));
    if (n < 0) {
        free(raw);
        return fail(L,
                    "Probe %s: bad escape in the probe string (\\0 \\a \\b \\f \\n \\r \\t "
                    "\\v \\\\ \\xHH, or \\ before punctuation)",
                    p->name);
    }
    p->payload = (uint8_t *)raw;
    p->len = (size_t)n;
    /* Flags after the string: nmap knows only no-payload and skips others. */
    for (const char *f = end + 1; *f;) {
        while (isspace((unsigned char)*f))
            f++;
        const char *w = f;
        while (*f && !isspace((unsigned char)*f))
            f++;
        if (f - w == 10 && strncmp(w, "no-payload", 10) == 0)
            p->no_payload = true;
        else if (f > w)
            warnf(L, "Probe %s: unknown flag \"%.*s\" ignored", p->name, (int)(f - w), w);
    }
    if (p->len == 0) {
        if (p->proto != SVC_TCP)
            return fail(L,
                        "Probe %s: empty probe string on UDP (only the TCP NULL probe sends "
                        "nothing)",
                        p->name);
        for (size_t i = 0; i + 1 < db->nprobes; i++)
            if (db->probes[i].is_null)
                return fail(L,
                            "Probe %s: a second probe with an empty string (the NULL probe "
                            "is line %u)",
                            p->name, db->probes[i].line);
        p->is_null = true;
    }
    L->st->probes++;
    return 0;
}

static bool is_word_end(char c)
{
    return c == '\0' || isspace((unsigned char)c);
}

/* One "X/.../flags" piece of a match line starting at *pp (after blanks):
 * mode letters (and ':'), any delimiter, body, flags. A cpe:|...| body gets
 * the "cpe:/" prefix, as nmap does. Returns 1 with the piece, 0 at the end of the
 * line, -1 (err set) when malformed. */
static int next_piece(struct loader *L, const char **pp, char *mode, size_t modelen, char **body,
                      char *flags, size_t flagslen)
{
    const char *p = *pp;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p)
        return 0;
    size_t m = 0;
    while (isalpha((unsigned char)p[m]) || p[m] == ':')
        m++;
    if (m == 0 || m >= modelen)
        return fail(L, "expected a field like p/.../ or cpe:/.../ at \"%.20s\"", p);
    memcpy(mode, p, m);
    mode[m] = '\0';
    const char *q = p + m;
    if (is_word_end(*q))
        return fail(L, "field %s has no delimiter (expected %s/.../)", mode, mode);
    char delim = *q++;
    const char *bstart = q;
    const char *e = strchr(q, delim);
    if (!e)
        return fail(L, "field %s: no closing '%c'", mode, delim);
    /* nmap 7.93 reads "cpe:" with any delimiter and stores "cpe:/" + body. */
    bool cpe = strcmp(mode, "cpe:") == 0;
    size_t blen = (size_t)(e - bstart);
    *body = malloc(blen + 6);
    if (*body) {
        memcpy(*body, "cpe:/", cpe ? 5 : 0);
        memcpy(*body + (cpe ? 5 : 0), bstart, blen);
        (*body)[blen + (cpe ? 5 : 0)] = '\0';
    }
    if (!*body)
        return fail(L, "out of memory");
    const char *f = e + 1;
    size_t k = 0;
    while (isalpha((unsigned char)f[k]))
        k++;
    if (k >= flagslen || !is_word_end(f[k])) {
        free(*body);
        *body = NULL;
        return fail(L, "field %s: unexpected \"%.10s\" after its closing '%c'", mode, f, delim);
    }
    memcpy(flags, f, k);
    flags[k] = '\0';
    *pp = f + k;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* p->services: the distinct names its rules give, sorted for
 * svc_probe_can_match's binary search (a linear search per rule made this
 * quadratic: ~25 ms for the NULL probe's 3,500 rules). */
static int collect_services(struct svc_probe *p)
{
    if (!p->nrules)
        return 0;
    p->services = malloc(p->nrules * sizeof *p->services);
    if (!p->services)
        return -1;
    for (size_t k = 0; k < p->nrules; k++)
        p->services[k] = p->rules[k].service; /* borrowed from the rule */
    qsort(p->services, p->nrules, sizeof *p->services, cmp_str);
    size_t n = 0;
    for (size_t k = 0; k < p->nrules; k++)
        if (n == 0 || strcmp(p->services[n - 1], p->services[k]) != 0)
            p->services[n++] = p->services[k];
    p->nservices = n;
    return 0;
}

void svc_rule_free(struct svc_rule *r)
{
    pcre2_code_free(r->re);
    free(r->service);
    free(r->regex);
    for (int i = 0; i < SVC_F_COUNT; i++)
        free(r->tmpl[i]);
    for (size_t i = 0; i < r->ncpe; i++)
        free(r->cpe[i].tmpl);
    free(r->cpe);
}

/* "match|softmatch service m/regex/flags [p/../ v/../ i/../ h/../ o/../
 * d/../ cpe:/../a ...]" */
static int parse_match(struct loader *L, const char *s, bool soft)
{
    struct svc_db *db = L->db;
    if (db->nprobes == 0)
        return fail(L, "%s before any Probe line", soft ? "softmatch" : "match");
    struct svc_probe *p = &db->probes[db->nprobes - 1];
    struct svc_rule r;
    memset(&r, 0, sizeof r);
    r.soft = soft;
    r.line = L->line;

    const char *sp = strchr(s, ' ');
    if (!sp || sp == s)
        return fail(L, "%s: expected a service name, then m/regex/", soft ? "softmatch" : "match");
    r.service = dupn(s, (size_t)(sp - s));
    if (!r.service)
        return fail(L, "out of memory");

    char mode[8], flags[8], *body = NULL;
    const char *q = sp;
    int got = next_piece(L, &q, mode, sizeof mode, &body, flags, sizeof flags);
    if (got <= 0 || strcmp(mode, "m") != 0) {
        if (got >= 0)
            fail(L, "%s %s: expected m/regex/ after the service name", soft ? "softmatch" : "match",
                 r.service);
        free(body);
        svc_rule_free(&r);
        return -1;
    }
    r.regex = body;
    uint32_t opts = 0;
    for (const char *f = flags; *f; f++) {
        if (*f == 'i')
            opts |= PCRE2_CASELESS;
        else if (*f == 's')
            opts |= PCRE2_DOTALL;
        else {
            svc_rule_free(&r);
            return fail(L, "regex flag '%c' unknown (nmap knows i and s)", *f);
        }
    }

    while ((got = next_piece(L, &q, mode, sizeof mode, &body, flags, sizeof flags)) > 0) {
        static const char letters[SVC_F_COUNT] = {'p', 'v', 'i', 'h', 'o', 'd'};
        if (strcmp(mode, "cpe:") == 0) {
            struct svc_cpe_tmpl *nc = realloc(r.cpe, (r.ncpe + 1) * sizeof *nc);
            if (!nc) {
                free(body);
                svc_rule_free(&r);
                return fail(L, "out of memory");
            }
            r.cpe = nc;
            r.cpe[r.ncpe].tmpl = body;
            r.cpe[r.ncpe].part = body[5];
            if (body[5] != 'a' && body[5] != 'h' && body[5] != 'o')
                warnf(L, "cpe part '%c' is not a, h or o: nmap ignores this cpe", body[5]);
            r.ncpe++;
            continue;
        }
        int slot = -1;
        if (mode[1] == '\0')
            for (int i = 0; i < SVC_F_COUNT; i++)
                if (mode[0] == letters[i])
                    slot = i;
        if (slot < 0) {
            free(body);
            svc_rule_free(&r);
            return fail(L, "unknown field \"%s\" (nmap knows p v i h o d cpe:)", mode);
        }
        free(r.tmpl[slot]); /* nmap: a repeated field replaces the earlier one */
        r.tmpl[slot] = body;
    }
    if (got < 0) {
        svc_rule_free(&r);
        return -1;
    }

    r.opts = opts;
    if (p->nrules == p->caprules) {
        size_t cap = p->caprules ? 2 * p->caprules : 16;
        struct svc_rule *nr = realloc(p->rules, cap * sizeof *nr);
        if (!nr) {
            svc_rule_free(&r);
            return fail(L, "out of memory");
        }
        p->rules = nr;
        p->caprules = cap;
    }
    p->rules[p->nrules++] = r; /* compiled with all others by compile_all */
    return 0;
}

static int parse_exclude(struct loader *L, const char *s)
{
    if (L->seen_probe)
        return fail(L, "Exclude must come before every Probe line");
    if (L->db->has_exclude)
        return fail(L, "only one Exclude line is allowed");
    /* nmap's getpts: ports without T:/U: apply to both protocols. */
    char e[256];
    if (portset_parse(&L->db->exclude, s, PROTO_TCP, NULL, e, sizeof e) < 0 ||
        portset_parse(&L->db->exclude, s, PROTO_UDP, NULL, e, sizeof e) < 0)
        return fail(L, "Exclude: %s", e);
    L->db->has_exclude = true;
    return 0;
}

/* One non-blank, non-comment line. */
static int parse_line(struct loader *L, const char *s)
{
    struct svc_db *db = L->db;
    struct svc_probe *p = db->nprobes ? &db->probes[db->nprobes - 1] : NULL;
    long v;
    if (strncmp(s, "Exclude ", 8) == 0)
        return parse_exclude(L, s + 8);
    if (strncmp(s, "Probe ", 6) == 0)
        return parse_probe(L, s + 6);
    if (strncmp(s, "match ", 6) == 0)
        return parse_match(L, s + 6, false);
    if (strncmp(s, "softmatch ", 10) == 0)
        return parse_match(L, s + 10, true);
    static const char *const dirs[] = {"ports ",       "sslports ",     "rarity ",
                                       "totalwaitms ", "tcpwrappedms ", "fallback "};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        size_t n = strlen(dirs[i]);
        if (strncmp(s, dirs[i], n) != 0)
            continue;
        if (!p)
            return fail(L, "%.*s before any Probe line", (int)(n - 1), dirs[i]);
        s += n;
        switch (i) {
        case 0:
            return parse_portlist(L, s, &p->ports, &p->nports);
        case 1:
            return parse_portlist(L, s, &p->sslports, &p->nsslports);
        case 2:
            if (parse_num(L, "rarity", s, 1, 9, &v) < 0)
                return -1;
            p->rarity = (int)v;
            return 0;
        case 3:
        case 4:
            if (parse_num(L, dirs[i], s, 100, 300000, &v) < 0)
                return -1;
            if (i == 3)
                p->totalwaitms = (unsigned)v;
            else
                p->tcpwrappedms = (unsigned)v;
            return 0;
        default:
            free(p->fallback); /* nmap: a later fallback line replaces */
            p->fallback = strdup(s);
            p->fallback_line = L->line;
            return p->fallback ? 0 : fail(L, "out of memory");
        }
    }
    return fail(L,
                "unknown directive \"%.20s\" (expected Probe, match, softmatch, ports, "
                "sslports, rarity, fallback, totalwaitms, tcpwrappedms or Exclude)",
                s);
}

/* nmap's getProbeByName: the NULL probe (TCP), then the same protocol,
 * then any protocol (cross-protocol fallbacks, nmap 7.70). */
static const struct svc_probe *probe_by_name(const struct svc_db *db, const char *name,
                                             enum svc_proto proto)
{
    if (proto == SVC_TCP && db->null_probe && strcmp(db->null_probe->name, name) == 0)
        return db->null_probe;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < db->nprobes; i++) {
            const struct svc_probe *q = &db->probes[i];
            if (!q->is_null && (pass || q->proto == proto) && strcmp(q->name, name) == 0)
                return q;
        }
    return NULL;
}

/* nmap's compileFallbacks: itself, the named probes, then (TCP) NULL. */
static int resolve_fallbacks(struct loader *L)
{
    struct svc_db *db = L->db;
    for (size_t i = 0; i < db->nprobes; i++) {
        struct svc_probe *p = &db->probes[i];
        p->chain[0] = p;
        p->nchain = 1;
        if (p->is_null)
            continue;
        if (p->fallback) {
            L->line = p->fallback_line;
            char *save = NULL;
            for (char *t = strtok_r(p->fallback, ", \t\r\n", &save); t;
                 t = strtok_r(NULL, ", \t\r\n", &save)) {
                if (p->nchain >= SVC_MAX_FALLBACKS - 2)
                    return fail(L, "Probe %s: more than %d fallbacks", p->name,
                                SVC_MAX_FALLBACKS - 3);
                const struct svc_probe *f = probe_by_name(db, t, p->proto);
                if (!f)
                    return fail(L, "Probe %s: unknown fallback probe \"%s\"", p->name, t);
                p->chain[p->nchain++] = f;
            }
        }
        if (p->proto == SVC_TCP && db->null_probe)
            p->chain[p->nchain++] = db->null_probe;
    }
    return 0;
}

static int finish(struct loader *L, bool lazy)
{
    struct svc_db *db = L->db;
    if (lazy)
        svc_count_lazy(db, L->st);
    else if (svc_compile_all(db, L->st, L->warn, L->ctx) < 0)
        return fail(L, "out of memory");
    for (size_t i = 0; i < db->nprobes; i++) {
        struct svc_probe *p = &db->probes[i];
        if (p->is_null)
            db->null_probe = p;
        if (collect_services(p) < 0)
            return fail(L, "out of memory");
    }
    if (resolve_fallbacks(L) < 0)
        return -1;
    db->mctx = pcre2_match_context_create(NULL);
    if (!db->mctx)
        return fail(L, "out of memory");
    pcre2_set_match_limit(db->mctx, SVC_PCRE_MATCH_LIMIT);
    pcre2_set_depth_limit(db->mctx, SVC_PCRE_DEPTH_LIMIT);
    return 0;
}

static int load_buf(const char *name, const char *buf, size_t len, bool lazy, struct svc_db **out,
                    struct svc_db_stats *st, void (*warn)(void *ctx, const char *msg), void *ctx,
                    char *err, size_t errlen)
{
    struct svc_db_stats dummy;
    if (!st)
        st = &dummy;
    memset(st, 0, sizeof *st);
    uint32_t have_jit = 0;
    pcre2_config(PCRE2_CONFIG_JIT, &have_jit);
    st->jit = have_jit != 0;
    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    struct svc_db *db = calloc(1, sizeof *db);
    if (db)
        pthread_mutex_init(&db->jit_mu, NULL);
    if (!db || !(db->name = strdup(name ? name : "nmap-service-probes"))) {
        free(db);
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", name ? name : "nmap-service-probes");
        return -1;
    }
    struct loader L = {.name = db->name,
                       .db = db,
                       .st = st,
                       .warn = warn,
                       .ctx = ctx,
                       .err = err,
                       .errlen = errlen};
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (size_t off = 0; off < len && rc == 0;) {
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
        L.line++;
        if (n + 1 > cap) {
            cap = n + 1;
            char *nb = realloc(line, cap);
            if (!nb) {
                rc = fail(&L, "out of memory");
                break;
            }
            line = nb;
        }
        memcpy(line, buf + off, n);
        line[n] = '\0';
        off += n + 1;
        if (strlen(line) != n) {
            rc = fail(&L, "NUL byte in the line");
            break;
        }
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        rc = parse_line(&L, line);
    }
    free(line);
    if (rc == 0)
        rc = finish(&L, lazy);
    if (rc != 0) {
        svc_db_free(db);
        return -1;
    }
    if (st->matches + st->softmatches == 0)
        st->jit = false;
    db->warn = warn;
    db->warn_ctx = ctx;
    *out = db;
    return 0;
}

int svc_db_load_buf(const char *name, const char *buf, size_t len, struct svc_db **out,
                    struct svc_db_stats *st, void (*warn)(void *ctx, const char *msg), void *ctx,
                    char *err, size_t errlen)
{
    return load_buf(name, buf, len, false, out, st, warn, ctx, err, errlen);
}

int svc_db_load_buf_lazy(const char *name, const char *buf, size_t len, struct svc_db **out,
                         struct svc_db_stats *st, void (*warn)(void *ctx, const char *msg),
                         void *ctx, char *err, size_t errlen)
{
    return load_buf(name, buf, len, true, out, st, warn, ctx, err, errlen);
}

static int load_file(const char *path, bool lazy, struct svc_db **out, struct svc_db_stats *st,
                     void (*warn)(void *ctx, const char *msg), void *ctx, char *err, size_t errlen)
{
    char defpath[4096];
    path = datafile_path("nmap-service-probes", path, defpath, sizeof defpath);
    size_t len = 0;
    *out = NULL;
    char *text = datafile_read(path, &len, err, errlen);
    if (!text)
        return -1;
    int rc = load_buf(path, text, len, lazy, out, st, warn, ctx, err, errlen);
    free(text);
    return rc;
}

int svc_db_load(const char *path, struct svc_db **out, struct svc_db_stats *st,
                void (*warn)(void *ctx, const char *msg), void *ctx, char *err, size_t errlen)
{
    return load_file(path, false, out, st, warn, ctx, err, errlen);
}

int svc_db_load_lazy(const char *path, struct svc_db **out, struct svc_db_stats *st,
                     void (*warn)(void *ctx, const char *msg), void *ctx, char *err, size_t errlen)
{
    return load_file(path, true, out, st, warn, ctx, err, errlen);
}

void svc_db_free(struct svc_db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->nprobes; i++) {
        struct svc_probe *p = &db->probes[i];
        for (size_t k = 0; k < p->nrules; k++)
            svc_rule_free(&p->rules[k]);
        free(p->rules);
        free(p->services);
        free(p->name);
        free(p->payload);
        free(p->ports);
        free(p->sslports);
        free(p->fallback);
    }
    free(db->probes);
    portset_free(&db->exclude);
    pcre2_match_context_free(db->mctx);
    pthread_mutex_destroy(&db->jit_mu);
    free(db->name);
    free(db);
}
