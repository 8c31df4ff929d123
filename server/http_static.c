/* http_static.c — the dashboard: GET / and GET /static/{file}, served from the files embedded
 * in the binary (web/), with ETags so browsers revalidate instead of downloading again. */
#include "http_internal.h"
#include "aq_assets.h"

#include <string.h>

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".json", "application/json; charset=utf-8"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static enum MHD_Result serve(struct aq_request *req, const char *name)
{
	const struct aq_asset *a = aq_asset_find(aq_web_assets, name);
	if (!a)
		return aq_reply_errorf(req, AQ_ERR_NOT_FOUND, "No file %s.", name);
	char etag[24];
	aq_etag_of((const char *)a->data, a->size, etag);
	struct MHD_Response *resp = MHD_create_response_from_buffer(a->size, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", content_type(name));
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = aq_reply_shared(req, resp, MHD_HTTP_OK, a->size, etag);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result aq_handle_dashboard(struct aq_request *req)
{
	return serve(req, "index.html");
}

/* Browsers ask for /favicon.ico whatever the page says: the page's own icon, not a 404 in
 * every console. */
enum MHD_Result aq_handle_favicon(struct aq_request *req)
{
	return serve(req, "favicon.svg");
}

enum MHD_Result aq_handle_static(struct aq_request *req)
{
	return serve(req, req->params[0]);
}
