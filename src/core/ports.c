/*
 * Port sets and nmap's -p syntax.
 *
 * Parsing marks ports in one 65536-bit bitmap per protocol, so overlapping
 * pieces ("1-100,80,http") cost nothing extra and the result comes out
 * sorted and unique when the bitmap is turned into arrays at the end. The
 * grammar follows nmap's getpts_aux (scan_lists.cc):
 *
 *   list    := item { "," item }
 *   item    := [ prefix ] element
 *   prefix  := "T:" | "U:" | "S:"          (sticky until the next prefix)
 *   element := range | name-or-glob | "[" list "]"
 *   range   := N | N "-" [M] | "-" [M]    (open ends are 1 and 65535)
 *
 * Where nmap is vague or lenient we are stricter and say why: empty items
 * and trailing commas are errors (nmap ignores a trailing comma), an
 * unclosed "[" is an error (nmap ignores it). Names are matched without
 * regard to case, as nmap matches them, and may start with a digit
 * ("3com-tsmux"), which nmap's parser rejects.
 */
#include "core/ports.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPORTS 65536
#define NWORDS (NPORTS / 64)

/* Longest name nmap-services can hold ("%127s" in nmap's reader). */
#define NAME_MAX_LEN 127

struct bitmap {
    uint64_t w[NWORDS];
};

struct parser {
    struct bitmap *bits; /* PROTO_COUNT bitmaps */
    const struct services *svc;
    const char *spec;
    char *err;
    size_t errlen;
};

static void bm_set(struct bitmap *b, uint32_t port)
{
    b->w[port >> 6] |= 1ULL << (port & 63);
}

/* Whole words at a time: "-p-" repeated in a spec (or by a fuzzer) must
 * not cost 65536 single-bit stores per piece. */
static void bm_set_range(struct bitmap *b, uint32_t lo, uint32_t hi)
{
    while (lo <= hi && (lo & 63)) {
        bm_set(b, lo);
        lo++;
    }
    while (lo + 63 <= hi) {
        b->w[lo >> 6] = ~0ULL;
        lo += 64;
    }
    while (lo <= hi) {
        bm_set(b, lo);
        lo++;
    }
}

static void bm_add_list(struct bitmap *b, const uint16_t *ports, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bm_set(b, ports[i]);
}

static size_t bm_count(const struct bitmap *b)
{
    size_t n = 0;
    for (size_t i = 0; i < NWORDS; i++)
        n += (size_t)__builtin_popcountll(b->w[i]);
    return n;
}

/* Sorted array of the set bits; *out is NULL when the bitmap is empty. */
static int bm_materialize(const struct bitmap *b, uint16_t **out, size_t *count)
{
    size_t n = bm_count(b);
    *out = NULL;
    *count = 0;
    if (n == 0)
        return 0;
    uint16_t *ports = malloc(n * sizeof *ports);
    if (!ports)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < NWORDS; i++) {
        uint64_t w = b->w[i];
        while (w) {
            ports[k++] = (uint16_t)(i * 64 + (size_t)__builtin_ctzll(w));
            w &= w - 1;
        }
    }
    *out = ports;
    *count = n;
    return 0;
}

/* Replace set's arrays with the bitmaps' contents; set is untouched on
 * failure, so a failed parse or add never loses what was there. */
static int commit(struct portset *set, const struct bitmap *bits)
{
    struct portset next = {{NULL}, {0}};
    for (int p = 0; p < PROTO_COUNT; p++) {
        if (bm_materialize(&bits[p], &next.ports[p], &next.count[p]) < 0) {
            portset_free(&next);
            return -1;
        }
    }
    portset_free(set);
    *set = next;
    return 0;
}

static struct bitmap *bitmaps_from(const struct portset *set)
{
    struct bitmap *bits = calloc(PROTO_COUNT, sizeof *bits);
    if (bits && set)
        for (int p = 0; p < PROTO_COUNT; p++)
            bm_add_list(&bits[p], set->ports[p], set->count[p]);
    return bits;
}

__attribute__((format(printf, 2, 3))) static int fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->err && ps->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err, ps->errlen, fmt, ap);
        va_end(ap);
        /* Messages quote the user's text; keep them one printable line
         * even when that text holds a newline or escape sequence. */
        for (char *c = ps->err; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
    }
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_space(const char *s)
{
    while (is_space(*s))
        s++;
    return s;
}

