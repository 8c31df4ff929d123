/* hj212_server.c — the HJ 212-2017 TCP listener: sockets, per-connection buffers, frame
 * handling (authenticate, parse, validate, store, answer) and the counters.
 *
 * Why one epoll thread that also does the database work of a frame: devices hold a
 * connection open for days and send one small frame per interval, so the load is many idle
 * sockets and few frames — one thread with non-blocking sockets holds thousands of them,
 * while storing a frame costs two short statements (~1 ms). Doing that work in place keeps
 * each device's frames in order and its answers in the order of its frames, needs no locks
 * or hand-over queues, and borrows one pooled connection at a time, so HTTP workers never
 * wait on devices. The cost is that a slow database delays other devices' frames — they sit
 * in the kernel's buffers meanwhile, and a device re-sends what was not answered — and when
 * the database cannot be reached at all, frames are refused at once for a couple of seconds
 * instead of each waiting out a connect timeout.
 *
 * Passwords: the first frame of a connection (and any frame with other credentials) pays an
 * Argon2id check (~30 ms, the only slow step, once per connection: the result is kept on the
 * connection). Before it, the failure budget of the MN and of the sender's address
 * (aq_hj212_guard.h, state in hj212_guard) may refuse it unchecked; a wrong password closes
 * the connection, so every guess costs a new one and waits out a growing delay. */
#include "aq_hj212_server.h"
#include "aq_addr.h"
#include "aq_app.h"
#include "aq_clock.h"
#include "aq_hj212_guard.h"
#include "aq_ingest.h"
#include "aq_jobs.h"
#include "aq_json.h"
#include "aq_log.h"
#include "aq_token.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Room for one frame not yet complete plus a whole read behind it. */
#define IN_SIZE (2 * AQ_HJ212_MAX_FRAME)
/* Answers waiting for a device that does not read: ~25 of them, then it is cut off. */
#define OUT_SIZE 4096
#define MAX_CONNS 10000
/* Hourly devices (CN=2061) speak once an hour: allow two missed hours before hanging up.
 * Dead peers are found sooner by TCP keepalive. */
#define IDLE_TIMEOUT_S 7200
/* After the database could not be reached, refuse frames at once for this long rather than
 * let each one wait out a connect timeout on the only thread. */
#define DB_BACKOFF_S 2
/* Accepting failed for lack of descriptors: stop listening for this long. */
#define ACCEPT_PAUSE_S 1
/* Guard rows past their use are pruned this often. */
#define PRUNE_EVERY_S 3600

struct conn {
	int fd;
	struct conn *prev, *next;
	char peer[64]; /* "ip:port", for log lines */
	char addr[56]; /* the sender as the failure budget counts it (IPv6: its /64) */
	/* The password this connection proved, so that its next frames skip the slow check: for
	 * station auth_station (0: none yet) against the stored hash auth_hash. A changed
	 * password or hash, or other credentials in a frame, are checked afresh. */
	int auth_station;
	char auth_hash[AQ_PASSWORD_HASH_SIZE];
	char auth_pw[AQ_HJ212_PW_MAX + 1];
	int64_t last_s;	 /* monotonic second of the last byte received */
	unsigned logged; /* bit per enum aq_hj212_reject already logged on this connection */
	bool want_out;	 /* EPOLLOUT registered */
	bool closing;
	size_t in_len, out_len;
	char in[IN_SIZE];
	char out[OUT_SIZE];
};

struct aq_hj212_server {
	struct aq_app *app;
	int listen_fd, epoll_fd, wake_fd;
	int port;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	struct conn *conns; /* every open connection, for the idle sweep and shutdown */
	bool accept_paused;
	int64_t accept_resume_s;
	int64_t db_retry_s; /* no database attempts before this monotonic second */
	int64_t prune_s;    /* next guard prune, monotonic second */
	struct aq_hj212_guard_policy policy;
	struct {
		_Atomic uint64_t connections_accepted, connections_open, connections_refused;
		_Atomic uint64_t frames_accepted, answers_sent, garbage_bytes;
		_Atomic uint64_t unknown_codes, auth_failures, lockouts;
		_Atomic uint64_t rejected[AQ_HJ212_REJ_COUNT];
	} n;
};

