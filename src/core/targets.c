/*
 * targets.c — the target set: specs (targets_spec.h, parsed by targets_parse.c)
 * counted, iterated lazily, excluded and indexed.
 *
 * Every spec is either an inclusive address range (literals, CIDR, resolved
 * names) or an IPv4 octet product (a 256-bit set per octet). Both take fixed
 * space whatever the number of addresses, and both answer "smallest member
 * greater than X", which is all the iterator and exclusion skipping need.
 */
#include "core/targets_spec.h"

#include "core/bytes.h"
#include "core/datafile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int list_push(struct spec_list *l, const struct spec *sp)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct spec *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *sp;
    return 0;
}

static int add_parsed(struct spec_list *l, const char *spec, int family, bool check_family,
                      char *err, size_t errlen)
{
    struct spec sp;
    int rc = targets_parse_spec(spec, family, check_family, &sp, err, errlen);
    if (rc < 0)
        return rc;
    if (list_push(l, &sp) < 0) {
        targets_spec_clear(&sp);
        return targets_fail(err, errlen, "out of memory adding '%s'", spec);
    }
    return 0;
}

/* ---- set -------------------------------------------------------------- */

struct target_set *target_set_new(const struct target_opts *opts)
{
    struct target_set *set = calloc(1, sizeof(*set));
    if (set && opts && (opts->family == 4 || opts->family == 6))
        set->family = opts->family;
    if (set)
        ipset_init(&set->exc_iv);
    if (set && opts) {
        set->warn = opts->warn;
        set->warn_arg = opts->warn_arg;
    }
    return set;
}

static void list_free(struct spec_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        targets_spec_clear(&l->v[i]);
    free(l->v);
}

void target_set_free(struct target_set *set)
{
    if (!set)
        return;
    list_free(&set->inc);
    list_free(&set->exc);
    ipset_free(&set->exc_iv);
    free(set);
}

static uint64_t spec_count(const struct spec *sp);

/* A skipped target: count it and tell the caller's warn callback. */
static void skip_warn(struct target_set *set, const char *msg)
{
    set->nskipped++;
    set->warn(set->warn_arg, msg);
}

int target_set_add(struct target_set *set, const char *spec, char *err, size_t errlen)
{
    int rc = add_parsed(&set->inc, spec, set->family, true, err, errlen);
    if (rc == TARGETS_UNRESOLVED && set->warn) {
        /* nmap's exact warning (nmap.cc), which scripts grep for. */
        char msg[SPEC_WARN_MAX];
        snprintf(msg, sizeof(msg), "Failed to resolve \"%s\".", spec);
        skip_warn(set, msg);
        return 1;
    }
    if (rc < 0)
        return -1;
    /* Running index of each spec's first address: random access by binary
     * search (target_set_at). */
    struct spec_list *l = &set->inc;
    l->v[l->n - 1].count = spec_count(&l->v[l->n - 1]);
    if (l->n > 1) {
        const struct spec *prev = &l->v[l->n - 2];
        uint64_t c = prev->count;
        l->v[l->n - 1].base = c > UINT64_MAX - prev->base ? UINT64_MAX : prev->base + c;
    }
    return 0;
}

/* Runs of consecutive values of octet k, computed once per exclusion:
 * every prefix of the higher octets reuses them. */
struct octet_runs {
    uint8_t lo[128], hi[128]; /* at most 128 runs in 256 values */
    unsigned n;
};

static void octet_runs_of(const uint8_t set[32], struct octet_runs *r)
{
    r->n = 0;
    for (int v = bit_next(set, 0); v >= 0;) {
        int end = v;
        while (end < 255 && bit_get(set, (unsigned)end + 1))
            end++;
        r->lo[r->n] = (uint8_t)v;
        r->hi[r->n++] = (uint8_t)end;
        v = end < 255 ? bit_next(set, (unsigned)end + 1) : -1;
    }
}

/* Intervals of an octet product: octets after k are full (0-255), so
 * each prefix of octets [0, k) times each run of values of octet k is one
 * interval. */
