/*
 * stages.c — the table of post-scan stages and the chain built from it
 * (stages.h). Version detection, OS detection and scripts take their rows
 * here as they arrive.
 */
#include "engine/plan/stages.h"
#include "detect/version.h"

#include "detect/os_stage.h"

#include <string.h>

const struct stage_module *const stage_modules[] = {
    &version_stage,
    &os_stage_module,
    NULL,
};

int plan_pipeline(struct pipeline *p, const struct config *cfg, volatile sig_atomic_t *stop,
                  const struct result_sink *out, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    const struct stage_module *want[PLAN_MAX_STAGES];
    size_t n = 0;
    for (size_t i = 0; stage_modules[i] && n < PLAN_MAX_STAGES; i++)
        if (stage_modules[i]->wanted(cfg))
            want[n++] = stage_modules[i];
    /* Built from the outputs backwards: each stage feeds the one after it. */
    struct result_sink next = *out;
    for (size_t k = n; k-- > 0;) {
        size_t i = p->n;
        void *state = want[k]->create(cfg, stop, err, errlen);
        if (!state) {
            plan_pipeline_free(p);
            return -1;
        }
        p->mods[i] = want[k];
        p->stages[i] = (struct stage){.ops = want[k]->ops, .state = state, .next = next};
        p->n++;
        next = stage_sink(&p->stages[i]);
    }
    p->head = next;
    return 0;
}

void plan_pipeline_free(struct pipeline *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->mods[i]->destroy)
            p->mods[i]->destroy(p->stages[i].state);
    p->n = 0;
}
