/* fuzz_hj212.c — the HJ 212-2017 frame scanner and segment parsers: the bytes a device (or
 * anyone on the network) sends. The input is fed the way the listener feeds a connection's
 * buffer: scan, drop what the scanner says to drop, scan again. Invariants: the scanner always
 * makes progress or asks for more; a frame it accepts has a good CRC and re-frames to exactly
 * its bytes; headers and data that parse give in-range readings and a well-formed answer. */
#include "fuzz.h"

#include <strings.h>

#include "aq_hj212.h"
#include "aq_reading.h"

static void check_segment(const char *seg, size_t n)
{
	struct aq_hj212_header h;
	const char *why = NULL;
	char answer[AQ_HJ212_MAX_FRAME + 1];
	if (!aq_hj212_parse_header(seg, n, &h, &why)) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(h.cp >= seg && h.cp + h.cp_len <= seg + n);
	size_t an = aq_hj212_data_answer(&h, answer, sizeof answer);
	if (an > 0) {
		size_t consumed = 0, seg_len = 0;
		FUZZ_CHECK(aq_hj212_scan(answer, an, &consumed, &seg_len) == AQ_HJ212_FRAME);
		FUZZ_CHECK(consumed == an);
	}
	if (!aq_hj212_is_data_upload(&h))
		return;
	struct aq_reading r;
	struct aq_hj212_time t;
	struct aq_hj212_extra x;
	struct aq_hj212_codes codes;
	/* A station map that renames a standard code and sets another aside, as an operator might. */
	FUZZ_CHECK(aq_hj212_codes_parse("a34004=pm10;PM10=pm25;a21005=ignore;X.1=co", &codes));
	for (int pass = 0; pass < 2; pass++) {
		aq_reading_init(&r);
		if (aq_hj212_parse_data(&h, pass ? &codes : NULL, &r, &t, &x, &why)) {
			FUZZ_CHECK(t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31);
			FUZZ_CHECK(t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59);
			for (int f = 0; f < AQ_FIELDS; f++)
				FUZZ_CHECK(aq_flag_valid(r.flag[f]));
			FUZZ_CHECK(x.n >= 0 && x.n <= AQ_HJ212_UNKNOWN_MAX && x.n <= x.unknown);
			for (int i = 0; i < x.n; i++)
				FUZZ_CHECK(strlen(x.item[i].code) <= AQ_HJ212_CODE_MAX &&
					   strlen(x.item[i].value) <= AQ_HJ212_VALUE_MAX);
		} else {
			FUZZ_CHECK(why != NULL);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t at = 0;
	/* The listener's loop over one connection's buffer. */
	while (at < size) {
		size_t consumed = 0, seg_len = 0;
		enum aq_hj212_scan s = aq_hj212_scan(buf + at, size - at, &consumed, &seg_len);
		if (s == AQ_HJ212_NEED_MORE) {
			FUZZ_CHECK(consumed == 0);
			FUZZ_CHECK(size - at < AQ_HJ212_MAX_FRAME);
			break;
		}
		FUZZ_CHECK(consumed > 0 && consumed <= size - at); /* always progress */
		if (s == AQ_HJ212_FRAME) {
			char again[AQ_HJ212_MAX_FRAME + 1];
			FUZZ_CHECK(seg_len <= 1024 && 6 + seg_len + 6 == consumed);
			size_t n = aq_hj212_frame(buf + at + 6, seg_len, again, sizeof again);
			/* Same bytes, but the CRC's hex digits may come in either case. */
			FUZZ_CHECK(n == consumed && memcmp(again, buf + at, n - 6) == 0);
			FUZZ_CHECK(strncasecmp(again + n - 6, buf + at + n - 6, 4) == 0);
			check_segment(buf + at + 6, seg_len);
		}
		at += consumed;
	}
	/* The parsers also take any bytes as a segment. */
	if (size <= 1024)
		check_segment(buf, size);
	return 0;
}
