/*
 * svcdb_tmpl.c — version template expansion: $1-$9, $P(), $SUBST(), $I()
 * and CPE escaping, with the results nmap's service_scan.cc gives
 * (dotmplsubst/substvar), including its quirks that decide answers: a
 * substitution ends at the first NUL byte of what it produces, a field
 * that does not fit nmap's buffer is left empty, trailing blanks and commas
 * are trimmed. Where nmap's own code would read out of bounds or loop
 * forever (an unterminated "...", $SUBST with an empty search string, a
 * little-endian $I on a capture at offset 0) this one fails the field or
 * computes the documented value instead.
 */
#include "detect/svcdb_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * nmap's C-style unescaping of probe strings and $SUBST() arguments
 * (nbase cstring_unescape): \0 \a \b \f \n \r \t \v \\ and \xHH; a
 * backslash before any other punctuation or space stands for that
 * character; before a letter or digit (an octal-looking "\015") it is an
 * error. In place; returns the new length, or -1.
 */
long svc_unescape(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '\\') {
            s[o++] = (char)c;
            continue;
        }
        if (++i >= len)
            return -1; /* a trailing backslash escapes nothing */
        c = (unsigned char)s[i];
        switch (c) {
        case '0':
            c = '\0';
            break;
        case 'a':
            c = '\a';
            break;
        case 'b':
            c = '\b';
            break;
        case 'f':
            c = '\f';
            break;
        case 'n':
            c = '\n';
            break;
        case 'r':
            c = '\r';
            break;
        case 't':
            c = '\t';
            break;
        case 'v':
            c = '\v';
            break;
        case 'x': {
            if (i + 2 >= len)
                return -1;
            char h[3] = {s[i + 1], s[i + 2], '\0'};
            if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]))
                return -1;
            c = (unsigned char)strtoul(h, NULL, 16);
            i += 2;
            break;
        }
        default:
            if (isalnum(c) || c == '\0')
                return -1;
            break;
        }
        s[o++] = (char)c;
    }
    return (long)o;
}

#define ARGS_MAX    5   /* nmap's SUBSTARGS_MAX_ARGS */
#define ARG_STR_MAX 128 /* nmap's SUBSTARGS_STRLEN */

struct sargs {
    int n;
    bool is_str[ARGS_MAX];
    long ival[ARGS_MAX];
    char str[ARGS_MAX][ARG_STR_MAX];
    size_t slen[ARGS_MAX];
};

/* nmap's getsubstcommandargs: "1, \"a\", \"b\")" — ints (strtol base 0)
 * and "..." strings with C escapes. Returns the argument count (-1 on a
 * malformed list); *end is after the closing ')'. */
static int parse_args(const char *a, const char **end, struct sargs *A)
{
    memset(A, 0, sizeof *A);
    while (*a && *a != ')') {
        while (isspace((unsigned char)*a))
            a++;
        if (*a == ')')
            break;
        if (A->n == ARGS_MAX)
            return -1;
        if (*a == '"') {
            const char *q = a;
            size_t len = 0;
            for (;;) {
                q++;
                if (!*q)
                    return -1;
                /* nmap's test: a quote ends the string unless escaped,
                 * and a quote after an escaped backslash does end it. */
                if (*q == '"' && (q[-1] != '\\' || (q - 2 > a && q[-2] == '\\')))
                    break;
                if (len >= ARG_STR_MAX - 1)
                    return -1;
                A->str[A->n][len++] = *q;
            }
            long u = svc_unescape(A->str[A->n], len);
            if (u < 0)
                return -1;
            A->slen[A->n] = (size_t)u;
            A->is_str[A->n] = true;
            A->n++;
            a = strpbrk(q + 1, ",)");
        } else {
            char *pe;
            A->ival[A->n] = strtol(a, &pe, 0);
            if (pe <= a)
                return -1;
            A->n++;
            a = strpbrk(pe, ",)");
        }
        if (!a)
            return -1;
        if (*a == ',')
            a++;
    }
    if (*a == ')')
        a++;
    *end = a;
    return A->n;
}

/* What one substitution produces, cut at the first NUL (nmap's strlen)
 * and at cap+1 bytes (anything longer fails the field anyway). */
struct sub {
    char *b;
    size_t n, cap;
    bool stop;
};

static void put(struct sub *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !s->stop; i++) {
        if (p[i] == '\0' || s->n > s->cap) {
            s->stop = true;
            break;
        }
        s->b[s->n++] = p[i];
    }
}

static bool capture(long k, const uint8_t *subj, size_t slen, const size_t *ov, size_t np,
                    size_t *s, size_t *e)
{
    if (k < 1 || k > 9 || (size_t)k >= np)
        return false;
    *s = ov[2 * k];
    *e = ov[2 * k + 1];
    return *s != SIZE_MAX && *e != SIZE_MAX && *s <= *e && *e <= slen && subj;
}

