/* assets.c — lookup in the embedded file tables. */
#include "aq_assets.h"

#include <string.h>

const struct aq_asset *aq_asset_find(const struct aq_asset *table, const char *name)
{
	for (const struct aq_asset *a = table; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}
