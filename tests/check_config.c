/* check_config.c — Check suite for config.c: the default of every key (from SPEC §3–§7 where
 * the SPEC names one), good and bad values of every key type, messages that name the key,
 * EnvironmentFile text, the environment, file < env < flag precedence and the flag names. */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_aqi.h"
#include "aq_config.h"
#include "aq_ranking.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define O(f) offsetof(struct aq_config, f)

/* How to read one field of struct aq_config. */
enum field_type {
	F_INT,	    /* int */
	F_LONG,	    /* long */
	F_DOUBLE,   /* double */
	F_STR,	    /* char *, compared as text */
	F_ARRAY,    /* char [], compared as text */
	F_UNSIGNED, /* unsigned */
	F_BOOL,	    /* bool */
	F_INT64,    /* int64_t */
};

struct field_want {
	enum field_type type;
	size_t off;
	long long i;   /* F_INT F_LONG F_UNSIGNED F_BOOL F_INT64 */
	double d;      /* F_DOUBLE */
	const char *s; /* F_STR F_ARRAY */
};

/* Checks one field against want; returns NULL or a description of the mismatch in buf. */
static const char *field_mismatch(const struct aq_config *cfg, const struct field_want *w, char *buf, size_t size)
{
	const char *base = (const char *)cfg + w->off;
	switch (w->type) {
	case F_INT: {
		int v;
		memcpy(&v, base, sizeof v);
		if (v != w->i)
			snprintf(buf, size, "int %d, want %lld", v, w->i);
		else
			return NULL;
		return buf;
	}
	case F_LONG: {
		long v;
		memcpy(&v, base, sizeof v);
		if (v != w->i)
			snprintf(buf, size, "long %ld, want %lld", v, w->i);
		else
			return NULL;
		return buf;
	}
	case F_UNSIGNED: {
		unsigned v;
		memcpy(&v, base, sizeof v);
		if ((long long)v != w->i)
			snprintf(buf, size, "unsigned %#x, want %#llx", v, w->i);
		else
			return NULL;
		return buf;
	}
	case F_BOOL: {
		bool v;
		memcpy(&v, base, sizeof v);
		if ((long long)v != w->i)
			snprintf(buf, size, "bool %d, want %lld", v, w->i);
		else
			return NULL;
		return buf;
	}
	case F_INT64: {
		int64_t v;
		memcpy(&v, base, sizeof v);
		if (v != w->i)
			snprintf(buf, size, "int64 %lld, want %lld", (long long)v, w->i);
		else
			return NULL;
		return buf;
	}
	case F_DOUBLE: {
		double v;
		memcpy(&v, base, sizeof v);
		if (v != w->d)
			snprintf(buf, size, "double %.17g, want %.17g", v, w->d);
		else
			return NULL;
		return buf;
	}
	case F_STR: {
		const char *v;
		memcpy(&v, base, sizeof v);
		if (!v || strcmp(v, w->s) != 0)
			snprintf(buf, size, "string \"%s\", want \"%s\"", v ? v : "(null)", w->s);
		else
			return NULL;
		return buf;
	}
	case F_ARRAY:
		if (strcmp(base, w->s) != 0)
			snprintf(buf, size, "text \"%s\", want \"%s\"", base, w->s);
		else
			return NULL;
		return buf;
	}
	snprintf(buf, size, "bad field type");
	return buf;
}

#define FI(f, v)                          \
	{                                 \
		F_INT, O(f), (v), 0, NULL \
	}
#define FL(f, v)                           \
	{                                  \
		F_LONG, O(f), (v), 0, NULL \
	}
#define FD(f, v)                             \
	{                                    \
		F_DOUBLE, O(f), 0, (v), NULL \
	}
#define FS(f, v)                       \
	{                              \
		F_STR, O(f), 0, 0, (v) \
	}
#define FA(f, v)                         \
	{                                \
		F_ARRAY, O(f), 0, 0, (v) \
	}
#define FU(f, v)                               \
	{                                      \
		F_UNSIGNED, O(f), (v), 0, NULL \
	}
#define FB(f, v)                           \
	{                                  \
		F_BOOL, O(f), (v), 0, NULL \
	}
#define F64(f, v)                           \
	{                                   \
		F_INT64, O(f), (v), 0, NULL \
	}

#define BIT(p) AQ_POLLUTANT_BIT(p)

/* --- defaults --- */

struct default_case {
	const char *key; /* the key whose default this is, or NULL for a derived field */
	struct field_want want;
};

