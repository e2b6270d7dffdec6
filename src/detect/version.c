/*
 * version.c — the version-detection stage (version.h): the job, the worker
 * thread that runs the probes on its own event loop, and the hand-over of
 * host records between the stream's thread and the worker.
 *
 * The stream calls host() on its thread (the port scan's). A host with
 * nothing to probe passes straight on; any other is copied and queued for
 * the worker, which enriches the copy and queues it back. Records are
 * passed on from the stream's thread only (stream.h's contract): at every
 * host() call for those finished meanwhile, and in end(), which waits for
 * the rest. The probe database loads in the worker while the port scan
 * runs, so its cost overlaps the scan.
 */
#include "detect/version.h"
#include "core/clock.h"
#include "core/datafile.h"
#include "core/log.h"
#include "detect/version_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Connection caps. Per port: the NULL probe waits for a banner while the
 * next probes run beside it; per host: no service is flooded. */
#define VS_PORT_CONNS 6
#define VS_HOST_CONNS 48
#define VS_MAX_CONNS  2048

static unsigned min_u(unsigned a, unsigned b)
{
    return a < b ? a : b;
}

/*
 * The user's parallelism, applied to probe connections. nmap's service
 * scan keeps ideal_parallelism services in flight, one connection each
 * (service_scan.cc, ServiceGroup): 1 at -T0..-T2, 20/30/40 at -T3/-T4/-T5,
 * never below --min-parallelism nor above --max-parallelism (default 100).
 * prtip runs a port's probes on parallel connections, so the same bounds
 * hold its connections: --max-parallelism N (or nmap's serial -T0..-T2)
 * caps connections in flight in all, per host and per port; a
 * --min-parallelism above the defaults raises the all and per-host caps.
 * The TLS-facts and snmp-info connections count and wait like the others.
 */
static void apply_parallelism(struct version_job *job, const struct timing *t, unsigned nofile_cap)
{
    unsigned ceiling = 0;
    if (t->max_parallelism)
        ceiling = t->max_parallelism;
    else if (t->level <= 2)
        ceiling = t->min_parallelism > 1 ? t->min_parallelism : 1;
    if (ceiling) {
        job->max_conns = min_u(job->max_conns, ceiling);
        job->host_conns = min_u(job->host_conns, ceiling);
        job->port_conns = min_u(job->port_conns, ceiling);
    }
    if (t->min_parallelism) {
        unsigned floor = t->min_parallelism;
        if (floor > nofile_cap) {
            log_warn("version",
                     "--min-parallelism %u: -sV keeps at most %u connections open (the open-files "
                     "limit, ulimit -n)",
                     floor, nofile_cap);
            floor = nofile_cap;
        }
        if (job->max_conns < floor)
            job->max_conns = floor;
        if (job->host_conns < floor)
            job->host_conns = floor;
    }
}

int version_job_from_config(struct version_job *job, const struct config *cfg,
                            volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    memset(job, 0, sizeof(*job));
    const struct version_opts *o = &cfg->version;
    job->intensity = o->intensity;
    job->trace = o->trace;
    job->all_ports = o->all_ports;
    job->timeout_ms = o->timeout_ms;
    job->host_timeout_ms = cfg->timing.host_timeout_ms;
    /* ssl-cert's text at the verbosity nmap runs it with when selected by
     * name (--script ssl-cert gives the script one level more). */
    job->verbose = cfg->verbose + 1;
    job->debug = cfg->debug;
    job->stop = stop;
    job->port_conns = VS_PORT_CONNS;
    job->host_conns = VS_HOST_CONNS;
    /* Every connection is a descriptor: stay well inside RLIMIT_NOFILE. */
    struct rlimit rl;
    unsigned cap = VS_MAX_CONNS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)cap + 128)
        cap = rl.rlim_cur > 192 ? (unsigned)(rl.rlim_cur - 128) : 64;
    job->max_conns = cap;
    apply_parallelism(job, &cfg->timing, cap);
    datafile_find(cfg->datadir, "nselib/data/enterprise_numbers.txt", job->enterprise_path,
                  sizeof(job->enterprise_path));
    if (o->db) {
        snprintf(job->dbpath, sizeof(job->dbpath), "%s", o->db);
        if (access(job->dbpath, R_OK) != 0) {
            snprintf(err, errlen, "--versiondb %s: %s", o->db, strerror(errno));
            return -1;
        }
    } else {
        const char *path =
            datafile_find(cfg->datadir, "nmap-service-probes", job->dbpath, sizeof(job->dbpath));
        if (!path || access(path, R_OK) != 0) {
            snprintf(err, errlen,
                     "cannot read nmap-service-probes (searched --datadir and the nmap data "
                     "directory): install Debian package nmap-common, or give --versiondb FILE");
            return -1;
        }
        if (path != job->dbpath)
            snprintf(job->dbpath, sizeof(job->dbpath), "%s", path);
    }
    return 0;
}

