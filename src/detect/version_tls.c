/*
 * version_tls.c — TLS for the version stage, through OpenSSL: non-blocking
 * client handshakes driven from the event loop, and the facts of a port
 * that speaks TLS (issue 11 point 4): protocol, cipher, ALPN, SNI, the
 * leaf certificate, JA3S; rendered also as nmap's ssl-cert script (text and
 * XML elements as ssl-cert.nse's output_str/output_tab in nmap 7.93).
 *
 * Probe connections offer no ALPN (nmap's do not; an h2 server would
 * answer an HTTP/1.0 probe differently). The one facts connection per TLS
 * port offers h2 and http/1.1 and records the ServerHello for JA3S
 * (md5 of "version,cipher,ext-ext-..." in decimal, Salesforce's JA3S).
 * Certificates are not verified: -sV reports what is presented.
 */
#include "detect/version_internal.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

SSL_CTX *vtls_ctx_new(char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "OpenSSL: cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    /* Old servers too: every protocol and cipher OpenSSL still has. */
    SSL_CTX_set_min_proto_version(ctx, 0);
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
    SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
    return ctx;
}

void vtls_ctx_free(SSL_CTX *ctx)
{
    SSL_CTX_free(ctx);
}

int vtls_ja3s(const uint8_t *b, size_t len, char out[33])
{
    out[0] = '\0';
    if (len < 4 + 2 + 32 + 1 || b[0] != 2)
        return -1;
    size_t off = 4;
    unsigned ver = (unsigned)b[off] << 8 | b[off + 1];
    off += 2 + 32;
    size_t sid = b[off++];
    if (off + sid + 3 > len)
        return -1;
    off += sid;
    unsigned cipher = (unsigned)b[off] << 8 | b[off + 1];
    off += 3; /* cipher suite and compression method */
    char text[1024];
    int n = snprintf(text, sizeof(text), "%u,%u,", ver, cipher);
    if (off + 2 <= len) {
        size_t elen = (size_t)b[off] << 8 | b[off + 1];
        off += 2;
        size_t end = off + elen <= len ? off + elen : len;
        bool first = true;
        while (off + 4 <= end && n > 0 && (size_t)n < sizeof(text) - 8) {
            unsigned type = (unsigned)b[off] << 8 | b[off + 1];
            size_t l = (size_t)b[off + 2] << 8 | b[off + 3];
            n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%u", first ? "" : "-", type);
            first = false;
            off += 4 + l;
        }
    }
    if (n <= 0 || (size_t)n >= sizeof(text))
        return -1;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (EVP_Digest(text, (size_t)n, md, &mdlen, EVP_md5(), NULL) != 1 || mdlen != 16)
        return -1;
    for (unsigned i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* JA3S from the ServerHello as it arrives (the first one only). */
static void on_msg(int write_p, int version, int content_type, const void *buf, size_t len,
                   SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    char *out = arg;
    if (write_p || content_type != SSL3_RT_HANDSHAKE || out[0])
        return;
    vtls_ja3s(buf, len, out);
}

static bool is_ip_literal(const char *s)
{
    unsigned char b[16];
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

SSL *vtls_new(SSL_CTX *ctx, int fd, const char *sni, bool facts, char ja3s[33], SSL_SESSION *resume)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    /* SNI carries the name the user typed; an address is never sent
     * (RFC 6066 section 3). */
    if (sni && *sni && !is_ip_literal(sni))
        SSL_set_tlsext_host_name(ssl, sni);
    if (facts) {
        static const unsigned char alpn[] = "\x02h2\x08http/1.1";
        SSL_set_alpn_protos(ssl, alpn, sizeof(alpn) - 1);
        ja3s[0] = '\0';
        SSL_set_msg_callback(ssl, on_msg);
        SSL_set_msg_callback_arg(ssl, ja3s);
    } else if (resume) {
        SSL_set_session(ssl, resume); /* a server that declines does a full handshake */
    }
    SSL_set_connect_state(ssl);
    return ssl;
}

bool vtls_keep_session(SSL *ssl, SSL_SESSION **keep)
{
    if (*keep)
        return false;
    SSL_SESSION *s = SSL_get1_session(ssl);
    if (s && SSL_SESSION_is_resumable(s)) {
        *keep = s;
        return true;
    }
    SSL_SESSION_free(s);
    return false;
}

void vtls_session_free(SSL_SESSION *s)
{
    SSL_SESSION_free(s);
}

void vtls_free(SSL *ssl)
{
    if (!ssl)
        return;
    SSL_set_quiet_shutdown(ssl, 1);
    /* Probes close without close_notify; without this OpenSSL would mark
     * the session not resumable on SSL_free (RFC 4346 no longer asks
     * that), and the port's later probes could not resume it. */
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl);
    ERR_clear_error();
}

int vtls_handshake(SSL *ssl, uint32_t *want)
{
    int rc = SSL_do_handshake(ssl);
    if (rc == 1)
        return 1;
    int e = SSL_get_error(ssl, rc);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ) {
        *want = EVLOOP_READ;
        return 0;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        *want = EVLOOP_WRITE;
        return 0;
    }
    return -1;
}

