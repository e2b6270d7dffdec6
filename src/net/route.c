/*
 * route.c — route and next-hop lookup over rtnetlink, ARP/NDP on a miss
 * (see route.h).
 *
 * We ask the kernel rather than reading /proc or reimplementing longest-
 * prefix match, so policy routing, VRFs, source-specific IPv6 routes and
 * "ip route get" all agree with what prtip does. Each call opens its own
 * short-lived NETLINK_ROUTE socket: lookups happen once per scan (or per
 * -e/-S change), and no state is shared between threads.
 */
#include "net/route.h"
#include "net/route_nl.h"
#include "core/clock.h"

#include "net/neigh.h"
#include "net/parse.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NL_BUFSIZE    65536 /* a dump message is at most 32 KiB (netlink caps it) */
#define NL_TIMEOUT_S  2     /* the kernel answers at once; this only guards a hang */
#define RESOLVE_TRIES 3

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static size_t addr_len(int family)
{
    return family == AF_INET6 ? 16 : 4;
}

static void set_addr(struct ipaddr *a, int family, const void *bytes)
{
    memset(a, 0, sizeof(*a));
    a->family = (uint8_t)family;
    memcpy(a->bytes, bytes, addr_len(family));
}

/* ---- rtnetlink plumbing --------------------------------------------- */

struct nl_req {
    struct nlmsghdr n;
    union {
        struct rtmsg r;
        struct ndmsg nd;
    } u;
    char attrs[128];
};

static void nl_add_attr(struct nl_req *req, unsigned short type, const void *data, size_t len)
{
    /* Offsets are taken from the whole request, not from its first member,
     * so the compiler (and a reader) can see the attribute lands in attrs. */
    size_t off = NLMSG_ALIGN(req->n.nlmsg_len);
    if (off + RTA_SPACE(len) > sizeof(*req))
        return; /* callers add a few fixed-size attributes; never reached */
    struct rtattr *rta = (struct rtattr *)((char *)req + off);

    rta->rta_type = type;
    rta->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(rta), data, len);
    req->n.nlmsg_len = NLMSG_ALIGN(req->n.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

int nl_walk(const void *buf, size_t len, uint32_t seq, bool dump, nl_msg_fn fn, void *ctx)
{
    /* Not NLMSG_OK/NLMSG_NEXT over a size_t: a last message whose padded
     * length passes the end wraps the count, and the walk went on reading
     * past the buffer (found by fuzz_netlink). */
    size_t off = 0;
    while (len - off >= sizeof(struct nlmsghdr)) {
        const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)buf + off);
        if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - off)
            break;
        /* The next message starts after this one's padding, if any is left. */
        size_t next = ((size_t)h->nlmsg_len + NLMSG_ALIGNTO - 1) & ~(size_t)(NLMSG_ALIGNTO - 1);
        off = next > len - off ? len : off + next;
        if (h->nlmsg_seq != seq)
            continue;
        if (h->nlmsg_type == NLMSG_DONE)
            return 1;
        if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(h);

            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
                errno = EPROTO;
                return -1;
            }
            if (e->error == 0)
                return 1; /* an ACK */
            /* The kernel's errors are -1..-4095; anything else is no errno. */
            errno = e->error < 0 && e->error > -4096 ? -e->error : EPROTO;
            return -1;
        }
        fn(h, ctx);
        if (!dump)
            return 1;
    }
    return 0;
}

/*
 * One rtnetlink socket per thread, kept between requests: route_onlink_mac
 * runs for every answering host of a -Pn scan (32,768 on a /17) on the
 * thread that delivers results, and opening the socket, setting its
 * timeout and closing it were three of the five system calls of each
 * look-up (0.17-0.22 s of that thread's CPU on the /17). Closed when the
 * thread ends (the key's destructor) or after any failure, so that a
 * late answer to a timed-out request never meets the next one (answers
 * are also told apart by sequence number).
 */
