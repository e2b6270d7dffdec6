/*
 * udp_payloads.h — what to put in a UDP probe so that a live service answers.
 *
 * An empty datagram draws no reply from most UDP services, so the port would
 * stay open|filtered. Two sources, in this order of preference:
 *
 *  1. nmap-payloads (Debian nmap-common, /usr/share/nmap), read at run time:
 *     nmap's tested payloads. When the file has entries for a port, only they
 *     are used for that port.
 *  2. Built-ins written from the protocol specifications (udp_payloads_builtin.c)
 *     for DNS 53, SunRPC 111, NTP 123, NetBIOS-NS 137, SNMP 161, IKE 500,
 *     SSDP 1900 and mDNS 5353: the fallback when the file is missing or has
 *     nothing for the port, so -sU works without nmap-common installed.
 *
 * nmap-payloads syntax (the file's header comments, nmap's payload.cc):
 *
 *     # comment to end of line, anywhere outside strings
 *     udp 53,69,5353,32768-65535 "\x00\x00\x10\x00"
 *         "more bytes, appended" source 500
 *
 * "udp", a port list (N or N-M items, comma separated), then one or more
 * double-quoted strings that are concatenated into one payload, spread over
 * as many lines as wanted. Escapes are nmap's cstring_unescape(): \0 \a \b
 * \f \n \r \t \v, \xHH (exactly two hex digits), and a backslash before any
 * other non-alphanumeric character stands for that character (\\ \" ...);
 * a backslash before any other letter or digit is an error (no octal, as in
 * nmap: "\012" is NUL, '1', '2'). After the strings, keywords may follow, each
 * with its data on the same line: "source PORT" is checked and ignored (nmap
 * does not honour it either); unknown keywords are skipped to the end of the
 * line for forward compatibility, as the file's header asks. Several entries
 * may name the same port; nmap sends all of them, and more than 255 for one
 * port (nmap's limit) is an error.
 */
#ifndef PRTIP_SCAN_UDP_PAYLOADS_H
#define PRTIP_SCAN_UDP_PAYLOADS_H

#include <stddef.h>
#include <stdint.h>

/* One datagram body. data is NULL when len is 0. */
struct udp_payload {
    const uint8_t *data;
    size_t len;
};

struct udp_payloads; /* opaque; immutable after load, safe to share between threads */

/* nmap's limit on entries for one port (nmap-payloads header). */
#define UDP_PAYLOADS_MAX_PER_PORT 255
/* Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP); longer is an error. */
#define UDP_PAYLOAD_MAX_LEN 65507

/*
 * Load built-ins, then nmap-payloads from path (NULL = services_datadir()/
 * nmap-payloads) when present. A missing file (ENOENT) is not an error: the
 * built-ins still work. Any other open/read failure, or a malformed file,
 * returns NULL with one line in err, "PATH:LINE: problem" for syntax errors
 * (e.g. "/usr/share/nmap/nmap-payloads:12: unterminated string"). Free with
 * udp_payloads_free(). Cost: one read and one pass, plus a 65536-entry table.
 */
struct udp_payloads *udp_payloads_load(const char *path, char *err, size_t errlen);

/*
 * Parse nmap-payloads text from memory (len bytes, need not be NUL-terminated;
 * NUL bytes are an error). name is used in messages only ("name:line: ...").
 * Same result and errors as udp_payloads_load() on a file of that content.
 */
struct udp_payloads *udp_payloads_parse(const char *text, size_t len, const char *name, char *err,
                                        size_t errlen);

void udp_payloads_free(struct udp_payloads *p);

/*
 * Payload for a UDP probe to port (host order) over family (AF_INET or
 * AF_INET6; anything else is treated as AF_INET). Never NULL: the first
 * nmap-payloads entry for the port, else the built-in, else an empty payload
 * {NULL, 0}. p may be NULL (built-ins only). O(1). The pointer stays valid
 * until udp_payloads_free(p) (built-ins: forever).
 */
const struct udp_payload *udp_payload_get(const struct udp_payloads *p, uint16_t port, int family);

/*
 * Every payload for port, in file order (nmap sends them all): returns the
 * array and stores its length in *n (0 with a pointer to an empty payload when
 * none is known; element 0 is what udp_payload_get() returns). O(1).
 */
const struct udp_payload *udp_payload_get_all(const struct udp_payloads *p, uint16_t port,
                                              int family, size_t *n);

/* Number of payload entries read from nmap-payloads (0 if the file was
 * missing); for -d output and tests. */
size_t udp_payloads_file_entries(const struct udp_payloads *p);

/*
 * The built-in payload for port and family, or NULL when there is none.
 * Static storage; implemented in udp_payloads_builtin.c.
 */
const struct udp_payload *udp_payload_builtin(uint16_t port, int family);

#endif
