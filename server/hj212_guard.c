/* hj212_guard.c — the HJ 212 password failure budget (aq_hj212_guard.h): growing delays,
 * lockouts and forgetting, as arithmetic on a key's state. No I/O, no clock of its own. */
#include "aq_hj212_guard.h"

#define US_PER_S INT64_C(1000000)

int aq_hj212_guard_delay_s(int failures)
{
	int delay = 1;
	if (failures <= 0)
		return 0;
	for (int i = 1; i < failures && delay < AQ_HJ212_GUARD_MAX_DELAY_S; i++)
		delay *= 2;
	return delay < AQ_HJ212_GUARD_MAX_DELAY_S ? delay : AQ_HJ212_GUARD_MAX_DELAY_S;
}

bool aq_hj212_guard_locked(const struct aq_hj212_guard *g, int64_t now_us)
{
	return g->locked_until_us != 0 && now_us < g->locked_until_us;
}

int aq_hj212_guard_failures(const struct aq_hj212_guard *g, int64_t now_us)
{
	if (g->failures <= 0)
		return 0;
	if (!aq_hj212_guard_locked(g, now_us) && now_us - g->last_failure_us > AQ_HJ212_GUARD_FORGET_S * US_PER_S)
		return 0;
	return g->failures;
}

enum aq_hj212_gate aq_hj212_guard_check(const struct aq_hj212_guard *g, int64_t now_us, int64_t *until_us)
{
	int64_t until = 0;
	enum aq_hj212_gate gate = AQ_HJ212_GATE_OPEN;
	int k = aq_hj212_guard_failures(g, now_us);
	if (aq_hj212_guard_locked(g, now_us)) {
		gate = AQ_HJ212_GATE_LOCKED;
		until = g->locked_until_us;
	} else if (k > 0 && now_us < g->last_failure_us + aq_hj212_guard_delay_s(k) * US_PER_S) {
		gate = AQ_HJ212_GATE_WAIT;
		until = g->last_failure_us + aq_hj212_guard_delay_s(k) * US_PER_S;
	}
	if (until_us)
		*until_us = until;
	return gate;
}

bool aq_hj212_guard_fail(struct aq_hj212_guard *g, int64_t now_us, const struct aq_hj212_guard_policy *p)
{
	bool was_locked = aq_hj212_guard_locked(g, now_us);
	int k = aq_hj212_guard_failures(g, now_us);
	g->failures = k < 1000000 ? k + 1 : k;
	g->last_failure_us = now_us;
	if (!was_locked && g->locked_until_us != 0)
		g->locked_until_us = 0; /* the old lock ran out */
	if (g->failures >= p->budget && !was_locked) {
		g->locked_until_us = p->lockout_s > 0 ? now_us + p->lockout_s * US_PER_S : AQ_HJ212_GUARD_FOREVER;
		return true;
	}
	return false;
}
