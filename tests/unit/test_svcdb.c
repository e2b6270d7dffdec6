/*
 * Unit tests for detect/svcdb: the nmap-service-probes parser on small
 * hand-written files (every directive, escapes, delimiters, flags, malformed
 * lines), template expansion, nmap's probe order and match order, and the
 * real Debian file loaded whole (counts checked against the file itself).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/svcdb.h"
#include "detect/svcdb_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REAL_PROBES "/usr/share/nmap/nmap-service-probes"

struct warns {
    int n;
    char last[512];
};

static void on_warn(void *ctx, const char *msg)
{
    struct warns *w = ctx;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

static struct svc_db *load(const char *text, struct svc_db_stats *st, struct warns *w)
{
    struct svc_db *db = NULL;
    char err[512];
    int rc = svc_db_load_buf("t.probes", text, strlen(text), &db, st, on_warn, w, err, sizeof err);
    if (rc != 0)
        fail_msg("load failed: %s", err);
    return db;
}

/* Load must fail with "t.probes:LINE: ..." containing want. */
static void load_fails(const char *text, unsigned line, const char *want)
{
    struct svc_db *db = (struct svc_db *)1;
    struct svc_db_stats st;
    char err[512], prefix[64];
    if (svc_db_load_buf("t.probes", text, strlen(text), &db, &st, NULL, NULL, err, sizeof err) !=
        -1)
        fail_msg("loaded, should not have: %s", text);
    assert_null(db);
    snprintf(prefix, sizeof prefix, "t.probes:%u: ", line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err, prefix, want);
    assert_null(strchr(err, '\n'));
}

