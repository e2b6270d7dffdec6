/*
 * iflist.c — --iflist (see iflist.h): three rtnetlink dumps (links,
 * addresses, routes) into rows, printed as nmap's two tables with columns
 * as wide as their widest cell.
 */
#include "net/iflist.h"

#include "core/addr.h"
#include "net/route_nl.h"

#include <net/if.h> /* before the linux/ headers, which it conflicts with otherwise */

#include <errno.h>
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NL_BUFSIZE 65536
#define NCOLS      7
#define CELL       64

struct row {
    char cell[NCOLS][CELL];
    int ifindex, family, plen; /* for ordering */
};

struct table {
    struct row *v;
    size_t n, cap;
};

struct link {
    int ifindex;
    char name[IF_NAMESIZE];
    unsigned short type;
    unsigned flags;
    unsigned mtu;
    uint8_t mac[6];
    bool have_mac;
};

struct state {
    struct link *links;
    size_t nlinks, cap;
    struct table ifs, routes;
    bool oom;
};

static struct row *table_add(struct table *t, bool *oom)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct row *v = realloc(t->v, cap * sizeof(*v));
        if (!v) {
            *oom = true;
            return NULL;
        }
        t->v = v;
        t->cap = cap;
    }
    struct row *r = &t->v[t->n++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* One NLM_F_DUMP request of type (RTM_GETLINK/GETADDR/GETROUTE); every
 * answer to fn. Returns 0, or -1 with errno set. */
static int nl_dump(unsigned short type, nl_msg_fn fn, struct state *st)
{
    struct {
        struct nlmsghdr n;
        struct rtgenmsg g;
    } req = {.n = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
                   .nlmsg_type = type,
                   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                   .nlmsg_seq = 1},
             .g = {.rtgen_family = AF_UNSPEC}};
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    struct timeval tv = {.tv_sec = 2};
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    char *buf = malloc(NL_BUFSIZE);
    int rc = -1;
    if (!buf) {
        errno = ENOMEM;
        goto out;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        goto out;
    for (;;) {
        ssize_t got = recv(fd, buf, NL_BUFSIZE, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        int w = nl_walk(buf, (size_t)got, req.n.nlmsg_seq, true, fn, st);
        if (w != 0) {
            rc = w > 0 ? 0 : -1;
            goto out;
        }
    }
out:;
    int saved = errno;
    free(buf);
    close(fd);
    errno = saved;
    return rc;
}

static void on_link(const struct nlmsghdr *h, void *ctx)
{
    struct state *st = ctx;
    /* Every length below is checked against the message: the parsers read
     * only what it holds (fuzz_netlink found names without their NUL and
     * addresses shorter than their family read past the datagram). */
    if (h->nlmsg_type != RTM_NEWLINK || st->oom ||
        h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
        return;
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    if (st->nlinks == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        struct link *v = realloc(st->links, cap * sizeof(*v));
        if (!v) {
            st->oom = true;
            return;
        }
        st->links = v;
        st->cap = cap;
    }
    struct link *l = &st->links[st->nlinks++];
    memset(l, 0, sizeof(*l));
    l->ifindex = ifi->ifi_index;
    l->type = ifi->ifi_type;
    l->flags = ifi->ifi_flags;
    int len = (int)IFLA_PAYLOAD(h);
    for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == IFLA_IFNAME)
            snprintf(l->name, sizeof(l->name), "%.*s", (int)RTA_PAYLOAD(a),
                     (const char *)RTA_DATA(a));
        else if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) >= sizeof(unsigned))
            memcpy(&l->mtu, RTA_DATA(a), sizeof(unsigned));
        else if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6) {
            memcpy(l->mac, RTA_DATA(a), 6);
            l->have_mac = true;
        }
    }
}

static const struct link *link_of(const struct state *st, int ifindex)
{
    for (size_t i = 0; i < st->nlinks; i++)
        if (st->links[i].ifindex == ifindex)
            return &st->links[i];
    return NULL;
}

/* "ethernet", "loopback", ... as nmap names interface types. */
static const char *link_type(const struct link *l)
{
    switch (l->type) {
    case ARPHRD_ETHER:
        return "ethernet";
    case ARPHRD_LOOPBACK:
        return "loopback";
    case ARPHRD_PPP:
        return "point2point";
    default:
        return "other";
    }
}