struct nl_sock {
    int fd;
    uint32_t seq;
    char buf[NL_BUFSIZE];
};

static pthread_key_t nl_key;
static pthread_once_t nl_once = PTHREAD_ONCE_INIT;
static bool nl_key_ok;

static void nl_sock_free(void *p)
{
    struct nl_sock *s = p;
    if (s) {
        close(s->fd);
        free(s);
    }
}

static void nl_key_init(void)
{
    nl_key_ok = pthread_key_create(&nl_key, nl_sock_free) == 0;
}

/* This thread's socket (opened on first use); NULL with errno set. */
static struct nl_sock *nl_sock_get(void)
{
    pthread_once(&nl_once, nl_key_init);
    struct nl_sock *s = nl_key_ok ? pthread_getspecific(nl_key) : NULL;
    if (s)
        return s;
    s = malloc(sizeof(*s));
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s->fd < 0) {
        int e = errno;
        free(s);
        errno = e;
        return NULL;
    }
    struct timeval tv = {.tv_sec = NL_TIMEOUT_S};
    (void)setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    s->seq = 0;
    if (nl_key_ok && pthread_setspecific(nl_key, s) != 0)
        nl_key_ok = false; /* then one socket per request, as before */
    return s;
}

/* Done with s: kept for the thread's next request when it went well. */
static void nl_sock_put(struct nl_sock *s, bool ok)
{
    bool kept = nl_key_ok && pthread_getspecific(nl_key) == s;
    if (ok && kept)
        return;
    if (kept)
        pthread_setspecific(nl_key, NULL);
    nl_sock_free(s);
}

/*
 * Send req and hand every answer message to fn until the kernel is done: a
 * single reply for a plain request, NLMSG_DONE for a dump. Returns 0, or -1
 * with errno set (the kernel's own error for NLMSG_ERROR, e.g. ENETUNREACH).
 */
