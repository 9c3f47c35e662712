#!/usr/bin/env bash
# End-to-end throughput of the built binary: taskergen POSTs Tasker events to the tasker
# receiver of otelcol-config.yaml, the shipped config (HTTP → logs/traces/metrics →
# tasker_cache → tasker_json + tasker_csv, debug on metrics only) as fast as it can;
# prints events/s (wall), events per CPU-second of the collector, and its peak RSS. Usage: bench/e2e.sh [tasks] [extra --set ...]
# The one change to the shipped config: internal telemetry off (its fixed port 8888 would clash
# between runs); with it on (level normal) the figure was the same within the spread
# (87.9k and 92.2k vs 92.0k events per CPU-second, 2026-12-04).
# Run from the repository root after `make build taskergen`. Loopback only.
set -euo pipefail
tasks=${1:-20000}; shift || true
root=$(pwd); dir=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
events=$(port); health=$(port)
cd "$dir"
"$root/_build/otelcol-tasker" --config "$root/otelcol-config.yaml" \
  --set "receivers::tasker::http::endpoint=127.0.0.1:$events" \
  --set "receivers::otlp::protocols::grpc::endpoint=127.0.0.1:$(port)" \
  --set "receivers::otlp::protocols::http::endpoint=127.0.0.1:$(port)" \
  --set "extensions::health_check::endpoint=127.0.0.1:$health" \
  --set "extensions::tasker_registry::endpoint=127.0.0.1:$(port)" \
  --set "service::telemetry::metrics::level=none" "$@" > collector.log 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$health/" >/dev/null && break; sleep 0.1; done
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$pid/stat"; }
c0=$(cpu); t0=$(date +%s.%N)
"$root/bin/taskergen" --tasks "$tasks" --http "http://127.0.0.1:$events/v1/events" --batch 500 \
  --summary summary.json --stdout none --quiet
t1=$(date +%s.%N); sleep 2; c1=$(cpu)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
python3 - "$t0" "$t1" "$c0" "$c1" "$tck" "$rss" <<'PY'
import json, sys
t0, t1, c0, c1, tck, rss = map(float, sys.argv[1:])
ev = json.load(open("summary.json"))["events_total"]
cpu = (c1 - c0) / tck
print(f"events {ev:.0f}  wall {t1-t0:.1f}s  {ev/(t1-t0):,.0f} events/s  collector CPU {cpu:.1f}s  "
      f"{ev/cpu:,.0f} events per CPU-second  peak RSS {rss/1024:.0f} MiB")
PY
