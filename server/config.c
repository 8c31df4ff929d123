/* config.c — the configuration table: every AQRANK_* key with its type, bounds, default, flag
 * and meaning, and the parsers that apply text to it. Adding a key is one table row. */
#include "aq_config.h"
#include "aq_period.h"
#include "aq_addr.h"
#include "aq_clock.h"
#include "aq_reading.h"
#include "aq_time.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum key_type {
	T_STRING,     /* free text */
	T_SECRET,     /* token: at least 16 characters, never printed */
	T_INT,	      /* integer in [min, max] */
	T_DOUBLE,     /* number in [min, max] */
	T_ENUM,	      /* one of choices, stored as its index */
	T_TIMEZONE,   /* IANA name the tz database knows */
	T_INSTANT,    /* RFC 3339 timestamp; sets now_set too */
	T_LISTEN,     /* host:port */
	T_LISTEN_OPT, /* host:port or empty (off) */
	T_POLLUTANTS, /* comma list of pm25,pm10,so2,no2,co,o3 → bit mask */
	T_WEIGHTS,    /* pollutant:weight list → double[AQ_POLLUTANTS] */
	T_URL,	      /* http:// or https:// URL, or empty */
	T_ADDRLIST,   /* comma list of addresses and networks (aq_addr.h), or empty */
	T_CODE,	      /* a station code, or empty */
};

struct key_def {
	const char *key;
	const char *flag; /* command-line flag, or NULL */
	enum key_type type;
	size_t offset;
	const char *def;
	double min, max;
	const char *const *choices;
	const char *help;
};

static const char *const metric_choices[] = {"pm10", "pm25", "aqi", "composite", NULL};
static const char *const policy_choices[] = {"separate", "worst", NULL};
static const char *const log_format_choices[] = {"text", "json", NULL};
static const char *const log_level_choices[] = {"debug", "info", "warn", "error", NULL};
static const char *const webhook_choices[] = {"json", "dingtalk", "wecom", NULL};
static const char *const off_on_choices[] = {"off", "on", NULL};
/* In the order of enum aq_standard_pin. */
static const char *const standard_choices[] = {"auto", "HJ633-2012", "HJ633-2026", NULL};
static const char *const interview_by_choices[] = {"station", "unit", NULL};
/* Same order as enum aq_pollutant. */
static const char *const pollutant_names[] = {"pm25", "pm10", "so2", "no2", "co", "o3", NULL};

