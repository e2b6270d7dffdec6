/*
 * result.c — names of port states and reasons, the host record's storage,
 * and the "Not shown" grouping that every output format shares.
 */
#include "core/result.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

const char *port_state_name(enum port_state s)
{
    static const char *const names[PORT_STATE_COUNT] = {
        [PORT_UNKNOWN] = "unknown",
        [PORT_OPEN] = "open",
        [PORT_CLOSED] = "closed",
        [PORT_FILTERED] = "filtered",
        [PORT_UNFILTERED] = "unfiltered",
        [PORT_OPEN_FILTERED] = "open|filtered",
        [PORT_CLOSED_FILTERED] = "closed|filtered",
    };
    return (unsigned)s < PORT_STATE_COUNT ? names[s] : "unknown";
}

const char *reason_name(enum reason r)
{
    /* Spelled as nmap's portreasons.cc prints them, so that tools parsing
     * nmap's reason="" attributes read ours unchanged. */
    static const char *const names[REASON_COUNT] = {
        [REASON_UNKNOWN] = "unknown",
        [REASON_SYN_ACK] = "syn-ack",
        [REASON_RESET] = "reset",
        [REASON_CONN_REFUSED] = "conn-refused",
        [REASON_NO_RESPONSE] = "no-response",
        [REASON_HOST_UNREACH] = "host-unreach",
        [REASON_NET_UNREACH] = "net-unreach",
        [REASON_PORT_UNREACH] = "port-unreach",
        [REASON_PROTO_UNREACH] = "proto-unreach",
        [REASON_ADMIN_PROHIBITED] = "admin-prohibited",
        [REASON_HOST_PROHIBITED] = "host-prohibited",
        [REASON_NET_PROHIBITED] = "net-prohibited",
        [REASON_ECHO_REPLY] = "echo-reply",
        [REASON_TIMESTAMP_REPLY] = "timestamp-reply",
        [REASON_MASK_REPLY] = "addressmask-reply",
        [REASON_ARP_RESPONSE] = "arp-response",
        [REASON_ND_RESPONSE] = "nd-response",
        [REASON_UDP_RESPONSE] = "udp-response",
        [REASON_USER_SET] = "user-set",
        [REASON_LOCALHOST_RESPONSE] = "localhost-response",
        [REASON_TIME_EXCEEDED] = "time-exceeded",
    };
    return (unsigned)r < REASON_COUNT ? names[r] : "unknown";
}

void host_result_init(struct host_result *h, const struct ipaddr *addr)
{
    memset(h, 0, sizeof(*h));
    if (addr)
        h->addr = *addr;
    h->srtt_us = -1;
    h->rttvar_us = -1;
    h->timeout_us = -1;
}

int host_result_add_port(struct host_result *h, const struct port_result *p)
{
    if (h->nports == h->cap) {
        /* Doubling keeps appends amortised O(1) for a 65535-port host. */
        size_t cap = h->cap ? h->cap * 2 : 16;
        struct port_result *n = realloc(h->ports, cap * sizeof(*n));
        if (!n)
            return -1;
        h->ports = n;
        h->cap = cap;
    }
    h->ports[h->nports++] = *p;
    return 0;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void service_result_free(struct service_result *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->product);
    free(s->version);
    free(s->extrainfo);
    free(s->hostname);
    free(s->ostype);
    free(s->devicetype);
    free_strv(s->cpe, s->ncpe);
    free(s->probe);
    free(s->fingerprint);
    free(s->differs);
    memset(s, 0, sizeof(*s));
}

void tls_info_free(struct tls_info *t)
{
    if (!t)
        return;
    free(t->protocol);
    free(t->cipher);
    free(t->alpn);
    free(t->subject);
    free(t->issuer);
    free_strv(t->san, t->nsan);
    free(t->sha256);
    free(t->key_type);
    free(t->sni);
    free(t->serial);
    free(t->sig_alg);
    free(t->spki_sha256);
    free(t->sha1);
    free(t->md5);
    free(t->ja3s);
    free(t->pem);
    memset(t, 0, sizeof(*t));
}

void script_elem_free(struct script_elem *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nchildren; i++)
        script_elem_free(&e->children[i]);
    free(e->children);
    free(e->key);
    free(e->value);
    memset(e, 0, sizeof(*e));
}

void script_output_free(struct script_output *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nelems; i++)
        script_elem_free(&s->elems[i]);
    free(s->elems);
    free(s->id);
    free(s->output);
    memset(s, 0, sizeof(*s));
}

void os_match_free(struct os_match *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nclasses; i++) {
        struct os_class *c = &m->classes[i];
        free(c->type);
        free(c->vendor);
        free(c->osfamily);
        free(c->osgen);
        free_strv(c->cpe, c->ncpe);
    }
    free(m->classes);
    free(m->name);
    memset(m, 0, sizeof(*m));
}

