/*
 * svcdb_compile.c — compiling nmap-service-probes' match and softmatch
 * rules with PCRE2: all at once on several threads (svc_db_load), or a
 * probe's on its first use (svc_db_load_lazy), JIT on a rule's first use;
 * what the prefilter needs is read from PCRE2's study. Parsing is
 * svcdb.c's.
 */
#include "detect/svcdb_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Report a rule PCRE2 refused: "FILE:LINE: match svc: regex does not
 * compile ...", through warn (when non-NULL). */
static void warn_refused(const char *name, const struct svc_rule *r,
                         void (*warn)(void *ctx, const char *msg), void *ctx)
{
    if (!warn)
        return;
    PCRE2_UCHAR emsg[160];
    pcre2_get_error_message(r->cerr, emsg, sizeof emsg);
    char msg[512];
    snprintf(msg, sizeof msg,
             "%s:%u: %s %s: regex does not compile at offset %zu: %s (rule not used)", name,
             r->line, r->soft ? "softmatch" : "match", r->service, r->cerroff, (const char *)emsg);
    warn(ctx, msg);
}

/* Compile one rule (no JIT: svc_rule_jit does that on first use) and read
 * what the prefilter needs from PCRE2's study. */
static void compile_rule(struct svc_rule *r)
{
    PCRE2_SIZE eoff = 0;
    r->re =
        pcre2_compile((PCRE2_SPTR)r->regex, PCRE2_ZERO_TERMINATED, r->opts, &r->cerr, &eoff, NULL);
    r->cerroff = (size_t)eoff;
    if (!r->re)
        return;
    r->nlit = (uint8_t)svc_required_literal(r->regex, r->lit);
    uint32_t allopts = 0, fct = 0, fcu = 0;
    pcre2_pattern_info(r->re, PCRE2_INFO_MINLENGTH, &r->minlen);
    pcre2_pattern_info(r->re, PCRE2_INFO_ALLOPTIONS, &allopts);
    if (!(allopts & PCRE2_ANCHORED))
        return;
    const uint8_t *bm = NULL;
    pcre2_pattern_info(r->re, PCRE2_INFO_FIRSTBITMAP, &bm);
    pcre2_pattern_info(r->re, PCRE2_INFO_FIRSTCODETYPE, &fct);
    if (bm) {
        memcpy(r->first, bm, sizeof r->first);
        r->first_known = true;
    } else if (fct == 1 && pcre2_pattern_info(r->re, PCRE2_INFO_FIRSTCODEUNIT, &fcu) == 0 &&
               fcu < 256) {
        /* PCRE2 does not say whether that unit is caseless (an inline (?i)
         * makes it so without PCRE2_CASELESS): allow both cases. */
        uint32_t other = fcu >= 'a' && fcu <= 'z'   ? fcu - 32
                         : fcu >= 'A' && fcu <= 'Z' ? fcu + 32
                                                    : fcu;
        r->first[fcu >> 3] |= (uint8_t)(1u << (fcu & 7));
        r->first[other >> 3] |= (uint8_t)(1u << (other & 7));
        r->first_known = true;
    }
}

struct compile_job {
    struct svc_rule **rules;
    size_t n;
    atomic_size_t next;
};

static void *compile_worker(void *arg)
{
    struct compile_job *job = arg;
    for (size_t i; (i = atomic_fetch_add(&job->next, 1)) < job->n;)
        compile_rule(job->rules[i]);
    return NULL;
}

/*
 * Compile every rule, on as many threads as there are CPUs (up to 8): the
 * rules are independent and PCRE2's compiler and JIT are thread-safe, so
 * the load takes about 1/CPUs of the time. Then, in file order, count
 * them, and warn about and drop the ones PCRE2 refused.
 */
