-- 004_hourly_epoch.sql — a counter bumped whenever hourly rows are removed. Daemons keep the
-- hourly rows of recently read days and fetch only the rows written since (every write gives a
-- row a new xmin); a removal leaves no row to fetch, so it bumps this instead and readers
-- start over. aqrankd never removes hourly rows: this is for an operator's DELETE or TRUNCATE.

CREATE TABLE hourly_epoch (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    epoch    bigint NOT NULL
);
INSERT INTO hourly_epoch (epoch) VALUES (1);

CREATE FUNCTION hourly_rows_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hourly_epoch SET epoch = epoch + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER hourly_delete AFTER DELETE ON hourly
    FOR EACH STATEMENT EXECUTE FUNCTION hourly_rows_removed();
CREATE TRIGGER hourly_truncate AFTER TRUNCATE ON hourly
    FOR EACH STATEMENT EXECUTE FUNCTION hourly_rows_removed();
