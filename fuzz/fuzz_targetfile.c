/*
 * fuzz_targetfile.c — libFuzzer harness for the -iL and --excludefile
 * readers (target_set_add_file, target_set_exclude_file in core/targets.h).
 *
 * The input's first byte picks the mode (bit 0: exclude file; bit 1: warn
 * callback, as prtip installs it; bits 2-3: -4/-6); the rest is the file,
 * written to a memfd that the reader opens by its /proc/self/fd path, so
 * the real open/read path runs and nothing touches the disk. Host names go
 * to fake_dns.h, never to the resolver.
 *
 * Invariants: a failure is one line naming the file; skipped words are
 * warned once each, naming file:line; the iterator never yields an
 * excluded address; an exclude file that reads without error removes
 * what it names.
 *
 *   fuzz_targetfile -max_total_time=60 fuzz/corpus/targetfile
 */
#include "core/targets.h"
#include "fake_dns.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fd = -1;
static char path[64];

struct warns {
    size_t n;
};

static void on_warn(void *arg, const char *msg)
{
    struct warns *w = arg;
    w->n++;
    /* One line, and a junk word names the file (names that do not resolve
     * use nmap's exact words instead). */
    if (strchr(msg, '\n') ||
        (strncmp(msg, path, strlen(path)) != 0 && strncmp(msg, "Failed to resolve", 17) != 0))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int families[] = {0, 4, 6, 0};
    if (size < 1 || size > 8192)
        return 0;
    if (fd < 0) {
        fd = memfd_create("fuzz-targets", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
        abort();

    bool exclude = data[0] & 1, warn = data[0] & 2;
    struct warns w = {0};
    struct target_opts opts = {.family = families[(data[0] >> 2) & 3]};
    if (warn) {
        opts.warn = on_warn;
        opts.warn_arg = &w;
    }
    struct target_set *set = target_set_new(&opts);
    if (!set)
        return 0;
    char err[512];
    err[0] = '\0';
    int rc;
    if (exclude) {
        /* Something to exclude from, in both families. */
        if (target_set_add(set, "198.18.0.0/28", err, sizeof err) != 0 && opts.family != 6)
            __builtin_trap();
        if (target_set_add(set, "fd00::/124", err, sizeof err) != 0 && opts.family != 4)
            __builtin_trap();
        rc = target_set_exclude_file(set, path, err, sizeof err);
    } else {
        rc = target_set_add_file(set, path, err, sizeof err);
    }
    if (rc < 0 && (!strstr(err, path) || strchr(err, '\n')))
        __builtin_trap();
    if (rc == 0 && w.n != target_set_nskipped(set))
        __builtin_trap();

    struct target_iter it;
    struct target t;
    target_iter_init(&it, set);
    for (int i = 0; i < 256 && target_iter_next(&it, &t); i++) {
        if (target_set_is_excluded(set, &t.addr))
            __builtin_trap();
        uint64_t index;
        if (target_set_index_of(set, &t.addr, &index) != 0)
            __builtin_trap();
    }
    (void)target_set_count(set);
    target_set_free(set);
    return 0;
}