static int octets_expand(struct ipset *iv, const struct spec *sp, int k, int depth, uint8_t *a,
                         const struct octet_runs *runs)
{
    if (depth < k) {
        for (int v = bit_next(sp->oct[depth], 0); v >= 0;
             v = v < 255 ? bit_next(sp->oct[depth], (unsigned)v + 1) : -1) {
            a[depth] = (uint8_t)v;
            if (octets_expand(iv, sp, k, depth + 1, a, runs) < 0)
                return -1;
        }
        return 0;
    }
    uint8_t lo[4], hi[4];
    memcpy(lo, a, 4);
    memcpy(hi, a, 4);
    for (int i = k + 1; i < 4; i++) {
        lo[i] = 0;
        hi[i] = 255;
    }
    for (unsigned i = 0; i < runs->n; i++) {
        lo[k] = runs->lo[i];
        hi[k] = runs->hi[i];
        if (ipset_add(iv, AF_INET, lo, hi) < 0)
            return -1;
    }
    return 0;
}

/* Intervals octet-range exclusions may expand into so far: in proportion
 * to the exclusion text read (an exclude file of 100,000 lines like
 * 198.19.0-255.1-10 expands whole), never past EXCLUDE_EXPAND_TOTAL. */
static size_t expand_budget(const struct target_set *set)
{
    size_t b = EXCLUDE_EXPAND_FLOOR + EXCLUDE_EXPAND_PER_BYTE * set->spec_bytes;
    return b < EXCLUDE_EXPAND_TOTAL ? b : EXCLUDE_EXPAND_TOTAL;
}

/* One exclusion spec into the interval set (or, when its expansion would
 * be too large, the spec list). */
static int exclude_parsed(struct target_set *set, const char *spec, char *err, size_t errlen)
{
    set->spec_bytes += strlen(spec);
    struct spec sp;
    int rc = targets_parse_spec(spec, set->family, false, &sp, err, errlen);
    if (rc < 0)
        return rc;
    if (sp.kind == SPEC_RANGE) {
        rc = ipset_add(&set->exc_iv, sp.family, sp.first, sp.last);
    } else {
        int k = 3; /* octets after k are full */
        while (k >= 0 && bit_count(sp.oct[k]) == 256)
            k--;
        struct octet_runs runs = {.n = 1};
        if (k >= 0)
            octet_runs_of(sp.oct[k], &runs);
        uint64_t n = runs.n; /* intervals: runs of octet k times the prefixes */
        for (int i = 0; i < k; i++)
            n *= bit_count(sp.oct[i]);
        uint8_t a[4] = {0};
        if (k < 0) {
            rc = ipset_add(&set->exc_iv, AF_INET, (const uint8_t[4]){0, 0, 0, 0},
                           (const uint8_t[4]){255, 255, 255, 255});
        } else if (n <= EXCLUDE_EXPAND_MAX && set->expanded + n <= expand_budget(set)) {
            set->expanded += n;
            rc = octets_expand(&set->exc_iv, &sp, k, 0, a, &runs);
        } else if ((rc = list_push(&set->exc, &sp)) == 0) {
            return 0; /* the list owns sp now */
        }
    }
    targets_spec_clear(&sp);
    return rc < 0 ? targets_fail(err, errlen, "out of memory adding '%s'", spec) : 0;
}

/*
 * Commas both separate exclusions and list octet values, so pieces are
 * re-joined when, and only when, both sides are IPv4 range text and the
 * left side is still short of its 4 octets ("192.168.1" + "3.*") or the
 * right side has no dot and so can only be more values for the last octet
 * ("10.0.0.1" + "3"). The rule looks at text only, so it never resolves a
 * name twice and stays linear in the list length.
 */
int target_set_exclude(struct target_set *set, const char *list, char *err, size_t errlen)
{
    size_t len = strlen(list);
    char *acc = malloc(len + 1);
    int rc = 0;
    if (!acc) {
        rc = targets_fail(err, errlen, "out of memory parsing exclude list");
        goto out;
    }
    size_t acc_len = 0;
    int acc_dots = 0;
    bool acc_v4 = false;
    const char *s = list;
    for (;;) {
        const char *comma = strchr(s, ',');
        const char *end = comma ? comma : s + strlen(s);
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (s == end) {
            rc = targets_fail(err, errlen, "empty entry in exclude list '%s': drop the extra comma",
                              list);
            goto out;
        }
        size_t n = (size_t)(end - s);
        int dots = 0;
        bool v4 = true;
        for (size_t i = 0; i < n; i++) {
            dots += s[i] == '.';
            v4 = v4 && strchr(V4_RANGE_CHARS, s[i]);
        }
        if (acc_len && acc_v4 && v4 && (acc_dots < 3 || dots == 0)) {
            acc[acc_len++] = ',';
        } else {
            if (acc_len && (rc = exclude_parsed(set, acc, err, errlen)) < 0)
                goto out;
            acc_len = 0;
            acc_dots = 0;
            acc_v4 = v4;
        }
        memcpy(acc + acc_len, s, n);
        acc_len += n;
        acc[acc_len] = '\0';
        acc_dots += dots;
        if (!comma)
            break;
        s = comma + 1;
    }
    rc = exclude_parsed(set, acc, err, errlen);
out:
    free(acc);
    return rc;
}