static int nl_talk(struct nl_req *req, nl_msg_fn fn, void *ctx)
{
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    bool dump = (req->n.nlmsg_flags & NLM_F_DUMP) != 0;
    int rc = -1, saved;
    bool clean = false; /* the socket holds no unread answer */

    struct nl_sock *s = nl_sock_get();
    if (!s)
        return -1;
    req->n.nlmsg_seq = ++s->seq ? s->seq : ++s->seq;
    if (sendto(s->fd, req, req->n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        goto out;
    for (;;) {
        struct sockaddr_nl from = {0};
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(s->fd, s->buf, NL_BUFSIZE, 0, (struct sockaddr *)&from, &fl);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto out; /* EAGAIN after the timeout: errno says so */
        }
        if (from.nl_pid != 0) /* only the kernel may answer */
            continue;
        int w = nl_walk(s->buf, (size_t)n, req->n.nlmsg_seq, dump, fn, ctx);
        if (w != 0) {
            rc = w > 0 ? 0 : -1;
            /* A dump ends its last datagram with NLMSG_DONE; an error or a
             * plain request's answer is one datagram. */
            clean = true;
            goto out;
        }
    }
out:
    saved = errno;
    nl_sock_put(s, clean);
    errno = saved;
    return rc;
}

/* ---- RTM_GETROUTE ---------------------------------------------------- */

/* A gateway from RTA_GATEWAY (same family as the route) or RTA_VIA (any
 * family: IPv4 routes over an IPv6 next hop, RFC 5549). */
static void rt_take_gw(struct rt_answer *a, const struct rtattr *rta)
{
    size_t len = RTA_PAYLOAD(rta);

    if (rta->rta_type == RTA_GATEWAY && len == addr_len(a->family)) {
        set_addr(&a->gw, a->family, RTA_DATA(rta));
        a->have_gw = true;
    } else if (rta->rta_type == RTA_VIA && len >= sizeof(struct rtvia)) {
        const struct rtvia *via = RTA_DATA(rta);

        if ((via->rtvia_family == AF_INET || via->rtvia_family == AF_INET6) &&
            len - sizeof(*via) >= addr_len(via->rtvia_family)) {
            set_addr(&a->gw, via->rtvia_family, via->rtvia_addr);
            a->have_gw = true;
        }
    }
}

void rt_parse(const struct nlmsghdr *h, void *ctx)
{
    struct rt_answer *a = ctx;
    const struct rtmsg *r = NLMSG_DATA(h);
    const struct rtattr *rta;
    int len;

    /* Only the families asked about: any other would make addresses of a
     * family nothing downstream knows (found by fuzz_netlink). */
    if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*r)) ||
        (r->rtm_family != AF_INET && r->rtm_family != AF_INET6))
        return;
    a->got = true;
    a->family = r->rtm_family;
    a->type = r->rtm_type;
    len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*r)));
    for (rta = RTM_RTA(r); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        size_t plen = RTA_PAYLOAD(rta);

        switch (rta->rta_type) {
        case RTA_OIF:
            if (plen >= sizeof(uint32_t))
                memcpy(&a->oif, RTA_DATA(rta), sizeof(uint32_t));
            break;
        case RTA_PREFSRC:
            if (plen == addr_len(a->family)) {
                set_addr(&a->prefsrc, a->family, RTA_DATA(rta));
                a->have_prefsrc = true;
            }
            break;
        case RTA_GATEWAY:
        case RTA_VIA:
            rt_take_gw(a, rta);
            break;
        case RTA_MULTIPATH: {
            /* The answer for one destination normally names the chosen
             * hop directly; take the first hop only if it does not. */
            const struct rtnexthop *nh = RTA_DATA(rta);

            if (plen >= sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) && nh->rtnh_len <= plen) {
                int nlen = nh->rtnh_len - (int)sizeof(*nh);

                if (!a->oif)
                    a->oif = nh->rtnh_ifindex;
                for (const struct rtattr *x = RTNH_DATA(nh); RTA_OK(x, nlen); x = RTA_NEXT(x, nlen))
                    if (!a->have_gw)
                        rt_take_gw(a, x);
            }
            break;
        }
        default:
            break;
        }
    }
}

static int rt_get(const struct ipaddr *dst, int oif, const struct ipaddr *src, struct rt_answer *a)
{
    struct nl_req req;
    uint32_t oif32 = (uint32_t)oif;
    size_t alen = addr_len(dst->family);

    memset(&req, 0, sizeof(req));
    memset(a, 0, sizeof(*a));
    req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    req.n.nlmsg_type = RTM_GETROUTE;
    req.n.nlmsg_flags = NLM_F_REQUEST;
    req.u.r.rtm_family = dst->family;
    req.u.r.rtm_dst_len = (unsigned char)(alen * 8);
    nl_add_attr(&req, RTA_DST, dst->bytes, alen);
    if (src) {
        req.u.r.rtm_src_len = (unsigned char)(alen * 8);
        nl_add_attr(&req, RTA_SRC, src->bytes, alen);
    }
    if (oif > 0)
        nl_add_attr(&req, RTA_OIF, &oif32, sizeof(oif32));
    if (nl_talk(&req, rt_parse, a) < 0)
        return -1;
    if (!a->got) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

/* ---- interface details ----------------------------------------------- */

struct iface {
    char name[IF_NAMESIZE];
    unsigned short hwtype;
    int mtu;
    short flags;
    uint8_t mac[6];
};

/* Name, flags, MTU, hardware type and MAC by SIOCGIF* ioctls, which work on
 * any socket and need no privilege. */
static int iface_get(int ifindex, const char *name, struct iface *out)
{
    struct ifreq ifr;
    int fd;

    memset(out, 0, sizeof(*out));
    if (name) {
        snprintf(out->name, sizeof(out->name), "%s", name);
    } else if (!if_indextoname((unsigned)ifindex, out->name)) {
        return -1;
    }
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, out->name, sizeof(out->name));
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        goto fail;
    out->flags = ifr.ifr_flags;
    if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
        goto fail;
    out->mtu = ifr.ifr_mtu;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
        goto fail;
    out->hwtype = ifr.ifr_hwaddr.sa_family;
    if (out->hwtype == ARPHRD_ETHER)
        memcpy(out->mac, ifr.ifr_hwaddr.sa_data, 6);
    close(fd);
    return 0;
fail:
    close(fd);
    return -1;
}

