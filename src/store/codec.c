/* codec.c — records ↔ columns (codec.h). */
#include "store/codec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum port_state codec_state(const char *name)
{
    for (int s = 0; name && s < PORT_STATE_COUNT; s++)
        if (strcmp(port_state_name((enum port_state)s), name) == 0)
            return (enum port_state)s;
    return PORT_UNKNOWN;
}

enum reason codec_reason(const char *name)
{
    for (int r = 0; name && r < REASON_COUNT; r++)
        if (strcmp(reason_name((enum reason)r), name) == 0)
            return (enum reason)r;
    return REASON_UNKNOWN;
}

enum port_proto codec_proto(const char *name)
{
    for (int p = 0; name && p < PROTO_COUNT; p++)
        if (strcmp(port_proto_name((enum port_proto)p), name) == 0)
            return (enum port_proto)p;
    return PROTO_TCP;
}

const char *codec_status_name(enum host_status s)
{
    return s == HOST_UP ? "up" : s == HOST_DOWN ? "down" : "unknown";
}

enum host_status codec_status(const char *name)
{
    if (name && strcmp(name, "up") == 0)
        return HOST_UP;
    if (name && strcmp(name, "down") == 0)
        return HOST_DOWN;
    return HOST_UNKNOWN;
}

void codec_addr_key(const struct ipaddr *a, char *out)
{
    uint8_t b[16] = {0};
    if (a->family == AF_INET) {
        b[10] = b[11] = 0xff;
        memcpy(b + 12, a->bytes, 4);
    } else {
        memcpy(b, a->bytes, 16);
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[32] = '\0';
}

int64_t codec_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

struct timespec codec_ts(int64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000)};
    if (ts.tv_nsec < 0) {
        ts.tv_nsec += 1000000000;
        ts.tv_sec--;
    }
    return ts;
}

/* Length of the well-formed UTF-8 character at s (Unicode Table 3-7), 0
 * if the bytes there are not one. */
static size_t utf8_char(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Whether the 4-byte character at s is in the escape range U+10FF00..U+10FFFF. */
static bool escaped_char(const unsigned char *s)
{
    return s[0] == 0xf4 && s[1] == 0x8f && (s[2] & 0xfc) == 0xbc && (s[3] & 0xc0) == 0x80;
}

char *codec_text_encode(const char *text, bool *oom)
{
    if (!text)
        return NULL;
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, k;
    for (; s[i]; i += k) {
        k = utf8_char(s + i);
        if (k == 0 || (k == 4 && escaped_char(s + i)))
            break;
    }
    if (!s[i])
        return NULL; /* valid, nothing to escape: stored as is */
    size_t len = i + strlen(text + i);
    unsigned char *out = malloc(len * 4 + 1);
    if (!out) {
        *oom = true;
        return NULL;
    }
    memcpy(out, s, i);
    size_t o = i;
    while (s[i]) {
        k = utf8_char(s + i);
        if (k && !(k == 4 && escaped_char(s + i))) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        for (size_t j = 0; j < (k ? k : 1); j++, i++) {
            out[o++] = 0xf4;
            out[o++] = 0x8f;
            out[o++] = (unsigned char)(0xbc | s[i] >> 6);
            out[o++] = (unsigned char)(0x80 | (s[i] & 0x3f));
        }
    }
    out[o] = '\0';
    return (char *)out;
}

char *codec_text_decode(const char *text, bool *oom)
{
    const unsigned char *s = (const unsigned char *)text;
    const unsigned char *hit = s ? (const unsigned char *)strchr(text, 0xf4) : NULL;
    while (hit && !(hit[1] && hit[2] && escaped_char(hit)))
        hit = (const unsigned char *)strchr((const char *)hit + 1, 0xf4);
    if (!hit)
        return NULL;
    size_t len = strlen(text);
    unsigned char *out = malloc(len + 1);
    if (!out) {
        *oom = true;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; s[i];) {
        if (s[i] == 0xf4 && s[i + 1] && s[i + 2] && escaped_char(s + i)) {
            out[o++] = (unsigned char)((s[i + 2] & 3) << 6 | (s[i + 3] & 0x3f));
            i += 4;
        } else {
            out[o++] = s[i++];
        }
    }
    out[o] = '\0';
    return (char *)out;
}

char *codec_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

int64_t codec_i64(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

/* A JSON string holding s's bytes (codec_text_encode: jansson takes only
 * UTF-8); NULL on allocation failure. */
static json_t *jtext(const char *s)
{
    bool oom = false;
    char *enc = codec_text_encode(s, &oom);
    json_t *j = oom ? NULL : json_string(enc ? enc : s);
    free(enc);
    return j;
}

/* The bytes a jtext string holds (malloc'd); NULL for NULL s or on
 * allocation failure. */
static char *untext(const char *s)
{
    if (!s)
        return NULL;
    bool oom = false;
    char *dec = codec_text_decode(s, &oom);
    return dec ? dec : oom ? NULL : strdup(s);
}

static char *dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static json_t *strv(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, jtext(v[i] ? v[i] : ""));
    return a;
}

char *codec_strv_json(char *const *v, size_t n)
{
    return n ? dump(strv(v, n)) : NULL;
}

static int from_strv(json_t *a, char ***v, size_t *n)
{
    *v = NULL;
    *n = 0;
    if (!json_is_array(a))
        return a ? -1 : 0;
    size_t k = json_array_size(a);
    if (!k)
        return 0;
    *v = calloc(k, sizeof(**v));
    if (!*v)
        return -1;
    for (size_t i = 0; i < k; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        (*v)[i] = untext(s ? s : "");
        if (!(*v)[i]) {
            for (size_t j = 0; j < i; j++)
                free((*v)[j]);
            free(*v);
            *v = NULL;
            return -1;
        }
    }
    *n = k;
    return 0;
}

int codec_json_strv(const char *json, char ***v, size_t *n)
{
    *v = NULL;
    *n = 0;
    if (!json)
        return 0;
    json_t *a = json_loads(json, 0, NULL);
    int rc = from_strv(a, v, n);
    json_decref(a);
    return a ? rc : -1;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, jtext(v));
}

