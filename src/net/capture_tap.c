/*
 * capture_tap.c — --packet-capture for scans whose packets the kernel
 * builds (connect(2) scans): an AF_PACKET socket per interface, filtered
 * on the targets, read by one thread (capture.h says what is kept).
 */
#include "core/addr.h"
#include "core/log.h"
#include "core/targets.h"
#include "net/capture.h"
#include "net/route.h"
#include "net/rx_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAP_MAX_IFS   8
#define TAP_MAX_SPECS 64
#define TAP_SNAPLEN   65535

static struct {
    int fd[TAP_MAX_IFS];
    int link[TAP_MAX_IFS];
    bool lo[TAP_MAX_IFS];
    char name[TAP_MAX_IFS][IF_NAMESIZE];
    int n;
    pthread_t th;
    bool started;
    _Atomic int stop;
} tap;

/* "net A/n" covering count addresses from first (a superset when the
 * spec is an octet range, which a capture filter may be). */
static void spec_clause(const struct ipaddr *first, uint64_t count, char *out, size_t len)
{
    int bits = first->family == AF_INET ? 32 : 128;
    int host = 0;
    while (host < 64 && ((uint64_t)1 << host) < count)
        host++;
    if (count > ((uint64_t)1 << 63))
        host = 64;
    if (host > bits)
        host = bits;
    struct ipaddr net = *first;
    int plen = bits - host;
    for (int b = plen; b < bits; b++)
        net.bytes[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
    char a[IPADDR_STRLEN];
    snprintf(out, len, "net %s/%d", ipaddr_str(&net, a, sizeof a), plen);
}

static int open_one(const char *ifname, const char *bpf, char *err, size_t errlen)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
    if (fd < 0) {
        if (errno == EPERM || errno == EACCES)
            snprintf(err, errlen,
                     "--packet-capture/--packet-trace of a connect scan read the interface with "
                     "a packet socket: they need root or CAP_NET_RAW");
        else
            rx_set_err(err, errlen, ifname, "--packet-capture: socket(AF_PACKET)", errno);
        return -1;
    }
    /* The connect engine's bursts must not outrun this thread: a socket
     * buffer of 8 MiB holds ~10,000 frames (truesize ~800 bytes). */
    int bufsz = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof bufsz) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
    int dlt = rx_link_dlt(fd, ifname);
    pcap_t *dead = pcap_open_dead(dlt < 0 ? DLT_EN10MB : dlt, TAP_SNAPLEN);
    struct bpf_program prog;
    if (!dead || pcap_compile(dead, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(err, errlen, "--packet-capture: filter '%s': %s", bpf,
                 dead ? pcap_geterr(dead) : "out of memory");
        if (dead)
            pcap_close(dead);
        close(fd);
        return -1;
    }
    struct sock_fprog fp = {.len = (unsigned short)prog.bf_len,
                            .filter = (struct sock_filter *)prog.bf_insns};
    int rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
    int e = errno;
    pcap_freecode(&prog);
    pcap_close(dead);
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = (int)if_nametoindex(ifname)};
    if (rc < 0 || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
        rx_set_err(err, errlen, ifname, "--packet-capture: AF_PACKET tap", rc < 0 ? e : errno);
        close(fd);
        return -1;
    }
    int i = tap.n++;
    tap.fd[i] = fd;
    tap.link[i] = capture_link_of_dlt(dlt < 0 ? DLT_EN10MB : dlt);
    tap.lo[i] = strcmp(ifname, "lo") == 0;
    size_t nl = strnlen(ifname, IF_NAMESIZE - 1);
    memcpy(tap.name[i], ifname, nl);
    tap.name[i][nl] = '\0';
    return 0;
}

/* Read every queued frame of socket i; returns how many. */
static int drain(int i)
{
    static uint8_t buf[TAP_SNAPLEN];
    int got = 0;
    for (;;) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(tap.fd[i], buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &fl);
        if (r < 0)
            return got;
        size_t cap = (size_t)r < sizeof buf ? (size_t)r : sizeof buf;
        enum capture_dir dir = from.sll_pkttype == PACKET_OUTGOING ? CAPTURE_OUT : CAPTURE_IN;
        if (tap.lo[i]) {
            /* Loopback shows each packet leaving and arriving: keep one. */
            if (from.sll_pkttype != PACKET_OUTGOING)
                continue;
            dir = CAPTURE_DIR_UNKNOWN;
        }
        capture_put(tap.link[i], tap.name[i], buf, cap, (size_t)r, 0, dir);
        got++;
    }
}

