/* aq_clock.h — "now" and local time. The clock is real time unless AQRANK_NOW froze it
 * (tests, replays); everything that depends on now asks aq_clock_now. Local days and hours are
 * in the process time zone, set once by aq_timezone_set before any thread starts. */
#ifndef AQ_CLOCK_H
#define AQ_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aq_clock {
	bool frozen;
	int64_t frozen_us; /* used when frozen */
};

/* Microseconds since the epoch: the frozen instant, or the real time. */
int64_t aq_clock_now(const struct aq_clock *clock);
/* Microseconds of CLOCK_MONOTONIC, for durations (never frozen, never jumps). */
int64_t aq_monotonic_us(void);

/* True when name is a time zone the system's tz database knows (e.g. "Asia/Shanghai"). */
bool aq_timezone_valid(const char *name);
/* Makes name the process time zone. Call once, before threads start. */
void aq_timezone_set(const char *name);

/* Local calendar day (days since the epoch), hour 0..23 and UTC offset in seconds of us. */
void aq_local_of(int64_t us, int64_t *day, int *hour, int *offset_s);
/* UTC microseconds of local midnight that starts day. */
int64_t aq_local_midnight(int64_t day);
/* Formats us as RFC 3339 in local time, e.g. "2017-12-07T15:00:02+08:00" (buf: 40 bytes). */
void aq_local_format(int64_t us, char *buf, size_t size);

#endif
