/*
 * resume.c — the resume file (resume.h): write on interruption, load and
 * apply for --resume. Host records are JSON (jansson), one line each.
 */
#include "output/resume.h"
#include "output/resume_internal.h"

#include "core/addr.h"
#include "core/ports.h"
#include "core/services.h"
#include "core/siphash.h"
#include "store/codec.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC     "prtip-resume 2"
#define MAGIC_OLD "prtip-resume " /* another format: refused with its number */

/* ---- the recorder sink --------------------------------------------------- */

static int rec_begin(void *ctx, const struct scan_info *info)
{
    struct resume_rec *rec = ctx;
    return sink_begin(&rec->next, info);
}

static const char *service_of(const struct resume_rec *rec, uint16_t port, uint8_t proto)
{
    return rec->services
               ? services_name(rec->services, port, port_proto_ipproto((enum port_proto)proto))
               : NULL;
}

/* Cut h's ports into runs, written to out when it is not NULL; returns how
 * many, or 0 when a port carries more (a detail, another name). */
static uint32_t cut_runs(const struct resume_rec *rec, const struct host_result *h,
                         struct resume_port_run *out)
{
    struct resume_port_run cur = {0};
    uint32_t n = 0;
    for (size_t i = 0; i < h->nports; i++) {
        const struct port_result *p = &h->ports[i];
        if (p->detail || p->service != service_of(rec, p->port, p->proto))
            return 0;
        if (!n || p->port != cur.first + cur.count || p->proto != cur.proto ||
            p->state != cur.state || p->reason != cur.reason || p->reason_ttl != cur.ttl ||
            cur.count == UINT16_MAX) {
            if (n && out)
                out[n - 1] = cur;
            cur = (struct resume_port_run){.first = p->port,
                                           .proto = p->proto,
                                           .state = p->state,
                                           .reason = p->reason,
                                           .ttl = p->reason_ttl};
            n++;
        }
        cur.count++;
    }
    if (n && out)
        out[n - 1] = cur;
    return n;
}

/* h's ports as runs (see struct resume_entry), or NULL with *nruns 0 when
 * a port carries more or no memory is left. */
static struct resume_port_run *port_runs(const struct resume_rec *rec, const struct host_result *h,
                                         uint32_t *nruns)
{
    *nruns = 0;
    if (h->nports > UINT32_MAX)
        return NULL;
    uint32_t n = cut_runs(rec, h, NULL);
    struct resume_port_run *r = n ? malloc(n * sizeof *r) : NULL;
    if (r)
        *nruns = cut_runs(rec, h, r);
    return r;
}

/* Append h to entries[n] (growing cap): without its port records when
 * they make runs, else a whole copy; oom on failure. */
static void rec_push(struct resume_rec *rec, struct resume_entry **entries, size_t *n, size_t *cap,
                     const struct host_result *h)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        struct resume_entry *l = realloc(*entries, c * sizeof *l);
        if (!l) {
            rec->oom = true;
            return;
        }
        *entries = l;
        *cap = c;
    }
    struct resume_entry *e = &(*entries)[*n];
    memset(e, 0, sizeof *e);
    e->runs = port_runs(rec, h, &e->nruns);
    struct host_result bare = *h;
    if (e->runs) {
        e->nports = (uint32_t)h->nports;
        bare.ports = NULL;
        bare.nports = bare.cap = 0;
    }
    if (host_result_copy(&e->h, &bare) < 0) {
        free(e->runs);
        rec->oom = true;
    } else {
        (*n)++;
    }
}

