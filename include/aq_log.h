/* aq_log.h — log lines on stderr, text or JSON (AQRANK_LOG_FORMAT). Configured once by
 * aq_log_setup before threads start; tokens and request bodies are never passed here.
 * Whatever is logged passes through aq_log_escape first, so text from the network (paths,
 * methods, MN numbers, peer names, database messages) can never start a line of its own or
 * send escape sequences to an operator's terminal. */
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

/* Copies in to out (size bytes, always NUL-terminated) with everything that is not printable
 * text escaped: C0 controls (CR, LF, TAB, ESC, …), DEL, C1 controls (U+0080–U+009F) and
 * the line and paragraph separators as \xNN or \u{NNNN}, bytes that are not UTF-8 as \xNN,
 * and the backslash as \\ (so an escape in the log always means one). Valid UTF-8 text (Chinese
 * names) is kept. Cuts at a character boundary when out is too small. Returns the length. */
size_t aq_log_escape(const char *in, char *out, size_t size);

#endif
