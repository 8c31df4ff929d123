/* reading.c — the meaning of a reading: field names, ranges (SPEC §1), clock skew. */
#include "aq_reading.h"
#include "aq_time.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	double min, max;
} fields[AQ_FIELDS] = {
	[AQ_F_PM25] = {"pm25", 0, 2000},
	[AQ_F_PM10] = {"pm10", 0, 5000},
	[AQ_F_SO2] = {"so2", 0, 10000},
	[AQ_F_NO2] = {"no2", 0, 10000},
	[AQ_F_CO] = {"co", 0, 200},
	[AQ_F_O3] = {"o3", 0, 10000},
	[AQ_F_TEMPERATURE] = {"temperature", -60, 70},
	[AQ_F_HUMIDITY] = {"humidity", 0, 100},
	[AQ_F_PRESSURE] = {"pressure", 300, 1100},
	[AQ_F_WIND_SPEED] = {"wind_speed", 0, 100},
	[AQ_F_WIND_DIRECTION] = {"wind_direction", 0, 360},
};

const char *aq_field_name(enum aq_field f)
{
	return (unsigned)f < AQ_FIELDS ? fields[f].name : "?";
}

bool aq_field_from_name(const char *name, enum aq_field *f)
{
	for (int i = 0; i < AQ_FIELDS; i++) {
		if (strcmp(fields[i].name, name) == 0) {
			*f = (enum aq_field)i;
			return true;
		}
	}
	return false;
}

void aq_field_range(enum aq_field f, double *min, double *max)
{
	*min = fields[f].min;
	*max = fields[f].max;
}

bool aq_flag_valid(char c)
{
	return c != '\0' && strchr("NFMSDCTB", c) != NULL;
}

const char *aq_flag_meaning(char c, bool english)
{
	static const struct {
		char letter;
		const char *en, *zh;
	} flags[] = {
		{'F', "stopped", "停运"},
		{'M', "maintenance", "维护"},
		{'S', "manual input", "手工输入"},
		{'D', "fault", "故障"},
		{'C', "calibration", "校准"},
		{'T', "over range", "超测定上限"},
		{'B', "communication fault", "通讯异常"},
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (flags[i].letter == c)
			return english ? flags[i].en : flags[i].zh;
	return NULL;
}

bool aq_station_code_valid(const char *code)
{
	size_t n = strlen(code);
	if (n == 0 || n > AQ_CODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = code[i];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

void aq_reading_init(struct aq_reading *r)
{
	memset(r, 0, sizeof *r);
	memset(r->flag, 'N', sizeof r->flag);
}

bool aq_reading_validate(const struct aq_reading *r, int index, int64_t now_us, struct aq_problems *problems)
{
	size_t before = problems->n;
	bool any_pollutant = false;
	for (int f = 0; f < AQ_FIELDS; f++) {
		if (!(r->present & (1u << f)))
			continue;
		if (f < AQ_N_POLLUTANT_FIELDS)
			any_pollutant = true;
		double v = r->value[f];
		if (!isfinite(v) || v < fields[f].min || v > fields[f].max)
			aq_problems_add(problems, index, fields[f].name, "must be between %g and %g", fields[f].min,
					fields[f].max);
	}
	if (!any_pollutant)
		aq_problems_add(problems, index, "", "needs at least one of pm25, pm10, so2, no2, co, o3");
	if (r->observed_us > now_us + AQ_MAX_FUTURE_SKEW_S * AQ_US_PER_SEC)
		aq_problems_add(problems, index, "observed_at", "is more than %d s ahead of the clock",
				AQ_MAX_FUTURE_SKEW_S);
	if (r->observed_us < aq_days_from_civil(2000, 1, 1) * AQ_US_PER_DAY)
		aq_problems_add(problems, index, "observed_at", "is before 2000-01-01");
	return problems->n == before && !problems->oom;
}

/* Drops a UTF-8 sequence cut short at the end of s: field names are truncated to fit, and a
 * half character would make the whole field invalid JSON text (json_string refuses it). */
static void drop_partial_utf8(char *s)
{
	size_t n = strlen(s), start = n;
	while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0)
		return;
	unsigned char lead = (unsigned char)s[start - 1];
	size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (start - 1 + len > n)
		s[start - 1] = '\0';
}

void aq_problems_add(struct aq_problems *problems, int index, const char *field, const char *fmt, ...)
{
	if (problems->n == problems->cap) {
		size_t cap = problems->cap ? problems->cap * 2 : 16;
		struct aq_problem *items = realloc(problems->items, cap * sizeof *items);
		if (!items) {
			problems->oom = true;
			return;
		}
		problems->items = items;
		problems->cap = cap;
	}
	struct aq_problem *p = &problems->items[problems->n++];
	p->index = index;
	snprintf(p->field, sizeof p->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->problem, sizeof p->problem, fmt, ap);
	va_end(ap);
	drop_partial_utf8(p->field);
	drop_partial_utf8(p->problem);
}

void aq_problems_cleanup(struct aq_problems *problems)
{
	if (!problems)
		return;
	free(problems->items);
	memset(problems, 0, sizeof *problems);
}
