/* aq_assets.h — files embedded in the binary by tools/embed.sh: the dashboard (web/) and the
 * SQL migrations (migrations/), so an installed daemon needs nothing beside itself. */
#ifndef AQ_ASSETS_H
#define AQ_ASSETS_H

#include <stddef.h>

struct aq_asset {
	const char *name;	   /* file name without directory, e.g. "index.html" */
	const unsigned char *data; /* NUL-terminated for convenience; size excludes the NUL */
	size_t size;
};

/* Both tables end with an entry whose name is NULL; migrations are sorted by name. */
extern const struct aq_asset aq_web_assets[];
extern const struct aq_asset aq_migrations[];

/* Returns the entry called name in table, or NULL. */
const struct aq_asset *aq_asset_find(const struct aq_asset *table, const char *name);

#endif
