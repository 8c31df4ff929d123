-- 002_alerts.sql — alerts (one active per station and type), the evaluation watermark per
-- station, the event log that every daemon streams from, and the durable webhook outbox.
-- hourly gains what the flatline rule needs without reading raw readings: the smallest and
-- largest counted value per pollutant and the first and last observation of the hour.

ALTER TABLE hourly
    ADD COLUMN pm25_min double precision, ADD COLUMN pm25_max double precision,
    ADD COLUMN pm10_min double precision, ADD COLUMN pm10_max double precision,
    ADD COLUMN so2_min  double precision, ADD COLUMN so2_max  double precision,
    ADD COLUMN no2_min  double precision, ADD COLUMN no2_max  double precision,
    ADD COLUMN co_min   double precision, ADD COLUMN co_max   double precision,
    ADD COLUMN o3_min   double precision, ADD COLUMN o3_max   double precision,
    ADD COLUMN first_obs timestamptz, ADD COLUMN last_obs timestamptz;

CREATE TABLE alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_id      integer NOT NULL,
    type            text NOT NULL,
    severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'acknowledged', 'resolved')),
    opened_at       timestamptz NOT NULL,   -- when the condition was first seen (data time)
    last_seen_at    timestamptz NOT NULL,
    resolved_at     timestamptz,
    count           integer NOT NULL DEFAULT 1,
    value           double precision,
    threshold       double precision,
    pollutant       text NOT NULL DEFAULT '',
    message         text NOT NULL,
    acknowledged_at timestamptz,
    ack_note        text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- One alert stays active per (station, type): several daemons can never raise it twice.
CREATE UNIQUE INDEX alerts_one_active ON alerts (station_id, type) WHERE status <> 'resolved';
CREATE INDEX alerts_recent ON alerts (last_seen_at DESC);

-- Hours of a station that start before evaluated_through have been judged.
CREATE TABLE alert_state (
    station_id          integer PRIMARY KEY,
    evaluated_through   timestamptz NOT NULL
);

-- Alert events in order; each daemon streams new rows to its SSE listeners.
CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Webhook notifications waiting for (or done with) delivery: written in the same transaction
-- as the alert, delivered by a background thread with retries, so nothing is lost to a
-- restart or an unreachable receiver.
CREATE TABLE webhook_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id        bigint NOT NULL REFERENCES alerts (id),
    event           text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL;

-- One row per stored batch that held readings of past days: finalization and the alert
-- evaluator wait until a backfill has paused (AQRANK_FINALIZE_QUIET), whichever daemon it
-- reached. Append-only, so parallel backfill clients never wait on each other; old rows are
-- pruned by the background job.
CREATE TABLE backfill_marks (at timestamptz NOT NULL DEFAULT now());
CREATE INDEX backfill_marks_at ON backfill_marks (at);
CREATE INDEX events_created ON events (created_at);