/* The specs of one line (NUL-terminated, modified): '#' starts a comment. */
static int load_line(struct target_set *set, char *line, const char *name, unsigned long lineno,
                     bool exclude, char *err, size_t errlen)
{
    char sub[512];
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *save = NULL;
    for (char *w = strtok_r(line, " \t\r\v\f", &save); w; w = strtok_r(NULL, " \t\r\v\f", &save)) {
        int rc = exclude ? target_set_exclude(set, w, sub, sizeof(sub))
                         : target_set_add(set, w, sub, sizeof(sub));
        if (rc < 0 && !exclude && set->warn) {
            /* A junk word: say where, scan the rest (nmap goes on too,
             * with "Failed to resolve" for any word it cannot use). */
            char msg[SPEC_WARN_MAX + 64];
            snprintf(msg, sizeof(msg), "%s:%lu: %s; skipped", name, lineno, sub);
            skip_warn(set, msg);
        } else if (rc < 0) {
            return targets_fail(err, errlen, "%s:%lu: %s", name, lineno, sub);
        }
    }
    return 0;
}

int target_set_load_text(struct target_set *set, const char *text, size_t len, const char *name,
                         bool exclude, char *err, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    int rc = 0;
    for (size_t pos = 0; pos < len && rc == 0;) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        /* A control byte is in no address or name: the file is not a
         * target list (binary, or corrupt). Refused, where a NUL used to
         * hide the rest of its line (and an excluded host got scanned). */
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)text[pos + i];
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\v' && c != '\f') || c == 0x7f) {
                rc = targets_fail(err, errlen,
                                  "%s:%lu: byte 0x%02x cannot be part of a target (is this a "
                                  "text file of targets?)",
                                  name, lineno, c);
                break;
            }
        }
        if (rc < 0)
            break;
        if (n + 1 > cap) {
            char *nline = realloc(line, n + 1);
            if (!nline) {
                rc = targets_fail(err, errlen, "%s:%lu: out of memory", name, lineno);
                break;
            }
            line = nline;
            cap = n + 1;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        rc = load_line(set, line, name, lineno, exclude, err, errlen);
        pos += n + 1;
    }
    free(line);
    return rc;
}

static int load_file(struct target_set *set, const char *path, bool exclude, char *err,
                     size_t errlen)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "standard input" : path;
    /* Any kind of file: -iL - and -iL <(command) are pipes. */
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return targets_fail(err, errlen, "cannot open target file '%s': %s; check the path", path,
                            strerror(errno));
    size_t len = 0;
    char *text = datafile_read_fd(fd, &len);
    int e = errno;
    if (!is_stdin)
        close(fd);
    /* A read error or a failed allocation is never taken for the end of
     * the file: the rest could hold the hosts to exclude. */
    if (!text)
        return targets_fail(err, errlen, "cannot read target file '%s': %s", name, strerror(e));
    int rc = target_set_load_text(set, text, len, name, exclude, err, errlen);
    free(text);
    return rc;
}

int target_set_add_file(struct target_set *set, const char *path, char *err, size_t errlen)
{
    return load_file(set, path, false, err, errlen);
}

int target_set_exclude_file(struct target_set *set, const char *path, char *err, size_t errlen)
{
    return load_file(set, path, true, err, errlen);
}

size_t target_set_nspecs(const struct target_set *set)
{
    return set->inc.n;
}

size_t target_set_nskipped(const struct target_set *set)
{
    return set->nskipped;
}

static uint64_t be64(const uint8_t *b)
{
    return ((uint64_t)be32_get(b) << 32) | be32_get(b + 4);
}

