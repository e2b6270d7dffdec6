#include "core/scan.h"

#include <stdlib.h>
#include <string.h>

void scan_init(struct scan *s, volatile sig_atomic_t *stop)
{
    memset(s, 0, sizeof(*s));
    timing_defaults(&s->timing);
    s->randomize_ports = true;
    s->dns = DNS_UP_HOSTS;
    s->stop = stop;
    s->raw.nshards = 1;
    s->raw.wait_s = -1;
    s->raw.src_port = -1;
    s->raw.scanflags = -1;
    s->disc.arp = true;
}

void scan_free(struct scan *s)
{
    target_set_free(s->targets);
    portset_free(&s->ports);
    portset_free(&s->disc.syn_ports);
    portset_free(&s->disc.ack_ports);
    portset_free(&s->disc.udp_ports);
    services_free(s->services);
    for (size_t i = 0; i < s->noutputs; i++)
        free(s->outputs[i].path);
    free(s->args);
    memset(s, 0, sizeof(*s));
}
