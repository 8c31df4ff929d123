-- 003_pending_hourly.sql — live readings' contribution to the hourly aggregates, waiting to be
-- folded in. A single-reading POST of the current hour stores its reading and one row here in
-- one statement (no aggregate row to lock and update); readers of the aggregates fold what
-- waits before they read (DELETE … RETURNING: each row is folded exactly once, and a reader
-- waits for a concurrent fold to commit), and the background thread folds every pass.
-- No index: a fold takes the whole table.

CREATE TABLE pending_hourly (
    station_id  integer NOT NULL,
    observed_at timestamptz NOT NULL,
    pm25 double precision, pm10 double precision, so2 double precision,
    no2  double precision, co   double precision, o3  double precision,
    flags text
);
