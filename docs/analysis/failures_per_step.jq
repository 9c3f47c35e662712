# Failed step attempts per step: jq -s -L docs/analysis -f docs/analysis/failures_per_step.jq out/json/metrics*.json
include "counter_totals";
counter_totals
| map(select(.point.name == "tasker.step.outcomes" and .point.attributes["tasker.outcome"] == "failed"))
| group_by(.point.attributes["tasker.step.name"])
| map({step: .[0].point.attributes["tasker.step.name"], failures: (map(.total) | add)})
