/*
 * cli.c — nmap's command line (nmap(1) "Options Summary") into a struct scan.
 *
 * Parsing is getopt_long_only, as nmap does it: "-sT" is -s with "T", "-T4"
 * is -T with "4", "-Pn" is -P with "n"; "-oX FILE", "-iL FILE" are single-dash
 * long options taking the next word. Values are only collected during the
 * getopt pass; everything that depends on other options (the -T template
 * under explicit timing, -4/-6 given after the targets, -p under
 * --top-ports) is resolved once the whole line has been read.
 */
#include "cli/cli.h"
#include "core/log.h"
#include "output/output.h"
#include "scan/scan_module.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#ifndef PRTIP_VERSION
#define PRTIP_VERSION "0.0.0"
#endif

/* Values of long options without a short letter. */
enum {
    OPT_EXCLUDE = 256,
    OPT_EXCLUDEFILE,
    OPT_INPUT_LIST,
    OPT_TOP_PORTS,
    OPT_EXCLUDE_PORTS,
    OPT_MAX_RETRIES,
    OPT_HOST_TIMEOUT,
    OPT_MIN_RTT,
    OPT_MAX_RTT,
    OPT_INITIAL_RTT,
    OPT_MIN_PARALLELISM,
    OPT_MAX_PARALLELISM,
    OPT_MIN_HOSTGROUP,
    OPT_MAX_HOSTGROUP,
    OPT_SCAN_DELAY,
    OPT_MAX_SCAN_DELAY,
    OPT_MIN_RATE,
    OPT_MAX_RATE,
    OPT_OUTPUT, /* -oN -oG -oX -oJ -oA (and nmap's -oS -oM -oH) */
    OPT_OPEN,
    OPT_REASON,
    OPT_SEED,
    OPT_NOT_IMPLEMENTED, /* nmap options prtip does not have yet */
};

/* nmap's short options; the leading "-" keeps targets in command-line order
 * (returned as 1) and ":" lets us word the errors ourselves. */
static const char short_opts[] = "-:46Ab:D:d::e:Ffg:hIi:M:m:nO::o:P:p:qRrS:s:T:Vv::";

static const struct option long_opts[] = {
    /* Target specification. */
    {"iL", required_argument, NULL, OPT_INPUT_LIST},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"excludefile", required_argument, NULL, OPT_EXCLUDEFILE},
    /* Ports. */
    {"top-ports", required_argument, NULL, OPT_TOP_PORTS},
    {"exclude-ports", required_argument, NULL, OPT_EXCLUDE_PORTS},
    /* Timing. */
    {"max-retries", required_argument, NULL, OPT_MAX_RETRIES},
    {"host-timeout", required_argument, NULL, OPT_HOST_TIMEOUT},
    {"min-rtt-timeout", required_argument, NULL, OPT_MIN_RTT},
    {"max-rtt-timeout", required_argument, NULL, OPT_MAX_RTT},
    {"initial-rtt-timeout", required_argument, NULL, OPT_INITIAL_RTT},
    {"min-parallelism", required_argument, NULL, OPT_MIN_PARALLELISM},
    {"max-parallelism", required_argument, NULL, OPT_MAX_PARALLELISM},
    {"min-hostgroup", required_argument, NULL, OPT_MIN_HOSTGROUP},
    {"max-hostgroup", required_argument, NULL, OPT_MAX_HOSTGROUP},
    {"scan-delay", required_argument, NULL, OPT_SCAN_DELAY},
    {"max-scan-delay", required_argument, NULL, OPT_MAX_SCAN_DELAY},
    {"min-rate", required_argument, NULL, OPT_MIN_RATE},
    {"max-rate", required_argument, NULL, OPT_MAX_RATE},
    /* Output. */
    {"oN", required_argument, NULL, OPT_OUTPUT},
    {"oG", required_argument, NULL, OPT_OUTPUT},
    {"oX", required_argument, NULL, OPT_OUTPUT},
    {"oJ", required_argument, NULL, OPT_OUTPUT},
    {"oA", required_argument, NULL, OPT_OUTPUT},
    {"oS", required_argument, NULL, OPT_OUTPUT},
    {"oM", required_argument, NULL, OPT_OUTPUT},
    {"oH", required_argument, NULL, OPT_OUTPUT},
    {"open", no_argument, NULL, OPT_OPEN},
    {"reason", no_argument, NULL, OPT_REASON},
    /* Misc. */
    {"seed", required_argument, NULL, OPT_SEED},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    /* nmap options that are planned but not here yet: a clear message
     * instead of "unrecognized". */
    {"iR", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"sI", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"scanflags", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"port-ratio", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"version-intensity", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"version-light", no_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"version-all", no_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"version-trace", no_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"osscan-limit", no_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"osscan-guess", no_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"max-os-tries", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"script", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"script-args", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"packet-trace", no_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"traceroute", no_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"mtu", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"ttl", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"badsum", no_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"data-length", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"spoof-mac", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"source-port", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"stats-every", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"resume", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"shard", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"db", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {"packet-capture", required_argument, NULL, OPT_NOT_IMPLEMENTED},
    {NULL, 0, NULL, 0},
};

