/*
 * probe_kinds.c — the registry of probe kinds (probe_kind.h): the only
 * list. A new kind is its file and one row here, in probe-list order.
 */
#include "scan/probe_kind.h"

#include <stddef.h>

const struct probe_kind *const probe_kinds[] = {
    &probe_tcp, &probe_udp, &probe_icmp_echo, &probe_icmp_timestamp, &probe_icmp_netmask, NULL,
};
