/* http_quality.c — /api/v1/stations/{code}/quality, the calibrations of a station (fit,
 * approve, history) and /api/v1/quality/summary. Handlers parse, call the quality services
 * (quality.c, quality_report.c) and reply through the JSON writers (json_quality.c). */
#include "http_internal.h"
#include "aq_json_quality.h"
#include "aq_quality.h"
#include "aq_quality_report.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The longest co-location window fitted, days. */
#define MAX_WINDOW_DAYS 366

enum MHD_Result aq_handle_station_quality(struct aq_request *req)
{
	const char *f = aq_request_query(req, "from"), *t = aq_request_query(req, "to");
	int64_t today = aq_app_today(req->app), from = today - 6, to = today;
	struct aq_quality_report r;
	if ((f && !aq_date_parse(f, &from)) || (t && !aq_date_parse(t, &to)))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "from and to must be dates YYYY-MM-DD.", NULL);
	if (f && !t)
		to = from + 6 < today ? from + 6 : today;
	if (t && !f)
		from = to - 6;
	if (to < from || to - from + 1 > AQ_QUALITY_MAX_DAYS)
		return aq_reply_errorf(req, AQ_ERR_INVALID_PARAMETER,
				       "to must not be before from, and the range at most %d days.",
				       AQ_QUALITY_MAX_DAYS);
	enum aq_status st = aq_quality_station_report(req->app, req->params[0], from, to, &r);
	enum MHD_Result result = st == AQ_OK ? aq_reply_json(req, MHD_HTTP_OK, aq_json_quality_report(&r))
					     : aq_reply_error(req, st, NULL, NULL);
	aq_quality_report_cleanup(&r);
	return result;
}

enum MHD_Result aq_handle_quality_summary(struct aq_request *req)
{
	const char *date = aq_request_query(req, "date"), *metric_s = aq_request_query(req, "metric");
	int64_t day = aq_app_today(req->app);
	enum aq_metric metric = (enum aq_metric)req->app->cfg->metric;
	struct aq_quality_summary s;
	if (date && !aq_date_parse(date, &day))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "date must be YYYY-MM-DD.", NULL);
	if (metric_s && !aq_metric_from_name(metric_s, &metric))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "metric must be pm10, pm25, aqi or composite.",
				      NULL);
	enum aq_status st = aq_quality_network_summary(req->app, day, metric, &s);
	enum MHD_Result result =
		st == AQ_OK ? aq_reply_json(req, MHD_HTTP_OK, aq_json_quality_summary(&s))
			    : aq_reply_error(req, st,
					     st == AQ_ERR_NO_DATA ? "There are no readings for that day." : NULL, NULL);
	aq_quality_summary_cleanup(&s);
	return result;
}

enum MHD_Result aq_handle_calibrations_list(struct aq_request *req)
{
	struct aq_station station;
	struct aq_calibration *list = NULL;
	size_t n = 0;
	enum aq_status st = aq_quality_calibrations(req->app, req->params[0], &station, &list, &n);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, aq_json_calibration(&list[i]));
	free(list);
	return aq_reply_json(req, MHD_HTTP_OK, json_pack("{s:s, s:o}", "station", station.code, "calibrations", arr));
}

/* The pollutant names of a JSON array into a mask; false on anything else. */
static bool pollutant_list(const json_t *arr, unsigned *mask)
{
	size_t i;
	json_t *item;
	*mask = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return false;
	json_array_foreach(arr, i, item)
	{
		enum aq_pollutant p;
		if (!aq_pollutant_from_field(json_string_value(item), &p) || (*mask & AQ_POLLUTANT_BIT(p)))
			return false;
		*mask |= AQ_POLLUTANT_BIT(p);
	}
	return true;
}

enum MHD_Result aq_handle_calibration_create(struct aq_request *req)
{
	struct aq_calibration_request cr = {0};
	struct aq_calibration c;
	struct aq_fit_outcome outcome[AQ_POLLUTANTS];
	const char *from = NULL, *to = NULL, *valid_from = NULL, *problem = NULL;
	json_t *pollutants = NULL;
	int humidity = 0;
	json_error_t jerr;
	/* Shape first: which fields, of which types; then what they mean. */
	if (!req->json ||
	    json_unpack_ex(req->json, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s?o, s?b, s?s, s?s}", "reference",
			   &cr.reference, "from", &from, "to", &to, "pollutants", &pollutants, "humidity", &humidity,
			   "valid_from", &valid_from, "note", &cr.note) != 0)
		return aq_reply_errorf(req, AQ_ERR_INVALID_PARAMETER,
				       "Send {\"reference\": code, \"from\": date, \"to\": date} and optionally "
				       "pollutants, humidity, valid_from, note%s%s.",
				       req->json ? ": " : "", req->json ? jerr.text : "");
	if (!aq_date_parse(from, &cr.from) || !aq_date_parse(to, &cr.to))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "from and to must be dates YYYY-MM-DD.", NULL);
	if (cr.to < cr.from || cr.to - cr.from + 1 > MAX_WINDOW_DAYS || cr.to > aq_app_today(req->app))
		return aq_reply_errorf(
			req, AQ_ERR_INVALID_PARAMETER,
			"The window must run from a day to a later one, at most %d days, not past today.",
			MAX_WINDOW_DAYS);
	if (pollutants && !pollutant_list(pollutants, &cr.pollutants))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER,
				      "pollutants must list pm25, pm10, so2, no2, co or o3, each once.", NULL);
	if (valid_from && !(cr.has_valid_from = aq_date_parse(valid_from, &cr.valid_from)))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "valid_from must be a date YYYY-MM-DD.", NULL);
	if (cr.note && strlen(cr.note) >= sizeof c.note)
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "note is too long.", NULL);
	cr.humidity = humidity != 0;
	enum aq_status st = aq_quality_calibrate(req->app, req->params[0], &cr, &c, outcome, &problem);
	if (st == AQ_ERR_INSUFFICIENT_PAIRS || st == AQ_ERR_SINGULAR_FIT)
		return aq_reply_error(req, st, NULL,
				      aq_json_fit_problems(outcome, req->app->cfg->calibration_min_pairs));
	if (st != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	return aq_reply_json(req, MHD_HTTP_CREATED, aq_json_calibration(&c));
}

enum MHD_Result aq_handle_calibration_approve(struct aq_request *req)
{
	char *end;
	long long id = strtoll(req->params[1], &end, 10);
	const char *valid_from = NULL;
	int64_t day = 0;
	struct aq_calibration c;
	json_error_t jerr;
	if (*end || id <= 0)
		return aq_reply_error(req, AQ_ERR_NOT_FOUND, "No such calibration.", NULL);
	if (req->json && json_unpack_ex(req->json, &jerr, JSON_STRICT, "{s?s}", "valid_from", &valid_from) != 0)
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER,
				      "The body takes one field: valid_from (a date), or none.", NULL);
	if (valid_from && !aq_date_parse(valid_from, &day))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "valid_from must be a date YYYY-MM-DD.", NULL);
	enum aq_status st = aq_quality_approve(req->app, req->params[0], id, valid_from != NULL, day, &c);
	if (st == AQ_ERR_NOT_FOUND)
		return aq_reply_errorf(req, st, "Station %s has no calibration %lld.", req->params[0], id);
	if (st == AQ_ERR_CONFLICT)
		return aq_reply_errorf(req, st,
				       "Calibration %lld is approved already (version %d); fit a new one to change it.",
				       id, c.version);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	return aq_reply_json(req, MHD_HTTP_OK, aq_json_calibration(&c));
}
