/* db_query.c — prtip db query (stub until filled). */
#include "store/db_cmd.h"
int db_cmd_query(struct db_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argc;
    (void)argv;
    return db_fail(1, "query: not implemented yet");
}
int db_cmd_import(struct db_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argc;
    (void)argv;
    return db_fail(1, "import: not implemented yet");
}
