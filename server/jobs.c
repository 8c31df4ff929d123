/* jobs.c — the background thread. Each pass runs every periodic task once; passes are a
 * second apart, or sooner when something wakes the thread. */
#include "aq_jobs.h"
#include "aq_app.h"
#include "aq_db.h"
#include "aq_finalize.h"
#include "aq_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct aq_jobs {
	struct aq_app *app;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool woken;
};

/* Another daemon's writes show up as a moved data_version in the database. */
static void watch_version(struct aq_app *app, int64_t *seen)
{
	enum aq_status st;
	int64_t version;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return;
	if (aq_db_data_version(db, &version) == AQ_OK && version != *seen) {
		*seen = version;
		aq_app_note_write(app);
	}
	aq_db_release(app->pool, db);
}

static void run_pass(struct aq_app *app, int64_t *seen_version)
{
	watch_version(app, seen_version);
	aq_finalize_due(app);
}

static void *jobs_main(void *arg)
{
	struct aq_jobs *jobs = arg;
	int64_t seen_version = -1;
	pthread_mutex_lock(&jobs->lock);
	while (!jobs->stop) {
		pthread_mutex_unlock(&jobs->lock);
		run_pass(jobs->app, &seen_version);
		pthread_mutex_lock(&jobs->lock);
		if (jobs->stop)
			break;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (!jobs->stop && !jobs->woken)
			if (pthread_cond_timedwait(&jobs->wake, &jobs->lock, &until) == ETIMEDOUT)
				break;
		jobs->woken = false;
	}
	pthread_mutex_unlock(&jobs->lock);
	return NULL;
}

struct aq_jobs *aq_jobs_start(struct aq_app *app)
{
	struct aq_jobs *jobs = calloc(1, sizeof *jobs);
	if (!jobs)
		return NULL;
	jobs->app = app;
	pthread_mutex_init(&jobs->lock, NULL);
	pthread_cond_init(&jobs->wake, NULL);
	if (pthread_create(&jobs->thread, NULL, jobs_main, jobs) != 0) {
		aq_log(AQ_LOG_ERROR, "cannot start the background thread");
		pthread_mutex_destroy(&jobs->lock);
		pthread_cond_destroy(&jobs->wake);
		free(jobs);
		return NULL;
	}
	return jobs;
}

void aq_jobs_wake(struct aq_jobs *jobs)
{
	if (!jobs)
		return;
	pthread_mutex_lock(&jobs->lock);
	jobs->woken = true;
	pthread_cond_signal(&jobs->wake);
	pthread_mutex_unlock(&jobs->lock);
}

void aq_jobs_stop(struct aq_jobs *jobs)
{
	if (!jobs)
		return;
	pthread_mutex_lock(&jobs->lock);
	jobs->stop = true;
	pthread_cond_signal(&jobs->wake);
	pthread_mutex_unlock(&jobs->lock);
	pthread_join(jobs->thread, NULL);
	pthread_mutex_destroy(&jobs->lock);
	pthread_cond_destroy(&jobs->wake);
	free(jobs);
}