static int64_t mono_s(void)
{
	return aq_monotonic_us() / 1000000;
}

static void count(_Atomic uint64_t *c, uint64_t by)
{
	atomic_fetch_add_explicit(c, by, memory_order_relaxed);
}

/* Counts a refused frame and logs the first one of each reason per connection: a device
 * with a wrong password would otherwise write a line every 30 s forever. The password is
 * never logged. */
static void reject(struct aq_hj212_server *s, struct conn *c, enum aq_hj212_reject why, const char *mn,
		   const char *detail)
{
	count(&s->n.rejected[why], 1);
	if (c->logged & (1u << why))
		return;
	c->logged |= 1u << why;
	aq_log(why == AQ_HJ212_REJ_STORE_FAILED ? AQ_LOG_WARN : AQ_LOG_INFO,
	       "hj212: %s%s%s: frame not stored (%s%s%s); further ones on this connection are only counted", c->peer,
	       mn && mn[0] ? " MN=" : "", mn ? mn : "", aq_hj212_reject_name(why), detail ? ": " : "",
	       detail ? detail : "");
}

/* UTC microseconds of a DataTime, which is local time in AQRANK_TIMEZONE (the process
 * zone, set before threads start). */
static int64_t local_to_utc(const struct aq_hj212_time *t)
{
	struct tm tm = {.tm_year = t->year - 1900,
			.tm_mon = t->month - 1,
			.tm_mday = t->day,
			.tm_hour = t->hour,
			.tm_min = t->minute,
			.tm_sec = t->second,
			.tm_isdst = -1};
	return (int64_t)mktime(&tm) * INT64_C(1000000);
}

static void queue_answer(struct aq_hj212_server *s, struct conn *c, const struct aq_hj212_header *h)
{
	char frame[AQ_HJ212_MAX_FRAME + 1];
	size_t n = aq_hj212_data_answer(h, frame, sizeof frame);
	if (n == 0)
		return;
	if (c->out_len + n > OUT_SIZE) {
		/* The device does not read its answers: it will re-send; cut it off. */
		aq_log(AQ_LOG_WARN, "hj212: %s does not read its answers; closing", c->peer);
		count(&s->n.connections_refused, 1);
		c->closing = true;
		return;
	}
	memcpy(c->out + c->out_len, frame, n);
	c->out_len += n;
	count(&s->n.answers_sent, 1);
}

/* Wall-clock microseconds: the failure budget and the device status run on real time, never
 * on AQRANK_NOW (an attacker's clock is the real one). */
