/*
 * Built-in UDP probe payloads, written byte by byte from the protocol
 * specifications (not taken from nmap-payloads). Each one is the smallest
 * well-formed request that a server of that protocol answers, so that a
 * reply proves the port open. They are the fallback when nmap-payloads is
 * missing or has no entry for the port (see udp_payloads.h).
 *
 * Fixed identifiers (transaction IDs, cookies) spell "PRTP" where there is
 * room, which makes our probes easy to pick out in a capture. Multi-byte
 * fields are big-endian (network order) in every protocol below.
 *
 * tests/unit/test_udp_payloads.c decodes each one with a small parser of
 * the relevant fields, so an edit that breaks a length or count fails there.
 */
#include "scan/udp_payloads.h"

#include <sys/socket.h>

/*
 * DNS, port 53 — RFC 1035 §4.1: a standard query for the root's NS records
 * (". IN NS"). Every DNS server answers this: a resolver from its priming
 * data, an authoritative-only server with a referral or REFUSED; any reply
 * is enough to call the port open.
 */
static const uint8_t dns_root_ns[] = {
    0x50, 0x52, /* ID "PR" */
    0x01, 0x00, /* QR=0 query, OPCODE=0 QUERY, RD=1 (recursion desired) */
    0x00, 0x01, /* QDCOUNT 1 */
    0x00, 0x00, /* ANCOUNT 0 */
    0x00, 0x00, /* NSCOUNT 0 */
    0x00, 0x00, /* ARCOUNT 0 */
    0x00,       /* QNAME: the root, a single zero-length label (§3.1) */
    0x00, 0x02, /* QTYPE NS (§3.2.2) */
    0x00, 0x01, /* QCLASS IN (§3.2.4) */
};

/*
 * SunRPC portmapper, port 111 — RFC 5531 §9 (call body), RFC 1833 §3
 * (portmap program 100000 version 2): the NULL procedure, which every RPC
 * server must implement and which has no arguments. UDP carries the
 * message bare (no record marking, that is TCP only).
 */
static const uint8_t rpc_portmap_null[] = {
    0x50, 0x52, 0x54, 0x50, /* xid "PRTP" */
    0x00, 0x00, 0x00, 0x00, /* msg_type CALL (0) */
    0x00, 0x00, 0x00, 0x02, /* rpcvers 2 */
    0x00, 0x01, 0x86, 0xa0, /* prog 100000 (portmapper) */
    0x00, 0x00, 0x00, 0x02, /* vers 2 */
    0x00, 0x00, 0x00, 0x00, /* proc 0 (NULL) */
    0x00, 0x00, 0x00, 0x00, /* cred: flavor AUTH_NONE (§8.1) */
    0x00, 0x00, 0x00, 0x00, /* cred: body length 0 */
    0x00, 0x00, 0x00, 0x00, /* verf: flavor AUTH_NONE */
    0x00, 0x00, 0x00, 0x00, /* verf: body length 0 */
};

/*
 * NTP, port 123 — RFC 5905 §7.3: a 48-byte header in client mode. A server
 * answers mode 3 with mode 4 and copies our transmit timestamp into its
 * origin field; ours is non-zero because implementations treat a zero
 * timestamp as "not set" and may discard such a request.
 */
static const uint8_t ntp_client[] = {
    0x23,                   /* LI 0 (no warning), VN 4, Mode 3 (client): 00 100 011 */
    0x00,                   /* stratum 0 (unspecified) */
    0x06,                   /* poll 2^6 = 64 s, the RFC's MINPOLL */
    0xec,                   /* precision 2^-20 s (about 1 us) */
    0x00, 0x00, 0x00, 0x00, /* root delay */
    0x00, 0x00, 0x00, 0x00, /* root dispersion */
    0x00, 0x00, 0x00, 0x00, /* reference ID */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* reference timestamp */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* origin timestamp */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* receive timestamp */
    0xe8, 0x00, 0x00, 0x00, /* transmit timestamp, seconds since 1900 (2023) */
    0x50, 0x52, 0x54, 0x50, /* transmit timestamp, fraction: "PRTP" */
};

/*
 * NetBIOS name service, port 137 — RFC 1002 §4.2.17: NODE STATUS REQUEST
 * (NBSTAT) for the wildcard name "*", which any NetBIOS node answers with its
 * name table. The name is "*" padded with NULs to 16 bytes, then "first
 * level encoded" (RFC 1001 §14.1): each nibble + 'A', so '*' (0x2a) is "CK"
 * and each 0x00 is "AA".
 */