void os_report_free(struct os_report *r)
{
    if (!r)
        return;
    char **strs[] = {&r->not_ideal,  &r->device_types, &r->running,  &r->os_cpe,    &r->seq_values,
                     &r->ipid_class, &r->ipid_values,  &r->ts_class, &r->ts_values, &r->note};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    memset(r, 0, sizeof(*r));
}

static void scripts_free(struct script_output *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        script_output_free(&v[i]);
    free(v);
}

static void port_detail_free(struct port_detail *d)
{
    if (!d)
        return;
    service_result_free(d->service);
    free(d->service);
    tls_info_free(d->tls);
    free(d->tls);
    scripts_free(d->scripts, d->nscripts);
    free(d);
}

struct os_shared {
    atomic_size_t refs;
    struct host_result os; /* only its OS fields are used */
};

/* Free the OS findings h owns. */
static void free_owned_os(struct host_result *h)
{
    for (size_t i = 0; i < h->nos; i++)
        os_match_free(&h->os[i]);
    free(h->os);
    free(h->os_fingerprint);
    os_report_free(h->os_report);
    free(h->os_report);
}

struct os_shared *os_shared_new(struct host_result *h)
{
    struct os_shared *s = h->os_shared ? NULL : calloc(1, sizeof *s);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 2); /* the caller's and h's */
    s->os.os = h->os;
    s->os.nos = h->nos;
    s->os.os_fingerprint = h->os_fingerprint;
    s->os.os_report = h->os_report;
    h->os_shared = s;
    return s;
}

void os_shared_attach(struct host_result *h, struct os_shared *s)
{
    host_result_free_os(h);
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    h->os = s->os.os;
    h->nos = s->os.nos;
    h->os_fingerprint = s->os.os_fingerprint;
    h->os_report = s->os.os_report;
    h->os_shared = s;
}

void os_shared_release(struct os_shared *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
        free_owned_os(&s->os);
        free(s);
    }
}

void host_result_free_os(struct host_result *h)
{
    if (h->os_shared)
        os_shared_release(h->os_shared);
    else
        free_owned_os(h);
    h->os_shared = NULL;
    h->os = NULL;
    h->nos = 0;
    h->os_fingerprint = NULL;
    h->os_report = NULL;
}

void host_result_free(struct host_result *h)
{
    for (size_t i = 0; i < h->nports; i++)
        port_detail_free(h->ports[i].detail);
    free(h->ports);
    free(h->rdns);
    if (h->owns_names) {
        free((char *)h->hostname);
        free((char *)h->other_addrs);
    }
    host_result_free_os(h);
    free(h->os_synack);
    h->os_synack = NULL;
    scripts_free(h->scripts, h->nscripts);
    h->ports = NULL;
    h->rdns = NULL;
    h->hostname = h->other_addrs = NULL;
    h->scripts = NULL;
    h->nports = h->cap = h->nscripts = 0;
    h->owns_names = false;
}

struct port_detail *port_result_detail(struct port_result *p)
{
    if (!p->detail)
        p->detail = calloc(1, sizeof(*p->detail));
    return p->detail;
}

/*
 * Deep-copy helpers. Each returns false on allocation failure, leaving what
 * it already copied in the destination for the caller's single free.
 */
static bool dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}

static bool dup_strv(char ***dst, size_t *ndst, char *const *src, size_t n)
{
    *dst = NULL;
    *ndst = 0;
    if (n == 0)
        return true;
    *dst = calloc(n, sizeof(**dst));
    if (!*dst)
        return false;
    *ndst = n;
    for (size_t i = 0; i < n; i++)
        if (!dup_str(&(*dst)[i], src[i]))
            return false;
    return true;
}

static bool dup_service(struct service_result **dst, const struct service_result *src)
{
    *dst = NULL;
    if (!src)
        return true;
    struct service_result *d = calloc(1, sizeof(*d));
    if (!d)
        return false;
    *dst = d;
    d->method = src->method;
    d->conf = src->conf;
    d->tunnel_ssl = src->tunnel_ssl;
    d->line = src->line;
    d->soft = src->soft;
    return dup_str(&d->probe, src->probe) && dup_str(&d->fingerprint, src->fingerprint) &&
           dup_str(&d->differs, src->differs) && dup_str(&d->name, src->name) &&
           dup_str(&d->product, src->product) && dup_str(&d->version, src->version) &&
           dup_str(&d->extrainfo, src->extrainfo) && dup_str(&d->hostname, src->hostname) &&
           dup_str(&d->ostype, src->ostype) && dup_str(&d->devicetype, src->devicetype) &&
           dup_strv(&d->cpe, &d->ncpe, src->cpe, src->ncpe);
}

