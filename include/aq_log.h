/* aq_log.h — log lines on stderr, text or JSON (AQRANK_LOG_FORMAT). Configured once by
 * aq_log_setup before threads start; tokens and request bodies are never passed here. */
#ifndef AQ_LOG_H
#define AQ_LOG_H

#include "aq_config.h"

void aq_log_setup(enum aq_log_format format, enum aq_log_level level);
/* printf-style message at level; dropped below the configured level. */
void aq_log(enum aq_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The one line per request: method, path, status, bytes, milliseconds. Batched (at most
 * AQ_LOG_FLUSH_MS late) between aq_log_batch_start and aq_log_batch_stop. */
#define AQ_LOG_FLUSH_MS 100
int aq_log_batch_start(void);
void aq_log_batch_stop(void);
void aq_log_request(const char *method, const char *path, unsigned status, size_t bytes, double ms);

#endif
