/* test_raw_engine.c — the raw engine's pure parts: random access into the
 * target set and back (target_set_at / target_set_index_of), the inverse
 * permutation, port lookup, and aggregation of replies into host records
 * (silence states, -Pn, duplicates, interrupted scans, shards). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/permute.h"
#include "core/targets.h"
#include "engine/raw/raw_internal.h"
#include "engine/raw/raw_pace.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct target_set *make_set(const char *const *specs, const char *exclude)
{
    char err[256];
    struct target_opts o = {0};
    struct target_set *s = target_set_new(&o);
    assert_non_null(s);
    for (; *specs; specs++)
        if (target_set_add(s, *specs, err, sizeof(err)) < 0)
            fail_msg("%s: %s", *specs, err);
    if (exclude && target_set_exclude(s, exclude, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    return s;
}

/* target_set_at(i) must be the iterator's i-th address (no exclusions),
 * and index_of must map it back. */
static void check_round_trip(const char *const *specs)
{
    struct target_set *s = make_set(specs, NULL);
    struct target_iter it;
    struct target t, u;
    target_iter_init(&it, s);
    uint64_t i = 0;
    while (target_iter_next(&it, &t)) {
        char a[IPADDR_STRLEN];
        assert_int_equal(target_set_at(s, i, &u), 0);
        if (!ipaddr_equal(&t.addr, &u.addr))
            fail_msg("index %llu: iterator %s, at() %s", (unsigned long long)i,
                     ipaddr_str(&t.addr, a, sizeof(a)), ipaddr_str(&u.addr, a, sizeof(a)));
        assert_true(t.hostname == u.hostname);
        /* The sender's lookup: the same address, not excluded here. */
        struct ipaddr w;
        memset(&w, 0xa5, sizeof(w));
        assert_int_equal(target_set_addr_at(s, i, &w), 0);
        assert_memory_equal(&w, &u.addr, sizeof(w));
        uint64_t back;
        assert_int_equal(target_set_index_of(s, &t.addr, &back), 0);
        /* The first occurrence wins when specs overlap. */
        assert_true(back <= i);
        struct target v;
        assert_int_equal(target_set_at(s, back, &v), 0);
        assert_true(ipaddr_equal(&v.addr, &t.addr));
        i++;
    }
    assert_int_equal(i, target_set_count(s));
    assert_int_equal(target_set_at(s, i, &u), -1);
    struct ipaddr w;
    assert_int_equal(target_set_addr_at(s, i, &w), -1);
    target_set_free(s);
}

static void test_targets_ranges(void **state)
{
    const char *a[] = {"198.18.0.0/24", NULL};
    const char *b[] = {"198.18.0.250-255", "198.18.0.1", "10.0.0.0/30", NULL};
    const char *c[] = {"198.18.0.255/31", "198.18.1.0/31", NULL}; /* crosses an octet */
    check_round_trip(a);
    check_round_trip(b);
    check_round_trip(c);
}

static void test_targets_octets(void **state)
{
    const char *a[] = {"10.0-3.1,7,200-202.1-5,9", NULL};
    const char *b[] = {"192.168.1,3.*", "10.0.0.1", NULL};
    check_round_trip(a);
    check_round_trip(b);
}

static void test_targets_v6(void **state)
{
    const char *a[] = {"fd00::/120", "fd00::1:0/126", NULL};
    const char *b[] = {"fd00::ffff:ffff:ffff:fffe/127", NULL};
    const char *c[] = {"198.18.0.0/29", "fd00::/125", "198.18.0.3", NULL}; /* mixed, overlap */
    check_round_trip(a);
    check_round_trip(b);
    check_round_trip(c);
}

