// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Helpers of the fleet tests: several collector processes (replicas) sharing one
// tasker_cache aggregate in Redis, Redis Cluster or memcached.

// fleetInterval is the export interval of the fleet tests (unless a test sets another).
const fleetInterval = time.Second

type replica struct {
	name     string
	dir      string
	grpc     int
	registry int
	every    time.Duration // its export interval
	c        *collector
}

// fleetConfig is one replica's pipeline: OTLP → tasker_cache (backend given as YAML
// lines, indented under tasker_cache) → exporter (tasker_json into ./out/metrics.json
// unless another exporter section is given), with the registry.
func fleetConfig(name string, every time.Duration, grpc, health, registry int, backend, exporter, exporterName string) string {
	if exporter == "" {
		exporterName = "tasker_json"
		exporter = "  tasker_json:\n    path: ./out/metrics.json\n    flush_interval: 0s\n"
	}
	return fmt.Sprintf(`extensions:
  health_check:
    endpoint: 127.0.0.1:%d
  tasker_registry:
    endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
processors:
  tasker_cache:
    instance_id: %s
    interval: %s
    export_timeout: 2s
    lock_timeout: 3s
    safety_margin: 1s
    retention: 30s
    retry_backoff: 500ms
    max_retry_backoff: 500ms
%s
exporters:
%s
service:
  extensions: [health_check, tasker_registry]
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [tasker_cache]
      exporters: [%s]
`, health, registry, grpc, name, every, indent(backend, "    "), exporter, exporterName)
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n")
}

// startReplica writes the replica's config into a directory of its own and starts it
// (export interval fleetInterval).
func startReplica(t *testing.T, bin, name, backend, exporter, exporterName string) *replica {
	t.Helper()
	return startReplicaEvery(t, bin, name, fleetInterval, backend, exporter, exporterName)
}

// startReplicaEvery is startReplica with another export interval.
func startReplicaEvery(t *testing.T, bin, name string, every time.Duration, backend, exporter, exporterName string) *replica {
	t.Helper()
	r := &replica{name: name, dir: t.TempDir(), grpc: freePort(t), registry: freePort(t), every: every}
	health := freePort(t)
	cfg := filepath.Join(r.dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fleetConfig(name, every, r.grpc, health, r.registry, backend, exporter, exporterName)), 0o600))
	r.c = startCollector(t, bin, r.dir, cfg, health)
	return r
}

// sendSums sends n delta points of the sum "gen" (values 0..n-1) to the replica at
// rate points per second (0: at once) and returns their total.
func sendSums(t *testing.T, gen string, r *replica, n, rate int) int64 {
	t.Helper()
	run(t, gen, "metrics", "--otlp-insecure", "--otlp-endpoint", "127.0.0.1:"+strconv.Itoa(r.grpc),
		"--metrics", strconv.Itoa(n), "--metric-type", "Sum", "--aggregation-temporality", "delta", "--rate", strconv.Itoa(rate))
	return int64(n) * int64(n-1) / 2
}

// sendSplit sends n points to every replica at once (the workload split across them)
// and returns the total.
func sendSplit(t *testing.T, gen string, rs []*replica, n, rate int) int64 {
	t.Helper()
	var wg sync.WaitGroup
	totals := make([]int64, len(rs))
	for i, r := range rs {
		wg.Add(1)
		go func() { defer wg.Done(); totals[i] = sendSums(t, gen, r, n, rate) }()
	}
	wg.Wait()
	var sum int64
	for _, v := range totals {
		sum += v
	}
	return sum
}

// exportLine is one exported point of the sum "gen" in a replica's file.
type exportLine struct {
	replica     string
	every       time.Duration
	at          time.Time
	value       int64
	temporality string
}

// genPoints returns the exported points of the sum "gen" in the replica's file.
func genPoints(t *testing.T, r *replica) []map[string]any {
	t.Helper()
	path := filepath.Join(r.dir, "out", "metrics.json")
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	var out []map[string]any
	for _, o := range readJSONLines(t, path) {
		if o["name"] == "gen" {
			out = append(out, o)
		}
	}
	return out
}

func readExports(t *testing.T, rs []*replica) []exportLine {
	t.Helper()
	var out []exportLine
	for _, r := range rs {
		for _, o := range genPoints(t, r) {
			at, err := time.Parse(time.RFC3339Nano, o["timestamp"].(string))
			require.NoError(t, err)
			v, _ := o["value"].(float64)
			tmp, _ := o["temporality"].(string)
			out = append(out, exportLine{replica: r.name, every: r.every, at: at, value: int64(v), temporality: tmp})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// exportedTotal is the total the exports say: the last cumulative value, or the sum of
// the deltas.
func exportedTotal(lines []exportLine) int64 {
	var sum int64
	for _, l := range lines {
		if l.temporality == "cumulative" {
			sum = l.value
		} else {
			sum += l.value
		}
	}
	return sum
}

// perInterval counts the exports (file lines of "gen") per interval start.
func perInterval(lines []exportLine) map[time.Time][]string {
	out := map[time.Time][]string{}
	for _, l := range lines {
		k := l.at.Truncate(l.every)
		out[k] = append(out[k], l.replica)
	}
	return out
}

// requireOnePerInterval fails when an interval was exported more than once.
func requireOnePerInterval(t *testing.T, lines []exportLine) {
	t.Helper()
	for at, who := range perInterval(lines) {
		require.Lenf(t, who, 1, "interval %s exported by %v", at.Format(time.RFC3339Nano), who)
	}
}

// syncs returns the successful cache_synced events of a replica's registry by the
// interval the export started in.
func syncs(t *testing.T, r *replica) []time.Time {
	t.Helper()
	var page struct {
		Events []struct {
			Name    string         `json:"name"`
			Payload map[string]any `json:"payload"`
		} `json:"events"`
	}
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(r.registry) + "/v1/events?since=0")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
	var out []time.Time
	for _, e := range page.Events {
		if e.Name != "tasker.telemetry.cache_synced" || e.Payload["success"] != true {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, e.Payload["synced_at"].(string))
		require.NoError(t, err)
		// The interval is that of the export's start (synced_at is its end).
		ms, _ := e.Payload["duration_ms"].(float64)
		out = append(out, at.Add(-time.Duration(ms*float64(time.Millisecond))).Truncate(r.every))
	}
	return out
}

// requireOneSyncPerInterval checks the registries' events: no interval synced (read
// and exported) by two replicas. It returns how many intervals were synced.
func requireOneSyncPerInterval(t *testing.T, rs []*replica) int {
	t.Helper()
	by := map[time.Time][]string{}
	for _, r := range rs {
		for _, at := range syncs(t, r) {
			by[at] = append(by[at], r.name)
		}
	}
	for at, who := range by {
		require.Lenf(t, who, 1, "interval %s synced by %v (registry events)", at.Format(time.RFC3339Nano), who)
	}
	return len(by)
}
