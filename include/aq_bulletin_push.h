/* aq_bulletin_push.h — the push of a finalized day's bulletin: its link, and for the DingTalk
 * and WeCom robots a markdown summary with the bottom three, written to the webhook outbox in
 * the finalization's own transaction (so it goes out once, durably, or not at all). A service:
 * the database and the pure domain, never HTTP. */
#ifndef AQ_BULLETIN_PUSH_H
#define AQ_BULLETIN_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "aq_config.h"
#include "aq_dayview.h"
#include "aq_interview.h"
#include "aq_status.h"

struct aq_db;

/* The body the webhook receives for day v's bulletin (AQRANK_WEBHOOK_FORMAT): JSON
 * {"event": "bulletin.final", "date", "number", "title", "url", "html_url", "metric",
 * "stations_ranked", "district_mean", "interview": [...]}, or the robots' markdown message.
 * malloc'd; NULL on ENOMEM. */
char *aq_bulletin_push_body(const struct aq_config *cfg, const struct aq_dayview *v, const struct aq_day_ranking *dr,
			    const struct aq_interview *list, size_t n);

/* Inside the finalization's transaction on db: queues the push of v's bulletin when a webhook
 * is configured and the day is recent (its end no more than AQRANK_WEBHOOK_MAX_AGE before
 * now_us — a backfill of history pushes nothing, as for alerts). At most once per day. */
enum aq_status aq_bulletin_push_queue(struct aq_db *db, const struct aq_config *cfg, const struct aq_dayview *v,
				      const struct aq_day_ranking *dr, const struct aq_interview *list, size_t n,
				      int64_t now_us);

#endif
