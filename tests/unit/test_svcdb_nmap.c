/*
 * nmap is the oracle for svc_match: 21 loopback listeners each speak a
 * banner (SSH, FTP, SMTP, IMAP, VNC, rsync, MPD servers), one nmap -sV run
 * names them all, and svc_match on the same bytes against the NULL probe
 * must give the same service, product, version, extra info, host name, OS
 * type, device type and CPEs (nmap's XML). The banners exercise $1-$9,
 * $SUBST, CPE escaping and lowercasing, several CPE parts and leading
 * blanks kept in a field. Only 127.0.0.1 is scanned; ~2 s.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/svcdb.h"

#include <arpa/inet.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct listener {
    int fd;
    uint16_t port;
    bool close_at_once; /* speak, then close: nmap moves to its next probe at once */
    const char *banner;
    size_t len;
    volatile int stop;
    pthread_t th;
};

static void *serve_one(void *arg)
{
    int *pc = arg;
    int c = *pc;
    free(pc);
    char buf[512];
    struct pollfd p = {.fd = c, .events = POLLIN};
    /* keep the connection until nmap closes it, at most 3 s */
    while (poll(&p, 1, 3000) > 0 && recv(c, buf, sizeof buf, 0) > 0)
        ;
    close(c);
    return NULL;
}

static void *serve(void *arg)
{
    struct listener *L = arg;
    while (!L->stop) {
        struct pollfd p = {.fd = L->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept(L->fd, NULL, NULL);
        if (c < 0)
            continue;
        (void)!send(c, L->banner, L->len, MSG_NOSIGNAL);
        if (L->close_at_once) {
            close(c);
            continue;
        }
        int *pc = malloc(sizeof *pc);
        pthread_t t;
        if (!pc) {
            close(c);
            continue;
        }
        *pc = c;
        if (pthread_create(&t, NULL, serve_one, pc) == 0)
            pthread_detach(t);
        else {
            free(pc);
            close(c);
        }
    }
    return NULL;
}

/* Listen on 127.0.0.1:port (0: any free port); false if port is taken. */
static bool listener_start_on(struct listener *L, uint16_t port, const char *banner, size_t len,
                              bool close_at_once)
{
    memset(L, 0, sizeof *L);
    L->banner = banner;
    L->len = len;
    L->close_at_once = close_at_once;
    L->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(L->fd >= 0);
    int one = 1;
    setsockopt(L->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(L->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(L->fd);
        return false;
    }
    assert_int_equal(listen(L->fd, 64), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(L->fd, (struct sockaddr *)&a, &al), 0);
    L->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&L->th, NULL, serve, L), 0);
    return true;
}

static void listener_start(struct listener *L, const char *banner, size_t len)
{
    assert_true(listener_start_on(L, 0, banner, len, false));
}

static void listener_stop(struct listener *L)
{
    L->stop = 1;
    pthread_join(L->th, NULL);
    close(L->fd);
}

/* "name=..|product=..|..." from nmap's <service> of port in its XML, or
 * "(port not in nmap's output)". */
static void nmap_answer(xmlDocPtr doc, unsigned port, char *out, size_t outlen)
{
    xmlNodePtr svc = NULL;
    snprintf(out, outlen, "(port not in nmap's output)");
    for (xmlNodePtr h = xmlDocGetRootElement(doc)->children; h && !svc; h = h->next)
        for (xmlNodePtr ps = h->children; ps && !svc; ps = ps->next)
            for (xmlNodePtr p = ps->children; p && !svc; p = p->next) {
                if (p->type != XML_ELEMENT_NODE || strcmp((const char *)p->name, "port"))
                    continue;
                xmlChar *id = xmlGetProp(p, (const xmlChar *)"portid");
                bool this = id && (unsigned)atoi((const char *)id) == port;
                xmlFree(id);
                for (xmlNodePtr s = this ? p->children : NULL; s && !svc; s = s->next)
                    if (s->type == XML_ELEMENT_NODE && !strcmp((const char *)s->name, "service"))
                        svc = s;
            }
    if (!svc)
        return;
    static const char *const keys[] = {"name",     "product", "version",   "extrainfo",
                                       "hostname", "ostype",  "devicetype"};
    size_t w = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        xmlChar *v = xmlGetProp(svc, (const xmlChar *)keys[i]);
        w += (size_t)snprintf(out + w, outlen - w, "%s=%s|", keys[i], v ? (const char *)v : "");
        xmlFree(v);
    }
    for (xmlNodePtr c = svc->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "cpe")) {
            xmlChar *t = xmlNodeGetContent(c);
            w += (size_t)snprintf(out + w, outlen - w, "cpe=%s|", (const char *)t);
            xmlFree(t);
        }
}

