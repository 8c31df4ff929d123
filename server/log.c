/* log.c — one line per event on stderr, in text or JSON. The format and level are written
 * once at start-up (before any thread) and only read afterwards.
 *
 * The request line is on the hot path (every request logs one): it is formatted with
 * snprintf into a stack buffer, without jansson or stdio locks, and the local timestamp text
 * is rebuilt at most once a second per thread (localtime_r takes a process-wide lock).
 * Once aq_log_batch_start has run, request lines are gathered and written together: one
 * write(2) per request was a third of the daemon's system calls under GET load. A request
 * line waits at most AQ_LOG_FLUSH_MS; any other line flushes the batch first, so lines keep
 * their order, and aq_log_batch_stop writes what is left.
 *
 * Every message and request field is escaped (aq_log_escape) before it is formatted: a path
 * with %0a in it cannot forge a line, nor %1b[31m colour an operator's terminal. */
#include "aq_log.h"
#include "aq_clock.h"
#include "aq_time.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH_BYTES 16384

static enum aq_log_format log_format = AQ_LOG_FORMAT_TEXT;
static enum aq_log_level log_level = AQ_LOG_INFO;

void aq_log_setup(enum aq_log_format format, enum aq_log_level level)
{
	log_format = format;
	log_level = level;
}

static const char *level_name(enum aq_log_level level)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	return (unsigned)level < 4 ? names[level] : "info";
}

/* Local time of now with microseconds, e.g. "2017-12-07T15:00:02.123456+08:00". */
static void timestamp(char buf[48])
{
	static _Thread_local int64_t cached_second = -1;
	static _Thread_local int cached_offset;
	int64_t now = aq_clock_now(NULL);
	int64_t second = now / AQ_US_PER_SEC;
	if (second != cached_second) {
		aq_local_of(now, NULL, NULL, &cached_offset);
		cached_second = second;
	}
	aq_time_format(now, cached_offset, buf, 48);
}

static void write_line(const char *line, size_t len)
{
	/* One write per line: lines of several threads never interleave. */
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, line, len);
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t flusher;
	bool running, stopping;
	size_t len;
	char text[BATCH_BYTES];
} batch = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Under batch.lock. */
static void flush_locked(void)
{
	write_line(batch.text, batch.len);
	batch.len = 0;
}

static void *flusher_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&batch.lock);
	while (!batch.stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += AQ_LOG_FLUSH_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&batch.wake, &batch.lock, &until);
		flush_locked();
	}
	flush_locked();
	pthread_mutex_unlock(&batch.lock);
	return NULL;
}

int aq_log_batch_start(void)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&batch.wake, &attr);
	pthread_condattr_destroy(&attr);
	if (rc != 0)
		return -1;
	batch.stopping = false;
	if (pthread_create(&batch.flusher, NULL, flusher_main, NULL) != 0) {
		pthread_cond_destroy(&batch.wake);
		return -1;
	}
	pthread_mutex_lock(&batch.lock);
	batch.running = true;
	pthread_mutex_unlock(&batch.lock);
	return 0;
}

void aq_log_batch_stop(void)
{
	pthread_mutex_lock(&batch.lock);
	bool was_running = batch.running;
	batch.running = false;
	batch.stopping = true;
	pthread_cond_signal(&batch.wake);
	pthread_mutex_unlock(&batch.lock);
	if (!was_running)
		return;
	pthread_join(batch.flusher, NULL);
	pthread_cond_destroy(&batch.wake);
}

/* A request line: into the batch when batching, else straight out. */
static void emit_request_line(const char *line, size_t len)
{
	pthread_mutex_lock(&batch.lock);
	if (!batch.running) {
		pthread_mutex_unlock(&batch.lock);
		write_line(line, len);
		return;
	}
	if (batch.len + len > sizeof batch.text)
		flush_locked();
	if (len > sizeof batch.text) {
		write_line(line, len);
	} else {
		memcpy(batch.text + batch.len, line, len);
		batch.len += len;
	}
	pthread_mutex_unlock(&batch.lock);
}

/* Any other line: after the request lines before it. */
static void emit_line(const char *line, size_t len)
{
	pthread_mutex_lock(&batch.lock);
	flush_locked();
	write_line(line, len);
	pthread_mutex_unlock(&batch.lock);
}

/* Length of the UTF-8 character at p (2–4) when it is a well-formed one, else 0. */
static size_t utf8_length(const unsigned char *p, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1fu, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0fu, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07u, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		c = (c << 6) | (p[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

size_t aq_log_escape(const char *in, char *out, size_t size)
{
	size_t j = 0;
	if (size == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)in; *p;) {
		char esc[16];
		size_t n = 1, elen = 0;
		uint32_t cp = 0;
		if (*p == '\\') {
			memcpy(esc, "\\\\", 2);
			elen = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			elen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
		} else if (*p >= 0x80) {
			n = utf8_length(p, &cp);
			if (n == 0) { /* not UTF-8: the byte */
				n = 1;
				elen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
			} else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
				elen = (size_t)snprintf(esc, sizeof esc, "\\u{%04x}", (unsigned)cp);
			}
		}
		const char *piece = elen ? esc : (const char *)p;
		size_t plen = elen ? elen : n;
		if (j + plen + 1 > size)
			break;
		memcpy(out + j, piece, plen);
		j += plen;
		p += n;
	}
	out[j] = '\0';
	return j;
}

void aq_log(enum aq_log_level level, const char *fmt, ...)
{
	char raw[1024], text[1024], when[48], line[1400];
	va_list ap;
	if (level < log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	aq_log_escape(raw, text, sizeof text);
	timestamp(when);
	if (log_format == AQ_LOG_FORMAT_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "time", when, "level", level_name(level), "msg", text);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (s) {
			int n = snprintf(line, sizeof line, "%s\n", s);
			emit_line(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
			free(s);
		}
		return;
	}
	int n = snprintf(line, sizeof line, "%s %s %s\n", when, level_name(level), text);
	emit_line(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

/* in, already escaped by aq_log_escape (no control bytes, valid UTF-8), as the inside of a
 * JSON string: only quotes and backslashes are left to escape. */
static void json_escape(const char *in, char *out, size_t size)
{
	size_t j = 0;
	for (const char *p = in; *p && j + 3 < size; p++) {
		if (*p == '"' || *p == '\\')
			out[j++] = '\\';
		out[j++] = *p;
	}
	out[j] = '\0';
}

void aq_log_request(const char *method, const char *path_raw, unsigned status, size_t bytes, double ms)
{
	/* The path is cut at 600 bytes (escaped); JSON escaping at most doubles it: the line
	 * always fits, newline included. */
	char when[48], line[1600], m[32], path[600];
	int n;
	if (AQ_LOG_INFO < log_level)
		return;
	timestamp(when);
	aq_log_escape(path_raw, path, sizeof path);
	if (log_format == AQ_LOG_FORMAT_JSON) {
		char p[2 * sizeof path], method_text[sizeof m / 2];
		aq_log_escape(method, method_text, sizeof method_text);
		json_escape(method_text, m, sizeof m);
		json_escape(path, p, sizeof p);
		n = snprintf(line, sizeof line,
			     "{\"time\":\"%s\",\"level\":\"info\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%u,"
			     "\"bytes\":%zu,\"ms\":%.3f}\n",
			     when, m, p, status, bytes, ms);
	} else {
		aq_log_escape(method, m, sizeof m);
		n = snprintf(line, sizeof line, "%s info %s %s %u %zu %.1fms\n", when, m, path, status, bytes, ms);
	}
	emit_request_line(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}
