/*
 * cli.c — nmap's command line (nmap(1) "Options Summary") into a struct config.
 *
 * Parsing is getopt_long_only, as nmap does it: "-sT" is -s with "T", "-T4"
 * is -T with "4", "-Pn" is -P with "n"; "-oX FILE", "-iL FILE" are single-dash
 * long options taking the next word. Values are only collected during the
 * getopt pass; everything that depends on other options (the -T template
 * under explicit timing, -4/-6 given after the targets, -p under
 * --top-ports, the default scan type) is resolved once the whole line has
 * been read, in cli_apply.c.
 */
#include "cli/cli.h"
#include "cli/cli_internal.h"
#include "core/log.h"
#include "core/permute.h"
#include "core/shard_env.h"
#include "net/iflist.h"
#include "net/io.h"
#include "output/output.h"
#include "scan/scan_module.h"
#include "scan/tcp_classify.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Values of long options without a short letter. */
enum {
    OPT_EXCLUDE = 256,
    OPT_EXCLUDEFILE,
    OPT_INPUT_LIST,
    OPT_TOP_PORTS,
    OPT_EXCLUDE_PORTS,
    OPT_TIMING, /* --max-retries, --host-timeout, ... --max-rate (cli_timing.c) */
    OPT_OUTPUT, /* the output_modules[] options, -oA (and nmap's -oS -oM -oH) */
    OPT_HELP_MAN_LISTS,
    OPT_OPEN,
    OPT_REASON,
    OPT_SEED,
    OPT_SCANFLAGS,
    OPT_RATE,
    OPT_SHARD,
    OPT_DRY_RUN,
    OPT_PACKET_CAPTURE,
    OPT_PACKET_TRACE,
    OPT_WAIT,
    OPT_STATS_EVERY,
    OPT_SEND_METHOD,
    OPT_SENDER_THREADS,
    OPT_RECV_METHOD,
    OPT_DISABLE_ARP,
    OPT_DATADIR,
    OPT_IFLIST,
    OPT_APPEND_OUTPUT,
    OPT_STYLESHEET,
    OPT_WEBXML,
    OPT_NO_STYLESHEET,
    OPT_NONINTERACTIVE,
    OPT_SEND_ETH,
    OPT_SEND_IP,
    OPT_PRIVILEGED,
    OPT_UNPRIVILEGED,
    OPT_SYSTEM_DNS,
    OPT_OS, /* --osscan-guess, --fuzzy, --osscan-limit, --max-os-tries, --os-db, --os-passive */
    OPT_VERSION,         /* --version-intensity, --version-light, ... --allports (cli_version.c) */
    OPT_STORE,           /* --db, --db-default, --db-job (cli_store.c) */
    OPT_NOT_IMPLEMENTED, /* cli_missing_opts[]: nmap options prtip does not have yet */
};

/* nmap's short options; the leading "-" keeps targets in command-line order
 * (returned as 1) and ":" lets us word the errors ourselves. */
static const char short_opts[] = "-:46Ab:D:d::e:Ffg:hIi:M:m:nO::o:P:p:qRrS:s:T:Vv::";

