/* bulletins.c — the bulletin service (aq_bulletins.h): gathers a day (day.c) or a month
 * (periods.c) with everything its bulletin says, builds the model (bulletin.c) and renders it
 * (bulletin_html.c, bulletin_pdf.c). */
#include "aq_bulletins.h"
#include "aq_app.h"
#include "aq_bulletin.h"
#include "aq_bulletin_html.h"
#include "aq_bulletin_pdf.h"
#include "aq_clock.h"
#include "aq_day.h"
#include "aq_db.h"
#include "aq_periods.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static double ms_since(int64_t start_us)
{
	return (double)(aq_monotonic_us() - start_us) / 1000.0;
}

enum aq_status aq_bulletin_stamp(struct aq_app *app, const struct aq_bulletin_request *q, struct aq_bulletin_stamp *out)
{
	struct aq_day_info info;
	enum aq_status st;
	memset(out, 0, sizeof *out);
	if (q->month)
		return AQ_OK;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	if ((st = aq_db_day_info(db, q->day, &info)) == AQ_OK && info.final &&
	    (st = aq_db_day_stamps(db, q->day, q->day, &out->finalizations)) == AQ_OK) {
		out->final = true;
		out->late_readings = info.late_readings;
	}
	aq_db_release(app->pool, db);
	return st;
}

/* The published district mean of another day under metric (its snapshot's values when final,
 * else live); false when it had none. */
static bool district_mean(struct aq_app *app, struct aq_db *db, int64_t day, enum aq_metric metric, double *mean)
{
	struct aq_dayview v;
	struct aq_day_ranking dr;
	bool final, has = false;
	int64_t stamp;
	memset(&dr, 0, sizeof dr);
	if (aq_day_values(app, db, day, &v, &final, &stamp) == AQ_OK && v.n &&
	    aq_dayview_rank(&v, metric, v.policy, v.interview_count, SIZE_MAX, app->cfg->radius_km, &dr) == 0 &&
	    dr.r.has_mean) {
		has = true;
		*mean = dr.r.district_mean_published;
	}
	aq_day_ranking_cleanup(&dr);
	aq_dayview_cleanup(&v);
	return has;
}

/* The same calendar day a year before (29 February: the 28th). */
static int64_t a_year_before(int64_t day)
{
	int y, m, d;
	aq_civil_from_days(day, &y, &m, &d);
	if (m == 2 && d == 29)
		d = 28;
	return aq_days_from_civil(y - 1, m, d);
}

static enum aq_status render(const struct aq_bulletin *b, struct aq_pdf_fonts *fonts, enum aq_bulletin_format format,
			     struct aq_bulletin_output *out)
{
	int64_t mark = aq_monotonic_us();
	enum aq_status st = AQ_OK;
	if (format == AQ_BULLETIN_PDF) {
		unsigned char *pdf = NULL;
		st = aq_bulletin_pdf(b, fonts, &pdf, &out->len, &out->pages);
		out->body = (char *)pdf;
	} else if (!(out->body = aq_bulletin_html(b, &out->len))) {
		st = AQ_ERR_INTERNAL;
	}
	out->render_ms = ms_since(mark);
	return st;
}

static enum aq_status build_day(struct aq_app *app, const struct aq_bulletin_request *q, struct aq_bulletin_output *out,
				const char **problem)
{
	const struct aq_config *cfg = app->cfg;
	struct aq_day d;
	struct aq_day_query dq = {q->day, (enum aq_metric)cfg->metric, NULL, cfg->radius_km};
	struct aq_bulletin_national *national = NULL;
	struct aq_alert *alerts = NULL;
	size_t n_alerts = 0, n_national = 0;
	struct aq_day_summary sum;
	struct aq_bulletin b;
	bool has_sum = false;
	struct aq_db *db = NULL;
	memset(&sum, 0, sizeof sum);
	memset(&b, 0, sizeof b);
	int64_t mark = aq_monotonic_us();

	enum aq_status st = aq_day_build(app, &dq, &d, problem);
	/* A final day speaks of its own interview metric (the stored list is under it). */
	if (st == AQ_OK && d.view.final && d.view.metric != dq.metric) {
		dq.metric = d.view.metric;
		aq_day_cleanup(&d);
		st = aq_day_build(app, &dq, &d, problem);
	}
	if (st != AQ_OK)
		goto out;
	if (q->format == AQ_BULLETIN_PDF && !d.view.final) {
		*problem = "The day is not finalized yet: its provisional bulletin is served as HTML only "
			   "(format=html); the PDF exists once the day is final.";
		st = AQ_ERR_CONFLICT;
		goto out;
	}
	out->final = d.view.final;
	if (!(db = aq_app_db(app, &st)))
		goto out;
	struct aq_bulletin_day_in in = {.district = cfg->district_name,
					.issuer = cfg->bulletin_issuer,
					.english = q->english,
					.view = &d.view,
					.ranking = &d.ranking,
					.interviews = d.interview,
					.n_interviews = d.n_interview,
					.radius_km = cfg->radius_km,
					.campaign_metric = dq.metric};
	in.has_prev = district_mean(app, db, q->day - 1, dq.metric, &in.prev_mean);
	in.has_last_year = district_mean(app, db, a_year_before(q->day), dq.metric, &in.last_year_mean);
	struct aq_alert_filter f = {-1, NULL, -1, aq_local_midnight(q->day), 2000};
	if ((st = aq_db_alerts_list(db, &f, &alerts, &n_alerts)) != AQ_OK)
		goto out;
	aq_db_release(app->pool, db);
	db = NULL;
	in.alerts = alerts;
	in.n_alerts = n_alerts;
	if (!(national = calloc(d.view.n ? d.view.n : 1, sizeof *national))) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	for (size_t i = 0; i < d.view.n; i++) {
		const struct aq_station *s = &d.view.stations[i].station;
		if (s->kind != AQ_KIND_NATIONAL || !s->active)
			continue;
		struct aq_bulletin_national *n = &national[n_national++];
		struct aq_station station;
		struct aq_hourly hours[24];
		int readings[24];
		const struct aq_aqi_standard *standard;
		n->station = i;
		for (int h = 0; h < 24; h++)
			n->hourly_aqi[h] = -1;
		if ((st = aq_day_station_hours(app, s->code, q->day, &station, hours, readings, &standard)) != AQ_OK)
			goto out;
		for (int h = 0; h < 24; h++)
			if (hours[h].aqi.valid)
				n->hourly_aqi[h] = hours[h].aqi.aqi;
	}
	in.national = national;
	in.n_national = n_national;
	if (q->campaign_days > 0 && d.view.final) {
		int64_t from = q->day - q->campaign_days + 1;
		if ((st = aq_day_summary(app, from, q->day, dq.metric, &sum)) != AQ_OK)
			goto out;
		has_sum = true;
		in.campaign = &sum.sum;
		in.campaign_stations = sum.stations;
		in.campaign_from = from;
		in.campaign_to = q->day;
		in.campaign_days = sum.days_finalized;
	}
	in.generated_us = d.view.final ? d.view.finalized_us : aq_clock_now(&app->clock);
	out->gather_ms = ms_since(mark);
	mark = aq_monotonic_us();
	if (aq_bulletin_day(&in, &b) != 0) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	out->model_ms = ms_since(mark);
	st = render(&b, app->pdf_fonts, q->format, out);
out:
	if (db)
		aq_db_release(app->pool, db);
	aq_bulletin_cleanup(&b);
	if (has_sum)
		aq_day_summary_cleanup(&sum);
	free(national);
	free(alerts);
	aq_day_cleanup(&d);
	return st;
}

