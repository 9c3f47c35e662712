-- Failed step attempts per step name.
SELECT tasker_step_name AS step, sum(total)::INTEGER AS failures
FROM counter_totals
WHERE name = 'tasker.step.outcomes' AND tasker_outcome = 'failed'
GROUP BY step
ORDER BY step;
