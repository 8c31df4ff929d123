/* hj212.c — HJ 212-2017 frames and data segments, pure: CRC, frame scanning with
 * resynchronisation on "##", header and CP parsing into a reading, the CN=9014 answer.
 * The listener (hj212_server.c) owns sockets, buffers, the clock and the database. */
#include "aq_hj212.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const reject_names[AQ_HJ212_REJ_COUNT] = {
	[AQ_HJ212_REJ_BAD_LENGTH] = "bad_length",
	[AQ_HJ212_REJ_OVERSIZE] = "oversize",
	[AQ_HJ212_REJ_BAD_CRC] = "bad_crc",
	[AQ_HJ212_REJ_MALFORMED] = "malformed",
	[AQ_HJ212_REJ_UNSUPPORTED] = "unsupported",
	[AQ_HJ212_REJ_UNKNOWN_MN] = "unknown_mn",
	[AQ_HJ212_REJ_BAD_PASSWORD] = "bad_password",
	[AQ_HJ212_REJ_INACTIVE] = "inactive",
	[AQ_HJ212_REJ_INVALID] = "invalid",
	[AQ_HJ212_REJ_STORE_FAILED] = "store_failed",
	[AQ_HJ212_REJ_NO_KNOWN_CODES] = "no_known_codes",
	[AQ_HJ212_REJ_THROTTLED] = "throttled",
	[AQ_HJ212_REJ_LOCKED_OUT] = "locked_out",
};

const char *aq_hj212_reject_name(enum aq_hj212_reject r)
{
	return (unsigned)r < AQ_HJ212_REJ_COUNT ? reject_names[r] : "unknown";
}

