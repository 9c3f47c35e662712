// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Checks that the simulation publishes and logs as Tasker's code does
// (tasker-reference §1.2, §1.8, §7.1, §10).

func get(t *testing.T, e *Item, k string) (Value, bool) {
	t.Helper()
	return Get(e.Fields, k)
}

func text(e *Item, k string) string {
	v, ok := Get(e.Fields, k)
	if !ok {
		return "<absent>"
	}
	if v.Kind == KindNull {
		return "null"
	}
	b := v.AppendJSON(nil)
	return strings.Trim(string(b), `"`)
}

// steps groups a task's step publications per (step, attempt), in order.
func attempts(evs []Event) map[string][]*Item {
	out := map[string][]*Item{}
	for i := range evs {
		e := &evs[i]
		if e.Name != "" && e.StepID != 0 && e.Name != StepBackoff {
			k := fmt.Sprint(e.StepID, "/", e.Attempt)
			out[k] = append(out[k], e)
		}
	}
	return out
}

func TestAttemptPublications(t *testing.T) {
	evs := mustGenerate(t, opts(func(o *Options) { o.Tasks = 60; o.FailProb = 0.4 }))
	fails := 0
	for k, seq := range attempts(evs) {
		var got []string
		for _, e := range seq {
			got = append(got, e.Name+"/"+e.Publisher+"/"+text(e, "attempt_number"))
		}
		n := seq[0].Attempt
		term := seq[len(seq)-1].Name
		want := []string{}
		for _, p := range []string{"executor", "state_machine", "handler"} {
			want = append(want, fmt.Sprintf("%s/%s/%d", StepExecutionRequested, p, n-1))
		}
		want = append(want, fmt.Sprintf("%s/handler/%d", StepBeforeHandle, n-1), fmt.Sprintf("%s/handler/%d", term, n-1),
			fmt.Sprintf("%s/state_machine/%d", term, n), fmt.Sprintf("%s/executor/%d", term, n))
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("attempt %s:\n got %v\nwant %v", k, got, want)
		}
		for _, e := range seq {
			ts := text(e, "timestamp")
			if len(ts) != len("2026-11-22T10:00:00Z") {
				t.Fatalf("builder timestamp %s", ts)
			}
			_, hasFrom := get(t, e, "from_state")
			if hasFrom != (e.Publisher == "state_machine") || hasFrom && (text(e, "from_state") != "null" || len(text(e, "transitioned_at")) != 24) {
				t.Fatalf("%s from %s: from_state %s transitioned_at %s", e.Name, e.Publisher, text(e, "from_state"), text(e, "transitioned_at"))
			}
			if e.Name == StepCompleted && e.Publisher == "executor" {
				if v, _ := get(t, e, "execution_duration"); !(v.Float() < 0 && v.Float() > -0.001) {
					t.Fatalf("executor execution_duration %v", v.Float())
				}
			}
			if e.Name == StepFailed {
				bt, _ := get(t, e, "backtrace")
				if text(e, "exception_class") != "StandardError" || (e.Publisher == "state_machine") != (bt.Kind == KindString) ||
					(e.Publisher == "state_machine") == (text(e, "error_class") != "<absent>") {
					t.Fatalf("%s step.failed: exception_class %s error_class %s backtrace kind %d", e.Publisher,
						text(e, "exception_class"), text(e, "error_class"), bt.Kind)
				}
				if e.Publisher == "state_machine" && !strings.Contains(text(e, "step_results"), e.Failure.ErrorClass) ||
					e.Publisher != "state_machine" && text(e, "error_class") != e.Failure.ErrorClass {
					t.Fatalf("the real class %s is not in %s's payload", e.Failure.ErrorClass, e.Publisher)
				}
				fails++
			}
		}
	}
	if fails == 0 {
		t.Fatal("no failure")
	}
}

func TestTaskPublications(t *testing.T) {
	evs := mustGenerate(t, opts(func(o *Options) { o.Tasks = 60; o.FailProb = 0.4 }))
	type tally struct{ starts, smStarts, runs, ends, smEnds, enqueues int }
	per := map[int64]*tally{}
	for i := range evs {
		e := &evs[i]
		if per[e.TaskID] == nil {
			per[e.TaskID] = &tally{}
		}
		c := per[e.TaskID]
		_, sm := Get(e.Fields, "from_state")
		switch {
		case e.Occ == OccRunStarted:
			c.runs++
		case e.Name == TaskStartRequested && sm:
			c.smStarts++
		case e.Name == TaskStartRequested:
			c.starts++
		case e.Name == TaskEnqueue:
			c.enqueues++
		case (e.Name == TaskCompleted || e.Name == TaskFailed) && sm:
			c.smEnds++
			if text(e, "event_type") != "<absent>" || text(e, "total_steps") != "<absent>" {
				t.Fatalf("thin state-machine payload expected: %s", AppendObject(nil, "", "", e.Fields))
			}
		case e.Name == TaskCompleted || e.Name == TaskFailed:
			c.ends++
			if c.smEnds != 1 {
				t.Fatalf("task %d: the finalizer's %s before the state machine's", e.TaskID, e.Name)
			}
			if text(e, "completion_percentage") == "<absent>" || strings.ContainsAny(text(e, "completion_percentage")[:1], "-") {
				t.Fatal("no completion_percentage")
			}
			if v, _ := Get(e.Fields, "completion_percentage"); v.Kind != KindString {
				t.Fatalf("completion_percentage is a %d, not a string", v.Kind)
			}
			if e.Name == TaskCompleted && (text(e, "completion_percentage") != "100.0" || !strings.HasPrefix(text(e, "task"), `{"task_id":`)) {
				t.Fatalf("finalizer's task.completed: %s", AppendObject(nil, "", "", e.Fields))
			}
		}
	}
	retried := 0
	for id, c := range per {
		// task.start_requested once at creation and twice per run that starts it;
		// the end twice; observability.task.enqueue at creation and per run.
		if c.ends != 1 || c.smEnds != 1 || c.starts-1 != c.smStarts || c.smStarts > c.runs || c.enqueues != c.runs+1 {
			t.Fatalf("task %d: %+v", id, *c)
		}
		if c.runs > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Fatal("no task ran twice")
	}
}

