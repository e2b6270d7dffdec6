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
 *    After the last pass (final selection) hosts that sent no ICMP error
 *    yet are paced too when they are known up: they answered anything
 *    (TCP, ICMP, ARP-found hosts reach us with -Pn set by plan.c, a UDP
 *    reply) or were targeted with -Pn (at most 65,536 addresses; beyond
 *    that only hosts that answered). Their bucket may have been empty for
 *    the whole of the passes (a second scan right after a first one,
 *    another scanner from our address): Linux refills it at one token a
 *    second, so silence in the passes proves nothing. Such a host gets
 *    search rounds: a window of its pending ports (4, doubling to 64 per
 *    round), rotating over them, no canary, no confirmations. The first
 *    ICMP error (port unreachable, or any other unreachable, which spends
 *    a token too) makes that port its canary, and the silent ports before
 *    it in that round get a confirmation; from then on it is paced as
 *    below. A host that has drawn no ICMP error 2.5 s after pass 0 ended
 *    (its retry pass and rounds every 100 ms, then every 200, 400 ms:
 *    two refills of Linux's bucket seen) has none to give (UDP dropped):
 *    its ports are open|filtered. Bound: 2.5 s after pass 0's cooldown
 *    plus one reply wait (1 s, --initial-rtt-timeout, when the host never
 *    answered anything), a few hundred probes; measured, 4 dropped ports
 *    of a silent -Pn host: ~4 s, where nmap (one retransmission after its
 *    1 s initial timeout) takes 1.4 s. The difference is the price of
 *    telling an empty bucket from a filter.
 *
 * 2. Rounds (raw_pace_run, after the passes). Each paced host gets rounds:
 *    W of its undecided, unconfirmed UDP ports, those with the most
 *    confirmations first (then port order), each sent need - confirmations
 *    times (copies adjacent), then the canary, back to back (one sendmmsg:
 *    they arrive in this order within microseconds, so the host's bucket
 *    cannot refill in between). The order matters for time only: a port
 *    already confirmed silent is most likely filtered and passes a token
 *    on to the ports behind it, where a closed port ahead of it would
 *    spend that token and leave it for the next refill (Linux: a second
 *    later). After the reply wait
 *    (the cooldown rule: 2 x (SRTT + 4 RTTVAR), at least 50 ms), the round
 *    is read as a bucket observation. A bucket never loses tokens except
 *    by sending an ICMP error, so:
 *      - if the k-th probe of the round drew an ICMP error (or the canary
 *        did), the bucket held a token when each earlier probe arrived:
 *        an earlier probe that drew nothing was NOT rate-limited. Its port
 *        is silent; that is one confirmation per copy;
 *      - probes after the last ICMP error met an empty bucket (or the end
 *        of the round): they tell nothing, and cost no try.
 *    A port is open|filtered (no-response) once it has `need`
 *    confirmations: 2 when --max-retries >= 2 (as a port needs two lost
 *    probes to be misread, like the TCP retries), else 1. With
 *    --max-retries 0 nothing is paced (nmap: no retransmission at all).
 *    The copies make one token enough to confirm every silent port ahead
 *    of it twice: a silent port's two probes both went out while the
 *    bucket held a token. Correctness therefore does not depend on knowing
 *    the rate: only the time does.
 *    Pass 0 is read as a first round (raw_pace_pass0), once, at the first
 *    selection, when every result is an answer to it: its send order per
 *    host is known (permute_unmap gives each probe's position, c->stamps
 *    the send times of its batch), so a silent port sent before a probe of
 *    the same host that drew an ICMP error, and at most PACE_P0_GAP_NS
 *    (2 ms, about as long as a full round takes to leave) before it, met
 *    a bucket holding a token: one confirmation. Ports sent after the
 *    host's last ICMP error of pass 0 (the burst ran out) get nothing. This
 *    is what makes a dozen ports with the burst spent in pass 0 finish on
 *    the first refilled token: the dropped ports already have one
 *    confirmation, go first in the round and get the second from the
 *    token that decides the last closed port. Pass 0's probes are further
 *    apart than a round's, so the confirmation is applied only when need
 *    is 2: it never decides a port alone, a round always adds the last.
 *
 *    Safety (the invariant everything above keeps): a closed port is
 *    never labelled open|filtered because of rate limiting. A port is
 *    confirmed silent only by a probe that arrived while the bucket held
 *    a token (an ICMP error drawn by a later probe of the same burst
 *    proves it), so a closed port would have drawn its error; and a port
 *    needs need such confirmations, the deciding one from a round. A
 *    closed port can still be misread only when its ICMP errors are lost
 *    in the network need times, as with the TCP retries, or when the
 *    stated assumptions below fail.
 *
 * 3. Rate (per host). Rounds whose canary got no reply drained the bucket;
 *    between two such rounds the host refilled exactly what the second one
 *    drew. Summing tokens and time over those pairs gives the host's ICMP
 *    rate, measured rather than assumed; rounds go out twice per token
 *    interval (a token waits at most half an interval; one that a round
 *    misses carries to the next, as the bucket holds several). Before
 *    any such measurement a round goes out every 100 ms for 1.5 s after
 *    the host's last ICMP error (Linux's 1 s refill is then met within
 *    100 ms), then the interval doubles after each round that drew no ICMP
 *    at all (up to 2 s). A canary reply means spare tokens: the window
 *    doubles (up to 1024 ports) and, with no rate measured yet, the
 *    interval halves (down to the reply wait), so a host that does not
 *    rate-limit is done in a few round trips. A host whose rounds drew no
 *    ICMP for 6 s is given up (it went away): its remaining ports are
 *    open|filtered, as after exhausted retries.
 *
 * 4. Loss (raw_pace.c update_need). Replies lost on the way look like
 *    silence to a confirmation: at 20 % loss a closed port confirmed by
 *    pass 0 and one round is misread 4 times in 100. A confirmed port that
 *    answers later with an ICMP error was lost, not silent (its
 *    confirmation saw a token; an open port may instead have answered only
 *    a later round's payload, and does not count), so
 *    the pacer counts those confirmations as losses, takes the loss rate
 *    (losses + 1) / (losses + answers + 1), or the passes' (raw_loss.h)
 *    when higher, and raises need to the confirmations that leave fewer
 *    than RAW_LOSS_EPS ports misread (raw_loss_tries; at most
 *    --max-retries + 1); hosts already finished get rounds again. A
 *    target that only rate-limits never contradicts a confirmation, so
 *    its need stays 2 and its time does not move.
 *
 * Cost. The floor is the host's own: (closed ports - burst) / rate. Every
 * ICMP error the host sends decides a closed port or confirms silent ones;
 * the canary costs a token only when it confirms. Traffic is at most
 * 2 W + 1 probes per host per round (W starts at 4).
 *
 * Assumptions (stated, not checked): probes of one round arrive in order
 * (true for one path; reordering could make a closed port look silent);
 * the host's ICMP errors to us share one bucket (Linux: per destination
 * address); a token does not complete within the microseconds of one
 * round (Linux counts in jiffies: the odds are the round's length over the
 * token interval, ~1e-5), nor, for pass 0's confirmation, within the gap
 * between a silent probe and its witness (at most 2 ms: odds 2e-3 for
 * Linux IPv4, and then the round's confirmation is still needed). The
 * round's length is checked, not assumed: on a busy machine the sender
 * can be preempted between two frames of one round for milliseconds, long
 * enough for a token to come in before a later probe (or the canary) and
 * make the silent ports ahead of it look confirmed (the likely cause of
 * two closed ports read open|filtered in one loaded CI run). A round that took over
 * 2 ms to leave and over 4 times its frames at the fastest per-frame time
 * seen confirms nothing; its ICMP errors still decide their ports.
 * A reply belongs to the outstanding round only if the kernel received it
 * after the round began leaving (its receive timestamp): an answer to an
 * earlier round that came back after that round's reply wait would
 * otherwise read as drawn by this one and confirm the silent ports ahead of
 * its port. Such a late ICMP error still shows the host sends them (a
 * searching host gets its canary, and is not given up), but decides and
 * confirms nothing beyond its own port. The round's probes are matched to
 * the ICMP errors drawn in it by port, the first unanswered copy first.
 *
 * Threads: everything here runs on the caller's (aggregator) thread, while
 * the sender thread is stopped; raw_pace_has() is read by the sender during
 * retry passes, when the set does not change.
 */
#ifndef PRTIP_ENGINE_RAW_PACE_H
#define PRTIP_ENGINE_RAW_PACE_H

#include "engine/raw/raw_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct raw_pace;

/*
 * Add the hosts that qualify now (1. above) to c->pace, creating it on the
 * first call; final (after the last pass) adds the known-up hosts that sent
 * no ICMP error. Call only while the sender is stopped. Returns how many
 * hosts are paced in all, or -1 when out of memory.
 */
int raw_pace_select(struct raw_ctx *c, struct raw_results *res, bool final);

/*
 * Pass 0 read as a round (2. above), for one host: its UDP probes with
 * their positions in pass 0's send order, send times and result cells.
 * Sorts v by position and sets confirm on every silent probe (cell not
 * answered) that a later probe, one that drew an ICMP error, left at most
 * gap_ns after: it met a bucket holding a token. Probes of unknown send
 * time (t_lo < 0) are neither confirmed nor witnesses across. Returns how
 * many were confirmed.
 */
struct raw_pace_p0 {
    uint64_t pos;       /* position in pass 0's send order (this shard) */
    int64_t t_lo, t_hi; /* its batch was handed to the sender at t_lo, all sent by t_hi */
    uint32_t cell;      /* raw_results_cell() of the probe */
    uint32_t entry;     /* the caller's: the probe's entry */
    bool confirm;       /* out */
};
size_t raw_pace_pass0(struct raw_pace_p0 *v, size_t n, int64_t gap_ns);

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

/* raw_results.c, for the final selection (declared here so raw_internal.h
 * stays as it is): the address index of the i-th host that answered, in
 * the order they first did, i < raw_results_hosts(). */
uint64_t raw_results_host_addr(const struct raw_results *r, size_t i);

#endif
