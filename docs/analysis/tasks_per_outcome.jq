# Tasks per outcome: jq -s -L docs/analysis -f docs/analysis/tasks_per_outcome.jq out/json/metrics*.json
include "counter_totals";
counter_totals
| map(select(.point.name == "tasker.task.outcomes"))
| group_by(.point.attributes["tasker.outcome"])
| map({outcome: .[0].point.attributes["tasker.outcome"], tasks: (map(.total) | add)})