static void *tap_main(void *arg)
{
    (void)arg;
    struct pollfd pf[TAP_MAX_IFS];
    for (int i = 0; i < tap.n; i++)
        pf[i] = (struct pollfd){.fd = tap.fd[i], .events = POLLIN};
    while (!atomic_load(&tap.stop)) {
        if (poll(pf, (nfds_t)tap.n, 50) <= 0)
            continue;
        for (int i = 0; i < tap.n; i++)
            if (pf[i].revents & POLLIN)
                drain(i);
    }
    /* The last answers (a RST closing a connection) may still be on the
     * way: read until the sockets stay quiet for 20 ms. */
    for (int quiet = 0; quiet < 2;) {
        int got = 0;
        for (int i = 0; i < tap.n; i++)
            got += drain(i);
        quiet = got ? 0 : quiet + 1;
        if (poll(pf, (nfds_t)tap.n, 10) < 0)
            break;
    }
    return NULL;
}

int capture_tap_start(const struct target_set *targets, char *err, size_t errlen)
{
    if (!atomic_load(&capture_active))
        return 0;
    size_t nspecs = target_set_nspecs(targets);
    bool by_target = nspecs <= TAP_MAX_SPECS;
    size_t cap = 80 * (by_target ? nspecs : 0) + 64;
    char *bpf = calloc(1, cap);
    char ifs[TAP_MAX_IFS][IF_NAMESIZE];
    int nifs = 0;
    if (!bpf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t used = 0;
    if (!by_target)
        used = (size_t)snprintf(bpf, cap, "ip or ip6 or arp");
    for (size_t i = 0; i < nspecs; i++) {
        struct ipaddr first;
        uint64_t base, count;
        if (target_set_spec(targets, i, &first, &base, &count) < 0)
            continue;
        if (by_target) {
            char clause[80];
            spec_clause(&first, count, clause, sizeof clause);
            used += (size_t)snprintf(bpf + used, cap - used, "%s%s", used ? " or " : "", clause);
        }
        struct route_info ri;
        char rerr[128];
        if (route_lookup(&first, NULL, NULL, &ri, rerr, sizeof rerr) < 0 || !ri.ifname[0])
            continue;
        bool seen = false;
        for (int k = 0; k < nifs; k++)
            seen |= strcmp(ifs[k], ri.ifname) == 0;
        if (!seen && nifs < TAP_MAX_IFS)
            memcpy(ifs[nifs++], ri.ifname, IF_NAMESIZE);
    }
    int rc = 0;
    for (int k = 0; k < nifs && rc == 0 && used; k++)
        rc = open_one(ifs[k], bpf, err, errlen);
    free(bpf);
    if (rc < 0 || tap.n == 0) {
        capture_tap_stop();
        return rc;
    }
    atomic_store(&tap.stop, 0);
    if (pthread_create(&tap.th, NULL, tap_main, NULL) != 0) {
        snprintf(err, errlen, "--packet-capture: cannot start the tap thread");
        capture_tap_stop();
        return -1;
    }
    tap.started = true;
    atomic_store(&capture_tapping, 1);
    return 0;
}

void capture_tap_stop(void)
{
    if (tap.started) {
        atomic_store(&tap.stop, 1);
        pthread_join(tap.th, NULL);
        tap.started = false;
    }
    atomic_store(&capture_tapping, 0);
    for (int i = 0; i < tap.n; i++) {
        struct tpacket_stats st = {0};
        socklen_t len = sizeof st;
        if (getsockopt(tap.fd[i], SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 && st.tp_drops)
            log_warn("capture", "the kernel dropped %u frames on %s: the capture misses them",
                     st.tp_drops, tap.name[i]);
        close(tap.fd[i]);
    }
    tap.n = 0;
}
