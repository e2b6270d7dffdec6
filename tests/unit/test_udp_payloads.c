/*
 * Unit tests for scan/udp_payloads: every built-in payload decoded field by
 * field with a small parser of its protocol, lookup precedence, and the
 * nmap-payloads parser on hand-written, malformed and real files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scan/udp_payloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REAL_PAYLOADS "/usr/share/nmap/nmap-payloads"

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const struct udp_payload *builtin(uint16_t port)
{
    const struct udp_payload *pl = udp_payload_builtin(port, AF_INET);
    assert_non_null(pl);
    assert_non_null(pl->data);
    assert_true(pl->len > 0);
    return pl;
}

/* ---- DNS-style messages (DNS, mDNS) ---------------------------------- */

/* Walk an uncompressed name at buf[*off], appending "a.b.c" to out.
 * Fails the test on a pointer, a long label or running off the end. */
static void dns_name(const uint8_t *buf, size_t len, size_t *off, char *out, size_t outlen)
{
    size_t o = *off, w = 0;
    out[0] = '\0';
    for (;;) {
        assert_true(o < len);
        uint8_t l = buf[o++];
        if (l == 0)
            break;
        assert_true(l <= 63); /* RFC 1035 §2.3.4; also rules out compression */
        assert_true(o + l <= len);
        assert_true(w + l + 2 < outlen);
        if (w)
            out[w++] = '.';
        memcpy(out + w, buf + o, l);
        w += l;
        out[w] = '\0';
        o += l;
    }
    *off = o;
}

/* Header of a one-question query; returns the offset of the question. */
static size_t dns_query_header(const uint8_t *b, size_t len)
{
    assert_true(len >= 12);
    assert_int_equal(b[2] & 0x80, 0);  /* QR: query */
    assert_int_equal(b[2] & 0x78, 0);  /* OPCODE: standard query */
    assert_int_equal(be16(b + 4), 1);  /* QDCOUNT */
    assert_int_equal(be16(b + 6), 0);  /* ANCOUNT */
    assert_int_equal(be16(b + 8), 0);  /* NSCOUNT */
    assert_int_equal(be16(b + 10), 0); /* ARCOUNT */
    return 12;
}

static void test_builtin_dns(void **state)
{
    (void)state;
    const struct udp_payload *pl = builtin(53);
    size_t off = dns_query_header(pl->data, pl->len);
    char name[256];
    dns_name(pl->data, pl->len, &off, name, sizeof name);
    assert_string_equal(name, ""); /* the root */
    assert_int_equal(pl->len, off + 4);
    assert_int_equal(be16(pl->data + off), 2);     /* NS */
    assert_int_equal(be16(pl->data + off + 2), 1); /* IN */
}

static void test_builtin_mdns(void **state)
{
    (void)state;
    const struct udp_payload *pl = builtin(5353);
    size_t off = dns_query_header(pl->data, pl->len);
    assert_int_equal(be16(pl->data), 0); /* RFC 6762 §18.1 */
    char name[256];
    dns_name(pl->data, pl->len, &off, name, sizeof name);
    assert_string_equal(name, "_services._dns-sd._udp.local");
    assert_int_equal(pl->len, off + 4);
    assert_int_equal(be16(pl->data + off), 12);                  /* PTR */
    assert_int_equal(be16(pl->data + off + 2) & 0x7fff, 1);      /* IN */
    assert_int_equal(be16(pl->data + off + 2) & 0x8000, 0x8000); /* QU */
}

/* ---- NTP ---------------------------------------------------------------- */

static void test_builtin_ntp(void **state)
{
    (void)state;
    const struct udp_payload *pl = builtin(123);
    assert_int_equal(pl->len, 48);
    uint8_t b0 = pl->data[0];
    assert_int_equal(b0 >> 6, 0);       /* LI */
    assert_int_equal((b0 >> 3) & 7, 4); /* VN */
    assert_int_equal(b0 & 7, 3);        /* mode client */
    assert_true(be32(pl->data + 40) != 0 || be32(pl->data + 44) != 0);
}

