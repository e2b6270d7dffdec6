/*
 * Unit tests for detect/osdb: nmap's expression rules one form at a time,
 * the reader on the real nmap-os-db (every Fingerprint line counted) and on
 * malformed files (file:line errors), scoring with MatchPoints, and the
 * match list's rules (floor, perfect, one entry per name, too many) on
 * small synthetic databases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/osdb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REAL_DB "/usr/share/nmap/nmap-os-db"

static const char POINTS[] =
    "# test database\n"
    "MatchPoints\n"
    "SEQ(SP=25%GCD=75%ISR=25%TI=100%CI=50%II=100%SS=80%TS=100)\n"
    "OPS(O1=20%O2=20%O3=20%O4=20%O5=20%O6=20)\n"
    "WIN(W1=15%W2=15%W3=15%W4=15%W5=15%W6=15)\n"
    "ECN(R=100%DF=20%T=15%TG=15%W=15%O=15%CC=100%Q=20)\n"
    "T1(R=100%DF=20%T=15%TG=15%S=20%A=20%F=30%RD=20%Q=20)\n"
    "T2(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T3(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T4(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T5(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T6(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T7(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "U1(R=50%DF=20%T=15%TG=15%IPL=100%UN=100%RIPL=100%RID=100%RIPCK=100%RUCK=100%RUD=100)\n"
    "IE(R=50%DFI=40%T=15%TG=15%CD=100)\n"
    "\n";

static struct os_db *load(const char *body)
{
    char buf[16384];
    snprintf(buf, sizeof buf, "%s%s", POINTS, body);
    struct os_db *db = NULL;
    char err[256] = "";
    int rc = os_db_load_buf("t.db", buf, strlen(buf), &db, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "load: %s\n", err);
    assert_int_equal(rc, 0);
    return db;
}

static void expect_error(const char *body, const char *want)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "%s%s", POINTS, body);
    struct os_db *db = NULL;
    char err[256] = "";
    assert_int_equal(os_db_load_buf("t.db", buf, strlen(buf), &db, err, sizeof err), -1);
    assert_null(db);
    if (!strstr(err, want))
        fprintf(stderr, "got \"%s\", want \"%s\"\n", err, want);
    assert_non_null(strstr(err, want));
}

/* ---- expression forms ---------------------------------------------------- */

static void test_expr_plain(void **state)
{
    (void)state;
    assert_true(os_expr_match("Y", "Y"));
    assert_false(os_expr_match("N", "Y"));
    assert_true(os_expr_match("M5B4ST11NW7", "M5B4ST11NW7"));
    assert_false(os_expr_match("M5B4ST11NW7", "M5B4ST11NW6"));
    /* Hex values compare as strings when no operator applies. */
    assert_true(os_expr_match("FAF0", "FAF0"));
    assert_false(os_expr_match("faf0", "FAF0"));
}

static void test_expr_alternatives(void **state)
{
    (void)state;
    assert_true(os_expr_match("I", "I|RD"));
    assert_true(os_expr_match("RD", "I|RD"));
    assert_false(os_expr_match("Z", "I|RD"));
    /* nmap compares an alternative followed by '|' as a prefix of the
     * value: "I" matches "IX"; the last alternative must be equal. */
    assert_true(os_expr_match("IX", "I|RD"));
    assert_false(os_expr_match("RDX", "I|RD"));
    /* An empty alternative before '|' matches anything, the last empty
     * alternative only the empty value. */
    assert_true(os_expr_match("", "|S"));
    assert_true(os_expr_match("ZZ", "|S"));
    assert_true(os_expr_match("", "S|"));
    assert_false(os_expr_match("Z", "S|"));
}

