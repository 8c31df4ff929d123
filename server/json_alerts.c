/* json_alerts.c — alerts as API/event JSON and as webhook messages. The robot formats carry
 * one Chinese text: who (station, unit), what (type, value, threshold) and when, so that the
 * duty officer on the group chat knows at once where to go. */
#include "aq_json_alerts.h"
#include "aq_clock.h"
#include "aq_json.h"
#include "aq_json_sources.h"

#include <stdio.h>
#include <string.h>

static json_t *time_or_null(int64_t us)
{
	char buf[40];
	if (!us)
		return json_null();
	aq_local_format(us, buf, sizeof buf);
	return json_string(buf);
}

json_t *aq_json_alert(const struct aq_alert *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer((json_int_t)a->id));
	json_object_set_new(o, "type", json_string(aq_alert_type_name((enum aq_alert_type)a->type)));
	json_object_set_new(o, "severity", json_string(aq_severity_name((enum aq_severity)a->severity)));
	json_object_set_new(o, "station", json_string(a->station));
	json_object_set_new(o, "station_name", json_string(a->station_name));
	json_object_set_new(o, "unit", json_string(a->unit));
	json_object_set_new(o, "national", json_boolean(a->national));
	json_object_set_new(o, "opened_at", time_or_null(a->opened_us));
	json_object_set_new(o, "last_seen_at", time_or_null(a->last_seen_us));
	json_object_set_new(o, "resolved_at", time_or_null(a->resolved_us));
	json_object_set_new(o, "status", json_string(aq_alert_status_name(a->status)));
	json_object_set_new(o, "count", json_integer(a->count));
	json_object_set_new(o, "value", a->has_value ? aq_json_number(a->value, 1) : json_null());
	json_object_set_new(o, "threshold", a->has_threshold ? aq_json_number(a->threshold, 1) : json_null());
	json_object_set_new(o, "pollutant", a->pollutant[0] ? json_string(a->pollutant) : json_null());
	json_object_set_new(o, "message", json_string(a->message));
	json_object_set_new(o, "acknowledged_at", time_or_null(a->acknowledged_us));
	json_object_set_new(o, "note", json_string(a->ack_note));
	/* Where a national point's pollution comes from (divergence, exceedance), else null. */
	json_t *sources = a->sources[0] ? json_loads(a->sources, 0, NULL) : NULL;
	json_object_set_new(o, "sources", sources ? sources : json_null());
	return o;
}

static const char *type_zh(int type)
{
	static const char *const names[AQ_ALERT_TYPES] = {
		[AQ_ALERT_OFFLINE] = "站点离线",
		[AQ_ALERT_EXCEEDANCE] = "颗粒物超标",
		[AQ_ALERT_SPIKE] = "浓度突升",
		[AQ_ALERT_FLATLINE] = "数据恒值（疑似故障）",
		[AQ_ALERT_INVERSION] = "PM2.5/PM10倒挂",
		[AQ_ALERT_HOTSPOT] = "国控点周边高值",
		[AQ_ALERT_INTERFERENCE] = "国控点疑似人为干扰（喷淋/雾炮）",
		[AQ_ALERT_NATIONAL_DIVERGENCE] = "国控点数据异常",
		[AQ_ALERT_AUTH_FAILURES] = "设备密码疑遭猜测（HJ 212）",
		[AQ_ALERT_CALIBRATION_DRIFT] = "校准漂移（需重新比对）",
	};
	return type >= 0 && type < AQ_ALERT_TYPES ? names[type] : "告警";
}

static const char *severity_zh(int severity)
{
	return severity == AQ_SEV_CRITICAL ? "严重" : severity == AQ_SEV_INFO ? "提示" : "警告";
}

void aq_alert_text_zh(const struct aq_alert *a, char *buf, size_t size)
{
	char when[40], value[96] = "";
	aq_local_format(a->opened_us, when, sizeof when);
	if (a->type == AQ_ALERT_OFFLINE)
		snprintf(value, sizeof value, "已 %.0f 分钟无数据，阈值 %.0f 分钟", a->value / 60, a->threshold / 60);
	else if (a->type == AQ_ALERT_EXCEEDANCE)
		snprintf(value, sizeof value, "%s 小时IAQI %.0f，阈值 %.0f", a->pollutant, a->value, a->threshold);
	else if (a->type == AQ_ALERT_AUTH_FAILURES)
		snprintf(value, sizeof value, "HJ 212 密码错误 %.0f 次，阈值 %.0f 次，已锁定新连接", a->value,
			 a->threshold);
	else if (a->type == AQ_ALERT_CALIBRATION_DRIFT)
		snprintf(value, sizeof value, "%s 与参比站残差一周内变化 %+.1f µg/m³，阈值 %g", a->pollutant, a->value,
			 a->threshold);
	else if (a->type == AQ_ALERT_FLATLINE)
		snprintf(value, sizeof value, "%s 连续恒为 %g，持续 ≥ %.0f 小时", a->pollutant, a->value, a->threshold);
	else
		snprintf(value, sizeof value, "%s %g %s，阈值 %g", a->pollutant, a->value,
			 strcmp(a->pollutant, "CO") == 0 ? "mg/m³" : "µg/m³", a->threshold);
	/* One sentence on where the pollution comes from, when the alert carries it. */
	char sources[768] = "";
	json_t *brief = a->sources[0] ? json_loads(a->sources, 0, NULL) : NULL;
	if (brief) {
		char sentence[700];
		aq_sources_sentence_zh(brief, sentence, sizeof sentence);
		if (sentence[0])
			snprintf(sources, sizeof sources, "\n%s", sentence);
		json_decref(brief);
	}
	snprintf(buf, size, "【空气质量告警·%s】%s\n站点：%s（%s）%s\n责任单位：%s\n数值：%s\n时间：%s\n说明：%s%s",
		 severity_zh(a->severity), type_zh(a->type), a->station_name, a->station,
		 a->national ? "［国控点］" : "", a->unit[0] ? a->unit : "—", value, when, a->message, sources);
}

json_t *aq_webhook_body(const struct aq_alert *a, const char *event, int format)
{
	if (format == AQ_WEBHOOK_DINGTALK || format == AQ_WEBHOOK_WECOM) {
		char text[2048];
		aq_alert_text_zh(a, text, sizeof text);
		/* Both robots take {"msgtype": "text", "text": {"content": …}}. */
		return json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", text);
	}
	char name[32];
	snprintf(name, sizeof name, "alert.%s", event);
	return json_pack("{s:s, s:o}", "event", name, "alert", aq_json_alert(a));
}