static void test_targets_big_and_unknown(void **state)
{
    const char *a[] = {"10.0.0.0/8", "fd00::/64", NULL};
    struct target_set *s = make_set(a, "10.1.0.0/16");
    struct ipaddr x;
    uint64_t idx;
    ipaddr_parse("10.255.255.255", &x);
    assert_int_equal(target_set_index_of(s, &x, &idx), 0);
    assert_int_equal(idx, (1u << 24) - 1);
    ipaddr_parse("fd00::5", &x);
    assert_int_equal(target_set_index_of(s, &x, &idx), 0);
    assert_int_equal(idx, (1u << 24) + 5);
    /* An index past 2^64 - 1 does not exist (the scan refuses such sets). */
    ipaddr_parse("fd00::ffff:ffff:ffff:ffff", &x);
    assert_int_equal(target_set_index_of(s, &x, &idx), -1);
    ipaddr_parse("11.0.0.0", &x);
    assert_int_equal(target_set_index_of(s, &x, &idx), -1);
    /* The sender's lookup says which addresses are excluded. */
    assert_int_equal(target_set_addr_at(s, 65536, &x), 1); /* 10.1.0.0 */
    assert_int_equal(x.bytes[1], 1);
    assert_int_equal(target_set_addr_at(s, 65535, &x), 0);     /* 10.0.255.255 */
    assert_int_equal(target_set_addr_at(s, 2 * 65536, &x), 0); /* 10.2.0.0 */
    /* Excluded addresses keep their index; callers skip them. */
    ipaddr_parse("10.1.2.3", &x);
    assert_int_equal(target_set_index_of(s, &x, &idx), 0);
    assert_true(target_set_is_excluded(s, &x));
    struct ipaddr first;
    assert_int_equal(target_set_family_count(s, AF_INET, &first), 1u << 24);
    ipaddr_parse("10.0.0.0", &x);
    assert_true(ipaddr_equal(&first, &x));
    assert_int_equal(target_set_family_count(s, AF_INET6, NULL), UINT64_MAX);
    target_set_free(s);
}

static void test_permute_unmap(void **state)
{
    static const uint64_t ns[] = {1, 2, 3, 97, 1000, 65536, 65537, 1000003};
    for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
        struct permute p;
        assert_int_equal(permute_init(&p, ns[k], 42 + k), 0);
        uint64_t step = ns[k] > 5000 ? ns[k] / 4999 : 1;
        for (uint64_t i = 0; i < ns[k]; i += step)
            assert_int_equal(permute_unmap(&p, permute_map(&p, i)), i);
    }
    struct permute p;
    assert_int_equal(permute_init(&p, UINT64_MAX - 5, 7), 0);
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t idx = i * 0x9e3779b97f4a7c15ULL % (UINT64_MAX - 5);
        assert_true(permute_unmap(&p, permute_map(&p, idx)) == idx);
    }
}

static void test_probe_index(void **state)
{
    const struct raw_probe p[] = {{.port = 1},     {.port = 22}, {.port = 80}, {.port = 443},
                                  {.port = 65535}, {.port = 53}, {.port = 80}};
    assert_int_equal(raw_probe_index(p, 0, 5, 1), 0);
    assert_int_equal(raw_probe_index(p, 0, 5, 443), 3);
    assert_int_equal(raw_probe_index(p, 0, 5, 65535), 4);
    assert_int_equal(raw_probe_index(p, 0, 5, 81), -1);
    assert_int_equal(raw_probe_index(p, 0, 0, 1), -1);
    /* A second group (UDP 53, 80) is searched on its own range. */
    assert_int_equal(raw_probe_index(p, 5, 2, 80), 6);
    assert_int_equal(raw_probe_index(p, 5, 2, 53), 5);
    assert_int_equal(raw_probe_index(p, 5, 2, 22), -1);
}

/* ---- aggregation ---- */

static enum scan_verdict no_classify(const struct pkt_info *r, enum port_state *s, enum reason *w)
{
    return VERDICT_IGNORE;
}

static const struct scan_module fake_syn = {
    .name = "syn",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .classify_reply = no_classify,
};

struct captured {
    size_t n;
    struct host_result h[16];
};

static void capture(void *ctx, const struct host_result *h)
{
    struct captured *c = ctx;
    assert_true(c->n < 16);
    /* A deep copy: the engine frees its record (and port details) after. */
    assert_int_equal(host_result_copy(&c->h[c->n++], h), 0);
}

static void captured_free(struct captured *c)
{
    for (size_t i = 0; i < c->n; i++)
        host_result_free(&c->h[i]);
}

