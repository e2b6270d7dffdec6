/*
 * Tests for the store (src/store): a scan carrying every kind of finding
 * goes through the writer into SQLite and comes back through the reader
 * rendering byte for byte as it did live (XML, JSON, normal, greppable,
 * NDJSON, CSV); the schema version guard; text parameters stored as data;
 * the address key's order and CIDR range.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "host_fixture.h"
#include "output/output.h"
#include "store/codec.h"
#include "store/db_cmd.h"
#include "store/import.h"
#include "store/reader.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

static void path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static char *slurp(const char *p)
{
    FILE *fp = fopen(p, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return s;
}

static const char *const formats[][2] = {{"-oX", "xml"},   {"-oJ", "json"},   {"-oN", "nmap"},
                                         {"-oG", "gnmap"}, {"-oD", "ndjson"}, {"-oC", "csv"}};
#define NFMT (sizeof(formats) / sizeof(formats[0]))

static void requests(struct output_request *reqs, char paths[][256], const char *prefix)
{
    for (size_t i = 0; i < NFMT; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.%s", prefix, formats[i][1]);
        path(paths[i], 256, name);
        reqs[i] =
            (struct output_request){.module = output_module_find(formats[i][0]), .path = paths[i]};
        assert_non_null(reqs[i].module);
    }
}

static void same_str(const char *a, const char *b)
{
    if (a || b) {
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
    }
}

/* Every field schema v2 added, in got (read back) equal to want (written). */
static void check_v2_fields(const struct host_result *got, const struct host_result *want)
{
    assert_true(got->have_mac);
    assert_memory_equal(got->mac, want->mac, 6);
    assert_int_equal(got->nports, want->nports);
    for (size_t i = 0; i < want->nports; i++) {
        const struct port_detail *a = got->ports[i].detail, *b = want->ports[i].detail;
        assert_int_equal(a != NULL, b != NULL);
        if (!b)
            continue;
        assert_int_equal(a->have_reason_ip, b->have_reason_ip);
        if (b->have_reason_ip)
            assert_true(ipaddr_equal(&a->reason_ip, &b->reason_ip));
        assert_int_equal(a->service != NULL, b->service != NULL);
        if (b->service) {
            same_str(a->service->probe, b->service->probe);
            assert_int_equal(a->service->line, b->service->line);
            assert_int_equal(a->service->soft, b->service->soft);
            same_str(a->service->differs, b->service->differs);
            same_str(a->service->fingerprint, b->service->fingerprint);
        }
        assert_int_equal(a->tls != NULL, b->tls != NULL);
        if (b->tls) {
            const struct tls_info *x = a->tls, *y = b->tls;
            same_str(x->sni, y->sni);
            assert_int_equal(x->days_left, y->days_left);
            same_str(x->serial, y->serial);
            same_str(x->sig_alg, y->sig_alg);
            same_str(x->spki_sha256, y->spki_sha256);
            same_str(x->sha1, y->sha1);
            same_str(x->md5, y->md5);
            assert_int_equal(x->self_signed, y->self_signed);
            assert_int_equal(x->chain_len, y->chain_len);
            same_str(x->ja3s, y->ja3s);
            same_str(x->pem, y->pem);
        }
    }
    const struct os_report *r = got->os_report, *e = want->os_report;
    assert_non_null(r);
    assert_int_equal(r->verdict, e->verdict);
    assert_int_equal(r->passive, e->passive);
    assert_int_equal(r->unreliable, e->unreliable);
    assert_int_equal(r->show_guesses, e->show_guesses);
    assert_int_equal(r->running_guess, e->running_guess);
    same_str(r->not_ideal, e->not_ideal);
    same_str(r->device_types, e->device_types);
    same_str(r->running, e->running);
    same_str(r->os_cpe, e->os_cpe);
    assert_int_equal(r->open_tcp, e->open_tcp);
    assert_int_equal(r->closed_tcp, e->closed_tcp);
    assert_int_equal(r->closed_udp, e->closed_udp);
    assert_int_equal(r->distance, e->distance);
    assert_int_equal(r->lastboot, e->lastboot);
    assert_int_equal(r->uptime_s, e->uptime_s);
    assert_int_equal(r->seq_index, e->seq_index);
    same_str(r->seq_values, e->seq_values);
    assert_string_equal(r->seq_difficulty, e->seq_difficulty);
    same_str(r->ipid_class, e->ipid_class);
    same_str(r->ipid_values, e->ipid_values);
    same_str(r->ts_class, e->ts_class);
    same_str(r->ts_values, e->ts_values);
    same_str(r->note, e->note);
}