/* ---- NetBIOS-NS ------------------------------------------------------- */

static void test_builtin_nbns(void **state)
{
    (void)state;
    const struct udp_payload *pl = builtin(137);
    const uint8_t *b = pl->data;
    size_t off = dns_query_header(b, pl->len);
    assert_int_equal(b[off], 32);
    uint8_t name[16];
    for (int i = 0; i < 16; i++) {
        uint8_t hi = b[off + 1 + 2 * i], lo = b[off + 2 + 2 * i];
        assert_true(hi >= 'A' && hi <= 'P' && lo >= 'A' && lo <= 'P');
        name[i] = (uint8_t)((hi - 'A') << 4 | (lo - 'A'));
    }
    assert_int_equal(name[0], '*');
    for (int i = 1; i < 16; i++)
        assert_int_equal(name[i], 0);
    off += 33;
    assert_int_equal(b[off], 0);               /* no scope */
    assert_int_equal(be16(b + off + 1), 0x21); /* NBSTAT */
    assert_int_equal(be16(b + off + 3), 1);    /* IN */
    assert_int_equal(pl->len, off + 5);
}

/* ---- SNMP (BER) --------------------------------------------------------- */

/* One BER TLV at b[*off] within end: returns the tag, sets *vlen and moves
 * *off to the value. Definite lengths only, and the value must fit. */
static uint8_t ber(const uint8_t *b, size_t end, size_t *off, size_t *vlen)
{
    assert_true(*off + 2 <= end);
    uint8_t tag = b[(*off)++];
    size_t l = b[(*off)++];
    if (l & 0x80) {
        size_t n = l & 0x7f;
        assert_true(n >= 1 && n <= 2 && *off + n <= end);
        l = 0;
        while (n--)
            l = l << 8 | b[(*off)++];
    }
    assert_true(*off + l <= end);
    *vlen = l;
    return tag;
}

static long ber_int(const uint8_t *b, size_t end, size_t *off)
{
    size_t l;
    assert_int_equal(ber(b, end, off, &l), 0x02);
    assert_true(l >= 1 && l <= 4);
    long v = (b[*off] & 0x80) ? -1 : 0;
    for (size_t i = 0; i < l; i++)
        v = v * 256 + b[*off + i];
    *off += l;
    return v;
}

static void test_builtin_snmp(void **state)
{
    (void)state;
    const struct udp_payload *pl = builtin(161);
    const uint8_t *b = pl->data;
    size_t off = 0, l;
    assert_int_equal(ber(b, pl->len, &off, &l), 0x30);
    assert_int_equal(off + l, pl->len); /* the message is the datagram */
    size_t end = off + l;
    long version = ber_int(b, end, &off);
    assert_true(version == 0 || version == 1); /* v1 or v2c */
    assert_int_equal(ber(b, end, &off, &l), 0x04);
    assert_int_equal(l, 6);
    assert_memory_equal(b + off, "public", 6);
    off += l;
    assert_int_equal(ber(b, end, &off, &l), 0xa0); /* GetRequest-PDU */
    assert_int_equal(off + l, end);
    ber_int(b, end, &off);                         /* request-id */
    assert_int_equal(ber_int(b, end, &off), 0);    /* error-status */
    assert_int_equal(ber_int(b, end, &off), 0);    /* error-index */
    assert_int_equal(ber(b, end, &off, &l), 0x30); /* VarBindList */
    assert_int_equal(off + l, end);
    assert_int_equal(ber(b, end, &off, &l), 0x30); /* VarBind */
    assert_int_equal(off + l, end);
    assert_int_equal(ber(b, end, &off, &l), 0x06);
    /* OID: first byte is 40*X+Y, then base-128 arcs. */
    char oid[64];
    int w = snprintf(oid, sizeof oid, "%u.%u", b[off] / 40, b[off] % 40);
    unsigned arc = 0;
    for (size_t i = 1; i < l; i++) {
        arc = arc << 7 | (b[off + i] & 0x7f);
        if (!(b[off + i] & 0x80)) {
            w += snprintf(oid + w, sizeof oid - (size_t)w, ".%u", arc);
            arc = 0;
        }
    }
    assert_string_equal(oid, "1.3.6.1.2.1.1.1.0"); /* sysDescr.0 */
    off += l;
    assert_int_equal(ber(b, end, &off, &l), 0x05); /* NULL */
    assert_int_equal(l, 0);
    assert_int_equal(off, end);
}

