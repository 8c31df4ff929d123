/* buf.c — the growing byte buffer (aq_buf.h). */
#include "aq_buf.h"

#include <stdlib.h>
#include <string.h>

char *aq_buf_room(struct aq_buf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return NULL;
		}
		b->s = s;
		b->cap = cap;
	}
	return b->s + b->len;
}

void aq_buf_wrote(struct aq_buf *b, size_t n)
{
	b->len += n;
	b->s[b->len] = '\0';
}

void aq_buf_add(struct aq_buf *b, const void *data, size_t n)
{
	char *at = aq_buf_room(b, n);
	if (!at)
		return;
	if (n)
		memcpy(at, data, n);
	aq_buf_wrote(b, n);
}

void aq_buf_str(struct aq_buf *b, const char *text)
{
	aq_buf_add(b, text, strlen(text));
}

char *aq_buf_take(struct aq_buf *b)
{
	char *s = b->oom ? NULL : b->s ? b->s : calloc(1, 1);
	if (b->oom)
		free(b->s);
	*b = (struct aq_buf){0};
	return s;
}

void aq_buf_free(struct aq_buf *b)
{
	if (!b)
		return;
	free(b->s);
	*b = (struct aq_buf){0};
}