/* Characters of service names in nmap-services ("X11:1", "http-alt",
 * "ms-sql-s"), digits and '-' (so ranges tokenize the same way), and the
 * glob characters we support. '[' is not one: it opens a bracket. */
static bool is_token_char(char c)
{
    /* strchr would match the terminating NUL, so test c first. */
    return c && (isalnum((unsigned char)c) || strchr("-_.:+/*?", c) != NULL);
}

/* Length of the piece starting at s, for error messages: up to the next
 * separator, so "80,abc%,90" reports 'abc%'. */
static int piece_len(const char *s)
{
    size_t n = strcspn(s, ",]");
    return n > 64 ? 64 : (int)n;
}

/* Parse digits at *s as a port number; values above 65535 are clamped to
 * 65536 so "99999999999999999999" cannot overflow but still fails. */
static uint32_t parse_num(const char **s)
{
    uint32_t v = 0;
    while (isdigit((unsigned char)**s)) {
        v = v * 10 + (uint32_t)(**s - '0');
        if (v > NPORTS)
            v = NPORTS;
        (*s)++;
    }
    return v;
}

static void mark_range(struct parser *ps, enum port_proto proto, uint32_t lo, uint32_t hi,
                       bool listed_only)
{
    if (!listed_only) {
        bm_set_range(&ps->bits[proto], lo, hi);
        return;
    }
    int ipp = port_proto_ipproto(proto);
    for (uint32_t p = lo; p <= hi; p++)
        if (services_name(ps->svc, (uint16_t)p, ipp))
            bm_set(&ps->bits[proto], p);
}

/* tok[0..len) holds only digits and '-'. */
static int parse_range(struct parser *ps, const char *tok, size_t len, enum port_proto proto,
                       bool listed_only)
{
    const char *s = tok, *end = tok + len;
    uint32_t lo, hi;
    bool open_lo = false;
    if (*s == '-') {
        open_lo = true;
        lo = 1; /* nmap: "-1024" is 1-1024; port 0 only when written */
    } else {
        lo = parse_num(&s);
    }
    if (s < end && *s == '-') {
        s++;
        hi = (s < end) ? parse_num(&s) : NPORTS - 1;
    } else {
        hi = lo;
    }
    if (s != end)
        return fail(ps, "invalid port range '%.*s': write N, N-M, -M or N-", (int)len, tok);
    if (lo >= NPORTS || hi >= NPORTS) {
        if (hi == lo && !open_lo && memchr(tok, '-', len) == NULL)
            return fail(ps, "port %.*s out of bounds: ports are 0-65535", (int)len, tok);
        return fail(ps, "port range %.*s out of bounds: ports are 0-65535", (int)len, tok);
    }
    if (open_lo && hi == 0)
        return fail(ps, "port range '%.*s' is empty: -N means 1-N; write 0 for port 0", (int)len,
                    tok);
    if (lo > hi)
        return fail(ps, "port range %.*s is reversed: write it low-high (%u-%u)", (int)len, tok, hi,
                    lo);
    mark_range(ps, proto, lo, hi, listed_only);
    return 0;
}

struct name_ctx {
    struct bitmap *bits;
};

static void mark_port(uint16_t port, void *arg)
{
    bm_set(((struct name_ctx *)arg)->bits, port);
}

static int parse_name(struct parser *ps, const char *tok, size_t len, enum port_proto proto)
{
    bool numeric_start = isdigit((unsigned char)tok[0]) || tok[0] == '-';
    if (len > NAME_MAX_LEN)
        return fail(ps,
                    "service name '%.*s...' too long: nmap-services names are at most %d "
                    "characters",
                    32, tok, NAME_MAX_LEN);
    if (!ps->svc)
        return fail(ps,
                    "service name '%.*s' needs nmap-services, which is not loaded: give port "
                    "numbers",
                    (int)len, tok);
    char name[NAME_MAX_LEN + 1];
    memcpy(name, tok, len);
    name[len] = '\0';
    struct name_ctx ctx = {&ps->bits[proto]};
    if (services_match(ps->svc, name, port_proto_ipproto(proto), mark_port, &ctx) > 0)
        return 0;
    /* "80a" or "1-2-3" reached here only because names may start with a
     * digit; reporting it as an unknown service would mislead. */
    if (numeric_start)
        return fail(ps,
                    "invalid port specification '%s': not a port or range (1-1024), and no "
                    "%s service has that name",
                    name, port_proto_name(proto));
    if (strpbrk(name, "*?"))
        return fail(ps, "no service matches '%s' in nmap-services for %s", name,
                    port_proto_name(proto));
    return fail(ps,
                "no service named '%s' in nmap-services for %s: check the name or give a port "
                "number",
                name, port_proto_name(proto));
}

