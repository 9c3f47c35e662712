// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// entry is one log entry of a file written with the Rails prefix: its first line
// (after the prefix), the prefix's fields, and its continuation lines.
type entry struct {
	sev, time, level string
	tags             string
	body             string // after the prefix and the tags
	cont             []string
}

var tagsRE = regexp.MustCompile(`^(\[[^\]]*\] )+`)

// entries splits a prefixed file into entries: a line with the prefix starts one,
// the others continue it.
func entries(t *testing.T, lines []string) []entry {
	t.Helper()
	var out []entry
	for _, l := range lines {
		m := prefixRE.FindStringSubmatch(l)
		if m == nil {
			if len(out) == 0 {
				t.Fatalf("first line without prefix: %s", l)
			}
			out[len(out)-1].cont = append(out[len(out)-1].cont, l)
			continue
		}
		if m[1] != m[3][:1] || len(m[0]) != len("I, [2026-11-22T10:00:00.123456 #4242]  INFO -- : ") {
			t.Fatalf("bad prefix %q", m[0])
		}
		rest := l[len(m[0]):]
		tags := tagsRE.FindString(rest)
		out = append(out, entry{sev: m[1], time: m[2], level: m[3], tags: tags, body: rest[len(tags):]})
	}
	return out
}

func jsonKeys(t *testing.T, body string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	var keys []string
	tok, _ := dec.Token()
	for dec.More() && tok != nil {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	return keys
}

func TestLogFile(t *testing.T) {
	dir := t.TempDir()
	args := func(d string) []string {
		return []string{"--seed", "3", "--tasks", "40", "--fail", "0.3", "--log-file", filepath.Join(d, "tasker.log"),
			"--summary", filepath.Join(d, "summary.json")}
	}
	r := runArgs(t, args(dir)...)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q: %s", r.code, r.stdout, r.stderr)
	}
	dir2 := t.TempDir()
	runArgs(t, args(dir2)...)
	a, _ := os.ReadFile(filepath.Join(dir, "tasker.log"))
	b, _ := os.ReadFile(filepath.Join(dir2, "tasker.log"))
	if !bytes.Equal(a, b) {
		t.Fatal("log files differ between identical runs")
	}
	s := readSummary(t, filepath.Join(dir, "summary.json"))
	lines := readLines(t, filepath.Join(dir, "tasker.log"))
	es := entries(t, lines)
	if len(lines) != s.LogFileLines || len(es) != s.LogEntries || s.LogEntries != s.LogLines+s.LogPlainEntries || s.PlainLines != 0 {
		t.Fatalf("%d lines, %d entries; summary %+v", len(lines), len(es), s)
	}
	header := []string{"timestamp", "correlation_id", "component", "message", "environment", "tasker_version", "process_id", "thread_id"}
	byMsg := map[string]int{}
	stepCorr := map[string]string{} // pid/thread → correlation id of step lines
	runCorr := map[string]bool{}
	jobAttempts := map[string][]float64{}
	twoLine, giveUps, structured, copies := 0, 0, 0, 0
	prevTime := ""
	for i, e := range es {
		if e.time < prevTime {
			t.Fatalf("prefix time %s before %s", e.time, prevTime)
		}
		prevTime = e.time
		if !strings.HasPrefix(e.body, "{") {
			switch {
			case strings.HasPrefix(e.body, "TaskFinalizer: Task ") && strings.HasSuffix(e.body, " steps,"):
				if len(e.cont) != 1 || e.cont[0] != strings.Repeat(" ", 28)+"100.0% complete)" {
					t.Fatalf("two-line message: %q %q", e.body, e.cont)
				}
				twoLine++
			case strings.HasPrefix(e.body, "Error performing Tasker::TaskRunnerJob"):
				if len(e.cont) < 3 || !strings.HasPrefix(e.cont[0], "/usr/local/bundle/gems/") || e.level != "ERROR" {
					t.Fatalf("ActiveJob give-up: %q %q", e.body, e.cont)
				}
				giveUps++
			case len(e.cont) > 0:
				t.Fatalf("entry %d with continuation lines: %q %q", i, e.body, e.cont)
			}
			continue
		}
		structured++
		if len(e.cont) > 0 {
			t.Fatalf("json record with continuation lines: %s", e.body)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(e.body), &rec); err != nil {
			t.Fatalf("%v: %s", err, e.body)
		}
		if keys := jsonKeys(t, e.body); strings.Join(keys[:len(header)], ",") != strings.Join(header, ",") {
			t.Fatalf("keys %v", keys)
		}
		if _, ok := rec["level"]; ok {
			t.Fatal("Tasker's JSON has no level key")
		}
		ts := rec["timestamp"].(string)
		if len(ts) != len("2026-11-22T10:00:00.000Z") || !strings.HasPrefix(e.time, ts[:len(ts)-1]) {
			t.Fatalf("timestamp %s vs prefix %s", ts, e.time)
		}
		msg := rec["message"].(string)
		byMsg[msg]++
		comp := rec["component"].(string)
		corr := rec["correlation_id"].(string)
		thread := rec["thread_id"].(string) + "/" + strconv.Itoa(int(rec["process_id"].(float64)))
		if rec["entity_type"] == "step" {
			if e.tags != "" {
				t.Fatalf("tags on a pool-thread line: %s", e.tags)
			}
			if prev, ok := stepCorr[thread]; ok && prev != corr {
				t.Fatalf("thread %s changed its correlation id: %s, %s", thread, prev, corr)
			}
			stepCorr[thread] = corr
			if msg == "Step completed" || msg == "Step failed" {
				if _, ok := rec["duration_ms"].(float64); !ok || e.level != "INFO" {
					t.Fatalf("%s %s", e.level, e.body)
				}
			}
			// The second line of an occurrence: the handler's "Step started", the
			// executor's "Step completed" / "Step failed".
			if strings.HasSuffix(comp, "_handler") && msg == "Step started" ||
				comp == "step_executor" && (msg == "Step completed" || msg == "Step failed") {
				copies++
			}
		}
		if msg == "TaskRunnerJob execution started" {
			if !strings.HasPrefix(e.tags, "[ActiveJob] [Tasker::TaskRunnerJob] [") || runCorr[corr] {
				t.Fatalf("job line: tags %q, correlation %s reused", e.tags, corr)
			}
			runCorr[corr] = true
			jobAttempts[rec["job_id"].(string)] = append(jobAttempts[rec["job_id"].(string)], rec["attempt"].(float64))
		}
		if strings.HasPrefix(msg, "Exception occurred: ") && rec["exception_class"] != strings.TrimPrefix(msg, "Exception occurred: ") {
			t.Fatalf("exception line %s", e.body)
		}
	}
	if structured != s.LogLines || copies != s.LogDuplicates || s.LogDuplicates != s.StepAttempts+s.AttemptsCompleted+s.AttemptsFailed {
		t.Fatalf("%d records (%d copies), summary %d (%d)", structured, copies, s.LogLines, s.LogDuplicates)
	}
	for k, v := range byMsg {
		if s.LogLinesByName[k] != v {
			t.Errorf("%s: %d records, summary %d", k, v, s.LogLinesByName[k])
		}
	}
	// Logged twice per attempt (executor and handler).
	if byMsg["Step started"] != 2*s.StepAttempts || byMsg["Step completed"] != 2*s.AttemptsCompleted ||
		byMsg["Step failed"] != 2*s.AttemptsFailed || byMsg["TaskRunnerJob execution started"] != s.JobRuns ||
		twoLine != s.TasksCompleted || s.TasksFailed == 0 || giveUps < s.TasksFailed || byMsg["Orchestration discovered"] != 0 {
		t.Fatalf("records %v; two-line %d, give-ups %d; summary %+v", byMsg, twoLine, giveUps, s)
	}
	// TaskRunnerJob's attempt is executions+1: 2, 3, 4 for one job.
	for id, att := range jobAttempts {
		for k, v := range att {
			if v != float64(k+2) {
				t.Fatalf("job %s attempts %v", id, att)
			}
		}
	}
	if len(stepCorr) < 3 {
		t.Fatalf("step lines on %d threads", len(stepCorr))
	}
	for _, c := range stepCorr {
		if runCorr[c] {
			t.Fatalf("a pool thread has a job run's correlation id %s", c)
		}
	}
}