static char *get_str(json_t *o, const char *k)
{
    return untext(json_string_value(json_object_get(o, k)));
}

char *codec_classes_json(const struct os_class *c, size_t n)
{
    if (!n)
        return NULL;
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_object();
        set_str(o, "type", c[i].type);
        set_str(o, "vendor", c[i].vendor);
        set_str(o, "osfamily", c[i].osfamily);
        set_str(o, "osgen", c[i].osgen);
        json_object_set_new(o, "accuracy", json_integer(c[i].accuracy));
        if (c[i].ncpe)
            json_object_set_new(o, "cpe", strv(c[i].cpe, c[i].ncpe));
        json_array_append_new(a, o);
    }
    return dump(a);
}

int codec_json_classes(const char *json, struct os_class **c, size_t *n)
{
    *c = NULL;
    *n = 0;
    if (!json)
        return 0;
    json_t *a = json_loads(json, 0, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return -1;
    }
    size_t k = json_array_size(a);
    *c = calloc(k ? k : 1, sizeof(**c));
    if (!*c) {
        json_decref(a);
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        json_t *o = json_array_get(a, i);
        struct os_class *x = &(*c)[i];
        x->type = get_str(o, "type");
        x->vendor = get_str(o, "vendor");
        x->osfamily = get_str(o, "osfamily");
        x->osgen = get_str(o, "osgen");
        x->accuracy = (uint8_t)json_integer_value(json_object_get(o, "accuracy"));
        from_strv(json_object_get(o, "cpe"), &x->cpe, &x->ncpe);
    }
    *n = k;
    json_decref(a);
    return 0;
}

static json_t *elems(const struct script_elem *e, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_object();
        set_str(o, "key", e[i].key);
        set_str(o, "value", e[i].value);
        if (!e[i].value)
            json_object_set_new(o, "children", elems(e[i].children, e[i].nchildren));
        json_array_append_new(a, o);
    }
    return a;
}

char *codec_elems_json(const struct script_elem *e, size_t n)
{
    return n ? dump(elems(e, n)) : NULL;
}

static int from_elems(json_t *a, struct script_elem **e, size_t *n, int depth)
{
    *e = NULL;
    *n = 0;
    if (!json_is_array(a) || depth > 64)
        return -1;
    size_t k = json_array_size(a);
    if (!k)
        return 0;
    *e = calloc(k, sizeof(**e));
    if (!*e)
        return -1;
    *n = k;
    for (size_t i = 0; i < k; i++) {
        json_t *o = json_array_get(a, i);
        (*e)[i].key = get_str(o, "key");
        (*e)[i].value = get_str(o, "value");
        if (!(*e)[i].value)
            from_elems(json_object_get(o, "children"), &(*e)[i].children, &(*e)[i].nchildren,
                       depth + 1);
    }
    return 0;
}

int codec_json_elems(const char *json, struct script_elem **e, size_t *n)
{
    *e = NULL;
    *n = 0;
    if (!json)
        return 0;
    json_t *a = json_loads(json, 0, NULL);
    int rc = from_elems(a, e, n, 0);
    json_decref(a);
    return rc;
}

/* Open addressing on a power-of-two table; grows at half full. */
struct codec_pool {
    char **slots;
    size_t cap, used;
};