/*
 * The source address the kernel would pick for dst, by connecting a UDP
 * socket (connect() on UDP sends nothing). Only a fallback for answers
 * without RTA_PREFSRC; scope_if keeps link-local IPv6 next hops on-link.
 */
static int udp_src(const struct ipaddr *dst, int scope_if, struct ipaddr *out)
{
    struct sockaddr_storage ss, me;
    socklen_t len = ipaddr_to_sockaddr(dst, 9, &ss), ml = sizeof(me);
    int fd, rc = -1;

    if (dst->family == AF_INET6)
        ((struct sockaddr_in6 *)&ss)->sin6_scope_id = (uint32_t)scope_if;
    fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) == 0 &&
        getsockname(fd, (struct sockaddr *)&me, &ml) == 0 &&
        ipaddr_from_sockaddr((struct sockaddr *)&me, out, NULL) == 0)
        rc = 0;
    close(fd);
    return rc;
}

static bool is_loopback_dst(const struct ipaddr *a)
{
    static const uint8_t v6lo[16] = {[15] = 1};

    return a->family == AF_INET ? a->bytes[0] == 127 : memcmp(a->bytes, v6lo, 16) == 0;
}

int route_lookup(const struct ipaddr *dst, const char *ifname, const struct ipaddr *src,
                 struct route_info *out, char *err, size_t errlen)
{
    char d[IPADDR_STRLEN], s[IPADDR_STRLEN];
    struct rt_answer a;
    struct iface ifc;
    int oif = 0;

    memset(out, 0, sizeof(*out));
    if (!dst || (dst->family != AF_INET && dst->family != AF_INET6)) {
        set_err(err, errlen, "route lookup: unsupported address family");
        return -1;
    }
    ipaddr_str(dst, d, sizeof(d));
    if (src && src->family != dst->family) {
        set_err(err, errlen, "source address %s and target %s are of different families",
                ipaddr_str(src, s, sizeof(s)), d);
        return -1;
    }
    if (ifname && *ifname) {
        /* Check -e ourselves first: the kernel would only say "network
         * unreachable" for an interface that is down. */
        oif = (int)if_nametoindex(ifname);
        if (oif == 0 || iface_get(oif, ifname, &ifc) < 0) {
            set_err(err, errlen, "no interface named %s (see 'ip link')", ifname);
            return -1;
        }
        if (!(ifc.flags & IFF_UP)) {
            set_err(err, errlen, "interface %s is down", ifname);
            return -1;
        }
        if (!(ifc.flags & IFF_RUNNING)) {
            set_err(err, errlen, "interface %s is down (no carrier)", ifname);
            return -1;
        }
    }

