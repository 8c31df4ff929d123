/* json_sources.c — the source analysis of a national point as JSON (the API reply and the brief
 * an alert carries) and the brief as one Chinese sentence for the group robots. Every number
 * the ranking used is in the reply, so a duty officer can see why a station is listed. */
#include "aq_json_sources.h"
#include "aq_aqi.h"
#include "aq_clock.h"
#include "aq_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const field_names[2] = {"pm25", "pm10"};
static const char *const labels[2] = {"PM2.5", "PM10"};

/* v rounded half-to-even to d decimals, or null when it is not a number. */
static json_t *num(double v, int d)
{
	return isfinite(v) ? aq_json_number(aq_round_half_even(v, d), d) : json_null();
}

static json_t *local_time(int64_t us)
{
	char buf[40];
	aq_local_format(us, buf, sizeof buf);
	return json_string(buf);
}

static json_t *sector_or_null(int k, bool zh)
{
	const char *name = aq_sector_name(k, zh);
	return name ? json_string(name) : json_null();
}

static json_t *method(void)
{
	json_t *classes = json_array();
	for (int c = 0; c < AQ_SPEED_CLASSES; c++) {
		json_t *to = c + 1 < AQ_SPEED_CLASSES ? json_real(aq_speed_class_edges[c + 1]) : json_null();
		json_array_append_new(classes, json_pack("[f, o]", aq_speed_class_edges[c], to));
	}
	json_t *lags = json_array();
	for (int l = 0; l <= AQ_SOURCES_MAX_LAG; l++)
		json_array_append_new(lags, json_integer(l));
	return json_pack("{s:s, s:s, s:i, s:f, s:f, s:o, s:f, s:f, s:o, s:i, s:s}", "version", AQ_SOURCES_METHOD,
			 "rose", "concentration-weighted wind rose and conditional probability function (CPF)",
			 "sectors", AQ_SECTORS, "sector_width_deg", 360.0 / AQ_SECTORS, "calm_below_ms", AQ_CALM_MS,
			 "speed_classes_ms", classes, "cpf_percentile", AQ_CPF_PERCENTILE, "upwind_within_deg",
			 AQ_UPWIND_HALF_DEG, "lags_h", lags, "min_pairs", AQ_SOURCES_MIN_PAIRS, "score",
			 "upwind: max(best_r, 0) x upwind_share x max(excess_ugm3, 0); without wind: max(best_r, 0)");
}

static json_t *wind_json(const struct aq_sources_report *r)
{
	const struct aq_sources_result *res = &r->result;
	if (res->wind_hours == 0)
		return json_string("unavailable");
	int sector = isfinite(res->mean_direction) ? aq_sector_of(res->mean_direction) : -1;
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:o, s:o, s:o, s:o}", "from",
			 r->wind_origin == AQ_WIND_FROM_STATION ? "station" : "point", "station", r->wind_station,
			 "hours", res->wind_hours, "calm_hours", res->calm_hours, "missing_hours",
			 (int)r->n_hours - res->wind_hours, "mean_direction_deg", num(res->mean_direction, 1),
			 "mean_sector", sector_or_null(sector, false), "mean_sector_zh", sector_or_null(sector, true),
			 "mean_speed_ms", num(res->mean_speed, 2));
}

static json_t *rose_json(const struct aq_rose *rose)
{
	json_t *sectors = json_array();
	for (int k = 0; k < AQ_SECTORS; k++) {
		json_t *speed = json_array();
		for (int c = 0; c < AQ_SPEED_CLASSES; c++)
			json_array_append_new(
				speed, json_pack("{s:i, s:o}", "hours", rose->cell_hours[k][c], "share",
						 num(rose->total > 0 ? rose->cell_sum[k][c] / rose->total : NAN, 4)));
		json_array_append_new(
			sectors, json_pack("{s:s, s:i, s:o, s:o, s:o, s:o}", "sector", aq_sector_name(k, false),
					   "hours", rose->sector_hours[k], "mean", num(aq_rose_sector_mean(rose, k), 1),
					   "share", num(rose->total > 0 ? rose->sector_sum[k] / rose->total : NAN, 4),
					   "cpf", num(aq_rose_cpf(rose, k), 3), "speed", speed));
	}
	json_t *calm = json_pack("{s:i, s:o, s:o}", "hours", rose->calm_hours, "mean",
				 num(rose->calm_hours ? rose->calm_sum / rose->calm_hours : NAN, 1), "share",
				 num(rose->total > 0 ? rose->calm_sum / rose->total : NAN, 4));
	return json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "hours", rose->hours, "mean",
			 num(rose->hours ? rose->total / rose->hours : NAN, 1), "cpf_threshold",
			 num(rose->threshold, 1), "dominant_sector", sector_or_null(rose->dominant, false),
			 "dominant_sector_zh", sector_or_null(rose->dominant, true), "calm", calm, "sectors", sectors);
}