static const struct scan_module fake_udp = {
    .name = "udp",
    .proto = PROTO_UDP,
    .engine = SCAN_ENGINE_RAW,
    .silence_state = PORT_OPEN_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .probe = &probe_udp,
    .classify_reply = no_classify,
};

static const struct raw_probe probes3[] = {
    {.mod = &fake_syn, .port = 22, .proto = PROTO_TCP},
    {.mod = &fake_syn, .port = 80, .proto = PROTO_TCP},
    {.mod = &fake_syn, .port = 443, .proto = PROTO_TCP},
};

static void deliver(const struct raw_job *job, struct raw_results *r, struct captured *out,
                    bool intr, const struct permute *perm, uint32_t shard, uint32_t nshards)
{
    struct result_sink sink = {.host = capture, .ctx = out};
    struct raw_deliver d = {
        .job = job,
        .probes = probes3,
        .nentries = 3,
        .naddrs = target_set_count(job->targets),
        .perm = perm,
        .shard = shard,
        .nshards = nshards,
        .sink = &sink,
        .interrupted = intr,
    };
    assert_int_equal(raw_results_deliver(r, &d), 0);
}

static struct raw_reply reply(uint64_t a, uint32_t p, enum port_state s, enum reason w, int ttl)
{
    struct raw_reply r = {.addr_idx = a,
                          .entry = p,
                          .state = (uint8_t)s,
                          .reason = (uint8_t)w,
                          .ttl = (uint8_t)ttl,
                          .rtt_us = 1000};
    return r;
}

static void setup_job(struct raw_job *job, const char *spec, const char *exclude)
{
    const char *specs[] = {spec, NULL};
    memset(job, 0, sizeof(*job));
    job->dns = DNS_NEVER;
    job->targets = make_set(specs, exclude);
}

static void free_job(struct raw_job *job)
{
    target_set_free((struct target_set *)job->targets);
}

static void test_results_hosts_and_silence(void **state)
{
    struct raw_job job;
    setup_job(&job, "198.18.0.0/30", "198.18.0.3");
    struct raw_results *r = raw_results_new(3);
    /* Out of order, with a duplicate that must not override. */
    struct raw_reply a = reply(2, 1, PORT_OPEN, REASON_SYN_ACK, 64);
    struct raw_reply b = reply(0, 2, PORT_CLOSED, REASON_RESET, 63);
    struct raw_reply dup = reply(2, 1, PORT_CLOSED, REASON_RESET, 64);
    struct raw_reply c = reply(2, 0, PORT_CLOSED, REASON_RESET, 64);
    assert_int_equal(raw_results_add(r, &a), 1);
    assert_int_equal(raw_results_add(r, &b), 1);
    assert_int_equal(raw_results_add(r, &dup), 0);
    assert_int_equal(raw_results_add(r, &c), 1);
    assert_int_equal(raw_results_answers(r), 3);
    assert_int_equal(raw_results_hosts(r), 2);
    assert_true(raw_results_rtt(r)->have_sample);

    struct captured out = {0};
    deliver(&job, r, &out, false, NULL, 0, 1);
    /* .3 is excluded; .0 and .2 answered, .1 is down without ports. */
    assert_int_equal(out.n, 3);
    char buf[IPADDR_STRLEN];
    assert_string_equal(ipaddr_str(&out.h[0].addr, buf, sizeof(buf)), "198.18.0.0");
    assert_int_equal(out.h[0].status, HOST_UP);
    assert_int_equal(out.h[0].status_reason, REASON_RESET);
    assert_int_equal(out.h[0].status_ttl, 63);
    assert_int_equal(out.h[0].nports, 3);
    assert_int_equal(out.h[0].ports[0].port, 22);
    assert_int_equal(out.h[0].ports[0].state, PORT_FILTERED);
    assert_int_equal(out.h[0].ports[0].reason, REASON_NO_RESPONSE);
    assert_int_equal(out.h[0].ports[2].state, PORT_CLOSED);
    assert_int_equal(out.h[0].ports[2].reason_ttl, 63);
    assert_string_equal(ipaddr_str(&out.h[1].addr, buf, sizeof(buf)), "198.18.0.1");
    assert_int_equal(out.h[1].status, HOST_DOWN);
    assert_int_equal(out.h[1].nports, 0);
    assert_int_equal(out.h[2].status, HOST_UP);
    assert_int_equal(out.h[2].status_reason, REASON_SYN_ACK); /* its first reply */
    assert_int_equal(out.h[2].ports[1].state, PORT_OPEN);     /* not the duplicate */
    assert_int_equal(out.h[2].ports[0].state, PORT_CLOSED);
    assert_int_equal(out.h[2].ports[2].state, PORT_FILTERED);
    assert_true(out.h[2].srtt_us == 1000);
    captured_free(&out);
    raw_results_free(r);
    free_job(&job);
}