func TestLogFormats(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.log")
	sp := filepath.Join(dir, "s.json")
	common := []string{"--tasks", "10", "--fail", "0.4", "--log-file", p, "--summary", sp}

	runArgs(t, append(common, "--log-level", "debug")...)
	s := readSummary(t, sp)
	orch := 0
	for _, e := range entries(t, readLines(t, p)) {
		if strings.Contains(e.body, `"entity_type":"orchestration"`) {
			if e.level != "DEBUG" {
				t.Fatalf("orchestration line at %s", e.level)
			}
			orch++
		}
	}
	if orch == 0 || orch != s.LogLinesByName["Orchestration discovered"]+s.LogLinesByName["Orchestration started"]+
		s.LogLinesByName["Orchestration detected"]+s.LogLinesByName["Orchestration completed"] {
		t.Fatalf("debug level: %d orchestration lines, summary %+v", orch, s.LogLinesByName)
	}

	runArgs(t, append(common, "--log-prefix=false")...)
	s = readSummary(t, sp)
	n := 0
	for _, l := range readLines(t, p) {
		l = strings.TrimPrefix(l, tagsRE.FindString(l))
		if strings.HasPrefix(l, `{"timestamp":"`) {
			n++
		}
	}
	if n != s.LogLines {
		t.Fatalf("%d unprefixed records, summary %d", n, s.LogLines)
	}

	runArgs(t, append(common, "--log-format", "logfmt")...)
	failures := 0
	for _, e := range entries(t, readLines(t, p)) {
		if strings.HasPrefix(e.body, "timestamp=") {
			if !strings.HasPrefix(e.body, `timestamp="2026-11-22T10:00:`) || !strings.Contains(e.body, ` tasker_version="0.1.0" process_id=424`) {
				t.Fatalf("logfmt line: %s", e.body)
			}
			if strings.Contains(e.body, `message="Exception occurred: `) && strings.Contains(e.body, `component="step_executor"`) {
				t.Fatalf("the handler logs the step's exception: %s", e.body)
			}
			if strings.Contains(e.body, `_handler" message="Exception occurred: `) {
				if !strings.Contains(e.body, ` backtrace=["/app/app/tasks/`) {
					t.Fatalf("logfmt exception line: %s", e.body)
				}
				failures++
			}
		}
	}
	s = readSummary(t, sp)
	if failures != s.AttemptsFailed || failures == 0 {
		t.Fatalf("%d exception lines, %d failed attempts", failures, s.AttemptsFailed)
	}

	runArgs(t, append(common, "--log-format", "pretty")...)
	s = readSummary(t, sp)
	lines := readLines(t, p)
	records := 0
	for _, e := range entries(t, lines) {
		if e.body != "{" {
			continue
		}
		for _, l := range e.cont[:len(e.cont)-1] {
			if !strings.HasPrefix(l, "  ") {
				t.Fatalf("pretty line %q", l)
			}
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte("{\n"+strings.Join(e.cont, "\n")), &rec); err != nil {
			t.Fatal(err)
		}
		records++
	}
	if records != s.LogLines || len(lines) != s.LogFileLines || len(lines) < 8*records {
		t.Fatalf("%d records in %d lines, summary %d/%d", records, len(lines), s.LogLines, s.LogFileLines)
	}
}