/* The sectors themselves: their span, how many hours the wind came from each, and which ring
 * stations lie in each as seen from the point. */
static json_t *sectors_json(const struct aq_sources_report *r)
{
	json_t *arr = json_array();
	int hours[AQ_SECTORS] = {0};
	for (size_t t = 0; t < r->n_hours; t++)
		if (r->wind[t].present && !r->wind[t].calm)
			hours[aq_sector_of(r->wind[t].direction)]++;
	for (int k = 0; k < AQ_SECTORS; k++) {
		double w = 360.0 / AQ_SECTORS, centre = k * w, from = centre - w / 2;
		json_t *stations = json_array();
		for (size_t i = 0; i < r->n_ring; i++)
			if (r->result.stations[i].sector == k)
				json_array_append_new(stations, json_string(r->ring[i].code));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:f, s:f, s:f, s:i, s:o}", "sector",
						     aq_sector_name(k, false), "sector_zh", aq_sector_name(k, true),
						     "center_deg", centre, "from_deg", from < 0 ? from + 360 : from,
						     "to_deg", centre + w / 2, "wind_hours", hours[k], "stations",
						     stations));
	}
	return arr;
}

/* The sentence behind a contributor's rank. */
static void why(const struct aq_sources_report *r, const struct aq_upwind *u, bool zh, char *buf, size_t size)
{
	char excess[48] = "", corr[64] = "";
	if (isfinite(u->excess_pct))
		snprintf(excess, sizeof excess, "%.0f%%", aq_round_half_even(u->excess_pct, 0));
	else if (isfinite(u->excess))
		snprintf(excess, sizeof excess, "%.1f µg/m³", aq_round_half_even(u->excess, 1));
	if (u->best_lag >= 0)
		snprintf(corr, sizeof corr, zh ? "%d 小时（r=%.2f）" : "%d h (r = %.2f)", u->best_lag,
			 aq_round_half_even(u->best_r, 2));
	else
		snprintf(corr, sizeof corr, "—");
	int wind_hours = r->result.wind_hours - r->result.calm_hours;
	if (zh && r->result.mode == AQ_SOURCES_UPWIND)
		snprintf(buf, size,
			 "位于国控点%s方向 %.2f 公里；%d/%d 个有风向小时处于上风向，期间高出环内中位数 %s；"
			 "其浓度变化领先国控点 %s。",
			 aq_sector_name(u->sector, true), u->distance_km, u->upwind_hours, wind_hours, excess, corr);
	else if (zh)
		snprintf(buf, size,
			 "位于国控点%s方向 %.2f 公里；无风向数据，仅按相关性：领先国控点 %s，"
			 "全时段高出环内中位数 %s。",
			 aq_sector_name(u->sector, true), u->distance_km, corr, excess[0] ? excess : "—");
	else if (r->result.mode == AQ_SOURCES_UPWIND)
		snprintf(buf, size,
			 "%s of the point at %.2f km; upwind in %d of %d hours with a wind direction, "
			 "%s above the ring median meanwhile; its series leads the point's by %s.",
			 aq_sector_name(u->sector, false), u->distance_km, u->upwind_hours, wind_hours, excess, corr);
	else
		snprintf(buf, size,
			 "%s of the point at %.2f km; no wind direction, ranked by correlation only: its "
			 "series leads the point's by %s; %s above the ring median over the window.",
			 aq_sector_name(u->sector, false), u->distance_km, corr, excess[0] ? excess : "—");
}

