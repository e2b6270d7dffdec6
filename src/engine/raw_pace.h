/*
 * raw_pace.h — UDP scanning against ICMP rate limiting: the retries of a
 * UDP target that rate-limits its port unreachables, paced so that every
 * closed port gets its reply and no port is called open|filtered because
 * its ICMP error was suppressed.
 *
 * The problem. A closed UDP port is only known by its ICMP port
 * unreachable, and hosts ration those: Linux allows a burst of 6 per
 * destination, then one per net.ipv4.icmp_ratelimit (1000 ms); for IPv6 one
 * per net.ipv6.icmp.ratelimit shortened by the route's prefix length (a
 * /64 route: 250 ms); BSDs and others have their own numbers. A stateless
 * blast therefore gets ~6 closed ports per host and open|filtered for the
 * rest. nmap notices retransmissions that succeed late and raises its send
 * delay (ultra_scan's "Increasing send delay ... due to
 * max_successful_tryno increase") to up to 1 s per probe, which is right
 * for Linux IPv4 and slow for everything else, and still labels a port
 * open|filtered when its retries happened to meet an empty bucket.
 *
 * What we do instead: measure the host's bucket with its own replies, and
 * call a port silent only when we know a reply would have come.
 *
 * 1. Selection (raw_pace_select, after each pass's cooldown). A host is
 *    paced when it answered some UDP probe with a port unreachable (so it
 *    does send them) and still has undecided UDP probes. One of its closed
 *    ports becomes its canary. From then on the retry passes skip its UDP
 *    probes; its TCP probes and every other host are retried as before.
 *    Hosts that never sent a port unreachable are not paced: their silence
 *    cannot be a rate limit (a firewall that drops everything is
 *    open|filtered after the ordinary retries, as nmap says).
 *
 * 2. Rounds (raw_pace_run, after the passes). Each paced host gets rounds:
 *    its first W undecided, unconfirmed UDP ports in port order, then the
 *    canary, sent back to back (one sendmmsg: they arrive in this order
 *    within microseconds, so the host's bucket cannot refill in between).
 *    After the reply wait (the cooldown rule: 2 x (SRTT + 4 RTTVAR), at
 *    least 50 ms), the round is read as a bucket observation. A bucket
 *    never loses tokens except by sending an ICMP error, so:
 *      - if the k-th probe of the round drew an ICMP error (or the canary
 *        did, k = W + 1), the bucket held a token when each earlier probe
 *        arrived: an earlier probe that drew nothing was NOT rate-limited.
 *        Its port is silent; that is one confirmation;
 *      - probes after the last ICMP error met an empty bucket (or the end
 *        of the round): they tell nothing, and cost no try.
 *    A port is open|filtered (no-response) once it has `need`
 *    confirmations: 2 when --max-retries >= 2 (as a port needs two lost
 *    probes to be misread, like the TCP retries), else 1. With
 *    --max-retries 0 nothing is paced (nmap: no retransmission at all).
 *    Correctness therefore does not depend on knowing the rate: only the
 *    time does.
 *
 * 3. Rate (per host). Rounds whose canary got no reply drained the bucket;
 *    between two such rounds the host refilled exactly what the second one
 *    drew. Summing tokens and time over those pairs gives the host's ICMP
 *    rate, measured rather than assumed; rounds go out twice per token
 *    interval (a token waits at most half an interval; one that a round
 *    misses carries to the next, as the bucket holds several). Before
 *    any such measurement the interval starts at 100 ms and doubles after
 *    each round that drew no ICMP at all (up to 5 s). A canary reply means
 *    spare tokens: the window doubles (up to 1024 ports) and, with no rate
 *    measured yet, the interval halves (down to the reply wait), so a host
 *    that does not rate-limit is done in a few round trips. After 6 rounds
 *    in a row with no ICMP at all the host is given up (it went away): its
 *    remaining ports are open|filtered, as after exhausted retries.
 *
 * Cost. The floor is the host's own: (closed ports - burst) / rate. Every
 * ICMP error the host sends decides a closed port or confirms silent ones;
 * the canary costs a token only when it confirms. Traffic is W + 1 probes
 * per host per round (W starts at 4).
 *
 * Assumptions (stated, not checked): probes of one round arrive in order
 * (true for one path; reordering could only make a closed port look silent
 * once, and a second confirmation is required); the host's ICMP errors to
 * us share one bucket (Linux: per destination address).
 *
 * Threads: everything here runs on the caller's (aggregator) thread, while
 * the sender thread is stopped; raw_pace_has() is read by the sender during
 * retry passes, when the set does not change.
 */
#ifndef PRTIP_ENGINE_RAW_PACE_H
#define PRTIP_ENGINE_RAW_PACE_H

#include "engine/raw_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct raw_pace;

/*
 * Add the hosts that qualify now (1. above) to c->pace, creating it on the
 * first call. Call only while the sender is stopped. Returns how many hosts
 * are paced in all, or -1 when out of memory.
 */
int raw_pace_select(struct raw_ctx *c, struct raw_results *res);

/* Is the host with this address index paced? O(log hosts). */
bool raw_pace_has(const struct raw_pace *p, uint64_t addr_idx);

/* Every reply the aggregator drains while pacing (notes canary answers). */
void raw_pace_on_reply(struct raw_pace *p, const struct raw_reply *rep);

/*
 * Run the rounds of every paced host until each is decided, confirmed or
 * given up, or Ctrl-C. Returns 0, or -1 with err set (send failure).
 */
int raw_pace_run(struct raw_agg *g, char *err, size_t errlen);

void raw_pace_free(struct raw_pace *p);

#endif