/* One "host"/"part" line of the file; -1 when out of memory. */
static int put_host(FILE *f, const char *kind, const struct resume_rec *rec,
                    const struct resume_entry *e)
{
    struct host_result h = e->h;
    struct port_result *ports = NULL;
    if (e->runs) {
        if (!(ports = calloc(e->nports, sizeof *ports)))
            return -1;
        size_t k = 0;
        for (uint32_t r = 0; r < e->nruns; r++)
            for (uint32_t i = 0; i < e->runs[r].count && k < e->nports; i++, k++) {
                const struct resume_port_run *u = &e->runs[r];
                uint16_t port = (uint16_t)(u->first + i);
                ports[k] = (struct port_result){.port = port,
                                                .proto = u->proto,
                                                .state = u->state,
                                                .reason = u->reason,
                                                .reason_ttl = u->ttl,
                                                .service = service_of(rec, port, u->proto)};
            }
        h.ports = ports;
        h.nports = h.cap = k;
    }
    char *line = resume_host_to_json(&h);
    free(ports);
    if (!line)
        return -1;
    fprintf(f, "%s %s\n", kind, line);
    free(line);
    return 0;
}

static void rec_host(void *ctx, const struct host_result *h)
{
    struct resume_rec *rec = ctx;
    bool stopped = rec->stop && *rec->stop;
    bool down_after_stop = stopped && h->status != HOST_UP;
    /* -sV/-O: a host out of them before the stop went all the way through. */
    bool whole = (!rec->sv && !rec->os) || (!stopped && resume_host_storable(h));
    if (rec->oom) {
        /* nothing more: the file will not be written */
    } else if (resume_host_complete(h) && !down_after_stop && whole) {
        rec_push(rec, &rec->lines, &rec->n, &rec->cap, h);
    } else if (h->status == HOST_UP && h->nports > 0 && !h->timed_out) {
        /* Its answers so far (with -O/-sV all of them: the detection is
         * redone, the port scan not), for a raw scan with a position. */
        rec_push(rec, &rec->parts, &rec->nparts, &rec->pcap, h);
    }
    sink_host(&rec->next, h);
}

static int rec_end(void *ctx, const struct scan_summary *sum)
{
    struct resume_rec *rec = ctx;
    return sink_end(&rec->next, sum);
}

static void rec_task(void *ctx, const struct task_event *ev)
{
    struct resume_rec *rec = ctx;
    if (rec->next.task)
        rec->next.task(rec->next.ctx, ev);
}

struct result_sink resume_rec_sink(struct resume_rec *rec, struct result_sink next, bool os,
                                   bool sv, volatile sig_atomic_t *stop,
                                   const struct services *services)
{
    memset(rec, 0, sizeof *rec);
    rec->next = next;
    rec->services = services;
    rec->os = os;
    rec->sv = sv;
    rec->stop = stop;
    return (struct result_sink){
        .begin = rec_begin, .host = rec_host, .end = rec_end, .task = rec_task, .ctx = rec};
}

void resume_rec_free(struct resume_rec *rec)
{
    for (size_t i = 0; i < rec->n; i++) {
        host_result_free(&rec->lines[i].h);
        free(rec->lines[i].runs);
    }
    free(rec->lines);
    for (size_t i = 0; i < rec->nparts; i++) {
        host_result_free(&rec->parts[i].h);
        free(rec->parts[i].runs);
    }
    free(rec->parts);
    rec->lines = rec->parts = NULL;
    rec->n = rec->cap = rec->nparts = rec->pcap = 0;
}

/* ---- the file ------------------------------------------------------------ */

/* The checksum of what decides the scan: arguments, seed and shard. */
static uint64_t header_sum(char *const args[], int nargs, uint64_t seed, uint32_t shard,
                           uint32_t nshards)
{
    static const struct siphash_key key = {0x70727469702d7265ULL, 0x73756d652d763100ULL};
    uint64_t h = siphash24(&key, PRTIP_VERSION, strlen(PRTIP_VERSION));
    for (int i = 0; i < nargs; i++) {
        uint64_t x = siphash24(&key, args[i], strlen(args[i]) + 1);
        h = siphash24(&key, (uint64_t[]){h, x}, 16);
    }
    return siphash24(&key, (uint64_t[]){h, seed, (uint64_t)shard << 32 | nshards}, 24);
}

