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
 * module of scan->types with the ports of its protocol, TCP modules first,
 * then UDP (-sS -sU -p T:80,U:53 is one scan of {syn 80, udp 53}), then
 * ICMP query kinds (one entry, port 0). Each module says what packet it
 * sends (scan_module.probe).
 */
#ifndef PRTIP_ENGINE_RAW_ENGINE_H
#define PRTIP_ENGINE_RAW_ENGINE_H

#include "core/scan.h"
#include "engine/engine.h"

/*
 * Run every SCAN_ENGINE_RAW type in scan->types over scan->targets x
 * scan->ports (one port result per (module, port) entry, in list order).
 * Hosts are delivered once each, complete, after the cooldown (or, with
 * skip_discovery unset, only hosts that answered anything are up; the rest
 * are delivered as down). With scan->raw.dry_run, prints one line per
 * probe of pass 0 on stdout ("probe 198.18.0.2 80 tcp syn shard 1/1",
 * "probe 198.18.0.2 53 udp udp shard 1/1") and sends nothing. Honours
 * scan_stopping(): stops sending, waits no cooldown,
 * delivers what it has with interrupted = true. Returns 0, or -1 with err
 * set ("raw sockets need root or CAP_NET_RAW (try -sT)", no route, ...);
 * the caller exits 2 then.
 */
int raw_engine_run(struct scan *scan, const struct result_sink *sink, char *err, size_t errlen);

#endif