/* ---- hand-over between the threads --------------------------------------- */

static void push(struct vhost **head, struct vhost **tail, struct vhost *vh)
{
    vh->next = NULL;
    if (*tail)
        (*tail)->next = vh;
    else
        *head = vh;
    *tail = vh;
}

/* Move every host of one queue to the end of another. */
static void move_all(struct vhost **head, struct vhost **tail, struct vhost **to_head,
                     struct vhost **to_tail)
{
    while (*head) {
        struct vhost *vh = *head;
        *head = vh->next;
        push(to_head, to_tail, vh);
    }
    *tail = NULL;
}

static void free_vhost(struct vhost *vh)
{
    vport_free_host(vh);
    host_result_free(&vh->h);
    free(vh);
}

/* Worker: the finished hosts go to the stream thread. */
static void flush_done(struct vs *vs)
{
    if (!vs->done_head)
        return;
    pthread_mutex_lock(&vs->mu);
    move_all(&vs->done_head, &vs->done_tail, &vs->out_head, &vs->out_tail);
    bool stop = vs->closing && !vs->in_head && vs->nactive == 0;
    pthread_cond_broadcast(&vs->cv);
    pthread_mutex_unlock(&vs->mu);
    if (stop)
        evloop_stop(vs->loop);
}

static void flush_task(struct evloop *loop, void *user)
{
    (void)loop;
    flush_done(user);
}

/* Worker: remove vh from the active list; hand it over once the current
 * callbacks are done with it. */
void vs_host_done(struct vs *vs, struct vhost *vh)
{
    evloop_timer_cancel(vs->loop, &vh->timeout);
    for (size_t i = 0; i < vs->nactive; i++)
        if (vs->active[i] == vh) {
            vs->active[i] = vs->active[--vs->nactive];
            break;
        }
    push(&vs->done_head, &vs->done_tail, vh);
    evloop_defer(vs->loop, &vs->flush);
}

static void db_warn(void *ctx, const char *msg)
{
    (void)ctx; /* eager load under -d/--version-trace, else on first use */
    log_warn("version", "%s", msg);
}

/* Worker: take the hosts handed in and start them. */
static void on_wake(struct evloop *loop, void *user)
{
    struct vs *vs = user;
    pthread_mutex_lock(&vs->mu);
    struct vhost *list = vs->in_head;
    vs->in_head = vs->in_tail = NULL;
    bool closing = vs->closing;
    pthread_mutex_unlock(&vs->mu);
    while (list) {
        struct vhost *vh = list;
        list = list->next;
        vh->next = NULL;
        if (vs->nactive == vs->cap_active) {
            size_t n = vs->cap_active ? 2 * vs->cap_active : 16;
            struct vhost **a = realloc(vs->active, n * sizeof(*a));
            if (!a) {
                vs_host_done(vs, vh); /* passed on as the port scan found it */
                continue;
            }
            vs->active = a;
            vs->cap_active = n;
        }
        vs->active[vs->nactive++] = vh;
        /* After Ctrl-C a host handed in is passed on as the port scan
         * found it, marked cut short (its -sV answers are missing, so a
         * resume runs -sV on it again): a stopped scan opens no new
         * connection. */
        if (vs->job.stop && *vs->job.stop) {
            vh->h.interrupted = true;
            vs_host_done(vs, vh);
        } else if (vs->db_failed || vport_setup_host(vs, vh) == 0) {
            vs_host_done(vs, vh);
        }
    }
    vport_pump(vs);
    if (closing && vs->nactive == 0)
        evloop_stop(loop);
}

