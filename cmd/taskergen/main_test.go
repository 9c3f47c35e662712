// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const start = "2026-11-22T10:00:00Z"

type result struct {
	code           int
	stdout, stderr string
}

func runArgs(t *testing.T, args ...string) result {
	t.Helper()
	return runCtx(t, t.Context(), args...)
}

func runCtx(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, append([]string{"--start", start, "--quiet"}, args...), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func parseSummary(t *testing.T, s string) Summary {
	t.Helper()
	var sum Summary
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, s)
	}
	return sum
}

func readSummary(t *testing.T, path string) Summary {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseSummary(t, string(b))
}

type event map[string]any

func decodeEvents(t *testing.T, body string) []event {
	t.Helper()
	var out []event
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	for dec.More() {
		var ev event
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("event %d: %v", len(out), err)
		}
		out = append(out, ev)
	}
	return out
}

// recount counts a stream of decoded events independently of the simulation, from
// what Tasker's publishers put in their payloads (tasker-reference §1.2, §11): per
// step attempt, the first step.execution_requested is the executor's (the state
// machine's has from_state, the handler's comes after it); a terminal event with
// from_state is the state machine's, one whose attempt_number is the attempt's
// (before_handle's + 1) the executor's, the other the handler's; a task's
// task.start_requested/completed/failed/initialize_requested with from_state is the
// state machine's copy; the coordinator's workflow.* copies lack the richer
// publisher's keys.
type recount struct {
	byName, dups                      map[string]int
	tasks, done, attempts, ok, failed int
	retries                           int
	attempt                           map[any]int64 // step_id → current attempt n
	seenStart                         map[string]bool
	created                           map[any]bool
}

func newRecount() *recount {
	return &recount{byName: map[string]int{}, dups: map[string]int{}, attempt: map[any]int64{},
		seenStart: map[string]bool{}, created: map[any]bool{}}
}

func num(v any) int64 {
	n, _ := v.(json.Number).Int64()
	return n
}

func (r *recount) add(ev event) {
	name := ev["event"].(string)
	r.byName[name]++
	_, sm := ev["from_state"]
	isCopy := false
	switch name {
	case "step.before_handle":
		r.attempt[ev["step_id"]] = num(ev["attempt_number"]) + 1
	case "step.execution_requested":
		k := fmt.Sprint(ev["step_id"], "/", ev["attempt_number"])
		isCopy = r.seenStart[k]
		r.seenStart[k] = true
		if !isCopy {
			r.attempts++
			if num(ev["attempt_number"]) > 0 {
				r.retries++
			}
		}
	case "step.completed", "step.failed":
		isCopy = sm || num(ev["attempt_number"]) != r.attempt[ev["step_id"]]
		if !isCopy && name == "step.completed" {
			r.ok++
		} else if !isCopy {
			r.failed++
		}
	case "task.start_requested":
		isCopy = sm
		if !sm && !r.created[ev["task_id"]] {
			r.created[ev["task_id"]] = true
			r.tasks++
		}
	case "task.completed", "task.failed":
		isCopy = sm
		if !sm {
			r.done++
		}
	case "task.initialize_requested":
		isCopy = sm
	case "workflow.viable_steps_discovered":
		_, rich := ev["viable_count"]
		isCopy = !rich
	case "workflow.no_viable_steps":
		_, rich := ev["total_steps_checked"]
		isCopy = !rich
	case "workflow.task_finalization_started", "workflow.task_finalization_completed":
		_, rich := ev["execution_status"]
		isCopy = !rich
	}
	if isCopy {
		r.dups[name]++
	}
}

// checkCounts compares a stream of decoded events with the summary: totals per name,
// copies found by the recount, and the occurrences.
func checkCounts(t *testing.T, evs []event, s Summary) {
	t.Helper()
	r := newRecount()
	for _, ev := range evs {
		r.add(ev)
	}
	if len(evs) != s.EventsTotal || fmt.Sprint(r.byName) != fmt.Sprint(s.EventsByName) {
		t.Errorf("events %d %v\nsummary %d %v", len(evs), r.byName, s.EventsTotal, s.EventsByName)
	}
	if fmt.Sprint(r.dups) != fmt.Sprint(s.DuplicatesByName) {
		t.Errorf("copies found %v, summary %v", r.dups, s.DuplicatesByName)
	}
	total := 0
	for _, n := range r.dups {
		total += n
	}
	if total != s.DuplicatesEmitted || s.EventsUnique != s.EventsTotal-total {
		t.Errorf("copies %d, summary %d (unique %d)", total, s.DuplicatesEmitted, s.EventsUnique)
	}
	if r.tasks != s.Tasks || r.done != s.TasksCompleted+s.TasksFailed || s.Tasks != r.done || r.ok != s.AttemptsCompleted ||
		r.failed != s.AttemptsFailed || r.attempts != s.StepAttempts || r.retries != s.Retries ||
		s.SpansExpected != s.Tasks+s.StepAttempts || s.StepAttempts != s.AttemptsCompleted+s.AttemptsFailed ||
		s.Steps != s.StepsCompleted+s.StepsFailed+s.StepsNotRun || s.StepsCompleted != s.AttemptsCompleted {
		t.Errorf("recount: tasks %d/%d done, attempts %d (%d ok, %d failed, %d retries); summary %+v",
			r.tasks, r.done, r.attempts, r.ok, r.failed, r.retries, s)
	}
}