long vtls_read(SSL *ssl, void *buf, size_t len)
{
    size_t got = 0;
    int rc = SSL_read_ex(ssl, buf, len, &got);
    if (rc == 1)
        return (long)got;
    int e = SSL_get_error(ssl, rc);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return -2;
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    /* An EOF without close_notify is an EOF to a prober (nmap's too). */
    if (e == SSL_ERROR_SSL || e == SSL_ERROR_SYSCALL)
        return got ? (long)got : 0;
    return -1;
}

long vtls_write(SSL *ssl, const void *buf, size_t len)
{
    size_t put = 0;
    int rc = SSL_write_ex(ssl, buf, len, &put);
    if (rc == 1)
        return (long)put;
    int e = SSL_get_error(ssl, rc);
    ERR_clear_error();
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? -2 : -1;
}

/* ---- facts --------------------------------------------------------------- */

static char *bio_string(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = '\0';
    }
    return s;
}

static char *hexdup(const unsigned char *md, unsigned n)
{
    char *s = malloc(2 * (size_t)n + 1);
    if (!s)
        return NULL;
    for (unsigned i = 0; i < n; i++)
        snprintf(s + 2 * i, 3, "%02x", md[i]);
    return s;
}

static char *digest_hex(const X509 *cert, const EVP_MD *md)
{
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (X509_digest(cert, md, buf, &n) != 1)
        return NULL;
    return hexdup(buf, n);
}

static char *name_rfc4514(const X509_NAME *name)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return NULL;
    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char *s = bio_string(b);
    BIO_free(b);
    return s;
}

static int64_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

/* nmap's datetime.format_timestamp for UTC: 2026-12-06T05:49:00. */
static void iso_time(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    buf[0] = '\0';
    if (gmtime_r(&tt, &tm))
        strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* ---- ssl-cert script elements ----------------------------------------------- */

struct elems {
    struct script_elem *v;
    size_t n, cap;
    bool failed;
};

static struct script_elem *elem_add(struct elems *e, const char *key, const char *value)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 8;
        struct script_elem *v = realloc(e->v, cap * sizeof(*v));
        if (!v) {
            e->failed = true;
            return NULL;
        }
        e->v = v;
        e->cap = cap;
    }
    struct script_elem *x = &e->v[e->n++];
    memset(x, 0, sizeof(*x));
    x->key = key ? strdup(key) : NULL;
    x->value = value ? strdup(value) : NULL;
    if ((key && !x->key) || (value && !x->value))
        e->failed = true;
    return x;
}

/* A table element taking ownership of the children built in sub. */
static void elem_table(struct elems *e, const char *key, struct elems *sub)
{
    struct script_elem *t = elem_add(e, key, NULL);
    if (!t) {
        for (size_t i = 0; i < sub->n; i++)
            script_elem_free(&sub->v[i]);
        free(sub->v);
        return;
    }
    t->children = sub->v;
    t->nchildren = sub->n;
    e->failed |= sub->failed;
}

struct name_kv {
    char key[80];
    char *value;
};

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const struct name_kv *)a)->key, ((const struct name_kv *)b)->key);
}

