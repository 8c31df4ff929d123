/* aq_buf.h — a growing byte buffer, always NUL-terminated: for text built piece by piece
 * (array parameters, COPY data, CSV). Pure. An allocation failure is remembered (oom) and
 * makes every later append a no-op, so callers check once at the end. */
#ifndef AQ_BUF_H
#define AQ_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct aq_buf {
	char *s;    /* NULL until something is appended; owned */
	size_t len; /* bytes in s, not counting the NUL */
	size_t cap;
	bool oom;
};

/* Appends n bytes of data. */
void aq_buf_add(struct aq_buf *b, const void *data, size_t n);
/* Room for n more bytes at the end, to be written in place and then counted with
 * aq_buf_wrote (at most n); NULL when out of memory. */
char *aq_buf_room(struct aq_buf *b, size_t n);
/* Counts n bytes written at what aq_buf_room returned. */
void aq_buf_wrote(struct aq_buf *b, size_t n);
/* Appends a NUL-terminated string. */
void aq_buf_str(struct aq_buf *b, const char *text);
/* Takes the text out of b (the caller frees it; "" when empty, NULL when out of memory) and
 * empties b. */
char *aq_buf_take(struct aq_buf *b);
/* Frees the text and empties b. NULL-safe. */
void aq_buf_free(struct aq_buf *b);

#endif