struct codec_pool *codec_pool_new(void)
{
    struct codec_pool *p = calloc(1, sizeof(*p));
    if (p) {
        p->cap = 256;
        p->slots = calloc(p->cap, sizeof(*p->slots));
        if (!p->slots) {
            free(p);
            return NULL;
        }
    }
    return p;
}

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static char **find_slot(char **slots, size_t cap, const char *s)
{
    size_t i = hash(s) & (cap - 1);
    while (slots[i] && strcmp(slots[i], s) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

const char *codec_intern(struct codec_pool *p, const char *s)
{
    if (!s)
        return NULL;
    char **slot = find_slot(p->slots, p->cap, s);
    if (*slot)
        return *slot;
    if ((p->used + 1) * 2 > p->cap) {
        char **bigger = calloc(p->cap * 2, sizeof(*bigger));
        if (!bigger)
            return NULL;
        for (size_t i = 0; i < p->cap; i++)
            if (p->slots[i])
                *find_slot(bigger, p->cap * 2, p->slots[i]) = p->slots[i];
        free(p->slots);
        p->slots = bigger;
        p->cap *= 2;
        slot = find_slot(p->slots, p->cap, s);
    }
    *slot = strdup(s);
    if (*slot)
        p->used++;
    return *slot;
}

void codec_pool_free(struct codec_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->cap; i++)
        free(p->slots[i]);
    free(p->slots);
    free(p);
}

static const char *const verdict_names[] = {
    [OS_VERDICT_DETAILS] = "details",
    [OS_VERDICT_GUESSES] = "guesses",
    [OS_VERDICT_NONE] = "none",
    [OS_VERDICT_TOOMANY] = "toomany",
    [OS_VERDICT_UNSUPPORTED] = "unsupported",
};
#define NVERDICTS (sizeof(verdict_names) / sizeof(verdict_names[0]))

/* The string and number fields of struct os_report, one table for both
 * directions so that a field added to one is in the other. */
/* (clang-format 14 reflows these lists differently on each run.) */
/* clang-format off */
#define OS_REPORT_STRS(X) \
    X(not_ideal) X(device_types) X(running) X(os_cpe) X(seq_values) \
    X(ipid_class) X(ipid_values) X(ts_class) X(ts_values) X(note)
#define OS_REPORT_INTS(X) \
    X(open_tcp) X(closed_tcp) X(closed_udp) X(distance) X(lastboot) X(uptime_s) X(seq_index)
#define OS_REPORT_BOOLS(X) X(unreliable) X(show_guesses) X(running_guess) X(passive)
/* clang-format on */

char *codec_os_report_json(const struct os_report *r)
{
    if (!r)
        return NULL;
    json_t *o = json_object();
    if (!o)
        return NULL;
    if ((size_t)r->verdict < NVERDICTS)
        set_str(o, "verdict", verdict_names[r->verdict]);
#define PUT_STR(f)  set_str(o, #f, r->f);
#define PUT_INT(f)  json_object_set_new(o, #f, json_integer((json_int_t)r->f));
#define PUT_BOOL(f) json_object_set_new(o, #f, json_boolean(r->f));
    OS_REPORT_STRS(PUT_STR)
    OS_REPORT_INTS(PUT_INT)
    OS_REPORT_BOOLS(PUT_BOOL)
#undef PUT_STR
#undef PUT_INT
#undef PUT_BOOL
    if (r->seq_difficulty[0])
        set_str(o, "seq_difficulty", r->seq_difficulty);
    return dump(o);
}

int codec_json_os_report(const char *json, struct os_report *r)
{
    memset(r, 0, sizeof(*r));
    json_t *o = json ? json_loads(json, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return -1;
    }
    const char *v = json_string_value(json_object_get(o, "verdict"));
    for (size_t i = 0; v && i < NVERDICTS; i++)
        if (strcmp(v, verdict_names[i]) == 0)
            r->verdict = (enum os_verdict)i;
    int rc = 0;
#define GET_STR(f)                                                                                 \
    if (json_object_get(o, #f) && !(r->f = get_str(o, #f)))                                        \
        rc = -1;
#define GET_INT(f)  r->f = json_integer_value(json_object_get(o, #f));
#define GET_BOOL(f) r->f = json_is_true(json_object_get(o, #f));
    OS_REPORT_STRS(GET_STR)
    OS_REPORT_INTS(GET_INT)
    OS_REPORT_BOOLS(GET_BOOL)
#undef GET_STR
#undef GET_INT
#undef GET_BOOL
    const char *d = json_string_value(json_object_get(o, "seq_difficulty"));
    if (d)
        snprintf(r->seq_difficulty, sizeof(r->seq_difficulty), "%s", d);
    json_decref(o);
    if (rc < 0)
        os_report_free(r);
    return rc;
}
