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
#include "output/output.h"
#include "scan/scan_module.h"
#include "scan/tcp_classify.h"

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

/*
 * jansson refuses strings that are not UTF-8 (json_string returns NULL).
 * Host names from DNS or the command line need not be, so fall back to a
 * copy with every non-ASCII byte replaced by '?'. Control characters are
 * fine: jansson escapes them.
 */
static json_t *jstr(const char *s)
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

static json_t *jint(long long v)
{
    return json_integer((json_int_t)v);
}

static void format_ctime(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
}

static json_t *scaninfo(struct json_state *st, const struct scan *scan)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    /* Empty when no port is scanned (-sn, -sL), as XML has no scaninfo. */
    for (size_t i = 0; i < scan->ntypes && !scan->disc.ping_only && !scan->disc.list_only; i++) {
        const struct scan_module *m = scan->types[i];
        if (!m)
            continue;
        size_t n = m->proto < PROTO_COUNT ? scan->ports.count[m->proto] : 0;
        char *ranges = ports_format_ranges(n ? scan->ports.ports[m->proto] : NULL, n);
        json_t *o = json_object();
        if (!o || !ranges) {
            json_decref(o);
            free(ranges);
            st->failed = true;
            continue;
        }
        put(st, o, "type", jstr(m->xml_type));
        if (m->engine == SCAN_ENGINE_RAW && scan->raw.scanflags >= 0) {
            char flags[32];
            put(st, o, "scanflags",
                jstr(tcp_scanflags_format((uint8_t)scan->raw.scanflags, flags, sizeof(flags))));
        }
        put(st, o, "protocol", jstr(port_proto_name(m->proto)));
        put(st, o, "numservices", jint((long long)n));
        put(st, o, "services", jstr(ranges));
        push(st, arr, o);
        free(ranges);
    }
    return arr;
}

static int json_open(struct output *o)
{
    struct json_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    o->priv = st;
    const struct scan *scan = o->scan;
    time_t t0 = scan->summary.start.tv_sec ? scan->summary.start.tv_sec : time(NULL);
    char when[64];
    format_ctime(t0, when, sizeof(when));

    st->root = json_object();
    st->hosts = json_array();
    if (!st->root || !st->hosts) {
        json_decref(st->hosts);
        st->hosts = NULL;
        return -1;
    }
    put(st, st->root, "scanner", jstr("prtip"));
    put(st, st->root, "version", jstr(PRTIP_VERSION));
    put(st, st->root, "args", jstr(scan->args ? scan->args : "prtip"));
    put(st, st->root, "start", jint(t0));
    put(st, st->root, "startstr", jstr(when));
    put(st, st->root, "verbose", jint(scan->verbose));
    put(st, st->root, "debugging", jint(scan->debug));
    put(st, st->root, "scaninfo", scaninfo(st, scan));
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
        put(st, n, "name", jstr(names[i]));
        put(st, n, "type", jstr(types[i]));
        push(st, arr, n);
    }
    return arr;
}

/* Hidden states as in XML's <extraports>: per state a count, and per
 * (reason, protocol) a count and the ports in range form. */
static json_t *extraports(struct json_state *st, const struct host_result *h, unsigned hidden)
{
    json_t *arr = json_array();
    uint16_t *list = malloc((h->nports ? h->nports : 1) * sizeof(*list));
    if (!arr || !list) {
        json_decref(arr);
        free(list);
        return NULL;
    }
    size_t counts[PORT_STATE_COUNT];
    result_state_counts(h, counts);
    for (int s = 0; s < PORT_STATE_COUNT; s++) {
        if (!(hidden & (1u << s)) || counts[s] == 0)
            continue;
        json_t *e = json_object(), *reasons = json_array();
        if (!e || !reasons) {
            json_decref(e);
            json_decref(reasons);
            st->failed = true;
            continue;
        }
        put(st, e, "state", jstr(port_state_name(s)));
        put(st, e, "count", jint((long long)counts[s]));
        for (int r = 0; r < REASON_COUNT; r++) {
            for (int pr = 0; pr < PROTO_COUNT; pr++) {
                size_t n = 0;
                for (size_t i = 0; i < h->nports; i++) {
                    const struct port_result *p = &h->ports[i];
                    if (p->state == s && p->reason == r && p->proto == pr)
                        list[n++] = p->port;
                }
                if (n == 0)
                    continue;
                for (size_t i = 1; i < n; i++) { /* insertion sort: scan order in */
                    uint16_t v = list[i];
                    size_t j = i;
                    for (; j > 0 && list[j - 1] > v; j--)
                        list[j] = list[j - 1];
                    list[j] = v;
                }
                char *ranges = ports_format_ranges(list, n);
                json_t *re = json_object();
                if (!re || !ranges) {
                    json_decref(re);
                    free(ranges);
                    st->failed = true;
                    continue;
                }
                put(st, re, "reason", jstr(reason_name(r)));
                put(st, re, "count", jint((long long)n));
                put(st, re, "protocol", jstr(port_proto_name(pr)));
                put(st, re, "ports", jstr(ranges));
                push(st, reasons, re);
                free(ranges);
            }
        }
        put(st, e, "reasons", reasons);
        push(st, arr, e);
    }
    free(list);
    return arr;
}

