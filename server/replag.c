/* replag.c — a replica's lag in time from samples of the primary's WAL position (aq_replag.h). */
#include "aq_replag.h"

#include <string.h>

void aq_replag_init(struct aq_replag *l)
{
	memset(l, 0, sizeof *l);
}

void aq_replag_sample(struct aq_replag *l, int64_t at_us, uint64_t lsn)
{
	if (l->n > 0 && l->lsn[(l->first + l->n - 1) % AQ_REPLAG_SAMPLES] == lsn)
		return;
	if (l->n == AQ_REPLAG_SAMPLES) {
		l->first = (l->first + 1) % AQ_REPLAG_SAMPLES;
		l->n--;
	}
	size_t i = (l->first + l->n) % AQ_REPLAG_SAMPLES;
	l->at_us[i] = at_us;
	l->lsn[i] = lsn;
	l->n++;
}

int64_t aq_replag_behind(const struct aq_replag *l, int64_t now_us, uint64_t replayed)
{
	/* Positions only grow: the first sample beyond `replayed`, oldest first, is the answer. */
	for (size_t k = 0; k < l->n; k++) {
		size_t i = (l->first + k) % AQ_REPLAG_SAMPLES;
		if (l->lsn[i] > replayed)
			return now_us > l->at_us[i] ? now_us - l->at_us[i] : 0;
	}
	return 0;
}
