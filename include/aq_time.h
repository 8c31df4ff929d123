/* aq_time.h — time arithmetic and parsing, pure: RFC 3339 timestamps, calendar dates and the
 * civil calendar. Times are microseconds since the Unix epoch (UTC), days are days since
 * 1970-01-01. Local-time conversion lives in aq_clock.h because it needs the time zone
 * database. */
#ifndef AQ_TIME_H
#define AQ_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AQ_US_PER_SEC INT64_C(1000000)
#define AQ_US_PER_DAY (INT64_C(86400) * AQ_US_PER_SEC)

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (no range check). */
int64_t aq_days_from_civil(int y, int m, int d);
/* Inverse of aq_days_from_civil. */
void aq_civil_from_days(int64_t days, int *y, int *m, int *d);
/* True when y-m-d is a real calendar date (years 1..9999). */
bool aq_date_valid(int y, int m, int d);

/* Parses an RFC 3339 timestamp with a mandatory offset ("Z" or ±hh:mm) and optional fraction
 * of a second (at most 6 digits kept; more are an error). 'T'/'t' and 'Z'/'z' accepted; the
 * instant must fall in the years 0001–9999 in UTC.
 * Returns true and sets *us; false and sets *problem (static text) otherwise. s must be a
 * NUL-terminated string; nothing after the timestamp is allowed. */
bool aq_time_parse_rfc3339(const char *s, int64_t *us, const char **problem);

/* Parses a strict YYYY-MM-DD date into days since the epoch. */
bool aq_date_parse(const char *s, int64_t *day);

/* Writes YYYY-MM-DD of day into buf (at least 11 bytes). */
void aq_date_format(int64_t day, char buf[11]);

/* Formats us as RFC 3339 in a zone whose offset from UTC is offset_s, e.g.
 * "2017-12-07T15:00:02+08:00"; microseconds are written only when non-zero. buf needs 40
 * bytes. Returns the string length. */
size_t aq_time_format(int64_t us, int offset_s, char *buf, size_t size);

#endif