/* nmap's host states; a timed-out host was up (it answered) but unfinished. */
static const char *host_state(const struct host_result *h)
{
    if (h->status == HOST_UP || h->timed_out)
        return "up";
    return h->status == HOST_DOWN ? "down" : "unknown";
}

static int json_host_begin(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct json_state *st = o->priv;
    st->host = NULL;
    st->ports = NULL;
    /* Same rule as XML: down hosts only with -v, list-scan hosts always. */
    if (h->status == HOST_DOWN && !h->timed_out && o->scan->verbose <= 0)
        return 0;
    json_t *host = json_object();
    if (!host) {
        st->failed = true;
        return -1;
    }
    char addr[IPADDR_STRLEN];
    put(st, host, "address", jstr(ipaddr_str(&h->addr, addr, sizeof(addr))));
    put(st, host, "addrtype", jstr(h->addr.family == AF_INET6 ? "ipv6" : "ipv4"));
    if (h->have_mac) {
        char mac[18];
        snprintf(mac, sizeof(mac), "%02X:%02X:%02X:%02X:%02X:%02X", h->mac[0], h->mac[1], h->mac[2],
                 h->mac[3], h->mac[4], h->mac[5]);
        put(st, host, "mac", jstr(mac));
    }
    put(st, host, "hostnames", hostnames(st, h));
    if (h->other_addrs)
        put(st, host, "other_addresses", jstr(h->other_addrs));

    json_t *status = json_object();
    if (status) {
        put(st, status, "state", jstr(host_state(h)));
        put(st, status, "reason", jstr(reason_name(h->status_reason)));
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

    /* A timed-out host's ports are incomplete; like XML, leave them out. */
    bool with_ports = h->status == HOST_UP && !h->timed_out;
    st->ports = with_ports ? json_array() : NULL;
    if (with_ports) {
        /* host keeps a reference; st->ports stays borrowed until host_end. */
        if (!st->ports || json_object_set(host, "ports", st->ports) < 0)
            st->failed = true;
        json_decref(st->ports);
        put(st, host, "extraports", extraports(st, h, hidden));
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
    put(st, e, "protocol", jstr(port_proto_name(p->proto)));
    put(st, e, "port", jint(p->port));
    put(st, e, "state", jstr(port_state_name(p->state)));
    put(st, e, "reason", jstr(reason_name(p->reason)));
    put(st, e, "reason_ttl", jint(p->reason_ttl));
    put(st, e, "service", jstr(p->service ? p->service : "unknown"));
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
        time_t t1 = sum->end.tv_sec ? sum->end.tv_sec : time(NULL);
        char when[64];
        format_ctime(t1, when, sizeof(when));
        bool ok = !sum->interrupted && !sum->error;
        json_t *rs = json_object(), *hosts = json_object();
        if (hosts) {
            put(st, hosts, "up", jint((long long)sum->hosts_up));
            put(st, hosts, "down", jint((long long)sum->hosts_down));
            put(st, hosts, "total", jint((long long)sum->hosts_total));
        }
        if (rs) {
            put(st, rs, "finished", jint(t1));
            put(st, rs, "timestr", jstr(when));
            put(st, rs, "elapsed", json_real(sum->elapsed_s));
            put(st, rs, "exit", jstr(ok ? "success" : "error"));
            if (!ok)
                put(st, rs, "errormsg", jstr(sum->error ? sum->error : "interrupted"));
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
    .open = json_open,
    .host_begin = json_host_begin,
    .port = json_port,
    .host_end = json_host_end,
    .close = json_close,
};
