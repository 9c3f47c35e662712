// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

func opts(mod func(*Options)) Options {
	o := Defaults()
	o.Tasks = 200
	o.FailProb = 0.25
	if mod != nil {
		mod(&o)
	}
	return o
}

func mustGenerate(t testing.TB, o Options) []Event {
	t.Helper()
	evs, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func encodeAll(evs []Event) []byte {
	var b []byte
	for i := range evs {
		b = AppendObject(b, "event", evs[i].Name, evs[i].Fields)
		b = append(b, '\n')
	}
	return b
}

func TestDeterminism(t *testing.T) {
	a := mustGenerate(t, opts(nil))
	b := mustGenerate(t, opts(nil))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same options gave different events")
	}
	if string(encodeAll(a)) != string(encodeAll(b)) {
		t.Fatal("same options gave different bytes")
	}
	c := mustGenerate(t, opts(func(o *Options) { o.Seed = 2 }))
	if string(encodeAll(a)) == string(encodeAll(c)) {
		t.Fatal("another seed gave the same events")
	}
}

// A task's events depend only on (seed, task index, options): generating fewer tasks
// gives a prefix of the same tasks.
func TestTasksIndependent(t *testing.T) {
	all := mustGenerate(t, opts(nil))
	few := mustGenerate(t, opts(func(o *Options) { o.Tasks = 20 }))
	var fromAll []Event
	for _, e := range all {
		if e.Task < 20 {
			fromAll = append(fromAll, e)
		}
	}
	if !reflect.DeepEqual(fromAll, few) {
		t.Fatal("the first 20 tasks differ when more tasks are generated")
	}
}

func TestTimeOrder(t *testing.T) {
	evs := mustGenerate(t, opts(nil))
	lastSeq := map[int]int{}
	interleaved := false
	for i := range evs {
		e := &evs[i]
		if i > 0 {
			if e.Time.Before(evs[i-1].Time) {
				t.Fatalf("event %d (%s) at %v before the previous one at %v", i, e.Name, e.Time, evs[i-1].Time)
			}
			if e.Task < evs[i-1].Task {
				interleaved = true
			}
		}
		if s, ok := lastSeq[e.Task]; ok && e.Seq != s+1 {
			t.Fatalf("task %d: seq %d after %d", e.Task, e.Seq, s)
		}
		lastSeq[e.Task] = e.Seq
		ts := e.Fields[0].Value
		if e.Fields[0].Key != "timestamp" || ts.Text() != ISO8601(e.Time, 3) {
			t.Fatalf("%s: timestamp %q, want first and %q", e.Name, ts.Text(), ISO8601(e.Time, 3))
		}
	}
	if !interleaved {
		t.Fatal("tasks are not interleaved")
	}
	if !evs[0].Time.Equal(Defaults().Start) {
		t.Fatalf("first event at %v, want --start", evs[0].Time)
	}
}

// taskDAG rebuilds the DAG a task ran from its name.
func taskDAG(t *testing.T, o Options, name string) DAG {
	for _, s := range []Shape{Linear, Diamond, FanOut} {
		if d := BuildDAG(s, o.Steps, o.Width); d.TaskName == name {
			return d
		}
	}
	t.Fatalf("unknown task name %q", name)
	return DAG{}
}

type stepKey struct {
	task int
	step int64
}

