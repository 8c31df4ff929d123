/* check_hj212.c — Check suite for hj212.c: the CRC against frames published with their CRC
 * (the standard's own example among them), frame scanning (coalesced, split at every byte,
 * garbage, bad length, bad CRC, oversize), the header and CP parsers, the code table and the
 * CN=9014 answer. Expected CRCs and frames were computed independently (Python), not with the
 * code under test. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_hj212.h"
#include "aq_reading.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* HJ 212-2017's example (CN=1062, set the real-time interval): 101 bytes, CRC 1C80. */
#define STD_SEG "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
#define STD_FRAME "##0101" STD_SEG "1C80\r\n"
/* A data upload as a micro-station sends it: 159 bytes, CRC FB41. */
#define UP_SEG                                                                                 \
	"QN=20171207140000000;ST=22;CN=2011;PW=123456;MN=88888880000001;Flag=5;CP=&&DataTime=" \
	"20171207140000;a34004-Rtd=61,a34004-Flag=N;a34002-Rtd=118.5,a34002-Flag=N&&"
#define UP_FRAME "##0159" UP_SEG "FB41\r\n"

/* ---- CRC ---- */

static const struct {
	const char *data;
	unsigned crc;
} crc_cases[] = {
	{STD_SEG, 0x1C80},
	/* Published answer frames of other implementations (2017 and 2005 style). */
	{"QN=20260706103512345;ST=91;CN=9014;PW=123456;MN=A110000_0001;Flag=8;CP=&&&&", 0x0140},
	{"QN=20201008154743635;ST=91;CN=9014;PW=123456;MN=SD000001;Flag=9;CP=&&QnRtn=1&&", 0x71C0},
	{"QN=20120416225111069;ST=91;CN=9021;PW=122333;MN=88888880000006;Flag=1;CP=&&&&", 0x4100},
	{UP_SEG, 0xFB41},
	{"", 0xFFFF},
	{"123456789", 0x2F80},
};

START_TEST(test_crc)
{
	const char *d = crc_cases[_i].data;
	unsigned got = aq_hj212_crc(d, strlen(d));
	ck_assert_msg(got == crc_cases[_i].crc, "CRC of \"%.30s…\": %04X, want %04X", d, got, crc_cases[_i].crc);
}
END_TEST

START_TEST(test_crc_standard_length)
{
	ck_assert_int_eq(strlen(STD_SEG), 101);
	ck_assert_int_eq(strlen(UP_SEG), 159);
}
END_TEST

/* ---- scanning ---- */

/* Scans buf to the end like the listener does and describes what came out: F<seg_len> for a
 * frame, S<bytes> for skipped garbage, L bad length, O oversize, C bad CRC, N when it stops
 * for more bytes. */
static void describe(const char *buf, size_t len, char *out, size_t size)
{
	size_t off = 0;
	out[0] = '\0';
	while (off < len) {
		size_t used, seg;
		char item[24];
		enum aq_hj212_scan what = aq_hj212_scan(buf + off, len - off, &used, &seg);
		switch (what) {
		case AQ_HJ212_NEED_MORE: snprintf(item, sizeof item, "N"); break;
		case AQ_HJ212_SKIP: snprintf(item, sizeof item, "S%zu", used); break;
		case AQ_HJ212_FRAME: snprintf(item, sizeof item, "F%zu", seg); break;
		case AQ_HJ212_BAD_LENGTH: snprintf(item, sizeof item, "L"); break;
		case AQ_HJ212_OVERSIZE: snprintf(item, sizeof item, "O"); break;
		case AQ_HJ212_BAD_CRC: snprintf(item, sizeof item, "C"); break;
		}
		snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? " " : "", item);
		if (what == AQ_HJ212_NEED_MORE)
			break;
		ck_assert_msg(used > 0 && used <= len - off, "scan consumed %zu of %zu", used, len - off);
		off += used;
	}
}

static const struct {
	const char *name;
	const char *input;
	const char *want;
} scan_cases[] = {
	{"one frame", STD_FRAME, "F101"},
	{"two in one read", STD_FRAME UP_FRAME, "F101 F159"},
	{"garbage first", "hello" STD_FRAME, "S5 F101"},
	{"garbage between", STD_FRAME "\r\n#x#" STD_FRAME, "F101 S5 F101"},
	{"garbage only", "abc", "S3"},
	{"trailing hash kept", "abc#", "S3 N"},
	{"three hashes", "###0101" STD_SEG "1C80\r\n", "S1 F101"},
	{"lower-case CRC", "##0101" STD_SEG "1c80\r\n", "F101"},
	{"half a frame", "##0101QN=2016", "N"},
	{"header only", "##01", "N"},
	{"bad CRC, then a good frame", "##0101" STD_SEG "1C81\r\n" STD_FRAME, "C F101"},
	{"letter in length", "##01a1" STD_SEG "1C80\r\n" STD_FRAME, "L S112 F101"},
	/* Declared longer than the segment: the CR LF shows up inside the declared segment. */
	{"length too long", "##0110" STD_SEG "1C80\r\n" STD_FRAME, "L S112 F101"},
	/* Longer by less than the CRC: the CR lands where a hex digit should be. */
	{"length one too long", "##0102" STD_SEG "1C80\r\n", "L S112"},
	/* Declared shorter: no CR LF after the "CRC". */
	{"length too short", "##0100" STD_SEG "1C80\r\n" STD_FRAME, "L S112 F101"},
	{"no CR LF", "##0101" STD_SEG "1C80xx" STD_FRAME, "L S112 F101"},
	{"oversize", "##1025AAAA" STD_FRAME, "O S9 F101"},
	{"empty segment", "##0000FFFF\r\n", "F0"},
	{"max segment needs more", "##1024QN", "N"},
};

