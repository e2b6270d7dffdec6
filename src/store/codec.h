/*
 * codec.h — private to src/store: how the stream's records map to the
 * schema's columns and back (names of enums, JSON forms of lists and
 * trees, the sortable address key), shared by the writer, the reader and
 * import.
 */
#ifndef PRTIP_STORE_CODEC_H
#define PRTIP_STORE_CODEC_H

#include "core/result.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Name → enum (the inverse of port_state_name, reason_name,
 * port_proto_name); unknown names give 0 (PORT_UNKNOWN, REASON_UNKNOWN,
 * PROTO_TCP). */
enum port_state codec_state(const char *name);
enum reason codec_reason(const char *name);
enum port_proto codec_proto(const char *name);
const char *codec_status_name(enum host_status s);
enum host_status codec_status(const char *name);

/* 32 lowercase hex digits of the address as IPv6 (IPv4 mapped, ::ffff:a.b.c.d):
 * text order is address order, so CIDR filters are ranges. out >= 33 bytes. */
void codec_addr_key(const struct ipaddr *a, char *out);

/* Wall clock as nanoseconds since the epoch, and back. */
int64_t codec_ns(const struct timespec *ts);
struct timespec codec_ts(int64_t ns);

/* JSON text (malloc'd; NULL for an empty list / on allocation failure)
 * and back (0, or -1 on bad JSON; outputs owned by the caller). */
char *codec_strv_json(char *const *v, size_t n);
int codec_json_strv(const char *json, char ***v, size_t *n);
char *codec_classes_json(const struct os_class *c, size_t n);
int codec_json_classes(const char *json, struct os_class **c, size_t *n);
char *codec_elems_json(const struct script_elem *e, size_t n);
int codec_json_elems(const char *json, struct script_elem **e, size_t *n);
/* struct os_report as one JSON object (schema v2, hosts.os_report): every
 * field by its name in result.h, the verdict by name ("details",
 * "guesses", "none", "toomany", "unsupported"). NULL r gives NULL; reading
 * fills *r (zeroed first; strings owned by the caller, os_report_free). */
char *codec_os_report_json(const struct os_report *r);
int codec_json_os_report(const char *json, struct os_report *r);

/*
 * Text that holds any bytes, as valid UTF-8. PostgreSQL refuses text that
 * is not UTF-8 (the whole batch would be lost) and jansson refuses such
 * strings, yet -sV banners, fingerprints, script outputs and host names
 * may carry any bytes, and `db export` must give back the live output's
 * very bytes. So every byte that is not part of a well-formed UTF-8
 * character (Unicode 15, Table 3-7: no overlongs, no surrogates, nothing
 * past U+10FFFF) is stored as the private-use character U+10FF00 + byte,
 * and so is each byte of a character already in U+10FF00..U+10FFFF (so
 * that decoding is exact). Valid UTF-8 outside that range, i.e. all text
 * in practice, is stored unchanged (queries see it as written).
 *
 * codec_text_encode: NULL when s needs no change (or s is NULL), else the
 * encoded copy (malloc'd); *oom is set on allocation failure.
 * codec_text_decode: the same contract, the inverse. Any thread.
 */
char *codec_text_encode(const char *s, bool *oom);
char *codec_text_decode(const char *s, bool *oom);

/* strdup that keeps NULL. */
char *codec_dup(const char *s);
/* strtoll of a column (NULL = 0). */
int64_t codec_i64(const char *s);

/* An interned copy of s that lives as long as the pool (for port service
 * names, which records borrow). NULL for NULL s or on allocation failure. */
struct codec_pool;
struct codec_pool *codec_pool_new(void);
const char *codec_intern(struct codec_pool *p, const char *s);
void codec_pool_free(struct codec_pool *p);

#endif