static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Equal strings, in time that does not depend on where they differ. */
static bool same_secret(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	volatile unsigned char diff = na != nb;
	for (size_t i = 0; i < na && i < nb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* Notes the frame in the station's hj212_status (what the admin's station view shows). A
 * failure here costs the operator a line of the view, never the device its reading. */
static void note(struct aq_db *db, int station_id, enum aq_hj212_reject *why, const char *detail,
		 const char *unknown_json, const char *ok_address)
{
	if (station_id <= 0)
		return;
	enum aq_status st = aq_db_hj212_note(db, station_id, wall_us(), why ? aq_hj212_reject_name(*why) : NULL, detail,
					     unknown_json, ok_address);
	if (st != AQ_OK)
		aq_log(AQ_LOG_DEBUG, "hj212: device status not noted: %s", aq_status_message(st));
}

/* Refuses a frame that named a station: counted, logged once, noted for the operator. */
static void refuse(struct aq_hj212_server *s, struct conn *c, struct aq_db *db, int station_id,
		   enum aq_hj212_reject why, const char *mn, const char *detail)
{
	reject(s, c, why, mn, detail);
	note(db, station_id, &why, detail, NULL, NULL);
}

struct fail_args {
	const char *key, *mn, *address;
	int64_t now_us;
	const struct aq_hj212_guard_policy *policy;
	bool locked_now;
	struct aq_hj212_guard after;
};

static enum aq_status fail_tx(struct aq_db *db, void *arg)
{
	struct fail_args *a = arg;
	enum aq_status st = aq_db_hj212_guard_lock(db, a->key, &a->after);
	if (st != AQ_OK)
		return st;
	a->locked_now = aq_hj212_guard_fail(&a->after, a->now_us, a->policy);
	return aq_db_hj212_guard_put(db, a->key, &a->after, a->mn, a->address);
}

/* Counts a wrong password (or an unknown MN) against key. True when it locked the key. */
static bool count_failure(struct aq_hj212_server *s, struct aq_db *db, const char *key, const char *mn,
			  const char *address, int64_t now_us)
{
	struct fail_args a = {key, mn, address, now_us, &s->policy, false, {0}};
	enum aq_status st = aq_db_tx(db, fail_tx, &a);
	if (st != AQ_OK) {
		aq_log(AQ_LOG_WARN, "hj212: a wrong password could not be counted: %s", aq_status_message(st));
		return false;
	}
	if (a.locked_now) {
		count(&s->n.lockouts, 1);
		aq_log(AQ_LOG_WARN, "hj212: %s locked out after %d wrong passwords (last from %s, MN=%s)", key,
		       a.after.failures, address, mn);
	}
	return a.locked_now;
}

/* The password gate of a frame for dev (a station or not) from connection c: the failure
 * budget first, then the password itself. True when the frame may go on; when it may not, it
 * has been refused and the connection is set to close. */
static bool authenticate(struct aq_hj212_server *s, struct conn *c, struct aq_db *db, const struct aq_hj212_header *h,
			 const struct aq_hj212_device *dev, const char *addr_key, int64_t now_us, bool *proved)
{
	char mn_key[80], detail[160], when[40];
	int64_t until_a = 0, until_m = 0;
	int id = dev->found ? dev->station.id : 0;

	*proved = false;
	if (dev->found && c->auth_station == id && strcmp(c->auth_hash, dev->password_hash) == 0 &&
	    same_secret(c->auth_pw, h->pw))
		return true;
	/* An address that last gave this MN's right password is that device's own (a shared NAT
	 * locked by a neighbour's guesses must not cut it off); its MN's budget still counts. */
	bool trusted = dev->found && dev->last_ok_address[0] && strcmp(dev->last_ok_address, c->addr) == 0;
	enum aq_hj212_gate ga = trusted ? AQ_HJ212_GATE_OPEN : aq_hj212_guard_check(&dev->addr_guard, now_us, &until_a);
	enum aq_hj212_gate gm =
		dev->found ? aq_hj212_guard_check(&dev->mn_guard, now_us, &until_m) : AQ_HJ212_GATE_OPEN;
	if (ga != AQ_HJ212_GATE_OPEN || gm != AQ_HJ212_GATE_OPEN) {
		bool locked = ga == AQ_HJ212_GATE_LOCKED || gm == AQ_HJ212_GATE_LOCKED;
		bool by_mn = gm == (locked ? AQ_HJ212_GATE_LOCKED : AQ_HJ212_GATE_WAIT);
		int64_t until = by_mn ? until_m : until_a;
		if (until == AQ_HJ212_GUARD_FOREVER)
			snprintf(when, sizeof when, "an operator lifts it");
		else
			aq_local_format(until, when, sizeof when);
		snprintf(detail, sizeof detail, "%s %s after wrong passwords, until %s",
			 by_mn ? "the MN is" : "this address is", locked ? "locked out" : "held back", when);
		refuse(s, c, db, id, locked ? AQ_HJ212_REJ_LOCKED_OUT : AQ_HJ212_REJ_THROTTLED, h->mn, detail);
		c->closing = true;
		return false;
	}
	if (!dev->found) {
		/* Guessing MNs is guessing too: it counts against the address. */
		count(&s->n.auth_failures, 1);
		count_failure(s, db, addr_key, h->mn, c->addr, now_us);
		reject(s, c, AQ_HJ212_REJ_UNKNOWN_MN, h->mn, NULL);
		c->closing = true;
		return false;
	}
	/* A station without an hj212_password has "" here, which matches no password. */
	if (!aq_password_check(h->pw, dev->password_hash)) {
		count(&s->n.auth_failures, 1);
		snprintf(mn_key, sizeof mn_key, "mn:%s", h->mn);
		bool locked = count_failure(s, db, mn_key, "", c->addr, now_us);
		locked |= count_failure(s, db, addr_key, h->mn, "", now_us);
		refuse(s, c, db, id, AQ_HJ212_REJ_BAD_PASSWORD, h->mn, NULL);
		c->closing = true;
		/* What the alert rules read changed: the auth_failures alert opens now, not at the
		 * tick (a pass runs when the data version moved). */
		if (locked)
			aq_jobs_note_change(s->app);
		return false;
	}
	c->auth_station = id;
	snprintf(c->auth_hash, sizeof c->auth_hash, "%s", dev->password_hash);
	snprintf(c->auth_pw, sizeof c->auth_pw, "%s", h->pw);
	*proved = true;
	if (aq_password_needs_upgrade(dev->password_hash)) {
		/* An old SHA-256 hash (or an older cost) becomes today's Argon2id at the first login. */
		char fresh[AQ_PASSWORD_HASH_SIZE];
		if (aq_password_hash(h->pw, fresh) && aq_db_hj212_rehash(db, id, dev->password_hash, fresh) == AQ_OK) {
			snprintf(c->auth_hash, sizeof c->auth_hash, "%s", fresh);
			aq_log(AQ_LOG_INFO, "hj212: MN=%s: password hash upgraded to Argon2id", h->mn);
		}
	}
	return true;
}

/* Looks the station up by MN and passes the password gate; then parses the CP data into a
 * reading with the station's code map, validates it like an HTTP one and stores it. True
 * when committed. */
static bool store_frame(struct aq_hj212_server *s, struct conn *c, struct aq_db *db, const struct aq_hj212_header *h)
{
	struct aq_hj212_device dev;
	struct aq_hj212_codes codes;
	struct aq_hj212_extra extra;
	struct aq_reading r;
	struct aq_hj212_time t;
	struct aq_problems problems = {0};
	struct aq_ingest_result res;
	const char *why = NULL;
	char detail[160], addr_key[64];
	char *unknown = NULL;
	bool stored = false, proved = false;
	int64_t now_us = wall_us();

	snprintf(addr_key, sizeof addr_key, "addr:%s", c->addr);
	enum aq_status st = aq_db_hj212_device(db, h->mn, addr_key, &dev);
	if (st != AQ_OK) {
		if (st == AQ_ERR_DB_UNAVAILABLE)
			s->db_retry_s = mono_s() + DB_BACKOFF_S;
		reject(s, c, AQ_HJ212_REJ_STORE_FAILED, h->mn, aq_status_message(st));
		goto out;
	}
	if (!authenticate(s, c, db, h, &dev, addr_key, now_us, &proved))
		goto out;
	int id = dev.station.id;
	const char *ok_address = proved ? c->addr : NULL;
	if (!dev.station.active) {
		refuse(s, c, db, id, AQ_HJ212_REJ_INACTIVE, h->mn, dev.station.code);
		goto out;
	}
	if (!aq_hj212_codes_parse(dev.codes, &codes))
		aq_log(AQ_LOG_WARN, "hj212: station %s has a code map aqrank cannot read; using part of it",
		       dev.station.code);
	aq_reading_init(&r);
	if (!aq_hj212_parse_data(h, &codes, &r, &t, &extra, &why)) {
		refuse(s, c, db, id, AQ_HJ212_REJ_MALFORMED, h->mn, why);
		goto out;
	}
	count(&s->n.unknown_codes, (uint64_t)extra.unknown);
	unknown = aq_json_hj212_unknown(&extra, now_us);
	if (r.present == 0) {
		int at = snprintf(detail, sizeof detail, "no code maps to a reading field");
		for (int i = 0; i < extra.n && at > 0 && (size_t)at < sizeof detail; i++)
			at += snprintf(detail + at, sizeof detail - (size_t)at, "%s%s",
				       i ? ", " : "; unknown: ", extra.item[i].code);
		reject(s, c, AQ_HJ212_REJ_NO_KNOWN_CODES, h->mn, detail);
		enum aq_hj212_reject nk = AQ_HJ212_REJ_NO_KNOWN_CODES;
		note(db, id, &nk, detail, unknown, ok_address);
		goto out;
	}
	snprintf(r.station, sizeof r.station, "%s", dev.station.code);
	r.observed_us = local_to_utc(&t);
	if (!aq_reading_validate(&r, -1, aq_clock_now(&s->app->clock), &problems)) {
		if (problems.n > 0)
			snprintf(detail, sizeof detail, "%s %s", problems.items[0].field, problems.items[0].problem);
		enum aq_hj212_reject inv = AQ_HJ212_REJ_INVALID;
		reject(s, c, inv, h->mn, problems.n > 0 ? detail : NULL);
		note(db, id, &inv, problems.n > 0 ? detail : "", unknown, ok_address);
		goto out;
	}
	st = aq_ingest_store(s->app, db, &r, &id, 1, "hj212", &res);
	if (st != AQ_OK) {
		if (st == AQ_ERR_DB_UNAVAILABLE)
			s->db_retry_s = mono_s() + DB_BACKOFF_S;
		reject(s, c, AQ_HJ212_REJ_STORE_FAILED, h->mn, aq_status_message(st));
		goto out;
	}
	count(&s->n.frames_accepted, 1);
	stored = true;
	note(db, id, NULL, NULL, unknown, ok_address);
out:
	free(unknown);
	aq_problems_cleanup(&problems);
	return stored;
}

/* Notes a frame refused before it named a station (bad CRC, bad length, malformed header) for
 * the station this connection proved, if any: the operator sees that the device sends them. */
static void note_conn(struct aq_hj212_server *s, struct conn *c, enum aq_hj212_reject why, const char *detail)
{
	enum aq_status st;
	if (c->auth_station <= 0 || mono_s() < s->db_retry_s)
		return;
	struct aq_db *db = aq_app_db(s->app, &st);
	if (!db)
		return;
	note(db, c->auth_station, &why, detail, NULL, NULL);
	aq_db_release(s->app->pool, db);
}

static void handle_frame(struct aq_hj212_server *s, struct conn *c, const char *seg, size_t len)
{
	struct aq_hj212_header h;
	const char *why;
	char detail[64];
	enum aq_status st;

	if (!aq_hj212_parse_header(seg, len, &h, &why)) {
		reject(s, c, AQ_HJ212_REJ_MALFORMED, NULL, why);
		note_conn(s, c, AQ_HJ212_REJ_MALFORMED, why);
		return;
	}
	if (!aq_hj212_is_data_upload(&h) || h.pnum > 1) {
		snprintf(detail, sizeof detail, "ST=%d CN=%d%s", h.st, h.cn, h.pnum > 1 ? ", split into packets" : "");
		reject(s, c, AQ_HJ212_REJ_UNSUPPORTED, h.mn, detail);
		note_conn(s, c, AQ_HJ212_REJ_UNSUPPORTED, detail);
		return;
	}
	if (mono_s() < s->db_retry_s) {
		count(&s->n.rejected[AQ_HJ212_REJ_STORE_FAILED], 1);
		return;
	}
	struct aq_db *db = aq_app_db(s->app, &st);
	if (!db) {
		s->db_retry_s = mono_s() + DB_BACKOFF_S;
		reject(s, c, AQ_HJ212_REJ_STORE_FAILED, h.mn, aq_status_message(st));
		return;
	}
	bool stored = store_frame(s, c, db, &h);
	aq_db_release(s->app->pool, db);
	/* Only after COMMIT: an answer tells the device it may forget the data. */
	if (stored && aq_hj212_answer_wanted(&h))
		queue_answer(s, c, &h);
}

/* Takes every complete frame out of c->in; keeps an unfinished one for the next read. */
static void drain_input(struct aq_hj212_server *s, struct conn *c)
{
	size_t off = 0;
	while (off < c->in_len && !c->closing) {
		size_t used, seg_len;
		enum aq_hj212_scan what = aq_hj212_scan(c->in + off, c->in_len - off, &used, &seg_len);
		if (what == AQ_HJ212_NEED_MORE)
			break;
		switch (what) {
		case AQ_HJ212_SKIP: count(&s->n.garbage_bytes, used); break;
		case AQ_HJ212_FRAME: handle_frame(s, c, c->in + off + 6, seg_len); break;
		case AQ_HJ212_BAD_LENGTH:
			reject(s, c, AQ_HJ212_REJ_BAD_LENGTH, NULL, NULL);
			note_conn(s, c, AQ_HJ212_REJ_BAD_LENGTH, NULL);
			break;
		case AQ_HJ212_OVERSIZE:
			reject(s, c, AQ_HJ212_REJ_OVERSIZE, NULL, NULL);
			note_conn(s, c, AQ_HJ212_REJ_OVERSIZE, NULL);
			break;
		case AQ_HJ212_BAD_CRC:
			reject(s, c, AQ_HJ212_REJ_BAD_CRC, NULL, NULL);
			note_conn(s, c, AQ_HJ212_REJ_BAD_CRC, NULL);
			break;
		default: break;
		}
		off += used;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void set_want_out(struct aq_hj212_server *s, struct conn *c, bool want)
{
	if (c->want_out == want)
		return;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u), .data.ptr = c};
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = want;
	else
		c->closing = true;
}

static void flush_output(struct aq_hj212_server *s, struct conn *c)
{
	size_t sent = 0;
	while (sent < c->out_len) {
		ssize_t w = send(c->fd, c->out + sent, c->out_len - sent, MSG_NOSIGNAL);
		if (w > 0) {
			sent += (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else {
			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				c->closing = true;
			break;
		}
	}
	memmove(c->out, c->out + sent, c->out_len - sent);
	c->out_len -= sent;
	if (!c->closing)
		set_want_out(s, c, c->out_len > 0);
}

static void conn_close(struct aq_hj212_server *s, struct conn *c)
{
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	atomic_fetch_sub_explicit(&s->n.connections_open, 1, memory_order_relaxed);
	free(c);
}

static void handle_readable(struct aq_hj212_server *s, struct conn *c)
{
	/* A bounded number of reads, so one chatty device cannot starve the others. */
	for (int i = 0; i < 16 && !c->closing; i++) {
		ssize_t r = recv(c->fd, c->in + c->in_len, IN_SIZE - c->in_len, 0);
		if (r > 0) {
			c->in_len += (size_t)r;
			c->last_s = mono_s();
			drain_input(s, c);
		} else if (r == 0) {
			c->closing = true;
		} else if (errno == EINTR) {
			continue;
		} else {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->closing = true;
			break;
		}
	}
	/* Answers go out even when the device closed its sending side after the frame. */
	if (c->out_len > 0)
		flush_output(s, c);
}

/* The sender as the failure budget counts it: an IPv4 address (also when mapped into IPv6),
 * or an IPv6 address's /64 — one host commonly holds a whole /64 and could rotate through it. */
static void budget_address(const struct sockaddr_storage *sa, char *out, size_t size)
{
	snprintf(out, size, "?");
	if (sa->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
	} else if (sa->ss_family == AF_INET6) {
		struct in6_addr a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&a)) {
			inet_ntop(AF_INET, &a.s6_addr[12], out, (socklen_t)size);
			return;
		}
		memset(&a.s6_addr[8], 0, 8);
		char host[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &a, host, sizeof host);
		snprintf(out, size, "%s/64", host);
	}
}

static void peer_name(const struct sockaddr_storage *sa, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
	}
	snprintf(out, size, "%s:%d", host, port);
}