static uint64_t spec_count(const struct spec *sp)
{
    if (sp->kind == SPEC_OCTETS) {
        uint64_t n = 1;
        for (int i = 0; i < 4; i++)
            n *= bit_count(sp->oct[i]);
        return n;
    }
    if (sp->family == AF_INET)
        return (uint64_t)(be32_get(sp->last) - be32_get(sp->first)) + 1;
    uint64_t lo = be64(sp->last + 8) - be64(sp->first + 8);
    uint64_t hi = be64(sp->last) - be64(sp->first) - (be64(sp->last + 8) < be64(sp->first + 8));
    return hi || lo == UINT64_MAX ? UINT64_MAX : lo + 1; /* 2^64 does not fit */
}

uint64_t target_set_count(const struct target_set *set)
{
    uint64_t total = 0;
    for (size_t i = 0; i < set->inc.n; i++) {
        uint64_t c = set->inc.v[i].count;
        total = c > UINT64_MAX - total ? UINT64_MAX : total + c;
    }
    return total;
}

/* ---- membership and ordered stepping ---------------------------------- */

static bool spec_contains(const struct spec *sp, const uint8_t *a)
{
    if (sp->kind == SPEC_OCTETS) {
        for (int i = 0; i < 4; i++)
            if (!bit_get(sp->oct[i], a[i]))
                return false;
        return true;
    }
    return memcmp(a, sp->first, 16) >= 0 && memcmp(a, sp->last, 16) <= 0;
}

static void spec_first(const struct spec *sp, uint8_t *out)
{
    if (sp->kind == SPEC_RANGE) {
        memcpy(out, sp->first, 16);
        return;
    }
    memset(out, 0, 16);
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)bit_next(sp->oct[i], 0);
}

/* Smallest member of sp strictly greater than j (same family); false if none.
 * out may alias j. */
static bool spec_next_after(const struct spec *sp, const uint8_t *j, uint8_t *out)
{
    if (sp->kind == SPEC_RANGE) {
        if (memcmp(j, sp->last, 16) >= 0)
            return false;
        if (memcmp(j, sp->first, 16) < 0) {
            memcpy(out, sp->first, 16);
            return true;
        }
        memmove(out, j, 16);
        /* No carry out of the top byte: j < last bounds the result. */
        for (int i = (int)addr_len(sp->family) - 1; i >= 0 && ++out[i] == 0; i--)
            ;
        return true;
    }
    /* Keep the longest prefix of j that is in the product, bump the next
     * octet to its next member, and take the minimum below it. */
    for (int i = 3; i >= 0; i--) {
        bool prefix_ok = true;
        for (int k = 0; k < i && prefix_ok; k++)
            prefix_ok = bit_get(sp->oct[k], j[k]);
        int v = j[i] < 255 ? bit_next(sp->oct[i], j[i] + 1u) : -1;
        if (!prefix_ok || v < 0)
            continue;
        memmove(out, j, 16);
        out[i] = (uint8_t)v;
        for (int k = i + 1; k < 4; k++)
            out[k] = (uint8_t)bit_next(sp->oct[k], 0);
        return true;
    }
    return false;
}

/* True if every value in s (any value, for s NULL) is in e. */
static bool octet_covers(const uint8_t e[32], const uint8_t *s)
{
    for (int i = 0; i < 32; i++)
        if ((s ? s[i] : 0xff) & ~e[i])
            return false;
    return true;
}

/*
 * If a is excluded, store in run_end the end of a run [a, run_end] in which
 * every member of sp is excluded, so that the iterator jumps over an
 * excluded /8 or /64 instead of testing each address. Against an octet
 * exclusion the run extends through each low octet whose values (of sp)
 * the exclusion covers, then as far as the next octet up stays covered.
 */
static bool excluded_run(const struct target_set *set, const struct spec *sp, const uint8_t *a,
                         uint8_t *run_end)
{
    uint8_t iv_end[16] = {0};
    bool hit = ipset_find(&set->exc_iv, sp->family, a, iv_end);
    if (hit)
        memcpy(run_end, iv_end, 16);
    for (size_t i = 0; i < set->exc.n; i++) {
        const struct spec *e = &set->exc.v[i];
        uint8_t end[16];
        if (e->family != sp->family || !spec_contains(e, a))
            continue;
        if (e->kind == SPEC_RANGE) {
            memcpy(end, e->last, 16);
        } else {
            memcpy(end, a, 16);
            for (int p = 3; p >= 0; p--) {
                const uint8_t *so = sp->kind == SPEC_OCTETS ? sp->oct[p] : NULL;
                if (octet_covers(e->oct[p], so)) {
                    end[p] = 255;
                    continue;
                }
                unsigned v = a[p];
                while (v < 255 && (bit_get(e->oct[p], v + 1) || (so && !bit_get(so, v + 1))))
                    v++;
                end[p] = (uint8_t)v;
                break;
            }
        }
        if (!hit || memcmp(end, run_end, 16) > 0)
            memcpy(run_end, end, 16);
        hit = true;
    }
    return hit;
}