    /* With -S, first let the source take part (source-specific and policy
     * routes). Linux refuses a non-local IPv4 source with ENETUNREACH, and
     * -S may spoof (as nmap allows), so then route by destination alone. */
    if (rt_get(dst, oif, src, &a) < 0 && (!src || rt_get(dst, oif, NULL, &a) < 0)) {
        int e = errno;

        if (e == ENETUNREACH || e == EHOSTUNREACH || e == ENETDOWN)
            set_err(
                err, errlen, "no route to %s%s%s (%s)", d, oif ? " via " : "", oif ? ifname : "",
                is_loopback_dst(dst) ? "is the loopback interface up?" : "add a route or use -e");
        else if (e == EACCES || e == EPERM)
            set_err(err, errlen, "route to %s is prohibited by a routing rule", d);
        else if (e == EINVAL)
            set_err(err, errlen, "no usable route to %s (blackhole or invalid address)", d);
        else
            set_err(err, errlen, "route lookup for %s failed: %s", d, strerror(e));
        return -1;
    }
    if (a.type == RTN_PROHIBIT) {
        set_err(err, errlen, "route to %s is prohibited by a routing rule", d);
        return -1;
    }
    if (a.type == RTN_UNREACHABLE || a.type == RTN_BLACKHOLE || a.type == RTN_THROW) {
        set_err(err, errlen, "no route to %s (add a route or use -e)", d);
        return -1;
    }
    if (a.oif <= 0 || iface_get(a.oif, NULL, &ifc) < 0) {
        set_err(err, errlen, "no route to %s: the kernel named no usable interface", d);
        return -1;
    }

    snprintf(out->ifname, sizeof(out->ifname), "%s", ifc.name);
    out->ifindex = a.oif;
    out->hwtype = ifc.hwtype;
    out->mtu = ifc.mtu;
    out->up = (ifc.flags & IFF_UP) && (ifc.flags & IFF_RUNNING);
    memcpy(out->src_mac, ifc.mac, 6);
    if (src) {
        out->src = *src; /* -S: used as given, even if not ours (spoofing) */
    } else if (a.have_prefsrc) {
        out->src = a.prefsrc;
    } else if (udp_src(dst, a.oif, &out->src) < 0) {
        set_err(err, errlen, "no source address to reach %s on %s (use -S)", d, out->ifname);
        return -1;
    }
    /* A local destination "via" lo has no gateway even if one is listed. */
    if (a.have_gw && a.type != RTN_LOCAL) {
        out->via_gateway = true;
        out->next_hop = a.gw;
    } else {
        out->next_hop = *dst;
    }
    return 0;
}

/* ---- next-hop MAC ---------------------------------------------------- */

