/*
 * osdb.c — the nmap-os-db reader (osdb.h): MatchPoints, Fingerprint, Class,
 * CPE and test lines, checked line by line, compiled into one table of
 * distinct expressions and per-print references to it. Scoring lives in
 * osmatch.c.
 */
#include "detect/osdb_internal.h"

#include "core/datafile.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Attribute names per test, in nmap's order (nmap book, "Understanding an
 * Nmap Fingerprint"). */
static const char *const test_names[OS_NTESTS] = {"SEQ", "OPS", "WIN", "ECN", "T1", "T2", "T3",
                                                  "T4",  "T5",  "T6",  "T7",  "U1", "IE"};
static const char *const attr_names[OS_NTESTS][OS_MAX_ATTRS] = {
    {"SP", "GCD", "ISR", "TI", "CI", "II", "SS", "TS"},
    {"O1", "O2", "O3", "O4", "O5", "O6"},
    {"W1", "W2", "W3", "W4", "W5", "W6"},
    {"R", "DF", "T", "TG", "W", "O", "CC", "Q"},
    {"R", "DF", "T", "TG", "S", "A", "F", "RD", "Q"},
    {"R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"},
    {"R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"},
    {"R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"},
    {"R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"},
    {"R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"},
    {"R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"},
    {"R", "DF", "T", "TG", "IPL", "UN", "RIPL", "RID", "RIPCK", "RUCK", "RUD"},
    {"R", "DFI", "T", "TG", "CD"},
};

const char *os_test_name(int test)
{
    return test >= 0 && test < OS_NTESTS ? test_names[test] : NULL;
}

const char *os_attr_name(int test, int attr)
{
    if (test < 0 || test >= OS_NTESTS || attr < 0 || attr >= OS_MAX_ATTRS)
        return NULL;
    return attr_names[test][attr];
}

int os_test_nattrs(int test)
{
    int n = 0;
    while (n < OS_MAX_ATTRS && os_attr_name(test, n))
        n++;
    return n;
}

static bool name_eq(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && memcmp(name, s, len) == 0;
}

int os_test_find(const char *name, size_t len)
{
    for (int t = 0; t < OS_NTESTS; t++)
        if (name_eq(test_names[t], name, len))
            return t;
    return -1;
}

int os_attr_find(int test, const char *name, size_t len)
{
    for (int a = 0; a < OS_MAX_ATTRS && os_attr_name(test, a); a++)
        if (name_eq(attr_names[test][a], name, len))
            return a;
    return -1;
}

bool os_test_has_r(int test)
{
    return test >= OS_ECN;
}

/* ---- building ---------------------------------------------------------- */

#define GROW(arr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            size_t ncap_ = (cap) ? (cap)*2 : 256;                                                  \
            void *p_ = realloc((arr), ncap_ * sizeof *(arr));                                      \
            if (!p_)                                                                               \
                return -2;                                                                         \
            (arr) = p_;                                                                            \
            (cap) = ncap_;                                                                         \
        }                                                                                          \
    } while (0)

/* Append len bytes and a NUL to the pool; offset in *off. */
static int pool_add(struct os_db *db, const char *s, size_t len, uint32_t *off)
{
    if (db->pool_len + len + 1 > db->pool_cap) {
        size_t cap = db->pool_cap ? db->pool_cap : 1 << 16;
        while (db->pool_len + len + 1 > cap)
            cap *= 2;
        char *p = realloc(db->pool, cap);
        if (!p)
            return -2;
        db->pool = p;
        db->pool_cap = cap;
    }
    memcpy(db->pool + db->pool_len, s, len);
    db->pool[db->pool_len + len] = '\0';
    *off = (uint32_t)db->pool_len;
    db->pool_len += len + 1;
    return 0;
}

