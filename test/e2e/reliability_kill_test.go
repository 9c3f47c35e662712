// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const reliabilityBatch = 100 // events per taskergen request

// TestE2EReliabilityKillHTTP: kill -9 of the collector (otelcol-config.yaml as shipped)
// under taskergen HTTP load, restarted at once. Every event answered 200 is in the
// json and csv files, no record is torn, and every expected span is there.
//
// Duplicates bound (at-least-once): a request is repeated only when taskergen did not
// get its answer (in flight at the kill, or refused), and each repeat adds at most its
// batch, so log duplicates ≤ http_retries × batch. Spans the same, plus taskergen's
// duplicate completions (the de-duplication window is in memory: a copy sent after a
// restart gives its span again).
func TestE2EReliabilityKillHTTP(t *testing.T) {
	p := reliabilityProfile()
	s := newDurableRun(t)
	c := s.start(t)
	out := filepath.Join(s.dir, "out")
	g := startGen(t, s.dir, s.events, "--seed", "21", "--tasks", strconv.Itoa(p.httpTasks),
		"--batch", strconv.Itoa(reliabilityBatch), "--rate", fmt.Sprint(p.httpRate), "--duplicates", "0.05")
	logs := newCounter(filepath.Join(out, "json"), "logs", "json")
	want := p.httpTasks * 30 // fewer than the events of the run (about 38 a task)
	for k := 1; k <= p.kills; k++ {
		waitLines(t, logs, want*k/(p.kills+1), 2*time.Minute, fmt.Sprintf("log records before kill %d", k))
		c.kill9(t)
		c = s.start(t)
	}
	sum := g.wait(t, 5*time.Minute)
	sent := sentEvents(t, g.events)
	f := httpFigures(t, out, sent, sum, sum.HTTPRetries*reliabilityBatch)
	require.LessOrEqual(t, f.SpanDups, sum.HTTPRetries*reliabilityBatch+sum.DuplicatesEmitted)
	f.Case, f.Profile = fmt.Sprintf("kill -9 under HTTP load (%d kills)", p.kills), p.name
	report(t, f)
	c.alive(t)
	c.stop(t)
}

// TestE2EReliabilityKillTail: kill -9 while the collector tails a growing Tasker log
// file, restarted at once; the writer goes on. Every line is in the files.
//
// Duplicates bound: the fileconsumer saves its checkpoint after each poll, and a poll
// ends only once every line it read was written (the pipeline waits for the
// exporters), so after a kill exactly the lines read since the last saved checkpoint
// are read again: per kill one contiguous run of lines, each repeated once, no longer
// than what the files held at the kill (in practice the last poll's lines).
func TestE2EReliabilityKillTail(t *testing.T) {
	p := reliabilityProfile()
	s := newDurableRun(t)
	c := s.start(t)
	out := filepath.Join(s.dir, "out")
	w := startLineWriter(t, filepath.Join(s.dir, "out", "demo", "tasker.log"), p.tailLines, p.tailRate)
	logs := newCounter(filepath.Join(out, "json"), "logs", "json")
	atKill := 0
	for k := 1; k <= p.kills; k++ {
		waitLines(t, logs, p.tailLines*k/(p.kills+1), 2*time.Minute, fmt.Sprintf("lines before kill %d", k))
		c.kill9(t)
		atKill = logs.lines(t)
		c = s.start(t)
	}
	w.wait(t)
	settleLines(t, 90*time.Second, p.tailLines, logs, newCounter(filepath.Join(out, "csv"), "logs", "csv"))
	seen := tailRecords(t, out)
	f := figures{Acked: p.tailLines, DupBound: atKill}
	runs, prev := 0, -2
	for i := range p.tailLines {
		n := seen[strconv.Itoa(i)]
		if n == 0 {
			f.Lost++
		}
		if n > 1 {
			f.Duplicated += n - 1
			require.LessOrEqual(t, n, 1+p.kills, "line %d repeated more than once per kill", i)
			if i != prev+1 {
				runs++
			}
			prev = i
		}
	}
	_, cspans := csvRecords(t, out) // every csv row complete
	require.NotEmpty(t, cspans)
	require.Zero(t, f.Lost, "lines missing from the files")
	require.LessOrEqual(t, runs, p.kills, "repeated lines form one run per kill (from the last checkpoint)")
	require.LessOrEqual(t, f.Duplicated, atKill, "duplicates beyond at-least-once")
	f.Case, f.Profile = fmt.Sprintf("kill -9 while tailing a log file (%d kills)", p.kills), p.name
	f.Note = fmt.Sprintf("%d run(s) of repeated lines", runs)
	report(t, f)
	c.alive(t)
	c.stop(t)
}

// lineWriter appends numbered Tasker log lines (step i completed) to a file at a rate.
type lineWriter struct{ done chan error }

func startLineWriter(t *testing.T, path string, lines, rate int) *lineWriter {
	t.Helper()
	w := &lineWriter{done: make(chan error, 1)}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	go func() {
		defer f.Close()
		const chunk = 100
		tick := time.NewTicker(time.Second * chunk / time.Duration(rate))
		defer tick.Stop()
		for i := 0; i < lines; {
			var b []byte
			for j := 0; j < chunk && i < lines; j, i = j+1, i+1 {
				b = fmt.Appendf(b, `I, [2026-01-10T10:00:00.000000 #4242]  INFO -- : {"timestamp":"2026-01-10T10:00:00.000Z","correlation_id":"tsk_%d","component":"step_executor","message":"Step completed","environment":"production","tasker_version":"0.1.0","process_id":4242,"entity_type":"step","entity_id":%d,"entity_name":"s","event_type":"completed","task_id":%d,"task_name":"t","duration_ms":12}`+"\n", i, i, i/10)
			}
			if _, err := f.Write(b); err != nil {
				w.done <- err
				return
			}
			<-tick.C
		}
		w.done <- nil
	}()
	return w
}

func (w *lineWriter) wait(t *testing.T) {
	t.Helper()
	require.NoError(t, <-w.done)
}

// tailRecords counts the json log records of the tailed file by line number (the
// step id), and checks that every json and csv record parses.
func tailRecords(t *testing.T, out string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for _, p := range outputs(t, filepath.Join(out, "json"), "logs", "json") {
		eachJSONLine(t, p, func(m map[string]any) {
			a, _ := m["attributes"].(map[string]any)
			seen[anyString(a["tasker.step.id"])]++
		})
	}
	return seen
}
