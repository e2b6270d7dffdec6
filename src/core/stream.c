/*
 * stream.c — the scan-begin record's storage (stream.h).
 */
#include "core/stream.h"

#include <stdlib.h>
#include <string.h>

int scan_info_init(struct scan_info *info)
{
    memset(info, 0, sizeof(*info));
    info->scanner = strdup("prtip");
    info->version = strdup(PRTIP_VERSION);
    if (!info->scanner || !info->version) {
        scan_info_free(info);
        return -1;
    }
    return 0;
}

void scan_info_free(struct scan_info *info)
{
    free(info->scanner);
    free(info->version);
    free(info->args);
    free(info->stylesheet);
    for (size_t i = 0; i < info->ntypes && i < SCAN_INFO_MAX_TYPES; i++)
        free(info->types[i].services);
    memset(info, 0, sizeof(*info));
}

static bool dup_opt(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

int scan_info_copy(struct scan_info *dst, const struct scan_info *src)
{
    *dst = *src;
    dst->scanner = dst->version = dst->args = dst->stylesheet = NULL;
    for (size_t i = 0; i < SCAN_INFO_MAX_TYPES; i++)
        dst->types[i].services = NULL;
    bool ok = dup_opt(&dst->scanner, src->scanner) && dup_opt(&dst->version, src->version) &&
              dup_opt(&dst->args, src->args) && dup_opt(&dst->stylesheet, src->stylesheet);
    for (size_t i = 0; ok && i < src->ntypes && i < SCAN_INFO_MAX_TYPES; i++)
        ok = dup_opt(&dst->types[i].services, src->types[i].services);
    if (!ok) {
        scan_info_free(dst);
        return -1;
    }
    return 0;
}

const struct scan_info_type *scan_info_proto(const struct scan_info *info, enum port_proto p)
{
    for (size_t i = 0; i < info->ntypes && i < SCAN_INFO_MAX_TYPES; i++)
        if (info->types[i].proto == p)
            return &info->types[i];
    return NULL;
}

static int stage_begin(void *ctx, const struct scan_info *info)
{
    struct stage *s = ctx;
    if (s->ops && s->ops->begin)
        return s->ops->begin(s->state, info, &s->next);
    return sink_begin(&s->next, info);
}

static void stage_host(void *ctx, const struct host_result *h)
{
    struct stage *s = ctx;
    if (s->ops && s->ops->host)
        s->ops->host(s->state, h, &s->next);
    else
        sink_host(&s->next, h);
}

static int stage_end(void *ctx, const struct scan_summary *sum)
{
    struct stage *s = ctx;
    if (s->ops && s->ops->end)
        return s->ops->end(s->state, sum, &s->next);
    return sink_end(&s->next, sum);
}

static void stage_task(void *ctx, const struct task_event *ev)
{
    struct stage *s = ctx;
    sink_task(&s->next, ev);
}

struct result_sink stage_sink(struct stage *s)
{
    return (struct result_sink){
        .begin = stage_begin, .host = stage_host, .end = stage_end, .task = stage_task, .ctx = s};
}

/* ---- order_sink ---------------------------------------------------------- */

static int cmp_order(const void *a, const void *b)
{
    const struct host_result *x = a, *y = b;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int order_begin(void *ctx, const struct scan_info *info)
{
    struct order_sink *o = ctx;
    return sink_begin(&o->next, info);
}

static void order_task(void *ctx, const struct task_event *ev)
{
    struct order_sink *o = ctx;
    sink_task(&o->next, ev);
}

/* Pass on the held hosts listed before `before` (all: UINT64_MAX). */
static void order_flush(struct order_sink *o, uint64_t before, bool all)
{
    if (!o->sorted && o->n - o->first > 1)
        qsort(o->held + o->first, o->n - o->first, sizeof(*o->held), cmp_order);
    o->sorted = true;
    while (o->first < o->n && (all || o->held[o->first].order < before)) {
        sink_host(&o->next, &o->held[o->first]);
        host_result_free(&o->held[o->first]);
        o->first++;
    }
    if (o->first == o->n)
        o->first = o->n = 0;
}

static void order_host(void *ctx, const struct host_result *h)
{
    struct order_sink *o = ctx;
    if (!h->early) {
        order_flush(o, h->order, false);
        sink_host(&o->next, h);
        return;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        struct host_result *m = realloc(o->held, cap * sizeof(*m));
        if (!m) {
            sink_host(&o->next, h);
            return;
        }
        o->held = m;
        o->cap = cap;
    }
    if (host_result_copy(&o->held[o->n], h) < 0) {
        sink_host(&o->next, h);
        return;
    }
    o->n++;
    /* An early host after the sort (a stage held it): back into place. */
    if (o->sorted) {
        struct host_result t = o->held[o->n - 1];
        size_t i = o->n - 1;
        for (; i > o->first && o->held[i - 1].order > t.order; i--)
            o->held[i] = o->held[i - 1];
        o->held[i] = t;
    }
}

static int order_end(void *ctx, const struct scan_summary *sum)
{
    struct order_sink *o = ctx;
    order_flush(o, 0, true);
    return sink_end(&o->next, sum);
}

struct result_sink order_sink(struct order_sink *o, const struct result_sink *next)
{
    memset(o, 0, sizeof(*o));
    o->next = *next;
    return (struct result_sink){
        .begin = order_begin, .host = order_host, .end = order_end, .task = order_task, .ctx = o};
}

void order_sink_free(struct order_sink *o)
{
    for (size_t i = o->first; i < o->n; i++)
        host_result_free(&o->held[i]);
    free(o->held);
    memset(o, 0, sizeof(*o));
}
