/*
 * json.c — one JSON document per scan (-oJ), built with jansson and written
 * at close. Field names are a stable interface documented in docs/OUTPUT.md;
 * the content mirrors the XML output (same hosts, same shown ports, hidden
 * states aggregated in "extraports") so both formats agree.
 *
 * Unlike the other formats nothing is written before close: a JSON document
 * is only parseable once complete. close runs on Ctrl-C too, so the hosts
 * finished so far still reach the file.
 */
#include "output/json_text.h"
#include "output/output.h"
#include "output/render.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct json_state {
    json_t *root;
    json_t *hosts; /* borrowed from root */
    json_t *host;  /* host being built, NULL when skipped */
    json_t *ports; /* borrowed from host */
    bool failed;   /* an allocation failed; close reports it */
};

/* Add value under key, remembering failure. Steals value (NULL is a failure). */
static void put(struct json_state *st, json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value) < 0)
        st->failed = true;
}

static void push(struct json_state *st, json_t *arr, json_t *value)
{
    if (!value || json_array_append_new(arr, value) < 0)
        st->failed = true;
}

static json_t *jint(long long v)
{
    return json_integer((json_int_t)v);
}

static json_t *scaninfo(struct json_state *st, const struct scan_info *info)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    /* Empty when no port is scanned (-sn, -sL), as XML has no scaninfo. */
    for (size_t i = 0; i < info->ntypes; i++) {
        const struct scan_info_type *t = &info->types[i];
        json_t *o = json_object();
        if (!o) {
            st->failed = true;
            continue;
        }
        put(st, o, "type", out_json_text(t->type));
        if (t->scanflags[0])
            put(st, o, "scanflags", out_json_text(t->scanflags));
        put(st, o, "protocol", out_json_text(port_proto_name(t->proto)));
        put(st, o, "numservices", jint((long long)t->nservices));
        put(st, o, "services", out_json_text(t->services ? t->services : ""));
        push(st, arr, o);
    }
    return arr;
}

static json_t *jstrv(struct json_state *st, char *const *v, size_t n)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < n; i++)
        push(st, arr, out_json_text(v[i]));
    return arr;
}

static void put_opt(struct json_state *st, json_t *obj, const char *key, const char *value)
{
    if (value)
        put(st, obj, key, out_json_text(value));
}

/* -sV's findings: the XML <service> attributes under their own names. */
static json_t *service_json(struct json_state *st, const struct service_result *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    put_opt(st, o, "name", s->name);
    put_opt(st, o, "product", s->product);
    put_opt(st, o, "version", s->version);
    put_opt(st, o, "extrainfo", s->extrainfo);
    put_opt(st, o, "hostname", s->hostname);
    put_opt(st, o, "ostype", s->ostype);
    put_opt(st, o, "devicetype", s->devicetype);
    put(st, o, "cpe", jstrv(st, s->cpe, s->ncpe));
    put(st, o, "method", out_json_text(s->method == SERVICE_METHOD_PROBED ? "probed" : "table"));
    put(st, o, "conf", jint(s->conf));
    put(st, o, "tunnel", s->tunnel_ssl ? out_json_text("ssl") : json_null());
    if (out_json_service_evidence(o, s) < 0)
        st->failed = true;
    return o;
}

/* A script's structured output: a table with keys becomes an object, one
 * without keys an array, a leaf its string. */
static json_t *elems_json(struct json_state *st, const struct script_elem *e, size_t n)
{
    bool keyed = n > 0 && e[0].key != NULL;
    json_t *c = keyed ? json_object() : json_array();
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *v =
            e[i].value ? out_json_text(e[i].value) : elems_json(st, e[i].children, e[i].nchildren);
        if (keyed && e[i].key)
            put(st, c, e[i].key, v);
        else if (keyed)
            json_decref(v);
        else
            push(st, c, v);
    }
    return c;
}

static json_t *scripts_json(struct json_state *st, const struct script_output *s, size_t n)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        if (!o) {
            st->failed = true;
            continue;
        }
        put(st, o, "id", out_json_text(s[i].id));
        put(st, o, "output", out_json_text(s[i].output));
        if (s[i].nelems)
            put(st, o, "elements", elems_json(st, s[i].elems, s[i].nelems));
        push(st, arr, o);
    }
    return arr;
}

static const char *const verdict_names[] = {
    [OS_VERDICT_DETAILS] = "details",
    [OS_VERDICT_GUESSES] = "guesses",
    [OS_VERDICT_NONE] = "none",
    [OS_VERDICT_TOOMANY] = "too-many",
    [OS_VERDICT_UNSUPPORTED] = "unsupported",
};

