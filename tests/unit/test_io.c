/* Tests for net/tx.c and net/rx.c (io.h): method names, which methods want
 * Ethernet frames, error messages, and — as root — opening every method on
 * lo and a send/receive round trip there.
 *
 * The round trip uses AF_PACKET on lo on purpose: the kernel drops such
 * injected frames as martians before any socket sees them (see
 * resolve_method() in tx.c), so the test touches no service on the host. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/io.h"
#include "net/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void lo_route(struct route_info *ri)
{
    memset(ri, 0, sizeof(*ri));
    snprintf(ri->ifname, sizeof(ri->ifname), "lo");
    ri->ifindex = (int)if_nametoindex("lo");
    ri->hwtype = ARPHRD_LOOPBACK;
    ipaddr_parse("127.0.0.1", &ri->src);
    ipaddr_parse("127.0.0.1", &ri->next_hop);
    ri->up = true;
}

static void test_send_names(void **state)
{
    (void)state;
    assert_int_equal(send_method_parse("auto"), SEND_AUTO);
    assert_int_equal(send_method_parse("raw"), SEND_RAW);
    assert_int_equal(send_method_parse("packet"), SEND_PACKET_MMSG);
    assert_int_equal(send_method_parse("ring"), SEND_PACKET_RING);
    assert_int_equal(send_method_parse("RAW"), -1);
    assert_int_equal(send_method_parse(""), -1);
    assert_int_equal(send_method_parse("pcap"), -1);
    assert_int_equal(send_method_parse(NULL), -1);
    for (int m = SEND_AUTO; m <= SEND_PACKET_RING; m++)
        assert_int_equal(send_method_parse(send_method_name((enum send_method)m)), m);
    assert_string_equal(send_method_name((enum send_method)42), "?");
}

static void test_recv_names(void **state)
{
    (void)state;
    assert_int_equal(recv_method_parse("auto"), RECV_AUTO);
    assert_int_equal(recv_method_parse("ring"), RECV_RING);
    assert_int_equal(recv_method_parse("pcap"), RECV_PCAP);
    assert_int_equal(recv_method_parse("socket"), RECV_SOCKET);
    assert_int_equal(recv_method_parse("packet"), -1);
    assert_int_equal(recv_method_parse(NULL), -1);
}

static void test_wants_ethernet(void **state)
{
    struct route_info eth = {.hwtype = ARPHRD_ETHER};
    struct route_info lo = {.hwtype = ARPHRD_LOOPBACK};
    struct route_info tun = {.hwtype = ARPHRD_NONE};

    (void)state;
    assert_false(tx_wants_ethernet(SEND_RAW, &eth));
    assert_true(tx_wants_ethernet(SEND_PACKET_MMSG, &eth));
    assert_true(tx_wants_ethernet(SEND_PACKET_RING, &eth));
    assert_true(tx_wants_ethernet(SEND_AUTO, &eth)); /* AF_PACKET + sendmmsg: fastest */

    assert_false(tx_wants_ethernet(SEND_RAW, &lo));
    assert_true(tx_wants_ethernet(SEND_PACKET_MMSG, &lo)); /* zero MACs */
    assert_true(tx_wants_ethernet(SEND_PACKET_RING, &lo));
    assert_false(tx_wants_ethernet(SEND_AUTO, &lo)); /* raw: the stack drops AF_PACKET */

    assert_false(tx_wants_ethernet(SEND_AUTO, &tun));
    assert_false(tx_wants_ethernet(SEND_RAW, &tun));
    assert_false(tx_wants_ethernet(SEND_PACKET_MMSG, &tun));
}