void neigh_parse_msg(const struct nlmsghdr *h, void *ctx)
{
    struct neigh_search *s = ctx;
    const struct ndmsg *nd = NLMSG_DATA(h);
    const struct rtattr *rta;
    const uint8_t *lladdr = NULL;
    bool dst_ok = false;
    int len;
    /* Entries that hold a confirmed or recently confirmed address; the
     * kernel keeps using STALE/DELAY/PROBE ones while it re-checks them. */
    const unsigned usable =
        NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;

    if (s->found || h->nlmsg_type != RTM_NEWNEIGH || h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
        return;
    if (nd->ndm_ifindex != s->ifindex || nd->ndm_family != s->want->family ||
        !(nd->ndm_state & usable))
        return;
    len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
    for (rta = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
         RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        size_t plen = RTA_PAYLOAD(rta);

        if (rta->rta_type == NDA_DST && plen == addr_len(s->want->family))
            dst_ok = memcmp(RTA_DATA(rta), s->want->bytes, plen) == 0;
        else if (rta->rta_type == NDA_LLADDR && plen == 6)
            lladdr = RTA_DATA(rta);
    }
    if (dst_ok && lladdr && neigh_mac_unicast(lladdr)) {
        memcpy(s->mac, lladdr, 6);
        s->found = true;
    }
}

/* RTM_GETNEIGH dump of one family; NDA_IFINDEX asks the kernel to filter
 * (it ignores ndm_ifindex in dumps), and neigh_parse_msg filters again for
 * kernels that ignore the attribute too. */
static int neigh_table(const struct route_info *ri, uint8_t mac[6])
{
    struct neigh_search s = {.want = &ri->next_hop, .ifindex = ri->ifindex};
    struct nl_req req;
    uint32_t ifx = (uint32_t)ri->ifindex;

    memset(&req, 0, sizeof(req));
    req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
    req.n.nlmsg_type = RTM_GETNEIGH;
    req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.u.nd.ndm_family = ri->next_hop.family;
    nl_add_attr(&req, NDA_IFINDEX, &ifx, sizeof(ifx));
    if (nl_talk(&req, neigh_parse_msg, &s) < 0 || !s.found)
        return -1;
    memcpy(mac, s.mac, 6);
    return 0;
}

/*
 * An AF_PACKET socket on ifindex for EtherType proto. Created with
 * protocol 0 (receives nothing), given its filter, then bound: otherwise
 * frames of every interface could queue up before bind().
 */
static int packet_socket(int ifindex, uint16_t proto, const struct sock_fprog *filter)
{
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(proto), .sll_ifindex = ifindex};
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if ((filter && setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, filter, sizeof(*filter)) < 0) ||
        bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Send our own ARP request / Neighbor Solicitation up to RESOLVE_TRIES
 * times within timeout_ms and wait for the matching reply. */
static int resolve_on_wire(const struct route_info *ri, int timeout_ms, uint8_t mac[6], char *why,
                           size_t whylen)
{
    /* Only ICMPv6 Neighbor Advertisements reach the NDP socket. */
    struct sock_filter na_code[] = {
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 5),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14 + 6),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 3),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14 + 40),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NEIGH_ND_NA, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0x40000),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog na_prog = {.len = sizeof(na_code) / sizeof(na_code[0]), .filter = na_code};
    bool v4 = ri->next_hop.family == AF_INET;
    uint8_t frame[NEIGH_NS_FRAME_LEN], rbuf[2048];
    struct ipaddr src = ri->src;
    int fd, flen;
    long long start = (clock_mono_ns() / 1000000);

    /* An IPv4 route over an IPv6 next hop (RTA_VIA) solicits from an IPv6
     * address of ours on that link. */
    if (src.family != ri->next_hop.family && udp_src(&ri->next_hop, ri->ifindex, &src) < 0) {
        snprintf(why, whylen, "no source address of its family");
        return -1;
    }
    flen = v4 ? neigh_arp_request(frame, sizeof(frame), ri->src_mac, &src, &ri->next_hop)
              : neigh_ns_build(frame, sizeof(frame), ri->src_mac, &src, &ri->next_hop);
    if (flen < 0) {
        char a[IPADDR_STRLEN];

        snprintf(why, whylen, "cannot solicit from source %s", ipaddr_str(&src, a, sizeof(a)));
        return -1;
    }
    fd = packet_socket(ri->ifindex, v4 ? ETH_P_ARP : ETH_P_IPV6, v4 ? NULL : &na_prog);
    if (fd < 0) {
        int e = errno;

        snprintf(why, whylen, "%s%s", strerror(e),
                 e == EPERM ? " (raw sockets need root or CAP_NET_RAW)" : "");
        return -1;
    }
    for (int t = 0; t < RESOLVE_TRIES; t++) {
        long long until = start + (long long)timeout_ms * (t + 1) / RESOLVE_TRIES;

        if (send(fd, frame, (size_t)flen, 0) < 0) {
            snprintf(why, whylen, "send: %s", strerror(errno));
            close(fd);
            return -1;
        }
        for (long long left; (left = until - (clock_mono_ns() / 1000000)) > 0;) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            struct sockaddr_ll from = {0};
            socklen_t fl = sizeof(from);
            ssize_t n;

            if (poll(&p, 1, (int)left) <= 0)
                continue; /* timeout ends the loop; EINTR retries */
            n = recvfrom(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
            if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
                continue;
            if (neigh_match_reply(rbuf, (size_t)n, &ri->next_hop, mac)) {
                close(fd);
                return 0;
            }
        }
    }
    close(fd);
    snprintf(why, whylen, "no %s after %d tries in %d ms",
             v4 ? "ARP reply" : "Neighbor Advertisement", RESOLVE_TRIES, timeout_ms);
    return -1;
}

