/* aq_assets.h — the dashboard's files, embedded in the binary by tools/embed.sh. */
#ifndef AQ_ASSETS_H
#define AQ_ASSETS_H

#include <stddef.h>

struct aq_asset {
	const char *path;           /* "/index.html" */
	const unsigned char *data;  /* NUL-terminated for convenience; size excludes the NUL */
	size_t size;
};

/* Terminated by an entry whose path is NULL. */
extern const struct aq_asset aq_assets[];

#endif
