/* http_guard.c — what keeps clients without a token from holding the daemon's connections:
 * a limit of open connections per client address (AQRANK_PER_IP_LIMIT; IPv6 counted per /64;
 * trusted proxies exempt), and a deadline for a request's head (AQRANK_HEADER_TIMEOUT) that,
 * unlike libmicrohttpd's idle timeout, a client cannot push back by trickling a byte at a time.
 *
 * libmicrohttpd 0.9.75 has neither (its per-IP limit knows no exemptions; its timeout restarts
 * on every byte), so: the accept-policy callback refuses an address at its limit, the
 * connection-notify callback registers every connection (its socket and its deadline) and
 * counts it, and a watchdog thread shuts down the socket of a connection whose deadline has
 * passed. libmicrohttpd then reads end-of-file and closes the connection in its own thread, as
 * if the client had gone. The registry lock makes this safe: libmicrohttpd reports a connection
 * closed (and unregisters it here) before it closes the socket, so the watchdog never shuts
 * down a descriptor that already belongs to another connection. */
#include "http_internal.h"
#include "aq_addr.h"
#include "aq_clock.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_time.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define ADDR_BUCKETS 1024
#define WATCH_EVERY_MS 250

/* One connection, from libmicrohttpd's "started" notification to its "closed" one. */
struct aq_guard_conn {
	struct aq_guard_conn *prev, *next;
	MHD_socket fd;
	struct aq_addr peer;
	bool counted;	     /* in the per-address counts */
	int64_t deadline_us; /* monotonic; 0 while a request is being answered */
};

struct addr_count {
	struct aq_addr key;
	int n;
	struct addr_count *next;
};

struct aq_guard {
	struct aq_metrics *metrics;
	int per_ip_limit;
	int64_t header_us, idle_us;
	struct aq_addr_list trusted;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t watchdog;
	bool running, stopping;
	struct aq_guard_conn *conns; /* under lock, as is everything below */
	struct addr_count *counts[ADDR_BUCKETS];
};

static unsigned bucket_of(const struct aq_addr *key)
{
	unsigned char bytes[32];
	uint32_t h;
	aq_addr_key_bytes(key, bytes);
	memcpy(&h, bytes, sizeof h);
	return h % ADDR_BUCKETS;
}

/* Under lock. The count of key's connections, created with 0 when create. */
static struct addr_count *count_of(struct aq_guard *g, const struct aq_addr *key, bool create)
{
	unsigned b = bucket_of(key);
	for (struct addr_count *c = g->counts[b]; c; c = c->next)
		if (memcmp(c->key.b, key->b, sizeof key->b) == 0)
			return c;
	if (!create)
		return NULL;
	struct addr_count *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->key = *key;
	c->next = g->counts[b];
	g->counts[b] = c;
	return c;
}

/* Under lock: one connection of key fewer; the entry goes when none is left. */
static void uncount(struct aq_guard *g, const struct aq_addr *key)
{
	unsigned b = bucket_of(key);
	for (struct addr_count **link = &g->counts[b]; *link; link = &(*link)->next) {
		struct addr_count *c = *link;
		if (memcmp(c->key.b, key->b, sizeof key->b) != 0)
			continue;
		if (--c->n <= 0) {
			*link = c->next;
			free(c);
		}
		return;
	}
}

bool aq_guard_trusted(const struct aq_guard *g, const struct aq_addr *peer)
{
	return g && aq_addr_list_match(&g->trusted, peer);
}

enum MHD_Result aq_guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct aq_guard *g = cls;
	struct aq_addr peer;
	(void)addrlen;
	if (g->per_ip_limit <= 0 || !aq_addr_from_sockaddr(addr, &peer) || aq_guard_trusted(g, &peer))
		return MHD_YES;
	struct aq_addr key = aq_addr_client_key(&peer);
	pthread_mutex_lock(&g->lock);
	struct addr_count *c = count_of(g, &key, false);
	bool ok = !c || c->n < g->per_ip_limit;
	pthread_mutex_unlock(&g->lock);
	if (!ok)
		aq_metrics_add(g->metrics, AQ_C_CONN_REFUSED, 1);
	return ok ? MHD_YES : MHD_NO;
}

