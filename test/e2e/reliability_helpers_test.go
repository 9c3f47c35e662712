// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// profile sizes the reliability suite: short in `make test`, long under `make soak`
// (RELIABILITY_PROFILE=long).
type profile struct {
	name      string
	httpTasks int           // taskergen tasks of the kill -9 case (about 38 events each)
	httpRate  float64       // events/s of taskergen in the kill -9 case
	kills     int           // kill -9 and restarts per kill case
	tailLines int           // lines written to the tailed file
	tailRate  int           // lines/s
	faultTask int           // taskergen tasks of the fault cases
	faultRate float64       // events/s in the fault cases
	fault     time.Duration // how long disk full / unwritable lasts
}

func reliabilityProfile() profile {
	if os.Getenv("RELIABILITY_PROFILE") == "long" {
		return profile{name: "long", httpTasks: 8000, httpRate: 15000, kills: 3, tailLines: 150000, tailRate: 10000,
			faultTask: 2500, faultRate: 4000, fault: 20 * time.Second}
	}
	return profile{name: "short", httpTasks: 1000, httpRate: 15000, kills: 1, tailLines: 20000, tailRate: 10000,
		faultTask: 500, faultRate: 4000, fault: 7 * time.Second}
}

// durableRun is a collector running otelcol-config.yaml as shipped, on free ports, in dir.
type durableRun struct {
	bin, dir, events string
	health           int
	sets             []string
}

func newDurableRun(t *testing.T, extra ...string) *durableRun {
	t.Helper()
	s := &durableRun{bin: tool(t, "OTELCOL_TASKER_BIN"), dir: t.TempDir(), health: freePort(t)}
	port := freePort(t)
	s.events = "http://127.0.0.1:" + strconv.Itoa(port) + "/v1/events"
	s.sets = append([]string{
		"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"receivers::otlp::protocols::http::endpoint=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"receivers::tasker::http::endpoint=127.0.0.1:" + strconv.Itoa(port),
		"receivers::tasker::logs::poll_interval=50ms",
		"extensions::health_check::endpoint=127.0.0.1:" + strconv.Itoa(s.health),
		"extensions::tasker_registry::endpoint=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"processors::tasker_cache::interval=1s",
		"service::telemetry::metrics::level=none",
	}, extra...)
	require.NoError(t, os.MkdirAll(filepath.Join(s.dir, "out", "demo"), 0o755))
	return s
}

func (s *durableRun) start(t *testing.T) *collector {
	t.Helper()
	return startCollector(t, s.bin, s.dir, repoFile(t, "otelcol-config.yaml"), s.health, s.sets...)
}

// kill9 kills the collector with SIGKILL: no shutdown, nothing flushed.
func (c *collector) kill9(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	<-c.done
}

// alive fails the test when the collector exited or its health check does not answer.
func (c *collector) alive(t *testing.T) {
	t.Helper()
	require.Nil(t, c.cmd.ProcessState, "collector exited\n%s", c.output())
	resp, err := http.Get(c.health)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// genSummary is taskergen's summary with the HTTP figures.
type genSummary struct {
	taskergenSummary
	HTTPRequests int `json:"http_requests"`
	HTTPRetries  int `json:"http_retries"`
}

// genRun is taskergen running in the background, its events on a file.
type genRun struct {
	cmd             *exec.Cmd
	done            chan error
	stderr          strings.Builder
	summary, events string
}

// startGen runs taskergen against url, retrying through restarts and 503s, with
// every event it sends written to events (NDJSON).
func startGen(t *testing.T, dir, url string, args ...string) *genRun {
	t.Helper()
	g := &genRun{done: make(chan error, 1), summary: filepath.Join(dir, "gen-summary.json"), events: filepath.Join(dir, "gen-events.ndjson")}
	f, err := os.Create(g.events)
	require.NoError(t, err)
	args = append([]string{"--http", url, "--stdout", "events", "--summary", g.summary, "--quiet",
		"--http-retries", "1000", "--http-retry-initial", "50ms", "--http-retry-max", "500ms", "--http-timeout", "30s"}, args...)
	g.cmd = exec.Command(tool(t, "TASKERGEN_BIN"), args...)
	g.cmd.Stdout, g.cmd.Stderr = f, &g.stderr
	require.NoError(t, g.cmd.Start())
	go func() { g.done <- g.cmd.Wait(); f.Close() }()
	t.Cleanup(func() {
		if g.cmd.ProcessState == nil {
			_ = g.cmd.Process.Kill()
			<-g.done
		}
	})
	return g
}

func (g *genRun) wait(t *testing.T, timeout time.Duration) genSummary {
	t.Helper()
	select {
	case err := <-g.done:
		require.NoError(t, err, "taskergen: %s", g.stderr.String())
	case <-time.After(timeout):
		t.Fatalf("taskergen not done after %s", timeout)
	}
	raw, err := os.ReadFile(g.summary)
	require.NoError(t, err)
	var s genSummary
	require.NoError(t, json.Unmarshal(raw, &s), string(raw))
	return s
}

// eventKey identifies an event, or the log record made of it: name, task, step and
// time (duplicate completions share a key; a multiset counts them).
func eventKey(name, task, step, ts string) string {
	if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		ts = strconv.FormatInt(t.UnixNano(), 10)
	}
	return name + "|" + task + "|" + step + "|" + ts
}

