/* aq_hj212.h — HJ 212-2017 on the wire, pure: the CRC, cutting frames out of a byte stream,
 * the data segment's header fields, the CP data of a data upload (CN 2011/2051/2061) turned
 * into a reading, and the CN=9014 data answer. No I/O, no clock, no time zone: the listener
 * (aq_hj212_server.h) feeds bytes in and does everything that needs the outside world.
 *
 * A frame is "##" + 4 decimal digits (length of the data segment) + the data segment (ASCII,
 * at most 1024 bytes) + 4 hex digits (CRC of the data segment) + "\r\n". */
#ifndef AQ_HJ212_H
#define AQ_HJ212_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_reading.h"

#define AQ_HJ212_MAX_SEGMENT 1024
/* "##" + length + segment + CRC + "\r\n" */
#define AQ_HJ212_MAX_FRAME (2 + 4 + AQ_HJ212_MAX_SEGMENT + 4 + 2)
#define AQ_HJ212_QN_MAX 20 /* YYYYMMDDhhmmsszzz is 17; the standard allows 20 */
#define AQ_HJ212_PW_MAX 64
#define AQ_HJ212_MN_MAX 63 /* fits struct aq_station.mn */

/* Why a frame was not stored. The framing reasons come from aq_hj212_scan, the segment ones
 * from the parsers below, the rest from the listener. */
enum aq_hj212_reject {
	AQ_HJ212_REJ_BAD_LENGTH,     /* length field not 4 digits, or disagreeing with the frame */
	AQ_HJ212_REJ_OVERSIZE,	     /* length field above 1024 */
	AQ_HJ212_REJ_BAD_CRC,	     /* well framed, CRC does not match the data segment */
	AQ_HJ212_REJ_MALFORMED,	     /* data segment or CP data not as the standard writes them */
	AQ_HJ212_REJ_UNSUPPORTED,    /* ST other than 22, CN other than 2011/2051/2061, multi-packet */
	AQ_HJ212_REJ_UNKNOWN_MN,     /* no station has this MN */
	AQ_HJ212_REJ_BAD_PASSWORD,   /* PW does not match the station's hj212_password */
	AQ_HJ212_REJ_INACTIVE,	     /* the station is deactivated */
	AQ_HJ212_REJ_INVALID,	     /* the reading fails aq_reading_validate (ranges, skew, ...) */
	AQ_HJ212_REJ_STORE_FAILED,   /* the database could not store it (the device retries) */
	AQ_HJ212_REJ_NO_KNOWN_CODES, /* nothing in the frame maps to a reading field */
	AQ_HJ212_REJ_THROTTLED,	     /* a password check asked for too soon after a wrong one */
	AQ_HJ212_REJ_LOCKED_OUT,     /* the MN or the sender's address is locked out */
	AQ_HJ212_REJ_COUNT
};

/* snake_case name of a reason ("bad_crc"), e.g. for a Prometheus label. Static string. */
const char *aq_hj212_reject_name(enum aq_hj212_reject r);

/* CRC16_Checkout of HJ 212-2017: register 0xFFFF; per byte reg = (reg >> 8) ^ byte, then eight
 * times: shift right, and XOR 0xA001 when the bit shifted out was 1. */
uint16_t aq_hj212_crc(const void *data, size_t n);

enum aq_hj212_scan {
	AQ_HJ212_NEED_MORE, /* nothing to take yet: wait for more bytes (*consumed = 0) */
	AQ_HJ212_SKIP,	    /* bytes before the next "##": drop *consumed bytes */
	AQ_HJ212_FRAME,	    /* a whole frame with a good CRC at the start of buf */
	AQ_HJ212_BAD_LENGTH,
	AQ_HJ212_OVERSIZE,
	AQ_HJ212_BAD_CRC,
};

/* Looks at the start of buf[0, len). Returns what is there and sets *consumed to the bytes
 * the caller drops before scanning again: for FRAME and BAD_CRC the whole frame, for
 * BAD_LENGTH and OVERSIZE only the first '#' (so that a frame hidden behind a bad header is
 * still found), for SKIP the garbage before the next "##". For FRAME the data segment is
 * buf + 6, *seg_len bytes long. A length that disagrees with the frame is reported as soon
 * as the bytes that show it have arrived (a CR or LF inside the segment, a non-hex CRC, no
 * CR LF after it), not when the declared length is reached. A frame never needs more than
 * AQ_HJ212_MAX_FRAME bytes of buffer: with that many bytes at hand the answer is never
 * NEED_MORE. */
enum aq_hj212_scan aq_hj212_scan(const char *buf, size_t len, size_t *consumed, size_t *seg_len);

/* The header fields of a data segment. Strings are copies; cp borrows from the segment. */
struct aq_hj212_header {
	char qn[AQ_HJ212_QN_MAX + 1]; /* "" when absent */
	int st;
	int cn;
	char pw[AQ_HJ212_PW_MAX + 1];
	char mn[AQ_HJ212_MN_MAX + 1];
	int flag;	/* -1 when absent */
	int pnum, pno;	/* 0 when absent (not split into packets) */
	const char *cp; /* between "CP=&&" and the closing "&&" */
	size_t cp_len;
};