static const struct default_case defaults[] = {
	{"AQRANK_DATABASE_URL", FS(database_url, "postgresql:///aqrank")},
	{"AQRANK_READ_DSN", FS(read_dsn, "")},
	{"AQRANK_READ_MAX_LAG_S", FD(read_max_lag_s, 10)},
	{"AQRANK_LISTEN", FS(listen, "127.0.0.1:8080")},
	{NULL, FA(listen_host, "127.0.0.1")},
	{NULL, FI(listen_port, 8080)},
	{"AQRANK_THREADS", FI(threads, 16)},
	{"AQRANK_DB_POOL", FI(db_pool, 0)},
	{"AQRANK_TIMEZONE", FS(timezone, "Asia/Shanghai")},
	{"AQRANK_NOW", FB(now_set, false)},
	{"AQRANK_METRIC", FI(metric, AQ_METRIC_PM10)},
	{"AQRANK_COMPOSITE_POLLUTANTS", FU(composite_mask, BIT(AQ_PM25) | BIT(AQ_PM10))},
	{"AQRANK_AQI_STANDARD", FI(aqi_standard, 0)},
	{"AQRANK_COMPOSITE_WEIGHTS", FD(composite_weights[0], 1)},
	{NULL, FD(composite_weights[3], 1)},
	{"AQRANK_INTERVIEW_BY", FI(interview_by, 0)},
	{"AQRANK_MIN_HOURS", FI(min_hours, 20)},
	{"AQRANK_INSUFFICIENT", FI(insufficient, AQ_INSUFFICIENT_SEPARATE)},
	{"AQRANK_INTERVIEW_COUNT", FI(interview_count, 3)},
	{"AQRANK_FINALIZE_AFTER", FI(finalize_after, 7200)},
	{"AQRANK_FINALIZE_QUIET", FI(finalize_quiet, 5)},
	{"AQRANK_RETENTION_MONTHS", FI(retention_months, 0)},
	{"AQRANK_TODAY_DEBOUNCE_MS", FI(today_debounce_ms, 1000)},
	{"AQRANK_RADIUS_KM", FD(radius_km, 3)},
	{"AQRANK_ADMIN_TOKEN", FS(admin_token, "")},
	{"AQRANK_READ_TOKEN", FS(read_token, "")},
	{"AQRANK_METRICS_TOKEN", FS(metrics_token, "")},
	{"AQRANK_CORS_ORIGIN", FS(cors_origin, "")},
	{"AQRANK_DISTRICT_NAME", FS(district_name, "本区")},
	{"AQRANK_BULLETIN_ISSUER", FS(bulletin_issuer, "")},
	{"AQRANK_PUBLIC_URL", FS(public_url, "")},
	{"AQRANK_MAX_BODY", FL(max_body, 2 * 1024 * 1024)},
	{"AQRANK_CONN_LIMIT", FI(conn_limit, 1024)},
	{"AQRANK_PER_IP_LIMIT", FI(per_ip_limit, 64)},
	{"AQRANK_CONN_TIMEOUT", FI(conn_timeout, 30)},
	{"AQRANK_HEADER_TIMEOUT", FI(header_timeout, 10)},
	{"AQRANK_TRUSTED_PROXIES", FS(trusted_proxies, "127.0.0.1,::1")},
	{"AQRANK_AUTH_FAIL_LIMIT", FI(auth_fail_limit, 20)},
	{"AQRANK_RATE_LIMIT", FD(rate_limit, 0)},
	{"AQRANK_RATE_BURST", FI(rate_burst, 100)},
	{"AQRANK_TLS_CERT", FS(tls_cert, "")},
	{"AQRANK_TLS_KEY", FS(tls_key, "")},
	{"AQRANK_OFFLINE_AFTER", FI(offline_after, 3600)},
	{"AQRANK_ALERT_IAQI", FI(alert_iaqi, 150)},
	{"AQRANK_SPIKE_RATIO", FD(spike_ratio, 2)},
	{"AQRANK_SPIKE_MIN", FD(spike_min, 100)},
	{"AQRANK_FLATLINE_HOURS", FI(flatline_hours, 3)},
	{"AQRANK_FLATLINE_READINGS", FI(flatline_readings, 3)},
	{"AQRANK_INVERSION_RATIO", FD(inversion_ratio, 1.1)},
	{"AQRANK_INVERSION_MIN", FD(inversion_min, 5)},
	{"AQRANK_HOTSPOT_RATIO", FD(hotspot_ratio, 1.5)},
	{"AQRANK_HOTSPOT_HOURS", FI(hotspot_hours, 3)},
	{"AQRANK_INTERFERENCE_DROP", FD(interference_drop, 0.5)},
	{"AQRANK_INTERFERENCE_MIN", FD(interference_min, 50)},
	{"AQRANK_INTERFERENCE_STABLE", FD(interference_stable, 0.15)},
	{"AQRANK_DIVERGENCE_RATIO", FD(divergence_ratio, 1.5)},
	{"AQRANK_DIVERGENCE_RISE", FD(divergence_rise, 0.5)},
	{"AQRANK_ALERT_FLOOR_IAQI", FI(alert_floor_iaqi, 50)},
	{"AQRANK_ALERT_FLOOR_EXCESS", FD(alert_floor_excess, 15)},
	{"AQRANK_ALERT_TICK", FI(alert_tick, 60)},
	{"AQRANK_EVENTS_KEEPALIVE", FI(events_keepalive, 15)},
	{"AQRANK_WEBHOOK_URL", FS(webhook_url, "")},
	{"AQRANK_WEBHOOK_FORMAT", FI(webhook_format, AQ_WEBHOOK_JSON)},
	{"AQRANK_WEBHOOK_MAX_AGE", FI(webhook_max_age, 86400)},
	{"AQRANK_WEBHOOK_TIMEOUT", FI(webhook_timeout, 10)},
	{"AQRANK_WIND_STATION", FS(wind_station, "")},
	{"AQRANK_QC", FI(qc, 1)},
	{"AQRANK_QC_MAX_PM25", FD(qc_max_pm25, 1000)},
	{"AQRANK_QC_MAX_PM10", FD(qc_max_pm10, 2000)},
	{"AQRANK_QC_STUCK_HOURS", FI(qc_stuck_hours, 6)},
	{"AQRANK_QC_STEP_RATIO", FD(qc_step_ratio, 3)},
	{"AQRANK_QC_STEP_HOURS", FI(qc_step_hours, 3)},
	{"AQRANK_QC_STEP_MIN", FD(qc_step_min, 150)},
	{"AQRANK_QC_INVERSION_RATIO", FD(qc_inversion_ratio, 1.1)},
	{"AQRANK_QC_INVERSION_MIN", FD(qc_inversion_min, 5)},
	{"AQRANK_QC_HUMIDITY", FD(qc_humidity, 95)},
	{"AQRANK_QC_MAD_K", FD(qc_mad_k, 3.5)},
	{"AQRANK_QC_MAD_FLOOR", FD(qc_mad_floor, 25)},
	{"AQRANK_QC_MAD_MIN_STATIONS", FI(qc_mad_min_stations, 5)},
	{"AQRANK_CALIBRATION_MIN_PAIRS", FI(calibration_min_pairs, 72)},
	{"AQRANK_CALIBRATION_DRIFT", FD(calibration_drift, 10)},
	{"AQRANK_CALIBRATION_DRIFT_DAYS", FI(calibration_drift_days, 7)},
	{"AQRANK_HJ212_LISTEN", FS(hj212_listen, "")},
	{"AQRANK_HJ212_AUTH_BUDGET", FI(hj212_auth_budget, 5)},
	{"AQRANK_HJ212_LOCKOUT", FI(hj212_lockout, 3600)},
	{NULL, FI(hj212_port, -1)},
	{NULL, FA(hj212_host, "")},
	{"AQRANK_LOG_FORMAT", FI(log_format, AQ_LOG_FORMAT_TEXT)},
	{"AQRANK_LOG_LEVEL", FI(log_level, AQ_LOG_INFO)},
	{NULL, FB(no_migrate, false)},
};

START_TEST(test_default)
{
	const struct default_case *c = &defaults[_i];
	struct aq_config cfg;
	char why[160];
	aq_config_init(&cfg);
	const char *bad = field_mismatch(&cfg, &c->want, why, sizeof why);
	aq_config_cleanup(&cfg);
	ck_assert_msg(bad == NULL, "default of %s (field at %zu): %s", c->key ? c->key : "(derived)", c->want.off, bad);
}
END_TEST

/* Every key of the table above is documented by aq_config_describe. */
START_TEST(test_describe_lists_key)
{
	const char *key = defaults[_i].key;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	aq_config_describe(f);
	fclose(f);
	if (key)
		ck_assert_msg(strstr(text, key) != NULL, "%s missing from aq_config_describe", key);
	else
		ck_assert_uint_gt(len, 0);
	free(text);
}
END_TEST

/* The other way round: every key aq_config_describe lists has its default checked above, so
 * a new key cannot arrive without a test of its default. */
START_TEST(test_every_key_has_default_case)
{
	char *text = NULL, *save = NULL;
	size_t len = 0;
	int keys = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	aq_config_describe(f);
	fclose(f);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[64];
		if (sscanf(line, " %63s", key) != 1 || strncmp(key, "AQRANK_", 7) != 0)
			continue;
		keys++;
		bool found = false;
		for (int i = 0; i < N(defaults) && !found; i++)
			found = defaults[i].key && strcmp(defaults[i].key, key) == 0;
		ck_assert_msg(found, "%s has no default case in check_config.c", key);
	}
	free(text);
	ck_assert_int_ge(keys, 40);
}
END_TEST

/* Every key the table names is known to aq_config_set: whatever the value, the key itself is
 * never reported as unknown. */
START_TEST(test_default_key_known)
{
	const char *key = defaults[_i].key;
	struct aq_config cfg;
	char err[256] = "";
	if (!key)
		return;
	aq_config_init(&cfg);
	bool ok = aq_config_set(&cfg, key, "no such value!", err, sizeof err);
	if (!ok)
		ck_assert_msg(strstr(err, "unknown") == NULL, "%s: %s", key, err);
	aq_config_cleanup(&cfg);
}
END_TEST