static const struct option long_opts[] = {
    /* Target specification. */
    {"iL", required_argument, NULL, OPT_INPUT_LIST},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"excludefile", required_argument, NULL, OPT_EXCLUDEFILE},
    /* Host discovery. */
    {"disable-arp-ping", no_argument, NULL, OPT_DISABLE_ARP},
    /* Ports. */
    {"top-ports", required_argument, NULL, OPT_TOP_PORTS},
    {"exclude-ports", required_argument, NULL, OPT_EXCLUDE_PORTS},
    /* Service/version detection (-sV is a -s letter, -A a short option). */
    {"version-intensity", required_argument, NULL, OPT_VERSION},
    {"version-light", no_argument, NULL, OPT_VERSION},
    {"version-all", no_argument, NULL, OPT_VERSION},
    {"version-trace", no_argument, NULL, OPT_VERSION},
    {"version-timeout", required_argument, NULL, OPT_VERSION},
    {"versiondb", required_argument, NULL, OPT_VERSION},
    {"allports", no_argument, NULL, OPT_VERSION},
    /* Timing. */
    {"max-retries", required_argument, NULL, OPT_TIMING},
    {"host-timeout", required_argument, NULL, OPT_TIMING},
    {"min-rtt-timeout", required_argument, NULL, OPT_TIMING},
    {"max-rtt-timeout", required_argument, NULL, OPT_TIMING},
    {"initial-rtt-timeout", required_argument, NULL, OPT_TIMING},
    {"min-parallelism", required_argument, NULL, OPT_TIMING},
    {"max-parallelism", required_argument, NULL, OPT_TIMING},
    {"min-hostgroup", required_argument, NULL, OPT_TIMING},
    {"max-hostgroup", required_argument, NULL, OPT_TIMING},
    {"scan-delay", required_argument, NULL, OPT_TIMING},
    {"max-scan-delay", required_argument, NULL, OPT_TIMING},
    {"min-rate", required_argument, NULL, OPT_TIMING},
    {"max-rate", required_argument, NULL, OPT_TIMING},
    {"osscan-guess", no_argument, NULL, OPT_OS},
    {"fuzzy", no_argument, NULL, OPT_OS},
    {"osscan-limit", no_argument, NULL, OPT_OS},
    {"os-passive", no_argument, NULL, OPT_OS},
    {"max-os-tries", required_argument, NULL, OPT_OS},
    {"os-db", required_argument, NULL, OPT_OS},
    /* Output. */
    /* Plus one "o<letter>" per output_modules[] row, added by
     * build_long_opts; -oA and nmap's formats prtip lacks are here. */
    {"oA", required_argument, NULL, OPT_OUTPUT},
    {"oS", required_argument, NULL, OPT_OUTPUT},
    {"oM", required_argument, NULL, OPT_OUTPUT},
    {"oH", required_argument, NULL, OPT_OUTPUT},
    {"open", no_argument, NULL, OPT_OPEN},
    {"reason", no_argument, NULL, OPT_REASON},
    /* Raw scans (nmap, masscan and ZMap spellings). */
    {"scanflags", required_argument, NULL, OPT_SCANFLAGS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"packet-capture", required_argument, NULL, OPT_PACKET_CAPTURE},
    {"packet-trace", no_argument, NULL, OPT_PACKET_TRACE},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"source-port", required_argument, NULL, 'g'},
    {"send-method", required_argument, NULL, OPT_SEND_METHOD},
    {"sender-threads", required_argument, NULL, OPT_SENDER_THREADS},
    {"recv-method", required_argument, NULL, OPT_RECV_METHOD},
    {"send-eth", no_argument, NULL, OPT_SEND_ETH},
    {"send-ip", no_argument, NULL, OPT_SEND_IP},
    {"privileged", no_argument, NULL, OPT_PRIVILEGED},
    {"unprivileged", no_argument, NULL, OPT_UNPRIVILEGED},
    /* Output. */
    {"append-output", no_argument, NULL, OPT_APPEND_OUTPUT},
    {"stylesheet", required_argument, NULL, OPT_STYLESHEET},
    {"webxml", no_argument, NULL, OPT_WEBXML},
    {"no-stylesheet", no_argument, NULL, OPT_NO_STYLESHEET},
    /* Storage (src/store). */
    {"db", required_argument, NULL, OPT_STORE},
    {"db-default", no_argument, NULL, OPT_STORE},
    {"db-job", required_argument, NULL, OPT_STORE},
    /* DNS. */
    {"system-dns", no_argument, NULL, OPT_SYSTEM_DNS},
    /* Misc (nmap's spellings of -T, -v and -d too). */
    {"datadir", required_argument, NULL, OPT_DATADIR},
    {"iflist", no_argument, NULL, OPT_IFLIST},
    {"noninteractive", no_argument, NULL, OPT_NONINTERACTIVE},
    {"timing", required_argument, NULL, 'T'},
    {"verbose", no_argument, NULL, 'v'},
    {"debug", optional_argument, NULL, 'd'},
    {"stats-every", required_argument, NULL, OPT_STATS_EVERY},
    {"seed", required_argument, NULL, OPT_SEED},
    {"help", no_argument, NULL, 'h'},
    {"help-man-lists", no_argument, NULL, OPT_HELP_MAN_LISTS}, /* hidden: docs/prtip.1 check */
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

