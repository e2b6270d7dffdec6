/*
 * cli_disc.c — host discovery options once the whole command line is read
 * (nmap(1) "HOST DISCOVERY"): the -PS/-PA/-PU port lists (which may name
 * services, so they wait for nmap-services), nmap's default probe set,
 * ARP/ND ping, and -sn/-sL against the options that need a port scan.
 */
#include "cli/cli_internal.h"
#include "core/log.h"
#include "scan/scan_module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse one -P<x> port list into out's proto list; anything given for
 * another protocol ("-PST:80,U:53") is an error, since a SYN ping has no
 * UDP ports. */
static int parse_ping_ports(struct config *scan, const char *opt, const char *spec,
                            const char *dflt, enum port_proto proto, struct portset *out)
{
    char err[256];
    const char *text = spec && *spec ? spec : dflt;
    if (portset_parse(out, text, proto, scan->services, err, sizeof(err)) < 0) {
        cli_fail("invalid %s port list '%s': %s", opt, text, err);
        return -1;
    }
    for (int p = 0; p < PROTO_COUNT; p++)
        if (p != (int)proto && out->count[p]) {
            cli_fail("invalid %s port list '%s': %s pings use %s ports only", opt, text, opt,
                     port_proto_name(proto));
            return -1;
        }
    if (out->count[proto] == 0) {
        cli_fail("invalid %s port list '%s': no ports", opt, text);
        return -1;
    }
    return 0;
}

/* Append text to buf (size len, NUL-terminated), cutting it short when full. */
static void append(char *buf, size_t len, const char *text)
{
    size_t used = strlen(buf);
    if (used + 1 < len)
        snprintf(buf + used, len - used, "%s", text);
}

const char *cli_ping_options(char *buf, size_t len)
{
    buf[0] = '\0';
    for (const struct disc_option *d = disc_options; d->option; d++) {
        append(buf, len, d->option);
        append(buf, len, ", ");
    }
    append(buf, len, "or -Pn");
    /* nmap's list style has no comma before "or". */
    char *last = strstr(buf, ", or -Pn");
    if (last)
        memmove(last, last + 1, strlen(last + 1) + 1);
    return buf;
}

/* The options of the table that take a port list: "-PS, -PA or -PU". */
static const char *port_list_options(char *buf, size_t len)
{
    size_t n = 0, total = 0;
    for (const struct disc_option *d = disc_options; d->option; d++)
        total += d->default_ports != NULL;
    buf[0] = '\0';
    for (const struct disc_option *d = disc_options; d->option; d++) {
        if (!d->default_ports)
            continue;
        if (n)
            append(buf, len, n + 1 == total ? " or " : ", ");
        append(buf, len, d->option);
        n++;
    }
    return buf;
}

/* The switch a -P option without a port list sets: -PR's is the command
 * line's own (it decides the ARP setting at the end). */
static bool *probe_flag(struct config *scan, struct pending *pd, enum disc_probe p)
{
    return p == DISC_ARP_PING ? &pd->arp_explicit : &scan->disc.on[p];
}

/* The port list a -P option with ports fills. */
static struct portset *probe_ports(struct disc_opts *d, enum disc_probe p)
{
    return &d->ports[p];
}

/*
 * -P<x>: host discovery (nmap "HOST DISCOVERY"). -Pn (and nmap's old
 * spellings -PN, -P0) skips it; the other letters are exactly those of
 * disc_options[]. Options without a port list take no argument; the others
 * take an optional list right after the letter, kept as text until
 * nmap-services is loaded. As nmap, a repeated -PS replaces the earlier
 * list. Each probe option marks the probe set explicit: it then replaces
 * nmap's default set instead of adding to it.
 */
int cli_parse_ping(struct config *scan, struct pending *pd, const char *arg)
{
    if (strcmp(arg, "n") == 0 || strcmp(arg, "N") == 0 || strcmp(arg, "0") == 0) {
        scan->skip_discovery = true;
        return 0;
    }
    char kind = arg[0];
    const char *rest = kind ? arg + 1 : arg;
    char opt[4] = {'-', 'P', kind, '\0'};
    char hint[128];
    const struct disc_option *d = kind ? disc_option_find(opt) : NULL;
    if (!d) {
        /* nmap's probe letters prtip has no module for yet. */
        if (kind && strchr("YOB", kind))
            cli_fail("-P%c is not implemented yet: use %s", kind,
                     cli_ping_options(hint, sizeof(hint)));
        else
            cli_fail("unknown host discovery option '-P%s': use %s", arg,
                     cli_ping_options(hint, sizeof(hint)));
        return -1;
    }
    if (d->default_ports) {
        pd->ping_ports[d->probe] = rest;
    } else {
        if (*rest) {
            cli_fail("-P%c takes no argument (got '-P%s'); use %s for port lists", kind, arg,
                     port_list_options(hint, sizeof(hint)));
            return -1;
        }
        bool *flag = probe_flag(scan, pd, d->probe);
        if (flag)
            *flag = true;
    }
    scan->disc.explicit_probes = true;
    return 0;
}

/* No raw socket for this run: every scan type is a connect scan and we are
 * not privileged (not root, or --unprivileged: the same test that picks
 * -sT as the default type). A raw scan
 * type without root keeps its raw discovery and fails at the first socket
 * with "need root", as nmap refuses raw scans then. */