/* --- good values --- */

struct good_case {
	const char *key;
	const char *value;
	struct field_want want;
};

#define SECRET16 "0123456789abcdef"

static const struct good_case good_cases[] = {
	/* int bounds */
	{"AQRANK_THREADS", "1", FI(threads, 1)},
	{"AQRANK_THREADS", "256", FI(threads, 256)},
	{"AQRANK_THREADS", "16", FI(threads, 16)},
	{"AQRANK_DB_POOL", "0", FI(db_pool, 0)},
	{"AQRANK_DB_POOL", "512", FI(db_pool, 512)},
	{"AQRANK_MIN_HOURS", "1", FI(min_hours, 1)},
	{"AQRANK_MIN_HOURS", "24", FI(min_hours, 24)},
	{"AQRANK_INTERVIEW_COUNT", "0", FI(interview_count, 0)},
	{"AQRANK_INTERVIEW_COUNT", "1000", FI(interview_count, 1000)},
	{"AQRANK_FINALIZE_AFTER", "2592000", FI(finalize_after, 2592000)},
	{"AQRANK_FINALIZE_QUIET", "0", FI(finalize_quiet, 0)},
	{"AQRANK_MAX_BODY", "1024", FL(max_body, 1024)},
	{"AQRANK_MAX_BODY", "1073741824", FL(max_body, 1073741824L)},
	{"AQRANK_CONN_LIMIT", "4", FI(conn_limit, 4)},
	{"AQRANK_PER_IP_LIMIT", "0", FI(per_ip_limit, 0)},
	{"AQRANK_HEADER_TIMEOUT", "1", FI(header_timeout, 1)},
	{"AQRANK_AUTH_FAIL_LIMIT", "0", FI(auth_fail_limit, 0)},
	/* address lists */
	{"AQRANK_TRUSTED_PROXIES", "", FS(trusted_proxies, "")},
	{"AQRANK_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16,[::1],2001:db8::/32",
	 FS(trusted_proxies, "10.0.0.5, 10.1.0.0/16,[::1],2001:db8::/32")},
	{"AQRANK_OFFLINE_AFTER", "60", FI(offline_after, 60)},
	{"AQRANK_ALERT_IAQI", "0", FI(alert_iaqi, 0)},
	{"AQRANK_ALERT_IAQI", "500", FI(alert_iaqi, 500)},
	{"AQRANK_FLATLINE_READINGS", "2", FI(flatline_readings, 2)},
	{"AQRANK_WEBHOOK_MAX_AGE", "31536000", FI(webhook_max_age, 31536000)},
	{"AQRANK_WEBHOOK_TIMEOUT", "600", FI(webhook_timeout, 600)},
	{"AQRANK_HJ212_AUTH_BUDGET", "1", FI(hj212_auth_budget, 1)},
	{"AQRANK_HJ212_AUTH_BUDGET", "1000", FI(hj212_auth_budget, 1000)},
	{"AQRANK_HJ212_LOCKOUT", "0", FI(hj212_lockout, 0)},
	{"AQRANK_HJ212_LOCKOUT", "2592000", FI(hj212_lockout, 2592000)},
	/* doubles */
	{"AQRANK_RADIUS_KM", "0.01", FD(radius_km, 0.01)},
	{"AQRANK_RADIUS_KM", "1000", FD(radius_km, 1000)},
	{"AQRANK_RADIUS_KM", "2.5", FD(radius_km, 2.5)},
	{"AQRANK_RADIUS_KM", "5", FD(radius_km, 5)},
	{"AQRANK_RADIUS_KM", "1e1", FD(radius_km, 10)},
	{"AQRANK_RATE_LIMIT", "0", FD(rate_limit, 0)},
	{"AQRANK_RATE_LIMIT", "1e6", FD(rate_limit, 1e6)},
	{"AQRANK_RATE_LIMIT", "0.5", FD(rate_limit, 0.5)},
	{"AQRANK_INTERFERENCE_DROP", "0", FD(interference_drop, 0)},
	{"AQRANK_INTERFERENCE_DROP", "1", FD(interference_drop, 1)},
	{"AQRANK_SPIKE_RATIO", "1", FD(spike_ratio, 1)},
	{"AQRANK_INVERSION_RATIO", "1.25", FD(inversion_ratio, 1.25)},
	{"AQRANK_QC_STUCK_HOURS", "0", FI(qc_stuck_hours, 0)},
	{"AQRANK_QC_HUMIDITY", "90", FD(qc_humidity, 90)},
	{"AQRANK_QC_MAD_K", "0", FD(qc_mad_k, 0)},
	{"AQRANK_CALIBRATION_MIN_PAIRS", "3", FI(calibration_min_pairs, 3)},
	{"AQRANK_QC", "off", FI(qc, 0)},
	{"AQRANK_QC", "on", FI(qc, 1)},
	/* enums: every choice, stored as its index */
	{"AQRANK_METRIC", "pm10", FI(metric, AQ_METRIC_PM10)},
	{"AQRANK_METRIC", "pm25", FI(metric, AQ_METRIC_PM25)},
	{"AQRANK_METRIC", "aqi", FI(metric, AQ_METRIC_AQI)},
	{"AQRANK_METRIC", "composite", FI(metric, AQ_METRIC_COMPOSITE)},
	{"AQRANK_AQI_STANDARD", "HJ633-2012", FI(aqi_standard, 1)},
	{"AQRANK_AQI_STANDARD", "HJ633-2026", FI(aqi_standard, 2)},
	{"AQRANK_AQI_STANDARD", "auto", FI(aqi_standard, 0)},
	{"AQRANK_COMPOSITE_WEIGHTS", "pm25:3,no2:2,o3:2", FD(composite_weights[0], 3)},
	{"AQRANK_COMPOSITE_WEIGHTS", "pm25:3,no2:2,o3:2", FD(composite_weights[1], 1)},
	{"AQRANK_COMPOSITE_WEIGHTS", " no2 : 2.5 ", FD(composite_weights[3], 2.5)},
	{"AQRANK_INTERVIEW_BY", "unit", FI(interview_by, 1)},
	{"AQRANK_INSUFFICIENT", "separate", FI(insufficient, AQ_INSUFFICIENT_SEPARATE)},
	{"AQRANK_INSUFFICIENT", "worst", FI(insufficient, AQ_INSUFFICIENT_WORST)},
	{"AQRANK_LOG_FORMAT", "text", FI(log_format, AQ_LOG_FORMAT_TEXT)},
	{"AQRANK_LOG_FORMAT", "json", FI(log_format, AQ_LOG_FORMAT_JSON)},
	{"AQRANK_LOG_LEVEL", "debug", FI(log_level, AQ_LOG_DEBUG)},
	{"AQRANK_LOG_LEVEL", "info", FI(log_level, AQ_LOG_INFO)},
	{"AQRANK_LOG_LEVEL", "warn", FI(log_level, AQ_LOG_WARN)},
	{"AQRANK_LOG_LEVEL", "error", FI(log_level, AQ_LOG_ERROR)},
	{"AQRANK_WEBHOOK_FORMAT", "json", FI(webhook_format, AQ_WEBHOOK_JSON)},
	{"AQRANK_WEBHOOK_FORMAT", "dingtalk", FI(webhook_format, AQ_WEBHOOK_DINGTALK)},
	{"AQRANK_WEBHOOK_FORMAT", "wecom", FI(webhook_format, AQ_WEBHOOK_WECOM)},
	/* time zones */
	{"AQRANK_TIMEZONE", "UTC", FS(timezone, "UTC")},
	{"AQRANK_TIMEZONE", "Europe/Berlin", FS(timezone, "Europe/Berlin")},
	{"AQRANK_TIMEZONE", "Asia/Urumqi", FS(timezone, "Asia/Urumqi")},
	/* the frozen clock */
	{"AQRANK_NOW", "2017-12-07T14:00:00+08:00", F64(now_us, INT64_C(1512626400000000))},
	{"AQRANK_NOW", "2017-12-07T14:00:00+08:00", FB(now_set, true)},
	{"AQRANK_NOW", "2017-12-07T06:00:00.25Z", F64(now_us, INT64_C(1512626400250000))},
	{"AQRANK_NOW", "", FB(now_set, false)},
	/* listen addresses */
	{"AQRANK_LISTEN", "0.0.0.0:9090", FS(listen, "0.0.0.0:9090")},
	{"AQRANK_LISTEN", "0.0.0.0:9090", FA(listen_host, "0.0.0.0")},
	{"AQRANK_LISTEN", "0.0.0.0:9090", FI(listen_port, 9090)},
	{"AQRANK_LISTEN", "127.0.0.1:0", FI(listen_port, 0)},
	{"AQRANK_LISTEN", "127.0.0.1:65535", FI(listen_port, 65535)},
	{"AQRANK_LISTEN", ":8081", FA(listen_host, "")},
	{"AQRANK_LISTEN", ":8081", FI(listen_port, 8081)},
	{"AQRANK_LISTEN", "[::1]:8082", FA(listen_host, "[::1]")},
	{"AQRANK_LISTEN", "[::1]:8082", FI(listen_port, 8082)},
	{"AQRANK_HJ212_LISTEN", "0.0.0.0:9000", FS(hj212_listen, "0.0.0.0:9000")},
	{"AQRANK_HJ212_LISTEN", "0.0.0.0:9000", FA(hj212_host, "0.0.0.0")},
	{"AQRANK_HJ212_LISTEN", "0.0.0.0:9000", FI(hj212_port, 9000)},
	{"AQRANK_HJ212_LISTEN", "0.0.0.0:9000", FI(listen_port, 8080)}, /* the HTTP one untouched */
	{"AQRANK_HJ212_LISTEN", "", FI(hj212_port, -1)},
	{"AQRANK_LISTEN", "10.0.0.1:1234", FI(hj212_port, -1)}, /* the HJ 212 one untouched */
	/* pollutant lists */
	{"AQRANK_COMPOSITE_POLLUTANTS", "pm25", FU(composite_mask, BIT(AQ_PM25))},
	{"AQRANK_COMPOSITE_POLLUTANTS", "o3", FU(composite_mask, BIT(AQ_O3))},
	{"AQRANK_COMPOSITE_POLLUTANTS", "co,o3", FU(composite_mask, BIT(AQ_CO) | BIT(AQ_O3))},
	{"AQRANK_COMPOSITE_POLLUTANTS", "pm25,pm10,so2,no2,co,o3", FU(composite_mask, AQ_POLLUTANT_ALL_MASK)},
	{"AQRANK_COMPOSITE_POLLUTANTS", "o3,co,no2,so2,pm10,pm25", FU(composite_mask, AQ_POLLUTANT_ALL_MASK)},
	{"AQRANK_COMPOSITE_POLLUTANTS", "pm10,pm10", FU(composite_mask, BIT(AQ_PM10))},
	/* URLs */
	{"AQRANK_WEBHOOK_URL", "http://127.0.0.1:9/hook", FS(webhook_url, "http://127.0.0.1:9/hook")},
	{"AQRANK_WEBHOOK_URL", "https://oapi.dingtalk.com/robot/send?access_token=abc",
	 FS(webhook_url, "https://oapi.dingtalk.com/robot/send?access_token=abc")},
	{"AQRANK_WEBHOOK_URL", "", FS(webhook_url, "")},
	{"AQRANK_WIND_STATION", "MET-01", FS(wind_station, "MET-01")},
	{"AQRANK_WIND_STATION", "", FS(wind_station, "")},
	{"AQRANK_PUBLIC_URL", "https://aq.example.gov.cn", FS(public_url, "https://aq.example.gov.cn")},
	{"AQRANK_DISTRICT_NAME", "东城区", FS(district_name, "东城区")},
	/* secrets */
	{"AQRANK_ADMIN_TOKEN", SECRET16, FS(admin_token, SECRET16)},
	{"AQRANK_ADMIN_TOKEN", "", FS(admin_token, "")},
	{"AQRANK_READ_TOKEN", SECRET16 SECRET16, FS(read_token, SECRET16 SECRET16)},
	{"AQRANK_METRICS_TOKEN", SECRET16, FS(metrics_token, SECRET16)},
	/* free text */
	{"AQRANK_DATABASE_URL", "postgresql://aq@db.example:5433/aqrank?sslmode=require",
	 FS(database_url, "postgresql://aq@db.example:5433/aqrank?sslmode=require")},
	{"AQRANK_CORS_ORIGIN", "*", FS(cors_origin, "*")},
	{"AQRANK_TLS_CERT", "/etc/aqrank/cert.pem", FS(tls_cert, "/etc/aqrank/cert.pem")},
};