uint16_t aq_hj212_crc(const void *data, size_t n)
{
	const unsigned char *p = data;
	unsigned reg = 0xFFFF;
	for (size_t i = 0; i < n; i++) {
		reg = (reg >> 8) ^ p[i];
		for (int bit = 0; bit < 8; bit++) {
			unsigned out = reg & 1u;
			reg >>= 1;
			if (out)
				reg ^= 0xA001;
		}
	}
	return (uint16_t)reg;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Offset of the first "##" in buf[from, len) — the last two of a run of '#' — or len when
 * there is none. */
static size_t find_header(const char *buf, size_t from, size_t len)
{
	for (size_t i = from; i + 1 < len; i++)
		if (buf[i] == '#' && buf[i + 1] == '#' && (i + 2 >= len || buf[i + 2] != '#'))
			return i;
	return len;
}

enum aq_hj212_scan aq_hj212_scan(const char *buf, size_t len, size_t *consumed, size_t *seg_len)
{
	*consumed = 0;
	*seg_len = 0;
	if (len < 2)
		return len == 1 && buf[0] != '#' ? (*consumed = 1, AQ_HJ212_SKIP) : AQ_HJ212_NEED_MORE;
	/* "###": the first '#' is noise before a header. */
	if (buf[0] != '#' || buf[1] != '#' || (len > 2 && buf[2] == '#')) {
		size_t at = find_header(buf, 1, len);
		/* A lone trailing '#' may be the first half of the next header: keep it. */
		if (at == len && buf[len - 1] == '#')
			at = len - 1;
		*consumed = at;
		return AQ_HJ212_SKIP;
	}
	/* On a bad header only the first '#' goes: the rest is scanned again for "##". */
	*consumed = 1;
	size_t n = 0;
	for (size_t i = 2; i < 6 && i < len; i++) {
		if (!is_digit(buf[i]))
			return AQ_HJ212_BAD_LENGTH;
		n = n * 10 + (size_t)(buf[i] - '0');
	}
	if (len < 6) {
		*consumed = 0;
		return AQ_HJ212_NEED_MORE;
	}
	if (n > AQ_HJ212_MAX_SEGMENT)
		return AQ_HJ212_OVERSIZE;
	/* Check what has arrived as it arrives: the segment is printable ASCII, then come four
	 * hex digits and CR LF. A length that disagrees with the frame shows up as a CR or LF
	 * too early or a non-hex CRC, and saying so now beats waiting for bytes that may never
	 * come (a device waiting for its answer sends nothing more). */
	size_t seg_end = 6 + n, total = seg_end + 4 + 2;
	for (size_t i = 6; i < len && i < total; i++) {
		char c = buf[i];
		bool ok = i < seg_end	    ? c != '\r' && c != '\n'
			  : i < seg_end + 4 ? hex_digit(c) >= 0
					    : c == (i == seg_end + 4 ? '\r' : '\n');
		if (!ok)
			return AQ_HJ212_BAD_LENGTH;
	}
	if (len < total) {
		*consumed = 0;
		return AQ_HJ212_NEED_MORE;
	}
	unsigned crc = 0;
	for (size_t i = seg_end; i < seg_end + 4; i++)
		crc = crc * 16 + (unsigned)hex_digit(buf[i]);
	*consumed = total;
	if (aq_hj212_crc(buf + 6, n) != crc)
		return AQ_HJ212_BAD_CRC;
	*seg_len = n;
	return AQ_HJ212_FRAME;
}

/* ---- data segment ---- */

static bool key_is(const char *key, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(key, want, n) == 0;
}

/* Non-negative decimal integer of 1..9 digits. */
static bool parse_uint(const char *s, size_t n, int *out)
{
	if (n == 0 || n > 9)
		return false;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Copies a header value of 1..max printable characters. */
static bool copy_value(char *dst, size_t max, const char *s, size_t n)
{
	if (n == 0 || n > max)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

enum header_key {
	K_QN,
	K_ST,
	K_CN,
	K_PW,
	K_MN,
	K_FLAG,
	K_PNUM,
	K_PNO,
	K_COUNT
};
static const char *const header_keys[K_COUNT] = {"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"};

static bool set_header_field(struct aq_hj212_header *h, int k, const char *v, size_t n)
{
	switch (k) {
	case K_QN:
		for (size_t i = 0; i < n; i++)
			if (!is_digit(v[i]))
				return false;
		return copy_value(h->qn, AQ_HJ212_QN_MAX, v, n);
	case K_ST: return parse_uint(v, n, &h->st);
	case K_CN: return parse_uint(v, n, &h->cn);
	case K_PW: return n == 0 ? (h->pw[0] = '\0', true) : copy_value(h->pw, AQ_HJ212_PW_MAX, v, n);
	case K_MN: return copy_value(h->mn, AQ_HJ212_MN_MAX, v, n);
	case K_FLAG: return parse_uint(v, n, &h->flag) && h->flag <= 255;
	case K_PNUM: return parse_uint(v, n, &h->pnum);
	case K_PNO: return parse_uint(v, n, &h->pno);
	default: return false;
	}
}

bool aq_hj212_parse_header(const char *seg, size_t len, struct aq_hj212_header *h, const char **why)
{
	unsigned seen = 0;
	size_t pos = 0;

	memset(h, 0, sizeof *h);
	h->flag = -1;
	*why = NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)seg[i];
		if (c < 0x20 || c > 0x7E) {
			*why = "the data segment is not printable ASCII";
			return false;
		}
	}
	while (pos < len) {
		const char *eq = memchr(seg + pos, '=', len - pos);
		if (!eq) {
			*why = "a field has no '='";
			return false;
		}
		const char *key = seg + pos;
		size_t klen = (size_t)(eq - key);
		const char *v = eq + 1;
		if (key_is(key, klen, "CP")) {
			/* CP is the last field and may itself hold ';' and '=': it runs to the end. */
			size_t vlen = len - (size_t)(v - seg);
			if (vlen < 4 || memcmp(v, "&&", 2) != 0 || memcmp(v + vlen - 2, "&&", 2) != 0) {
				*why = "CP is not enclosed in && … &&";
				return false;
			}
			h->cp = v + 2;
			h->cp_len = vlen - 4;
			break;
		}
		const char *semi = memchr(v, ';', len - (size_t)(v - seg));
		size_t vlen = semi ? (size_t)(semi - v) : len - (size_t)(v - seg);
		for (int k = 0; k < K_COUNT; k++) {
			if (!key_is(key, klen, header_keys[k]))
				continue;
			if (seen & (1u << k)) {
				*why = "a header field is given twice";
				return false;
			}
			seen |= 1u << k;
			if (!set_header_field(h, k, v, vlen)) {
				*why = "a header field has an impossible value";
				return false;
			}
		}
		pos = (size_t)(v - seg) + vlen + 1;
	}
	unsigned required = (1u << K_ST) | (1u << K_CN) | (1u << K_PW) | (1u << K_MN);
	if ((seen & required) != required)
		*why = "ST, CN, PW and MN are required";
	else if (!h->cp)
		*why = "CP=&&…&& is missing";
	return *why == NULL;
}

bool aq_hj212_answer_wanted(const struct aq_hj212_header *h)
{
	return h->flag >= 0 && (h->flag & 1) != 0;
}

bool aq_hj212_is_data_upload(const struct aq_hj212_header *h)
{
	return h->st == 22 && (h->cn == 2011 || h->cn == 2051 || h->cn == 2061);
}

/* ---- CP data ---- */

/* Codes aqrank knows without being told: the HJ 212-2017 codes of the ambient air factors,
 * and the names micro-station vendors send instead (docs/HJ212.md §3 lists them). TSP and
 * noise are measured by many devices and ranked by none: recognised, set aside. */
static const struct {
	const char *code;
	int field;
} builtin_codes[] = {
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
	{"PM25", AQ_F_PM25},
	{"PM2.5", AQ_F_PM25},
	{"PM10", AQ_F_PM10},
	{"SO2", AQ_F_SO2},
	{"NO2", AQ_F_NO2},
	{"CO", AQ_F_CO},
	{"O3", AQ_F_O3},
	{"TEMP", AQ_F_TEMPERATURE},
	{"TEM", AQ_F_TEMPERATURE},
	{"HUMI", AQ_F_HUMIDITY},
	{"RH", AQ_F_HUMIDITY},
	{"WD", AQ_F_WIND_DIRECTION},
	{"WS", AQ_F_WIND_SPEED},
	{"PA", AQ_F_PRESSURE},
	{"PRES", AQ_F_PRESSURE},
	{"a34001", AQ_HJ212_SET_ASIDE},
	{"TSP", AQ_HJ212_SET_ASIDE},
	{"NOISE", AQ_HJ212_SET_ASIDE},
	{"NOIS", AQ_HJ212_SET_ASIDE},
};

static bool key_is_ci(const char *key, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(key, want, n) == 0;
}

static bool code_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '.';
}