static bool unprivileged(const struct config *scan)
{
    for (size_t i = 0; i < scan->ntypes; i++)
        if (scan->types[i]->engine == SCAN_ENGINE_RAW)
            return false;
    return !scan->privileged;
}

/*
 * Explicit -P probes without raw sockets, as nmap 7.93 does unprivileged
 * (nmap.cc, checked with setpriv as nobody):
 *   -PS/-PA   a connect() ping to the SYN and ACK ports together;
 *   -PE/-PP/-PM  "not root -- using TCP pingscan rather than ICMP": the
 *             connect ping to those ports, or to 80 without any; this also
 *             drops -PU;
 *   -PU alone (or with -PS/-PA) is refused: reading the replies needs raw
 *             sockets. The refusal is plan_run's, so that it exits 2 like
 *             every other missing privilege (nmap exits 1);
 *   -PR alone is ignored: nmap's default unprivileged ping (80 and 443).
 * Warns once, as the probes sent differ from those asked for.
 */
static int connect_fallback(struct config *scan)
{
    struct disc_opts *d = &scan->disc;
    char err[256];
    bool icmp = d->on[DISC_ICMP_ECHO] || d->on[DISC_ICMP_TIMESTAMP] || d->on[DISC_ICMP_NETMASK];
    bool tcp = d->ports[DISC_SYN_PING].count[PROTO_TCP] || d->ports[DISC_ACK_PING].count[PROTO_TCP];
    if (!icmp && !tcp && !d->ports[DISC_UDP_PING].count[PROTO_UDP]) {
        d->explicit_probes = false; /* -PR alone */
        return 0;
    }
    /* The ACK list joins the SYN list: both become connect() pings. Going
     * through the compact text form keeps to the ports.h interface
     * (parsing merges into what is there). */
    char *ack = ports_format_ranges(d->ports[DISC_ACK_PING].ports[PROTO_TCP],
                                    d->ports[DISC_ACK_PING].count[PROTO_TCP]);
    const char *add = icmp && !tcp ? disc_option_find("-PS")->default_ports : ack;
    int rc = ack && *add
                 ? portset_parse(&d->ports[DISC_SYN_PING], add, PROTO_TCP, NULL, err, sizeof(err))
                 : 0;
    free(ack);
    if (!ack || rc < 0) {
        cli_fail("out of memory");
        return -1;
    }
    portset_free(&d->ports[DISC_ACK_PING]);
    if (icmp) {
        portset_free(&d->ports[DISC_UDP_PING]);
        log_warn("disc", "not root: ICMP pings (-PE/-PP/-PM) need raw sockets; using a TCP "
                         "connect() ping instead");
    } else if (tcp && !d->ports[DISC_UDP_PING].count[PROTO_UDP]) {
        log_warn("disc", "not root: -PS/-PA pings are sent as TCP connect() pings");
    }
    d->on[DISC_ICMP_ECHO] = d->on[DISC_ICMP_TIMESTAMP] = d->on[DISC_ICMP_NETMASK] = false;
    d->connect_ping = true;
    return 0;
}

int cli_resolve_discovery(struct config *scan, const struct pending *pd)
{
    struct disc_opts *d = &scan->disc;
    for (const struct disc_option *o = disc_options; o->option; o++)
        if (o->default_ports && pd->ping_ports[o->probe] &&
            parse_ping_ports(scan, o->option, pd->ping_ports[o->probe], o->default_ports,
                             o->ports_proto, probe_ports(d, o->probe)) < 0)
            return -1;

    /* --send-ip: nmap sends no ARP or ND at all, not even for -PR (its
     * requests cannot go over IP); -PR alone then leaves nmap's default
     * probes. */
    bool ip_probe = false;
    for (int p = 0; p < DISC_PROBE_COUNT; p++)
        ip_probe |= p != DISC_ARP_PING &&
                    (d->on[p] || d->ports[p].count[PROTO_TCP] || d->ports[p].count[PROTO_UDP]);
    if (pd->send_ip && pd->arp_explicit && !ip_probe)
        d->explicit_probes = false;

    if (!d->explicit_probes) {
        /* nmap's default as root: ICMP echo, SYN to 443, ACK to 80, ICMP
         * timestamp (IPv6: no timestamp). An unprivileged run ignores these
         * and connects to 80 and 443 instead (connect engine). */
        char err[256];
        d->on[DISC_ICMP_ECHO] = true;
        d->on[DISC_ICMP_TIMESTAMP] = true;
        if (portset_parse(&d->ports[DISC_SYN_PING], "443", PROTO_TCP, NULL, err, sizeof(err)) < 0 ||
            portset_parse(&d->ports[DISC_ACK_PING], "80", PROTO_TCP, NULL, err, sizeof(err)) < 0) {
            cli_fail("out of memory");
            return -1;
        }
    }
    if (d->explicit_probes && unprivileged(scan) && connect_fallback(scan) < 0)
        return -1;
    /* ARP/ND for on-link Ethernet targets stays on with explicit -P probes,
     * as nmap: only --disable-arp-ping turns it off, and -PR turns it back
     * on. -PR alone selects no IP probe, so off-link targets get none and
     * are reported down, as nmap does. */
    d->arp = !pd->send_ip && (pd->arp_explicit || !pd->disable_arp);

    if (d->list_only && d->ping_only)
        d->ping_only = false; /* nmap: -sL wins, nothing is sent */
    return 0;
}