/* ---- SunRPC ------------------------------------------------------------- */

static void test_builtin_rpc(void **state)
{
    (void)state;
    const struct udp_payload *pl = builtin(111);
    const uint8_t *b = pl->data;
    assert_int_equal(pl->len, 40);
    assert_int_equal(be32(b + 4), 0);       /* CALL */
    assert_int_equal(be32(b + 8), 2);       /* RPC version */
    assert_int_equal(be32(b + 12), 100000); /* portmapper */
    assert_int_equal(be32(b + 16), 2);      /* version */
    assert_int_equal(be32(b + 20), 0);      /* NULL procedure */
    for (int i = 24; i < 40; i += 4)
        assert_int_equal(be32(b + i), 0); /* AUTH_NONE cred and verf, empty */
}

/* ---- IKE ------------------------------------------------------------------ */

static void test_builtin_ike(void **state)
{
    (void)state;
    const struct udp_payload *pl = builtin(500);
    const uint8_t *b = pl->data;
    assert_true(pl->len >= 28);
    assert_true(be32(b) != 0 || be32(b + 4) != 0); /* initiator cookie */
    assert_int_equal(be32(b + 8), 0);              /* responder cookie */
    assert_int_equal(be32(b + 12), 0);
    assert_int_equal(b[16], 1);    /* next payload SA */
    assert_int_equal(b[17], 0x10); /* version 1.0 */
    assert_int_equal(b[18], 2);    /* main mode */
    assert_int_equal(be32(b + 20), 0);
    assert_int_equal(be32(b + 24), pl->len);

    size_t sa = 28;
    assert_int_equal(b[sa], 0); /* only payload */
    assert_int_equal(sa + be16(b + sa + 2), pl->len);
    assert_int_equal(be32(b + sa + 4), 1); /* IPsec DOI */
    assert_int_equal(be32(b + sa + 8), 1); /* identity only */

    size_t prop = sa + 12;
    assert_int_equal(b[prop], 0);
    assert_int_equal(prop + be16(b + prop + 2), pl->len);
    assert_int_equal(b[prop + 5], 1); /* PROTO_ISAKMP */
    assert_int_equal(b[prop + 6], 0); /* no SPI */
    assert_int_equal(b[prop + 7], 1); /* one transform */

    size_t tr = prop + 8;
    size_t tlen = be16(b + tr + 2);
    assert_int_equal(b[tr], 0);
    assert_int_equal(tr + tlen, pl->len);
    assert_int_equal(b[tr + 5], 1); /* KEY_IKE */
    unsigned seen = 0;
    for (size_t a = tr + 8; a < tr + tlen; a += 4) {
        uint16_t type = be16(b + a);
        assert_true(type & 0x8000); /* TV form: 4 bytes each */
        seen |= 1u << (type & 0x7fff);
    }
    /* encryption, hash, auth method, group: what main mode requires */
    assert_int_equal(seen & 0x1e, 0x1e);
}

/* ---- SSDP ------------------------------------------------------------- */

static void check_ssdp(const struct udp_payload *pl, const char *host)
{
    char text[512];
    assert_true(pl->len < sizeof text);
    memcpy(text, pl->data, pl->len);
    text[pl->len] = '\0';
    assert_int_equal(strlen(text), pl->len);
    assert_true(strncmp(text, "M-SEARCH * HTTP/1.1\r\n", 21) == 0);
    assert_non_null(strstr(text, host));
    assert_non_null(strstr(text, "\r\nMAN: \"ssdp:discover\"\r\n"));
    assert_non_null(strstr(text, "\r\nMX: "));
    assert_non_null(strstr(text, "\r\nST: ssdp:all\r\n"));
    assert_int_equal(strcmp(text + pl->len - 4, "\r\n\r\n"), 0);
    for (size_t i = 0; i < pl->len; i++)
        if (text[i] == '\n')
            assert_int_equal(text[i - 1], '\r');
}

