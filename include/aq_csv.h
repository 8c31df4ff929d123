/* aq_csv.h — CSV text for spreadsheet users: UTF-8 with a byte-order mark (so spreadsheet
 * programs show Chinese names), RFC 4180 quoting, CRLF line ends. Pure. */
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
/* Appends one cell to the current row, quoting when needed. NULL is an empty cell. */
void aq_csv_cell(struct aq_csv *csv, const char *value);
/* Ends the current row. */
void aq_csv_end_row(struct aq_csv *csv);
/* A whole row of n cells (const char *). */
void aq_csv_row(struct aq_csv *csv, int n, ...);
void aq_csv_cleanup(struct aq_csv *csv);

#endif