static void *worker(void *arg)
{
    struct vs *vs = arg;
    struct svc_db_stats st;
    int64_t t0 = clock_mono_us();
    /* -d and --version-trace compile every rule at load, so the counts
     * and refused-rule warnings are complete; a plain run compiles only
     * the probes it uses (svc_db_load_lazy). */
    bool eager = vs->job.debug > 0 || vs->job.trace;
    if ((eager ? svc_db_load : svc_db_load_lazy)(vs->job.dbpath, &vs->db, &st, db_warn, vs,
                                                 vs->db_err, sizeof(vs->db_err)) < 0) {
        vs->db_failed = true;
        log_error("version", "%s", vs->db_err);
    } else if (vs->job.debug > 0) {
        log_info("version",
                 "%s: %zu probes, %zu match and %zu softmatch rules loaded, %zu refused by "
                 "PCRE2 (%s) in %.0f ms",
                 vs->job.dbpath, st.probes, st.matches, st.softmatches, st.failed,
                 st.jit ? "JIT on first use" : "no JIT", (double)(clock_mono_us() - t0) / 1000.0);
    }
    char err[256];
    evloop_set_stop_flag(vs->loop, vs->job.stop);
    evloop_on_wake(vs->loop, on_wake, vs);
    on_wake(vs->loop, vs); /* hosts that came while the file loaded */
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&vs->mu);
        bool idle = vs->closing && !vs->in_head && vs->nactive == 0;
        pthread_mutex_unlock(&vs->mu);
        if (idle)
            break;
        rc = evloop_run(vs->loop, err, sizeof(err));
        if (rc != 0)
            break;
    }
    if (rc < 0)
        log_error("version", "event loop: %s", err);
    /* Ctrl-C or a failure: every host goes on with what was found. */
    while (vs->nactive > 0) {
        struct vhost *vh = vs->active[vs->nactive - 1];
        vport_abort_host(vs, vh);
        vs_host_done(vs, vh);
    }
    evloop_undefer(vs->loop, &vs->flush);
    flush_done(vs);
    pthread_mutex_lock(&vs->mu);
    move_all(&vs->in_head, &vs->in_tail, &vs->out_head, &vs->out_tail);
    vs->worker_done = true;
    pthread_cond_broadcast(&vs->cv);
    pthread_mutex_unlock(&vs->mu);
    return NULL;
}

/* ---- the stage ------------------------------------------------------------ */

/* Stream thread: pass on the hosts the worker finished. */
static void drain(struct vs *vs, const struct result_sink *next)
{
    for (;;) {
        pthread_mutex_lock(&vs->mu);
        struct vhost *vh = vs->out_head;
        if (vh) {
            vs->out_head = vh->next;
            if (!vs->out_head)
                vs->out_tail = NULL;
            vs->in_flight--;
        }
        pthread_mutex_unlock(&vs->mu);
        if (!vh)
            return;
        sink_host(next, &vh->h);
        free_vhost(vh);
    }
}

/* Ports -sV looks at: open TCP; open and open|filtered UDP (nmap). */
bool vs_wants_port(const struct port_result *p)
{
    if (p->state == PORT_OPEN)
        return p->proto == PROTO_TCP || p->proto == PROTO_UDP;
    return p->state == PORT_OPEN_FILTERED && p->proto == PROTO_UDP;
}

static int vs_begin(void *state, const struct scan_info *info, const struct result_sink *next)
{
    (void)state;
    struct scan_info copy;
    if (scan_info_copy(&copy, info) < 0)
        return -1;
    copy.version_scan = true;
    int rc = sink_begin(next, &copy);
    scan_info_free(&copy);
    return rc;
}

static void vs_host(void *state, const struct host_result *h, const struct result_sink *next)
{
    struct vs *vs = state;
    bool any = false;
    for (size_t i = 0; i < h->nports && !any; i++)
        any = vs_wants_port(&h->ports[i]);
    struct vhost *vh = any ? calloc(1, sizeof(*vh)) : NULL;
    if (vh && host_result_copy(&vh->h, h) < 0) {
        free(vh);
        vh = NULL;
    }
    if (!vh) {
        if (any)
            log_warn("version", "out of memory: a host passes on without -sV");
        sink_host(next, h);
        drain(vs, next);
        return;
    }
    vh->vs = vs;
    vport_host_init(vh);
    pthread_mutex_lock(&vs->mu);
    vs->in_flight++;
    if (vs->worker_done)
        push(&vs->out_head, &vs->out_tail, vh);
    else
        push(&vs->in_head, &vs->in_tail, vh);
    pthread_mutex_unlock(&vs->mu);
    evloop_wake(vs->loop);
    drain(vs, next);
}

