/* Tests for core/result.c: names, host records and nmap's "Not shown"
 * grouping (PortList::isIgnoredState). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/result.h"

#include <stdlib.h>
#include <string.h>

/* A host with n ports of each given state, ports numbered from 1. */
static void fill(struct host_result *h, enum port_state state, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct port_result p = {.port = (uint16_t)(h->nports + 1),
                                .proto = PROTO_TCP,
                                .state = (uint8_t)state,
                                .reason = REASON_CONN_REFUSED};
        assert_int_equal(host_result_add_port(h, &p), 0);
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(port_state_name(PORT_OPEN), "open");
    assert_string_equal(port_state_name(PORT_CLOSED), "closed");
    assert_string_equal(port_state_name(PORT_FILTERED), "filtered");
    assert_string_equal(port_state_name(PORT_UNFILTERED), "unfiltered");
    assert_string_equal(port_state_name(PORT_OPEN_FILTERED), "open|filtered");
    assert_string_equal(port_state_name(PORT_CLOSED_FILTERED), "closed|filtered");
    assert_string_equal(port_state_name(PORT_STATE_COUNT), "unknown");
    assert_string_equal(reason_name(REASON_SYN_ACK), "syn-ack");
    assert_string_equal(reason_name(REASON_CONN_REFUSED), "conn-refused");
    assert_string_equal(reason_name(REASON_NO_RESPONSE), "no-response");
    assert_string_equal(reason_name(REASON_MASK_REPLY), "addressmask-reply");
    assert_string_equal(reason_name(REASON_LOCALHOST_RESPONSE), "localhost-response");
    assert_string_equal(reason_name(REASON_TIME_EXCEEDED), "time-exceeded");
    assert_string_equal(reason_name(REASON_COUNT), "unknown");
    for (int r = 0; r < REASON_COUNT; r++)
        assert_non_null(reason_name(r));
}

static void test_host_record(void **state)
{
    (void)state;
    struct ipaddr a = {.family = 2, .bytes = {127, 0, 0, 1}};
    struct host_result h;
    host_result_init(&h, &a);
    assert_int_equal(h.srtt_us, -1);
    assert_int_equal(h.addr.bytes[0], 127);
    fill(&h, PORT_CLOSED, 1000);
    assert_int_equal(h.nports, 1000);
    assert_int_equal(h.ports[999].port, 1000);
    h.rdns = strdup("localhost");
    size_t counts[PORT_STATE_COUNT];
    result_state_counts(&h, counts);
    assert_int_equal(counts[PORT_CLOSED], 1000);
    assert_int_equal(counts[PORT_OPEN], 0);
    host_result_free(&h);
    assert_null(h.ports);
    assert_null(h.rdns);
    host_result_free(&h); /* twice is harmless */
}

static unsigned hidden_for(size_t nopen, size_t nclosed, size_t nof, size_t nunf, int verbose,
                           bool open_only)
{
    struct host_result h;
    host_result_init(&h, NULL);
    fill(&h, PORT_OPEN, nopen);
    fill(&h, PORT_CLOSED, nclosed);
    fill(&h, PORT_OPEN_FILTERED, nof);
    fill(&h, PORT_UNFILTERED, nunf);
    unsigned m = result_hidden_states(&h, verbose, open_only);
    host_result_free(&h);
    return m;
}

#define BIT(s) (1u << (s))

static void test_hidden_threshold(void **state)
{
    (void)state;
    assert_int_equal(hidden_for(2, 998, 0, 0, 0, false), BIT(PORT_CLOSED));
    assert_int_equal(hidden_for(0, 25, 0, 0, 0, false), 0);
    assert_int_equal(hidden_for(0, 26, 0, 0, 0, false), BIT(PORT_CLOSED));
    /* -v doubles the limit, -vv triples it. */
    assert_int_equal(hidden_for(0, 50, 0, 0, 1, false), 0);
    assert_int_equal(hidden_for(0, 51, 0, 0, 1, false), BIT(PORT_CLOSED));
    assert_int_equal(hidden_for(0, 75, 0, 0, 2, false), 0);
    /* open is never collapsed */
    assert_int_equal(hidden_for(1000, 0, 0, 0, 0, false), 0);
    /* two states at once */
    assert_int_equal(hidden_for(0, 30, 30, 0, 0, false),
                     BIT(PORT_CLOSED) | BIT(PORT_OPEN_FILTERED));
    /* -vvv shows open|filtered whatever the count */
    assert_int_equal(hidden_for(0, 0, 500, 0, 3, false), 0);
    /* empty host */
    assert_int_equal(hidden_for(0, 0, 0, 0, 0, false), 0);
}

static void test_hidden_open_only(void **state)
{
    (void)state;
    /* --open collapses states that cannot be open, whatever their count. */
    assert_int_equal(hidden_for(1, 3, 0, 0, 0, true), BIT(PORT_CLOSED));
    assert_int_equal(hidden_for(0, 1, 0, 0, 0, true), BIT(PORT_CLOSED));
    /* ... but open|filtered and unfiltered only by the count rule (nmap 7.93) */
    assert_int_equal(hidden_for(1, 0, 3, 3, 0, true), 0);
    assert_int_equal(hidden_for(1, 0, 30, 0, 0, true), BIT(PORT_OPEN_FILTERED));
    assert_int_equal(hidden_for(1, 0, 0, 30, 0, true), BIT(PORT_UNFILTERED));
}

/* OS findings shared by hosts (--os-passive): copies borrow, the block
 * lives until the last holder lets go (ASan checks leaks and use after
 * free), and a host that replaces them drops only its reference. */
static void test_os_shared(void **state)
{
    (void)state;
    struct host_result a, b, c;
    host_result_init(&a, NULL);
    a.os = calloc(1, sizeof *a.os);
    assert_non_null(a.os);
    a.os[0].name = strdup("Linux 5.0 - 5.14");
    a.os[0].accuracy = 96;
    a.nos = 1;
    a.os_fingerprint = strdup("OPS(O1=M5B4ST11NW7)");
    a.os_report = calloc(1, sizeof *a.os_report);
    assert_non_null(a.os_report);
    a.os_report->passive = true;
    struct os_shared *sh = os_shared_new(&a);
    assert_non_null(sh);
    assert_ptr_equal(a.os_shared, sh);
    assert_null(os_shared_new(&a)); /* already borrowed */

    host_result_init(&b, NULL);
    os_shared_attach(&b, sh);
    assert_ptr_equal(b.os, a.os);
    assert_string_equal(b.os_fingerprint, "OPS(O1=M5B4ST11NW7)");
    assert_int_equal(host_result_copy(&c, &b), 0);
    assert_ptr_equal(c.os, a.os);
    assert_ptr_equal(c.os_report, a.os_report);
    assert_true(c.os_report->passive);

    os_shared_release(sh); /* the maker's reference */
    host_result_free(&a);
    host_result_free_os(&b); /* replaced: b no longer borrows */
    assert_null(b.os);
    assert_null(b.os_shared);
    assert_int_equal(c.nos, 1);
    assert_string_equal(c.os[0].name, "Linux 5.0 - 5.14"); /* c still holds it */
    host_result_free(&b);
    host_result_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_host_record),
        cmocka_unit_test(test_hidden_threshold),
        cmocka_unit_test(test_hidden_open_only),
        cmocka_unit_test(test_os_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
