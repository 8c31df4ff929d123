/* alert_eval.c — runs the alert rules (alerts.c) over the hours readings fill and on the
 * periodic tick, and keeps the alerts table, the event log and the webhook outbox in step.
 *
 * An hour of a station is closed when the clock has passed its end or a later reading of that
 * station arrived. Each station keeps a watermark (alert_state): hours before it were judged.
 * The station's newest hour, still open, is judged too once it holds a valid hour's readings
 * (an hourly station's one reading), and again as readings come, without moving the watermark:
 * an alert fires while the hour runs, and the closed hour is judged once more at its end.
 * A pass takes a session advisory lock, so with several daemons one judges and none raises an
 * alert twice; it walks day by day (the day before gives the rules their history), one
 * transaction per day. Past days wait while a backfill is still arriving, like finalization. */
#include "aq_alert_eval.h"
#include "aq_app.h"
#include "aq_clock.h"
#include "aq_db.h"
#include "aq_json.h"
#include "aq_json_alerts.h"
#include "aq_json_sources.h"
#include "aq_log.h"
#include "aq_sources_service.h"
#include "aq_quality.h"
#include "aq_time.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_HOUR (INT64_C(3600) * AQ_US_PER_SEC)
/* Days judged per pass, so finalization and shutdown are not kept waiting by a long backfill. */
#define MAX_DAYS_PER_PASS 60

struct station_slot {
	struct aq_station st;
	int64_t newest_us;
	int64_t from_us;		/* first hour start still to judge */
	int64_t closed_us;		/* hours starting before this are closed */
	int64_t open_us;		/* the newest reading's hour while it is still open, else INT64_MIN */
	struct aq_alert_hour hours[48]; /* the day before and the day being judged */
};

struct pass {
	struct aq_app *app;
	struct aq_alert_thresholds t;
	int64_t now_us;
	struct station_slot *slots;
	size_t n;
	struct aq_alert *active;
	size_t n_active, cap_active;
	int changes;
	/* per-day work */
	int64_t day;
};

static void thresholds_of(const struct aq_config *c, struct aq_alert_thresholds *t)
{
	*t = (struct aq_alert_thresholds){
		.offline_after = c->offline_after,
		.alert_iaqi = c->alert_iaqi,
		.spike_ratio = c->spike_ratio,
		.spike_min = c->spike_min,
		.flatline_hours = c->flatline_hours,
		.flatline_readings = c->flatline_readings,
		.inversion_ratio = c->inversion_ratio,
		.inversion_min = c->inversion_min,
		.hotspot_ratio = c->hotspot_ratio,
		.hotspot_hours = c->hotspot_hours,
		.interference_drop = c->interference_drop,
		.interference_min = c->interference_min,
		.interference_stable = c->interference_stable,
		.divergence_ratio = c->divergence_ratio,
		.divergence_rise = c->divergence_rise,
		.radius_km = c->radius_km,
		.floor_iaqi = c->alert_floor_iaqi,
		.floor_excess = c->alert_floor_excess,
		.standard_pin = c->aqi_standard,
		.auth_budget = c->hj212_auth_budget,
		.drift_threshold = c->calibration_drift,
		.drift_days = c->calibration_drift_days,
	};
}

/* Start of the local hour containing us. */
static int64_t hour_floor(int64_t us)
{
	int64_t day;
	int hour;
	aq_local_of(us, &day, &hour, NULL);
	return aq_local_midnight(day) + hour * US_PER_HOUR;
}

static struct aq_alert *find_active(struct pass *p, int station_id, int type)
{
	for (size_t i = 0; i < p->n_active; i++)
		if (p->active[i].station_id == station_id && p->active[i].type == type &&
		    p->active[i].status != AQ_AS_RESOLVED)
			return &p->active[i];
	return NULL;
}

static enum aq_status add_event(struct aq_db *db, const char *event, const struct aq_alert *a)
{
	json_t *o = json_pack("{s:s, s:o}", "event", event, "alert", aq_json_alert(a));
	char *text = o ? json_dumps(o, AQ_JSON_DUMP_FLAGS) : NULL;
	json_decref(o);
	if (!text)
		return AQ_ERR_INTERNAL;
	enum aq_status st = aq_db_event_add(db, "alert", text);
	free(text);
	return st;
}

