/* addr.h — one IPv4 or IPv6 address, the unit every module passes around. */
#ifndef PRTIP_CORE_ADDR_H
#define PRTIP_CORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text form of either family, with NUL (INET6_ADDRSTRLEN). */
#define IPADDR_STRLEN 46

/*
 * An address of either family. bytes[] holds the address in network byte
 * order; an IPv4 address uses bytes[0..3] and leaves the rest zero, so two
 * ipaddrs compare equal with memcmp-free ipaddr_equal().
 */
struct ipaddr {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t bytes[16];
};

/* Parse a numeric address (no names, no prefix). Returns 0, or -1 if text is
 * not a literal of either family. */
int ipaddr_parse(const char *text, struct ipaddr *out);

/* Write the numeric text form into buf (at least IPADDR_STRLEN bytes).
 * Returns buf, for use in printf arguments. */
const char *ipaddr_str(const struct ipaddr *a, char *buf, size_t len);

/* A MAC address as six colon-separated hex pairs: upper case as nmap's
 * outputs print it ("02:42:C6:12:00:02"), lower case as its packet trace
 * prints a neighbour advertisement's. buf takes MAC_STRLEN bytes. Returns
 * buf, for use in printf arguments. */
#define MAC_STRLEN 18
const char *mac_str(const uint8_t mac[6], bool lower, char buf[MAC_STRLEN]);

bool ipaddr_equal(const struct ipaddr *a, const struct ipaddr *b);

/* Fill a sockaddr_in / sockaddr_in6 for a, with port in host byte order.
 * Returns the length to pass to connect(2). */
socklen_t ipaddr_to_sockaddr(const struct ipaddr *a, uint16_t port, struct sockaddr_storage *ss);

/* Inverse of ipaddr_to_sockaddr; port may be NULL. Returns 0, or -1 for a
 * family other than AF_INET/AF_INET6. */
int ipaddr_from_sockaddr(const struct sockaddr *sa, struct ipaddr *out, uint16_t *port);

/* IPv4 address as a host-byte-order integer (a must be AF_INET). */
uint32_t ipaddr_v4(const struct ipaddr *a);
void ipaddr_set_v4(struct ipaddr *a, uint32_t host_order);

#endif
