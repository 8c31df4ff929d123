/* worker.c — a background thread running one step function (aq_worker.h). */
#include "aq_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct aq_worker {
	aq_worker_step_fn step;
	void *arg;
	int idle_ms, min_gap_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool woken;
};

static struct timespec after_ms(int ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static void *worker_main(void *arg)
{
	struct aq_worker *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		w->woken = false;
		pthread_mutex_unlock(&w->lock);
		bool more = w->step(w->arg);
		pthread_mutex_lock(&w->lock);
		if (more)
			continue;
		/* The gap first (wakes only count after it), then a wake or the idle time. */
		struct timespec soonest = after_ms(w->min_gap_ms), until = after_ms(w->idle_ms);
		while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &soonest) != ETIMEDOUT)
			;
		while (!w->stop && !w->woken)
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct aq_worker *aq_worker_start(aq_worker_step_fn step, void *arg, int idle_ms, int min_gap_ms)
{
	struct aq_worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	*w = (struct aq_worker){.step = step, .arg = arg, .idle_ms = idle_ms, .min_gap_ms = min_gap_ms};
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		free(w);
		return NULL;
	}
	return w;
}

void aq_worker_wake(struct aq_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->woken = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void aq_worker_stop(struct aq_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}
