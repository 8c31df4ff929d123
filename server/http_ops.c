/* http_ops.c — operations endpoints: /healthz (the process answers) and /readyz (the database
 * answers and is migrated). */
#include "http_internal.h"

enum MHD_Result aq_handle_healthz(struct aq_request *req)
{
	return aq_reply_json(req, MHD_HTTP_OK, json_pack("{s:s, s:s}", "status", "ok", "version", AQ_VERSION));
}

enum MHD_Result aq_handle_readyz(struct aq_request *req)
{
	enum MHD_Result result;
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_check_ready(db);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_error(req, AQ_ERR_DB_UNAVAILABLE, NULL, NULL);
	return aq_reply_json(req, MHD_HTTP_OK, json_pack("{s:s}", "status", "ready"));
}
