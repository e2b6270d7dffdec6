/*
 * resume_json.c — host records of the resume file (resume.h) as JSON lines,
 * through jansson; the store's codecs (store/codec.h) give -sV's and -O's
 * findings the same shapes as the database's columns.
 */
#include "output/resume_internal.h"

#include "core/addr.h"
#include "store/codec.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- host records <-> JSON ---------------------------------------------- */

bool resume_host_complete(const struct host_result *h)
{
    return !h->interrupted && h->ports_unscanned == 0;
}

/* -sV's answer by short keys; the strings of struct service_result. */
static const struct {
    const char *key;
    size_t off;
} svc_str[] = {
    {"n", offsetof(struct service_result, name)},
    {"p", offsetof(struct service_result, product)},
    {"v", offsetof(struct service_result, version)},
    {"i", offsetof(struct service_result, extrainfo)},
    {"h", offsetof(struct service_result, hostname)},
    {"o", offsetof(struct service_result, ostype)},
    {"d", offsetof(struct service_result, devicetype)},
    {"pr", offsetof(struct service_result, probe)},
    {"df", offsetof(struct service_result, differs)},
    {"fp", offsetof(struct service_result, fingerprint)},
};

static char **svc_field(struct service_result *s, size_t i)
{
    return (char **)((char *)s + svc_str[i].off);
}

static json_t *svc_to_json(const struct service_result *s)
{
    json_t *o = json_object(), *cpe = json_array();
    if (!o || !cpe) {
        json_decref(o);
        json_decref(cpe);
        return NULL;
    }
    for (size_t i = 0; i < sizeof svc_str / sizeof svc_str[0]; i++) {
        const char *v = *svc_field((struct service_result *)s, i);
        if (v)
            json_object_set_new(o, svc_str[i].key, json_string(v));
    }
    for (size_t i = 0; i < s->ncpe; i++)
        json_array_append_new(cpe, json_string(s->cpe[i]));
    json_object_set_new(o, "cpe", cpe);
    json_object_set_new(o, "m", json_integer(s->method));
    json_object_set_new(o, "c", json_integer(s->conf));
    json_object_set_new(o, "l", json_integer(s->line));
    json_object_set_new(o, "t", json_boolean(s->tunnel_ssl));
    json_object_set_new(o, "s", json_boolean(s->soft));
    return o;
}

/* o -> *s (zeroed first; strings owned by s). 0, or -1 (s released). */
static int svc_from_json(json_t *o, struct service_result *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < sizeof svc_str / sizeof svc_str[0]; i++) {
        json_t *v = json_object_get(o, svc_str[i].key);
        if (!v)
            continue;
        if (!json_is_string(v) || !(*svc_field(s, i) = strdup(json_string_value(v))))
            goto bad;
    }
    json_t *cpe = json_object_get(o, "cpe"), *m = json_object_get(o, "m"),
           *c = json_object_get(o, "c"), *l = json_object_get(o, "l");
    if (!s->name || !json_is_array(cpe) || !json_is_integer(m) || !json_is_integer(c) ||
        !json_is_integer(l) || json_integer_value(m) < SERVICE_METHOD_TABLE ||
        json_integer_value(m) > SERVICE_METHOD_PROBED || json_integer_value(c) < 0 ||
        json_integer_value(c) > 10 || json_integer_value(l) < 0 ||
        json_integer_value(l) > UINT32_MAX)
        goto bad;
    s->method = (enum service_method)json_integer_value(m);
    s->conf = (uint8_t)json_integer_value(c);
    s->line = (uint32_t)json_integer_value(l);
    s->tunnel_ssl = json_is_true(json_object_get(o, "t"));
    s->soft = json_is_true(json_object_get(o, "s"));
    size_t n = json_array_size(cpe);
    if (n) {
        s->cpe = calloc(n, sizeof *s->cpe);
        if (!s->cpe)
            goto bad;
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(cpe, i);
            if (!json_is_string(e) || !(s->cpe[i] = strdup(json_string_value(e))))
                goto bad;
            s->ncpe = i + 1;
        }
    }
    return 0;
bad:
    service_result_free(s);
    return -1;
}

/* What a host line cannot hold: TLS facts, script output. */
bool resume_host_storable(const struct host_result *h)
{
    if (h->nscripts)
        return false;
    for (size_t i = 0; i < h->nports; i++) {
        const struct port_detail *d = h->ports[i].detail;
        if (d && (d->tls || d->nscripts))
            return false;
    }
    return true;
}

/* JSON text from the store's codec (store/codec.h) as a value; NULL text
 * is JSON null. -1 on a text that does not parse (out of memory). */
static int set_codec(json_t *o, const char *key, char *text)
{
    if (!text)
        return 0;
    json_t *v = json_loads(text, 0, NULL);
    free(text);
    return v ? json_object_set_new(o, key, v) : -1;
}

/* The value back as codec text (owned), for the codec's readers. */
static char *codec_text(json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* -O's (or --os-passive's) findings: matches with their classes, the
 * fingerprint text, the report, in the store's column shapes. */
