/* Tests for the version-detection stage's pure parts: JA3S of a ServerHello
 * (detect/version_tls.c), the job built from the configuration and the
 * stage row (detect/version.c), snmp-info's SNMPv3 report decoding
 * (detect/version_hint.c). The probing itself is tested against real
 * services and nmap in tests/compat/test_version.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/config.h"
#include "detect/version.h"
#include "detect/version_internal.h"

#include <stdlib.h>
#include <string.h>

/* A ServerHello handshake message: type 2, 24-bit length, version, random,
 * empty session id, cipher, compression, extensions (type, data). */
static size_t hello(uint8_t *b, unsigned ver, unsigned cipher, const unsigned *types,
                    const size_t *lens, size_t n)
{
    size_t o = 4;
    b[o++] = (uint8_t)(ver >> 8);
    b[o++] = (uint8_t)ver;
    memset(b + o, 0x11, 32);
    o += 32;
    b[o++] = 0;
    b[o++] = (uint8_t)(cipher >> 8);
    b[o++] = (uint8_t)cipher;
    b[o++] = 0;
    size_t ext = o;
    o += 2;
    for (size_t i = 0; i < n; i++) {
        b[o++] = (uint8_t)(types[i] >> 8);
        b[o++] = (uint8_t)types[i];
        b[o++] = (uint8_t)(lens[i] >> 8);
        b[o++] = (uint8_t)lens[i];
        memset(b + o, 0, lens[i]);
        o += lens[i];
    }
    b[ext] = (uint8_t)((o - ext - 2) >> 8);
    b[ext + 1] = (uint8_t)(o - ext - 2);
    b[0] = 2;
    b[1] = 0;
    b[2] = (uint8_t)((o - 4) >> 8);
    b[3] = (uint8_t)(o - 4);
    return o;
}

static void test_ja3s(void **state)
{
    (void)state;
    uint8_t b[256];
    char out[33];
    /* md5("771,49200,65281-11-16") and md5("771,4866,43-51"). */
    size_t n = hello(b, 0x0303, 0xc030, (unsigned[]){65281, 11, 16}, (size_t[]){1, 2, 11}, 3);
    assert_int_equal(vtls_ja3s(b, n, out), 0);
    assert_string_equal(out, "ef6b224ce027c8e21e5a25d8a58255a3");
    n = hello(b, 0x0303, 0x1302, (unsigned[]){43, 51}, (size_t[]){2, 36}, 2);
    assert_int_equal(vtls_ja3s(b, n, out), 0);
    assert_string_equal(out, "15af977ce25de452b96affa2addb1036");
    /* Cut short, or not a ServerHello: nothing. */
    assert_int_equal(vtls_ja3s(b, 20, out), -1);
    assert_string_equal(out, "");
    b[0] = 1;
    assert_int_equal(vtls_ja3s(b, n, out), -1);
}