// TestDAGRespected: a step starts only after all its parents completed; attempts are
// numbered 1, 2, ... and each retry follows a failure, a backoff and the backoff's wait.
func TestDAGRespected(t *testing.T) {
	for _, shape := range []string{"linear", "diamond", "fanout"} {
		t.Run(shape, func(t *testing.T) {
			o := opts(func(o *Options) {
				o.Shapes, _ = ParseShapes(shape)
				o.Steps, o.Width = 6, 5
			})
			evs := mustGenerate(t, o)
			completed := map[stepKey]time.Time{}
			attempts := map[stepKey]int{}
			failedAt := map[stepKey]time.Time{}
			backoff := map[stepKey]time.Duration{}
			firstStep := map[int]int64{}
			for i := range evs {
				e := &evs[i]
				if e.StepID == 0 || e.Dup > 0 {
					continue
				}
				if _, ok := firstStep[e.Task]; !ok && e.Name == StepExecutionRequested {
					firstStep[e.Task] = e.StepID // the root is always first
				}
				k := stepKey{e.Task, e.StepID}
				switch e.Name {
				case StepExecutionRequested:
					dag := taskDAG(t, o, e.TaskName)
					idx := int(e.StepID - firstStep[e.Task])
					if dag.Names[idx] != e.StepName {
						t.Fatalf("step %d of %s is %q, want %q", idx, e.TaskName, e.StepName, dag.Names[idx])
					}
					var parents []string
					for _, p := range dag.Parents[idx] {
						pk := stepKey{e.Task, firstStep[e.Task] + int64(p)}
						ct, ok := completed[pk]
						if !ok || ct.After(e.Time) {
							t.Fatalf("task %d: %s started at %v before its parent %s completed", e.Task, e.StepName, e.Time, dag.Names[p])
						}
						parents = append(parents, dag.Names[p])
					}
					deps, _ := Get(e.Fields, "step_dependencies")
					if !slices.Equal(deps.Strings(), parents) && !(len(parents) == 0 && len(deps.Strings()) == 0) {
						t.Fatalf("step_dependencies %v, want %v", deps.Strings(), parents)
					}
					attempts[k]++
					if e.Attempt != attempts[k] {
						t.Fatalf("attempt_number %d, want %d", e.Attempt, attempts[k])
					}
					if e.Attempt > max(o.RetryLimit, 1) {
						t.Fatalf("attempt %d beyond retry_limit %d", e.Attempt, o.RetryLimit)
					}
					if e.Attempt > 1 {
						if e.Time.Before(failedAt[k].Add(backoff[k])) {
							t.Fatalf("retry at %v before the backoff ended (%v + %v)", e.Time, failedAt[k], backoff[k])
						}
					}
				case StepRetryRequested:
					if _, ok := backoff[k]; !ok {
						t.Fatalf("retry without a backoff")
					}
				case StepCompleted:
					if _, dup := completed[k]; dup {
						t.Fatalf("step completed twice")
					}
					completed[k] = e.Time
				case StepFailed:
					failedAt[k] = e.Time
					delete(backoff, k)
				case StepBackoff:
					if !e.Time.Equal(failedAt[k]) {
						t.Fatalf("backoff not at the failure")
					}
					backoff[k] = e.Duration
				}
			}
		})
	}
}

// recount is an independent count of a stream, from the events only.
func recount(t *testing.T, evs []Event) *Tally {
	r := NewTally()
	type stepState struct {
		completed, failed bool
		lastFailFinal     bool
	}
	steps := map[stepKey]*stepState{}
	for i := range evs {
		e := &evs[i]
		r.Events++
		r.ByName[e.Name]++
		if e.Dup > 0 {
			r.Duplicates++
			r.DupByName[e.Name]++
			continue
		}
		k := stepKey{e.Task, e.StepID}
		st := steps[k]
		if st == nil && e.StepID != 0 {
			st = &stepState{}
			steps[k] = st
		}
		switch e.Name {
		case TaskInitializeRequested:
			r.Tasks++
			ts, _ := Get(e.Fields, "task_id")
			if ts.Num == 0 && ts.Str == "" {
				t.Fatal("no task_id")
			}
		case TaskCompleted, TaskFailed:
			total, _ := Get(e.Fields, "total_steps")
			r.Steps += int(total.Num)
			if e.Name == TaskCompleted {
				r.TasksCompleted++
			} else {
				r.TasksFailed++
			}
		case StepExecutionRequested:
			r.StepAttempts++
			st.lastFailFinal = false
		case StepCompleted:
			r.AttemptsCompleted++
			st.completed = true
		case StepFailed:
			r.AttemptsFailed++
			st.lastFailFinal = true
		case StepRetryRequested:
			r.Retries++
		case StepBackoff:
			r.Backoffs++
			st.lastFailFinal = false // this failure will be retried
		}
	}
	for _, st := range steps {
		if st.completed {
			r.StepsCompleted++
		} else if st.lastFailFinal {
			r.StepsFailed++
		}
	}
	return r
}

