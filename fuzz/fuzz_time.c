/* fuzz_time.c — the date and time parsers of aq_time.h and their formatters. Invariants:
 * every RFC 3339 instant that parses formats back (aq_time_format, in UTC and in the offsets
 * the daemon writes) to text that parses to the same instant; a strict date that parses
 * formats back to exactly its text; civil ⇄ day arithmetic is a bijection on 0001..9999. */
#include "fuzz.h"

#include "aq_time.h"

/* Instants whose local time, at any offset, stays within years 0001..9999. */
#define MIN_US (aq_days_from_civil(1, 1, 2) * AQ_US_PER_DAY)
#define MAX_US (aq_days_from_civil(9999, 12, 31) * AQ_US_PER_DAY)

static void check_instant(const char *s, int64_t us, int extra_offset)
{
	/* UTC, China, UTC-05:00, the extremes in use, a quarter-hour zone, an LMT offset with
	 * seconds (Asia/Shanghai before 1901), and one the input chose. */
	const int offsets[] = {0,           8 * 3600,        -5 * 3600, 14 * 3600, -12 * 3600,
			       5 * 3600 + 45 * 60, 8 * 3600 + 343, extra_offset};
	for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
		char buf[40];
		int64_t back = 0;
		const char *problem = NULL;
		/* Only UTC is certain to stay within the four-digit years of RFC 3339. */
		if (offsets[i] != 0 && (us < MIN_US || us >= MAX_US))
			continue;
		size_t n = aq_time_format(us, offsets[i], buf, sizeof buf);
		FUZZ_CHECK(n > 0 && n < sizeof buf);
		if (!aq_time_parse_rfc3339(buf, &back, &problem)) {
			fprintf(stderr, "%s → %s: %s\n", s, buf, problem);
			FUZZ_CHECK(!"formatted instant does not parse");
		}
		if (back != us) {
			fprintf(stderr, "%s → %s → %lld, not %lld\n", s, buf, (long long)back, (long long)us);
			FUZZ_CHECK(back == us);
		}
	}
}

static void check_date(const char *s, int64_t day)
{
	char buf[11];
	int y, m, d;
	aq_date_format(day, buf);
	FUZZ_CHECK(strcmp(buf, s) == 0); /* YYYY-MM-DD is canonical: one text per day */
	aq_civil_from_days(day, &y, &m, &d);
	FUZZ_CHECK(aq_date_valid(y, m, d) && aq_days_from_civil(y, m, d) == day);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	int64_t us = 0, day = 0;
	const char *problem = NULL;

	/* The last 4 bytes choose an offset within ±18 h, seconds included. */
	int extra_offset = 0;
	if (size >= 4) {
		uint32_t raw;
		memcpy(&raw, data + size - 4, sizeof raw);
		extra_offset = (int)(raw % (2 * 18 * 3600 + 1)) - 18 * 3600;
	}
	if (aq_time_parse_rfc3339(s, &us, &problem))
		check_instant(s, us, extra_offset);
	else
		FUZZ_CHECK(problem != NULL && problem[0] != '\0');
	if (aq_date_parse(s, &day))
		check_date(s, day);

	/* The first 8 bytes as a day number, folded into 0001-01-01..9999-12-31. */
	if (size >= 8) {
		uint64_t raw;
		memcpy(&raw, data, sizeof raw);
		int64_t lo = aq_days_from_civil(1, 1, 1), hi = aq_days_from_civil(9999, 12, 31);
		int64_t dd = lo + (int64_t)(raw % (uint64_t)(hi - lo + 1));
		char buf[11];
		int64_t back = 0;
		aq_date_format(dd, buf);
		FUZZ_CHECK(aq_date_parse(buf, &back) && back == dd);
	}
	free(s);
	return 0;
}
