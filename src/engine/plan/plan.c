/*
 * plan.c — the sequence of one run (see plan.h): which stages run, each
 * started with a job of its own built here from the read-only
 * configuration, and the delivery of every host to the result stream.
 */
#include "engine/plan/plan.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/progress.h"

#include "core/rdns.h"
#include "engine/discovery/discovery.h"
#include "engine/raw/raw_engine.h"
#include "net/route.h"
#include "scan/scan_module.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One run: where hosts go and how many went. */
struct plan {
    const struct config *cfg;
    volatile sig_atomic_t *stop;
    const struct result_sink *out;
    const struct disc_result *found; /* discovery's findings, NULL before/without it */
    size_t up_next;                  /* found->up[] entry the next port-scanned host is */
    uint64_t down_next;              /* first target index whose down host is not out yet */
    uint64_t total, nup, ndown;
    struct progress *progress;  /* the port scan's meter; NULL for --dry-run */
    struct scan_resume *resume; /* --resume's position (core/scan_pos.h); NULL = none */
};

/* ---- jobs from the configuration --------------------------------------- */

static struct raw_job raw_job_of(const struct plan *p, const struct target_set *targets,
                                 bool assume_up)
{
    const struct config *cfg = p->cfg;
    struct raw_job j = {
        .targets = targets,
        .ports = cfg->ports, /* borrowed lists */
        .services = cfg->services,
        .timing = cfg->timing,
        .seed = cfg->seed,
        .ordered = !cfg->randomize_ports,
        .assume_up = assume_up,
        .os_passive = cfg->os.passive,
        .dns = cfg->dns,
        .io = cfg->raw,
        .stop = p->stop,
        .progress = p->progress,
    };
    for (size_t i = 0; i < cfg->ntypes && j.ntypes < RAW_JOB_MAX_TYPES; i++)
        j.types[j.ntypes++] = cfg->types[i];
    return j;
}

static struct connect_job connect_job_of(const struct plan *p, const struct target_set *targets,
                                         bool assume_up)
{
    const struct config *cfg = p->cfg;
    const struct scan_module *m = NULL;
    for (size_t i = 0; i < cfg->ntypes && !m; i++)
        if (cfg->types[i] && cfg->types[i]->engine == SCAN_ENGINE_CONNECT)
            m = cfg->types[i];
    enum port_proto proto = m ? m->proto : PROTO_TCP;
    return (struct connect_job){
        .targets = targets,
        .module = m,
        .ports = cfg->ports.ports[proto],
        .nports = cfg->ports.count[proto],
        .services = cfg->services,
        .timing = cfg->timing,
        .seed = cfg->seed,
        .randomize_ports = cfg->randomize_ports,
        .assume_up = assume_up,
        .dns = cfg->dns,
        .stop = p->stop,
        .progress = p->progress,
        .resume = p->resume, /* partial hosts by address: any target set */
    };
}

static struct disc_job disc_job_of(const struct plan *p)
{
    const struct config *cfg = p->cfg;
    return (struct disc_job){
        .targets = cfg->targets,
        .disc = &cfg->disc,
        .timing = cfg->timing,
        .io = cfg->raw,
        .seed = cfg->seed,
        .randomize_ports = cfg->randomize_ports,
        .assume_off_link_up = cfg->skip_discovery,
        .stop = p->stop,
    };
}

static bool raw_port_scan(const struct config *cfg)
{
    return cfg->types[0]->engine == SCAN_ENGINE_RAW;
}

/* The port scan of targets with the configuration's engine. in_order: the
 * sink needs hosts in target order (merge_host); else the raw engine hands
 * each host on as soon as it is complete (raw_job.early), so that what the
 * sinks do per host (a store, --os-passive, the outputs' copies, MAC
 * look-ups) overlaps the scan; main's order_sink keeps the outputs in
 * target order. */
static int port_scan(struct plan *p, const struct target_set *targets, bool assume_up,
                     bool in_order, const struct result_sink *sink, char *err, size_t errlen)
{
    if (raw_port_scan(p->cfg)) {
        struct raw_job j = raw_job_of(p, targets, assume_up);
        /* A position names probes of the permutation of the targets as
         * given only: not of a set of up hosts that discovery built. */
        if (targets == p->cfg->targets)
            j.resume = p->resume;
        j.early = !in_order;
        return raw_engine_run(&j, sink, err, errlen);
    }
    struct connect_job j = connect_job_of(p, targets, assume_up);
    return connect_engine_run(&j, sink, err, errlen);
}