static const struct svc_probe *find_probe(const struct svc_db *db, enum svc_proto proto,
                                          const char *name)
{
    const struct svc_probe *pl[64];
    size_t n = svc_db_plan(db, proto, 1, false, 9, NULL, pl, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (strcmp(svc_probe_name(pl[i]), name) == 0)
            return pl[i];
    return NULL;
}

/* ---- parser ------------------------------------------------------------- */

static const char *const every_directive =
    "# comment\n"
    "\n"
    "Exclude 5,T:9100-9102,U:30000\n"
    "Probe TCP NULL q||\n"
    "totalwaitms 6000\n"
    "tcpwrappedms 3000\n"
    "match ssh m|^SSH-([\\d.]+)-OpenSSH_([\\w.]+)\\r?\\n| p/OpenSSH/ v/$2/ i/protocol $1/ "
    "cpe:/a:openbsd:openssh:$2/a\n"
    "match ftp m=^220 (\\S+) FTP=i p%Some FTP% h|$1| o/Unix/ d/storage-misc/ cpe:|o:acme:os|\n"
    "softmatch ftp m/^220[ -]/\n"
    "\r\n"
    "Probe TCP Esc q/\\0\\a\\b\\f\\n\\r\\t\\v\\\\\\x41\\xfF\\|z/ no-payload\n"
    "rarity 3\n"
    "ports 80,8000-8002, 8080\n"
    "sslports 443\n"
    "fallback GetUDP\n"
    "match http m|^HTTP/1\\.[01] (\\d+).end|s p/web/\n"
    "Probe UDP GetUDP q|\\x01|\n"
    "rarity 8\n"
    "match dns m|^\\x01|\n";

static void test_parse_every_directive(void **state)
{
    (void)state;
    struct svc_db_stats st;
    struct warns w = {0};
    struct svc_db *db = load(every_directive, &st, &w);
    assert_int_equal(st.probes, 3);
    assert_int_equal(st.matches, 4);
    assert_int_equal(st.softmatches, 1);
    assert_int_equal(st.failed, 0);
    assert_int_equal(w.n, 0);

    const struct svc_probe *nul = find_probe(db, SVC_TCP, "NULL");
    assert_non_null(nul);
    assert_true(svc_probe_is_null(nul));
    size_t len = 99;
    svc_probe_payload(nul, &len);
    assert_int_equal(len, 0);
    assert_int_equal(svc_probe_totalwaitms(nul), 6000);
    assert_int_equal(svc_probe_tcpwrappedms(nul), 3000);
    assert_int_equal(svc_probe_rarity(nul), 5); /* nmap's default */
    assert_int_equal(svc_probe_line(nul), 4);

    const struct svc_probe *esc = find_probe(db, SVC_TCP, "Esc");
    assert_non_null(esc);
    const uint8_t *pl = svc_probe_payload(esc, &len);
    static const uint8_t want[] = {0,    '\a', '\b', '\f', '\n', '\r', '\t',
                                   '\v', '\\', 'A',  0xff, '|',  'z'};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(pl, want, sizeof want);
    assert_true(svc_probe_no_payload(esc));
    assert_int_equal(svc_probe_rarity(esc), 3);
    assert_int_equal(svc_probe_totalwaitms(esc), 0);
    assert_true(svc_probe_lists_port(esc, 80, false));
    assert_true(svc_probe_lists_port(esc, 8001, false));
    assert_true(svc_probe_lists_port(esc, 8080, false));
    assert_false(svc_probe_lists_port(esc, 8003, false));
    assert_false(svc_probe_lists_port(esc, 443, false));
    assert_true(svc_probe_lists_port(esc, 443, true));
    assert_false(svc_probe_lists_port(esc, 80, true));
    assert_true(svc_probe_can_match(esc, "http"));
    assert_false(svc_probe_can_match(esc, "dns"));

    const struct svc_probe *udp = find_probe(db, SVC_UDP, "GetUDP");
    assert_non_null(udp);
    assert_int_equal(svc_probe_proto(udp), SVC_UDP);

    assert_true(svc_db_excluded(db, SVC_TCP, 9101));
    assert_false(svc_db_excluded(db, SVC_UDP, 9101));
    assert_true(svc_db_excluded(db, SVC_UDP, 30000));
    assert_true(svc_db_excluded(db, SVC_TCP, 5)); /* no prefix: both */
    assert_true(svc_db_excluded(db, SVC_UDP, 5));
    assert_false(svc_db_excluded(db, SVC_TCP, 80));

    /* Delimiters and flags: m=...=i is caseless, h|..| and p%..% read. */
    struct svc_answer a;
    const char *ftp = "220 files.example ftp server ready\r\n";
    assert_int_equal(svc_match(db, nul, (const uint8_t *)ftp, strlen(ftp), NULL, &a, NULL, NULL),
                     0);
    assert_true(a.found);
    assert_false(a.soft);
    assert_string_equal(a.service, "ftp");
    assert_string_equal(a.product, "Some FTP");
    assert_string_equal(a.hostname, "files.example");
    assert_string_equal(a.ostype, "Unix");
    assert_string_equal(a.devicetype, "storage-misc");
    assert_int_equal(a.ncpe, 1);
    assert_string_equal(a.cpe[0], "cpe:/o:acme:os");
    assert_int_equal(a.line, 8);
    svc_answer_clear(&a);

    /* s flag: '.' crosses newlines. */
    const char *http = "HTTP/1.1 404\nend";
    assert_int_equal(svc_match(db, esc, (const uint8_t *)http, strlen(http), NULL, &a, NULL, NULL),
                     0);
    assert_true(a.found);
    assert_string_equal(a.service, "http");
    assert_ptr_equal(a.probe, esc);
    svc_answer_clear(&a);
    svc_db_free(db);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    load_fails("Probe TCP NULL q||\nfoo bar\n", 2, "unknown directive");
    load_fails("Probe SCTP X q|a|\n", 1, "TCP or UDP");
    load_fails("Probe TCP X q|abc\n", 1, "no closing");
    load_fails("Probe TCP X q|a\\q|\n", 1, "bad escape");
    load_fails("Probe TCP X q|a\\x4|\n", 1, "bad escape");
    load_fails("Probe TCP X a|a|\n", 1, "q|...|");
    load_fails("Probe TCP X\n", 1, "nothing after");
    load_fails("Probe TCP NULL q||\nProbe TCP N2 q||\n", 2, "second probe with an empty");
    load_fails("Probe UDP N q||\n", 1, "empty probe string on UDP");
    load_fails("match x m/a/\n", 1, "before any Probe");
    load_fails("ports 80\n", 1, "before any Probe");
    load_fails("Probe TCP X q|a|\nrarity 10\n", 2, "rarity");
    load_fails("Probe TCP X q|a|\nrarity x\n", 2, "rarity");
    load_fails("Probe TCP X q|a|\ntotalwaitms 50\n", 2, "totalwaitms");
    load_fails("Probe TCP X q|a|\ntcpwrappedms 400000\n", 2, "tcpwrappedms");
    load_fails("Probe TCP X q|a|\nports 70000\n", 2, "0-65535");
    load_fails("Probe TCP X q|a|\nports 90-80\n", 2, "port range");
    load_fails("Probe TCP X q|a|\nports 80;90\n", 2, "port list");
    load_fails("Probe TCP X q|a|\nmatch x m/a/x\n", 2, "flag 'x'");
    load_fails("Probe TCP X q|a|\nmatch x m/a\n", 2, "no closing");
    load_fails("Probe TCP X q|a|\nmatch x r/a/\n", 2, "expected m/regex/");
    load_fails("Probe TCP X q|a|\nmatch x m/a/ z/b/\n", 2, "unknown field");
    load_fails("Probe TCP X q|a|\nmatch x m/a/ p/b\n", 2, "no closing");
    load_fails("Probe TCP X q|a|\nmatch x m/a/ p/b/c,\n", 2, "after its closing");
    load_fails("Probe TCP X q|a|\nmatch x\n", 2, "service name");
    load_fails("Probe TCP X q|a|\nfallback Nope\n", 2, "unknown fallback");
    load_fails("Probe TCP X q|a|\nExclude 80\n", 2, "before every Probe");
    load_fails("Exclude 80\nExclude 81\n", 2, "only one Exclude");
    load_fails("Exclude T:99999\n", 1, "Exclude");
    static const char nul_line[] = "Probe TCP X q|a|\nmatch x m/a\0/\n";
    struct svc_db *db = NULL;
    char err[256];
    assert_int_equal(svc_db_load_buf("t.probes", nul_line, sizeof nul_line - 1, &db, NULL, NULL,
                                     NULL, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "t.probes:2: NUL byte"));
}

static void test_regex_that_fails_is_counted(void **state)
{
    (void)state;
    struct svc_db_stats st;
    struct warns w = {0};
    struct svc_db *db = load(
        "Probe TCP NULL q||\nmatch ok m/^a/\nmatch bad m/^(a/ p/x/\nsoftmatch ok m/b/\n", &st, &w);
    assert_int_equal(st.matches, 1);
    assert_int_equal(st.softmatches, 1);
    assert_int_equal(st.failed, 1);
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.last, "t.probes:3: "));
    assert_non_null(strstr(w.last, "does not compile"));
    svc_db_free(db);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct svc_db *db = (struct svc_db *)1;
    char err[512];
    assert_int_equal(
        svc_db_load("/nonexistent/nmap-service-probes", &db, NULL, NULL, NULL, err, sizeof err),
        -1);
    assert_null(db);
    assert_non_null(strstr(err, "/nonexistent/nmap-service-probes"));
    assert_non_null(strstr(err, "nmap-common"));
}

