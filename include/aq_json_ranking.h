/* aq_json_ranking.h — JSON and CSV of rankings, interview entries and a station's daily and
 * hourly values. */
#ifndef AQ_JSON_RANKING_H
#define AQ_JSON_RANKING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_csv.h"
#include "aq_day.h"
#include "aq_dayview.h"
#include "aq_interview.h"
#include "aq_json.h"
#include "aq_periods.h"

struct aq_ranking_meta {
	const char *timezone;
	int64_t generated_us;
	enum aq_insufficient_policy policy;
	bool english;			      /* category names in English */
	const struct aq_interview *interview; /* the day's interview entries, worst first */
	size_t n_interview;
	bool interview_stored; /* entries are the stored list (ids, status) */
};

/* New JSON of a day's ranking (SPEC §6 "Ranking"). */
json_t *aq_json_day_ranking(const struct aq_dayview *v, const struct aq_day_ranking *dr,
			    const struct aq_ranking_meta *meta);
/* Appends the ranking as CSV: the header row (Chinese, or English), the ranked rows, then the
 * stations without a value (status insufficient_data / 数据不足, no rank). */
void aq_csv_day_ranking(struct aq_csv *csv, const struct aq_dayview *v, const struct aq_day_ranking *dr, bool english);

/* How a built day is served. */
struct aq_day_render {
	bool csv;	      /* CSV instead of JSON */
	bool english;	      /* category names (and CSV headers) in English */
	const char *timezone; /* AQRANK_TIMEZONE, named in the reply */
	int64_t now_us;	      /* generated_at of a day that is not final */
};

/* The ranking reply of a built day (SPEC §6 "Ranking"), JSON or CSV, into *body (malloc'd,
 * the caller frees) and *len. AQ_ERR_INTERNAL when out of memory. */
enum aq_status aq_render_day(const struct aq_day *d, const struct aq_day_render *o, char **body, size_t *len);

/* New JSON of the "ranking" event: the day, the ETag of its JSON reply, stations ranked,
 * the district mean and the interview entries. */
json_t *aq_json_ranking_event(const struct aq_day *d, const char *etag);

/* New JSON of a campaign summary (SPEC §6 "summary"). */
json_t *aq_json_day_summary(const struct aq_day_summary *s);

/* New JSON of a station's daily series over [from, to] (GET …/daily). */
json_t *aq_json_station_series(const struct aq_station *station, int64_t from, int64_t to,
			       const struct aq_station_day *days, size_t n, bool english);

/* New JSON of a station's hours of day (GET …/hourly). */
json_t *aq_json_station_hours(const struct aq_station *station, int64_t day, const struct aq_hourly hours[24],
			      const int readings[24], const struct aq_aqi_standard *standard, bool english);

/* New JSON of a period ranking (month, year, to date, campaign; a day by unit). */
json_t *aq_json_period(const struct aq_period_result *r);
/* Appends a period ranking as CSV (header row first). */
void aq_csv_period(struct aq_csv *csv, const struct aq_period_result *r, bool english);

/* New JSON of an interview entry; stored entries carry id, provisional ones say so. */
json_t *aq_json_interview(const struct aq_interview *iv, bool stored);
/* Appends interview entries as CSV (header row first). */
void aq_csv_interviews(struct aq_csv *csv, const struct aq_interview *list, size_t n, bool english);

/* New JSON of daily values: published pollutants (null when not valid), AQI, level,
 * category, colour, primary pollutants, composite, valid hours. */
json_t *aq_json_daily_values(const struct aq_daily *d, bool english);
/* New JSON of an hour's values: published means (null when not valid), hourly AQI, counts. */
json_t *aq_json_hourly_values(const struct aq_hourly *h, bool english);

#endif
