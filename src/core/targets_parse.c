/*
 * targets_parse.c — nmap's target syntax into compact specs
 * (targets_spec.h): literals, CIDR, IPv4 octet ranges ("198.18.0-3.1-254"),
 * and host names resolved once with getaddrinfo.
 */
#include "core/targets_spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer specs are certainly typos; the cap keeps the host part on the stack. */
#define SPEC_MAX 1024
/* Enough for any real host's address list; the rest are not worth reporting. */
#define RESOLVE_MAX 32

#define PREFIX_HINT    "use /0-/32 for IPv4, /0-/128 for IPv6"
#define HOSTNAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"

int targets_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- parsing ---------------------------------------------------------- */

static int parse_num(const char *s, const char *end, unsigned *out)
{
    if (s == end || end - s > 3)
        return -1;
    unsigned v = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    *out = v;
    return v <= 255 ? 0 : -1;
}

/* One octet: a comma list of N, N-M, N-, -M, - and *. */
static int parse_octet(const char *s, const char *end, uint8_t set[32], const char *spec, char *err,
                       size_t errlen)
{
    if (s == end)
        return targets_fail(err, errlen,
                            "empty octet in '%s': each of the 4 octets needs a number, range or *",
                            spec);
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *item_end = comma ? comma : end;
        int ilen = (int)(item_end - s);
        unsigned lo = 0, hi = 255;
        if (ilen == 0)
            return targets_fail(err, errlen,
                                "empty item in octet list in '%s': remove the extra comma", spec);
        if (!(ilen == 1 && (*s == '*' || *s == '-'))) {
            const char *dash = memchr(s, '-', (size_t)ilen);
            int bad = 0;
            if (!dash)
                bad = parse_num(s, item_end, &lo) || parse_num(s, item_end, &hi);
            else
                bad = (dash > s && parse_num(s, dash, &lo)) ||
                      (dash + 1 < item_end && parse_num(dash + 1, item_end, &hi));
            if (bad)
                return targets_fail(err, errlen, "bad octet range '%.*s' in '%s': octets are 0-255",
                                    ilen, s, spec);
            if (lo > hi)
                return targets_fail(
                    err, errlen,
                    "reversed octet range '%.*s' in '%s': write the smaller number first", ilen, s,
                    spec);
        }
        for (unsigned v = lo; v <= hi; v++)
            set[v >> 3] |= (uint8_t)(1u << (v & 7));
        if (!comma)
            return 0;
        s = comma + 1;
    }
}

static int parse_octets(const char *host, struct spec *sp, const char *spec, char *err,
                        size_t errlen)
{
    int dots = 0;
    for (const char *p = host; *p; p++)
        dots += *p == '.';
    if (dots != 3)
        return targets_fail(
            err, errlen, "expected 4 octets, got %d in '%s': write e.g. 10.0.0.1 or 10.0.0.1-254",
            dots + 1, spec);
    const char *s = host;
    for (int i = 0; i < 4; i++) {
        const char *end = i < 3 ? strchr(s, '.') : s + strlen(s);
        if (parse_octet(s, end, sp->oct[i], spec, err, errlen) < 0)
            return -1;
        s = end + 1;
    }
    sp->kind = SPEC_OCTETS;
    sp->family = AF_INET;
    return 0;
}

/* A one-value-per-octet product is just an address; callers want it as one
 * so that a prefix can apply to it. */
static bool octets_single(const struct spec *sp, struct ipaddr *a)
{
    memset(a, 0, sizeof(*a));
    a->family = AF_INET;
    for (int i = 0; i < 4; i++) {
        if (bit_count(sp->oct[i]) != 1)
            return false;
        a->bytes[i] = (uint8_t)bit_next(sp->oct[i], 0);
    }
    return true;
}

static int resolve(const char *name, int family, struct spec *sp, struct ipaddr *out, char *err,
                   size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM; /* one entry per address, not per socket type */
    int rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0) {
        const char *hint = family == 4   ? "; use -6 if it has only IPv6 addresses"
                           : family == 6 ? "; drop -6 if it has only IPv4 addresses"
                                         : ", or give an IP address";
        targets_fail(err, errlen, "Failed to resolve \"%s\"%s (%s): check the name%s", name,
                     family == 6   ? " for IPv6"
                     : family == 4 ? " for IPv4"
                                   : "",
                     gai_strerror(rc), hint);
        return TARGETS_UNRESOLVED;
    }

    struct ipaddr addrs[RESOLVE_MAX];
    size_t n = 0;
    for (struct addrinfo *ai = res; ai && n < RESOLVE_MAX; ai = ai->ai_next) {
        struct ipaddr a;
        if (ipaddr_from_sockaddr(ai->ai_addr, &a, NULL) < 0)
            continue;
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = ipaddr_equal(&addrs[i], &a);
        if (!dup)
            addrs[n++] = a;
    }
    freeaddrinfo(res);
    if (n == 0) {
        targets_fail(err, errlen, "Failed to resolve \"%s\": no usable address; give an IP address",
                     name);
        return TARGETS_UNRESOLVED;
    }

    /* nmap scans the first IPv4 address when the family is not forced. */
    size_t pick = 0;
    while (pick < n && addrs[pick].family != AF_INET)
        pick++;
    if (pick == n)
        pick = 0;
    *out = addrs[pick];
    sp->named = addrs[pick];
    sp->hostname = strdup(name);
    if (!sp->hostname)
        return targets_fail(err, errlen, "out of memory resolving \"%s\"", name);
    if (n > 1) {
        sp->other_addrs = malloc(n * IPADDR_STRLEN);
        if (!sp->other_addrs)
            return targets_fail(err, errlen, "out of memory resolving \"%s\"", name);
        size_t used = 0;
        sp->other_addrs[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            char buf[IPADDR_STRLEN];
            if (i == pick)
                continue;
            used += (size_t)snprintf(sp->other_addrs + used, n * IPADDR_STRLEN - used, "%s%s",
                                     used ? "," : "", ipaddr_str(&addrs[i], buf, sizeof(buf)));
        }
    }
    return 0;
}