static int os_to_json(json_t *o, const struct host_result *h)
{
    if (h->nos) {
        json_t *a = json_array();
        if (!a || json_object_set_new(o, "os", a) < 0)
            return -1;
        for (size_t i = 0; i < h->nos; i++) {
            const struct os_match *m = &h->os[i];
            json_t *mo = json_pack("{s:s, s:i, s:I}", "n", m->name ? m->name : "", "a", m->accuracy,
                                   "l", (json_int_t)m->line);
            if (!mo || json_array_append_new(a, mo) < 0 ||
                (m->nclasses &&
                 set_codec(mo, "c", codec_classes_json(m->classes, m->nclasses)) < 0))
                return -1;
        }
    }
    if (h->os_fingerprint && json_object_set_new(o, "ofp", json_string(h->os_fingerprint)) < 0)
        return -1;
    if (h->os_report && set_codec(o, "orep", codec_os_report_json(h->os_report)) < 0)
        return -1;
    return 0;
}

static int os_from_json(json_t *o, struct host_result *h)
{
    json_t *os = json_object_get(o, "os"), *fp = json_object_get(o, "ofp"),
           *rep = json_object_get(o, "orep");
    if (os) {
        size_t n = json_array_size(os);
        if (!json_is_array(os) || n == 0 || !(h->os = calloc(n, sizeof *h->os)))
            return -1;
        h->nos = n; /* zeroed entries free cleanly */
        for (size_t i = 0; i < n; i++) {
            json_t *mo = json_array_get(os, i);
            struct os_match *m = &h->os[i];
            const char *name;
            int acc;
            json_int_t line;
            if (json_unpack(mo, "{s:s, s:i, s:I}", "n", &name, "a", &acc, "l", &line) < 0 ||
                acc < 0 || acc > 100 || line < 0 || line > UINT32_MAX || !(m->name = strdup(name)))
                return -1;
            m->accuracy = (uint8_t)acc;
            m->line = (uint32_t)line;
            char *t = codec_text(json_object_get(mo, "c"));
            int rc = t ? codec_json_classes(t, &m->classes, &m->nclasses) : 0;
            free(t);
            if (rc < 0)
                return -1;
        }
    }
    if (fp && (!json_is_string(fp) || !(h->os_fingerprint = strdup(json_string_value(fp)))))
        return -1;
    if (rep) {
        char *t = codec_text(rep);
        h->os_report = t ? calloc(1, sizeof *h->os_report) : NULL;
        int rc = h->os_report ? codec_json_os_report(t, h->os_report) : -1;
        free(t);
        if (rc < 0)
            return -1;
    }
    return 0;
}

