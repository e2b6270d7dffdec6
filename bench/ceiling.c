/*
 * ceiling.c — the machine's raw packet ceiling on one interface: the
 * simplest possible AF_PACKET + PACKET_QDISC_BYPASS + sendmmsg loop over
 * prebuilt frames, with nothing of prtip in it. bench/sendpath.sh compares
 * every prtip send method against this number (SPEC: sender ≥ 90% of it).
 *
 *   ceiling --if IF --smac MAC --dmac MAC --src IPv4 --dst IPv4 [--secs 5] [--threads 1]
 *
 * --threads T runs T such loops at once, each with its own socket (as T
 * sender threads of a scanner would have), over the same frames; the
 * figure is their sum. A multi-threaded sender is compared with the
 * ceiling at the same T.
 *
 * Frames are nmap's SYN probe (Ethernet + IPv4 + TCP with the MSS option,
 * 58 bytes, 64 on a wire with padding and FCS) to 4096 different ports,
 * checksums included, built once. ENOBUFS is retried, never counted.
 * Prints one line: "sent=N secs=S pps=P cpu=C" (cpu: user+system time as a
 * percentage of one CPU).
 *
 * SAFETY: send only inside a lab namespace (bench/sendpath.sh runs it there).
 *
 * Build: gcc -O2 -std=c11 -D_GNU_SOURCE -pthread -o ceiling bench/ceiling.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NFRAMES     4096
#define BATCH       1024
#define FRAME_LEN   58
#define MAX_THREADS 64

static uint8_t frames[NFRAMES][FRAME_LEN];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

static void build(uint8_t *f, const uint8_t smac[6], const uint8_t dmac[6], uint32_t src,
                  uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq)
{
    uint8_t *ip = f + 14, *tcp = ip + 20;
    uint8_t ph[12];
    uint32_t s;

    memset(f, 0, FRAME_LEN);
    memcpy(f, dmac, 6);
    memcpy(f + 6, smac, 6);
    f[12] = 0x08;
    ip[0] = 0x45;
    ip[3] = 44; /* total length: 20 + 24 */
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    uint16_t c = csum(ip, 20, 0);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    tcp[0] = (uint8_t)(sport >> 8);
    tcp[1] = (uint8_t)sport;
    tcp[2] = (uint8_t)(dport >> 8);
    tcp[3] = (uint8_t)dport;
    tcp[4] = (uint8_t)(seq >> 24);
    tcp[5] = (uint8_t)(seq >> 16);
    tcp[6] = (uint8_t)(seq >> 8);
    tcp[7] = (uint8_t)seq;
    tcp[12] = 6 << 4; /* 24-byte header */
    tcp[13] = 0x02;   /* SYN */
    tcp[14] = 0x04;   /* window 1024 */
    memcpy(tcp + 20, "\x02\x04\x05\xb4", 4);
    memcpy(ph, ip + 12, 8);
    ph[8] = 0;
    ph[9] = 6;
    ph[10] = 0;
    ph[11] = 24;
    s = 0;
    for (int i = 0; i < 12; i += 2)
        s += (uint32_t)ph[i] << 8 | ph[i + 1];
    c = csum(tcp, 24, s);
    tcp[16] = (uint8_t)(c >> 8);
    tcp[17] = (uint8_t)c;
}

/* One sending loop: its own socket and messages (sendmmsg writes msg_len
 * back into them), the shared read-only frames. */
struct loop {
    struct sockaddr_ll sll;
    double secs;
    int fd, err;
    uint64_t sent;
    pthread_t th;
    struct mmsghdr msgs[NFRAMES];
    struct iovec iov[NFRAMES];
};

static int open_socket(const struct sockaddr_ll *sll)
{
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        perror("socket(AF_PACKET)");
        return -1;
    }
    int on = 1, sz = 16 << 20;
    if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &on, sizeof(on)) < 0)
        perror("PACKET_QDISC_BYPASS");
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    if (bind(fd, (const struct sockaddr *)sll, sizeof(*sll)) < 0) {
        perror("bind");
        close(fd);
        return -1;
    }
    return fd;
}

