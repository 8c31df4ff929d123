/* fuzz_csv.c — CSV writing (aq_csv.h) with arbitrary cells. The input is a table: 0x1e ends
 * a row, 0x1f ends a cell, a cell is text up to a NUL; a cell that starts with 0x1d is written
 * with aq_csv_number (the rest of it). Invariants: the document starts with the BOM; an RFC
 * 4180 reader gets back exactly the rows and cells written, except that a text cell a
 * spreadsheet would read as a formula comes back with a leading '; a number cell comes back
 * as written only when it starts with a digit or is a negative number (a '-' then a digit),
 * and otherwise neutralized like text. */
#include "fuzz.h"

#include "aq_csv.h"

#include <stdbool.h>

#define ROW_SEP 0x1e
#define CELL_SEP 0x1f
#define NUMBER_MARK 0x1d

/* Reads one cell of an RFC 4180 document at *p (strictly: a quote inside an unquoted cell or
 * text after a closing quote is an error) into out, whose room is at least the rest of the
 * document. Returns false on malformed input. */
static bool read_cell(const char **p, const char *end, char *out, size_t *outlen)
{
	const char *s = *p;
	size_t n = 0;
	if (s < end && *s == '"') {
		for (s++;; s++) {
			if (s >= end)
				return false;
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"') {
					out[n++] = '"';
					s++;
					continue;
				}
				s++;
				break;
			}
			out[n++] = *s;
		}
		if (s < end && *s != ',' && *s != '\r')
			return false;
	} else {
		for (; s < end && *s != ',' && *s != '\r'; s++) {
			if (*s == '"' || *s == '\n')
				return false;
			out[n++] = *s;
		}
	}
	*p = s;
	*outlen = n;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aq_csv csv;
	aq_csv_init(&csv);
	/* Write: one aq_csv_cell per cell, aq_csv_end_row per row (the last row too). */
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != ROW_SEP && data[i] != CELL_SEP)
			continue;
		bool number = i > start && data[start] == NUMBER_MARK;
		char *cell = fuzz_cstring(data + start + number, i - start - number);
		if (number)
			aq_csv_number(&csv, cell);
		else
			aq_csv_cell(&csv, cell);
		free(cell);
		if (i == size || data[i] == ROW_SEP)
			aq_csv_end_row(&csv);
		start = i + 1;
	}
	FUZZ_CHECK(!csv.oom && csv.text && csv.len >= 3 && memcmp(csv.text, "\xEF\xBB\xBF", 3) == 0);
	FUZZ_CHECK(strlen(csv.text) == csv.len);

	/* Read back and compare cell by cell with what was written. */
	const char *p = csv.text + 3, *end = csv.text + csv.len;
	char *cell = malloc(csv.len + 1);
	FUZZ_CHECK(cell != NULL);
	start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != ROW_SEP && data[i] != CELL_SEP)
			continue;
		bool number = i > start && data[start] == NUMBER_MARK;
		const char *text = (const char *)data + start + number;
		size_t n = 0, want = strnlen(text, i - start - number);
		FUZZ_CHECK(read_cell(&p, end, cell, &n));
		bool formula = want > 0 && strchr("=+-@\t\r", text[0]) != NULL;
		if (number && n == want) /* kept as a number: only a negative one may start with - */
			FUZZ_CHECK(!formula || (text[0] == '-' && want > 1 && text[1] >= '0' && text[1] <= '9'));
		else if (formula) /* neutralized */
			FUZZ_CHECK(n == want + 1 && cell[0] == '\'' && memcmp(cell + 1, text, want) == 0);
		if (!formula || (number && n == want))
			FUZZ_CHECK(n == want && memcmp(cell, text, n) == 0);
		if (i == size || data[i] == ROW_SEP) {
			FUZZ_CHECK(end - p >= 2 && p[0] == '\r' && p[1] == '\n');
			p += 2;
		} else {
			FUZZ_CHECK(p < end && *p == ',');
			p++;
		}
		start = i + 1;
	}
	FUZZ_CHECK(p == end);
	free(cell);
	aq_csv_cleanup(&csv);
	return 0;
}
