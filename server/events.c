/* events.c — the event hub: the jobs publish alerts and ranking changes here, and every
 * listener (an event-stream connection) gets its own bounded buffer of Server-Sent Events
 * text. The hub knows nothing of HTTP: a listener's transport parks itself when it has
 * nothing to send and is woken by the hub when something arrives (http_events.c suspends and
 * resumes the connection). A thread of its own (aq_worker.h) sends the keep-alive comments, so a
 * long job pass (finalizing a backfill, judging a month of alerts) never leaves a stream
 * silent long enough for a proxy or the connection timeout to cut it. */
#include "aq_events.h"
#include "aq_worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A listener that falls this far behind is dropped rather than buffered without bound. */
#define MAX_BACKLOG (1024 * 1024)

struct aq_event_listener {
	struct aq_events *hub;
	const struct aq_event_sink *sink;
	void *ctx;
	char *buf;
	size_t len, off, cap;
	bool parked;
	bool closing;
	struct aq_event_listener *prev, *next;
};

struct aq_events {
	pthread_mutex_t lock;
	struct aq_worker *ticker; /* the keep-alives */
	bool ticked;		  /* the ticker's first step (at its start) has passed */
	struct aq_event_listener *head;
	size_t count;
	bool shutdown;
};

/* Wakes a parked listener. Hub lock held. */
static void wake(struct aq_event_listener *l)
{
	if (l->parked) {
		l->parked = false;
		l->sink->wake(l->ctx);
	}
}

/* Appends text to l's buffer and wakes its transport. Hub lock held. */
static void push(struct aq_event_listener *l, const char *text, size_t n)
{
	if (l->closing)
		return;
	if (l->len - l->off + n > MAX_BACKLOG) {
		l->closing = true;
		goto out;
	}
	if (l->off > 0 && l->off == l->len)
		l->off = l->len = 0;
	if (l->len + n > l->cap) {
		size_t cap = l->cap ? l->cap : 1024;
		while (cap < l->len + n)
			cap *= 2;
		char *grown = realloc(l->buf, cap);
		if (!grown) {
			l->closing = true;
			goto out;
		}
		l->buf = grown;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, text, n);
	l->len += n;
out:
	wake(l);
}

static void push_all(struct aq_events *hub, const char *text)
{
	size_t n = strlen(text);
	pthread_mutex_lock(&hub->lock);
	for (struct aq_event_listener *l = hub->head; l; l = l->next)
		push(l, text, n);
	pthread_mutex_unlock(&hub->lock);
}

static bool keepalive_step(void *arg)
{
	struct aq_events *hub = arg;
	/* The worker steps once as it starts: no stream needs a keep-alive then. Only this
	 * thread touches ticked. */
	if (hub->ticked)
		aq_events_comment(hub, "keep-alive");
	hub->ticked = true;
	return false;
}

struct aq_events *aq_events_new(int keepalive_s)
{
	struct aq_events *hub = calloc(1, sizeof *hub);
	if (!hub)
		return NULL;
	pthread_mutex_init(&hub->lock, NULL);
	int every_ms = (keepalive_s > 0 ? keepalive_s : 15) * 1000;
	if (!(hub->ticker = aq_worker_start(keepalive_step, hub, every_ms, every_ms))) {
		aq_events_free(hub);
		return NULL;
	}
	return hub;
}

void aq_events_free(struct aq_events *hub)
{
	if (!hub)
		return;
	aq_events_shutdown(hub);
	aq_worker_stop(hub->ticker);
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

void aq_events_broadcast(struct aq_events *hub, const char *name, const char *json)
{
	size_t n = strlen(name) + strlen(json) + 32;
	char *text = malloc(n);
	if (!text)
		return;
	snprintf(text, n, "event: %s\ndata: %s\n\n", name, json);
	push_all(hub, text);
	free(text);
}

void aq_events_comment(struct aq_events *hub, const char *comment)
{
	char text[256];
	snprintf(text, sizeof text, ": %s\n\n", comment);
	push_all(hub, text);
}

void aq_events_shutdown(struct aq_events *hub)
{
	if (!hub)
		return;
	pthread_mutex_lock(&hub->lock);
	hub->shutdown = true;
	for (struct aq_event_listener *l = hub->head; l; l = l->next) {
		l->closing = true;
		wake(l);
	}
	pthread_mutex_unlock(&hub->lock);
}

size_t aq_events_listeners(struct aq_events *hub)
{
	pthread_mutex_lock(&hub->lock);
	size_t n = hub->count;
	pthread_mutex_unlock(&hub->lock);
	return n;
}

struct aq_event_listener *aq_events_subscribe(struct aq_events *hub, const struct aq_event_sink *sink, void *ctx,
					      const char *hello)
{
	struct aq_event_listener *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->hub = hub;
	l->sink = sink;
	l->ctx = ctx;
	pthread_mutex_lock(&hub->lock);
	if (hello)
		push(l, hello, strlen(hello));
	if (hub->shutdown)
		l->closing = true;
	l->next = hub->head;
	if (hub->head)
		hub->head->prev = l;
	hub->head = l;
	hub->count++;
	pthread_mutex_unlock(&hub->lock);
	return l;
}

long aq_events_read(struct aq_event_listener *l, char *out, size_t max)
{
	struct aq_events *hub = l->hub;
	long n;
	pthread_mutex_lock(&hub->lock);
	if (l->off < l->len) {
		size_t avail = l->len - l->off;
		n = (long)(avail < max ? avail : max);
		memcpy(out, l->buf + l->off, (size_t)n);
		l->off += (size_t)n;
	} else if (l->closing) {
		n = -1;
	} else {
		/* Nothing to send: park the transport until a push wakes it. Under the lock, so no
		 * push can slip in between "nothing" and "parked". */
		l->parked = true;
		l->sink->park(l->ctx);
		n = 0;
	}
	pthread_mutex_unlock(&hub->lock);
	return n;
}

void aq_events_unsubscribe(struct aq_event_listener *l)
{
	if (!l)
		return;
	struct aq_events *hub = l->hub;
	pthread_mutex_lock(&hub->lock);
	if (l->prev)
		l->prev->next = l->next;
	else
		hub->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	hub->count--;
	pthread_mutex_unlock(&hub->lock);
	free(l->buf);
	free(l);
}