START_TEST(test_set_good)
{
	const struct good_case *c = &good_cases[_i];
	struct aq_config cfg;
	char err[256] = "";
	char why[160];
	aq_config_init(&cfg);
	bool ok = aq_config_set(&cfg, c->key, c->value, err, sizeof err);
	const char *bad = ok ? field_mismatch(&cfg, &c->want, why, sizeof why) : NULL;
	aq_config_cleanup(&cfg);
	ck_assert_msg(ok, "%s=%s rejected: %s", c->key, c->value, err);
	ck_assert_msg(bad == NULL, "%s=%s: %s", c->key, c->value, bad);
}
END_TEST

/* --- bad values --- */

struct bad_case {
	const char *key;
	const char *value;
	const char *rule; /* a substring of the message besides the key, or NULL */
};

static const struct bad_case bad_cases[] = {
	/* int */
	{"AQRANK_THREADS", "0", "from 1 to 256"},
	{"AQRANK_THREADS", "257", "from 1 to 256"},
	{"AQRANK_THREADS", "-1", "integer"},
	{"AQRANK_THREADS", "", "integer"},
	{"AQRANK_THREADS", "eight", "integer"},
	{"AQRANK_THREADS", "8.0", "integer"},
	{"AQRANK_THREADS", "8 ", "integer"},
	{"AQRANK_THREADS", " 8", "integer"},
	{"AQRANK_THREADS", "0x10", "integer"},
	{"AQRANK_THREADS", "8k", "integer"},
	{"AQRANK_THREADS", "99999999999999999999999", "integer"},
	{"AQRANK_MIN_HOURS", "0", "from 1 to 24"},
	{"AQRANK_QC", "yes", "one of off, on"},
	{"AQRANK_QC_HUMIDITY", "101", "from 0 to 100"},
	{"AQRANK_QC_MAD_MIN_STATIONS", "2", "from 3 to 100000"},
	{"AQRANK_CALIBRATION_MIN_PAIRS", "2", "from 3 to 1000000"},
	{"AQRANK_CALIBRATION_DRIFT_DAYS", "1", "from 2 to 90"},
	{"AQRANK_MIN_HOURS", "25", "from 1 to 24"},
	{"AQRANK_MAX_BODY", "1023", "from 1024 to 1073741824"},
	{"AQRANK_MAX_BODY", "1073741825", "from 1024 to 1073741824"},
	{"AQRANK_OFFLINE_AFTER", "59", "integer"},
	{"AQRANK_ALERT_IAQI", "501", "integer"},
	{"AQRANK_INTERVIEW_COUNT", "-1", "integer"},
	{"AQRANK_FLATLINE_READINGS", "1", "integer"},
	{"AQRANK_FINALIZE_QUIET", "-1", "integer"},
	/* double */
	{"AQRANK_RADIUS_KM", "0", "number"},
	{"AQRANK_RADIUS_KM", "0.009", "number"},
	{"AQRANK_RADIUS_KM", "1000.5", "number"},
	{"AQRANK_RADIUS_KM", "-3", "number"},
	{"AQRANK_RADIUS_KM", "", "number"},
	{"AQRANK_RADIUS_KM", "three", "number"},
	{"AQRANK_RADIUS_KM", "3km", "number"},
	{"AQRANK_RADIUS_KM", "3,5", "number"},
	{"AQRANK_RADIUS_KM", "nan", "number"},
	{"AQRANK_RADIUS_KM", "inf", "number"},
	{"AQRANK_RADIUS_KM", " 3", "number"},
	{"AQRANK_RADIUS_KM", "1e999", "number"},
	{"AQRANK_INTERFERENCE_DROP", "1.01", "from 0 to 1"},
	{"AQRANK_INTERFERENCE_DROP", "-0.01", "from 0 to 1"},
	{"AQRANK_SPIKE_RATIO", "0.99", "number"},
	{"AQRANK_RATE_LIMIT", "1000001", "number"},
	/* enums: case, near-misses, empty */
	{"AQRANK_METRIC", "PM10", "pm10, pm25, aqi, composite"},
	{"AQRANK_AQI_STANDARD", "HJ633-2019", "auto, HJ633-2012, HJ633-2026"},
	{"AQRANK_COMPOSITE_WEIGHTS", "pm25=3", "pollutant:weight"},
	{"AQRANK_COMPOSITE_WEIGHTS", "pm2.5:3", "pollutant:weight"},
	{"AQRANK_COMPOSITE_WEIGHTS", "pm25:0", "pollutant:weight"},
	{"AQRANK_COMPOSITE_WEIGHTS", "pm25:3,", "pollutant:weight"},
	{"AQRANK_INTERVIEW_BY", "street", "station, unit"},
	{"AQRANK_AQI_STANDARD", "hj633-2026", "auto, HJ633-2012, HJ633-2026"},
	{"AQRANK_METRIC", "pm2.5", "one of"},
	{"AQRANK_METRIC", "", "one of"},
	{"AQRANK_METRIC", "pm10 ", "one of"},
	{"AQRANK_INSUFFICIENT", "best", "separate, worst"},
	{"AQRANK_LOG_FORMAT", "xml", "text, json"},
	{"AQRANK_LOG_LEVEL", "trace", "debug, info, warn, error"},
	{"AQRANK_LOG_LEVEL", "warning", "one of"},
	{"AQRANK_WEBHOOK_FORMAT", "slack", "json, dingtalk, wecom"},
	/* time zones */
	{"AQRANK_TIMEZONE", "Mars/Olympus_Mons", "time zone"},
	{"AQRANK_TIMEZONE", "", "time zone"},
	{"AQRANK_TIMEZONE", "asia/shanghai", "time zone"},
	{"AQRANK_TIMEZONE", "../../etc/passwd", "time zone"},
	{"AQRANK_TIMEZONE", "/etc/localtime", "time zone"},
	{"AQRANK_TIMEZONE", "+08:00", "time zone"},
	/* instants */
	{"AQRANK_NOW", "2017-12-07T14:00:00", "offset"},
	{"AQRANK_NOW", "2017-02-29T00:00:00Z", "calendar date"},
	{"AQRANK_NOW", "yesterday", "RFC 3339"},
	{"AQRANK_NOW", "1512626400", "RFC 3339"},
	/* listen */
	{"AQRANK_LISTEN", "8080", "host:port"},
	{"AQRANK_LISTEN", "127.0.0.1", "host:port"},
	{"AQRANK_LISTEN", "127.0.0.1:", "host:port"},
	{"AQRANK_LISTEN", "127.0.0.1:65536", "host:port"},
	{"AQRANK_LISTEN", "127.0.0.1:-1", "host:port"},
	{"AQRANK_LISTEN", "127.0.0.1:http", "host:port"},
	{"AQRANK_LISTEN", "127.0.0.1:80x", "host:port"},
	{"AQRANK_LISTEN", "", "host:port"},
	{"AQRANK_LISTEN", "a-host-name-that-is-far-too-long-for-the-sixty-four-byte-host-field.example:80",
	 "host:port"},
	{"AQRANK_HJ212_LISTEN", "9000", "host:port"},
	{"AQRANK_HJ212_LISTEN", "0.0.0.0:70000", "host:port"},
	{"AQRANK_HJ212_AUTH_BUDGET", "0", "from 1 to 1000"},
	{"AQRANK_HJ212_LOCKOUT", "2592001", "from 0 to 2592000"},
	/* pollutant lists */
	{"AQRANK_COMPOSITE_POLLUTANTS", "pm2.5", "comma list"},
	{"AQRANK_COMPOSITE_POLLUTANTS", "PM25", "comma list"},
	{"AQRANK_COMPOSITE_POLLUTANTS", "pm25,,pm10", "comma list"},
	{"AQRANK_COMPOSITE_POLLUTANTS", "pm25, pm10", "comma list"},
	{"AQRANK_COMPOSITE_POLLUTANTS", "pm25;pm10", "comma list"},
	{"AQRANK_COMPOSITE_POLLUTANTS", "aqi", "comma list"},
	{"AQRANK_COMPOSITE_POLLUTANTS", ",", "comma list"},
	{"AQRANK_COMPOSITE_POLLUTANTS", "", "comma list"},
	/* URLs */
	{"AQRANK_WEBHOOK_URL", "ftp://example.com/hook", "http"},
	{"AQRANK_WIND_STATION", "MET 01", "station code"},
	{"AQRANK_WIND_STATION", "-MET", "station code"},
	{"AQRANK_PUBLIC_URL", "aq.example.gov.cn", "http"},
	{"AQRANK_WEBHOOK_URL", "example.com/hook", "http"},
	{"AQRANK_WEBHOOK_URL", "http:/example.com", "http"},
	/* secrets: 15 characters is one too few */
	{"AQRANK_ADMIN_TOKEN", "0123456789abcde", "16 characters"},
	{"AQRANK_ADMIN_TOKEN", "x", "16 characters"},
	{"AQRANK_READ_TOKEN", "short-token", "16 characters"},
	{"AQRANK_METRICS_TOKEN", "short-token", "16 characters"},
	/* timeouts and limits */
	{"AQRANK_HEADER_TIMEOUT", "0", "from 1 to 3600"},
	{"AQRANK_AUTH_FAIL_LIMIT", "-1", "integer"},
	/* address lists: the bad entry is named */
	{"AQRANK_TRUSTED_PROXIES", "nginx", "nginx"},
	{"AQRANK_TRUSTED_PROXIES", "127.0.0.1,10.0.0.0/33", "10.0.0.0/33"},
	{"AQRANK_TRUSTED_PROXIES", "localhost", "not an address"},
};