/* A reply that is an ICMP error from a router, not the target. */
static struct raw_reply reply_from(uint64_t a, uint32_t p, enum reason w, const char *from)
{
    struct raw_reply r = reply(a, p, PORT_FILTERED, w, 64);
    r.flags = RAW_REPLY_FROM;
    assert_int_equal(ipaddr_parse(from, &r.from), 0);
    return r;
}

/* nmap's reason_ip: kept for the ports an ICMP error from another address
 * decided, only those, and only when that error decided the port. */
static void test_results_reason_ip(void **state)
{
    struct raw_job job;
    setup_job(&job, "198.18.1.0/30", NULL);
    struct raw_results *r = raw_results_new(3);
    struct raw_reply v[] = {
        reply_from(2, 2, REASON_ADMIN_PROHIBITED, "198.18.0.254"),
        reply(2, 1, PORT_CLOSED, REASON_RESET, 63),
        reply_from(0, 0, REASON_HOST_UNREACH, "fd00::fe"),
        reply_from(2, 0, REASON_NET_PROHIBITED, "198.18.0.253"),
        reply(0, 1, PORT_OPEN, REASON_SYN_ACK, 63),
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_int_equal(raw_results_add(r, &v[i]), 1);
    /* A later error for a decided port changes nothing. */
    struct raw_reply late = reply_from(0, 1, REASON_ADMIN_PROHIBITED, "198.18.0.9");
    assert_int_equal(raw_results_add(r, &late), 0);

    struct captured out = {0};
    deliver(&job, r, &out, false, NULL, 0, 1);
    assert_int_equal(out.n, 4);
    char buf[IPADDR_STRLEN];
    const struct host_result *h0 = &out.h[0], *h2 = &out.h[2];
    assert_non_null(h0->ports[0].detail);
    assert_true(h0->ports[0].detail->have_reason_ip);
    assert_string_equal(ipaddr_str(&h0->ports[0].detail->reason_ip, buf, sizeof(buf)), "fd00::fe");
    assert_null(h0->ports[1].detail);
    assert_null(h0->ports[2].detail); /* silence: no address */
    assert_string_equal(ipaddr_str(&h2->ports[0].detail->reason_ip, buf, sizeof(buf)),
                        "198.18.0.253");
    assert_null(h2->ports[1].detail);
    assert_string_equal(ipaddr_str(&h2->ports[2].detail->reason_ip, buf, sizeof(buf)),
                        "198.18.0.254");
    assert_int_equal(h2->ports[2].reason, REASON_ADMIN_PROHIBITED);
    captured_free(&out);
    raw_results_free(r);
    free_job(&job);
}

/* The ways out of targets: the family's main route unless a spec range
 * maps elsewhere; an own address inside a range wins over its range. */
static void test_route_maps(void **state)
{
    struct raw_ctx c;
    memset(&c, 0, sizeof(c));
    struct ipaddr v4, v6;
    assert_int_equal(ipaddr_parse("198.18.0.9", &v4), 0);
    assert_int_equal(ipaddr_parse("fd00::9", &v6), 0);
    /* No maps: the family decides. */
    assert_int_equal(raw_slot_of(&c, 5, &v4), 0);
    assert_int_equal(raw_slot_of(&c, 5, &v6), 1);
    struct raw_route_map rmap[] = {{10, 20, 2}, {20, 30, 3}, {40, 41, 2}};
    struct raw_route_map rown[] = {{12, 13, 4}, {35, 36, 5}};
    c.rmap = rmap;
    c.nrmap = 3;
    assert_int_equal(raw_slot_of(&c, 9, &v4), 0);
    assert_int_equal(raw_slot_of(&c, 10, &v4), 2);
    assert_int_equal(raw_slot_of(&c, 19, &v4), 2);
    assert_int_equal(raw_slot_of(&c, 20, &v4), 3);
    assert_int_equal(raw_slot_of(&c, 30, &v6), 1); /* past a range: the family's */
    assert_int_equal(raw_slot_of(&c, 40, &v4), 2);
    assert_int_equal(raw_slot_of(&c, 41, &v4), 0);
    c.rown = rown;
    c.nrown = 2;
    assert_int_equal(raw_slot_of(&c, 12, &v4), 4); /* own address inside [10, 20) */
    assert_int_equal(raw_slot_of(&c, 11, &v4), 2);
    assert_int_equal(raw_slot_of(&c, 13, &v4), 2);
    assert_int_equal(raw_slot_of(&c, 35, &v4), 5);
    assert_int_equal(raw_slot_of(&c, 36, &v4), 0);
    assert_null(raw_route_find(rmap, 3, 9));
}

static void test_results_skip_discovery(void **state)
{
    struct raw_job job;
    setup_job(&job, "198.18.0.8/31", NULL);
    job.assume_up = true;
    struct raw_results *r = raw_results_new(3);
    struct captured out = {0};
    deliver(&job, r, &out, false, NULL, 0, 1);
    assert_int_equal(out.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(out.h[i].status, HOST_UP);
        assert_int_equal(out.h[i].status_reason, REASON_USER_SET);
        assert_int_equal(out.h[i].nports, 3);
        assert_int_equal(out.h[i].ports[1].state, PORT_FILTERED);
    }
    captured_free(&out);
    raw_results_free(r);
    free_job(&job);
}

static void test_results_interrupted(void **state)
{
    struct raw_job job;
    setup_job(&job, "198.18.0.0/24", NULL);
    struct raw_results *r = raw_results_new(3);
    struct raw_reply a = reply(200, 1, PORT_OPEN, REASON_SYN_ACK, 64);
    raw_results_add(r, &a);
    struct captured out = {0};
    deliver(&job, r, &out, true, NULL, 0, 1);
    /* Only what is known: one host, one port. */
    assert_int_equal(out.n, 1);
    assert_true(out.h[0].interrupted);
    assert_int_equal(out.h[0].nports, 1);
    assert_int_equal(out.h[0].ports[0].port, 80);
    captured_free(&out);
    raw_results_free(r);
    free_job(&job);
}

static void test_results_many_hosts(void **state)
{
    /* Enough hosts to grow the hash table several times. */
    struct raw_results *r = raw_results_new(3);
    for (uint64_t i = 0; i < 5000; i++) {
        struct raw_reply a = reply(i * 7919, (uint32_t)(i % 3), PORT_OPEN, REASON_SYN_ACK, 64);
        assert_int_equal(raw_results_add(r, &a), 1);
        assert_int_equal(raw_results_add(r, &a), 0);
    }
    assert_int_equal(raw_results_hosts(r), 5000);
    assert_int_equal(raw_results_answers(r), 5000);
    raw_results_free(r);
}

static void test_results_shard_ports(void **state)
{
    /* With shards, an up host lists only the ports probed in this shard;
     * over all shards each port is listed exactly once. */
    struct raw_job job;
    setup_job(&job, "198.18.0.0/31", NULL);
    job.assume_up = true;
    struct permute p;
    permute_init(&p, 2 * 3, 99);
    size_t seen[2][3] = {{0}};
    for (uint32_t sh = 0; sh < 4; sh++) {
        struct raw_results *r = raw_results_new(3);
        struct captured out = {0};
        deliver(&job, r, &out, false, &p, sh, 4);
        for (size_t h = 0; h < out.n; h++)
            for (size_t k = 0; k < out.h[h].nports; k++) {
                uint16_t port = out.h[h].ports[k].port;
                seen[h][port == 22 ? 0 : port == 80 ? 1 : 2]++;
            }
        captured_free(&out);
        raw_results_free(r);
    }
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 3; k++)
            assert_int_equal(seen[h][k], 1);
    free_job(&job);
}