void aq_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		     enum MHD_ConnectionNotificationCode toe)
{
	struct aq_guard *g = cls;
	struct aq_guard_conn *c = *socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *peer =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		c = calloc(1, sizeof *c);
		if (!c || !fd) {
			free(c);
			return; /* unguarded: still bound by libmicrohttpd's idle timeout */
		}
		c->fd = fd->connect_fd;
		bool known = peer && aq_addr_from_sockaddr(peer->client_addr, &c->peer);
		c->deadline_us = aq_monotonic_us() + g->header_us;
		pthread_mutex_lock(&g->lock);
		if (known && g->per_ip_limit > 0 && !aq_guard_trusted(g, &c->peer)) {
			struct aq_addr key = aq_addr_client_key(&c->peer);
			struct addr_count *n = count_of(g, &key, true);
			if (n) {
				n->n++;
				c->counted = true;
			}
		}
		c->next = g->conns;
		if (g->conns)
			g->conns->prev = c;
		g->conns = c;
		pthread_mutex_unlock(&g->lock);
		*socket_context = c;
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED || !c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->counted) {
		struct aq_addr key = aq_addr_client_key(&c->peer);
		uncount(g, &key);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&g->lock);
	free(c);
	*socket_context = NULL;
}

static struct aq_guard_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

void aq_guard_request_begun(struct aq_guard *g, struct MHD_Connection *conn)
{
	struct aq_guard_conn *c = conn_of(conn);
	if (!g || !c)
		return;
	pthread_mutex_lock(&g->lock);
	c->deadline_us = 0;
	pthread_mutex_unlock(&g->lock);
}

void aq_guard_request_ended(struct aq_guard *g, struct MHD_Connection *conn)
{
	struct aq_guard_conn *c = conn_of(conn);
	if (!g || !c)
		return;
	/* A kept-alive connection may stay idle for the idle timeout, then has the header
	 * deadline for its next request. */
	pthread_mutex_lock(&g->lock);
	c->deadline_us = aq_monotonic_us() + g->idle_us + g->header_us;
	pthread_mutex_unlock(&g->lock);
}

bool aq_guard_peer(struct MHD_Connection *conn, struct aq_addr *peer)
{
	struct aq_guard_conn *c = conn_of(conn);
	if (c) {
		*peer = c->peer;
		return true;
	}
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return info && aq_addr_from_sockaddr(info->client_addr, peer);
}

static void *watchdog_main(void *arg)
{
	struct aq_guard *g = arg;
	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WATCH_EVERY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
		int64_t now = aq_monotonic_us();
		unsigned cut = 0;
		for (struct aq_guard_conn *c = g->conns; c; c = c->next) {
			if (c->deadline_us == 0 || now < c->deadline_us)
				continue;
			/* Not close(): the descriptor stays libmicrohttpd's until it closes it. */
			shutdown(c->fd, SHUT_RDWR);
			c->deadline_us = 0;
			cut++;
		}
		if (cut) {
			aq_metrics_add(g->metrics, AQ_C_HEADER_TIMEOUTS, cut);
			aq_log(AQ_LOG_DEBUG, "http: %u connection(s) cut: no request head within %lld s", cut,
			       (long long)(g->header_us / AQ_US_PER_SEC));
		}
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct aq_guard *aq_guard_new(const struct aq_config *cfg, struct aq_metrics *metrics)
{
	char err[160];
	struct aq_guard *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->metrics = metrics;
	g->per_ip_limit = cfg->per_ip_limit;
	g->header_us = (int64_t)cfg->header_timeout * AQ_US_PER_SEC;
	g->idle_us = (int64_t)cfg->conn_timeout * AQ_US_PER_SEC;
	if (!aq_addr_list_parse(cfg->trusted_proxies ? cfg->trusted_proxies : "", &g->trusted, err, sizeof err)) {
		aq_log(AQ_LOG_ERROR, "AQRANK_TRUSTED_PROXIES: %s", err);
		free(g);
		return NULL;
	}
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&g->lock, NULL);
	if (pthread_create(&g->watchdog, NULL, watchdog_main, g) != 0) {
		aq_guard_free(g);
		return NULL;
	}
	g->running = true;
	return g;
}

void aq_guard_free(struct aq_guard *g)
{
	if (!g)
		return;
	if (g->running) {
		pthread_mutex_lock(&g->lock);
		g->stopping = true;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->watchdog, NULL);
	}
	/* libmicrohttpd has reported every connection closed by now (MHD_stop_daemon ran). */
	for (struct aq_guard_conn *c = g->conns, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	for (int b = 0; b < ADDR_BUCKETS; b++)
		for (struct addr_count *c = g->counts[b], *next; c; c = next) {
			next = c->next;
			free(c);
		}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
