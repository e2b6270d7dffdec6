/*
 * raw_engine.h — the stateless raw-packet engine (SPEC "Stateless raw core"):
 * a sender thread walks the permutation of (address x port) and sends
 * cookie-stamped probes at the target rate; a receiver thread validates
 * replies by cookie and classifies them with the scan module; the calling
 * thread aggregates per-host results and hands them to the sink. Retries
 * are further passes over the probes still unanswered (one bit each).
 */
#ifndef PRTIP_ENGINE_RAW_ENGINE_H
#define PRTIP_ENGINE_RAW_ENGINE_H

#include "core/scan.h"
#include "engine/engine.h"

/*
 * Run every SCAN_ENGINE_RAW type in scan->types over scan->targets x
 * scan->ports. Hosts are delivered once each, complete, after the cooldown
 * (or, with skip_discovery unset, only hosts that answered anything are up;
 * the rest are delivered as down). With scan->raw.dry_run, prints one line
 * per probe of pass 0 on stdout ("probe 198.18.0.2 80 tcp syn shard 1/1") and sends
 * nothing. Honours scan_stopping(): stops sending, waits no cooldown,
 * delivers what it has with interrupted = true. Returns 0, or -1 with err
 * set ("raw sockets need root or CAP_NET_RAW (try -sT)", no route, ...);
 * the caller exits 2 then.
 */
int raw_engine_run(struct scan *scan, const struct result_sink *sink, char *err, size_t errlen);

#endif
