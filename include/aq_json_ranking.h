/* aq_json_ranking.h — JSON and CSV of rankings, interview entries and a station's daily and
 * hourly values. */
#ifndef AQ_JSON_RANKING_H
#define AQ_JSON_RANKING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_csv.h"
#include "aq_dayview.h"
#include "aq_interview.h"
#include "aq_json.h"

struct aq_ranking_meta {
	const char *timezone;
	int64_t generated_us;
	enum aq_insufficient_policy policy;
	bool english;                       /* category names in English */
	const struct aq_interview *interview; /* the day's interview entries, worst first */
	size_t n_interview;
	bool interview_stored;              /* entries are the stored list (ids, status) */
};

/* New JSON of a day's ranking (SPEC §6 "Ranking"). */
json_t *aq_json_day_ranking(const struct aq_dayview *v, const struct aq_day_ranking *dr,
			    const struct aq_ranking_meta *meta);
/* Appends the ranking rows as CSV (header row first). */
void aq_csv_day_ranking(struct aq_csv *csv, const struct aq_dayview *v, const struct aq_day_ranking *dr);

/* New JSON of an interview entry; stored entries carry id, provisional ones say so. */
json_t *aq_json_interview(const struct aq_interview *iv, bool stored);
/* Appends interview entries as CSV (header row first). */
void aq_csv_interviews(struct aq_csv *csv, const struct aq_interview *list, size_t n);

/* New JSON of daily values: published pollutants (null when not valid), AQI, level,
 * category, colour, primary pollutants, composite, valid hours. */
json_t *aq_json_daily_values(const struct aq_daily *d, bool english);
/* New JSON of an hour's values: published means (null when not valid), hourly AQI, counts. */
json_t *aq_json_hourly_values(const struct aq_hourly *h, bool english);

#endif
