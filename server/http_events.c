/* http_events.c — GET /api/v1/events (Server-Sent Events). A listener's connection is
 * suspended whenever it has nothing to send, so a thousand idle dashboards hold no worker
 * thread; a broadcast appends to every listener's buffer and resumes the suspended ones. */
#include "http_internal.h"
#include "aq_events.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A listener that falls this far behind is dropped rather than buffered without bound. */
#define MAX_BACKLOG (1024 * 1024)

struct listener {
	struct aq_events *hub;
	struct MHD_Connection *conn;
	char *buf;
	size_t len, off, cap;
	bool suspended;
	bool closing;
	struct listener *prev, *next;
};

struct aq_events {
	pthread_mutex_t lock;
	struct listener *head;
	size_t count;
	bool shutdown;
};

struct aq_events *aq_events_new(void)
{
	struct aq_events *hub = calloc(1, sizeof *hub);
	if (hub)
		pthread_mutex_init(&hub->lock, NULL);
	return hub;
}

void aq_events_free(struct aq_events *hub)
{
	if (!hub)
		return;
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

/* Appends text to l's buffer and wakes its connection. Hub lock held. */
static void push(struct listener *l, const char *text, size_t n)
{
	if (l->closing)
		return;
	if (l->len - l->off + n > MAX_BACKLOG) {
		l->closing = true;
	} else {
		if (l->off > 0 && l->off == l->len)
			l->off = l->len = 0;
		if (l->len + n > l->cap) {
			size_t cap = l->cap ? l->cap : 1024;
			while (cap < l->len + n)
				cap *= 2;
			char *grown = realloc(l->buf, cap);
			if (!grown) {
				l->closing = true;
				goto wake;
			}
			l->buf = grown;
			l->cap = cap;
		}
		memcpy(l->buf + l->len, text, n);
		l->len += n;
	}
wake:
	if (l->suspended) {
		l->suspended = false;
		MHD_resume_connection(l->conn);
	}
}

static void push_all(struct aq_events *hub, const char *text)
{
	size_t n = strlen(text);
	pthread_mutex_lock(&hub->lock);
	for (struct listener *l = hub->head; l; l = l->next)
		push(l, text, n);
	pthread_mutex_unlock(&hub->lock);
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
	for (struct listener *l = hub->head; l; l = l->next) {
		l->closing = true;
		if (l->suspended) {
			l->suspended = false;
			MHD_resume_connection(l->conn);
		}
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

static ssize_t read_events(void *cls, uint64_t pos, char *out, size_t max)
{
	struct listener *l = cls;
	struct aq_events *hub = l->hub;
	ssize_t n;
	(void)pos;
	pthread_mutex_lock(&hub->lock);
	if (l->off < l->len) {
		size_t avail = l->len - l->off;
		n = (ssize_t)(avail < max ? avail : max);
		memcpy(out, l->buf + l->off, (size_t)n);
		l->off += (size_t)n;
	} else if (l->closing) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		/* Nothing to send: park the connection until a broadcast resumes it. */
		l->suspended = true;
		MHD_suspend_connection(l->conn);
		n = 0;
	}
	pthread_mutex_unlock(&hub->lock);
	return n;
}

static void free_listener(void *cls)
{
	struct listener *l = cls;
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

enum MHD_Result aq_handle_events(struct aq_request *req)
{
	struct aq_events *hub = req->app->events;
	struct listener *l = calloc(1, sizeof *l);
	if (!l)
		return aq_reply_error(req, AQ_ERR_INTERNAL, NULL, NULL);
	l->hub = hub;
	l->conn = req->conn;
	const char *hello = "retry: 5000\n: aqrank events (alert, ranking)\n\n";
	push(l, hello, strlen(hello));
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_events, l,
								      free_listener);
	if (!resp) {
		free(l->buf);
		free(l);
		return MHD_NO;
	}
	pthread_mutex_lock(&hub->lock);
	if (hub->shutdown)
		l->closing = true;
	l->next = hub->head;
	if (hub->head)
		hub->head->prev = l;
	hub->head = l;
	hub->count++;
	pthread_mutex_unlock(&hub->lock);
	MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* nginx: do not buffer the stream */
	if (req->app->cfg->cors_origin && req->app->cfg->cors_origin[0])
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", req->app->cfg->cors_origin);
	req->status = MHD_HTTP_OK;
	req->replied = true;
	enum MHD_Result ret = MHD_queue_response(req->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}
