/*
 * Unit tests for detect/osreport: nmap's verdict rules (printosscanoutput,
 * printosclassificationoutput, OmitSubmissionFP) on small synthetic
 * databases scored through the real matcher: perfect matches, guesses
 * with and without --osscan-guess or a reason, no match, too many, the
 * classification lines, and the fingerprint's form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/osreport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char POINTS[] = "MatchPoints\n"
                             "SEQ(SP=25%GCD=75%ISR=25%TI=100%CI=50%II=100%SS=80%TS=100)\n"
                             "IE(R=50%DFI=40%T=15%TG=15%CD=100)\n"
                             "\n";

/* A database of the given print bodies (each "Fingerprint ...\n..."). */
static struct os_db *load(const char *body)
{
    static char buf[1 << 16];
    snprintf(buf, sizeof buf, "%s%s", POINTS, body);
    struct os_db *db = NULL;
    char err[256] = "";
    int rc = os_db_load_buf("t.db", buf, strlen(buf), &db, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    return db;
}

/* One try observing IE(R=Y%DFI=N%T=40%CD=S), scored against db; U1
 * answered and the host on-link unless told otherwise. */
static void try_of(struct os_try *t, const struct os_db *db)
{
    memset(t, 0, sizeof *t);
    t->tgt.reply[OSP_U1].got = true;
    t->tgt.addr.family = AF_INET;
    t->distance = 1;
    t->dist_method = 'D';
    const char *fp = "IE(R=Y%DFI=N%T=40%CD=S)";
    char err[128];
    assert_int_equal(os_obs_parse(fp, strlen(fp), &t->obs, err, sizeof err), 0);
    assert_int_equal(os_db_match(db, &t->obs, OS_GUESS_FLOOR, &t->m), 0);
}

static void opts_good(struct os_report_opts *o)
{
    memset(o, 0, sizeof *o);
    o->timing_level = 3;
    o->open_tcp = 22;
    o->closed_tcp = 23;
}

static void host(struct host_result *h)
{
    struct ipaddr a;
    ipaddr_parse("198.18.0.2", &a);
    host_result_init(h, &a);
}

/* IE lines: T 40 matches "3B-45", 80 does not (15 of 155 points lost; the
 * line writes no R, so R is not compared, as in nmap 7.93). */
#define PRINT(name, cls, t)                                                                        \
    "Fingerprint " name "\nClass " cls "\nCPE cpe:/o:x:" name "\nIE(DFI=N%T=" t "%CD=S)\n\n"

static void test_details(void **state)
{
    (void)state;
    struct os_db *db = load(PRINT("Alpha 1", "Alpha | AlphaOS | 1.X | general purpose", "3B-45")
                                PRINT("Alpha 2", "Alpha | AlphaOS | 2.X | general purpose", "40")
                                    PRINT("Beta", "Beta | Beta | | router", "80"));
    struct os_try t;
    try_of(&t, db);
    struct os_report_opts o;
    opts_good(&o);
    struct host_result h;
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    const struct os_report *r = h.os_report;
    assert_non_null(r);
    assert_int_equal(r->verdict, OS_VERDICT_DETAILS);
    assert_int_equal(h.nos, 2); /* only the perfect ones */
    assert_string_equal(h.os[0].name, "Alpha 1");
    assert_int_equal(h.os[0].accuracy, 100);
    assert_int_equal(h.os[0].nclasses, 1);
    assert_string_equal(h.os[0].classes[0].cpe[0], "cpe:/o:x:Alpha"); /* first word */
    assert_null(r->not_ideal);
    /* Perfect classes only, generations merged, no accuracy shown. */
    assert_string_equal(r->device_types, "general purpose");
    assert_string_equal(r->running, "Alpha AlphaOS 1.X|2.X");
    assert_false(r->running_guess);
    assert_string_equal(r->os_cpe, "cpe:/o:x:Alpha"); /* once */
    assert_null(h.os_fingerprint);                    /* printed only with -d / -vv */
    assert_false(r->unreliable);
    host_result_free(&h);

    o.debug = 1;
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    assert_non_null(h.os_fingerprint);
    assert_non_null(strstr(h.os_fingerprint, "OS:SCAN(V="));
    assert_non_null(strstr(h.os_fingerprint, "%G=Y%"));
    host_result_free(&h);
    os_db_free(db);
}

static void test_guesses(void **state)
{
    (void)state;
    struct os_db *db = load(PRINT("Gamma", "Gamma | GammaOS | 3.X | router", "50-60")
                                PRINT("Delta", "Delta | Delta | | switch", "70"));
    struct os_try t;
    try_of(&t, db);
    struct os_report_opts o;
    opts_good(&o);
    struct host_result h;
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    const struct os_report *r = h.os_report;
    /* No perfect match, a fingerprint fit for submission: no guesses in
     * normal output (XML still lists them), no classification, the
     * fingerprint wrapped and marked good. */
    assert_int_equal(r->verdict, OS_VERDICT_GUESSES);
    assert_false(r->show_guesses);
    assert_int_equal(h.nos, 2);
    assert_int_equal(h.os[0].accuracy, 90); /* 140/155 */
    assert_null(r->device_types);
    assert_non_null(h.os_fingerprint);
    assert_int_equal(strncmp(h.os_fingerprint, "OS:SCAN(", 8), 0);
    host_result_free(&h);

    /* --osscan-guess: guesses and "Running (JUST GUESSING)" with accuracies. */
    o.guess = true;
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    r = h.os_report;
    assert_true(r->show_guesses);
    assert_true(r->running_guess);
    assert_string_equal(r->running, "Gamma GammaOS 3.X (90%), Delta (90%)");
    assert_string_equal(r->device_types, "router|switch");
    host_result_free(&h);

    /* No closed port: nmap's reason, guesses shown anyway, the warning,
     * and the fingerprint only with -d (unwrapped). */
    o.guess = false;
    o.closed_tcp = -1;
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    r = h.os_report;
    assert_string_equal(r->not_ideal, "Missing a closed TCP port so results incomplete");
    assert_true(r->show_guesses);
    assert_true(r->unreliable);
    assert_null(h.os_fingerprint);
    host_result_free(&h);
    o.debug = 1;
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    assert_non_null(h.os_fingerprint);
    assert_int_equal(strncmp(h.os_fingerprint, "SCAN(", 5), 0);
    assert_non_null(strstr(h.os_fingerprint, "\nIE(R=Y%DFI=N%T=40%CD=S)\n"));
    host_result_free(&h);
    os_db_free(db);
}

static void test_reasons(void **state)
{
    (void)state;
    struct os_try t;
    memset(&t, 0, sizeof t);
    struct os_report_opts o;
    opts_good(&o);
    char b[128];
    assert_string_equal(os_not_ideal(&t, &o, b, sizeof b),
                        "Didn't receive UDP response. Please try again with -sSU");
    o.udp_scanned = true;
    assert_null(os_not_ideal(&t, &o, b, sizeof b));
    t.distance = 7;
    assert_string_equal(os_not_ideal(&t, &o, b, sizeof b),
                        "Host distance (7 network hops) is greater than five");
    o.open_tcp = -1;
    assert_string_equal(os_not_ideal(&t, &o, b, sizeof b),
                        "Missing an open TCP port so results incomplete");
    o.timing_level = 5;
    assert_string_equal(os_not_ideal(&t, &o, b, sizeof b), "Timing level 5 (Insane) used");
    o.scan_delay_ms = 600;
    assert_string_equal(os_not_ideal(&t, &o, b, sizeof b), "Scan delay (600) is greater than 500");
}

static void test_none_and_too_many(void **state)
{
    (void)state;
    struct os_db *db = load(PRINT("Far", "Far | Far | | printer", "80"));
    struct os_try t;
    try_of(&t, db);
    /* 140/155 = 0.90 would enter; make it fail CD too: below 85%. */
    const char *fp = "IE(R=Y%DFI=N%T=40%CD=Z)";
    char err[128];
    assert_int_equal(os_obs_parse(fp, strlen(fp), &t.obs, err, sizeof err), 0);
    assert_int_equal(os_db_match(db, &t.obs, OS_GUESS_FLOOR, &t.m), 0);
    struct os_report_opts o;
    opts_good(&o);
    struct host_result h;
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    assert_int_equal(h.os_report->verdict, OS_VERDICT_NONE);
    assert_int_equal(h.nos, 0);
    assert_non_null(h.os_fingerprint);
    host_result_free(&h);
    os_db_free(db);

    static char body[1 << 15];
    size_t w = 0;
    for (int i = 0; i < 37; i++)
        w += (size_t)snprintf(body + w, sizeof body - w,
                              "Fingerprint P%d\nClass V | F | | general purpose\n"
                              "IE(DFI=N%%T=40%%CD=S)\n\n",
                              i);
    db = load(body);
    try_of(&t, db);
    assert_int_equal(t.m.outcome, OS_TOOMANYMATCHES);
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    assert_int_equal(h.os_report->verdict, OS_VERDICT_TOOMANY);
    assert_int_equal(h.nos, 0);
    assert_null(h.os_report->device_types);
    host_result_free(&h);
    os_db_free(db);

    /* Nine perfect matches: nmap says too many unless -d. */
    w = 0;
    for (int i = 0; i < 9; i++)
        w += (size_t)snprintf(body + w, sizeof body - w,
                              "Fingerprint P%d\nClass V | F | | general purpose\n"
                              "IE(DFI=N%%T=40%%CD=S)\n\n",
                              i);
    db = load(body);
    try_of(&t, db);
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    assert_int_equal(h.os_report->verdict, OS_VERDICT_TOOMANY);
    host_result_free(&h);
    o.debug = 1;
    host(&h);
    assert_int_equal(os_report_fill(&h, db, &t, 1, 0, &o), 0);
    assert_int_equal(h.os_report->verdict, OS_VERDICT_DETAILS);
    assert_int_equal(h.nos, 9);
    host_result_free(&h);
    os_db_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_details),
        cmocka_unit_test(test_guesses),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_none_and_too_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
