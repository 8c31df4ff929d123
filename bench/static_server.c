/* static_server.c — the HTTP ceiling for the benchmarks: libmicrohttpd with the same thread
 * pool and flags as aqrankd, answering every GET with a fixed JSON body, 2 KB unless BYTES
 * says otherwise (and 304 to a matching If-None-Match), queued on the second call like
 * aqrankd does. Nothing else. Usage: static_server PORT THREADS [BYTES] */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct MHD_Response *full, *not_modified;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	static int first;
	(void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
	if (*con_cls == NULL) {
		*con_cls = &first;
		return MHD_YES;
	}
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
	if (inm && strcmp(inm, "\"bench\"") == 0)
		return MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, not_modified);
	return MHD_queue_response(conn, MHD_HTTP_OK, full);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	size_t size = argc > 3 ? (size_t)atol(argv[3]) : 2048;
	if (size < 128)
		size = 128;
	char *body = malloc(size);
	if (!body)
		return 1;
	/* A JSON array padded to exactly size bytes. */
	int n = snprintf(body, size, "{\"date\":\"2026-06-15\",\"ranking\":[");
	while (n < (int)size - 40)
		n += snprintf(body + n, size - (size_t)n, "{\"rank\":1,\"station\":\"HX-001\"},");
	body[n - 1] = ']';
	memset(body + n, ' ', size - 1 - (size_t)n);
	body[size - 2] = '}';
	body[size - 1] = '\n';
	full = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(full, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(full, "ETag", "\"bench\"");
	not_modified = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(not_modified, "ETag", "\"bench\"");
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, (uint16_t)atoi(argv[1]),
		NULL, NULL, on_request, NULL, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]),
		MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!d)
		return 1;
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(full);
	MHD_destroy_response(not_modified);
	free(body);
	return 0;
}