func TestStdoutDeterministic(t *testing.T) {
	args := []string{"--seed", "7", "--tasks", "60", "--fail", "0.3"}
	a := runArgs(t, args...)
	b := runArgs(t, args...)
	if a.code != 0 {
		t.Fatalf("exit %d: %s", a.code, a.stderr)
	}
	if a.stdout != b.stdout || a.stderr != b.stderr {
		t.Fatal("same seed and flags, different output")
	}
	c := runArgs(t, "--seed", "8", "--tasks", "60", "--fail", "0.3")
	if c.stdout == a.stdout {
		t.Fatal("another seed, same output")
	}
	// Events on stdout: the summary goes to stderr.
	s := parseSummary(t, a.stderr)
	evs := decodeEvents(t, a.stdout)
	checkCounts(t, evs, s)
	if s.StdoutEvents != len(evs) || s.Seed != 7 || s.Start != "2026-11-22T10:00:00.000Z" || s.TasksFailed == 0 || s.DuplicatesEmitted == 0 {
		t.Errorf("summary %+v", s)
	}
	// Builder timestamps have whole seconds; the state machine's milliseconds.
	for _, ev := range evs {
		ts := ev["timestamp"].(string)
		_, sm := ev["from_state"]
		ruby := sm && strings.HasPrefix(ev["event"].(string), "task.") // TaskStateMachine's payload: a Ruby Time
		if want := len("2026-11-22T10:00:00Z"); !ruby && len(ts) != want || ruby && len(ts) != want+4 {
			t.Fatalf("%v timestamp %s", ev["event"], ts)
		}
	}
}

func TestStringIDsFlag(t *testing.T) {
	r := runArgs(t, "--tasks", "3", "--string-ids")
	for _, ev := range decodeEvents(t, r.stdout) {
		if _, ok := ev["task_id"].(string); !ok {
			t.Fatalf("task_id %T", ev["task_id"])
		}
	}
	r = runArgs(t, "--tasks", "3")
	for _, ev := range decodeEvents(t, r.stdout) {
		if _, ok := ev["task_id"].(json.Number); !ok {
			t.Fatalf("task_id %T", ev["task_id"])
		}
	}
}

var prefixRE = regexp.MustCompile(`^([DIWE]), \[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}) #424\d\] +(DEBUG|INFO|WARN|ERROR) -- : `)

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", path)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.log")
	runArgs(t, "--tasks", "30", "--log-file", whole, "--plain-lines", "5")
	want, _ := os.ReadFile(whole)

	p := filepath.Join(dir, "rot.log")
	const limit = 20000
	r := runArgs(t, "--tasks", "30", "--log-file", p, "--plain-lines", "5", "--rotate-bytes", strconv.Itoa(limit), "--rotate-keep", "1000")
	s := parseSummary(t, r.stdout)
	if s.LogRotations < 3 || int64(s.LogRotations) < int64(len(want))/limit {
		t.Fatalf("%d rotations for %d bytes", s.LogRotations, len(want))
	}
	var got []byte
	for k := s.LogRotations; k >= 0; k-- {
		name := p
		if k > 0 {
			name += "." + strconv.Itoa(k)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > limit || len(b) == 0 || b[len(b)-1] != '\n' {
			t.Fatalf("%s: %d bytes", name, len(b))
		}
		got = append(got, b...)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("rotated files joined differ from the unrotated file")
	}

	// Keep 1: only PATH and PATH.1.
	p = filepath.Join(dir, "one.log")
	runArgs(t, "--tasks", "30", "--log-file", p, "--rotate-bytes", strconv.Itoa(limit))
	if _, err := os.Stat(p + ".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p + ".2"); err == nil {
		t.Fatal("PATH.2 kept with --rotate-keep 1")
	}
}

func TestRate(t *testing.T) {
	began := time.Now()
	r := runArgs(t, "--tasks", "2", "--rate", "400", "--orchestration=false", "--duplicates", "0", "--fail", "0")
	s := parseSummary(t, r.stderr)
	want := time.Duration(float64(s.EventsTotal-1) / 400 * float64(time.Second))
	if el := time.Since(began); el < want-10*time.Millisecond || el > want+3*time.Second {
		t.Fatalf("%d events at 400/s took %v, want about %v", s.EventsTotal, el, want)
	}
}