static void test_job(void **state)
{
    (void)state;
    struct config c;
    config_init(&c);
    c.version.enabled = true;
    c.version.intensity = 2;
    c.version.trace = true;
    c.version.timeout_ms = 700;
    c.verbose = 1;
    c.timing.host_timeout_ms = 9000;
    struct version_job job;
    char err[512];
    volatile sig_atomic_t stop = 0;
    assert_int_equal(version_job_from_config(&job, &c, &stop, err, sizeof(err)), 0);
    assert_int_equal(job.intensity, 2);
    assert_true(job.trace);
    assert_int_equal(job.timeout_ms, 700);
    assert_int_equal(job.host_timeout_ms, 9000);
    assert_int_equal(job.verbose, 2); /* ssl-cert as nmap runs it by name */
    assert_non_null(strstr(job.dbpath, "nmap-service-probes"));
    assert_true(job.port_conns > 0 && job.host_conns >= job.port_conns);

    /* Parallelism (nmap's service scan: ideal_parallelism). Defaults:
     * parallel probes per port, many per host. */
    unsigned def_max = job.max_conns, def_host = job.host_conns;
    assert_true(job.port_conns > 1 && def_host > 2);
    c.timing.max_parallelism = 2;
    assert_int_equal(version_job_from_config(&job, &c, &stop, err, sizeof(err)), 0);
    assert_int_equal(job.max_conns, 2);
    assert_int_equal(job.host_conns, 2);
    assert_int_equal(job.port_conns, 2);
    c.timing.max_parallelism = 0;
    c.timing.level = 2; /* nmap's -T2 service scan is serial */
    assert_int_equal(version_job_from_config(&job, &c, &stop, err, sizeof(err)), 0);
    assert_int_equal(job.max_conns, 1);
    assert_int_equal(job.port_conns, 1);
    c.timing.min_parallelism = 5; /* -T2 --min-parallelism 5: five at once */
    assert_int_equal(version_job_from_config(&job, &c, &stop, err, sizeof(err)), 0);
    assert_int_equal(job.max_conns, 5);
    assert_int_equal(job.host_conns, 5);
    c.timing.level = 3;
    c.timing.min_parallelism = def_host + 10; /* above the per-host default */
    assert_int_equal(version_job_from_config(&job, &c, &stop, err, sizeof(err)), 0);
    assert_true(job.host_conns >= def_host + 10 || job.host_conns == job.max_conns);
    assert_true(job.max_conns >= def_max);
    c.timing.min_parallelism = 0;

    /* --versiondb that cannot be read: named in the error. */
    c.version.db = strdup("/nonexistent/probes");
    assert_int_equal(version_job_from_config(&job, &c, &stop, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/probes"));
    config_free(&c);
}

/* A BER TLV: tag, short-form length, value. */
static size_t tlv(uint8_t *b, uint8_t tag, const uint8_t *v, size_t n)
{
    b[0] = tag;
    b[1] = (uint8_t)n;
    memcpy(b + 2, v, n);
    return n + 2;
}

/* An SNMPv3 report as net-snmp sends it to snmp-info's discovery GET (RFC
 * 3412 6, RFC 3414 2.4): version, msgID, security model and engine ID are
 * the test's. */
static size_t snmpv3_report(uint8_t *out, int version, unsigned msgid, int model,
                            const uint8_t *engine, size_t elen)
{
    uint8_t g[64], usm[96], sec[128], m[256], tmp[64];
    size_t gn = 0, un = 0, mn = 0;
    gn += tlv(g + gn, 0x02, (const uint8_t[]){(uint8_t)(msgid >> 8), (uint8_t)msgid}, 2);
    gn += tlv(g + gn, 0x02, (const uint8_t[]){0x00, 0xff, 0xe3}, 3);
    gn += tlv(g + gn, 0x04, (const uint8_t[]){0x00}, 1);
    gn += tlv(g + gn, 0x02, (const uint8_t[]){(uint8_t)model}, 1);
    un += tlv(usm + un, 0x04, engine, elen);
    un += tlv(usm + un, 0x02, (const uint8_t[]){0x07}, 1);       /* boots */
    un += tlv(usm + un, 0x02, (const uint8_t[]){0x01, 0x2c}, 2); /* time 300 s */
    un += tlv(usm + un, 0x04, tmp, 0);                           /* user */
    size_t sn = tlv(sec, 0x30, usm, un);
    mn += tlv(m + mn, 0x02, (const uint8_t[]){(uint8_t)version}, 1);
    mn += tlv(m + mn, 0x30, g, gn);
    mn += tlv(m + mn, 0x04, sec, sn);
    mn += tlv(m + mn, 0x30, (const uint8_t[]){0x04, 0x00, 0x04, 0x00}, 4); /* scoped PDU, cut */
    /* The whole message may pass 127 bytes: long-form length. */
    out[0] = 0x30;
    out[1] = 0x81;
    out[2] = (uint8_t)mn;
    memcpy(out + 3, m, mn);
    return mn + 3;
}

static void test_snmpv3_engine(void **state)
{
    (void)state;
    /* net-snmp's engine ID: 0x80000000 | 8072, format 3 (MAC)... */
    static const uint8_t netsnmp[] = {0x80, 0x00, 0x1f, 0x88, 0x80, 0x5e, 0x3a,
                                      0x7b, 0x13, 0x4c, 0x6e, 0x8f, 0x65};
    uint8_t b[300];
    struct snmp_engine e;
    size_t n = snmpv3_report(b, 3, 0x4a69, 3, netsnmp, sizeof(netsnmp));
    assert_int_equal(vhint_snmpv3_engine(b, n, &e), 0);
    assert_int_equal(e.enterprise, 8072);
    assert_true(e.rfc3411);
    assert_int_equal(e.boots, 7);
    assert_int_equal(e.time, 300);
    /* ...an old-style ID: the number as it stands. */
    static const uint8_t old[] = {0x00, 0x00, 0x00, 0x09, 0x01};
    n = snmpv3_report(b, 3, 0x4a69, 3, old, sizeof(old));
    assert_int_equal(vhint_snmpv3_engine(b, n, &e), 0);
    assert_int_equal(e.enterprise, 9);
    assert_false(e.rfc3411);
    /* What the script turns away: another version, another msgID, another
     * security model, an ID too short for what it reads, any cut. */
    n = snmpv3_report(b, 1, 0x4a69, 3, netsnmp, sizeof(netsnmp));
    assert_int_equal(vhint_snmpv3_engine(b, n, &e), -1);
    n = snmpv3_report(b, 3, 0x4a6a, 3, netsnmp, sizeof(netsnmp));
    assert_int_equal(vhint_snmpv3_engine(b, n, &e), -1);
    n = snmpv3_report(b, 3, 0x4a69, 2, netsnmp, sizeof(netsnmp));
    assert_int_equal(vhint_snmpv3_engine(b, n, &e), -1);
    n = snmpv3_report(b, 3, 0x4a69, 3, netsnmp, 4);
    assert_int_equal(vhint_snmpv3_engine(b, n, &e), -1);
    n = snmpv3_report(b, 3, 0x4a69, 3, old, 3);
    assert_int_equal(vhint_snmpv3_engine(b, n, &e), -1);
    n = snmpv3_report(b, 3, 0x4a69, 3, netsnmp, sizeof(netsnmp));
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(vhint_snmpv3_engine(b, cut, &e), -1);
}

static void test_stage_row(void **state)
{
    (void)state;
    bool found = false;
    for (size_t i = 0; stage_modules[i]; i++)
        found |= stage_modules[i] == &version_stage;
    assert_true(found);
    struct config c;
    config_init(&c);
    assert_false(version_stage.wanted(&c));
    c.version.enabled = true;
    assert_true(version_stage.wanted(&c));
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ja3s),
        cmocka_unit_test(test_snmpv3_engine),
        cmocka_unit_test(test_job),
        cmocka_unit_test(test_stage_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