START_TEST(test_scan)
{
	char got[256];
	describe(scan_cases[_i].input, strlen(scan_cases[_i].input), got, sizeof got);
	ck_assert_msg(strcmp(got, scan_cases[_i].want) == 0, "%s: got \"%s\", want \"%s\"", scan_cases[_i].name, got,
		      scan_cases[_i].want);
}
END_TEST

/* Feeds two coalesced frames cut at every byte, as a listener's buffer would see them (the
 * unfinished rest kept, the next read appended): always exactly the two frames. */
START_TEST(test_scan_every_split)
{
	const char *stream = "xx" STD_FRAME UP_FRAME;
	size_t total = strlen(stream);
	char buf[2 * AQ_HJ212_MAX_FRAME];
	size_t len = 0, fed = 0;
	int frames = 0, garbage = 0;
	size_t step = (size_t)_i + 1; /* 1 = byte by byte */
	while (fed < total || len > 0) {
		size_t take = total - fed < step ? total - fed : step;
		memcpy(buf + len, stream + fed, take);
		len += take;
		fed += take;
		size_t off = 0;
		for (;;) {
			size_t used, seg;
			enum aq_hj212_scan what = aq_hj212_scan(buf + off, len - off, &used, &seg);
			if (what == AQ_HJ212_NEED_MORE || off == len)
				break;
			ck_assert_msg(what == AQ_HJ212_FRAME || what == AQ_HJ212_SKIP, "step %zu: result %d at %zu",
				      step, what, fed);
			frames += what == AQ_HJ212_FRAME;
			garbage += what == AQ_HJ212_SKIP ? (int)used : 0;
			off += used;
		}
		memmove(buf, buf + off, len - off);
		len -= off;
		if (fed == total)
			break;
	}
	ck_assert_msg(frames == 2 && garbage == 2 && len == 0, "step %zu: %d frames, %d garbage, %zu left", step,
		      frames, garbage, len);
}
END_TEST

