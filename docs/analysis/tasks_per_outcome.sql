-- Tasks per outcome (completed, failed, …).
SELECT tasker_outcome AS outcome, sum(total)::INTEGER AS tasks
FROM counter_totals
WHERE name = 'tasker.task.outcomes'
GROUP BY outcome
ORDER BY outcome;