static const uint8_t nbns_nbstat[] = {
    0x50, 0x52,                               /* NAME_TRN_ID "PR" */
    0x00, 0x00,                               /* R=0 request, OPCODE 0 query, NM_FLAGS 0 */
    0x00, 0x01,                               /* QDCOUNT 1 */
    0x00, 0x00,                               /* ANCOUNT 0 */
    0x00, 0x00,                               /* NSCOUNT 0 */
    0x00, 0x00,                               /* ARCOUNT 0 */
    0x20,                                     /* label length 32: the encoded 16-byte name */
    'C',  'K',  'A', 'A', 'A', 'A', 'A', 'A', /* name bytes 0-3: '*' = "CK", NUL = "AA" */
    'A',  'A',  'A', 'A', 'A', 'A', 'A', 'A', /* name bytes 4-7: NUL padding */
    'A',  'A',  'A', 'A', 'A', 'A', 'A', 'A', /* name bytes 8-11: NUL padding */
    'A',  'A',  'A', 'A', 'A', 'A', 'A', 'A', /* name bytes 12-15: NUL padding */
    0x00,                                     /* end of name (empty scope ID) */
    0x00, 0x21,                               /* QUESTION_TYPE NBSTAT */
    0x00, 0x01,                               /* QUESTION_CLASS IN */
};

/*
 * SNMP, port 161 — RFC 1157 §4.1 (v1 message), RFC 3416 §3 (PDU): GetRequest
 * for sysDescr.0 (1.3.6.1.2.1.1.1.0) with community "public", BER encoded
 * (X.690, definite short lengths). Version 1 because agents configured for
 * v2c answer v1 as well (net-snmp's rocommunity covers both) and old devices
 * speak only v1.
 */
static const uint8_t snmp_get_sysdescr[] = {
    0x30, 0x29,                                   /* Message SEQUENCE, 41 bytes */
    0x02, 0x01, 0x00,                             /*   version INTEGER 0 (v1) */
    0x04, 0x06, 'p',  'u',  'b',  'l',  'i', 'c', /*   community OCTET STRING */
    0xa0, 0x1c,                                   /*   GetRequest-PDU [0], 28 bytes */
    0x02, 0x04, 0x50, 0x52, 0x54, 0x50,           /*     request-id INTEGER "PRTP" */
    0x02, 0x01, 0x00,                             /*     error-status INTEGER 0 */
    0x02, 0x01, 0x00,                             /*     error-index INTEGER 0 */
    0x30, 0x0e,                                   /*     variable-bindings SEQUENCE OF */
    0x30, 0x0c,                                   /*       VarBind SEQUENCE */
    0x06, 0x08, 0x2b, 0x06, 0x01, 0x02,           /*         name OID 1.3 (0x2b = 40*1+3) */
    0x01, 0x01, 0x01, 0x00,                       /*           .6.1.2.1.1.1.0 */
    0x05, 0x00,                                   /*         value NULL */
};

/*
 * IKEv1, port 500 — RFC 2408 §3.1 (ISAKMP header), §3.4 (SA), §3.5
 * (Proposal), §3.6 (Transform); RFC 2407 §4.6 (IPsec DOI); RFC 2409 App. A
 * (attribute values). A Main Mode first message offering one common
 * transform (3DES, SHA-1, pre-shared key, MODP-1024). A responder answers
 * with its own SA or a NO-PROPOSAL-CHOSEN notification; either is a reply.
 */
static const uint8_t ike_main_mode[] = {
    /* ISAKMP header, 28 bytes */
    0x50, 0x52, 0x54, 0x50, 0x50, 0x52, 0x54, 0x50, /* initiator cookie (non-zero) */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* responder cookie: 0 in msg 1 */
    0x01,                                           /* next payload: SA (1) */
    0x10,                                           /* version major 1, minor 0 */
    0x02,                                           /* exchange: Identity Protection */
    0x00,                                           /* flags: none */
    0x00, 0x00, 0x00, 0x00,                         /* message ID 0 (phase 1) */
    0x00, 0x00, 0x00, 0x50,                         /* length 80: the whole message */
    /* SA payload, 52 bytes */
    0x00, 0x00, 0x00, 0x34, /* next payload none, reserved, length 52 */
    0x00, 0x00, 0x00, 0x01, /* DOI 1: IPsec */
    0x00, 0x00, 0x00, 0x01, /* situation SIT_IDENTITY_ONLY */
    /* Proposal payload, 40 bytes */
    0x00, 0x00, 0x00, 0x28, /* next payload none (last proposal), reserved, length 40 */
    0x01, 0x01, 0x00, 0x01, /* proposal #1, PROTO_ISAKMP, SPI size 0, 1 transform */
    /* Transform payload, 32 bytes */
    0x00, 0x00, 0x00, 0x20, /* next payload none (last transform), reserved, length 32 */
    0x01, 0x01, 0x00, 0x00, /* transform #1, KEY_IKE, reserved */
    0x80, 0x01, 0x00, 0x05, /* TV: encryption algorithm = 3DES-CBC */
    0x80, 0x02, 0x00, 0x02, /* TV: hash algorithm = SHA */
    0x80, 0x03, 0x00, 0x01, /* TV: authentication method = pre-shared key */
    0x80, 0x04, 0x00, 0x02, /* TV: group description = MODP 1024 (group 2) */
    0x80, 0x0b, 0x00, 0x01, /* TV: life type = seconds */
    0x80, 0x0c, 0x70, 0x80, /* TV: life duration = 28800 s (8 h, the usual default) */
};

