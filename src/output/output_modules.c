/* The registry of output formats: one line per format (SPEC "sinks"). */
#include "output/output.h"

extern const struct output_module output_normal;
extern const struct output_module output_grepable;
extern const struct output_module output_xml;
extern const struct output_module output_json;
extern const struct output_module output_ndjson;
extern const struct output_module output_csv;

const struct output_module *const output_modules[] = {
    &output_normal, &output_grepable, &output_xml, &output_json, &output_ndjson, &output_csv, NULL,
};
