/*
 * nmap-payloads reader and the per-port payload table behind -sU.
 *
 * Parsing is one pass over the text into three flat arrays: the payload bytes
 * (blob), the entries and their port ranges. Building the table then cuts
 * the port space at every range boundary into intervals whose ports share
 * exactly the same entries (at most 2 per range, and never more than 65536),
 * lays each interval's payload list out once, and points all 65536 ports at
 * their interval's list. So "udp 32768-65535 ..." costs one list, not 32768,
 * and lookups are two array reads.
 *
 * Built-ins live in udp_payloads_builtin.c; a port with file entries uses
 * only those (nmap's tested payloads), other ports fall back to built-ins.
 */
#include "scan/udp_payloads.h"

#include "core/datafile.h"
#include "core/services.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PL_NPORTS 65536

struct pl_range {
    uint16_t lo, hi;
};

struct pl_entry {
    size_t off, len;            /* payload bytes: blob[off .. off+len) */
    size_t first_range, nrange; /* its ports: ranges[first_range ..] */
    unsigned line;              /* of the "udp" keyword, for errors */
};

struct udp_payloads {
    uint8_t *blob;             /* every file payload's bytes */
    struct udp_payload *items; /* per-interval payload lists, back to back */
    size_t nentries;
    const struct udp_payload *list[PL_NPORTS]; /* file payloads for a port, or NULL */
    uint8_t count[PL_NPORTS];                  /* length of list[port] */
};

struct parser {
    const char *s, *end;
    const char *name; /* file name for messages */
    unsigned line;
    char *err;
    size_t errlen;

    uint8_t *blob; /* sized to the input: no escape expands, so it never grows */
    size_t blen;
    struct pl_entry *ent;
    size_t nent, entcap;
    struct pl_range *rng;
    size_t nrng, rngcap;
};

static const struct udp_payload empty_payload = {NULL, 0};

