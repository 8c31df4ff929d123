/* timeutil.c — pure calendar arithmetic and RFC 3339 parsing/formatting. No time zone
 * database here: callers pass offsets (see clock.c for local time). */
#include "aq_time.h"

#include <stdio.h>
#include <string.h>

/* Howard Hinnant's days_from_civil: exact for the whole proleptic Gregorian calendar. */
int64_t aq_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void aq_civil_from_days(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t dd = doy - (153 * mp + 2) / 5 + 1;
	int64_t mm = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)dd;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool aq_date_valid(int y, int m, int d)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && is_leap(y));
}

/* Reads exactly n decimal digits at *p, advancing it. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool parse_date_part(const char **p, int *y, int *m, int *d)
{
	return digits(p, 4, y) && *(*p)++ == '-' && digits(p, 2, m) && *(*p)++ == '-' && digits(p, 2, d);
}

bool aq_time_parse_rfc3339(const char *s, int64_t *us, const char **problem)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0;

	if (!parse_date_part(&p, &y, &mo, &d)) {
		*problem = "must be an RFC 3339 timestamp like 2017-12-07T14:00:00+08:00";
		return false;
	}
	if (!aq_date_valid(y, mo, d)) {
		*problem = "is not a calendar date";
		return false;
	}
	if ((*p != 'T' && *p != 't') || (p++, !digits(&p, 2, &h)) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    *p++ != ':' || !digits(&p, 2, &sec)) {
		*problem = "must be an RFC 3339 timestamp like 2017-12-07T14:00:00+08:00";
		return false;
	}
	if (h > 23 || mi > 59 || sec > 59) {
		*problem = "has a time of day out of range";
		return false;
	}
	if (*p == '.') {
		int n = 0;
		p++;
		while (*p >= '0' && *p <= '9') {
			if (n == 6) {
				*problem = "has more than 6 fractional digits";
				return false;
			}
			frac = frac * 10 + (*p++ - '0');
			n++;
		}
		if (n == 0) {
			*problem = "has an empty fraction of a second";
			return false;
		}
		for (; n < 6; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59) {
			*problem = "has a malformed UTC offset (use Z or ±hh:mm)";
			return false;
		}
	} else {
		*problem = "must carry an explicit UTC offset (Z or ±hh:mm)";
		return false;
	}
	if (*p != '\0') {
		*problem = "has trailing characters";
		return false;
	}
	int64_t secs = aq_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	secs -= (int64_t)sign * (oh * 3600 + om * 60);
	/* The offset can carry 0001-01-01 or 9999-12-31 into year 0 or 10000, which
	 * aq_time_format cannot write back in four digits. */
	if (secs < aq_days_from_civil(1, 1, 1) * 86400 || secs >= aq_days_from_civil(10000, 1, 1) * 86400) {
		*problem = "is outside the years 0001 to 9999 in UTC";
		return false;
	}
	*us = secs * AQ_US_PER_SEC + frac;
	return true;
}

bool aq_date_parse(const char *s, int64_t *day)
{
	const char *p = s;
	int y, m, d;
	if (!parse_date_part(&p, &y, &m, &d) || *p != '\0' || !aq_date_valid(y, m, d))
		return false;
	*day = aq_days_from_civil(y, m, d);
	return true;
}

void aq_date_format(int64_t day, char buf[11])
{
	int y, m, d;
	aq_civil_from_days(day, &y, &m, &d);
	snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
}

/* Floor division, so times before 1970 format correctly too. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

size_t aq_time_format(int64_t us, int offset_s, char *buf, size_t size)
{
	/* RFC 3339 offsets have no seconds, but zones do before standard time (Asia/Shanghai's
	 * LMT is +08:05:43): use the whole-minute offset, so that the text stays the instant. */
	offset_s -= offset_s % 60;
	int64_t local = us + (int64_t)offset_s * AQ_US_PER_SEC;
	int64_t secs = floor_div(local, AQ_US_PER_SEC);
	int frac = (int)(local - secs * AQ_US_PER_SEC);
	int64_t days = floor_div(secs, 86400);
	int tod = (int)(secs - days * 86400);
	int y, m, d;
	aq_civil_from_days(days, &y, &m, &d);
	char fracbuf[8] = "";
	if (frac)
		snprintf(fracbuf, sizeof fracbuf, ".%06u", (unsigned)frac % 1000000u);
	char zone[8] = "Z";
	if (offset_s != 0) {
		int a = offset_s < 0 ? -offset_s : offset_s;
		snprintf(zone, sizeof zone, "%c%02u:%02u", offset_s < 0 ? '-' : '+', (unsigned)(a / 3600) % 100u,
			 (unsigned)(a / 60) % 60u);
	}
	int n = snprintf(buf, size, "%04u-%02u-%02uT%02d:%02d:%02d%s%s", (unsigned)y % 10000u, (unsigned)m % 100u,
			 (unsigned)d % 100u, tod / 3600, tod / 60 % 60, tod % 60, fracbuf, zone);
	return n < 0 ? 0 : (size_t)n;
}