func TestTallyMatchesEvents(t *testing.T) {
	for _, o := range []Options{
		opts(nil),
		opts(func(o *Options) { o.FailProb, o.RetryableProb, o.RetryLimit = 0.5, 0.5, 2 }),
		opts(func(o *Options) { o.Orchestration, o.DuplicateProb = false, 0.9 }),
	} {
		evs := mustGenerate(t, o)
		tally := NewTally()
		for i := range evs {
			tally.Add(&evs[i])
		}
		want := recount(t, evs)
		want.First, want.Last = evs[0].Time, evs[len(evs)-1].Time
		if !reflect.DeepEqual(tally, want) {
			t.Fatalf("tally\n%+v\nrecount\n%+v", tally, want)
		}
		// Invariants the README states.
		sum, dups := 0, 0
		for _, n := range tally.ByName {
			sum += n
		}
		for _, n := range tally.DupByName {
			dups += n
		}
		switch {
		case tally.Tasks != o.Tasks, tally.Tasks != tally.TasksCompleted+tally.TasksFailed:
			t.Errorf("tasks %d = %d + %d", tally.Tasks, tally.TasksCompleted, tally.TasksFailed)
		case sum != tally.Events, dups != tally.Duplicates:
			t.Errorf("events %d (sum %d), duplicates %d (sum %d)", tally.Events, sum, tally.Duplicates, dups)
		case tally.StepAttempts != tally.AttemptsCompleted+tally.AttemptsFailed:
			t.Errorf("attempts %d != %d + %d", tally.StepAttempts, tally.AttemptsCompleted, tally.AttemptsFailed)
		case tally.Retries != tally.Backoffs, tally.Retries != tally.AttemptsFailed-tally.StepsFailed:
			t.Errorf("retries %d, backoffs %d, failed attempts %d, failed steps %d", tally.Retries, tally.Backoffs, tally.AttemptsFailed, tally.StepsFailed)
		case tally.ByName[StepExecutionRequested] != tally.StepAttempts,
			tally.ByName[StepCompleted]-tally.DupByName[StepCompleted] != tally.StepsCompleted,
			tally.ByName[TaskCompleted]-tally.DupByName[TaskCompleted] != tally.TasksCompleted:
			t.Errorf("by-name counts disagree: %v %v", tally.ByName, tally.DupByName)
		case tally.TasksFailed == 0 || tally.Retries == 0 || tally.Duplicates == 0:
			t.Errorf("the mix lacks failures, retries or duplicates: %+v", tally)
		}
		// Each failed task has a step that failed for good; each completed task none.
		if tally.TasksFailed > tally.StepsFailed {
			t.Errorf("%d failed tasks, %d failed steps", tally.TasksFailed, tally.StepsFailed)
		}
	}
}

func TestDuplicates(t *testing.T) {
	for _, exact := range []bool{false, true} {
		o := opts(func(o *Options) { o.DuplicateProb, o.ExactDuplicates = 0.3, exact })
		evs := mustGenerate(t, o)
		logical := map[string]*Event{}
		key := func(e *Event) string {
			return e.Name + "/" + strconv.FormatInt(e.TaskID, 10) + "/" + strconv.FormatInt(e.StepID, 10) + "/" + strconv.Itoa(e.Attempt)
		}
		terminals, dups := 0, 0
		for i := range evs {
			e := &evs[i]
			if e.Dup == 0 {
				if e.Terminal() {
					terminals++
					logical[key(e)] = e
				}
				continue
			}
			dups++
			if !e.Terminal() {
				t.Fatalf("duplicate of non-terminal %s", e.Name)
			}
			orig, ok := logical[key(e)]
			if !ok {
				t.Fatalf("duplicate %s before its original", key(e))
			}
			if !e.Time.Equal(orig.Time) || e.Final != orig.Final || e.Status != orig.Status {
				t.Fatalf("duplicate differs from its original: %+v %+v", e, orig)
			}
			want := orig.Fields
			if !exact {
				want = slices.DeleteFunc(slices.Clone(want), func(f Field) bool {
					return f.Key == "from_state" || f.Key == "to_state" || f.Key == "transitioned_at"
				})
				if len(want) != len(orig.Fields)-3 {
					t.Fatalf("%s has no state-machine fields", e.Name)
				}
			}
			if !reflect.DeepEqual(e.Fields, want) {
				t.Fatalf("duplicate payload\n%v\nwant\n%v", e.Fields, want)
			}
		}
		// E[copies] = p + p² per terminal event.
		if exp := float64(terminals) * (0.3 + 0.09); float64(dups) < exp*0.8 || float64(dups) > exp*1.2 {
			t.Errorf("%d duplicates of %d terminal events, expected about %.0f", dups, terminals, exp)
		}
	}
	none := mustGenerate(t, opts(func(o *Options) { o.DuplicateProb = 0 }))
	for _, e := range none {
		if e.Dup > 0 {
			t.Fatal("duplicate with --duplicates 0")
		}
	}
}

