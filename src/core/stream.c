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