/*
 * Parse a list starting at *cur until the end of the string or, when
 * nested, the closing ']'. A prefix inside brackets lasts only until the
 * ']', as in nmap where the nested call gets its own copy of the protocol.
 */
static int parse_list(struct parser *ps, const char **cur, enum port_proto proto, bool nested)
{
    const char *s = *cur;
    for (;;) {
        s = skip_space(s);
        const char *item = s;

        /* Protocol prefix: one letter and ':'. "X11:1" is a name because
         * its ':' is not the second character. */
        if (isalpha((unsigned char)s[0]) && s[1] == ':') {
            switch (s[0]) {
            case 'T':
            case 't':
                proto = PROTO_TCP;
                break;
            case 'U':
            case 'u':
                proto = PROTO_UDP;
                break;
            case 'S':
            case 's':
                proto = PROTO_SCTP;
                break;
            case 'P':
                return fail(ps, "protocol prefix 'P:' (IP protocol scan) is not supported: use "
                                "T:, U: or S:");
            default:
                return fail(ps, "unknown protocol prefix '%c:' in '%.*s': use T:, U: or S:", s[0],
                            piece_len(item), item);
            }
            s = skip_space(s + 2);
            if (isalpha((unsigned char)s[0]) && s[1] == ':')
                return fail(ps, "'%.*s' has two protocol prefixes: write one, as in T:80,U:53",
                            piece_len(item), item);
            if (*s == ',' || *s == '\0' || *s == ']')
                return fail(ps, "no ports after '%c:': write e.g. %c:80", item[0], item[0]);
        }

        if (*s == '\0' || *s == ',' || *s == ']') {
            if (*s == ']' && !nested)
                return fail(ps, "unexpected ']' in '%s': brackets must be paired, as in [1-1024]",
                            ps->spec);
            if (*s == ']')
                return fail(ps, "empty '[]' in '%s': put ports inside, as in [1-1024]", ps->spec);
            if (*s == '\0' && nested)
                return fail(ps, "unclosed '[' in '%s': add ']'", ps->spec);
            if (*s == '\0')
                return fail(ps, "empty port specification: give ports such as 22,80 or 1-1024");
            return fail(ps, "empty item in port list '%s': remove the extra comma", ps->spec);
        }

        if (*s == '[') {
            if (nested)
                return fail(ps, "brackets cannot nest in '%s': write [1-1024]", ps->spec);
            if (!ps->svc)
                return fail(ps, "'[...]' keeps ports named in nmap-services, which is not loaded");
            s++;
            if (parse_list(ps, &s, proto, true) < 0)
                return -1;
            if (*s != ']')
                return fail(ps, "unclosed '[' in '%s': add ']'", ps->spec);
            s++;
        } else if (is_token_char(*s)) {
            const char *tok = s;
            bool numeric = true;
            while (is_token_char(*s)) {
                if (!isdigit((unsigned char)*s) && *s != '-')
                    numeric = false;
                s++;
            }
            size_t len = (size_t)(s - tok);
            /* A following character that can't continue the piece makes
             * the whole piece garbage ("abc%"), reported as written. */
            const char *after = skip_space(s);
            if (after > s && *after != '\0' && *after != ',' && *after != ']')
                return fail(ps, "invalid port specification '%.*s': separate items with ','",
                            piece_len(item), item);
            if (*after != '\0' && *after != ',' && *after != ']')
                return fail(ps,
                            "invalid port specification '%.*s': expected a port, range "
                            "(1-1024), service name or T:/U:/S: prefix",
                            piece_len(item), item);
            int rc = numeric ? parse_range(ps, tok, len, proto, nested)
                             : parse_name(ps, tok, len, proto);
            if (rc < 0)
                return -1;
        } else {
            return fail(ps,
                        "invalid port specification '%.*s': expected a port, range (1-1024), "
                        "service name or T:/U:/S: prefix",
                        piece_len(item), item);
        }

        s = skip_space(s);
        if (*s == ',') {
            s = skip_space(s + 1);
            if (*s == '\0')
                return fail(ps, "port list '%s' ends with a comma: remove it", ps->spec);
            if (*s == ']')
                return fail(ps, "'%s' has a comma before ']': remove it", ps->spec);
            continue;
        }
        if (*s == ']') {
            if (!nested)
                return fail(ps, "unexpected ']' in '%s': brackets must be paired, as in [1-1024]",
                            ps->spec);
            *cur = s;
            return 0;
        }
        if (*s == '\0') {
            *cur = s;
            return 0; /* caller reports a missing ']' */
        }
        return fail(ps, "invalid port specification '%.*s': separate items with ','",
                    piece_len(item), item);
    }
}

