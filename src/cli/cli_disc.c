/*
 * cli_disc.c — host discovery options once the whole command line is read
 * (nmap(1) "HOST DISCOVERY"): the -PS/-PA/-PU port lists (which may name
 * services, so they wait for nmap-services), nmap's default probe set,
 * ARP/ND ping, and -sn/-sL against the options that need a port scan.
 */
#include "cli/cli_internal.h"
#include "core/log.h"
#include "scan/scan_module.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* nmap's default ports when -PS, -PA or -PU is given without a list
 * (DEFAULT_TCP_PROBE_PORT_SPEC and DEFAULT_UDP_PROBE_PORT_SPEC in nmap.h). */
#define DEFAULT_SYN_PING_PORT "80"
#define DEFAULT_ACK_PING_PORT "80"
#define DEFAULT_UDP_PING_PORT "40125"

/* Parse one -P<x> port list into out's proto list; anything given for
 * another protocol ("-PST:80,U:53") is an error, since a SYN ping has no
 * UDP ports. */
static int parse_ping_ports(struct scan *scan, const char *opt, const char *spec, const char *dflt,
                            enum port_proto proto, struct portset *out)
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

/*
 * -P<x>: host discovery (nmap "HOST DISCOVERY"). -Pn (and nmap's old
 * spellings -PN, -P0) skips it; -PE/-PP/-PM/-PR take no argument;
 * -PS/-PA/-PU take an optional port list right after the letter, kept as
 * text until nmap-services is loaded. As nmap, a repeated -PS replaces the
 * earlier list. Each probe option marks the probe set explicit: it then
 * replaces nmap's default set instead of adding to it.
 */
int cli_parse_ping(struct scan *scan, struct pending *pd, const char *arg)
{
    if (strcmp(arg, "n") == 0 || strcmp(arg, "N") == 0 || strcmp(arg, "0") == 0) {
        scan->skip_discovery = true;
        return 0;
    }
    char kind = arg[0];
    const char *rest = kind ? arg + 1 : arg;
    switch (kind) {
    case 'E':
    case 'P':
    case 'M':
    case 'R':
        if (*rest) {
            cli_fail("-P%c takes no argument (got '-P%s'); use -PS, -PA or -PU for port lists",
                     kind, arg);
            return -1;
        }
        scan->disc.icmp_echo |= kind == 'E';
        scan->disc.icmp_ts |= kind == 'P';
        scan->disc.icmp_mask |= kind == 'M';
        pd->arp_explicit |= kind == 'R';
        scan->disc.explicit_probes = true;
        return 0;
    case 'S':
        pd->ps_spec = rest;
        scan->disc.explicit_probes = true;
        return 0;
    case 'A':
        pd->pa_spec = rest;
        scan->disc.explicit_probes = true;
        return 0;
    case 'U':
        pd->pu_spec = rest;
        scan->disc.explicit_probes = true;
        return 0;
    case 'Y':
    case 'O':
    case 'B':
        cli_fail("-P%c is not implemented yet: use -PE, -PP, -PM, -PS, -PA, -PU, -PR or -Pn", kind);
        return -1;
    default:
        cli_fail("unknown host discovery option '-P%s': use -PE, -PP, -PM, -PS, -PA, -PU, -PR or "
                 "-Pn",
                 arg);
        return -1;
    }
}

/* No raw socket for this run: every scan type is a connect scan and we are
 * not root (the same test that picks -sT as the default type). A raw scan
 * type without root keeps its raw discovery and fails at the first socket
 * with "need root", as nmap refuses raw scans then. */
static bool unprivileged(const struct scan *scan)
{
    for (size_t i = 0; i < scan->ntypes; i++)
        if (scan->types[i]->engine == SCAN_ENGINE_RAW)
            return false;
    return geteuid() != 0;
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
static int connect_fallback(struct scan *scan)
{
    struct disc_opts *d = &scan->disc;
    char err[256];
    bool icmp = d->icmp_echo || d->icmp_ts || d->icmp_mask;
    bool tcp = d->syn_ports.count[PROTO_TCP] || d->ack_ports.count[PROTO_TCP];
    if (!icmp && !tcp && !d->udp_ports.count[PROTO_UDP]) {
        d->explicit_probes = false; /* -PR alone */
        return 0;
    }
    /* The ACK list joins the SYN list: both become connect() pings. Going
     * through the compact text form keeps to the ports.h interface
     * (parsing merges into what is there). */
    char *ack = ports_format_ranges(d->ack_ports.ports[PROTO_TCP], d->ack_ports.count[PROTO_TCP]);
    const char *add = icmp && !tcp ? DEFAULT_SYN_PING_PORT : ack;
    int rc = ack && *add ? portset_parse(&d->syn_ports, add, PROTO_TCP, NULL, err, sizeof(err)) : 0;
    free(ack);
    if (!ack || rc < 0) {
        cli_fail("out of memory");
        return -1;
    }
    portset_free(&d->ack_ports);
    if (icmp) {
        portset_free(&d->udp_ports);
        log_warn("disc", "not root: ICMP pings (-PE/-PP/-PM) need raw sockets; using a TCP "
                         "connect() ping instead");
    } else if (tcp && !d->udp_ports.count[PROTO_UDP]) {
        log_warn("disc", "not root: -PS/-PA pings are sent as TCP connect() pings");
    }
    d->icmp_echo = d->icmp_ts = d->icmp_mask = false;
    d->connect_ping = true;
    return 0;
}

int cli_resolve_discovery(struct scan *scan, const struct pending *pd)
{
    struct disc_opts *d = &scan->disc;
    if (pd->ps_spec && parse_ping_ports(scan, "-PS", pd->ps_spec, DEFAULT_SYN_PING_PORT, PROTO_TCP,
                                        &d->syn_ports) < 0)
        return -1;
    if (pd->pa_spec && parse_ping_ports(scan, "-PA", pd->pa_spec, DEFAULT_ACK_PING_PORT, PROTO_TCP,
                                        &d->ack_ports) < 0)
        return -1;
    if (pd->pu_spec && parse_ping_ports(scan, "-PU", pd->pu_spec, DEFAULT_UDP_PING_PORT, PROTO_UDP,
                                        &d->udp_ports) < 0)
        return -1;

    if (!d->explicit_probes) {
        /* nmap's default as root: ICMP echo, SYN to 443, ACK to 80, ICMP
         * timestamp (IPv6: no timestamp). An unprivileged run ignores these
         * and connects to 80 and 443 instead (connect engine). */
        char err[256];
        d->icmp_echo = true;
        d->icmp_ts = true;
        if (portset_parse(&d->syn_ports, "443", PROTO_TCP, NULL, err, sizeof(err)) < 0 ||
            portset_parse(&d->ack_ports, "80", PROTO_TCP, NULL, err, sizeof(err)) < 0) {
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
    d->arp = pd->arp_explicit || !pd->disable_arp;

    if (d->list_only && d->ping_only)
        d->ping_only = false; /* nmap: -sL wins, nothing is sent */
    return 0;
}