static void test_expr_ranges(void **state)
{
    (void)state;
    assert_true(os_expr_match("3B", "3B-47"));
    assert_true(os_expr_match("40", "3B-47"));
    assert_true(os_expr_match("47", "3B-47"));
    assert_false(os_expr_match("48", "3B-47"));
    assert_false(os_expr_match("3A", "3B-47"));
    assert_true(os_expr_match("104", "FA-104|1F0"));
    assert_true(os_expr_match("1F0", "FA-104|1F0"));
    assert_false(os_expr_match("105", "FA-104|1F0"));
    /* A non-hex value is never in a range: compared as a string. */
    assert_false(os_expr_match("G", "3B-47"));
    /* While a '-' lies ahead, nmap reads each alternative as a range, so a
     * plain alternative before it never matches a number. */
    assert_false(os_expr_match("8", "8|2-5"));
    assert_true(os_expr_match("3", "8|2-5"));
    assert_true(os_expr_match("8", "2-5|8"));
}

static void test_expr_compare(void **state)
{
    (void)state;
    assert_true(os_expr_match("B", ">A"));
    assert_false(os_expr_match("A", ">A"));
    assert_true(os_expr_match("9", "<A"));
    assert_false(os_expr_match("A", "<A"));
    assert_true(os_expr_match("100", "Z|>FF"));
    assert_true(os_expr_match("Z", "Z|>FF"));
    /* A non-hex value never compares numerically. */
    assert_false(os_expr_match("ZZ", ">1"));
}

static void test_expr_empty(void **state)
{
    (void)state;
    assert_true(os_expr_match("", ""));
    assert_false(os_expr_match("M5B4", ""));
    assert_false(os_expr_match("", "M5B4"));
    /* nmap reads the empty value as the number 0. */
    assert_true(os_expr_match("", "0-5"));
    assert_true(os_expr_match("", "<1"));
}

/* ---- reader --------------------------------------------------------------- */

static const char TWO[] = "# comment\n"
                          "Fingerprint Alpha OS 1.0 # trailing comment\n"
                          "Class Alpha | AlphaOS | 1.X | general purpose\n"
                          "CPE cpe:/o:alpha:alphaos:1 auto\n"
                          "CPE cpe:/o:alpha:alphaos:1.0\n"
                          "Class Alpha | AlphaOS || specialized\n"
                          "SEQ(SP=0-5%GCD=1-6%ISR=C8-D2%TI=I|RD%CI=I%II=RI%SS=S%TS=U)\n"
                          "OPS(O1=M5B4%O2=M5B4%O3=M5B4%O4=M5B4%O5=M5B4%O6=M5B4)\n"
                          "T2(R=N)\n"
                          "IE(R=Y%DFI=N%T=3B-45%TG=40%CD=S)\n"
                          "\n"
                          "Fingerprint Beta\n"
                          "Class Beta | BetaOS | | router\n"
                          "OPS(R=N)\n"
                          "T1(R=Y%DF=Y%T=40%TG=40%S=O%A=S+%F=AS%RD=0%Q=)\n";

static void test_reader_fields(void **state)
{
    (void)state;
    struct os_db *db = load(TWO);
    assert_int_equal(os_db_count(db), 2);
    assert_string_equal(os_db_name(db, 0), "Alpha OS 1.0");
    assert_int_equal(os_db_line(db, 0), 18);
    assert_string_equal(os_db_name(db, 1), "Beta");
    assert_int_equal(os_db_nclasses(db, 0), 2);
    struct os_db_class c = os_db_class(db, 0, 0);
    assert_string_equal(c.vendor, "Alpha");
    assert_string_equal(c.family, "AlphaOS");
    assert_string_equal(c.gen, "1.X");
    assert_string_equal(c.type, "general purpose");
    assert_int_equal(c.ncpe, 2);
    assert_string_equal(c.cpe[0], "cpe:/o:alpha:alphaos:1");
    assert_string_equal(c.cpe[1], "cpe:/o:alpha:alphaos:1.0");
    c = os_db_class(db, 0, 1);
    assert_null(c.gen);
    assert_int_equal(c.ncpe, 0);
    assert_null(os_db_class(db, 1, 0).gen);
    assert_int_equal(os_db_points(db, OS_SEQ, 3), 100);
    assert_int_equal(os_db_points(db, OS_IE, 4), 100);
    os_db_free(db);
}

