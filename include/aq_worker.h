/* aq_worker.h — a background thread that runs one step function over and over: the shape of
 * the daemon's periodic work (the jobs pass, webhook delivery, the event stream's keep-alives).
 * After a step that has more to do it runs again at once; otherwise it waits until woken or
 * idle_ms pass, but never starts a step sooner than min_gap_ms after the last one ended. */
#ifndef AQ_WORKER_H
#define AQ_WORKER_H

#include <stdbool.h>

struct aq_worker;

/* One step; returns true when there is more to do right away. */
typedef bool (*aq_worker_step_fn)(void *arg);

/* Starts a thread running step(arg) (arg borrowed for the worker's life). NULL when the
 * thread cannot be made. */
struct aq_worker *aq_worker_start(aq_worker_step_fn step, void *arg, int idle_ms, int min_gap_ms);
/* Asks for a step as soon as the minimum gap allows. NULL-safe. */
void aq_worker_wake(struct aq_worker *w);
/* Lets the running step end, stops the thread and frees the worker. NULL-safe. */
void aq_worker_stop(struct aq_worker *w);

#endif