/* Long-lived device links cross NATs and mobile networks: keepalive finds the dead ones. */
static void tune_socket(int fd)
{
	int one = 1, idle = 300, interval = 60, probes = 5;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void pause_accept(struct aq_hj212_server *s, bool pause)
{
	struct epoll_event ev = {.events = pause ? 0u : EPOLLIN, .data.ptr = &s->listen_fd};
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listen_fd, &ev) == 0) {
		s->accept_paused = pause;
		s->accept_resume_s = mono_s() + ACCEPT_PAUSE_S;
	}
}

static void accept_all(struct aq_hj212_server *s)
{
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof sa;
		int fd = accept4(s->listen_fd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: without a pause the loop would spin on this. */
				aq_log(AQ_LOG_WARN, "hj212: cannot accept (%s); pausing %d s", strerror(errno),
				       ACCEPT_PAUSE_S);
				pause_accept(s, true);
			}
			return;
		}
		if (atomic_load(&s->n.connections_open) >= MAX_CONNS) {
			count(&s->n.connections_refused, 1);
			close(fd);
			continue;
		}
		struct conn *c = malloc(sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->fd = fd;
		c->last_s = mono_s();
		peer_name(&sa, c->peer, sizeof c->peer);
		budget_address(&sa, c->addr, sizeof c->addr);
		tune_socket(fd);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		count(&s->n.connections_accepted, 1);
		count(&s->n.connections_open, 1);
	}
}