static void test_reader_errors(void **state)
{
    (void)state;
    /* POINTS has 16 lines; the body starts at line 17. */
    expect_error("Fingerprint X\nT9(R=Y)\n", "t.db:18: unknown test \"T9\"");
    expect_error("Fingerprint X\nT1(R=Y%XX=1)\n", "t.db:18: T1 has no attribute \"XX\"");
    expect_error("Fingerprint X\nT1(R=Y%DF=N\n", "t.db:18: test T1 has no closing ')'");
    expect_error("Fingerprint X\nT1(R=Y%DF=N%DF=Y)\n", "t.db:18: T1.DF given twice");
    expect_error("Fingerprint X\nT1(R=N)\nT1(R=N)\n", "t.db:19: test T1 given twice");
    expect_error("Fingerprint X\nCPE cpe:/o:x\n", "t.db:18: CPE line without a preceding Class");
    expect_error("Fingerprint X\nClass a | b | c\n", "t.db:18: Class needs four fields");
    expect_error("Fingerprint \n", "t.db:17: Fingerprint without a name");
    expect_error("Fingerprint X\nhello\n", "t.db:18: expected a test line");
    expect_error("garbage\n", "t.db:17: line outside a Fingerprint");
    expect_error("MatchPoints\n", "t.db:17: second MatchPoints");

    char err[256];
    struct os_db *db = NULL;
    const char *np = "Fingerprint X\nT1(R=N)\n";
    assert_int_equal(os_db_load_buf("n.db", np, strlen(np), &db, err, sizeof err), -1);
    assert_non_null(strstr(err, "n.db:1: Fingerprint before the MatchPoints block"));
    const char *bp = "MatchPoints\nT1(R=0)\n";
    assert_int_equal(os_db_load_buf("b.db", bp, strlen(bp), &db, err, sizeof err), -1);
    assert_non_null(strstr(err, "b.db:2: MatchPoints: T1.R: points must be a positive number"));
    assert_int_equal(os_db_load("/nonexistent/nmap-os-db", &db, err, sizeof err), -1);
    assert_non_null(strstr(err, "nmap-common"));
}

/* ---- scoring -------------------------------------------------------------- */

static void obs_from(struct os_obs *o, const char *text)
{
    char err[256] = "";
    int rc = os_obs_parse(text, strlen(text), o, err, sizeof err);
    if (rc)
        fprintf(stderr, "obs: %s\n", err);
    assert_int_equal(rc, 0);
}

static void test_score_points(void **state)
{
    (void)state;
    struct os_db *db = load(TWO);
    struct os_obs o;
    /* Only attributes both prints have count: IE's four given values. */
    obs_from(&o, "IE(R=Y%DFI=N%T=40%TG=40%CD=S)\n");
    assert_true(os_db_compare(db, 0, &o) == 1.0);
    /* T out of range: 15 of 50+40+15+15+100 points lost. */
    obs_from(&o, "IE(R=Y%DFI=N%T=46%TG=40%CD=S)\n");
    assert_true(fabs(os_db_compare(db, 0, &o) - 205.0 / 220.0) < 1e-12);
    /* Beta has no IE line: nothing comparable, accuracy 0. */
    assert_true(os_db_compare(db, 1, &o) == 0.0);
    /* R=N observed against a print that answered: only R is compared. */
    obs_from(&o, "T1(R=N)\n");
    assert_true(os_db_compare(db, 1, &o) == 0.0);
    /* The reference's R=N against an answer: R compared, 80 points. */
    obs_from(&o, "T2(R=Y%DF=Y%T=40%TG=40%W=0%S=Z%A=S%F=AR%O=%RD=0%Q=)\n");
    assert_true(os_db_compare(db, 0, &o) == 0.0);
    obs_from(&o, "T2(R=N)\n");
    assert_true(os_db_compare(db, 0, &o) == 1.0);
    os_db_free(db);

    /* A reference line that does not write R never scores R (nmap 7.93):
     * an unanswered U1 or IE costs nothing against U1(DF=N%...). */
    db = load("Fingerprint Gamma\nIE(DFI=N%T=3B-45%TG=40%CD=S)\nT2(R=N)\n");
    obs_from(&o, "IE(R=N)\nT2(R=N)\n");
    assert_true(os_db_compare(db, 0, &o) == 1.0);
    obs_from(&o, "IE(R=Y%DFI=N%T=80%TG=40%CD=S)\n");
    assert_true(fabs(os_db_compare(db, 0, &o) - 155.0 / 170.0) < 1e-12);
    os_db_free(db);
}

