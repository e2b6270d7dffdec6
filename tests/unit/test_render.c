/*
 * test_render.c — the order of hidden port groups (render.h), checked
 * against what nmap 7.93 wrote for the same ports in the namespace lab
 * (tcp and udp 1-40 dropped, 41-70 rejected admin-prohibited, 71-99 closed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/result.h"
#include "output/render.h"

static void add(struct host_result *h, enum port_proto pr, uint16_t lo, uint16_t hi,
                enum port_state st, enum reason r)
{
    /* Downward, as an engine may record them: the order must not depend on
     * the order ports arrive in. */
    for (int port = hi; port >= lo; port--) {
        struct port_result p = {.port = (uint16_t)port,
                                .proto = (uint8_t)pr,
                                .state = (uint8_t)st,
                                .reason = (uint8_t)r};
        assert_int_equal(host_result_add_port(h, &p), 0);
    }
}

struct buf {
    char s[1024];
    int state;
};

static void put(void *ctx, enum reason r, enum port_proto proto, size_t n, const char *ranges)
{
    struct buf *b = ctx;
    size_t used = strlen(b->s);
    snprintf(b->s + used, sizeof(b->s) - used, "%s%zu %s %s (%s) %s", used ? ", " : "", n,
             port_state_name(b->state), port_proto_name(proto), reason_name(r), ranges);
}

/* All hidden groups of h in order, as "N state proto (reason) ranges, ...". */
static void groups(const struct host_result *h, unsigned hidden, struct buf *b)
{
    int order[PORT_STATE_COUNT];
    size_t counts[PORT_STATE_COUNT];
    size_t n = out_hidden_order(h, hidden, order, counts);
    b->s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        b->state = order[i];
        assert_int_equal(out_extrareasons(h, order[i], put, b), 0);
    }
}

static void host(struct host_result *h)
{
    struct ipaddr a;
    assert_int_equal(ipaddr_parse("198.18.0.2", &a), 0);
    host_result_init(h, &a);
}

#define ALL_HIDDEN                                                                                 \
    ((1u << PORT_CLOSED) | (1u << PORT_FILTERED) | (1u << PORT_OPEN_FILTERED) |                    \
     (1u << PORT_UNFILTERED) | (1u << PORT_CLOSED_FILTERED))

/* nmap -sS -sU -p1-99: states by falling count; equal-count groups of a
 * state in reverse order of first appearance (udp after tcp, so first). */
static void test_tcp_udp_groups(void **state)
{
    (void)state;
    struct host_result h;
    host(&h);
    add(&h, PROTO_UDP, 71, 99, PORT_CLOSED, REASON_PORT_UNREACH);
    add(&h, PROTO_TCP, 71, 99, PORT_CLOSED, REASON_RESET);
    add(&h, PROTO_UDP, 41, 70, PORT_FILTERED, REASON_ADMIN_PROHIBITED);
    add(&h, PROTO_TCP, 41, 70, PORT_FILTERED, REASON_ADMIN_PROHIBITED);
    add(&h, PROTO_UDP, 1, 40, PORT_OPEN_FILTERED, REASON_NO_RESPONSE);
    add(&h, PROTO_TCP, 1, 40, PORT_FILTERED, REASON_NO_RESPONSE);
    struct buf b;
    groups(&h, ALL_HIDDEN, &b);
    assert_string_equal(b.s, "40 filtered tcp (no-response) 1-40, "
                             "30 filtered udp (admin-prohibited) 41-70, "
                             "30 filtered tcp (admin-prohibited) 41-70, "
                             "29 closed udp (port-unreach) 71-99, "
                             "29 closed tcp (reset) 71-99, "
                             "40 open|filtered udp (no-response) 1-40");
    host_result_free(&h);
}

/* nmap -sS -p11-100 (30 no-response, 30 admin-prohibited: the later group
 * first), -p1-40,71-130 (closed outnumbers filtered: closed first) and
 * -p12-40,71-100 (29 each: closed, nmap's lower state number, first). */
static void test_ties(void **state)
{
    (void)state;
    struct host_result h;
    struct buf b;
    host(&h);
    add(&h, PROTO_TCP, 11, 40, PORT_FILTERED, REASON_NO_RESPONSE);
    add(&h, PROTO_TCP, 41, 70, PORT_FILTERED, REASON_ADMIN_PROHIBITED);
    add(&h, PROTO_TCP, 71, 99, PORT_CLOSED, REASON_RESET);
    add(&h, PROTO_TCP, 100, 100, PORT_OPEN, REASON_SYN_ACK);
    groups(&h, ALL_HIDDEN, &b);
    assert_string_equal(b.s, "30 filtered tcp (admin-prohibited) 41-70, "
                             "30 filtered tcp (no-response) 11-40, 29 closed tcp (reset) 71-99");
    host_result_free(&h);

    host(&h);
    add(&h, PROTO_TCP, 1, 40, PORT_FILTERED, REASON_NO_RESPONSE);
    add(&h, PROTO_TCP, 101, 130, PORT_CLOSED, REASON_RESET);
    add(&h, PROTO_TCP, 71, 99, PORT_CLOSED, REASON_RESET);
    groups(&h, ALL_HIDDEN, &b);
    assert_string_equal(b.s,
                        "59 closed tcp (reset) 71-99,101-130, 40 filtered tcp (no-response) 1-40");
    host_result_free(&h);

    host(&h);
    add(&h, PROTO_TCP, 12, 40, PORT_FILTERED, REASON_NO_RESPONSE);
    add(&h, PROTO_TCP, 71, 99, PORT_CLOSED, REASON_RESET);
    groups(&h, ALL_HIDDEN, &b);
    assert_string_equal(b.s, "29 closed tcp (reset) 71-99, 29 filtered tcp (no-response) 12-40");

    /* A state not hidden is left out; counts cover every state. */
    int order[PORT_STATE_COUNT];
    size_t counts[PORT_STATE_COUNT];
    assert_int_equal(out_hidden_order(&h, 1u << PORT_FILTERED, order, counts), 1);
    assert_int_equal(order[0], PORT_FILTERED);
    assert_int_equal(counts[PORT_CLOSED], 29);
    assert_int_equal(out_hidden_order(&h, 0, order, counts), 0);
    host_result_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_udp_groups),
        cmocka_unit_test(test_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
