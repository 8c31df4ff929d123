/* http_alerts.c — GET /api/v1/alerts and POST /api/v1/alerts/{id}/ack. */
#include "http_internal.h"
#include "aq_clock.h"
#include "aq_json_alerts.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result aq_handle_alerts_list(struct aq_request *req)
{
	const char *status = aq_request_query(req, "status"), *type = aq_request_query(req, "type");
	const char *since = aq_request_query(req, "since"), *limit = aq_request_query(req, "limit");
	struct aq_alert_filter f = {AQ_AS_OPEN, aq_request_query(req, "station"), -1, INT64_MIN, 100};
	struct aq_alert *list = NULL;
	size_t n = 0;
	enum MHD_Result result;
	char *end;

	if (status && strcmp(status, "all") == 0)
		f.status = -1;
	else if (status && !aq_alert_status_from_name(status, &f.status))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER,
				      "status must be open, acknowledged, resolved or all.", NULL);
	if (type) {
		enum aq_alert_type t;
		if (!aq_alert_type_from_name(type, &t))
			return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "type is not an alert type.", NULL);
		f.type = t;
	}
	if (since) {
		int64_t day;
		const char *problem;
		if (aq_date_parse(since, &day))
			f.since_us = aq_local_midnight(day);
		else if (!aq_time_parse_rfc3339(since, &f.since_us, &problem))
			return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER,
					      "since must be a date or an RFC 3339 time.", NULL);
	}
	/* Range-checked as a long: (int) first would take 4294967297 for 1. */
	long lim = 0;
	if (limit && ((lim = strtol(limit, &end, 10)) < 1 || lim > 1000 || *end))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "limit must be an integer from 1 to 1000.", NULL);
	if (limit)
		f.limit = (int)lim;
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_alerts_list(db, &f, &list, &n);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, aq_json_alert(&list[i]));
	free(list);
	return aq_reply_json(req, MHD_HTTP_OK, json_pack("{s:o}", "alerts", arr));
}

enum MHD_Result aq_handle_alert_ack(struct aq_request *req)
{
	char *end;
	long long id = strtoll(req->params[0], &end, 10);
	const char *note = NULL;
	struct aq_alert a;
	enum MHD_Result result;
	if (*end || id <= 0)
		return aq_reply_error(req, AQ_ERR_NOT_FOUND, "No such alert.", NULL);
	if (req->json) {
		const char *key;
		json_t *value;
		if (!json_is_object(req->json))
			return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "Send {\"note\": \"…\"} or no body.",
					      NULL);
		json_object_foreach(req->json, key, value)
		{
			if (strcmp(key, "note") != 0 || !json_is_string(value) ||
			    strlen(json_string_value(value)) >= sizeof a.ack_note)
				return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER,
						      "The body takes one field: note (a string).", NULL);
			note = json_string_value(value);
		}
	}
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_alert_ack(db, id, note, aq_clock_now(&req->app->clock), &a);
	if (st == AQ_OK) {
		json_t *ev = json_pack("{s:s, s:o}", "event", "acknowledged", "alert", aq_json_alert(&a));
		char *text = ev ? json_dumps(ev, AQ_JSON_DUMP_FLAGS) : NULL;
		json_decref(ev);
		if (text)
			aq_db_event_add(db, "alert", text);
		free(text);
	}
	aq_db_release(req->app->pool, db);
	if (st == AQ_ERR_CONFLICT)
		return aq_reply_error(req, st, "The alert is already resolved.", NULL);
	if (st != AQ_OK)
		return aq_reply_error(req, st, st == AQ_ERR_NOT_FOUND ? "No such alert." : NULL, NULL);
	return aq_reply_json(req, MHD_HTTP_OK, aq_json_alert(&a));
}
