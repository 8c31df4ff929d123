/* aq_jobs.h — the background thread: periodic work driven by the app's clock (finalizing
 * past days, alert ticks, webhook delivery). Never in the request path. */
#ifndef AQ_JOBS_H
#define AQ_JOBS_H

struct aq_app;
struct aq_jobs;

/* Starts the background thread. NULL on failure. */
struct aq_jobs *aq_jobs_start(struct aq_app *app);
/* Wakes the thread early (e.g. new data to look at). NULL-safe. */
void aq_jobs_wake(struct aq_jobs *jobs);
/* Notes that what the API shows or the alert rules read changed: bumps app->data_version
 * (what caches of today compare against) and wakes app->jobs to look at it. */
void aq_jobs_note_change(struct aq_app *app);
/* Stops and joins the thread. NULL-safe. */
void aq_jobs_stop(struct aq_jobs *jobs);

#endif
