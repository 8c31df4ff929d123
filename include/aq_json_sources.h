/* aq_json_sources.h — a national point's source analysis as the API reply
 * (GET /api/v1/national/{code}/sources), as the brief an alert carries, and that brief as the one
 * Chinese sentence of a DingTalk/WeCom message. No I/O: structs in, JSON or text out. */
#ifndef AQ_JSON_SOURCES_H
#define AQ_JSON_SOURCES_H

#include <jansson.h>
#include <stddef.h>

#include "aq_sources_service.h"

/* New JSON of the whole analysis: window, method, wind, the rose of PM2.5 and PM10, the
 * sectors, every ring station's evidence and the ranked likely contributors. timezone is the
 * daemon's (for the reply). */
json_t *aq_json_sources(const struct aq_sources_report *r, const char *timezone);

/* New JSON of what an alert carries: the dominant sector of the pollutant's rose and the top
 * `top` contributors with the numbers behind them. */
json_t *aq_json_sources_brief(const struct aq_sources_report *r, int top);

/* The Chinese sentence of a brief, e.g. "来源研判：东北方向 DC-004 交道口街道微站 上风向高出环内
 * 中位数 86%（滞后 2 小时，r=0.91）…". "" when brief is not one. */
void aq_sources_sentence_zh(const json_t *brief, char *buf, size_t size);

#endif