static const char *default_path(char *const outputs[], size_t n, char *buf, size_t len)
{
    /* -oA BASE writes BASE.gnmap among others: the resume file goes beside. */
    for (size_t i = 0; i < n; i++) {
        size_t l = outputs[i] ? strlen(outputs[i]) : 0;
        if (l > 6 && strcmp(outputs[i] + l - 6, ".gnmap") == 0) {
            snprintf(buf, len, "%.*s.resume", (int)(l - 6), outputs[i]);
            return buf;
        }
    }
    return "prtip.resume";
}

int resume_write(const char *path, char *const outputs[], size_t noutputs, char *const args[],
                 int nargs, uint64_t seed, uint32_t shard, uint32_t nshards,
                 const struct scan_pos *pos, bool parts, const struct resume_rec *rec, char *used,
                 size_t usedlen, char *err, size_t errlen)
{
    char buf[4096];
    if (!path)
        path = default_path(outputs, noutputs, buf, sizeof buf);
    snprintf(used, usedlen, "%s", path);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write the resume file %s: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, MAGIC "\n# Continue this scan with: prtip --resume %s\n", path);
    fprintf(f, "version %s\n", PRTIP_VERSION);
    for (int i = 0; i < nargs; i++) {
        /* One argument a line; a newline inside one is escaped. */
        fputs("arg ", f);
        for (const char *c = args[i]; *c; c++) {
            if (*c == '\n')
                fputs("\\n", f);
            else if (*c == '\\')
                fputs("\\\\", f);
            else
                fputc(*c, f);
        }
        fputc('\n', f);
    }
    fprintf(f, "seed %" PRIu64 "\nshard %" PRIu32 "/%" PRIu32 "\n", seed, shard + 1, nshards);
    fprintf(f, "sum %016" PRIx64 "\n", header_sum(args, nargs, seed, shard, nshards));
    bool at = pos && pos->valid;
    if (at) {
        fprintf(f, "# The raw scan's walk: retry pass, host group, probes awaited, then each "
                   "sender's index in the permutation\n");
        fprintf(f,
                "position pass %" PRIu32 " group %" PRIu64 " pending %" PRIu64 " senders %" PRIu32,
                pos->pass, pos->group, pos->pending, pos->nsenders);
        for (uint32_t t = 0; t < pos->nsenders && t < SCAN_POS_MAX_SENDERS; t++)
            fprintf(f, " %" PRIu64, pos->pos[t]);
        fputc('\n', f);
    }
    fprintf(f, "# %zu complete hosts follow%s\n", rec->n,
            parts ? "" : "; hosts cut by the interruption are scanned again");
    bool oom = rec->oom;
    for (size_t i = 0; i < rec->n && !oom; i++)
        oom = put_host(f, "host", rec, &rec->lines[i]) < 0;
    if (parts) {
        fprintf(f, "# %zu hosts answered in part: their answers so far\n", rec->nparts);
        for (size_t i = 0; i < rec->nparts && !oom; i++)
            oom = put_host(f, "part", rec, &rec->parts[i]) < 0;
    }
    int bad = ferror(f) | (fclose(f) != 0);
    if (bad || oom || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write the resume file %s: %s", path,
                 oom ? "out of memory" : strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static int push_arg(struct resume_state *rs, const char *a)
{
    char **v = realloc(rs->argv, (size_t)(rs->argc + 2) * sizeof *v);
    if (!v)
        return -1;
    rs->argv = v;
    rs->argv[rs->argc] = strdup(a);
    if (!rs->argv[rs->argc])
        return -1;
    rs->argv[++rs->argc] = NULL;
    return 0;
}

static int push_to(struct host_result **hosts, size_t *n, struct host_result *h)
{
    struct host_result *v = realloc(*hosts, (*n + 1) * sizeof *v);
    if (!v)
        return -1;
    *hosts = v;
    (*hosts)[(*n)++] = *h;
    return 0;
}

static int push_host(struct resume_state *rs, struct host_result *h)
{
    return push_to(&rs->hosts, &rs->nhosts, h);
}

/* "position pass P group G pending N senders T q0 .. q(T-1)" */
static int parse_position(const char *line, struct scan_pos *p)
{
    int used = 0;
    memset(p, 0, sizeof *p);
    if (sscanf(line,
               "position pass %" SCNu32 " group %" SCNu64 " pending %" SCNu64 " senders %" SCNu32
               "%n",
               &p->pass, &p->group, &p->pending, &p->nsenders, &used) != 4 ||
        p->nsenders == 0 || p->nsenders > SCAN_POS_MAX_SENDERS ||
        (p->pass > 255 && p->pass != SCAN_POS_PACING && p->pass != SCAN_POS_DONE))
        return -1;
    const char *c = line + used;
    for (uint32_t t = 0; t < p->nsenders; t++) {
        char *end;
        while (*c == ' ')
            c++;
        if (*c < '0' || *c > '9')
            return -1;
        errno = 0;
        p->pos[t] = strtoull(c, &end, 10);
        if (errno)
            return -1;
        c = end;
    }
    if (*c != '\0')
        return -1;
    p->valid = true;
    return 0;
}

/* Split nmap's "as:" command line into words (nmap quotes nothing; a word
 * with spaces cannot be told apart, as with nmap's own --resume). */
static int nmap_args(struct resume_state *rs, const char *cmd)
{
    char *copy = strdup(cmd);
    if (!copy)
        return -1;
    char *save = NULL;
    bool first = true;
    for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        if (first) { /* the program name */
            first = false;
            continue;
        }
        if (push_arg(rs, w) < 0) {
            free(copy);
            return -1;
        }
    }
    free(copy);
    return 0;
}

