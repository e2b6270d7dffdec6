/*
 * cli_store.c — prtip's scan storage options (src/store, docs/prtip.1
 * "STORAGE"): --db PATH|URL, --db-default and --db-job NAME into
 * struct config, and, once the whole line is read, their checks against
 * each other and --dry-run. The password of a --db URL is cut out of the
 * recorded command line by cli.c's join_args.
 */
#include "cli/cli_internal.h"

#include <stdlib.h>
#include <string.h>

int cli_store_option(struct config *scan, const char *name, const char *arg)
{
    if (strcmp(name, "db-default") == 0) {
        scan->db_default = true;
        return 0;
    }
    bool db = strcmp(name, "db") == 0; /* else "db-job" */
    if (!*arg) {
        cli_fail("invalid --%s '': give %s", name,
                 db ? "a SQLite file path, a postgresql:// URL or pg:"
                    : "a name for the job (e.g. nightly-dmz)");
        return -1;
    }
    return cli_set_string(db ? &scan->db : &scan->db_job, arg);
}

int cli_store_check(const struct config *scan)
{
    if (scan->db && scan->db_default) {
        cli_fail("--db %s and --db-default name two databases: give one", scan->db);
        return -1;
    }
    if (scan->db_job && !scan->db && !scan->db_default) {
        cli_fail("--db-job %s needs a database: add --db PATH|URL or --db-default", scan->db_job);
        return -1;
    }
    if ((scan->db || scan->db_default) && scan->raw.dry_run) {
        cli_fail("--dry-run sends nothing and finds nothing to store: drop --db%s",
                 scan->db ? "" : "-default");
        return -1;
    }
    return 0;
}
