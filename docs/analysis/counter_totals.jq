# One total per counter series of tasker_json's metric lines (read with jq -s, the
# rotated files first: jq -s -f … out/json/metrics*.json). A cumulative series repeats its
# running total at every export: the last line counts. Delta lines add up.
def counter_totals:
  map(select(.type == "counter"))
  | reduce .[] as $p ({};
      ([$p.name, $p.attributes, $p.resource, $p.start_timestamp] | tojson) as $k
      | .[$k] = {point: $p,
                 total: (if $p.temporality == "delta" then (.[$k].total // 0) + $p.value else $p.value end)})
  | [.[]];