#define O(f) offsetof(struct aq_config, f)
static const struct key_def keys[] = {
	{"AQRANK_DATABASE_URL", "--database-url", T_STRING, O(database_url), "postgresql:///aqrank", 0, 0, NULL,
	 "libpq connection URI"},
	{"AQRANK_READ_DSN", NULL, T_STRING, O(read_dsn), "", 0, 0, NULL,
	 "libpq URI of a streaming replica for rankings, history and CSV (unset: the primary serves all)"},
	{"AQRANK_READ_MAX_LAG_S", NULL, T_DOUBLE, O(read_max_lag_s), "10", 0, 86400, NULL,
	 "a replica further behind the primary than this many seconds is bypassed"},
	{"AQRANK_LISTEN", "--listen", T_LISTEN, O(listen), "127.0.0.1:8080", 0, 0, NULL,
	 "HTTP address host:port (port 0 picks a free one)"},
	{"AQRANK_THREADS", "--threads", T_INT, O(threads), "16", 1, 256, NULL, "HTTP worker threads"},
	{"AQRANK_DB_POOL", NULL, T_INT, O(db_pool), "0", 0, 512, NULL, "database connections (0 = threads + 4)"},
	{"AQRANK_TIMEZONE", "--timezone", T_TIMEZONE, O(timezone), "Asia/Shanghai", 0, 0, NULL,
	 "time zone of local days and hours"},
	{"AQRANK_NOW", "--now", T_INSTANT, O(now_us), "", 0, 0, NULL,
	 "freeze the clock at this RFC 3339 instant (tests, replays)"},
	{"AQRANK_METRIC", "--metric", T_ENUM, O(metric), "pm10", 0, 0, metric_choices,
	 "ranking metric: pm10, pm25, aqi, composite"},
	{"AQRANK_COMPOSITE_POLLUTANTS", NULL, T_POLLUTANTS, O(composite_mask), "pm25,pm10", 0, 0, NULL,
	 "pollutants of the composite index"},
	{"AQRANK_AQI_STANDARD", NULL, T_ENUM, O(aqi_standard), "auto", 0, 0, standard_choices,
	 "AQI standard: auto (the one in force on the data's date), HJ633-2012, HJ633-2026"},
	{"AQRANK_COMPOSITE_WEIGHTS", NULL, T_WEIGHTS, O(composite_weights), "", 0, 0, NULL,
	 "period composite index weights, e.g. pm25:3,no2:2,o3:2 (unnamed pollutants weigh 1)"},
	{"AQRANK_INTERVIEW_BY", NULL, T_ENUM, O(interview_by), "station", 0, 0, interview_by_choices,
	 "who is summoned in the rankings' interview block: station or unit (street / township)"},
	{"AQRANK_MIN_HOURS", NULL, T_INT, O(min_hours), "20", 1, 24, NULL, "valid hours for a valid daily mean"},
	{"AQRANK_INSUFFICIENT", NULL, T_ENUM, O(insufficient), "separate", 0, 0, policy_choices,
	 "stations without a valid value: separate or worst"},
	{"AQRANK_INTERVIEW_COUNT", NULL, T_INT, O(interview_count), "3", 0, 1000, NULL,
	 "stations on the daily interview list"},
	{"AQRANK_FINALIZE_AFTER", NULL, T_INT, O(finalize_after), "7200", 0, 30 * 86400, NULL,
	 "seconds after a day ends before it is finalized"},
	{"AQRANK_FINALIZE_QUIET", NULL, T_INT, O(finalize_quiet), "5", 0, 1000000000, NULL,
	 "wait until backfill of past days has paused this many seconds before finalizing"},
	{"AQRANK_TODAY_DEBOUNCE_MS", NULL, T_INT, O(today_debounce_ms), "1000", 0, 600000, NULL,
	 "today's ranking, when it takes 20 ms or more to build, is rebuilt at most this often under "
	 "a stream of changes (0 = on every change)"},
	{"AQRANK_RETENTION_MONTHS", NULL, T_INT, O(retention_months), "0", 0, 1200, NULL,
	 "whole months of raw readings kept besides the current one; older monthly partitions move "
	 "to readings_archive (0 = keep all)"},
	{"AQRANK_RADIUS_KM", NULL, T_DOUBLE, O(radius_km), "3", 0.01, 1000, NULL, "radius around a national point, km"},
	{"AQRANK_DISTRICT_NAME", NULL, T_STRING, O(district_name), "本区", 0, 0, NULL,
	 "the district named in the bulletin's title (e.g. 东城区)"},
	{"AQRANK_BULLETIN_ISSUER", NULL, T_STRING, O(bulletin_issuer), "", 0, 0, NULL,
	 "the bulletin's issuing body (empty: the district's 生态环境局)"},
	{"AQRANK_PUBLIC_URL", NULL, T_URL, O(public_url), "", 0, 0, NULL,
	 "public base URL of the daemon (https://aq.example.gov.cn): the bulletin link pushed at finalization"},
	{"AQRANK_ADMIN_TOKEN", NULL, T_SECRET, O(admin_token), "", 0, 0, NULL,
	 "admin bearer token (unset: admin endpoints answer 403)"},
	{"AQRANK_READ_TOKEN", NULL, T_SECRET, O(read_token), "", 0, 0, NULL,
	 "when set, GET endpoints need it (or the admin token)"},
	{"AQRANK_METRICS_TOKEN", NULL, T_SECRET, O(metrics_token), "", 0, 0, NULL,
	 "when set, /metrics needs it (or the admin token); unset: /metrics needs what GETs need"},
	{"AQRANK_CORS_ORIGIN", NULL, T_STRING, O(cors_origin), "", 0, 0, NULL,
	 "Access-Control-Allow-Origin value (unset: no CORS)"},
	{"AQRANK_MAX_BODY", NULL, T_INT, O(max_body), "2097152", 1024, 1073741824.0, NULL,
	 "largest request body, bytes"},
	{"AQRANK_CONN_LIMIT", NULL, T_INT, O(conn_limit), "1024", 4, 100000, NULL, "open HTTP connections at most"},
	{"AQRANK_PER_IP_LIMIT", NULL, T_INT, O(per_ip_limit), "64", 0, 100000, NULL,
	 "open connections per client address, IPv6 per /64 (0 = no limit; trusted proxies exempt)"},
	{"AQRANK_CONN_TIMEOUT", NULL, T_INT, O(conn_timeout), "30", 1, 3600, NULL,
	 "seconds an idle or slow connection may stay open"},
	{"AQRANK_HEADER_TIMEOUT", NULL, T_INT, O(header_timeout), "10", 1, 3600, NULL,
	 "seconds a new connection has to send a whole request head, however slowly it trickles"},
	{"AQRANK_TRUSTED_PROXIES", NULL, T_ADDRLIST, O(trusted_proxies), "127.0.0.1,::1", 0, 0, NULL,
	 "reverse proxies (addresses, networks): no per-address connection limit, X-Real-IP believed"},
	{"AQRANK_AUTH_FAIL_LIMIT", NULL, T_INT, O(auth_fail_limit), "20", 0, 1000000, NULL,
	 "failed token checks a client address may make per minute, then 429 (0 = no limit)"},
	{"AQRANK_RATE_LIMIT", NULL, T_DOUBLE, O(rate_limit), "0", 0, 1e6, NULL,
	 "requests per second per token (0 = off)"},
	{"AQRANK_RATE_BURST", NULL, T_INT, O(rate_burst), "100", 1, 1000000, NULL,
	 "requests a token may burst above the rate"},
	{"AQRANK_TLS_CERT", NULL, T_STRING, O(tls_cert), "", 0, 0, NULL,
	 "PEM certificate file: serve HTTPS (with AQRANK_TLS_KEY)"},
	{"AQRANK_TLS_KEY", NULL, T_STRING, O(tls_key), "", 0, 0, NULL, "PEM private key file"},
	{"AQRANK_OFFLINE_AFTER", NULL, T_INT, O(offline_after), "3600", 60, 30 * 86400, NULL,
	 "offline alert after this many seconds without data (at least 2 × interval_s)"},
	{"AQRANK_ALERT_IAQI", NULL, T_INT, O(alert_iaqi), "150", 0, 500, NULL,
	 "exceedance alert when hourly PM IAQI is above this"},
	{"AQRANK_SPIKE_RATIO", NULL, T_DOUBLE, O(spike_ratio), "2", 1, 1000, NULL,
	 "spike: hourly PM at least this × the previous valid hour"},
	{"AQRANK_SPIKE_MIN", NULL, T_DOUBLE, O(spike_min), "100", 0, 100000, NULL,
	 "spike: and at least this many µg/m³ more"},
	{"AQRANK_FLATLINE_HOURS", NULL, T_INT, O(flatline_hours), "3", 1, 168, NULL,
	 "flatline: identical raw values spanning this many hours"},
	{"AQRANK_FLATLINE_READINGS", NULL, T_INT, O(flatline_readings), "3", 2, 100000, NULL,
	 "flatline: and at least this many readings"},
	{"AQRANK_INVERSION_RATIO", NULL, T_DOUBLE, O(inversion_ratio), "1.1", 1, 100, NULL,
	 "inversion: hourly PM2.5 above this × PM10"},
	{"AQRANK_INVERSION_MIN", NULL, T_DOUBLE, O(inversion_min), "5", 0, 10000, NULL,
	 "inversion: and PM2.5 − PM10 above this, µg/m³"},
	{"AQRANK_HOTSPOT_RATIO", NULL, T_DOUBLE, O(hotspot_ratio), "1.5", 1, 1000, NULL,
	 "hotspot: ring station PM above this × the national point's"},
	{"AQRANK_HOTSPOT_HOURS", NULL, T_INT, O(hotspot_hours), "3", 1, 48, NULL, "hotspot: this many hours in a row"},
	{"AQRANK_INTERFERENCE_DROP", NULL, T_DOUBLE, O(interference_drop), "0.5", 0, 1, NULL,
	 "interference: national PM drops more than this fraction in one hour"},
	{"AQRANK_INTERFERENCE_MIN", NULL, T_DOUBLE, O(interference_min), "50", 0, 10000, NULL,
	 "interference: and by at least this many µg/m³"},
	{"AQRANK_INTERFERENCE_STABLE", NULL, T_DOUBLE, O(interference_stable), "0.15", 0, 10, NULL,
	 "interference: while ring stations change less than this fraction"},
	{"AQRANK_DIVERGENCE_RATIO", NULL, T_DOUBLE, O(divergence_ratio), "1.5", 1, 1000, NULL,
	 "national_divergence: national PM above this × the ring median"},
	{"AQRANK_DIVERGENCE_RISE", NULL, T_DOUBLE, O(divergence_rise), "0.5", 0, 1000, NULL,
	 "national_divergence: or a rise of more than this fraction in one hour"},
	{"AQRANK_ALERT_FLOOR_IAQI", NULL, T_INT, O(alert_floor_iaqi), "50", 0, 500, NULL,
	 "hotspot, interference, national_divergence: the PM value must be above this IAQI's breakpoint"},
	{"AQRANK_ALERT_FLOOR_EXCESS", NULL, T_DOUBLE, O(alert_floor_excess), "15", 0, 10000, NULL,
	 "hotspot, interference, national_divergence: and differ from the reference by at least this, µg/m³"},
	{"AQRANK_ALERT_TICK", NULL, T_INT, O(alert_tick), "60", 1, 3600, NULL,
	 "seconds between periodic alert checks (offline, closed hours)"},
	{"AQRANK_EVENTS_KEEPALIVE", NULL, T_INT, O(events_keepalive), "15", 1, 3600, NULL,
	 "seconds between keep-alive comments on the event stream"},
	{"AQRANK_WEBHOOK_URL", NULL, T_URL, O(webhook_url), "", 0, 0, NULL,
	 "POST each opened alert here (unset: no webhook)"},
	{"AQRANK_WEBHOOK_FORMAT", NULL, T_ENUM, O(webhook_format), "json", 0, 0, webhook_choices,
	 "webhook body: json, dingtalk, wecom"},
	{"AQRANK_WEBHOOK_MAX_AGE", NULL, T_INT, O(webhook_max_age), "86400", 0, 365 * 86400, NULL,
	 "no push for alerts on data older than this many seconds"},
	{"AQRANK_WEBHOOK_TIMEOUT", NULL, T_INT, O(webhook_timeout), "10", 1, 600, NULL, "seconds per webhook attempt"},
	{"AQRANK_WIND_STATION", NULL, T_CODE, O(wind_station), "", 0, 0, NULL,
	 "station whose wind readings serve every national point's source analysis (unset: the point's own)"},
	{"AQRANK_QC", NULL, T_ENUM, O(qc), "on", 0, 0, off_on_choices,
	 "quality control of micro-stations' hourly PM: on or off (calibrations apply either way)"},
	{"AQRANK_QC_MAX_PM25", NULL, T_DOUBLE, O(qc_max_pm25), "1000", 0, 2000, NULL,
	 "range: PM2.5 hours above this are out of the sensor's range, µg/m³ (0 = no limit)"},
	{"AQRANK_QC_MAX_PM10", NULL, T_DOUBLE, O(qc_max_pm10), "2000", 0, 5000, NULL,
	 "range: PM10 hours above this are out of the sensor's range, µg/m³ (0 = no limit)"},
	{"AQRANK_QC_STUCK_HOURS", NULL, T_INT, O(qc_stuck_hours), "6", 0, 168, NULL,
	 "stuck: the same hourly PM value this many hours in a row (0 = off)"},
	{"AQRANK_QC_STEP_RATIO", NULL, T_DOUBLE, O(qc_step_ratio), "3", 0, 1000, NULL,
	 "step: an hour above this × (or below 1/this ×) the median of the station's last hours (0 = off)"},
	{"AQRANK_QC_STEP_HOURS", NULL, T_INT, O(qc_step_hours), "3", 1, 24, NULL,
	 "step: the last hours the median is taken over"},
	{"AQRANK_QC_STEP_MIN", NULL, T_DOUBLE, O(qc_step_min), "150", 0, 10000, NULL,
	 "step: and more than this far from it, µg/m³"},
	{"AQRANK_QC_INVERSION_RATIO", NULL, T_DOUBLE, O(qc_inversion_ratio), "1.1", 0, 100, NULL,
	 "inversion: hourly PM2.5 above this × PM10 (0 = off)"},
	{"AQRANK_QC_INVERSION_MIN", NULL, T_DOUBLE, O(qc_inversion_min), "5", 0, 10000, NULL,
	 "inversion: and PM2.5 − PM10 above this, µg/m³"},
	{"AQRANK_QC_HUMIDITY", NULL, T_DOUBLE, O(qc_humidity), "95", 0, 100, NULL,
	 "humidity: PM hours with mean relative humidity above this, % (0 = off)"},
	{"AQRANK_QC_MAD_K", NULL, T_DOUBLE, O(qc_mad_k), "3.5", 0, 100, NULL,
	 "divergence: further than k × 1.4826 × MAD from the ring's median (0 = off)"},
	{"AQRANK_QC_MAD_FLOOR", NULL, T_DOUBLE, O(qc_mad_floor), "25", 0, 10000, NULL,
	 "divergence: and further than this, µg/m³"},
	{"AQRANK_QC_MAD_MIN_STATIONS", NULL, T_INT, O(qc_mad_min_stations), "5", 3, 100000, NULL,
	 "divergence and step: a ring (or area) needs this many stations with a value that hour"},
	{"AQRANK_CALIBRATION_MIN_PAIRS", NULL, T_INT, O(calibration_min_pairs), "72", 3, 1000000, NULL,
	 "a calibration fit needs this many co-located hours"},
	{"AQRANK_CALIBRATION_DRIFT", NULL, T_DOUBLE, O(calibration_drift), "10", 0, 10000, NULL,
	 "calibration_drift alert: residual against the reference moved more than this, µg/m³ (0 = off)"},
	{"AQRANK_CALIBRATION_DRIFT_DAYS", NULL, T_INT, O(calibration_drift_days), "7", 2, 90, NULL,
	 "calibration_drift alert: over this many days"},
	{"AQRANK_HJ212_LISTEN", NULL, T_LISTEN_OPT, O(hj212_listen), "", 0, 0, NULL,
	 "HJ 212-2017 TCP address host:port (unset: off)"},
	{"AQRANK_HJ212_AUTH_BUDGET", NULL, T_INT, O(hj212_auth_budget), "5", 1, 1000, NULL,
	 "HJ 212 wrong passwords that lock a device's MN or a sender's address"},
	{"AQRANK_HJ212_LOCKOUT", NULL, T_INT, O(hj212_lockout), "3600", 0, 30 * 86400, NULL,
	 "seconds an HJ 212 lockout lasts (0: until an operator lifts it)"},
	{"AQRANK_LOG_FORMAT", "--log-format", T_ENUM, O(log_format), "text", 0, 0, log_format_choices,
	 "log lines: text or json"},
	{"AQRANK_LOG_LEVEL", "--log-level", T_ENUM, O(log_level), "info", 0, 0, log_level_choices,
	 "debug, info, warn, error"},
};
#undef O

