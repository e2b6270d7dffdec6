/*
 * svcdb.h — nmap-service-probes, loaded and compiled (issue 11 point 1).
 *
 * The database nmap's version detection runs on (nmap doc "Service and
 * Application Version Detection", section "nmap-service-probes File
 * Format"), read from the data directory at run time; prtip ships no copy.
 * This module is the data and the matching only: which probes to send, in
 * which order, and what a reply means. Connections, timers and TLS belong to
 * the version-detection stage (detect/version.c), which is this module's
 * only client.
 *
 * Threads: a loaded database is immutable and may be shared by any number
 * of threads; match data (PCRE2 match data blocks) is per call.
 */
#ifndef PRTIP_DETECT_SVCDB_H
#define PRTIP_DETECT_SVCDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svc_db;    /* opaque: the whole file, compiled */
struct svc_probe; /* opaque: one Probe directive and its rules */

enum svc_proto { SVC_TCP = 0, SVC_UDP = 1 };

/* What a load found: every directive is counted, so a test can assert that
 * nothing was silently dropped (probes + matches + softmatches equal the
 * file's lines of those kinds). */
struct svc_db_stats {
    size_t probes;
    size_t matches;     /* match lines compiled */
    size_t softmatches; /* softmatch lines compiled */
    size_t failed;      /* rules whose regex PCRE2 refused (not used) */
    bool jit;           /* PCRE2 JIT was available and used */
};

/*
 * Load and compile path. On a rule whose expression PCRE2 cannot compile,
 * the rule is counted in st->failed and, when warn is non-NULL, reported
 * through warn(ctx, "file:line: reason") — never silently skipped. Any other
 * malformed line is an error. Returns 0 with *out set (free with
 * svc_db_free), or -1 with err = "FILE:LINE: what is wrong" (or the open
 * error naming the file and the Debian package nmap-common).
 */
int svc_db_load(const char *path, struct svc_db **out, struct svc_db_stats *st,
                void (*warn)(void *ctx, const char *msg), void *ctx, char *err, size_t errlen);

/* Same as svc_db_load on an in-memory file (name is used in messages); for
 * tests and the fuzz harness. buf need not be NUL-terminated. */
int svc_db_load_buf(const char *name, const char *buf, size_t len, struct svc_db **out,
                    struct svc_db_stats *st, void (*warn)(void *ctx, const char *msg), void *ctx,
                    char *err, size_t errlen);

void svc_db_free(struct svc_db *db);

/* Exclude directive: true if port/proto must not be probed (nmap's default
 * excludes 9100-9107 TCP: printers print whatever they get). */
bool svc_db_excluded(const struct svc_db *db, enum svc_proto proto, uint16_t port);

/*
 * The probes to send to one port, in nmap's order (service_scan.cc's
 * semantics): for TCP the NULL probe first; then the probes whose ports
 * (sslports when ssl) list the port, in file order; then the others of the
 * protocol with rarity <= intensity, in file order. intensity is 0-9
 * (--version-intensity; --version-light 2, --version-all 9); a probe whose
 * ports/sslports list the port is sent whatever its rarity. When
 * softmatched is non-NULL (a softmatch said that service), only probes that
 * have a rule for that service are kept (nmap's narrowing). Writes at most
 * max pointers into out (borrowed from db) and returns the full count.
 */
size_t svc_db_plan(const struct svc_db *db, enum svc_proto proto, uint16_t port, bool ssl,
                   int intensity, const char *softmatched, const struct svc_probe **out,
                   size_t max);

/* One probe's fields. payload is the unescaped q|...| bytes (len may be 0:
 * the NULL probe, or no-payload). Times in ms; 0 = the directive is absent
 * (nmap's defaults apply: 5000 ms totalwaitms, tcpwrappedms 2000). */
const char *svc_probe_name(const struct svc_probe *p);
enum svc_proto svc_probe_proto(const struct svc_probe *p);
const uint8_t *svc_probe_payload(const struct svc_probe *p, size_t *len);
int svc_probe_rarity(const struct svc_probe *p);
unsigned svc_probe_totalwaitms(const struct svc_probe *p);
unsigned svc_probe_tcpwrappedms(const struct svc_probe *p);
/* ports / sslports directive lists the port. */
bool svc_probe_lists_port(const struct svc_probe *p, uint16_t port, bool ssl);

/*
 * The answer a reply gives (nmap's ServiceProbeMatch fields after $1-$9,
 * $P(), $SUBST(), $I() substitution). Strings are owned by the answer:
 * release with svc_answer_clear. line is the match/softmatch line in the
 * probe file (evidence for JSON and --version-trace); probe is the probe
 * whose rule matched (the sent one, a fallback, or NULL).
 */
struct svc_answer {
    bool found; /* a rule matched */
    bool soft;  /* it was a softmatch: service only, keep probing */
    char *service;
    char *product, *version, *extrainfo, *hostname, *ostype, *devicetype;
    char **cpe; /* "cpe:/a:openbsd:openssh:9.2p1", ncpe entries */
    size_t ncpe;
    unsigned line;
    const struct svc_probe *probe;
};

/*
 * Match reply (len bytes, any content, not NUL-terminated) received for
 * probe p, as nmap does: p's rules in file order, then its fallback probes'
 * rules, then (TCP) the NULL probe's; the first hard match wins; a
 * softmatch is remembered and returned if no hard match follows. When
 * softmatched is non-NULL, rules for other services are skipped (nmap
 * narrows after a softmatch). trace, when non-NULL, gets one line per rule
 * tried (--version-trace). Bounded: PCRE2 match limits as nmap's. Returns
 * 0 with *ans filled (ans->found false: nothing matched), or -1 on
 * allocation failure.
 */
int svc_match(const struct svc_db *db, const struct svc_probe *p, const uint8_t *reply, size_t len,
              const char *softmatched, struct svc_answer *ans,
              void (*trace)(void *ctx, const char *line), void *ctx);

void svc_answer_clear(struct svc_answer *ans);

#endif
