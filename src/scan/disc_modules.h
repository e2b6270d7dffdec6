/*
 * disc_modules.h — host discovery probes (nmap's -PE -PP -PM -PS -PA -PU)
 * as raw scan modules, so that discovery of a large range runs through the
 * stateless core like any scan: an entry of the probe list is
 * {disc_icmp_echo, 0} or {disc_syn_ping, 443}. They are not scan types
 * (not in scan_modules[], not selectable with -s); engine/plan.c puts them
 * into a discovery run and reads only the reasons of their results.
 *
 * Every module reports a reply that proves the host is there as
 * PORT_OPEN with nmap's ping reason (echo-reply, timestamp-reply,
 * addressmask-reply, syn-ack, reset, udp-response, port-unreach); an ICMP
 * unreachable quoting the probe as PORT_FILTERED with the reason named
 * after its code (the host is not proven up: routers send those); silence
 * as filtered / no-response.
 */
#ifndef PRTIP_SCAN_DISC_MODULES_H
#define PRTIP_SCAN_DISC_MODULES_H

#include "scan/scan_module.h"

extern const struct scan_module disc_icmp_echo;      /* -PE (ICMPv6 echo over IPv6) */
extern const struct scan_module disc_icmp_timestamp; /* -PP, IPv4 only */
extern const struct scan_module disc_icmp_netmask;   /* -PM, IPv4 only */
extern const struct scan_module disc_syn_ping;       /* -PS */
extern const struct scan_module disc_ack_ping;       /* -PA */
extern const struct scan_module disc_udp_ping;       /* -PU */

/* The -P probe options, for the command line to map onto its settings. */
enum disc_probe {
    DISC_ICMP_ECHO,
    DISC_ICMP_TIMESTAMP,
    DISC_ICMP_NETMASK,
    DISC_SYN_PING,
    DISC_ACK_PING,
    DISC_UDP_PING,
    DISC_ARP_PING,
    DISC_PROBE_COUNT
};

/*
 * One host discovery option of the command line. The table of these is the
 * only list of -P probe options: the CLI accepts exactly these letters,
 * builds its hints and -h lines from them, and the man page is checked
 * against them (prtip --help-man-lists).
 */
struct disc_option {
    const char *option; /* "-PS" */
    enum disc_probe probe;
    /* The raw probe sent; NULL for -PR (ARP/ND is engine/arp_ping.c, run
     * before the IP probes, not a stateless scan module). */
    const struct scan_module *module;
    /* nmap's ports when the option is given without a list
     * (DEFAULT_TCP_PROBE_PORT_SPEC / DEFAULT_UDP_PROBE_PORT_SPEC in nmap.h);
     * NULL for options that take no port list. */
    const char *default_ports;
    enum port_proto ports_proto; /* the protocol of that list */
    const char *help;            /* one line for -h and the man page */
};

/* The table, terminated by a row with option == NULL, in -h order. */
extern const struct disc_option disc_options[];

/* The row for option ("-PE"), or NULL. */
const struct disc_option *disc_option_find(const char *option);

/* The probe module of a row by its option ("-PE") or module name
 * ("icmp_echo"). NULL if none (also for -PR, which has no module). */
const struct scan_module *disc_module_find(const char *option_or_name);

#endif
