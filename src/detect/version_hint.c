/*
 * version_hint.c — what nmap's -sV changes after its probes, natively.
 *
 * nmap -sV also runs the NSE scripts of category "version" (intensity 7 and
 * up), and a few of them rewrite the port's version fields; their text is
 * not printed unless the script is asked for by name. prtip has no NSE
 * engine, so the ones that change an answer on common services are done
 * here, from their documented behaviour, on the stage's own event loop.
 *
 * snmp-info (nmap 7.93 scripts/snmp-info.nse): on a UDP port that is 161 or
 * is said to be "snmp", open or open|filtered, at --version-intensity 7 or
 * more, it sends the SNMPv3 discovery GET (the same bytes as the
 * SNMPv3GetRequest probe of nmap-service-probes: msgID 0x4a69, USM, no
 * user; RFC 3414 4) and reads the agent's report: the authoritative engine
 * ID (RFC 3411 5, SnmpEngineID) names the vendor by its IANA enterprise
 * number (nselib/data/enterprise_numbers.txt, read at run time). The port
 * becomes a hard match of service snmp whose product gains
 * "<enterprise> SNMPv3 server" ("SNMPv1 server; net-snmp SNMPv3 server").
 * A reply to this exchange does not make an open|filtered port open (NSE
 * does not change port states).
 */
#include "core/datafile.h"
#include "core/log.h"
#include "detect/version_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNMP_PORT        161
#define SNMP_PROBE       "SNMPv3GetRequest"
#define SNMP_MSGID       0x4a69 /* the probe's msgID, which the report echoes */
#define SNMP_USM         3      /* msgSecurityModel: User-based Security Model */
#define SNMP_RFC3411_BIT 0x80000000u
#define HINT_INTENSITY   7 /* shortport.version_port_or_service's default rarity */

/* ---- BER, as much as an SNMPv3 message header needs (X.690 8.1) -------- */

struct ber {
    const uint8_t *p;
    size_t n;
};

/* The next TLV of b into *tag and *val; b moves past it. 0, or -1 (cut
 * short, a multi-byte tag, or a length over 4 bytes). */
static int ber_next(struct ber *b, uint8_t *tag, struct ber *val)
{
    if (b->n < 2 || (b->p[0] & 0x1f) == 0x1f)
        return -1;
    size_t i = 2, len = b->p[1];
    if (len & 0x80) {
        size_t k = len & 0x7f;
        if (k == 0 || k > 4 || b->n - i < k)
            return -1;
        len = 0;
        for (size_t j = 0; j < k; j++)
            len = (len << 8) | b->p[i++];
    }
    if (b->n - i < len)
        return -1;
    *tag = b->p[0];
    val->p = b->p + i;
    val->n = len;
    b->p += i + len;
    b->n -= i + len;
    return 0;
}

/* The next TLV of b, which must have tag want. */
static int ber_want(struct ber *b, uint8_t want, struct ber *val)
{
    uint8_t tag;
    return ber_next(b, &tag, val) == 0 && tag == want ? 0 : -1;
}

/* The next TLV of b as an INTEGER (two's complement, 1-8 bytes). */
static int ber_int(struct ber *b, int64_t *v)
{
    struct ber x;
    if (ber_want(b, 0x02, &x) < 0 || x.n == 0 || x.n > 8)
        return -1;
    uint64_t u = (x.p[0] & 0x80) ? UINT64_MAX : 0;
    for (size_t i = 0; i < x.n; i++)
        u = (u << 8) | x.p[i];
    *v = (int64_t)u;
    return 0;
}

int vhint_snmpv3_engine(const uint8_t *msg, size_t len, struct snmp_engine *out)
{
    memset(out, 0, sizeof(*out));
    struct ber all = {msg, len}, m, global, sec, usm, id, flags;
    int64_t version, msgid, maxsize, model, boots, time;
    /* SNMPv3Message (RFC 3412 6): version, msgGlobalData, security
     * parameters; snmp-info wants version 3, its own msgID, USM. */
    if (ber_want(&all, 0x30, &m) < 0 || ber_int(&m, &version) < 0 || version != 3 ||
        ber_want(&m, 0x30, &global) < 0 || ber_int(&global, &msgid) < 0 || msgid != SNMP_MSGID ||
        ber_int(&global, &maxsize) < 0 || ber_want(&global, 0x04, &flags) < 0 ||
        ber_int(&global, &model) < 0 || model != SNMP_USM || ber_want(&m, 0x04, &sec) < 0)
        return -1;
    /* UsmSecurityParameters (RFC 3414 2.4): engine ID, boots, time. The
     * script reads the enterprise from the ID's first 4 bytes, a format
     * byte after them when the RFC 3411 bit is set, and formats the time:
     * without any of them it stops without a word. */
    if (ber_want(&sec, 0x30, &usm) < 0 || ber_want(&usm, 0x04, &id) < 0 || id.n < 4 ||
        ber_int(&usm, &boots) < 0 || ber_int(&usm, &time) < 0)
        return -1;
    uint32_t e =
        (uint32_t)id.p[0] << 24 | (uint32_t)id.p[1] << 16 | (uint32_t)id.p[2] << 8 | id.p[3];
    out->rfc3411 = e > SNMP_RFC3411_BIT;
    if (out->rfc3411) {
        if (id.n < 5)
            return -1;
        e -= SNMP_RFC3411_BIT;
    }
    out->enterprise = e;
    out->boots = boots;
    out->time = time;
    return 0;
}