/* ---- templates ------------------------------------------------------------ */

static int expand(const char *tmpl, const char *subj, const size_t *ov, size_t np, bool cpe,
                  char *out, size_t outlen)
{
    return svc_template_expand(tmpl, (const uint8_t *)subj, strlen(subj), ov, np, cpe, out, outlen);
}

static void test_template_expansion(void **state)
{
    (void)state;
    /* subject "xxABC def\x01\x02W\0O\0R\0K\0" with groups:
     * 1 = "ABC" (2..5), 2 = "def" (6..9), 3 = "\x01\x02" (9..11),
     * 4 = unset, 5 = "W\0O\0R\0K\0" (11..19) */
    static const uint8_t s[] = "xxABC def\x01\x02W\0O\0R\0K\0";
    size_t slen = sizeof s - 1;
    size_t ov[12] = {0, 19, 2, 5, 6, 9, 9, 11, SIZE_MAX, SIZE_MAX, 11, 19};
    char out[80];
#define EXP(t, c) svc_template_expand(t, s, slen, ov, 6, c, out, sizeof out)
    assert_int_equal(EXP("v$1 and $2", false), 0);
    assert_string_equal(out, "vABC and def");
    assert_int_equal(EXP("$P(5)", false), 0);
    assert_string_equal(out, "WORK");
    assert_int_equal(EXP("[$5]", false), 0); /* a substitution ends at its first NUL */
    assert_string_equal(out, "[W]");
    assert_int_equal(EXP("$SUBST(1,\"B\",\".\")", false), 0);
    assert_string_equal(out, "A.C");
    assert_int_equal(EXP("$SUBST(2, \"e\", \"\\x41\\x42\")", false), 0);
    assert_string_equal(out, "dABf");
    assert_int_equal(EXP("$I(3,\">\")", false), 0);
    assert_string_equal(out, "258");
    assert_int_equal(EXP("$I(3,\"<\")", false), 0);
    assert_string_equal(out, "513");
    assert_int_equal(EXP("$I(1, \">\")", false), 0);
    assert_string_equal(out, "4276803");
    /* nmap leaves the field empty for: unset or absent group, $0, bad
     * commands and arguments, an $I wider than 8 bytes. */
    assert_int_equal(EXP("a$4", false), -1);
    assert_string_equal(out, "");
    assert_int_equal(EXP("$6", false), -1);
    assert_int_equal(EXP("$0", false), -1);
    assert_int_equal(EXP("$X(1)", false), -1);
    assert_int_equal(EXP("$P()", false), -1);
    assert_int_equal(EXP("$P(1", false), -1);
    assert_int_equal(EXP("$P(\"1\")", false), -1);
    assert_int_equal(EXP("$SUBST(1,\"B\")", false), -1);
    assert_int_equal(EXP("$SUBST(1,\"\",\"x\")", false), -1);
    assert_int_equal(EXP("$I(1,\"x\")", false), -1);
    assert_int_equal(EXP("$I(1,\">>\")", false), -1);
    assert_int_equal(EXP("$I(5,\">\")", false), 0); /* 8 bytes is the limit */
    assert_int_equal(EXP("US$", false), -1);
    /* Trailing blanks and commas go; the rest stays. */
    assert_int_equal(EXP("$1, , ", false), 0);
    assert_string_equal(out, "ABC");
    assert_int_equal(EXP("plain text", false), 0);
    assert_string_equal(out, "plain text");
    /* CPE: substitutions escaped and lowercased, literal text kept. */
    size_t ov2[4] = {0, 14, 0, 14};
    assert_int_equal(expand("cpe:/a:Acme:$1", "My Srv:1.0/(x)", ov2, 2, true, out, sizeof out), 0);
    assert_string_equal(out, "cpe:/a:Acme:my_srv%3A1.0%2F%28x%29");
#undef EXP
    /* Size: a literal tail may fill all but the NUL; a substitution must
     * leave one more byte (nmap's dotmplsubst). */
    char small[6];
    size_t ov3[4] = {0, 3, 0, 3};
    assert_int_equal(expand("abcde", "xyz", ov3, 2, false, small, sizeof small), 0);
    assert_int_equal(expand("abcdef", "xyz", ov3, 2, false, small, sizeof small), -1);
    assert_int_equal(expand("ab$1", "xyz", ov3, 2, false, small, sizeof small), -1);
    assert_int_equal(expand("a$1", "xyz", ov3, 2, false, small, sizeof small), 0);
    assert_string_equal(small, "axyz");
    assert_int_equal(expand("a", "xyz", ov3, 2, false, small, 2), -1);
}