int svc_compile_all(struct svc_db *db, struct svc_db_stats *st,
                    void (*warn)(void *ctx, const char *msg), void *ctx)
{
    size_t total = 0;
    for (size_t i = 0; i < db->nprobes; i++)
        total += db->probes[i].nrules;
    struct compile_job job = {.n = total};
    atomic_init(&job.next, 0);
    job.rules = malloc((total ? total : 1) * sizeof *job.rules);
    if (!job.rules)
        return -1;
    for (size_t i = 0, k = 0; i < db->nprobes; i++)
        for (size_t j = 0; j < db->probes[i].nrules; j++)
            job.rules[k++] = &db->probes[i].rules[j];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nth = total < 512 || cpus < 2 ? 0 : (size_t)(cpus > 8 ? 8 : cpus) - 1;
    pthread_t th[8];
    size_t started = 0;
    for (; started < nth; started++)
        if (pthread_create(&th[started], NULL, compile_worker, &job) != 0)
            break;
    compile_worker(&job); /* this thread works too, and alone if none started */
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(job.rules);

    for (size_t i = 0; i < db->nprobes; i++) {
        struct svc_probe *p = &db->probes[i];
        size_t kept = 0;
        for (size_t j = 0; j < p->nrules; j++) {
            struct svc_rule *r = &p->rules[j];
            if (!r->re) {
                warn_refused(db->name, r, warn, ctx);
                st->failed++;
                svc_rule_free(r);
                continue;
            }
            uint32_t caps = 0;
            pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &caps);
            if (caps + 1 > db->max_captures)
                db->max_captures = caps + 1;
            if (r->soft)
                st->softmatches++;
            else
                st->matches++;
            p->rules[kept++] = *r;
        }
        p->nrules = kept;
        atomic_store_explicit(&p->compiled, 1, memory_order_relaxed);
    }
    return 0;
}

/*
 * Lazy load: no rule is compiled yet (svc_probe_compile does a probe's on
 * its first use), so the counts are the rule lines parsed, and the match
 * data size is bounded by the parentheses of the expressions (every
 * capture group opens with one), which is never less than the real count.
 */
void svc_count_lazy(struct svc_db *db, struct svc_db_stats *st)
{
    for (size_t i = 0; i < db->nprobes; i++) {
        struct svc_probe *p = &db->probes[i];
        for (size_t j = 0; j < p->nrules; j++) {
            const struct svc_rule *r = &p->rules[j];
            uint32_t caps = 1;
            for (const char *c = r->regex; *c; c++)
                caps += *c == '(';
            if (caps > db->max_captures)
                db->max_captures = caps;
            if (r->soft)
                st->softmatches++;
            else
                st->matches++;
        }
    }
}

void svc_rule_jit(const struct svc_db *db, const struct svc_rule *r)
{
    /* The database is shared read-only; the JIT state is the one field
     * that changes after the load, under this protocol. */
    struct svc_rule *w = (struct svc_rule *)r;
    if (atomic_load_explicit(&w->jit_done, memory_order_acquire))
        return;
    pthread_mutex_t *mu = (pthread_mutex_t *)&db->jit_mu;
    pthread_mutex_lock(mu);
    if (!atomic_load_explicit(&w->jit_done, memory_order_relaxed)) {
        /* A failure (no JIT in this PCRE2, out of executable memory)
         * leaves the interpreter, which gives the same answers. */
        (void)pcre2_jit_compile(w->re, PCRE2_JIT_COMPLETE);
        atomic_store_explicit(&w->jit_done, 1, memory_order_release);
    }
    pthread_mutex_unlock(mu);
}

void svc_probe_compile(const struct svc_db *db, const struct svc_probe *p)
{
    /* Same protocol as svc_rule_jit: the probe's rules are written once,
     * under the lock, and published by the release store. */
    struct svc_probe *w = (struct svc_probe *)p;
    if (atomic_load_explicit(&w->compiled, memory_order_acquire))
        return;
    pthread_mutex_t *mu = (pthread_mutex_t *)&db->jit_mu;
    pthread_mutex_lock(mu);
    if (!atomic_load_explicit(&w->compiled, memory_order_relaxed)) {
        for (size_t i = 0; i < w->nrules; i++) {
            compile_rule(&w->rules[i]);
            if (!w->rules[i].re)
                warn_refused(db->name, &w->rules[i], db->warn, db->warn_ctx);
        }
        atomic_store_explicit(&w->compiled, 1, memory_order_release);
    }
    pthread_mutex_unlock(mu);
}