START_TEST(test_set_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct aq_config cfg, before;
	char err[512] = "";
	aq_config_init(&cfg);
	memcpy(&before, &cfg, sizeof cfg);
	bool ok = aq_config_set(&cfg, c->key, c->value, err, sizeof err);
	/* a rejected value changes nothing (pointers included: nothing was replaced) */
	bool unchanged = memcmp(&before, &cfg, sizeof cfg) == 0;
	aq_config_cleanup(&cfg);
	ck_assert_msg(!ok, "%s=\"%s\" accepted", c->key, c->value);
	ck_assert_msg(strstr(err, c->key) != NULL, "%s=\"%s\": message \"%s\" does not name the key", c->key, c->value,
		      err);
	if (c->rule)
		ck_assert_msg(strstr(err, c->rule) != NULL, "%s=\"%s\": message \"%s\" lacks \"%s\"", c->key, c->value,
			      err, c->rule);
	/* a secret is never echoed, even a short one */
	if (strstr(c->key, "TOKEN") && strlen(c->value) > 3)
		ck_assert_msg(strstr(err, c->value) == NULL, "%s: message echoes the secret: %s", c->key, err);
	/* Regression (fixed): AQRANK_COMPOSITE_POLLUTANTS="" is rejected but still sets composite_mask to 0
	 * (parse_pollutants stores the empty mask before returning false). */
	ck_assert_msg(unchanged, "%s=\"%s\" rejected, but the configuration changed", c->key, c->value);
}
END_TEST

