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

struct tls_info;
struct service_result;

/*
 * The TLS facts of a port as a JSON object (docs/OUTPUT.md "tls"), shared
 * by -oJ and -oD. Returns a new reference, or NULL on allocation failure.
 */
json_t *out_json_tls(const struct tls_info *t);

/* Add -sV's evidence to a service object o: "probe" (the probe whose reply
 * matched), "line" (its match line in nmap-service-probes), "softmatch",
 * "fingerprint". Returns 0, or -1 on allocation failure. */
int out_json_service_evidence(json_t *o, const struct service_result *s);

#endif
