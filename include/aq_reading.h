/* aq_reading.h — one reading of one station, the fields of SPEC §1, and the meaning checks
 * on it (ranges, clock skew, at least one pollutant). Pure: no I/O, no JSON (see aq_json.h
 * for the shape checks that build these structs). */
#ifndef AQ_READING_H
#define AQ_READING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The pollutants come first, in the order of enum aq_pollutant (aq_aqi.h). */
enum aq_field {
	AQ_F_PM25,
	AQ_F_PM10,
	AQ_F_SO2,
	AQ_F_NO2,
	AQ_F_CO,
	AQ_F_O3,
	AQ_F_TEMPERATURE,
	AQ_F_HUMIDITY,
	AQ_F_PRESSURE,
	AQ_F_WIND_SPEED,
	AQ_F_WIND_DIRECTION,
	AQ_FIELDS
};
#define AQ_N_POLLUTANT_FIELDS 6
#define AQ_CODE_MAX 32
/* Readings observed more than this far ahead of the clock are rejected (SPEC §1). */
#define AQ_MAX_FUTURE_SKEW_S 300
/* A batch holds at most this many readings (SPEC §6). */
#define AQ_MAX_BATCH 5000

struct aq_reading {
	char station[AQ_CODE_MAX + 1]; /* "" when the body left it out */
	int64_t observed_us;	       /* UTC microseconds */
	unsigned present;	       /* bit (1u << field) when a non-null value was given */
	double value[AQ_FIELDS];
	char flag[AQ_FIELDS]; /* HJ 212 data flag per field, 'N' (normal) unless given */
};

/* One problem found in a request, for the `details` of an error. */
struct aq_problem {
	int index;	/* position in the batch, -1 for a single object or a parameter */
	char field[32]; /* "" when it concerns the reading as a whole */
	char problem[120];
};

/* A growing list of problems; zero-initialise, then aq_problems_cleanup. */
struct aq_problems {
	struct aq_problem *items;
	size_t n, cap;
	bool oom; /* an allocation failed: the list is incomplete */
};

/* JSON name of a field ("pm25", "wind_direction"). */
const char *aq_field_name(enum aq_field f);
/* Field called name; false when there is none. */
bool aq_field_from_name(const char *name, enum aq_field *f);
/* Accepted range of a field (SPEC §1), inclusive. */
void aq_field_range(enum aq_field f, double *min, double *max);
/* True for the HJ 212-2017 data flags: N (normal), F, M, S, D, C, T, B. */
bool aq_flag_valid(char c);
/* What an HJ 212 flag means, in Chinese or English ("故障" / "fault" for D); NULL for N and
 * for letters that are not flags. */
const char *aq_flag_meaning(char c, bool english);
/* True when code matches ^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$. */
bool aq_station_code_valid(const char *code);

/* Initialises r: no values, every flag 'N'. */
void aq_reading_init(struct aq_reading *r);

/* Checks what the shape cannot: ranges, at least one pollutant, observed_at no more than
 * AQ_MAX_FUTURE_SKEW_S ahead of now_us and not before 2000-01-01. Each problem is added to
 * problems under index. Returns true when the reading is valid. */
bool aq_reading_validate(const struct aq_reading *r, int index, int64_t now_us, struct aq_problems *problems);

/* Appends a problem (printf-style message). Never fails visibly: on allocation failure it
 * sets problems->oom. */
void aq_problems_add(struct aq_problems *problems, int index, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void aq_problems_cleanup(struct aq_problems *problems);

#endif