static json_t *jport(int32_t port)
{
    return port > 0 ? jint(port) : json_null();
}

/* The verdict and nmap's OS extras (docs/OUTPUT.md "os"). */
static void os_report_json(struct json_state *st, json_t *o, const struct os_report *r)
{
    put(st, o, "verdict", out_json_text(verdict_names[r->verdict]));
    put(st, o, "passive", json_boolean(r->passive));
    put(st, o, "not_ideal", out_json_text(r->not_ideal));
    put(st, o, "note", out_json_text(r->note));
    json_t *used = json_object();
    if (used) {
        put(st, used, "open_tcp", jport(r->open_tcp));
        put(st, used, "closed_tcp", jport(r->closed_tcp));
        put(st, used, "closed_udp", jport(r->closed_udp));
    }
    put(st, o, "ports_used", used);
    put(st, o, "device_type", out_json_text(r->device_types));
    put(st, o, "running", out_json_text(r->running));
    put(st, o, "running_guess", json_boolean(r->running_guess));
    put(st, o, "os_cpe", out_json_text(r->os_cpe));
    put(st, o, "distance", r->distance >= 0 ? jint(r->distance) : json_null());
    put(st, o, "uptime_seconds", r->lastboot ? jint(r->uptime_s) : json_null());
    put(st, o, "lastboot", r->lastboot ? jint(r->lastboot) : json_null());
    json_t *seq = json_object();
    if (seq) {
        put(st, seq, "index", r->seq_index >= 0 ? jint(r->seq_index) : json_null());
        put(st, seq, "difficulty", out_json_text(r->seq_index >= 0 ? r->seq_difficulty : NULL));
        put(st, seq, "values", out_json_text(r->seq_values));
        put(st, seq, "ip_id_class", out_json_text(r->ipid_class));
        put(st, seq, "ip_id_values", out_json_text(r->ipid_values));
        put(st, seq, "ts_class", out_json_text(r->ts_class));
        put(st, seq, "ts_values", out_json_text(r->ts_values));
    }
    put(st, o, "sequence", seq);
}

static json_t *os_json(struct json_state *st, const struct host_result *h)
{
    json_t *o = json_object(), *matches = json_array();
    if (!o || !matches) {
        json_decref(o);
        json_decref(matches);
        return NULL;
    }
    for (size_t i = 0; i < h->nos; i++) {
        const struct os_match *m = &h->os[i];
        json_t *jm = json_object(), *classes = json_array();
        if (!jm || !classes) {
            json_decref(jm);
            json_decref(classes);
            st->failed = true;
            continue;
        }
        put(st, jm, "name", out_json_text(m->name));
        put(st, jm, "accuracy", jint(m->accuracy));
        put(st, jm, "line", jint(m->line));
        for (size_t k = 0; k < m->nclasses; k++) {
            const struct os_class *c = &m->classes[k];
            json_t *jc = json_object();
            if (!jc) {
                st->failed = true;
                continue;
            }
            put(st, jc, "type", out_json_text(c->type));
            put(st, jc, "vendor", out_json_text(c->vendor));
            put(st, jc, "osfamily", out_json_text(c->osfamily));
            put(st, jc, "osgen", out_json_text(c->osgen));
            put(st, jc, "accuracy", jint(c->accuracy));
            put(st, jc, "cpe", jstrv(st, c->cpe, c->ncpe));
            push(st, classes, jc);
        }
        put(st, jm, "classes", classes);
        push(st, matches, jm);
    }
    put(st, o, "matches", matches);
    put(st, o, "fingerprint", out_json_text(h->os_fingerprint));
    if (h->os_report)
        os_report_json(st, o, h->os_report);
    return o;
}

static int json_open(struct output *o)
{
    struct json_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    o->priv = st;
    const struct scan_info *info = o->info;
    time_t t0 = out_start_time(info);
    char when[64];
    out_ctime(t0, when, sizeof(when));

    st->root = json_object();
    st->hosts = json_array();
    if (!st->root || !st->hosts) {
        json_decref(st->hosts);
        st->hosts = NULL;
        return -1;
    }
    put(st, st->root, "scanner", out_json_text("prtip"));
    put(st, st->root, "version", out_json_text(PRTIP_VERSION));
    put(st, st->root, "args", out_json_text(info->args ? info->args : "prtip"));
    put(st, st->root, "start", jint(t0));
    put(st, st->root, "startstr", out_json_text(when));
    put(st, st->root, "verbose", jint(info->verbose));
    put(st, st->root, "debugging", jint(info->debug));
    put(st, st->root, "scaninfo", scaninfo(st, info));
    /* root holds a reference; st->hosts stays a borrowed pointer. */
    if (json_object_set(st->root, "hosts", st->hosts) < 0)
        st->failed = true;
    json_decref(st->hosts);
    return st->failed ? -1 : 0;
}

