/*
 * db_cmd.h — `prtip db`: the stored scans from the command line (list,
 * show, export, query, compare, prune, import). One dispatcher, called by
 * main for argv[1] == "db"; each command is one row of db_cmds[].
 */
#ifndef PRTIP_STORE_DB_CMD_H
#define PRTIP_STORE_DB_CMD_H

#include "output/output.h"
#include "store/store.h"

#include <stdio.h>

/* argv[0] is "db". Returns the process exit status: 0, 1 (bad usage,
 * message printed) or 2 (the database failed, message printed). */
int db_cmd_main(int argc, char **argv);

/* The commands' shared state: the open store (opened on first use). */
struct db_ctx {
    const char *target; /* --db, or the default file */
    char path[4096];
    struct store st;
    bool open;
};

/* Open ctx->target unless open. Returns 0, or -1 after printing the error. */
int db_ctx_store(struct db_ctx *ctx);

/* One command: run gets the words after its name. */
struct db_cmd {
    const char *name;
    const char *usage;   /* "export ID -oX FILE ..." */
    const char *summary; /* one line for prtip db --help */
    int (*run)(struct db_ctx *ctx, int argc, char **argv);
};

/* Commands living in their own files. */
int db_cmd_query(struct db_ctx *ctx, int argc, char **argv);
int db_cmd_compare(struct db_ctx *ctx, int argc, char **argv);
int db_cmd_import(struct db_ctx *ctx, int argc, char **argv);

/* Print "prtip db: <message>" on stderr; returns status for tail calls. */
int db_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Collect "-oX FILE" / "-oXFILE" words (any output_modules[] option) from
 * argv[*i]; advances *i. Returns 1 if argv[*i] was one (added to reqs),
 * 0 if not, -1 after an error message.
 */
int db_parse_output(int argc, char **argv, int *i, struct output_request *reqs, size_t *nreq);

/* Render s through reqs (nreq 0 = normal output on stdout). Returns an
 * exit status. */
struct stored_scan;
int db_render(const struct stored_scan *s, const struct output_request *reqs, size_t nreq);

#endif
