/*
 * shard_env.h — --shard auto: the shard index and count from the batch
 * scheduler that started the process, so a Kubernetes Indexed Job or a
 * Slurm job array runs one shard per task with the same command line.
 *
 *   Kubernetes Indexed Job (Job spec completionMode: Indexed): the pod's
 *     index is JOB_COMPLETION_INDEX (0 .. completions-1). Kubernetes does not
 *     tell the pod the Job's completions: it comes from --shard auto/N or
 *     PRTIP_SHARD_COUNT (deploy/kubernetes/ sets it next to completions).
 *   Slurm job array (sbatch --array=MIN-MAX[:STEP]): SLURM_ARRAY_TASK_ID,
 *     SLURM_ARRAY_TASK_MIN, _MAX, _STEP and _COUNT. The shard is the task's
 *     position in the array, (ID - MIN) / STEP, so an array 5-11:2 is
 *     shards 0..3 of 4. An array that is not one evenly spaced range
 *     (--array=1,4,9) has no such position and is refused.
 *
 * Every shard of one scan must name the same count and the same --seed
 * (core/permute.h: shard i takes domain indices i, i+k, i+2k, ...). A seed
 * drawn at random by each process would give each shard its own
 * permutation: shards would overlap and miss pairs. So without --seed the
 * seed must come from something every task of the job shares:
 *   Slurm: SLURM_ARRAY_JOB_ID, the array's job id (the same in every task
 *     and in a requeued task; sbatch(1), OUTPUT ENVIRONMENT VARIABLES).
 *   Kubernetes: nothing the Job controller gives every pod (the pod name and
 *     hostname carry the index and a random suffix; the Job's uid reaches a
 *     pod only if its spec asks the downward API for it), so --seed is
 *     required there.
 */
#ifndef PRTIP_CORE_SHARD_ENV_H
#define PRTIP_CORE_SHARD_ENV_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse --shard's argument when it is "auto" or "auto/N" (N: the count,
 * overriding PRTIP_SHARD_COUNT), reading the variables above with getenv.
 * Returns 1 when text is not an "auto" form (the caller parses i/n), 0 with
 * *shard (0-based) and *nshards set and a one-line description of where
 * they came from in src ("SLURM_ARRAY_TASK_ID=7 of array 5-11:2"), or -1
 * with err naming the missing or inconsistent variable and a hint.
 */
int shard_from_scheduler(const char *text, uint32_t *shard, uint32_t *nshards, char *src,
                         size_t srclen, char *err, size_t errlen);

/*
 * The seed every task of the scheduler job that started this process
 * shares (see above): 1 with *seed and a one-line description in src
 * ("SLURM_ARRAY_JOB_ID=4242"), 0 when there is none (no such variable, or
 * a Kubernetes pod). The seed is SipHash-2-4 of the variable's name and
 * value under a fixed key: the same job id gives the same seed on every
 * machine and every prtip build. Reads the environment with getenv.
 */
int shard_seed_from_scheduler(uint64_t *seed, char *src, size_t srclen);

#endif