static void test_match_fills_fields(void **state)
{
    (void)state;
    struct svc_db_stats st;
    struct warns w = {0};
    struct svc_db *db = load(
        "Probe TCP NULL q||\n"
        "match ssh m|^SSH-([\\d.]+)-OpenSSH_([\\w._-]+)[ -]{1,2}Debian[ -_]([^\\r\\n]+)\\r?\\n| "
        "p/OpenSSH/ v/$2 Debian $SUBST(3,\"-\",\" \")/ i/protocol $1/ o/Linux/ "
        "cpe:/a:openbsd:openssh:$2/ cpe:/o:linux:linux_kernel/a\n"
        "match long m|^L(.*)| p/$1/\n"
        "match cpe m|^C(.*)| cpe:/a:x:$1/ cpe:/a:y:$1/ cpe:/h:z/ cpe:/q:bad/\n",
        &st, &w);
    const struct svc_probe *nul = find_probe(db, SVC_TCP, "NULL");
    struct svc_answer a;
    const char *b = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
    assert_int_equal(svc_match(db, nul, (const uint8_t *)b, strlen(b), NULL, &a, NULL, NULL), 0);
    assert_true(a.found);
    assert_string_equal(a.product, "OpenSSH");
    assert_string_equal(a.version, "9.2p1 Debian 2+deb12u3");
    assert_string_equal(a.extrainfo, "protocol 2.0");
    assert_string_equal(a.ostype, "Linux");
    assert_null(a.hostname);
    assert_null(a.devicetype);
    assert_int_equal(a.ncpe, 2);
    assert_string_equal(a.cpe[0], "cpe:/a:openbsd:openssh:9.2p1");
    assert_string_equal(a.cpe[1], "cpe:/o:linux:linux_kernel");
    svc_answer_clear(&a);

    /* A product longer than nmap's 80-byte buffer: field empty, match kept. */
    char longb[200];
    memset(longb, 'z', sizeof longb);
    longb[0] = 'L';
    assert_int_equal(svc_match(db, nul, (const uint8_t *)longb, sizeof longb, NULL, &a, NULL, NULL),
                     0);
    assert_true(a.found);
    assert_string_equal(a.service, "long");
    assert_null(a.product);
    svc_answer_clear(&a);

    /* One CPE per part: the later a-template wins; unknown part ignored. */
    assert_int_equal(svc_match(db, nul, (const uint8_t *)"CV", 2, NULL, &a, NULL, NULL), 0);
    assert_int_equal(a.ncpe, 2);
    assert_string_equal(a.cpe[0], "cpe:/a:y:v");
    assert_string_equal(a.cpe[1], "cpe:/h:z");
    svc_answer_clear(&a);
    svc_db_free(db);
}

/* ---- plan and match order ---------------------------------------------- */

static const char *const order_file = "Probe TCP NULL q||\n"
                                      "match banner m/^BANNER/\n"
                                      "softmatch smtp m/^220/\n"
                                      "match smtp m/^220 postfix/\n"
                                      "Probe TCP Rare q|r|\n"
                                      "rarity 9\n"
                                      "ports 25\n"
                                      "match smtp m/^250 rare/\n"
                                      "Probe TCP Common q|c|\n"
                                      "rarity 1\n"
                                      "match http m/^HTTP/\n"
                                      "softmatch http m/^HT/\n"
                                      "Probe TCP Mid q|m|\n"
                                      "rarity 6\n"
                                      "ports 25,80\n"
                                      "sslports 465\n"
                                      "fallback Common\n"
                                      "match smtp m/^250 mid/\n"
                                      "Probe TCP Rare2 q|r2|\n"
                                      "rarity 8\n"
                                      "match smtp m/^250 rare2/\n"
                                      "Probe UDP U1 q|u|\n"
                                      "rarity 1\n"
                                      "match dns m/^D/\n"
                                      "Probe UDP U2 q|v|\n"
                                      "fallback U1\n"
                                      "match snmp m/^S/\n";

static void plan_is(const struct svc_db *db, enum svc_proto proto, uint16_t port, bool ssl,
                    int intensity, const char *soft, const char *want)
{
    const struct svc_probe *pl[16];
    size_t n = svc_db_plan(db, proto, port, ssl, intensity, soft, pl, 16);
    char got[256] = "";
    for (size_t i = 0; i < n && i < 16; i++) {
        if (i)
            strcat(got, " ");
        strcat(got, svc_probe_name(pl[i]));
    }
    if (strcmp(got, want) != 0)
        fail_msg("plan %u/%s ssl=%d intensity=%d soft=%s: got \"%s\", want \"%s\"", port,
                 proto == SVC_TCP ? "tcp" : "udp", ssl, intensity, soft ? soft : "-", got, want);
}