static json_t *station_json(const struct aq_sources_report *r, size_t i, bool with_why)
{
	const struct aq_upwind *u = &r->result.stations[i];
	const struct aq_station *s = &r->ring[i];
	json_t *corr = json_array();
	for (int l = 0; l <= AQ_SOURCES_MAX_LAG; l++)
		json_array_append_new(
			corr, json_pack("{s:i, s:o, s:i}", "lag_h", l, "r", num(u->r[l], 3), "pairs", u->pairs[l]));
	json_t *o = json_pack(
		"{s:o, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:i, s:i, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "rank",
		u->rank ? json_integer(u->rank) : json_null(), "station", s->code, "name", s->name, "unit", s->unit,
		"bearing_deg", num(u->bearing, 1), "sector", aq_sector_name(u->sector, false), "sector_zh",
		aq_sector_name(u->sector, true), "distance_km", num(u->distance_km, 2), "valid_hours", u->valid_hours,
		"upwind_hours", u->upwind_hours, "upwind_share", num(u->upwind_share, 3), "excess_hours",
		u->excess_hours, "excess_ugm3", num(u->excess, 1), "excess_pct", num(u->excess_pct, 1), "correlation",
		corr, "best_lag_h", u->best_lag >= 0 ? json_integer(u->best_lag) : json_null(), "best_r",
		num(u->best_r, 3), "score", num(u->score, 3));
	if (with_why) {
		char text[512];
		why(r, u, false, text, sizeof text);
		json_object_set_new(o, "why", json_string(text));
		why(r, u, true, text, sizeof text);
		json_object_set_new(o, "why_zh", json_string(text));
	}
	return o;
}

/* Contributors listed in a reply, at most. */
#define MAX_LISTED 10

json_t *aq_json_sources(const struct aq_sources_report *r, const char *timezone)
{
	const struct aq_sources_result *res = &r->result;
	json_t *o = json_object();
	json_object_set_new(o, "station", json_string(r->point.code));
	json_object_set_new(o, "name", json_string(r->point.name));
	json_object_set_new(o, "unit", json_string(r->point.unit));
	json_object_set_new(o, "lat", json_real(r->point.lat));
	json_object_set_new(o, "lon", json_real(r->point.lon));
	json_object_set_new(o, "from", local_time(r->from_us));
	json_object_set_new(o, "to", local_time(r->to_us));
	json_object_set_new(o, "hours", json_integer((json_int_t)r->n_hours));
	json_object_set_new(o, "timezone", json_string(timezone));
	json_object_set_new(o, "radius_km", num(r->radius_km, 3));
	json_object_set_new(o, "method", method());
	json_object_set_new(o, "wind", wind_json(r));
	bool by_correlation = res->mode == AQ_SOURCES_CORRELATION;
	json_object_set_new(o, "ranking", json_string(by_correlation ? "correlation_only" : "upwind"));
	if (r->wind_station_missing)
		json_object_set_new(
			o, "wind_note",
			json_sprintf("AQRANK_WIND_STATION names %s, which is no station: no wind.", r->wind_station));
	if (by_correlation)
		json_object_set_new(o, "note",
				    json_string(res->wind_hours == 0
							? "No wind readings in the window: contributors are ranked by "
							  "correlation with the point only, not by direction."
							: "Every hour with wind was calm: contributors are ranked by "
							  "correlation with the point only, not by direction."));
	json_object_set_new(o, "pollutant", json_string(field_names[r->pollutant]));
	json_t *rose = json_object();
	for (int p = 0; p < 2; p++)
		json_object_set_new(rose, field_names[p], rose_json(&r->rose[p]));
	json_object_set_new(o, "rose", rose);
	json_object_set_new(o, "sectors", sectors_json(r));
	json_t *ring = json_array();
	for (size_t i = 0; i < r->n_ring; i++)
		json_array_append_new(ring, station_json(r, i, false));
	json_object_set_new(o, "ring", ring);
	json_t *list = json_array();
	for (size_t k = 0; k < res->n_contributors && k < MAX_LISTED; k++)
		json_array_append_new(list, station_json(r, res->order[k], true));
	json_object_set_new(o, "contributors", list);
	return o;
}