static void ours(const struct svc_db *db, const char *b, size_t len, char *out, size_t outlen)
{
    const struct svc_probe *p = svc_db_next(db, SVC_TCP, 1, false, 7, NULL, NULL);
    assert_non_null(p);
    assert_true(svc_probe_is_null(p));
    struct svc_answer a;
    assert_int_equal(svc_match(db, p, (const uint8_t *)b, len, NULL, &a, NULL, NULL), 0);
    /* Banners are chosen to hard-match in the NULL probe, so that nmap
     * stops there too and the test stays fast. */
    if (!a.found || a.soft)
        fail_msg("no hard match for %.*s", (int)len, b);
    const char *v[] = {a.service,  a.product, a.version,   a.extrainfo,
                       a.hostname, a.ostype,  a.devicetype};
    static const char *const keys[] = {"name",     "product", "version",   "extrainfo",
                                       "hostname", "ostype",  "devicetype"};
    size_t w = 0;
    for (size_t i = 0; i < 7; i++)
        w += (size_t)snprintf(out + w, outlen - w, "%s=%s|", keys[i], v[i] ? v[i] : "");
    for (size_t i = 0; i < a.ncpe; i++)
        w += (size_t)snprintf(out + w, outlen - w, "cpe=%s|", a.cpe[i]);
    svc_answer_clear(&a);
}

static void test_banners_as_nmap(void **state)
{
    (void)state;
    static const char *const banners[] = {
        "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
        "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3\r\n",
        "SSH-2.0-OpenSSH_7.4\r\n",
        "SSH-1.99-Cisco-1.25\r\n",
        "SSH-2.0-dropbear_2022.83\r\n",
        "SSH-2.0-libssh_0.9.6\r\n",
        "220 ftp.Example.com FTP server (SecureTransport 5.3.6-Foo) ready.\r\n",
        "220 IIS 10.0 FTP\r\n",
        "220 Microsoft FTP Service\r\n",
        "220 (vsFTPd 3.0.3)\r\n",
        "220 ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]\r\n",
        "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
        "220-You are user number 1 of 50 allowed.\r\n",
        "220 xc90 FTP server (Version 6.00LS) ready.\r\n",
        "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n",
        "220 mx.example.net ESMTP Exim 4.96 Sun, 06 Dec 2026 06:00:00 +0000\r\n",
        "220 mail.example.com ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; Sun, 6 Dec 2026 "
        "06:00:00 GMT\r\n",
        "220 localhost ESMTP OpenSMTPD\r\n",
        "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] "
        "Dovecot ready.\r\n",
        "RFB 003.008\n",
        "@RSYNCD: 31.0\n",
        "OK MPD 0.23.12\n",
    };
    enum { N = sizeof banners / sizeof banners[0] };
    struct svc_db *db = NULL;
    char err[512];
    if (svc_db_load_lazy(NULL, &db, NULL, NULL, NULL, err, sizeof err) != 0)
        fail_msg("%s", err);
    char xml[] = "/tmp/prtip-svcdb-nmap-XXXXXX";
    int xfd = mkstemp(xml);
    assert_true(xfd >= 0);
    close(xfd);
    /* One nmap run over one listener per banner, as nmap scans them all at
     * once. */
    static struct listener L[N];
    char ports[N * 7] = "";
    for (size_t i = 0; i < N; i++) {
        listener_start(&L[i], banners[i], strlen(banners[i]));
        snprintf(ports + strlen(ports), sizeof ports - strlen(ports), "%s%u", i ? "," : "",
                 L[i].port);
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "nmap -sV -Pn -n -p %s --max-retries 1 127.0.0.1 -oX %s >/dev/null 2>&1", ports, xml);
    int rc = system(cmd);
    for (size_t i = 0; i < N; i++)
        listener_stop(&L[i]);
    if (rc != 0)
        fail_msg("nmap failed (%d): is it installed? (scripts/install-deps.sh)", rc);
    xmlDocPtr doc = xmlReadFile(xml, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    assert_non_null(doc);
    int bad = 0;
    for (size_t i = 0; i < N; i++) {
        char want[1024], got[1024];
        nmap_answer(doc, L[i].port, want, sizeof want);
        ours(db, banners[i], strlen(banners[i]), got, sizeof got);
        if (strcmp(want, got) != 0) {
            print_error("banner %zu (%.40s):\n nmap  %s\n prtip %s\n", i, banners[i], want, got);
            bad++;
        }
    }
    xmlFreeDoc(doc);
    unlink(xml);
    svc_db_free(db);
    assert_int_equal(bad, 0);
}

/* Start nmap -sV --version-trace on port; its output is read by
 * nmap_probes, so that several runs overlap. */
static FILE *nmap_start(uint16_t port, int intensity)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "nmap -sV -Pn -n -p %u --version-intensity %d --version-trace 127.0.0.1 2>&1", port,
             intensity);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    return f;
}

