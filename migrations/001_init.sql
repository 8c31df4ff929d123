-- 001_init.sql — stations, raw readings, incremental hourly aggregates, days and their
-- finalized snapshots, the interview list.

CREATE TABLE stations (
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                text NOT NULL UNIQUE,
    name                text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('micro', 'national')),
    lat                 double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon                 double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    unit                text NOT NULL DEFAULT '',
    contact_person      text NOT NULL DEFAULT '',
    contact_phone       text NOT NULL DEFAULT '',
    interval_s          integer NOT NULL DEFAULT 3600 CHECK (interval_s BETWEEN 10 AND 3600),
    active              boolean NOT NULL DEFAULT true,
    mn                  text UNIQUE,          -- HJ 212 device number; NULL when none
    hj212_password_hash text,                 -- salted SHA-256, never the password
    token_hash          bytea UNIQUE,         -- SHA-256 of the bearer token, never the token
    first_day           date,                 -- earliest local day with a reading (kept by ingest)
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Raw readings, append-only. Keyed (station, observed_at): a resend is a duplicate or a
-- conflict, never a second row. No foreign key: stations are never deleted (only
-- deactivated), and the key check would cost every insert of a 5000-reading batch.
CREATE TABLE readings (
    station_id      integer NOT NULL,
    observed_at     timestamptz NOT NULL,
    pm25            double precision,
    pm10            double precision,
    so2             double precision,
    no2             double precision,
    co              double precision,
    o3              double precision,
    temperature     double precision,
    humidity        double precision,
    pressure        double precision,
    wind_speed      double precision,
    wind_direction  double precision,
    -- HJ 212 data flag per field, one letter each in the order pm25 pm10 so2 no2 co o3
    -- temperature humidity pressure wind_speed wind_direction; NULL when all are N (normal).
    flags           text CHECK (flags IS NULL OR length(flags) = 11),
    source          text NOT NULL DEFAULT 'http',
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_id, observed_at)
);

-- Resends with different values: not applied (history is append-only), kept for audit.
CREATE TABLE reading_conflicts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_id      integer NOT NULL,
    observed_at     timestamptz NOT NULL,
    pm25 double precision, pm10 double precision, so2 double precision,
    no2 double precision, co double precision, o3 double precision,
    temperature double precision, humidity double precision, pressure double precision,
    wind_speed double precision, wind_direction double precision,
    flags           text,
    source          text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reading_conflicts_station ON reading_conflicts (station_id, observed_at);

-- Hourly sums and counts per station and local hour, kept up to date inside the ingest
-- transaction, so a day's ranking reads stations × 24 rows, never the raw readings.
-- Values flagged other than N are not counted (SPEC §1).
CREATE TABLE hourly (
    day         date NOT NULL,
    station_id  integer NOT NULL,
    hour        smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    readings    integer NOT NULL,
    pm25_sum double precision NOT NULL, pm25_n integer NOT NULL,
    pm10_sum double precision NOT NULL, pm10_n integer NOT NULL,
    so2_sum  double precision NOT NULL, so2_n  integer NOT NULL,
    no2_sum  double precision NOT NULL, no2_n  integer NOT NULL,
    co_sum   double precision NOT NULL, co_n   integer NOT NULL,
    o3_sum   double precision NOT NULL, o3_n   integer NOT NULL,
    PRIMARY KEY (day, station_id, hour)
);

-- Local days that have readings; finalized_at is set once the day's snapshot exists.
CREATE TABLE days (
    day             date PRIMARY KEY,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    finalized_at    timestamptz,
    late_readings   integer NOT NULL DEFAULT 0,
    rule_version    text,
    metric          text,
    min_hours       integer,
    insufficient    text,
    interview_count integer,
    composite_mask  integer
);

-- The finalized snapshot: every station's daily values as they stood at finalization,
-- so any metric can be served later without the hourly data.
CREATE TABLE day_values (
    day             date NOT NULL REFERENCES days (day),
    station_id      integer NOT NULL,
    kind            text NOT NULL,
    active          boolean NOT NULL,
    eligible        boolean NOT NULL,         -- an active micro station that existed that day
    code            text NOT NULL,
    name            text NOT NULL,
    unit            text NOT NULL,
    contact_person  text NOT NULL,
    lat             double precision NOT NULL,
    lon             double precision NOT NULL,
    -- per pollutant: unrounded daily mean (O3: daily max 8-hour mean), valid hours, validity
    pm25 double precision, pm25_hours integer NOT NULL, pm25_valid boolean NOT NULL,
    pm10 double precision, pm10_hours integer NOT NULL, pm10_valid boolean NOT NULL,
    so2  double precision, so2_hours  integer NOT NULL, so2_valid  boolean NOT NULL,
    no2  double precision, no2_hours  integer NOT NULL, no2_valid  boolean NOT NULL,
    co   double precision, co_hours   integer NOT NULL, co_valid   boolean NOT NULL,
    o3   double precision, o3_hours   integer NOT NULL, o3_valid   boolean NOT NULL,
    o3_windows      integer NOT NULL,
    o3_1h_valid     boolean NOT NULL,
    o3_1h_max       double precision,         -- published maximum valid hourly O3
    reported_mask   integer NOT NULL,         -- pollutants with any counted reading (bit per pollutant)
    readings        integer NOT NULL,
    PRIMARY KEY (day, station_id)
);

-- The interview list (约谈名单), written at finalization.
CREATE TABLE interviews (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day               date NOT NULL REFERENCES days (day),
    station_id        integer NOT NULL,
    rank              integer NOT NULL,
    of_stations       integer NOT NULL,
    metric            text NOT NULL,
    value             double precision,
    district_mean     double precision,
    pct_above_mean    double precision,
    valid_hours       integer NOT NULL,
    reason            text NOT NULL CHECK (reason IN ('ranking', 'insufficient_data')),
    consecutive_days  integer NOT NULL,
    position          integer NOT NULL,   -- order on the day's list, worst first
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'interviewed', 'rectified')),
    note              text NOT NULL DEFAULT '',
    rule_version      text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (day, station_id)
);
CREATE INDEX interviews_station ON interviews (station_id, day);

-- Bumped by every write that changes what the API shows (readings, stations, finalization,
-- interview status), so each daemon can tell cheaply whether its cached "today" is stale.
CREATE SEQUENCE data_version;