bool aq_hj212_codes_add(struct aq_hj212_codes *m, const char *code, const char *field, const char **why)
{
	size_t n = strlen(code);
	enum aq_field f;
	int value;

	*why = NULL;
	for (size_t i = 0; i < n; i++)
		if (!code_char(code[i]))
			*why = "a code is made of letters, digits, _ and .";
	if (n == 0 || n > AQ_HJ212_CODE_MAX)
		*why = "a code is 1 to 24 characters long";
	if (*why)
		return false;
	if (strcmp(field, "ignore") == 0) {
		value = AQ_HJ212_SET_ASIDE;
	} else if (aq_field_from_name(field, &f)) {
		value = (int)f;
	} else {
		*why = "must be a reading field (pm25, pm10, so2, no2, co, o3, temperature, humidity, pressure, "
		       "wind_speed, wind_direction) or \"ignore\"";
		return false;
	}
	for (int i = 0; i < m->n; i++) {
		if (strcasecmp(m->item[i].code, code) == 0) {
			*why = "the same code is given twice (codes are compared without regard to case)";
			return false;
		}
	}
	if (m->n >= AQ_HJ212_CODES_MAX) {
		*why = "a station maps at most 32 codes";
		return false;
	}
	memcpy(m->item[m->n].code, code, n + 1);
	m->item[m->n].field = value;
	m->n++;
	return true;
}

bool aq_hj212_codes_parse(const char *text, struct aq_hj212_codes *m)
{
	memset(m, 0, sizeof *m);
	while (*text) {
		char code[AQ_HJ212_CODE_MAX + 2], field[32];
		size_t item = strcspn(text, ";"), eq = strcspn(text, "=");
		const char *why;
		if (eq >= item || eq > AQ_HJ212_CODE_MAX || item - eq - 1 >= sizeof field)
			return false;
		memcpy(code, text, eq);
		code[eq] = '\0';
		memcpy(field, text + eq + 1, item - eq - 1);
		field[item - eq - 1] = '\0';
		if (!aq_hj212_codes_add(m, code, field, &why))
			return false;
		text += item + (text[item] == ';');
	}
	return true;
}

