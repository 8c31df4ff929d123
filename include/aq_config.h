/* aq_config.h — the daemon's configuration: one declarative table of keys (server/config.c),
 * filled from defaults, then a systemd EnvironmentFile (--config), then the environment, then
 * command-line flags, the last one winning. Pure: callers read files and the environment and
 * pass their text in. */
#ifndef AQ_CONFIG_H
#define AQ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum aq_log_format {
	AQ_LOG_FORMAT_TEXT,
	AQ_LOG_FORMAT_JSON
};
enum aq_log_level {
	AQ_LOG_DEBUG,
	AQ_LOG_INFO,
	AQ_LOG_WARN,
	AQ_LOG_ERROR
};
enum aq_webhook_format {
	AQ_WEBHOOK_JSON,
	AQ_WEBHOOK_DINGTALK,
	AQ_WEBHOOK_WECOM
};

struct aq_config {
	/* service */
	char *database_url;
	char *read_dsn;	       /* AQRANK_READ_DSN: a streaming replica, "" for none */
	double read_max_lag_s; /* AQRANK_READ_MAX_LAG_S */
	char *listen;	       /* "host:port" as configured; split into the two fields below */
	char listen_host[64];
	int listen_port;
	int threads;
	int db_pool;
	char *timezone;
	bool now_set; /* AQRANK_NOW given: the clock is frozen at now_us */
	int64_t now_us;
	/* ranking rules */
	int metric;		     /* enum aq_metric */
	unsigned composite_mask;     /* bit (1u << enum aq_pollutant) per pollutant */
	int aqi_standard;	     /* enum aq_standard_pin */
	double composite_weights[6]; /* the period composite's wᵢ by enum aq_pollutant */
	int interview_by;	     /* 0 station, 1 unit */
	int min_hours;
	int insufficient; /* enum aq_insufficient_policy */
	int interview_count;
	int finalize_after;
	int finalize_quiet;
	int today_debounce_ms; /* AQRANK_TODAY_DEBOUNCE_MS */
	int retention_months;  /* AQRANK_RETENTION_MONTHS: 0 keeps every month */
	double radius_km;
	/* the bulletin (通报) */
	char *district_name;   /* its title */
	char *bulletin_issuer; /* the issuing body; empty: "<district>生态环境局" */
	char *public_url;      /* base URL of the links pushed at finalization; empty: paths only */
	/* access */
	char *admin_token;
	char *read_token;
	char *metrics_token; /* unset: /metrics needs what GET endpoints need */
	char *cors_origin;
	long max_body;
	int conn_limit;
	int per_ip_limit;
	int conn_timeout;
	int header_timeout;    /* s from a connection's start to a whole request head */
	char *trusted_proxies; /* aq_addr_list text */
	int auth_fail_limit;   /* failed token checks per address per minute; 0 = off */
	double rate_limit;     /* requests per second per token; 0 = off */
	int rate_burst;
	char *tls_cert;
	char *tls_key;
	/* alerts */
	int offline_after;
	int alert_iaqi;
	double spike_ratio;
	double spike_min;
	int flatline_hours;
	int flatline_readings;
	double inversion_ratio;
	double inversion_min;
	double hotspot_ratio;
	int hotspot_hours;
	double interference_drop;
	double interference_min;
	double interference_stable;
	double divergence_ratio;
	double divergence_rise;
	int alert_floor_iaqi;	   /* the alerts' absolute floor: above this IAQI's breakpoint … */
	double alert_floor_excess; /* … and this many µg/m³ from the reference */
	int alert_tick;
	int events_keepalive; /* s between keep-alive comments on /api/v1/events */
	char *webhook_url;
	int webhook_format; /* enum aq_webhook_format */
	int webhook_max_age;
	int webhook_timeout;
	/* sources (issue 17) */
	char *wind_station; /* code of the station whose wind every point's analysis uses; "" = its own */
	/* quality control and calibration (issue 15; docs/domain-rules.md, "Quality control") */
	int qc;		    /* AQRANK_QC: 1 on, 0 off */
	double qc_max_pm25; /* range: the sensor's top, µg/m³ (0 = no limit) */
	double qc_max_pm10;
	int qc_stuck_hours;	    /* stuck: identical hourly values this many hours (0 = off) */
	double qc_step_ratio;	    /* step: × (or ÷) the median of the last hours (0 = off) … */
	int qc_step_hours;	    /* … of this many hours … */
	double qc_step_min;	    /* … and this many µg/m³ from it */
	double qc_inversion_ratio;  /* inversion: PM2.5 > ratio × PM10 (0 = off) … */
	double qc_inversion_min;    /* … and PM2.5 − PM10 > this */
	double qc_humidity;	    /* humidity: hourly mean RH above this % (0 = off) */
	double qc_mad_k;	    /* divergence: |x − ring median| > k × 1.4826 × MAD (0 = off) … */
	double qc_mad_floor;	    /* … and > this many µg/m³ … */
	int qc_mad_min_stations;    /* … in a ring with at least this many values that hour */
	int calibration_min_pairs;  /* a fit needs this many co-located hours */
	double calibration_drift;   /* calibration_drift: residual moved more than this over … */
	int calibration_drift_days; /* … this many days (0 threshold = off) */
	/* HJ 212 */
	char *hj212_listen;
	char hj212_host[64];
	int hj212_port;
	int hj212_auth_budget; /* wrong passwords that lock an MN or an address */
	int hj212_lockout;     /* s a lockout lasts; 0 = until an operator lifts it */
	/* logging */
	int log_format; /* enum aq_log_format */
	int log_level;	/* enum aq_log_level */
	/* not a key: `serve --no-migrate` */
	bool no_migrate;
};

/* Sets every key to its default. Pair with aq_config_cleanup. */
void aq_config_init(struct aq_config *cfg);
/* Frees the strings cfg owns; cfg may then be initialised again. NULL-safe. */
void aq_config_cleanup(struct aq_config *cfg);

/* Sets key (e.g. "AQRANK_MIN_HOURS") from its text value. On an unknown key or a bad value
 * returns false and writes a message naming the key and the rule into err. */
bool aq_config_set(struct aq_config *cfg, const char *key, const char *value, char *err, size_t errlen);

/* Applies a systemd EnvironmentFile's text: KEY=VALUE lines, '#'/';' comments, blank lines,
 * optional matching quotes. source names the file in messages. Stops at the first bad line. */
bool aq_config_load_text(struct aq_config *cfg, const char *text, const char *source, char *err, size_t errlen);

/* Applies every AQRANK_* variable of envp (NULL-terminated "K=V" strings); an unknown
 * AQRANK_* name is an error (it is almost always a typo). Other variables are ignored. */
bool aq_config_load_env(struct aq_config *cfg, char *const *envp, char *err, size_t errlen);

/* The key a command-line flag sets ("--listen" → "AQRANK_LISTEN"), or NULL. */
const char *aq_config_key_for_flag(const char *flag);

/* Writes the table of keys, their flags, defaults and meaning (for --help and docs). */
void aq_config_describe(FILE *out);

#endif
