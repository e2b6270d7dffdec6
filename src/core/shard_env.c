/*
 * shard_env.c — --shard auto from a Kubernetes Indexed Job or a Slurm job
 * array (shard_env.h). Variables as documented by Kubernetes ("Indexed Job
 * for Parallel Processing with Static Work Assignment") and Slurm (sbatch(1),
 * OUTPUT ENVIRONMENT VARIABLES: SLURM_ARRAY_TASK_*).
 */
#include "core/shard_env.h"

#include "core/siphash.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A variable holding a non-negative decimal integer below 2^32:
 * 1 = set and valid, 0 = unset, -1 = set but not a number (err set). */
static int env_u32(const char *name, uint32_t *out, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || x > UINT32_MAX) {
        snprintf(err, errlen, "--shard auto: %s='%s' is not a whole number", name, v);
        return -1;
    }
    *out = (uint32_t)x;
    return 1;
}

static int parse_count(const char *text, uint32_t *count, bool *given, char *err, size_t errlen)
{
    *given = false;
    if (text[4] == '\0')
        return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(text + 5, &end, 10);
    if (text[4] != '/' || text[5] < '0' || text[5] > '9' || *end || errno || x == 0 ||
        x > UINT32_MAX) {
        snprintf(err, errlen, "bad --shard '%s': expected auto or auto/N with N >= 1 shards", text);
        return -1;
    }
    *count = (uint32_t)x;
    *given = true;
    return 0;
}

static int from_kubernetes(uint32_t index, uint32_t count, bool have_count, uint32_t *shard,
                           uint32_t *nshards, char *src, size_t srclen, char *err, size_t errlen)
{
    if (!have_count) {
        snprintf(err, errlen,
                 "--shard auto: JOB_COMPLETION_INDEX=%" PRIu32 " (a Kubernetes Indexed Job) but no "
                 "shard count: set PRTIP_SHARD_COUNT to the Job's completions or give --shard "
                 "auto/N",
                 index);
        return -1;
    }
    if (index >= count) {
        snprintf(err, errlen,
                 "--shard auto: JOB_COMPLETION_INDEX=%" PRIu32
                 " is not below the shard count %" PRIu32
                 ": the count must equal the Job's completions",
                 index, count);
        return -1;
    }
    *shard = index;
    *nshards = count;
    snprintf(src, srclen, "JOB_COMPLETION_INDEX=%" PRIu32 " of %" PRIu32 " completions", index,
             count);
    return 0;
}

static int from_slurm(uint32_t id, uint32_t count, bool have_count, uint32_t *shard,
                      uint32_t *nshards, char *src, size_t srclen, char *err, size_t errlen)
{
    uint32_t min, max, step = 1, scount;
    int rmin = env_u32("SLURM_ARRAY_TASK_MIN", &min, err, errlen);
    int rmax = env_u32("SLURM_ARRAY_TASK_MAX", &max, err, errlen);
    int rstep = env_u32("SLURM_ARRAY_TASK_STEP", &step, err, errlen);
    int rcount = env_u32("SLURM_ARRAY_TASK_COUNT", &scount, err, errlen);
    if (rmin < 0 || rmax < 0 || rstep < 0 || rcount < 0)
        return -1;
    if (!rmin || !rmax) {
        snprintf(err, errlen,
                 "--shard auto: SLURM_ARRAY_TASK_ID=%" PRIu32 " without SLURM_ARRAY_TASK_%s: run "
                 "prtip as a task of an sbatch --array job",
                 id, !rmin ? "MIN" : "MAX");
        return -1;
    }
    if (step == 0 || min > max || id < min || id > max || (id - min) % step != 0) {
        snprintf(err, errlen,
                 "--shard auto: SLURM_ARRAY_TASK_ID=%" PRIu32 " is not a task of the array %" PRIu32
                 "-%" PRIu32 ":%" PRIu32 " (SLURM_ARRAY_TASK_MIN/MAX/STEP)",
                 id, min, max, step);
        return -1;
    }
    uint32_t span = (max - min) / step + 1;
    if (rcount && scount != span) {
        snprintf(err, errlen,
                 "--shard auto: the Slurm array has %" PRIu32 " tasks (SLURM_ARRAY_TASK_COUNT) but "
                 "%" PRIu32 "-%" PRIu32 ":%" PRIu32 " spans %" PRIu32
                 ": shards need one evenly spaced range (sbatch --array=MIN-MAX[:STEP])",
                 scount, min, max, step, span);
        return -1;
    }
    if (have_count && count != span) {
        snprintf(err, errlen,
                 "--shard auto: the shard count %" PRIu32 " (auto/N or PRTIP_SHARD_COUNT) differs "
                 "from the Slurm array's %" PRIu32 " tasks",
                 count, span);
        return -1;
    }
    *shard = (id - min) / step;
    *nshards = span;
    snprintf(src, srclen,
             "SLURM_ARRAY_TASK_ID=%" PRIu32 " of array %" PRIu32 "-%" PRIu32 ":%" PRIu32, id, min,
             max, step);
    return 0;
}

int shard_from_scheduler(const char *text, uint32_t *shard, uint32_t *nshards, char *src,
                         size_t srclen, char *err, size_t errlen)
{
    if (strncmp(text, "auto", 4) != 0 || (text[4] != '\0' && text[4] != '/'))
        return 1;
    uint32_t count = 0;
    bool have_count;
    if (parse_count(text, &count, &have_count, err, errlen) < 0)
        return -1;
    if (!have_count) {
        int r = env_u32("PRTIP_SHARD_COUNT", &count, err, errlen);
        if (r < 0)
            return -1;
        if (r && count == 0) {
            snprintf(err, errlen, "--shard auto: PRTIP_SHARD_COUNT=0: at least 1 shard");
            return -1;
        }
        have_count = r == 1;
    }
    uint32_t k8s, slurm;
    int rk = env_u32("JOB_COMPLETION_INDEX", &k8s, err, errlen);
    int rs = env_u32("SLURM_ARRAY_TASK_ID", &slurm, err, errlen);
    if (rk < 0 || rs < 0)
        return -1;
    if (rk && rs) {
        snprintf(err, errlen,
                 "--shard auto: both JOB_COMPLETION_INDEX (Kubernetes) and SLURM_ARRAY_TASK_ID "
                 "(Slurm) are set: unset the one that does not apply, or give --shard i/n");
        return -1;
    }
    if (rk)
        return from_kubernetes(k8s, count, have_count, shard, nshards, src, srclen, err, errlen);
    if (rs)
        return from_slurm(slurm, count, have_count, shard, nshards, src, srclen, err, errlen);
    snprintf(err, errlen,
             "--shard auto: no scheduler variables: expected JOB_COMPLETION_INDEX (Kubernetes "
             "Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm job array); give --shard i/n otherwise");
    return -1;
}

int shard_seed_from_scheduler(uint64_t *seed, char *src, size_t srclen)
{
    static const char name[] = "SLURM_ARRAY_JOB_ID";
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    /* A fixed key ("prtip shard seed"): the seed is a function of the job
     * id alone, not a secret (anyone with the id can recompute the order). */
    static const uint8_t kb[17] = "prtip shard seed";
    struct siphash_key key;
    siphash_key_from_bytes(&key, kb);
    char text[160];
    int n = snprintf(text, sizeof(text), "%s=%s", name, v);
    if (n < 0 || (size_t)n >= sizeof(text))
        return 0;
    *seed = siphash24(&key, text, (size_t)n);
    snprintf(src, srclen, "%s", text);
    return 1;
}
