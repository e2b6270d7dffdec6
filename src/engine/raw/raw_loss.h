/*
 * raw_loss.h — how many retry passes the raw scan makes, and how far apart,
 * when replies are being lost: enough that every answer comes, and none
 * at all beyond today's when nothing is lost.
 *
 * Loss. A reply that first comes in retry pass k was lost k times (the
 * probe went out in every pass: undecided probes are resent each pass).
 * Over the answers of the scan that gives the loss rate (geometric
 * maximum likelihood, with one pseudo-loss so that a few answers do not
 * give a rate of 0):
 *
 *     p = (L + 1) / (L + A + 1),  L = sum of the passes answers came in,
 *                                  A = answers;  p = 0 while L = 0.
 *
 * A lossless scan has L = 0 (every answer comes in pass 0): it stops
 * after the first retry pass that brought nothing, as before. A pass 0
 * lost whole or mostly (a burst: a neighbour entry resolving, a queue
 * overflowing) shows as pass 1 answering over twice what pass 0 did
 * (and at least RAW_LOSS_BURST_MIN: a few ports prove nothing); that is
 * not the path's loss rate, so pass 1 then counts as the first try
 * (shift) and only later passes measure loss.
 *
 * Hidden answers. An answerable probe that has had t tries is still
 * unanswered with probability p^t; about A answerable probes were sent,
 * so H = A p^t is the expected number of ports still misread. Passes go
 * on while H >= RAW_LOSS_EPS (or the last retry still turned up answers,
 * the old rule), up to --max-retries. At 20 % loss and 2,000 answering
 * ports that is 10 tries (nmap's default --max-retries 10 allows 11).
 *
 * Probes the target keeps state for (SYN). A SYN whose SYN-ACK was lost
 * leaves the target in SYN_RECV. Linux answers a repeated SYN for that
 * request with a SYN-ACK at most once per net.ipv4.tcp_invalid_ratelimit
 * (500 ms; tcp_check_req -> tcp_oow_rate_limited, the first repeat is
 * free), and retransmits its SYN-ACK on its own only after 1 s (then 3,
 * 7 s). Retry passes ~50 ms apart are therefore one try, not six. Such
 * probes count a pass as a try only when it starts RAW_LOSS_HELD_GAP_NS
 * after the last pass that counted (pass 0 and pass 1 always count: the
 * first repeat is answered). Because every pass walks the same order and
 * resends a subset, a probe's two sends are at least start(k) - end(j)
 * apart. With t_h such tries, H_h = (O + 1) p^t_h, O the open answers of
 * held kinds (+1: a scan that has found none may still hide one); while
 * H_h >= RAW_LOSS_EPS the next pass is spaced: it waits for the gap.
 * The cookie of a probe is the same in every pass (net/cookie.h: a hash
 * of the addresses and port, never of the pass), so the target's answer
 * to a repeated SYN, and its own late retransmission of the first
 * SYN-ACK, both validate and are credited.
 *
 * The cost therefore falls only on scans that show loss: at 20 % loss a
 * SYN scan with a few open ports spends about 4 spaced passes (~2.4 s);
 * the fast passes that recover lost RSTs cost a cooldown each.
 *
 * Threads: the aggregator's (the caller of the passes) only.
 */
#ifndef PRTIP_ENGINE_RAW_LOSS_H
#define PRTIP_ENGINE_RAW_LOSS_H

#include <stdbool.h>
#include <stdint.h>

#define RAW_LOSS_EPS       1e-4 /* expected misread ports per scan that we accept */
#define RAW_LOSS_BURST_MIN 16   /* pass 1 answers that can show a burst loss of pass 0 */
/* Linux's tcp_invalid_ratelimit (500 ms) and some jitter of arrival. */
#define RAW_LOSS_HELD_GAP_NS 600000000LL

struct raw_loss {
    uint64_t answers;    /* first answers credited by the passes */
    uint64_t late;       /* sum of their lost tries (L above) */
    uint64_t held_open;  /* open answers of held kinds (O above) */
    bool held;           /* the scan sends held kinds (SYN) */
    int pass;            /* the pass being sent or cooled down */
    int shift;           /* 1 when pass 0 was lost whole (above) */
    uint64_t answers0;   /* answers in pass 0 */
    unsigned held_tries; /* tries so far of an unanswered held probe */
    int64_t held_end_ns; /* end of the last pass that counted as a held try */
};

/* held: the scan sends probes the target keeps state for (SYN). */
void raw_loss_init(struct raw_loss *l, bool held);

/* Pass `pass` starts sending at now_ns (CLOCK_MONOTONIC). */
void raw_loss_pass_start(struct raw_loss *l, int pass, int64_t now_ns);

/* Pass `pass` ended sending at now_ns. */
void raw_loss_pass_end(struct raw_loss *l, int64_t now_ns);

/* A first answer, credited while the current pass is l->pass; held_open: an
 * open answer of a held kind (a SYN-ACK). */
void raw_loss_answer(struct raw_loss *l, bool held, bool open);

/* The loss rate p above, 0 while no answer came late. */
double raw_loss_rate(const struct raw_loss *l);

enum raw_loss_next {
    RAW_LOSS_STOP,   /* no further pass */
    RAW_LOSS_FAST,   /* the next pass after the cooldown, as before */
    RAW_LOSS_SPACED, /* the next pass no sooner than raw_loss_spaced_at() */
};

/*
 * After pass l->pass and its cooldown, with `fresh` answers that came in
 * it: what next (the caller still applies --max-retries and stops when
 * every probe is decided). Call once per pass: after pass 1 it may
 * decide that pass 0 was a burst loss (above).
 */
enum raw_loss_next raw_loss_next(struct raw_loss *l, uint64_t fresh);

/* Earliest start (CLOCK_MONOTONIC ns) of a spaced pass. */
int64_t raw_loss_spaced_at(const struct raw_loss *l);

/*
 * Tries that leave fewer than RAW_LOSS_EPS of n answerable probes
 * unanswered at loss rate p: the smallest t in [lo, hi] with n p^t <
 * RAW_LOSS_EPS, else hi. (The UDP pacer's confirmations, raw_pace.h.)
 */
unsigned raw_loss_tries(double p, double n, unsigned lo, unsigned hi);

/* The scan's loss rate so far (raw_loss_rate of the aggregator's). */
struct raw_agg;
double raw_agg_loss_rate(const struct raw_agg *g);

#endif
