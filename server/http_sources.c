/* http_sources.c — GET /api/v1/national/{code}/sources: where a national point's pollution
 * comes from. Parses the window and options, asks the sources service (cached per data
 * version) and replies through the JSON writer. */
#include "http_internal.h"
#include "aq_clock.h"
#include "aq_json_sources.h"
#include "aq_ranking.h"
#include "aq_sources_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result aq_handle_national_sources(struct aq_request *req)
{
	const struct aq_config *cfg = req->app->cfg;
	const char *pollutant = aq_request_query(req, "pollutant"), *radius = aq_request_query(req, "radius_km");
	const char *problem = NULL;
	struct aq_sources_query q = {.code = req->params[0],
				     .radius_km = cfg->radius_km,
				     .pollutant = cfg->metric == AQ_METRIC_PM25 ? 0 : 1};
	enum aq_status st = aq_sources_window(aq_request_query(req, "from"), aq_request_query(req, "to"),
					      aq_clock_now(&req->app->clock), &q.from_us, &q.to_us, &problem);
	if (st != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	if (pollutant && strcmp(pollutant, "pm25") != 0 && strcmp(pollutant, "pm10") != 0)
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "pollutant must be pm25 or pm10.", NULL);
	if (pollutant)
		q.pollutant = strcmp(pollutant, "pm10") == 0;
	if (radius) {
		char *end;
		q.radius_km = strtod(radius, &end);
		if (end == radius || *end || !(q.radius_km > 0 && q.radius_km <= 1000))
			return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER,
					      "radius_km must be a number above 0 and at most 1000.", NULL);
	}
	struct aq_sources_report *r = NULL;
	bool cached = false;
	if ((st = aq_sources_get(req->app, &q, &r, &problem, &cached)) != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	int64_t mark = aq_monotonic_us();
	json_t *json = aq_json_sources(r, cfg->timezone);
	char *body = json ? json_dumps(json, AQ_JSON_DUMP_FLAGS) : NULL;
	json_decref(json);
	/* Where the analysis went (a cached one: where it went when it was built), and the JSON. */
	snprintf(req->server_timing, sizeof req->server_timing,
		 "load;dur=%.1f, compute;dur=%.1f, render;dur=%.1f, cache;desc=%s", r->load_ms, r->compute_ms,
		 (double)(aq_monotonic_us() - mark) / 1000.0, cached ? "hit" : "miss");
	aq_sources_report_release(r);
	if (!body)
		return aq_reply_error(req, AQ_ERR_INTERNAL, NULL, NULL);
	return aq_reply_body(req, MHD_HTTP_OK, "application/json; charset=utf-8", body, strlen(body), NULL);
}