func TestOutcomes(t *testing.T) {
	// No failures: every task completes, every step once.
	evs := mustGenerate(t, opts(func(o *Options) { o.FailProb = 0 }))
	tl := NewTally()
	for i := range evs {
		tl.Add(&evs[i])
	}
	if tl.TasksFailed != 0 || tl.StepAttempts != tl.Steps || tl.StepsCompleted != tl.Steps || tl.Retries != 0 {
		t.Fatalf("no-failure run: %+v", tl)
	}
	// Every attempt fails for good: only the roots run, every task fails.
	evs = mustGenerate(t, opts(func(o *Options) { o.FailProb, o.RetryableProb = 1, 0 }))
	tl = NewTally()
	for i := range evs {
		tl.Add(&evs[i])
	}
	if tl.TasksCompleted != 0 || tl.StepAttempts != tl.Tasks || tl.StepsFailed != tl.Tasks || tl.Retries != 0 {
		t.Fatalf("all-fail run: %+v", tl)
	}
	// Always retryable failures: each step is tried retry_limit times.
	evs = mustGenerate(t, opts(func(o *Options) { o.FailProb, o.RetryableProb, o.RetryLimit = 1, 1, 3 }))
	tl = NewTally()
	for i := range evs {
		tl.Add(&evs[i])
	}
	if tl.StepAttempts != 3*tl.Tasks || tl.Retries != 2*tl.Tasks || tl.Backoffs != 2*tl.Tasks {
		t.Fatalf("retry run: %+v", tl)
	}
	for i := range evs {
		e := &evs[i]
		if e.Name == TaskFailed && e.Dup == 0 {
			msg, _ := Get(e.Fields, "error_message")
			steps, _ := Get(e.Fields, "error_steps")
			if msg.Str != "steps_in_error_state" || len(steps.Strings()) != 1 {
				t.Fatalf("task.failed payload: %v", e.Fields)
			}
		}
		if e.Name == StepFailed {
			for _, k := range []string{"error_message", "exception_class", "backtrace", "execution_duration", "attempt_number", "retry_limit"} {
				if _, ok := Get(e.Fields, k); !ok {
					t.Fatalf("step.failed without %s", k)
				}
			}
		}
	}
}

func TestPayloadFields(t *testing.T) {
	evs := mustGenerate(t, opts(func(o *Options) { o.Namespaces = []string{"payments", "shipping"} }))
	need := map[string][]string{
		TaskInitializeRequested:       {"task_id", "task_name", "namespace", "version", "task_context", "to_state", "correlation_id"},
		TaskStartRequested:            {"task_id", "task_name", "from_state", "to_state", "transitioned_at", "correlation_id"},
		TaskCompleted:                 {"task_id", "task_name", "namespace", "version", "started_at", "completed_at", "total_execution_duration", "total_steps", "correlation_id"},
		StepExecutionRequested:        {"task_id", "step_id", "step_name", "task_name", "namespace", "version", "started_at", "attempt_number", "retry_limit", "correlation_id"},
		StepCompleted:                 {"task_id", "step_id", "step_name", "started_at", "completed_at", "attempt_number", "retry_limit", "execution_duration", "correlation_id"},
		StepBackoff:                   {"step_id", "step_name", "backoff_seconds", "backoff_type", "correlation_id"},
		StepRetryRequested:            {"step_id", "previous_attempts", "retry_reason", "backoff_strategy", "from_state", "to_state"},
		WorkflowViableStepsDiscovered: {"task_id", "step_ids", "step_names", "processing_mode", "step_count", "viable_count", "orchestration_event"},
	}
	seen := map[string]bool{}
	namespaces := map[string]bool{}
	for i := range evs {
		e := &evs[i]
		seen[e.Name] = true
		if e.Dup > 0 {
			continue
		}
		for _, k := range need[e.Name] {
			if _, ok := Get(e.Fields, k); !ok {
				t.Fatalf("%s without %s: %s", e.Name, k, AppendObject(nil, "event", e.Name, e.Fields))
			}
		}
		if e.Name == StepCompleted {
			d, _ := Get(e.Fields, "execution_duration")
			st, _ := Get(e.Fields, "started_at")
			ct, _ := Get(e.Fields, "completed_at")
			s, _ := time.Parse(time.RFC3339Nano, st.Text())
			c, _ := time.Parse(time.RFC3339Nano, ct.Text())
			if Seconds(c.Sub(s)) != d.Float() || Seconds(e.Duration) != d.Float() {
				t.Fatalf("execution_duration %v, started %s, completed %s", d.Float(), st.Text(), ct.Text())
			}
		}
		if ns, ok := Get(e.Fields, "namespace"); ok {
			namespaces[ns.Str] = true
		}
	}
	for _, n := range Names() {
		if !seen[n] {
			t.Errorf("no %s event in the run", n)
		}
	}
	if len(namespaces) != 2 {
		t.Errorf("namespaces %v", namespaces)
	}
}

