-- 005_quality.sql — fair inputs (issue 15): the hourly humidity that quality control and the
-- humidity form of calibration read, co-location calibrations with their fits, and what
-- quality control and calibration did to each station of a finalized day.

-- Relative humidity per station-hour, kept like the pollutants' sums (values flagged other
-- than N left out). Constant defaults: PostgreSQL 15 adds these without rewriting the table.
ALTER TABLE hourly ADD COLUMN rh_sum double precision NOT NULL DEFAULT 0,
                   ADD COLUMN rh_n integer NOT NULL DEFAULT 0;
ALTER TABLE pending_hourly ADD COLUMN humidity double precision;

-- The hours stored before this migration get their humidity from the raw readings once.
UPDATE hourly h SET rh_sum = r.s, rh_n = r.n
FROM (SELECT observed_at::date AS day, station_id, extract(hour FROM observed_at)::int2 AS hour,
             sum(humidity) AS s, count(humidity) AS n
      FROM readings
      WHERE humidity IS NOT NULL AND (flags IS NULL OR substr(flags, 8, 1) = 'N')
      GROUP BY 1, 2, 3) r
WHERE h.day = r.day AND h.station_id = r.station_id AND h.hour = r.hour;

-- A co-location fit: the station's raw hourly values against a reference's over a window.
-- Nothing is applied until an operator approves it; approval gives it the station's next
-- version number. Rows are never changed after approval and never deleted: a calibration is
-- in force for a pollutant from valid_from until the next approved one's valid_from.
CREATE TABLE calibrations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_id    integer NOT NULL,
    reference_id  integer NOT NULL,
    window_from   date NOT NULL,
    window_to     date NOT NULL,
    humidity      boolean NOT NULL,      -- the humidity form was fitted too
    valid_from    date NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved')),
    version       integer,               -- set at approval: 1, 2, … per station
    note          text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    approved_at   timestamptz,
    UNIQUE (station_id, version),
    CHECK ((status = 'approved') = (version IS NOT NULL))
);
CREATE INDEX calibrations_station ON calibrations (station_id, id);
CREATE INDEX calibrations_in_force ON calibrations (valid_from) WHERE status = 'approved';

-- One model per pollutant and form: ref = a + b·raw (+ c·RH).
CREATE TABLE calibration_fits (
    calibration_id bigint NOT NULL REFERENCES calibrations (id),
    pollutant      text NOT NULL CHECK (pollutant IN ('pm25', 'pm10', 'so2', 'no2', 'co', 'o3')),
    model          text NOT NULL CHECK (model IN ('linear', 'linear_rh')),
    pairs          integer NOT NULL,
    a              double precision NOT NULL,
    b              double precision NOT NULL,
    c              double precision NOT NULL DEFAULT 0,
    r2             double precision NOT NULL,
    rmse           double precision NOT NULL,
    PRIMARY KEY (calibration_id, pollutant, model)
);

-- What quality control and calibration did to a station's day when it was finalized: the
-- flags of every excluded pollutant-hour (24 × 6 bytes, hour-major, bits in the order of
-- docs/domain-rules.md) and the calibration applied per pollutant (0: none).
CREATE TABLE day_quality (
    day             date NOT NULL REFERENCES days (day),
    station_id      integer NOT NULL,
    flags           bytea NOT NULL,
    calib_ids       bigint[] NOT NULL,
    calib_versions  integer[] NOT NULL,
    PRIMARY KEY (day, station_id)
);

-- Interview entries say how many hours of the metric's pollutants quality control excluded
-- and why (hours per flag, in the flags' order), and which calibration (id and version per
-- pollutant, 0: none) their value was produced with.
ALTER TABLE interviews ADD COLUMN qc_excluded_hours integer NOT NULL DEFAULT 0,
                       ADD COLUMN qc_reason_hours integer[] NOT NULL DEFAULT '{0,0,0,0,0,0}',
                       ADD COLUMN calib_ids bigint[] NOT NULL DEFAULT '{0,0,0,0,0,0}',
                       ADD COLUMN calib_versions integer[] NOT NULL DEFAULT '{0,0,0,0,0,0}';
