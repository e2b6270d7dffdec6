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
 * of threads; match data (PCRE2 match data blocks) is per call (the one
 * things that change after the load, a probe's lazy compile and a rule's
 * lazy JIT compile, are done once under the database's lock). svc_db_load
 * parses the whole file and compiles every rule without JIT, on up to 8
 * short-lived threads (one per CPU): ~60-190 ms for Debian's file on 2
 * CPUs. svc_db_load_lazy only parses (~20 ms) and compiles a probe's rules
 * on the probe's first svc_match, so a run pays for the probes it uses;
 * the version stage uses it unless -d or --version-trace asks for the
 * complete counts and warnings up front. The JIT compile (twice the plain
 * compile) is done per rule on its first PCRE2 call, so a scan pays it
 * only for the rules its replies reach.
 *
 * nmap 7.93 (Debian 12) matches with PCRE1; this module uses PCRE2 with the
 * same options (no UTF, bytes, i = CASELESS, s = DOTALL) and limits. Every
 * rule of Debian's file compiles under PCRE2 (the real-file unit test
 * checks it) and test_svcdb_nmap compares answers with nmap itself. Known
 * residual difference: PCRE1 and PCRE2 (and PCRE2's JIT) count the match
 * limit differently, so a rule on the edge of the limit (nmap then warns
 * "Hit PCRE_ERROR_MATCHLIMIT" and treats it as no match) may decide
 * differently; such rules are rare and look for text the reply lacks.
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
    bool jit;           /* PCRE2 has JIT: rules are JIT-compiled on first use */
};

/*
 * Load and compile path (NULL: nmap-service-probes in the data directory,
 * $PRTIP_DATADIR else /usr/share/nmap). The grammar is nmap 7.93's parser's
 * (service_scan.cc): directives at the start of a line, "#" comments, any
 * delimiter after q, m and the field letters (cpe: too), i/s regex flags;
 * a blank line may hold spaces, and lines have no length limit (nmap reads
 * 2047 bytes). On a rule whose expression PCRE2 cannot compile,
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

/*
 * Lazy variants: parse the whole file (every line checked, the per-probe
 * service lists built from the rule lines) but compile no rule; a probe's
 * rules are PCRE2-compiled, with their prefilter data, the first time
 * svc_match walks that probe (as the sent probe, a fallback or the NULL
 * probe), once, thread-safe. A run then compiles only the probes it uses
 * (~60-90 ms less on the critical path for Debian's file). Differences:
 * st->matches/softmatches count the rule lines parsed and st->failed is 0;
 * a rule PCRE2 refuses is reported through warn (kept by the database, so
 * ctx must outlive it; called from the matching thread) when its probe is
 * first used, and skipped as in the eager load. Corner: its service stays
 * in the probe's service list (svc_probe_can_match, softmatch narrowing),
 * where the eager load drops it; nmap refuses to start on such a file and
 * Debian's has no such rule. Callers that need complete counts and
 * warnings up front (-d, --version-trace, tests) use svc_db_load.
 */
int svc_db_load_lazy(const char *path, struct svc_db **out, struct svc_db_stats *st,
                     void (*warn)(void *ctx, const char *msg), void *ctx, char *err, size_t errlen);
int svc_db_load_buf_lazy(const char *name, const char *buf, size_t len, struct svc_db **out,
                         struct svc_db_stats *st, void (*warn)(void *ctx, const char *msg),
                         void *ctx, char *err, size_t errlen);

void svc_db_free(struct svc_db *db);

/* Exclude directive: true if port/proto must not be probed (nmap's default
 * excludes 9100-9107 TCP: printers print whatever they get). */
bool svc_db_excluded(const struct svc_db *db, enum svc_proto proto, uint16_t port);

/*
 * The probes to send to one port, in nmap's order (service_scan.cc's
 * ServiceNFO::nextProbe, nmap 7.93): for TCP the NULL probe first; then the
 * probes of the protocol whose ports (sslports when ssl; only sslports then)
 * list the port, in file order, whatever their rarity; then the others of
 * the protocol with rarity <= intensity, in file order. intensity is 0-9
 * (--version-intensity; --version-light 2, --version-all 9). When
 * softmatched is non-NULL (a softmatch said that service), nmap narrows:
 * in both phases only probes that have a rule for that service are kept,
 * and in the second phase such a probe is sent whatever its rarity; at
 * intensity 9 nothing is narrowed (all probes of the second phase are
 * sent). Writes at most max pointers into out (borrowed from db) and
 * returns the full count.
 */
size_t svc_db_plan(const struct svc_db *db, enum svc_proto proto, uint16_t port, bool ssl,
                   int intensity, const char *softmatched, const struct svc_probe **out,
                   size_t max);

/*
 * The probe nmap sends after cur (NULL: the first) under the same rules as
 * svc_db_plan, or NULL when none is left. Because a softmatch arrives in the
 * middle of a port's probes and narrows only the ones after it, a stage that
 * follows nmap step by step calls this with the softmatched service known so
 * far: svc_db_next(.., soft, cur) is nmap's nextProbe after cur.
 */