static void test_plan_order(void **state)
{
    (void)state;
    struct svc_db_stats st;
    struct warns w = {0};
    struct svc_db *db = load(order_file, &st, &w);
    /* NULL first; port-listed probes next in file order whatever their
     * rarity; then the rest in file order with rarity <= intensity. */
    plan_is(db, SVC_TCP, 25, false, 7, NULL, "NULL Rare Mid Common");
    plan_is(db, SVC_TCP, 25, false, 9, NULL, "NULL Rare Mid Common Rare2");
    plan_is(db, SVC_TCP, 80, false, 7, NULL, "NULL Mid Common");
    plan_is(db, SVC_TCP, 80, false, 0, NULL, "NULL Mid");
    plan_is(db, SVC_TCP, 1234, false, 7, NULL, "NULL Common Mid");
    plan_is(db, SVC_TCP, 1234, false, 2, NULL, "NULL Common");
    /* Over TLS only sslports count as port-listed. */
    plan_is(db, SVC_TCP, 465, true, 2, NULL, "NULL Mid Common");
    plan_is(db, SVC_TCP, 25, true, 7, NULL, "NULL Common Mid");
    /* Softmatch smtp: only probes with smtp rules, rarity ignored in the
     * second phase; intensity 9 turns narrowing off. */
    plan_is(db, SVC_TCP, 1234, false, 2, "smtp", "NULL Rare Mid Rare2");
    plan_is(db, SVC_TCP, 80, false, 7, "http", "NULL Common");
    plan_is(db, SVC_TCP, 80, false, 9, "http", "NULL Mid Rare Common Rare2");
    /* UDP: no NULL probe. */
    plan_is(db, SVC_UDP, 53, false, 7, NULL, "U1 U2");
    plan_is(db, SVC_UDP, 53, false, 1, NULL, "U1");

    /* svc_db_next continues after a softmatch mid-way, as nmap's nextProbe. */
    const struct svc_probe *p = svc_db_next(db, SVC_TCP, 1234, false, 2, NULL, NULL);
    assert_string_equal(svc_probe_name(p), "NULL");
    p = svc_db_next(db, SVC_TCP, 1234, false, 2, NULL, p);
    assert_string_equal(svc_probe_name(p), "Common");
    p = svc_db_next(db, SVC_TCP, 1234, false, 2, "smtp", p);
    assert_string_equal(svc_probe_name(p), "Mid");
    p = svc_db_next(db, SVC_TCP, 1234, false, 2, "smtp", p);
    assert_string_equal(svc_probe_name(p), "Rare2");
    assert_null(svc_db_next(db, SVC_TCP, 1234, false, 2, "smtp", p));

    /* max smaller than the plan: full count returned, max written. */
    const struct svc_probe *two[2];
    assert_int_equal(svc_db_plan(db, SVC_TCP, 25, false, 9, NULL, two, 2), 5);
    svc_db_free(db);
}

static void match_is(const struct svc_db *db, const char *probe, enum svc_proto proto,
                     const char *reply, const char *soft, bool found, bool is_soft,
                     const char *service, const char *from)
{
    const struct svc_probe *p = find_probe(db, proto, probe);
    assert_non_null(p);
    struct svc_answer a;
    assert_int_equal(svc_match(db, p, (const uint8_t *)reply, strlen(reply), soft, &a, NULL, NULL),
                     0);
    if (a.found != found || (found && (a.soft != is_soft || strcmp(a.service, service) != 0 ||
                                       strcmp(svc_probe_name(a.probe), from) != 0)))
        fail_msg("probe %s reply \"%s\": found=%d soft=%d service=%s from=%s", probe, reply,
                 a.found, a.soft, a.service ? a.service : "-",
                 a.probe ? svc_probe_name(a.probe) : "-");
    svc_answer_clear(&a);
}

static void test_match_order(void **state)
{
    (void)state;
    struct svc_db_stats st;
    struct warns w = {0};
    struct svc_db *db = load(order_file, &st, &w);
    /* Own rules first, then the fallback's, then the NULL probe's. */
    match_is(db, "Mid", SVC_TCP, "250 mid", NULL, true, false, "smtp", "Mid");
    match_is(db, "Mid", SVC_TCP, "HTTP/1.0", NULL, true, false, "http", "Common");
    match_is(db, "Mid", SVC_TCP, "BANNER", NULL, true, false, "banner", "NULL");
    /* A probe without fallback line: itself, then NULL only. */
    match_is(db, "Rare", SVC_TCP, "HTTP/1.0", NULL, false, false, NULL, NULL);
    match_is(db, "Rare", SVC_TCP, "BANNER", NULL, true, false, "banner", "NULL");
    /* The first rule that matches decides: the softmatch on line 3 hides
     * the hard match on line 4 (nmap's testMatch returns the first). */
    match_is(db, "NULL", SVC_TCP, "220 postfix", NULL, true, true, "smtp", "NULL");
    match_is(db, "Common", SVC_TCP, "HTx", NULL, true, true, "http", "Common");
    /* After a softmatch a second softmatch is ignored, a hard one is not. */
    match_is(db, "NULL", SVC_TCP, "220 postfix", "smtp", false, false, NULL, NULL);
    match_is(db, "Mid", SVC_TCP, "HTTP/1.0", "smtp", true, false, "http", "Common");
    /* UDP: fallbacks but never the (TCP) NULL probe. */
    match_is(db, "U2", SVC_UDP, "D", NULL, true, false, "dns", "U1");
    match_is(db, "U2", SVC_UDP, "BANNER", NULL, false, false, NULL, NULL);
    /* Binary replies with NULs and a zero-length reply. */
    match_is(db, "Mid", SVC_TCP, "", NULL, false, false, NULL, NULL);
    const struct svc_probe *nul = find_probe(db, SVC_TCP, "NULL");
    struct svc_answer a;
    assert_int_equal(svc_match(db, nul, (const uint8_t *)"BANNER\0\xff", 8, NULL, &a, NULL, NULL),
                     0);
    assert_true(a.found);
    svc_answer_clear(&a);
    svc_db_free(db);
}