/*
 * SSDP, port 1900 — UPnP Device Architecture 1.1 §1.3.2: M-SEARCH for all
 * devices and services. HOST names the SSDP multicast group of the address
 * family (239.255.255.250, or link-local FF02::C for IPv6). UDA 1.1 asks a
 * unicast search to name the target there instead; a payload shared by every
 * target cannot, so it carries the group as multicast discovery does. MX (the
 * reply spread for multicast) is 1 s to keep any delay short.
 */
#define SSDP_MSEARCH(host)                                                                         \
    "M-SEARCH * HTTP/1.1\r\n"                                                                      \
    "HOST: " host "\r\n"                                                                           \
    "MAN: \"ssdp:discover\"\r\n"                                                                   \
    "MX: 1\r\n"                                                                                    \
    "ST: ssdp:all\r\n"                                                                             \
    "\r\n"
static const char ssdp_v4[] = SSDP_MSEARCH("239.255.255.250:1900");
static const char ssdp_v6[] = SSDP_MSEARCH("[FF02::C]:1900");

/*
 * mDNS / DNS-SD, port 5353 — RFC 6763 §9: the service type enumeration
 * query, PTR for _services._dns-sd._udp.local, which lists every service the
 * host advertises. RFC 6762 §18.1: ID 0; §5.4: the top bit of QCLASS asks
 * for a unicast reply (a query from a port other than 5353 is answered by
 * unicast anyway, §6.7, but this makes the intent explicit).
 */
static const uint8_t mdns_services[] = {
    0x00, 0x00,                                         /* ID 0 */
    0x00, 0x00,                                         /* standard query, no flags */
    0x00, 0x01,                                         /* QDCOUNT 1 */
    0x00, 0x00,                                         /* ANCOUNT 0 */
    0x00, 0x00,                                         /* NSCOUNT 0 */
    0x00, 0x00,                                         /* ARCOUNT 0 */
    9,    '_',  's', 'e', 'r', 'v', 'i', 'c', 'e', 's', /* label "_services" */
    7,    '_',  'd', 'n', 's', '-', 's', 'd',           /* label "_dns-sd" */
    4,    '_',  'u', 'd', 'p',                          /* label "_udp" */
    5,    'l',  'o', 'c', 'a', 'l',                     /* label "local" */
    0,                                                  /* root */
    0x00, 0x0c,                                         /* QTYPE PTR */
    0x80, 0x01,                                         /* QCLASS IN with unicast-response bit */
};

static const struct udp_payload builtin_dns = {dns_root_ns, sizeof dns_root_ns};
static const struct udp_payload builtin_rpc = {rpc_portmap_null, sizeof rpc_portmap_null};
static const struct udp_payload builtin_ntp = {ntp_client, sizeof ntp_client};
static const struct udp_payload builtin_nbns = {nbns_nbstat, sizeof nbns_nbstat};
static const struct udp_payload builtin_snmp = {snmp_get_sysdescr, sizeof snmp_get_sysdescr};
static const struct udp_payload builtin_ike = {ike_main_mode, sizeof ike_main_mode};
/* Text payloads are sent without their terminating NUL. */
static const struct udp_payload builtin_ssdp_v4 = {(const uint8_t *)ssdp_v4, sizeof ssdp_v4 - 1};
static const struct udp_payload builtin_ssdp_v6 = {(const uint8_t *)ssdp_v6, sizeof ssdp_v6 - 1};
static const struct udp_payload builtin_mdns = {mdns_services, sizeof mdns_services};

const struct udp_payload *udp_payload_builtin(uint16_t port, int family)
{
    /* A switch rather than a table: eight ports, compiled to a jump or a
     * short binary search, and nothing to initialise. */
    switch (port) {
    case 53:
        return &builtin_dns;
    case 111:
        return &builtin_rpc;
    case 123:
        return &builtin_ntp;
    case 137:
        return &builtin_nbns;
    case 161:
        return &builtin_snmp;
    case 500:
        return &builtin_ike;
    case 1900:
        return family == AF_INET6 ? &builtin_ssdp_v6 : &builtin_ssdp_v4;
    case 5353:
        return &builtin_mdns;
    default:
        return NULL;
    }
}