/* Alerts that say where a national point's pollution comes from (issue 17). */
static bool wants_sources(const struct station_slot *s, int type, int64_t hour_start)
{
	return s->st.kind == AQ_KIND_NATIONAL && hour_start != INT64_MIN &&
	       (type == AQ_ALERT_NATIONAL_DIVERGENCE || type == AQ_ALERT_EXCEEDANCE);
}

/* The sources brief of a national point's alert into out (JSON text, "" when there is none):
 * the 24 hours up to the end of the judged hour, for the verdict's pollutant, top three
 * contributors. Only a database failure is an error (the transaction then runs again); an
 * analysis that cannot be made leaves the alert without sources. */
static enum aq_status sources_brief(struct pass *p, struct aq_db *db, const struct station_slot *s,
				    const struct aq_alert_verdict *v, int64_t hour_start, char *out, size_t size)
{
	const struct aq_config *cfg = p->app->cfg;
	struct aq_sources_query q = {.code = s->st.code,
				     .from_us = hour_start + US_PER_HOUR - AQ_SOURCES_DEFAULT_HOURS * US_PER_HOUR,
				     .to_us = hour_start + US_PER_HOUR,
				     .pollutant = strcmp(v->pollutant, "PM2.5") == 0 ? 0 : 1,
				     .radius_km = cfg->radius_km};
	struct aq_sources_report *r = NULL;
	const char *problem = NULL;
	out[0] = '\0';
	enum aq_status st = aq_sources_load(db, cfg, &q, &r, &problem);
	if (st != AQ_OK)
		return st == AQ_ERR_DB_UNAVAILABLE || st == AQ_ERR_DB_RETRY ? st : AQ_OK;
	/* Fewer contributors rather than a cut JSON text. */
	for (int top = 3; top >= 0 && !out[0]; top--) {
		json_t *brief = aq_json_sources_brief(r, top);
		char *text = brief ? json_dumps(brief, AQ_JSON_DUMP_FLAGS) : NULL;
		json_decref(brief);
		if (text && strlen(text) < size)
			snprintf(out, size, "%s", text);
		free(text);
		if (!brief)
			break;
	}
	aq_sources_report_release(r);
	return AQ_OK;
}

/* Applies one rule's verdict for station slot s at time at_us (data time). hour_start is the
 * start of the judged hour, INT64_MIN for a verdict not about an hour (offline). */
