/*
 * disc_modules.c — the table of host discovery options and their probe
 * modules (disc_modules.h). Adding a probe is one disc_*.c file and one
 * row here.
 */
#include "scan/disc_modules.h"

#include <string.h>

const struct disc_option disc_options[] = {
    {"-PE", DISC_ICMP_ECHO, &disc_icmp_echo, NULL, PROTO_TCP,
     "ICMP echo request discovery probe (ICMPv6 echo over IPv6)"},
    {"-PP", DISC_ICMP_TIMESTAMP, &disc_icmp_timestamp, NULL, PROTO_TCP,
     "ICMP timestamp request discovery probe (IPv4)"},
    {"-PM", DISC_ICMP_NETMASK, &disc_icmp_netmask, NULL, PROTO_TCP,
     "ICMP netmask request discovery probe (IPv4)"},
    {"-PS", DISC_SYN_PING, &disc_syn_ping, "80", PROTO_TCP, "TCP SYN discovery to given ports"},
    {"-PA", DISC_ACK_PING, &disc_ack_ping, "80", PROTO_TCP, "TCP ACK discovery to given ports"},
    {"-PU", DISC_UDP_PING, &disc_udp_ping, "40125", PROTO_UDP, "UDP discovery to given ports"},
    {"-PR", DISC_ARP_PING, NULL, NULL, PROTO_TCP,
     "ARP (IPv4) / Neighbor Discovery (IPv6) ping of the local Ethernet link"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

const struct disc_option *disc_option_find(const char *option)
{
    if (!option)
        return NULL;
    for (const struct disc_option *d = disc_options; d->option; d++)
        if (strcmp(d->option, option) == 0)
            return d;
    return NULL;
}

const struct scan_module *disc_module_find(const char *key)
{
    if (!key)
        return NULL;
    for (const struct disc_option *d = disc_options; d->option; d++)
        if (d->module && (strcmp(d->option, key) == 0 || strcmp(d->module->name, key) == 0))
            return d->module;
    return NULL;
}
