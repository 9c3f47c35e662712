// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

// dedupKey is what a receiver de-duplicates terminal events on.
func dedupKey(ev event) string {
	return fmt.Sprint(ev["event"], "/", ev["task_id"], "/", ev["step_id"], "/", ev["attempt_number"])
}

func isTerminal(name any) bool {
	switch name {
	case "task.completed", "task.failed", "step.completed", "step.failed":
		return true
	}
	return false
}

// checkCounts compares a stream of decoded events with the summary: totals per name,
// duplicates found by de-duplicating on ids/attempt, and the logical outcomes.
func checkCounts(t *testing.T, evs []event, s Summary) {
	t.Helper()
	byName := map[string]int{}
	dups := map[string]int{}
	seen := map[string]bool{}
	tasksDone, stepsOK, attempts := 0, 0, 0
	for _, ev := range evs {
		name := ev["event"].(string)
		byName[name]++
		if isTerminal(name) {
			k := dedupKey(ev)
			if seen[k] {
				dups[name]++
				continue
			}
			seen[k] = true
		}
		switch name {
		case "task.completed", "task.failed":
			tasksDone++
		case "step.completed":
			stepsOK++
		case "step.execution_requested":
			attempts++
		}
	}
	if len(evs) != s.EventsTotal || fmt.Sprint(byName) != fmt.Sprint(s.EventsByName) {
		t.Errorf("events %d %v\nsummary %d %v", len(evs), byName, s.EventsTotal, s.EventsByName)
	}
	if fmt.Sprint(dups) != fmt.Sprint(s.DuplicatesByName) {
		t.Errorf("duplicates found %v, summary %v", dups, s.DuplicatesByName)
	}
	total := 0
	for _, n := range dups {
		total += n
	}
	if total != s.DuplicatesEmitted || s.EventsUnique != s.EventsTotal-total {
		t.Errorf("duplicates %d, summary %d (unique %d)", total, s.DuplicatesEmitted, s.EventsUnique)
	}
	if tasksDone != s.Tasks || tasksDone != s.TasksCompleted+s.TasksFailed || stepsOK != s.StepsCompleted ||
		attempts != s.StepAttempts || s.SpansExpected != s.Tasks+s.StepAttempts ||
		s.Steps != s.StepsCompleted+s.StepsFailed+s.StepsNotRun {
		t.Errorf("outcomes: tasks %d, completed steps %d, attempts %d; summary %+v", tasksDone, stepsOK, attempts, s)
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
	// Per task, events are in time order; tasks interleave.
	last := map[any]string{}
	for _, ev := range evs {
		ts := ev["timestamp"].(string)
		if prev := last[ev["task_id"]]; ts < prev {
			t.Fatalf("task %v: %s after %s", ev["task_id"], ts, prev)
		}
		last[ev["task_id"]] = ts
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

var prefixRE = regexp.MustCompile(`^([DIWE]), \[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}) #4242\] +(DEBUG|INFO|WARN|ERROR) -- : `)

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
	if len(lines) != s.LogLines || s.LogFileLines != len(lines) || s.PlainLines != 0 {
		t.Fatalf("%d lines, summary %d/%d", len(lines), s.LogLines, s.LogFileLines)
	}
	order := []string{"timestamp", "correlation_id", "component", "message", "environment", "tasker_version", "process_id", "thread_id", "entity_type"}
	byName := map[string]int{}
	prevTime := ""
	for _, l := range lines {
		m := prefixRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("no Rails prefix: %s", l)
		}
		if m[1] != m[3][:1] || len(m[0]) != len("I, [2026-11-22T10:00:00.123456 #4242]  INFO -- : ") {
			t.Fatalf("bad prefix %q", m[0])
		}
		if m[2] < prevTime {
			t.Fatalf("prefix time %s before %s", m[2], prevTime)
		}
		prevTime = m[2]
		body := l[len(m[0]):]
		dec := json.NewDecoder(strings.NewReader(body))
		var keys []string
		var rec map[string]any
		if err := json.Unmarshal([]byte(body), &rec); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		tok, _ := dec.Token()
		for dec.More() && tok != nil {
			k, _ := dec.Token()
			keys = append(keys, k.(string))
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
		if strings.Join(keys[:len(order)], ",") != strings.Join(order, ",") {
			t.Fatalf("keys %v", keys)
		}
		if _, ok := rec["level"]; ok {
			t.Fatal("Tasker's JSON has no level key")
		}
		ts := rec["timestamp"].(string)
		if len(ts) != len("2026-11-22T10:00:00.000Z") || !strings.HasPrefix(m[2], ts[:len(ts)-1]) {
			t.Fatalf("timestamp %s vs prefix %s", ts, m[2])
		}
		name := rec["entity_type"].(string) + "." + rec["event_type"].(string)
		if rec["entity_type"] == "step" && (rec["event_type"] == "completed" || rec["event_type"] == "failed") {
			if _, ok := rec["duration_ms"].(float64); !ok {
				t.Fatalf("no duration_ms: %s", body)
			}
			if m[3] != map[any]string{"completed": "INFO", "failed": "ERROR"}[rec["event_type"]] {
				t.Fatalf("level %s for %s", m[3], name)
			}
		}
		byName[rec["message"].(string)]++
	}
	if s.LogLinesByName["step.completed"] != byName["Step completed"] || s.LogLinesByName["task.start_requested"] != byName["Task started"] ||
		s.LogLinesByName["observability.step.backoff"] != byName["Step backoff"] || byName["Step backoff"] == 0 {
		t.Fatalf("by name %v, summary %v", byName, s.LogLinesByName)
	}
	// Info level: no orchestration lines; every task and step event is there.
	for name, n := range s.EventsByName {
		got := s.LogLinesByName[name]
		if strings.HasPrefix(name, "workflow.") {
			got = s.LogLinesByName["orchestration."+strings.TrimPrefix(name, "workflow.")]
			if got != 0 {
				t.Errorf("orchestration line at info level: %s", name)
			}
		} else if got != n {
			t.Errorf("%s: %d events, %d log lines", name, n, got)
		}
	}
}

func TestLogFormats(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.log")
	sp := filepath.Join(dir, "s.json")
	common := []string{"--tasks", "10", "--fail", "0.4", "--log-file", p, "--summary", sp}

	runArgs(t, append(common, "--log-prefix=false", "--log-level", "debug")...)
	s := readSummary(t, sp)
	orch := 0
	for _, l := range readLines(t, p) {
		if !strings.HasPrefix(l, `{"timestamp":"`) {
			t.Fatalf("unprefixed line: %s", l)
		}
		if strings.Contains(l, `"entity_type":"orchestration"`) {
			orch++
		}
	}
	if orch == 0 || orch != s.LogLinesByName["orchestration.viable_steps_discovered"]+s.LogLinesByName["orchestration.task_started"]+
		s.LogLinesByName["orchestration.steps_execution_started"]+s.LogLinesByName["orchestration.steps_execution_completed"]+
		s.LogLinesByName["orchestration.task_finalization_started"]+s.LogLinesByName["orchestration.task_finalization_completed"]+
		s.LogLinesByName["orchestration.task_reenqueue_delayed"] || s.LogLines != s.EventsTotal {
		t.Fatalf("debug level: %d orchestration lines, summary %+v", orch, s)
	}

	runArgs(t, append(common, "--log-format", "logfmt")...)
	for _, l := range readLines(t, p) {
		m := prefixRE.FindString(l)
		if m == "" || !strings.HasPrefix(l[len(m):], `timestamp="2026-11-22T10:00:`) || !strings.Contains(l, ` tasker_version="0.1.0" process_id=4242 `) {
			t.Fatalf("logfmt line: %s", l)
		}
		if strings.Contains(l, `message="Step failed"`) && !strings.Contains(l, ` backtrace=["app/tasks/`) {
			t.Fatalf("logfmt failure line: %s", l)
		}
	}

	runArgs(t, append(common, "--log-format", "pretty")...)
	s = readSummary(t, sp)
	lines := readLines(t, p)
	records := 0
	var cur []string
	for _, l := range lines {
		if m := prefixRE.FindString(l); m != "" {
			if l[len(m):] != "{" {
				t.Fatalf("pretty record starts with %q", l)
			}
			cur = []string{"{"}
			continue
		}
		cur = append(cur, l)
		if l == "}" {
			var rec map[string]any
			if err := json.Unmarshal([]byte(strings.Join(cur, "\n")), &rec); err != nil {
				t.Fatal(err)
			}
			records++
		} else if !strings.HasPrefix(l, "  ") {
			t.Fatalf("pretty line %q", l)
		}
	}
	if records != s.LogLines || len(lines) != s.LogFileLines || len(lines) < 10*records {
		t.Fatalf("%d records in %d lines, summary %d/%d", records, len(lines), s.LogLines, s.LogFileLines)
	}
}

func TestPlainLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.log")
	r := runArgs(t, "--tasks", "20", "--log-file", p, "--plain-lines", "25")
	s := parseSummary(t, r.stdout)
	lines := readLines(t, p)
	var positions []int
	for i, l := range lines {
		m := prefixRE.FindString(l)
		if m == "" {
			t.Fatalf("no prefix: %s", l)
		}
		if !strings.HasPrefix(l[len(m):], "{") {
			positions = append(positions, i)
		}
	}
	if len(positions) != 25 || s.PlainLines != 25 || s.LogLines+s.PlainLines != len(lines) || s.LogFileLines != len(lines) {
		t.Fatalf("%d plain lines at %v; summary %d + %d, file %d", len(positions), positions, s.LogLines, s.PlainLines, len(lines))
	}
	// Spread evenly: gaps of about lines/25.
	gap := len(lines) / 25
	for i := 1; i < len(positions); i++ {
		if d := positions[i] - positions[i-1]; d < gap-2 || d > gap+2 {
			t.Fatalf("plain lines at %v, gap %d", positions, gap)
		}
	}
	// Identical on a second run.
	before, _ := os.ReadFile(p)
	runArgs(t, "--tasks", "20", "--log-file", p, "--plain-lines", "25")
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Fatal("plain lines differ between runs")
	}
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

// server records what taskergen posts.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte // accepted, decompressed
	reqs     []*http.Request
	times    []time.Time
	respond  func(n int, w http.ResponseWriter) bool // true: answered (not accepted)
	secret   string
	signWire bool
	errs     []string
}

