/*
 * osmatch.c — scoring an observed fingerprint against nmap-os-db (osdb.h):
 * nmap's expression comparison, MatchPoints-weighted accuracy and the list
 * of best prints, plus reading and writing the observed fingerprint in the
 * form nmap prints it.
 */
#include "detect/osdb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- observed fingerprints --------------------------------------------- */

void os_obs_clear(struct os_obs *o)
{
    memset(o, 0, sizeof *o);
}

void os_obs_mark(struct os_obs *o, int test)
{
    if (test >= 0 && test < OS_NTESTS)
        o->present |= (uint16_t)(1u << test);
}

void os_obs_set(struct os_obs *o, int test, int attr, const char *val)
{
    if (test < 0 || test >= OS_NTESTS || attr < 0 || attr >= os_test_nattrs(test))
        return;
    snprintf(o->val[test][attr], OS_VAL_MAX, "%s", val);
    o->has[test] |= (uint16_t)(1u << attr);
    o->present |= (uint16_t)(1u << test);
}

const char *os_obs_get(const struct os_obs *o, int test, int attr)
{
    if (test < 0 || test >= OS_NTESTS || attr < 0 || attr >= OS_MAX_ATTRS)
        return NULL;
    return o->has[test] >> attr & 1 ? o->val[test][attr] : NULL;
}

int os_obs_parse(const char *text, size_t len, struct os_obs *o, char *err, size_t errlen)
{
    os_obs_clear(o);
    /* Undo nmap's wrapping: drop "OS:" at line starts and every line
     * break, so that tests cut across lines join again. */
    char *flat = malloc(len + 1);
    if (!flat) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 0;
    bool bol = true;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n' || text[i] == '\r') {
            bol = true;
            continue;
        }
        if (bol) {
            while (i < len && (text[i] == ' ' || text[i] == '\t'))
                i++;
            if (i + 3 <= len && memcmp(text + i, "OS:", 3) == 0)
                i += 3;
            bol = false;
            if (i >= len || text[i] == '\n' || text[i] == '\r') {
                i--;
                continue;
            }
        }
        flat[n++] = text[i];
    }
    int rc = 0;
    const char *p = flat, *end = flat + n;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p == end)
            break;
        const char *close = memchr(p, ')', (size_t)(end - p));
        if (!close) {
            int show = end - p < 20 ? (int)(end - p) : 20;
            snprintf(err, errlen, "fingerprint: test without closing ')' at \"%.*s\"", show, p);
            rc = -1;
            break;
        }
        if ((size_t)(close - p) >= 5 && memcmp(p, "SCAN(", 5) == 0) {
            p = close + 1;
            continue;
        }
        struct os_span v[OS_MAX_ATTRS];
        char why[128];
        int t;
        if (os_split_test(p, close + 1, true, &t, v, why, sizeof why) < 0) {
            snprintf(err, errlen, "fingerprint: %s", why);
            rc = -1;
            break;
        }
        if (!(o->present >> t & 1)) { /* several tries merged: keep the first */
            os_obs_mark(o, t);
            for (int a = 0; a < OS_MAX_ATTRS; a++) {
                if (!v[a].set)
                    continue;
                if (v[a].len >= OS_VAL_MAX) {
                    snprintf(err, errlen, "fingerprint: %s.%s value too long", os_test_name(t),
                             os_attr_name(t, a));
                    rc = -1;
                    goto out;
                }
                memcpy(o->val[t][a], v[a].s, v[a].len);
                o->val[t][a][v[a].len] = '\0';
                o->has[t] |= (uint16_t)(1u << a);
            }
        }
        p = close + 1;
    }
out:
    free(flat);
    return rc;
}