/* ---- delivery ------------------------------------------------------- */

static void deliver(struct plan *p, const struct host_result *h)
{
    p->total++;
    if (h->status == HOST_UP)
        p->nup++;
    else
        p->ndown++;
    sink_host(p->out, h);
}

static void counting_sink(void *ctx, const struct host_result *h)
{
    deliver(ctx, h);
}

/* A raw -Pn scan without ARP (--disable-arp-ping, or a list too long for
 * it): nmap still names the MAC of every on-link host that answered, from
 * its frames. The kernel learnt it when the answer came, so the neighbour
 * table holds it; a host that never answered (no RTT) costs no lookup. */
static void pn_mac_sink(void *ctx, const struct host_result *h)
{
    struct host_result m = *h; /* shallow: the engine still owns the parts */
    if (m.status == HOST_UP && !m.have_mac && m.srtt_us >= 0 &&
        m.status_reason != REASON_LOCALHOST_RESPONSE && route_onlink_mac(&m.addr, 50, m.mac) == 0)
        m.have_mac = true;
    deliver(ctx, &m);
}

static void apply_up(struct host_result *h, const struct disc_up *u)
{
    h->status = HOST_UP;
    h->status_reason = u->reason;
    h->status_ttl = u->ttl;
    h->have_mac = u->have_mac;
    memcpy(h->mac, u->mac, 6);
    if (h->srtt_us < 0 && u->srtt_us >= 0) {
        h->srtt_us = u->srtt_us;
        h->rttvar_us = u->rttvar_us;
        h->timeout_us = u->to_us;
    }
}

/* Targets [from, to) in index order that are not skipped: up ones
 * (want_up) or down ones, as discovery left them, without ports. Stops
 * early on Ctrl-C only when `stoppable`: down hosts interleaved with a port
 * scan are finished results, written even after an interruption. */
static void deliver_discovered(struct plan *p, uint64_t from, uint64_t to, bool want_up,
                               bool want_down, bool stoppable)
{
    const struct config *cfg = p->cfg;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    for (uint64_t i = from; i < to && !(stoppable && job_stopping(p->stop)); i++) {
        struct target t;
        if (target_set_at(cfg->targets, i, &t) < 0)
            break;
        if (target_set_is_excluded(cfg->targets, &t.addr) || disc_result_skipped(p->found, i))
            continue;
        const struct disc_up *u = disc_result_find(p->found, i);
        if ((u && !want_up) || (!u && !want_down))
            continue;
        struct host_result h;
        host_result_init(&h, &t.addr);
        h.hostname = t.hostname;
        h.other_addrs = t.other_addrs;
        h.start = h.end = now;
        if (u) {
            apply_up(&h, u);
        } else {
            h.status = HOST_DOWN;
            h.status_reason = REASON_NO_RESPONSE;
        }
        if (cfg->dns == DNS_ALWAYS || (cfg->dns == DNS_UP_HOSTS && u))
            h.rdns = rdns_getnameinfo(&t.addr, NULL);
        deliver(p, &h);
        host_result_free(&h);
    }
}

/*
 * A host back from the port scan: put discovery's findings and the name
 * the user typed into it, and report it in target order (nmap's): the
 * engines deliver the up hosts in the order of found->up (index order), so
 * the down hosts between two up hosts are reported in between. The k-th
 * host back is found->up[k] (the same address; a listed-twice target has
 * two entries), else, should an engine ever skip one, the first listing of
 * its address.
 */
static void merge_host(void *ctx, const struct host_result *h)
{
    struct plan *p = ctx;
    const struct target_set *set = p->cfg->targets;
    const struct disc_result *found = p->found;
    struct host_result r = *h;
    uint64_t idx = UINT64_MAX;
    struct target t;
    while (p->up_next < found->nup) {
        uint64_t i = found->up[p->up_next++].idx;
        if (target_set_at(set, i, &t) == 0 && ipaddr_equal(&t.addr, &h->addr)) {
            idx = i;
            break;
        }
    }
    if (idx == UINT64_MAX && target_set_index_of(set, &h->addr, &idx) < 0)
        idx = UINT64_MAX;
    if (idx != UINT64_MAX) {
        if (idx >= p->down_next) { /* the down hosts listed before it first */
            deliver_discovered(p, p->down_next, idx, false, true, false);
            p->down_next = idx + 1;
        }
        const struct disc_up *u = disc_result_find(found, idx);
        if (u)
            apply_up(&r, u);
        if (target_set_at(set, idx, &t) == 0) {
            r.hostname = t.hostname;
            r.other_addrs = t.other_addrs;
        }
    }
    deliver(p, &r);
}

