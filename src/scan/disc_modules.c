/*
 * disc_modules.c — the table of host discovery probe modules
 * (disc_modules.h). Adding a probe is one disc_*.c file and one line here.
 */
#include "scan/disc_modules.h"

#include <string.h>

const struct scan_module *const disc_modules[] = {
    &disc_icmp_echo,      /* -PE */
    &disc_icmp_timestamp, /* -PP */
    &disc_icmp_netmask,   /* -PM */
    &disc_syn_ping,       /* -PS */
    &disc_ack_ping,       /* -PA */
    &disc_udp_ping,       /* -PU */
    NULL,
};

const struct scan_module *disc_module_find(const char *key)
{
    if (!key)
        return NULL;
    for (size_t i = 0; disc_modules[i]; i++)
        if (strcmp(disc_modules[i]->option, key) == 0 || strcmp(disc_modules[i]->name, key) == 0)
            return disc_modules[i];
    return NULL;
}