/* -sS -sU: one port result per entry, protocol and silence from each
 * entry's module, TCP before UDP; a port unreachable marks the host for
 * UDP pacing. */
static void test_results_tcp_and_udp(void **state)
{
    static const struct raw_probe mixed[] = {
        {.mod = &fake_syn, .port = 22, .proto = PROTO_TCP, .group = 0},
        {.mod = &fake_syn, .port = 53, .proto = PROTO_TCP, .group = 0},
        {.mod = &fake_udp, .port = 53, .proto = PROTO_UDP, .group = 1},
        {.mod = &fake_udp, .port = 54, .proto = PROTO_UDP, .group = 1},
        {.mod = &fake_udp, .port = 161, .proto = PROTO_UDP, .group = 1},
    };
    struct raw_job job;
    setup_job(&job, "198.18.0.2", NULL);
    job.assume_up = true;
    struct raw_results *r = raw_results_new(5);
    struct raw_reply a = reply(0, 2, PORT_OPEN, REASON_UDP_RESPONSE, 64);
    struct raw_reply b = reply(0, 3, PORT_CLOSED, REASON_PORT_UNREACH, 64);
    struct raw_reply t = reply(0, 0, PORT_OPEN, REASON_SYN_ACK, 64);
    assert_int_equal(raw_results_add(r, &a), 1);
    assert_int_equal(raw_results_unreach_hosts(r), 0);
    assert_int_equal(raw_results_add(r, &b), 1);
    assert_int_equal(raw_results_add(r, &t), 1);
    assert_int_equal(raw_results_unreach_hosts(r), 1);
    uint64_t ai;
    uint32_t e;
    raw_results_unreach_host(r, 0, &ai, &e);
    assert_int_equal(ai, 0);
    assert_int_equal(e, 3);
    assert_true(raw_results_cell(r, 0, 3) & RAW_CELL_ANSWERED);
    assert_int_equal(raw_results_cell(r, 0, 4), 0);
    assert_int_equal(raw_results_cell(r, 7, 0), 0);

    struct captured out = {0};
    struct result_sink sink = {.host = capture, .ctx = &out};
    struct raw_deliver d = {
        .job = &job,
        .probes = mixed,
        .nentries = 5,
        .naddrs = 1,
        .nshards = 1,
        .sink = &sink,
    };
    assert_int_equal(raw_results_deliver(r, &d), 0);
    assert_int_equal(out.n, 1);
    const struct host_result *h = &out.h[0];
    assert_int_equal(h->nports, 5);
    static const struct {
        uint16_t port;
        uint8_t proto, state, reason;
    } want[] = {
        {22, PROTO_TCP, PORT_OPEN, REASON_SYN_ACK},
        {53, PROTO_TCP, PORT_FILTERED, REASON_NO_RESPONSE},
        {53, PROTO_UDP, PORT_OPEN, REASON_UDP_RESPONSE},
        {54, PROTO_UDP, PORT_CLOSED, REASON_PORT_UNREACH},
        {161, PROTO_UDP, PORT_OPEN_FILTERED, REASON_NO_RESPONSE},
    };
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(h->ports[i].port, want[i].port);
        assert_int_equal(h->ports[i].proto, want[i].proto);
        assert_int_equal(h->ports[i].state, want[i].state);
        assert_int_equal(h->ports[i].reason, want[i].reason);
    }
    captured_free(&out);
    raw_results_free(r);
    free_job(&job);
}