static void sweep(struct aq_hj212_server *s)
{
	int64_t now = mono_s();
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (now - c->last_s > IDLE_TIMEOUT_S)
			conn_close(s, c);
	}
	if (s->accept_paused && now >= s->accept_resume_s)
		pause_accept(s, false);
	if (now >= s->prune_s && now >= s->db_retry_s) {
		enum aq_status st;
		struct aq_db *db = aq_app_db(s->app, &st);
		s->prune_s = now + PRUNE_EVERY_S;
		if (db) {
			aq_db_hj212_guard_prune(db);
			aq_db_release(s->app->pool, db);
		}
	}
}

static void *run(void *arg)
{
	struct aq_hj212_server *s = arg;
	struct epoll_event events[64];
	int64_t last_sweep = mono_s();

	while (!atomic_load(&s->stop)) {
		int n = epoll_wait(s->epoll_fd, events, 64, 1000);
		if (n < 0 && errno != EINTR) {
			aq_log(AQ_LOG_ERROR, "hj212: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n && !atomic_load(&s->stop); i++) {
			void *p = events[i].data.ptr;
			if (p == &s->wake_fd)
				continue;
			if (p == &s->listen_fd) {
				accept_all(s);
				continue;
			}
			struct conn *c = p;
			if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				handle_readable(s, c);
			if (!c->closing && (events[i].events & EPOLLOUT))
				flush_output(s, c);
			if (c->closing)
				conn_close(s, c);
		}
		if (mono_s() != last_sweep) {
			last_sweep = mono_s();
			sweep(s);
		}
	}
	return NULL;
}

struct aq_hj212_server *aq_hj212_start(struct aq_app *app)
{
	const struct aq_config *cfg = app->cfg;
	struct aq_hj212_server *s = calloc(1, sizeof *s);
	struct sockaddr_storage addr;
	socklen_t addrlen = 0;
	int one = 1;

	if (!s)
		return NULL;
	s->app = app;
	s->listen_fd = s->epoll_fd = s->wake_fd = -1;
	s->policy = (struct aq_hj212_guard_policy){cfg->hj212_auth_budget, cfg->hj212_lockout};
	s->prune_s = mono_s() + 60;
	atomic_init(&s->stop, false);
	if (!aq_addr_listen(cfg->hj212_host, cfg->hj212_port, &addr, &addrlen)) {
		aq_log(AQ_LOG_ERROR, "hj212: cannot use address %s", cfg->hj212_listen);
		goto fail;
	}
	s->listen_fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		goto sys_fail;
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s->listen_fd, (struct sockaddr *)&addr, addrlen) != 0 || listen(s->listen_fd, SOMAXCONN) != 0)
		goto sys_fail;
	addrlen = sizeof addr;
	getsockname(s->listen_fd, (struct sockaddr *)&addr, &addrlen);
	s->port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
						   : ((struct sockaddr_in *)&addr)->sin_port);
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->epoll_fd < 0 || s->wake_fd < 0)
		goto sys_fail;
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &s->listen_fd};
	struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &s->wake_fd};
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &lev) != 0 ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->wake_fd, &wev) != 0)
		goto sys_fail;
	if (pthread_create(&s->thread, NULL, run, s) != 0)
		goto sys_fail;
	s->thread_started = true;
	aq_log(AQ_LOG_INFO, "HJ 212 listening on tcp://%s:%d", cfg->hj212_host[0] ? cfg->hj212_host : "0.0.0.0",
	       s->port);
	return s;