size_t os_obs_format(const struct os_obs *o, char *buf, size_t len)
{
    size_t w = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int k_ = snprintf(buf + (w < len ? w                                                       \
                                 : len   ? len - 1                                                 \
                                         : 0),                                                       \
                          w < len ? len - w : 0, __VA_ARGS__);                                     \
        if (k_ > 0)                                                                                \
            w += (size_t)k_;                                                                       \
    } while (0)
    if (len)
        buf[0] = '\0';
    for (int t = 0; t < OS_NTESTS; t++) {
        if (!(o->present >> t & 1))
            continue;
        PUT("%s(", os_test_name(t));
        bool first = true;
        for (int a = 0; a < os_test_nattrs(t); a++) {
            if (!(o->has[t] >> a & 1))
                continue;
            PUT("%s%s=%s", first ? "" : "%", os_attr_name(t, a), o->val[t][a]);
            first = false;
        }
        if (first && !os_test_has_r(t))
            PUT("R=N"); /* no reply at all, as nmap-os-db writes it */
        PUT(")\n");
    }
#undef PUT
    return w;
}

/* ---- expressions --------------------------------------------------------- */

/* The observed value as nmap reads it once: hex number when the whole
 * string is one (strtol, base 16; "" is 0). */
struct obs_num {
    uint32_t num;
    bool numeric;
};

static struct obs_num read_num(const char *val)
{
    char *e;
    long v = strtol(val, &e, 16);
    return (struct obs_num){.num = (uint32_t)v, .numeric = *e == '\0'};
}

static bool expr_match_num(const char *val, struct obs_num vn, const char *expr)
{
    const char *p = expr;
    for (;;) {
        const char *q = strchr(p, '|');
        const char *dash;
        char *e;
        if (vn.numeric && (*p == '<' || *p == '>')) {
            uint32_t x = (uint32_t)strtol(p + 1, &e, 16);
            if ((e == q || *e == '\0') && ((*p == '<' && vn.num < x) || (*p == '>' && vn.num > x)))
                return true;
        } else if (vn.numeric && (dash = strchr(p, '-')) != NULL) {
            /* nmap looks for '-' in the rest of the whole expression, so an
             * alternative before a range is never compared as a string. */
            uint32_t lo = (uint32_t)strtol(p, &e, 16);
            if (e == dash) {
                uint32_t hi = (uint32_t)strtol(dash + 1, &e, 16);
                if ((e == q || *e == '\0') && vn.num >= lo && vn.num <= hi)
                    return true;
            }
        } else if (q ? strncmp(p, val, (size_t)(q - p)) == 0 : strcmp(p, val) == 0) {
            return true;
        }
        if (!q)
            return false;
        p = q + 1;
    }
}

bool os_expr_match(const char *val, const char *expr)
{
    return expr_match_num(val, read_num(val), expr);
}

/* ---- scoring ------------------------------------------------------------- */

/* Per distinct expression: 0 = the observation has no value in its slot,
 * 1 = compared and failed, 2 = matched. */
static int eval_all(const struct os_db *db, const struct os_obs *o, uint8_t **out)
{
    uint8_t *r = malloc(db->nux ? db->nux : 1);
    if (!r)
        return -1;
    struct obs_num nums[OS_NTESTS * OS_MAX_ATTRS];
    for (int s = 0; s < OS_NTESTS * OS_MAX_ATTRS; s++) {
        int t = s / OS_MAX_ATTRS, a = s % OS_MAX_ATTRS;
        if (o->has[t] >> a & 1)
            nums[s] = read_num(o->val[t][a]);
    }
    for (size_t i = 0; i < db->nux; i++) {
        int s = db->ux[i].slot, t = s / OS_MAX_ATTRS, a = s % OS_MAX_ATTRS;
        if (!(o->has[t] >> a & 1))
            r[i] = 0;
        else
            r[i] = expr_match_num(o->val[t][a], nums[s], db->pool + db->ux[i].str) ? 2 : 1;
    }
    *out = r;
    return 0;
}

/* Accuracy of print i from eval_all's r; *compared gets the points of
 * the attributes both sides have (the denominator). */
static double score_n(const struct os_db *db, size_t i, const uint8_t *r, unsigned long *compared)
{
    const struct os_print *p = &db->prints[i];
    unsigned long total = 0, ok = 0;
    for (uint32_t k = 0; k < p->nref; k++) {
        const struct os_ref *ref = &db->refs[p->ref_first + k];
        uint8_t v = r[ref->expr];
        if (!v)
            continue;
        int pts = db->points[ref->slot / OS_MAX_ATTRS][ref->slot % OS_MAX_ATTRS];
        total += (unsigned long)pts;
        if (v == 2)
            ok += (unsigned long)pts;
    }
    *compared = total;
    return total ? (double)ok / (double)total : 0;
}

