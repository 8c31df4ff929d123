/* aq_replag.h — how far a read replica is behind the primary, in time (issue 18). The primary's
 * WAL position is sampled with the time it was seen; a replica that has replayed up to some
 * position is as old as the oldest sample it has not replayed yet. This holds when the primary
 * is idle (its position does not move: a replica that has replayed it is not behind, however
 * old its last replayed transaction), which now() − pg_last_xact_replay_timestamp() does not.
 * Pure: no I/O; replica.c samples and asks. */
#ifndef AQ_REPLAG_H
#define AQ_REPLAG_H

#include <stddef.h>
#include <stdint.h>

#define AQ_REPLAG_SAMPLES 512

struct aq_replag {
	int64_t at_us[AQ_REPLAG_SAMPLES];
	uint64_t lsn[AQ_REPLAG_SAMPLES];
	size_t first, n; /* a ring, oldest at first */
};

void aq_replag_init(struct aq_replag *l);

/* Records that the primary's WAL had reached lsn at at_us (samples in time order). A position
 * equal to the newest sample's adds nothing: the time it was first seen is what counts. When
 * the ring is full the oldest sample is forgotten. */
void aq_replag_sample(struct aq_replag *l, int64_t at_us, uint64_t lsn);

/* Microseconds a replica that has replayed the WAL up to `replayed` is behind at now_us: 0 when
 * it has replayed the newest sample (or there is none); otherwise now_us minus the time of the
 * oldest sample beyond `replayed` (at least that much: the primary had that data then). */
int64_t aq_replag_behind(const struct aq_replag *l, int64_t now_us, uint64_t replayed);

#endif
