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
 * instead of each waiting out a connect timeout. */
#include "aq_hj212_server.h"
#include "aq_app.h"
#include "aq_clock.h"
#include "aq_ingest.h"
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

struct conn {
	int fd;
	struct conn *prev, *next;
	char peer[64];      /* "ip:port", for log lines */
	int64_t last_s;     /* monotonic second of the last byte received */
	unsigned logged;    /* bit per enum aq_hj212_reject already logged on this connection */
	bool want_out;      /* EPOLLOUT registered */
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
	struct {
		_Atomic uint64_t connections_accepted, connections_open, connections_refused;
		_Atomic uint64_t frames_accepted, answers_sent, garbage_bytes;
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
	       "hj212: %s%s%s: frame not stored (%s%s%s); further ones on this connection are only counted",
	       c->peer, mn && mn[0] ? " MN=" : "", mn ? mn : "", aq_hj212_reject_name(why), detail ? ": " : "",
	       detail ? detail : "");
}

/* UTC microseconds of a DataTime, which is local time in AQRANK_TIMEZONE (the process
 * zone, set before threads start). */
static int64_t local_to_utc(const struct aq_hj212_time *t)
{
	struct tm tm = {.tm_year = t->year - 1900, .tm_mon = t->month - 1, .tm_mday = t->day,
			.tm_hour = t->hour, .tm_min = t->minute, .tm_sec = t->second, .tm_isdst = -1};
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

/* Looks the station up by MN, checks PW and that it is active; then parses the CP data into
 * a reading, validates it like an HTTP one and stores it. True when committed. */
static bool store_frame(struct aq_hj212_server *s, struct conn *c, struct aq_db *db,
			const struct aq_hj212_header *h)
{
	struct aq_station station;
	char hash[AQ_PASSWORD_HASH_SIZE];
	struct aq_reading r;
	struct aq_hj212_time t;
	struct aq_problems problems = {0};
	struct aq_ingest_result res;
	const char *why = NULL;
	char detail[160];
	bool stored = false;

	enum aq_status st = aq_db_station_by_mn(db, h->mn, &station, hash, sizeof hash);
	if (st == AQ_ERR_UNKNOWN_STATION) {
		reject(s, c, AQ_HJ212_REJ_UNKNOWN_MN, h->mn, NULL);
		goto out;
	}
	if (st != AQ_OK) {
		reject(s, c, AQ_HJ212_REJ_STORE_FAILED, h->mn, aq_status_message(st));
		goto out;
	}
	/* A station without an hj212_password has "" here, which matches no password. */
	if (!aq_password_check(h->pw, hash)) {
		reject(s, c, AQ_HJ212_REJ_BAD_PASSWORD, h->mn, NULL);
		goto out;
	}
	if (!station.active) {
		reject(s, c, AQ_HJ212_REJ_INACTIVE, h->mn, station.code);
		goto out;
	}
	aq_reading_init(&r);
	if (!aq_hj212_parse_data(h, &r, &t, &why)) {
		reject(s, c, AQ_HJ212_REJ_MALFORMED, h->mn, why);
		goto out;
	}
	snprintf(r.station, sizeof r.station, "%s", station.code);
	r.observed_us = local_to_utc(&t);
	if (!aq_reading_validate(&r, -1, aq_clock_now(&s->app->clock), &problems)) {
		if (problems.n > 0)
			snprintf(detail, sizeof detail, "%s %s", problems.items[0].field, problems.items[0].problem);
		reject(s, c, AQ_HJ212_REJ_INVALID, h->mn, problems.n > 0 ? detail : NULL);
		goto out;
	}
	st = aq_ingest_store(s->app, db, &r, &station.id, 1, "hj212", &res);
	if (st != AQ_OK) {
		if (st == AQ_ERR_DB_UNAVAILABLE)
			s->db_retry_s = mono_s() + DB_BACKOFF_S;
		reject(s, c, AQ_HJ212_REJ_STORE_FAILED, h->mn, aq_status_message(st));
		goto out;
	}
	count(&s->n.frames_accepted, 1);
	stored = true;
out:
	aq_problems_cleanup(&problems);
	return stored;
}

static void handle_frame(struct aq_hj212_server *s, struct conn *c, const char *seg, size_t len)
{
	struct aq_hj212_header h;
	const char *why;
	char detail[64];
	enum aq_status st;

	if (!aq_hj212_parse_header(seg, len, &h, &why)) {
		reject(s, c, AQ_HJ212_REJ_MALFORMED, NULL, why);
		return;
	}
	if (!aq_hj212_is_data_upload(&h) || h.pnum > 1) {
		snprintf(detail, sizeof detail, "ST=%d CN=%d%s", h.st, h.cn, h.pnum > 1 ? ", split into packets" : "");
		reject(s, c, AQ_HJ212_REJ_UNSUPPORTED, h.mn, detail);
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
		case AQ_HJ212_BAD_LENGTH: reject(s, c, AQ_HJ212_REJ_BAD_LENGTH, NULL, NULL); break;
		case AQ_HJ212_OVERSIZE: reject(s, c, AQ_HJ212_REJ_OVERSIZE, NULL, NULL); break;
		case AQ_HJ212_BAD_CRC: reject(s, c, AQ_HJ212_REJ_BAD_CRC, NULL, NULL); break;
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

static bool resolve(const char *host, int port, struct sockaddr_storage *addr, socklen_t *len)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char portbuf[8], h[64];
	snprintf(portbuf, sizeof portbuf, "%d", port);
	snprintf(h, sizeof h, "%s", host);
	if (h[0] == '[') { /* [::1] */
		memmove(h, h + 1, strlen(h));
		h[strcspn(h, "]")] = '\0';
	}
	if (getaddrinfo(h[0] ? h : NULL, portbuf, &hints, &res) != 0 || !res)
		return false;
	memset(addr, 0, sizeof *addr);
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
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
	atomic_init(&s->stop, false);
	if (!resolve(cfg->hj212_host, cfg->hj212_port, &addr, &addrlen)) {
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
	for (int i = 0; i < AQ_HJ212_REJ_COUNT; i++)
		out->rejected[i] = atomic_load_explicit(&m->n.rejected[i], memory_order_relaxed);
}
