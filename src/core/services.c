/*
 * nmap-services reader: port/proto -> name in O(1), and the open-frequency
 * ranking behind --top-ports, -F and the default 1000 ports.
 *
 * The whole file is read into one buffer and names point into it, so a
 * load is one read, one parse pass and one sort per protocol; nothing is
 * allocated per line.
 */
#include "core/services.h"
#include "core/datafile.h"

#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tcp, udp, sctp: the protocols nmap-services lists. */
#define SVC_NPROTO 3
#define SVC_NPORTS 65536

/* nmap reads names with "%127s"; longer ones are malformed lines. */
#define SVC_NAME_MAX 127

struct svc_rank {
    double freq;
    uint16_t port;
};

struct services {
    char *text; /* file contents; names are NUL-terminated slices of it */
    const char *name[SVC_NPROTO][SVC_NPORTS];
    uint16_t *by_freq[SVC_NPROTO]; /* most frequent first */
    size_t count[SVC_NPROTO];
};

const char *services_datadir(void)
{
    const char *dir = getenv("PRTIP_DATADIR");
    return dir && *dir ? dir : "/usr/share/nmap";
}

static int proto_index(int proto)
{
    switch (proto) {
    case IPPROTO_TCP:
        return 0;
    case IPPROTO_UDP:
        return 1;
    case IPPROTO_SCTP:
        return 2;
    default:
        return -1;
    }
}

static int proto_index_name(const char *s, size_t len)
{
    static const char *const names[SVC_NPROTO] = {"tcp", "udp", "sctp"};
    for (int i = 0; i < SVC_NPROTO; i++)
        if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
            return i;
    return -1;
}

/* "<verb> <path>: <strerror><hint>", the one line the caller prints. */
static void set_err(char *err, size_t errlen, const char *verb, const char *path, int e,
                    const char *hint)
{
    if (err && errlen)
        snprintf(err, errlen, "%s %s: %s%s", verb, path, strerror(e), hint);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Parse an open-frequency such as "0.484143" without strtod: strtod follows
 * LC_NUMERIC, and a locale with a decimal comma would silently turn every
 * frequency into 0 and scramble --top-ports. Returns false on anything that
 * is not digits[.digits].
 */
static bool parse_freq(const char *s, size_t len, double *out)
{
    uint64_t mant = 0;
    double scale = 1.0;
    bool dot = false, digits = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.' && !dot) {
            dot = true;
        } else if (c >= '0' && c <= '9') {
            digits = true;
            /* 18 significant digits fit in uint64_t; the rest cannot change
             * the ranking of nmap's 6-decimal values. */
            if (mant < 100000000000000000ULL) {
                mant = mant * 10 + (uint64_t)(c - '0');
                if (dot)
                    scale *= 10.0;
            } else if (!dot) {
                return false; /* absurdly large integer part */
            }
        } else {
            return false;
        }
    }
    if (!digits)
        return false;
    *out = (double)mant / scale;
    return true;
}

/*
 * One line: "name port/proto [freq] [# comment]", fields separated by
 * whitespace as nmap's sscanf("%127s %hu/%15s %lf") accepts. Returns false
 * for lines nmap would skip. The name is NUL-terminated in place.
 */
static bool parse_line(char *line, char **name, uint16_t *port, int *pidx, double *freq)
{
    char *p = line;
    while (is_blank(*p))
        p++;
    if (*p == '\0' || *p == '#')
        return false;
    char *n = p;
    while (*p && !is_blank(*p))
        p++;
    size_t nlen = (size_t)(p - n);
    if (nlen > SVC_NAME_MAX || *p == '\0')
        return false;
    char *name_end = p;
    while (is_blank(*p))
        p++;

    unsigned long v = 0;
    const char *digits = p;
    while (*p >= '0' && *p <= '9' && v < SVC_NPORTS)
        v = v * 10 + (unsigned long)(*p++ - '0');
    if (p == digits || v >= SVC_NPORTS || *p != '/')
        return false;
    p++;
    char *pr = p;
    while (*p && !is_blank(*p))
        p++;
    int idx = proto_index_name(pr, (size_t)(p - pr));
    if (idx < 0)
        return false;
    while (is_blank(*p))
        p++;

    /* nmap treats a missing frequency as 0 (the port is still named). */
    double f = 0.0;
    if (*p && *p != '#') {
        char *fs = p;
        while (*p && !is_blank(*p))
            p++;
        if (!parse_freq(fs, (size_t)(p - fs), &f))
            return false;
    }

    *name_end = '\0';
    *name = n;
    *port = (uint16_t)v;
    *pidx = idx;
    *freq = f;
    return true;
}

static int rank_cmp(const void *a, const void *b)
{
    const struct svc_rank *x = a, *y = b;
    if (x->freq != y->freq)
        return x->freq > y->freq ? -1 : 1;
    return (x->port > y->port) - (x->port < y->port);
}