static uint32_t hash_expr(uint8_t slot, const char *s, size_t len)
{
    uint32_t h = 2166136261u ^ slot; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static int ht_grow(struct os_db *db)
{
    size_t cap = db->ht_cap ? db->ht_cap * 2 : 1 << 14;
    uint32_t *ht = calloc(cap, sizeof *ht);
    if (!ht)
        return -2;
    for (size_t i = 0; i < db->nux; i++) {
        const char *s = db->pool + db->ux[i].str;
        size_t j = hash_expr(db->ux[i].slot, s, strlen(s)) & (cap - 1);
        while (ht[j])
            j = (j + 1) & (cap - 1);
        ht[j] = (uint32_t)i + 1;
    }
    free(db->ht);
    db->ht = ht;
    db->ht_cap = cap;
    return 0;
}

/* The id of (slot, expression), added when new. */
static int intern(struct os_db *db, uint8_t slot, const char *s, size_t len, uint32_t *id)
{
    if (2 * (db->nux + 1) > db->ht_cap && ht_grow(db) < 0)
        return -2;
    size_t j = hash_expr(slot, s, len) & (db->ht_cap - 1);
    while (db->ht[j]) {
        const struct os_uexpr *u = &db->ux[db->ht[j] - 1];
        const char *us = db->pool + u->str;
        if (u->slot == slot && strlen(us) == len && memcmp(us, s, len) == 0) {
            *id = db->ht[j] - 1;
            return 0;
        }
        j = (j + 1) & (db->ht_cap - 1);
    }
    GROW(db->ux, db->nux, db->ux_cap);
    uint32_t off;
    if (pool_add(db, s, len, &off) < 0)
        return -2;
    db->ux[db->nux] = (struct os_uexpr){.str = off, .slot = slot};
    db->ht[j] = (uint32_t)db->nux + 1;
    *id = (uint32_t)db->nux++;
    return 0;
}

/* ---- parsing ----------------------------------------------------------- */

struct parser {
    struct os_db *db;
    const char *name;
    unsigned lineno;
    char *err;
    size_t errlen;
    bool have_points;
    bool in_points; /* inside the MatchPoints block */
    bool in_print;  /* inside a Fingerprint block */
    uint16_t tests_seen;
};

static int fail(struct parser *p, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->lineno, msg);
    return -1;
}