func anyString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// sentEvents is the multiset of the events taskergen sent.
func sentEvents(t *testing.T, path string) map[string]int {
	t.Helper()
	out := map[string]int{}
	eachJSONLine(t, path, func(m map[string]any) {
		out[eventKey(anyString(m["event"]), anyString(m["task_id"]), anyString(m["step_id"]), anyString(m["timestamp"]))]++
	})
	return out
}

// eachJSONLine calls fn with every line of an NDJSON file, failing on a line that
// does not parse (a torn or corrupt record).
func eachJSONLine(t *testing.T, path string, fn func(map[string]any)) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			require.Equal(t, byte('\n'), line[len(line)-1], "%s: last line %d is torn: %.200q", path, n, line)
			var m map[string]any
			require.NoError(t, json.Unmarshal(line, &m), "%s line %d: %.200q", path, n, line)
			fn(m)
		}
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err)
	}
}

// outputs are the files of one signal in a directory: the current one and rotated ones.
func outputs(t *testing.T, dir, signal, ext string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, signal+"*."+ext))
	require.NoError(t, err)
	return m
}

// jsonRecords is the multiset of log records (by eventKey) and of span ids in the
// tasker_json files under out; every line must parse.
func jsonRecords(t *testing.T, out string) (logs, spans map[string]int) {
	t.Helper()
	logs, spans = map[string]int{}, map[string]int{}
	for _, p := range outputs(t, filepath.Join(out, "json"), "logs", "json") {
		eachJSONLine(t, p, func(m map[string]any) {
			a, _ := m["attributes"].(map[string]any)
			logs[eventKey(anyString(m["event_name"]), anyString(a["tasker.task.id"]), anyString(a["tasker.step.id"]), anyString(m["timestamp"]))]++
		})
	}
	for _, p := range outputs(t, filepath.Join(out, "json"), "traces", "json") {
		eachJSONLine(t, p, func(m map[string]any) { spans[anyString(m["span_id"])]++ })
	}
	return logs, spans
}

// csvRecords is the same from the tasker_csv files: every row must have its
// header's columns and every file must end with a complete row.
func csvRecords(t *testing.T, out string) (logs, spans map[string]int) {
	t.Helper()
	logs, spans = map[string]int{}, map[string]int{}
	each := func(p string, fn func(col map[string]int, row []string)) {
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		if len(raw) == 0 {
			return
		}
		require.Equal(t, byte('\n'), raw[len(raw)-1], "%s: torn last row", p)
		rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll() // equal column counts enforced
		require.NoError(t, err, p)
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, r := range rows[1:] {
			fn(col, r)
		}
	}
	for _, p := range outputs(t, filepath.Join(out, "csv"), "logs", "csv") {
		each(p, func(col map[string]int, r []string) {
			var a map[string]any
			require.NoError(t, json.Unmarshal([]byte(r[col["attributes"]]), &a))
			logs[eventKey(r[col["event_name"]], anyString(a["tasker.task.id"]), anyString(a["tasker.step.id"]), r[col["timestamp"]])]++
		})
	}
	for _, p := range outputs(t, filepath.Join(out, "csv"), "traces", "csv") {
		each(p, func(col map[string]int, r []string) { spans[r[col["span_id"]]]++ })
	}
	return logs, spans
}

// compare returns how many of want are missing from got and how many extra got has.
func compare(want, got map[string]int) (lost, dup int) {
	for k, n := range want {
		if g := got[k]; g < n {
			lost += n - g
		}
	}
	for k, g := range got {
		if g > want[k] {
			dup += g - want[k]
		}
	}
	return lost, dup
}