int cli_parse_long(const char *opt, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (text[0] == '\0' || text[0] == ' ' || *end != '\0' || errno == ERANGE || v < min ||
        v > max) {
        cli_fail("invalid %s '%s': expected a whole number from %ld to %ld", opt, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_time(const char *opt, const char *text, uint64_t *out)
{
    char err[256];
    if (timing_parse_time(text, out, err, sizeof(err)) < 0) {
        cli_fail("invalid %s: %s", opt, err);
        return -1;
    }
    return 0;
}

int cli_parse_positive_time(const char *opt, const char *text, uint64_t *out)
{
    if (cli_parse_time(opt, text, out) < 0)
        return -1;
    if (*out == 0) {
        cli_fail("invalid %s '%s': must be greater than 0 (e.g. 500ms)", opt, text);
        return -1;
    }
    return 0;
}

int cli_parse_rate(const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) || v <= 0) {
        cli_fail("invalid %s '%s': expected a packet rate per second greater than 0 (e.g. 100 or "
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
    if (cli_parse_long(opt, arg, 0, 10, &v) < 0)
        return -1;
    *level = (int)v;
    return 0;
}

/* The first option given that only the raw engine reads. */
static void note_raw_only(struct pending *pd, const char *opt)
{
    if (!pd->raw_only)
        pd->raw_only = opt;
}

/*
 * --send-method / --recv-method names, mapped to enum send_method /
 * enum recv_method of net/io.h (the same mapping as send_method_parse and
 * recv_method_parse there, kept here so the command line does not depend
 * on the I/O back ends being linked).
 */
static int parse_method(const char *opt, const char *text, const char *const names[], size_t count,
                        int *out)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    char list[128] = "";
    for (size_t i = 0; i < count; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s",
                 i ? (i + 1 == count ? " or " : ", ") : "", names[i]);
    }
    cli_fail("invalid %s '%s': use %s", opt, text, list);
    return -1;
}

/* -e: a Linux interface name (dev_valid_name: 1-15 bytes, no '/', ':' or
 * blanks, not "." or ".."). */
static int parse_iface(struct config *scan, const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len >= sizeof(scan->raw.iface)) {
        cli_fail("invalid -e '%s': an interface name is 1 to %zu characters (e.g. eth0; see ip "
                 "link)",
                 text, sizeof(scan->raw.iface) - 1);
        return -1;
    }
    if (strcmp(text, ".") == 0 || strcmp(text, "..") == 0 || strpbrk(text, "/: \t\n\v\f\r")) {
        cli_fail("invalid -e '%s': an interface name has no '/', ':' or blanks (e.g. eth0; see ip "
                 "link)",
                 text);
        return -1;
    }
    memcpy(scan->raw.iface, text, len + 1);
    return 0;
}

/* nmap's --webxml stylesheet: written into the XML as a string, never fetched. */
#define NMAP_WEBXML_XSL "https://svn.nmap.org/nmap/docs/nmap.xsl"

/* --stylesheet HREF / --webxml (href non-NULL) or --no-stylesheet (NULL):
 * each replaces what an earlier one set, as nmap's setXSLStyleSheet. */