func TestDAGAndBackoff(t *testing.T) {
	evs := mustGenerate(t, opts(func(o *Options) { o.Shapes = []WeightedShape{{Diamond, 1}, {FanOut, 1}} }))
	done := map[int64]time.Time{}
	next := map[int64]time.Time{}
	dags := map[string]DAG{"inventory_reconciliation": BuildDAG(Diamond, 0, 0), "report_generation": BuildDAG(FanOut, 0, 4)}
	bases := map[int64]int64{}
	for i := range evs {
		e := &evs[i]
		if e.Occ == OccTaskCreated {
			bases[e.TaskID] = 0
		}
		if e.StepID == 0 {
			continue
		}
		if b, ok := bases[e.TaskID]; !ok || b == 0 || e.StepID < b {
			bases[e.TaskID] = e.StepID // steps run in topological order: the first is the root
		}
		switch e.Occ {
		case OccAttemptStarted:
			d := dags[e.TaskName]
			for _, p := range d.Parents[e.StepID-bases[e.TaskID]] {
				if pt, ok := done[bases[e.TaskID]+int64(p)]; !ok || pt.After(e.Time) {
					t.Fatalf("step %d started before its parent %d completed", e.StepID, p)
				}
			}
			if w, ok := next[e.StepID]; ok && e.Time.Before(w) {
				t.Fatalf("step %d retried at %s before its backoff ended at %s", e.StepID, e.Time, w)
			}
		case OccAttemptCompleted:
			done[e.StepID] = e.Time
		case OccBackoff:
			next[e.StepID] = e.Time.Add(e.Duration)
		}
	}
	if len(next) == 0 {
		t.Fatal("no backoff")
	}
}

func TestCopiesOptions(t *testing.T) {
	none := mustGenerate(t, opts(func(o *Options) { o.DuplicateProb = 0; o.Tasks = 30 }))
	for _, e := range none {
		if e.Copy > 0 {
			t.Fatalf("copy of %s published with DuplicateProb 0", e.Name)
		}
	}
	exact := mustGenerate(t, opts(func(o *Options) { o.ExactDuplicates = true; o.Tasks = 30 }))
	var prim = map[string]string{}
	for _, e := range exact {
		if e.Name == StepCompleted && e.Copy == 0 {
			prim[fmt.Sprint(e.StepID, e.Attempt)] = string(AppendObject(nil, "", "", e.Fields))
		}
	}
	n := 0
	for _, e := range exact {
		if e.Name == StepCompleted && e.Copy > 0 {
			if string(AppendObject(nil, "", "", e.Fields)) != prim[fmt.Sprint(e.StepID, e.Attempt)] {
				t.Fatal("exact copy differs from its primary")
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no copies")
	}
}

func TestThreadsAndJobs(t *testing.T) {
	evs := mustGenerate(t, opts(func(o *Options) { o.Tasks = 80 }))
	corr := map[string]string{}
	runs := map[string]bool{}
	slow := 0
	for _, e := range evs {
		l := e.Log
		if l == nil || l.Plain {
			continue
		}
		if e.StepID != 0 {
			k := fmt.Sprint(l.Process, "/", l.ThreadID)
			if c, ok := corr[k]; ok && c != l.Corr {
				t.Fatalf("pool thread %s: correlation %s then %s", k, c, l.Corr)
			}
			corr[k] = l.Corr
			if l.Tags != "" {
				t.Fatal("tags on a pool thread")
			}
		}
		if op, _ := Get(l.Fields, "operation"); l.Text == "Performance measurement" && op.Str == "single_step_execution" {
			// The slow-only record logs attempt_count after the increment: n.
			if v, _ := Get(l.Fields, "attempt_count"); v.Num != int64(e.Attempt) || e.Attempt == 0 {
				t.Fatalf("single_step_execution attempt_count %d for attempt %d", v.Num, e.Attempt)
			}
			slow++
		}
		if l.Text == "TaskRunnerJob execution started" {
			if runs[l.Corr] || !strings.HasPrefix(l.Tags, "[ActiveJob] [Tasker::TaskRunnerJob] [") || l.Process == 0 {
				t.Fatalf("job run: %+v", *l)
			}
			runs[l.Corr] = true
			if v, _ := Get(l.Fields, "attempt"); v.Num < 2 {
				t.Fatalf("attempt %d: Tasker logs executions+1", v.Num)
			}
		}
	}
	if len(corr) < 4 || len(runs) < 80 || slow == 0 {
		t.Fatalf("%d pool threads, %d runs, %d single_step_execution records", len(corr), len(runs), slow)
	}
}

func TestAutoIDs(t *testing.T) {
	for seed, want := range map[uint64][2]int64{1: {1, 1}, 2: {1_000_001, 100_000_001}, 0: {999_999_000_001, 99_999_900_000_001}} {
		a, b := AutoIDs(seed)
		if a != want[0] || b != want[1] {
			t.Errorf("seed %d: %d %d", seed, a, b)
		}
	}
	o := opts(func(o *Options) { o.FirstTaskID = 500 })
	if evs := mustGenerate(t, o); evs[0].TaskID != 500 || evs[0].StepID != 0 {
		t.Fatalf("first task %d", evs[0].TaskID)
	}
}