static bool dup_tls(struct tls_info **dst, const struct tls_info *src)
{
    *dst = NULL;
    if (!src)
        return true;
    struct tls_info *d = calloc(1, sizeof(*d));
    if (!d)
        return false;
    *dst = d;
    d->not_before = src->not_before;
    d->not_after = src->not_after;
    d->key_bits = src->key_bits;
    d->days_left = src->days_left;
    d->self_signed = src->self_signed;
    d->chain_len = src->chain_len;
    return dup_str(&d->sni, src->sni) && dup_str(&d->serial, src->serial) &&
           dup_str(&d->sig_alg, src->sig_alg) && dup_str(&d->spki_sha256, src->spki_sha256) &&
           dup_str(&d->sha1, src->sha1) && dup_str(&d->md5, src->md5) &&
           dup_str(&d->ja3s, src->ja3s) && dup_str(&d->pem, src->pem) &&
           dup_str(&d->protocol, src->protocol) && dup_str(&d->cipher, src->cipher) &&
           dup_str(&d->alpn, src->alpn) && dup_str(&d->subject, src->subject) &&
           dup_str(&d->issuer, src->issuer) && dup_strv(&d->san, &d->nsan, src->san, src->nsan) &&
           dup_str(&d->sha256, src->sha256) && dup_str(&d->key_type, src->key_type);
}

static bool dup_elems(struct script_elem **dst, size_t *ndst, const struct script_elem *src,
                      size_t n)
{
    *dst = NULL;
    *ndst = 0;
    if (n == 0)
        return true;
    *dst = calloc(n, sizeof(**dst));
    if (!*dst)
        return false;
    *ndst = n;
    for (size_t i = 0; i < n; i++) {
        struct script_elem *d = &(*dst)[i];
        if (!dup_str(&d->key, src[i].key) || !dup_str(&d->value, src[i].value) ||
            !dup_elems(&d->children, &d->nchildren, src[i].children, src[i].nchildren))
            return false;
    }
    return true;
}

static bool dup_scripts(struct script_output **dst, size_t *ndst, const struct script_output *src,
                        size_t n)
{
    *dst = NULL;
    *ndst = 0;
    if (n == 0)
        return true;
    *dst = calloc(n, sizeof(**dst));
    if (!*dst)
        return false;
    *ndst = n;
    for (size_t i = 0; i < n; i++) {
        struct script_output *d = &(*dst)[i];
        if (!dup_str(&d->id, src[i].id) || !dup_str(&d->output, src[i].output) ||
            !dup_elems(&d->elems, &d->nelems, src[i].elems, src[i].nelems))
            return false;
    }
    return true;
}

static bool dup_os(struct os_match **dst, size_t *ndst, const struct os_match *src, size_t n)
{
    *dst = NULL;
    *ndst = 0;
    if (n == 0)
        return true;
    *dst = calloc(n, sizeof(**dst));
    if (!*dst)
        return false;
    *ndst = n;
    for (size_t i = 0; i < n; i++) {
        struct os_match *d = &(*dst)[i];
        d->accuracy = src[i].accuracy;
        d->line = src[i].line;
        if (!dup_str(&d->name, src[i].name))
            return false;
        if (src[i].nclasses == 0)
            continue;
        d->classes = calloc(src[i].nclasses, sizeof(*d->classes));
        if (!d->classes)
            return false;
        d->nclasses = src[i].nclasses;
        for (size_t k = 0; k < d->nclasses; k++) {
            const struct os_class *sc = &src[i].classes[k];
            struct os_class *dc = &d->classes[k];
            dc->accuracy = sc->accuracy;
            if (!dup_str(&dc->type, sc->type) || !dup_str(&dc->vendor, sc->vendor) ||
                !dup_str(&dc->osfamily, sc->osfamily) || !dup_str(&dc->osgen, sc->osgen) ||
                !dup_strv(&dc->cpe, &dc->ncpe, sc->cpe, sc->ncpe))
                return false;
        }
    }
    return true;
}

static bool dup_report(struct os_report **dst, const struct os_report *src)
{
    *dst = NULL;
    if (!src)
        return true;
    struct os_report *d = calloc(1, sizeof(*d));
    if (!d)
        return false;
    *d = *src;
    char **ds[] = {&d->not_ideal,  &d->device_types, &d->running,  &d->os_cpe,    &d->seq_values,
                   &d->ipid_class, &d->ipid_values,  &d->ts_class, &d->ts_values, &d->note};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++)
        *ds[i] = NULL;
    *dst = d;
    return dup_str(&d->not_ideal, src->not_ideal) && dup_str(&d->device_types, src->device_types) &&
           dup_str(&d->running, src->running) && dup_str(&d->os_cpe, src->os_cpe) &&
           dup_str(&d->seq_values, src->seq_values) && dup_str(&d->ipid_class, src->ipid_class) &&
           dup_str(&d->ipid_values, src->ipid_values) && dup_str(&d->ts_class, src->ts_class) &&
           dup_str(&d->ts_values, src->ts_values) && dup_str(&d->note, src->note);
}

