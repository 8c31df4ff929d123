/* aq_hj212_guard.h — the failure budget that stops HJ 212 passwords being guessed, pure:
 * how long a key (a device's MN, or a sender's address) must wait after its wrong passwords,
 * when it is locked out, and when its failures are forgotten. The listener keeps the state
 * in the database (db_hj212.c) and asks these functions what it means at a given instant.
 *
 * The rule (docs/HJ212.md §6): after the k-th wrong password in a row the key waits
 * 2^(k-1) s (1, 2, 4, … capped at AQ_HJ212_GUARD_MAX_DELAY_S) before its next password is
 * checked; at `budget` failures it is locked for `lockout_s` seconds (0: until an operator
 * lifts it). Failures are forgotten AQ_HJ212_GUARD_FORGET_S after the last one, unless the
 * key is locked. A key whose lock ran out still has its failures: its next wrong password
 * locks it again at once. Times are wall-clock microseconds (never AQRANK_NOW: an attacker
 * keeps real time). */
#ifndef AQ_HJ212_GUARD_H
#define AQ_HJ212_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#define AQ_HJ212_GUARD_MAX_DELAY_S 300
#define AQ_HJ212_GUARD_FORGET_S 86400
/* locked_until_us of a lock that only an operator lifts */
#define AQ_HJ212_GUARD_FOREVER INT64_MAX

struct aq_hj212_guard_policy {
	int budget;    /* wrong passwords that lock a key (AQRANK_HJ212_AUTH_BUDGET) */
	int lockout_s; /* how long a lock lasts; 0 = until lifted (AQRANK_HJ212_LOCKOUT) */
};

/* The state of one key; all zero for a key that never failed. */
struct aq_hj212_guard {
	int failures;
	int64_t last_failure_us; /* 0: never */
	int64_t locked_until_us; /* 0: not locked; AQ_HJ212_GUARD_FOREVER: until lifted */
};

enum aq_hj212_gate {
	AQ_HJ212_GATE_OPEN,   /* a password may be checked now */
	AQ_HJ212_GATE_WAIT,   /* too soon after the last wrong password */
	AQ_HJ212_GATE_LOCKED, /* locked out */
};

/* Seconds a key waits after its k-th wrong password in a row: 0 for k <= 0, else
 * min(2^(k-1), AQ_HJ212_GUARD_MAX_DELAY_S). */
int aq_hj212_guard_delay_s(int failures);

/* The failures that still count at now_us (0 once forgotten). */
int aq_hj212_guard_failures(const struct aq_hj212_guard *g, int64_t now_us);

/* True while g is locked at now_us. */
bool aq_hj212_guard_locked(const struct aq_hj212_guard *g, int64_t now_us);

/* May a password be checked for this key at now_us? *until_us (may be NULL) gets the end of
 * the wait or the lock (AQ_HJ212_GUARD_FOREVER for an operator's lock), 0 when open. */
enum aq_hj212_gate aq_hj212_guard_check(const struct aq_hj212_guard *g, int64_t now_us, int64_t *until_us);

/* Records a wrong password at now_us. Returns true when this failure locked the key (it was
 * not locked before): the moment to raise the alarm. */
bool aq_hj212_guard_fail(struct aq_hj212_guard *g, int64_t now_us, const struct aq_hj212_guard_policy *p);

#endif
