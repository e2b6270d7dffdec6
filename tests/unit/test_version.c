/* Tests for the version-detection stage's pure parts: JA3S of a ServerHello
 * (detect/version_tls.c), the job built from the configuration and the
 * stage row (detect/version.c). The probing itself is tested against real
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

    /* --versiondb that cannot be read: named in the error. */
    c.version.db = strdup("/nonexistent/probes");
    assert_int_equal(version_job_from_config(&job, &c, &stop, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/probes"));
    config_free(&c);
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
        cmocka_unit_test(test_job),
        cmocka_unit_test(test_stage_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