bool aq_hj212_code_lookup(const struct aq_hj212_codes *m, const char *code, size_t len, int *field)
{
	for (int i = 0; m && i < m->n; i++) {
		if (key_is_ci(code, len, m->item[i].code)) {
			*field = m->item[i].field;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof builtin_codes / sizeof builtin_codes[0]; i++) {
		if (key_is_ci(code, len, builtin_codes[i].code)) {
			*field = builtin_codes[i].field;
			return true;
		}
	}
	return false;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* YYYYMMDDhhmmss, a real calendar instant. */
static bool parse_datatime(const char *s, size_t n, struct aq_hj212_time *t)
{
	int part[6];
	static const int width[6] = {4, 2, 2, 2, 2, 2};
	if (n != 14)
		return false;
	for (int i = 0, at = 0; i < 6; at += width[i], i++)
		if (!parse_uint(s + at, (size_t)width[i], &part[i]))
			return false;
	*t = (struct aq_hj212_time){part[0], part[1], part[2], part[3], part[4], part[5]};
	return t->year >= 1 && t->month >= 1 && t->month <= 12 && t->day >= 1 &&
	       t->day <= days_in_month(t->year, t->month) && t->hour <= 23 && t->minute <= 59 && t->second <= 59;
}

/* [+-]digits[.digits] — the standard's N-format numbers; no exponents, no "nan". */
static bool parse_number(const char *s, size_t n, double *out)
{
	char tmp[40];
	size_t i = 0, digits = 0;
	if (n == 0 || n >= sizeof tmp)
		return false;
	if (s[i] == '-' || s[i] == '+')
		i++;
	for (; i < n && is_digit(s[i]); i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && is_digit(s[i]); i++)
			digits++;
	if (i != n || digits == 0)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, NULL);
	return true;
}

/* Counts an unknown code once per frame and keeps its name and value for the operator. */
static void note_unknown(struct aq_hj212_extra *x, const char *code, size_t clen, const char *v, size_t vlen,
			 bool is_value)
{
	if (clen > AQ_HJ212_CODE_MAX)
		clen = AQ_HJ212_CODE_MAX;
	for (int i = 0; i < x->n; i++) {
		if (key_is_ci(code, clen, x->item[i].code)) {
			if (is_value && vlen > 0) {
				size_t n = vlen > AQ_HJ212_VALUE_MAX ? AQ_HJ212_VALUE_MAX : vlen;
				memcpy(x->item[i].value, v, n);
				x->item[i].value[n] = '\0';
			}
			return;
		}
	}
	/* Past the named ones a code is counted by its value item, so still once per frame. */
	if (x->n >= AQ_HJ212_UNKNOWN_MAX) {
		x->unknown += is_value;
		return;
	}
	x->unknown++;
	memcpy(x->item[x->n].code, code, clen);
	x->item[x->n].code[clen] = '\0';
	size_t n = is_value ? (vlen > AQ_HJ212_VALUE_MAX ? AQ_HJ212_VALUE_MAX : vlen) : 0;
	memcpy(x->item[x->n].value, v, n);
	x->item[x->n].value[n] = '\0';
	x->n++;
}

/* Last '-' of key[0, n): factor codes such as "PM2.5" hold no '-', suffixes never do. */
static const char *last_dash(const char *key, size_t n)
{
	for (size_t i = n; i > 0; i--)
		if (key[i - 1] == '-')
			return key + i - 1;
	return NULL;
}

bool aq_hj212_parse_data(const struct aq_hj212_header *h, const struct aq_hj212_codes *codes, struct aq_reading *r,
			 struct aq_hj212_time *t, struct aq_hj212_extra *extra, const char **why)
{
	const char *value_suffix = h->cn == 2011 ? "Rtd" : "Avg";
	const char *p = h->cp, *end = h->cp + h->cp_len;
	struct aq_hj212_extra scratch;
	unsigned flagged = 0;
	bool has_time = false;

	if (!extra)
		extra = &scratch;
	memset(extra, 0, sizeof *extra);
	*why = NULL;
	/* Items are key=value, separated by ';' between factors and ',' within one. */
	while (p < end && !*why) {
		const char *item_end = p;
		while (item_end < end && *item_end != ';' && *item_end != ',')
			item_end++;
		const char *eq = memchr(p, '=', (size_t)(item_end - p));
		/* An empty item (";;", a ';' before the closing "&&") or one without '=': skipped. */
		if (item_end == p || !eq) {
			p = item_end + 1;
			continue;
		}
		size_t klen = (size_t)(eq - p), vlen = (size_t)(item_end - eq - 1);
		const char *v = eq + 1, *dash = last_dash(p, klen);
		const char *code = p, *suffix = dash ? dash + 1 : eq;
		size_t clen = dash ? (size_t)(dash - p) : klen, slen = (size_t)(eq - suffix);
		bool is_value = !dash || key_is_ci(suffix, slen, value_suffix);
		int f;
		if (key_is(p, klen, "DataTime")) {
			if (has_time)
				*why = "DataTime is given twice";
			else if (!parse_datatime(v, vlen, t))
				*why = "DataTime is not a real YYYYMMDDhhmmss";
			has_time = true;
		} else if (clen == 0) {
			/* "-Rtd=1": no code to speak of */
		} else if (!aq_hj212_code_lookup(codes, code, clen, &f)) {
			/* A device may measure more than aqrank ranks: counted, shown, never a refusal. */
			note_unknown(extra, code, clen, v, vlen, is_value);
		} else if (f == AQ_HJ212_SET_ASIDE) {
			extra->set_aside += is_value;
		} else if (!dash) {
			/* "PM25=12" without a suffix: not how any standard writes a value */
		} else if (key_is_ci(suffix, slen, value_suffix)) {
			double x;
			if (vlen == 0) {
				/* an empty value: no value */
			} else if (r->present & (1u << f))
				*why = "a factor's value is given twice";
			else if (!parse_number(v, vlen, &x))
				*why = "a value is not a decimal number";
			else {
				/* The standard's unit for a01006 is kPa, the SPEC's hPa; the accepted
				 * ranges (30–110 kPa, 300–1100 hPa) do not overlap. Vendors send either. */
				if (f == AQ_F_PRESSURE && x < 200)
					x *= 10;
				r->value[f] = x;
				r->present |= 1u << f;
			}
		} else if (key_is_ci(suffix, slen, "Flag")) {
			if (flagged & (1u << f))
				*why = "a factor's flag is given twice";
			else if (vlen != 1 || !aq_flag_valid(v[0]))
				*why = "a flag is not one of N F M S D C T B";
			else {
				r->flag[f] = v[0];
				flagged |= 1u << f;
			}
		}
		/* Min, Max, Cou, EFlag, ZsRtd, SampleTime, ...: not part of a reading. */
		p = item_end + 1;
	}
	if (!*why && !has_time)
		*why = "DataTime is missing";
	if (*why)
		return false;
	/* A flag qualifies a value: one without a value has nothing to mark. */
	for (int f = 0; f < AQ_FIELDS; f++)
		if (!(r->present & (1u << f)))
			r->flag[f] = 'N';
	return true;
}

/* ---- answers ---- */

size_t aq_hj212_frame(const char *seg, size_t n, char *out, size_t size)
{
	if (n > AQ_HJ212_MAX_SEGMENT || size < n + 13)
		return 0;
	snprintf(out, size, "##%04zu", n);
	memcpy(out + 6, seg, n);
	snprintf(out + 6 + n, size - 6 - n, "%04X\r\n", (unsigned)aq_hj212_crc(seg, n));
	return n + 12;
}

size_t aq_hj212_data_answer(const struct aq_hj212_header *h, char *out, size_t size)
{
	char seg[AQ_HJ212_MAX_SEGMENT + 1];
	/* Flag=4: protocol version 000001 (HJ 212-2017), not split, no answer wanted back. */
	int n = snprintf(seg, sizeof seg, "%s%s%sST=91;CN=9014;PW=%s;MN=%s;Flag=4;CP=&&&&", h->qn[0] ? "QN=" : "",
			 h->qn, h->qn[0] ? ";" : "", h->pw, h->mn);
	if (n < 0 || (size_t)n >= sizeof seg)
		return 0;
	return aq_hj212_frame(seg, (size_t)n, out, size);
}