/* Explicit timing options, applied over the -T template once parsing ends. */
enum {
    SET_MIN_RTT = 1u << 0,
    SET_MAX_RTT = 1u << 1,
    SET_INITIAL_RTT = 1u << 2,
    SET_MAX_RETRIES = 1u << 3,
    SET_HOST_TIMEOUT = 1u << 4,
    SET_SCAN_DELAY = 1u << 5,
    SET_MAX_SCAN_DELAY = 1u << 6,
    SET_MIN_PARALLELISM = 1u << 7,
    SET_MAX_PARALLELISM = 1u << 8,
    SET_MIN_HOSTGROUP = 1u << 9,
    SET_MAX_HOSTGROUP = 1u << 10,
    SET_MIN_RATE = 1u << 11,
    SET_MAX_RATE = 1u << 12,
};

/* A target word or an -iL file, kept in command-line order. */
struct target_word {
    const char *text;
    bool is_file;
};

/* Everything collected by the getopt pass. Strings point into argv. */
struct pending {
    struct target_word *words;
    size_t nwords;
    const char *last_file; /* last -iL, for "no targets in FILE" */
    const char **excludes;
    size_t nexcludes;
    const char **exclude_files;
    size_t nexclude_files;

    const char *port_spec;     /* -p */
    const char *exclude_ports; /* --exclude-ports */
    long top_ports;            /* --top-ports, 0 = not given */
    bool fast;                 /* -F */

    int level; /* -T, -1 = not given */
    unsigned set;
    struct timing t; /* explicit values, valid where set has the bit */

    bool seeded;
};

/* Print "prtip: <message>" on stderr; returns CLI_ERROR for tail calls. */
static enum cli_result fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static enum cli_result fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("prtip: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_ERROR;
}

