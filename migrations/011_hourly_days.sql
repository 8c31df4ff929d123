-- 011_hourly_days.sql — one row per station and day holding that day's hourly rows packed, kept
-- by triggers on hourly inside the transaction that writes them (issue 18). The first read of a
-- day after a daemon starts fetches stations rows from here instead of stations × 24 from
-- hourly: PostgreSQL's per-field output and libpq's per-field work were its cost
-- (docs/PERFORMANCE.md, "One day's ranking"). Later reads still fetch only the hourly rows
-- written since (004_hourly_epoch.sql, aq_daycache.h).
--
-- hours: for each hourly row of the station-day, in hour order, 90 bytes in network order (the
-- *send functions, so the sums are the stored float8 bits): hour int2, readings int4, then
-- sum float8 and count int4 of pm25, pm10, so2, no2, co, o3 and the humidity. Decoded by
-- server/daycache.c aq_day_rows_unpack; what the hourly day query reads, nothing more.
--
-- Exactly consistent: every statement that inserts, updates or deletes hourly rows recomputes
-- the packed rows of the station-days it touched from hourly itself. It first locks those rows
-- (in key order, so concurrent writers do not deadlock on them), then recomputes in a new
-- statement, whose snapshot under READ COMMITTED sees every earlier writer of the same
-- station-day committed: the last writer to commit leaves the whole truth. Under REPEATABLE
-- READ the lock of a row changed meanwhile is a serialization failure, which db.c retries.

CREATE TABLE hourly_days (
    day         date NOT NULL,
    station_id  integer NOT NULL,
    hours       bytea NOT NULL,
    PRIMARY KEY (day, station_id)
) WITH (toast_tuple_target = 8160);  -- 24 × 90 bytes stay inline and uncompressed

CREATE FUNCTION hourly_days_pack(d date, sid integer) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT string_agg(int2send(hour) || int4send(readings)
                      || float8send(pm25_sum) || int4send(pm25_n) || float8send(pm10_sum) || int4send(pm10_n)
                      || float8send(so2_sum) || int4send(so2_n) || float8send(no2_sum) || int4send(no2_n)
                      || float8send(co_sum) || int4send(co_n) || float8send(o3_sum) || int4send(o3_n)
                      || float8send(rh_sum) || int4send(rh_n), ''::bytea ORDER BY hour)
      FROM hourly WHERE day = d AND station_id = sid
$$;

-- The transition table is named changed in all three triggers (OLD TABLE for DELETE).
CREATE FUNCTION hourly_days_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Missing rows are created (a concurrent creator is waited for), then all are locked
    -- without writing a new version of them.
    INSERT INTO hourly_days (day, station_id, hours)
    SELECT DISTINCT day, station_id, ''::bytea FROM changed ORDER BY 1, 2
    ON CONFLICT (day, station_id) DO NOTHING;
    PERFORM 1 FROM hourly_days k JOIN (SELECT DISTINCT day, station_id FROM changed) c
         ON k.day = c.day AND k.station_id = c.station_id
     ORDER BY k.day, k.station_id FOR UPDATE OF k;
    -- An upsert: a row a concurrent delete of the station-day's last hours removed between the
    -- two statements above is written again.
    INSERT INTO hourly_days AS k (day, station_id, hours)
    SELECT c.day, c.station_id, coalesce(hourly_days_pack(c.day, c.station_id), ''::bytea)
      FROM (SELECT DISTINCT day, station_id FROM changed) c ORDER BY 1, 2
    ON CONFLICT (day, station_id) DO UPDATE SET hours = EXCLUDED.hours;
    IF TG_OP = 'DELETE' THEN  -- only a delete can leave a station-day without rows
        DELETE FROM hourly_days k USING (SELECT DISTINCT day, station_id FROM changed) c
         WHERE k.day = c.day AND k.station_id = c.station_id AND k.hours = ''::bytea;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER hourly_days_insert AFTER INSERT ON hourly
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION hourly_days_refresh();
CREATE TRIGGER hourly_days_update AFTER UPDATE ON hourly
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION hourly_days_refresh();
CREATE TRIGGER hourly_days_delete AFTER DELETE ON hourly
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION hourly_days_refresh();

CREATE FUNCTION hourly_days_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE hourly_days;
    RETURN NULL;
END $$;

CREATE TRIGGER hourly_days_truncate AFTER TRUNCATE ON hourly
    FOR EACH STATEMENT EXECUTE FUNCTION hourly_days_truncate();

INSERT INTO hourly_days (day, station_id, hours)
SELECT day, station_id, string_agg(int2send(hour) || int4send(readings)
                      || float8send(pm25_sum) || int4send(pm25_n) || float8send(pm10_sum) || int4send(pm10_n)
                      || float8send(so2_sum) || int4send(so2_n) || float8send(no2_sum) || int4send(no2_n)
                      || float8send(co_sum) || int4send(co_n) || float8send(o3_sum) || int4send(o3_n)
                      || float8send(rh_sum) || int4send(rh_n), ''::bytea ORDER BY hour)
  FROM hourly GROUP BY day, station_id;