int portset_parse(struct portset *out, const char *spec, enum port_proto default_proto,
                  const struct services *svc, char *err, size_t errlen)
{
    struct parser ps = {.svc = svc, .spec = spec ? spec : "", .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return fail(&ps, "internal error: no port set to parse into");
    if ((unsigned)default_proto >= PROTO_COUNT)
        return fail(&ps, "internal error: invalid default protocol %d", (int)default_proto);

    /* Start from what out already holds so repeated -p options merge. */
    ps.bits = bitmaps_from(out);
    if (!ps.bits)
        return fail(&ps, "out of memory parsing ports");
    const char *cur = ps.spec;
    int rc = parse_list(&ps, &cur, default_proto, false);
    if (rc == 0 && commit(out, ps.bits) < 0)
        rc = fail(&ps, "out of memory parsing ports");
    free(ps.bits);
    return rc;
}

int portset_add_top(struct portset *out, const struct services *svc, enum port_proto proto,
                    size_t n)
{
    if (!out || !svc || (unsigned)proto >= PROTO_COUNT)
        return -1;
    if (n > NPORTS)
        n = NPORTS;
    uint16_t *top = malloc((n ? n : 1) * sizeof *top);
    struct bitmap *bits = bitmaps_from(out);
    int rc = -1;
    if (top && bits) {
        size_t k = services_top(svc, port_proto_ipproto(proto), n, top, n);
        bm_add_list(&bits[proto], top, k);
        rc = commit(out, bits);
    }
    free(top);
    free(bits);
    return rc;
}

void portset_subtract(struct portset *set, const struct portset *excl)
{
    if (!set || !excl)
        return;
    for (int p = 0; p < PROTO_COUNT; p++) {
        /* Both lists are sorted: one merge pass, compacting in place. */
        const uint16_t *x = excl->ports[p];
        size_t nx = excl->count[p], j = 0, k = 0;
        for (size_t i = 0; i < set->count[p]; i++) {
            uint16_t port = set->ports[p][i];
            while (j < nx && x[j] < port)
                j++;
            if (j < nx && x[j] == port)
                continue;
            set->ports[p][k++] = port;
        }
        set->count[p] = k;
        if (k == 0) {
            free(set->ports[p]);
            set->ports[p] = NULL;
        }
    }
}

bool portset_contains(const struct portset *set, enum port_proto proto, uint16_t port)
{
    if (!set || (unsigned)proto >= PROTO_COUNT)
        return false;
    const uint16_t *a = set->ports[proto];
    size_t lo = 0, hi = set->count[proto];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < set->count[proto] && a[lo] == port;
}

size_t portset_total(const struct portset *set)
{
    size_t n = 0;
    if (set)
        for (int p = 0; p < PROTO_COUNT; p++)
            n += set->count[p];
    return n;
}

void portset_free(struct portset *set)
{
    if (!set)
        return;
    for (int p = 0; p < PROTO_COUNT; p++) {
        free(set->ports[p]);
        set->ports[p] = NULL;
        set->count[p] = 0;
    }
}
