/* main.c — aqrankd: parse the configuration, open the database pool, start HTTP and the
 * background jobs, wait for SIGTERM/SIGINT, tear down in reverse. */
#include "aq_app.h"
#include "aq_clock.h"
#include "aq_config.h"
#include "aq_json_arena.h"
#include "aq_db.h"
#include "aq_file.h"
#include "aq_hj212_server.h"
#include "aq_http.h"
#include "aq_jobs.h"
#include "aq_replica.h"
#include "aq_events.h"
#include "aq_log.h"
#include "aq_sources_service.h"
#include "aq_webhook.h"

#include <curl/curl.h>

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void usage(FILE *out)
{
	fprintf(out, "usage: aqrankd [serve|migrate] [--config FILE] [--FLAG VALUE ...] [--no-migrate]\n"
		     "       aqrankd --help | --version\n\n"
		     "  serve     run the daemon (default); applies pending migrations first unless\n"
		     "            --no-migrate\n"
		     "  migrate   apply pending migrations and exit\n"
		     "  routes    print the HTTP route table and exit\n\n"
		     "Configuration: flag > environment > --config FILE (KEY=value lines, as a systemd\n"
		     "EnvironmentFile) > default. Keys:\n\n");
	aq_config_describe(out);
}

/* Builds cfg from defaults, --config file, environment and flags. Returns 0 to go on, or an
 * exit code (after printing why). *command is "serve" or "migrate". */
static int load_config(int argc, char **argv, struct aq_config *cfg, const char **command)
{
	char err[1024];
	const char *config_file = NULL;
	*command = "serve";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return -1;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("aqrankd %s\n", AQ_VERSION);
			return -1;
		}
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_file = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			config_file = argv[i] + 9;
	}
	if (config_file) {
		char *text = aq_file_read(config_file);
		if (!text) {
			fprintf(stderr, "aqrankd: cannot read --config %s\n", config_file);
			return 2;
		}
		bool ok = aq_config_load_text(cfg, text, config_file, err, sizeof err);
		free(text);
		if (!ok) {
			fprintf(stderr, "aqrankd: %s\n", err);
			return 2;
		}
	}
	if (!aq_config_load_env(cfg, environ, err, sizeof err)) {
		fprintf(stderr, "aqrankd: %s\n", err);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "serve") == 0 || strcmp(arg, "migrate") == 0 || strcmp(arg, "routes") == 0) {
			*command = arg;
			continue;
		}
		if (strcmp(arg, "--no-migrate") == 0) {
			cfg->no_migrate = true;
			continue;
		}
		if (strcmp(arg, "--config") == 0) {
			i++;
			continue;
		}
		if (strncmp(arg, "--config=", 9) == 0)
			continue;
		char flag[64];
		const char *value = NULL;
		const char *eq = strchr(arg, '=');
		if (eq && (size_t)(eq - arg) < sizeof flag) {
			memcpy(flag, arg, (size_t)(eq - arg));
			flag[eq - arg] = '\0';
			value = eq + 1;
		} else {
			snprintf(flag, sizeof flag, "%s", arg);
			if (i + 1 < argc)
				value = argv[++i];
		}
		const char *key = strncmp(flag, "--", 2) == 0 ? aq_config_key_for_flag(flag) : NULL;
		if (!key) {
			fprintf(stderr, "aqrankd: unknown argument %s (see --help)\n", arg);
			return 2;
		}
		if (!value) {
			fprintf(stderr, "aqrankd: %s needs a value\n", flag);
			return 2;
		}
		if (!aq_config_set(cfg, key, value, err, sizeof err)) {
			fprintf(stderr, "aqrankd: %s (from %s)\n", err, flag);
			return 2;
		}
	}
	return 0;
}

static int run_migrate(const struct aq_config *cfg)
{
	enum aq_status st;
	char err[512];
	struct aq_db_pool *pool = aq_db_pool_new(cfg->database_url, cfg->timezone, 1);
	struct aq_db *db = pool ? aq_db_acquire(pool, &st) : NULL;
	if (!db) {
		fprintf(stderr, "aqrankd: cannot reach the database %s\n", cfg->database_url);
		aq_db_pool_free(pool);
		return 1;
	}
	st = aq_db_migrate(db, err, sizeof err);
	aq_db_release(pool, db);
	aq_db_pool_free(pool);
	if (st != AQ_OK) {
		fprintf(stderr, "aqrankd: migrate: %s\n", err);
		return 1;
	}
	fprintf(stderr, "aqrankd: database is up to date\n");
	return 0;
}