/* The entries of a name, keyed as nmap's (long names, or the dotted OID). */
static size_t name_entries(const X509_NAME *name, struct name_kv *kv, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < X509_NAME_entry_count(name) && n < max; i++) {
        const X509_NAME_ENTRY *ent = X509_NAME_get_entry(name, i);
        const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(ent);
        int nid = OBJ_obj2nid(obj);
        const char *ln = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
        if (ln)
            snprintf(kv[n].key, sizeof(kv[n].key), "%s", ln);
        else
            OBJ_obj2txt(kv[n].key, sizeof(kv[n].key), obj, 1);
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ent));
        if (len < 0)
            continue;
        kv[n].value = malloc((size_t)len + 1);
        if (kv[n].value) {
            memcpy(kv[n].value, utf8, (size_t)len);
            kv[n].value[len] = '\0';
            n++;
        }
        OPENSSL_free(utf8);
    }
    return n;
}

/* ssl-cert's stringify_name: the four usual fields in nmap's order ("/"
 * between), all the others too at -vv. A field given twice shows once, its
 * last value (a Lua table keyed by name). */
static void stringify_name(const struct name_kv *kv, size_t n, int verbose, char *buf, size_t len)
{
    static const char *const usual[] = {"commonName", "organizationName", "stateOrProvinceName",
                                        "countryName"};
    size_t used = 0;
    buf[0] = '\0';
    for (size_t u = 0; u < 4; u++) {
        const char *v = NULL;
        for (size_t i = 0; i < n; i++)
            if (strcmp(kv[i].key, usual[u]) == 0)
                v = kv[i].value;
        if (v && used < len)
            used +=
                (size_t)snprintf(buf + used, len - used, "%s%s=%s", used ? "/" : "", usual[u], v);
    }
    if (verbose <= 1)
        return;
    for (size_t i = 0; i < n && used < len; i++) {
        bool is_usual = false;
        for (size_t u = 0; u < 4; u++)
            is_usual |= strcmp(kv[i].key, usual[u]) == 0;
        if (!is_usual)
            used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", used ? "/" : "", kv[i].key,
                                     kv[i].value);
    }
}

static void name_table(struct elems *e, const char *key, struct name_kv *kv, size_t n)
{
    struct name_kv sorted[32];
    memcpy(sorted, kv, n * sizeof(*kv));
    qsort(sorted, n, sizeof(*sorted), cmp_kv);
    struct elems sub = {0};
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || strcmp(sorted[i].key, sorted[i + 1].key) != 0)
            elem_add(&sub, sorted[i].key, sorted[i].value);
    elem_table(e, key, &sub);
}

static const char *key_type_name(const EVP_PKEY *pk)
{
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA:
        return "rsa";
    case EVP_PKEY_DSA:
        return "dsa";
    case EVP_PKEY_DH:
        return "dh";
    case EVP_PKEY_EC:
        return "ec";
    case EVP_PKEY_ED25519:
        return "ed25519";
    case EVP_PKEY_ED448:
        return "ed448";
    default:
        return "unknown";
    }
}

static void pubkey_table(struct elems *e, EVP_PKEY *pk)
{
    struct elems sub = {0};
    char bits[16];
    snprintf(bits, sizeof(bits), "%d", EVP_PKEY_get_bits(pk));
    elem_add(&sub, "type", key_type_name(pk));
    elem_add(&sub, "bits", bits);
    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
        BIGNUM *nbn = NULL, *ebn = NULL;
        if (EVP_PKEY_get_bn_param(pk, "n", &nbn) == 1 &&
            EVP_PKEY_get_bn_param(pk, "e", &ebn) == 1) {
            char *nh = BN_bn2hex(nbn), *ed = BN_bn2dec(ebn);
            if (nh && ed) {
                elem_add(&sub, "modulus", nh);
                elem_add(&sub, "exponent", ed);
            }
            OPENSSL_free(nh);
            OPENSSL_free(ed);
        }
        BN_free(nbn);
        BN_free(ebn);
    } else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
        char curve[80] = "";
        size_t cl = 0;
        struct elems params = {0}, ecdh = {0};
        if (EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof(curve), &cl) == 1) {
            elem_add(&params, "ec_curve_type", "namedcurve");
            elem_add(&params, "curve", curve);
        }
        elem_table(&ecdh, "curve_params", &params);
        elem_table(&sub, "ecdhparams", &ecdh);
    }
    elem_table(e, "pubkey", &sub);
}

