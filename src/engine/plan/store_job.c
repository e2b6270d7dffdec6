/* store_job.c — the store's narrow job from the configuration (plan.h). */
#include "engine/plan/plan.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

int plan_store_job(const struct config *cfg, struct store_job *job, char *path, size_t pathlen,
                   char *shard, size_t shardlen, char *err, size_t errlen)
{
    memset(job, 0, sizeof(*job));
    if (cfg->db) {
        job->target = cfg->db;
    } else if (cfg->db_default) {
        if (store_default_path(path, pathlen, err, errlen) < 0)
            return -1;
        job->target = path;
    } else {
        return 0;
    }
    job->job = cfg->db_job;
    if (cfg->raw.nshards > 1) {
        snprintf(shard, shardlen, "%u/%u", cfg->raw.shard + 1, cfg->raw.nshards);
        job->shard = shard;
    }
    return 0;
}
