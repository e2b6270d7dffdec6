/*
 * probe_kinds.c — the registry of probe kinds (probe_kind.h): the only
 * list. A new kind is its file and one row here, in probe-list order.
 */
#include "scan/probe_kind.h"

#include <netinet/in.h>
#include <stddef.h>

const struct probe_kind *const probe_kinds[] = {
    &probe_tcp, &probe_udp, &probe_icmp_echo, &probe_icmp_timestamp, &probe_icmp_netmask, NULL,
};

bool probe_match_ported(const struct cookie_ctx *c, uint8_t proto, bool direct_ok,
                        const struct pkt_info *r, struct probe_match *m)
{
    if (r->proto == proto) {
        if (!direct_ok)
            return false;
        m->target = &r->src;
        m->port = r->sport;
        return true;
    }
    if (!r->has_quote || r->quote.proto != proto || !cookie_icmp_valid(c, r))
        return false;
    m->target = &r->quote.dst;
    m->port = r->quote.dport;
    return true;
}