static void extensions_table(struct elems *e, X509 *cert, char **san_text)
{
    int n = X509_get_ext_count(cert);
    if (n <= 0)
        return;
    struct elems list = {0};
    for (int i = 0; i < n; i++) {
        X509_EXTENSION *ext = X509_get_ext(cert, i);
        const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
        char name[128];
        int nid = OBJ_obj2nid(obj);
        if (nid != NID_undef && OBJ_nid2ln(nid))
            snprintf(name, sizeof(name), "%s", OBJ_nid2ln(nid));
        else
            OBJ_obj2txt(name, sizeof(name), obj, 1);
        BIO *b = BIO_new(BIO_s_mem());
        char *value = NULL;
        if (b) {
            if (X509V3_EXT_print(b, ext, 0, 0) != 1)
                ASN1_STRING_print(b, X509_EXTENSION_get_data(ext));
            value = bio_string(b);
            BIO_free(b);
        }
        struct elems one = {0};
        elem_add(&one, "name", name);
        if (value)
            elem_add(&one, "value", value);
        if (X509_EXTENSION_get_critical(ext))
            elem_add(&one, "critical", "true");
        elem_table(&list, NULL, &one);
        if (nid == NID_subject_alt_name && value && !*san_text)
            *san_text = strdup(value);
        free(value);
    }
    elem_table(e, "extensions", &list);
}

/* "DNS:a, IP Address:1.2.3.4" into its entries. */
static void split_san(struct tls_info *t, const char *text)
{
    size_t n = 1;
    for (const char *p = text; (p = strstr(p, ", ")) != NULL; p += 2)
        n++;
    t->san = calloc(n, sizeof(*t->san));
    if (!t->san)
        return;
    const char *p = text;
    while (*p && t->nsan < n) {
        const char *q = strstr(p, ", ");
        size_t len = q ? (size_t)(q - p) : strlen(p);
        t->san[t->nsan] = strndup(p, len);
        if (t->san[t->nsan])
            t->nsan++;
        p = q ? q + 2 : p + len;
    }
}

static void add_line(char *buf, size_t len, size_t *used, const char *fmt, const char *a,
                     const char *b)
{
    if (*used >= len)
        return;
    int n = snprintf(buf + *used, len - *used, fmt, a, b ? b : "");
    if (n > 0)
        *used += (size_t)n;
}

