/* aq_webhook.h — the webhook delivery thread: takes notifications from the durable outbox
 * and POSTs them with libcurl, retrying with exponential backoff. Never in the ingest path. */
#ifndef AQ_WEBHOOK_H
#define AQ_WEBHOOK_H

struct aq_app;
struct aq_webhook;

/* Starts the thread (it idles when AQRANK_WEBHOOK_URL is unset). NULL on failure. */
struct aq_webhook *aq_webhook_start(struct aq_app *app);
/* Stops and joins it; an attempt in flight finishes (bounded by AQRANK_WEBHOOK_TIMEOUT). */
void aq_webhook_stop(struct aq_webhook *w);

/* Seconds to wait after the attempts-th failed attempt: 1, 2, 4, … capped at one hour. */
int aq_webhook_backoff(int attempts);

#endif