func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := runCtx(t, ctx, "--tasks", "5", "--stdout", "none")
	s := parseSummary(t, r.stdout)
	if r.code != exitInterrupted || !s.Interrupted || s.EventsTotal != 0 {
		t.Fatalf("exit %d, summary %+v", r.code, s)
	}
}

func TestStdoutLog(t *testing.T) {
	r := runArgs(t, "--tasks", "3", "--stdout", "log", "--plain-lines", "4")
	s := parseSummary(t, r.stderr)
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	n := 0
	for sc.Scan() {
		if prefixRE.FindString(sc.Text()) != "" {
			n++
		}
	}
	if n != s.LogEntries || s.PlainLines != 4 || s.StdoutEvents != 0 || s.LogEntries != s.LogLines+s.LogPlainEntries+4 {
		t.Fatalf("%d lines, summary %+v", n, s)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--fail", "2"}, {"--shapes", "ring"}, {"--http", "ftp://x"}, {"--http-format", "xml"}, {"--log-format", "yaml"},
		{"--stdout", "maybe"}, {"--batch", "0"}, {"--start", "yesterday"}, {"--log-level", "trace"}, {"stray"},
		{"--summary", "-"},
	} {
		if r := runArgs(t, args...); r.code != exitUsage {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
	if r := runArgs(t, "-h"); r.code != exitOK || !strings.Contains(r.stderr, "-rotate-bytes") {
		t.Errorf("-h: exit %d", r.code)
	}
}

// The defaults match the receiver of otelcol-config.yaml: --http default is its
// endpoint, bodies are NDJSON, and --secret comes from TASKER_WEBHOOK_SECRET (what the
// receiver's README puts in http.secret).
func TestReceiverDefaults(t *testing.T) {
	t.Setenv("TASKER_WEBHOOK_SECRET", "from-env")
	c, err := parseFlags([]string{"--http", "default"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.http.url != "http://127.0.0.1:4320/v1/events" || c.http.format != "ndjson" || c.http.secret != "from-env" {
		t.Fatalf("url %s format %s secret %q", c.http.url, c.http.format, c.http.secret)
	}
	if c, _ := parseFlags([]string{"--secret", ""}, io.Discard); c.http.secret != "" {
		t.Fatal("--secret '' does not turn signing off")
	}
	srv := newServer(t, "from-env", nil)
	r := runArgs(t, "--tasks", "2", "--http", srv.URL)
	if r.code != 0 || len(srv.errs) > 0 || len(srv.reqs) == 0 || srv.reqs[0].Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("exit %d %s %v", r.code, r.stderr, srv.errs)
	}
	// Successive runs with other seeds do not share task ids.
	a := decodeEvents(t, runArgs(t, "--tasks", "3").stdout)
	b := decodeEvents(t, runArgs(t, "--tasks", "3", "--seed", "2").stdout)
	if a[0]["task_id"].(json.Number) != "1" || b[0]["task_id"].(json.Number) != "1000001" {
		t.Fatalf("task ids %v, %v", a[0]["task_id"], b[0]["task_id"])
	}
}

// --sign-timestamp: the timestamped scheme of the receiver's require_timestamp, a fresh
// timestamp per request.
func TestHTTPSignTimestamp(t *testing.T) {
	srv := newServer(t, "k", func(n int, w http.ResponseWriter) bool {
		if n == 0 {
			w.WriteHeader(503) // the retry is signed afresh
			return true
		}
		return false
	})
	before := time.Now().Unix()
	r := runArgs(t, "--tasks", "3", "--http", srv.URL, "--secret", "k", "--sign-timestamp", "--batch", "100",
		"--http-retry-initial", "10ms")
	if r.code != 0 || len(srv.errs) > 0 || len(srv.bodies) == 0 {
		t.Fatalf("exit %d: %s %v", r.code, r.stderr, srv.errs)
	}
	for _, req := range srv.reqs {
		ts, err := strconv.ParseInt(req.Header.Get("X-Tasker-Timestamp"), 10, 64)
		if err != nil || ts < before || ts > time.Now().Unix() {
			t.Fatalf("X-Tasker-Timestamp %q", req.Header.Get("X-Tasker-Timestamp"))
		}
	}
	// Without the flag: no timestamp header, the plain scheme.
	srv2 := newServer(t, "k", nil)
	runArgs(t, "--tasks", "1", "--http", srv2.URL, "--secret", "k")
	if len(srv2.errs) > 0 || srv2.reqs[0].Header.Get("X-Tasker-Timestamp") != "" {
		t.Fatalf("plain scheme: %v %v", srv2.errs, srv2.reqs[0].Header)
	}
}