static enum aq_status apply(struct pass *p, struct aq_db *db, const struct station_slot *s, int type,
			    const struct aq_alert_verdict *v, int64_t at_us, int64_t hour_start)
{
	const struct aq_config *cfg = p->app->cfg;
	struct aq_alert *cur = find_active(p, s->st.id, type);
	enum aq_status st = AQ_OK;
	if (v->fired) {
		char message[320];
		snprintf(message, sizeof message, "%.32s %.100s: %.159s", s->st.code, s->st.name, v->detail);
		if (cur) {
			/* The open hour is judged again with each new reading: the same hour is one
			 * more sighting only once, and unchanged it is nothing new at all. */
			bool same_hour = hour_start == INT64_MIN
						 ? cur->last_seen_us == at_us
						 : cur->last_seen_us > hour_start &&
							   cur->last_seen_us <= hour_start + US_PER_HOUR;
			if (same_hour && cur->value == v->value && cur->threshold == v->threshold)
				return AQ_OK;
			if (!same_hour)
				cur->count++;
			/* Each new hour the alert is seen in, the sources are judged again. */
			if (!same_hour && wants_sources(s, type, hour_start) &&
			    (st = sources_brief(p, db, s, v, hour_start, cur->sources, sizeof cur->sources)) != AQ_OK)
				return st;
			if (at_us > cur->last_seen_us)
				cur->last_seen_us = at_us;
			cur->has_value = cur->has_threshold = true;
			cur->value = v->value;
			cur->threshold = v->threshold;
			snprintf(cur->pollutant, sizeof cur->pollutant, "%s", v->pollutant);
			snprintf(cur->message, sizeof cur->message, "%s", message);
			return aq_db_alert_bump(db, cur);
		}
		if (p->n_active == p->cap_active) {
			size_t cap = p->cap_active ? p->cap_active * 2 : 32;
			struct aq_alert *grown = realloc(p->active, cap * sizeof *grown);
			if (!grown)
				return AQ_ERR_INTERNAL;
			p->active = grown;
			p->cap_active = cap;
		}
		struct aq_alert *a = &p->active[p->n_active++];
		memset(a, 0, sizeof *a);
		a->station_id = s->st.id;
		snprintf(a->station, sizeof a->station, "%s", s->st.code);
		snprintf(a->station_name, sizeof a->station_name, "%s", s->st.name);
		snprintf(a->unit, sizeof a->unit, "%s", s->st.unit);
		a->national = s->st.kind == AQ_KIND_NATIONAL;
		a->type = type;
		a->severity = v->severity;
		a->status = AQ_AS_OPEN;
		a->opened_us = a->last_seen_us = at_us;
		a->count = 1;
		a->has_value = a->has_threshold = true;
		a->value = v->value;
		a->threshold = v->threshold;
		snprintf(a->pollutant, sizeof a->pollutant, "%s", v->pollutant);
		snprintf(a->message, sizeof a->message, "%s", message);
		if (wants_sources(s, type, hour_start) &&
		    (st = sources_brief(p, db, s, v, hour_start, a->sources, sizeof a->sources)) != AQ_OK)
			return st;
		if ((st = aq_db_alert_insert(db, a)) != AQ_OK || (st = add_event(db, "opened", a)) != AQ_OK)
			return st;
		/* Backfilled history raises alerts, but nobody is paged for yesterday's news. */
		bool fresh = p->now_us - at_us <= (int64_t)cfg->webhook_max_age * AQ_US_PER_SEC;
		if (cfg->webhook_url && cfg->webhook_url[0] && fresh)
			st = aq_db_outbox_add(db, a->id, "opened");
		p->changes++;
		return st;
	}
	if (v->applicable && cur) {
		/* A reading stamped before the alert opened (frozen clocks, late data) still cannot
		 * resolve it before it opened. */
		if (at_us < cur->opened_us)
			at_us = cur->opened_us;
		cur->status = AQ_AS_RESOLVED;
		cur->resolved_us = at_us;
		if ((st = aq_db_alert_resolve(db, cur->id, at_us)) == AQ_OK)
			st = add_event(db, "resolved", cur);
		p->changes++;
	}
	return st;
}

static enum aq_status load_active(struct pass *p, struct aq_db *db)
{
	free(p->active);
	p->active = NULL;
	p->n_active = p->cap_active = 0;
	enum aq_status st = aq_db_alerts_active(db, &p->active, &p->n_active);
	p->cap_active = p->n_active;
	return st;
}

static enum aq_status offline_tx(struct aq_db *db, void *arg)
{
	struct pass *p = arg;
	enum aq_status st = load_active(p, db);
	for (size_t i = 0; st == AQ_OK && i < p->n; i++) {
		const struct station_slot *s = &p->slots[i];
		struct aq_alert_verdict v;
		aq_alerts_judge_offline(&p->t, s->st.kind == AQ_KIND_NATIONAL, s->st.interval_s, s->newest_us,
					p->now_us, &v);
		/* An offline alert resolves when data arrives: at the newest reading's time. */
		int64_t at = v.fired ? p->now_us : (s->newest_us ? s->newest_us : p->now_us);
		st = apply(p, db, s, AQ_ALERT_OFFLINE, &v, at, INT64_MIN);
	}
	/* auth_failures: the password failure budget of each device's MN, by the wall clock (a
	 * lockout runs in real time whatever AQRANK_NOW says). */
	struct aq_hj212_guard_row *guards = NULL;
	size_t n_guards = 0;
	int64_t wall_us = aq_clock_now(&(struct aq_clock){.frozen = false});
	if (st == AQ_OK)
		st = aq_db_hj212_guards(db, &guards, &n_guards);
	for (size_t i = 0; st == AQ_OK && i < p->n; i++) {
		const struct station_slot *s = &p->slots[i];
		const struct aq_hj212_guard *g = NULL;
		for (size_t k = 0; k < n_guards && !g; k++)
			if (guards[k].station_id == s->st.id)
				g = &guards[k].g;
		if (!g && !find_active(p, s->st.id, AQ_ALERT_AUTH_FAILURES))
			continue;
		struct aq_alert_verdict v;
		struct aq_hj212_guard none = {0};
		aq_alerts_judge_auth(&p->t, s->st.kind == AQ_KIND_NATIONAL,
				     aq_hj212_guard_failures(g ? g : &none, wall_us),
				     aq_hj212_guard_locked(g ? g : &none, wall_us), &v);
		st = apply(p, db, s, AQ_ALERT_AUTH_FAILURES, &v, p->now_us, INT64_MIN);
	}
	free(guards);
	return st;
}