/* passive: the host's OS matches are an --os-passive guess, which every
 * format labels as such: read back, it must not turn into -O's report. */
static void roundtrip(bool passive)
{
    char db[256];
    path(db, sizeof(db), passive ? "rt-passive.db" : "rt.db");
    char err[512];
    struct store st;
    assert_int_equal(store_open(&st, db, err, sizeof(err)), 0);

    struct scan_info info;
    assert_int_equal(scan_info_init(&info), 0);
    info.args = strdup("prtip -sS -sV -O --script default -p 22,80,443 198.18.0.2");
    info.start.tv_sec = 1795295520;
    info.mode = SCAN_MODE_PORTS;
    info.ntypes = 1;
    snprintf(info.types[0].type, sizeof(info.types[0].type), "syn");
    info.types[0].proto = PROTO_TCP;
    info.types[0].nservices = 3;
    info.types[0].services = strdup("22,80,443");
    info.version_scan = true;
    info.verbose = 1;
    info.stylesheet = strdup("file:///usr/share/nmap/nmap.xsl");
    struct host_result h[2];
    host_every_field(&h[0]);
    h[0].os_report->passive = passive;
    struct ipaddr down;
    assert_int_equal(ipaddr_parse("198.18.0.9", &down), 0);
    host_result_init(&h[1], &down);
    h[1].status = HOST_DOWN;
    h[1].status_reason = REASON_NO_RESPONSE;
    h[1].srtt_us = h[1].rttvar_us = h[1].timeout_us = -1;
    struct scan_summary sum = {
        .hosts_total = 2, .hosts_up = 1, .hosts_down = 1, .elapsed_s = 12.5, .start = info.start};
    sum.end.tv_sec = info.start.tv_sec + 13;

    /* Live: outputs and the store on one stream, as main runs them. */
    struct output_request reqs[NFMT];
    char live[NFMT][256];
    requests(reqs, live, "live");
    struct output_set outs;
    assert_int_equal(output_set_open_files(&outs, reqs, NFMT, false, err, sizeof(err)), 0);
    struct store_job job = {.target = db, .job = "nightly"};
    struct store_writer *w = store_writer_new(&st, &job, err, sizeof(err));
    assert_non_null(w);
    struct sink_tee tee = {.a = output_set_sink(&outs), .b = store_writer_sink(w)};
    struct result_sink sink = sink_tee(&tee);
    assert_int_equal(sink_begin(&sink, &info), 0);
    sink_host(&sink, &h[0]);
    sink_host(&sink, &h[1]);
    assert_int_equal(sink_end(&sink, &sum), 0);
    assert_int_equal(store_writer_scan_id(w), 1);
    store_writer_free(w);

    /* Read back by job name, render, compare every format. */
    int64_t ids[4];
    size_t n;
    assert_int_equal(stored_scan_resolve(&st, "nightly", ids, &n, 4, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    struct stored_scan s;
    assert_int_equal(stored_scan_load(&st, ids, n, NULL, NULL, &s, err, sizeof(err)), 0);
    assert_string_equal(s.state, "complete");
    assert_int_equal(s.nhosts, 2);
    char back[NFMT][256];
    requests(reqs, back, "back");
    assert_int_equal(db_render(&s, reqs, NFMT), 0);
    for (size_t i = 0; i < NFMT; i++) {
        char *a = slurp(live[i]), *b = slurp(back[i]);
        if (strcmp(a, b) != 0)
            fail_msg("%s differs after the store:\n--- live\n%s\n--- stored\n%s", formats[i][0], a,
                     b);
        assert_true(strstr(a, "198.18.0.2") != NULL);
        if (!strstr(a, "OpenSSH") || !strstr(a, "nginx"))
            fail_msg("%s lacks the -sV findings:\n%s", formats[i][0], a);
        if (passive && strstr(a, "OS details"))
            fail_msg("%s shows a passive guess as -O's:\n%s", formats[i][0], a);
        free(a);
        free(b);
    }
    /* The findings themselves, not only their rendering. */
    const struct port_result *p443 = NULL;
    for (size_t i = 0; i < s.hosts[0].nports; i++)
        if (s.hosts[0].ports[i].port == 443)
            p443 = &s.hosts[0].ports[i];
    assert_non_null(p443);
    assert_non_null(p443->detail);
    assert_non_null(p443->detail->tls);
    assert_string_equal(p443->detail->tls->san[1], "IP Address:198.18.0.2");
    assert_int_equal(p443->detail->tls->key_bits, 256);
    assert_true(p443->detail->service->tunnel_ssl);
    assert_string_equal(p443->detail->scripts[0].elems[1].children[1].value, "/index.html");
    assert_int_equal(s.hosts[0].nos, 2);
    assert_string_equal(s.hosts[0].os[0].classes[0].cpe[0], "cpe:/o:linux:linux_kernel:5");
    assert_string_equal(s.hosts[0].os_fingerprint, "OS:SCAN(V=7.93%E=4)");
    assert_string_equal(s.hosts[0].hostname, "lab-target");
    assert_string_equal(s.hosts[0].scripts[0].id, "clock-skew");
    /* Schema v2's fields, each compared with what went in. */
    check_v2_fields(&s.hosts[0], &h[0]);
    assert_null(s.hosts[1].os_report);
    assert_false(s.hosts[1].have_mac);
    stored_scan_free(&s);

    host_result_free(&h[0]);
    host_result_free(&h[1]);
    scan_info_free(&info);
    store_close(&st);
}

static int get_text(void *ctx, size_t n, const char *const *v)
{
    if (n && v[0])
        snprintf(ctx, 128, "%s", v[0]);
    return 0;
}

/* Schema version 1 as prtip 1 created it (SQLite), frozen here: the
 * migration must take exactly this to the current version. */
static const char v1_ddl[] =
    "CREATE TABLE prtip_schema (version INTEGER NOT NULL, applied_ns BIGINT NOT NULL);"
    "INSERT INTO prtip_schema VALUES (1, 0);"
    "CREATE TABLE scans (id INTEGER PRIMARY KEY, job TEXT, shard TEXT, scanner TEXT NOT NULL,"
    " version TEXT NOT NULL, args TEXT NOT NULL, start_ns BIGINT NOT NULL, end_ns BIGINT,"
    " elapsed_s DOUBLE PRECISION, state TEXT NOT NULL, error TEXT, mode INTEGER NOT NULL,"
    " verbosity INTEGER NOT NULL, debugging INTEGER NOT NULL, open_only INTEGER NOT NULL,"
    " show_reason INTEGER NOT NULL, version_scan INTEGER NOT NULL, stylesheet TEXT,"
    " hosts_total BIGINT, hosts_up BIGINT, hosts_down BIGINT, origin TEXT NOT NULL);"
    "CREATE INDEX scans_job ON scans (job);"
    "CREATE TABLE scan_types (scan_id BIGINT NOT NULL, idx INTEGER NOT NULL, type TEXT NOT NULL,"
    " scanflags TEXT NOT NULL, proto TEXT NOT NULL, nservices BIGINT NOT NULL, services TEXT,"
    " PRIMARY KEY (scan_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE hosts (scan_id BIGINT NOT NULL, seq BIGINT NOT NULL, addr TEXT NOT NULL,"
    " addr_key TEXT NOT NULL, hostname TEXT, other_addrs TEXT, rdns TEXT, status TEXT NOT NULL,"
    " reason TEXT NOT NULL, reason_ttl INTEGER NOT NULL, mac TEXT, srtt_us BIGINT NOT NULL,"
    " rttvar_us BIGINT NOT NULL, timeout_us BIGINT NOT NULL, start_ns BIGINT NOT NULL,"
    " end_ns BIGINT NOT NULL, timed_out INTEGER NOT NULL, interrupted INTEGER NOT NULL,"
    " ports_unscanned BIGINT NOT NULL, os_fingerprint TEXT, PRIMARY KEY (scan_id, seq))"
    " WITHOUT ROWID;"
    "CREATE INDEX hosts_addr ON hosts (addr_key);"
    "CREATE TABLE ports (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL, idx INTEGER NOT NULL,"
    " proto TEXT NOT NULL, port INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,"
    " reason_ttl INTEGER NOT NULL, service TEXT, PRIMARY KEY (scan_id, host_seq, idx))"
    " WITHOUT ROWID;"
    "CREATE INDEX ports_port ON ports (port, proto);"
    "CREATE TABLE services (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL,"
    " port_idx INTEGER NOT NULL, name TEXT NOT NULL, product TEXT, version TEXT, extrainfo TEXT,"
    " hostname TEXT, ostype TEXT, devicetype TEXT, cpe TEXT, method TEXT NOT NULL,"
    " conf INTEGER NOT NULL, tunnel_ssl INTEGER NOT NULL,"
    " PRIMARY KEY (scan_id, host_seq, port_idx)) WITHOUT ROWID;"
    "CREATE TABLE tls (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL,"
    " port_idx INTEGER NOT NULL, protocol TEXT, cipher TEXT, alpn TEXT, subject TEXT,"
    " issuer TEXT, san TEXT, not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, sha256 TEXT,"
    " key_type TEXT, key_bits BIGINT NOT NULL, PRIMARY KEY (scan_id, host_seq, port_idx))"
    " WITHOUT ROWID;"
    "CREATE TABLE scripts (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL,"
    " port_idx INTEGER NOT NULL, ord INTEGER NOT NULL, script_id TEXT NOT NULL, output TEXT,"
    " elems TEXT, PRIMARY KEY (scan_id, host_seq, port_idx, ord)) WITHOUT ROWID;"
    "CREATE TABLE os_matches (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL,"
    " ord INTEGER NOT NULL, name TEXT NOT NULL, accuracy INTEGER NOT NULL, line BIGINT NOT NULL,"
    " classes TEXT, PRIMARY KEY (scan_id, host_seq, ord)) WITHOUT ROWID;"
    /* One scan as prtip 1 wrote it: an up host, ssh with a -sV answer, a
     * TLS port with its certificate facts, an OS match. */
    "INSERT INTO scans VALUES (1, 'old', NULL, 'prtip', '0.1', 'prtip -sV -O 198.18.0.2',"
    " 1795295520000000000, 1795295533000000000, 12.5, 'complete', NULL, 0, 0, 0, 0, 0, 1, NULL,"
    " 1, 1, 0, 'scan');"
    "INSERT INTO scan_types VALUES (1, 0, 'syn', '', 'tcp', 2, '22,443');"
    "INSERT INTO hosts VALUES (1, 0, '198.18.0.2', '00000000000000000000ffffc6120002',"
    " NULL, NULL, NULL, 'up', 'syn-ack', 64, '02:42:C6:12:00:02', 200, 50, 100000,"
    " 1795295520000000000, 1795295520000000000, 0, 0, 0, 'OS:SCAN(V=7.93%E=4)');"
    "INSERT INTO ports VALUES (1, 0, 0, 'tcp', 22, 'open', 'syn-ack', 64, 'ssh'),"
    " (1, 0, 1, 'tcp', 443, 'open', 'syn-ack', 64, 'https');"
    "INSERT INTO services VALUES (1, 0, 0, 'ssh', 'OpenSSH', '9.2p1', NULL, NULL, 'Linux', NULL,"
    " '[\"cpe:/a:openbsd:openssh:9.2p1\"]', 'probed', 10, 0);"
    "INSERT INTO tls VALUES (1, 0, 1, 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', NULL, 'CN=lab-target',"
    " 'CN=lab-ca', '[\"DNS:lab-target\"]', 1767225600, 1798761600, 'ab12', 'ec', 256);"
    "INSERT INTO os_matches VALUES (1, 0, 0, 'Linux 5.0 - 5.14', 100, 67812, NULL);";

/* The first column of sql's first row (no parameters) equals want. */
static void assert_query_text(struct store *st, const char *sql, const char *want)
{
    char got[128] = "", err[512];
    if (store_exec(st, sql, NULL, 0, get_text, got, err, sizeof(err)) < 0)
        fail_msg("%s: %s", sql, err);
    assert_string_equal(got, want);
}

static int get_int(void *ctx, size_t n, const char *const *v)
{
    if (n && v[0])
        *(int64_t *)ctx = codec_i64(v[0]);
    return 0;
}

/* A version 1 database is migrated when prtip opens it: its rows read as
 * they did (the new fields absent), and a scan with every field written
 * after the migration comes back whole. */
static void test_roundtrip_every_finding(void **state)
{
    (void)state;
    roundtrip(false);
}

static void test_roundtrip_os_passive(void **state)
{
    (void)state;
    roundtrip(true);
}

static void test_migrate_v1(void **state)
{
    (void)state;
    char db[256], err[512];
    path(db, sizeof(db), "v1.db");
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    char *why = NULL;
    if (sqlite3_exec(raw, v1_ddl, NULL, NULL, &why) != SQLITE_OK)
        fail_msg("v1 DDL: %s", why);
    sqlite3_close(raw);

    struct store st;
    if (store_open(&st, db, err, sizeof(err)) < 0)
        fail_msg("open v1: %s", err);
    int64_t version = 0;
    assert_int_equal(store_exec(&st, "SELECT max(version) FROM prtip_schema", NULL, 0, get_int,
                                &version, err, sizeof(err)),
                     0);
    assert_int_equal(version, STORE_SCHEMA_VERSION);
    /* v3: the address index leads with the scan (its cost stays flat as
     * scans accumulate). */
    assert_query_text(&st,
                      "SELECT group_concat(name, ',') FROM "
                      "(SELECT name FROM pragma_index_info('hosts_addr') ORDER BY seqno)",
                      "scan_id,addr_key");
    /* ...and the port index holds open ports only. */
    assert_query_text(&st,
                      "SELECT group_concat(sql, ';') FROM sqlite_master WHERE type = "
                      "'index' AND name IN ('ports_port', 'ports_open')",
                      "CREATE INDEX ports_open ON ports (port, proto) WHERE state = 'open'");
    /* ...and the v1 scan's counts for db list are filled in. */
    assert_query_text(&st, "SELECT stored_up || '/' || stored_open FROM scans WHERE id = 1", "1/2");

    int64_t id = 1;
    struct stored_scan s;
    if (stored_scan_load(&st, &id, 1, NULL, NULL, &s, err, sizeof(err)) < 0)
        fail_msg("load v1 scan: %s", err);
    assert_string_equal(s.state, "complete");
    assert_int_equal(s.nhosts, 1);
    const struct host_result *h = &s.hosts[0];
    assert_true(h->have_mac);
    assert_int_equal(h->mac[5], 2);
    assert_int_equal(h->nports, 2);
    const struct port_detail *d22 = h->ports[0].detail, *d443 = h->ports[1].detail;
    assert_non_null(d22);
    assert_string_equal(d22->service->product, "OpenSSH");
    assert_string_equal(d22->service->cpe[0], "cpe:/a:openbsd:openssh:9.2p1");
    assert_false(d22->have_reason_ip);
    assert_null(d22->service->probe);
    assert_int_equal(d22->service->line, 0);
    assert_false(d22->service->soft);
    assert_null(d22->service->fingerprint);
    assert_non_null(d443);
    assert_int_equal(d443->tls->key_bits, 256);
    assert_string_equal(d443->tls->san[0], "DNS:lab-target");
    assert_null(d443->tls->pem);
    assert_int_equal(d443->tls->chain_len, 0);
    assert_int_equal(h->nos, 1);
    assert_string_equal(h->os_fingerprint, "OS:SCAN(V=7.93%E=4)");
    assert_null(h->os_report);
    stored_scan_free(&s);

    /* The migrated tables take every field. */
    struct scan_info info;
    assert_int_equal(scan_info_init(&info), 0);
    info.args = strdup("prtip -sV -O 198.18.0.2");
    struct host_result full;
    host_every_field(&full);
    struct store_job job = {.target = db, .job = "new"};
    struct store_writer *w = store_writer_new(&st, &job, err, sizeof(err));
    assert_non_null(w);
    struct result_sink sink = store_writer_sink(w);
    assert_int_equal(sink_begin(&sink, &info), 0);
    sink_host(&sink, &full);
    struct scan_summary sum = {.hosts_total = 1, .hosts_up = 1};
    assert_int_equal(sink_end(&sink, &sum), 0);
    id = store_writer_scan_id(w);
    assert_int_equal(id, 2);
    store_writer_free(w);
    if (stored_scan_load(&st, &id, 1, NULL, NULL, &s, err, sizeof(err)) < 0)
        fail_msg("load v2 scan: %s", err);
    assert_int_equal(s.nhosts, 1);
    check_v2_fields(&s.hosts[0], &full);
    stored_scan_free(&s);
    host_result_free(&full);
    scan_info_free(&info);
    store_close(&st);

    /* Opened again: already current, nothing applied twice. */
    assert_int_equal(store_open(&st, db, err, sizeof(err)), 0);
    int64_t applied = 0;
    assert_int_equal(store_exec(&st, "SELECT count(*) FROM prtip_schema", NULL, 0, get_int,
                                &applied, err, sizeof(err)),
                     0);
    assert_int_equal(applied, STORE_SCHEMA_VERSION); /* v1's row and one per migration */
    store_close(&st);
}

static void test_text_is_data(void **state)
{
    (void)state;
    char db[256], err[512], got[128] = "";
    path(db, sizeof(db), "inj.db");
    struct store st;
    assert_int_equal(store_open(&st, db, err, sizeof(err)), 0);
    const char *evil = "x'); DROP TABLE scans; --$1?2";
    struct store_val v = sv_text(evil);
    assert_int_equal(store_exec(&st, "SELECT $1", &v, 1, get_text, got, err, sizeof(err)), 0);
    assert_string_equal(got, evil);
    got[0] = '\0';
    assert_int_equal(
        store_exec(&st, "SELECT count(*) FROM scans", NULL, 0, get_text, got, err, sizeof(err)), 0);
    assert_string_equal(got, "0");
    store_close(&st);
}

/* Text with bytes that are not UTF-8 goes in valid and comes back byte
 * for byte (codec_text_encode/decode); valid UTF-8 is stored unchanged. */
static void test_text_any_bytes(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "plain ascii",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", /* valid: unchanged */
        "SSH-2.0-\xff\xfe\x80"
        "banner\x01", /* stray bytes */
        "\xc0\xaf overlong, \xed\xa0\x80 surrogate, \xf4\x90\x80\x80 past U+10FFFF",
        "\xe2\x82 cut short",
        "\xf4\x8f\xbc\x80"
        " already in the escape range \xf4\x8f\xbf\xbf",
        "tail \xf0\x9f",
    };
    char db[256], err[512];
    path(db, sizeof(db), "bytes.db");
    struct store st;
    assert_int_equal(store_open(&st, db, err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool oom = false;
        char *enc = codec_text_encode(cases[i], &oom);
        assert_false(oom);
        assert_int_equal(enc == NULL, i < 2); /* only the first two need no change */
        if (enc) {
            char *dec = codec_text_decode(enc, &oom);
            assert_non_null(dec);
            assert_string_equal(dec, cases[i]);
            free(dec);
            /* The stored form is valid UTF-8 (SQLite's own check agrees:
             * length() counts characters, and the escapes are whole ones). */
            for (const unsigned char *c = (const unsigned char *)enc; *c; c++)
                assert_true(*c < 0x80 || (*c >= 0xc2 && *c <= 0xf4) || (*c & 0xc0) == 0x80);
            free(enc);
        }
        assert_null(codec_text_decode(cases[0], &oom));
        /* Through the store (and jansson, in a script's elements) and back. */
        char got[256] = "";
        struct store_val v = sv_text(cases[i]);
        assert_int_equal(store_exec(&st, "SELECT $1", &v, 1, get_text, got, err, sizeof(err)), 0);
        assert_string_equal(got, cases[i]);
        struct script_output so = script(cases[i], cases[i]);
        free(so.elems[0].value);
        so.elems[0].value = strdup(cases[i]);
        char *j = codec_elems_json(so.elems, so.nelems);
        assert_non_null(j);
        struct script_elem *e;
        size_t n;
        assert_int_equal(codec_json_elems(j, &e, &n), 0);
        assert_int_equal(n, so.nelems);
        assert_string_equal(e[0].key, so.elems[0].key);
        assert_string_equal(e[0].value, so.elems[0].value);
        for (size_t k = 0; k < n; k++)
            script_elem_free(&e[k]);
        free(e);
        free(j);
        script_output_free(&so);
    }
    /* The SQL sees valid text: a query on the plain part still matches. */
    char got[64] = "";
    struct store_val v = sv_text(cases[2]);
    assert_int_equal(store_exec(&st, "SELECT $1 LIKE 'SSH-2.0-%banner%'", &v, 1, get_text, got, err,
                                sizeof(err)),
                     0);
    assert_string_equal(got, "1");
    store_close(&st);
}

/* A sink that keeps a copy of the first host it is given. */
static void keep_host(void *ctx, const struct host_result *h)
{
    struct host_result *got = ctx;
    if (got->nports == 0 && !got->os_report)
        assert_int_equal(host_result_copy(got, h), 0);
}

/* The live -oX of a scan of h alone, read back by db import's reader. */
static void xml_roundtrip(const struct host_result *h, struct host_result *got)
{
    struct scan_info info;
    assert_int_equal(scan_info_init(&info), 0);
    info.args = strdup("prtip -sS -O 198.18.0.2");
    info.mode = SCAN_MODE_PORTS;
    char file[256], err[512];
    path(file, sizeof(file), "import.xml");
    struct output_request req = {.module = output_module_find("-oX"), .path = file};
    struct output_set outs;
    assert_int_equal(output_set_open_files(&outs, &req, 1, false, err, sizeof(err)), 0);
    struct result_sink out = output_set_sink(&outs);
    struct scan_summary sum = {.hosts_total = 1, .hosts_up = 1, .elapsed_s = 1};
    assert_int_equal(sink_begin(&out, &info), 0);
    sink_host(&out, h);
    assert_int_equal(sink_end(&out, &sum), 0);
    scan_info_free(&info);
    char *xml = slurp(file);
    memset(got, 0, sizeof(*got));
    struct result_sink keep = {.host = keep_host, .ctx = got};
    size_t n = 0;
    assert_int_equal(store_import_xml(xml, strlen(xml), file, NULL, &keep, &n, err, sizeof(err)),
                     0);
    assert_int_equal(n, 1);
    free(xml);
}

/* db import reads what prtip's (and nmap's) -oX say beyond the matches:
 * reason_ip, the ports -O used, distance, uptime, the sequence classes,
 * the fingerprint, and prtip's passive label. */
static void test_import_os_report(void **state)
{
    (void)state;
    struct host_result h, got;
    host_every_field(&h);
    xml_roundtrip(&h, &got);
    const struct port_result *p8080 = NULL;
    for (size_t i = 0; i < got.nports; i++)
        if (got.ports[i].port == 8080)
            p8080 = &got.ports[i];
    assert_non_null(p8080);
    assert_non_null(p8080->detail);
    assert_true(p8080->detail->have_reason_ip);
    assert_true(ipaddr_equal(&p8080->detail->reason_ip, &h.ports[3].detail->reason_ip));
    const struct port_result *p9999 = &got.ports[got.nports - 1];
    assert_int_equal(p9999->port, 9999);
    assert_non_null(p9999->detail);
    assert_non_null(p9999->detail->service);
    assert_string_equal(p9999->detail->service->fingerprint,
                        h.ports[4].detail->service->fingerprint);
    const struct os_report *r = got.os_report, *e = h.os_report;
    assert_non_null(r);
    assert_false(r->passive);
    /* The XML has no verdict: a 100% match reads as "OS details". */
    assert_int_equal(r->verdict, h.os[0].accuracy == 100 ? OS_VERDICT_DETAILS : OS_VERDICT_GUESSES);
    assert_int_equal(r->open_tcp, e->open_tcp);
    assert_int_equal(r->closed_tcp, e->closed_tcp);
    assert_int_equal(r->closed_udp, -1);
    assert_int_equal(r->distance, e->distance);
    assert_int_equal(r->uptime_s, e->uptime_s);
    assert_int_equal(r->lastboot, e->lastboot);
    assert_int_equal(r->seq_index, e->seq_index);
    assert_string_equal(r->seq_difficulty, e->seq_difficulty);
    assert_string_equal(r->seq_values, e->seq_values);
    assert_string_equal(r->ipid_class, e->ipid_class);
    assert_string_equal(r->ipid_values, e->ipid_values);
    assert_string_equal(r->ts_class, e->ts_class);
    assert_string_equal(r->ts_values, e->ts_values);
    assert_string_equal(got.os_fingerprint, h.os_fingerprint);
    assert_int_equal(got.nos, 2);
    host_result_free(&got);
    /* A passive guess is labelled in the XML and reads back passive. */
    h.os_report->passive = true;
    xml_roundtrip(&h, &got);
    assert_non_null(got.os_report);
    assert_true(got.os_report->passive);
    assert_int_equal(got.nos, 2);
    host_result_free(&got);
    host_result_free(&h);
}

/* Store hosts as one shard of job "merge". */
static void store_shard(struct store *st, const char *shard, struct host_result *h, size_t n)
{
    char err[512];
    struct scan_info info;
    assert_int_equal(scan_info_init(&info), 0);
    info.args = strdup("prtip -sS -O 198.18.0.2");
    struct store_job job = {.target = "db", .job = "merge", .shard = shard};
    struct store_writer *w = store_writer_new(st, &job, err, sizeof(err));
    assert_non_null(w);
    struct result_sink sink = store_writer_sink(w);
    struct scan_summary sum = {.hosts_total = n, .hosts_up = n};
    assert_int_equal(sink_begin(&sink, &info), 0);
    for (size_t i = 0; i < n; i++)
        sink_host(&sink, &h[i]);
    assert_int_equal(sink_end(&sink, &sum), 0);
    store_writer_free(w);
    scan_info_free(&info);
}

/* Shards of one job merged into one record per address keep the OS result
 * of whichever shard has one (not only the first shard's), and the host
 * scripts of each once. */
static void test_merge_shards_os(void **state)
{
    (void)state;
    char db[256], err[512];
    path(db, sizeof(db), "merge.db");
    struct store st;
    assert_int_equal(store_open(&st, db, err, sizeof(err)), 0);
    struct host_result a, b;
    host_every_field(&b); /* shard 2: the OS matches and report */
    struct ipaddr addr = b.addr;
    host_result_init(&a, &addr); /* shard 1: the same host, no OS */
    a.status = HOST_UP;
    a.status_reason = REASON_SYN_ACK;
    struct port_result p = {
        .port = 81, .proto = PROTO_TCP, .state = PORT_CLOSED, .reason = REASON_RESET};
    assert_int_equal(host_result_add_port(&a, &p), 0);
    store_shard(&st, "1/2", &a, 1);
    store_shard(&st, "2/2", &b, 1);
    int64_t ids[4];
    size_t n;
    assert_int_equal(stored_scan_resolve(&st, "merge", ids, &n, 4, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    struct stored_scan s;
    assert_int_equal(stored_scan_load(&st, ids, n, NULL, NULL, &s, err, sizeof(err)), 0);
    assert_int_equal(s.nhosts, 1);
    const struct host_result *m = &s.hosts[0];
    assert_int_equal(m->nports, b.nports + 1);
    assert_int_equal(m->nos, 2);
    assert_string_equal(m->os[0].name, b.os[0].name);
    assert_non_null(m->os_report);
    assert_int_equal(m->os_report->distance, 1);
    assert_string_equal(m->os_fingerprint, b.os_fingerprint);
    assert_int_equal(m->nscripts, b.nscripts);
    assert_true(m->have_mac);
    stored_scan_free(&s);
    host_result_free(&a);
    host_result_free(&b);
    store_close(&st);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    char db[256], err[512];
    path(db, sizeof(db), "newer.db");
    struct store st;
    assert_int_equal(store_open(&st, db, err, sizeof(err)), 0);
    struct store_val v = sv_int(STORE_SCHEMA_VERSION + 1);
    assert_int_equal(store_exec(&st,
                                "INSERT INTO prtip_schema (version, applied_ns) VALUES ($1, 0)", &v,
                                1, NULL, NULL, err, sizeof(err)),
                     0);
    store_close(&st);
    assert_int_equal(store_open(&st, db, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is newer than this prtip knows"));
    assert_non_null(strstr(err, db));
}

static void test_addr_key_order(void **state)
{
    (void)state;
    const char *in_order[] = {"0.0.0.0",         "10.0.0.1", "198.18.0.2", "198.18.0.10",
                              "255.255.255.255", "fd00::1",  "fd00::2"};
    char prev[33] = "";
    for (size_t i = 0; i < sizeof(in_order) / sizeof(in_order[0]); i++) {
        struct ipaddr a;
        char key[33];
        assert_int_equal(ipaddr_parse(in_order[i], &a), 0);
        codec_addr_key(&a, key);
        assert_int_equal(strlen(key), 32);
        assert_true(strcmp(prev, key) < 0);
        memcpy(prev, key, sizeof(key));
    }
}

static void test_json_codecs(void **state)
{
    (void)state;
    struct script_output s = script("x", "y");
    char *j = codec_elems_json(s.elems, s.nelems);
    assert_non_null(j);
    struct script_elem *e;
    size_t n;
    assert_int_equal(codec_json_elems(j, &e, &n), 0);
    assert_int_equal(n, 2);
    assert_null(e[1].value);
    assert_int_equal(e[1].nchildren, 2);
    assert_null(e[1].children[0].key);
    assert_string_equal(e[1].children[0].value, "/");
    for (size_t i = 0; i < n; i++)
        script_elem_free(&e[i]);
    free(e);
    free(j);
    script_output_free(&s);
    assert_int_equal(codec_json_elems("not json", &e, &n), -1);
    struct os_report r;
    assert_int_equal(codec_json_os_report("not json", &r), -1);
    assert_int_equal(codec_json_os_report("[]", &r), -1);
    assert_int_equal(codec_json_os_report("{\"verdict\": \"toomany\", \"distance\": 3}", &r), 0);
    assert_int_equal(r.verdict, OS_VERDICT_TOOMANY);
    assert_int_equal(r.distance, 3);
    assert_null(r.running);
    os_report_free(&r);
    char **v;
    assert_int_equal(codec_json_strv("[1, {}]", &v, &n), 0); /* non-strings read as "" */
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "");
    free(v[0]);
    free(v[1]);
    free(v);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/prtip-store-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_finding),
        cmocka_unit_test(test_roundtrip_os_passive),
        cmocka_unit_test(test_migrate_v1),
        cmocka_unit_test(test_text_is_data),
        cmocka_unit_test(test_import_os_report),
        cmocka_unit_test(test_merge_shards_os),
        cmocka_unit_test(test_text_any_bytes),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_addr_key_order),
        cmocka_unit_test(test_json_codecs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
