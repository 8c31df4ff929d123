/* aq_bulletins.h — the bulletin service: gathers what a day's or a month's bulletin says (the
 * day from the day service with its interview list, the district means of the day before and
 * of the same day last year, the national points' hours, the alerts, the campaign summary;
 * the month from the period rankings by station and by street), builds the document model
 * (bulletin.c) and renders it as HTML or PDF. Calls the day and period services, the database
 * and the pure model; never HTTP. The HTTP layer keeps the rendered bytes (http_bulletins.c);
 * aq_bulletin_stamp tells it whether what it keeps is still the snapshot's. */
#ifndef AQ_BULLETINS_H
#define AQ_BULLETINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_status.h"

struct aq_app;

enum aq_bulletin_format {
	AQ_BULLETIN_HTML,
	AQ_BULLETIN_PDF
};

/* The campaign window of a day's bulletin when none is asked for: the 30 days ending on it. */
#define AQ_BULLETIN_CAMPAIGN_DAYS 30

struct aq_bulletin_request {
	bool month;  /* a month's bulletin (day = its first day) */
	int64_t day; /* local day */
	enum aq_bulletin_format format;
	bool english;
	int campaign_days; /* 0: no campaign table */
};

/* What a kept rendering depends on: the day's snapshot (how many times it was finalized, its
 * late readings). final false: not finalized (a provisional bulletin, never kept). */
struct aq_bulletin_stamp {
	bool final;
	int64_t finalizations;
	int late_readings;
};

/* The stamp of q's day now (one or two small queries). Months: final false (they are kept only
 * while nothing was written, see http_bulletins.c). */
enum aq_status aq_bulletin_stamp(struct aq_app *app, const struct aq_bulletin_request *q,
				 struct aq_bulletin_stamp *out);

struct aq_bulletin_output {
	char *body; /* malloc'd: HTML text or PDF bytes */
	size_t len;
	int pages;			/* PDF */
	bool final;			/* built from a finalized snapshot (a kept month, or all its days) */
	struct aq_bulletin_stamp stamp; /* of the snapshot it was built from */
	double gather_ms, model_ms, render_ms;
};

/* Builds and renders q's bulletin. Errors (with *problem a sentence for the reply):
 * AQ_ERR_NO_DATA — a day that has not begun or had no readings; AQ_ERR_CONFLICT — a PDF of a
 * day or month not yet finalized (provisional bulletins are HTML only); AQ_ERR_INVALID_PARAMETER
 * — a month not yet begun; database statuses. out is always safe to aq_bulletin_output_free. */
enum aq_status aq_bulletin_build(struct aq_app *app, const struct aq_bulletin_request *q,
				 struct aq_bulletin_output *out, const char **problem);
void aq_bulletin_output_free(struct aq_bulletin_output *out);

#endif
