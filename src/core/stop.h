/*
 * stop.h — the run's stop flag, the one piece of run state every stage
 * reads. main.c owns the flag (set by SIGINT/SIGTERM); each job carries a
 * pointer to it, never a copy, so a stage sees Ctrl-C at once.
 */
#ifndef PRTIP_CORE_STOP_H
#define PRTIP_CORE_STOP_H

#include <signal.h>
#include <stdbool.h>

/* True when the run should finish now and report what it found. stop may
 * be NULL (a job that cannot be interrupted, as in unit tests). Any thread. */
static inline bool job_stopping(volatile sig_atomic_t *stop)
{
    return stop && *stop;
}

#endif
