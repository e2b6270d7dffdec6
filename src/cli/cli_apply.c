/*
 * cli_apply.c — the post-parse stage of the command line: everything that
 * depends on other options (the -T template under explicit timing, -4/-6
 * given after the targets, -p under --top-ports, the default scan type,
 * -S against -4/-6) is resolved here once the whole line has been read.
 */
#include "cli/cli_internal.h"
#include "core/datafile.h"
#include "core/log.h"
#include "core/shard_env.h"
#include "scan/scan_module.h"
#include "scan/udp_payloads.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int cli_set_string(char **field, const char *value)
{
    char *copy = strdup(value);
    if (!copy) {
        cli_fail("out of memory");
        return -1;
    }
    free(*field);
    *field = copy;
    return 0;
}

enum cli_result cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_ERROR, "cli", fmt, ap);
    va_end(ap);
    return CLI_ERROR;
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
        cli_fail("out of memory");
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
        cli_fail("out of memory");
        goto out;
    }
    size_t len = strlen(ranges) + 3;
    spec = malloc(len);
    if (!spec) {
        free(ranges);
        cli_fail("out of memory");
        goto out;
    }
    snprintf(spec, len, "%c:%s", prefix[proto], ranges);
    free(ranges);
    char err[256];
    if (portset_parse(out, spec, proto, NULL, err, sizeof(err)) < 0) {
        cli_fail("--top-ports: %s", err);
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
static bool proto_scanned(const struct config *scan, enum port_proto proto)
{
    for (size_t i = 0; i < scan->ntypes; i++)
        if (scan->types[i]->proto == proto)
            return true;
    return false;
}

static size_t scanned_ports(const struct config *scan)
{
    size_t n = 0;
    for (int p = 0; p < PROTO_COUNT; p++)
        if (proto_scanned(scan, (enum port_proto)p))
            n += scan->ports.count[p];
    return n;
}

static int resolve_ports(struct config *scan, const struct pending *pd)
{
    static const char *const upper[PROTO_COUNT] = {"TCP", "UDP", "SCTP"};
    char err[256];
    enum port_proto dproto = scan->types[0]->proto;
    struct portset sel = {0};
    int rc = -1;

    if (pd->fast && pd->port_spec) {
        cli_fail("-F cannot be used with -p: use --top-ports N with -p to scan the most common "
                 "ports of a range");
        return -1;
    }
    if (pd->fast && pd->top_ports) {
        cli_fail("-F cannot be used with --top-ports: -F is --top-ports 100");
        return -1;
    }
    size_t top = pd->fast ? 100 : (size_t)pd->top_ports;

    /* Ports without a prefix belong to every scanned protocol, as nmap's
     * "-sSU -p 53" scans TCP and UDP 53: parse once per protocol (parsing
     * merges; prefixed ports come out the same each time). */
    for (int p = 0; p < PROTO_COUNT && pd->port_spec; p++) {
        if (p != (int)dproto && !proto_scanned(scan, (enum port_proto)p))
            continue;
        if (portset_parse(&sel, pd->port_spec, (enum port_proto)p, scan->services, err,
                          sizeof(err)) < 0) {
            cli_fail("invalid -p '%s': %s", pd->port_spec, err);
            goto out;
        }
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
                cli_fail("out of memory");
                goto out;
            }
    }

    if (pd->exclude_ports) {
        struct portset excl = {0};
        if (portset_parse(&excl, pd->exclude_ports, dproto, scan->services, err, sizeof(err)) < 0) {
            cli_fail("invalid --exclude-ports '%s': %s", pd->exclude_ports, err);
            goto out;
        }
        portset_subtract(&scan->ports, &excl);
        portset_free(&excl);
    }

    if (scanned_ports(scan) == 0) {
        if (pd->exclude_ports)
            cli_fail("no ports left to scan after --exclude-ports '%s'", pd->exclude_ports);
        else if (pd->port_spec && top)
            cli_fail("no ports to scan: none of -p '%s' is among the %zu most common %s ports",
                     pd->port_spec, top, upper[dproto]);
        else if (pd->port_spec)
            cli_fail("no %s ports to scan in -p '%s': %s scans %s (%c: or no prefix)",
                     upper[dproto], pd->port_spec, scan->types[0]->option, upper[dproto],
                     upper[dproto][0]);
        else
            cli_fail("no ports to scan: %s/nmap-services lists no %s ports", services_datadir(),
                     upper[dproto]);
        goto out;
    }
    rc = 0;
out:
    portset_free(&sel);
    return rc;
}

/* A target skipped (targets.h): nmap's "Failed to resolve" line as is, a
 * target file's junk word with file:line. On stderr, the scan goes on. */
static void warn_target(void *arg, const char *msg)
{
    (void)arg;
    char line[2048];
    log_escape(line, sizeof(line), msg);
    if (strncmp(msg, "Failed to resolve", 17) == 0)
        fprintf(stderr, "%s\n", line);
    else
        fprintf(stderr, "prtip: warning: %s\n", line);
}