static void test_builtin_ssdp(void **state)
{
    (void)state;
    check_ssdp(udp_payload_builtin(1900, AF_INET), "\r\nHOST: 239.255.255.250:1900\r\n");
    check_ssdp(udp_payload_builtin(1900, AF_INET6), "\r\nHOST: [FF02::C]:1900\r\n");
}

/* ---- lookup ------------------------------------------------------------- */

static void test_lookup_builtins_only(void **state)
{
    (void)state;
    char err[256];
    struct udp_payloads *p = udp_payloads_load("/nonexistent/nmap-payloads", err, sizeof err);
    assert_non_null(p); /* a missing file is not an error */
    assert_int_equal(udp_payloads_file_entries(p), 0);
    static const uint16_t ports[] = {53, 111, 123, 137, 161, 500, 1900, 5353};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        assert_ptr_equal(udp_payload_get(p, ports[i], AF_INET),
                         udp_payload_builtin(ports[i], AF_INET));
        assert_ptr_equal(udp_payload_get(NULL, ports[i], AF_INET6),
                         udp_payload_builtin(ports[i], AF_INET6));
    }
    assert_ptr_not_equal(udp_payload_get(p, 1900, AF_INET), udp_payload_get(p, 1900, AF_INET6));
    const struct udp_payload *none = udp_payload_get(p, 9, AF_INET);
    assert_non_null(none);
    assert_null(none->data);
    assert_int_equal(none->len, 0);
    size_t n = 99;
    udp_payload_get_all(p, 9, AF_INET, &n);
    assert_int_equal(n, 0);
    udp_payload_get_all(p, 53, AF_INET, &n);
    assert_int_equal(n, 1);
    udp_payloads_free(p);
    udp_payloads_free(NULL);
}

