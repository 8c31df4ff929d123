/* http_events.c — GET /api/v1/events (Server-Sent Events): the HTTP transport of an event-hub
 * listener (events.c). A listener's connection is suspended whenever it has nothing to send,
 * so a thousand idle dashboards hold no worker thread; the hub resumes it when an event (or
 * a keep-alive, or the end of the stream) is waiting. */
#include "http_internal.h"
#include "aq_events.h"

#include <stdlib.h>

static void park_connection(void *ctx)
{
	MHD_suspend_connection(ctx);
}

static void wake_connection(void *ctx)
{
	MHD_resume_connection(ctx);
}

static const struct aq_event_sink connection_sink = {park_connection, wake_connection};

/* One stream: its listener, and the request whose log line counts the bytes sent (the
 * reader is only called while the request is alive; the line is written when it ends). */
struct stream {
	struct aq_event_listener *listener;
	struct aq_request *req;
};

static ssize_t read_events(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	(void)pos;
	long n = aq_events_read(s->listener, out, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	s->req->bytes += (size_t)n;
	return (ssize_t)n;
}

static void end_listener(void *cls)
{
	struct stream *s = cls;
	aq_events_unsubscribe(s->listener);
	free(s);
}

enum MHD_Result aq_handle_events(struct aq_request *req)
{
	struct aq_event_listener *l = aq_events_subscribe(req->app->events, &connection_sink, req->conn,
							  "retry: 5000\n: aqrank events (alert, ranking)\n\n");
	struct stream *s = l ? malloc(sizeof *s) : NULL;
	if (!s) {
		aq_events_unsubscribe(l);
		return aq_reply_error(req, AQ_ERR_INTERNAL, NULL, NULL);
	}
	*s = (struct stream){l, req};
	struct MHD_Response *resp =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_events, s, end_listener);
	if (!resp) {
		end_listener(s);
		return MHD_NO;
	}
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
