-- 005_periods.sql — finalized months and years. When every day of a calendar month (or year)
-- is finalized the period is assessed once and its subjects' period values kept, so that what
-- a provincial notice printed stays what it was until an operator re-finalizes the period, as
-- with days. The values are the inputs of every metric (concentrations, valid days, the AQI
-- figures); the composite is recomputed from them by the rules recorded in rule_version.

-- Each finalization of a day counts, so a kept period can tell how many times its days were
-- finalized again since (the one clock can stand still under AQRANK_NOW: times alone cannot).
ALTER TABLE days ADD COLUMN finalizations integer NOT NULL DEFAULT 0;
UPDATE days SET finalizations = 1 WHERE finalized_at IS NOT NULL;

CREATE TABLE periods (
    kind          text NOT NULL CHECK (kind IN ('month', 'year')),
    key           text NOT NULL,              -- '2026-11', '2026'
    first_day     date NOT NULL,
    last_day      date NOT NULL,
    finalized_at  timestamptz NOT NULL DEFAULT now(),
    rule_version  text NOT NULL,
    min_days      integer NOT NULL,
    days_with_data integer NOT NULL,
    days_finalizations bigint NOT NULL,       -- Σ days.finalizations when it was kept
    PRIMARY KEY (kind, key)
);

CREATE TABLE period_values (
    kind        text NOT NULL,
    key         text NOT NULL,
    by_unit     boolean NOT NULL,
    subject     text NOT NULL,                -- station code, or the unit's name
    name        text NOT NULL DEFAULT '',
    unit        text NOT NULL DEFAULT '',
    members     text NOT NULL,                 -- its stations' codes, comma separated (a station: itself)
    valid_days  integer[] NOT NULL,           -- per pollutant: pm25 pm10 so2 no2 co o3
    conc        double precision[] NOT NULL,  -- period concentrations, published
    aqi_days    integer NOT NULL,
    aqi_mean    double precision NOT NULL,
    good_days   integer NOT NULL,
    PRIMARY KEY (kind, key, by_unit, subject),
    FOREIGN KEY (kind, key) REFERENCES periods ON DELETE CASCADE
);
