-- 010_partitioned_readings.sql — readings partitioned by month of observed_at (issue 18).
--
-- Nothing is copied: the table as it stands becomes the partition readings_history, for every
-- instant before the start of next month (or of the month after the newest stored reading,
-- when a clock ran ahead), under a new partitioned table readings with the same columns,
-- defaults, CHECK and primary key (station_id, observed_at) — the partition key observed_at
-- is in it, so ingest's ON CONFLICT (station_id, observed_at) and every lookup by station
-- and time keep their index. ATTACH checks the rows against the bound in one scan (no
-- rewrite); the old primary key index becomes the partition's part of the new one.
--
-- Months are local months: the migration runs in the daemon's session, whose TimeZone is
-- AQRANK_TIMEZONE, so a partition holds whole local days. The daemon creates the months ahead
-- (aqrank_readings_partition_create, called by server/partitions.c) and, with
-- AQRANK_RETENTION_MONTHS, moves old partitions to readings_archive
-- (aqrank_readings_partition_archive). readings_default catches a reading that falls in no
-- partition (a month not created yet); the daemon moves such rows to their month's partition
-- when it creates it. Nothing reads readings_archive: it is there to be dumped and dropped
-- (docs/OPERATIONS.md).

DO $$
DECLARE
    newest timestamptz;
    bound  timestamptz;
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'readings'::regclass) = 'p' THEN
        RETURN;  -- partitioned by hand already (docs/SCALING.md, before this migration)
    END IF;
    -- The newest reading, one backward index probe per station (no scan of the table).
    SELECT max(x.m) INTO newest
      FROM stations s, LATERAL (SELECT max(r.observed_at) AS m FROM readings r WHERE r.station_id = s.id) x;
    bound := date_trunc('month', greatest(now(), coalesce(newest, now()))) + interval '1 month';

    ALTER TABLE readings RENAME TO readings_history;
    ALTER INDEX readings_pkey RENAME TO readings_history_pkey;
    CREATE TABLE readings (LIKE readings_history INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
        PARTITION BY RANGE (observed_at);
    ALTER TABLE readings ADD PRIMARY KEY (station_id, observed_at);
    EXECUTE format('ALTER TABLE readings ATTACH PARTITION readings_history FOR VALUES FROM (MINVALUE) TO (%L)',
                   bound);
    CREATE TABLE readings_default PARTITION OF readings DEFAULT;
    -- Old partitions, detached from readings by the retention, keep their rows here.
    CREATE TABLE readings_archive (LIKE readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
        PARTITION BY RANGE (observed_at);
END $$;

-- The partitions of readings or readings_archive: name, bounds (NULL: open) and, for the
-- daemon's planner (server/partplan.c), the bounds as local month numbers (year × 12 +
-- month − 1): the lower one rounded down, the upper one up, so a bound that is not a month's
-- start never lets a month be created over it.
CREATE FUNCTION aqrank_readings_partitions(parent regclass)
RETURNS TABLE (name text, lower_bound timestamptz, upper_bound timestamptz, is_default boolean,
               lower_month integer, upper_month integer)
LANGUAGE sql STABLE AS $$
    WITH p AS (
        SELECT c.relname::text AS name,
               (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']*)''\)'))[1]::timestamptz AS lo,
               (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']*)''\)'))[1]::timestamptz AS hi,
               pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' AS dflt
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = parent)
    SELECT name, lo, hi, dflt,
           (extract(year FROM lo) * 12 + extract(month FROM lo) - 1)::int,
           (extract(year FROM hi) * 12 + extract(month FROM hi) - 1
             + CASE WHEN hi = date_trunc('month', hi) THEN 0 ELSE 1 END)::int
      FROM p ORDER BY lo NULLS FIRST, name
$$;

-- Creates the partition of the local month that begins on `month` (a first day), moving the
-- rows of that month out of readings_default first (ATTACH would refuse them there). False
-- when a partition covers part of the month already (made by another daemon, or the history).
-- One caller at a time (advisory lock 7305004); lock waits are cut short so that ingest never
-- queues behind this for long — the daemon tries again on its next pass.
CREATE FUNCTION aqrank_readings_partition_create(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    lo   timestamptz := date_trunc('month', month)::date;
    hi   timestamptz := (date_trunc('month', month) + interval '1 month')::date;
    part text := 'readings_' || to_char(month, 'YYYY_MM');
BEGIN
    PERFORM set_config('lock_timeout', '2s', true);
    PERFORM pg_advisory_xact_lock(7305004);
    IF to_regclass(part) IS NOT NULL OR EXISTS (
           SELECT 1 FROM aqrank_readings_partitions('readings') p
            WHERE NOT p.is_default AND coalesce(p.lower_bound < hi, true) AND coalesce(p.upper_bound > lo, true)) THEN
        RETURN false;
    END IF;
    LOCK TABLE readings_default IN ACCESS EXCLUSIVE MODE;
    EXECUTE format('CREATE TABLE %I (LIKE readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    EXECUTE format('WITH moved AS (DELETE FROM readings_default WHERE observed_at >= $1 AND observed_at < $2 '
                   'RETURNING *) INSERT INTO %I SELECT * FROM moved', part) USING lo, hi;
    EXECUTE format('ALTER TABLE readings ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    RETURN true;
END $$;

-- Moves a partition of readings to readings_archive: a CHECK of its bounds is validated first
-- (a scan that lets ingest go on), so that the DETACH and ATTACH after it — under a brief
-- exclusive lock of readings — need no scan. False when `part` is no partition of readings.
CREATE FUNCTION aqrank_readings_partition_archive(part text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz;
    hi timestamptz;
BEGIN
    PERFORM set_config('lock_timeout', '2s', true);
    PERFORM pg_advisory_xact_lock(7305004);
    SELECT p.lower_bound, p.upper_bound INTO lo, hi
      FROM aqrank_readings_partitions('readings') p WHERE p.name = part AND NOT p.is_default;
    IF NOT FOUND OR hi IS NULL THEN
        RETURN false;
    END IF;
    IF lo IS NULL THEN
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (observed_at < %L) NOT VALID',
                       part, part || '_bound', hi);
    ELSE
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (observed_at >= %L AND observed_at < %L) NOT VALID',
                       part, part || '_bound', lo, hi);
    END IF;
    EXECUTE format('ALTER TABLE %I VALIDATE CONSTRAINT %I', part, part || '_bound');
    EXECUTE format('ALTER TABLE readings DETACH PARTITION %I', part);
    IF lo IS NULL THEN
        EXECUTE format('ALTER TABLE readings_archive ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', part, hi);
    ELSE
        EXECUTE format('ALTER TABLE readings_archive ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    END IF;
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_bound');
    RETURN true;
END $$;
