// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The run of one task, modelled on Tasker's orchestration loop: the task is
// initialized and enqueued, started, then repeatedly its viable steps (pending, all
// parents complete, backoff elapsed) are discovered and executed concurrently as a
// batch; a failed attempt is retried after a backoff while attempts < retry_limit and
// the failure is retryable; when no step is viable and none waits for its backoff the
// task is finalized: complete if every step completed, else failed. Steps below a step
// that failed for good never run.

type errorKind struct{ class, message string }

var (
	retryableErrors = []errorKind{
		{"Net::ReadTimeout", "Net::ReadTimeout with #<TCPSocket:(closed)>"},
		{"Faraday::ConnectionFailed", "Failed to open TCP connection to payments.internal:443 (Connection refused)"},
		{"Faraday::ServerError", "the server responded with status 503"},
		{"ActiveRecord::Deadlocked", "PG::TRDeadlockDetected: ERROR:  deadlock detected"},
		{"Tasker::RetryableError", "Rate limited by upstream API, retry later"},
	}
	permanentErrors = []errorKind{
		{"Tasker::PermanentError", "Invalid input: missing customer_id"},
		{"ArgumentError", "wrong number of arguments (given 1, expected 2)"},
		{"NoMethodError", "undefined method `fetch' for nil:NilClass"},
	}
	threads = []string{"2a8c", "2ab4", "2adc", "2b04", "2b2c", "2b54"}
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

type stepState struct {
	attempts     int
	done         bool // completed
	dead         bool // failed for good
	nextEligible time.Time
	lastStart    time.Time
}

type taskSim struct {
	o        *Options
	rng      *rand.Rand
	idx      int
	taskID   int64
	stepBase int64
	dag      DAG
	ns       string
	corr     string
	thread   string
	context  string
	arrival  time.Time
	steps    []stepState
	info     *TaskInfo
	evs      []Event
	digits   int

	// Payloads are carved out of one arena per task: f appends to it and payload
	// takes the fields appended since mark.
	arena []Field
	mark  int
}

// simulateTask returns the events of task idx, in the order they were simulated, and
// their order in time.
func simulateTask(o *Options, idx int, arrival time.Time, taskID, stepBase int64, rng *rand.Rand, dag DAG) ([]Event, []int32) {
	s := &taskSim{o: o, rng: rng, idx: idx, taskID: taskID, stepBase: stepBase, dag: dag, arrival: arrival, digits: o.TSDigits}
	if len(o.Namespaces) > 0 {
		s.ns = o.Namespaces[rng.IntN(len(o.Namespaces))]
	}
	var c [6]byte
	for i := range c {
		c[i] = alnum[rng.IntN(len(alnum))]
	}
	s.corr = "tsk_" + strconv.FormatInt(arrival.UnixMilli(), 36) + "_" + string(c[:])
	s.thread = threads[rng.IntN(len(threads))]
	prio := "normal"
	if rng.IntN(4) == 0 {
		prio = "high"
	}
	s.context = `{"request_id":"req_` + strconv.FormatUint(rng.Uint64()>>16, 16) + `","priority":"` + prio + `"}`
	s.info = &TaskInfo{Task: idx, TaskID: taskID, TaskName: dag.TaskName, Namespace: s.ns, Version: o.TaskVersion,
		CorrelationID: s.corr, ThreadID: s.thread, TotalSteps: len(dag.Names)}
	s.steps = make([]stepState, len(dag.Names))
	est := 12 + len(dag.Names)*6
	s.evs = make([]Event, 0, est)
	s.arena = make([]Field, 0, est*14)
	s.run()
	// Order by time, keeping the order of appending among equal times; sort indexes,
	// not the (large) events.
	order := make([]int32, len(s.evs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return s.evs[a].Time.Compare(s.evs[b].Time) })
	for i, k := range order {
		s.evs[k].Seq = i
	}
	return s.evs, order
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// between returns a random duration in [lo, hi] milliseconds.
func (s *taskSim) between(lo, hi int) time.Duration { return ms(lo + s.rng.IntN(hi-lo+1)) }

// f appends fields to the payload being built.
func (s *taskSim) f(fields ...Field) { s.arena = append(s.arena, fields...) }

// payload returns the fields appended since the last call.
func (s *taskSim) payload() []Field {
	p := s.arena[s.mark:len(s.arena):len(s.arena)]
	s.mark = len(s.arena)
	return p
}

func (s *taskSim) run() {
	o := s.o
	n := len(s.dag.Names)
	t := s.arrival
	s.smFields(t, "", "pending")
	s.taskEvent(t, TaskInitializeRequested, "pending")
	if o.Orchestration {
		s.enqueueFields(t)
		s.taskEvent(t, TaskEnqueue, "pending")
	}
	t = t.Add(s.between(5, 30)) // waiting in the job queue
	s.smFields(t, "pending", "in_progress")
	s.taskEvent(t, TaskStartRequested, "in_progress")
	if o.Orchestration {
		s.orch(t, WorkflowTaskStarted)
	}
	var viable []int
	for {
		viable = viable[:0]
		var wake time.Time
		for i := range s.steps {
			st := &s.steps[i]
			if st.done || st.dead || !s.parentsDone(i) {
				continue
			}
			if st.nextEligible.After(t) {
				if wake.IsZero() || st.nextEligible.Before(wake) {
					wake = st.nextEligible
				}
				continue
			}
			viable = append(viable, i)
		}
		if len(viable) == 0 {
			if wake.IsZero() {
				break
			}
			if o.Orchestration {
				s.orch(t, WorkflowTaskReenqueueDelayed,
					String("task_name", s.dag.TaskName), String("reason", "retry_backoff"),
					Float("delay_seconds", Seconds(wake.Sub(t))), s.ts("scheduled_for", wake))
			}
			t = wake
			continue
		}
		if o.Orchestration {
			ids := make([]int64, len(viable))
			names := make([]string, len(viable))
			for k, i := range viable {
				ids[k] = s.stepBase + int64(i)
				names[k] = s.dag.Names[i]
			}
			stepIDs := Ints("step_ids", ids)
			if o.StringIDs {
				strIDs := make([]string, len(ids))
				for k, id := range ids {
					strIDs[k] = strconv.FormatInt(id, 10)
				}
				stepIDs = Strings("step_ids", strIDs)
			}
			s.orch(t, WorkflowViableStepsDiscovered, stepIDs,
				String("processing_mode", "concurrent"), Int("step_count", int64(len(viable))),
				Int("viable_count", int64(len(viable))), Strings("step_names", names))
			s.orch(t, WorkflowStepsExecutionStarted, String("task_name", s.dag.TaskName),
				Int("step_count", int64(len(viable))), String("processing_mode", "concurrent"))
		}
		end, ok := t, 0
		for _, i := range viable {
			e, completed := s.attempt(i, t.Add(s.between(1, 5)))
			if e.After(end) {
				end = e
			}
			if completed {
				ok++
			}
		}
		t = end.Add(s.between(1, 3))
		if o.Orchestration {
			s.orch(t, WorkflowStepsExecutionDone, String("task_name", s.dag.TaskName),
				Int("processed_count", int64(len(viable))), Int("successful_count", int64(ok)))
		}
	}

	// Finalization.
	completed, failed := 0, 0
	var errorSteps []string
	for i := range s.steps {
		switch {
		case s.steps[i].done:
			completed++
		case s.steps[i].dead:
			failed++
			errorSteps = append(errorSteps, s.dag.Names[i])
		}
	}
	pending := n - completed - failed
	success := completed == n
	t = t.Add(s.between(1, 3))
	pct := math.Round(float64(completed)*10000/float64(n)) / 100
	health, execStatus, action, final := "healthy", "all_complete", "finalize_task", "complete"
	if !success {
		health, execStatus, action, final = "blocked", "blocked_by_failures", "handle_failures", "error"
	}
	finFields := []Field{Int("processed_steps_count", int64(completed+failed)), String("execution_status", execStatus),
		String("health_status", health), Float("completion_percentage", pct), Int("total_steps", int64(n)),
		Int("ready_steps", 0), Int("failed_steps", int64(failed)), String("recommended_action", action)}
	if o.Orchestration {
		s.orch(t, WorkflowFinalizationStarted, finFields...)
	}
	s.f(s.ts("timestamp", t))
	s.taskIdent()
	s.f(s.ts("started_at", s.arrival))
	name, status := TaskCompleted, "complete"
	if success {
		s.f(s.ts("completed_at", t), String("task_type", "Tasker::Task"), String("event_type", "completed"),
			Float("total_execution_duration", Seconds(t.Sub(s.arrival))))
	} else {
		name, status = TaskFailed, "error"
		s.f(String("task_type", "Tasker::Task"), String("event_type", "failed"),
			Float("current_execution_duration", Seconds(t.Sub(s.arrival))))
	}
	s.f(Int("total_steps", int64(n)), Int("completed_steps", int64(completed)),
		Int("failed_steps", int64(failed)), Int("pending_steps", int64(pending)))
	if success {
		s.f(Float("completion_percentage", pct), String("health_status", health))
	} else {
		s.f(String("error_message", "steps_in_error_state"), Strings("error_steps", errorSteps),
			Int("failed_steps_count", int64(failed)), Float("completion_percentage", pct), String("health_status", health))
	}
	s.f(String("from_state", "in_progress"), String("to_state", status), s.ts("transitioned_at", t), s.corrField())
	ev := s.taskEvent(t, name, status)
	ev.Duration, ev.HasDuration = t.Sub(s.arrival), true
	if !success {
		ev.Failure = &Failure{ErrorMessage: "steps_in_error_state"}
	}
	s.duplicates(len(s.evs) - 1)
	if o.Orchestration {
		s.orch(t, WorkflowFinalizationCompleted, append(finFields, String("final_status", final))...)
	}
}

func (s *taskSim) parentsDone(i int) bool {
	for _, p := range s.dag.Parents[i] {
		if !s.steps[p].done {
			return false
		}
	}
	return true
}

// attempt runs one attempt of step i picked up at start; it returns when the attempt
// ended and whether it completed.
func (s *taskSim) attempt(i int, start time.Time) (time.Time, bool) {
	o := s.o
	st := &s.steps[i]
	if st.attempts > 0 {
		s.stepHead(start, i, st.attempts, st.lastStart, time.Time{})
		s.f(String("event_type", "retry"), Int("previous_attempts", int64(st.attempts)),
			String("retry_reason", "Step execution failed"), String("backoff_strategy", "exponential"),
			String("from_state", "error"), String("to_state", "pending"), s.ts("transitioned_at", start), s.corrField())
		s.stepEvent(start, StepRetryRequested, i, st.attempts, "pending")
	}
	st.attempts++
	st.lastStart = start
	attempt := st.attempts

	parents := make([]string, len(s.dag.Parents[i]))
	for k, p := range s.dag.Parents[i] {
		parents[k] = s.dag.Names[p]
	}
	s.stepHead(start, i, attempt, start, time.Time{})
	s.f(String("event_type", "started"), raw("step_inputs", "{}"), Strings("step_dependencies", parents),
		String("from_state", "pending"), String("to_state", "in_progress"), s.ts("transitioned_at", start), s.corrField())
	s.stepEvent(start, StepExecutionRequested, i, attempt, "in_progress")
	s.stepHead(start, i, attempt, start, time.Time{})
	s.f(String("event_type", "before_handle"), s.corrField())
	s.stepEvent(start, StepBeforeHandle, i, attempt, "in_progress")

	d := s.duration()
	end := start.Add(d)
	failed := s.rng.Float64() < o.FailProb
	if !failed {
		s.stepHead(end, i, attempt, start, end)
		s.f(String("event_type", "completed"), Float("execution_duration", Seconds(d)),
			raw("step_results", `{"status":"ok","records":`+strconv.Itoa(1+s.rng.IntN(500))+`}`),
			String("from_state", "in_progress"), String("to_state", "complete"), s.ts("transitioned_at", end), s.corrField())
		ev := s.stepEvent(end, StepCompleted, i, attempt, "complete")
		ev.Duration, ev.HasDuration, ev.Final = d, true, true
		s.duplicates(len(s.evs) - 1)
		st.done = true
		return end, true
	}

	retryable := s.rng.Float64() < o.RetryableProb
	var ek errorKind
	if retryable {
		ek = retryableErrors[s.rng.IntN(len(retryableErrors))]
	} else {
		ek = permanentErrors[s.rng.IntN(len(permanentErrors))]
	}
	retry := retryable && attempt < o.RetryLimit
	bt := s.backtrace(i)
	s.stepHead(end, i, attempt, start, time.Time{})
	s.f(String("event_type", "failed"), Float("execution_duration", Seconds(d)),
		String("error_message", ek.message), String("exception_class", ek.class), Strings("backtrace", bt),
		Bool("retryable", retryable),
		String("from_state", "in_progress"), String("to_state", "error"), s.ts("transitioned_at", end), s.corrField())
	ev := s.stepEvent(end, StepFailed, i, attempt, "error")
	ev.Duration, ev.HasDuration, ev.Final = d, true, !retry
	ev.Failure = &Failure{ErrorClass: ek.class, ErrorMessage: ek.message, Backtrace: bt}
	s.duplicates(len(s.evs) - 1)
	if !retry {
		st.dead = true
		return end, false
	}

	// observability.step.backoff, from BackoffCalculator.
	s.stepHead(end, i, attempt, start, time.Time{})
	s.f(String("event_type", "backoff"))
	var wait time.Duration
	if s.rng.Float64() < o.ServerBackoffProb {
		after := 1 + s.rng.IntN(5)
		wait = time.Duration(after) * time.Second
		s.f(Float("backoff_seconds", Seconds(wait)), String("backoff_type", "server_requested"),
			Int("retry_after", int64(after)))
	} else {
		exp := float64(o.BackoffBase) * math.Pow(o.BackoffMultiplier, float64(attempt-1))
		if exp > float64(o.BackoffMax) {
			exp = float64(o.BackoffMax)
		}
		if o.BackoffJitter > 0 {
			exp *= 1 + s.rng.Float64()*o.BackoffJitter
		}
		wait = time.Duration(exp).Round(time.Millisecond)
		s.f(Float("backoff_seconds", Seconds(wait)), String("backoff_type", "exponential"),
			Int("attempt", int64(attempt)), Int("calculated_attempt", int64(attempt)),
			Float("base_delay", Seconds(o.BackoffBase)), Float("multiplier", o.BackoffMultiplier),
			Bool("jitter_enabled", o.BackoffJitter > 0), Float("jitter_max_percentage", o.BackoffJitter))
	}
	s.f(s.corrField())
	ev = s.stepEvent(end, StepBackoff, i, attempt, "error")
	ev.Duration, ev.HasDuration = wait, true
	st.nextEligible = end.Add(wait)
	return end, false
}

// duration draws an attempt's duration: log-normal around the mean, in whole
// milliseconds, at least 1 ms.
func (s *taskSim) duration() time.Duration {
	mean := float64(s.o.StepDuration)
	sigma := s.o.Jitter
	d := mean
	if sigma > 0 {
		d = mean * math.Exp(sigma*s.rng.NormFloat64()-sigma*sigma/2)
	}
	r := time.Duration(d).Round(time.Millisecond)
	if r > time.Hour {
		r = time.Hour
	}
	return max(r, time.Millisecond)
}

func (s *taskSim) backtrace(i int) []string {
	ns := s.ns
	if ns == "" {
		ns = "default"
	}
	return []string{
		"app/tasks/" + ns + "/" + s.dag.TaskName + "/" + s.dag.Names[i] + "_handler.rb:" + strconv.Itoa(20+s.rng.IntN(80)) + ":in `process'",
		"lib/tasker/step_handler/base.rb:135:in `handle'",
		"lib/tasker/orchestration/step_executor.rb:312:in `execute_single_step'",
		"lib/tasker/orchestration/step_executor.rb:96:in `block in execute_steps_concurrently'",
	}
}

// duplicates appends the extra copies of the terminal event at index k: one with
// probability P, a second one with probability P after the first (Tasker publishes a
// completion from the state machine, the executor and the handler).
func (s *taskSim) duplicates(k int) {
	p := s.o.DuplicateProb
	if p <= 0 {
		return
	}
	for n := 1; n <= 2 && s.rng.Float64() < p; n++ {
		c := s.evs[k]
		c.Dup = n
		if !s.o.ExactDuplicates {
			// The executor's and the handler's payloads have no state-machine fields.
			for _, f := range c.Fields {
				if f.Key != "from_state" && f.Key != "to_state" && f.Key != "transitioned_at" {
					s.f(f)
				}
			}
			c.Fields = s.payload()
		}
		s.evs = append(s.evs, c)
	}
}

// Payload pieces.

func (s *taskSim) ts(k string, t time.Time) Field { return Time(k, t, s.digits) }

func (s *taskSim) id(k string, v int64) Field {
	if s.o.StringIDs {
		return String(k, strconv.FormatInt(v, 10))
	}
	return Int(k, v)
}

func (s *taskSim) corrField() Field { return String("correlation_id", s.corr) }

// taskIdent: task_id, task_name, namespace, version.
func (s *taskSim) taskIdent() {
	s.f(s.id("task_id", s.taskID), String("task_name", s.dag.TaskName))
	if s.ns != "" {
		s.f(String("namespace", s.ns))
	}
	if s.o.TaskVersion != "" {
		s.f(String("version", s.o.TaskVersion))
	}
}

// smFields is a task state-machine payload (from "" is nil).
func (s *taskSim) smFields(t time.Time, from, to string) {
	s.f(s.ts("timestamp", t))
	s.taskIdent()
	s.f(raw("task_context", s.context))
	if from == "" {
		s.f(null("from_state"))
	} else {
		s.f(String("from_state", from))
	}
	s.f(String("to_state", to), s.ts("transitioned_at", t), s.corrField())
}

func (s *taskSim) enqueueFields(t time.Time) {
	n := int64(len(s.dag.Names))
	s.f(s.ts("timestamp", t))
	s.taskIdent()
	s.f(s.ts("started_at", s.arrival), String("task_type", "Tasker::Task"), String("event_type", "enqueue"),
		Float("current_execution_duration", 0), Int("total_steps", n), Int("completed_steps", 0),
		Int("failed_steps", 0), Int("pending_steps", n), raw("task_context", s.context), s.corrField())
}

// stepHead: timestamp, task_id, step_id, step_name, task_name, namespace, version,
// started_at, completed_at (unless zero), attempt_number, retry_limit.
func (s *taskSim) stepHead(t time.Time, i, attempt int, started, completed time.Time) {
	s.f(s.ts("timestamp", t), s.id("task_id", s.taskID), s.id("step_id", s.stepBase+int64(i)),
		String("step_name", s.dag.Names[i]), String("task_name", s.dag.TaskName))
	if s.ns != "" {
		s.f(String("namespace", s.ns))
	}
	if s.o.TaskVersion != "" {
		s.f(String("version", s.o.TaskVersion))
	}
	s.f(s.ts("started_at", started))
	if !completed.IsZero() {
		s.f(s.ts("completed_at", completed))
	}
	s.f(Int("attempt_number", int64(attempt)), Int("retry_limit", int64(s.o.RetryLimit)))
}

// base appends an event whose payload is the fields appended since the last one.
func (s *taskSim) base(t time.Time, name string) *Event {
	s.evs = append(s.evs, Event{TaskInfo: s.info, Time: t, Name: name, Fields: s.payload()})
	return &s.evs[len(s.evs)-1]
}

func (s *taskSim) taskEvent(t time.Time, name, status string) *Event {
	ev := s.base(t, name)
	ev.Status = status
	return ev
}

func (s *taskSim) stepEvent(t time.Time, name string, i, attempt int, status string) *Event {
	ev := s.base(t, name)
	ev.StepID, ev.StepName = s.stepBase+int64(i), s.dag.Names[i]
	ev.Attempt, ev.RetryLimit, ev.Status = attempt, s.o.RetryLimit, status
	return ev
}

// orch appends an orchestration event: Tasker's orchestration payload (event_type,
// orchestration_event, timestamp) with task_id, the given fields and correlation_id.
func (s *taskSim) orch(t time.Time, name string, extra ...Field) {
	s.f(s.ts("timestamp", t), String("event_type", strings.TrimPrefix(name, "workflow.")),
		Bool("orchestration_event", true), s.id("task_id", s.taskID))
	s.f(extra...)
	s.f(s.corrField())
	ev := s.base(t, name)
	ev.Status = "in_progress"
}