// noise reports whether an entry is one of --plain-lines' lines (untagged, not
// Tasker's JSON, not ActiveJob's enqueue line).
func noise(e entry) bool {
	return (e.tags == "" || strings.HasPrefix(e.tags, "[Tasker::MetricsBackend]")) && !strings.HasPrefix(e.body, "{") && !strings.HasPrefix(e.body, "Enqueued Tasker::TaskRunnerJob")
}

func TestPlainLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.log")
	r := runArgs(t, "--tasks", "20", "--log-file", p, "--plain-lines", "25")
	s := parseSummary(t, r.stdout)
	lines := readLines(t, p)
	es := entries(t, lines)
	var positions []int
	for i, e := range es {
		if noise(e) {
			positions = append(positions, i)
		}
	}
	if len(positions) != 25 || s.PlainLines != 25 || s.LogEntries != len(es) || s.LogLines+s.LogPlainEntries+25 != len(es) ||
		s.LogFileLines != len(lines) {
		t.Fatalf("%d noise lines at %v; summary %+v, %d entries", len(positions), positions, s, len(es))
	}
	// Spread evenly: gaps of about entries/25.
	gap := len(es) / 25
	for i := 1; i < len(positions); i++ {
		if d := positions[i] - positions[i-1]; d < gap-2 || d > gap+2 {
			t.Fatalf("noise lines at %v, gap %d", positions, gap)
		}
	}
	before, _ := os.ReadFile(p)
	runArgs(t, "--tasks", "20", "--log-file", p, "--plain-lines", "25")
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Fatal("plain lines differ between runs")
	}
}
