/*
 * engine.h — the stateful connect engine: one epoll loop driving thousands of
 * non-blocking connect(2) probes across host groups.
 */
#ifndef PRTIP_ENGINE_ENGINE_H
#define PRTIP_ENGINE_ENGINE_H

#include "core/result.h"
#include "core/scan.h"
#include "core/stream.h"

/*
 * Scan every target in scan->targets on every port of scan->ports for the
 * connect-engine scan types in scan->types. Targets are pulled lazily in
 * host groups (--min/--max-hostgroup); unless scan->skip_discovery, each
 * group is first pinged nmap's unprivileged way (connect to 80 and 443; an
 * answer of either kind means up). Port order is random per host unless
 * !scan->randomize_ports. Timeouts follow the per-host RTT estimate
 * (rtt.h) within the timing bounds; unanswered ports are retried up to
 * timing.max_retries. In-flight sockets are bounded by max_parallelism and
 * RLIMIT_NOFILE (soft limit raised to hard at start).
 *
 * Every host is delivered to sink exactly once, complete, in completion
 * order; on scan_stopping() the engine stops sending, delivers hosts with
 * what they have (interrupted = true) and returns. Fills scan->summary
 * host counts. Returns 0, or -1 with err set on a runtime failure (e.g.
 * epoll_create fails); hosts delivered before the failure stay delivered.
 */
int connect_engine_run(struct scan *scan, const struct result_sink *sink, char *err, size_t errlen);

#endif
