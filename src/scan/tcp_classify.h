/*
 * tcp_classify.h — the reply classification shared by the raw TCP scan
 * modules (-sS -sF -sN -sX -sA -sW -sM), and nmap's --scanflags syntax.
 *
 * Follows nmap's scan_engine_raw.cc (get_pcap_result) and the "Port
 * Scanning Techniques" chapter of the nmap book:
 *   - SYN scan only: SYN/ACK → open (syn-ack); a bare SYN (simultaneous
 *     open / split handshake) → open, reported as syn-ack too (prtip has
 *     no separate reason for it). SYN/ACK is checked before RST, as nmap.
 *   - RST → closed (SYN, FIN, NULL, Xmas, Maimon), unfiltered (ACK), or
 *     open/closed by a positive/zero window (Window); reason reset.
 *   - ICMP destination unreachable type 3 codes 0,1,2,3,9,10,13, or ICMPv6
 *     destination unreachable type 1 codes 0,1,3,4 → filtered, with the
 *     reason named after the code (see tcp_classify_icmp()).
 *   - Every other TCP segment (a bare ACK, a SYN/ACK to a FIN probe...) and
 *     every other ICMP message decides nothing: VERDICT_IGNORE.
 * Silence is not handled here: it is each module's silence_state.
 */
#ifndef PRTIP_SCAN_TCP_CLASSIFY_H
#define PRTIP_SCAN_TCP_CLASSIFY_H

#include "core/result.h"
#include "scan/scan_module.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pkt_info;

/* How a scan type reads the replies it can get (nmap's scantype). */
enum tcp_scan_kind {
    TCP_KIND_SYN,     /* -sS: SYN/ACK or SYN open, RST closed */
    TCP_KIND_STEALTH, /* -sF -sN -sX -sM: RST closed */
    TCP_KIND_ACK,     /* -sA: RST unfiltered */
    TCP_KIND_WINDOW,  /* -sW: RST open if window > 0, else closed */
};

/*
 * Classify one cookie-validated reply (see scan_module.classify_reply) for
 * a scan of the given kind. The family comes from reply->family: an
 * AF_INET reply is read as TCP or ICMPv4, an AF_INET6 reply as TCP or
 * ICMPv6 (an ICMP error must carry its quote, reply->has_quote). Returns
 * VERDICT_FINAL with *state and *reason set, or VERDICT_IGNORE with them
 * set to PORT_UNKNOWN / REASON_UNKNOWN. Pure.
 */
enum scan_verdict tcp_classify(const struct pkt_info *reply, enum tcp_scan_kind kind,
                               enum port_state *state, enum reason *reason);

/*
 * True when reply is an ICMP/ICMPv6 destination-unreachable error (with a
 * quote) that nmap reads as "filtered" for a TCP probe; *reason is then
 * ICMPv4 code 0 net-unreach, 1 host-unreach, 2 proto-unreach,
 * 3 port-unreach, 9 net-prohibited, 10 host-prohibited, 13
 * admin-prohibited; ICMPv6 code 0 (no route) net-unreach, 1 (administratively
 * prohibited) admin-prohibited, 3 (address unreachable) host-unreach,
 * 4 (port unreachable) port-unreach. False for anything else (*reason
 * untouched).
 */
bool tcp_classify_icmp(const struct pkt_info *reply, enum reason *reason);

/*
 * Parse nmap's --scanflags value: a number 0-255 (decimal, or hex with 0x)
 * or flag names concatenated in any order and case, from URG ACK PSH RST
 * SYN FIN ECE CWR, plus nmap's ALL (all eight) and NONE (0); ',', '|' and
 * '+' may separate names ("SYNFIN", "urgpshfin", "SYN,ACK"). Stores the
 * PKT_TCP_* byte (net/packet.h) in *flags and returns 0, or returns -1 with
 * a one-line message in err naming the input and the accepted forms.
 */
int tcp_scanflags_parse(const char *text, uint8_t *flags, char *err, size_t errlen);

/*
 * nmap's text for a --scanflags byte, as its XML scaninfo scanflags= shows
 * it: names concatenated in the order CWR ECE URG ACK PSH RST SYN FIN
 * ("FIN", "URGPSHFIN"), "" for 0. buf needs at least 25 bytes. Returns buf.
 */
const char *tcp_scanflags_format(uint8_t flags, char *buf, size_t len);

#endif
