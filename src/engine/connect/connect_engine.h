/*
 * connect_engine.h — the stateful connect engine: one epoll loop driving thousands of
 * non-blocking connect(2) probes across host groups.
 */
#ifndef PRTIP_ENGINE_CONNECT_ENGINE_H
#define PRTIP_ENGINE_CONNECT_ENGINE_H

#include "core/result.h"
#include "core/rdns.h"
#include "core/scan_pos.h"
#include "core/services.h"
#include "core/stop.h"
#include "core/stream.h"
#include "core/targets.h"
#include "core/timing.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scan_module;

/*
 * What one run of the connect engine does: a narrow job built by the plan
 * (the port scan, or nmap's unprivileged connect() ping with explicit
 * ports). Everything is borrowed and read-only for the run.
 */
struct progress; /* core/progress.h */

struct connect_job {
    const struct target_set *targets; /* in iteration order */
    const struct scan_module *module; /* a SCAN_ENGINE_CONNECT module (-sT) */
    const uint16_t *ports;            /* TCP ports, ascending, no duplicates */
    size_t nports;
    const struct services *services; /* names for port records; NULL = none */
    struct timing timing;            /* nmap's timing values (core/timing.h) */
    uint64_t seed;                   /* port shuffle seed; 0 = random */
    bool randomize_ports;            /* false with -r */
    /* Targets are known up (-Pn, or discovery already ran): no connect ping
     * to 80 and 443 first; every target is reported up (user-set). */
    bool assume_up;
    enum dns_mode dns;           /* reverse DNS of delivered hosts */
    volatile sig_atomic_t *stop; /* the run's stop flag (core/stop.h) */
    /* Progress meter (core/progress.h), borrowed; NULL = none. The engine
     * opens a "Connect Scan" task, ticks it from a loop timer, reports a
     * port as soon as its connection succeeds, and closes the task before
     * the last host is delivered (nmap: "Completed" precedes the report);
     * all on the calling thread. */
    struct progress *progress;
    /* --resume (core/scan_pos.h), borrowed; NULL = none: a host of
     * resume->partial gets no probe for the ports it has a state for there
     * (they keep it); the engine sets resume->keeps_partial. */
    struct scan_resume *resume;
};

/*
 * Scan every target in job->targets on every port of job->ports with
 * job->module. Targets are pulled lazily in host groups
 * (--min/--max-hostgroup); unless job->assume_up, each group is first
 * pinged nmap's unprivileged way (connect to 80 and 443; an answer of
 * either kind means up). Port order is random per host unless
 * !job->randomize_ports. Timeouts follow the per-host RTT estimate (rtt.h)
 * within the timing bounds; unanswered ports are retried up to
 * timing.max_retries. In-flight sockets are bounded by max_parallelism and
 * RLIMIT_NOFILE (soft limit raised to hard at start).
 *
 * Every host is delivered to sink->host exactly once, complete, in
 * completion order, on the calling thread; on job->stop the engine stops
 * sending, delivers hosts with what they have (interrupted = true) and
 * returns. Returns 0, or -1 with err set on a runtime failure (e.g.
 * epoll_create fails); hosts delivered before the failure stay delivered.
 */
int connect_engine_run(const struct connect_job *job, const struct result_sink *sink, char *err,
                       size_t errlen);

#endif
