/* config.c — defaults and release of struct config (config.h). */
#include "cli/config.h"

#include <stdlib.h>
#include <string.h>

void config_init(struct config *s)
{
    memset(s, 0, sizeof(*s));
    timing_defaults(&s->timing);
    s->randomize_ports = true;
    s->dns = DNS_UP_HOSTS;
    s->raw.nshards = 1;
    s->raw.wait_s = -1;
    s->raw.src_port = -1;
    s->raw.scanflags = -1;
    s->disc.arp = true;
    s->os.max_tries = 5;
    s->version.intensity = 7;
}

void config_free(struct config *s)
{
    target_set_free(s->targets);
    portset_free(&s->ports);
    for (size_t p = 0; p < DISC_PROBE_COUNT; p++)
        portset_free(&s->disc.ports[p]);
    services_free(s->services);
    for (size_t i = 0; i < s->noutputs; i++)
        free(s->outputs[i].path);
    free(s->args);
    free(s->datadir);
    free(s->stylesheet);
    free(s->packet_capture);
    free(s->os.db);
    free(s->version.db);
    free(s->db);
    free(s->db_job);
    memset(s, 0, sizeof(*s));
}
