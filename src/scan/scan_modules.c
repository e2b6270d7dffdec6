/* The registry of scan modules: one line per scan type. */
#include "scan/scan_module.h"

#include <string.h>

extern const struct scan_module scan_connect;
extern const struct scan_module scan_syn;
extern const struct scan_module scan_fin;
extern const struct scan_module scan_null;
extern const struct scan_module scan_xmas;
extern const struct scan_module scan_ack;
extern const struct scan_module scan_window;
extern const struct scan_module scan_maimon;
extern const struct scan_module scan_udp;

const struct scan_module *const scan_modules[] = {
    &scan_connect, /* -sT */
    &scan_syn,     /* -sS */
    &scan_fin,     /* -sF */
    &scan_null,    /* -sN */
    &scan_xmas,    /* -sX */
    &scan_ack,     /* -sA */
    &scan_window,  /* -sW */
    &scan_maimon,  /* -sM */
    &scan_udp,     /* -sU */
    NULL,
};

const struct scan_module *scan_module_find(const char *key)
{
    for (size_t i = 0; scan_modules[i]; i++)
        if (strcmp(scan_modules[i]->option, key) == 0 || strcmp(scan_modules[i]->name, key) == 0)
            return scan_modules[i];
    return NULL;
}