/* The prefilter must never hide a match: inline (?i) makes a first byte
 * caseless without PCRE2_CASELESS, classes and alternations start with
 * several bytes, and a reply shorter than the pattern cannot match. */
static void test_prefilter_keeps_matches(void **state)
{
    (void)state;
    struct svc_db_stats st;
    struct warns w = {0};
    struct svc_db *db = load("Probe TCP NULL q||\n"
                             "match a m/^(?i)ssh-x/\n"
                             "match b m/^(?:Q|r)z/\n"
                             "match c m/^[0-9]+ok/i\n"
                             "match d m/^(?i:t)UV/\n"
                             "match e m/long enough$/\n",
                             &st, &w);
    const struct svc_probe *nul = find_probe(db, SVC_TCP, "NULL");
    static const char *const replies[] = {"SSH-X", "ssh-x", "rz",  "Qz",
                                          "12OK",  "TUV",   "tUV", "this is long enough"};
    static const char *const want[] = {"a", "a", "b", "b", "c", "d", "d", "e"};
    for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
        struct svc_answer a;
        assert_int_equal(svc_match(db, nul, (const uint8_t *)replies[i], strlen(replies[i]), NULL,
                                   &a, NULL, NULL),
                         0);
        if (!a.found || strcmp(a.service, want[i]) != 0)
            fail_msg("reply \"%s\": want %s, got %s", replies[i], want[i],
                     a.found ? a.service : "no match");
        svc_answer_clear(&a);
    }
    struct svc_answer a;
    assert_int_equal(svc_match(db, nul, (const uint8_t *)"tuv", 3, NULL, &a, NULL, NULL), 0);
    assert_false(a.found);
    assert_int_equal(svc_match(db, nul, (const uint8_t *)"enough", 6, NULL, &a, NULL, NULL), 0);
    assert_false(a.found);
    svc_db_free(db);
}

/* The prefilter's required literal: conservative on every construct. */
static void test_required_literal(void **state)
{
    (void)state;
    static const struct {
        const char *re, *want;
    } cases[] = {
        {"^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: Apache/([\\d.]+)", "\r\nServer: Apache/"},
        {"^SSH-([\\d.]+)-OpenSSH_([\\w._-]+)\\r?\\n", "-OpenSSH_"},
        {"ab?cd", "cd"},            /* an optional byte splits the run */
        {"a{0}bcd", "bcd"},         /* {0}: optional */
        {"xyz{2,3}de", "xyz"},      /* at least once: kept, run ends */
        {"^(?:a|b)hello", "hello"}, /* groups add nothing */
        {"^[]x]abcd\\x41\\x4", "abcdA\x04"},
        {"^\\0\\x01abc", ""},     /* NUL: checked below with its length */
        {"x{foo}", "x{foo}"},     /* not a quantifier: literal braces */
        {"^foo|bar", ""},         /* top-level alternation: nothing required */
        {"x(?i)abc", ""},         /* inline option changes what follows */
        {"(?i:abc)defg", "defg"}, /* scoped option: the group is skipped */
        {"\\012abc", ""},         /* octal escape: refused */
        {"ab\\Qcd", ""},          /* \\Q: refused */
        {"(a)\\1bcd", ""},        /* back reference: refused */
        {"(?#x(y)zzzz", ""},      /* comment: refused */
        {"(*UTF)abcd", ""},       /* verb: refused */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t out[SVC_LIT_MAX + 1];
        size_t n = svc_required_literal(cases[i].re, out);
        out[n] = '\0';
        if (i == 7) {
            assert_int_equal(n, 5);
            assert_memory_equal(out, "\0\001abc", 5);
            continue;
        }
        if (n != strlen(cases[i].want) || memcmp(out, cases[i].want, n) != 0)
            fail_msg("%s: got \"%s\" (%zu), want \"%s\"", cases[i].re, (char *)out, n,
                     cases[i].want);
    }
}