static void test_obs_parse_wrapped(void **state)
{
    (void)state;
    /* nmap's wrapped submission form cuts tests across lines. */
    const char *fp =
        "OS:SCAN(V=7.93%E=4%D=12/6%OT=22%CT=1%CU=30000%PV=Y%DS=1%DC=D%G=Y%TM=1%P=x86\n"
        "OS:_64-pc-linux-gnu)SEQ(SP=104%GCD=1%ISR=10A%TI=Z%CI=Z%II=I%TS=A)OPS(O1=M5B4\n"
        "OS:ST11NW7%O2=M5B4ST11NW7)T2(R=N)U1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%R\n"
        "OS:IPCK=G%RUCK=G%RUD=G)IE(R=Y%DFI=N%T=40%CD=S)\n";
    struct os_obs o;
    obs_from(&o, fp);
    assert_string_equal(os_obs_get(&o, OS_SEQ, 0), "104");
    assert_string_equal(os_obs_get(&o, OS_SEQ, 7), "A");
    assert_null(os_obs_get(&o, OS_SEQ, 6)); /* SS absent */
    assert_string_equal(os_obs_get(&o, OS_OPS, 0), "M5B4ST11NW7");
    assert_string_equal(os_obs_get(&o, OS_T2, 0), "N");
    assert_null(os_obs_get(&o, OS_T2, 1));
    assert_string_equal(os_obs_get(&o, OS_U1, 8), "G");
    assert_string_equal(os_obs_get(&o, OS_U1, 0), "Y");
    assert_true(o.present >> OS_IE & 1);
    assert_false(o.present >> OS_T1 & 1);

    char buf[1024];
    os_obs_format(&o, buf, sizeof buf);
    assert_string_equal(buf, "SEQ(SP=104%GCD=1%ISR=10A%TI=Z%CI=Z%II=I%TS=A)\n"
                             "OPS(O1=M5B4ST11NW7%O2=M5B4ST11NW7)\n"
                             "T2(R=N)\n"
                             "U1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)\n"
                             "IE(R=Y%DFI=N%T=40%CD=S)\n");
    char err[128];
    assert_int_equal(os_obs_parse("T1(R=Y", 6, &o, err, sizeof err), -1);
    assert_int_equal(os_obs_parse("XX(R=Y)", 7, &o, err, sizeof err), -1);
}

/* ---- the match list --------------------------------------------------------- */

/* A database of n prints "P<i>" (names from fmt) with IE lines whose T is
 * the value given, so the accuracy against IE(R=Y%DFI=N%T=40%TG=40%CD=S)
 * is 1.0 when T matches 40 and 205/220 when not. */
static struct os_db *ie_db(size_t n, const char *const *names, const char *const *tvals)
{
    static char body[1 << 15];
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += (size_t)snprintf(body + w, sizeof body - w,
                              "Fingerprint %s\nClass V | F | G | general purpose\n"
                              "IE(R=Y%%DFI=N%%T=%s%%TG=40%%CD=S)\n\n",
                              names[i], tvals[i]);
    return load(body);
}