static json_t *hostnames(struct json_state *st, const struct host_result *h)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    const char *names[2] = {h->hostname, h->rdns};
    const char *types[2] = {"user", "PTR"};
    for (int i = 0; i < 2; i++) {
        if (!names[i])
            continue;
        json_t *n = json_object();
        if (!n) {
            st->failed = true;
            continue;
        }
        put(st, n, "name", out_json_text(names[i]));
        put(st, n, "type", out_json_text(types[i]));
        push(st, arr, n);
    }
    return arr;
}

struct reasons_ctx {
    struct json_state *st;
    json_t *reasons;
};

static void add_reason(void *ctx, enum reason r, enum port_proto proto, size_t n,
                       const char *ranges)
{
    struct reasons_ctx *c = ctx;
    json_t *re = json_object();
    if (!re) {
        c->st->failed = true;
        return;
    }
    put(c->st, re, "reason", out_json_text(reason_name(r)));
    put(c->st, re, "count", jint((long long)n));
    put(c->st, re, "protocol", out_json_text(port_proto_name(proto)));
    put(c->st, re, "ports", out_json_text(ranges));
    push(c->st, c->reasons, re);
}

/* Hidden states as in XML's <extraports>: per state a count, and per
 * (reason, protocol) a count and the ports in range form. */
static json_t *extraports(struct json_state *st, const struct host_result *h, unsigned hidden)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    int order[PORT_STATE_COUNT];
    size_t counts[PORT_STATE_COUNT];
    size_t n = out_hidden_order(h, hidden, order, counts);
    for (size_t i = 0; i < n; i++) {
        int s = order[i];
        json_t *e = json_object(), *reasons = json_array();
        if (!e || !reasons) {
            json_decref(e);
            json_decref(reasons);
            st->failed = true;
            continue;
        }
        put(st, e, "state", out_json_text(port_state_name(s)));
        put(st, e, "count", jint((long long)counts[s]));
        struct reasons_ctx c = {st, reasons};
        if (out_extrareasons(h, s, add_reason, &c) < 0)
            st->failed = true;
        put(st, e, "reasons", reasons);
        push(st, arr, e);
    }
    return arr;
}

static int json_host_begin(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct json_state *st = o->priv;
    st->host = NULL;
    st->ports = NULL;
    /* Same rule as XML: down hosts only with -v, list-scan hosts always. */
    if (h->status == HOST_DOWN && !h->timed_out && o->info->verbose <= 0)
        return 0;
    json_t *host = json_object();
    if (!host) {
        st->failed = true;
        return -1;
    }
    char addr[IPADDR_STRLEN];
    put(st, host, "address", out_json_text(ipaddr_str(&h->addr, addr, sizeof(addr))));
    put(st, host, "addrtype", out_json_text(h->addr.family == AF_INET6 ? "ipv6" : "ipv4"));
    if (h->have_mac) {
        char mac[MAC_STRLEN];
        mac_str(h->mac, false, mac);
        put(st, host, "mac", out_json_text(mac));
    }
    put(st, host, "hostnames", hostnames(st, h));
    if (h->other_addrs)
        put(st, host, "other_addresses", out_json_text(h->other_addrs));

    json_t *status = json_object();
    if (status) {
        put(st, status, "state", out_json_text(out_host_state(h)));
        put(st, status, "reason", out_json_text(reason_name(h->status_reason)));
        put(st, status, "reason_ttl", jint(h->status_ttl));
    }
    put(st, host, "status", status);
    put(st, host, "starttime", jint(h->start.tv_sec));
    put(st, host, "endtime", jint(h->end.tv_sec));
    if (h->srtt_us >= 0) {
        json_t *times = json_object();
        if (times) {
            put(st, times, "srtt", jint(h->srtt_us));
            put(st, times, "rttvar", jint(h->rttvar_us));
            put(st, times, "to", jint(h->timeout_us));
        }
        put(st, host, "times", times);
    }
    put(st, host, "timed_out", json_boolean(h->timed_out));
    put(st, host, "interrupted", json_boolean(h->interrupted));
    /* Always present: 0 means every port of the host has its state. */
    put(st, host, "ports_not_scanned", json_integer(h->ports_unscanned));

    /* A timed-out host's ports are incomplete; like XML, leave them out. */
    bool with_ports = h->status == HOST_UP && !h->timed_out;
    st->ports = with_ports ? json_array() : NULL;
    if (with_ports) {
        /* host keeps a reference; st->ports stays borrowed until host_end. */
        if (!st->ports || json_object_set(host, "ports", st->ports) < 0)
            st->failed = true;
        json_decref(st->ports);
        put(st, host, "extraports", extraports(st, h, hidden));
        /* A --os-passive guess has its own key: no reader takes it for -O's. */
        if (h->nos || h->os_fingerprint || h->os_report)
            put(st, host, h->os_report && h->os_report->passive ? "os_passive" : "os",
                os_json(st, h));
        if (h->nscripts)
            put(st, host, "hostscripts", scripts_json(st, h->scripts, h->nscripts));
    }
    st->host = host;
    return st->failed ? -1 : 0;
}

