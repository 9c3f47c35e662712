-- The 95th percentile of step attempt durations (linear interpolation between the two
-- nearest ranks), from the spans: exact, unlike an estimate from histogram buckets.
SELECT quantile_cont(duration_ms, 0.95) AS p95_ms, count(*)::INTEGER AS attempts
FROM spans
WHERE step_name IS NOT NULL;
