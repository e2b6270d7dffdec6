/*
 * libFuzzer harness for the nmap-os-db reader (os_db_load_buf), the
 * reader of nmap's printed fingerprints (os_obs_parse) and the scorer
 * between them: the input is read both as a database and as a fingerprint,
 * and when both succeed the fingerprint is scored against the database.
 *
 * Seeds live in fuzz/corpus/osdb/ (small hand-written files):
 *
 *   fuzz_osdb -max_total_time=60 fuzz/corpus/osdb
 */
#include "detect/osdb.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 32768)
        return 0; /* longer files exercise nothing new, only time */

    char err[256] = "";
    struct os_db *db = NULL;
    int rc = os_db_load_buf("fuzz", (const char *)data, size, &db, err, sizeof err);
    if (rc < 0) {
        /* Every failure explains itself on one line, naming file:line. */
        if (strncmp(err, "fuzz:", 5) != 0 || strchr(err, '\n'))
            __builtin_trap();
    }
    static struct os_obs o;
    if (os_obs_parse((const char *)data, size, &o, err, sizeof err) == 0) {
        char buf[4096];
        os_obs_format(&o, buf, sizeof buf);
        if (db) {
            struct os_matches m;
            if (os_db_match(db, &o, OS_GUESS_FLOOR, &m) == 0) {
                if (m.n > OS_MAX_MATCHES || m.nperfect > m.n + 1)
                    __builtin_trap();
                for (size_t i = 0; i < m.n; i++)
                    if (m.print[i] >= os_db_count(db) || m.acc[i] < 0 || m.acc[i] > 1 ||
                        (i && m.acc[i] > m.acc[i - 1]))
                        __builtin_trap();
            }
        }
    }
    os_db_free(db);
    return 0;
}