sys_fail:
	aq_log(AQ_LOG_ERROR, "hj212: cannot listen on %s: %s", cfg->hj212_listen, strerror(errno));
fail:
	aq_hj212_stop(s);
	return NULL;
}

int aq_hj212_port(const struct aq_hj212_server *s)
{
	return s ? s->port : -1;
}

void aq_hj212_stop(struct aq_hj212_server *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		uint64_t one = 1;
		atomic_store(&s->stop, true);
		if (write(s->wake_fd, &one, sizeof one) < 0)
			aq_log(AQ_LOG_WARN, "hj212: cannot wake the listener: %s", strerror(errno));
		pthread_join(s->thread, NULL);
	}
	while (s->conns)
		conn_close(s, s->conns);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s);
}

void aq_hj212_stats(const struct aq_hj212_server *s, struct aq_hj212_counters *out)
{
	memset(out, 0, sizeof *out);
	if (!s)
		return;
	/* The counters are only ever added to; each is read on its own (relaxed). */
	const struct aq_hj212_server *m = s;
	out->connections_accepted = atomic_load_explicit(&m->n.connections_accepted, memory_order_relaxed);
	out->connections_open = atomic_load_explicit(&m->n.connections_open, memory_order_relaxed);
	out->connections_refused = atomic_load_explicit(&m->n.connections_refused, memory_order_relaxed);
	out->frames_accepted = atomic_load_explicit(&m->n.frames_accepted, memory_order_relaxed);
	out->answers_sent = atomic_load_explicit(&m->n.answers_sent, memory_order_relaxed);
	out->garbage_bytes = atomic_load_explicit(&m->n.garbage_bytes, memory_order_relaxed);
	out->unknown_codes = atomic_load_explicit(&m->n.unknown_codes, memory_order_relaxed);
	out->auth_failures = atomic_load_explicit(&m->n.auth_failures, memory_order_relaxed);
	out->lockouts = atomic_load_explicit(&m->n.lockouts, memory_order_relaxed);
	for (int i = 0; i < AQ_HJ212_REJ_COUNT; i++)
		out->rejected[i] = atomic_load_explicit(&m->n.rejected[i], memory_order_relaxed);
}
