/*
 * ports.h — the set of ports to scan per protocol, parsed from nmap's -p
 * syntax (nmap "Port Specification and Scan Order").
 *
 * Accepted: "22", "1-1024", "-1024" (from 1), "60000-" (to 65535), "-"
 * (1-65535), lists "22,80,443", protocol prefixes "T:", "U:", "S:" that
 * apply until the next prefix ("T:80,443,U:53"), service names and globs
 * ("http", "ssh*") looked up in nmap-services, and "[...]" to keep only
 * ports named in nmap-services. Port 0 is allowed only when written.
 */
#ifndef PRTIP_CORE_PORTS_H
#define PRTIP_CORE_PORTS_H

#include "core/services.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum port_proto { PROTO_TCP = 0, PROTO_UDP = 1, PROTO_SCTP = 2, PROTO_COUNT = 3 };

/* IPPROTO_* for a port_proto, and its lowercase name ("tcp"). */
int port_proto_ipproto(enum port_proto p);
const char *port_proto_name(enum port_proto p);

/* Ports per protocol, each list sorted ascending with no duplicates.
 * Owned by the set; free with portset_free. */
struct portset {
    uint16_t *ports[PROTO_COUNT];
    size_t count[PROTO_COUNT];
};

/*
 * Parse spec into *out (zeroed, or filled by an earlier call: ports merge). Ports without a prefix
 * go to default_proto (PROTO_TCP for TCP scans); a port given for a protocol that no requested scan
 * type uses is kept and ignored by the caller, as nmap does. svc may be NULL, in which case names
 * are an error. Returns 0, or -1 with a one-line err naming the bad piece and a hint
 * ("port range 0-70000 out of bounds: ports are 0-65535").
 */
int portset_parse(struct portset *out, const char *spec, enum port_proto default_proto,
                  const struct services *svc, char *err, size_t errlen);

/* Add the n most frequent ports of proto from nmap-services (--top-ports). */
int portset_add_top(struct portset *out, const struct services *svc, enum port_proto proto,
                    size_t n);

/* Remove from set every port that excl contains (--exclude-ports). */
void portset_subtract(struct portset *set, const struct portset *excl);

bool portset_contains(const struct portset *set, enum port_proto proto, uint16_t port);

/* Sum of counts over every protocol. */
size_t portset_total(const struct portset *set);

/* nmap's compact form "1-3,7,9,13" of n ascending ports (XML scaninfo
 * services=, extrareasons ports=). Caller frees; "" for n == 0; NULL on
 * allocation failure. */
char *ports_format_ranges(const uint16_t *ports, size_t n);

void portset_free(struct portset *set);

#endif
