/* csv.c — CSV building (see aq_csv.h). */
#include "aq_csv.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void put(struct aq_csv *csv, const char *s, size_t n)
{
	if (csv->oom)
		return;
	if (csv->len + n + 1 > csv->cap) {
		size_t cap = csv->cap ? csv->cap * 2 : 1024;
		while (cap < csv->len + n + 1)
			cap *= 2;
		char *text = realloc(csv->text, cap);
		if (!text) {
			csv->oom = true;
			return;
		}
		csv->text = text;
		csv->cap = cap;
	}
	memcpy(csv->text + csv->len, s, n);
	csv->len += n;
	csv->text[csv->len] = '\0';
}

void aq_csv_init(struct aq_csv *csv)
{
	memset(csv, 0, sizeof *csv);
	put(csv, "\xEF\xBB\xBF", 3);
}

bool aq_csv_is_formula(const char *text)
{
	return text && *text && strchr("=+-@\t\r", *text) != NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* -?digits[.digits][(e|E)[+-]digits]: what our own number formatting produces, and nothing
 * a spreadsheet evaluates as a formula ("-2+3" and "-A1" are not of this form). */
static bool is_plain_number(const char *s)
{
	const char *p = s;
	if (*p == '-')
		p++;
	if (!is_digit(*p))
		return false;
	while (is_digit(*p))
		p++;
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
	}
	return *p == '\0';
}

/* One cell; neutralize: prefix a formula with ' (inside the quotes, when quoted). */
static void put_cell(struct aq_csv *csv, const char *value, bool neutralize)
{
	if (csv->row_started)
		put(csv, ",", 1);
	csv->row_started = true;
	if (!value)
		return;
	size_t n = strlen(value);
	bool quote = strpbrk(value, ",\"\r\n") != NULL;
	if (quote)
		put(csv, "\"", 1);
	if (neutralize && aq_csv_is_formula(value))
		put(csv, "'", 1);
	if (!quote) {
		put(csv, value, n);
		return;
	}
	for (const char *p = value; *p; p++) {
		if (*p == '"')
			put(csv, "\"", 1);
		put(csv, p, 1);
	}
	put(csv, "\"", 1);
}

void aq_csv_cell(struct aq_csv *csv, const char *value)
{
	put_cell(csv, value, true);
}

void aq_csv_number(struct aq_csv *csv, const char *value)
{
	put_cell(csv, value, !value || !is_plain_number(value));
}

void aq_csv_end_row(struct aq_csv *csv)
{
	put(csv, "\r\n", 2);
	csv->row_started = false;
}

void aq_csv_row(struct aq_csv *csv, int n, ...)
{
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		aq_csv_cell(csv, va_arg(ap, const char *));
	va_end(ap);
	aq_csv_end_row(csv);
}

void aq_csv_cleanup(struct aq_csv *csv)
{
	if (!csv)
		return;
	free(csv->text);
	memset(csv, 0, sizeof *csv);
}

void aq_csv_header(struct aq_csv *csv, bool english, const struct aq_csv_column *cols, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aq_csv_cell(csv, english ? cols[i].en : cols[i].zh);
	aq_csv_end_row(csv);
}

void aq_csv_yes_no(struct aq_csv *csv, bool english, bool yes)
{
	aq_csv_cell(csv, english ? (yes ? "yes" : "no") : (yes ? "是" : "否"));
}