func TestStringIDs(t *testing.T) {
	evs := mustGenerate(t, opts(func(o *Options) { o.StringIDs, o.Tasks = true, 20 }))
	for i := range evs {
		for _, f := range evs[i].Fields {
			switch f.Key {
			case "task_id", "step_id":
				if f.Value.Kind != KindString || f.Value.Str == "" {
					t.Fatalf("%s: %s is %v", evs[i].Name, f.Key, f.Value)
				}
			case "step_ids":
				if f.Value.Kind != KindStrings {
					t.Fatalf("step_ids is %v", f.Value)
				}
			}
		}
	}
	num := mustGenerate(t, opts(func(o *Options) { o.Tasks = 20 }))
	if v, _ := Get(num[0].Fields, "task_id"); v.Kind != KindInt || v.Num != 1 {
		t.Fatalf("task_id %v", v)
	}
}

func TestShapes(t *testing.T) {
	d := BuildDAG(Diamond, 0, 0)
	if len(d.Names) != 4 || !slices.Equal(d.Parents[3], []int{1, 2}) {
		t.Fatalf("diamond %+v", d)
	}
	f := BuildDAG(FanOut, 0, 3)
	if len(f.Names) != 5 || !slices.Equal(f.Parents[4], []int{1, 2, 3}) || !slices.Equal(f.Parents[2], []int{0}) {
		t.Fatalf("fanout %+v", f)
	}
	l := BuildDAG(Linear, 7, 0)
	if len(l.Names) != 7 || l.Names[6] != "step_7" || !slices.Equal(l.Parents[6], []int{5}) || l.Parents[0] != nil {
		t.Fatalf("linear %+v", l)
	}
	ws, err := ParseShapes("linear=3, fan-out,diamond=0")
	if err != nil || !reflect.DeepEqual(ws, []WeightedShape{{Linear, 3}, {FanOut, 1}}) {
		t.Fatalf("ParseShapes: %v %v", ws, err)
	}
	for _, bad := range []string{"", "ring", "linear=-1", "linear=0"} {
		if _, err := ParseShapes(bad); err == nil {
			t.Errorf("ParseShapes(%q) accepted", bad)
		}
	}
	// The mix follows the weights.
	evs := mustGenerate(t, opts(func(o *Options) { o.Shapes, _ = ParseShapes("linear=3,diamond=1"); o.Tasks = 400 }))
	count := map[string]int{}
	for _, e := range evs {
		if e.Name == TaskInitializeRequested {
			count[e.TaskName]++
		}
	}
	if count["report_generation"] != 0 || count["order_fulfillment"] < 250 || count["inventory_reconciliation"] < 60 {
		t.Fatalf("shape mix %v", count)
	}
}

func TestValidate(t *testing.T) {
	for name, mod := range map[string]func(*Options){
		"fail>1":        func(o *Options) { o.FailProb = 1.5 },
		"neg tasks":     func(o *Options) { o.Tasks = -1 },
		"steps 0":       func(o *Options) { o.Steps = 0 },
		"digits":        func(o *Options) { o.TSDigits = 10 },
		"no shapes":     func(o *Options) { o.Shapes = nil },
		"multiplier<1":  func(o *Options) { o.BackoffMultiplier = 0.5 },
		"NaN duplicate": func(o *Options) { o.DuplicateProb = nanF() },
	} {
		o := Defaults()
		mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func nanF() float64 { var z float64; return z / z }

func TestEncoding(t *testing.T) {
	f := []Field{String("s", "a\"b\\c\n\x01é"), Int("n", -3), Float("f", 2), Float("g", 0.125), null("z"), Bool("b", true),
		raw("r", `{"x":1}`), Strings("l", []string{"a", "b"}), Ints("i", []int64{1, 2}),
		Time("t", time.Date(2026, 11, 22, 10, 0, 0, 5e6, time.UTC), 3)}
	got := string(AppendObject(nil, "event", "x.y", f))
	want := `{"event":"x.y","s":"a\"b\\c\n\u0001é","n":-3,"f":2.0,"g":0.125,"z":null,"b":true,"r":{"x":1},"l":["a","b"],"i":[1,2],"t":"2026-11-22T10:00:00.005Z"}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	ts := time.Date(2026, 11, 22, 10, 0, 1, 23456789, time.UTC)
	for digits, want := range map[int]string{0: "2026-11-22T10:00:01Z", 3: "2026-11-22T10:00:01.023Z", 6: "2026-11-22T10:00:01.023456Z"} {
		if got := ISO8601(ts, digits); got != want {
			t.Errorf("ISO8601(%d) = %s, want %s", digits, got, want)
		}
	}
}