static int set_stylesheet(struct config *scan, const char *href)
{
    if (href && !*href) {
        cli_fail("invalid --stylesheet '': give a path or URL of an XSL file, or use "
                 "--no-stylesheet");
        return -1;
    }
    char *copy = href ? strdup(href) : NULL;
    if (href && !copy) {
        cli_fail("out of memory");
        return -1;
    }
    free(scan->stylesheet);
    scan->stylesheet = copy;
    scan->no_stylesheet = href == NULL;
    return 0;
}

/* The command line as typed, for output headers (nmap's args=), with the
 * password of a --db URL cut out (it would reach every output and the
 * database). */
static char *join_args(int argc, char **argv)
{
    char **words = calloc((size_t)argc + 1, sizeof(*words));
    if (!words)
        return NULL;
    size_t len = 1;
    bool ok = true;
    for (int i = 0; i < argc; i++) {
        bool url = (i > 0 && strcmp(argv[i - 1], "--db") == 0) || strncmp(argv[i], "--db=", 5) == 0;
        words[i] = url ? store_redact_target(argv[i]) : strdup(argv[i]);
        ok &= words[i] != NULL;
        len += words[i] ? strlen(words[i]) + 1 : 0;
    }
    char *s = ok ? malloc(len) : NULL;
    if (s) {
        char *p = s;
        *p = '\0';
        for (int i = 0; i < argc; i++) {
            size_t n = strlen(words[i]);
            if (i)
                *p++ = ' ';
            memcpy(p, words[i], n);
            p += n;
            *p = '\0';
        }
    }
    for (int i = 0; i < argc; i++)
        free(words[i]);
    free(words);
    return s;
}

/* For an unknown word: is it an abbreviation of several long options? */
static void report_unknown(const struct option *opts, const char *word)
{
    const char *name = word + strspn(word, "-");
    size_t len = strcspn(name, "=");
    size_t matches = 0;
    char list[256] = "";
    for (const struct option *o = opts; o->name && len > 0; o++) {
        if (strncmp(o->name, name, len) != 0)
            continue;
        if (strlen(o->name) == len)
            return (void)cli_fail("unrecognized option '%s'. See prtip -h", word);
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s--%s", matches ? ", " : "", o->name);
        matches++;
    }
    if (matches > 1)
        cli_fail("ambiguous option '%s': could be %s", word, list);
    else
        cli_fail("unrecognized option '%s'. See prtip -h", word);
}