static void test_match_rules(void **state)
{
    (void)state;
    struct os_obs o;
    obs_from(&o, "IE(R=Y%DFI=N%T=40%TG=40%CD=S)");
    const char *names[] = {"A", "B", "A", "C", "D"};
    const char *tvals[] = {"41", "40", "40", "3F-45", "99"};
    struct os_db *db = ie_db(5, names, tvals);
    struct os_matches m;
    assert_int_equal(os_db_match(db, &o, OS_GUESS_FLOOR, &m), 0);
    assert_int_equal(m.outcome, OS_SUCCESS);
    /* B (1.0), A's better print (1.0, replaces its 0.93 entry), C (1.0);
     * D (0.93) after them. Equal accuracies keep file order. */
    assert_int_equal(m.n, 4);
    assert_int_equal(m.nperfect, 3);
    assert_int_equal(m.print[0], 1);
    assert_int_equal(m.print[1], 2);
    assert_int_equal(m.print[2], 3);
    assert_int_equal(m.print[3], 4);
    assert_true(fabs(m.acc[3] - 205.0 / 220.0) < 1e-12);
    /* Above the floor nothing enters. */
    assert_int_equal(os_db_match(db, &o, 0.95, &m), 0);
    assert_int_equal(m.n, 3);
    os_db_free(db);

    /* Nothing at all. */
    obs_from(&o, "IE(R=N)");
    const char *n1[] = {"A"}, *t1[] = {"40"};
    db = ie_db(1, n1, t1);
    assert_int_equal(os_db_match(db, &o, OS_GUESS_FLOOR, &m), 0);
    assert_int_equal(m.outcome, OS_NOMATCHES);
    assert_int_equal(m.n, 0);
    os_db_free(db);
}

/* --os-passive's rule (os_db_match_whole): a print that says nothing of a
 * line the observation has, or that it got no reply (OPS(R=N)), is not a
 * candidate; os_db_match scores it on the lines it shares. */
static void test_match_whole(void **state)
{
    (void)state;
    struct os_db *db = load("Fingerprint NoSeq\n"
                            "Class X | X | | router\n"
                            "OPS(R=N)\n"
                            "WIN(R=N)\n"
                            "T1(R=Y%DF=Y%TG=40%S=O%A=S+%F=AS%RD=0%Q=)\n"
                            "\n"
                            "Fingerprint Whole\n"
                            "Class Y | Y | | general purpose\n"
                            "OPS(O1=M5B4ST11NWA%O2=M5B4)\n"
                            "WIN(W1=FE88%W2=FE88)\n"
                            "T1(R=Y%DF=Y%TG=40%S=O%A=S+%F=AS%RD=0%Q=)\n"
                            "\n"
                            "Fingerprint OtherWin\n"
                            "Class Z | Z | | general purpose\n"
                            "OPS(O1=M5B4ST11NWA)\n"
                            "WIN(W1=FFFF)\n"
                            "T1(R=Y%DF=Y%TG=40%S=O%A=S+%F=AS%RD=0%Q=)\n");
    struct os_obs o;
    obs_from(&o, "OPS(O1=M5B4ST11NWA)\nWIN(W1=FE88)\nT1(R=Y%DF=Y%TG=40%S=O%A=S+%F=AS%RD=0%Q=)");
    struct os_matches m;
    assert_int_equal(os_db_match(db, &o, OS_GUESS_FLOOR, &m), 0);
    assert_int_equal(m.nperfect, 2); /* NoSeq on T1 alone, and Whole */
    assert_int_equal(os_db_match_whole(db, &o, OS_GUESS_FLOOR, &m), 0);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.nperfect, 1);
    assert_int_equal(m.print[0], 1); /* Whole */
    assert_int_equal(m.print[1], 2); /* OtherWin: W1 wrong */
    assert_true(fabs(m.acc[1] - 265.0 / 280.0) < 1e-12);
    os_db_free(db);
}

