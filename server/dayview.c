/* dayview.c — a day of the network: daily values per station and the day's ranking. */
#include "aq_dayview.h"
#include "aq_time.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void aq_dayview_cleanup(struct aq_dayview *v)
{
	if (!v)
		return;
	free(v->stations);
	v->stations = NULL;
	v->n = 0;
}

const struct aq_aqi_standard *aq_day_standard(enum aq_standard_pin pin, int64_t day)
{
	int y, m, d;
	aq_civil_from_days(day, &y, &m, &d);
	return aq_standard_in_force(pin, y, m, d);
}

const struct aq_aqi_standard *aq_day_standard_of_rule(const char *rule_version, int64_t day)
{
	int y, m, d;
	aq_civil_from_days(day, &y, &m, &d);
	const struct aq_aqi_standard *s = aq_standard_named(rule_version, strcspn(rule_version, "/"), y, m, d);
	return s ? s : aq_standard_in_force(AQ_STANDARD_AUTO, y, m, d);
}

void aq_rule_version(const char *standard_name, bool pinned, int min_hours, char buf[64])
{
	snprintf(buf, 64, "%s/%smin%dh", standard_name, pinned ? "pinned/" : "", min_hours);
}

void aq_dayview_compute(struct aq_dayview *v)
{
	struct aq_day_rules rules = {
		.min_hours = v->min_hours,
		.min_o3_windows = AQ_O3_MIN_WINDOWS,
		.composite_mask = v->composite_mask,
		.standard = v->standard,
	};
	if (v->is_today) {
		rules.min_hours = aq_provisional_threshold(v->hours_elapsed, v->min_hours);
		rules.min_o3_windows = aq_provisional_o3_windows(v->hours_elapsed, AQ_O3_MIN_WINDOWS);
	}
	for (size_t i = 0; i < v->n; i++) {
		struct aq_day_station *s = &v->stations[i];
		if (v->is_today) { /* hours that have not begun do not count yet */
			for (int h = v->hours_elapsed; h < 24; h++) {
				memset(&s->hours[h], 0, sizeof s->hours[h]);
				s->readings -= s->hour_readings[h];
				s->hour_readings[h] = 0;
			}
		}
		rules.interval_s = s->station.interval_s;
		aq_daily_compute(s->hours, &rules, &s->daily);
		/* A pollutant whose hours quality control all excluded was still reported: the day's
		 * AQI must not be computed as if the station never measured it. */
		unsigned flagged = 0;
		for (int h = 0; h < 24; h++)
			for (int p = 0; p < AQ_POLLUTANTS; p++)
				if (s->quality.flags[h][p])
					flagged |= AQ_POLLUTANT_BIT(p);
		if (flagged & ~s->daily.reported_mask) {
			s->daily.reported_mask |= flagged;
			aq_daily_finish(&s->daily, v->standard);
		}
		s->ranked = aq_station_ranked_on(&s->station, v->day);
	}
}

/* Nearest active national point of every station: stations × national points, not
 * stations² (10000 stations, a handful of national points). */
static void find_nearest(const struct aq_dayview *v, double radius, struct aq_nearest *out, size_t *national)
{
	size_t n_national = 0;
	for (size_t j = 0; j < v->n; j++)
		if (v->stations[j].station.kind == AQ_KIND_NATIONAL && v->stations[j].station.active)
			national[n_national++] = j;
	for (size_t i = 0; i < v->n; i++) {
		const struct aq_station *s = &v->stations[i].station;
		out[i].has = false;
		for (size_t k = 0; k < n_national; k++) {
			size_t j = national[k];
			const struct aq_station *c = &v->stations[j].station;
			if (i == j)
				continue;
			double d = aq_distance_km(s->lat, s->lon, c->lat, c->lon);
			if (!out[i].has || d < out[i].distance_km) {
				out[i].has = true;
				out[i].index = j;
				out[i].distance_km = d;
			}
		}
		out[i].within = out[i].has && out[i].distance_km <= radius;
	}
}