static const char *skip_space(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

static const char *trim_end(const char *s, const char *end)
{
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    return end;
}

int os_split_test(const char *s, const char *end, bool imply_r, int *test,
                  struct os_span vals[OS_MAX_ATTRS], char *why, size_t whylen)
{
    const char *open = memchr(s, '(', (size_t)(end - s));
    if (!open) {
        snprintf(why, whylen, "expected a test line such as T1(R=Y%%...) (no '(')");
        return -1;
    }
    int t = os_test_find(s, (size_t)(open - s));
    if (t < 0) {
        snprintf(why, whylen, "unknown test \"%.*s\"", (int)(open - s), s);
        return -1;
    }
    const char *close = memchr(open, ')', (size_t)(end - open));
    if (!close) {
        snprintf(why, whylen, "test %s has no closing ')'", test_names[t]);
        return -1;
    }
    if (skip_space(close + 1, end) != end) {
        snprintf(why, whylen, "text after the closing ')' of %s", test_names[t]);
        return -1;
    }
    for (int a = 0; a < OS_MAX_ATTRS; a++)
        vals[a] = (struct os_span){0};
    const char *p = open + 1;
    int maxidx = -1;
    while (p < close) {
        const char *eq = memchr(p, '=', (size_t)(close - p));
        if (!eq) {
            snprintf(why, whylen, "%s: attribute without '='", test_names[t]);
            return -1;
        }
        const char *pct = memchr(eq, '%', (size_t)(close - eq));
        const char *vend = pct ? pct : close;
        int a = os_attr_find(t, p, (size_t)(eq - p));
        if (a < 0 && !os_test_has_r(t) && name_eq("R", p, (size_t)(eq - p)) &&
            name_eq("N", eq + 1, (size_t)(vend - eq - 1)) && p == open + 1 && vend == close) {
            /* "OPS(R=N)": the test got no answer; no values (nmap). */
            *test = t;
            return 0;
        }
        if (a < 0) {
            snprintf(why, whylen, "%s has no attribute \"%.*s\"", test_names[t], (int)(eq - p), p);
            return -1;
        }
        if (vals[a].set) {
            snprintf(why, whylen, "%s.%s given twice", test_names[t], attr_names[t][a]);
            return -1;
        }
        vals[a] = (struct os_span){.s = eq + 1, .len = (size_t)(vend - eq - 1), .set = true};
        if (a > maxidx)
            maxidx = a;
        p = pct ? pct + 1 : close;
    }
    if (imply_r && os_test_has_r(t) && !vals[0].set) {
        /* An observed line: R is Y when anything but R is given. */
        vals[0] = (struct os_span){.s = maxidx > 0 ? "Y" : "N", .len = 1, .set = true};
    }
    *test = t;
    return 0;
}

static int points_line(struct parser *p, const char *s, const char *end)
{
    const char *open = memchr(s, '(', (size_t)(end - s));
    const char *close = open ? memchr(open, ')', (size_t)(end - open)) : NULL;
    if (!open || !close)
        return fail(p, "MatchPoints: expected TEST(ATTR=points%%...)");
    int t = os_test_find(s, (size_t)(open - s));
    if (t < 0)
        return fail(p, "MatchPoints: unknown test \"%.*s\"", (int)(open - s), s);
    const char *q = open + 1;
    while (q < close) {
        const char *eq = memchr(q, '=', (size_t)(close - q));
        if (!eq)
            return fail(p, "MatchPoints: %s: attribute without '='", test_names[t]);
        int a = os_attr_find(t, q, (size_t)(eq - q));
        if (a < 0)
            return fail(p, "MatchPoints: %s has no attribute \"%.*s\"", test_names[t],
                        (int)(eq - q), q);
        const char *pct = memchr(eq, '%', (size_t)(close - eq));
        const char *vend = pct ? pct : close;
        long v = 0;
        const char *d = eq + 1;
        if (d == vend)
            return fail(p, "MatchPoints: %s.%s has no points", test_names[t], attr_names[t][a]);
        for (; d < vend; d++) {
            if (!isdigit((unsigned char)*d) || v > 100000)
                return fail(p, "MatchPoints: %s.%s: points must be a positive number",
                            test_names[t], attr_names[t][a]);
            v = v * 10 + (*d - '0');
        }
        if (v <= 0)
            return fail(p, "MatchPoints: %s.%s: points must be a positive number", test_names[t],
                        attr_names[t][a]);
        p->db->points[t][a] = (int)v;
        q = pct ? pct + 1 : close;
    }
    return 0;
}

static int start_print(struct parser *p, const char *s, const char *end)
{
    struct os_db *db = p->db;
    if (!p->have_points)
        return fail(p, "Fingerprint before the MatchPoints block");
    const char *n = skip_space(s + 11 < end ? s + 11 : end, end);
    const char *hash = n < end ? memchr(n, '#', (size_t)(end - n)) : NULL;
    const char *ne = trim_end(n, hash ? hash : end);
    if (ne == n)
        return fail(p, "Fingerprint without a name");
    GROW(db->prints, db->nprints, db->prints_cap);
    struct os_print *pr = &db->prints[db->nprints];
    memset(pr, 0, sizeof *pr);
    if (pool_add(db, n, (size_t)(ne - n), &pr->name) < 0)
        return -2;
    pr->line = p->lineno;
    pr->ref_first = (uint32_t)db->nrefs;
    pr->cls_first = (uint32_t)db->ncls;
    db->nprints++;
    p->in_print = true;
    p->in_points = false;
    p->tests_seen = 0;
    return 0;
}

/* "Class Vendor | Family | Gen | Type": four '|'-separated fields. */
static int class_line(struct parser *p, const char *s, const char *end)
{
    struct os_db *db = p->db;
    const char *b = s + 6, *chk = b;
    while (chk < end && (*chk == '|' || isspace((unsigned char)*chk)))
        chk++;
    if (chk == end)
        return 0; /* nmap ignores a Class line with nothing in it */
    const char *f[4], *fe[4];
    for (int i = 0; i < 4; i++) {
        const char *bar = i < 3 ? memchr(b, '|', (size_t)(end - b)) : end;
        if (!bar)
            return fail(p, "Class needs four fields: vendor | family | generation | type");
        f[i] = skip_space(b, bar);
        fe[i] = trim_end(f[i], bar);
        b = bar + 1;
    }
    GROW(db->cls, db->ncls, db->cls_cap);
    struct os_cls *c = &db->cls[db->ncls];
    c->cpe_first = (uint32_t)db->ncpe;
    c->ncpe = 0;
    uint32_t *dst[4] = {&c->vendor, &c->family, &c->gen, &c->type};
    for (int i = 0; i < 4; i++) {
        if (i == 2 && fe[i] == f[i]) {
            c->gen = OS_NONE;
            continue;
        }
        if (pool_add(db, f[i], (size_t)(fe[i] - f[i]), dst[i]) < 0)
            return -2;
    }
    db->ncls++;
    db->prints[db->nprints - 1].ncls++;
    return 0;
}

static int cpe_line(struct parser *p, const char *s, const char *end)
{
    struct os_db *db = p->db;
    if (db->prints[db->nprints - 1].ncls == 0)
        return fail(p, "CPE line without a preceding Class line");
    const char *w = skip_space(s + 4, end);
    const char *we = w;
    while (we < end && !isspace((unsigned char)*we))
        we++;
    if (we == w)
        return fail(p, "CPE line without a CPE name");
    GROW(db->cpes, db->ncpe, db->cpes_cap);
    if (pool_add(db, w, (size_t)(we - w), &db->cpes[db->ncpe]) < 0)
        return -2;
    db->ncpe++;
    db->cls[db->ncls - 1].ncpe++;
    return 0;
}

static int test_line(struct parser *p, const char *s, const char *end)
{
    struct os_db *db = p->db;
    struct os_span v[OS_MAX_ATTRS];
    char why[128];
    int t;
    if (os_split_test(s, end, false, &t, v, why, sizeof why) < 0)
        return fail(p, "%s", why);
    if (p->tests_seen >> t & 1)
        return fail(p, "test %s given twice in one Fingerprint", test_names[t]);
    p->tests_seen |= (uint16_t)(1u << t);
    for (int a = 0; a < OS_MAX_ATTRS; a++) {
        if (!v[a].set)
            continue;
        uint32_t id;
        uint8_t slot = (uint8_t)(t * OS_MAX_ATTRS + a);
        if (intern(db, slot, v[a].s, v[a].len, &id) < 0)
            return -2;
        GROW(db->refs, db->nrefs, db->refs_cap);
        db->refs[db->nrefs++] = (struct os_ref){.expr = id, .slot = slot};
        db->prints[db->nprints - 1].nref++;
    }
    return 0;
}

static int parse_line(struct parser *p, const char *s, const char *end)
{
    end = trim_end(s, end);
    if (s == end) { /* a blank line ends a block */
        p->in_print = p->in_points = false;
        return 0;
    }
    if (*s == '#')
        return 0;
    size_t len = (size_t)(end - s);
    if (len >= 11 && memcmp(s, "Fingerprint", 11) == 0 &&
        (len == 11 || isspace((unsigned char)s[11])))
        return start_print(p, s, end);
    if (len >= 11 && memcmp(s, "MatchPoints", 11) == 0) {
        if (p->have_points)
            return fail(p, "second MatchPoints block");
        if (skip_space(s + 11, end) != end)
            return fail(p, "text after MatchPoints");
        p->have_points = p->in_points = true;
        p->in_print = false;
        return 0;
    }
    if (p->in_points)
        return points_line(p, s, end);
    if (!p->in_print)
        return fail(p, "line outside a Fingerprint or MatchPoints block");
    if (len >= 6 && memcmp(s, "Class ", 6) == 0)
        return class_line(p, s, end);
    if (len >= 4 && memcmp(s, "CPE ", 4) == 0)
        return cpe_line(p, s, end);
    return test_line(p, s, end);
}

void os_db_free(struct os_db *db)
{
    if (!db)
        return;
    free(db->pool);
    free(db->prints);
    free(db->cls);
    free(db->cpes);
    free(db->cpe_ptrs);
    free(db->refs);
    free(db->ux);
    free(db->ht);
    free(db);
}

int os_db_load_buf(const char *name, const char *buf, size_t len, struct os_db **out, char *err,
                   size_t errlen)
{
    struct os_db *db = calloc(1, sizeof *db);
    struct parser p = {.db = db, .name = name, .err = err, .errlen = errlen};
    if (!db)
        goto oom;
    const char *s = buf, *end = buf + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        p.lineno++;
        if (memchr(s, '\0', (size_t)(le - s))) {
            fail(&p, "NUL byte in line");
            goto bad;
        }
        int rc = parse_line(&p, s, le);
        if (rc == -2)
            goto oom;
        if (rc < 0)
            goto bad;
        s = nl ? nl + 1 : end;
    }
    if (!p.have_points) {
        fail(&p, "no MatchPoints block: not an nmap-os-db file");
        goto bad;
    }
    db->cpe_ptrs = malloc((db->ncpe ? db->ncpe : 1) * sizeof *db->cpe_ptrs);
    if (!db->cpe_ptrs)
        goto oom;
    for (size_t i = 0; i < db->ncpe; i++)
        db->cpe_ptrs[i] = db->pool + db->cpes[i];
    free(db->ht); /* only needed while building */
    db->ht = NULL;
    db->ht_cap = 0;
    *out = db;
    return 0;
oom:
    if (err && errlen)
        snprintf(err, errlen, "%s: out of memory", name);
bad:
    os_db_free(db);
    return -1;
}

