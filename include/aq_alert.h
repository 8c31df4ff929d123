/* aq_alert.h — a stored alert (SPEC §5, §6 "Alerts and events") as the DB layer, the
 * evaluator, the API and the webhook see it. */
#ifndef AQ_ALERT_H
#define AQ_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "aq_alerts.h"
#include "aq_reading.h"

enum aq_alert_status {
	AQ_AS_OPEN,
	AQ_AS_ACKNOWLEDGED,
	AQ_AS_RESOLVED
};

struct aq_alert {
	int64_t id;
	int station_id;
	char station[AQ_CODE_MAX + 1];
	char station_name[256];
	char unit[256];
	bool national;
	int type;     /* enum aq_alert_type */
	int severity; /* enum aq_severity */
	int status;   /* enum aq_alert_status */
	int64_t opened_us, last_seen_us;
	int64_t resolved_us;	 /* 0 while active */
	int64_t acknowledged_us; /* 0 unless acknowledged */
	int count;
	bool has_value;
	double value;
	bool has_threshold;
	double threshold;
	char pollutant[8];
	char message[320];
	char ack_note[512];
	/* National points' divergence and exceedance: where the pollution comes from, as the JSON
	 * text of aq_json_sources_brief (dominant sector, top three upwind contributors); "" when
	 * none. Stored and read verbatim. */
	char sources[2048];
};

/* "open" "acknowledged" "resolved". */
const char *aq_alert_status_name(int status);
bool aq_alert_status_from_name(const char *name, int *status);

#endif
