/* status.c — the table behind enum aq_status: HTTP code, error code and default message. */
#include "aq_status.h"

static const struct {
	unsigned http;
	const char *code;
	const char *message;
} status_table[AQ_STATUS_COUNT] = {
	[AQ_OK] = {200, "ok", "OK."},
	[AQ_ERR_INVALID_JSON] = {400, "invalid_json", "The request body is not valid JSON."},
	[AQ_ERR_BAD_REQUEST] = {400, "bad_request", "The request is malformed."},
	[AQ_ERR_INVALID_WINDOW] = {400, "invalid_window", "The time window is reversed or too long."},
	[AQ_ERR_INSUFFICIENT_PAIRS] = {400, "insufficient_pairs",
				       "The window has too few co-located hours to fit a calibration."},
	[AQ_ERR_SINGULAR_FIT] = {400, "singular_fit",
				 "The window's values determine no unique fit (a constant series, or humidity "
				 "moving with the raw values)."},
	[AQ_ERR_UNAUTHORIZED] = {401, "unauthorized", "A valid bearer token is required."},
	[AQ_ERR_FORBIDDEN] = {403, "forbidden", "This token may not do that."},
	[AQ_ERR_NOT_FOUND] = {404, "not_found", "No such resource."},
	[AQ_ERR_UNKNOWN_STATION] = {404, "unknown_station", "No such station."},
	[AQ_ERR_NO_DATA] = {404, "no_data", "There are no readings for that day."},
	[AQ_ERR_METHOD_NOT_ALLOWED] = {405, "method_not_allowed", "Method not allowed on this resource."},
	[AQ_ERR_NOT_ACCEPTABLE] = {406, "not_acceptable", "The resource is not available in that format."},
	[AQ_ERR_CONFLICT] = {409, "conflict", "The request conflicts with the current state."},
	[AQ_ERR_BODY_TOO_LARGE] = {413, "body_too_large", "The request body is too large."},
	[AQ_ERR_URI_TOO_LONG] = {414, "uri_too_long", "The request URI is too long."},
	[AQ_ERR_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported_media_type", "Send the body as application/json."},
	[AQ_ERR_INVALID_READING] = {422, "invalid_reading", "The readings are not valid; nothing was stored."},
	[AQ_ERR_INVALID_PARAMETER] = {422, "invalid_parameter", "A parameter is not valid."},
	[AQ_ERR_RATE_LIMITED] = {429, "rate_limited", "Too many requests; retry later."},
	[AQ_ERR_HEADERS_TOO_LARGE] = {431, "headers_too_large", "The request headers are too large."},
	[AQ_ERR_INTERNAL] = {500, "internal", "Internal error."},
	[AQ_ERR_DB_UNAVAILABLE] = {503, "database_unavailable",
				   "The database is unavailable; nothing was stored. Retry later."},
	[AQ_ERR_DB_RETRY] = {503, "database_unavailable", "The database is busy. Retry later."},
};

unsigned aq_status_http(enum aq_status s)
{
	return (unsigned)s < AQ_STATUS_COUNT ? status_table[s].http : 500;
}

const char *aq_status_code(enum aq_status s)
{
	return (unsigned)s < AQ_STATUS_COUNT ? status_table[s].code : "internal";
}

const char *aq_status_message(enum aq_status s)
{
	return (unsigned)s < AQ_STATUS_COUNT ? status_table[s].message : "Internal error.";
}