static void test_answer_merge(void **state)
{
    (void)state;
    struct svc_answer soft = {.found = true, .soft = true};
    soft.service = strdup("ssh");
    soft.extrainfo = strdup("protocol 2.0");
    soft.cpe = calloc(1, sizeof *soft.cpe);
    soft.cpe[0] = strdup("cpe:/o:linux:linux_kernel");
    soft.ncpe = 1;
    struct svc_answer hard = {.found = true, .line = 7};
    hard.service = strdup("ssh");
    hard.product = strdup("OpenSSH");
    hard.cpe = calloc(1, sizeof *hard.cpe);
    hard.cpe[0] = strdup("cpe:/a:openbsd:openssh");
    hard.ncpe = 1;
    struct svc_answer port = {0};
    assert_int_equal(svc_answer_merge(&port, &soft), 0);
    assert_int_equal(svc_answer_merge(&port, &hard), 0);
    assert_true(port.found);
    assert_false(port.soft);
    assert_int_equal(port.line, 7);
    assert_string_equal(port.product, "OpenSSH");
    assert_string_equal(port.extrainfo, "protocol 2.0"); /* kept from the softmatch */
    assert_int_equal(port.ncpe, 2);
    assert_string_equal(port.cpe[0], "cpe:/a:openbsd:openssh");
    assert_string_equal(port.cpe[1], "cpe:/o:linux:linux_kernel");
    svc_answer_clear(&port);
    svc_answer_clear(&soft);
    svc_answer_clear(&hard);
}

/* ---- the real file ------------------------------------------------------ */

struct share {
    const struct svc_db *db;
    const struct svc_probe *probe;
    int bad;
};

static void *match_many(void *arg)
{
    struct share *sh = arg;
    const char *b = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
    for (int i = 0; i < 200; i++) {
        struct svc_answer a;
        if (svc_match(sh->db, sh->probe, (const uint8_t *)b, strlen(b), NULL, &a, NULL, NULL) !=
                0 ||
            !a.found || strcmp(a.version, "9.2p1 Debian 2+deb12u3") != 0)
            __atomic_add_fetch(&sh->bad, 1, __ATOMIC_RELAXED);
        svc_answer_clear(&a);
    }
    return NULL;
}

struct race {
    const struct svc_db *db;
    const struct svc_probe *p;
    struct svc_answer a;
    int rc;
};

static void *race_match(void *arg)
{
    struct race *r = arg;
    const char *b = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
    r->rc = svc_match(r->db, r->p, (const uint8_t *)b, strlen(b), NULL, &r->a, NULL, NULL);
    return NULL;
}

/* Match the OpenSSH banner against p from 4 threads at once; every one
 * must get the same answer. Returns the deciding rule's line. */
static unsigned race_ssh_banner(const struct svc_db *db, const struct svc_probe *p)
{
    enum { N = 4 };
    struct race r[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct race){.db = db, .p = p};
        assert_int_equal(pthread_create(&th[i], NULL, race_match, &r[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    unsigned line = r[0].a.line;
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].rc, 0);
        assert_true(r[i].a.found);
        assert_string_equal(r[i].a.product, "OpenSSH");
        assert_string_equal(r[i].a.version, "9.2p1 Debian 2+deb12u3");
        assert_int_equal(r[i].a.line, line);
        svc_answer_clear(&r[i].a);
    }
    return line;
}

/* Rules are JIT-compiled on first use, under the database's lock: threads
 * that reach the same rules at once all get the answer (and, with an ASan
 * or TSan build, no race), and the rule that matched is JIT code after. */
static void test_lazy_jit_threads(void **state)
{
    (void)state;
    struct svc_db *db = NULL;
    struct svc_db_stats st;
    struct warns w = {0};
    char err[512];
    if (svc_db_load(REAL_PROBES, &db, &st, on_warn, &w, err, sizeof err) != 0)
        fail_msg("%s", err);
    const struct svc_probe *nul = db->null_probe;
    assert_non_null(nul);
    size_t jitted = 0;
    for (size_t i = 0; i < nul->nrules; i++)
        jitted += atomic_load(&nul->rules[i].jit_done);
    assert_int_equal(jitted, 0); /* nothing is JIT-compiled by the load */
    unsigned line = race_ssh_banner(db, nul);
    const struct svc_rule *hit = NULL;
    for (size_t i = 0; i < nul->nrules; i++)
        if (nul->rules[i].line == line)
            hit = &nul->rules[i];
    assert_non_null(hit);
    assert_true(atomic_load(&hit->jit_done));
    size_t jitsize = 0;
    pcre2_pattern_info(hit->re, PCRE2_INFO_JITSIZE, &jitsize);
    if (st.jit)
        assert_true(jitsize > 0);
    svc_db_free(db);
}

/* A lazy load compiles nothing; the first svc_match on a probe compiles
 * its rules (from several threads at once here), and the answers are the
 * eager load's. */
