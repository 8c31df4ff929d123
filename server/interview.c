/* interview.c — interview statuses: pending → interviewed → rectified, never backwards. */
#include "aq_interview.h"

#include <string.h>

static const char *const status_names[] = {"pending", "interviewed", "rectified"};

const char *aq_interview_status_name(int status)
{
	return status >= 0 && status <= AQ_IV_RECTIFIED ? status_names[status] : "pending";
}

bool aq_interview_status_from_name(const char *name, int *status)
{
	for (int i = 0; i <= AQ_IV_RECTIFIED; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*status = i;
			return true;
		}
	}
	return false;
}
