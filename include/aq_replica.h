/* aq_replica.h — a streaming read replica (AQRANK_READ_DSN, issue 18): its connections, its lag
 * behind the primary measured twice a second, whether reads go to it (not when it is more than
 * AQRANK_READ_MAX_LAG_S behind or unreachable: bypassed, and the reason logged), and the reads
 * of one reply pinned to one of its connections in one snapshot, so a reply never mixes the
 * replica's data with the primary's. */
#ifndef AQ_REPLICA_H
#define AQ_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

struct aq_app;
struct aq_db;
struct aq_replica;

/* What /metrics and the routed replies say. */
struct aq_replica_status {
	bool reachable;	  /* answered the last check */
	bool in_use;	  /* reads go to it */
	double lag_s;	  /* behind the primary, seconds (-1: not measured yet) */
	char reason[160]; /* why it is bypassed ("" when in use) */
};

/* Opens the replica's pool and starts its monitor thread; NULL when AQRANK_READ_DSN is unset
 * or on ENOMEM (logged). The replica is bypassed until its first check. */
struct aq_replica *aq_replica_start(struct aq_app *app);
/* Stops the monitor and closes the pool; no reply may be reading. NULL-safe. */
void aq_replica_stop(struct aq_replica *r);
void aq_replica_status(struct aq_replica *r, struct aq_replica_status *out);

/* A reply's reads. */
struct aq_replica_read {
	struct aq_db *db; /* the replica connection pinned for the reply, NULL when on the primary */
	double lag_s;	  /* the replica's lag when the reply began (-1: unknown) */
};

/* Sends the calling thread's reads (every aq_app_db until aq_replica_read_end) to one replica
 * connection in one read-only snapshot when the replica is in use; otherwise leaves them on the
 * primary (rd->db NULL). Counts the reply in /metrics. */
void aq_replica_read_begin(struct aq_app *app, struct aq_replica_read *rd);
/* Ends the snapshot and gives the connection back. */
void aq_replica_read_end(struct aq_app *app, struct aq_replica_read *rd);

#endif