static const struct key_def *find_key(const char *key)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

const char *aq_config_key_for_flag(const char *flag)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].flag && strcmp(keys[i].flag, flag) == 0)
			return keys[i].key;
	return NULL;
}

static bool parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || isspace((unsigned char)*s))
		return false;
	*out = v;
	return true;
}

static bool parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v) || isspace((unsigned char)*s))
		return false;
	*out = v;
	return true;
}

/* Splits "host:port" (host may be empty or a bracketed IPv6 address). */
static bool parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(s, ':');
	long p;
	if (!colon || (size_t)(colon - s) >= hostlen || !parse_long(colon + 1, &p) || p < 0 || p > 65535)
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (int)p;
	return true;
}

static bool parse_pollutants(const char *s, unsigned *mask)
{
	unsigned m = 0;
	const char *p = s;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;
		for (unsigned i = 0; pollutant_names[i]; i++) {
			if (strlen(pollutant_names[i]) == n && strncmp(p, pollutant_names[i], n) == 0) {
				m |= 1u << i;
				found = true;
			}
		}
		if (!found)
			return false;
		p += n;
		if (*p == ',')
			p++;
	}
	if (m == 0)
		return false;
	*mask = m;
	return true;
}

static bool replace_string(char **slot, const char *value)
{
	char *copy = strdup(value);
	if (!copy)
		return false;
	free(*slot);
	*slot = copy;
	return true;
}