func total(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// figures are what a reliability case reports (and docs/RELIABILITY.md quotes).
type figures struct {
	Case       string `json:"case"`
	Profile    string `json:"profile"`
	Acked      int    `json:"acknowledged"`
	Lost       int    `json:"lost"`
	Duplicated int    `json:"duplicated"`
	DupBound   int    `json:"duplicate_bound"`
	Torn       int    `json:"torn"`
	Spans      int    `json:"spans_distinct"`
	SpansWant  int    `json:"spans_expected"`
	SpanDups   int    `json:"span_duplicates"`
	Retries    int    `json:"http_retries"`
	Note       string `json:"note,omitempty"`
}

// report logs the figures and appends them to $RELIABILITY_REPORT (NDJSON) when set.
func report(t *testing.T, f figures) {
	t.Helper()
	b, err := json.Marshal(f)
	require.NoError(t, err)
	t.Logf("RELIABILITY %s", b)
	if p := os.Getenv("RELIABILITY_REPORT"); p != "" {
		fh, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		_, err = fh.Write(append(b, '\n'))
		require.NoError(t, errors.Join(err, fh.Close()))
	}
}

// counter counts the complete lines of a signal's files (current and rotated)
// incrementally, reading only what was appended since the last call, by inode: a
// rotation neither loses nor repeats lines. Waiting on it costs the collector little
// CPU, unlike reading whole files in a loop.
type counter struct {
	glob string
	seen map[uint64]*fileCount
}

type fileCount struct {
	off   int64
	lines int
}

func newCounter(dir, signal, ext string) *counter {
	return &counter{glob: filepath.Join(dir, signal+"*."+ext), seen: map[uint64]*fileCount{}}
}

func (c *counter) lines(t *testing.T) int {
	t.Helper()
	paths, err := filepath.Glob(c.glob)
	require.NoError(t, err)
	buf := make([]byte, 1<<20)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue // rotated away meanwhile: counted under its new name
		}
		var st syscall.Stat_t
		if syscall.Fstat(int(f.Fd()), &st) == nil {
			fc := c.seen[st.Ino]
			if fc == nil {
				fc = &fileCount{}
				c.seen[st.Ino] = fc
			}
			for {
				n, err := f.ReadAt(buf, fc.off)
				if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
					fc.lines += bytes.Count(buf[:i+1], []byte{'\n'})
					fc.off += int64(i + 1)
				}
				if err != nil || n < len(buf) {
					break
				}
			}
		}
		f.Close()
	}
	n := 0
	for _, fc := range c.seen {
		n += fc.lines
	}
	return n
}

// waitLines waits until c counts at least n lines.
func waitLines(t *testing.T, c *counter, n int, timeout time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for c.lines(t) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d lines after %s, want %d", what, c.lines(t), timeout, n)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// settleLines waits until first counts at least n lines and no counter has changed for a
// second, or until timeout; the caller then checks the files (and reports what is
// missing when the wait ran out).
func settleLines(t *testing.T, timeout time.Duration, n int, first *counter, more ...*counter) {
	t.Helper()
	all := append([]*counter{first}, more...)
	deadline := time.Now().Add(timeout)
	prev := -1
	for time.Now().Before(deadline) {
		sum := 0
		for _, c := range all {
			sum += c.lines(t)
		}
		if first.lines(t) >= n && sum == prev {
			return
		}
		prev = sum
		time.Sleep(time.Second)
	}
}

// httpFigures waits until the files hold every event taskergen got acknowledged and
// nothing more arrives, then checks json and csv: nothing lost, nothing torn (every
// record parses), every expected span, duplicates within bound. It returns the figures
// of the json files.
func httpFigures(t *testing.T, out string, sent map[string]int, s genSummary, bound int) figures {
	t.Helper()
	var f figures
	f.Acked, f.Retries, f.DupBound = total(sent), s.HTTPRetries, bound
	settleLines(t, 90*time.Second, f.Acked, newCounter(filepath.Join(out, "json"), "logs", "json"),
		newCounter(filepath.Join(out, "csv"), "logs", "csv"),
		newCounter(filepath.Join(out, "json"), "traces", "json"),
		newCounter(filepath.Join(out, "csv"), "traces", "csv"))
	logs, spans := jsonRecords(t, out)
	clogs, cspans := csvRecords(t, out)
	f.Lost, f.Duplicated = compare(sent, logs)
	lostCSV, dupCSV := compare(sent, clogs)
	f.Spans, f.SpansWant, f.SpanDups = len(spans), s.SpansExpected, total(spans)-len(spans)
	require.Equal(t, s.EventsTotal, f.Acked, "taskergen got every event acknowledged")
	require.Zero(t, f.Lost, "acknowledged events missing from the json logs")
	require.Zero(t, lostCSV, "acknowledged events missing from the csv logs")
	require.Equal(t, s.SpansExpected, f.Spans, "distinct spans (json)")
	require.Equal(t, s.SpansExpected, len(cspans), "distinct spans (csv)")
	require.LessOrEqual(t, f.Duplicated, bound, "json log duplicates beyond at-least-once")
	require.LessOrEqual(t, dupCSV, bound, "csv log duplicates beyond at-least-once")
	require.LessOrEqual(t, f.SpanDups, bound, "span duplicates beyond at-least-once")
	require.LessOrEqual(t, total(cspans)-len(cspans), bound, "csv span duplicates beyond at-least-once")
	return f
}