func newServer(t *testing.T, secret string, respond func(int, http.ResponseWriter) bool) *server {
	s := &server{secret: secret, respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, r)
		s.times = append(s.times, time.Now())
		if s.respond != nil && s.respond(n, w) {
			return
		}
		wire, _ := io.ReadAll(r.Body)
		body := wire
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(wire))
			if err != nil {
				s.errs = append(s.errs, err.Error())
				w.WriteHeader(400)
				return
			}
			body, _ = io.ReadAll(zr)
		}
		if s.secret != "" {
			signed := body
			if s.signWire {
				signed = wire
			}
			m := hmac.New(sha256.New, []byte(s.secret))
			m.Write(signed)
			want := "sha256=" + hex.EncodeToString(m.Sum(nil))
			if !hmac.Equal([]byte(r.Header.Get("X-Tasker-Signature")), []byte(want)) {
				s.errs = append(s.errs, "bad signature "+r.Header.Get("X-Tasker-Signature"))
				w.WriteHeader(401)
				return
			}
		}
		s.bodies = append(s.bodies, body)
		w.WriteHeader(202)
	}))
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("test server on %s", s.URL)
	}
	t.Cleanup(s.Close)
	return s
}

func TestHTTPSignedBatches(t *testing.T) {
	for _, tc := range []struct {
		format         string
		gzip, signWire bool
	}{{"array", false, false}, {"ndjson", false, false}, {"array", true, false}, {"ndjson", true, true}} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			srv := newServer(t, "s3cr3t", nil)
			srv.signWire = tc.signWire
			args := []string{"--seed", "5", "--tasks", "25", "--fail", "0.3", "--http", srv.URL + "/v1/events",
				"--http-format", tc.format, "--batch", "40", "--secret", "s3cr3t",
				"--gzip=" + strconv.FormatBool(tc.gzip), "--sign-compressed=" + strconv.FormatBool(tc.signWire)}
			r := runArgs(t, args...)
			if r.code != 0 || len(srv.errs) > 0 {
				t.Fatalf("exit %d: %s %v", r.code, r.stderr, srv.errs)
			}
			s := parseSummary(t, r.stdout) // events go elsewhere: summary on stdout
			var all []event
			for i, b := range srv.bodies {
				var evs []event
				if tc.format == "array" {
					if b[0] != '[' {
						t.Fatalf("body %d is not an array", i)
					}
					dec := json.NewDecoder(bytes.NewReader(b))
					dec.UseNumber()
					if err := dec.Decode(&evs); err != nil {
						t.Fatal(err)
					}
				} else {
					if bytes.Count(b, []byte{'\n'}) != bytes.Count(b, []byte(`{"event":`)) {
						t.Fatalf("body %d is not NDJSON", i)
					}
					evs = decodeEvents(t, string(b))
				}
				if len(evs) > 40 || (i < len(srv.bodies)-1 && len(evs) != 40) {
					t.Fatalf("batch %d has %d events", i, len(evs))
				}
				all = append(all, evs...)
			}
			checkCounts(t, all, s)
			wantType := map[string]string{"array": "application/json", "ndjson": "application/x-ndjson"}[tc.format]
			for _, req := range srv.reqs {
				if req.Method != "POST" || req.URL.Path != "/v1/events" || req.Header.Get("Content-Type") != wantType {
					t.Fatalf("request %s %s %s", req.Method, req.URL, req.Header.Get("Content-Type"))
				}
			}
			if s.HTTPRequests != len(srv.reqs) || s.HTTPBatches != len(srv.bodies) || s.HTTPRetries != 0 ||
				s.HTTPEvents != s.EventsTotal || s.HTTPBatches != (s.EventsTotal+39)/40 {
				t.Fatalf("summary %+v, server %d requests", s, len(srv.reqs))
			}
			// Same seed: the same bodies.
			srv2 := newServer(t, "s3cr3t", nil)
			srv2.signWire = tc.signWire
			args[7] = srv2.URL + "/v1/events"
			runArgs(t, args...)
			if fmt.Sprint(srv2.bodies) != fmt.Sprint(srv.bodies) {
				t.Fatal("bodies differ between identical runs")
			}
		})
	}
}