static int vs_end(void *state, const struct scan_summary *sum, const struct result_sink *next)
{
    struct vs *vs = state;
    int64_t t0 = clock_mono_us();
    pthread_mutex_lock(&vs->mu);
    vs->closing = true;
    pthread_mutex_unlock(&vs->mu);
    evloop_wake(vs->loop);
    for (;;) {
        drain(vs, next);
        pthread_mutex_lock(&vs->mu);
        while (!vs->out_head && vs->in_flight > 0 && !vs->worker_done)
            pthread_cond_wait(&vs->cv, &vs->mu);
        bool finished = vs->in_flight == 0 || (vs->worker_done && !vs->out_head);
        pthread_mutex_unlock(&vs->mu);
        if (finished)
            break;
    }
    drain(vs, next);
    if (vs->thread_started) {
        pthread_join(vs->thread, NULL);
        vs->thread_started = false;
    }
    drain(vs, next);
    /* The scan's time includes the probes that ran after the port scan. */
    struct scan_summary total = *sum;
    int64_t extra = clock_mono_us() - t0;
    total.elapsed_s += (double)extra / 1e6;
    if (vs->job.stop && *vs->job.stop) /* Ctrl-C during -sV: say the run was cut */
        total.interrupted = true;
    clock_gettime(CLOCK_REALTIME, &total.end);
    int rc = sink_end(next, &total);
    return vs->db_failed ? -1 : rc;
}

static const struct stage_ops version_ops = {
    .name = "version",
    .begin = vs_begin,
    .host = vs_host,
    .end = vs_end,
};

static void vs_destroy(void *state)
{
    struct vs *vs = state;
    if (!vs)
        return;
    if (vs->thread_started) {
        pthread_mutex_lock(&vs->mu);
        vs->closing = true;
        pthread_mutex_unlock(&vs->mu);
        evloop_wake(vs->loop);
        pthread_join(vs->thread, NULL);
    }
    while (vs->out_head) {
        struct vhost *vh = vs->out_head;
        vs->out_head = vh->next;
        free_vhost(vh);
    }
    free(vs->active);
    evloop_free(vs->loop);
    vtls_ctx_free(vs->tls_ctx);
    svc_db_free(vs->db);
    free(vs->ent_names);
    pthread_mutex_destroy(&vs->mu);
    pthread_cond_destroy(&vs->cv);
    free(vs);
}

static void *vs_create(const struct config *cfg, volatile sig_atomic_t *stop, char *err,
                       size_t errlen)
{
    struct vs *vs = calloc(1, sizeof(*vs));
    if (!vs) {
        snprintf(err, errlen, "version detection: out of memory");
        return NULL;
    }
    pthread_mutex_init(&vs->mu, NULL);
    pthread_cond_init(&vs->cv, NULL);
    if (version_job_from_config(&vs->job, cfg, stop, err, errlen) < 0)
        goto fail;
    vs->loop = evloop_new(vs, err, errlen);
    if (!vs->loop)
        goto fail;
    evloop_task_init(&vs->flush, flush_task, vs);
    vport_init(vs);
    vs->tls_ctx = vtls_ctx_new(err, errlen);
    if (!vs->tls_ctx)
        goto fail;
    if (pthread_create(&vs->thread, NULL, worker, vs) != 0) {
        snprintf(err, errlen, "version detection: cannot start its thread");
        goto fail;
    }
    vs->thread_started = true;
    return vs;
fail:
    vs_destroy(vs);
    return NULL;
}

static bool vs_wanted(const struct config *cfg)
{
    return cfg->version.enabled;
}

const struct stage_module version_stage = {
    .ops = &version_ops,
    .wanted = vs_wanted,
    .create = vs_create,
    .destroy = vs_destroy,
};
