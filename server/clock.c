/* clock.c — the process clock and local-time conversion through libc's tz database. */
#include "aq_clock.h"
#include "aq_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t aq_clock_now(const struct aq_clock *clock)
{
	if (clock && clock->frozen)
		return clock->frozen_us;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * AQ_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t aq_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * AQ_US_PER_SEC + ts.tv_nsec / 1000;
}

bool aq_timezone_valid(const char *name)
{
	char path[512];
	if (!name || !*name || strstr(name, "..") || name[0] == '/')
		return false;
	if (strcmp(name, "UTC") == 0)
		return true;
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
	/* A real zone is a TZif file; directories ("Asia") and tables ("zone.tab") are not, and
	 * glibc would silently fall back to UTC for them. */
	FILE *f = fopen(path, "rb");
	char magic[4] = {0};
	bool ok = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	if (f)
		fclose(f);
	return ok;
}

/* Bumped by each time-zone change (at start-up, and in tests), so remembered answers of
 * aq_local_of in any thread are not reused across zones. */
static int tz_generation;

void aq_timezone_set(const char *name)
{
	setenv("TZ", name, 1);
	tzset();
	tz_generation++;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The UTC offset at second t, from libc's tz database. */
static int offset_at(time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	return (int)tm.tm_gmtoff;
}

void aq_local_of(int64_t us, int64_t *day, int *hour, int *offset_s)
{
	/* glibc's localtime_r takes a process-wide lock and, past a zone's last transition
	 * (Asia/Shanghai's is 1991), re-parses the zone's rule string with sscanf on each call:
	 * a batch of a station's minute readings asked it once a reading. So each thread
	 * remembers the UTC hour it last asked about and the offset in force through all of that
	 * hour, when the offsets at its first and last second agree (a zone that changes its
	 * offset within the hour, e.g. at a half hour, disagrees there and is asked per second;
	 * two changes that cancel within one hour are not in the tz database). */
	static _Thread_local time_t cached_hour_start = (time_t)-1;
	static _Thread_local int cached_generation = -1;
	static _Thread_local int cached_offset;
	static _Thread_local bool cached_whole_hour;
	time_t t = (time_t)floor_div(us, AQ_US_PER_SEC);
	time_t hour_start = (time_t)floor_div((int64_t)t, 3600) * 3600;
	if (hour_start != cached_hour_start || cached_generation != tz_generation) {
		cached_offset = offset_at(hour_start);
		cached_whole_hour = offset_at(hour_start + 3599) == cached_offset;
		cached_hour_start = hour_start;
		cached_generation = tz_generation;
	}
	int offset = cached_whole_hour ? cached_offset : offset_at(t);
	int64_t local = (int64_t)t + offset, local_day = floor_div(local, 86400);
	if (day)
		*day = local_day;
	if (hour)
		*hour = (int)((local - local_day * 86400) / 3600);
	if (offset_s)
		*offset_s = offset;
}

int64_t aq_local_midnight(int64_t day)
{
	int y, m, d;
	aq_civil_from_days(day, &y, &m, &d);
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_isdst = -1};
	return (int64_t)mktime(&tm) * AQ_US_PER_SEC;
}

void aq_local_format(int64_t us, char *buf, size_t size)
{
	int offset;
	aq_local_of(us, NULL, NULL, &offset);
	aq_time_format(us, offset, buf, size);
}
