-- Every metric row tasker_csv wrote: the current file and the rotated ones beside it
-- (metrics-<time>.csv), whose headers may differ (a new label key adds a column).
CREATE VIEW metric_rows AS
SELECT * FROM read_csv('out/csv/metrics*.csv', union_by_name = true,
                       types = {'timestamp': 'TIMESTAMPTZ', 'start_timestamp': 'TIMESTAMPTZ'});

-- One total per counter series: a cumulative series (tasker_cache's output) repeats its
-- running total at every export, so its total is its last value; delta rows add up.
-- A series is everything but the time and the value (name, labels, resource columns,
-- start_timestamp: a restarted series is a new one).
CREATE VIEW counter_totals AS
SELECT * EXCLUDE (timestamp, value),
       CASE WHEN any_value(temporality) = 'delta' THEN sum(value) ELSE arg_max(value, timestamp) END AS total
FROM metric_rows
WHERE type = 'counter'
GROUP BY ALL;

-- Every span tasker_csv wrote; step attempts carry tasker.step.name.
CREATE VIEW spans AS
SELECT *, json_extract_string(attributes, '$."tasker.step.name"') AS step_name
FROM read_csv('out/csv/traces*.csv', union_by_name = true);