/* The probes nmap sent, in order, from its "Service scan sending probe"
 * lines. */
static void nmap_probes(FILE *f, char *out, size_t outlen)
{
    char line[1024];
    size_t w = 0;
    out[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        const char *k = strstr(line, "Service scan sending probe ");
        char name[64];
        if (k && sscanf(k + 27, "%63s", name) == 1)
            w += (size_t)snprintf(out + w, outlen - w, "%s%s", w ? " " : "", name);
    }
    int rc = pclose(f);
    if (rc != 0)
        fail_msg("nmap failed (%d): is it installed? (scripts/install-deps.sh)", rc);
}

static void our_plan(const struct svc_db *db, uint16_t port, int intensity, const char *soft,
                     char *out, size_t outlen)
{
    const struct svc_probe *pl[256];
    size_t n = svc_db_plan(db, SVC_TCP, port, false, intensity, soft, pl, 256);
    size_t w = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && i < 256; i++)
        w += (size_t)snprintf(out + w, outlen - w, "%s%s", i ? " " : "", svc_probe_name(pl[i]));
}

/*
 * nmap is the oracle for svc_db_plan: a listener that speaks and closes at
 * once makes nmap go through its whole probe list in well under a second,
 * and --version-trace names each probe sent. Checked: an unlisted port at
 * intensities 2 and 7; a port that rare probes list, at intensity 0 (they
 * are sent whatever their rarity); and a softmatch from the NULL probe
 * ("SSH-2.0-Go" for ssh, "220 host ESMTP" for smtp), which narrows the rest
 * to probes with rules for that service, listed or not, whatever their
 * rarity (smtp's Hello has rarity 8), except at intensity 9. The nmap
 * runs overlap; each costs ~0.35 s of CPU, mostly nmap reading its files.
 */
static void test_plan_as_nmap(void **state)
{
    (void)state;
    struct svc_db *db = NULL;
    char err[512];
    if (svc_db_load_lazy(NULL, &db, NULL, NULL, NULL, err, sizeof err) != 0)
        fail_msg("%s", err);
    static const char junk[] = "zz\r\n", ssh[] = "SSH-2.0-Go\r\n",
                      smtp[] = "220 mx.example.com ESMTP\r\n";
    static const uint16_t listed[] = {1241, 3128, 1080, 5000}; /* listed by rarity 8-9 probes */
    struct {
        const char *banner;
        bool listed_port;
        int intensity;
        const char *soft;
    } cases[] = {
        {junk, false, 7, NULL},  {junk, false, 2, NULL},   {junk, true, 0, NULL},
        {ssh, false, 7, "ssh"},  {smtp, false, 7, "smtp"}, {smtp, false, 9, "smtp"},
        {smtp, true, 2, "smtp"},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    static struct listener L[N];
    FILE *run[N];
    for (size_t i = 0; i < N; i++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof listed / sizeof listed[0] && !ok; k++)
            ok = listener_start_on(&L[i], cases[i].listed_port ? listed[k] : 0, cases[i].banner,
                                   strlen(cases[i].banner), true);
        assert_true(ok);
        run[i] = nmap_start(L[i].port, cases[i].intensity);
    }
    int bad = 0;
    for (size_t i = 0; i < N; i++) {
        char want[4096], got[4096];
        nmap_probes(run[i], want, sizeof want);
        our_plan(db, L[i].port, cases[i].intensity, cases[i].soft, got, sizeof got);
        if (strcmp(want, got) != 0) {
            print_error("port %u intensity %d soft %s:\n nmap  %s\n prtip %s\n", L[i].port,
                        cases[i].intensity, cases[i].soft ? cases[i].soft : "-", want, got);
            bad++;
        }
    }
    for (size_t i = 0; i < N; i++)
        listener_stop(&L[i]);
    svc_db_free(db);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_banners_as_nmap),
        cmocka_unit_test(test_plan_as_nmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