/* Write text to a fresh temporary file; the caller unlinks path. */
static void write_temp(char *path, const char *text)
{
    strcpy(path, "/tmp/prtip-payloads-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static const char sample[] = "# hand-written nmap-payloads\n"
                             "udp 7 \"\\x0D\\x0a\"  # two bytes\n"
                             "udp 53,100-102,53\n"
                             "  \"ab\\0c\"\n"
                             "  # a comment between strings\n"
                             "  \"\\\\\\\"\\t\\r\\n\\a\\b\\f\\v\\xff\\?\"\n"
                             "source 500\n"
                             "udp 101,5353 \"second\" future-keyword with \"anything\" here\n"
                             "udp 40000-65535 \"hi\"\"gh\"\n";

static void expect(const struct udp_payload *pl, const void *bytes, size_t len)
{
    assert_int_equal(pl->len, len);
    assert_memory_equal(pl->data, bytes, len);
}

static void test_parse_file(void **state)
{
    (void)state;
    char path[64], err[256];
    write_temp(path, sample);
    struct udp_payloads *p = udp_payloads_load(path, err, sizeof err);
    unlink(path);
    assert_non_null(p);
    assert_int_equal(udp_payloads_file_entries(p), 4);

    expect(udp_payload_get(p, 7, AF_INET), "\r\n", 2);
    static const uint8_t dns[] = {'a',  'b',  0,    'c',  '\\', '"',  '\t', '\r',
                                  '\n', '\a', '\b', '\f', '\v', 0xff, '?'};
    size_t n;
    const struct udp_payload *all = udp_payload_get_all(p, 53, AF_INET, &n);
    assert_int_equal(n, 1); /* "53" twice in one list is one port */
    expect(&all[0], dns, sizeof dns);
    /* The file wins over the built-in for 53 and 5353 ... */
    assert_ptr_not_equal(udp_payload_get(p, 53, AF_INET), udp_payload_builtin(53, AF_INET));
    expect(udp_payload_get(p, 5353, AF_INET6), "second", 6);
    /* ... and the built-in fills in where the file says nothing. */
    assert_ptr_equal(udp_payload_get(p, 123, AF_INET), udp_payload_builtin(123, AF_INET));

    all = udp_payload_get_all(p, 101, AF_INET, &n); /* two entries, file order */
    assert_int_equal(n, 2);
    expect(&all[0], dns, sizeof dns);
    expect(&all[1], "second", 6);
    expect(udp_payload_get(p, 100, AF_INET), dns, sizeof dns);
    expect(udp_payload_get(p, 102, AF_INET), dns, sizeof dns);
    assert_int_equal(udp_payload_get(p, 99, AF_INET)->len, 0);
    assert_int_equal(udp_payload_get(p, 103, AF_INET)->len, 0);
    expect(udp_payload_get(p, 40000, AF_INET), "high", 4);
    expect(udp_payload_get(p, 65535, AF_INET), "high", 4);
    assert_int_equal(udp_payload_get(p, 39999, AF_INET)->len, 0);
    udp_payloads_free(p);
}

static void test_empty_string_payload(void **state)
{
    (void)state;
    char err[256];
    const char text[] = "udp 9 \"\"";
    struct udp_payloads *p = udp_payloads_parse(text, sizeof text - 1, "t", err, sizeof err);
    assert_non_null(p);
    size_t n;
    const struct udp_payload *pl = udp_payload_get_all(p, 9, AF_INET, &n);
    assert_int_equal(n, 1);
    assert_null(pl->data);
    assert_int_equal(pl->len, 0);
    udp_payloads_free(p);
}

struct bad_case {
    const char *text;
    const char *err; /* exact message for name "f" */
};

static void test_malformed(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"udp 53 \"abc\n", "f:1: unterminated string"},
        {"# c\nudp 53\n \"ab\\q\"", "f:3: bad escape \\q"},
        {"udp 53 \"\\x4\"", "f:1: bad escape \\x (want two hex digits)"},
        {"udp 53 \"\\x", "f:1: bad escape \\x (want two hex digits)"},
        {"udp 53 \"\\1\"", "f:1: bad escape \\1"},
        {"\n\nudp 65536 \"a\"", "f:3: bad port list \"65536\" (want N or N-M, 0-65535, by commas)"},
        {"udp 1,,2 \"a\"", "f:1: bad port list \"1,,2\" (want N or N-M, 0-65535, by commas)"},
        {"udp 9-x \"a\"", "f:1: bad port range in \"9-x\""},
        {"udp 20-10 \"a\"", "f:1: reversed port range 20-10"},
        {"udp \"a\"", "f:1: missing port list after \"udp\""},
        {"udp\n", "f:1: missing port list after \"udp\""},
        {"udp 53\nudp 54 \"a\"", "f:1: entry has no payload string"},
        {"tcp 80 \"a\"", "f:1: expected \"udp\", found \"tcp\""},
        {"\"a\"", "f:1: string outside an entry (entries start with \"udp\")"},
        {"udp 1 \"a\" source\n500", "f:1: \"source\" needs a port (0-65535) on the same line, "
                                    "got \"\""},
        {"udp 1 \"a\" source 5x", "f:1: \"source\" needs a port (0-65535) on the same line, "
                                  "got \"5x\""},
        {"udp 1 \"a\" source 1\n\"b\"",
         "f:2: string outside an entry (entries start with \"udp\")"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *t = cases[i].text;
        struct udp_payloads *p = udp_payloads_parse(t, strlen(t), "f", err, sizeof err);
        if (p || strcmp(err, cases[i].err) != 0)
            fail_msg("case %zu: got %s \"%s\", want \"%s\"", i, p ? "success" : "error", err,
                     cases[i].err);
    }
}

static void test_malformed_binary(void **state)
{
    (void)state;
    char err[256];
    const char nul[] = "udp 1 \"a\"\n\"\0\"";
    assert_null(udp_payloads_parse(nul, sizeof nul - 1, "f", err, sizeof err));
    assert_string_equal(err, "f:2: NUL byte (not a text file)");

    /* A hostile word is shown short and printable, on one line. */
    const char junk[] = "\x01\x1b[2Jaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    assert_null(udp_payloads_parse(junk, sizeof junk - 1, "f", err, sizeof err));
    assert_string_equal(err, "f:1: expected \"udp\", found \"??[2Jaaaaaaaaaaaaaaaaaaa...\"");

    /* Over the UDP maximum, counted after escapes. */
    size_t big = UDP_PAYLOAD_MAX_LEN + 1;
    char *t = malloc(big + 16);
    assert_non_null(t);
    int w = sprintf(t, "udp 1 \"");
    memset(t + w, 'A', big);
    memcpy(t + w + big, "\"", 2);
    assert_null(udp_payloads_parse(t, strlen(t), "f", err, sizeof err));
    assert_string_equal(err, "f:1: payload of 65508 bytes is over the UDP maximum of 65507");
    free(t);

    /* Tiny errlen truncates but never overflows. */
    char small[8];
    assert_null(udp_payloads_parse("udp", 3, "file", small, sizeof small));
    assert_string_equal(small, "file:1:");
}

static void test_per_port_limit(void **state)
{
    (void)state;
    char err[256];
    size_t cap = 300 * 32;
    char *t = malloc(cap);
    assert_non_null(t);
    size_t w = 0;
    for (int i = 0; i < UDP_PAYLOADS_MAX_PER_PORT; i++)
        w += (size_t)snprintf(t + w, cap - w, "udp 0-65535 \"%d\"\n", i);
    struct udp_payloads *p = udp_payloads_parse(t, w, "f", err, sizeof err);
    assert_non_null(p);
    size_t n;
    const struct udp_payload *all = udp_payload_get_all(p, 4242, AF_INET, &n);
    assert_int_equal(n, UDP_PAYLOADS_MAX_PER_PORT);
    expect(&all[254], "254", 3);
    udp_payloads_free(p);

    w += (size_t)snprintf(t + w, cap - w, "udp 9,10 \"x\"\n");
    assert_null(udp_payloads_parse(t, w, "f", err, sizeof err));
    assert_string_equal(err, "f:256: more than 255 payloads for port 9");
    free(t);
}

static void test_open_errors(void **state)
{
    (void)state;
    char err[256];
    assert_null(udp_payloads_load("/tmp", err, sizeof err)); /* a directory */
    assert_non_null(strstr(err, "/tmp"));
    assert_null(strchr(err, '\n'));
}

static void test_real_file(void **state)
{
    (void)state;
    if (access(REAL_PAYLOADS, R_OK) != 0)
        skip();
    char err[256];
    struct udp_payloads *p = udp_payloads_load(REAL_PAYLOADS, err, sizeof err);
    if (!p)
        fail_msg("%s", err);
    assert_true(udp_payloads_file_entries(p) > 20);
    static const uint16_t ports[] = {53, 123, 161};
    for (size_t i = 0; i < 3; i++) {
        const struct udp_payload *pl = udp_payload_get(p, ports[i], AF_INET);
        assert_true(pl->len > 0);
        assert_ptr_not_equal(pl, udp_payload_builtin(ports[i], AF_INET)); /* from the file */
    }
    /* nmap's default datadir gives the same table. */
    unsetenv("PRTIP_DATADIR");
    struct udp_payloads *d = udp_payloads_load(NULL, err, sizeof err);
    assert_non_null(d);
    assert_int_equal(udp_payloads_file_entries(d), udp_payloads_file_entries(p));
    udp_payloads_free(d);
    udp_payloads_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_dns),          cmocka_unit_test(test_builtin_mdns),
        cmocka_unit_test(test_builtin_ntp),          cmocka_unit_test(test_builtin_nbns),
        cmocka_unit_test(test_builtin_snmp),         cmocka_unit_test(test_builtin_rpc),
        cmocka_unit_test(test_builtin_ike),          cmocka_unit_test(test_builtin_ssdp),
        cmocka_unit_test(test_lookup_builtins_only), cmocka_unit_test(test_parse_file),
        cmocka_unit_test(test_empty_string_payload), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_malformed_binary),     cmocka_unit_test(test_per_port_limit),
        cmocka_unit_test(test_open_errors),          cmocka_unit_test(test_real_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
