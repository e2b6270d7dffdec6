/*
 * cli_internal.h — private to src/cli: what the getopt pass (cli.c)
 * collects and hands to the post-parse stage (cli_apply.c), which resolves
 * everything that depends on other options once the whole line is read.
 */
#ifndef PRTIP_CLI_CLI_INTERNAL_H
#define PRTIP_CLI_CLI_INTERNAL_H

#include "cli/cli.h"
#include "cli/config.h"
#include "core/timing.h"
#include "scan/disc_modules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

    bool seeded;     /* --seed given */
    bool shard_auto; /* --shard auto: the shard came from a scheduler */

    /* Raw-engine options (values already in scan->raw). raw_only names the
     * first option given that only the raw engine understands ("--rate"),
     * NULL if none; src_text is -S as typed, for messages. */
    const char *raw_only;
    const char *src_text;

    /* Host discovery, indexed by enum disc_probe (scan/disc_modules.h).
     * Port lists (-PS/-PA/-PU) are parsed once nmap-services is loaded
     * (they may name services); NULL = not given, "" = the option without
     * a list (nmap's default ports). */
    const char *ping_ports[DISC_PROBE_COUNT];
    bool arp_explicit;    /* -PR */
    bool send_ip;         /* --send-ip: no ARP/ND at all, as nmap */
    bool disable_arp;     /* --disable-arp-ping */
    const char *udp_type; /* "-sU" when given, for messages */

    /* -sV options: the long name (no dashes) of the last given, for
     * "needs -sV"; aggressive is -A. */
    const char *version_opt;
    bool aggressive;

    int privileged;     /* --privileged 1, --unprivileged 0, -1 = from geteuid() */
    bool iflist;        /* --iflist: print interfaces and routes, then exit */
    bool append_output; /* --append-output */
};

/*
 * An option of nmap's command line that prtip does not have yet
 * (cli_nmap.c): accepted by getopt under its own name so that the refusal
 * names it ("--ttl is not implemented yet: <why>"), never "unrecognized".
 * why is one short clause: what is missing and what works today.
 */
struct cli_missing {
    const char *name; /* long option name without dashes: "ttl" */
    int has_arg;      /* getopt's no_argument / required_argument */
    const char *why;
};

/* NULL-terminated; the only list of refused nmap options. */
extern const struct cli_missing cli_missing_opts[];

/* The row for a long option name (no dashes), or NULL. */
const struct cli_missing *cli_missing_find(const char *name);

/* Print "prtip: <message>" on stderr; returns CLI_ERROR for tail calls. */
enum cli_result cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Option values (cli.c). opt is the option as the user is told of it
 * ("--max-retries"), text its argument. Each returns 0, or -1 after one
 * cli_fail line naming opt and text.
 *
 * cli_parse_long: a strict base-10 integer in [min, max]; the whole text
 * must be the number (no leading space, no trailing junk, no overflow).
 * cli_parse_time: an nmap time (timing_parse_time in core/timing.h:
 * "500ms", "1.5s", "30m", a bare number is seconds) into *out in ms;
 * cli_parse_positive_time: the same, and it must be greater than 0.
 * cli_parse_rate: a rate in packets per second, finite and greater than 0
 * ("100", "0.5").
 */
/*
 * Replace the option string *field (owned, may be NULL) with a copy of
 * value. Returns 0, or -1 after cli_fail("out of memory") with *field
 * unchanged.
 */
int cli_set_string(char **field, const char *value);

int cli_parse_long(const char *opt, const char *text, long min, long max, long *out);
int cli_parse_time(const char *opt, const char *text, uint64_t *out);
int cli_parse_positive_time(const char *opt, const char *text, uint64_t *out);
int cli_parse_rate(const char *opt, const char *text, double *out);

/* -s<letters> (cli_types.c): scan types by their scan_modules[] options,
 * plus -sn and -sL. Returns 0, or -1 after printing one error line. */
int cli_parse_scan_types(struct config *scan, struct pending *pd, const char *letters);

/* -o<fmt> <path> (cli_types.c): an output_modules[] option, or -oA <base>
 * for every module with an -oA extension. Returns 0, or -1 after printing
 * one error line. */