static void test_lazy_compile_threads(void **state)
{
    (void)state;
    struct svc_db *db = NULL;
    struct svc_db_stats st;
    char err[512];
    if (svc_db_load_lazy(REAL_PROBES, &db, &st, NULL, NULL, err, sizeof err) != 0)
        fail_msg("%s", err);
    const struct svc_probe *nul = db->null_probe;
    assert_non_null(nul);
    assert_int_equal(atomic_load(&nul->compiled), 0);
    assert_null(nul->rules[0].re);
    assert_true(race_ssh_banner(db, nul) > 0);
    assert_true(atomic_load(&nul->compiled));
    for (size_t i = 0; i < nul->nrules; i++)
        assert_non_null(nul->rules[i].re);
    size_t compiled = 0;
    for (size_t i = 0; i < db->nprobes; i++)
        compiled += atomic_load(&db->probes[i].compiled);
    assert_int_equal(compiled, 1); /* only the probe used */
    svc_db_free(db);
}

/* Lazy load: a refused rule is reported when its probe is first used,
 * once, and skipped; the other rules answer as in the eager load. */
static void test_lazy_refused_warned_on_use(void **state)
{
    (void)state;
    static const char text[] =
        "Probe TCP NULL q||\nmatch ok m/^a/\nmatch bad m/^(a/ p/x/\nsoftmatch ok m/b/\n";
    struct svc_db *db = NULL;
    struct svc_db_stats st;
    struct warns w = {0};
    char err[512];
    assert_int_equal(svc_db_load_buf_lazy("t.probes", text, sizeof text - 1, &db, &st, on_warn, &w,
                                          err, sizeof err),
                     0);
    assert_int_equal(st.matches, 2); /* lines parsed: nothing compiled yet */
    assert_int_equal(st.softmatches, 1);
    assert_int_equal(st.failed, 0);
    assert_int_equal(w.n, 0);
    match_is(db, "NULL", SVC_TCP, "ab", NULL, true, false, "ok", "NULL");
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.last, "t.probes:3: "));
    assert_non_null(strstr(w.last, "does not compile"));
    match_is(db, "NULL", SVC_TCP, "xb", NULL, true, true, "ok", "NULL");
    match_is(db, "NULL", SVC_TCP, "xx", NULL, false, false, NULL, NULL);
    assert_int_equal(w.n, 1);
    svc_db_free(db);
}

static void test_real_file(void **state)
{
    (void)state;
    FILE *f = fopen(REAL_PROBES, "r");
    if (!f)
        fail_msg("%s missing: install Debian package nmap-common (scripts/install-deps.sh)",
                 REAL_PROBES);
    size_t probes = 0, matches = 0, soft = 0;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        probes += strncmp(line, "Probe ", 6) == 0;
        matches += strncmp(line, "match ", 6) == 0;
        soft += strncmp(line, "softmatch ", 10) == 0;
    }
    fclose(f);
    assert_true(probes > 100 && matches > 10000);

    struct svc_db *db = NULL;
    struct svc_db_stats st;
    struct warns w = {0};
    char err[512];
    int rc = svc_db_load(REAL_PROBES, &db, &st, on_warn, &w, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    if (st.failed)
        fail_msg("%zu rules failed to compile, last: %s", st.failed, w.last);
    assert_int_equal(st.probes, probes);
    assert_int_equal(st.matches, matches);
    assert_int_equal(st.softmatches, soft);
    assert_true(svc_db_excluded(db, SVC_TCP, 9100));
    assert_false(svc_db_excluded(db, SVC_UDP, 9100));

    /* A known answer from the NULL probe's rules: Debian 12's sshd. */
    const struct svc_probe *pl[200];
    size_t n = svc_db_plan(db, SVC_TCP, 22, false, 7, NULL, pl, 200);
    assert_true(n > 10);
    assert_true(svc_probe_is_null(pl[0]));
    struct svc_answer a;
    const char *b = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
    assert_int_equal(svc_match(db, pl[0], (const uint8_t *)b, strlen(b), NULL, &a, NULL, NULL), 0);
    assert_true(a.found);
    assert_false(a.soft);
    assert_string_equal(a.service, "ssh");
    assert_string_equal(a.product, "OpenSSH");
    assert_string_equal(a.version, "9.2p1 Debian 2+deb12u3");
    assert_string_equal(a.extrainfo, "protocol 2.0");
    assert_int_equal(a.ncpe, 2);
    assert_string_equal(a.cpe[0], "cpe:/a:openbsd:openssh:9.2p1");
    assert_string_equal(a.cpe[1], "cpe:/o:linux:linux_kernel");
    svc_answer_clear(&a);

    /* One loaded database, four threads matching at once (the header's
     * promise; ASan and the answers catch a shared scratch buffer). */
    struct share sh = {.db = db, .probe = pl[0]};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, match_many, &sh), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(sh.bad, 0);
    svc_db_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_every_directive),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_regex_that_fails_is_counted),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_template_expansion),
        cmocka_unit_test(test_match_fills_fields),
        cmocka_unit_test(test_plan_order),
        cmocka_unit_test(test_match_order),
        cmocka_unit_test(test_prefilter_keeps_matches),
        cmocka_unit_test(test_required_literal),
        cmocka_unit_test(test_answer_merge),
        cmocka_unit_test(test_real_file),
        cmocka_unit_test(test_lazy_jit_threads),
        cmocka_unit_test(test_lazy_compile_threads),
        cmocka_unit_test(test_lazy_refused_warned_on_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