/* Parses "QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;CP=&&…&&" (seg, len bytes, not NUL-terminated).
 * ST, CN, PW, MN and CP are required; CP comes last. Unknown keys are ignored. False with a
 * static reason in *why when the segment is malformed. */
bool aq_hj212_parse_header(const char *seg, size_t len, struct aq_hj212_header *h, const char **why);

/* Flag bit 0 (A): the sender asks for an answer. */
bool aq_hj212_answer_wanted(const struct aq_hj212_header *h);

/* True for the data uploads aqrank stores: ST=22 (ambient air) and CN 2011 (real-time),
 * 2051 (minute) or 2061 (hourly). */
bool aq_hj212_is_data_upload(const struct aq_hj212_header *h);

/* DataTime: local civil time, in the time zone the listener is configured for. */
struct aq_hj212_time {
	int year, month, day, hour, minute, second;
};

/* ---- factor codes ---- */

#define AQ_HJ212_CODE_MAX 24	/* longest factor code kept by name ("a34004", "PM2.5", …) */
#define AQ_HJ212_CODES_MAX 32	/* entries of a station's hj212_codes map */
#define AQ_HJ212_UNKNOWN_MAX 16 /* unknown codes a frame reports by name */
#define AQ_HJ212_VALUE_MAX 23	/* an unknown code's value as shown, truncated */
/* A recognised code that is no reading field (TSP, noise): set aside, never a refusal. */
#define AQ_HJ212_SET_ASIDE (-1)

/* A station's own codes (its hj212_codes map), looked up before the built-in table. */
struct aq_hj212_codes {
	int n;
	struct {
		char code[AQ_HJ212_CODE_MAX + 1];
		int field; /* enum aq_field, or AQ_HJ212_SET_ASIDE */
	} item[AQ_HJ212_CODES_MAX];
};

/* Adds code → field to m. field is a reading field's JSON name ("pm25", "temperature", …) or
 * "ignore" (set aside). A code is 1..24 of A-Z a-z 0-9 _ . and is compared without regard
 * to case. False with a static reason in *why (bad code, unknown field, the same code twice,
 * map full); m is unchanged then. */
bool aq_hj212_codes_add(struct aq_hj212_codes *m, const char *code, const char *field, const char **why);

/* Reads "CODE=field;CODE=field" (the form the database hands out) into m. False when an entry
 * is not valid (m then holds the entries before it). An empty text is an empty map. */
bool aq_hj212_codes_parse(const char *text, struct aq_hj212_codes *m);

/* What code (len bytes) stands for: the station's map m first (NULL: none), then the built-in
 * table (HJ 212-2017 codes and the vendor aliases of docs/HJ212.md), case-insensitively.
 * True with *field = an enum aq_field or AQ_HJ212_SET_ASIDE; false for an unknown code. */
bool aq_hj212_code_lookup(const struct aq_hj212_codes *m, const char *code, size_t len, int *field);

/* What a frame carried besides its reading. */
struct aq_hj212_extra {
	int unknown;   /* unknown codes in the frame, each counted once (past the named ones: by
			* its -Rtd/-Avg item) */
	int set_aside; /* items of recognised codes that are no reading field (TSP, noise) */
	int n;	       /* unknown codes named in item[] (the first AQ_HJ212_UNKNOWN_MAX) */
	struct {
		char code[AQ_HJ212_CODE_MAX + 1];
		char value[AQ_HJ212_VALUE_MAX + 1]; /* its -Rtd/-Avg value as sent, "" if none */
	} item[AQ_HJ212_UNKNOWN_MAX];
};

/* Reads the CP data of a data upload into r (aq_reading_init first; station and observed_us
 * are left alone), the DataTime into *t and what else it held into *extra (may be NULL).
 * Values come from "<code>-Rtd" for CN 2011 and "<code>-Avg" for CN 2051/2061, flags from
 * "<code>-Flag"; codes are looked up with aq_hj212_code_lookup(codes, …), other suffixes are
 * ignored. Loose frames are read as devices send them: empty items (";;", a ';' before the
 * closing "&&"), an empty value (taken as absent), an item without '=' and unknown codes are
 * skipped (unknown ones counted in *extra). Pressure below 200 is taken as kPa and converted
 * to hPa. False with a static reason in *why on a missing or impossible DataTime, a value of a
 * recognised code that is not a decimal number, a flag that is not one HJ 212 letter, or a
 * factor given twice. A frame with no value for any field parses (r->present == 0): the
 * caller refuses it (no_known_codes). */
bool aq_hj212_parse_data(const struct aq_hj212_header *h, const struct aq_hj212_codes *codes, struct aq_reading *r,
			 struct aq_hj212_time *t, struct aq_hj212_extra *extra, const char **why);

/* Frames seg (n bytes) as "##" + length + seg + CRC + "\r\n" into out (size bytes, NUL added).
 * Returns the frame's length, or 0 when n > 1024 or out is too small. */
size_t aq_hj212_frame(const char *seg, size_t n, char *out, size_t size);

/* The CN=9014 data answer to h ("QN=…;ST=91;CN=9014;PW=…;MN=…;Flag=4;CP=&&&&"), framed, into
 * out (AQ_HJ212_MAX_FRAME + 1 bytes is always enough). Returns its length. */
size_t aq_hj212_data_answer(const struct aq_hj212_header *h, char *out, size_t size);

#endif
