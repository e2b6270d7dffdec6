/* The registry of scan modules: one line per scan type. */
#include "scan/scan_module.h"

#include <string.h>

extern const struct scan_module scan_connect;

const struct scan_module *const scan_modules[] = {
    &scan_connect,
    NULL,
};

const struct scan_module *scan_module_find(const char *key)
{
    for (size_t i = 0; scan_modules[i]; i++)
        if (strcmp(scan_modules[i]->option, key) == 0 || strcmp(scan_modules[i]->name, key) == 0)
            return scan_modules[i];
    return NULL;
}
