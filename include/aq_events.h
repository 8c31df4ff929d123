/* aq_events.h — the event hub: services publish events (alerts, ranking changes) and every
 * listener gets them as Server-Sent Events text in a bounded buffer of its own. The hub has no
 * I/O of its own; a listener's transport (GET /api/v1/events in http_events.c) reads from it
 * and is parked and woken through the sink it subscribed with. */
#ifndef AQ_EVENTS_H
#define AQ_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

struct aq_events;
struct aq_event_listener;

/* How the hub parks and wakes a listener's transport. Both are called with the hub's lock
 * held, so they must not call back into the hub. park: the listener has nothing to read;
 * wake: it has (or its stream ended). */
struct aq_event_sink {
	void (*park)(void *ctx);
	void (*wake)(void *ctx);
};

/* A hub whose own thread sends every listener a keep-alive comment every keepalive_s seconds
 * (15 when ≤ 0). NULL when out of memory or threads. */
struct aq_events *aq_events_new(int keepalive_s);
/* Ends every stream, stops the keep-alive thread and frees the hub; every listener must have
 * unsubscribed (aq_events_shutdown, then the HTTP stop). NULL-safe. */
void aq_events_free(struct aq_events *hub);
/* Sends "event: name" with one data line (json must not contain a newline) to every
 * listener. */
void aq_events_broadcast(struct aq_events *hub, const char *name, const char *json);
/* Sends an SSE comment line. */
void aq_events_comment(struct aq_events *hub, const char *text);
/* Ends every stream: listeners get the rest of their buffer, then the end; new listeners end
 * at once. */
void aq_events_shutdown(struct aq_events *hub);
/* Listeners connected now. */
size_t aq_events_listeners(struct aq_events *hub);

/* A new listener that first reads hello (may be NULL). sink and ctx are borrowed for the
 * listener's life. NULL when out of memory. Free with aq_events_unsubscribe. */
struct aq_event_listener *aq_events_subscribe(struct aq_events *hub, const struct aq_event_sink *sink, void *ctx,
					      const char *hello);
/* Copies up to max bytes of l's pending text into out and returns how many; 0 when there is
 * nothing (the sink's park was called: read again after its wake); -1 when the stream ended. */
long aq_events_read(struct aq_event_listener *l, char *out, size_t max);
/* Removes l from its hub and frees it. NULL-safe. */
void aq_events_unsubscribe(struct aq_event_listener *l);

#endif
