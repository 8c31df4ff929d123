/* aq_json_alerts.h — the JSON of an alert (API, events) and the webhook bodies: plain JSON,
 * or the DingTalk / WeCom group-robot text messages in Chinese. */
#ifndef AQ_JSON_ALERTS_H
#define AQ_JSON_ALERTS_H

#include <jansson.h>

#include "aq_alert.h"
#include "aq_config.h"

/* New JSON of an alert (SPEC §6 "Alerts and events"). */
json_t *aq_json_alert(const struct aq_alert *a);
/* New webhook body for an alert event ("opened") in format (enum aq_webhook_format). */
json_t *aq_webhook_body(const struct aq_alert *a, const char *event, int format);
/* The Chinese text of a notification into buf (for the robot formats). */
void aq_alert_text_zh(const struct aq_alert *a, char *buf, size_t size);

#endif
