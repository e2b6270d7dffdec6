/*
 * resume_internal.h — what resume.c and resume_json.c share: host records
 * to and from the resume file's JSON lines (jansson).
 */
#ifndef PRTIP_OUTPUT_RESUME_INTERNAL_H
#define PRTIP_OUTPUT_RESUME_INTERNAL_H

#include "core/result.h"

#include <stdbool.h>
#include <stddef.h>

/* h holds all its ports with their final states (not cut by a stop). */
bool resume_host_complete(const struct host_result *h);

/* Everything of h that a later run must not redo can be kept in the file
 * (-sV answers and -O results are; TLS facts and script output are not). */
bool resume_host_storable(const struct host_result *h);

/* One host as a JSON line (malloc'd, no newline); NULL when out of
 * memory. */
char *resume_host_to_json(const struct host_result *h);

/* Parse a line of resume_host_to_json into h (initialised here); -1 with
 * why set when the line is not a host record. */
int resume_host_from_json(const char *text, struct host_result *h, char *why, size_t whylen);

#endif