/* With a full frame's worth of bytes the scanner always decides. */
START_TEST(test_scan_never_stuck)
{
	char buf[AQ_HJ212_MAX_FRAME];
	unsigned seed = 12345u + (unsigned)_i;
	for (size_t i = 0; i < sizeof buf; i++) {
		seed = seed * 1103515245u + 12345u;
		/* mostly '#', digits, CR, LF: the bytes that steer the scanner */
		static const char alphabet[] = "##0123456789\r\nAF;=&";
		buf[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
	}
	size_t used, seg;
	enum aq_hj212_scan what = aq_hj212_scan(buf, sizeof buf, &used, &seg);
	ck_assert_msg(what != AQ_HJ212_NEED_MORE && used > 0, "seed %d: stuck", _i);
}
END_TEST

/* ---- header ---- */

static const struct {
	const char *seg;
	bool ok;
	const char *qn, *pw, *mn;
	int st, cn, flag, pnum, pno;
	const char *cp;
	bool answer, upload;
} header_cases[] = {
	{STD_SEG, true, "20160801085857223", "100000", "010000A8900016F000169DC0", 32, 1062, 5, 0, 0, "RtdInterval=30",
	 true, false},
	{UP_SEG, true, "20171207140000000", "123456", "88888880000001", 22, 2011, 5, 0, 0,
	 "DataTime=20171207140000;a34004-Rtd=61,a34004-Flag=N;a34002-Rtd=118.5,a34002-Flag=N", true, true},
	{"ST=22;CN=2061;PW=p;MN=M;CP=&&&&", true, "", "p", "M", 22, 2061, -1, 0, 0, "", false, true},
	{"ST=22;CN=2051;PW=p;MN=M;Flag=4;CP=&&DataTime=20171207140000&&", true, "", "p", "M", 22, 2051, 4, 0, 0,
	 "DataTime=20171207140000", false, true},
	{"QN=1;ST=22;CN=2011;PW=p;MN=M;Flag=7;PNUM=2;PNO=1;Extra=x;CP=&&a=1;b=2&&", true, "1", "p", "M", 22, 2011, 7, 2,
	 1, "a=1;b=2", true, true},
	{"ST=31;CN=2011;PW=p;MN=M;Flag=1;CP=&&&&", true, "", "p", "M", 31, 2011, 1, 0, 0, "", true, false},
	{"ST=22;CN=9021;PW=p;MN=M;CP=&&&&", true, "", "p", "M", 22, 9021, -1, 0, 0, "", false, false},
	{.seg = "ST=22;CN=2011;PW=p;CP=&&&&", .ok = false},		  /* no MN */
	{.seg = "ST=22;CN=2011;MN=M;CP=&&&&", .ok = false},		  /* no PW */
	{.seg = "ST=22;CN=2011;PW=p;MN=M", .ok = false},		  /* no CP */
	{.seg = "ST=22;CN=2011;PW=p;MN=M;CP=a=1", .ok = false},		  /* CP without && */
	{.seg = "ST=22;CN=2011;PW=p;MN=M;CP=&&a=1", .ok = false},	  /* CP not closed */
	{.seg = "ST=22;ST=22;CN=2011;PW=p;MN=M;CP=&&&&", .ok = false},	  /* ST twice */
	{.seg = "ST=2x;CN=2011;PW=p;MN=M;CP=&&&&", .ok = false},	  /* ST not a number */
	{.seg = "ST=22;CN=2011;PW=p;MN=M;Flag=256;CP=&&&&", .ok = false}, /* Flag above a byte */
	{.seg = "QN=2017a;ST=22;CN=2011;PW=p;MN=M;CP=&&&&", .ok = false}, /* QN not digits */
	{.seg = "ST=22;CN=2011;PW=p;MN=;CP=&&&&", .ok = false},		  /* empty MN */
	{.seg = "ST=22;CN=2011;PW=p;MN=M\tX;CP=&&&&", .ok = false},	  /* control character */
	{.seg = "ST=22;CN=2011;PW=p;MN=M;Flag;CP=&&&&", .ok = false},	  /* field without '=' */
	{.seg = "", .ok = false},
};

START_TEST(test_header)
{
	struct aq_hj212_header h;
	const char *why = NULL;
	const char *seg = header_cases[_i].seg;
	bool ok = aq_hj212_parse_header(seg, strlen(seg), &h, &why);
	ck_assert_msg(ok == header_cases[_i].ok, "\"%s\": parsed %d (%s)", seg, ok, why ? why : "");
	if (!ok) {
		ck_assert_msg(why && why[0], "\"%s\": no reason", seg);
		return;
	}
	ck_assert_str_eq(h.qn, header_cases[_i].qn);
	ck_assert_str_eq(h.pw, header_cases[_i].pw);
	ck_assert_str_eq(h.mn, header_cases[_i].mn);
	ck_assert_int_eq(h.st, header_cases[_i].st);
	ck_assert_int_eq(h.cn, header_cases[_i].cn);
	ck_assert_int_eq(h.flag, header_cases[_i].flag);
	ck_assert_int_eq(h.pnum, header_cases[_i].pnum);
	ck_assert_int_eq(h.pno, header_cases[_i].pno);
	ck_assert_int_eq(h.cp_len, strlen(header_cases[_i].cp));
	ck_assert(memcmp(h.cp, header_cases[_i].cp, h.cp_len) == 0);
	ck_assert_int_eq(aq_hj212_answer_wanted(&h), header_cases[_i].answer);
	ck_assert_int_eq(aq_hj212_is_data_upload(&h), header_cases[_i].upload);
}
END_TEST

/* ---- CP data ---- */

#define NOVAL NAN
/* Expected values in enum aq_field order; NOVAL = absent. */
struct data_case {
	int cn;
	const char *cp;
	bool ok;
	double values[AQ_FIELDS];
	const char *flags; /* AQ_FIELDS letters */
	struct aq_hj212_time t;
	int unknown, set_aside; /* what aq_hj212_extra counts */
};

#define ALL_NOVAL                                                                           \
	{                                                                                   \
		NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL \
	}
#define T0                            \
	{                             \
		2017, 12, 7, 14, 0, 0 \
	}

static const struct data_case data_cases[] = {
	{2011,
	 "DataTime=20171207140000;a34004-Rtd=61,a34004-Flag=N;a34002-Rtd=118.5,a34002-Flag=N",
	 true,
	 {61, 118.5, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL},
	 "NNNNNNNNNNN",
	 T0,
	 0,
	 0},
	/* every code of the table, in a shuffled order */
	{2011,
	 "DataTime=20171207140000;a01008-Rtd=270;a01007-Rtd=3.2;a01006-Rtd=1012.5;a01002-Rtd=45;"
	 "a01001-Rtd=-3.5;a05024-Rtd=40;a21005-Rtd=1.2;a21004-Rtd=55;a21026-Rtd=9;a34002-Rtd=118;a34004-Rtd=61",
	 true,
	 {61, 118, 9, 55, 1.2, 40, -3.5, 45, 1012.5, 3.2, 270},
	 "NNNNNNNNNNN",
	 T0,
	 0,
	 0},
	/* CN 2051/2061 read -Avg; a -Rtd there is not the value */
	{2061,
	 "DataTime=20171207140000;a34004-Avg=33.5,a34004-Min=20,a34004-Max=50;a34002-Rtd=99",
	 true,
	 {33.5, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL},
	 "NNNNNNNNNNN",
	 T0,
	 0,
	 0},
	{2051,
	 "DataTime=20171207140100;a34002-Avg=80",
	 true,
	 {NOVAL, 80, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL},
	 "NNNNNNNNNNN",
	 {2017, 12, 7, 14, 1, 0},
	 0,
	 0},
	/* CN 2011 ignores -Avg */
	{2011,
	 "DataTime=20171207140000;a34004-Avg=33;a34002-Rtd=7",
	 true,
	 {NOVAL, 7, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL},
	 "NNNNNNNNNNN",
	 T0,
	 0,
	 0},
	/* flags, also before the value; a flag without a value is dropped */
	{2011,
	 "DataTime=20171207140000;a34002-Flag=D,a34002-Rtd=500;a34004-Rtd=61,a34004-Flag=M;a21026-Flag=C",
	 true,
	 {61, 500, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL},
	 "MDNNNNNNNNN",
	 T0,
	 0,
	 0},
	/* unknown codes and suffixes are ignored, separators mixed, empty items skipped */
	{2011,
	 "a99999-Rtd=5;;w01018-Rtd=x;a34004-Rtd=+12.;a34004-EFlag=B;DataTime=20171207140000;",
	 true,
	 {12, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL},
	 "NNNNNNNNNNN",
	 T0,
	 2,
	 0},
	/* loose frames: an empty value is no value, an item without '=' is skipped, a ';' before
	 * the closing "&&", codes and suffixes in any case */
	{2011,
	 "DataTime=20171207140000;a34004-Rtd=;a34002;pm10-rtd=80,PM10-FLAG=D;",
	 true,
	 {NOVAL, 80, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL},
	 "NDNNNNNNNNN",
	 T0,
	 0,
	 0},
	/* vendor aliases for every field; TSP and noise set aside, not unknown */
	{2011,
	 "DataTime=20171207140000;PM2.5-Rtd=31;PM10-Rtd=62;SO2-Rtd=8;NO2-Rtd=30;CO-Rtd=0.9;O3-Rtd=55;"
	 "TEMP-Rtd=-1.5;RH-Rtd=40;PRES-Rtd=1015;WS-Rtd=2.5;WD-Rtd=90;TSP-Rtd=120;NOISE-Rtd=55.1;NOIS-Rtd=50",
	 true,
	 {31, 62, 8, 30, 0.9, 55, -1.5, 40, 1015, 2.5, 90},
	 "NNNNNNNNNNN",
	 T0,
	 0,
	 3},
	{2011,
	 "DataTime=20171207140000;PM25-Rtd=31;TEM-Rtd=20;HUMI-Rtd=41;PA-Rtd=101.2",
	 true,
	 {31, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, 20, 41, 1012, NOVAL, NOVAL},
	 "NNNNNNNNNNN",
	 T0,
	 0,
	 0},
	/* only unknown codes: parsed with nothing present (the listener refuses: no_known_codes) */
	{2011, "DataTime=20171207140000;CO2-Rtd=405.0,CO2-Flag=N;VOC-Rtd=0.052;RtdInterval=30", true, ALL_NOVAL,
	 "NNNNNNNNNNN", T0, 3, 0},
	/* only set-aside codes: nothing present either */
	{2011, "DataTime=20171207140000;TSP-Rtd=38.5,TSP-Flag=N", true, ALL_NOVAL, "NNNNNNNNNNN", T0, 0, 1},
	/* pressure in the standard's kPa becomes hPa */
	{2011,
	 "DataTime=20171207140000;a34004-Rtd=1;a01006-Rtd=101.3",
	 true,
	 {1, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, 1013, NOVAL, NOVAL},
	 "NNNNNNNNNNN",
	 T0,
	 0,
	 0},
	/* leap day */
	{2011,
	 "DataTime=20160229235959;a34004-Rtd=1",
	 true,
	 {1, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL},
	 "NNNNNNNNNNN",
	 {2016, 2, 29, 23, 59, 59},
	 0,
	 0},
	/* no pollutant is still parsed: aq_reading_validate is what refuses it */
	{2011,
	 "DataTime=20171207140000;a01001-Rtd=5",
	 true,
	 {NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, 5, NOVAL, NOVAL, NOVAL, NOVAL},
	 "NNNNNNNNNNN",
	 T0,
	 0,
	 0},
	{2011, "a34004-Rtd=61", false, ALL_NOVAL, NULL, T0, 0, 0}, /* no time */
	{2011, "DataTime=20171207140000;DataTime=20171207140000;a34004-Rtd=1", false, ALL_NOVAL, NULL, T0, 0, 0},
	{2011, "DataTime=20170229140000;a34004-Rtd=1", false, ALL_NOVAL, NULL, T0, 0, 0}, /* not leap */
	{2011, "DataTime=20171207240000;a34004-Rtd=1", false, ALL_NOVAL, NULL, T0, 0, 0}, /* hour 24 */
	{2011, "DataTime=201712071400;a34004-Rtd=1", false, ALL_NOVAL, NULL, T0, 0, 0},	  /* too short */
	{2011, "DataTime=2017-12-07T14;a34004-Rtd=1", false, ALL_NOVAL, NULL, T0, 0, 0},
	{2011, "DataTime=20171207140000;a34004-Rtd=1e3", false, ALL_NOVAL, NULL, T0, 0, 0},
	{2011, "DataTime=20171207140000;a34004-Rtd=nan", false, ALL_NOVAL, NULL, T0, 0, 0},
	/* the same value under the standard code and an alias */
	{2011, "DataTime=20171207140000;a34004-Rtd=1;PM25-Rtd=2", false, ALL_NOVAL, NULL, T0, 0, 0},
	{2011, "DataTime=20171207140000;a34004-Rtd=.", false, ALL_NOVAL, NULL, T0, 0, 0},
	{2011, "DataTime=20171207140000;a34004-Rtd=1;a34004-Rtd=2", false, ALL_NOVAL, NULL, T0, 0, 0},
	{2011, "DataTime=20171207140000;a34004-Rtd=1,a34004-Flag=X", false, ALL_NOVAL, NULL, T0, 0, 0},
	{2011, "DataTime=20171207140000;a34004-Rtd=1,a34004-Flag=NN", false, ALL_NOVAL, NULL, T0, 0, 0},
	{2011, "DataTime=20171207140000;a34004-Rtd=1,a34004-Flag=N,a34004-Flag=D", false, ALL_NOVAL, NULL, T0, 0, 0},
	{2011, "DataTime=20171207140000;PM25-Rtd=12abc", false, ALL_NOVAL, NULL, T0, 0, 0},
};

START_TEST(test_data)
{
	const struct data_case *c = &data_cases[_i];
	char seg[1100];
	struct aq_hj212_header h;
	struct aq_reading r;
	struct aq_hj212_time t;
	const char *why = NULL;
	snprintf(seg, sizeof seg, "ST=22;CN=%d;PW=p;MN=M;CP=&&%s&&", c->cn, c->cp);
	ck_assert(aq_hj212_parse_header(seg, strlen(seg), &h, &why));
	aq_reading_init(&r);
	struct aq_hj212_extra x;
	bool ok = aq_hj212_parse_data(&h, NULL, &r, &t, &x, &why);
	ck_assert_msg(ok == c->ok, "case %d \"%s\": parsed %d (%s)", _i, c->cp, ok, why ? why : "");
	if (!ok) {
		ck_assert_msg(why && why[0], "case %d: no reason", _i);
		return;
	}
	ck_assert_msg(x.unknown == c->unknown && x.set_aside == c->set_aside, "case %d: %d unknown, %d set aside", _i,
		      x.unknown, x.set_aside);
	for (int f = 0; f < AQ_FIELDS; f++) {
		bool present = (r.present & (1u << f)) != 0;
		ck_assert_msg(present == !isnan(c->values[f]), "case %d: %s present %d", _i, aq_field_name(f), present);
		if (present)
			ck_assert_msg(fabs(r.value[f] - c->values[f]) < 1e-9, "case %d: %s = %g, want %g", _i,
				      aq_field_name(f), r.value[f], c->values[f]);
		ck_assert_msg(r.flag[f] == c->flags[f], "case %d: flag of %s '%c', want '%c'", _i, aq_field_name(f),
			      r.flag[f], c->flags[f]);
	}
	ck_assert_msg(memcmp(&t, &c->t, sizeof t) == 0, "case %d: time %04d%02d%02d%02d%02d%02d", _i, t.year, t.month,
		      t.day, t.hour, t.minute, t.second);
}
END_TEST

/* ---- code table ---- */

#define ASIDE AQ_HJ212_SET_ASIDE
#define UNKNOWN (-99)
static const struct {
	const char *code;
	int field; /* enum aq_field, ASIDE, or UNKNOWN */
} code_cases[] = {
	{"a34004", AQ_F_PM25},
	{"a34002", AQ_F_PM10},
	{"a21026", AQ_F_SO2},
	{"a21004", AQ_F_NO2},
	{"a21005", AQ_F_CO},
	{"a05024", AQ_F_O3},
	{"a01001", AQ_F_TEMPERATURE},
	{"a01002", AQ_F_HUMIDITY},
	{"a01006", AQ_F_PRESSURE},
	{"a01007", AQ_F_WIND_SPEED},
	{"a01008", AQ_F_WIND_DIRECTION},
	{"A34004", AQ_F_PM25},
	/* the vendor aliases of docs/HJ212.md, in any case */
	{"PM25", AQ_F_PM25},
	{"pm2.5", AQ_F_PM25},
	{"Pm2.5", AQ_F_PM25},
	{"PM10", AQ_F_PM10},
	{"so2", AQ_F_SO2},
	{"NO2", AQ_F_NO2},
	{"CO", AQ_F_CO},
	{"o3", AQ_F_O3},
	{"TEMP", AQ_F_TEMPERATURE},
	{"TEM", AQ_F_TEMPERATURE},
	{"HUMI", AQ_F_HUMIDITY},
	{"rh", AQ_F_HUMIDITY},
	{"WD", AQ_F_WIND_DIRECTION},
	{"WS", AQ_F_WIND_SPEED},
	{"PA", AQ_F_PRESSURE},
	{"PRES", AQ_F_PRESSURE},
	/* recognised and set aside */
	{"TSP", ASIDE},
	{"a34001", ASIDE},
	{"NOISE", ASIDE},
	{"nois", ASIDE},
	/* unknown */
	{"a21002", UNKNOWN} /* NOx */,
	{"a3400", UNKNOWN},
	{"a340041", UNKNOWN},
	{"PM2", UNKNOWN},
	{"PM25X", UNKNOWN},
	{"CO2", UNKNOWN},
	{"TEMPERATURE", UNKNOWN},
	{"", UNKNOWN},
};

START_TEST(test_code_lookup)
{
	int f = 12345;
	const char *code = code_cases[_i].code;
	bool known = aq_hj212_code_lookup(NULL, code, strlen(code), &f);
	ck_assert_msg(known == (code_cases[_i].field != UNKNOWN), "%s: known %d", code, known);
	if (known)
		ck_assert_msg(f == code_cases[_i].field, "%s: field %d", code, f);
}
END_TEST

/* A station's map beats the built-in table, and only for that station. */
static const struct {
	const char *map; /* as the database hands it */
	bool ok;
	const char *code;
	int field;
} map_cases[] = {
	{"PM25=pm10", true, "pm25", AQ_F_PM10},	  /* overrides an alias */
	{"PM25=pm10", true, "PM2.5", AQ_F_PM25},  /* the other aliases stay */
	{"a34004=ignore", true, "A34004", ASIDE}, /* a standard code set aside */
	{"XP1=pm25;XP2=pm10;TSP=pm10", true, "xp2", AQ_F_PM10},
	{"XP1=pm25;XP2=pm10;TSP=pm10", true, "TSP", AQ_F_PM10},
	{"XP1=pm25;XP2=pm10", true, "XP3", UNKNOWN},
	{"", true, "CO", AQ_F_CO},
	{"PM_2.5=pm25", true, "pm_2.5", AQ_F_PM25},
	{"XP1=pm2.5", false, NULL, 0},	       /* not a field name */
	{"XP1=PM25", false, NULL, 0},	       /* field names are lower case */
	{"X-1=pm25", false, NULL, 0},	       /* '-' separates the suffix */
	{"XP1=pm25;xp1=pm10", false, NULL, 0}, /* the same code twice */
	{"=pm25", false, NULL, 0},
	{"XP1", false, NULL, 0},
	{"ABCDEFGHIJKLMNOPQRSTUVWXY=pm25", false, NULL, 0}, /* 25 characters */
};

START_TEST(test_code_map)
{
	struct aq_hj212_codes m;
	bool ok = aq_hj212_codes_parse(map_cases[_i].map, &m);
	ck_assert_msg(ok == map_cases[_i].ok, "\"%s\": parsed %d", map_cases[_i].map, ok);
	if (!ok)
		return;
	int f = 12345;
	const char *code = map_cases[_i].code;
	bool known = aq_hj212_code_lookup(&m, code, strlen(code), &f);
	ck_assert_msg(known == (map_cases[_i].field != UNKNOWN), "%s: known %d", code, known);
	if (known)
		ck_assert_msg(f == map_cases[_i].field, "%s in \"%s\": field %d", code, map_cases[_i].map, f);
}
END_TEST

START_TEST(test_code_map_limits)
{
	struct aq_hj212_codes m = {0};
	const char *why = NULL;
	char code[16];
	for (int i = 0; i < AQ_HJ212_CODES_MAX; i++) {
		snprintf(code, sizeof code, "X%d", i);
		ck_assert_msg(aq_hj212_codes_add(&m, code, "pm25", &why), "%s: %s", code, why);
	}
	ck_assert(!aq_hj212_codes_add(&m, "ONE_MORE", "pm25", &why));
	ck_assert(why && strstr(why, "32"));
	ck_assert_int_eq(m.n, AQ_HJ212_CODES_MAX);
	ck_assert(!aq_hj212_codes_add(&m, "X1", "pm10", &why));
}
END_TEST

/* ---- frames as real micro-stations send them (docs/HJ212.md §3): the layout of each
 * published frame kept, only MN, PW and DataTime changed ---- */

struct real_case {
	const char *name;
	const char *seg;
	double values[AQ_FIELDS];
	int unknown, set_aside;
	const char *unknown_codes; /* the names, in order, comma-separated */
	const char *unknown_values;
};

static const struct real_case real_cases[] = {
	/* a micro-station's log, 2021: no QN, no Flag, a ';' before "&&", CO2/CH2O/VOC it measures too */
	{"2021 log",
	 "ST=22;CN=2011;PW=pw-2021;MN=88888880000021;CP=&&DataTime=20171207140000;TEMP-Rtd=22.0;HUMI-Rtd=43.5;"
	 "PM25-Rtd=2.0;CO2-Rtd=405.0;CH2O-Rtd=0.008;VOC-Rtd=0.052;&&",
	 {2, NOVAL, NOVAL, NOVAL, NOVAL, NOVAL, 22, 43.5, NOVAL, NOVAL, NOVAL},
	 3,
	 0,
	 "CO2,CH2O,VOC",
	 "405.0,0.008,0.052"},
	/* a vendor's sample, 2017: PM10/PM25/…/TEM/RH/WD/WS with flags, no QN, no Flag */
	{"2017 vendor",
	 "ST=22;CN=2011;PW=pw-2017;MN=88888880000017;CP=&&DataTime=20171207140000;PM10-Rtd=69,PM10-Flag=N;"
	 "PM25-Rtd=28,PM25-Flag=N;SO2-Rtd=23,SO2-Flag=N;CO-Rtd=1.3,CO-Flag=N;O3-Rtd=41,O3-Flag=N;NO2-Rtd=28,"
	 "NO2-Flag=N;TEM-Rtd=18.54,TEM-Flag=N;RH-Rtd=13.58,RH-Flag=N;WD-Rtd=315.0,WD-Flag=N;WS-Rtd=2.45,WS-Flag=N&&",
	 {28, 69, 23, 28, 1.3, 41, 18.54, 13.58, NOVAL, 2.45, 315},
	 0,
	 0,
	 "",
	 ""},
	/* an IoT platform's atmosphere protocol, 2017: NOIS (noise), PA and TSP besides */
	{"2017 platform",
	 "ST=22;CN=2011;PW=pw-2017b;MN=88888880000018;CP=&&DataTime=20171207140000;CO-Rtd=2.1367521,CO-Flag=N;"
	 "NO2-Rtd=0.85470086,NO2-Flag=N;SO2-Rtd=13.675214,SO2-Flag=N;O3-Rtd=21.794872,O3-Flag=N;NOIS-Rtd=14.529915,"
	 "NOIS-Flag=N;PM25-Rtd=41.025642,PM25-Flag=N;PM10-Rtd=29.05983,PM10-Flag=N;TEM-Rtd=8.119658,TEM-Flag=N;"
	 "RH-Rtd=31.623932,RH-Flag=N;WD-Rtd=2.1367521,WD-Flag=N;WS-Rtd=36.752136,WS-Flag=N;PA-Rtd=36.752136,"
	 "PA-Flag=N;TSP-Rtd=38.46154,TSP-Flag=N&&",
	 {41.025642, 29.05983, 13.675214, 0.85470086, 2.1367521, 21.794872, 8.119658, 31.623932, 367.52136, 36.752136,
	  2.1367521},
	 0,
	 2,
	 "",
	 ""},
};

START_TEST(test_real_frames)
{
	const struct real_case *c = &real_cases[_i];
	struct aq_hj212_header h;
	struct aq_reading r;
	struct aq_hj212_time t;
	struct aq_hj212_extra x;
	const char *why = NULL;
	char names[256] = "", values[256] = "";
	ck_assert_msg(aq_hj212_parse_header(c->seg, strlen(c->seg), &h, &why), "%s: %s", c->name, why);
	ck_assert_msg(aq_hj212_is_data_upload(&h) && !aq_hj212_answer_wanted(&h) && h.qn[0] == '\0', "%s", c->name);
	aq_reading_init(&r);
	ck_assert_msg(aq_hj212_parse_data(&h, NULL, &r, &t, &x, &why), "%s: %s", c->name, why);
	for (int f = 0; f < AQ_FIELDS; f++) {
		bool present = (r.present & (1u << f)) != 0;
		ck_assert_msg(present == !isnan(c->values[f]), "%s: %s present %d", c->name, aq_field_name(f), present);
		if (present)
			ck_assert_msg(fabs(r.value[f] - c->values[f]) < 1e-6, "%s: %s = %g", c->name, aq_field_name(f),
				      r.value[f]);
	}
	ck_assert_int_eq(x.unknown, c->unknown);
	ck_assert_int_eq(x.set_aside, c->set_aside);
	for (int i = 0; i < x.n; i++) {
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "," : "", x.item[i].code);
		snprintf(values + strlen(values), sizeof values - strlen(values), "%s%s", i ? "," : "",
			 x.item[i].value);
	}
	ck_assert_str_eq(names, c->unknown_codes);
	ck_assert_str_eq(values, c->unknown_values);
}
END_TEST