/* services_parse on text (NUL-terminated, freed here whatever happens). */
static struct services *parse_text(char *text, const char *path, char *err, size_t errlen)
{
    struct services *s = calloc(1, sizeof *s);
    /* Worst case every line is an entry of one protocol; sized per protocol
     * after counting would need a second pass, so collect into one array
     * per protocol grown on demand. */
    struct svc_rank *rank[SVC_NPROTO] = {NULL};
    size_t cap[SVC_NPROTO] = {0};
    if (!s)
        goto oom;
    s->text = text;

    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *name;
        uint16_t port;
        int idx;
        double freq;
        /* The first line for a port/proto wins, as in nmap. */
        if (parse_line(line, &name, &port, &idx, &freq) && !s->name[idx][port]) {
            if (s->count[idx] == cap[idx]) {
                size_t ncap = cap[idx] ? cap[idx] * 2 : 1024;
                struct svc_rank *nr = realloc(rank[idx], ncap * sizeof *nr);
                if (!nr)
                    goto oom;
                rank[idx] = nr;
                cap[idx] = ncap;
            }
            rank[idx][s->count[idx]++] = (struct svc_rank){.freq = freq, .port = port};
            s->name[idx][port] = name;
        }
        line = nl ? nl + 1 : NULL;
    }

    size_t total = 0;
    for (int i = 0; i < SVC_NPROTO; i++) {
        total += s->count[i];
        if (!s->count[i])
            continue;
        /* Frequency descending, ties by port ascending: this reproduces
         * nmap 7.93's --top-ports lists for tcp, udp and sctp exactly
         * (checked up to --top-ports 10000). */
        qsort(rank[i], s->count[i], sizeof *rank[i], rank_cmp);
        s->by_freq[i] = malloc(s->count[i] * sizeof *s->by_freq[i]);
        if (!s->by_freq[i])
            goto oom;
        for (size_t j = 0; j < s->count[i]; j++)
            s->by_freq[i][j] = rank[i][j].port;
        free(rank[i]);
        rank[i] = NULL;
    }
    if (total == 0) {
        /* Most likely the wrong file (PRTIP_DATADIR pointing elsewhere). */
        if (err && errlen)
            snprintf(err, errlen,
                     "%s: no services found (expected lines 'name<TAB>port/proto<TAB>"
                     "frequency' from Debian package nmap-common)",
                     path);
        services_free(s);
        return NULL;
    }
    return s;

oom:
    for (int i = 0; i < SVC_NPROTO; i++)
        free(rank[i]);
    if (s)
        services_free(s);
    else
        free(text);
    set_err(err, errlen, "cannot load", path, ENOMEM, "");
    return NULL;
}

struct services *services_load(const char *path, char *err, size_t errlen)
{
    char defpath[4096];
    path = datafile_path("nmap-services", path, defpath, sizeof defpath);
    if (err && errlen)
        err[0] = '\0';
    size_t len = 0;
    char *text = datafile_read(path, &len, err, errlen);
    if (!text)
        return NULL;
    return parse_text(text, path, err, errlen);
}

struct services *services_parse(const char *data, size_t len, const char *name, char *err,
                                size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    char *text = malloc(len + 1);
    if (!text) {
        set_err(err, errlen, "cannot load", name, ENOMEM, "");
        return NULL;
    }
    memcpy(text, data, len);
    text[len] = '\0';
    return parse_text(text, name, err, errlen);
}

void services_free(struct services *s)
{
    if (!s)
        return;
    for (int i = 0; i < SVC_NPROTO; i++)
        free(s->by_freq[i]);
    free(s->text);
    free(s);
}

const char *services_name(const struct services *s, uint16_t port, int proto)
{
    int idx = proto_index(proto);
    if (!s || idx < 0)
        return NULL;
    return s->name[idx][port];
}

size_t services_top(const struct services *s, int proto, size_t n, uint16_t *out, size_t max)
{
    int idx = proto_index(proto);
    if (!s || idx < 0 || !out)
        return 0;
    size_t k = n < max ? n : max;
    if (k > s->count[idx])
        k = s->count[idx];
    if (k) /* by_freq is NULL for a protocol the file does not list */
        memcpy(out, s->by_freq[idx], k * sizeof *out);
    return k;
}

size_t services_match(const struct services *s, const char *pattern, int proto,
                      void (*fn)(uint16_t port, void *arg), void *arg)
{
    int idx = proto_index(proto);
    if (!s || idx < 0 || !pattern)
        return 0;
    /* Case-insensitive like nmap, whose "-p x11:1" finds "X11:1". Ports
     * are visited in ascending order so callers see a stable sequence. */
    size_t hits = 0;
    for (uint32_t port = 0; port < SVC_NPORTS; port++) {
        const char *name = s->name[idx][port];
        if (name && fnmatch(pattern, name, FNM_CASEFOLD) == 0) {
            hits++;
            if (fn)
                fn((uint16_t)port, arg);
        }
    }
    return hits;
}