/* A rejected value keeps the previous good one, not the default. */
START_TEST(test_set_bad_keeps_previous)
{
	struct aq_config cfg;
	char err[256];
	aq_config_init(&cfg);
	ck_assert(aq_config_set(&cfg, "AQRANK_THREADS", "12", err, sizeof err));
	ck_assert(!aq_config_set(&cfg, "AQRANK_THREADS", "0", err, sizeof err));
	ck_assert_int_eq(cfg.threads, 12);
	ck_assert(aq_config_set(&cfg, "AQRANK_NOW", "2017-12-07T14:00:00+08:00", err, sizeof err));
	ck_assert(!aq_config_set(&cfg, "AQRANK_NOW", "2017-12-07T14:00:00", err, sizeof err));
	ck_assert(cfg.now_set);
	ck_assert(cfg.now_us == INT64_C(1512626400000000));
	ck_assert(aq_config_set(&cfg, "AQRANK_NOW", "", err, sizeof err));
	ck_assert(!cfg.now_set);
	ck_assert(aq_config_set(&cfg, "AQRANK_LISTEN", "10.1.2.3:81", err, sizeof err));
	ck_assert(!aq_config_set(&cfg, "AQRANK_LISTEN", "10.9.9.9:99999", err, sizeof err));
	ck_assert_str_eq(cfg.listen, "10.1.2.3:81");
	ck_assert_str_eq(cfg.listen_host, "10.1.2.3");
	ck_assert_int_eq(cfg.listen_port, 81);
	aq_config_cleanup(&cfg);
}
END_TEST

/* The message fits and stays terminated in a small buffer. */
START_TEST(test_set_small_err_buffer)
{
	struct aq_config cfg;
	char err[8];
	memset(err, 'x', sizeof err);
	aq_config_init(&cfg);
	ck_assert(!aq_config_set(&cfg, "AQRANK_METRIC", "nope", err, sizeof err));
	ck_assert_ptr_nonnull(memchr(err, '\0', sizeof err));
	ck_assert(!aq_config_set(&cfg, "AQRANK_NO_SUCH_KEY", "1", err, sizeof err));
	ck_assert_ptr_nonnull(memchr(err, '\0', sizeof err));
	aq_config_cleanup(&cfg);
}
END_TEST

static const char *const unknown_keys[] = {
	"AQRANK_THREAD", "AQRANK_THREADSS", "AQRANK_FOO",     "aqrank_threads", "THREADS",
	"AQRANK_",	 "AQRANK_LISTEN ",  " AQRANK_LISTEN", "AQRANK_PM2.5",
};

START_TEST(test_set_unknown_key)
{
	const char *key = unknown_keys[_i];
	struct aq_config cfg, before;
	char err[256] = "";
	aq_config_init(&cfg);
	memcpy(&before, &cfg, sizeof cfg);
	bool ok = aq_config_set(&cfg, key, "1", err, sizeof err);
	bool unchanged = memcmp(&before, &cfg, sizeof cfg) == 0;
	aq_config_cleanup(&cfg);
	ck_assert_msg(!ok, "\"%s\" accepted", key);
	ck_assert_msg(strstr(err, key) != NULL, "\"%s\": message \"%s\" does not name it", key, err);
	ck_assert_msg(strstr(err, "unknown") != NULL, "\"%s\": message \"%s\"", key, err);
	ck_assert(unchanged);
}
END_TEST

/* --- EnvironmentFile text --- */

struct text_case {
	const char *text;
	bool ok;
	struct field_want want;	 /* when ok; ignored when type is F_BOOL on no_migrate */
	const char *err1, *err2; /* when not ok: substrings of the message */
	struct field_want after; /* when not ok: a field a later line would have set keeps this */
};

#define NOTHING FB(no_migrate, false)