json_t *aq_json_sources_brief(const struct aq_sources_report *r, int top)
{
	const struct aq_sources_result *res = &r->result;
	const struct aq_rose *rose = &r->rose[r->pollutant];
	json_t *list = json_array();
	for (size_t k = 0; k < res->n_contributors && (int)k < top; k++) {
		size_t i = res->order[k];
		const struct aq_upwind *u = &res->stations[i];
		json_array_append_new(
			list, json_pack("{s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:i, s:o, s:o, s:o}", "rank", u->rank,
					"station", r->ring[i].code, "name", r->ring[i].name, "sector",
					aq_sector_name(u->sector, false), "sector_zh", aq_sector_name(u->sector, true),
					"bearing_deg", num(u->bearing, 1), "distance_km", num(u->distance_km, 2),
					"upwind_hours", u->upwind_hours, "excess_pct", num(u->excess_pct, 1),
					"best_lag_h", u->best_lag >= 0 ? json_integer(u->best_lag) : json_null(),
					"best_r", num(u->best_r, 3)));
	}
	return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:o, s:o}", "method", AQ_SOURCES_METHOD, "pollutant",
			 labels[r->pollutant], "from", local_time(r->from_us), "to", local_time(r->to_us), "ranking",
			 res->mode == AQ_SOURCES_CORRELATION ? "correlation_only" : "upwind", "wind",
			 res->wind_hours ? "available" : "unavailable", "dominant_sector",
			 sector_or_null(rose->dominant, false), "dominant_sector_zh",
			 sector_or_null(rose->dominant, true), "contributors", list);
}

/* A sentence being written: parts are appended whole or not at all, and after the first part
 * that does not fit nothing more is, so a message is never cut inside a character nor left with
 * a hole in the middle. */
struct text {
	char *buf;
	size_t size, len;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void append(struct text *t, const char *fmt, ...)
{
	char part[512];
	va_list ap;
	if (t->full)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(part, sizeof part, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof part || t->len + (size_t)n >= t->size) {
		t->full = true;
		return;
	}
	memcpy(t->buf + t->len, part, (size_t)n + 1);
	t->len += (size_t)n;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

void aq_sources_sentence_zh(const json_t *brief, char *buf, size_t size)
{
	struct text out = {buf, size, 0, false};
	if (size)
		buf[0] = '\0';
	if (!json_is_object(brief) || size == 0)
		return;
	json_t *list = json_object_get(brief, "contributors");
	bool by_correlation = strcmp(str(brief, "ranking"), "correlation_only") == 0;
	bool no_wind = strcmp(str(brief, "wind"), "unavailable") == 0;
	const char *dominant = str(brief, "dominant_sector_zh");
	size_t n = json_array_size(list);
	append(&out, "来源研判%s：",
	       no_wind		? "（无风向数据，仅按相关性）"
	       : by_correlation ? "（全时段静风，仅按相关性）"
				: "");
	for (size_t k = 0; k < n; k++) {
		json_t *c = json_array_get(list, k);
		json_t *pct = json_object_get(c, "excess_pct"), *lag = json_object_get(c, "best_lag_h");
		double r = json_number_value(json_object_get(c, "best_r"));
		if (k == 0 && !by_correlation) {
			append(&out, "%s方向 %s %s 上风向", str(c, "sector_zh"), str(c, "station"), str(c, "name"));
			if (json_is_number(pct))
				append(&out, "%s环内中位数 %.0f%%", json_number_value(pct) >= 0 ? "高出" : "低于",
				       fabs(json_number_value(pct)));
			if (json_is_integer(lag))
				append(&out, "（滞后 %lld 小时，r=%.2f）", (long long)json_integer_value(lag), r);
		} else if (k == 0) {
			append(&out, "%s方向 %s %s 与国控点相关系数 %.2f", str(c, "sector_zh"), str(c, "station"),
			       str(c, "name"), r);
			if (json_is_integer(lag))
				append(&out, "（滞后 %lld 小时）", (long long)json_integer_value(lag));
		} else {
			append(&out, "%s%s（%s）", k == 1 ? "；其次 " : "、", str(c, "station"), str(c, "sector_zh"));
		}
	}
	if (n == 0)
		append(&out, "%s", by_correlation ? "环内微站与国控点无明显相关" : "上风向微站未见高于环内中位数");
	if (dominant[0])
		append(&out, "；主导来风扇区：%s", dominant);
	append(&out, "。");
}