int vtls_facts(SSL *ssl, const char *sni, const char *ja3s, int verbose, struct tls_info **tlsp,
               struct script_output **scriptp)
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    struct tls_info *t = calloc(1, sizeof(*t));
    if (!t) {
        X509_free(cert);
        return -1;
    }
    t->protocol = strdup(SSL_get_version(ssl));
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    if (c)
        t->cipher = strdup(SSL_CIPHER_standard_name(c) ? SSL_CIPHER_standard_name(c)
                                                       : SSL_CIPHER_get_name(c));
    const unsigned char *alpn = NULL;
    unsigned alen = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alen);
    if (alpn && alen)
        t->alpn = strndup((const char *)alpn, alen);
    if (sni && *sni && !is_ip_literal(sni))
        t->sni = strdup(sni);
    if (ja3s && *ja3s)
        t->ja3s = strdup(ja3s);
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    t->chain_len = chain ? (uint32_t)sk_X509_num(chain) : (cert ? 1 : 0);
    if (!cert) {
        *tlsp = t;
        return 0;
    }
    t->subject = name_rfc4514(X509_get_subject_name(cert));
    t->issuer = name_rfc4514(X509_get_issuer_name(cert));
    t->not_before = asn1_time(X509_get0_notBefore(cert));
    t->not_after = asn1_time(X509_get0_notAfter(cert));
    int64_t left = t->not_after - (int64_t)time(NULL);
    t->days_left = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
    BIO *b = BIO_new(BIO_s_mem());
    if (b) {
        i2a_ASN1_INTEGER(b, X509_get0_serialNumber(cert));
        t->serial = bio_string(b);
        BIO_free(b);
    }
    int sig_nid = X509_get_signature_nid(cert);
    t->sig_alg = strdup(sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "unknown");
    t->sha256 = digest_hex(cert, EVP_sha256());
    t->sha1 = digest_hex(cert, EVP_sha1());
    t->md5 = digest_hex(cert, EVP_md5());
    unsigned char *der = NULL;
    int dlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (dlen > 0) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;
        if (EVP_Digest(der, (size_t)dlen, md, &mdlen, EVP_sha256(), NULL) == 1)
            t->spki_sha256 = hexdup(md, mdlen);
    }
    OPENSSL_free(der);
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    if (pk) {
        t->key_type = strdup(key_type_name(pk));
        t->key_bits = (uint32_t)EVP_PKEY_get_bits(pk);
    }
    t->self_signed = X509_self_signed(cert, 1) == 1;
    b = BIO_new(BIO_s_mem());
    if (b) {
        PEM_write_bio_X509(b, cert);
        t->pem = bio_string(b);
        BIO_free(b);
    }

    /* ssl-cert, as nmap 7.93 prints and structures it. */
    struct name_kv subj[32], iss[32];
    size_t ns = name_entries(X509_get_subject_name(cert), subj, 32);
    size_t ni = name_entries(X509_get_issuer_name(cert), iss, 32);
    struct elems e = {0};
    name_table(&e, "subject", subj, ns);
    name_table(&e, "issuer", iss, ni);
    if (pk)
        pubkey_table(&e, pk);
    char *san_text = NULL;
    extensions_table(&e, cert, &san_text);
    if (san_text)
        split_san(t, san_text);
    elem_add(&e, "sig_algo", t->sig_alg);
    char nb[32], na[32];
    iso_time(t->not_before, nb, sizeof(nb));
    iso_time(t->not_after, na, sizeof(na));
    struct elems val = {0};
    elem_add(&val, "notBefore", nb);
    elem_add(&val, "notAfter", na);
    elem_table(&e, "validity", &val);
    elem_add(&e, "md5", t->md5);
    elem_add(&e, "sha1", t->sha1);
    elem_add(&e, "pem", t->pem);

    char text[8192], name[1024];
    size_t used = 0;
    stringify_name(subj, ns, verbose, name, sizeof(name));
    add_line(text, sizeof(text), &used, "Subject: %s%s", name, NULL);
    if (san_text)
        add_line(text, sizeof(text), &used, "\nSubject Alternative Name: %s%s", san_text, NULL);
    if (verbose > 0) {
        char bits[16];
        snprintf(bits, sizeof(bits), "%u", t->key_bits);
        stringify_name(iss, ni, verbose, name, sizeof(name));
        add_line(text, sizeof(text), &used, "\nIssuer: %s%s", name, NULL);
        add_line(text, sizeof(text), &used, "\nPublic Key type: %s%s", t->key_type, NULL);
        add_line(text, sizeof(text), &used, "\nPublic Key bits: %s%s", bits, NULL);
        add_line(text, sizeof(text), &used, "\nSignature Algorithm: %s%s", t->sig_alg, NULL);
    }
    add_line(text, sizeof(text), &used, "\nNot valid before: %s%s", nb, NULL);
    add_line(text, sizeof(text), &used, "\nNot valid after:  %s%s", na, NULL);
    if (verbose > 0) {
        /* nmap 7.93 prints these ungrouped (its tohex ignores the
         * grouping ssl-cert asks for). */
        add_line(text, sizeof(text), &used, "\nMD5:   %s%s", t->md5, NULL);
        add_line(text, sizeof(text), &used, "\nSHA-1: %s%s", t->sha1, NULL);
    }
    if (verbose > 1 && t->pem)
        add_line(text, sizeof(text), &used, "\n%s%s", t->pem, NULL);
    free(san_text);
    for (size_t i = 0; i < ns; i++)
        free(subj[i].value);
    for (size_t i = 0; i < ni; i++)
        free(iss[i].value);
    X509_free(cert);

    struct script_output *s = calloc(1, sizeof(*s));
    if (s) {
        s->id = strdup("ssl-cert");
        s->output = strdup(text);
        s->elems = e.v;
        s->nelems = e.n;
    } else {
        for (size_t i = 0; i < e.n; i++)
            script_elem_free(&e.v[i]);
        free(e.v);
    }
    *tlsp = t;
    *scriptp = s;
    return 0;
}