/* One option from getopt. Returns 0, 1 to stop with CLI_EXIT, or -1. */
static int handle_option(const struct option *opts, int c, const char *word, int longindex,
                         struct config *scan, struct pending *pd)
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
        report_unknown(opts, word);
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
        return cli_parse_ping(scan, pd, optarg);
    case OPT_DISABLE_ARP:
        pd->disable_arp = true;
        return 0;
    case 's':
        return cli_parse_scan_types(scan, pd, optarg);
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
        return cli_parse_long("--top-ports", optarg, 1, 65536, &pd->top_ports);
    case OPT_EXCLUDE_PORTS:
        pd->exclude_ports = optarg;
        return 0;
    case 'T':
    case OPT_TIMING:
        return cli_timing_option(pd, c == 'T' ? "T" : opts[longindex].name, optarg);
    case OPT_OUTPUT:
        return cli_parse_output(scan, opts[longindex].name[1], optarg);
    case 'o': /* "-oXfile" is -o with "Xfile" */
        if (strcmp(word, "-o") == 0) {
            char hint[160];
            cli_fail("-o needs a format letter: %s followed by a file name",
                     cli_output_options(hint, sizeof(hint)));
            return -1;
        }
        if (optarg[0] == '\0' || optarg[1] == '\0') {
            report_unknown(opts, word);
            return -1;
        }
        return cli_parse_output(scan, optarg[0], optarg + 1);
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
    case OPT_SCANFLAGS: {
        char err[256];
        uint8_t flags;
        if (tcp_scanflags_parse(optarg, &flags, err, sizeof(err)) < 0) {
            cli_fail("%s", err);
            return -1;
        }
        scan->raw.scanflags = flags;
        return 0;
    }
    case OPT_RATE:
        note_raw_only(pd, "--rate");
        return cli_parse_rate("--rate", optarg, &scan->raw.rate);
    case OPT_SHARD: {
        char err[256];
        char src[128];
        note_raw_only(pd, "--shard");
        int a = shard_from_scheduler(optarg, &scan->raw.shard, &scan->raw.nshards, src, sizeof(src),
                                     err, sizeof(err));
        if (a < 0) {
            cli_fail("%s", err);
            return -1;
        }
        if (a == 0) {
            pd->shard_auto = true;
            log_debug("cli", "--shard %s: shard %u/%u from %s", optarg, scan->raw.shard + 1,
                      scan->raw.nshards, src);
            return 0;
        }
        if (permute_parse_shard(optarg, &scan->raw.shard, &scan->raw.nshards, err, sizeof(err)) <
            0) {
            cli_fail("%s", err);
            return -1;
        }
        return 0;
    }
    case OPT_DRY_RUN:
        note_raw_only(pd, "--dry-run");
        scan->raw.dry_run = true;
        return 0;
    case OPT_WAIT: {
        uint64_t ms;
        note_raw_only(pd, "--wait");
        if (cli_parse_time("--wait", optarg, &ms) < 0)
            return -1;
        scan->raw.wait_s = (double)ms / 1000.0;
        return 0;
    }
    case OPT_STATS_EVERY:
        if (cli_parse_time("--stats-every", optarg, &scan->raw.stats_every_ms) < 0)
            return -1;
        if (scan->raw.stats_every_ms == 0) {
            cli_fail("invalid --stats-every '%s': must be greater than 0 (e.g. 10s)", optarg);
            return -1;
        }
        return 0;
    case OPT_SEND_METHOD: {
        static const char *const names[] = {
            [SEND_AUTO] = "auto",
            [SEND_RAW] = "raw",
            [SEND_PACKET_MMSG] = "packet",
            [SEND_PACKET_RING] = "ring",
        };
        int m;
        note_raw_only(pd, "--send-method");
        if (parse_method("--send-method", optarg, names, sizeof(names) / sizeof(names[0]), &m) < 0)
            return -1;
        scan->raw.send_method = (enum send_method)m;
        return 0;
    }
    case OPT_SENDER_THREADS: {
        long n;
        note_raw_only(pd, "--sender-threads");
        if (cli_parse_long("--sender-threads", optarg, 1, 16, &n) < 0)
            return -1;
        scan->raw.sender_threads = (int)n;
        return 0;
    }
    case OPT_RECV_METHOD: {
        static const char *const names[] = {
            [RECV_AUTO] = "auto",
            [RECV_RING] = "ring",
            [RECV_PCAP] = "pcap",
            [RECV_SOCKET] = "socket",
        };
        int m;
        note_raw_only(pd, "--recv-method");
        if (parse_method("--recv-method", optarg, names, sizeof(names) / sizeof(names[0]), &m) < 0)
            return -1;
        scan->raw.recv_method = (enum recv_method)m;
        return 0;
    }
    case 'e':
        note_raw_only(pd, "-e");
        return parse_iface(scan, optarg);
    case 'S':
        note_raw_only(pd, "-S");
        if (ipaddr_parse(optarg, &scan->raw.src) < 0) {
            cli_fail("invalid -S '%s': expected a numeric IPv4 or IPv6 source address (e.g. "
                     "198.18.0.1)",
                     optarg);
            return -1;
        }
        scan->raw.have_src = true;
        pd->src_text = optarg;
        return 0;
    case 'g':
        note_raw_only(pd, longindex >= 0 ? "--source-port" : "-g");
        if (cli_parse_long(longindex >= 0 ? "--source-port" : "-g", optarg, 0, 65535, &v) < 0)
            return -1;
        scan->raw.src_port = (int)v;
        return 0;
    case OPT_SEED: {
        char *end;
        errno = 0;
        bool hex = optarg[0] == '0' && (optarg[1] == 'x' || optarg[1] == 'X');
        unsigned long long s = strtoull(optarg, &end, hex ? 16 : 10);
        if (optarg[0] == '\0' || optarg[0] == '-' || *end != '\0' || errno == ERANGE) {
            cli_fail("invalid --seed '%s': expected a whole number from 0 to 2^64-1", optarg);
            return -1;
        }
        scan->seed = s;
        pd->seeded = true;
        return 0;
    }
    case 'h':
        cli_usage(stdout);
        return 1;
    case OPT_HELP_MAN_LISTS:
        cli_man_lists(stdout);
        return 1;
    case 'V':
        cli_print_version(stdout);
        return 1;
    case OPT_SEND_ETH: /* nmap: send at the Ethernet layer = a packet socket */
    case OPT_SEND_IP:  /* nmap: send through raw IP sockets */
        note_raw_only(pd, c == OPT_SEND_ETH ? "--send-eth" : "--send-ip");
        scan->raw.send_method = c == OPT_SEND_ETH ? SEND_PACKET_MMSG : SEND_RAW;
        pd->send_ip = c == OPT_SEND_IP;
        return 0;
    case OPT_PRIVILEGED:
    case OPT_UNPRIVILEGED:
        pd->privileged = c == OPT_PRIVILEGED;
        return 0;
    case OPT_APPEND_OUTPUT:
        pd->append_output = true;
        return 0;
    case OPT_STYLESHEET:
    case OPT_WEBXML:
    case OPT_NO_STYLESHEET:
        return set_stylesheet(scan, c == OPT_STYLESHEET ? optarg
                                    : c == OPT_WEBXML   ? NMAP_WEBXML_XSL
                                                        : NULL);
    case OPT_SYSTEM_DNS: /* reverse DNS goes through getnameinfo() already */
        return 0;
    case OPT_NONINTERACTIVE: /* no key-press handling exists yet to turn off */
        scan->noninteractive = true;
        return 0;
    case OPT_IFLIST:
        pd->iflist = true;
        return 0;
    case OPT_DATADIR:
        if (optarg[0] == '\0') {
            cli_fail("invalid --datadir '': give a directory holding nmap's data files");
            return -1;
        }
        if (cli_set_string(&scan->datadir, optarg) < 0)
            return -1;
        scan->raw.datadir = scan->datadir;
        return 0;
    case OPT_PACKET_TRACE:
        scan->packet_trace = true;
        return 0;
    case OPT_PACKET_CAPTURE:
        if (optarg[0] == '\0') {
            cli_fail("invalid --packet-capture '': give a file name for the PCAPNG capture");
            return -1;
        }
        free(scan->packet_capture);
        scan->packet_capture = strdup(optarg);
        if (!scan->packet_capture) {
            cli_fail("out of memory");
            return -1;
        }
        return 0;
    case 'O':
    case OPT_OS:
        return cli_os_option(scan, c == 'O' ? "O" : opts[longindex].name, optarg);
    case 'A': /* nmap: -sV -O -sC --traceroute; prtip has -sV and -O of these so far */
        scan->version.enabled = true;
        pd->aggressive = true;
        return cli_os_option(scan, "O", NULL);
    case OPT_VERSION:
        return cli_version_option(scan, pd, opts[longindex].name, optarg);
    case OPT_STORE:
        return cli_store_option(scan, opts[longindex].name, optarg);
    case OPT_NOT_IMPLEMENTED: {
        const struct cli_missing *m = cli_missing_find(opts[longindex].name);
        size_t len = strcspn(word, "=");
        if (strcmp(opts[longindex].name, "resume") == 0) { /* main.c takes it, alone */
            cli_fail("--resume FILE must be the only option (the scan's options are in FILE)");
            return -1;
        }
        cli_fail("%.*s is not implemented yet: %s. See prtip -h for what works today", (int)len,
                 word, m ? m->why : "planned");
        return -1;
    }
    case ':':
        cli_fail("option '%s' requires an argument. See prtip -h", word);
        return -1;
    case '?':
        report_unknown(opts, word);
        return -1;
    default: /* an nmap short option prtip does not have yet: -O, -D ... */
        cli_fail("-%c is not implemented yet. See prtip -h for what works today", c);
        return -1;
    }
}

