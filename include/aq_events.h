/* aq_events.h — the Server-Sent Events hub behind GET /api/v1/events: many listeners held as
 * suspended connections (no worker thread waits on them), each fed from a small buffer. */
#ifndef AQ_EVENTS_H
#define AQ_EVENTS_H

#include <stddef.h>

struct aq_events;

struct aq_events *aq_events_new(void);
/* Frees the hub; every stream must have ended (aq_events_shutdown, then the HTTP stop). */
void aq_events_free(struct aq_events *hub);
/* Sends "event: name" with one data line (json must not contain a newline) to every
 * listener. */
void aq_events_broadcast(struct aq_events *hub, const char *name, const char *json);
/* Sends an SSE comment line (keep-alive). */
void aq_events_comment(struct aq_events *hub, const char *text);
/* Ends every stream: listeners get the rest of their buffer, then the end of the body. */
void aq_events_shutdown(struct aq_events *hub);
/* Listeners connected now. */
size_t aq_events_listeners(struct aq_events *hub);

#endif