bool aq_config_set(struct aq_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	const struct key_def *k = find_key(key);
	char *base = (char *)cfg;
	long l;
	double d;

	if (!k) {
		snprintf(err, errlen, "%s: unknown configuration key", key);
		return false;
	}
	void *slot = base + k->offset;
	switch (k->type) {
	case T_STRING: return replace_string((char **)slot, value);
	case T_SECRET:
		if (*value && strlen(value) < 16) {
			snprintf(err, errlen, "%s: a token needs at least 16 characters", key);
			return false;
		}
		return replace_string((char **)slot, value);
	case T_ADDRLIST: {
		struct aq_addr_list list;
		char inner[160];
		if (!aq_addr_list_parse(value, &list, inner, sizeof inner)) {
			snprintf(err, errlen, "%s: %s", key, inner);
			return false;
		}
		return replace_string((char **)slot, value);
	}
	case T_URL:
		if (*value && strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0) {
			snprintf(err, errlen, "%s=%s: must be an http:// or https:// URL", key, value);
			return false;
		}
		return replace_string((char **)slot, value);
	case T_CODE:
		if (*value && !aq_station_code_valid(value)) {
			snprintf(err, errlen, "%s=%s: must be a station code (letters, digits, _ . -; at most 32)", key,
				 value);
			return false;
		}
		return replace_string((char **)slot, value);
	case T_INT:
		if (!parse_long(value, &l) || l < k->min || l > k->max) {
			snprintf(err, errlen, "%s=%s: must be an integer from %.0f to %.0f", key, value, k->min,
				 k->max);
			return false;
		}
		if (k->offset == offsetof(struct aq_config, max_body))
			cfg->max_body = l;
		else
			*(int *)slot = (int)l;
		return true;
	case T_DOUBLE:
		if (!parse_double(value, &d) || d < k->min || d > k->max) {
			snprintf(err, errlen, "%s=%s: must be a number from %g to %g", key, value, k->min, k->max);
			return false;
		}
		*(double *)slot = d;
		return true;
	case T_ENUM:
		for (int i = 0; k->choices[i]; i++) {
			if (strcmp(value, k->choices[i]) == 0) {
				*(int *)slot = i;
				return true;
			}
		}
		snprintf(err, errlen, "%s=%s: must be one of", key, value);
		for (int i = 0; k->choices[i]; i++) {
			size_t used = strlen(err);
			snprintf(err + used, errlen - used, "%s %s", i ? "," : "", k->choices[i]);
		}
		return false;
	case T_TIMEZONE:
		if (!aq_timezone_valid(value)) {
			snprintf(err, errlen, "%s=%s: not a time zone of the tz database (e.g. Asia/Shanghai)", key,
				 value);
			return false;
		}
		return replace_string((char **)slot, value);
	case T_INSTANT: {
		const char *problem = NULL;
		if (!*value) {
			cfg->now_set = false;
			return true;
		}
		if (!aq_time_parse_rfc3339(value, &cfg->now_us, &problem)) {
			snprintf(err, errlen, "%s=%s: %s", key, value, problem);
			return false;
		}
		cfg->now_set = true;
		return true;
	}
	case T_LISTEN:
	case T_LISTEN_OPT: {
		char host[64] = {0};
		int port;
		bool is_hj = k->offset == offsetof(struct aq_config, hj212_listen);
		if (k->type == T_LISTEN_OPT && !*value) {
			cfg->hj212_port = -1;
			return replace_string((char **)slot, value);
		}
		if (!parse_listen(value, host, sizeof host, &port)) {
			snprintf(err, errlen, "%s=%s: must be host:port, e.g. 127.0.0.1:8080", key, value);
			return false;
		}
		if (!replace_string((char **)slot, value))
			return false;
		memcpy(is_hj ? cfg->hj212_host : cfg->listen_host, host, sizeof host);
		*(is_hj ? &cfg->hj212_port : &cfg->listen_port) = port;
		return true;
	}
	case T_WEIGHTS:
		if (!aq_weights_parse(value, (double *)slot)) {
			snprintf(
				err, errlen,
				"%s=%s: must be a comma list of pollutant:weight (pm25, pm10, so2, no2, co, o3; weights "
				"above 0, at most 100)",
				key, value);
			return false;
		}
		return true;
	case T_POLLUTANTS:
		if (!parse_pollutants(value, (unsigned *)slot)) {
			snprintf(err, errlen, "%s=%s: must be a comma list of pm25, pm10, so2, no2, co, o3", key,
				 value);
			return false;
		}
		return true;
	}
	return false;
}