static int run_serve(const struct aq_config *cfg)
{
	struct aq_app app;
	sigset_t stop_signals;
	int sig = 0, code = 1;
	enum aq_status st;

	/* Block the stop signals in every thread; this one waits for them with sigwait. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Every worker thread would otherwise get a malloc arena of its own, each keeping the
	 * peak of the biggest reply it ever built (a 1000-station ranking is ~10 MB of JSON
	 * tree): two arenas bound the resident size; the background thread trims them. */
	mallopt(M_ARENA_MAX, 2);
	aq_app_init(&app, cfg);
	int pool_size = cfg->db_pool > 0 ? cfg->db_pool : cfg->threads + 4;
	app.pool = aq_db_pool_new(cfg->database_url, cfg->timezone, pool_size);
	struct aq_jobs *jobs = NULL;
	struct aq_webhook *webhook = NULL;
	struct aq_http *http = NULL;
	struct aq_hj212_server *hj212 = NULL;
	if (!app.pool || aq_app_services_new(&app) != AQ_OK || !(app.sources_cache = aq_sources_cache_new()))
		goto out;

	/* Migrate now if the database is there; if not, requests answer 503 and the first one
	 * after the database returns migrates. */
	struct aq_db *db = aq_app_db(&app, &st);
	if (db)
		aq_db_release(app.pool, db);
	else
		aq_log(AQ_LOG_WARN, "database not available yet; answering 503 until it is");

	/* The read replica (AQRANK_READ_DSN) before HTTP, whose routed replies read there. */
	if (cfg->read_dsn && cfg->read_dsn[0] && !(app.replica = aq_replica_start(&app)))
		goto out;
	jobs = aq_jobs_start(&app);
	app.jobs = jobs;
	webhook = aq_webhook_start(&app);
	/* HJ 212 (when configured) before HTTP, so that devices are heard once the daemon says
	 * it is listening. */
	if (cfg->hj212_port >= 0 && !(hj212 = app.hj212 = aq_hj212_start(&app)))
		goto out;
	if (aq_log_batch_start() != 0)
		aq_log(AQ_LOG_WARN, "request log lines will be written one by one (no flusher thread)");
	http = aq_http_start(&app);
	if (!http || !jobs || !webhook)
		goto out;
	char now[40];
	aq_local_format(aq_clock_now(&app.clock), now, sizeof now);
	aq_log(AQ_LOG_INFO, "aqrankd %s listening on http://%s:%d (clock %s%s, time zone %s)", AQ_VERSION,
	       cfg->listen_host[0] ? cfg->listen_host : "0.0.0.0", aq_http_port(http), now,
	       app.clock.frozen ? ", frozen" : "", cfg->timezone);
	sigwait(&stop_signals, &sig);
	aq_log(AQ_LOG_INFO, "signal %d: stopping", sig);
	atomic_store(&app.stopping, true);
	code = 0;
out:
	aq_events_shutdown(app.events); /* end the event streams, or the HTTP stop waits on them */
	aq_http_stop(http, 10);
	aq_log_batch_stop();	      /* the last request lines out */
	aq_replica_stop(app.replica); /* no reply reads any more */
	app.replica = NULL;
	app.hj212 = NULL;
	aq_hj212_stop(hj212); /* before the jobs thread it wakes and the pool it borrows from */
	aq_webhook_stop(webhook);
	app.jobs = NULL;
	aq_jobs_stop(jobs);
	aq_sources_cache_free(app.sources_cache);
	app.sources_cache = NULL;
	aq_app_services_free(&app);
	aq_db_pool_free(app.pool);
	aq_app_cleanup(&app);
	return code;
}

int main(int argc, char **argv)
{
	struct aq_config cfg;
	const char *command;
	/* jansson's allocation functions, before any thread and any json value (aq_json_arena.h) */
	aq_json_arena_install();
	aq_config_init(&cfg);
	int code = load_config(argc, argv, &cfg, &command);
	if (code != 0) {
		aq_config_cleanup(&cfg);
		return code < 0 ? 0 : code;
	}
	aq_log_setup((enum aq_log_format)cfg.log_format, (enum aq_log_level)cfg.log_level);
	curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before any thread */
	aq_timezone_set(cfg.timezone);
	if (strcmp(command, "routes") == 0)
		aq_http_print_routes(stdout);
	else
		code = strcmp(command, "migrate") == 0 ? run_migrate(&cfg) : run_serve(&cfg);
	aq_config_cleanup(&cfg);
	curl_global_cleanup();
	return code;
}