/* Fills the 48 hours (day − 1, day) of every slot from hourly rows. */
static void fill_hours(struct pass *p, const struct aq_alert_hour_row *rows, size_t n_rows)
{
	for (size_t i = 0; i < p->n; i++)
		memset(p->slots[i].hours, 0, sizeof p->slots[i].hours);
	for (size_t r = 0; r < n_rows; r++) {
		const struct aq_alert_hour_row *row = &rows[r];
		int64_t offset = row->day - (p->day - 1);
		if (offset < 0 || offset > 1 || row->hour < 0 || row->hour > 23)
			continue;
		for (size_t i = 0; i < p->n; i++) {
			struct station_slot *s = &p->slots[i];
			if (s->st.id != row->station_id)
				continue;
			struct aq_alert_hour *h = &s->hours[offset * 24 + row->hour];
			int need = aq_hour_min_readings(s->st.interval_s);
			for (int q = 0; q < AQ_POLLUTANTS; q++) {
				h->count[q] = row->sums.count[q];
				h->min[q] = row->min[q];
				h->max[q] = row->max[q];
				if (row->sums.count[q] > 0)
					h->has_data = true;
			}
			for (int k = 0; k < 2; k++) {
				int q = k == 0 ? AQ_PM25 : AQ_PM10;
				h->pm_valid[k] = row->sums.count[q] >= need;
				h->pm[k] = h->pm_valid[k] ? aq_round_half_even(row->sums.sum[q] / row->sums.count[q], 0)
							  : 0;
			}
			h->first_us = row->first_us;
			h->last_us = row->last_us;
			h->day = row->day;
			break;
		}
	}
}

/* An open hour is judged as soon as it holds a valid hour's worth of readings of some
 * pollutant (an hourly station: its one reading), and again with every reading after that,
 * so an alert fires while the hour is still running instead of after it closes. */
static bool hour_ready(const struct station_slot *s, const struct aq_alert_hour *h)
{
	int need = aq_hour_min_readings(s->st.interval_s);
	for (int q = 0; q < AQ_POLLUTANTS; q++)
		if (h->count[q] >= need)
			return true;
	return false;
}

static enum aq_status day_tx(struct aq_db *db, void *arg)
{
	struct pass *p = arg;
	enum aq_status st = load_active(p, db);
	struct aq_alert_station *network = calloc(p->n ? p->n : 1, sizeof *network);
	if (!network)
		return AQ_ERR_INTERNAL;
	int64_t midnight = aq_local_midnight(p->day);
	for (int h = 0; st == AQ_OK && h < 24; h++) {
		int64_t start = midnight + h * US_PER_HOUR;
		for (size_t i = 0; i < p->n; i++) {
			network[i] = (struct aq_alert_station){
				.national = p->slots[i].st.kind == AQ_KIND_NATIONAL,
				.lat = p->slots[i].st.lat,
				.lon = p->slots[i].st.lon,
				.hours = p->slots[i].hours,
				.n_hours = (size_t)(24 + h + 1),
			};
		}
		for (size_t i = 0; st == AQ_OK && i < p->n; i++) {
			const struct station_slot *s = &p->slots[i];
			if (start < s->from_us || !s->hours[24 + h].has_data)
				continue;
			if (start >= s->closed_us && !(start == s->open_us && hour_ready(s, &s->hours[24 + h])))
				continue;
			/* A closed hour speaks at its end; the open one at the clock, inside the hour. */
			int64_t at = start + US_PER_HOUR;
			if (start >= s->closed_us && p->now_us < at)
				at = p->now_us > start + AQ_US_PER_SEC ? p->now_us : start + AQ_US_PER_SEC;
			struct aq_alert_verdict verdicts[AQ_ALERT_TYPES];
			aq_alerts_judge_hour(&p->t, network, p->n, i, verdicts);
			for (int type = 0; st == AQ_OK && type < AQ_ALERT_TYPES; type++)
				if (type != AQ_ALERT_OFFLINE)
					st = apply(p, db, s, type, &verdicts[type], at, start);
		}
	}
	free(network);
	/* Move the watermarks past this day (or up to the closed hours, whichever is earlier). */
	int64_t next = aq_local_midnight(p->day + 1);
	for (size_t i = 0; st == AQ_OK && i < p->n; i++) {
		const struct station_slot *s = &p->slots[i];
		int64_t through = s->closed_us < next ? s->closed_us : next;
		if (through > s->from_us)
			st = aq_db_alert_state_set(db, s->st.id, through);
	}
	return st;
}

