// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// taskergenSummary is the part of cmd/taskergen's summary the test compares with.
type taskergenSummary struct {
	Tasks             int `json:"tasks"`
	TasksCompleted    int `json:"tasks_completed"`
	TasksFailed       int `json:"tasks_failed"`
	StepAttempts      int `json:"step_attempts"`
	AttemptsCompleted int `json:"attempts_completed"`
	AttemptsFailed    int `json:"attempts_failed"`
	SpansExpected     int `json:"spans_expected"`
	EventsTotal       int `json:"events_total"`
	DuplicatesEmitted int `json:"duplicates_emitted"`
	LogFileLines      int `json:"log_file_lines"`
	LogLines          int `json:"log_lines"`
	PlainLines        int `json:"plain_lines"`
	HTTPEvents        int `json:"http_events"`
}

func taskergen(t *testing.T, bin, summary string, args ...string) taskergenSummary {
	t.Helper()
	run(t, bin, append(args, "--summary", summary, "--stdout", "none", "--quiet")...)
	raw, err := os.ReadFile(summary)
	require.NoError(t, err)
	var s taskergenSummary
	require.NoError(t, json.Unmarshal(raw, &s), string(raw))
	return s
}

// TestE2ETaskerReceiver runs the binary on otelcol-config.yaml (tasker receiver: HTTP and
// log files) and drives it with taskergen. Spans, log records and the aggregated outcome
// counters equal taskergen's summary exactly; then the collector is stopped while it
// tails a large file and started again: no line is lost or repeated.
func TestE2ETaskerReceiver(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	gen := tool(t, "TASKERGEN_BIN")
	dir := t.TempDir()
	health, events, registry := freePort(t), freePort(t), freePort(t)
	sets := []string{
		"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"receivers::otlp::protocols::http::endpoint=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"receivers::tasker::http::endpoint=127.0.0.1:" + strconv.Itoa(events),
		"receivers::tasker::logs::poll_interval=50ms",
		"extensions::health_check::endpoint=127.0.0.1:" + strconv.Itoa(health),
		"extensions::tasker_registry::endpoint=127.0.0.1:" + strconv.Itoa(registry),
		"processors::tasker_cache::interval=1s",
		"service::telemetry::metrics::level=none",
	}
	out := filepath.Join(dir, "out")
	demo := filepath.Join(out, "demo")
	require.NoError(t, os.MkdirAll(demo, 0o755))
	c := startCollector(t, bin, dir, repoFile(t, "otelcol-config.yaml"), health, sets...)

	// Phase 1: events over HTTP, signed batches of 50, 20% duplicate completions.
	a := taskergen(t, gen, filepath.Join(dir, "a.json"), "--seed", "7", "--tasks", "40", "--batch", "50",
		"--duplicates", "0.2", "--http", "http://127.0.0.1:"+strconv.Itoa(events)+"/v1/events")
	require.Equal(t, a.EventsTotal, a.HTTPEvents, "every event accepted")
	require.Positive(t, a.DuplicatesEmitted)
	logsPath, tracesPath := filepath.Join(out, "json", "logs.json"), filepath.Join(out, "json", "traces.json")
	eventually(t, 30*time.Second, func() error {
		if n := countJSONLines(tracesPath); n != a.SpansExpected {
			return errorf("spans: %d, want %d (tasks %d + step attempts %d)", n, a.SpansExpected, a.Tasks, a.StepAttempts)
		}
		if n := countJSONLines(logsPath); n != a.EventsTotal {
			return errorf("log records: %d, want %d (every event, duplicates included)", n, a.EventsTotal)
		}
		return nil
	})
	// Each span once, whatever the duplicates; error status exactly on the failed ones.
	spans := readJSONLines(t, tracesPath)
	ids := map[string]bool{}
	failed := 0
	for _, s := range spans {
		id, _ := s["span_id"].(string)
		assert.False(t, ids[id], "span %s emitted twice", id)
		ids[id] = true
		if st, _ := s["status_code"].(string); strings.EqualFold(st, "error") {
			failed++
		}
	}
	assert.Equal(t, a.TasksFailed+a.AttemptsFailed, failed, "spans with error status")

	// The outcome counters, aggregated by tasker_cache, as the registry serves them.
	eventually(t, 30*time.Second, func() error {
		got := outcomeTotals(t, "http://127.0.0.1:"+strconv.Itoa(registry)+"/v1/export?format=ndjson")
		want := map[string]int{
			"tasker.task.outcomes/completed": a.TasksCompleted, "tasker.task.outcomes/failed": a.TasksFailed,
			"tasker.step.outcomes/completed": a.AttemptsCompleted, "tasker.step.outcomes/failed": a.AttemptsFailed,
		}
		for k, v := range want {
			if got[k] != v {
				return errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
			}
		}
		return nil
	})

	// Phase 2: a Tasker log file with plain lines in between.
	b := taskergen(t, gen, filepath.Join(dir, "b.json"), "--seed", "8", "--tasks", "10", "--plain-lines", "25",
		"--log-file", filepath.Join(demo, "tasker.log"))
	require.Equal(t, b.LogLines+b.PlainLines, b.LogFileLines)
	want := a.EventsTotal + b.LogFileLines
	eventually(t, 30*time.Second, func() error {
		if n := countJSONLines(logsPath); n != want {
			return errorf("log records after the file: %d, want %d", n, want)
		}
		return nil
	})

	// Phase 3: a large file appears; the collector is stopped while it reads it and
	// started again on the same storage: every line exactly once.
	big := filepath.Join(dir, "big.log")
	cs := taskergen(t, gen, filepath.Join(dir, "c.json"), "--seed", "9", "--tasks", "400", "--plain-lines", "100", "--log-file", big)
	raw, err := os.ReadFile(big)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(demo, "big.log"), raw, 0o644))
	time.Sleep(150 * time.Millisecond)
	c.stop(t)
	readBefore := countJSONLines(logsPath) - want
	t.Logf("stopped after %d of %d lines of the large file", readBefore, cs.LogFileLines)
	c = startCollector(t, bin, dir, repoFile(t, "otelcol-config.yaml"), health, sets...)
	want += cs.LogFileLines
	eventually(t, 60*time.Second, func() error {
		if n := countJSONLines(logsPath); n != want {
			return errorf("log records after the restart: %d, want %d", n, want)
		}
		return nil
	})
	time.Sleep(time.Second) // nothing more arrives: no line was read twice
	assert.Equal(t, want, countJSONLines(logsPath))
	c.stop(t)
}

// outcomeTotals sums the aggregate's outcome counters by metric and outcome.
func outcomeTotals(t *testing.T, url string) map[string]int {
	t.Helper()
	body, resp := get(t, url)
	if resp.StatusCode != 200 {
		return nil
	}
	got := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		name, _ := m["name"].(string)
		if name != "tasker.task.outcomes" && name != "tasker.step.outcomes" {
			continue
		}
		attrs, _ := m["labels"].(map[string]any)
		if attrs == nil {
			attrs, _ = m["attributes"].(map[string]any)
		}
		outcome, _ := attrs["tasker.outcome"].(string)
		v, _ := m["value"].(float64)
		got[name+"/"+outcome] += int(v)
	}
	return got
}
