/*
 * osprobe.h — nmap's sixteen OS detection probes over IPv4 (issue 12
 * point 2), sent from raw sockets to any number of hosts at once, and the
 * replies caught for them. What the replies mean is osfp.h's business.
 *
 * The probes are nmap's (nmap book, "TCP/IP Fingerprinting Methods
 * Supported by Nmap"): six SEQ SYNs 100 ms apart to an open port with
 * nmap's option sets and windows (1, 63, 4, 4, 16, 512); ECN (SYN with ECE
 * and CWR, a reserved bit, urgent pointer 0xF7F5, window 3); T2-T4 to the
 * open port and T5-T7 to a closed one (null; SYN/FIN/PSH/URG; ACK; SYN;
 * ACK; FIN/PSH/URG with windows 128, 256, 1024, 31337, 32768, 65535 and DF
 * on T2, T4, T6); U1, 300 bytes of 'C' to a closed UDP port with IP ID
 * 0x1042; IE, two ICMP echoes (DF, code 9, seq 295, 120 zero bytes; TOS 4,
 * code 0, seq 296, 150 zero bytes).
 *
 * Timing, unlike nmap's: the ten other probes go out in the gaps of the
 * 500 ms SEQ train (two after each SEQ probe, so that a global IP ID
 * counter still moves by less than ten between SEQ replies), every host
 * runs the same train at once, and a probe other than SEQ that is still
 * unanswered after the host's timeout is sent again, up to max_sends
 * times in all. This is what nmap's later tries do (they send only the
 * probes that got no answer, after a one-second sleep), without the sleep.
 *
 * Needs CAP_NET_RAW. Threads: one call runs on the calling thread.
 */
#ifndef PRTIP_DETECT_OSPROBE_H
#define PRTIP_DETECT_OSPROBE_H

#include "core/addr.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum os_probe {
    OSP_SEQ1 = 0, /* ... OSP_SEQ1 + 5 = SEQ6 */
    OSP_ECN = 6,
    OSP_T2 = 7, /* ... OSP_T2 + 5 = T7 */
    OSP_U1 = 13,
    OSP_IE1 = 14,
    OSP_IE2 = 15,
    OSP_COUNT = 16
};

#define OS_REPLY_MAX 576 /* bytes of a reply kept: U1's ICMP error is 356 */

/* The first reply to one probe: the IP packet as received (header first). */
struct os_reply {
    bool got;
    uint16_t len;
    int64_t sent_us, rcvd_us; /* CLOCK_MONOTONIC, microseconds */
    uint8_t pkt[OS_REPLY_MAX];
};

/*
 * One host's try: fill the inputs, os_probe_run fills the rest. Ports are
 * from the port scan (0 = none known: probes to an open port are not sent;
 * a closed TCP or UDP port is then drawn from 30000-44780 as nmap does).
 */
struct os_target {
    /* in */
    struct ipaddr addr;
    uint16_t open_tcp, closed_tcp, closed_udp;
    int64_t timeout_us; /* wait for a reply after the last send (>= 100 ms) */
    int max_sends;      /* sends of a probe other than SEQ while unanswered (nmap's tries) */
    /* A later try of the same host: only the six SEQ probes are sent (a new
     * train, with new source ports); every other probe's sends and answer
     * are taken from *reuse, an earlier try of this host, whose sequence
     * numbers are kept so that T2-T7/ECN compare as they did there. Only
     * read while os_probe_run sets the target up (NULL afterwards). */
    const struct os_target *reuse;
    /* out: what was sent */
    struct ipaddr src;
    uint16_t closed_tcp_used, closed_udp_used;
    uint16_t port_base; /* our source port of probe i is port_base + i */
    uint32_t seq_base, ack;
    uint16_t icmp_id; /* IE1's ICMP id; IE2's is icmp_id + 1 */
    uint8_t ttl;      /* TTL every probe was sent with */
    bool direct;      /* on-link (no gateway): nmap's distance 1, DC=D */
    uint16_t u1_sum;  /* UDP checksum U1 was sent with */
    bool seq_only;    /* a later try (reuse was given): only SEQ was sent */
    bool sent[OSP_COUNT];
    uint8_t sends[OSP_COUNT];
    int64_t sent_us[OSP_COUNT]; /* last send of each probe */
    struct os_reply reply[OSP_COUNT];
};

/*
 * Run one try against n hosts (IPv4 only; others are skipped with sent[]
 * all false). Returns 0, or -1 with err set when the raw sockets cannot be
 * opened ("OS detection needs root (CAP_NET_RAW): ..."). Stops early when
 * *stop becomes non-zero (Ctrl-C), with what was caught so far.
 */
int os_probe_run(struct os_target *t, size_t n, volatile sig_atomic_t *stop, char *err,
                 size_t errlen);

#endif
