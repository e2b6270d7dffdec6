/*
 * svcdb_lit.c — the longest literal text every match of a rule must
 * contain, read from the expression as written, for the matcher's
 * prefilter: a reply without it cannot match, so PCRE2 need not run.
 *
 * Conservative by construction: only the top-level sequence is read
 * (groups, classes and anything after an alternation add nothing), a
 * literal made optional by a quantifier is dropped, and any construct not
 * understood here ((?i) and other inline options, \Q, back references,
 * octal escapes, verbs) gives no literal at all. The expression is PCRE
 * syntax without the x option (nmap never sets it).
 */
#include "detect/svcdb_internal.h"

#include <ctype.h>
#include <string.h>

struct run {
    uint8_t cur[SVC_LIT_MAX], best[SVC_LIT_MAX];
    size_t ncur, nbest;
};

static void end_run(struct run *r)
{
    if (r->ncur > r->nbest) {
        memcpy(r->best, r->cur, r->ncur);
        r->nbest = r->ncur;
    }
    r->ncur = 0;
}

static void add(struct run *r, uint8_t c)
{
    if (r->ncur == SVC_LIT_MAX)
        end_run(r); /* long enough: start another run */
    r->cur[r->ncur++] = c;
}

/* A quantifier at *pp: 0 none, 1 "may be absent" (* ? {0..}), 2 "at least
 * once" (+ {n..} n >= 1); *pp moves past it and a lazy/possessive suffix. */
static int quantifier(const char **pp)
{
    const char *p = *pp;
    int q = 0;
    if (*p == '*' || *p == '?') {
        q = 1;
        p++;
    } else if (*p == '+') {
        q = 2;
        p++;
    } else if (*p == '{' && isdigit((unsigned char)p[1])) {
        const char *e = p + 1;
        unsigned long lo = 0;
        while (isdigit((unsigned char)*e))
            lo = lo * 10 + (unsigned long)(*e++ - '0');
        if (*e == ',') {
            e++;
            while (isdigit((unsigned char)*e))
                e++;
        }
        if (*e != '}')
            return 0; /* not a quantifier: a literal '{' */
        q = lo == 0 ? 1 : 2;
        p = e + 1;
    }
    if (q && (*p == '?' || *p == '+'))
        p++;
    *pp = p;
    return q;
}

/* Skip a class starting at '['; NULL if it does not end. */
static const char *skip_class(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    while (*p && *p != ']') {
        if (*p == '\\') {
            if (p[1] == 'Q' || p[1] == 'E' || !p[1])
                return NULL;
            p += 2;
        } else if (*p == '[' && p[1] == ':') {
            const char *e = strstr(p + 2, ":]");
            if (!e)
                return NULL;
            p = e + 2;
        } else {
            p++;
        }
    }
    return *p ? p + 1 : NULL;
}

/* Skip a group starting at '(' (not an inline option setting); NULL when it
 * does not end or holds what this reader refuses. */
static const char *skip_group(const char *p)
{
    int depth = 0;
    while (*p) {
        if (*p == '\\') {
            if (p[1] == 'Q' || !p[1])
                return NULL;
            p += 2;
        } else if (*p == '[') {
            if (!(p = skip_class(p)))
                return NULL;
        } else if (*p == '(') {
            if (p[1] == '*')
                return NULL;
            depth++;
            p++;
        } else if (*p == ')') {
            p++;
            if (--depth == 0)
                return p;
        } else {
            p++;
        }
    }
    return NULL;
}

static int hexval(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

size_t svc_required_literal(const char *re, uint8_t *out)
{
    struct run r = {.ncur = 0, .nbest = 0};
    const char *p = re;
    while (*p) {
        int lit = -1; /* the byte this item stands for, or -1 */
        char c = *p;
        if (c == '\\') {
            char e = p[1];
            p += 2;
            switch (e) {
            case 'r':
                lit = '\r';
                break;
            case 'n':
                lit = '\n';
                break;
            case 't':
                lit = '\t';
                break;
            case 'f':
                lit = '\f';
                break;
            case 'e':
                lit = 27;
                break;
            case 'a':
                lit = 7;
                break;
            case '0':
                if (*p >= '0' && *p <= '7')
                    return 0; /* octal */
                lit = 0;
                break;
            case 'x': {
                if (*p == '{')
                    return 0;
                int v = 0, n = 0;
                while (n < 2 && isxdigit((unsigned char)*p)) {
                    v = v * 16 + hexval(*p++);
                    n++;
                }
                lit = v;
                break;
            }
            case 'd':
            case 'D':
            case 'w':
            case 'W':
            case 's':
            case 'S':
            case 'h':
            case 'H':
            case 'v':
            case 'V':
            case 'R':
            case 'N':
            case 'b':
            case 'B':
            case 'A':
            case 'z':
            case 'Z':
            case 'G':
            case 'K':
            case 'X':
                break; /* a class or an assertion: ends the run */
            default:
                if (e == '\0' || isalnum((unsigned char)e))
                    return 0; /* back reference, \Q, \c, \p, \g, \k ...: give up */
                lit = (unsigned char)e;
                break;
            }
        } else if (c == '[') {
            if (!(p = skip_class(p)))
                return 0;
        } else if (c == '(') {
            if (p[1] == '*')
                return 0; /* (*VERB) */
            if (p[1] == '?' && p[2] == '#')
                return 0; /* a comment ends at the first ')', whatever it holds */
            if (p[1] == '?') {
                /* Inline options without ':' change what follows: give up. */
                const char *q = p + 2;
                if (isalpha((unsigned char)*q) || *q == '-' || *q == '^') {
                    while (isalpha((unsigned char)*q) || *q == '-' || *q == '^')
                        q++;
                    if (*q != ':')
                        return 0;
                }
            }
            if (!(p = skip_group(p)))
                return 0;
        } else if (c == '|' || c == ')') {
            return 0; /* top-level alternation: nothing is required */
        } else if (c == '.' || c == '^' || c == '$') {
            p++;
        } else if (c == '*' || c == '+' || c == '?') {
            return 0; /* a quantifier with nothing before it: refuse */
        } else {
            lit = (unsigned char)c;
            p++;
        }
        int q = quantifier(&p);
        if (lit < 0) {
            end_run(&r);
            continue;
        }
        if (q != 1)
            add(&r, (uint8_t)lit);
        if (q)
            end_run(&r);
    }
    end_run(&r);
    memcpy(out, r.best, r.nbest);
    return r.nbest;
}
