/* copy_bench.c — the database ceiling for batched ingest: COPY of BATCH-row batches into a
 * table shaped like readings, one transaction (commit) per batch, from CLIENTS connections in
 * parallel. Prints rows per second. Usage: copy_bench URL CLIENTS BATCHES_PER_CLIENT BATCH */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *url;
static int batches, batch;

static void *client(void *arg)
{
	int id = (int)(long)arg;
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(c));
		exit(1);
	}
	char *buf = malloc((size_t)batch * 160);
	for (int b = 0; b < batches; b++) {
		size_t len = 0;
		for (int i = 0; i < batch; i++) {
			long k = ((long)b * batch + i);
			/* 1000 stations per client, one reading a minute each: every key is new. */
			time_t t = (time_t)(1781452800L + (k / 1000) * 60); /* 2026-06-15 00:00 +08 */
			struct tm tm;
			gmtime_r(&t, &tm);
			len += (size_t)sprintf(buf + len,
					       "%d\t%04d-%02d-%02d %02d:%02d:%02d+00\t%ld\t%ld\t\\N\t\\N\t\\N\t\\N\t"
					       "\\N\t\\N\t\\N\t\\N\t\\N\t\\N\thttp\n",
					       id * 100000 + (int)(k % 1000), tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
					       tm.tm_hour, tm.tm_min, tm.tm_sec, 35 + k % 50, 70 + k % 90);
		}
		PGresult *r = PQexec(c, "COPY readings_copy (station_id, observed_at, pm25, pm10, so2, no2, co, o3, "
					"temperature, humidity, pressure, wind_speed, wind_direction, flags, source) "
					"FROM STDIN");
		PQclear(r);
		if (PQputCopyData(c, buf, (int)len) != 1 || PQputCopyEnd(c, NULL) != 1) {
			fprintf(stderr, "copy: %s", PQerrorMessage(c));
			exit(1);
		}
		r = PQgetResult(c);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "copy: %s", PQresultErrorMessage(r));
			exit(1);
		}
		PQclear(r);
		while ((r = PQgetResult(c)))
			PQclear(r);
	}
	free(buf);
	PQfinish(c);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	url = argv[1];
	int clients = atoi(argv[2]);
	batches = atoi(argv[3]);
	batch = atoi(argv[4]);
	pthread_t t[64];
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < clients; i++)
		pthread_create(&t[i], NULL, client, (void *)(long)i);
	for (int i = 0; i < clients; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%.0f\n", (double)clients * batches * batch / s);
	return 0;
}
