/*
 * svcdb_internal.h — the compiled form of nmap-service-probes shared by the
 * loader (svcdb.c), the matcher (svcdb_match.c) and the template expander
 * (svcdb_tmpl.c). Not for other modules: they use svcdb.h.
 */
#ifndef PRTIP_DETECT_SVCDB_INTERNAL_H
#define PRTIP_DETECT_SVCDB_INTERNAL_H

#include "core/ports.h"
#include "detect/svcdb.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>

/* nmap's limits (service_scan.cc, since 7.80 / CVE-2018-15173): the PCRE
 * match limit and recursion (depth) limit set on every rule. */
#define SVC_PCRE_MATCH_LIMIT 100000
#define SVC_PCRE_DEPTH_LIMIT 10000

/* nmap's MAXFALLBACKS: at most MAXFALLBACKS-3 names on a fallback line
 * (the chain also holds the probe itself and the NULL probe). */
#define SVC_MAX_FALLBACKS 20

/* Longest required literal kept per rule for the prefilter. */
#define SVC_LIT_MAX 32

/* Template slots of a match line, in nmap's field order. */
enum svc_field {
    SVC_F_PRODUCT,
    SVC_F_VERSION,
    SVC_F_INFO,
    SVC_F_HOSTNAME,
    SVC_F_OSTYPE,
    SVC_F_DEVICETYPE,
    SVC_F_COUNT
};

struct svc_cpe_tmpl {
    char *tmpl; /* "cpe:/a:openbsd:openssh:$1" as written */
    char part;  /* 'a', 'h', 'o' (anything else: ignored, as nmap does) */
};

struct svc_rule {
    pcre2_code *re; /* NULL: PCRE2 refused the expression (counted in failed) */
    char *service;
    char *regex;              /* the expression as written (trace, warnings) */
    char *tmpl[SVC_F_COUNT];  /* NULL when absent */
    struct svc_cpe_tmpl *cpe; /* in line order */
    size_t ncpe;
    unsigned line;
    bool soft;
    uint32_t opts;  /* PCRE2_CASELESS / PCRE2_DOTALL from the i and s flags */
    int cerr;       /* compile: PCRE2 error code when re is NULL */
    size_t cerroff; /* compile: offset of the error in regex */
    /* JIT state: the load compiles every rule without JIT (that alone
     * finds the rules PCRE2 refuses, their counts and the prefilter's
     * data); the JIT compile, most of the load's cost, is done on the
     * rule's first PCRE2 call (svc_rule_jit). 0: not yet, 1: done (JIT
     * code present or PCRE2 declined; the interpreter then runs it). */
    atomic_uchar jit_done;
    /* Prefilter, from PCRE2's own study of the pattern: an anchored rule
     * whose first byte must be in first[] cannot match a reply that starts
     * otherwise, and no rule matches a reply shorter than minlen. Skipping
     * such calls changes no answer, only the time. */
    bool first_known;
    uint8_t first[32];
    uint32_t minlen;
    /* Text every match contains (svc_required_literal); caseless with the
     * i flag. Used when at least 3 bytes long. */
    uint8_t lit[SVC_LIT_MAX];
    uint8_t nlit;
};

struct svc_probe {
    char *name;
    enum svc_proto proto;
    uint8_t *payload;
    size_t len;
    bool no_payload; /* "no-payload": not for use as a -sU payload */
    bool is_null;    /* empty probe string: the NULL probe */
    int rarity;
    unsigned totalwaitms, tcpwrappedms, line;
    uint16_t *ports, *sslports; /* sorted, unique */
    size_t nports, nsslports;
    struct svc_rule *rules;
    size_t nrules, caprules;
    char **services; /* distinct services its rules name, sorted (nmap's detectedServices) */
    size_t nservices;
    const struct svc_probe *chain[SVC_MAX_FALLBACKS + 1]; /* itself, fallbacks, NULL (TCP) */
    size_t nchain;
    char *fallback; /* the fallback directive until resolved */
    unsigned fallback_line;
    /* 1 once every rule is PCRE2-compiled (re NULL: refused, warned) and
     * its prefilter data computed: at load, or (lazy load) by
     * svc_probe_compile on the probe's first svc_match. */
    atomic_uchar compiled;
};

struct svc_db {
    char *name;
    struct svc_probe *probes; /* file order, the NULL probe included */
    size_t nprobes;
    const struct svc_probe *null_probe;
    struct portset exclude;
    bool has_exclude;
    uint32_t max_captures; /* largest capture count of any rule */
    pcre2_match_context *mctx;
    pthread_mutex_t jit_mu; /* serialises the lazy JIT and probe compiles */
    /* The load's warn callback, kept for the rules a lazy load compiles
     * later (a refused rule is reported when its probe is first used). */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
};

/*
 * The longest run of literal bytes (at most SVC_LIT_MAX) that every match of
 * the PCRE expression re (as written in the file, no x option) must
 * contain, written to out; 0 when none is known. Conservative: never a text
 * some match lacks.
 */
size_t svc_required_literal(const char *re, uint8_t *out);

/* The prefilter: false only when r cannot match reply (too short, first
 * byte excluded, required literal absent); true means "run PCRE2". */
bool svc_rule_may_match(const struct svc_rule *r, const uint8_t *reply, size_t len);

/* Make sure r is JIT-compiled before a PCRE2 call on it (once per rule,
 * on its first use; later calls are one atomic load). Thread-safe: a
 * thread that finds the rule not yet compiled waits on db's lock, so no
 * pcre2_match runs on a code that is being JIT-compiled. */
void svc_rule_jit(const struct svc_db *db, const struct svc_rule *r);

/* Make sure every rule of p is compiled before svc_match walks them (once
 * per probe; later calls are one atomic load). Thread-safe like
 * svc_rule_jit (same lock). A rule PCRE2 refuses keeps re NULL, is
 * skipped by the matcher and is reported through the load's warn. */
void svc_probe_compile(const struct svc_db *db, const struct svc_probe *p);

/* Free what a rule owns (not r itself). */
void svc_rule_free(struct svc_rule *r);

/* svcdb_compile.c, for the loader. Compile every rule of db (several
 * threads), count them in st, drop the ones PCRE2 refuses, each reported
 * through warn (ctx; may be NULL) as "FILE:LINE: ..." with db->name.
 * Returns 0, or -1 out of memory. */
int svc_compile_all(struct svc_db *db, struct svc_db_stats *st,
                    void (*warn)(void *ctx, const char *msg), void *ctx);
/* A lazy load's counts in st: the rule lines parsed (nothing compiled). */
void svc_count_lazy(struct svc_db *db, struct svc_db_stats *st);

/* nmap's cstring_unescape on s[0..len): in place; new length or -1. */
long svc_unescape(char *s, size_t len);

#endif