static void *run(void *arg)
{
    struct loop *l = arg;
    for (int i = 0; i < NFRAMES; i++) {
        l->iov[i].iov_base = frames[i];
        l->iov[i].iov_len = FRAME_LEN;
        l->msgs[i].msg_hdr.msg_iov = &l->iov[i];
        l->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    unsigned pos = 0;
    double t0 = now(), t1 = t0;
    while (t1 - t0 < l->secs) {
        unsigned k = NFRAMES - pos < BATCH ? NFRAMES - pos : BATCH;
        int r = sendmmsg(l->fd, l->msgs + pos, k, 0);
        if (r > 0) {
            l->sent += (unsigned)r;
            pos = (pos + (unsigned)r) % NFRAMES;
        } else if (r < 0 && (errno == ENOBUFS || errno == EAGAIN)) {
            sched_yield();
        } else {
            perror("sendmmsg");
            l->err = 1;
            break;
        }
        t1 = now();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *ifname = NULL, *smac_s = NULL, *dmac_s = NULL, *src_s = NULL, *dst_s = NULL;
    double secs = 5;
    int nthreads = 1;
    uint8_t smac[6], dmac[6];
    struct in_addr src, dst;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--if"))
            ifname = argv[i + 1];
        else if (!strcmp(argv[i], "--smac"))
            smac_s = argv[i + 1];
        else if (!strcmp(argv[i], "--dmac"))
            dmac_s = argv[i + 1];
        else if (!strcmp(argv[i], "--src"))
            src_s = argv[i + 1];
        else if (!strcmp(argv[i], "--dst"))
            dst_s = argv[i + 1];
        else if (!strcmp(argv[i], "--secs"))
            secs = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            nthreads = atoi(argv[i + 1]);
    }
    if (!ifname || !smac_s || !dmac_s || !src_s || !dst_s || parse_mac(smac_s, smac) ||
        parse_mac(dmac_s, dmac) || inet_pton(AF_INET, src_s, &src) != 1 ||
        inet_pton(AF_INET, dst_s, &dst) != 1 || nthreads < 1 || nthreads > MAX_THREADS) {
        fprintf(stderr,
                "usage: ceiling --if IF --smac MAC --dmac MAC --src IPv4 --dst IPv4 "
                "[--secs S] [--threads 1-%d]\n",
                MAX_THREADS);
        return 1;
    }
    for (int i = 0; i < NFRAMES; i++)
        build(frames[i], smac, dmac, src.s_addr, dst.s_addr, (uint16_t)(40000 + i % 16),
              (uint16_t)(1 + i), (uint32_t)i * 2654435761u);

    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname)};
    if (sll.sll_ifindex == 0) {
        perror(ifname);
        return 2;
    }
    static struct loop loops[MAX_THREADS];
    for (int t = 0; t < nthreads; t++) {
        loops[t].sll = sll;
        loops[t].secs = secs;
        loops[t].fd = open_socket(&sll);
        if (loops[t].fd < 0)
            return 2;
    }
    double t0 = now();
    for (int t = 1; t < nthreads; t++)
        if (pthread_create(&loops[t].th, NULL, run, &loops[t]) != 0) {
            perror("pthread_create");
            return 2;
        }
    run(&loops[0]);
    uint64_t sent = loops[0].sent;
    for (int t = 1; t < nthreads; t++) {
        pthread_join(loops[t].th, NULL);
        sent += loops[t].sent;
    }
    double t1 = now();
    for (int t = 0; t < nthreads; t++)
        if (loops[t].err)
            return 2;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("sent=%llu secs=%.3f pps=%.0f cpu=%.0f threads=%d\n", (unsigned long long)sent, t1 - t0,
           (double)sent / (t1 - t0), 100.0 * cpu / (t1 - t0), nthreads);
    for (int t = 0; t < nthreads; t++)
        close(loops[t].fd);
    return 0;
}