static bool dup_detail(struct port_detail **dst, const struct port_detail *src)
{
    *dst = NULL;
    if (!src)
        return true;
    struct port_detail *d = calloc(1, sizeof(*d));
    if (!d)
        return false;
    *dst = d;
    d->have_reason_ip = src->have_reason_ip;
    d->reason_ip = src->reason_ip;
    return dup_service(&d->service, src->service) && dup_tls(&d->tls, src->tls) &&
           dup_scripts(&d->scripts, &d->nscripts, src->scripts, src->nscripts);
}

int host_result_copy(struct host_result *dst, const struct host_result *src)
{
    *dst = *src;
    /* Nothing below may point into src: clear what the copy must own
     * before filling it, so a failure part-way frees only copies. */
    dst->ports = NULL;
    dst->nports = dst->cap = 0;
    dst->rdns = NULL;
    dst->hostname = dst->other_addrs = NULL;
    dst->owns_names = true;
    dst->os = NULL;
    dst->nos = 0;
    dst->os_fingerprint = NULL;
    dst->os_report = NULL;
    dst->os_shared = NULL;
    dst->os_synack = NULL;
    dst->scripts = NULL;
    dst->nscripts = 0;
    if (src->os_synack) {
        dst->os_synack = malloc(sizeof *dst->os_synack);
        if (!dst->os_synack) {
            host_result_free(dst);
            return -1;
        }
        *dst->os_synack = *src->os_synack;
    }

    char *hostname = NULL, *other = NULL;
    bool ok = dup_str(&hostname, src->hostname) && dup_str(&other, src->other_addrs);
    dst->hostname = hostname;
    dst->other_addrs = other;
    if (src->os_shared)
        os_shared_attach(dst, src->os_shared);
    else
        ok = ok && dup_str(&dst->os_fingerprint, src->os_fingerprint) &&
             dup_os(&dst->os, &dst->nos, src->os, src->nos) &&
             dup_report(&dst->os_report, src->os_report);
    ok = ok && dup_str(&dst->rdns, src->rdns) &&
         dup_scripts(&dst->scripts, &dst->nscripts, src->scripts, src->nscripts);
    if (ok && src->nports) {
        dst->ports = calloc(src->nports, sizeof(*dst->ports));
        ok = dst->ports != NULL;
        if (ok) {
            dst->cap = src->nports;
            for (size_t i = 0; i < src->nports && ok; i++) {
                dst->ports[i] = src->ports[i];
                dst->ports[i].detail = NULL;
                dst->nports = i + 1;
                ok = dup_detail(&dst->ports[i].detail, src->ports[i].detail);
            }
        }
    }
    if (!ok) {
        host_result_free(dst);
        return -1;
    }
    return 0;
}

void result_state_counts(const struct host_result *h, size_t counts[])
{
    for (size_t s = 0; s < PORT_STATE_COUNT; s++)
        counts[s] = 0;
    for (size_t i = 0; i < h->nports; i++)
        if (h->ports[i].state < PORT_STATE_COUNT)
            counts[h->ports[i].state]++;
}

/*
 * nmap's PortList::isIgnoredState, state by state:
 * - open and unknown are never collapsed: they are what the user scans for;
 * - with -vvv open|filtered is shown too;
 * - with --open every state that cannot be open is collapsed; open|filtered
 *   and unfiltered stay subject to the count rule (an ACK scan's unfiltered
 *   port may be open), which is why nmap --open still lists them;
 * - otherwise a state is collapsed when it has more than 25 ports, times
 *   (verbose + 1) with -v.
 * nmap also widens the limit by 5 per -d level; the contract takes no debug
 * level because prtip's -d controls diagnostics, not the port table.
 */
unsigned result_hidden_states(const struct host_result *h, int verbose, bool open_only)
{
    size_t counts[PORT_STATE_COUNT];
    result_state_counts(h, counts);

    size_t max_per_state = 25 * (size_t)((verbose > 0 ? verbose : 0) + 1);
    unsigned hidden = 0;
    for (int s = 0; s < PORT_STATE_COUNT; s++) {
        if (s == PORT_OPEN || s == PORT_UNKNOWN || counts[s] == 0)
            continue;
        if (s == PORT_OPEN_FILTERED && verbose > 2)
            continue;
        bool can_be_open = s == PORT_OPEN_FILTERED || s == PORT_UNFILTERED;
        if ((open_only && !can_be_open) || counts[s] > max_per_state)
            hidden |= 1u << s;
    }
    return hidden;
}
