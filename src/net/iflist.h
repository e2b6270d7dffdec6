/*
 * iflist.h — --iflist: the interfaces and routes prtip sees, in nmap's
 * layout (nmap 7.93 --iflist: an INTERFACES table "DEV (SHORT) IP/MASK TYPE
 * UP MTU MAC" and a ROUTES table "DST/MASK DEV METRIC GATEWAY"), read from
 * the kernel over rtnetlink (rtnetlink(7)), the same source route.h uses.
 */
#ifndef PRTIP_NET_IFLIST_H
#define PRTIP_NET_IFLIST_H

#include <stddef.h>
#include <stdio.h>

/*
 * Print both tables on fp. Interfaces in ifindex order, one row per address
 * (IPv4 first), "(none)/0" for an interface without one; TYPE is ethernet,
 * loopback, point2point or other; MAC (upper case) for Ethernet only.
 * Routes: IPv4 from the main table, IPv6 from the main and local tables
 * (as nmap reads /proc/net/route and /proc/net/ipv6_route), IPv4 first,
 * longest prefix first. Returns 0, or -1 with a one-line err
 * ("cannot list interfaces: ...").
 */
int iflist_print(FILE *fp, char *err, size_t errlen);

/*
 * The same tables from dumps already received, for the fuzz harness: reply
 * 0, 1 and 2 hold len[i] bytes of one datagram each of the RTM_GETLINK,
 * RTM_GETADDR and RTM_GETROUTE dumps (sequence number 1). Returns as
 * iflist_print (a dump's NLMSG_ERROR is "cannot list interfaces").
 */
int iflist_print_replies(FILE *fp, const void *const reply[3], const size_t len[3], char *err,
                         size_t errlen);

#endif