bool target_set_is_excluded(const struct target_set *set, const struct ipaddr *addr)
{
    if (ipset_find(&set->exc_iv, addr->family, addr->bytes, NULL))
        return true;
    for (size_t i = 0; i < set->exc.n; i++)
        if (set->exc.v[i].family == addr->family && spec_contains(&set->exc.v[i], addr->bytes))
            return true;
    return false;
}

void target_iter_init(struct target_iter *it, const struct target_set *set)
{
    memset(it, 0, sizeof(*it));
    it->set = set;
}

/* cur always holds the next candidate of the current spec, not yet yielded. */
int target_iter_next(struct target_iter *it, struct target *out)
{
    const struct target_set *set = it->set;
    while (!it->done) {
        if (it->spec >= set->inc.n) {
            it->done = true;
            break;
        }
        const struct spec *sp = &set->inc.v[it->spec];
        if (!it->started) {
            spec_first(sp, it->cur);
            it->started = true;
        }
        uint8_t skip_to[16];
        bool more;
        if (excluded_run(set, sp, it->cur, skip_to)) {
            more = spec_next_after(sp, skip_to, it->cur);
        } else {
            memset(out, 0, sizeof(*out));
            out->addr.family = sp->family;
            memcpy(out->addr.bytes, it->cur, 16);
            if (sp->hostname && ipaddr_equal(&out->addr, &sp->named)) {
                out->hostname = sp->hostname;
                out->other_addrs = sp->other_addrs;
            }
            if (!spec_next_after(sp, it->cur, it->cur)) {
                it->spec++;
                it->started = false;
            }
            return 1;
        }
        if (!more) {
            it->spec++;
            it->started = false;
        }
    }
    return 0;
}

/* ---- random access ------------------------------------------------------ */

/* Rank of v in an octet set: how many members are below it. */
static unsigned bit_rank(const uint8_t set[32], unsigned v)
{
    unsigned n = 0;
    for (unsigned i = 0; i < v / 8; i++)
        n += (unsigned)__builtin_popcount(set[i]);
    return n + (unsigned)__builtin_popcount(set[v / 8] & ((1u << (v % 8)) - 1));
}

/* The k-th member (0-based) of an octet set; k < bit_count(set). */
static unsigned bit_select(const uint8_t set[32], unsigned k)
{
    unsigned i = 0;
    for (;; i++) {
        unsigned c = (unsigned)__builtin_popcount(set[i]);
        if (k < c)
            break;
        k -= c;
    }
    unsigned v = i * 8;
    for (uint8_t b = set[i];; b &= (uint8_t)(b - 1), k--)
        if (k == 0)
            return v + (unsigned)__builtin_ctz(b);
}

/* Big-endian add of off to the address bytes [0, len). */
static void addr_add(uint8_t *a, size_t len, uint64_t off)
{
    for (int i = (int)len - 1; i >= 0 && off; i--) {
        uint64_t s = a[i] + (off & 0xff);
        a[i] = (uint8_t)s;
        off = (off >> 8) + (s >> 8);
    }
}

/* The spec holding address number index and the offset in it, or NULL. */
static const struct spec *spec_at(const struct spec_list *l, uint64_t index, uint64_t *off)
{
    if (l->n == 0)
        return NULL;
    /* Last spec with base <= index. */
    size_t lo = 0, hi = l->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (l->v[mid].base <= index)
            lo = mid;
        else
            hi = mid - 1;
    }
    const struct spec *sp = &l->v[lo];
    *off = index - sp->base;
    if (*off >= sp->count && sp->count != UINT64_MAX)
        return NULL;
    return sp;
}