/* The port scan of the hosts discovery found up. */
static int scan_up_hosts(struct plan *p, char *err, size_t errlen)
{
    const struct config *cfg = p->cfg;
    const struct disc_result *found = p->found;
    if (found->nup == 0 || job_stopping(p->stop))
        return 0;
    struct target_set *set = target_set_new(&(struct target_opts){0});
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < found->nup; i++) {
        struct target t;
        char a[IPADDR_STRLEN], e[256];
        if (target_set_at(cfg->targets, found->up[i].idx, &t) < 0)
            continue;
        if (target_set_add(set, ipaddr_str(&t.addr, a, sizeof(a)), e, sizeof(e)) < 0) {
            snprintf(err, errlen, "port scan of up hosts: %s", e);
            target_set_free(set);
            return -1;
        }
    }
    /* Discovery is done; its reasons are merged back into each host. */
    struct result_sink s = {.host = merge_host, .ctx = p};
    int rc = port_scan(p, set, true, true, &s, err, errlen);
    target_set_free(set);
    return rc;
}

/* -sn -Pn: nmap reports every target up ("Host is up."), sending nothing. */
static void deliver_all_up(struct plan *p)
{
    struct target_iter it;
    struct target t;
    target_iter_init(&it, p->cfg->targets);
    while (!job_stopping(p->stop) && target_iter_next(&it, &t)) {
        struct host_result h;
        host_result_init(&h, &t.addr);
        h.hostname = t.hostname;
        h.other_addrs = t.other_addrs;
        h.status = HOST_UP;
        h.status_reason = REASON_USER_SET;
        clock_gettime(CLOCK_REALTIME, &h.start);
        h.end = h.start;
        if (p->cfg->dns != DNS_NEVER)
            h.rdns = rdns_getnameinfo(&t.addr, NULL);
        deliver(p, &h);
        host_result_free(&h);
    }
}

/* Discovery, then the port scan of the up hosts (or, with -sn, the up
 * hosts as they are). Hosts are delivered even after a failure: what was
 * found stays. */
static int discover_then_scan(struct plan *p, char *err, size_t errlen)
{
    const struct config *cfg = p->cfg;
    struct disc_job dj = disc_job_of(p);
    struct disc_result found;
    int rc = discovery_run(&dj, &found, err, errlen);
    if (rc == 0 && cfg->skip_discovery && found.narp == 0) {
        /* -Pn with nothing on an Ethernet link: the plain -Pn scan of the
         * targets as given (no per-host target set built from the records). */
        disc_result_free(&found);
        struct result_sink macs = {.host = pn_mac_sink, .ctx = p};
        return port_scan(p, cfg->targets, true, false, &macs, err, errlen);
    }
    if (cfg->skip_discovery)
        for (size_t i = 0; i < found.nskip; i++) {
            struct target t;
            char a[IPADDR_STRLEN];
            uint64_t n = found.skip[i].hi - found.skip[i].lo;
            if (target_set_at(cfg->targets, found.skip[i].lo, &t) == 0)
                log_warn("plan", "no route to %s: skipping %" PRIu64 " address%s",
                         ipaddr_str(&t.addr, a, sizeof(a)), n, n == 1 ? "" : "es");
        }
    p->found = &found;
    if (cfg->disc.ping_only || rc < 0) {
        deliver_discovered(p, 0, target_set_count(cfg->targets), true, true, true);
    } else {
        rc = scan_up_hosts(p, err, errlen);
        /* The down hosts after the last up one (all of them when none is up). */
        deliver_discovered(p, p->down_next, target_set_count(cfg->targets), false, true, false);
    }
    p->found = NULL;
    disc_result_free(&found);
    return rc;
}

/* -Pn that still resolves on-link targets by ARP/ND, as nmap: its
 * --disable-arp-ping text says nmap "does ARP or IPv6 ND discovery of
 * locally connected ethernet hosts, even if ... -Pn" is used; the lab
 * (nmap 7.93) shows it for raw scans only: -sS/-sU/... report on-link
 * hosts "arp-response"/"nd-response" with their MAC and leave the silent
 * ones down, while -sT -Pn, even as root, marks every target user-set.
 * Off-link targets stay user-set. Lists past PN_ARP_MAX addresses keep
 * the plain -Pn scan: discovery holds a record per up host. */
