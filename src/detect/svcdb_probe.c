/*
 * svcdb_probe.c — what the version stage reads of a loaded probe: its
 * fields, the ports it lists, the services its rules can name, and the
 * database's Exclude list.
 */
#include "detect/svcdb_internal.h"

#include <string.h>

bool svc_db_excluded(const struct svc_db *db, enum svc_proto proto, uint16_t port)
{
    return db && db->has_exclude &&
           portset_contains(&db->exclude, proto == SVC_TCP ? PROTO_TCP : PROTO_UDP, port);
}

const char *svc_probe_name(const struct svc_probe *p)
{
    return p->name;
}

enum svc_proto svc_probe_proto(const struct svc_probe *p)
{
    return p->proto;
}

const uint8_t *svc_probe_payload(const struct svc_probe *p, size_t *len)
{
    *len = p->len;
    return p->payload;
}

int svc_probe_rarity(const struct svc_probe *p)
{
    return p->rarity;
}

unsigned svc_probe_totalwaitms(const struct svc_probe *p)
{
    return p->totalwaitms;
}

unsigned svc_probe_tcpwrappedms(const struct svc_probe *p)
{
    return p->tcpwrappedms;
}

bool svc_probe_no_payload(const struct svc_probe *p)
{
    return p->no_payload;
}

bool svc_probe_is_null(const struct svc_probe *p)
{
    return p->is_null;
}

unsigned svc_probe_line(const struct svc_probe *p)
{
    return p->line;
}

static bool in_sorted(const uint16_t *v, size_t n, uint16_t port)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] == port)
            return true;
        if (v[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool svc_probe_lists_port(const struct svc_probe *p, uint16_t port, bool ssl)
{
    return ssl ? in_sorted(p->sslports, p->nsslports, port) : in_sorted(p->ports, p->nports, port);
}

bool svc_probe_can_match(const struct svc_probe *p, const char *service)
{
    /* services is sorted and unique (svcdb.c collect_services). */
    size_t lo = 0, hi = p->nservices;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->services[mid], service);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}
