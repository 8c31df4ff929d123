/* aq_hj212_server.h — the HJ 212-2017 TCP listener (AQRANK_HJ212_LISTEN): one thread with
 * epoll and non-blocking sockets holds every device connection, cuts frames out of the byte
 * streams (aq_hj212.h), authenticates them by MN and PW, stores the readings through the
 * same path as POST /api/v1/readings (aq_ingest.h) and answers CN=9014 after the commit when
 * the frame asks for it. It never blocks an HTTP worker: it borrows one pooled database
 * connection per frame, like any request. */
#ifndef AQ_HJ212_SERVER_H
#define AQ_HJ212_SERVER_H

#include <stdint.h>

#include "aq_hj212.h"

struct aq_app;
struct aq_hj212_server;

/* A snapshot of the listener's counters (for /metrics). Totals since start, except
 * connections_open. */
struct aq_hj212_counters {
	uint64_t connections_accepted;
	uint64_t connections_open;	       /* now */
	uint64_t connections_refused;	       /* over the connection limit, or closed for not reading */
	uint64_t frames_accepted;	       /* committed: new, duplicate or conflicting reading */
	uint64_t answers_sent;		       /* CN=9014 data answers queued after a commit */
	uint64_t garbage_bytes;		       /* bytes skipped while resynchronising on "##" */
	uint64_t unknown_codes;		       /* factor codes ignored as unknown (each once per frame) */
	uint64_t auth_failures;		       /* wrong passwords and unknown MNs (each closes its connection) */
	uint64_t lockouts;		       /* times an MN or an address ran out of its failure budget */
	uint64_t rejected[AQ_HJ212_REJ_COUNT]; /* frames not stored, by reason (aq_hj212_reject_name) */
};

/* Binds app->cfg->hj212_host:hj212_port and starts the listener thread; logs the address
 * actually bound ("HJ 212 listening on tcp://host:port"). NULL on failure (logged). Call only
 * when hj212_port >= 0 (the listener is off otherwise). Stop it before the jobs thread and
 * the pool go away. */
struct aq_hj212_server *aq_hj212_start(struct aq_app *app);
/* Port actually bound (useful with port 0). */
int aq_hj212_port(const struct aq_hj212_server *s);
/* Stops the thread (a frame being stored is finished first), closes every connection and
 * frees s. NULL-safe. */
void aq_hj212_stop(struct aq_hj212_server *s);
/* Copies the counters into out; all zero when s is NULL (listener off). Thread-safe. */
void aq_hj212_stats(const struct aq_hj212_server *s, struct aq_hj212_counters *out);

#endif
