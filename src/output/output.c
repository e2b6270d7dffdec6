/*
 * output.c — the result sink: opens every requested output, fans each
 * finished host out to them in nmap's port order, and closes them with the
 * run summary. Formats live in their own files (normal.c, xml.c, ...).
 */
#include "output/output.h"

#include "net/capture.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* normal.c's stdout flavour ("Starting prtip ..."); not user-selectable, so
 * it is not in the registry. */
extern const struct output_module output_normal_terminal;

const struct output_module *output_module_find(const char *key)
{
    if (!key)
        return NULL;
    for (size_t i = 0; output_modules[i]; i++)
        if (strcmp(output_modules[i]->option, key) == 0 ||
            strcmp(output_modules[i]->name, key) == 0)
            return output_modules[i];
    return NULL;
}

/* Remember only the first failure: it is the one worth reporting, later
 * ones are usually its consequences (a full disk fails every write). */
static void note_error(struct output_set *set, const struct output *o, int err)
{
    if (set->error)
        return;
    set->error = err ? err : EIO;
    snprintf(set->failed, sizeof(set->failed), "%s", o && o->path ? o->path : "the outputs");
}

static void check_stream(struct output_set *set, struct output *o)
{
    if (o->fp && ferror(o->fp))
        note_error(set, o, o->flush_err ? o->flush_err : errno);
}

/* Flush every stream written since the last flush (OUTPUT_FLUSH_MS). */
static void flush_dirty(struct output_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        struct output *o = &set->outs[i];
        if (!o->fp)
            continue;
        flockfile(o->fp);
        if (o->dirty) {
            errno = 0;
            if (fflush(o->fp) != 0 && !o->flush_err)
                o->flush_err = errno ? errno : EIO;
            o->dirty = false;
        }
        funlockfile(o->fp);
    }
}

static void *flusher_main(void *arg)
{
    struct output_set *set = arg;
    pthread_mutex_lock(&set->fl_mu);
    while (!set->fl_stop) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += OUTPUT_FLUSH_MS * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        while (!set->fl_stop && pthread_cond_timedwait(&set->fl_cv, &set->fl_mu, &t) == 0)
            ;
        pthread_mutex_unlock(&set->fl_mu);
        flush_dirty(set);
        pthread_mutex_lock(&set->fl_mu);
    }
    pthread_mutex_unlock(&set->fl_mu);
    return NULL;
}

/* Start the flusher; without one (no thread) every host is flushed as it
 * is written, as before. */
static void flusher_start(struct output_set *set)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a) != 0)
        return;
    bool ok = pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 &&
              pthread_cond_init(&set->fl_cv, &a) == 0;
    pthread_condattr_destroy(&a);
    if (!ok)
        return;
    if (pthread_mutex_init(&set->fl_mu, NULL) != 0) {
        pthread_cond_destroy(&set->fl_cv);
        return;
    }
    set->fl_stop = false;
    if (pthread_create(&set->flusher, NULL, flusher_main, set) != 0) {
        pthread_mutex_destroy(&set->fl_mu);
        pthread_cond_destroy(&set->fl_cv);
        return;
    }
    set->flushing = true;
}

static void flusher_stop(struct output_set *set)
{
    if (!set->flushing)
        return;
    pthread_mutex_lock(&set->fl_mu);
    set->fl_stop = true;
    pthread_cond_signal(&set->fl_cv);
    pthread_mutex_unlock(&set->fl_mu);
    pthread_join(set->flusher, NULL);
    pthread_mutex_destroy(&set->fl_mu);
    pthread_cond_destroy(&set->fl_cv);
    set->flushing = false;
}

/* Release the streams of outs[0..n). The modules that already opened
 * (outs[0..opened)) get a close with an error summary so that their files
 * are still complete documents and their private state is freed (each close
 * copes with a half-done open). */