int aq_alerts_run(struct aq_app *app)
{
	struct pass p = {.app = app};
	struct aq_station *stations = NULL;
	struct aq_alert_watermark *marks = NULL;
	size_t n_stations = 0, n_marks = 0;
	bool locked = false;
	enum aq_status st;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return 0;
	if (aq_db_alert_lock(db, &locked) != AQ_OK || !locked)
		goto out;
	thresholds_of(app->cfg, &p.t);
	p.now_us = aq_clock_now(&app->clock);
	if ((st = aq_db_station_list(db, -1, &stations, &n_stations)) != AQ_OK ||
	    (st = aq_db_alert_watermarks(db, &marks, &n_marks)) != AQ_OK)
		goto out;
	p.slots = calloc(n_stations ? n_stations : 1, sizeof *p.slots);
	if (!p.slots)
		goto out;
	int64_t now_hour = hour_floor(p.now_us);
	int64_t first_day = INT64_MAX, last_day = INT64_MIN;
	for (size_t i = 0; i < n_stations; i++) {
		if (!stations[i].active)
			continue;
		struct station_slot *s = &p.slots[p.n++];
		s->st = stations[i];
		s->from_us = INT64_MIN;
		for (size_t k = 0; k < n_marks; k++) {
			if (marks[k].station_id == s->st.id) {
				s->newest_us = marks[k].newest_us;
				s->from_us = marks[k].evaluated_through_us;
			}
		}
		/* Closed: hours the clock has passed, and the hour before the station's newest reading.
		 * Judged: closed hours up to and including the newest reading's — never beyond, so
		 * data arriving later for a silent stretch is still judged when it comes. */
		int64_t newest_hour = s->newest_us ? hour_floor(s->newest_us) : INT64_MIN;
		s->closed_us = newest_hour > now_hour ? newest_hour : now_hour;
		if (newest_hour != INT64_MIN && s->closed_us > newest_hour + US_PER_HOUR)
			s->closed_us = newest_hour + US_PER_HOUR;
		s->open_us = newest_hour >= s->closed_us ? newest_hour : INT64_MIN;
		if (s->from_us == INT64_MIN)
			s->from_us = s->st.first_day != INT64_MAX ? aq_local_midnight(s->st.first_day) : s->closed_us;
		int64_t judge_until = s->open_us != INT64_MIN ? s->open_us + US_PER_HOUR : s->closed_us;
		if (s->from_us < judge_until) {
			int64_t a, b;
			aq_local_of(s->from_us, &a, NULL, NULL);
			aq_local_of(judge_until - 1, &b, NULL, NULL);
			first_day = a < first_day ? a : first_day;
			last_day = b > last_day ? b : last_day;
		}
	}
	if ((st = aq_db_tx(db, offline_tx, &p)) != AQ_OK)
		goto out;

	/* Readings for closed hours still arriving (a replay, a device catching up): judge once
	 * they pause, so that hours are judged with every station's data in. */
	double idle = 0;
	bool backfilling = aq_db_backfill_idle(db, &idle) != AQ_OK || idle < app->cfg->finalize_quiet;
	int days = 0;
	for (p.day = first_day; st == AQ_OK && p.day <= last_day && days < MAX_DAYS_PER_PASS; p.day++) {
		if (backfilling || atomic_load(&app->stopping))
			break;
		struct aq_alert_hour_row *rows = NULL;
		size_t n_rows = 0;
		if ((st = aq_db_alert_hours(db, p.day - 1, p.day, &rows, &n_rows)) != AQ_OK)
			break;
		fill_hours(&p, rows, n_rows);
		free(rows);
		st = aq_db_tx(db, day_tx, &p);
		/* The watermarks moved in the database; follow them here. */
		int64_t next = aq_local_midnight(p.day + 1);
		for (size_t i = 0; st == AQ_OK && i < p.n; i++) {
			struct station_slot *s = &p.slots[i];
			int64_t through = s->closed_us < next ? s->closed_us : next;
			if (through > s->from_us)
				s->from_us = through;
		}
		days++;
	}
	if (st != AQ_OK && st != AQ_ERR_DB_UNAVAILABLE)
		aq_log(AQ_LOG_ERROR, "alert evaluation failed: %s", aq_status_message(st));
out:
	if (locked)
		aq_db_alert_unlock(db);
	aq_db_release(app->pool, db);
	free(p.active);
	free(p.slots);
	free(marks);
	free(stations);
	return p.changes;
}