static enum aq_status build_month(struct aq_app *app, const struct aq_bulletin_request *q,
				  struct aq_bulletin_output *out, const char **problem)
{
	const struct aq_config *cfg = app->cfg;
	struct aq_period_result stations, units;
	struct aq_bulletin b;
	int y, m, d;
	memset(&b, 0, sizeof b);
	memset(&units, 0, sizeof units);
	aq_civil_from_days(q->day, &y, &m, &d);
	struct aq_period_query pq = {.kind = AQ_PERIOD_MONTH,
				     .from = q->day,
				     .to = aq_period_last_day(AQ_PERIOD_MONTH, q->day),
				     .metric = AQ_PM_COMPOSITE,
				     .by_unit = false,
				     .pollutants = cfg->composite_mask,
				     .baseline_year = y - 1};
	int64_t mark = aq_monotonic_us();
	enum aq_status st = aq_period_build(app, &pq, &stations, problem);
	if (st == AQ_OK && stations.days_with_data == 0) {
		*problem = "There are no readings in that month.";
		st = AQ_ERR_NO_DATA;
	}
	if (st == AQ_OK && q->format == AQ_BULLETIN_PDF && !stations.final) {
		*problem = "The month is not finalized yet: its provisional bulletin is served as HTML only "
			   "(format=html); the PDF exists once every day of the month is final.";
		st = AQ_ERR_CONFLICT;
	}
	pq.by_unit = true;
	if (st == AQ_OK)
		st = aq_period_build(app, &pq, &units, problem);
	if (st != AQ_OK)
		goto out;
	out->final = stations.final;
	out->gather_ms = ms_since(mark);
	mark = aq_monotonic_us();
	struct aq_bulletin_month_in in = {.district = cfg->district_name,
					  .issuer = cfg->bulletin_issuer,
					  .english = q->english,
					  .stations = &stations,
					  .units = &units,
					  .generated_us = stations.from_snapshot ? stations.finalized_us
										 : aq_clock_now(&app->clock)};
	if (aq_bulletin_month(&in, &b) != 0) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	out->model_ms = ms_since(mark);
	st = render(&b, app->pdf_fonts, q->format, out);
out:
	aq_bulletin_cleanup(&b);
	aq_period_cleanup(&stations);
	aq_period_cleanup(&units);
	return st;
}

enum aq_status aq_bulletin_build(struct aq_app *app, const struct aq_bulletin_request *q,
				 struct aq_bulletin_output *out, const char **problem)
{
	memset(out, 0, sizeof *out);
	*problem = NULL;
	/* The stamp first: a snapshot finalized again while this one is built is not kept
	 * under the newer stamp. */
	enum aq_status st = aq_bulletin_stamp(app, q, &out->stamp);
	if (st != AQ_OK)
		return st;
	st = q->month ? build_month(app, q, out, problem) : build_day(app, q, out, problem);
	if (st != AQ_OK) {
		free(out->body);
		out->body = NULL;
		out->len = 0;
	}
	return st;
}

void aq_bulletin_output_free(struct aq_bulletin_output *out)
{
	if (!out)
		return;
	free(out->body);
	memset(out, 0, sizeof *out);
}
