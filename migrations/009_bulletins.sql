-- 007_bulletins.sql — the bulletin (通报) pushed at finalization travels through the webhook
-- outbox like an alert: a row written in the same transaction as the day's snapshot, delivered
-- with retries. Its body is rendered when the day is finalized (the link and the bottom three
-- of that snapshot) and kept in the row, so a delivery after a restart or a re-finalization
-- sends what was true at finalization. One bulletin push per day, ever: the unique index makes
-- a second finalization (or a second daemon) add nothing.
ALTER TABLE webhook_outbox ALTER COLUMN alert_id DROP NOT NULL;
ALTER TABLE webhook_outbox ADD COLUMN payload text, ADD COLUMN bulletin_day date;
ALTER TABLE webhook_outbox ADD CONSTRAINT webhook_outbox_subject CHECK (alert_id IS NOT NULL OR payload IS NOT NULL);
CREATE UNIQUE INDEX webhook_outbox_bulletin_once ON webhook_outbox (bulletin_day) WHERE bulletin_day IS NOT NULL;