/* One "$..." at t; *tend after it. 0 with the text in out, or -1. */
static int subst_var(const char *t, const char **tend, const uint8_t *subj, size_t slen,
                     const size_t *ov, size_t np, struct sub *out)
{
    char cmd[16] = "";
    struct sargs A;
    long k;
    t++; /* the '$' */
    if (isdigit((unsigned char)*t)) {
        k = *t - '0';
        t++;
    } else {
        const char *p = strchr(t, '(');
        if (!p || p == t || (size_t)(p - t) >= sizeof cmd)
            return -1;
        memcpy(cmd, t, (size_t)(p - t));
        cmd[p - t] = '\0';
        if (parse_args(p + 1, &t, &A) <= 0)
            return -1;
        if (A.is_str[0])
            return -1;
        k = A.ival[0];
    }
    *tend = t;
    size_t s, e;
    if (!capture(k, subj, slen, ov, np, &s, &e))
        return -1;
    const char *c = (const char *)subj + s;
    size_t n = e - s;
    if (!cmd[0]) {
        put(out, c, n);
    } else if (strcmp(cmd, "P") == 0) {
        if (A.n != 1)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (c[i] >= 0x20 && c[i] < 0x7f) /* isprint in the C locale */
                put(out, c + i, 1);
    } else if (strcmp(cmd, "SUBST") == 0) {
        if (A.n != 3 || !A.is_str[1] || !A.is_str[2] || A.slen[1] == 0)
            return -1;
        for (size_t i = 0; i < n && !out->stop;) {
            if (A.slen[1] <= n - i && memcmp(c + i, A.str[1], A.slen[1]) == 0) {
                put(out, A.str[2], A.slen[2]);
                i += A.slen[1];
            } else {
                put(out, c + i, 1);
                i++;
            }
        }
    } else if (strcmp(cmd, "I") == 0) {
        if (A.n != 2 || !A.is_str[1] || A.slen[1] != 1 || n > 8)
            return -1;
        char order = A.str[1][0];
        if (order != '>' && order != '<')
            return -1;
        unsigned long long v = 0;
        for (size_t i = 0; i < n; i++)
            v = v << 8 | (uint8_t)c[order == '>' ? i : n - 1 - i];
        char num[24];
        int w = snprintf(num, sizeof num, "%llu", v);
        put(out, num, (size_t)w);
    } else {
        return -1;
    }
    return 0;
}

/* nmap's transform_cpe, applied to each substitution in a cpe:/ template:
 * CPE 2.2 section 5.4's reserved characters as %XX, blanks as '_', the
 * rest lowercased. */
static size_t cpe_escape(const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (strchr(":/?#[]@!$&'()*+,;=%<>\"", c)) {
            o += (size_t)sprintf(out + o, "%%%02X", c);
        } else if (isspace(c)) {
            out[o++] = '_';
        } else {
            out[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
    }
    return o;
}

int svc_template_expand(const char *tmpl, const uint8_t *subject, size_t len, const size_t *ovec,
                        size_t npairs, bool cpe, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return -1;
    out[0] = '\0';
    if (!tmpl || outlen < 3) /* nmap refuses buffers under 3 bytes */
        return -1;
    char *tmp = malloc(4 * (outlen + 2));
    if (!tmp)
        return -1;
    size_t d = 0;
    int rc = 0;
    const char *s = tmpl;
    while (*s) {
        const char *dollar = strchr(s, '$');
        size_t lit = dollar ? (size_t)(dollar - s) : strlen(s);
        /* A literal tail may fill the buffer but its NUL; text before a
         * substitution must leave room for a NUL after it (nmap). */
        if (d + lit > outlen - (dollar ? 2 : 1)) {
            rc = -1;
            break;
        }
        memcpy(out + d, s, lit);
        d += lit;
        if (!dollar)
            break;
        struct sub sb = {.b = tmp, .cap = outlen};
        const char *end = dollar;
        if (subst_var(dollar, &end, subject, len, ovec, npairs, &sb) < 0) {
            rc = -1;
            break;
        }
        const char *piece = sb.b;
        size_t n = sb.n;
        if (cpe) {
            n = cpe_escape(sb.b, sb.n, tmp + outlen + 2);
            piece = tmp + outlen + 2;
        }
        if (d + n >= outlen - 1) {
            rc = -1;
            break;
        }
        memcpy(out + d, piece, n);
        d += n;
        s = end;
    }
    free(tmp);
    if (rc < 0) {
        out[0] = '\0';
        return -1;
    }
    out[d] = '\0';
    while (d > 0 && (isspace((unsigned char)out[d - 1]) || out[d - 1] == ','))
        out[--d] = '\0';
    return 0;
}