static int json_port(struct output *o, const struct host_result *h, const struct port_result *p)
{
    struct json_state *st = o->priv;
    if (!st->host || !st->ports)
        return 0;
    json_t *e = json_object();
    if (!e) {
        st->failed = true;
        return -1;
    }
    put(st, e, "protocol", out_json_text(port_proto_name(p->proto)));
    put(st, e, "port", jint(p->port));
    put(st, e, "state", out_json_text(port_state_name(p->state)));
    put(st, e, "reason", out_json_text(reason_name(p->reason)));
    put(st, e, "reason_ttl", jint(p->reason_ttl));
    if (p->detail && p->detail->have_reason_ip) {
        char a[IPADDR_STRLEN];
        put(st, e, "reason_ip", out_json_text(ipaddr_str(&p->detail->reason_ip, a, sizeof(a))));
    }
    put(st, e, "service", out_json_text(p->service ? p->service : "unknown"));
    if (p->detail && p->detail->service)
        put(st, e, "service_detail", service_json(st, p->detail->service));
    if (p->detail && p->detail->tls)
        put(st, e, "tls", out_json_tls(p->detail->tls));
    if (p->detail && p->detail->nscripts)
        put(st, e, "scripts", scripts_json(st, p->detail->scripts, p->detail->nscripts));
    push(st, st->ports, e);
    return st->failed ? -1 : 0;
}

static int json_host_end(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct json_state *st = o->priv;
    if (st->host)
        push(st, st->hosts, st->host);
    st->host = NULL;
    st->ports = NULL;
    return st->failed ? -1 : 0;
}

static int json_close(struct output *o, const struct scan_summary *sum)
{
    struct json_state *st = o->priv;
    if (!st)
        return -1;
    int rc = -1;
    if (st->root) {
        time_t t1 = out_end_time(sum);
        char when[64];
        out_ctime(t1, when, sizeof(when));
        bool ok = !sum->interrupted && !sum->error;
        json_t *rs = json_object(), *hosts = json_object();
        if (hosts) {
            put(st, hosts, "up", jint((long long)sum->hosts_up));
            put(st, hosts, "down", jint((long long)sum->hosts_down));
            put(st, hosts, "total", jint((long long)sum->hosts_total));
        }
        if (rs) {
            put(st, rs, "finished", jint(t1));
            put(st, rs, "timestr", out_json_text(when));
            put(st, rs, "elapsed", json_real(sum->elapsed_s));
            put(st, rs, "exit", out_json_text(ok ? "success" : "error"));
            if (!ok)
                put(st, rs, "errormsg", out_json_text(sum->error ? sum->error : "interrupted"));
            put(st, rs, "interrupted", json_boolean(sum->interrupted));
            put(st, rs, "hosts", hosts);
        } else {
            json_decref(hosts);
        }
        put(st, st->root, "runstats", rs);
        rc = json_dumpf(st->root, o->fp, JSON_INDENT(2)) == 0 && fputc('\n', o->fp) != EOF ? 0 : -1;
        if (fflush(o->fp) != 0 || ferror(o->fp) || st->failed)
            rc = -1;
    }
    json_decref(st->host);
    json_decref(st->root);
    free(st);
    o->priv = NULL;
    return rc;
}

const struct output_module output_json = {
    .name = "json",
    .option = "-oJ",
    .ext = "json",
    .summary = "one JSON document per scan (docs/OUTPUT.md)",
    .open = json_open,
    .host_begin = json_host_begin,
    .port = json_port,
    .host_end = json_host_end,
    .close = json_close,
};