/* ---- calibration drift ---- */

struct drift_pass {
	struct pass *p;
	const struct aq_drift *drifts;
	size_t n;
	int64_t at_us;
};

static enum aq_status drift_tx(struct aq_db *db, void *arg)
{
	struct drift_pass *dp = arg;
	struct pass *p = dp->p;
	enum aq_status st = load_active(p, db);
	for (size_t i = 0; st == AQ_OK && i < p->n; i++) {
		const struct station_slot *s = &p->slots[i];
		struct aq_alert_verdict v, best;
		bool any = false;
		/* One alert per station: the pollutant that moved furthest speaks for it. */
		for (size_t k = 0; k < dp->n; k++) {
			const struct aq_drift *d = &dp->drifts[k];
			if (d->station_id != s->st.id)
				continue;
			aq_alerts_judge_drift(&p->t, d->measured, d->change, d->mean_residual,
					      aq_pollutant_label(d->pollutant), &v);
			if (!any || (v.fired && (!best.fired || fabs(v.value) > fabs(best.value))) ||
			    (!best.fired && !best.applicable && v.applicable))
				best = v;
			any = true;
		}
		if (any)
			st = apply(p, db, s, AQ_ALERT_CALIBRATION_DRIFT, &best, dp->at_us, INT64_MIN);
	}
	return st;
}

int aq_alerts_drift(struct aq_app *app)
{
	struct pass p = {.app = app};
	struct aq_station *stations = NULL;
	struct aq_drift *drifts = NULL;
	size_t n_stations = 0, n_drifts = 0;
	bool locked = false;
	enum aq_status st;
	if (app->cfg->calibration_drift <= 0)
		return 0;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return 0;
	if (aq_db_alert_lock(db, &locked) != AQ_OK || !locked)
		goto out;
	thresholds_of(app->cfg, &p.t);
	p.now_us = aq_clock_now(&app->clock);
	if ((st = aq_quality_drift(db, app->cfg, p.now_us, &drifts, &n_drifts)) != AQ_OK || n_drifts == 0 ||
	    (st = aq_db_station_list(db, -1, &stations, &n_stations)) != AQ_OK)
		goto out;
	if (!(p.slots = calloc(n_stations ? n_stations : 1, sizeof *p.slots)))
		goto out;
	for (size_t i = 0; i < n_stations; i++)
		for (size_t k = 0; k < n_drifts; k++)
			if (drifts[k].station_id == stations[i].id && stations[i].active) {
				p.slots[p.n++].st = stations[i];
				break;
			}
	/* The drift speaks for the hour it was measured up to. */
	struct drift_pass dp = {&p, drifts, n_drifts, hour_floor(p.now_us)};
	st = aq_db_tx(db, drift_tx, &dp);
out:
	if (st != AQ_OK && st != AQ_ERR_DB_UNAVAILABLE)
		aq_log(AQ_LOG_ERROR, "calibration drift check failed: %s", aq_status_message(st));
	if (locked)
		aq_db_alert_unlock(db);
	aq_db_release(app->pool, db);
	free(p.active);
	free(p.slots);
	free(drifts);
	free(stations);
	return p.changes;
}