/* More unknown codes than are named: all counted, the first AQ_HJ212_UNKNOWN_MAX named, each
 * once however many suffixes it comes with, long names cut. */
START_TEST(test_unknown_many)
{
	char seg[1100] = "ST=22;CN=2061;PW=p;MN=M;CP=&&DataTime=20171207140000;PM10-Avg=50";
	for (int i = 0; i < 20; i++)
		snprintf(seg + strlen(seg), sizeof seg - strlen(seg), ";U%02d-Avg=%d,U%02d-Flag=N,U%02d-Max=9", i, i, i,
			 i);
	strcat(seg, ";ABCDEFGHIJKLMNOPQRSTUVWXYZ0123-Avg=123456789012345678901234567890&&");
	struct aq_hj212_header h;
	struct aq_reading r;
	struct aq_hj212_time t;
	struct aq_hj212_extra x;
	const char *why;
	ck_assert(aq_hj212_parse_header(seg, strlen(seg), &h, &why));
	aq_reading_init(&r);
	ck_assert_msg(aq_hj212_parse_data(&h, NULL, &r, &t, &x, &why), "%s", why);
	ck_assert_int_eq(x.unknown, 21);
	ck_assert_int_eq(x.n, AQ_HJ212_UNKNOWN_MAX);
	ck_assert_str_eq(x.item[0].code, "U00");
	ck_assert_str_eq(x.item[0].value, "0");
	ck_assert_str_eq(x.item[15].code, "U15");
	ck_assert_str_eq(x.item[15].value, "15");
	ck_assert(r.present == 1u << AQ_F_PM10);
	/* with a map naming two of them, they are read, not listed */
	struct aq_hj212_codes m;
	ck_assert(aq_hj212_codes_parse("U00=pm25;U01=ignore", &m));
	aq_reading_init(&r);
	ck_assert(aq_hj212_parse_data(&h, &m, &r, &t, &x, &why));
	ck_assert_int_eq(x.unknown, 19);
	ck_assert_int_eq(x.set_aside, 1);
	ck_assert(r.present == ((1u << AQ_F_PM10) | (1u << AQ_F_PM25)));
	ck_assert(r.value[AQ_F_PM25] == 0);
}
END_TEST

