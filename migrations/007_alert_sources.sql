-- 005_alert_sources.sql — what a national point's alert says about where its pollution comes
-- from (issue 17): the dominant wind sector and the top upwind contributors, as the JSON brief
-- the evaluator wrote when the alert opened or was last seen in a new hour (json_sources.c).
-- Plain text, kept verbatim: it is written and shown whole, never queried inside.

ALTER TABLE alerts ADD COLUMN sources text;
