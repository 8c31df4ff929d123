/* alert.c — alert statuses: open → acknowledged → resolved. */
#include "aq_alert.h"

#include <string.h>

static const char *const status_names[] = {"open", "acknowledged", "resolved"};

const char *aq_alert_status_name(int status)
{
	return status >= AQ_AS_OPEN && status <= AQ_AS_RESOLVED ? status_names[status] : "open";
}

bool aq_alert_status_from_name(const char *name, int *status)
{
	for (int i = AQ_AS_OPEN; i <= AQ_AS_RESOLVED; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*status = i;
			return true;
		}
	}
	return false;
}