static void abandon(struct output_set *set, size_t opened, size_t nfiles)
{
    struct scan_summary sum = {.error = "output setup failed"};
    for (size_t i = 0; i < nfiles; i++) {
        struct output *o = &set->outs[i];
        if (i < opened)
            o->module->close(o, &sum);
        if (o->owns_fp)
            fclose(o->fp);
        else if (o->fp)
            fflush(o->fp);
        o->fp = NULL;
    }
    set->n = 0;
    scan_info_free(&set->info);
}

int output_set_open(struct output_set *set, const struct output_request *reqs, size_t nreq,
                    char *err, size_t errlen)
{
    return output_set_open_files(set, reqs, nreq, true, err, errlen);
}

int output_set_open_files(struct output_set *set, const struct output_request *reqs, size_t nreq,
                          bool terminal, char *err, size_t errlen)
{
    memset(set, 0, sizeof(*set));
    if (errlen)
        err[0] = '\0';

    /* nmap always writes normal output to stdout, unless a requested output
     * ("-oX -") already owns stdout: two formats interleaved on one stream
     * would make both unreadable. */
    bool stdout_taken = !terminal;
    for (size_t i = 0; i < nreq; i++)
        if (reqs[i].path && strcmp(reqs[i].path, "-") == 0)
            stdout_taken = true;

    if (!stdout_taken) {
        struct output *o = &set->outs[set->n++];
        o->module = &output_normal_terminal;
        o->fp = stdout;
        o->path = "standard output";
        o->owns_fp = false;
    }

    /* Create every file before writing anything, so a bad path fails before
     * the scan starts and before any header reaches stdout. */
    for (size_t i = 0; i < nreq && i < OUTPUT_MAX; i++) {
        const struct output_request *r = &reqs[i];
        if (!r->module || !r->path) {
            snprintf(err, errlen, "output request %zu has no format or path", i + 1);
            abandon(set, 0, set->n);
            return -1;
        }
        struct output *o = &set->outs[set->n];
        o->module = r->module;
        if (strcmp(r->path, "-") == 0) {
            o->fp = stdout;
            o->path = "standard output";
            o->owns_fp = false;
        } else {
            o->path = r->path;
            o->fp = fopen(r->path, r->append ? "a" : "w");
            if (!o->fp) {
                int e = errno;
                snprintf(err, errlen, "cannot write %s: %s", r->path, strerror(e));
                abandon(set, 0, set->n);
                set->error = e;
                return -1;
            }
            o->owns_fp = true;
        }
        set->n++;
    }
    return 0;
}

int output_set_begin(struct output_set *set, const struct scan_info *info, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (scan_info_copy(&set->info, info) < 0) {
        snprintf(err, errlen, "cannot start outputs: %s", strerror(ENOMEM));
        abandon(set, 0, set->n);
        return -1;
    }
    bool failed = false;
    for (size_t i = 0; i < set->n; i++) {
        struct output *o = &set->outs[i];
        o->info = &set->info;
        errno = 0;
        if ((o->module->open(o) < 0 || ferror(o->fp)) && !failed) {
            int e = errno ? errno : EIO;
            snprintf(err, errlen, "cannot write %s: %s", o->path, strerror(e));
            note_error(set, o, e);
            failed = true;
        }
    }
    if (failed) {
        /* Every output was opened (a failed module's close frees what it
         * allocated), so that the files that can be written end as complete
         * documents that say the scan did not run. */
        abandon(set, set->n, set->n);
        return -1;
    }
    set->begun = true;
    flusher_start(set);
    return 0;
}

static int cmp_port(const void *a, const void *b)
{
    const struct port_result *x = *(const struct port_result *const *)a;
    const struct port_result *y = *(const struct port_result *const *)b;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    return (x->port > y->port) - (x->port < y->port);
}

/* nmap --open leaves out hosts that have no port that could be open; a
 * host scanned without ports (ping scan) is still reported. */
static bool open_only_drops(const struct scan_info *info, const struct host_result *h)
{
    if (!info->open_only || h->nports == 0)
        return false;
    for (size_t i = 0; i < h->nports; i++) {
        uint8_t s = h->ports[i].state;
        if (s == PORT_OPEN || s == PORT_OPEN_FILTERED || s == PORT_UNFILTERED)
            return false;
    }
    return true;
}

