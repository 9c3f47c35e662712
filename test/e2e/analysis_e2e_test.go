// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// analysis is what every recipe of docs/ANALYSIS.md prints, whatever the tool.
type analysis struct {
	TasksPerOutcome []struct {
		Outcome string `json:"outcome"`
		Tasks   int    `json:"tasks"`
	} `json:"tasks_per_outcome"`
	FailuresPerStep []struct {
		Step     string `json:"step"`
		Failures int    `json:"failures"`
	} `json:"failures_per_step"`
	P95StepDuration []struct {
		P95Ms    float64 `json:"p95_ms"`
		Attempts int     `json:"attempts"`
	} `json:"p95_step_duration"`
}

func (a analysis) outcomes() map[string]int {
	m := map[string]int{}
	for _, r := range a.TasksPerOutcome {
		m[r.Outcome] = r.Tasks
	}
	return m
}

func (a analysis) failures() map[string]int {
	m := map[string]int{}
	for _, r := range a.FailuresPerStep {
		m[r.Step] = r.Failures
	}
	return m
}

// external returns the path of a program the recipes need: a skip outside CI when it
// is missing, a failure under CI=true (.ci/run installs it).
func external(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (.ci/run installs it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// TestE2EAnalysisRecipes runs the binary on otelcol-config.yaml, feeds it three taskergen
// workloads (the second adds a label key, so metrics.csv is rotated by header; the third
// comes as log lines, another resource with the same series), and runs
// every recipe of docs/ANALYSIS.md — DuckDB, jq and Python — in the collector's
// directory. Tasks per outcome and failed attempts equal taskergen's summaries; every
// tool gives the same numbers per step and the same p95 as computed here from the spans.
func TestE2EAnalysisRecipes(t *testing.T) {
	gen := tool(t, "TASKERGEN_BIN")
	jq, py, node := external(t, "jq"), external(t, "python3"), external(t, "node")
	duckdb := os.Getenv("DUCKDB_NODE_MODULES") // npm install --prefix DIR @duckdb/node-api: DIR/node_modules
	if duckdb == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DUCKDB_NODE_MODULES is not set (.ci/run installs @duckdb/node-api)")
		}
		t.Skip("DUCKDB_NODE_MODULES is not set: npm install --prefix DIR @duckdb/node-api, then DUCKDB_NODE_MODULES=DIR/node_modules")
	}
	recipes := filepath.Dir(repoFile(t, "docs/analysis/setup.sql"))
	doc, err := os.ReadFile(repoFile(t, "docs/ANALYSIS.md"))
	require.NoError(t, err)
	entries, err := os.ReadDir(recipes)
	require.NoError(t, err)
	for _, e := range entries { // the document shows the files the test runs
		raw, err := os.ReadFile(filepath.Join(recipes, e.Name()))
		require.NoError(t, err)
		assert.Contains(t, string(doc), strings.TrimSpace(string(raw)), "docs/ANALYSIS.md shows %s as it is", e.Name())
	}

	s := startShipped(t, "", "processors::tasker_cache::interval=1s")
	dir := s.dir
	// Phase 1: no failures (no backoff label yet). Phase 2: failures, retries, backoffs,
	// other task and step ids.
	a := taskergen(t, gen, filepath.Join(dir, "a.json"), "--seed", "21", "--tasks", "30", "--fail", "0", "--http", s.events)
	waitFor := func(completed, failed, attempts int) {
		eventually(t, 60*time.Second, func() error {
			cmd := exec.Command(py, filepath.Join(recipes, "recipes.py"), "out/csv")
			cmd.Dir = dir
			out, err := cmd.Output()
			if err != nil {
				return err
			}
			var r analysis
			if err := json.Unmarshal(out, &r); err != nil {
				return err
			}
			o := r.outcomes()
			if o["completed"] != completed || o["failed"] != failed || len(r.P95StepDuration) != 1 || r.P95StepDuration[0].Attempts != attempts {
				return errorf("python recipes %s, want %d completed, %d failed, %d attempts", out, completed, failed, attempts)
			}
			return nil
		})
	}
	waitFor(a.TasksCompleted, a.TasksFailed, a.StepAttempts)
	b := taskergen(t, gen, filepath.Join(dir, "b.json"), "--seed", "22", "--tasks", "40", "--fail", "0.25",
		"--first-task-id", "1001", "--first-step-id", "100001", "--http", s.events)
	require.Positive(t, b.AttemptsFailed)
	// Phase 3: Tasker's log lines, tailed from out/demo: another resource (service.name
	// tasker too, plus the log lines' deployment.environment.name, process.pid, …) with
	// the same series, told apart by resource_id.
	c := taskergen(t, gen, filepath.Join(dir, "c.json"), "--seed", "23", "--tasks", "20", "--fail", "0.25",
		"--first-task-id", "2001", "--first-step-id", "200001", "--log-file", filepath.Join(dir, "out", "demo", "tasker.log"))
	for _, x := range []*taskergenSummary{&b, &c} { // from here on, a holds the totals
		a.TasksCompleted += x.TasksCompleted
		a.TasksFailed += x.TasksFailed
		a.StepAttempts += x.StepAttempts
		a.AttemptsFailed += x.AttemptsFailed
	}
	waitFor(a.TasksCompleted, a.TasksFailed, a.StepAttempts)
	time.Sleep(2 * time.Second) // one more cache interval and flush: the last cumulative rows are in both formats
	rotated, err := filepath.Glob(filepath.Join(dir, "out", "csv", "metrics-*.csv"))
	require.NoError(t, err)
	require.NotEmpty(t, rotated, "the backoff label of phase 2 rotated metrics.csv by header; the recipes read the glob")

	inDir := func(name string, args ...string) []byte {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NODE_PATH="+duckdb)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s %v:\n%s", name, args, out)
		return out
	}
	results := map[string]analysis{}
	var r analysis
	require.NoError(t, json.Unmarshal(inDir(py, filepath.Join(recipes, "recipes.py"), "out/csv"), &r))
	results["python"] = r
	var d, j analysis
	sql := func(q string) []byte {
		return inDir(node, filepath.Join(recipes, "duckdb.cjs"), filepath.Join(recipes, "setup.sql"), filepath.Join(recipes, q+".sql"))
	}
	require.NoError(t, json.Unmarshal(sql("tasks_per_outcome"), &d.TasksPerOutcome))
	require.NoError(t, json.Unmarshal(sql("failures_per_step"), &d.FailuresPerStep))
	require.NoError(t, json.Unmarshal(sql("p95_step_duration"), &d.P95StepDuration))
	results["duckdb"] = d
	jqRun := func(q, signal string) []byte {
		files, err := filepath.Glob(filepath.Join(dir, "out", "json", signal+"*.json"))
		require.NoError(t, err)
		return inDir(jq, append([]string{"-s", "-L", recipes, "-f", filepath.Join(recipes, q+".jq")}, files...)...)
	}
	require.NoError(t, json.Unmarshal(jqRun("tasks_per_outcome", "metrics"), &j.TasksPerOutcome))
	require.NoError(t, json.Unmarshal(jqRun("failures_per_step", "metrics"), &j.FailuresPerStep))
	require.NoError(t, json.Unmarshal(jqRun("p95_step_duration", "traces"), &j.P95StepDuration))
	results["jq"] = j

	// What the spans say, computed here: failed attempts per step and the p95.
	failed := map[string]int{}
	var durations []float64
	for _, sp := range readJSONLines(t, filepath.Join(dir, "out", "json", "traces.json")) {
		attrs, _ := sp["attributes"].(map[string]any)
		step, ok := attrs["tasker.step.name"].(string)
		if !ok {
			continue
		}
		durations = append(durations, sp["duration_ms"].(float64))
		if sp["status_code"] == "error" {
			failed[step]++
		}
	}
	sort.Float64s(durations)
	pos := float64(len(durations)-1) * 0.95
	i := int(pos)
	p95 := durations[i] + (durations[i+1]-durations[i])*(pos-float64(i))

	wantOutcomes := map[string]int{"completed": a.TasksCompleted, "failed": a.TasksFailed}
	for tool, got := range results {
		assert.Equal(t, wantOutcomes, got.outcomes(), "%s: tasks per outcome = the summaries'", tool)
		sum := 0
		for _, n := range got.failures() {
			sum += n
		}
		assert.Equal(t, a.AttemptsFailed, sum, "%s: failed attempts = the summaries'", tool)
		assert.Equal(t, failed, got.failures(), "%s: failures per step = the failed spans per step", tool)
		require.Len(t, got.P95StepDuration, 1, tool)
		assert.Equal(t, a.StepAttempts, got.P95StepDuration[0].Attempts, "%s: step attempts = the summaries'", tool)
		assert.LessOrEqual(t, math.Abs(got.P95StepDuration[0].P95Ms-p95), 1e-9*p95, "%s: p95 %v, from the spans %v", tool, got.P95StepDuration[0].P95Ms, p95)
	}
	t.Logf("tasks %v; failed attempts %d over %d steps; p95 of %d step attempts %.3f ms; rotated metrics files %d",
		wantOutcomes, a.AttemptsFailed, len(failed), len(durations), p95, len(rotated))
}