/* nmap's --resume form: a -oG log ("Host: A (name)\tStatus: Up" and
 * "Host: A ()\tPorts: 22/open/tcp//ssh///, ...") or -oN log ("Nmap scan
 * report for A"). Hosts with a Ports line (or Status: Down) are complete;
 * the last host of a -oN log may have been cut and is left out. */
static int load_nmap_log(FILE *f, const char *first, struct resume_state *rs, char *err,
                         size_t errlen)
{
    const char *as = strstr(first, " as: ");
    if (!as) {
        snprintf(err, errlen, "%s: the first line names no command (\"as: ...\")", rs->path);
        return -1;
    }
    if (nmap_args(rs, as + 5) < 0)
        goto oom;
    char line[65536];
    int ln = 1;
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (strncmp(line, "Host: ", 6) != 0)
            continue;
        char a[IPADDR_STRLEN + 1];
        if (sscanf(line + 6, "%46s", a) != 1)
            continue;
        struct ipaddr addr;
        if (ipaddr_parse(a, &addr) < 0) {
            snprintf(err, errlen, "%s:%d: bad address '%s'", rs->path, ln, a);
            return -1;
        }
        bool ports = strstr(line, "\tPorts: ") != NULL || strstr(line, "\tIgnored State: ");
        bool down = strstr(line, "\tStatus: Down") != NULL;
        bool up_only = strstr(line, "\tStatus: Up") != NULL;
        if (!ports && !down && !up_only)
            continue;
        /* A Status: Up line precedes the Ports line of a port scan; a ping
         * scan (-sn) has only Status lines. Keep the latest per address. */
        struct host_result h;
        host_result_init(&h, &addr);
        h.status = down ? HOST_DOWN : HOST_UP;
        h.status_reason = REASON_USER_SET;
        /* Every port hidden ("Ignored State: closed (1000)"): complete,
         * with no port listed; mark it so it is not taken for cut. */
        h.timed_out = false;
        if (ports && !strstr(line, "\tPorts: "))
            h.timed_out = true; /* only as "complete" below; cleared there */
        if (ports && strstr(line, "\tPorts: ")) {
            char *p = strstr(line, "\tPorts: ") + 8;
            char *end = strchr(p, '\t');
            if (end)
                *end = '\0';
            char *save = NULL;
            for (char *e = strtok_r(p, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
                while (*e == ' ')
                    e++;
                unsigned port;
                char state[32], proto[8];
                if (sscanf(e, "%u/%31[^/]/%7[^/]", &port, state, proto) != 3 || port > 65535)
                    continue;
                struct port_result pr = {.port = (uint16_t)port,
                                         .proto = strcmp(proto, "udp") == 0 ? PROTO_UDP : PROTO_TCP,
                                         .reason = REASON_USER_SET};
                int st = -1;
                for (int x = 0; x < PORT_STATE_COUNT && st < 0; x++)
                    if (strcmp(port_state_name((enum port_state)x), state) == 0)
                        st = x;
                if (st < 0) {
                    snprintf(err, errlen, "%s:%d: unknown port state '%s'", rs->path, ln, state);
                    host_result_free(&h);
                    return -1;
                }
                pr.state = (uint8_t)st;
                if (host_result_add_port(&h, &pr) < 0) {
                    host_result_free(&h);
                    goto oom;
                }
            }
        }
        /* Replace an earlier Status line of the same address. */
        bool replaced = false;
        for (size_t i = 0; i < rs->nhosts && !replaced; i++)
            if (ipaddr_equal(&rs->hosts[i].addr, &addr)) {
                host_result_free(&rs->hosts[i]);
                rs->hosts[i] = h;
                replaced = true;
            }
        if (!replaced && push_host(rs, &h) < 0) {
            host_result_free(&h);
            goto oom;
        }
    }
    /* A port scan's host with only a Status: Up line was cut before its
     * ports line: not complete, scanned again. */
    bool ping_only = false;
    for (int i = 1; i < rs->argc; i++)
        ping_only |= strcmp(rs->argv[i], "-sn") == 0 || strcmp(rs->argv[i], "-sL") == 0;
    size_t k = 0;
    for (size_t i = 0; i < rs->nhosts; i++) {
        struct host_result *h = &rs->hosts[i];
        if (!ping_only && h->status == HOST_UP && h->nports == 0 && !h->timed_out) {
            host_result_free(h);
        } else {
            h->timed_out = false;
            rs->hosts[k++] = *h;
        }
    }
    rs->nhosts = k;
    return 0;
oom:
    snprintf(err, errlen, "out of memory reading %s", rs->path);
    return -1;
}

