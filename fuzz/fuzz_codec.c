/*
 * fuzz_codec.c — libFuzzer harness for the store's JSON column readers
 * (store/codec.h): what a database hands back in the cpe/san, classes,
 * elems and os_report columns is read like any other input. The first byte
 * picks the reader, the rest is the column's text. What a reader accepts is
 * written back and read again: the second reading must give the same JSON
 * (the writer and the reader agree on every shape the reader builds).
 * The input as a whole also goes through the text escape every stored
 * string takes (codec_text_encode): valid UTF-8 (jansson takes it) that
 * decodes to the very bytes.
 *
 *   make fuzz   (CMake: -DPRTIP_FUZZ=ON)
 *   ./build-fuzz/fuzz_codec fuzz/corpus/codec -max_total_time=30
 */
#include "store/codec.h"

#include <jansson.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void same(char *a, char *b)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        abort();
    free(a);
    free(b);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* The classes of an OS match, freed as the match's. */
static void free_classes(struct os_class *c, size_t n)
{
    struct os_match m = {.classes = c, .nclasses = n};
    os_match_free(&m);
}

static void free_elems(struct script_elem *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        script_elem_free(&e[i]);
    free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    bool oom = false;
    char *enc = codec_text_encode(text, &oom);
    if (enc) {
        json_t *j = json_string(enc);
        char *dec = codec_text_decode(enc, &oom);
        if (!j || (!oom && (!dec || strcmp(dec, text) != 0)))
            abort();
        json_decref(j);
        free(dec);
        free(enc);
    } else if (!oom && codec_text_decode(text, &oom) != NULL) {
        abort(); /* stored unchanged, so it must read back unchanged */
    }
    switch (data[0] % 4) {
    case 0: {
        char **v, **w;
        size_t n, m;
        if (codec_json_strv(text, &v, &n) == 0) {
            char *j = codec_strv_json(v, n);
            if (j && codec_json_strv(j, &w, &m) == 0) {
                same(j, codec_strv_json(w, m));
                free_strv(w, m);
            } else {
                free(j);
            }
            free_strv(v, n);
        }
        break;
    }
    case 1: {
        struct os_class *c, *d;
        size_t n, m;
        if (codec_json_classes(text, &c, &n) == 0) {
            char *j = codec_classes_json(c, n);
            if (j && codec_json_classes(j, &d, &m) == 0) {
                same(j, codec_classes_json(d, m));
                free_classes(d, m);
            } else {
                free(j);
            }
            free_classes(c, n);
        }
        break;
    }
    case 2: {
        struct script_elem *e, *f;
        size_t n, m;
        if (codec_json_elems(text, &e, &n) == 0) {
            char *j = codec_elems_json(e, n);
            if (j && codec_json_elems(j, &f, &m) == 0) {
                same(j, codec_elems_json(f, m));
                free_elems(f, m);
            } else {
                free(j);
            }
            free_elems(e, n);
        }
        break;
    }
    default: {
        struct os_report r, s;
        if (codec_json_os_report(text, &r) == 0) {
            char *j = codec_os_report_json(&r);
            if (!j || codec_json_os_report(j, &s) < 0)
                abort();
            same(j, codec_os_report_json(&s));
            os_report_free(&s);
            os_report_free(&r);
        }
        break;
    }
    }
    free(text);
    return 0;
}