/*
 * long_opts plus "oN", "oX", ... for every output_modules[] row with an
 * option, so that "-oX file" is a long option taking the next word whatever
 * letters the table holds, plus every cli_missing_opts[] row (refused by
 * name). Returns a calloc'd array the caller frees, or NULL on allocation
 * failure.
 */
static struct option *build_long_opts(void)
{
    size_t nbase = 0, nmods = 0, nmissing = 0;
    while (long_opts[nbase].name)
        nbase++;
    while (output_modules[nmods])
        nmods++;
    while (cli_missing_opts[nmissing].name)
        nmissing++;
    struct option *opts = calloc(nbase + nmods + nmissing + 1, sizeof(*opts));
    if (!opts)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < nmods; i++)
        if (output_modules[i]->option[0] == '-')
            opts[n++] =
                (struct option){output_modules[i]->option + 1, required_argument, NULL, OPT_OUTPUT};
    memcpy(opts + n, long_opts, nbase * sizeof(*opts));
    n += nbase;
    for (size_t i = 0; i < nmissing; i++)
        opts[n++] = (struct option){cli_missing_opts[i].name, cli_missing_opts[i].has_arg, NULL,
                                    OPT_NOT_IMPLEMENTED};
    return opts;
}

enum cli_result cli_parse(int argc, char **argv, struct config *scan)
{
    struct pending pd = {.level = -1, .privileged = -1};
    enum cli_result res = CLI_ERROR;
    size_t cap = argc > 0 ? (size_t)argc : 1;
    pd.words = calloc(cap, sizeof(*pd.words));
    pd.excludes = calloc(cap, sizeof(*pd.excludes));
    pd.exclude_files = calloc(cap, sizeof(*pd.exclude_files));
    struct option *opts = build_long_opts();
    free(scan->args);
    scan->args = join_args(argc, argv);
    if (!pd.words || !pd.excludes || !pd.exclude_files || !opts || !scan->args) {
        cli_fail("out of memory");
        goto out;
    }