static const struct text_case text_cases[] = {
	{"AQRANK_THREADS=4\n", true, FI(threads, 4), NULL, NULL, NOTHING},
	{"AQRANK_THREADS=4", true, FI(threads, 4), NULL, NULL, NOTHING}, /* no final newline */
	{"", true, FI(threads, 16), NULL, NULL, NOTHING},
	{"\n\n\n", true, FI(threads, 16), NULL, NULL, NOTHING},
	{"# a comment\nAQRANK_THREADS=5\n", true, FI(threads, 5), NULL, NULL, NOTHING},
	{"; a comment\nAQRANK_THREADS=5\n", true, FI(threads, 5), NULL, NULL, NOTHING},
	{"   # indented comment\n\t; another\nAQRANK_THREADS=5\n", true, FI(threads, 5), NULL, NULL, NOTHING},
	{"#AQRANK_THREADS=5\n", true, FI(threads, 16), NULL, NULL, NOTHING},
	{";AQRANK_THREADS=5\n", true, FI(threads, 16), NULL, NULL, NOTHING},
	{"# not a KEY=value line: ignored\n", true, FI(threads, 16), NULL, NULL, NOTHING},
	{"\n  \n\t\nAQRANK_THREADS=6\n\n", true, FI(threads, 6), NULL, NULL, NOTHING},
	{"  AQRANK_THREADS = 7  \n", true, FI(threads, 7), NULL, NULL, NOTHING},
	{"\tAQRANK_THREADS\t=\t7\t\n", true, FI(threads, 7), NULL, NULL, NOTHING},
	{"AQRANK_THREADS=4\r\nAQRANK_MIN_HOURS=18\r\n", true, FI(min_hours, 18), NULL, NULL, NOTHING},
	{"AQRANK_THREADS=4\r\nAQRANK_MIN_HOURS=18\r\n", true, FI(threads, 4), NULL, NULL, NOTHING},
	{"AQRANK_THREADS=\"9\"\n", true, FI(threads, 9), NULL, NULL, NOTHING},
	{"AQRANK_THREADS='9'\n", true, FI(threads, 9), NULL, NULL, NOTHING},
	{"AQRANK_THREADS = \"9\" \n", true, FI(threads, 9), NULL, NULL, NOTHING},
	{"AQRANK_CORS_ORIGIN=\"https://a.example\"\n", true, FS(cors_origin, "https://a.example"), NULL, NULL, NOTHING},
	{"AQRANK_CORS_ORIGIN=\"  spaced  \"\n", true, FS(cors_origin, "  spaced  "), NULL, NULL, NOTHING},
	{"AQRANK_CORS_ORIGIN=\"\"\n", true, FS(cors_origin, ""), NULL, NULL, NOTHING},
	{"AQRANK_CORS_ORIGIN=\"mismatched'\n", true, FS(cors_origin, "\"mismatched'"), NULL, NULL, NOTHING},
	{"AQRANK_CORS_ORIGIN=\"\n", true, FS(cors_origin, "\""), NULL, NULL, NOTHING},
	{"AQRANK_CORS_ORIGIN=it's\n", true, FS(cors_origin, "it's"), NULL, NULL, NOTHING},
	{"AQRANK_DATABASE_URL=\"postgresql:///aq?sslmode=disable&x=1\"\n", true,
	 FS(database_url, "postgresql:///aq?sslmode=disable&x=1"), NULL, NULL, NOTHING},
	{"AQRANK_DATABASE_URL=postgresql:///aq?a=b=c\n", true, FS(database_url, "postgresql:///aq?a=b=c"), NULL, NULL,
	 NOTHING},
	{"AQRANK_CORS_ORIGIN=\n", true, FS(cors_origin, ""), NULL, NULL, NOTHING},
	{"AQRANK_NOW='2017-12-07T14:00:00+08:00'\n", true, F64(now_us, INT64_C(1512626400000000)), NULL, NULL, NOTHING},
	{"AQRANK_THREADS=2\nAQRANK_THREADS=3\n", true, FI(threads, 3), NULL, NULL, NOTHING}, /* last wins */
	/* bad lines: message names the file and the line, and later lines are not applied */
	{"AQRANK_THREADS=4\n\nnot a setting\nAQRANK_MIN_HOURS=18\n", false, NOTHING, "test.env line 3", "KEY=value",
	 FI(min_hours, 20)},
	{"# comment\nAQRANK_THREADZ=4\nAQRANK_MIN_HOURS=18\n", false, NOTHING, "test.env line 2", "AQRANK_THREADZ",
	 FI(min_hours, 20)},
	{"AQRANK_THREADS=4\r\n# c\r\nAQRANK_MIN_HOURS=99\r\nAQRANK_RADIUS_KM=5\r\n", false, NOTHING, "test.env line 3",
	 "AQRANK_MIN_HOURS", FD(radius_km, 3)},
	{"AQRANK_THREADS=4\nAQRANK_METRIC=\"PM10\"\n", false, NOTHING, "test.env line 2", "AQRANK_METRIC",
	 FI(threads, 4)},
	{"AQRANK_THREADS=4 # four\n", false, NOTHING, "test.env line 1", "AQRANK_THREADS", FI(threads, 16)},
	{"export AQRANK_THREADS=4\n", false, NOTHING, "test.env line 1", "export AQRANK_THREADS", FI(threads, 16)},
	{"=4\n", false, NOTHING, "test.env line 1", "unknown", FI(threads, 16)},
	{"\n\n\n\n\n\n\n\n\n\nAQRANK_LISTEN=nowhere\n", false, NOTHING, "test.env line 11", "AQRANK_LISTEN",
	 FS(listen, "127.0.0.1:8080")},
};

START_TEST(test_load_text)
{
	const struct text_case *c = &text_cases[_i];
	struct aq_config cfg;
	char err[512] = "";
	char why[160];
	const char *bad;
	aq_config_init(&cfg);
	bool ok = aq_config_load_text(&cfg, c->text, "test.env", err, sizeof err);
	if (ok != c->ok) {
		aq_config_cleanup(&cfg);
		ck_abort_msg("case %d: load %s, want %s (%s)", _i, ok ? "ok" : "failed", c->ok ? "ok" : "failure", err);
	}
	if (c->ok) {
		bad = field_mismatch(&cfg, &c->want, why, sizeof why);
	} else {
		bad = field_mismatch(&cfg, &c->after, why, sizeof why);
		if (!strstr(err, c->err1) || !strstr(err, c->err2)) {
			aq_config_cleanup(&cfg);
			ck_abort_msg("case %d: message \"%s\" lacks \"%s\" or \"%s\"", _i, err, c->err1, c->err2);
		}
	}
	aq_config_cleanup(&cfg);
	ck_assert_msg(bad == NULL, "case %d: %s", _i, bad);
}
END_TEST

/* --- the environment --- */

struct env_case {
	const char *vars[5]; /* NULL-terminated */
	bool ok;
	struct field_want want;
	const char *err; /* when not ok */
};

static const struct env_case env_cases[] = {
	{{"PATH=/usr/bin", "HOME=/root", "AQRANK_THREADS=4", NULL}, true, FI(threads, 4), NULL},
	{{"AQRANKTHREADS=4", NULL}, true, FI(threads, 16), NULL},
	{{"aqrank_threads=4", NULL}, true, FI(threads, 16), NULL},
	{{"MY_AQRANK_THREADS=4", NULL}, true, FI(threads, 16), NULL},
	{{"AQRANK=1", NULL}, true, FI(threads, 16), NULL},
	{{"PATH=/usr/bin", "NOT_OURS=AQRANK_THREADS=3", NULL}, true, FI(threads, 16), NULL},
	{{NULL}, true, FI(threads, 16), NULL},
	{{"AQRANK_NOW=", NULL}, true, FB(now_set, false), NULL},
	{{"AQRANK_DATABASE_URL=postgresql:///aq?sslmode=disable", NULL},
	 true,
	 FS(database_url, "postgresql:///aq?sslmode=disable"),
	 NULL},
	{{"AQRANK_CORS_ORIGIN=\"quoted\"", NULL}, true, FS(cors_origin, "\"quoted\""), NULL}, /* verbatim */
	{{"AQRANK_THREADS=2", "AQRANK_THREADS=3", NULL}, true, FI(threads, 3), NULL},
	{{"PATH=/usr/bin", "AQRANK_THREADZ=4", NULL}, false, NOTHING, "AQRANK_THREADZ"},
	{{"AQRANK_PM2.5=4", NULL}, false, NOTHING, "AQRANK_PM2.5"},
	{{"AQRANK_THREADS=4", "AQRANK_FOO=bar", NULL}, false, NOTHING, "AQRANK_FOO"},
	{{"AQRANK_THREADS=0", NULL}, false, NOTHING, "AQRANK_THREADS"},
	{{"AQRANK_METRIC=PM10", NULL}, false, NOTHING, "AQRANK_METRIC"},
	{{"AQRANK_THREADS", NULL}, false, NOTHING, "environment"},
};