void output_set_host(struct output_set *set, const struct host_result *h)
{
    if (set->n == 0 || !set->begun)
        return;
    const struct scan_info *info = &set->info;
    if (open_only_drops(info, h))
        return;
    unsigned hidden = result_hidden_states(h, info->verbose, info->open_only);

    /* Engines record ports in scan (random) order; every format lists them
     * ascending by protocol then port, as nmap does. Sort pointers so the
     * caller's record stays untouched. */
    const struct port_result **order = NULL;
    size_t nshown = 0;
    if (h->nports) {
        order = malloc(h->nports * sizeof(*order));
        if (!order) {
            note_error(set, NULL, ENOMEM);
            return;
        }
        for (size_t i = 0; i < h->nports; i++) {
            const struct port_result *p = &h->ports[i];
            if (p->state < PORT_STATE_COUNT && (hidden & (1u << p->state)))
                continue;
            order[nshown++] = p;
        }
        qsort(order, nshown, sizeof(*order), cmp_port);
    }

    /* --packet-trace: the lines of the host's probes come before its report,
     * as nmap's do (before stdout is locked: the capture's thread prints
     * them there). */
    if (capture_tracing())
        capture_flush();
    for (size_t i = 0; i < set->n; i++) {
        struct output *o = &set->outs[i];
        const struct output_module *m = o->module;
        /* One host's block in one piece: --packet-trace lines, written by
         * the capture's thread to the same stdout, go between blocks. */
        flockfile(o->fp);
        int rc = m->host_begin(o, h, hidden);
        for (size_t j = 0; rc == 0 && j < nshown; j++)
            rc = m->port(o, h, order[j]);
        if (m->host_end(o, h, hidden) < 0)
            rc = -1;
        o->dirty = true;
        if (!set->flushing && fflush(o->fp) != 0)
            rc = -1;
        funlockfile(o->fp);
        if (rc < 0)
            note_error(set, o, errno);
        check_stream(set, o);
    }
    free(order);
}

void output_set_task(struct output_set *set, const struct task_event *ev)
{
    if (!set->begun)
        return;
    for (size_t i = 0; i < set->n; i++) {
        struct output *o = &set->outs[i];
        if (o->module->task && o->module->task(o, ev) < 0)
            note_error(set, o, errno);
        check_stream(set, o);
    }
}

int output_set_close(struct output_set *set, const struct scan_summary *sum)
{
    if (capture_tracing())
        capture_flush(); /* the last trace lines before "prtip done" */
    flusher_stop(set);   /* the closes below flush each stream themselves */
    for (size_t i = 0; i < set->n; i++) {
        struct output *o = &set->outs[i];
        if (set->begun && o->module->close(o, sum) < 0)
            note_error(set, o, errno);
        if (fflush(o->fp) != 0)
            note_error(set, o, errno);
        check_stream(set, o);
        if (o->owns_fp && fclose(o->fp) != 0)
            note_error(set, o, errno);
        o->fp = NULL;
    }
    set->n = 0;
    set->begun = false;
    scan_info_free(&set->info);
    return set->error ? -1 : 0;
}

static int sink_begin_cb(void *ctx, const struct scan_info *info)
{
    struct output_set *set = ctx;
    return output_set_begin(set, info, set->errmsg, sizeof(set->errmsg));
}

static void sink_host_cb(void *ctx, const struct host_result *h)
{
    output_set_host(ctx, h);
}

static int sink_end_cb(void *ctx, const struct scan_summary *sum)
{
    return output_set_close(ctx, sum);
}

static void sink_task_cb(void *ctx, const struct task_event *ev)
{
    output_set_task(ctx, ev);
}

bool output_error_is_runtime(int err)
{
    switch (err) {
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EPIPE:
        return true;
    default:
        return false;
    }
}

struct result_sink output_set_sink(struct output_set *set)
{
    return (struct result_sink){.begin = sink_begin_cb,
                                .host = sink_host_cb,
                                .end = sink_end_cb,
                                .task = sink_task_cb,
                                .ctx = set};
}
