/*
 * reader.c — stored scans back into the stream's records (reader.h): the
 * inverse of writer.c, column for column.
 */
#include "store/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct load {
    struct stored_scan *s;
    size_t base;   /* first host of the scan row being read */
    int64_t *seqs; /* seq of hosts[base + i] */
    size_t nseqs;
    bool oom;
    bool found;     /* the current scans row exists */
    bool have_info; /* info comes from the first row read */
};

static struct host_result *host_of(struct load *l, const char *seqtext)
{
    int64_t seq = codec_i64(seqtext);
    size_t lo = 0, hi = l->nseqs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->seqs[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->nseqs && l->seqs[lo] == seq ? &l->s->hosts[l->base + lo] : NULL;
}

static struct port_result *port_of(struct load *l, const char *seq, const char *idx)
{
    struct host_result *h = host_of(l, seq);
    int64_t i = codec_i64(idx);
    return h && i >= 0 && (size_t)i < h->nports ? &h->ports[i] : NULL;
}

static int scan_row(void *ctx, size_t n, const char *const *v)
{
    struct load *l = ctx;
    struct stored_scan *s = l->s;
    if (n < 20)
        return 1;
    bool first = !l->have_info;
    l->found = l->have_info = true;
    int64_t start = codec_i64(v[5]), end = codec_i64(v[6]);
    struct timespec ts = codec_ts(start), te = codec_ts(end ? end : start);
    if (first) {
        s->job = codec_dup(v[1]);
        s->state = codec_dup(v[8]);
        free(s->info.scanner);
        free(s->info.version);
        free(s->info.args);
        s->info.scanner = codec_dup(v[2]);
        s->info.version = codec_dup(v[3]);
        s->info.args = codec_dup(v[4]);
        s->info.start = ts;
        s->info.mode = (enum scan_mode)codec_i64(v[10]);
        s->info.verbose = (int)codec_i64(v[11]);
        s->info.debug = (int)codec_i64(v[12]);
        s->info.open_only = codec_i64(v[13]) != 0;
        s->info.show_reason = codec_i64(v[14]) != 0;
        s->info.version_scan = codec_i64(v[15]) != 0;
        s->info.stylesheet = codec_dup(v[16]);
        s->sum.start = ts;
        s->sum.end = te;
        if (!s->info.scanner || !s->info.version || !s->info.args)
            l->oom = true;
    }
    if (codec_ns(&ts) < codec_ns(&s->sum.start))
        s->sum.start = s->info.start = ts;
    if (codec_ns(&te) > codec_ns(&s->sum.end))
        s->sum.end = te;
    double el = v[7] ? strtod(v[7], NULL) : 0;
    if (el > s->sum.elapsed_s)
        s->sum.elapsed_s = el;
    if (v[8] && (strcmp(v[8], "interrupted") == 0 || strcmp(v[8], "running") == 0))
        s->sum.interrupted = true;
    if (v[9] && !s->error) {
        s->error = strdup(v[9]);
        s->sum.error = s->error;
    }
    s->sum.hosts_total += (uint64_t)codec_i64(v[17]);
    s->sum.hosts_up += (uint64_t)codec_i64(v[18]);
    s->sum.hosts_down += (uint64_t)codec_i64(v[19]);
    return 0;
}

static int type_row(void *ctx, size_t n, const char *const *v)
{
    struct stored_scan *s = ((struct load *)ctx)->s;
    if (n < 5 || s->info.ntypes >= SCAN_INFO_MAX_TYPES)
        return 0;
    struct scan_info_type *t = &s->info.types[s->info.ntypes++];
    snprintf(t->type, sizeof(t->type), "%s", v[0] ? v[0] : "");
    snprintf(t->scanflags, sizeof(t->scanflags), "%s", v[1] ? v[1] : "");
    t->proto = codec_proto(v[2]);
    t->nservices = (size_t)codec_i64(v[3]);
    t->services = codec_dup(v[4]);
    return 0;
}

static int host_row(void *ctx, size_t n, const char *const *v)
{
    struct load *l = ctx;
    struct stored_scan *s = l->s;
    if (n < 19)
        return 1;
    if (s->nhosts == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct host_result *nh = realloc(s->hosts, cap * sizeof(*nh));
        int64_t *ns = realloc(l->seqs, cap * sizeof(*ns));
        if (ns)
            l->seqs = ns;
        if (nh)
            s->hosts = nh;
        if (!nh || !ns) {
            l->oom = true;
            return 1;
        }
        s->cap = cap;
    }
    struct ipaddr a;
    if (!v[1] || ipaddr_parse(v[1], &a) < 0)
        memset(&a, 0, sizeof(a));
    struct host_result *h = &s->hosts[s->nhosts++];
    host_result_init(h, &a);
    l->seqs[l->nseqs++] = codec_i64(v[0]);
    h->owns_names = true;
    h->hostname = codec_dup(v[2]);
    h->other_addrs = codec_dup(v[3]);
    h->rdns = codec_dup(v[4]);
    h->status = codec_status(v[5]);
    h->status_reason = codec_reason(v[6]);
    h->status_ttl = (uint8_t)codec_i64(v[7]);
    if (v[8]) {
        unsigned m[6];
        if (sscanf(v[8], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
            for (int i = 0; i < 6; i++)
                h->mac[i] = (uint8_t)m[i];
            h->have_mac = true;
        }
    }
    h->srtt_us = codec_i64(v[9]);
    h->rttvar_us = codec_i64(v[10]);
    h->timeout_us = codec_i64(v[11]);
    h->start = codec_ts(codec_i64(v[12]));
    h->end = codec_ts(codec_i64(v[13]));
    h->timed_out = codec_i64(v[14]) != 0;
    h->interrupted = codec_i64(v[15]) != 0;
    h->ports_unscanned = (uint32_t)codec_i64(v[16]);
    h->os_fingerprint = codec_dup(v[17]);
    /* v[18] is addr_key (unused here); v[19] the -O report (schema v2). */
    if (n >= 20 && v[19]) {
        struct os_report *r = calloc(1, sizeof(*r));
        if (!r || codec_json_os_report(v[19], r) < 0) {
            free(r);
            if (!r) {
                l->oom = true;
                return 1;
            }
        } else {
            h->os_report = r;
        }
    }
    return 0;
}

static int port_row(void *ctx, size_t n, const char *const *v)
{
    struct load *l = ctx;
    if (n < 7)
        return 1;
    struct host_result *h = host_of(l, v[0]);
    if (!h)
        return 0;
    struct port_result p = {
        .port = (uint16_t)codec_i64(v[2]),
        .proto = (uint8_t)codec_proto(v[1]),
        .state = (uint8_t)codec_state(v[3]),
        .reason = (uint8_t)codec_reason(v[4]),
        .reason_ttl = (uint8_t)codec_i64(v[5]),
        .service = codec_intern(l->s->pool, v[6]),
    };
    struct ipaddr rip;
    if (n >= 8 && v[7] && ipaddr_parse(v[7], &rip) == 0) {
        struct port_detail *d = port_result_detail(&p);
        if (!d) {
            l->oom = true;
            return 1;
        }
        d->have_reason_ip = true;
        d->reason_ip = rip;
    }
    if (host_result_add_port(h, &p) < 0) {
        l->oom = true;
        return 1;
    }
    return 0;
}

static int service_row(void *ctx, size_t n, const char *const *v)
{
    struct load *l = ctx;
    struct port_result *p = port_of(l, v[0], v[1]);
    struct port_detail *d = p ? port_result_detail(p) : NULL;
    if (n < 13 || !d || d->service)
        return 0;
    struct service_result *s = calloc(1, sizeof(*s));
    if (!s) {
        l->oom = true;
        return 1;
    }
    s->name = codec_dup(v[2]);
    s->product = codec_dup(v[3]);
    s->version = codec_dup(v[4]);
    s->extrainfo = codec_dup(v[5]);
    s->hostname = codec_dup(v[6]);
    s->ostype = codec_dup(v[7]);
    s->devicetype = codec_dup(v[8]);
    codec_json_strv(v[9], &s->cpe, &s->ncpe);
    s->method =
        v[10] && strcmp(v[10], "probed") == 0 ? SERVICE_METHOD_PROBED : SERVICE_METHOD_TABLE;
    s->conf = (uint8_t)codec_i64(v[11]);
    s->tunnel_ssl = codec_i64(v[12]) != 0;
    if (n >= 18) {
        s->probe = codec_dup(v[13]);
        s->line = (uint32_t)codec_i64(v[14]);
        s->soft = codec_i64(v[15]) != 0;
        s->differs = codec_dup(v[16]);
        s->fingerprint = codec_dup(v[17]);
    }
    d->service = s;
    return 0;
}

static int tls_row(void *ctx, size_t n, const char *const *v)
{
    struct load *l = ctx;
    struct port_result *p = port_of(l, v[0], v[1]);
    struct port_detail *d = p ? port_result_detail(p) : NULL;
    if (n < 13 || !d || d->tls)
        return 0;
    struct tls_info *t = calloc(1, sizeof(*t));
    if (!t) {
        l->oom = true;
        return 1;
    }
    t->protocol = codec_dup(v[2]);
    t->cipher = codec_dup(v[3]);
    t->alpn = codec_dup(v[4]);
    t->subject = codec_dup(v[5]);
    t->issuer = codec_dup(v[6]);
    codec_json_strv(v[7], &t->san, &t->nsan);
    t->not_before = codec_i64(v[8]);
    t->not_after = codec_i64(v[9]);
    t->sha256 = codec_dup(v[10]);
    t->key_type = codec_dup(v[11]);
    t->key_bits = (uint32_t)codec_i64(v[12]);
    if (n >= 24) {
        t->sni = codec_dup(v[13]);
        t->days_left = codec_i64(v[14]);
        t->serial = codec_dup(v[15]);
        t->sig_alg = codec_dup(v[16]);
        t->spki_sha256 = codec_dup(v[17]);
        t->sha1 = codec_dup(v[18]);
        t->md5 = codec_dup(v[19]);
        t->self_signed = codec_i64(v[20]) != 0;
        t->chain_len = (uint32_t)codec_i64(v[21]);
        t->ja3s = codec_dup(v[22]);
        t->pem = codec_dup(v[23]);
    }
    d->tls = t;
    return 0;
}

static int push_script(struct script_output **arr, size_t *n, const char *const *v)
{
    struct script_output *na = realloc(*arr, (*n + 1) * sizeof(*na));
    if (!na)
        return -1;
    *arr = na;
    struct script_output *s = &na[(*n)++];
    memset(s, 0, sizeof(*s));
    s->id = codec_dup(v[2]);
    s->output = codec_dup(v[3]);
    codec_json_elems(v[4], &s->elems, &s->nelems);
    return 0;
}

static int script_row(void *ctx, size_t n, const char *const *v)
{
    struct load *l = ctx;
    if (n < 5)
        return 1;
    int rc;
    if (codec_i64(v[1]) < 0) {
        struct host_result *h = host_of(l, v[0]);
        if (!h)
            return 0;
        rc = push_script(&h->scripts, &h->nscripts, v);
    } else {
        struct port_result *p = port_of(l, v[0], v[1]);
        struct port_detail *d = p ? port_result_detail(p) : NULL;
        if (!d)
            return 0;
        rc = push_script(&d->scripts, &d->nscripts, v);
    }
    if (rc < 0)
        l->oom = true;
    return rc < 0;
}

static int os_row(void *ctx, size_t n, const char *const *v)
{
    struct load *l = ctx;
    struct host_result *h = n >= 5 ? host_of(l, v[0]) : NULL;
    if (!h)
        return 0;
    struct os_match *na = realloc(h->os, (h->nos + 1) * sizeof(*na));
    if (!na) {
        l->oom = true;
        return 1;
    }
    h->os = na;
    struct os_match *m = &na[h->nos++];
    memset(m, 0, sizeof(*m));
    m->name = codec_dup(v[1]);
    m->accuracy = (uint8_t)codec_i64(v[2]);
    m->line = (uint32_t)codec_i64(v[3]);
    codec_json_classes(v[4], &m->classes, &m->nclasses);
    return 0;
}

static void free_detail(struct port_detail *d)
{
    if (!d)
        return;
    if (d->service)
        service_result_free(d->service);
    free(d->service);
    if (d->tls)
        tls_info_free(d->tls);
    free(d->tls);
    for (size_t i = 0; i < d->nscripts; i++)
        script_output_free(&d->scripts[i]);
    free(d->scripts);
    free(d);
}

/* Drop the ports keep refuses and the hosts left with none. */
static void apply_keep(struct stored_scan *s, size_t base, const int64_t *seqs, int64_t id,
                       stored_keep_fn keep, void *ctx)
{
    size_t out = base;
    for (size_t i = base; i < s->nhosts; i++) {
        struct host_result *h = &s->hosts[i];
        size_t k = 0;
        for (size_t j = 0; j < h->nports; j++) {
            if (keep(ctx, id, seqs[i - base], (int64_t)j))
                h->ports[k++] = h->ports[j];
            else
                free_detail(h->ports[j].detail);
        }
        h->nports = k;
        if (k == 0) {
            host_result_free(h);
            continue;
        }
        s->hosts[out++] = *h;
    }
    s->nhosts = out;
}

static int cmp_host_addr(const void *a, const void *b)
{
    const struct host_result *x = a, *y = b;
    char kx[33], ky[33];
    codec_addr_key(&x->addr, kx);
    codec_addr_key(&y->addr, ky);
    int c = strcmp(kx, ky);
    /* One address in several shards: in the order read (scan id, then
     * row), so a merged record's ports come out the same every time. */
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Swap what a and b hold of their OS results (matches, fingerprint, report). */
static void swap_os(struct host_result *a, struct host_result *b)
{
    struct host_result t = *a;
    a->os = b->os, a->nos = b->nos, a->os_fingerprint = b->os_fingerprint;
    a->os_report = b->os_report, a->os_shared = b->os_shared;
    b->os = t.os, b->nos = t.nos, b->os_fingerprint = t.os_fingerprint;
    b->os_report = t.os_report, b->os_shared = t.os_shared;
}

/* Whether h's OS result says more than m's: one where there was none, -O's
 * report over a passive guess, else the better top match. */
static bool better_os(const struct host_result *h, const struct host_result *m)
{
    if (!h->os_report && !h->nos)
        return false;
    if (!m->os_report && !m->nos)
        return true;
    bool hp = h->os_report && h->os_report->passive, mp = m->os_report && m->os_report->passive;
    if (hp != mp)
        return mp;
    int ha = h->nos ? h->os[0].accuracy : -1, ma = m->nos ? m->os[0].accuracy : -1;
    return ha > ma;
}

/*
 * Shards of one job scan disjoint (address, port) pairs, so one address
 * may have a record in several of them: merge those into one record (its
 * ports together, up if any shard saw it up), in address order.
 */
static int merge_shards(struct stored_scan *s)
{
    for (size_t i = 0; i < s->nhosts; i++)
        s->hosts[i].order = i; /* qsort is not stable */
    qsort(s->hosts, s->nhosts, sizeof(*s->hosts), cmp_host_addr);
    size_t out = 0;
    for (size_t i = 0; i < s->nhosts; i++) {
        struct host_result *h = &s->hosts[i];
        if (out && ipaddr_equal(&s->hosts[out - 1].addr, &h->addr)) {
            struct host_result *m = &s->hosts[out - 1];
            for (size_t j = 0; j < h->nports; j++) {
                if (host_result_add_port(m, &h->ports[j]) < 0)
                    return -1;
                h->ports[j].detail = NULL; /* moved into m */
            }
            if (h->status == HOST_UP && m->status != HOST_UP) {
                m->status = HOST_UP;
                m->status_reason = h->status_reason;
                m->status_ttl = h->status_ttl;
            }
            if (codec_ns(&h->end) > codec_ns(&m->end))
                m->end = h->end;
            m->ports_unscanned += h->ports_unscanned;
            m->interrupted |= h->interrupted;
            m->timed_out |= h->timed_out;
            /* Each shard may have run -O (or --os-passive) on the host: keep
             * the result that says most, not the first shard's. */
            if (better_os(h, m))
                swap_os(m, h);
            if (!m->have_mac && h->have_mac) {
                memcpy(m->mac, h->mac, sizeof(m->mac));
                m->have_mac = true;
            }
            if (!m->rdns && h->rdns) {
                m->rdns = h->rdns;
                h->rdns = NULL;
            }
            /* Host scripts: every shard ran them on the host; keep one of
             * each (a script another shard's record lacks joins). */
            for (size_t k = 0; k < h->nscripts; k++) {
                bool have = false;
                for (size_t j = 0; j < m->nscripts && !have; j++)
                    have = m->scripts[j].id && h->scripts[k].id &&
                           strcmp(m->scripts[j].id, h->scripts[k].id) == 0;
                if (have)
                    continue;
                struct script_output *ns = realloc(m->scripts, (m->nscripts + 1) * sizeof(*ns));
                if (!ns)
                    return -1;
                ns[m->nscripts++] = h->scripts[k];
                m->scripts = ns;
                memset(&h->scripts[k], 0, sizeof(h->scripts[k])); /* moved into m */
            }
            host_result_free(h);
            continue;
        }
        s->hosts[out++] = *h;
    }
    s->nhosts = out;
    /* Each shard counted every target: count the merged records instead. */
    s->sum.hosts_total = out;
    s->sum.hosts_up = s->sum.hosts_down = 0;
    for (size_t i = 0; i < out; i++) {
        s->sum.hosts_up += s->hosts[i].status == HOST_UP;
        s->sum.hosts_down += s->hosts[i].status == HOST_DOWN;
    }
    return 0;
}

int stored_scan_load(struct store *st, const int64_t *ids, size_t nids, stored_keep_fn keep,
                     void *ctx, struct stored_scan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->pool = codec_pool_new();
    if (!out->pool || nids == 0 || nids > sizeof(out->ids) / sizeof(out->ids[0])) {
        snprintf(err, errlen, nids ? "out of memory" : "no scan given");
        codec_pool_free(out->pool);
        out->pool = NULL;
        return -1;
    }
    memcpy(out->ids, ids, nids * sizeof(*ids));
    out->nids = nids;
    struct load l = {.s = out};
    for (size_t k = 0; k < nids; k++) {
        struct store_val id = sv_int(ids[k]);
        l.found = false;
        if (store_exec(
                st,
                "SELECT id, job, scanner, version, args, start_ns, end_ns, elapsed_s, "
                "state, error, mode, verbosity, debugging, open_only, show_reason, version_scan, "
                "stylesheet, hosts_total, hosts_up, hosts_down FROM scans WHERE id = $1",
                &id, 1, scan_row, &l, err, errlen) < 0)
            goto fail;
        if (!l.found) {
            snprintf(err, errlen, "no scan %lld in %s", (long long)ids[k], st->target);
            goto fail;
        }
        if (k == 0 && store_exec(st,
                                 "SELECT type, scanflags, proto, nservices, services FROM "
                                 "scan_types WHERE scan_id = $1 ORDER BY idx",
                                 &id, 1, type_row, &l, err, errlen) < 0)
            goto fail;
        l.base = out->nhosts;
        l.nseqs = 0;
        if (store_exec(st,
                       "SELECT seq, addr, hostname, other_addrs, rdns, status, reason, "
                       "reason_ttl, mac, srtt_us, rttvar_us, timeout_us, start_ns, end_ns, "
                       "timed_out, interrupted, ports_unscanned, os_fingerprint, addr_key, "
                       "os_report FROM "
                       "hosts WHERE scan_id = $1 ORDER BY seq",
                       &id, 1, host_row, &l, err, errlen) < 0 ||
            store_exec(st,
                       "SELECT host_seq, proto, port, state, reason, reason_ttl, service, "
                       "reason_ip FROM "
                       "ports WHERE scan_id = $1 ORDER BY host_seq, idx",
                       &id, 1, port_row, &l, err, errlen) < 0 ||
            store_exec(st,
                       "SELECT host_seq, port_idx, name, product, version, extrainfo, hostname, "
                       "ostype, devicetype, cpe, method, conf, tunnel_ssl, probe, line, soft, "
                       "differs, fingerprint FROM services WHERE "
                       "scan_id = $1",
                       &id, 1, service_row, &l, err, errlen) < 0 ||
            store_exec(st,
                       "SELECT host_seq, port_idx, protocol, cipher, alpn, subject, issuer, san, "
                       "not_before, not_after, sha256, key_type, key_bits, sni, days_left, "
                       "serial, sig_alg, spki_sha256, sha1, md5, self_signed, chain_len, ja3s, "
                       "pem FROM tls WHERE "
                       "scan_id = $1",
                       &id, 1, tls_row, &l, err, errlen) < 0 ||
            store_exec(st,
                       "SELECT host_seq, port_idx, script_id, output, elems FROM scripts WHERE "
                       "scan_id = $1 ORDER BY host_seq, port_idx, ord",
                       &id, 1, script_row, &l, err, errlen) < 0 ||
            store_exec(st,
                       "SELECT host_seq, name, accuracy, line, classes FROM os_matches WHERE "
                       "scan_id = $1 ORDER BY host_seq, ord",
                       &id, 1, os_row, &l, err, errlen) < 0)
            goto fail;
        if (l.oom) {
            snprintf(err, errlen, "out of memory reading scan %lld", (long long)ids[k]);
            goto fail;
        }
        if (keep)
            apply_keep(out, l.base, l.seqs, ids[k], keep, ctx);
    }
    free(l.seqs);
    l.seqs = NULL;
    if (nids > 1 && merge_shards(out) < 0) {
        snprintf(err, errlen, "out of memory merging the shards");
        goto fail;
    }
    return 0;
fail:
    free(l.seqs);
    stored_scan_free(out);
    return -1;
}

int stored_scan_feed(const struct stored_scan *s, const struct result_sink *sink)
{
    if (sink_begin(sink, &s->info) < 0) {
        struct scan_summary sum = s->sum;
        sum.error = "output setup failed";
        sink_end(sink, &sum);
        return -1;
    }
    for (size_t i = 0; i < s->nhosts; i++)
        sink_host(sink, &s->hosts[i]);
    return sink_end(sink, &s->sum);
}

void stored_scan_free(struct stored_scan *s)
{
    for (size_t i = 0; i < s->nhosts; i++)
        host_result_free(&s->hosts[i]);
    free(s->hosts);
    scan_info_free(&s->info);
    free(s->error);
    free(s->job);
    free(s->state);
    codec_pool_free(s->pool);
    memset(s, 0, sizeof(*s));
}

struct ids {
    int64_t *ids;
    size_t n, max;
    char *args; /* for "previous" */
    char *job;
};

static int id_row(void *ctx, size_t n, const char *const *v)
{
    struct ids *x = ctx;
    if (n >= 1 && v[0] && x->n < x->max)
        x->ids[x->n++] = codec_i64(v[0]);
    return 0;
}

static int one_row(void *ctx, size_t n, const char *const *v)
{
    struct ids *x = ctx;
    if (n < 3 || x->n)
        return 1;
    x->ids[x->n++] = codec_i64(v[0]);
    x->job = codec_dup(v[1]);
    x->args = codec_dup(v[2]);
    return 1;
}

/* The command line without what only says where results go (-o*, --db*,
 * --shard, --append-output): two scans of the same targets and ports have
 * equal normalised arguments. */
static void normalise_args(const char *args, char *out, size_t len)
{
    out[0] = '\0';
    char *copy = strdup(args ? args : "");
    if (!copy)
        return;
    size_t used = 0;
    bool skip_next = false;
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (skip_next) {
            skip_next = false;
            continue;
        }
        if (strncmp(w, "-o", 2) == 0 && strlen(w) == 3) {
            skip_next = true;
            continue;
        }
        if (strncmp(w, "-o", 2) == 0 || strcmp(w, "--append-output") == 0 ||
            strcmp(w, "--db-default") == 0 || strncmp(w, "--db=", 5) == 0 ||
            strncmp(w, "--db-job=", 9) == 0 || strncmp(w, "--shard=", 8) == 0)
            continue;
        if (strcmp(w, "--db") == 0 || strcmp(w, "--db-job") == 0 || strcmp(w, "--shard") == 0) {
            skip_next = true;
            continue;
        }
        used +=
            (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s", used ? " " : "", w);
    }
    free(copy);
}

struct prev {
    const char *want; /* normalised args of latest */
    const char *job;
    int64_t latest;
    int64_t found;
    char *found_job;
};

static int prev_row(void *ctx, size_t n, const char *const *v)
{
    struct prev *p = ctx;
    if (n < 3 || p->found >= 0)
        return 1;
    int64_t id = codec_i64(v[0]);
    if (id == p->latest || (p->job && v[1] && strcmp(p->job, v[1]) == 0))
        return 0;
    char norm[4096];
    normalise_args(v[2], norm, sizeof(norm));
    if (strcmp(norm, p->want) == 0) {
        p->found = id;
        p->found_job = codec_dup(v[1]);
        return 1;
    }
    return 0;
}

int stored_scan_resolve(struct store *st, const char *ref, int64_t *ids, size_t *nids,
                        size_t maxids, char *err, size_t errlen)
{
    struct ids x = {.ids = ids, .max = maxids};
    *nids = 0;
    char *end;
    long long num = strtoll(ref, &end, 10);
    const char *job = NULL;
    if (*ref && *end == '\0' && num > 0) {
        struct store_val p = sv_int(num);
        if (store_exec(st, "SELECT id, job, args FROM scans WHERE id = $1", &p, 1, one_row, &x, err,
                       errlen) < 0)
            return -1;
    } else if (strcmp(ref, "latest") == 0 || strcmp(ref, "previous") == 0) {
        if (store_exec(st, "SELECT id, job, args FROM scans ORDER BY start_ns DESC, id DESC", NULL,
                       0, one_row, &x, err, errlen) < 0)
            return -1;
        if (x.n && strcmp(ref, "previous") == 0) {
            char norm[4096];
            normalise_args(x.args, norm, sizeof(norm));
            struct prev p = {.want = norm, .job = x.job, .latest = ids[0], .found = -1};
            if (store_exec(st, "SELECT id, job, args FROM scans ORDER BY start_ns DESC, id DESC",
                           NULL, 0, prev_row, &p, err, errlen) < 0)
                return -1;
            free(x.job);
            x.job = p.found_job;
            x.n = 0;
            if (p.found >= 0)
                ids[x.n++] = p.found;
        }
    } else {
        job = strncmp(ref, "job:", 4) == 0 ? ref + 4 : ref;
        struct store_val p = sv_text(job);
        if (store_exec(st, "SELECT id, job, args FROM scans WHERE job = $1 ORDER BY id", &p, 1,
                       one_row, &x, err, errlen) < 0)
            return -1;
    }
    if (!x.n) {
        snprintf(err, errlen, "no scan %s in %s (see prtip db list)", ref, st->target);
        free(x.job);
        free(x.args);
        return -1;
    }
    /* The other shards of the job join the scan. */
    if (x.job) {
        struct store_val p = sv_text(x.job);
        x.n = 0;
        int rc = store_exec(st, "SELECT id FROM scans WHERE job = $1 ORDER BY id", &p, 1, id_row,
                            &x, err, errlen);
        free(x.job);
        free(x.args);
        if (rc < 0)
            return -1;
    } else {
        free(x.args);
    }
    *nids = x.n;
    return 0;
}