/* Strict base-10 integer in [min, max]; the whole text must be the number. */
static int parse_long(const char *opt, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (text[0] == '\0' || text[0] == ' ' || *end != '\0' || errno == ERANGE || v < min ||
        v > max) {
        fail("invalid %s '%s': expected a whole number from %ld to %ld", opt, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_time(const char *opt, const char *text, uint64_t *out)
{
    char err[256];
    if (timing_parse_time(text, out, err, sizeof(err)) < 0) {
        fail("invalid %s: %s", opt, err);
        return -1;
    }
    return 0;
}

static int parse_rate(const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) || v <= 0) {
        fail("invalid %s '%s': expected a packet rate per second greater than 0 (e.g. 100 or "
             "0.5)",
             opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* -v / -d: none = +1, "vv" = +3 in total, a digit string sets the level. */
static int parse_level_count(char letter, const char *arg, int *level)
{
    if (!arg) {
        (*level)++;
        return 0;
    }
    size_t n = strspn(arg, (char[]){letter, '\0'});
    if (n > 0 && arg[n] == '\0') {
        *level += 1 + (int)n;
        return 0;
    }
    long v;
    char opt[3] = {'-', letter, '\0'};
    if (parse_long(opt, arg, 0, 10, &v) < 0)
        return -1;
    *level = (int)v;
    return 0;
}

static int add_output(struct scan *scan, const struct output_module *mod, const char *path)
{
    if (scan->noutputs >= SCAN_MAX_OUTPUTS) {
        fail("too many output files: at most %d", SCAN_MAX_OUTPUTS);
        return -1;
    }
    char *copy = strdup(path);
    if (!copy) {
        fail("out of memory");
        return -1;
    }
    scan->outputs[scan->noutputs].module = mod;
    scan->outputs[scan->noutputs].path = copy;
    scan->noutputs++;
    return 0;
}

/* -o<fmt> <path>; -oA <base> expands to the four formats nmap's -oA knows
 * (normal, grepable, XML) plus JSON. */
static int parse_output(struct scan *scan, char fmt, const char *path)
{
    static const char all[] = "NGXJ";
    if (path[0] == '\0') {
        fail("-o%c needs a file name: use - for standard output", fmt);
        return -1;
    }
    if (fmt == 'A') {
        if (strcmp(path, "-") == 0) {
            fail("-oA -: cannot write several formats to standard output; give a base name");
            return -1;
        }
        for (const char *f = all; *f; f++) {
            char opt[4] = {'-', 'o', *f, '\0'};
            const struct output_module *mod = output_module_find(opt);
            if (!mod) {
                fail("-oA: %s output is not implemented yet", opt);
                return -1;
            }
            size_t len = strlen(path) + strlen(mod->ext) + 2;
            char *name = malloc(len);
            if (!name) {
                fail("out of memory");
                return -1;
            }
            snprintf(name, len, "%s.%s", path, mod->ext);
            int rc = add_output(scan, mod, name);
            free(name);
            if (rc < 0)
                return -1;
        }
        return 0;
    }
    char opt[4] = {'-', 'o', fmt, '\0'};
    if (!strchr(all, fmt)) {
        if (strchr("SMH", fmt))
            fail("%s is not implemented yet: use -oN, -oG, -oX, -oJ or -oA", opt);
        else
            fail("unknown output format '%s': use -oN, -oG, -oX, -oJ or -oA", opt);
        return -1;
    }
    const struct output_module *mod = output_module_find(opt);
    if (!mod) {
        fail("%s output is not implemented yet", opt);
        return -1;
    }
    return add_output(scan, mod, path);
}

/* -s<letters>: "-sT" and also nmap's combined forms ("-sTV"). */
static int parse_scan_types(struct scan *scan, const char *letters)
{
    /* Every scan letter nmap knows; prtip has -sT for now. */
    static const char known[] = "ACFILMNOPRSUVWXYZn";
    if (letters[0] == '\0') {
        fail("-s needs a scan type: -sT");
        return -1;
    }
    for (const char *c = letters; *c; c++) {
        if (*c != 'T') {
            if (strchr(known, *c))
                fail("-s%c is not implemented yet: use -sT", *c);
            else
                fail("unknown scan type '-s%c': see SCAN TECHNIQUES in prtip -h", *c);
            return -1;
        }
        const struct scan_module *mod = scan_module_find("-sT");
        if (!mod) {
            fail("-sT is not available in this build");
            return -1;
        }
        bool dup = false;
        for (size_t i = 0; i < scan->ntypes; i++)
            dup |= scan->types[i] == mod;
        if (!dup && scan->ntypes < SCAN_MAX_TYPES)
            scan->types[scan->ntypes++] = mod;
    }
    return 0;
}

/* -P<x>: host discovery. Only -Pn (and nmap's old spellings -PN, -P0). */
static int parse_ping(struct scan *scan, const char *arg)
{
    if (strcmp(arg, "n") == 0 || strcmp(arg, "N") == 0 || strcmp(arg, "0") == 0) {
        scan->skip_discovery = true;
        return 0;
    }
    if (arg[0] != '\0' && strchr("EPMSAUYORB", arg[0]))
        fail("-P%c is not implemented yet: use -Pn, or the default discovery (TCP connect to 80 "
             "and 443)",
             arg[0]);
    else
        fail("unknown host discovery option '-P%s': use -Pn", arg);
    return -1;
}

/* The command line as typed, for output headers (nmap's args=). */
static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    char *p = s;
    *p = '\0';
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (i)
            *p++ = ' ';
        memcpy(p, argv[i], n);
        p += n;
        *p = '\0';
    }
    return s;
}

/* For an unknown word: is it an abbreviation of several long options? */
static void report_unknown(const char *word)
{
    const char *name = word + strspn(word, "-");
    size_t len = strcspn(name, "=");
    size_t matches = 0;
    char list[256] = "";
    for (const struct option *o = long_opts; o->name && len > 0; o++) {
        if (strncmp(o->name, name, len) != 0)
            continue;
        if (strlen(o->name) == len)
            return (void)fail("unrecognized option '%s'. See prtip -h", word);
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s--%s", matches ? ", " : "", o->name);
        matches++;
    }
    if (matches > 1)
        fail("ambiguous option '%s': could be %s", word, list);
    else
        fail("unrecognized option '%s'. See prtip -h", word);
}

static void print_version(FILE *fp)
{
    fprintf(fp, "prtip version %s\n", PRTIP_VERSION);
#if defined(__clang__)
    fprintf(fp, "Compiled with: clang %s, C11\n", __clang_version__);
#elif defined(__GNUC__)
    fprintf(fp, "Compiled with: gcc %s, C11\n", __VERSION__);
#endif
#if defined(__x86_64__)
    fputs("Platform: x86_64-pc-linux-gnu\n", fp);
#elif defined(__aarch64__)
    fputs("Platform: aarch64-unknown-linux-gnu\n", fp);
#else
    fputs("Platform: linux\n", fp);
#endif
    fputs("Scan types:", fp);
    for (size_t i = 0; scan_modules[i]; i++)
        fprintf(fp, " %s", scan_modules[i]->option);
    fputs("\nOutput formats:", fp);
    for (size_t i = 0; output_modules[i]; i++)
        fprintf(fp, " %s", output_modules[i]->option);
    fprintf(fp, "\nData files: %s\n", services_datadir());
}

/* Apply the -T template, then the explicit options over it, then check the
 * combination as nmap does. */
static int resolve_timing(struct scan *scan, const struct pending *pd)
{
    struct timing *t = &scan->timing;
    const struct timing *x = &pd->t;
    if (pd->level >= 0 && timing_apply_template(t, pd->level) < 0) {
        fail("invalid -T%d: timing templates are 0-5", pd->level);
        return -1;
    }
    unsigned set = pd->set;
    if (set & SET_MAX_RETRIES)
        t->max_retries = x->max_retries;
    if (set & SET_HOST_TIMEOUT)
        t->host_timeout_ms = x->host_timeout_ms;
    if (set & SET_SCAN_DELAY)
        t->scan_delay_ms = x->scan_delay_ms;
    if (set & SET_MAX_SCAN_DELAY)
        t->max_scan_delay_ms = x->max_scan_delay_ms;
    if (set & SET_MIN_PARALLELISM)
        t->min_parallelism = x->min_parallelism;
    if (set & SET_MAX_PARALLELISM)
        t->max_parallelism = x->max_parallelism;
    if (set & SET_MIN_HOSTGROUP)
        t->min_hostgroup = x->min_hostgroup;
    if (set & SET_MAX_HOSTGROUP)
        t->max_hostgroup = x->max_hostgroup;
    if (set & SET_MIN_RATE)
        t->min_rate = x->min_rate;
    if (set & SET_MAX_RATE)
        t->max_rate = x->max_rate;

    /* RTT bounds: two explicit values that contradict each other are an
     * error; an explicit value moves the template's other bound (nmap's
     * setMinRttTimeout/setMaxRttTimeout). */
    if ((set & SET_MIN_RTT) && (set & SET_MAX_RTT) && x->min_rtt_ms > x->max_rtt_ms) {
        fail("--min-rtt-timeout (%llu ms) is greater than --max-rtt-timeout (%llu ms)",
             (unsigned long long)x->min_rtt_ms, (unsigned long long)x->max_rtt_ms);
        return -1;
    }
    if (set & SET_MIN_RTT) {
        t->min_rtt_ms = x->min_rtt_ms;
        if (t->max_rtt_ms < t->min_rtt_ms)
            t->max_rtt_ms = t->min_rtt_ms;
    }
    if (set & SET_MAX_RTT) {
        t->max_rtt_ms = x->max_rtt_ms;
        if (t->min_rtt_ms > t->max_rtt_ms)
            t->min_rtt_ms = t->max_rtt_ms;
    }
    if (set & SET_INITIAL_RTT) {
        t->initial_rtt_ms = x->initial_rtt_ms;
        if ((set & SET_MAX_RTT) && t->initial_rtt_ms > t->max_rtt_ms) {
            fail("--initial-rtt-timeout (%llu ms) is greater than --max-rtt-timeout (%llu ms)",
                 (unsigned long long)t->initial_rtt_ms, (unsigned long long)t->max_rtt_ms);
            return -1;
        }
        if (t->initial_rtt_ms > t->max_rtt_ms)
            t->max_rtt_ms = t->initial_rtt_ms;
    }
    if (t->initial_rtt_ms < t->min_rtt_ms)
        t->initial_rtt_ms = t->min_rtt_ms;
    if (t->initial_rtt_ms > t->max_rtt_ms)
        t->initial_rtt_ms = t->max_rtt_ms;

    if (t->scan_delay_ms > t->max_scan_delay_ms) {
        if ((set & SET_MAX_SCAN_DELAY) && (set & SET_SCAN_DELAY)) {
            fail("--scan-delay (%llu ms) is greater than --max-scan-delay (%llu ms)",
                 (unsigned long long)t->scan_delay_ms, (unsigned long long)t->max_scan_delay_ms);
            return -1;
        }
        t->max_scan_delay_ms = t->scan_delay_ms;
    }
    if (t->min_parallelism && t->max_parallelism && t->min_parallelism > t->max_parallelism) {
        fail("--min-parallelism (%u) is greater than --max-parallelism (%u)", t->min_parallelism,
             t->max_parallelism);
        return -1;
    }
    if (t->min_hostgroup && t->max_hostgroup && t->min_hostgroup > t->max_hostgroup) {
        fail("--min-hostgroup (%u) is greater than --max-hostgroup (%u)", t->min_hostgroup,
             t->max_hostgroup);
        return -1;
    }
    if (t->min_rate > 0 && t->max_rate > 0 && t->min_rate > t->max_rate) {
        fail("--min-rate (%g) is greater than --max-rate (%g)", t->min_rate, t->max_rate);
        return -1;
    }
    return 0;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * --top-ports N (or -F) together with -p: the N most frequent ports of
 * nmap-services that -p also names, as nmap does. Rebuilt as a port spec so
 * that only the ports.h interface is used.
 */
static int top_within(struct portset *out, const struct portset *sel, const struct services *svc,
                      enum port_proto proto, size_t n)
{
    static const char prefix[PROTO_COUNT] = {'T', 'U', 'S'};
    uint16_t *all = malloc(65536 * sizeof(*all));
    uint16_t *keep = malloc(65536 * sizeof(*keep));
    char *spec = NULL;
    int rc = -1;
    if (!all || !keep) {
        fail("out of memory");
        goto out;
    }
    size_t total = services_top(svc, port_proto_ipproto(proto), 65536, all, 65536);
    size_t nkeep = 0;
    for (size_t i = 0; i < total && nkeep < n; i++)
        if (portset_contains(sel, proto, all[i]))
            keep[nkeep++] = all[i];
    if (nkeep == 0) {
        rc = 0;
        goto out;
    }
    qsort(keep, nkeep, sizeof(*keep), cmp_u16);
    char *ranges = ports_format_ranges(keep, nkeep);
    if (!ranges) {
        fail("out of memory");
        goto out;
    }
    size_t len = strlen(ranges) + 3;
    spec = malloc(len);
    if (!spec) {
        free(ranges);
        fail("out of memory");
        goto out;
    }
    snprintf(spec, len, "%c:%s", prefix[proto], ranges);
    free(ranges);
    char err[256];
    if (portset_parse(out, spec, proto, NULL, err, sizeof(err)) < 0) {
        fail("--top-ports: %s", err);
        goto out;
    }
    rc = 0;
out:
    free(all);
    free(keep);
    free(spec);
    return rc;
}

/* True if any requested scan type uses proto. */
static bool proto_scanned(const struct scan *scan, enum port_proto proto)
{
    for (size_t i = 0; i < scan->ntypes; i++)
        if (scan->types[i]->proto == proto)
            return true;
    return false;
}

static size_t scanned_ports(const struct scan *scan)
{
    size_t n = 0;
    for (int p = 0; p < PROTO_COUNT; p++)
        if (proto_scanned(scan, (enum port_proto)p))
            n += scan->ports.count[p];
    return n;
}

static int resolve_ports(struct scan *scan, const struct pending *pd)
{
    static const char *const upper[PROTO_COUNT] = {"TCP", "UDP", "SCTP"};
    char err[256];
    enum port_proto dproto = scan->types[0]->proto;
    struct portset sel = {0};
    int rc = -1;

    if (pd->fast && pd->port_spec) {
        fail("-F cannot be used with -p: use --top-ports N with -p to scan the most common "
             "ports of a range");
        return -1;
    }
    if (pd->fast && pd->top_ports) {
        fail("-F cannot be used with --top-ports: -F is --top-ports 100");
        return -1;
    }
    size_t top = pd->fast ? 100 : (size_t)pd->top_ports;

    if (pd->port_spec &&
        portset_parse(&sel, pd->port_spec, dproto, scan->services, err, sizeof(err)) < 0) {
        fail("invalid -p '%s': %s", pd->port_spec, err);
        goto out;
    }
    if (pd->port_spec && top) {
        for (int p = 0; p < PROTO_COUNT; p++)
            if (proto_scanned(scan, (enum port_proto)p) &&
                top_within(&scan->ports, &sel, scan->services, (enum port_proto)p, top) < 0)
                goto out;
    } else if (pd->port_spec) {
        scan->ports = sel;
        memset(&sel, 0, sizeof(sel));
    } else {
        if (!top)
            top = 1000; /* nmap's default scan */
        for (int p = 0; p < PROTO_COUNT; p++)
            if (proto_scanned(scan, (enum port_proto)p) &&
                portset_add_top(&scan->ports, scan->services, (enum port_proto)p, top) < 0) {
                fail("out of memory");
                goto out;
            }
    }

    if (pd->exclude_ports) {
        struct portset excl = {0};
        if (portset_parse(&excl, pd->exclude_ports, dproto, scan->services, err, sizeof(err)) < 0) {
            fail("invalid --exclude-ports '%s': %s", pd->exclude_ports, err);
            goto out;
        }
        portset_subtract(&scan->ports, &excl);
        portset_free(&excl);
    }

    if (scanned_ports(scan) == 0) {
        if (pd->exclude_ports)
            fail("no ports left to scan after --exclude-ports '%s'", pd->exclude_ports);
        else if (pd->port_spec && top)
            fail("no ports to scan: none of -p '%s' is among the %zu most common %s ports",
                 pd->port_spec, top, upper[dproto]);
        else if (pd->port_spec)
            fail("no %s ports to scan in -p '%s': -sT scans TCP (T: or no prefix)", upper[dproto],
                 pd->port_spec);
        else
            fail("no ports to scan: %s/nmap-services lists no %s ports", services_datadir(),
                 upper[dproto]);
        goto out;
    }
    rc = 0;
out:
    portset_free(&sel);
    return rc;
}

static int resolve_targets(struct scan *scan, const struct pending *pd)
{
    char err[512];
    scan->targets = target_set_new(&(struct target_opts){.family = scan->family});
    if (!scan->targets) {
        fail("out of memory");
        return -1;
    }
    for (size_t i = 0; i < pd->nwords; i++) {
        const struct target_word *w = &pd->words[i];
        int rc = w->is_file ? target_set_add_file(scan->targets, w->text, err, sizeof(err))
                            : target_set_add(scan->targets, w->text, err, sizeof(err));
        if (rc < 0) {
            fail("%s", err);
            return -1;
        }
    }
    for (size_t i = 0; i < pd->nexcludes; i++)
        if (target_set_exclude(scan->targets, pd->excludes[i], err, sizeof(err)) < 0) {
            fail("--exclude: %s", err);
            return -1;
        }
    for (size_t i = 0; i < pd->nexclude_files; i++)
        if (target_set_exclude_file(scan->targets, pd->exclude_files[i], err, sizeof(err)) < 0) {
            fail("--excludefile: %s", err);
            return -1;
        }
    if (target_set_nspecs(scan->targets) == 0) {
        if (pd->last_file && strcmp(pd->last_file, "-") == 0)
            fail("no targets in standard input (-iL -). See prtip -h");
        else if (pd->last_file)
            fail("no targets in %s. See prtip -h", pd->last_file);
        else
            fail("no targets specified. See prtip -h");
        return -1;
    }
    return 0;
}

static uint64_t random_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
        return seed;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
}

/* One option from getopt. Returns 0, 1 to stop with CLI_EXIT, or -1. */
static int handle_option(int c, const char *word, int longindex, struct scan *scan,
                         struct pending *pd)
{
    long v;
    switch (c) {
    case 1: /* a target */
        pd->words[pd->nwords++] = (struct target_word){.text = optarg};
        return 0;
    case OPT_INPUT_LIST:
        pd->words[pd->nwords++] = (struct target_word){.text = optarg, .is_file = true};
        pd->last_file = optarg;
        return 0;
    case 'i': /* "-iLfile" is -i with "Lfile" */
        if (optarg[0] == 'L' && optarg[1]) {
            pd->words[pd->nwords++] = (struct target_word){.text = optarg + 1, .is_file = true};
            pd->last_file = optarg + 1;
            return 0;
        }
        report_unknown(word);
        return -1;
    case OPT_EXCLUDE:
        pd->excludes[pd->nexcludes++] = optarg;
        return 0;
    case OPT_EXCLUDEFILE:
        pd->exclude_files[pd->nexclude_files++] = optarg;
        return 0;
    case '4':
        scan->family = 4;
        return 0;
    case '6':
        scan->family = 6;
        return 0;
    case 'n':
        scan->dns = DNS_NEVER;
        return 0;
    case 'R':
        scan->dns = DNS_ALWAYS;
        return 0;
    case 'P':
        return parse_ping(scan, optarg);
    case 's':
        return parse_scan_types(scan, optarg);
    case 'p':
        pd->port_spec = optarg;
        return 0;
    case 'F':
        pd->fast = true;
        return 0;
    case 'r':
        scan->randomize_ports = false;
        return 0;
    case OPT_TOP_PORTS:
        return parse_long("--top-ports", optarg, 1, 65536, &pd->top_ports);
    case OPT_EXCLUDE_PORTS:
        pd->exclude_ports = optarg;
        return 0;
    case 'T':
        pd->level = timing_parse_level(optarg);
        if (pd->level < 0) {
            fail("invalid timing template '-T%s': use -T0 to -T5 or paranoid, sneaky, polite, "
                 "normal, aggressive, insane",
                 optarg);
            return -1;
        }
        return 0;
    case OPT_MAX_RETRIES:
        if (parse_long("--max-retries", optarg, 0, 10000, &v) < 0)
            return -1;
        pd->t.max_retries = (int)v;
        pd->set |= SET_MAX_RETRIES;
        return 0;
    case OPT_HOST_TIMEOUT:
        pd->set |= SET_HOST_TIMEOUT;
        return parse_time("--host-timeout", optarg, &pd->t.host_timeout_ms);
    case OPT_MIN_RTT:
        pd->set |= SET_MIN_RTT;
        return parse_time("--min-rtt-timeout", optarg, &pd->t.min_rtt_ms);
    case OPT_MAX_RTT:
        pd->set |= SET_MAX_RTT;
        if (parse_time("--max-rtt-timeout", optarg, &pd->t.max_rtt_ms) < 0)
            return -1;
        if (pd->t.max_rtt_ms == 0) {
            fail("invalid --max-rtt-timeout '%s': must be greater than 0", optarg);
            return -1;
        }
        return 0;
    case OPT_INITIAL_RTT:
        pd->set |= SET_INITIAL_RTT;
        if (parse_time("--initial-rtt-timeout", optarg, &pd->t.initial_rtt_ms) < 0)
            return -1;
        if (pd->t.initial_rtt_ms == 0) {
            fail("invalid --initial-rtt-timeout '%s': must be greater than 0", optarg);
            return -1;
        }
        return 0;
    case OPT_SCAN_DELAY:
        pd->set |= SET_SCAN_DELAY;
        return parse_time("--scan-delay", optarg, &pd->t.scan_delay_ms);
    case OPT_MAX_SCAN_DELAY:
        pd->set |= SET_MAX_SCAN_DELAY;
        return parse_time("--max-scan-delay", optarg, &pd->t.max_scan_delay_ms);
    case OPT_MIN_PARALLELISM:
    case OPT_MAX_PARALLELISM:
    case OPT_MIN_HOSTGROUP:
    case OPT_MAX_HOSTGROUP: {
        const char *name = long_opts[longindex].name;
        char opt[32];
        snprintf(opt, sizeof(opt), "--%s", name);
        if (parse_long(opt, optarg, 1, 100000, &v) < 0)
            return -1;
        static const unsigned bit[] = {SET_MIN_PARALLELISM, SET_MAX_PARALLELISM, SET_MIN_HOSTGROUP,
                                       SET_MAX_HOSTGROUP};
        uint32_t *field[] = {&pd->t.min_parallelism, &pd->t.max_parallelism, &pd->t.min_hostgroup,
                             &pd->t.max_hostgroup};
        *field[c - OPT_MIN_PARALLELISM] = (uint32_t)v;
        pd->set |= bit[c - OPT_MIN_PARALLELISM];
        return 0;
    }
    case OPT_MIN_RATE:
        pd->set |= SET_MIN_RATE;
        return parse_rate("--min-rate", optarg, &pd->t.min_rate);
    case OPT_MAX_RATE:
        pd->set |= SET_MAX_RATE;
        return parse_rate("--max-rate", optarg, &pd->t.max_rate);
    case OPT_OUTPUT:
        return parse_output(scan, long_opts[longindex].name[1], optarg);
    case 'o': /* "-oXfile" is -o with "Xfile" */
        if (strcmp(word, "-o") == 0) {
            fail("-o needs a format letter: -oN, -oG, -oX, -oJ or -oA followed by a file name");
            return -1;
        }
        if (optarg[0] == '\0' || optarg[1] == '\0') {
            report_unknown(word);
            return -1;
        }
        return parse_output(scan, optarg[0], optarg + 1);
    case OPT_OPEN:
        scan->open_only = true;
        return 0;
    case OPT_REASON:
        scan->show_reason = true;
        return 0;
    case 'v':
        return parse_level_count('v', optarg, &scan->verbose);
    case 'd':
        return parse_level_count('d', optarg, &scan->debug);
    case OPT_SEED: {
        char *end;
        errno = 0;
        bool hex = optarg[0] == '0' && (optarg[1] == 'x' || optarg[1] == 'X');
        unsigned long long s = strtoull(optarg, &end, hex ? 16 : 10);
        if (optarg[0] == '\0' || optarg[0] == '-' || *end != '\0' || errno == ERANGE) {
            fail("invalid --seed '%s': expected a whole number from 0 to 2^64-1", optarg);
            return -1;
        }
        scan->seed = s;
        pd->seeded = true;
        return 0;
    }
    case 'h':
        cli_usage(stdout);
        return 1;
    case 'V':
        print_version(stdout);
        return 1;
    case OPT_NOT_IMPLEMENTED: {
        size_t len = strcspn(word, "=");
        fail("%.*s is not implemented yet. See prtip -h for what works today", (int)len, word);
        return -1;
    }
    case ':':
        fail("option '%s' requires an argument. See prtip -h", word);
        return -1;
    case '?':
        report_unknown(word);
        return -1;
    default: /* an nmap short option prtip does not have yet: -A, -O, -S ... */
        fail("-%c is not implemented yet. See prtip -h for what works today", c);
        return -1;
    }
}

static void set_log_level(const struct scan *scan)
{
    enum log_level level = LOG_WARN;
    if (scan->verbose > 0)
        level = LOG_INFO;
    if (scan->debug == 1)
        level = LOG_DEBUG;
    else if (scan->debug > 1)
        level = LOG_TRACE;
    log_set_level(level);
}

enum cli_result cli_parse(int argc, char **argv, struct scan *scan)
{
    struct pending pd = {.level = -1};
    enum cli_result res = CLI_ERROR;
    size_t cap = argc > 0 ? (size_t)argc : 1;
    pd.words = calloc(cap, sizeof(*pd.words));
    pd.excludes = calloc(cap, sizeof(*pd.excludes));
    pd.exclude_files = calloc(cap, sizeof(*pd.exclude_files));
    free(scan->args);
    scan->args = join_args(argc, argv);
    if (!pd.words || !pd.excludes || !pd.exclude_files || !scan->args) {
        fail("out of memory");
        goto out;
    }

    /* optind = 0 makes glibc start over, so cli_parse can be called again. */
    optind = 0;
    opterr = 0;
    for (;;) {
        int cur = optind ? optind : 1; /* the word getopt is about to read */
        int longindex = -1;
        int c = getopt_long_only(argc, argv, short_opts, long_opts, &longindex);
        if (c == -1)
            break;
        const char *word = cur < argc ? argv[cur] : "";
        int rc = handle_option(c, word, longindex, scan, &pd);
        if (rc > 0) {
            res = CLI_EXIT;
            goto out;
        }
        if (rc < 0)
            goto out;
    }
    for (int i = optind; i < argc; i++) /* after "--" */
        pd.words[pd.nwords++] = (struct target_word){.text = argv[i]};

    set_log_level(scan);

    if (scan->ntypes == 0 && parse_scan_types(scan, "T") < 0)
        goto out;
    if (resolve_timing(scan, &pd) < 0)
        goto out;

    char err[512];
    if (!scan->services) {
        scan->services = services_load(NULL, err, sizeof(err));
        if (!scan->services) {
            fail("%s", err);
            goto out;
        }
    }
    if (resolve_ports(scan, &pd) < 0)
        goto out;
    if (resolve_targets(scan, &pd) < 0)
        goto out;
    if (!pd.seeded)
        scan->seed = random_seed();
    res = CLI_OK;
out:
    free(pd.words);
    free(pd.excludes);
    free(pd.exclude_files);
    return res;
}