int route_resolve_mac(struct route_info *out, int timeout_ms, char *err, size_t errlen)
{
    char h[IPADDR_STRLEN], why[160];
    struct rt_answer a;

    out->have_next_mac = false;
    memset(out->next_mac, 0, 6);
    /* lo carries Ethernet headers of zeros through AF_PACKET: the zero MAC
     * is the right one there. Tunnels (ARPHRD_NONE, GRE, PPP...) have no
     * link-layer header at all; senders use raw IP sockets on them. */
    if (out->hwtype == ARPHRD_LOOPBACK) {
        out->have_next_mac = true;
        return 0;
    }
    if (out->hwtype != ARPHRD_ETHER)
        return 0;
    if (neigh_mac_by_rule(&out->next_hop, out->next_mac) || neigh_table(out, out->next_mac) == 0) {
        out->have_next_mac = true;
        return 0;
    }
    /* A subnet's broadcast address (198.18.0.255/24) is no neighbour: only
     * the routing table knows it is one. Asked here, on a table miss, so
     * that the common case costs no second lookup. */
    if (out->next_hop.family == AF_INET && !out->via_gateway &&
        rt_get(&out->next_hop, out->ifindex, NULL, &a) == 0 && a.type == RTN_BROADCAST) {
        memset(out->next_mac, 0xff, 6);
        out->have_next_mac = true;
        return 0;
    }
    if (timeout_ms < RESOLVE_TRIES)
        timeout_ms = RESOLVE_TRIES;
    if (resolve_on_wire(out, timeout_ms, out->next_mac, why, sizeof(why)) == 0) {
        out->have_next_mac = true;
        return 0;
    }
    memset(out->next_mac, 0, 6);
    set_err(err, errlen, "cannot resolve next hop %s on %s: %s",
            ipaddr_str(&out->next_hop, h, sizeof(h)), out->ifname, why);
    return -1;
}

/* ---- the scanner's own addresses ---------------------------------------- */

int route_local_addrs(int family, struct ipaddr **out, size_t *n)
{
    struct ifaddrs *ifs;
    *out = NULL;
    *n = 0;
    if (getifaddrs(&ifs) < 0)
        return -1;
    size_t cap = 0;
    for (const struct ifaddrs *i = ifs; i; i = i->ifa_next)
        cap += i->ifa_addr && i->ifa_addr->sa_family == family;
    if (cap) {
        *out = calloc(cap, sizeof(**out));
        if (!*out) {
            freeifaddrs(ifs);
            errno = ENOMEM;
            return -1;
        }
    }
    for (const struct ifaddrs *i = ifs; i; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == family &&
            ipaddr_from_sockaddr(i->ifa_addr, &(*out)[*n], NULL) == 0)
            (*n)++;
    freeifaddrs(ifs);
    return 0;
}

int route_onlink_mac(const struct ipaddr *addr, int timeout_ms, uint8_t mac[6])
{
    struct route_info ri;
    struct rt_answer a;
    char err[160];
    /* Called for every host of a -Pn range: a host behind a gateway is
     * known off-link from the kernel's answer alone, without the interface
     * and source look-ups of route_lookup (as route_lookup decides it). */
    if (addr && (addr->family == AF_INET || addr->family == AF_INET6) &&
        (rt_get(addr, 0, NULL, &a) < 0 || (a.have_gw && a.type != RTN_LOCAL)))
        return -1;
    if (route_lookup(addr, NULL, NULL, &ri, err, sizeof err) < 0 || ri.via_gateway ||
        ri.hwtype != ARPHRD_ETHER)
        return -1;
    if (route_resolve_mac(&ri, timeout_ms, err, sizeof err) < 0 || !ri.have_next_mac)
        return -1;
    memcpy(mac, ri.next_mac, 6);
    return 0;
}
