-- 006_hj212_guard.sql — HJ 212 devices as the operator sees them and as an attacker meets
-- them: a station's own factor codes, the password failure budget per MN and per sender
-- address (lockouts), and what the listener last saw of each device.

-- Vendor code → reading field ("ignore" sets a code aside); looked up before the built-in table.
ALTER TABLE stations ADD COLUMN hj212_codes jsonb NOT NULL DEFAULT '{}';

-- One row per key that gave a wrong password: 'mn:<MN>' or 'addr:<address>' (IPv6 by /64).
-- Times are wall-clock (never AQRANK_NOW). Rows are removed when an operator lifts the
-- lockout and pruned a day after their last failure unless locked.
CREATE TABLE hj212_guard (
    key             text PRIMARY KEY,
    failures        integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz,
    locked_until    timestamptz,            -- NULL: not locked; 'infinity': until lifted
    last_mn         text NOT NULL DEFAULT '', -- addr rows: the MN it tried last
    last_address    text NOT NULL DEFAULT ''  -- mn rows: the address that failed last
);
CREATE INDEX hj212_guard_by_mn ON hj212_guard (last_mn) WHERE key LIKE 'addr:%';

-- What the listener saw of a station's device (wall-clock times), for the admin's station view.
CREATE TABLE hj212_status (
    station_id          integer PRIMARY KEY,
    last_frame_at       timestamptz,          -- any frame naming the station's MN
    last_stored_at      timestamptz,          -- the last one stored
    last_refusal_at     timestamptz,
    last_refusal_reason text NOT NULL DEFAULT '',
    last_refusal_detail text NOT NULL DEFAULT '',
    refusals            jsonb NOT NULL DEFAULT '{}',  -- reason → count
    unknown_codes       jsonb NOT NULL DEFAULT '{}',  -- code → {"value", "at"}
    last_ok_address     text NOT NULL DEFAULT ''      -- sender of the last good password
);
