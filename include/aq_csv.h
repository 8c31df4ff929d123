/* aq_csv.h — CSV text for spreadsheet users: UTF-8 with a byte-order mark (so spreadsheet
 * programs show Chinese names), RFC 4180 quoting, CRLF line ends, and no cell a spreadsheet
 * would run as a formula (OWASP "CSV injection"): a text cell that starts with = + - @, a tab
 * or a carriage return gets a leading ' (shown as text, not evaluated). Numbers are written
 * with aq_csv_number so that a negative value (-3.5 °C) stays a number. Pure. */
#ifndef AQ_CSV_H
#define AQ_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct aq_csv {
	char *text; /* owned; starts with the BOM */
	size_t len, cap;
	bool row_started;
	bool oom;
};

/* Starts a document (writes the BOM). Pair with aq_csv_cleanup, or hand text over. */
void aq_csv_init(struct aq_csv *csv);
/* Appends one text cell to the current row, neutralized (see above) and quoted when needed.
 * NULL is an empty cell. Every value that people typed (names, units, notes) goes here. */
void aq_csv_cell(struct aq_csv *csv, const char *value);
/* Appends a number the caller formatted (e.g. "-3.5", "1e+20"). Written as it is when it is a
 * plain decimal number (-?digits[.digits][e±digits]); anything else is a text cell. */
void aq_csv_number(struct aq_csv *csv, const char *value);
/* True when a spreadsheet would read text as a formula: it starts with = + - @ TAB or CR. */
bool aq_csv_is_formula(const char *text);
/* Ends the current row. */
void aq_csv_end_row(struct aq_csv *csv);
/* A whole row of n text cells (const char *). */
void aq_csv_row(struct aq_csv *csv, int n, ...);
void aq_csv_cleanup(struct aq_csv *csv);

/* A column's header in both languages: Chinese for spreadsheet users by default (as the
 * dashboard), English with ?lang=en. */
struct aq_csv_column {
	const char *en, *zh;
};
/* The header row of n columns in one language. */
void aq_csv_header(struct aq_csv *csv, bool english, const struct aq_csv_column *cols, size_t n);
/* 是 / 否, or yes / no in English. */
void aq_csv_yes_no(struct aq_csv *csv, bool english, bool yes);

#endif