void aq_config_init(struct aq_config *cfg)
{
	char err[256];
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		/* Defaults are valid by construction; a failure here is a bug in the table. */
		if (!aq_config_set(cfg, keys[i].key, keys[i].def, err, sizeof err))
			abort();
	}
}

void aq_config_cleanup(struct aq_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		switch (keys[i].type) {
		case T_STRING:
		case T_SECRET:
		case T_URL:
		case T_ADDRLIST:
		case T_CODE:
		case T_TIMEZONE:
		case T_LISTEN:
		case T_LISTEN_OPT: {
			char **slot = (char **)((char *)cfg + keys[i].offset);
			free(*slot);
			*slot = NULL;
			break;
		}
		default: break;
		}
	}
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

bool aq_config_load_text(struct aq_config *cfg, const char *text, const char *source, char *err, size_t errlen)
{
	char *copy = strdup(text);
	bool ok = true;
	int lineno = 0;
	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", source);
		return false;
	}
	for (char *line = copy, *next; line && ok; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s line %d: expected KEY=value", source, lineno);
			ok = false;
			break;
		}
		*eq = '\0';
		char *key = trim(s);
		char *value = trim(eq + 1);
		size_t n = strlen(value);
		if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0]) {
			value[n - 1] = '\0';
			value++;
		}
		char inner[512];
		if (!aq_config_set(cfg, key, value, inner, sizeof inner)) {
			snprintf(err, errlen, "%s line %d: %s", source, lineno, inner);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

bool aq_config_load_env(struct aq_config *cfg, char *const *envp, char *err, size_t errlen)
{
	for (; envp && *envp; envp++) {
		if (strncmp(*envp, "AQRANK_", 7) != 0)
			continue;
		const char *eq = strchr(*envp, '=');
		char key[128];
		if (!eq || (size_t)(eq - *envp) >= sizeof key) {
			snprintf(err, errlen, "environment: malformed variable");
			return false;
		}
		memcpy(key, *envp, (size_t)(eq - *envp));
		key[eq - *envp] = '\0';
		char inner[512];
		if (!aq_config_set(cfg, key, eq + 1, inner, sizeof inner)) {
			snprintf(err, errlen, "environment: %s", inner);
			return false;
		}
	}
	return true;
}

void aq_config_describe(FILE *out)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const struct key_def *k = &keys[i];
		fprintf(out, "  %-28s %-16s %s (default: %s)\n", k->key, k->flag ? k->flag : "", k->help,
			*k->def ? k->def : "unset");
	}
}
