/*
 * raw_engine.h — the stateless raw-packet engine (SPEC "Stateless raw core"):
 * a sender thread walks the permutation of (address x probe) and sends
 * cookie-stamped probes at the target rate; a receiver thread validates
 * replies by cookie and classifies them with the probe's scan module; the
 * calling thread aggregates per-host results and hands them to the sink.
 * Retries are further passes over the probes still unanswered (one bit
 * each); UDP targets that rate-limit their ICMP errors are retried at the
 * pace they allow (raw_pace.h).
 *
 * The probes per address are a list of (module, port) entries: every raw
 * module of job->types with the ports of its protocol, TCP modules first,
 * then UDP (-sS -sU -p T:80,U:53 is one scan of {syn 80, udp 53}), then
 * ICMP query kinds (one entry, port 0). Each module says what packet it
 * sends (scan_module.probe).
 */
#ifndef PRTIP_ENGINE_RAW_ENGINE_H
#define PRTIP_ENGINE_RAW_ENGINE_H

#include "core/ports.h"
#include "core/rdns.h"
#include "core/scan_pos.h"
#include "core/services.h"
#include "core/stop.h"
#include "core/stream.h"
#include "core/targets.h"
#include "core/timing.h"
#include "net/io.h"

#include <signal.h>

struct scan_module;

#define RAW_JOB_MAX_TYPES 8

/* Options of the stateless raw engine (-sS and the stealth scans). */
struct raw_opts {
    double rate;             /* --rate in packets/s; 0 = adaptive within timing min/max_rate */
    uint32_t shard, nshards; /* --shard i/n as 0-based shard and count; nshards 1 = all */
    bool dry_run;            /* --dry-run: print probes on stdout, send nothing */
    double wait_s;           /* --wait: cooldown after the last pass in seconds; < 0 = from RTTs */
    uint64_t stats_every_ms; /* --stats-every; 0 = the default, once a second */
    char iface[16];          /* -e, "" = from the routing table */
    struct ipaddr src;       /* -S, valid when have_src */
    bool have_src;
    int src_port;                 /* -g, -1 = derived from the cookie */
    int scanflags;                /* --scanflags byte, -1 = the scan type's own */
    enum send_method send_method; /* --send-method */
    int sender_threads;           /* --sender-threads, 1..16; 0 = the default, 1 */
    enum recv_method recv_method; /* --recv-method */
    const char *datadir;          /* --datadir, searched first (borrowed); NULL = default */
};

/*
 * What one run of the raw engine does: a narrow job built by the plan
 * (engine/plan/plan.h) — the port scan, or one discovery run — never the whole
 * configuration. Everything is borrowed and read-only for the run.
 */
struct progress; /* core/progress.h */

struct raw_job {
    const struct target_set *targets; /* addresses to probe, in index order */
    /* Raw scan modules (SCAN_ENGINE_RAW) to run; other modules are ignored. */
    const struct scan_module *types[RAW_JOB_MAX_TYPES];
    size_t ntypes;
    /* Ports per protocol, ascending, no duplicates: a module scans the list
     * of its proto. Borrowed lists (never portset_free'd through the job). */
    struct portset ports;
    const struct services *services; /* names for port records; NULL = none */
    /* nmap's timing values (core/timing.h). Besides the RTT bounds,
     * retries and rates: --scan-delay (per host), --max-parallelism,
     * --min-parallelism, --min/--max-hostgroup, --host-timeout and
     * --max-scan-delay, as raw_internal.h's struct raw_sched says. */
    struct timing timing;
    uint64_t seed; /* permutation seed */
    bool ordered;  /* -r: each host's ports in order (raw_internal.h, raw_sched) */
    /* Targets are known up (-Pn, or discovery already ran): every target is
     * delivered up with reason user-set, answered or not. Else only hosts
     * that answered something are up; the rest are delivered down. */
    bool assume_up;
    /* --os-passive: SYN probes carry nmap's SEQ1 options (probe_kind.h) and
     * the first IPv4 SYN-ACK of each host is delivered in os_synack. */
    bool os_passive;
    enum dns_mode dns; /* reverse DNS of delivered hosts */
    /* Deliver each host as soon as every probe of it is answered (marked
     * host_result.early, in completion order), the rest at the end in
     * index order; else every host at the end, in index order. The sinks'
     * per-host work then overlaps the scan; outputs that print in target
     * order take hosts through core/stream.h's order_sink. Not done when
     * sharded by probe, nor for hosts of more than RAW_EARLY_MAX_ENTRIES
     * ports (raw_internal.h: they would complete late and cost a held
     * copy each). */
    bool early;
    struct raw_opts io;          /* rate, shard, interface, source, send/receive methods, --wait */
    volatile sig_atomic_t *stop; /* the run's stop flag (core/stop.h) */
    /* Progress meter (core/progress.h), borrowed; NULL = none. The engine
     * opens one task for the run (named after the first type, nmap's "SYN
     * Stealth Scan"), ticks it from its aggregating loop, reports each
     * port the first time a reply says open, and closes it before it
     * delivers hosts; all on the calling thread. */
    struct progress *progress;
    /* --resume (core/scan_pos.h), borrowed; NULL = none. Only for a scan of
     * the targets as given (the permutation must be the interrupted
     * run's): resume->from says where to start (pass, group, each sender's
     * position; the passes before it and the probes before it in its pass
     * are not sent again), resume->partial's answers are taken as received;
     * on a stop the engine writes resume->reached. */
    struct scan_resume *resume;
};

#include "engine/connect/connect_engine.h"

/*
 * Run every SCAN_ENGINE_RAW type in job->types over job->targets x
 * job->ports (one port result per (module, port) entry, in list order).
 * Hosts are delivered to sink->host once each, complete: after the
 * cooldown, or with job->early as soon as every probe is answered (see
 * assume_up for which are up). With job->io.dry_run, prints
 * one line per probe of pass 0 on stdout ("probe 198.18.0.2 80 tcp syn
 * shard 1/1", "probe 198.18.0.2 53 udp udp shard 1/1") and sends nothing.
 * Honours job->stop: stops sending, waits no cooldown, delivers what it has
 * with interrupted = true. Runs its sender and receiver threads itself;
 * sink->host is called on the calling thread. Returns 0, or -1 with err set
 * ("raw sockets need root or CAP_NET_RAW (try -sT)", no route, ...); the
 * caller exits 2 then.
 */
int raw_engine_run(const struct raw_job *job, const struct result_sink *sink, char *err,
                   size_t errlen);

#endif
