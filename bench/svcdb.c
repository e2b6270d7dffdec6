/*
 * svcdb.c — what the -sV probe database costs: loading and compiling the
 * whole nmap-service-probes (PCRE2; each rule is JIT-compiled on its first
 * match, so the first round's matches carry that cost), and matching one reply against
 * a probe's rules and its fallbacks (the work done per read in -sV).
 *
 *   svcdb [FILE] [ROUNDS]     (default /usr/share/nmap/nmap-service-probes, 5)
 *
 * Prints the median of ROUNDS rounds: load ms (eager, then lazy), then µs per reply for a set
 * of typical replies (a hard match early, late, and no match at all, which
 * tries every rule of the probe, its fallbacks and the NULL probe). No
 * network. Build (after cmake --build build):
 *   gcc -O2 -Isrc bench/svcdb.c build/libprtip_core.a $(pkg-config --libs
 *   libpcre2-8 jansson libxml-2.0 libpcap) -lm -lpthread
 */
#include "detect/svcdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct reply {
    const char *what, *probe, *data;
    size_t len;
};

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/usr/share/nmap/nmap-service-probes";
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (rounds < 1 || rounds > 100)
        rounds = 5;
    double t[100];
    struct svc_db *db = NULL;
    struct svc_db_stats st;
    char err[512];
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        if (svc_db_load(path, &db, &st, NULL, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "svcdb: %s\n", err);
            return 1;
        }
        t[r] = now_ms() - t0;
        if (r + 1 < rounds)
            svc_db_free(db);
    }
    printf("load+compile %s: %.0f ms median of %d (probes %zu, match %zu, softmatch %zu, "
           "failed %zu, jit %s)\n",
           path, median(t, rounds), rounds, st.probes, st.matches, st.softmatches, st.failed,
           st.jit ? "yes" : "no");
    for (int r = 0; r < rounds; r++) {
        struct svc_db *lz = NULL;
        double t0 = now_ms();
        if (svc_db_load_lazy(path, &lz, NULL, NULL, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "svcdb: %s\n", err);
            return 1;
        }
        t[r] = now_ms() - t0;
        svc_db_free(lz);
    }
    printf("lazy load (parse only, a probe's rules compiled on its first match): %.0f ms median "
           "of %d\n",
           median(t, rounds), rounds);

    static const char http[] = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 06 Dec "
                               "2026 05:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: "
                               "615\r\nConnection: close\r\n\r\n<!DOCTYPE html>\n<html>\n<head>\n"
                               "<title>Welcome to nginx!</title>";
    static const char http_unknown[] = "HTTP/1.1 200 OK\r\nServer: prtip-test/0.1\r\n"
                                       "Content-Length: 2\r\n\r\nok";
    static const char garbage[] = "\x17\x03\x03\x00\x13zzzzzzzzzzzzzzzzzzz";
    const struct reply replies[] = {
        {"ssh banner (NULL probe, hard match)", "NULL",
         "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 0},
        {"smtp banner (NULL probe)", "NULL", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n",
         0},
        {"binary, no match (NULL probe: every rule)", "NULL", garbage, sizeof garbage - 1},
        {"nginx (GetRequest, hard match)", "GetRequest", http, sizeof http - 1},
        {"unknown http server (GetRequest + NULL: every rule)", "GetRequest", http_unknown,
         sizeof http_unknown - 1},
    };
    const struct svc_probe *plan[256];
    size_t n = svc_db_plan(db, SVC_TCP, 80, false, 9, NULL, plan, 256);
    for (size_t k = 0; k < sizeof replies / sizeof replies[0]; k++) {
        const struct reply *rp = &replies[k];
        size_t len = rp->len ? rp->len : strlen(rp->data);
        const struct svc_probe *p = NULL;
        for (size_t i = 0; i < n && i < 256; i++)
            if (strcmp(svc_probe_name(plan[i]), rp->probe) == 0)
                p = plan[i];
        if (!p) {
            fprintf(stderr, "svcdb: no probe %s\n", rp->probe);
            return 1;
        }
        struct svc_answer a;
        const int iters = 200;
        for (int r = 0; r < rounds; r++) {
            double t0 = now_ms();
            for (int i = 0; i < iters; i++) {
                svc_match(db, p, (const uint8_t *)rp->data, len, NULL, &a, NULL, NULL);
                if (i + 1 < iters)
                    svc_answer_clear(&a);
            }
            t[r] = (now_ms() - t0) * 1000 / iters;
            if (r + 1 < rounds)
                svc_answer_clear(&a);
        }
        printf("%-52s %7.1f us/reply  -> %s%s %s %s (line %u)\n", rp->what, median(t, rounds),
               a.found ? (a.soft ? "soft " : "") : "no match", a.found ? a.service : "",
               a.product ? a.product : "", a.version ? a.version : "", a.line);
        svc_answer_clear(&a);
    }
    svc_db_free(db);
    return 0;
}