/* ---- answers and framing ---- */

START_TEST(test_data_answer)
{
	struct aq_hj212_header h;
	const char *why;
	char out[AQ_HJ212_MAX_FRAME + 1];
	ck_assert(aq_hj212_parse_header(UP_SEG, strlen(UP_SEG), &h, &why));
	size_t n = aq_hj212_data_answer(&h, out, sizeof out);
	const char *want =
		"##0077QN=20171207140000000;ST=91;CN=9014;PW=123456;MN=88888880000001;Flag=4;CP=&&&&B2C1\r\n";
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(n, strlen(want));

	/* without QN the answer has none either */
	const char *seg = "ST=22;CN=2011;PW=pw;MN=M1;Flag=5;CP=&&&&";
	ck_assert(aq_hj212_parse_header(seg, strlen(seg), &h, &why));
	aq_hj212_data_answer(&h, out, sizeof out);
	ck_assert_str_eq(out, "##0040ST=91;CN=9014;PW=pw;MN=M1;Flag=4;CP=&&&&F441\r\n");
}
END_TEST

START_TEST(test_frame)
{
	char out[AQ_HJ212_MAX_FRAME + 1];
	ck_assert_int_eq(aq_hj212_frame(STD_SEG, strlen(STD_SEG), out, sizeof out), strlen(STD_FRAME));
	ck_assert_str_eq(out, STD_FRAME);
	/* too small a buffer, too long a segment */
	ck_assert_int_eq(aq_hj212_frame(STD_SEG, strlen(STD_SEG), out, 50), 0);
	static char big[AQ_HJ212_MAX_SEGMENT + 1];
	memset(big, 'A', sizeof big);
	ck_assert_int_eq(aq_hj212_frame(big, sizeof big, out, sizeof out), 0);
	ck_assert_int_eq(aq_hj212_frame(big, AQ_HJ212_MAX_SEGMENT, out, sizeof out), AQ_HJ212_MAX_FRAME);
	size_t used, seg;
	ck_assert_int_eq(aq_hj212_scan(out, AQ_HJ212_MAX_FRAME, &used, &seg), AQ_HJ212_FRAME);
	ck_assert_int_eq(seg, AQ_HJ212_MAX_SEGMENT);
}
END_TEST