static double score(const struct os_db *db, size_t i, const uint8_t *r)
{
    unsigned long compared;
    return score_n(db, i, r, &compared);
}

/* The points o's attributes are worth when a print has them all. */
static unsigned long obs_points(const struct os_db *db, const struct os_obs *o)
{
    unsigned long total = 0;
    for (int t = 0; t < OS_NTESTS; t++)
        for (int a = 0; a < OS_MAX_ATTRS; a++)
            if (o->has[t] >> a & 1 && db->points[t][a] > 0)
                total += (unsigned long)db->points[t][a];
    return total;
}

double os_db_compare(const struct os_db *db, size_t i, const struct os_obs *o)
{
    uint8_t *r;
    if (i >= db->nprints || eval_all(db, o, &r) < 0)
        return 0;
    double acc = score(db, i, r);
    free(r);
    return acc;
}

static int match(const struct os_db *db, const struct os_obs *o, double threshold, bool whole,
                 struct os_matches *m)
{
    memset(m, 0, sizeof *m);
    uint8_t *r;
    if (eval_all(db, o, &r) < 0)
        return -1;
    double need = threshold;
    m->outcome = OS_SUCCESS;
    unsigned long want = whole ? obs_points(db, o) : 0;
    for (size_t i = 0; i < db->nprints; i++) {
        unsigned long compared;
        double acc = score_n(db, i, r, &compared);
        if (!(acc >= need || acc == 1.0) || compared < want)
            continue;
        /* One entry per OS name: a better print of the same name replaces
         * the listed one (nmap's match_fingerprint). */
        bool skip = false;
        const char *name = os_db_name(db, i);
        for (size_t k = 0; k < m->n; k++) {
            if (strcmp(os_db_name(db, m->print[k]), name) != 0)
                continue;
            if (m->acc[k] >= acc) {
                skip = true;
            } else {
                memmove(m->print + k, m->print + k + 1, (m->n - 1 - k) * sizeof m->print[0]);
                memmove(m->acc + k, m->acc + k + 1, (m->n - 1 - k) * sizeof m->acc[0]);
                m->n--;
                m->acc[m->n] = 0;
            }
            break;
        }
        if (skip)
            continue;
        if (acc == 1.0) {
            if (m->nperfect == OS_MAX_MATCHES) {
                m->outcome = OS_TOOMANYMATCHES;
                free(r);
                return 0;
            }
            m->nperfect++;
        }
        size_t at = 0;
        while (at < OS_MAX_MATCHES && !(m->acc[at] < acc))
            at++;
        if (at == OS_MAX_MATCHES)
            continue; /* cannot happen: acc beat the entrance requirement */
        size_t last = m->n < OS_MAX_MATCHES ? m->n : OS_MAX_MATCHES - 1;
        memmove(m->print + at + 1, m->print + at, (last - at) * sizeof m->print[0]);
        memmove(m->acc + at + 1, m->acc + at, (last - at) * sizeof m->acc[0]);
        m->print[at] = (uint32_t)i;
        m->acc[at] = acc;
        if (m->n < OS_MAX_MATCHES)
            m->n++;
        if (m->n == OS_MAX_MATCHES) {
            need = m->acc[OS_MAX_MATCHES - 1] + 0.00001;
            if (need > 1.0)
                need = 1.0;
        }
    }
    free(r);
    if (m->n == 0)
        m->outcome = OS_NOMATCHES;
    return 0;
}

int os_db_match(const struct os_db *db, const struct os_obs *o, double threshold,
                struct os_matches *m)
{
    return match(db, o, threshold, false, m);
}

int os_db_match_whole(const struct os_db *db, const struct os_obs *o, double threshold,
                      struct os_matches *m)
{
    return match(db, o, threshold, true, m);
}
