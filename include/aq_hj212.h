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
	AQ_HJ212_REJ_BAD_LENGTH,   /* length field not 4 digits, or disagreeing with the frame */
	AQ_HJ212_REJ_OVERSIZE,     /* length field above 1024 */
	AQ_HJ212_REJ_BAD_CRC,      /* well framed, CRC does not match the data segment */
	AQ_HJ212_REJ_MALFORMED,    /* data segment or CP data not as the standard writes them */
	AQ_HJ212_REJ_UNSUPPORTED,  /* ST other than 22, CN other than 2011/2051/2061, multi-packet */
	AQ_HJ212_REJ_UNKNOWN_MN,   /* no station has this MN */
	AQ_HJ212_REJ_BAD_PASSWORD, /* PW does not match the station's hj212_password */
	AQ_HJ212_REJ_INACTIVE,     /* the station is deactivated */
	AQ_HJ212_REJ_INVALID,      /* the reading fails aq_reading_validate (ranges, skew, ...) */
	AQ_HJ212_REJ_STORE_FAILED, /* the database could not store it (the device retries) */
	AQ_HJ212_REJ_COUNT
};

/* snake_case name of a reason ("bad_crc"), e.g. for a Prometheus label. Static string. */
const char *aq_hj212_reject_name(enum aq_hj212_reject r);

/* CRC16_Checkout of HJ 212-2017: register 0xFFFF; per byte reg = (reg >> 8) ^ byte, then eight
 * times: shift right, and XOR 0xA001 when the bit shifted out was 1. */
uint16_t aq_hj212_crc(const void *data, size_t n);

enum aq_hj212_scan {
	AQ_HJ212_NEED_MORE, /* nothing to take yet: wait for more bytes (*consumed = 0) */
	AQ_HJ212_SKIP,      /* bytes before the next "##": drop *consumed bytes */
	AQ_HJ212_FRAME,     /* a whole frame with a good CRC at the start of buf */
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
	int flag;       /* -1 when absent */
	int pnum, pno;  /* 0 when absent (not split into packets) */
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

/* Reads the CP data of a data upload into r (aq_reading_init first; station and observed_us
 * are left alone) and the DataTime into *t. Values come from "<code>-Rtd" for CN 2011 and
 * "<code>-Avg" for CN 2051/2061, flags from "<code>-Flag"; codes other than the eleven of
 * aq_hj212_code_field and other suffixes are ignored. A01006 pressure sent in the standard's
 * kPa (below 200) is converted to hPa. False with a static reason in *why on a missing or
 * impossible DataTime, a value that is not a decimal number, a flag that is not one HJ 212
 * letter, or a code given twice. */
bool aq_hj212_parse_data(const struct aq_hj212_header *h, struct aq_reading *r,
			 struct aq_hj212_time *t, const char **why);

/* The reading field of a pollutant code ("a34004" → AQ_F_PM25). False for other codes. */
bool aq_hj212_code_field(const char *code, size_t len, enum aq_field *f);

/* Frames seg (n bytes) as "##" + length + seg + CRC + "\r\n" into out (size bytes, NUL added).
 * Returns the frame's length, or 0 when n > 1024 or out is too small. */
size_t aq_hj212_frame(const char *seg, size_t n, char *out, size_t size);

/* The CN=9014 data answer to h ("QN=…;ST=91;CN=9014;PW=…;MN=…;Flag=4;CP=&&&&"), framed, into
 * out (AQ_HJ212_MAX_FRAME + 1 bytes is always enough). Returns its length. */
size_t aq_hj212_data_answer(const struct aq_hj212_header *h, char *out, size_t size);

#endif