/* DEV, (SHORT), IP/MASK, TYPE, UP, MTU, MAC for link l and address text. */
static void if_row(struct state *st, const struct link *l, const char *addr, int family)
{
    struct row *r = table_add(&st->ifs, &st->oom);
    if (!r)
        return;
    r->ifindex = l->ifindex;
    r->family = family;
    snprintf(r->cell[0], CELL, "%s", l->name);
    snprintf(r->cell[1], CELL, "(%s)", l->name);
    snprintf(r->cell[2], CELL, "%s", addr);
    snprintf(r->cell[3], CELL, "%s", link_type(l));
    snprintf(r->cell[4], CELL, "%s", (l->flags & IFF_UP) ? "up" : "down");
    snprintf(r->cell[5], CELL, "%u", l->mtu);
    if (l->have_mac && l->type == ARPHRD_ETHER)
        mac_str(l->mac, false, r->cell[6]);
}

static void on_addr(const struct nlmsghdr *h, void *ctx)
{
    struct state *st = ctx;
    if (h->nlmsg_type != RTM_NEWADDR || st->oom ||
        h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
        return;
    const struct ifaddrmsg *ifa = NLMSG_DATA(h);
    if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
        return;
    const struct link *l = link_of(st, (int)ifa->ifa_index);
    if (!l)
        return;
    const void *bytes = NULL;
    size_t alen = ifa->ifa_family == AF_INET6 ? 16 : 4;
    int len = (int)IFA_PAYLOAD(h);
    for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (RTA_PAYLOAD(a) >= alen &&
            (a->rta_type == IFA_LOCAL || (a->rta_type == IFA_ADDRESS && !bytes)))
            bytes = RTA_DATA(a); /* IFA_LOCAL wins: on point-to-point links it is ours */
    if (!bytes)
        return;
    struct ipaddr ip = {.family = ifa->ifa_family};
    memcpy(ip.bytes, bytes, alen);
    char a[IPADDR_STRLEN], text[CELL];
    snprintf(text, sizeof(text), "%s/%u", ipaddr_str(&ip, a, sizeof(a)), ifa->ifa_prefixlen);
    if_row(st, l, text, ifa->ifa_family);
}

static void on_route(const struct nlmsghdr *h, void *ctx)
{
    struct state *st = ctx;
    if (h->nlmsg_type != RTM_NEWROUTE || st->oom ||
        h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
        return;
    const struct rtmsg *rt = NLMSG_DATA(h);
    int fam = rt->rtm_family;
    unsigned table = rt->rtm_table;
    const void *dst = NULL, *gw = NULL;
    int oif = 0;
    unsigned metric = 0;
    size_t alen = fam == AF_INET6 ? 16 : 4;
    int len = (int)RTM_PAYLOAD(h);
    for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) >= alen)
            dst = RTA_DATA(a);
        else if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) >= alen)
            gw = RTA_DATA(a);
        else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int))
            memcpy(&oif, RTA_DATA(a), sizeof(int));
        else if (a->rta_type == RTA_PRIORITY && RTA_PAYLOAD(a) >= sizeof(unsigned))
            memcpy(&metric, RTA_DATA(a), sizeof(unsigned));
        else if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= sizeof(unsigned))
            memcpy(&table, RTA_DATA(a), sizeof(unsigned));
    }
    bool keep = fam == AF_INET    ? table == RT_TABLE_MAIN && rt->rtm_type == RTN_UNICAST
                : fam == AF_INET6 ? (table == RT_TABLE_MAIN || table == RT_TABLE_LOCAL) &&
                                        (rt->rtm_type == RTN_UNICAST || rt->rtm_type == RTN_LOCAL ||
                                         rt->rtm_type == RTN_MULTICAST)
                                  : false;
    const struct link *l = link_of(st, oif);
    if (!keep || !l)
        return;
    struct row *r = table_add(&st->routes, &st->oom);
    if (!r)
        return;
    struct ipaddr d = {.family = (uint8_t)fam}, g = {.family = (uint8_t)fam};
    if (dst)
        memcpy(d.bytes, dst, alen);
    char a[IPADDR_STRLEN];
    r->family = fam;
    r->plen = rt->rtm_dst_len;
    snprintf(r->cell[0], CELL, "%s/%u", ipaddr_str(&d, a, sizeof(a)), rt->rtm_dst_len);
    snprintf(r->cell[1], CELL, "%s", l->name);
    snprintf(r->cell[2], CELL, "%u", metric);
    if (gw) {
        memcpy(g.bytes, gw, alen);
        snprintf(r->cell[3], CELL, "%s", ipaddr_str(&g, a, sizeof(a)));
    }
}

/* Interfaces: ifindex, then IPv4 before IPv6 (dump order within each). */
static int cmp_if(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->ifindex != b->ifindex)
        return a->ifindex < b->ifindex ? -1 : 1;
    if (a->family != b->family)
        return a->family == AF_INET ? -1 : 1;
    return 0;
}