/* Address number off of sp into out (whole struct written). */
static void spec_addr(const struct spec *sp, uint64_t off, struct ipaddr *out)
{
    out->family = sp->family;
    if (sp->kind == SPEC_RANGE) {
        memcpy(out->bytes, sp->first, 16);
        if (sp->family == AF_INET) {
            /* One 32-bit add: the sender's path (a byte loop otherwise). */
            uint32_t v = (uint32_t)(be32_get(sp->first) + off);
            out->bytes[0] = (uint8_t)(v >> 24);
            out->bytes[1] = (uint8_t)(v >> 16);
            out->bytes[2] = (uint8_t)(v >> 8);
            out->bytes[3] = (uint8_t)v;
        } else {
            addr_add(out->bytes, addr_len(sp->family), off);
        }
    } else {
        memset(out->bytes, 0, sizeof(out->bytes));
        for (int i = 3; i >= 0; i--) {
            unsigned c = bit_count(sp->oct[i]);
            out->bytes[i] = (uint8_t)bit_select(sp->oct[i], (unsigned)(off % c));
            off /= c;
        }
    }
}

int target_set_at(const struct target_set *set, uint64_t index, struct target *out)
{
    uint64_t off;
    const struct spec *sp = spec_at(&set->inc, index, &off);
    if (!sp)
        return -1;
    memset(out, 0, sizeof(*out));
    spec_addr(sp, off, &out->addr);
    if (sp->hostname && ipaddr_equal(&out->addr, &sp->named)) {
        out->hostname = sp->hostname;
        out->other_addrs = sp->other_addrs;
    }
    return 0;
}

int target_set_addr_at(const struct target_set *set, uint64_t index, struct ipaddr *out)
{
    uint64_t off;
    const struct spec *sp = spec_at(&set->inc, index, &off);
    if (!sp)
        return -1;
    spec_addr(sp, off, out);
    return target_set_is_excluded(set, out) ? 1 : 0;
}

int target_set_index_of(const struct target_set *set, const struct ipaddr *addr, uint64_t *index)
{
    size_t spec = 0;
    return target_set_index_next(set, addr, &spec, index);
}

int target_set_index_next(const struct target_set *set, const struct ipaddr *addr, size_t *spec,
                          uint64_t *index)
{
    for (size_t s = *spec; s < set->inc.n; s++) {
        const struct spec *sp = &set->inc.v[s];
        if (sp->family != addr->family || !spec_contains(sp, addr->bytes))
            continue;
        uint64_t off = 0;
        if (sp->kind == SPEC_OCTETS) {
            for (int i = 0; i < 4; i++)
                off = off * bit_count(sp->oct[i]) + bit_rank(sp->oct[i], addr->bytes[i]);
        } else {
            const uint8_t *a = addr->bytes, *f = sp->first;
            if (sp->family == AF_INET) {
                off = be32_get(a) - be32_get(f);
            } else {
                /* 128-bit difference; it must fit in 64 bits. */
                off = be64(a + 8) - be64(f + 8);
                if (be64(a) - be64(f) - (be64(a + 8) < be64(f + 8)) != 0)
                    return -1;
            }
        }
        if (sp->base == UINT64_MAX || off > UINT64_MAX - 1 - sp->base)
            return -1;
        *index = sp->base + off;
        *spec = s + 1;
        return 0;
    }
    *spec = set->inc.n;
    return -1;
}

uint64_t target_set_family_count(const struct target_set *set, int family, struct ipaddr *first)
{
    uint64_t total = 0;
    bool have = false;
    for (size_t i = 0; i < set->inc.n; i++) {
        const struct spec *sp = &set->inc.v[i];
        if (sp->family != family)
            continue;
        if (!have && first) {
            memset(first, 0, sizeof(*first));
            first->family = sp->family;
            spec_first(sp, first->bytes);
        }
        have = true;
        uint64_t c = sp->count;
        total = c > UINT64_MAX - total ? UINT64_MAX : total + c;
    }
    return total;
}

int target_set_spec(const struct target_set *set, size_t i, struct ipaddr *first, uint64_t *base,
                    uint64_t *count)
{
    if (i >= set->inc.n)
        return -1;
    const struct spec *sp = &set->inc.v[i];
    memset(first, 0, sizeof(*first));
    first->family = sp->family;
    spec_first(sp, first->bytes);
    *base = sp->base;
    *count = sp->count;
    return 0;
}
