/* fuzz_config.c — the configuration parsers: the input as an EnvironmentFile text
 * (aq_config_load_text between aq_config_init and aq_config_cleanup), then each of its lines
 * that holds a '=' as a direct aq_config_set (what the environment and the flags go through).
 * Invariants: whatever is accepted stays within the bounds the table documents; a rejection
 * comes with a message; the configuration stays valid after a rejected key. */
#include "fuzz.h"

#include "aq_config.h"

static void check_config(const struct aq_config *c)
{
	FUZZ_CHECK(c->database_url && c->listen && c->timezone);
	FUZZ_CHECK(memchr(c->listen_host, '\0', sizeof c->listen_host));
	FUZZ_CHECK(memchr(c->hj212_host, '\0', sizeof c->hj212_host));
	FUZZ_CHECK(c->listen_port >= 0 && c->listen_port <= 65535);
	FUZZ_CHECK(c->hj212_port >= -1 && c->hj212_port <= 65535);
	FUZZ_CHECK(c->threads >= 1 && c->threads <= 256);
	FUZZ_CHECK(c->db_pool >= 0 && c->db_pool <= 512);
	FUZZ_CHECK(c->metric >= 0 && c->metric <= 3);
	FUZZ_CHECK(c->composite_mask != 0 && c->composite_mask < (1u << 6));
	FUZZ_CHECK(c->min_hours >= 1 && c->min_hours <= 24);
	FUZZ_CHECK(c->radius_km >= 0.01 && c->radius_km <= 1000);
	FUZZ_CHECK(c->max_body >= 1024 && c->max_body <= 1073741824L);
	FUZZ_CHECK(c->rate_limit >= 0 && c->rate_limit <= 1e6);
	FUZZ_CHECK(c->interference_drop >= 0 && c->interference_drop <= 1);
	FUZZ_CHECK(c->webhook_format >= 0 && c->webhook_format <= 2);
	FUZZ_CHECK(c->log_format >= 0 && c->log_format <= 1);
	FUZZ_CHECK(c->log_level >= 0 && c->log_level <= 3);
	FUZZ_CHECK(!c->admin_token || !*c->admin_token || strlen(c->admin_token) >= 16);
	FUZZ_CHECK(!c->read_token || !*c->read_token || strlen(c->read_token) >= 16);
	FUZZ_CHECK(!c->webhook_url || !*c->webhook_url || strncmp(c->webhook_url, "http", 4) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	char err[256] = "";
	struct aq_config cfg;

	aq_config_init(&cfg);
	if (!aq_config_load_text(&cfg, text, "fuzz.conf", err, sizeof err))
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err));
	check_config(&cfg);
	aq_config_cleanup(&cfg);

	aq_config_init(&cfg);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		err[0] = '\0';
		if (!aq_config_set(&cfg, line, eq + 1, err, sizeof err))
			FUZZ_CHECK(err[0] != '\0');
		check_config(&cfg);
	}
	aq_config_cleanup(&cfg);
	aq_config_cleanup(&cfg); /* NULL-safe and idempotent */
	free(text);
	return 0;
}