int cli_parse_output(struct config *scan, char fmt, const char *path);

/*
 * "-oN, -oX, ... or -oA", "-sT, -sS, ... or -sL", "-PE, ... or -Pn": the
 * options of a table as a hint, into buf (always NUL-terminated, cut short
 * if too small). Returns buf.
 */
const char *cli_output_options(char *buf, size_t len);
const char *cli_scan_options(char *buf, size_t len);
const char *cli_ping_options(char *buf, size_t len);

/* -P<x> (cli_disc.c): -Pn, -PE/-PP/-PM/-PR, -PS/-PA/-PU[ports]. Returns 0,
 * or -1 after printing one error line with cli_fail(). */
int cli_parse_ping(struct config *scan, struct pending *pd, const char *arg);

/*
 * Host discovery after the getopt pass (cli_disc.c): the -PS/-PA/-PU port
 * lists, nmap's default probe set when no -P probe was given, ARP/ND
 * (-PR, --disable-arp-ping), and -sn/-sL against the other options.
 * Returns 0, or -1 after printing one error line with cli_fail().
 */
int cli_resolve_discovery(struct config *scan, const struct pending *pd);

/*
 * Everything after the getopt pass: log level, the default scan type (-sS
 * as root or with raw-only options, else -sT, as nmap), raw option checks
 * (-S against -4/-6, --scanflags against -sT), the -T template under the
 * explicit timing options, nmap-services, ports, targets and the seed.
 * Returns 0, or -1 after printing one error line with cli_fail().
 */
int cli_apply(struct config *scan, const struct pending *pd);

/*
 * nmap's timing options (cli_timing.c): name is "T" (-T, --timing) or the
 * long option's name ("max-retries", "host-timeout", "min-rtt-timeout",
 * "max-rtt-timeout", "initial-rtt-timeout", "scan-delay", "max-scan-delay",
 * "min-parallelism", "max-parallelism", "min-hostgroup", "max-hostgroup",
 * "min-rate", "max-rate"), arg its argument. Records the level or the value
 * and its SET_* bit in pd. Returns 0, or -1 after cli_fail.
 */
int cli_timing_option(struct pending *pd, const char *name, const char *arg);

/* After parsing: the -T template into scan->timing, the explicit values
 * over it, then their combination checked as nmap does (RTT bounds moved
 * by an explicit one, contradictions refused). Returns 0, or -1 after
 * cli_fail. */
int cli_resolve_timing(struct config *scan, const struct pending *pd);

/*
 * nmap's OS detection options (cli_os.c): name is "O" or the long option's
 * name ("osscan-guess", "fuzzy", "osscan-limit", "max-os-tries", "os-db"),
 * arg its argument (NULL when it takes none). Returns 0, or -1 after
 * cli_fail.
 */
int cli_os_option(struct config *scan, const char *name, const char *arg);

/* After parsing: the OS options that need -O, and -O's need for raw
 * packets. Returns 0, or -1 after cli_fail. */
int cli_os_check(const struct config *scan);

/*
 * nmap's service/version detection options (cli_version.c): name is the
 * long option's name ("version-intensity", "version-light", "version-all",
 * "version-trace", "version-timeout", "versiondb", "allports"; it must
 * outlive pd, as getopt's table does), arg its argument (NULL when it takes
 * none). Records name in pd->version_opt. Returns 0, or -1 after cli_fail.
 */
int cli_version_option(struct config *scan, struct pending *pd, const char *name, const char *arg);

/* After parsing: the -sV options that need -sV (or -A), and -sV's need for
 * a port scan that sends (not -sn, -sL, --dry-run). Returns 0, or -1 after
 * cli_fail. */
int cli_version_check(const struct config *scan, const struct pending *pd);

/*
 * Scan storage options (cli_store.c): name is the long option's name
 * ("db", "db-default", "db-job"), arg its argument (NULL for db-default).
 * Returns 0, or -1 after cli_fail.
 */
int cli_store_option(struct config *scan, const char *name, const char *arg);

/* After parsing: --db against --db-default, --db-job without a database,
 * either with --dry-run. Returns 0, or -1 after cli_fail. */
int cli_store_check(const struct config *scan);

#endif