/* ---- enterprise names ---------------------------------------------------- */

/* The name of IANA enterprise number num from enterprise_numbers.txt's
 * "NUMBER<TAB>NAME" lines into out; 1 found, 0 not listed, -1 no file
 * (the names are read once per stage, on first use). */
static int enterprise_name(struct vs *vs, uint32_t num, char *out, size_t outlen)
{
    if (!vs->ent_loaded) {
        char err[256];
        vs->ent_loaded = true;
        vs->ent_names = datafile_read(vs->job.enterprise_path, &vs->ent_len, err, sizeof(err));
        if (!vs->ent_names && vs->job.debug > 0)
            log_info("version", "snmp-info's enterprise names: %s", err);
    }
    if (!vs->ent_names)
        return -1;
    const char *p = vs->ent_names, *end = p + vs->ent_len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (*p >= '0' && *p <= '9') {
            uint64_t v = 0;
            const char *q = p;
            while (q < eol && *q >= '0' && *q <= '9' && v <= UINT32_MAX)
                v = v * 10 + (uint64_t)(*q++ - '0');
            const char *tab = memchr(p, '\t', (size_t)(eol - p));
            if (v == num && tab) {
                snprintf(out, outlen, "%.*s", (int)(eol - tab - 1), tab + 1);
                return 1;
            }
        }
        p = eol + 1;
    }
    return 0;
}

/* ---- snmp-info ----------------------------------------------------------- */

const struct svc_probe *vhint_snmp_probe(const struct svc_db *db)
{
    for (const struct svc_probe *p = svc_db_next(db, SVC_UDP, SNMP_PORT, false, 9, NULL, NULL); p;
         p = svc_db_next(db, SVC_UDP, SNMP_PORT, false, 9, NULL, p))
        if (strcmp(svc_probe_name(p), SNMP_PROBE) == 0)
            return p;
    return NULL;
}

bool vhint_snmp_wanted(const struct vs *vs, const struct vport *vp)
{
    if (vp->proto != SVC_UDP || vs->job.intensity < HINT_INTENSITY)
        return false;
    const struct port_result *p = &vp->host->h.ports[vp->idx];
    const char *name = vp->ans.found ? vp->ans.service : p->service;
    if (vp->port != SNMP_PORT && !(name && strcmp(name, "snmp") == 0))
        return false;
    return vhint_snmp_probe(vs->db) != NULL;
}

static int set_str(char **field, const char *s)
{
    char *d = strdup(s);
    if (!d)
        return -1;
    free(*field);
    *field = d;
    return 0;
}

void vhint_snmp_apply(struct vs *vs, struct vport *vp, const uint8_t *reply, size_t len)
{
    struct snmp_engine eng;
    if (!reply || vhint_snmpv3_engine(reply, len, &eng) < 0)
        return;
    char ent[256];
    int found = enterprise_name(vs, eng.enterprise, ent, sizeof(ent));
    if (found < 0)
        snprintf(ent, sizeof(ent), "unknown"); /* the script's stand-in without its data file */
    else if (found == 0 && eng.rfc3411)
        snprintf(ent, sizeof(ent), "nil"); /* Lua's text for its missing name */
    else if (found == 0)
        snprintf(ent, sizeof(ent), "%" PRIu32, eng.enterprise);
    struct svc_answer *a = &vp->ans;
    const char *old = a->found && a->product && *a->product ? a->product : NULL;
    char product[512];
    if (old && strcmp(old, "SNMPv3 server") != 0)
        snprintf(product, sizeof(product), "%s; %s SNMPv3 server", old, ent);
    else
        snprintf(product, sizeof(product), "%s SNMPv3 server", ent);
    if (set_str(&a->product, product) < 0 || set_str(&a->service, "snmp") < 0)
        return;
    if (!a->found) {
        a->probe = vp->facts.probe;
        a->line = svc_probe_line(a->probe);
    }
    a->found = true;
    a->soft = false; /* set_port_version(..., "hardmatched") */
    if (vs->job.trace) {
        char addr[64];
        ipaddr_str(&vp->host->h.addr, addr, sizeof(addr));
        vout_trace(vs,
                   "snmp-info (nmap's version script) on %s:%u: engine of enterprise %" PRIu32
                   " (%s), boots %" PRId64 ", time %" PRId64 " s: product |%s|",
                   addr, vp->port, eng.enterprise, ent, eng.boots, eng.time, product);
    }
}