/* "name:line: problem" in err; always returns -1 so callers can return it. */
__attribute__((format(printf, 3, 4))) static int fail(struct parser *ps, unsigned line,
                                                      const char *fmt, ...)
{
    if (!ps->err || !ps->errlen)
        return -1;
    int n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->name, line);
    if (n >= 0 && (size_t)n < ps->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A word from the input, quoted in a message: at most 24 bytes and
 * printable, so that hostile input cannot break the one-line error. */
static const char *show(const char *w, size_t len, char buf[32])
{
    size_t n = len < 24 ? len : 24;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (n < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* arr (of elements of size sz) with room for one more than n: arr itself,
 * a larger copy (*cap updated), or NULL when out of memory (arr intact). */
static void *grow(void *arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *na = realloc(arr, ncap * sz);
    if (na)
        *cap = ncap;
    return na;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Skip white space (counting lines) and "#" comments. */
static void skip_space(struct parser *ps)
{
    while (ps->s < ps->end) {
        char c = *ps->s;
        if (c == '#') {
            while (ps->s < ps->end && *ps->s != '\n')
                ps->s++;
        } else if (is_space(c)) {
            ps->line += c == '\n';
            ps->s++;
        } else {
            break;
        }
    }
}

/* A bare word: everything up to white space, a quote or a comment. */
static size_t word_len(const struct parser *ps)
{
    const char *p = ps->s;
    while (p < ps->end && !is_space(*p) && *p != '"' && *p != '#')
        p++;
    return (size_t)(p - ps->s);
}

static bool word_is(const char *w, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(w, lit, len) == 0;
}

/* Decimal 0..65535 from w[*i ..]; advances *i. False on no digits or overflow. */
static bool parse_port(const char *w, size_t len, size_t *i, uint16_t *out)
{
    uint32_t v = 0;
    size_t start = *i;
    while (*i < len && w[*i] >= '0' && w[*i] <= '9') {
        v = v * 10 + (uint32_t)(w[*i] - '0');
        if (v >= PL_NPORTS)
            return false;
        (*i)++;
    }
    if (*i == start)
        return false;
    *out = (uint16_t)v;
    return true;
}

static int range_cmp(const void *a, const void *b)
{
    const struct pl_range *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

/*
 * Sort and merge one entry's ranges (rng[first ..]), so that "53,53" or
 * "1-100,50-60" names each port once and build_table() visits each
 * (entry, port interval) pair at most once: its work is then bounded by
 * 255 payloads x 65536 intervals whatever the input.
 */
static void merge_ranges(struct parser *ps, size_t first)
{
    struct pl_range *r = ps->rng + first;
    size_t n = ps->nrng - first, out = 0;
    qsort(r, n, sizeof *r, range_cmp);
    for (size_t i = 0; i < n; i++) {
        if (out && (uint32_t)r[i].lo <= (uint32_t)r[out - 1].hi + 1) {
            if (r[i].hi > r[out - 1].hi)
                r[out - 1].hi = r[i].hi;
        } else {
            r[out++] = r[i];
        }
    }
    ps->nrng = first + out;
}

/* "53,69,32768-65535" into ranges; error names the list. */
static int parse_portlist(struct parser *ps, const char *w, size_t len)
{
    char buf[32];
    size_t i = 0, first = ps->nrng;
    for (;;) {
        uint16_t lo, hi;
        if (!parse_port(w, len, &i, &lo))
            return fail(ps, ps->line, "bad port list \"%s\" (want N or N-M, 0-65535, by commas)",
                        show(w, len, buf));
        hi = lo;
        if (i < len && w[i] == '-') {
            i++;
            if (!parse_port(w, len, &i, &hi))
                return fail(ps, ps->line, "bad port range in \"%s\"", show(w, len, buf));
            if (hi < lo)
                return fail(ps, ps->line, "reversed port range %u-%u", lo, hi);
        }
        struct pl_range *nr = grow(ps->rng, &ps->rngcap, ps->nrng, sizeof *ps->rng);
        if (!nr)
            return fail(ps, ps->line, "out of memory");
        ps->rng = nr;
        ps->rng[ps->nrng++] = (struct pl_range){lo, hi};
        if (i == len)
            break;
        if (w[i] != ',')
            return fail(ps, ps->line, "bad port list \"%s\" (want N or N-M, 0-65535, by commas)",
                        show(w, len, buf));
        i++;
    }
    merge_ranges(ps, first);
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* One "..." string at ps->s, appended to the blob with nmap's escapes. */
static int parse_string(struct parser *ps)
{
    unsigned line = ps->line;
    ps->s++; /* opening quote */
    for (;;) {
        if (ps->s >= ps->end || *ps->s == '\n')
            return fail(ps, line, "unterminated string");
        char c = *ps->s++;
        if (c == '"')
            return 0;
        if (c != '\\') {
            ps->blob[ps->blen++] = (uint8_t)c;
            continue;
        }
        if (ps->s >= ps->end || *ps->s == '\n')
            return fail(ps, line, "unterminated string");
        /* nmap's cstring_unescape(): these letters, \xHH, and any other
         * punctuation standing for itself (\\, \", ...). A different letter
         * or digit is a typo or octal, which nmap rejects too. */
        static const char named[] = "0abfnrtv";
        static const uint8_t value[] = {0, '\a', '\b', '\f', '\n', '\r', '\t', '\v'};
        char e = *ps->s++;
        const char *k = e ? strchr(named, e) : NULL;
        uint8_t b = (uint8_t)e;
        if (k) {
            b = value[k - named];
        } else if (e == 'x') {
            int hi = ps->s < ps->end ? hexval(ps->s[0]) : -1;
            int lo = ps->end - ps->s >= 2 ? hexval(ps->s[1]) : -1;
            if (hi < 0 || lo < 0)
                return fail(ps, line, "bad escape \\x (want two hex digits)");
            b = (uint8_t)(hi << 4 | lo);
            ps->s += 2;
        } else if (is_alnum(e)) {
            return fail(ps, line, "bad escape \\%c", e);
        }
        ps->blob[ps->blen++] = b;
    }
}

/* Keywords after the strings, up to the next "udp" or the end. */
static int parse_keywords(struct parser *ps)
{
    char buf[32];
    for (;;) {
        skip_space(ps);
        if (ps->s >= ps->end || *ps->s == '"')
            return 0; /* a stray string is reported by the caller's loop */
        size_t len = word_len(ps);
        const char *w = ps->s;
        if (word_is(w, len, "udp"))
            return 0;
        ps->s += len;
        if (!word_is(w, len, "source")) {
            /* Unknown keyword: its data is on this line by the file's own
             * rule, so skip the line and stay forward compatible. */
            while (ps->s < ps->end && *ps->s != '\n')
                ps->s++;
            continue;
        }
        unsigned line = ps->line;
        /* The port must follow on the same line; only blanks in between. */
        while (ps->s < ps->end && (*ps->s == ' ' || *ps->s == '\t'))
            ps->s++;
        size_t plen = word_len(ps);
        size_t i = 0;
        uint16_t port;
        if (plen == 0 || !parse_port(ps->s, plen, &i, &port) || i != plen)
            return fail(ps, line, "\"source\" needs a port (0-65535) on the same line, got \"%s\"",
                        show(ps->s, plen, buf));
        /* nmap does not honour it either: the engine picks source ports. */
        ps->s += plen;
    }
}

static int parse_entries(struct parser *ps)
{
    char buf[32];
    const char *nul = memchr(ps->s, '\0', (size_t)(ps->end - ps->s));
    if (nul) {
        unsigned line = 1;
        for (const char *p = ps->s; p < nul; p++)
            line += *p == '\n';
        return fail(ps, line, "NUL byte (not a text file)");
    }
    for (;;) {
        skip_space(ps);
        if (ps->s >= ps->end)
            return 0;
        unsigned line = ps->line;
        if (*ps->s == '"')
            return fail(ps, line, "string outside an entry (entries start with \"udp\")");
        size_t len = word_len(ps);
        if (!word_is(ps->s, len, "udp"))
            return fail(ps, line, "expected \"udp\", found \"%s\"", show(ps->s, len, buf));
        ps->s += len;

        skip_space(ps);
        len = ps->s < ps->end && *ps->s != '"' ? word_len(ps) : 0;
        if (len == 0)
            return fail(ps, line, "missing port list after \"udp\"");
        size_t first_range = ps->nrng;
        if (parse_portlist(ps, ps->s, len) < 0)
            return -1;
        ps->s += len;

        size_t off = ps->blen;
        unsigned nstr = 0;
        for (;;) {
            skip_space(ps);
            if (ps->s >= ps->end || *ps->s != '"')
                break;
            if (parse_string(ps) < 0)
                return -1;
            nstr++;
        }
        if (nstr == 0)
            return fail(ps, line, "entry has no payload string");
        if (ps->blen - off > UDP_PAYLOAD_MAX_LEN)
            return fail(ps, line, "payload of %zu bytes is over the UDP maximum of %d",
                        ps->blen - off, UDP_PAYLOAD_MAX_LEN);
        if (parse_keywords(ps) < 0)
            return -1;

        struct pl_entry *ne = grow(ps->ent, &ps->entcap, ps->nent, sizeof *ps->ent);
        if (!ne)
            return fail(ps, line, "out of memory");
        ps->ent = ne;
        ps->ent[ps->nent++] = (struct pl_entry){.off = off,
                                                .len = ps->blen - off,
                                                .first_range = first_range,
                                                .nrange = ps->nrng - first_range,
                                                .line = line};
    }
}

/* Index of the interval holding port: the last start <= port (start[0] = 0). */
static uint32_t interval_of(const uint32_t *start, uint32_t nint, uint32_t port)
{
    uint32_t lo = 0, hi = nint - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (start[mid] <= port)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/*
 * Lay out per-port payload lists (see the top of the file). Two sweeps over
 * (entry, range, interval): count, then fill. Ranges of one entry are
 * disjoint (merge_ranges), so no interval is counted twice for an entry.
 * Scratch arrays are sized by the number of intervals, which keeps a load
 * of the real file (a few hundred intervals) cheap.
 */
static int build_table(struct parser *ps, struct udp_payloads *p)
{
    int rc = -1;
    uint32_t nint = 0, *start = NULL, *cnt = NULL, *off = NULL;
    uint8_t *cut = calloc(PL_NPORTS + 1, 1);
    if (!cut)
        goto oom;
    cut[0] = 1;
    for (size_t r = 0; r < ps->nrng; r++) {
        cut[ps->rng[r].lo] = 1;
        cut[(uint32_t)ps->rng[r].hi + 1] = 1;
    }
    for (uint32_t port = 0; port < PL_NPORTS; port++)
        nint += cut[port];
    start = malloc((nint + 1) * sizeof *start);
    cnt = calloc(nint, sizeof *cnt);
    off = malloc(nint * sizeof *off);
    if (!start || !cnt || !off)
        goto oom;
    for (uint32_t port = 0, i = 0; port < PL_NPORTS; port++)
        if (cut[port])
            start[i++] = port;
    start[nint] = PL_NPORTS;

    for (size_t e = 0; e < ps->nent; e++) {
        const struct pl_entry *en = &ps->ent[e];
        for (size_t r = en->first_range; r < en->first_range + en->nrange; r++) {
            uint32_t last = interval_of(start, nint, ps->rng[r].hi);
            for (uint32_t i = interval_of(start, nint, ps->rng[r].lo); i <= last; i++) {
                if (++cnt[i] > UDP_PAYLOADS_MAX_PER_PORT) {
                    fail(ps, en->line, "more than %d payloads for port %u",
                         UDP_PAYLOADS_MAX_PER_PORT, start[i]);
                    goto out;
                }
            }
        }
    }

    size_t total = 0;
    for (uint32_t i = 0; i < nint; i++) {
        off[i] = (uint32_t)total;
        total += cnt[i];
        cnt[i] = 0; /* reused as the fill position */
    }
    p->items = malloc((total ? total : 1) * sizeof *p->items);
    if (!p->items)
        goto oom;
    for (size_t e = 0; e < ps->nent; e++) {
        const struct pl_entry *en = &ps->ent[e];
        struct udp_payload pl = {en->len ? p->blob + en->off : NULL, en->len};
        for (size_t r = en->first_range; r < en->first_range + en->nrange; r++) {
            uint32_t last = interval_of(start, nint, ps->rng[r].hi);
            for (uint32_t i = interval_of(start, nint, ps->rng[r].lo); i <= last; i++)
                p->items[off[i] + cnt[i]++] = pl;
        }
    }
    for (uint32_t i = 0; i < nint; i++) {
        for (uint32_t port = start[i]; port < start[i + 1]; port++) {
            p->count[port] = (uint8_t)cnt[i];
            p->list[port] = cnt[i] ? &p->items[off[i]] : NULL;
        }
    }
    rc = 0;
    goto out;
oom:
    fail(ps, ps->line, "out of memory");
out:
    free(start);
    free(cnt);
    free(off);
    free(cut);
    return rc;
}

struct udp_payloads *udp_payloads_parse(const char *text, size_t len, const char *name, char *err,
                                        size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    struct parser ps = {.s = text,
                        .end = text + len,
                        .name = name ? name : "nmap-payloads",
                        .line = 1,
                        .err = err,
                        .errlen = errlen};
    struct udp_payloads *p = calloc(1, sizeof *p);
    ps.blob = malloc(len ? len : 1);
    if (!p || !ps.blob) {
        fail(&ps, 0, "out of memory");
        goto bad;
    }
    if (len && parse_entries(&ps) < 0)
        goto bad;
    p->blob = ps.blob;
    ps.blob = NULL;
    p->nentries = ps.nent;
    if (ps.nent && build_table(&ps, p) < 0)
        goto bad;
    free(ps.ent);
    free(ps.rng);
    return p;
bad:
    free(ps.blob);
    free(ps.ent);
    free(ps.rng);
    udp_payloads_free(p);
    return NULL;
}

struct udp_payloads *udp_payloads_load(const char *path, char *err, size_t errlen)
{
    char defpath[4096];
    path = datafile_path("nmap-payloads", path, defpath, sizeof defpath);
    if (err && errlen)
        err[0] = '\0';
    size_t len = 0;
    char *text = datafile_read(path, &len, err, errlen);
    if (!text) {
        if (errno == ENOENT) /* built-ins only: -sU works without nmap-common */
            return udp_payloads_parse("", 0, path, err, errlen);
        return NULL;
    }
    struct udp_payloads *p = udp_payloads_parse(text, len, path, err, errlen);
    free(text);
    return p;
}

void udp_payloads_free(struct udp_payloads *p)
{
    if (!p)
        return;
    free(p->items);
    free(p->blob);
    free(p);
}

const struct udp_payload *udp_payload_get_all(const struct udp_payloads *p, uint16_t port,
                                              int family, size_t *n)
{
    size_t k = 0;
    const struct udp_payload *r = &empty_payload;
    if (p && p->count[port]) {
        k = p->count[port];
        r = p->list[port];
    } else {
        const struct udp_payload *b = udp_payload_builtin(port, family);
        if (b) {
            k = 1;
            r = b;
        }
    }
    if (n)
        *n = k;
    return r;
}

const struct udp_payload *udp_payload_get(const struct udp_payloads *p, uint16_t port, int family)
{
    return udp_payload_get_all(p, port, family, NULL);
}

size_t udp_payloads_file_entries(const struct udp_payloads *p)
{
    return p ? p->nentries : 0;
}
