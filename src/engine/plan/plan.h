/*
 * plan.h — the sequence of one run: host discovery, then the port scan of
 * the hosts found up (nmap's order), or one of the discovery-only modes
 * (-sn ping scan, -sL list scan). main.c calls plan_run and nothing else.
 */
#ifndef PRTIP_ENGINE_PLAN_H
#define PRTIP_ENGINE_PLAN_H

#include "core/rdns.h"
#include "cli/config.h"
#include "core/stop.h"
#include "core/scan_pos.h"
#include "core/stream.h"
#include "engine/connect/connect_engine.h"

#include <signal.h>

/*
 * Run the scan that cfg (the read-only configuration) describes and hand
 * every target to sink->host once, complete (core/stream.h's contract),
 * on the calling thread. Each stage gets a job of its own built from cfg
 * (discovery.h, raw_engine.h, connect_engine.h); stop is the run's stop flag:
 *
 *
 *   -sL              list_scan_run: every target, status unknown, no packet.
 *   -Pn              the port scan engine on every target (all up, user-set);
 *                    with -sn every target is delivered up, no packet sent.
 *                    A raw scan with ARP on (no --disable-arp-ping, at most
 *                    65536 targets) runs discovery with only ARP/ND, as
 *                    nmap: on-link hosts that answer are up (arp-response,
 *                    MAC), silent ones down, the rest up (user-set).
 *   unprivileged     (connect scan, no explicit -P probe) the connect
 *                    engine, which pings by connecting to 80 and 443;
 *                    with explicit probes (disc.connect_ping, see
 *                    cli_disc.c for nmap's rules) a connect() ping to
 *                    the -PS ports, then the port scan of up hosts; -PU
 *                    then fails (needs raw sockets).
 *   --dry-run        prints probes instead of sending: with -sn (and no
 *                    -Pn) discovery's probes (ARP/ND, then the IP probes);
 *                    otherwise the port scan's, as if -Pn, since which
 *                    hosts are up is not known without sending.
 *   otherwise        discovery, then the port scan of up hosts only:
 *     1. each target's route: the scanner's own addresses are up at once
 *        (localhost-response); targets on a directly connected Ethernet link
 *        are asked by ARP / Neighbor Discovery (arp_ping.h) unless
 *        --disable-arp-ping; unroutable targets are skipped with a warning;
 *     2. the rest get the IP probes of cfg->disc through the raw engine
 *        (discovery.h);
 *     3. down hosts are delivered (outputs print them with -v), then the up
 *        hosts are port scanned (-sn: delivered as they are), with the
 *        discovery's reason, TTL, MAC and RTT in their records.
 *
 * Host delivery is in target order for discovery results. Fills sum's host
 * counts (every delivered host; a list-scan host counts as down, as nmap)
 * and sets sum->interrupted when stop was raised; sum may be NULL. The
 * caller sends the stream's begin and end. Returns 0, or -1 with err set on a runtime
 * failure (no permission, interface errors); hosts delivered before stay
 * delivered.
 */
int plan_run(const struct config *cfg, volatile sig_atomic_t *stop, const struct result_sink *sink,
             struct scan_summary *sum, char *err, size_t errlen);

/*
 * plan_run with --resume's state (core/scan_pos.h; borrowed, NULL = none):
 * a raw port scan of the targets as given starts at resume->from and
 * takes resume->partial's answers as received, and on a stop writes where
 * it stood into resume->reached (left invalid for scans without a
 * position: connect scans, raw scans of discovered hosts, which resume
 * per host).
 */
int plan_run_resume(const struct config *cfg, volatile sig_atomic_t *stop,
                    const struct result_sink *sink, struct scan_summary *sum,
                    struct scan_resume *resume, char *err, size_t errlen);

/*
 * The scan-begin record (core/stream.h) for the scan that scan describes:
 * args, mode, the scan types with their ports in range form and
 * --scanflags, and the reporting options. info->start is left for the
 * caller to stamp. Returns 0, or -1 with err set (allocation failure) and
 * info empty.
 */
int plan_scan_info(const struct config *scan, struct scan_info *info, char *err, size_t errlen);

/*
 * The store's job (store/store.h) from cfg: --db's target, or the default
 * SQLite file for --db-default (its directory is created; path receives
 * it, PATH_MAX bytes), the --db-job name and "i/n" of --shard (shard, 24
 * bytes). target stays NULL when no store is asked for. Returns 0, or -1
 * with err set.
 */
struct store_job;
int plan_store_job(const struct config *cfg, struct store_job *job, char *path, size_t pathlen,
                   char *shard, size_t shardlen, char *err, size_t errlen);

/*
 * -sL: deliver every target of targets in order as a host_result with
 * status HOST_UNKNOWN, reason user-set, no ports, and its reverse-DNS name
 * unless -n (nmap resolves every listed address). Sends nothing to the
 * targets. Honours stop. Returns 0.
 */
int list_scan_run(const struct target_set *targets, enum dns_mode dns, volatile sig_atomic_t *stop,
                  const struct result_sink *sink);

#endif