static void test_no_such_interface(void **state)
{
    struct route_info ri;
    char err[256];

    (void)state;
    lo_route(&ri);
    snprintf(ri.ifname, sizeof(ri.ifname), "nosuch0");
    ri.ifindex = 0;
    for (int m = SEND_AUTO; m <= SEND_PACKET_RING; m++) {
        err[0] = '\0';
        assert_null(tx_open((enum send_method)m, &ri, AF_INET, err, sizeof(err)));
        assert_string_equal(err, "no such interface 'nosuch0'");
    }
    for (int m = RECV_AUTO; m <= RECV_SOCKET; m++) {
        err[0] = '\0';
        assert_null(
            rx_open((enum recv_method)m, "nosuch0", "tcp", RX_RING_DEFAULT, err, sizeof(err)));
        assert_string_equal(err, "no such interface 'nosuch0'");
    }
}

/* Without CAP_NET_RAW every method says what to do. As root, drop to
 * nobody in a child first (setuid clears the capabilities). */
static void test_permission_message(void **state)
{
    int fds[2];
    pid_t pid;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct route_info ri;
        char err[256], out[8] = "ok";

        close(fds[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(2);
        lo_route(&ri);
        for (int m = SEND_RAW; m <= SEND_PACKET_RING; m++)
            if (tx_open((enum send_method)m, &ri, AF_INET, err, sizeof(err)) ||
                strcmp(err, "raw sockets need root or CAP_NET_RAW (try -sT)") != 0)
                snprintf(out, sizeof(out), "tx%d", m);
        for (int m = RECV_RING; m <= RECV_SOCKET; m++)
            if (rx_open((enum recv_method)m, "lo", "tcp", RX_RING_DEFAULT, err, sizeof(err)) ||
                strcmp(err, "raw sockets need root or CAP_NET_RAW (try -sT)") != 0)
                snprintf(out, sizeof(out), "rx%d", m);
        if (write(fds[1], out, strlen(out) + 1) < 0)
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    char got[16] = "";
    ssize_t n = read(fds[0], got, sizeof(got) - 1);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_true(n > 0);
    assert_string_equal(got, "ok");
}

static void test_bad_filter(void **state)
{
    char err[256] = "";

    (void)state;
    if (geteuid() != 0)
        skip();
    assert_null(rx_open(RECV_RING, "lo", "tcp and", RX_RING_DEFAULT, err, sizeof(err)));
    assert_non_null(strstr(err, "bad BPF filter 'tcp and'"));
    err[0] = '\0';
    assert_null(rx_open(RECV_PCAP, "lo", "nonsense(", RX_RING_DEFAULT, err, sizeof(err)));
    assert_non_null(strstr(err, "bad BPF filter"));
}

static void test_open_all_on_lo(void **state)
{
    struct route_info ri;
    char err[256];

    (void)state;
    if (geteuid() != 0)
        skip();
    lo_route(&ri);
    for (int m = SEND_AUTO; m <= SEND_PACKET_RING; m++) {
        for (int fam = AF_INET; fam; fam = fam == AF_INET ? AF_INET6 : 0) {
            struct tx *t = tx_open((enum send_method)m, &ri, fam, err, sizeof(err));
            if (!t)
                fail_msg("tx_open(%s): %s", send_method_name((enum send_method)m), err);
            tx_close(t);
        }
    }
    for (int m = RECV_AUTO; m <= RECV_SOCKET; m++) {
        struct rx *r = rx_open((enum recv_method)m, "lo", "tcp", RX_RING_DEFAULT, err, sizeof(err));
        if (!r)
            fail_msg("rx_open(%d): %s", m, err);
        assert_int_equal(rx_linktype(r), DLT_EN10MB); /* lo: zero-MAC Ethernet */
        rx_close(r);
    }
}

struct tally {
    unsigned n;
    uint32_t seen; /* bit per expected sequence number 0..31 */
    unsigned dup;
    unsigned cut;         /* frames whose wire length differed from the captured */
    int64_t ts_lo, ts_hi; /* receive timestamps seen (rx_clock_ns's clock) */
};

static void count_frame(void *ctx, const uint8_t *d, size_t len, size_t wirelen, int64_t ts_ns)
{
    struct tally *t = ctx;

    /* Ethernet + IPv4 (20) + TCP: the sequence number at 14 + 20 + 4. */
    if (len < 14 + 20 + 20)
        return;
    if (wirelen != len)
        t->cut++;
    if (t->ts_lo == 0 || ts_ns < t->ts_lo)
        t->ts_lo = ts_ns;
    if (ts_ns > t->ts_hi)
        t->ts_hi = ts_ns;
    uint32_t seq = (uint32_t)d[38] << 24 | (uint32_t)d[39] << 16 | (uint32_t)d[40] << 8 | d[41];
    if (seq < 32) {
        if (t->seen & (1u << seq))
            t->dup++;
        t->seen |= 1u << seq;
        t->n++;
    }
}

/* 32 frames through each AF_PACKET method on lo, counted by each receiver
 * exactly once: the looped-back outgoing copy must not be delivered. */
static void test_lo_round_trip(void **state)
{
    struct route_info ri;
    struct pkt_tcp_params pp = {0};
    static struct pkt_template tpl;
    char err[256];

    (void)state;
    if (geteuid() != 0)
        skip();
    lo_route(&ri);
    pp.family = AF_INET;
    pp.eth = true;
    pp.ip.ttl = 64;
    pp.tcp_flags = PKT_TCP_SYN;
    pp.window = 1024;
    assert_int_equal(pkt_template_init(&tpl, &pp), 0);

    static uint8_t buf[32][128];
    uint8_t *frames[32];
    uint16_t lens[32];
    struct ipaddr dsts[32];
    for (unsigned i = 0; i < 32; i++) {
        struct pkt_tcp_probe p = {.src = ri.src, .dst = ri.next_hop, .sport = 61234, .dport = 9};
        p.seq = i;
        frames[i] = buf[i];
        lens[i] = (uint16_t)pkt_make(&tpl, buf[i], sizeof(buf[i]), &p);
        dsts[i] = ri.next_hop;
    }
    const char *filter = "tcp and src port 61234 and dst port 9";
    for (int rm = RECV_RING; rm <= RECV_SOCKET; rm++) {
        for (int sm = SEND_PACKET_MMSG; sm <= SEND_PACKET_RING; sm++) {
            struct rx *r =
                rx_open((enum recv_method)rm, "lo", filter, RX_RING_DEFAULT, err, sizeof(err));
            if (!r)
                fail_msg("rx_open: %s", err);
            struct tx *t = tx_open((enum send_method)sm, &ri, AF_INET, err, sizeof(err));
            if (!t)
                fail_msg("tx_open: %s", err);
            int64_t t0 = rx_clock_ns();
            assert_int_equal(tx_send(t, frames, lens, dsts, 32), 32);
            int64_t t1 = rx_clock_ns();
            struct tally tl = {0};
            for (int i = 0; i < 100 && tl.n < 32; i++)
                assert_true(rx_poll(r, 20, count_frame, &tl) >= 0);
            (void)rx_poll(r, 50, count_frame, &tl); /* late duplicates? */
            int64_t t2 = rx_clock_ns();
            uint64_t rcv, drop;
            rx_stats(r, &rcv, &drop);
            assert_int_equal(tl.n, 32);
            assert_int_equal(tl.seen, 0xffffffffu);
            assert_int_equal(tl.dup, 0);
            assert_int_equal(drop, 0);
            /* Small frames: captured whole. */
            assert_int_equal(tl.cut, 0);
            /* Stamped by the kernel in the clock rx_clock_ns() reads: after
             * the send began and before we read them (libpcap without
             * nanosecond support rounds down to the microsecond). lo
             * usually delivers in the sender's softirq, inside the send,
             * but under load the softirq runs later in ksoftirqd; a stamp
             * in another clock would be off by years either way. */
            if (tl.ts_lo < t0 - 1000 || tl.ts_hi > t2)
                fail_msg("receive stamps [%lld, %lld] outside [send start %lld, read %lld] "
                         "(send ended %lld)",
                         (long long)tl.ts_lo, (long long)tl.ts_hi, (long long)t0, (long long)t2,
                         (long long)t1);
            tx_close(t);
            rx_close(r);
        }
    }
}

/* Frames cut by the snaplen: wirelen says how long they were. */
struct big {
    unsigned n, cut;
    size_t caplen, wirelen;
};

static void big_frame(void *ctx, const uint8_t *d, size_t len, size_t wirelen, int64_t ts_ns)
{
    struct big *b = ctx;
    (void)d;
    (void)ts_ns;
    b->n++;
    b->caplen = len;
    b->wirelen = wirelen;
    if (wirelen > len)
        b->cut++;
}

static void test_lo_snaplen_cut(void **state)
{
    struct route_info ri;
    struct pkt_tcp_params pp = {0};
    static struct pkt_template tpl;
    static uint8_t payload[600], buf[PKT_MAX_FRAME];
    char err[256];

    (void)state;
    if (geteuid() != 0)
        skip();
    lo_route(&ri);
    pp.family = AF_INET;
    pp.eth = true;
    pp.ip.ttl = 64;
    pp.tcp_flags = PKT_TCP_ACK;
    pp.window = 1024;
    pp.ip.payload = payload;
    pp.ip.payload_len = sizeof(payload);
    assert_int_equal(pkt_template_init(&tpl, &pp), 0);
    struct pkt_tcp_probe p = {.src = ri.src, .dst = ri.next_hop, .sport = 61235, .dport = 9};
    uint8_t *frames[1] = {buf};
    uint16_t lens[1];
    lens[0] = (uint16_t)pkt_make(&tpl, buf, sizeof(buf), &p);
    assert_true(lens[0] > 600);
    for (int rm = RECV_RING; rm <= RECV_SOCKET; rm++) {
        struct rx *r = rx_open((enum recv_method)rm, "lo", "tcp and src port 61235 and dst port 9",
                               rx_ring_bytes(1, 0, 500), err, sizeof(err));
        if (!r)
            fail_msg("rx_open: %s", err);
        struct tx *t = tx_open(SEND_PACKET_MMSG, &ri, AF_INET, err, sizeof(err));
        if (!t)
            fail_msg("tx_open: %s", err);
        assert_int_equal(tx_send(t, frames, lens, &ri.next_hop, 1), 1);
        struct big b = {0};
        for (int i = 0; i < 100 && b.n < 1; i++)
            assert_true(rx_poll(r, 20, big_frame, &b) >= 0);
        assert_int_equal(b.n, 1);
        assert_int_equal(b.cut, 1);
        assert_int_equal(b.caplen, 256);
        assert_int_equal(b.wirelen, lens[0]);
        tx_close(t);
        rx_close(r);
    }
}

static void test_ring_bytes(void **state)
{
    (void)state;
    assert_int_equal(rx_ring_bytes(0, 0, 500), 1u << 20); /* at least 1 MiB */
    assert_int_equal(rx_ring_bytes(3, 0, 500), 1u << 20);
    /* One host, every port: all of its replies, ~10 MiB. */
    assert_true(rx_ring_bytes(65535, 0, 500) > (8u << 20));
    assert_true(rx_ring_bytes(65535, 0, 500) < (16u << 20));
    /* A rate bounds it: 10k pps for 500 ms. */
    assert_true(rx_ring_bytes(1u << 30, 10000, 500) < (1u << 20) + 1);
    /* Unknown or high rates over a large scan: the largest ring. */
    assert_int_equal(rx_ring_bytes(1u << 30, 0, 500), 64u << 20);
    assert_int_equal(rx_ring_bytes(1u << 30, 1e6, 500), 64u << 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_names),         cmocka_unit_test(test_recv_names),
        cmocka_unit_test(test_wants_ethernet),     cmocka_unit_test(test_no_such_interface),
        cmocka_unit_test(test_permission_message), cmocka_unit_test(test_bad_filter),
        cmocka_unit_test(test_open_all_on_lo),     cmocka_unit_test(test_lo_round_trip),
        cmocka_unit_test(test_lo_snaplen_cut),     cmocka_unit_test(test_ring_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
