/* file.c — reading a whole small file (aq_file.h). */
#include "aq_file.h"
#include "aq_buf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

char *aq_file_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct aq_buf b = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		aq_buf_add(&b, chunk, n);
	bool failed = ferror(f) != 0;
	fclose(f);
	if (failed) {
		aq_buf_free(&b);
		return NULL;
	}
	return aq_buf_take(&b);
}