int aq_dayview_rank(const struct aq_dayview *v, enum aq_metric m, enum aq_insufficient_policy policy,
		    int interview_count, size_t ring_center, double radius_km, struct aq_day_ranking *out)
{
	struct aq_rank_entry *entries = NULL;
	memset(out, 0, sizeof *out);
	out->metric = m;
	out->ring = ring_center != SIZE_MAX;
	out->ring_center = ring_center;
	out->radius_km = radius_km;
	size_t cap = v->n ? v->n : 1;
	out->entry_station = calloc(cap, sizeof *out->entry_station);
	out->insufficient = calloc(cap, sizeof *out->insufficient);
	out->nearest = calloc(cap, sizeof *out->nearest);
	entries = calloc(cap, sizeof *entries);
	if (!out->entry_station || !out->insufficient || !out->nearest || !entries)
		goto fail;
	/* out->insufficient is empty scratch space until the loop below fills it. */
	find_nearest(v, radius_km, out->nearest, out->insufficient);

	const struct aq_station *center = out->ring ? &v->stations[ring_center].station : NULL;
	for (size_t i = 0; i < v->n; i++) {
		const struct aq_day_station *s = &v->stations[i];
		if (!s->ranked)
			continue;
		if (center && aq_distance_km(center->lat, center->lon, s->station.lat, s->station.lon) > radius_km)
			continue;
		struct aq_rank_entry *e = &entries[out->n_entries];
		e->code = s->station.code;
		aq_metric_value(&s->daily, m, &e->has_value, &e->value, &e->tie, &e->has_tie, &e->valid_hours);
		if (!e->has_value)
			out->insufficient[out->n_insufficient++] = i; /* stations are ordered by code */
		out->entry_station[out->n_entries++] = i;
	}
	if (aq_ranking_compute(entries, out->n_entries, m, policy, interview_count, &out->r) != 0)
		goto fail;
	free(entries);
	return 0;
fail:
	free(entries);
	errno = ENOMEM;
	return -1;
}

void aq_day_ranking_cleanup(struct aq_day_ranking *dr)
{
	if (!dr)
		return;
	aq_ranking_cleanup(&dr->r);
	free(dr->entry_station);
	free(dr->insufficient);
	free(dr->nearest);
	memset(dr, 0, sizeof *dr);
}

void aq_dayview_interviews(const struct aq_dayview *v, const struct aq_day_ranking *dr, struct aq_interview *out)
{
	int decimals = aq_metric_decimals(dr->metric);
	for (size_t i = 0; i < dr->r.n_interview; i++) {
		const struct aq_interview_pick *pick = &dr->r.interview[i];
		const struct aq_day_station *s = &v->stations[dr->entry_station[pick->entry]];
		struct aq_interview *iv = &out[i];
		bool has;
		double value, tie;
		bool has_tie;
		int hours;
		memset(iv, 0, sizeof *iv);
		iv->day = v->day;
		iv->station_id = s->station.id;
		snprintf(iv->station, sizeof iv->station, "%s", s->station.code);
		snprintf(iv->name, sizeof iv->name, "%s", s->station.name);
		snprintf(iv->unit, sizeof iv->unit, "%s", s->station.unit);
		snprintf(iv->contact_person, sizeof iv->contact_person, "%s", s->station.contact_person);
		iv->rank = pick->rank;
		iv->of = (int)dr->r.of;
		snprintf(iv->metric, sizeof iv->metric, "%s", aq_metric_name(dr->metric));
		aq_metric_value(&s->daily, dr->metric, &has, &value, &tie, &has_tie, &hours);
		iv->has_value = has;
		iv->value = aq_round_half_even(value, decimals);
		iv->has_mean = dr->r.has_mean;
		iv->district_mean = dr->r.district_mean_published;
		iv->has_pct = pick->has_pct;
		iv->pct_above_mean = pick->pct_above_mean;
		iv->valid_hours = hours;
		iv->expected_hours = v->hours_elapsed;
		struct aq_qc_summary qs;
		aq_qc_summarize(&s->quality, aq_qc_metric_mask(dr->metric, &s->daily), &qs);
		iv->qc_excluded_hours = qs.excluded_hours;
		memcpy(iv->qc_reason_hours, qs.reason_hours, sizeof iv->qc_reason_hours);
		memcpy(iv->calib_id, s->quality.calib_id, sizeof iv->calib_id);
		memcpy(iv->calib_version, s->quality.calib_version, sizeof iv->calib_version);
		snprintf(iv->reason, sizeof iv->reason, "%s", aq_interview_reason_name(pick->reason));
		iv->position = (int)i + 1;
		iv->status = AQ_IV_PENDING;
		snprintf(iv->rule_version, sizeof iv->rule_version, "%s", v->rule_version);
	}
}