void targets_spec_clear(struct spec *sp)
{
    free(sp->hostname);
    free(sp->other_addrs);
    sp->hostname = sp->other_addrs = NULL;
}

/* check_family is off for exclusions: excluding an address of the other
 * family is harmless, and a shared exclude file should work with -4 and -6. */
int targets_parse_spec(const char *spec, int family, bool check_family, struct spec *sp, char *err,
                       size_t errlen)
{
    memset(sp, 0, sizeof(*sp));
    size_t len = strlen(spec);
    if (len == 0)
        return targets_fail(err, errlen, "empty target spec: give an address, range or host name");
    if (len > SPEC_MAX)
        return targets_fail(err, errlen, "target spec '%.40s...' is longer than %d characters",
                            spec, SPEC_MAX);

    char host[SPEC_MAX + 1];
    const char *slash = strrchr(spec, '/');
    size_t hlen = slash ? (size_t)(slash - spec) : len;
    memcpy(host, spec, hlen);
    host[hlen] = '\0';
    int prefix = -1;
    if (slash) {
        const char *p = slash + 1;
        if (hlen == 0)
            return targets_fail(err, errlen,
                                "missing address before '/' in '%s': write e.g. 10.0.0.0/24", spec);
        if (*p == '\0')
            return targets_fail(err, errlen,
                                "missing prefix length after '/' in '%s': " PREFIX_HINT, spec);
        size_t plen = strlen(p);
        if (strspn(p, "0123456789") != plen || plen > 3)
            return targets_fail(err, errlen, "bad prefix length '/%s' in '%s': " PREFIX_HINT, p,
                                spec);
        prefix = atoi(p);
    }

    struct ipaddr a;
    memset(&a, 0, sizeof(a));
    if (strchr(host, ':')) {
        if (inet_pton(AF_INET6, host, a.bytes) != 1)
            return targets_fail(err, errlen,
                                "bad IPv6 address in '%s': check it (zone ids like %%eth0 "
                                "are not supported)",
                                spec);
        a.family = AF_INET6;
    } else if (strspn(host, V4_RANGE_CHARS) == hlen) {
        if (parse_octets(host, sp, spec, err, errlen) < 0)
            return -1;
        if (!octets_single(sp, &a)) {
            if (prefix >= 0)
                return targets_fail(err, errlen,
                                    "prefix length with octet ranges in '%s': use either "
                                    "10.0.0.0/24 or 10.0.0.0-255",
                                    spec);
            if (check_family && family == 6)
                return targets_fail(err, errlen, "'%s' is IPv4 but -6 is set: drop -6 to scan IPv4",
                                    spec);
            return 0;
        }
    } else if (strspn(host, HOSTNAME_CHARS) == hlen) {
        int rc = resolve(host, family, sp, &a, err, errlen);
        if (rc < 0) {
            targets_spec_clear(sp);
            return rc;
        }
    } else {
        return targets_fail(err, errlen,
                            "'%s' is not an address, range or host name: check for typos", spec);
    }

    if (check_family && !sp->hostname && family == 4 && a.family == AF_INET6)
        return targets_fail(err, errlen, "'%s' is IPv6 but -4 is set: use -6 to scan IPv6", spec);
    if (check_family && !sp->hostname && family == 6 && a.family == AF_INET)
        return targets_fail(err, errlen, "'%s' is IPv4 but -6 is set: drop -6 to scan IPv4", spec);

    int bits = a.family == AF_INET6 ? 128 : 32;
    if (prefix > bits) {
        targets_spec_clear(sp);
        return targets_fail(err, errlen, "prefix length /%d too long for %s in '%s': use /0-/%d",
                            prefix, a.family == AF_INET6 ? "IPv6" : "IPv4", spec, bits);
    }
    if (prefix < 0)
        prefix = bits;
    sp->kind = SPEC_RANGE;
    sp->family = a.family;
    for (int i = 0; i < bits / 8; i++) {
        int keep = prefix - 8 * i;
        uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
        sp->first[i] = a.bytes[i] & mask;
        sp->last[i] = a.bytes[i] | (uint8_t)~mask;
    }
    return 0;
}
