/*
 * list_scan.c — nmap's list scan (-sL): name every target, send nothing to
 * any of them. The only traffic is reverse DNS, and none with -n.
 */
#include "core/rdns.h"
#include "engine/plan/plan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int list_scan_run(const struct target_set *targets, enum dns_mode dns, volatile sig_atomic_t *stop,
                  const struct result_sink *sink)
{
    struct target_iter it;
    struct target t;
    target_iter_init(&it, targets);
    while (!job_stopping(stop) && target_iter_next(&it, &t)) {
        struct host_result h;
        host_result_init(&h, &t.addr);
        h.hostname = t.hostname;
        h.other_addrs = t.other_addrs;
        h.status = HOST_UNKNOWN;
        h.status_reason = REASON_USER_SET;
        clock_gettime(CLOCK_REALTIME, &h.start);
        h.end = h.start;
        if (dns != DNS_NEVER)
            h.rdns = rdns_getnameinfo(&t.addr, NULL);
        sink_host(sink, &h);
        host_result_free(&h);
    }
    return 0;
}