int resume_load(const char *path, struct resume_state *rs, char *err, size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    rs->path = strdup(path);
    FILE *f = fopen(path, "r");
    if (!f || !rs->path) {
        snprintf(err, errlen, "--resume %s: %s", path, f ? "out of memory" : strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (push_arg(rs, "prtip") < 0)
        goto oom;
    static char line[1 << 20];
    if (!fgets(line, sizeof line, f)) {
        snprintf(err, errlen, "--resume %s: empty file", path);
        goto fail;
    }
    if (strncmp(line, "# Nmap ", 7) == 0 || strncmp(line, "# prtip ", 8) == 0) {
        if (load_nmap_log(f, line, rs, err, errlen) < 0)
            goto fail;
        fclose(f);
        return 0;
    }
    if (strcmp(line, MAGIC "\n") != 0 && strncmp(line, MAGIC_OLD, strlen(MAGIC_OLD)) == 0) {
        line[strcspn(line, "\r\n")] = '\0';
        snprintf(err, errlen,
                 "--resume %s: resume file format %.10s (this prtip reads format 2, which keeps "
                 "the scan's position): start the scan again",
                 path, line + strlen(MAGIC_OLD));
        goto fail;
    }
    if (strcmp(line, MAGIC "\n") != 0) {
        line[strcspn(line, "\r\n")] = '\0';
        snprintf(err, errlen,
                 "--resume %s: not a prtip resume file or an nmap -oN/-oG log (first line: %.40s)",
                 path, line);
        goto fail;
    }
    int ln = 1;
    bool have_seed = false, have_sum = false;
    uint32_t shard = 0, nshards = 1;
    uint64_t sum = 0;
    char version[64] = "";
    while (fgets(line, sizeof line, f)) {
        ln++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\n')
            line[--l] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (strncmp(line, "version ", 8) == 0) {
            snprintf(version, sizeof version, "%.63s", line + 8);
        } else if (strncmp(line, "arg ", 4) == 0) {
            char *o = line + 4, *w = line + 4;
            for (; *o; o++) {
                if (*o == '\\' && o[1] == 'n') {
                    *w++ = '\n';
                    o++;
                } else if (*o == '\\' && o[1] == '\\') {
                    *w++ = '\\';
                    o++;
                } else {
                    *w++ = *o;
                }
            }
            *w = '\0';
            if (push_arg(rs, line + 4) < 0)
                goto oom;
        } else if (sscanf(line, "seed %" SCNu64, &rs->seed) == 1) {
            have_seed = true;
        } else if (sscanf(line, "shard %" SCNu32 "/%" SCNu32, &shard, &nshards) == 2) {
            shard--;
        } else if (sscanf(line, "sum %" SCNx64, &sum) == 1) {
            have_sum = true;
        } else if (strncmp(line, "position ", 9) == 0) {
            if (parse_position(line, &rs->pos) < 0) {
                snprintf(err, errlen,
                         "--resume %s:%d: bad position line (expected \"position pass P group G "
                         "pending N senders T\" and T indices)",
                         path, ln);
                goto fail;
            }
        } else if (strncmp(line, "host ", 5) == 0 || strncmp(line, "part ", 5) == 0) {
            struct host_result h;
            char why[200];
            bool part = line[0] == 'p';
            if (resume_host_from_json(line + 5, &h, why, sizeof why) < 0) {
                snprintf(err, errlen, "--resume %s:%d: bad host record: %s", path, ln, why);
                goto fail;
            }
            if ((part ? push_to(&rs->partial, &rs->npartial, &h) : push_host(rs, &h)) < 0) {
                host_result_free(&h);
                goto oom;
            }
        } else {
            snprintf(err, errlen, "--resume %s:%d: unknown line '%.40s'", path, ln, line);
            goto fail;
        }
    }
    fclose(f);
    f = NULL;
    if (strcmp(version, PRTIP_VERSION) != 0) {
        snprintf(err, errlen,
                 "--resume %s: written by prtip %s, this is prtip %s: the scan order may differ; "
                 "start the scan again",
                 path, version[0] ? version : "(unknown)", PRTIP_VERSION);
        goto fail;
    }
    if (!have_seed || !have_sum ||
        sum != header_sum(rs->argv + 1, rs->argc - 1, rs->seed, shard, nshards)) {
        snprintf(err, errlen,
                 "--resume %s: the arguments, seed or shard were changed since the file was "
                 "written (checksum differs): resuming would scan a different space",
                 path);
        goto fail;
    }
    rs->have_seed = true;
    return 0;
oom:
    snprintf(err, errlen, "--resume %s: out of memory", path);
fail:
    if (f)
        fclose(f);
    resume_free(rs);
    return -1;
}

int resume_apply(struct resume_state *rs, struct target_set *targets,
                 const struct services *services, char *err, size_t errlen)
{
    for (size_t i = 0; i < rs->nhosts; i++) {
        struct host_result *h = &rs->hosts[i];
        char a[IPADDR_STRLEN];
        if (target_set_exclude(targets, ipaddr_str(&h->addr, a, sizeof a), err, errlen) < 0)
            return -1;
        for (size_t k = 0; k < h->nports; k++)
            h->ports[k].service = services_name(
                services, h->ports[k].port, port_proto_ipproto((enum port_proto)h->ports[k].proto));
    }
    return 0;
}

void resume_free(struct resume_state *rs)
{
    for (int i = 0; i < rs->argc; i++)
        free(rs->argv[i]);
    free(rs->argv);
    for (size_t i = 0; i < rs->nhosts; i++)
        host_result_free(&rs->hosts[i]);
    free(rs->hosts);
    for (size_t i = 0; i < rs->npartial; i++)
        host_result_free(&rs->partial[i]);
    free(rs->partial);
    free(rs->path);
    memset(rs, 0, sizeof *rs);
}
