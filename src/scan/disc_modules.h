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

/* NULL-terminated table of the above, and lookup by option ("-PE") or name. */
extern const struct scan_module *const disc_modules[];
const struct scan_module *disc_module_find(const char *option_or_name);

#endif
