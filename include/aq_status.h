/* aq_status.h — the one status enum of aqrank. Every fallible function returns it; one table
 * (server/status.c) maps each status to its HTTP code, snake_case error code and message, so
 * the HTTP layer never invents an error shape of its own. */
#ifndef AQ_STATUS_H
#define AQ_STATUS_H

enum aq_status {
	AQ_OK = 0,
	AQ_ERR_INVALID_JSON,	       /* 400 */
	AQ_ERR_BAD_REQUEST,	       /* 400: a request HTTP itself refuses (NUL in the URI, ambiguous framing) */
	AQ_ERR_INVALID_WINDOW,	       /* 400: a time window reversed or too long */
	AQ_ERR_INSUFFICIENT_PAIRS,     /* 400: a calibration window with too few co-located hours */
	AQ_ERR_SINGULAR_FIT,	       /* 400: a calibration window that determines no fit */
	AQ_ERR_UNAUTHORIZED,	       /* 401, with WWW-Authenticate: Bearer */
	AQ_ERR_FORBIDDEN,	       /* 403 */
	AQ_ERR_NOT_FOUND,	       /* 404 */
	AQ_ERR_UNKNOWN_STATION,	       /* 404 */
	AQ_ERR_NO_DATA,		       /* 404 */
	AQ_ERR_METHOD_NOT_ALLOWED,     /* 405, with Allow */
	AQ_ERR_NOT_ACCEPTABLE,	       /* 406: a format (or Accept) the resource cannot be served as */
	AQ_ERR_CONFLICT,	       /* 409 */
	AQ_ERR_BODY_TOO_LARGE,	       /* 413 */
	AQ_ERR_URI_TOO_LONG,	       /* 414 */
	AQ_ERR_UNSUPPORTED_MEDIA_TYPE, /* 415 */
	AQ_ERR_INVALID_READING,	       /* 422 */
	AQ_ERR_INVALID_PARAMETER,      /* 422 */
	AQ_ERR_RATE_LIMITED,	       /* 429, with Retry-After */
	AQ_ERR_HEADERS_TOO_LARGE,      /* 431 */
	AQ_ERR_INTERNAL,	       /* 500 */
	AQ_ERR_DB_UNAVAILABLE,	       /* 503, with Retry-After */
	AQ_ERR_DB_RETRY,	       /* internal: serialization failure or deadlock, tx is retried */
	AQ_STATUS_COUNT
};

/* HTTP status code for s (500 for unknown values). */
unsigned aq_status_http(enum aq_status s);
/* snake_case error code for s, e.g. "invalid_json". Static string. */
const char *aq_status_code(enum aq_status s);
/* Default human sentence for s. Static string. */
const char *aq_status_message(enum aq_status s);

#endif
