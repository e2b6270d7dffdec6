/*
 * fuzz_import.c — libFuzzer harness for prtip db import's XML reader
 * (store/import.h): any bytes as an nmap XML document, fed to a sink that
 * deep-copies every record (so ASan sees every string and array the
 * reader built) and checks the stream's order: begin once, hosts, end once.
 *
 *   make fuzz   (CMake: -DPRTIP_FUZZ=ON)
 *   ./build-fuzz/fuzz_import fuzz/corpus/import -max_total_time=30
 */
#include "store/import.h"

#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

struct order {
    int begun, ended;
    size_t hosts;
};

static int f_begin(void *ctx, const struct scan_info *info)
{
    struct order *o = ctx;
    struct scan_info copy;
    if (o->begun++ || scan_info_copy(&copy, info) < 0)
        abort();
    scan_info_free(&copy);
    return 0;
}

static void f_host(void *ctx, const struct host_result *h)
{
    struct order *o = ctx;
    struct host_result copy;
    if (!o->begun || o->ended || host_result_copy(&copy, h) < 0)
        abort();
    for (size_t i = 0; i < copy.nports; i++)
        if (copy.ports[i].state >= PORT_STATE_COUNT || copy.ports[i].proto >= PROTO_COUNT)
            abort();
    host_result_free(&copy);
    o->hosts++;
}

static int f_end(void *ctx, const struct scan_summary *sum)
{
    struct order *o = ctx;
    (void)sum;
    if (!o->begun || o->ended++)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        xmlInitParser();
        init = 1;
    }
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct order o = {0};
    struct result_sink sink = {.begin = f_begin, .host = f_host, .end = f_end, .ctx = &o};
    size_t n;
    char err[512];
    int rc = store_import_xml(buf, size, "fuzz.xml", NULL, &sink, &n, err, sizeof(err));
    if (rc == 0 && (o.begun != 1 || o.ended != 1 || o.hosts != n))
        abort();
    if (rc < 0 && !err[0])
        abort();
    free(buf);
    return 0;
}