const struct svc_probe *svc_db_next(const struct svc_db *db, enum svc_proto proto, uint16_t port,
                                    bool ssl, int intensity, const char *softmatched,
                                    const struct svc_probe *cur);

/* One probe's fields. payload is the unescaped q|...| bytes (len is 0 only
 * for the NULL probe; a no-payload probe still has its bytes, the flag only
 * keeps nmap from using it as a -sU payload). Times in ms; 0 = the
 * directive is absent (nmap's defaults apply: 5000 ms totalwaitms,
 * tcpwrappedms 2000). line is the Probe line in the file. */
const char *svc_probe_name(const struct svc_probe *p);
enum svc_proto svc_probe_proto(const struct svc_probe *p);
const uint8_t *svc_probe_payload(const struct svc_probe *p, size_t *len);
int svc_probe_rarity(const struct svc_probe *p);
unsigned svc_probe_totalwaitms(const struct svc_probe *p);
unsigned svc_probe_tcpwrappedms(const struct svc_probe *p);
bool svc_probe_no_payload(const struct svc_probe *p);
bool svc_probe_is_null(const struct svc_probe *p);
unsigned svc_probe_line(const struct svc_probe *p);
/* ports (ssl false) or sslports (ssl true) directive lists the port. */
bool svc_probe_lists_port(const struct svc_probe *p, uint16_t port, bool ssl);
/* p has a match or softmatch rule for service (nmap's serviceIsPossible,
 * which decides the narrowing after a softmatch). */
bool svc_probe_can_match(const struct svc_probe *p, const char *service);

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
 * probe p, as nmap does (servicescan_read_handler): p's rules in file order,
 * then each fallback probe's rules, then (TCP) the NULL probe's; the FIRST
 * rule that matches decides, soft or hard — a softmatch earlier in that
 * order hides a hard match later in it, exactly as in nmap. ans->soft tells
 * which it was; the caller keeps probing after a softmatch and remembers it.
 * softmatched is the service of an earlier softmatch on this port, or NULL:
 * nmap keeps its first softmatch, so when softmatched is non-NULL and the
 * deciding rule is a softmatch, ans->found is false. Rules are never skipped
 * by service (nmap does not narrow rules, only probes; see svc_db_next).
 * trace, when non-NULL, gets one line per rule tried (--version-trace).
 * Bounded: PCRE2 match limit 100000 and depth limit 10000, as nmap sets
 * them; a rule that hits a limit does not match (nmap's behaviour). Fields
 * are expanded into nmap's buffer sizes (product, version, hostname 80
 * bytes; extrainfo 256; ostype, devicetype 32; each cpe 80): a template
 * whose text does not fit leaves its field NULL, as nmap leaves it empty.
 * Cost grows with len: pass what nmap would hold (it stops reading a
 * probe's reply once it has 4096 bytes); 4 KB of HTTP-like text against
 * GetRequest's chain is ~2 ms, 1 MB ~30 ms (bounded by the limits).
 * Returns 0 with *ans filled (ans->found false: nothing matched), or -1 on
 * allocation failure.
 */
int svc_match(const struct svc_db *db, const struct svc_probe *p, const uint8_t *reply, size_t len,
              const char *softmatched, struct svc_answer *ans,
              void (*trace)(void *ctx, const char *line), void *ctx);

/*
 * Fold a later answer into the port's answer as nmap's processMatch does: a
 * field (or CPE of a part a/h/o) the new match sets replaces the old one, a
 * field it leaves empty keeps the value of the earlier softmatch. Returns 0,
 * or -1 on allocation failure. dst starts zeroed.
 */
int svc_answer_merge(struct svc_answer *dst, const struct svc_answer *src);

/*
 * Expand one version template as written in the file (the text of p/.../ or
 * a whole "cpe:/a:vendor:$1" when cpe is true) against subject (len bytes)
 * whose captures are ovec[2k], ovec[2k+1] for k < npairs (SIZE_MAX: unset;
 * npairs is pcre2_match's return). $1-$9, $P(n) (printable bytes only),
 * $SUBST(n,"find","repl"), $I(n,">") / $I(n,"<") (unsigned big/little
 * endian integer of up to 8 bytes, in decimal); with cpe, each substitution
 * is CPE-escaped (reserved characters as %XX, blanks as '_', lowercase).
 * Writes a NUL-terminated string of at most outlen bytes (nmap's buffer
 * size for the field) with trailing blanks and commas trimmed. Returns 0,
 * or -1 (out = "") where nmap leaves the field empty: a bad or unknown
 * $-expression, a capture that is unset, or a result that does not fit.
 * Pure function of its arguments; thread-safe.
 */
int svc_template_expand(const char *tmpl, const uint8_t *subject, size_t len, const size_t *ovec,
                        size_t npairs, bool cpe, char *out, size_t outlen);

void svc_answer_clear(struct svc_answer *ans);

#endif
