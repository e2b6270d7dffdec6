/*
 * ndjson.c — newline-delimited JSON (-oD), one object per line per result,
 * after masscan's -oD / --output-format ndjson: every line carries "ip",
 * "timestamp", "rec_type" and "data", port lines also "port" and "proto",
 * so a masscan consumer reads the port lines unchanged. Host lines
 * (rec_type "host", with nmap's state and reason) are prtip's addition for
 * nmap users. Fields are documented in docs/OUTPUT.md.
 *
 * The point of the format is a stream another program can tail during a
 * scan: each host's lines are written as the host comes down the result
 * stream, flushed within OUTPUT_FLUSH_MS (output.h), and no line ever depends on a later one
 * (no header, no closing record).
 */
#include "output/json_text.h"
#include "output/output.h"
#include "output/render.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Set key to value (stolen) unless value is NULL; returns -1 on failure. */
static int put(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

/* Absent strings are left out rather than written as null: a line is as
 * short as the result allows. */
static int put_str(json_t *obj, const char *key, const char *value)
{
    return value ? put(obj, key, out_json_text(value)) : 0;
}

/* The fields every line starts with. masscan writes the timestamp as a
 * string of Unix seconds; so do we, for its consumers. */
static json_t *line_head(const struct host_result *h, const char *rec_type)
{
    json_t *line = json_object();
    if (!line)
        return NULL;
    char addr[IPADDR_STRLEN], ts[24];
    snprintf(ts, sizeof(ts), "%lld", (long long)h->end.tv_sec);
    if (put(line, "ip", out_json_text(ipaddr_str(&h->addr, addr, sizeof(addr)))) < 0 ||
        put(line, "timestamp", json_string(ts)) < 0 ||
        put(line, "rec_type", json_string(rec_type)) < 0) {
        json_decref(line);
        return NULL;
    }
    return line;
}

/* Write line (stolen) compact, then "\n". */
static int emit(struct output *o, json_t *line)
{
    if (!line)
        return -1;
    int rc = json_dumpf(line, o->fp, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (rc < 0 || fputc('\n', o->fp) == EOF)
        return -1;
    return 0;
}

/* Attach data to line and write it, or drop both when building either
 * failed (rc < 0 or a NULL). */
static int emit_with_data(struct output *o, json_t *line, json_t *data, int rc)
{
    if (!line || rc < 0) {
        json_decref(line);
        json_decref(data);
        return -1;
    }
    if (put(line, "data", data) < 0) {
        json_decref(line);
        return -1;
    }
    return emit(o, line);
}

static int ndjson_open(struct output *o)
{
    (void)o;
    return 0;
}

/* The OS matches, under -oJ's keys: "os" for -O's, "os_passive" for an
 * --os-passive guess (so that no reader takes a guess from one SYN-ACK for
 * -O's verdict), each {"passive": bool, "matches": [{"name", "accuracy"}]}. */
static int put_os(json_t *data, const struct host_result *h)
{
    if (!h->nos)
        return 0;
    bool passive = h->os_report && h->os_report->passive;
    json_t *os = json_object(), *matches = json_array();
    int rc = os && matches ? 0 : -1;
    for (size_t i = 0; matches && i < h->nos; i++) {
        json_t *m = json_object();
        rc |= m ? 0 : -1;
        if (m) {
            rc |= put(m, "name", out_json_text(h->os[i].name ? h->os[i].name : ""));
            rc |= put(m, "accuracy", json_integer(h->os[i].accuracy));
            rc |= json_array_append_new(matches, m);
        }
    }
    if (!os) {
        json_decref(matches);
        return -1;
    }
    rc |= put(os, "passive", json_boolean(passive));
    rc |= put(os, "matches", matches);
    return rc | put(data, passive ? "os_passive" : "os", os);
}

static int ndjson_host_begin(struct output *o, const struct host_result *h, unsigned hidden)
{
    (void)hidden;
    json_t *line = line_head(h, "host");
    json_t *data = json_object();
    int rc = line && data ? 0 : -1;
    rc |= data ? put(data, "status", out_json_text(out_host_state(h))) : -1;
    rc |= data ? put(data, "reason", out_json_text(reason_name(h->status_reason))) : -1;
    rc |= data ? put(data, "ttl", json_integer(h->status_ttl)) : -1;
    if (data) {
        rc |= put_str(data, "hostname", h->hostname);
        rc |= put_str(data, "rdns", h->rdns);
        if (h->have_mac) {
            char mac[MAC_STRLEN];
            mac_str(h->mac, false, mac);
            rc |= put(data, "mac", out_json_text(mac));
        }
        if (h->timed_out)
            rc |= put(data, "timed_out", json_true());
        if (h->interrupted)
            rc |= put(data, "interrupted", json_true());
        if (h->ports_unscanned)
            rc |= put(data, "ports_not_scanned", json_integer(h->ports_unscanned));
        rc |= put_os(data, h);
    }
    return emit_with_data(o, line, data, rc);
}

/* -sV's answer, under the names of nmap's XML <service> attributes. */
static int put_service(json_t *data, const struct port_result *p)
{
    const struct service_result *s = p->detail ? p->detail->service : NULL;
    if (!s && !p->service)
        return 0;
    json_t *o = json_object();
    if (!o)
        return -1;
    int rc = 0;
    if (!s) { /* only the nmap-services name for the port */
        rc |= put_str(o, "name", p->service);
        rc |= put(o, "method", json_string("table"));
        return rc | put(data, "service", o);
    }
    rc |= put_str(o, "name", s->name);
    rc |= put_str(o, "product", s->product);
    rc |= put_str(o, "version", s->version);
    rc |= put_str(o, "extrainfo", s->extrainfo);
    rc |= put_str(o, "hostname", s->hostname);
    rc |= put_str(o, "ostype", s->ostype);
    rc |= put_str(o, "devicetype", s->devicetype);
    if (s->ncpe) {
        json_t *cpe = json_array();
        for (size_t i = 0; cpe && i < s->ncpe; i++)
            if (json_array_append_new(cpe, out_json_text(s->cpe[i])) < 0)
                rc = -1;
        rc |= put(o, "cpe", cpe);
    }
    rc |= put(o, "method", json_string(s->method == SERVICE_METHOD_PROBED ? "probed" : "table"));
    rc |= put(o, "conf", json_integer(s->conf));
    if (s->tunnel_ssl)
        rc |= put(o, "tunnel", json_string("ssl"));
    rc |= out_json_service_evidence(o, s);
    return rc | put(data, "service", o);
}

static int ndjson_port(struct output *o, const struct host_result *h, const struct port_result *p)
{
    json_t *line = line_head(h, "status");
    json_t *data = json_object();
    int rc = line && data ? 0 : -1;
    rc |= line ? put(line, "port", json_integer(p->port)) : -1;
    rc |= line ? put(line, "proto", json_string(port_proto_name(p->proto))) : -1;
    if (data) {
        rc |= put(data, "status", json_string(port_state_name(p->state)));
        rc |= put(data, "reason", json_string(reason_name(p->reason)));
        rc |= put(data, "ttl", json_integer(p->reason_ttl));
        if (p->detail && p->detail->have_reason_ip) {
            char a[IPADDR_STRLEN];
            rc |= put(data, "reason_ip",
                      json_string(ipaddr_str(&p->detail->reason_ip, a, sizeof(a))));
        }
        rc |= put_service(data, p);
        if (p->detail && p->detail->tls)
            rc |= put(data, "tls", out_json_tls(p->detail->tls));
    }
    return emit_with_data(o, line, data, rc);
}

/* The host's lines reach the file now, so a reader tailing it sees every
 * finished host while the scan goes on. */
static int ndjson_host_end(struct output *o, const struct host_result *h, unsigned hidden)
{
    (void)h;
    (void)hidden;
    return ferror(o->fp) ? -1 : 0; /* flushed by the output set (output.c) */
}

static int ndjson_close(struct output *o, const struct scan_summary *sum)
{
    (void)sum;
    return fflush(o->fp) == 0 ? 0 : -1;
}

const struct output_module output_ndjson = {
    .name = "ndjson",
    .option = "-oD",
    .ext = NULL, /* nmap's -oA has no such format */
    .summary =
        "NDJSON as masscan's -oD, a line per host and port, on disk within 50 ms of its host",
    .open = ndjson_open,
    .host_begin = ndjson_host_begin,
    .port = ndjson_port,
    .host_end = ndjson_host_end,
    .close = ndjson_close,
};
