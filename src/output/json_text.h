/*
 * json_text.h — strings into jansson values for the JSON formats (-oJ,
 * -oD), which must accept whatever bytes a host name or a service banner
 * brings.
 */
#ifndef PRTIP_OUTPUT_JSON_TEXT_H
#define PRTIP_OUTPUT_JSON_TEXT_H

#include <jansson.h>

/*
 * A JSON string for s; JSON null for NULL. jansson refuses strings that are
 * not UTF-8 (json_string returns NULL), and names from DNS or the command
 * line need not be, so such a string is stored with every non-ASCII byte
 * replaced by '?'. Returns a new reference, or NULL on allocation failure.
 */
json_t *out_json_text(const char *s);

#endif