START_TEST(test_reject_names)
{
	for (int i = 0; i < AQ_HJ212_REJ_COUNT; i++) {
		const char *a = aq_hj212_reject_name(i);
		ck_assert_msg(a && a[0] && strcmp(a, "unknown") != 0, "reason %d has no name", i);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(a, aq_hj212_reject_name(j));
	}
	ck_assert_str_eq(aq_hj212_reject_name(AQ_HJ212_REJ_BAD_CRC), "bad_crc");
	ck_assert_str_eq(aq_hj212_reject_name(AQ_HJ212_REJ_COUNT), "unknown");
}
END_TEST

static Suite *hj212_suite(void)
{
	Suite *s = suite_create("hj212");
	TCase *tc;

	tc = tcase_create("crc");
	tcase_add_loop_test(tc, test_crc, 0, N(crc_cases));
	tcase_add_test(tc, test_crc_standard_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("framing");
	tcase_add_loop_test(tc, test_scan, 0, N(scan_cases));
	tcase_add_loop_test(tc, test_scan_every_split, 0, 300);
	tcase_add_loop_test(tc, test_scan_never_stuck, 0, 200);
	tcase_add_test(tc, test_frame);
	suite_add_tcase(s, tc);

	tc = tcase_create("segment");
	tcase_add_loop_test(tc, test_header, 0, N(header_cases));
	tcase_add_loop_test(tc, test_data, 0, N(data_cases));
	tcase_add_loop_test(tc, test_code_lookup, 0, N(code_cases));
	tcase_add_loop_test(tc, test_code_map, 0, N(map_cases));
	tcase_add_test(tc, test_code_map_limits);
	tcase_add_loop_test(tc, test_real_frames, 0, N(real_cases));
	tcase_add_test(tc, test_unknown_many);
	tcase_add_test(tc, test_data_answer);
	tcase_add_test(tc, test_reject_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hj212_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
