/*
 * os_match — score a fingerprint as nmap prints it against nmap-os-db with
 * prtip's matcher (detect/osdb.h), for test_os_detect.sh.
 *
 *   os_match NMAP-OS-DB FINGERPRINT-FILE
 *
 * nmap prints the tests of all its tries merged: a test whose value changed
 * between tries (usually SEQ) appears once per value. nmap matched each try
 * on its own, so every combination of those lines is scored: one block per
 * combination, each the list nmap prints as "Aggressive OS guesses" (at
 * most ten, within ten points of the best), one "NAME<TAB>PERCENT" line
 * each, blocks separated by an empty line.
 */
#include "detect/osdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXV 16

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: os_match NMAP-OS-DB FINGERPRINT-FILE\n");
        return 1;
    }
    char err[256];
    struct os_db *db;
    if (os_db_load(argv[1], &db, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    /* Unwrap: drop "OS:" at line starts and the line breaks. */
    static char flat[65536];
    size_t n = 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        if (strncmp(p, "OS:", 3) == 0)
            p += 3;
        for (; *p && *p != '\n' && *p != '\r' && n + 1 < sizeof flat; p++)
            flat[n++] = *p;
    }
    fclose(f);
    flat[n] = '\0';
    /* The test lines, grouped by test. */
    static char vals[OS_NTESTS][MAXV][1024];
    int nv[OS_NTESTS] = {0};
    for (char *p = flat, *e; (e = strchr(p, ')')) != NULL; p = e + 1) {
        size_t len = (size_t)(e + 1 - p);
        int t = os_test_find(p, strcspn(p, "("));
        if (t < 0 || len >= sizeof vals[0][0] || nv[t] == MAXV)
            continue; /* SCAN and anything else */
        memcpy(vals[t][nv[t]], p, len);
        vals[t][nv[t]][len] = '\0';
        nv[t]++;
    }
    int idx[OS_NTESTS] = {0};
    for (;;) {
        char text[16384];
        size_t w = 0;
        for (int t = 0; t < OS_NTESTS; t++)
            if (nv[t])
                w += (size_t)snprintf(text + w, sizeof text - w, "%s\n", vals[t][idx[t]]);
        struct os_obs o;
        struct os_matches m;
        if (os_obs_parse(text, w, &o, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        if (os_db_match(db, &o, OS_GUESS_FLOOR, &m) < 0)
            return 1;
        for (size_t i = 0; i < 10 && i < m.n && m.acc[i] > m.acc[0] - 0.10; i++)
            printf("%s\t%d\n", os_db_name(db, m.print[i]), (int)(m.acc[i] * 100));
        printf("\n");
        int t = 0;
        while (t < OS_NTESTS && (nv[t] == 0 || ++idx[t] == nv[t])) {
            idx[t] = 0;
            t++;
        }
        if (t == OS_NTESTS)
            break;
    }
    os_db_free(db);
    return 0;
}