int os_db_load(const char *path, struct os_db **out, char *err, size_t errlen)
{
    size_t len;
    char *text = datafile_read(path, &len, err, errlen);
    if (!text)
        return -1;
    if (err && errlen)
        err[0] = '\0';
    int rc = os_db_load_buf(path, text, len, out, err, errlen);
    free(text);
    return rc;
}

size_t os_db_count(const struct os_db *db)
{
    return db->nprints;
}

const char *os_db_name(const struct os_db *db, size_t i)
{
    return db->pool + db->prints[i].name;
}

uint32_t os_db_line(const struct os_db *db, size_t i)
{
    return db->prints[i].line;
}

size_t os_db_nclasses(const struct os_db *db, size_t i)
{
    return db->prints[i].ncls;
}

struct os_db_class os_db_class(const struct os_db *db, size_t i, size_t k)
{
    const struct os_cls *c = &db->cls[db->prints[i].cls_first + k];
    return (struct os_db_class){
        .vendor = db->pool + c->vendor,
        .family = db->pool + c->family,
        .gen = c->gen == OS_NONE ? NULL : db->pool + c->gen,
        .type = db->pool + c->type,
        .cpe = db->cpe_ptrs + c->cpe_first,
        .ncpe = c->ncpe,
    };
}

int os_db_points(const struct os_db *db, int test, int attr)
{
    if (test < 0 || test >= OS_NTESTS || attr < 0 || attr >= OS_MAX_ATTRS)
        return 0;
    return db->points[test][attr];
}

size_t os_db_distinct_exprs(const struct os_db *db)
{
    return db->nux;
}
