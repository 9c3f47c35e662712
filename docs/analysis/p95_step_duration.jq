# p95 of step attempt durations from the spans (linear interpolation between the nearest
# ranks, as DuckDB's quantile_cont): jq -s -f docs/analysis/p95_step_duration.jq out/json/traces*.json
map(select(.attributes["tasker.step.name"] != null) | .duration_ms)
| sort
| ((length - 1) * 0.95) as $pos
| ($pos | floor) as $i
| [{p95_ms: (if $i + 1 < length then .[$i] + (.[$i + 1] - .[$i]) * ($pos - $i) else .[$i] end),
    attempts: length}]