#define PN_ARP_MAX 65536
static bool pn_arp(const struct config *cfg, bool raw)
{
    return cfg->skip_discovery && raw && cfg->disc.arp && !cfg->disc.ping_only &&
           target_set_count(cfg->targets) <= PN_ARP_MAX;
}

int plan_run(const struct config *cfg, volatile sig_atomic_t *stop, const struct result_sink *sink,
             struct scan_summary *sum, char *err, size_t errlen)
{
    return plan_run_resume(cfg, stop, sink, sum, NULL, err, errlen);
}

int plan_run_resume(const struct config *cfg, volatile sig_atomic_t *stop,
                    const struct result_sink *sink, struct scan_summary *sum,
                    struct scan_resume *resume, char *err, size_t errlen)
{
    struct plan p = {.cfg = cfg, .stop = stop, .out = sink, .resume = resume};
    struct result_sink counted = {.host = counting_sink, .ctx = &p};
    bool raw = raw_port_scan(cfg);
    int rc = 0;
    if (errlen)
        err[0] = '\0';

    if (cfg->disc.connect_ping && cfg->disc.ports[DISC_UDP_PING].count[PROTO_UDP] &&
        !cfg->skip_discovery && !cfg->disc.list_only) {
        /* Refused before anything is sent or delivered: without raw
         * sockets a UDP ping's replies (ICMP errors) cannot be read. */
        snprintf(err, errlen,
                 "UDP ping (-PU) needs root or CAP_NET_RAW to read the replies: use "
                 "-PS/-PA ports or run as root");
        return -1;
    }
    if (cfg->raw.dry_run && !(cfg->disc.ping_only && !cfg->skip_discovery)) {
        /* A port scan's probes, as if -Pn: which hosts discovery would find
         * up cannot be known without sending, so the discovery probes of a
         * port scan are not printed (those of -sn are, below). */
        struct raw_job j = raw_job_of(&p, cfg->targets, cfg->skip_discovery);
        return raw_engine_run(&j, sink, err, errlen);
    } else if (cfg->raw.dry_run) {
        /* -sn --dry-run: the discovery probes, one line each in the raw
         * engine's format (ARP/ND lines from arp_ping.c). Own addresses get
         * none: they are up without a probe. */
        struct disc_job dj = disc_job_of(&p);
        struct disc_result found;
        rc = discovery_run(&dj, &found, err, errlen);
        disc_result_free(&found);
        return rc;
    }
    /* Task records go straight to the stream (sink), not through the host
     * counter. */
    struct progress meter;
    progress_init(&meter, sink, cfg->raw.stats_every_ms, !cfg->noninteractive, cfg->verbose,
                  clock_mono_ns());
    p.progress = &meter;
    if (cfg->disc.list_only) {
        rc = list_scan_run(cfg->targets, cfg->dns, stop, &counted);
    } else if (cfg->skip_discovery && cfg->disc.ping_only) {
        deliver_all_up(&p);
    } else if (pn_arp(cfg, raw)) {
        rc = discover_then_scan(&p, err, errlen);
    } else if (cfg->skip_discovery || (!raw && !cfg->disc.explicit_probes && !cfg->privileged)) {
        /* -Pn, or nmap's unprivileged discovery (connect to 80 and 443),
         * which the connect engine does per host group. A privileged -sT
         * discovers as nmap does as root (ARP/ND on the link, else echo,
         * SYN 443, ACK 80, timestamp), so hosts carry arp-response and a
         * MAC address as in nmap's files. */
        struct result_sink macs = {.host = pn_mac_sink, .ctx = &p};
        rc = port_scan(&p, cfg->targets, cfg->skip_discovery, false,
                       cfg->skip_discovery && raw ? &macs : &counted, err, errlen);
    } else {
        rc = discover_then_scan(&p, err, errlen);
    }
    progress_free(&meter);
    if (sum) {
        sum->hosts_total = p.total;
        sum->hosts_up = p.nup;
        sum->hosts_down = p.ndown;
        if (job_stopping(stop))
            sum->interrupted = true;
    }
    return rc;
}