/* Routes: IPv4 first, then longest prefix first. */
static int cmp_route(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->family != b->family)
        return a->family == AF_INET ? -1 : 1;
    if (a->plen != b->plen)
        return a->plen > b->plen ? -1 : 1;
    return 0;
}

/* Insertion sort: tables have tens of rows, and ties keep the kernel's
 * dump order (qsort is not stable). */
static void stable_sort(struct table *t, int (*cmp)(const void *, const void *))
{
    for (size_t i = 1; i < t->n; i++) {
        struct row x = t->v[i];
        size_t j = i;
        while (j > 0 && cmp(&t->v[j - 1], &x) > 0) {
            t->v[j] = t->v[j - 1];
            j--;
        }
        t->v[j] = x;
    }
}

static void print_table(FILE *fp, const char *title, const char *const *head, size_t ncols,
                        const struct table *t)
{
    size_t w[NCOLS] = {0};
    for (size_t c = 0; c < ncols; c++) {
        w[c] = strlen(head[c]);
        for (size_t i = 0; i < t->n; i++)
            if (strlen(t->v[i].cell[c]) > w[c])
                w[c] = strlen(t->v[i].cell[c]);
    }
    fprintf(fp, "%s\n", title);
    for (size_t i = 0; i <= t->n; i++) {
        char line[NCOLS * (CELL + 1) + 1];
        size_t used = 0;
        for (size_t c = 0; c < ncols; c++) {
            const char *s = i == 0 ? head[c] : t->v[i - 1].cell[c];
            used += (size_t)snprintf(line + used, sizeof(line) - used, "%-*s ", (int)w[c], s);
        }
        while (used > 0 && line[used - 1] == ' ') /* no trailing blanks, as nmap */
            line[--used] = '\0';
        fprintf(fp, "%s\n", line);
    }
}

/* Both tables from what the dumps put in st, on fp; frees st. Returns 0, or
 * -1 with err naming what (interfaces, routes) could not be listed. */
static int print_state(FILE *fp, struct state *st, int rc_dumps, const char *what, char *err,
                       size_t errlen)
{
    int rc = -1;
    if (rc_dumps < 0)
        goto fail;
    if (st->oom) {
        errno = ENOMEM;
        goto fail;
    }
    /* Interfaces without an address: one "(none)/0" row, as nmap. */
    for (size_t i = 0; i < st->nlinks; i++) {
        bool any = false;
        for (size_t j = 0; j < st->ifs.n && !any; j++)
            any = st->ifs.v[j].ifindex == st->links[i].ifindex;
        if (!any)
            if_row(st, &st->links[i], "(none)/0", AF_INET);
    }
    stable_sort(&st->ifs, cmp_if);
    stable_sort(&st->routes, cmp_route);
    static const char *const ifhead[] = {"DEV", "(SHORT)", "IP/MASK", "TYPE", "UP", "MTU", "MAC"};
    static const char *const routehead[] = {"DST/MASK", "DEV", "METRIC", "GATEWAY"};
    print_table(fp, "************************INTERFACES************************", ifhead, 7,
                &st->ifs);
    fputc('\n', fp);
    print_table(fp, "**************************ROUTES**************************", routehead, 4,
                &st->routes);
    rc = 0;
    goto out;
fail:
    if (err && errlen)
        snprintf(err, errlen, "cannot list %s: %s", what, strerror(errno));
out:
    free(st->links);
    free(st->ifs.v);
    free(st->routes.v);
    return rc;
}

int iflist_print(FILE *fp, char *err, size_t errlen)
{
    struct state st = {0};
    int rc = -1;
    const char *what = "interfaces";
    if (nl_dump(RTM_GETLINK, on_link, &st) < 0 || nl_dump(RTM_GETADDR, on_addr, &st) < 0)
        goto out;
    what = "routes";
    if (nl_dump(RTM_GETROUTE, on_route, &st) < 0)
        goto out;
    rc = 0;
out:
    return print_state(fp, &st, rc, what, err, errlen);
}

int iflist_print_replies(FILE *fp, const void *const reply[3], const size_t len[3], char *err,
                         size_t errlen)
{
    static const nl_msg_fn fn[3] = {on_link, on_addr, on_route};
    struct state st = {0};
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        if (nl_walk(reply[i], len[i], 1, true, fn[i], &st) < 0)
            rc = -1;
    return print_state(fp, &st, rc, rc < 0 ? "interfaces" : "routes", err, errlen);
}
