/*
 * json_text.c — see json_text.h.
 */
#include "output/json_text.h"
#include "core/result.h"

#include <stdlib.h>
#include <string.h>

json_t *out_json_text(const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s);
    if (v)
        return v;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *c = copy; *c; c++)
        if ((unsigned char)*c >= 0x80)
            *c = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

/* Set key to v (a new reference, stolen); NULL v is an allocation failure. */
static int set_new(json_t *o, const char *key, json_t *v)
{
    return v && json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

static int set_opt(json_t *o, const char *key, const char *v)
{
    return v ? set_new(o, key, out_json_text(v)) : 0;
}

json_t *out_json_tls(const struct tls_info *t)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = set_opt(o, "protocol", t->protocol) | set_opt(o, "cipher", t->cipher) |
             set_opt(o, "alpn", t->alpn) | set_opt(o, "sni", t->sni) | set_opt(o, "ja3s", t->ja3s) |
             set_opt(o, "subject", t->subject) | set_opt(o, "issuer", t->issuer) |
             set_opt(o, "serial", t->serial) | set_opt(o, "sig_alg", t->sig_alg) |
             set_opt(o, "key_type", t->key_type) | set_opt(o, "sha256", t->sha256) |
             set_opt(o, "spki_sha256", t->spki_sha256) | set_opt(o, "sha1", t->sha1) |
             set_opt(o, "md5", t->md5);
    json_t *san = json_array();
    for (size_t i = 0; san && i < t->nsan; i++)
        if (json_array_append_new(san, out_json_text(t->san[i])) < 0)
            rc = -1;
    rc |= set_new(o, "san", san);
    rc |= set_new(o, "not_before", json_integer(t->not_before));
    rc |= set_new(o, "not_after", json_integer(t->not_after));
    if (t->not_after)
        rc |= set_new(o, "days_left", json_integer(t->days_left));
    if (t->key_bits)
        rc |= set_new(o, "key_bits", json_integer(t->key_bits));
    rc |= set_new(o, "self_signed", json_boolean(t->self_signed));
    rc |= set_new(o, "chain_len", json_integer(t->chain_len));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int out_json_service_evidence(json_t *o, const struct service_result *s)
{
    int rc = set_opt(o, "probe", s->probe);
    if (s->line)
        rc |= set_new(o, "line", json_integer(s->line));
    if (s->soft)
        rc |= set_new(o, "softmatch", json_true());
    rc |= set_opt(o, "fingerprint", s->fingerprint);
    rc |= set_opt(o, "differs_from_nmap", s->differs);
    return rc;
}