START_TEST(test_load_env)
{
	const struct env_case *c = &env_cases[_i];
	struct aq_config cfg;
	char err[512] = "";
	char why[160];
	aq_config_init(&cfg);
	bool ok = aq_config_load_env(&cfg, (char *const *)c->vars, err, sizeof err);
	const char *bad = ok && c->ok ? field_mismatch(&cfg, &c->want, why, sizeof why) : NULL;
	aq_config_cleanup(&cfg);
	ck_assert_msg(ok == c->ok, "case %d (%s): %s, want %s (%s)", _i, c->vars[0] ? c->vars[0] : "-",
		      ok ? "ok" : "failed", c->ok ? "ok" : "failure", err);
	if (!c->ok)
		ck_assert_msg(strstr(err, c->err) != NULL, "case %d: message \"%s\" lacks \"%s\"", _i, err, c->err);
	ck_assert_msg(bad == NULL, "case %d: %s", _i, bad);
}
END_TEST

START_TEST(test_load_env_null)
{
	struct aq_config cfg;
	char err[64] = "";
	aq_config_init(&cfg);
	ck_assert(aq_config_load_env(&cfg, NULL, err, sizeof err));
	ck_assert_int_eq(cfg.threads, 16);
	aq_config_cleanup(&cfg);
}
END_TEST

/* --- precedence: default < file < environment < flag --- */

struct precedence_case {
	const char *file; /* AQRANK_THREADS value or NULL */
	const char *env;
	const char *flag;
	int want;
};

static const struct precedence_case precedence_cases[] = {
	{NULL, NULL, NULL, 16}, {"2", NULL, NULL, 2}, {NULL, "3", NULL, 3}, {NULL, NULL, "4", 4},
	{"2", "3", NULL, 3},	{"2", NULL, "4", 4},  {NULL, "3", "4", 4},  {"2", "3", "4", 4},
};

START_TEST(test_precedence)
{
	const struct precedence_case *c = &precedence_cases[_i];
	struct aq_config cfg;
	char err[256] = "", text[128], env_var[64];
	aq_config_init(&cfg);
	/* the file also sets a key nobody overrides, which must survive */
	snprintf(text, sizeof text, "AQRANK_MIN_HOURS=18\n%s%s\n", c->file ? "AQRANK_THREADS=" : "",
		 c->file ? c->file : "");
	ck_assert_msg(aq_config_load_text(&cfg, text, "f.env", err, sizeof err), "%s", err);
	snprintf(env_var, sizeof env_var, "AQRANK_THREADS=%s", c->env ? c->env : "");
	char *envp[] = {"AQRANK_RADIUS_KM=4.5", c->env ? env_var : NULL, NULL};
	ck_assert_msg(aq_config_load_env(&cfg, envp, err, sizeof err), "%s", err);
	if (c->flag) {
		const char *key = aq_config_key_for_flag("--threads");
		ck_assert_ptr_nonnull(key);
		ck_assert_msg(aq_config_set(&cfg, key, c->flag, err, sizeof err), "%s", err);
	}
	int threads = cfg.threads, min_hours = cfg.min_hours;
	double radius = cfg.radius_km;
	aq_config_cleanup(&cfg);
	ck_assert_msg(threads == c->want, "file %s env %s flag %s: threads %d, want %d", c->file ? c->file : "-",
		      c->env ? c->env : "-", c->flag ? c->flag : "-", threads, c->want);
	ck_assert_int_eq(min_hours, 18);
	ck_assert(radius == 4.5);
}
END_TEST

/* --- flags --- */

struct flag_case {
	const char *flag;
	const char *key; /* NULL: not a flag */
};

static const struct flag_case flag_cases[] = {
	{"--listen", "AQRANK_LISTEN"},
	{"--database-url", "AQRANK_DATABASE_URL"},
	{"--threads", "AQRANK_THREADS"},
	{"--timezone", "AQRANK_TIMEZONE"},
	{"--now", "AQRANK_NOW"},
	{"--metric", "AQRANK_METRIC"},
	{"--log-format", "AQRANK_LOG_FORMAT"},
	{"--log-level", "AQRANK_LOG_LEVEL"},
	{"--foo", NULL},
	{"listen", NULL},
	{"-listen", NULL},
	{"--LISTEN", NULL},
	{"--listen=127.0.0.1:80", NULL},
	{"--", NULL},
	{"", NULL},
	{"AQRANK_LISTEN", NULL},
	{"--no-migrate", NULL}, /* a switch of serve, not a key */
};

START_TEST(test_key_for_flag)
{
	const struct flag_case *c = &flag_cases[_i];
	const char *key = aq_config_key_for_flag(c->flag);
	if (c->key) {
		ck_assert_msg(key != NULL, "%s: no key, want %s", c->flag, c->key);
		ck_assert_str_eq(key, c->key);
	} else {
		ck_assert_msg(key == NULL, "%s: key %s, want none", c->flag, key);
	}
}
END_TEST

/* --- lifecycle --- */

START_TEST(test_cleanup_reinit)
{
	struct aq_config cfg;
	char err[256];
	aq_config_cleanup(NULL);
	aq_config_init(&cfg);
	ck_assert(aq_config_set(&cfg, "AQRANK_ADMIN_TOKEN", SECRET16, err, sizeof err));
	ck_assert(aq_config_set(&cfg, "AQRANK_ADMIN_TOKEN", SECRET16 "x", err, sizeof err));
	aq_config_cleanup(&cfg);
	ck_assert_ptr_null(cfg.admin_token);
	ck_assert_ptr_null(cfg.database_url);
	aq_config_cleanup(&cfg); /* twice is harmless */
	aq_config_init(&cfg);
	ck_assert_str_eq(cfg.admin_token, "");
	ck_assert_int_eq(cfg.threads, 16);
	aq_config_cleanup(&cfg);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_loop_test(tc, test_default, 0, N(defaults));
	tcase_add_loop_test(tc, test_describe_lists_key, 0, N(defaults));
	tcase_add_loop_test(tc, test_default_key_known, 0, N(defaults));
	tcase_add_test(tc, test_every_key_has_default_case);
	tcase_add_test(tc, test_cleanup_reinit);
	suite_add_tcase(s, tc);

	tc = tcase_create("set");
	tcase_add_loop_test(tc, test_set_good, 0, N(good_cases));
	tcase_add_loop_test(tc, test_set_bad, 0, N(bad_cases));
	tcase_add_test(tc, test_set_bad_keeps_previous);
	tcase_add_test(tc, test_set_small_err_buffer);
	tcase_add_loop_test(tc, test_set_unknown_key, 0, N(unknown_keys));
	suite_add_tcase(s, tc);

	tc = tcase_create("sources");
	tcase_add_loop_test(tc, test_load_text, 0, N(text_cases));
	tcase_add_loop_test(tc, test_load_env, 0, N(env_cases));
	tcase_add_test(tc, test_load_env_null);
	tcase_add_loop_test(tc, test_precedence, 0, N(precedence_cases));
	tcase_add_loop_test(tc, test_key_for_flag, 0, N(flag_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