char *resume_host_to_json(const struct host_result *h)
{
    char a[IPADDR_STRLEN];
    json_t *o = json_object();
    json_t *ports = json_array();
    if (!o || !ports) {
        json_decref(o);
        json_decref(ports);
        return NULL;
    }
    json_object_set_new(o, "a", json_string(ipaddr_str(&h->addr, a, sizeof a)));
    json_object_set_new(o, "s", json_integer(h->status));
    json_object_set_new(o, "r", json_integer(h->status_reason));
    json_object_set_new(o, "t", json_integer(h->status_ttl));
    json_object_set_new(o, "rtt",
                        json_pack("[III]", (json_int_t)h->srtt_us, (json_int_t)h->rttvar_us,
                                  (json_int_t)h->timeout_us));
    json_object_set_new(
        o, "t0", json_pack("[II]", (json_int_t)h->start.tv_sec, (json_int_t)h->start.tv_nsec));
    json_object_set_new(o, "t1",
                        json_pack("[II]", (json_int_t)h->end.tv_sec, (json_int_t)h->end.tv_nsec));
    if (h->have_mac) {
        char m[MAC_STRLEN];
        json_object_set_new(o, "mac", json_string(mac_str(h->mac, true, m)));
    }
    if (h->hostname)
        json_object_set_new(o, "hn", json_string(h->hostname));
    if (h->other_addrs)
        json_object_set_new(o, "oa", json_string(h->other_addrs));
    if (h->rdns)
        json_object_set_new(o, "dns", json_string(h->rdns));
    if (h->timed_out)
        json_object_set_new(o, "to", json_true());
    for (size_t i = 0; i < h->nports; i++) {
        const struct port_result *p = &h->ports[i];
        json_t *e = json_pack("[iiiii]", p->port, p->proto, p->state, p->reason, p->reason_ttl);
        if (e && p->detail && p->detail->have_reason_ip)
            json_array_append_new(e, json_string(ipaddr_str(&p->detail->reason_ip, a, sizeof a)));
        if (e && p->detail && p->detail->service) {
            json_t *sv = svc_to_json(p->detail->service);
            if (!sv) {
                json_decref(e);
                e = NULL;
            } else {
                json_array_append_new(e, sv);
            }
        }
        if (!e) {
            json_decref(o);
            json_decref(ports);
            return NULL;
        }
        json_array_append_new(ports, e);
    }
    json_object_set_new(o, "p", ports);
    if (os_to_json(o, h) < 0) {
        json_decref(o);
        return NULL;
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

int resume_host_from_json(const char *text, struct host_result *h, char *why, size_t whylen)
{
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    if (!o) {
        snprintf(why, whylen, "%s", je.text);
        return -1;
    }
    const char *a = NULL, *mac = NULL, *hn = NULL, *oa = NULL, *dns = NULL;
    json_int_t s, r, t, srtt, rttvar, tmo, t0s, t0n, t1s, t1n;
    json_t *ports = NULL;
    int to = 0;
    int rc = json_unpack_ex(
        o, &je, 0, "{s:s, s:I, s:I, s:I, s:[III], s:[II], s:[II], s:o, s?s, s?s, s?s, s?s, s?b}",
        "a", &a, "s", &s, "r", &r, "t", &t, "rtt", &srtt, &rttvar, &tmo, "t0", &t0s, &t0n, "t1",
        &t1s, &t1n, "p", &ports, "mac", &mac, "hn", &hn, "oa", &oa, "dns", &dns, "to", &to);
    struct ipaddr addr;
    if (rc < 0 || ipaddr_parse(a, &addr) < 0 || !json_is_array(ports) || s < 0 || s > HOST_DOWN) {
        snprintf(why, whylen, "%s", rc < 0 ? je.text : "bad address, status or ports");
        json_decref(o);
        return -1;
    }
    host_result_init(h, &addr);
    h->status = (enum host_status)s;
    h->status_reason = (enum reason)r;
    h->status_ttl = (uint8_t)t;
    h->srtt_us = srtt;
    h->rttvar_us = rttvar;
    h->timeout_us = tmo;
    h->start = (struct timespec){.tv_sec = (time_t)t0s, .tv_nsec = (long)t0n};
    h->end = (struct timespec){.tv_sec = (time_t)t1s, .tv_nsec = (long)t1n};
    h->timed_out = to;
    h->owns_names = true;
    h->hostname = hn ? strdup(hn) : NULL;
    h->other_addrs = oa ? strdup(oa) : NULL;
    h->rdns = dns ? strdup(dns) : NULL;
    unsigned m[6];
    if (mac && sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
        for (int i = 0; i < 6; i++)
            h->mac[i] = (uint8_t)m[i];
        h->have_mac = true;
    }
    size_t i;
    json_t *e;
    json_array_foreach(ports, i, e)
    {
        int port, proto, state, reason, ttl;
        const char *rip = NULL;
        json_t *svc = NULL;
        /* [port, proto, state, reason, ttl], then a reason address and an
         * -sV answer (an object), each optional, in that order. */
        size_t ne = json_is_array(e) ? json_array_size(e) : 0, k = 5;
        if (ne > 5 && json_is_string(json_array_get(e, k)))
            rip = json_string_value(json_array_get(e, k++));
        if (ne > k && json_is_object(json_array_get(e, k)))
            svc = json_array_get(e, k++);
        if (ne < 5 || k != ne ||
            json_unpack(e, "[iiiii*]", &port, &proto, &state, &reason, &ttl) < 0) {
            snprintf(why, whylen, "port %zu: expected [port, proto, state, reason, ttl]", i + 1);
            goto bad;
        }
        if (port < 0 || port > 65535 || proto < 0 || proto >= PROTO_COUNT || state < 0 ||
            state >= PORT_STATE_COUNT || reason < 0 || ttl < 0 || ttl > 255) {
            snprintf(why, whylen, "port %zu: value out of range", i + 1);
            goto bad;
        }
        struct port_result p = {.port = (uint16_t)port,
                                .proto = (uint8_t)proto,
                                .state = (uint8_t)state,
                                .reason = (uint8_t)reason,
                                .reason_ttl = (uint8_t)ttl};
        if (rip) {
            struct port_detail *d = port_result_detail(&p);
            if (!d || ipaddr_parse(rip, &d->reason_ip) < 0) {
                free(d);
                snprintf(why, whylen, "port %zu: bad reason address", i + 1);
                goto bad;
            }
            d->have_reason_ip = true;
        }
        if (svc) {
            struct port_detail *d = port_result_detail(&p);
            struct service_result *sr = d ? calloc(1, sizeof *sr) : NULL;
            if (!sr || svc_from_json(svc, sr) < 0) {
                free(sr);
                if (d) {
                    free(d);
                    p.detail = NULL;
                }
                snprintf(why, whylen, "port %zu: bad service answer", i + 1);
                goto bad;
            }
            d->service = sr;
        }
        if (host_result_add_port(h, &p) < 0) {
            snprintf(why, whylen, "out of memory");
            goto bad;
        }
    }
    if (os_from_json(o, h) < 0) {
        snprintf(why, whylen, "bad OS detection record");
        goto bad;
    }
    json_decref(o);
    return 0;
bad:
    json_decref(o);
    host_result_free(h);
    return -1;
}
