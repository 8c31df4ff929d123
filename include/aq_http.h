/* aq_http.h — the HTTP server: libmicrohttpd with a pool of worker threads, the route
 * table and the request lifecycle (server/http.c). */
#ifndef AQ_HTTP_H
#define AQ_HTTP_H

#include <stdio.h>

#include "aq_status.h"

struct aq_app;
struct aq_http;

/* Starts listening on app->cfg's address. NULL on failure (logged). */
struct aq_http *aq_http_start(struct aq_app *app);
/* Prints the route table, one "METHOD PATTERN AUTH" line per route ({} = a path parameter):
 * the test that keeps docs/openapi.yaml honest reads it. */
void aq_http_print_routes(FILE *out);
/* Port actually bound (useful with port 0). */
int aq_http_port(const struct aq_http *http);
/* Stops accepting, lets in-flight requests finish (up to grace_s seconds), then stops. */
void aq_http_stop(struct aq_http *http, int grace_s);

#endif
