/* log.c — one line per event on stderr, in text or JSON. The format and level are written
 * once at start-up (before any thread) and only read afterwards. */
#include "aq_log.h"
#include "aq_clock.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

static void emit(enum aq_log_level level, json_t *fields, const char *text)
{
	char when[40];
	aq_local_format(aq_clock_now(NULL), when, sizeof when);
	if (log_format == AQ_LOG_FORMAT_JSON) {
		json_object_set_new(fields, "time", json_string(when));
		json_object_set_new(fields, "level", json_string(level_name(level)));
		char *line = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
		if (line) {
			fprintf(stderr, "%s\n", line);
			free(line);
		}
	} else {
		fprintf(stderr, "%s %s %s\n", when, level_name(level), text);
	}
}

void aq_log(enum aq_log_level level, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	if (level < log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	json_t *fields = json_pack("{s:s}", "msg", text);
	emit(level, fields, text);
	json_decref(fields);
}

void aq_log_request(const char *method, const char *path, unsigned status, size_t bytes, double ms)
{
	char text[1024];
	if (AQ_LOG_INFO < log_level)
		return;
	snprintf(text, sizeof text, "%s %s %u %zu %.1fms", method, path, status, bytes, ms);
	json_t *fields = json_pack("{s:s, s:s, s:i, s:I, s:f}", "method", method, "path", path,
				   "status", (int)status, "bytes", (json_int_t)bytes, "ms", ms);
	emit(AQ_LOG_INFO, fields, text);
	json_decref(fields);
}