static void test_match_too_many(void **state)
{
    (void)state;
    struct os_obs o;
    obs_from(&o, "IE(R=Y%DFI=N%T=40%TG=40%CD=S)");
    static char namebuf[40][8];
    const char *names[40], *tvals[40];
    for (int i = 0; i < 40; i++) {
        snprintf(namebuf[i], sizeof namebuf[i], "N%d", i);
        names[i] = namebuf[i];
        tvals[i] = i < 3 ? "41" : "40";
    }
    struct os_matches m;
    /* 36 perfect prints fill the list exactly. */
    struct os_db *db = ie_db(39, names, tvals);
    assert_int_equal(os_db_match(db, &o, OS_GUESS_FLOOR, &m), 0);
    assert_int_equal(m.outcome, OS_SUCCESS);
    assert_int_equal(m.nperfect, 36);
    assert_int_equal(m.n, 36);
    os_db_free(db);
    /* The 37th perfect one overflows. */
    db = ie_db(40, names, tvals);
    assert_int_equal(os_db_match(db, &o, OS_GUESS_FLOOR, &m), 0);
    assert_int_equal(m.outcome, OS_TOOMANYMATCHES);
    os_db_free(db);
}

/* ---- the real file ---------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_real_db(void **state)
{
    (void)state;
    FILE *f = fopen(REAL_DB, "r");
    if (!f) {
        skip();
        return;
    }
    char line[4096];
    size_t want = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Fingerprint ", 12) == 0)
            want++;
    fclose(f);

    struct os_db *db = NULL;
    char err[256] = "";
    double t0 = now_ms();
    int rc = os_db_load(REAL_DB, &db, err, sizeof err);
    double t1 = now_ms();
    if (rc)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(os_db_count(db), want);
    assert_true(want > 5000);

    /* A Linux fingerprint as nmap 7.93 prints it for a 6.x kernel. */
    struct os_obs o;
    obs_from(&o, "SEQ(SP=104%GCD=1%ISR=10A%TI=Z%CI=Z%II=I%TS=A)\n"
                 "OPS(O1=MFFD7ST11NW7%O2=MFFD7ST11NW7%O3=MFFD7NNT11NW7%O4=MFFD7ST11NW7%"
                 "O5=MFFD7ST11NW7%O6=MFFD7ST11)\n"
                 "WIN(W1=FFCB%W2=FFCB%W3=FFCB%W4=FFCB%W5=FFCB%W6=FFCB)\n"
                 "ECN(R=Y%DF=Y%T=40%W=FFD7%O=MFFD7NNSNW7%CC=Y%Q=)\n"
                 "T1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=)\n"
                 "T2(R=N)\nT3(R=N)\n"
                 "T4(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)\n"
                 "T5(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)\n"
                 "T6(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)\n"
                 "T7(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)\n"
                 "U1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)\n"
                 "IE(R=Y%DFI=N%T=40%CD=S)\n");
    struct os_matches m;
    double best = 1e9;
    for (int i = 0; i < 5; i++) {
        double a = now_ms();
        assert_int_equal(os_db_match(db, &o, OS_GUESS_FLOOR, &m), 0);
        double b = now_ms() - a;
        if (b < best)
            best = b;
    }
    printf("nmap-os-db: %zu prints, %zu distinct expressions, loaded in %.1f ms, "
           "one fingerprint scored against all in %.2f ms (best of 5)\n",
           os_db_count(db), os_db_distinct_exprs(db), t1 - t0, best);
    assert_int_equal(m.outcome, OS_SUCCESS);
    assert_true(m.n > 0);
    assert_non_null(strstr(os_db_name(db, m.print[0]), "Linux"));
    /* Every compare agrees with the batch scorer. */
    for (size_t i = 0; i < m.n; i++)
        assert_true(os_db_compare(db, m.print[i], &o) == m.acc[i]);
    os_db_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_plain),        cmocka_unit_test(test_expr_alternatives),
        cmocka_unit_test(test_expr_ranges),       cmocka_unit_test(test_expr_compare),
        cmocka_unit_test(test_expr_empty),        cmocka_unit_test(test_reader_fields),
        cmocka_unit_test(test_reader_errors),     cmocka_unit_test(test_score_points),
        cmocka_unit_test(test_obs_parse_wrapped), cmocka_unit_test(test_match_rules),
        cmocka_unit_test(test_match_too_many),    cmocka_unit_test(test_match_whole),
        cmocka_unit_test(test_real_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
