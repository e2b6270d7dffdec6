/*
 * stages.h — the stages that run after the port scan (SPEC "Architecture":
 * port scan -> version detection -> OS detection -> scripts -> sinks), as
 * one table. Each row says when the configuration asks for the stage and
 * how to start it: create builds the stage's own narrow job from the
 * configuration (declared in the stage's header) and returns its state.
 * Adding a stage is one file and one row in stages.c.
 */
#ifndef PRTIP_ENGINE_STAGES_H
#define PRTIP_ENGINE_STAGES_H

#include "cli/config.h"
#include "core/stream.h"

#include <signal.h>

#define PLAN_MAX_STAGES 8

struct stage_module {
    const struct stage_ops *ops;
    /* Whether cfg asks for the stage (-sV, -O, --script). */
    bool (*wanted)(const struct config *cfg);
    /* The stage's state for one run, from its job built out of cfg; NULL
     * with err set on failure. */
    void *(*create)(const struct config *cfg, volatile sig_atomic_t *stop, char *err,
                    size_t errlen);
    void (*destroy)(void *state);
};

/* NULL-terminated, in pipeline order. */
extern const struct stage_module *const stage_modules[];

/* The sinks between the port scan and the outputs: head is where the port
 * scan's stream goes (begin, hosts, end); the last stage feeds out. */
struct pipeline {
    struct stage stages[PLAN_MAX_STAGES];
    const struct stage_module *mods[PLAN_MAX_STAGES];
    size_t n;
    struct result_sink head;
};

/*
 * Build the chain of the stages cfg asks for in front of out (borrowed;
 * must outlive the pipeline). With none, head is out itself. p must not
 * move while in use (the stages point into it). Returns 0, or -1 with err
 * set and nothing to free.
 */
int plan_pipeline(struct pipeline *p, const struct config *cfg, volatile sig_atomic_t *stop,
                  const struct result_sink *out, char *err, size_t errlen);

/* Destroy every stage's state. */
void plan_pipeline_free(struct pipeline *p);

#endif