    if (argc <= 1) {
        /* No arguments: the usage text, as nmap prints its own (nmap exits
         * 255 then; a usage error is 1 here). */
        cli_usage(stdout);
        goto out;
    }
    /* optind = 0 makes glibc start over, so cli_parse can be called again. */
    optind = 0;
    opterr = 0;
    for (;;) {
        int cur = optind ? optind : 1; /* the word getopt is about to read */
        int longindex = -1;
        int c = getopt_long_only(argc, argv, short_opts, opts, &longindex);
        if (c == -1)
            break;
        const char *word = cur < argc ? argv[cur] : "";
        int rc = handle_option(opts, c, word, longindex, scan, &pd);
        if (rc > 0) {
            res = CLI_EXIT;
            goto out;
        }
        if (rc < 0)
            goto out;
    }
    for (int i = optind; i < argc; i++) /* after "--" */
        pd.words[pd.nwords++] = (struct target_word){.text = argv[i]};
    if (pd.iflist) {
        /* nmap prints the tables and exits, whatever else is asked. */
        char err[256];
        if (iflist_print(stdout, err, sizeof(err)) < 0) {
            cli_fail("--iflist: %s", err);
            goto out;
        }
        res = CLI_EXIT;
        goto out;
    }

    if (cli_apply(scan, &pd) < 0)
        goto out;
    res = CLI_OK;
out:
    free(pd.words);
    free(pd.excludes);
    free(pd.exclude_files);
    free(opts);
    return res;
}