// TestE2EExactValues posts Tasker's decimal durations and finds them, digit for digit, in
// both formats' files: no time.Duration round trip (1.273 was written 1.2730000000000001).
func TestE2EExactValues(t *testing.T) {
	s := startShipped(t, "")
	a := s.post(t, []byte(`{"event":"task.completed","task_id":424242,"task_name":"exact","total_execution_duration":1.273,"timestamp":"2026-01-10T12:00:03Z"}
{"event":"step.completed","task_id":424242,"step_id":1,"step_name":"s","execution_duration":0.1,"timestamp":"2026-01-10T12:00:02Z"}`), nil, nil)
	require.Equal(t, 200, a.code, a.raw)
	for _, f := range []struct{ path, total, exec string }{
		{"out/json/logs.json", `"tasker.total_duration":1.273`, `"tasker.execution_duration":0.1`},
		{"out/csv/logs.csv", `""tasker.total_duration"":1.273`, `""tasker.execution_duration"":0.1`},
	} {
		waitForText(t, filepath.Join(s.dir, f.path), f.total)
		waitForText(t, filepath.Join(s.dir, f.path), f.exec)
		raw, err := os.ReadFile(filepath.Join(s.dir, f.path))
		require.NoError(t, err)
		assert.NotContains(t, string(raw), "1.2730000000000001", f.path)
	}
}