/* Pass 0 read as a round (raw_pace.h, 2): a silent probe gets a
 * confirmation only when a probe sent after it, within the gap, drew an
 * ICMP error; never from a UDP reply, never across a probe of unknown send
 * time, and never when the witness left too long after it (the bucket could
 * have refilled in between). */
static void test_pace_pass0_rule(void **state)
{
    (void)state;
    const uint32_t icmp = RAW_CELL_ANSWERED | (uint32_t)REASON_PORT_UNREACH << 8;
    const uint32_t open = RAW_CELL_ANSWERED | (uint32_t)REASON_UDP_RESPONSE << 8;
    const int64_t gap = 2000000;
    /* Given out of order: the rule sorts by position. Entry = position. */
    struct raw_pace_p0 v[] = {
        {.pos = 3, .t_lo = 100, .t_hi = 200, .cell = icmp, .entry = 3}, /* last ICMP */
        {.pos = 0, .t_lo = 100, .t_hi = 200, .cell = 0, .entry = 0},    /* silent, before: yes */
        {.pos = 1, .t_lo = 100, .t_hi = 200, .cell = open, .entry = 1}, /* a reply: no */
        {.pos = 2, .t_lo = 100, .t_hi = 200, .cell = 0, .entry = 2},    /* silent, before: yes */
        {.pos = 4, .t_lo = 100, .t_hi = 200, .cell = 0, .entry = 4},    /* after the last: no */
        {.pos = 5, .t_lo = 300, .t_hi = 400, .cell = open, .entry = 5}, /* a reply is no witness */
        {.pos = 6, .t_lo = 300, .t_hi = 400, .cell = 0, .entry = 6},    /* nothing after: no */
    };
    size_t n = sizeof(v) / sizeof(v[0]);
    assert_int_equal(raw_pace_pass0(v, n, gap), 2);
    const bool want[] = {true, false, true, false, false, false, false};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v[i].pos, i);
        assert_int_equal(v[i].entry, i);
        assert_int_equal(v[i].confirm, want[i]);
    }

    /* The witness left more than the gap after the silent probe: a token
     * may have come in between, so no confirmation; one within the gap
     * still counts. Any ICMP error spends a token: a filtered verdict
     * (another unreachable) is a witness too. */
    const uint32_t filt = RAW_CELL_ANSWERED | (uint32_t)REASON_HOST_PROHIBITED << 8;
    struct raw_pace_p0 w[] = {
        {.pos = 0, .t_lo = 0, .t_hi = 10, .cell = 0},
        {.pos = 1, .t_lo = gap, .t_hi = gap + 10, .cell = 0},
        {.pos = 2, .t_lo = gap + 20, .t_hi = gap + 30, .cell = filt},
    };
    assert_int_equal(raw_pace_pass0(w, 3, gap), 1);
    assert_false(w[0].confirm);
    assert_true(w[1].confirm);
    assert_false(w[2].confirm);

    /* A probe of unknown send time between them breaks the chain. */
    struct raw_pace_p0 u[] = {
        {.pos = 0, .t_lo = 0, .t_hi = 10, .cell = 0},
        {.pos = 1, .t_lo = -1, .t_hi = -1, .cell = 0},
        {.pos = 2, .t_lo = 20, .t_hi = 30, .cell = icmp},
    };
    assert_int_equal(raw_pace_pass0(u, 3, gap), 0);

    /* No ICMP error at all (a host whose bucket was empty): nothing. */
    struct raw_pace_p0 z[] = {
        {.pos = 0, .t_lo = 0, .t_hi = 10, .cell = 0},
        {.pos = 1, .t_lo = 0, .t_hi = 10, .cell = 0},
    };
    assert_int_equal(raw_pace_pass0(z, 2, gap), 0);
    assert_int_equal(raw_pace_pass0(NULL, 0, gap), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets_ranges),
        cmocka_unit_test(test_targets_octets),
        cmocka_unit_test(test_targets_v6),
        cmocka_unit_test(test_targets_big_and_unknown),
        cmocka_unit_test(test_permute_unmap),
        cmocka_unit_test(test_probe_index),
        cmocka_unit_test(test_results_hosts_and_silence),
        cmocka_unit_test(test_results_skip_discovery),
        cmocka_unit_test(test_results_reason_ip),
        cmocka_unit_test(test_route_maps),
        cmocka_unit_test(test_results_interrupted),
        cmocka_unit_test(test_results_many_hosts),
        cmocka_unit_test(test_results_shard_ports),
        cmocka_unit_test(test_results_tcp_and_udp),
        cmocka_unit_test(test_pace_pass0_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
