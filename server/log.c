/* log.c — one line per event on stderr, in text or JSON. The format and level are written
 * once at start-up (before any thread) and only read afterwards.
 *
 * The request line is on the hot path (every request logs one): it is formatted with
 * snprintf into a stack buffer, without jansson or stdio locks, and the local timestamp text
 * is rebuilt at most once a second per thread (localtime_r takes a process-wide lock).
 * Once aq_log_batch_start has run, request lines are gathered and written together: one
 * write(2) per request was a third of the daemon's system calls under GET load. A request
 * line waits at most AQ_LOG_FLUSH_MS; any other line flushes the batch first, so lines keep
 * their order, and aq_log_batch_stop writes what is left. */
#include "aq_log.h"
#include "aq_clock.h"
#include "aq_time.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
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

void aq_log(enum aq_log_level level, const char *fmt, ...)
{
	char text[1024], when[48], line[1400];
	va_list ap;
	if (level < log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
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

/* The path is the only free text in a request line: keep JSON valid whatever it holds. */
static void json_escape(const char *in, char *out, size_t size)
{
	size_t j = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && j + 7 < size; p++) {
		if (*p == '"' || *p == '\\') {
			out[j++] = '\\';
			out[j++] = (char)*p;
		} else if (*p < 0x20) {
			j += (size_t)snprintf(out + j, size - j, "\\u%04x", *p);
		} else {
			out[j++] = (char)*p;
		}
	}
	out[j] = '\0';
}

void aq_log_request(const char *method, const char *path, unsigned status, size_t bytes, double ms)
{
	char when[48], line[1024];
	int n;
	if (AQ_LOG_INFO < log_level)
		return;
	timestamp(when);
	if (log_format == AQ_LOG_FORMAT_JSON) {
		char m[32], p[600];
		json_escape(method, m, sizeof m);
		json_escape(path, p, sizeof p);
		n = snprintf(line, sizeof line,
			     "{\"time\":\"%s\",\"level\":\"info\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%u,"
			     "\"bytes\":%zu,\"ms\":%.3f}\n",
			     when, m, p, status, bytes, ms);
	} else {
		n = snprintf(line, sizeof line, "%s info %s %.600s %u %zu %.1fms\n", when, method, path, status,
			     bytes, ms);
	}
	emit_request_line(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}