static int resolve_targets(struct config *scan, const struct pending *pd)
{
    char err[512];
    scan->targets =
        target_set_new(&(struct target_opts){.family = scan->family, .warn = warn_target});
    if (!scan->targets) {
        cli_fail("out of memory");
        return -1;
    }
    for (size_t i = 0; i < pd->nwords; i++) {
        const struct target_word *w = &pd->words[i];
        int rc = w->is_file ? target_set_add_file(scan->targets, w->text, err, sizeof(err))
                            : target_set_add(scan->targets, w->text, err, sizeof(err));
        if (rc < 0) {
            cli_fail("%s", err);
            return -1;
        }
    }
    for (size_t i = 0; i < pd->nexcludes; i++)
        if (target_set_exclude(scan->targets, pd->excludes[i], err, sizeof(err)) < 0) {
            cli_fail("--exclude: %s", err);
            return -1;
        }
    for (size_t i = 0; i < pd->nexclude_files; i++)
        if (target_set_exclude_file(scan->targets, pd->exclude_files[i], err, sizeof(err)) < 0) {
            cli_fail("--excludefile: %s", err);
            return -1;
        }
    size_t skipped = target_set_nskipped(scan->targets);
    if (target_set_nspecs(scan->targets) == 0 && skipped) {
        /* nmap scans 0 hosts and exits 0 here; nothing could be scanned
         * is an input error for prtip. */
        cli_fail("no target could be scanned: %zu skipped (see the warnings above); check the "
                 "names or give IP addresses",
                 skipped);
        return -1;
    }
    if (target_set_nspecs(scan->targets) == 0) {
        if (pd->last_file && strcmp(pd->last_file, "-") == 0)
            cli_fail("no targets in standard input (-iL -). See prtip -h");
        else if (pd->last_file)
            cli_fail("no targets in %s. See prtip -h", pd->last_file);
        else
            cli_fail("no targets specified. See prtip -h");
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

/*
 * The permutation seed. Shards split one permutation, so every shard must
 * use the same seed: a random seed per process would make shards overlap
 * and miss (address, port) pairs (masscan only warns; prtip refuses).
 * Without --seed, --shard auto takes the seed a Slurm array's tasks share
 * (core/shard_env.h); anything else must name one.
 */
static int resolve_seed(struct config *scan, const struct pending *pd)
{
    if (pd->seeded || scan->seed_fixed)
        return 0;
    if (scan->raw.nshards > 1) {
        char src[192];
        if (pd->shard_auto && shard_seed_from_scheduler(&scan->seed, src, sizeof(src)) == 1) {
            log_debug("cli", "--shard auto: seed %" PRIu64 " from %s, shared by the job's tasks",
                      scan->seed, src);
            return 0;
        }
        cli_fail("--shard %u/%u without --seed: each shard would draw its own random order and "
                 "the shards would overlap and miss pairs. Give every shard the same --seed N%s",
                 scan->raw.shard + 1, scan->raw.nshards,
                 pd->shard_auto ? " (only a Slurm array's SLURM_ARRAY_JOB_ID gives one by itself)"
                                : "");
        return -1;
    }
    scan->seed = random_seed();
    return 0;
}

static void set_log_level(const struct config *scan)
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

/* True if a requested scan type runs on the raw engine. */
static bool any_raw(const struct config *scan)
{
    for (size_t i = 0; i < scan->ntypes; i++)
        if (scan->types[i]->engine == SCAN_ENGINE_RAW)
            return true;
    return false;
}

/*
 * The default scan type, as nmap: SYN scan when the user may send raw
 * packets (scan->privileged: --privileged, --unprivileged, else
 * geteuid() == 0; the engine reports a missing CAP_NET_RAW), else connect
 * scan. --scanflags alone
 * means a SYN-scan base, as nmap; so do the options that only the raw
 * engine reads (--rate, --shard, -e, -S, -g ...).
 */
static int resolve_scan_types(struct config *scan, const struct pending *pd)
{
    if ((scan->disc.ping_only || scan->disc.list_only) && scan->ntypes > 0) {
        cli_fail("-sL and -sn (skip port scan) are not valid with any other scan types: drop %s "
                 "or the -sn/-sL",
                 scan->types[0]->option);
        return -1;
    }
    /* -sT runs on the connect engine and -sU on the raw engine; one run
     * drives one engine for now. */
    if (pd->udp_type) {
        for (size_t i = 0; i < scan->ntypes; i++)
            if (scan->types[i]->engine == SCAN_ENGINE_CONNECT) {
                cli_fail("-sT cannot be combined with -sU yet: use -sS -sU (as root), or run "
                         "-sT and -sU separately");
                return -1;
            }
    }
    if (scan->ntypes == 0) {
        /* Also for -sn/-sL: the default type says which engine would send
         * (raw as root), though no port is scanned. */
        bool raw = scan->privileged || scan->raw.scanflags >= 0 || pd->raw_only;
        const char *opt = raw ? "-sS" : "-sT";
        const struct scan_module *mod = scan_module_find(opt);
        if (!mod) {
            cli_fail("%s is not available in this build", opt);
            return -1;
        }
        scan->types[scan->ntypes++] = mod;
    }
    if (scan->raw.scanflags >= 0 && !any_raw(scan)) {
        cli_fail("--scanflags needs a raw TCP scan, not %s: give it alone (SYN scan base) or with "
                 "-sS, -sF, -sN, -sX, -sA, -sW or -sM",
                 scan->types[0]->option);
        return -1;
    }
    for (size_t i = 0; pd->privileged == 0 && i < scan->ntypes; i++)
        if (scan->types[i]->engine == SCAN_ENGINE_RAW) {
            /* nmap: "You requested a scan type which requires root privileges." */
            cli_fail("%s needs raw sockets, but --unprivileged was given: use -sT, or drop "
                     "--unprivileged",
                     pd->raw_only ? pd->raw_only : scan->types[i]->option);
            return -1;
        }
    if (pd->raw_only && !any_raw(scan)) {
        cli_fail("%s applies to raw scans (-sS, -sF, -sN, -sX, -sA, -sW, -sM), not %s: drop it or "
                 "use a raw scan type",
                 pd->raw_only, scan->types[0]->option);
        return -1;
    }
    return 0;
}

/* -S must be of the family -4/-6 asked for, wherever either stands. */
static int resolve_raw(struct config *scan, const struct pending *pd)
{
    if (scan->raw.have_src && scan->family) {
        int want = scan->family == 4 ? AF_INET : AF_INET6;
        if (scan->raw.src.family != want) {
            cli_fail("-S %s is not an IPv%d address, but -%d was given: use a source address "
                     "of the scanned family",
                     pd->src_text ? pd->src_text : "", scan->family, scan->family);
            return -1;
        }
    }
    return 0;
}

/* A UDP scan reads nmap-payloads when its engine starts; a bad file is bad
 * input like a bad nmap-services (exit 1, before any output is written),
 * so it is read once here to be checked. */
static int check_payloads(const struct config *scan)
{
    if (!proto_scanned(scan, PROTO_UDP))
        return 0;
    char err[512], path[4096];
    struct udp_payloads *p = udp_payloads_load(
        datafile_find(scan->datadir, "nmap-payloads", path, sizeof(path)), err, sizeof(err));
    if (!p) {
        cli_fail("%s", err);
        return -1;
    }
    udp_payloads_free(p);
    return 0;
}

/* -S gives the source of one family: a target of the other could only be
 * scanned from an address the user did not ask for, so it is refused. */
static int check_src_family(const struct config *scan, const struct pending *pd)
{
    if (!scan->raw.have_src)
        return 0;
    int other = scan->raw.src.family == AF_INET ? AF_INET6 : AF_INET;
    struct ipaddr first;
    if (target_set_family_count(scan->targets, other, &first) == 0)
        return 0;
    char addr[64];
    ipaddr_str(&first, addr, sizeof(addr));
    cli_fail("-S %s is an IPv%d address, but target %s is IPv%d: give -S per family in separate "
             "scans, or leave -S out",
             pd->src_text ? pd->src_text : "", other == AF_INET ? 6 : 4, addr,
             other == AF_INET ? 4 : 6);
    return -1;
}

int cli_apply(struct config *scan, const struct pending *pd)
{
    set_log_level(scan);
    /* nmap's --privileged / --unprivileged, else whether we are root. */
    scan->privileged = pd->privileged >= 0 ? pd->privileged == 1 : geteuid() == 0;
    for (size_t i = 0; i < scan->noutputs; i++)
        scan->outputs[i].append = pd->append_output;
    if (resolve_scan_types(scan, pd) < 0 || resolve_raw(scan, pd) < 0 ||
        cli_version_check(scan, pd) < 0 || cli_store_check(scan) < 0)
        return -1;
    if (cli_resolve_timing(scan, pd) < 0)
        return -1;
    if (!scan->services) {
        char err[512], path[4096];
        scan->services = services_load(
            datafile_find(scan->datadir, "nmap-services", path, sizeof(path)), err, sizeof(err));
        if (!scan->services) {
            cli_fail("%s", err);
            return -1;
        }
    }
    if (check_payloads(scan) < 0 || cli_resolve_discovery(scan, pd) < 0)
        return -1;
    if (scan->disc.ping_only || scan->disc.list_only) {
        if (pd->port_spec || pd->fast || pd->top_ports || pd->exclude_ports) {
            cli_fail("You cannot use -F (fast scan), -p (explicit port selection), --top-ports or "
                     "--exclude-ports when not doing a port scan (-sn, -sL)");
            return -1;
        }
    } else if (resolve_ports(scan, pd) < 0) {
        return -1;
    }
    if (resolve_targets(scan, pd) < 0 || check_src_family(scan, pd) < 0 || cli_os_check(scan) < 0)
        return -1;
    return resolve_seed(scan, pd);
}