func TestHTTPNoSecretNoHeader(t *testing.T) {
	srv := newServer(t, "", nil)
	r := runArgs(t, "--tasks", "2", "--http", srv.URL, "-H", "Authorization: Bearer tok")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, req := range srv.reqs {
		if req.Header.Get("X-Tasker-Signature") != "" || req.Header.Get("Authorization") != "Bearer tok" {
			t.Fatalf("headers %v", req.Header)
		}
	}
}

func TestHTTPRetryAfter(t *testing.T) {
	srv := newServer(t, "k", func(n int, w http.ResponseWriter) bool {
		switch n {
		case 0:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(503)
			return true
		case 1:
			w.WriteHeader(429) // no Retry-After: --http-retry-initial
			return true
		}
		return false
	})
	r := runArgs(t, "--tasks", "4", "--http", srv.URL, "--secret", "k", "--batch", "1000", "--http-retry-initial", "10ms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	s := parseSummary(t, r.stdout)
	if len(srv.reqs) != 3 || len(srv.bodies) != 1 || s.HTTPRequests != 3 || s.HTTPRetries != 2 || s.HTTPBatches != 1 || s.HTTPEvents != s.EventsTotal {
		t.Fatalf("server %d requests, %d accepted; summary %+v", len(srv.reqs), len(srv.bodies), s)
	}
	if d := srv.times[1].Sub(srv.times[0]); d < 950*time.Millisecond || d > 5*time.Second {
		t.Fatalf("Retry-After: 1 honored as %v", d)
	}
	if d := srv.times[2].Sub(srv.times[1]); d < 10*time.Millisecond || d > 2*time.Second {
		t.Fatalf("backoff %v", d)
	}
	checkCounts(t, decodeEventsArray(t, srv.bodies[0]), s)
}

func decodeEventsArray(t *testing.T, b []byte) []event {
	var evs []event
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&evs); err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestHTTPGivesUp(t *testing.T) {
	srv := newServer(t, "", func(n int, w http.ResponseWriter) bool {
		w.WriteHeader(503)
		return true
	})
	r := runArgs(t, "--tasks", "2", "--http", srv.URL, "--http-retries", "2", "--http-retry-initial", "1ms")
	if r.code != exitFailed || len(srv.reqs) != 3 || !strings.Contains(r.stderr, "503 Service Unavailable after 3 attempts") {
		t.Fatalf("exit %d, %d requests: %s", r.code, len(srv.reqs), r.stderr)
	}
	s := parseSummary(t, r.stdout) // the summary is still written
	if s.HTTPRequests != 3 || s.HTTPRetries != 2 || s.HTTPBatches != 0 {
		t.Fatalf("summary %+v", s)
	}
}

func TestHTTPFailsWithBody(t *testing.T) {
	srv := newServer(t, "", func(n int, w http.ResponseWriter) bool {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"item 3: task_id: must be an integer"}`)
		return true
	})
	r := runArgs(t, "--tasks", "2", "--http", srv.URL)
	if r.code != exitFailed || len(srv.reqs) != 1 || !strings.Contains(r.stderr, `400 Bad Request: {"error":"item 3: task_id: must be an integer"}`) {
		t.Fatalf("exit %d, %d requests: %s", r.code, len(srv.reqs), r.stderr)
	}
}

func TestHTTPNoRedirect(t *testing.T) {
	other := newServer(t, "", nil)
	srv := newServer(t, "", func(n int, w http.ResponseWriter) bool {
		w.Header().Set("Location", other.URL)
		w.WriteHeader(307)
		return true
	})
	r := runArgs(t, "--tasks", "1", "--http", srv.URL)
	if r.code != exitFailed || len(other.reqs) != 0 {
		t.Fatalf("exit %d, redirect target got %d requests", r.code, len(other.reqs))
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"3": 3 * time.Second, " 0 ": 0, "Sun, 22 Nov 2026 10:00:07 GMT": 7 * time.Second,
		"Sun, 22 Nov 2026 09:00:00 GMT": 0,
	} {
		if got, ok := retryAfter(v, now); !ok || got != want {
			t.Errorf("retryAfter(%q) = %v %v, want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon"} {
		if _, ok := retryAfter(v, now); ok {
			t.Errorf("retryAfter(%q) accepted", v)
		}
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
		if prefixRE.FindString(sc.Text()) == "" {
			t.Fatalf("stdout log line %q", sc.Text())
		}
		n++
	}
	if n != s.LogLines+4 || s.PlainLines != 4 || s.StdoutEvents != 0 {
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
