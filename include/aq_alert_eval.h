/* aq_alert_eval.h — one pass of alert evaluation (server/alert_eval.c): offline on the tick,
 * the hour rules on every hour closed since the last pass. */
#ifndef AQ_ALERT_EVAL_H
#define AQ_ALERT_EVAL_H

struct aq_app;

/* Judges what is due; returns how many alerts opened or resolved. Skips the pass when another
 * daemon holds the evaluator's lock. */
int aq_alerts_run(struct aq_app *app);

/* Judges calibration_drift of every station with a calibration in force (aq_quality_drift):
 * opens, updates or resolves its alert. Returns how many alerts opened or resolved; skips
 * when the rule is off or another daemon holds the evaluator's lock. */
int aq_alerts_drift(struct aq_app *app);

#endif
