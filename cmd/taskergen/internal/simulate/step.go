// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// One step attempt, as StepExecutor#execute_single_step, the step state machine and
// the step handler publish and log it (tasker-reference §1.2, §7.1), on the pool
// thread c. In publication order: step.execution_requested from the executor, the
// state machine and the handler, step.before_handle (all with attempt_number n−1),
// the handler's terminal event (n−1), the state machine's (n) and the executor's (n).

// stepEntity: log_step_event's fields (duration_ms and performance_category are added
// by withDuration).
func (s *taskSim) stepEntity(i int, eventType, status string) {
	s.f(String("entity_type", "step"), s.id("entity_id", s.stepBase+int64(i)), String("entity_name", s.dag.Names[i]),
		String("event_type", eventType), String("step_status", status), s.id("task_id", s.taskID),
		String("task_name", s.dag.TaskName))
}

func category(d time.Duration) string {
	switch sec := d.Seconds(); {
	case sec >= 0 && sec <= 0.1:
		return "fast"
	case sec > 0.1 && sec <= 1:
		return "moderate"
	case sec > 1 && sec <= 5:
		return "slow"
	}
	return "very_slow"
}

func (s *taskSim) withDuration(d time.Duration) {
	s.f(Float("duration_ms", msFloat(d)), String("performance_category", category(d)))
}

// perf is log_performance_event: a WARN record when d exceeds Tasker's
// slow_query_threshold_seconds (1 s), else a DEBUG one; the caller appends the context
// after it has called perf's field builder.
func (s *taskSim) perf(t time.Time, c ctx, operation string, d time.Duration, context ...Field) *Item {
	lvl := LevelDebug
	if d > time.Second {
		lvl = LevelWarn
	}
	s.f(String("entity_type", "performance"), String("operation", operation), Float("duration_ms", msFloat(d)),
		String("performance_category", category(d)), Bool("is_slow", d > time.Second))
	s.f(context...)
	return s.logRec(t, c, lvl, "step_executor", "Performance measurement")
}

// rowAge is what Tasker logs as a step's duration: updated_at − created_at of its row
// (0 until the row is saved; rows are created with the task).
func (s *taskSim) rowAge(i int) time.Duration {
	if s.steps[i].saved.IsZero() {
		return 0
	}
	return s.steps[i].saved.Sub(s.arrival)
}

// attempt runs one attempt of step i picked up at t0; it returns when the attempt
// ended and whether it completed.
func (s *taskSim) attempt(i int, t0 time.Time, c ctx) (time.Time, bool) {
	st := &s.steps[i]
	n := st.attempts + 1
	handler := s.dag.Names[i] + "_handler"
	sid := s.stepBase + int64(i)
	mark := func(it *Item, status string) *Item {
		it.StepID, it.StepName, it.Attempt, it.Status = sid, s.dag.Names[i], n, status
		return it
	}
	log := func(t time.Time, component, eventType, status string) *Item {
		return mark(s.logRec(t, c, LevelInfo, component, "Step "+eventType), status)
	}

	s.stepEntity(i, "execution_starting", "pending")
	s.f(Int("attempt_count", int64(st.attempts)))
	log(t0, "step_executor", "execution_starting", "pending")
	s.stepEntity(i, "validation_passed", "pending")
	s.f(Int("step_attempts", int64(st.attempts)))
	log(t0.Add(us(150)), "step_executor", "validation_passed", "pending")
	s.stepEntity(i, "readiness_check", "pending")
	s.f(String("current_state", "pending"), Bool("is_ready", true), String("expected_state", "pending"))
	log(t0.Add(us(300)), "step_executor", "readiness_check", "pending")

	// The executor's start, the state machine's pending→in_progress, the handler's.
	t := t0.Add(us(600))
	s.stepEntity(i, "started", "pending")
	log(t, "step_executor", "started", "pending")
	s.stepPayload(t, i, "started")
	s.stepStarted(i)
	start := mark(s.publish(t, StepExecutionRequested, "executor"), "pending")
	start.Occ = OccAttemptStarted
	primary := s.last()
	s.stepEntity(i, "workflow_starting", "pending")
	s.f(Float("elapsed_time_ms", msFloat(us(300))))
	log(t.Add(us(300)), "step_executor", "workflow_starting", "pending")
	t = t0.Add(us(2100))
	s.stepPayload(t, i, "started")
	s.stepStarted(i)
	s.f(s.id("task_id", s.taskID), s.id("step_id", sid), String("step_name", s.dag.Names[i]), null("from_state"),
		String("to_state", "in_progress"), rubyTime("transitioned_at", t))
	s.dedupeKeys()
	mark(s.publish(t, StepExecutionRequested, "state_machine"), "in_progress")
	sm := s.last()
	t = t0.Add(us(2600))
	s.stepEntity(i, "started", "in_progress")
	log(t, handler, "started", "in_progress").Log.Copy = true
	s.stepPayload(t, i, "started")
	s.stepStarted(i)
	mark(s.publish(t, StepExecutionRequested, "handler"), "in_progress")
	s.dupe(primary, sm, s.last())
	t = t0.Add(us(2900))
	s.stepEntity(i, "before_handle", "in_progress")
	log(t, handler, "before_handle", "in_progress")
	s.stepPayload(t, i, "before_handle")
	mark(s.publish(t, StepBeforeHandle, "handler"), "in_progress")

	d := s.duration()
	end := t0.Add(us(3000) + d)
	if !(s.rng.Float64() < s.o.FailProb) {
		s.complete(i, t0, end, d, c, mark, log)
		return end.Add(us(3000)), true
	}
	s.fail(i, t0, end, d, c, mark, log)
	return end.Add(us(3000)), false
}

// dedupeKeys merges the keys appended twice to the payload being built (a context
// key that exists keeps its place and takes the new value, as Hash#merge).
func (s *taskSim) dedupeKeys() {
	p := s.arena[s.mark:]
	out := p[:0]
	for k := range p {
		dup := false
		for j := range out {
			if out[j].Key == p[k].Key {
				out[j], dup = p[k], true
				break
			}
		}
		if !dup {
			out = append(out, p[k])
		}
	}
	s.arena = s.arena[:s.mark+len(out)]
}

type markFn func(*Item, string) *Item
type logFn func(time.Time, string, string, string) *Item

func (s *taskSim) complete(i int, t0, end time.Time, d time.Duration, c ctx, mark markFn, log logFn) {
	st := &s.steps[i]
	handler := s.dag.Names[i] + "_handler"
	result := `{"status":"ok","records":` + strconv.Itoa(1+s.rng.IntN(500)) + `}`
	st.results = result

	s.stepEntity(i, "completed", "in_progress")
	s.withDuration(s.rowAge(i))
	log(end, handler, "completed", "in_progress")
	s.stepPayload(end, i, "completed")
	s.f(Float("execution_duration", 0), raw("step_results", result))
	first := mark(s.publish(end, StepCompleted, "handler"), "in_progress")
	first.Duration = d
	h := s.last()
	sid := s.id("step_id", s.stepBase+int64(i))
	mark(s.perf(end.Add(us(100)), c, "step_handler_execution", d, s.id("task_id", s.taskID), sid,
		String("step_name", s.dag.Names[i]), String("result", "success")), "in_progress")

	// complete_step_execution: attempts+1, last_attempted_at, processed_at, save!,
	// then the transition inside the transaction, the event after the commit.
	st.attempts++
	st.lastAttempted = end.Add(us(200))
	st.processed = end.Add(us(210))
	saved := st.processed.Add(us(100 + s.rng.IntN(850)))
	st.saved = saved
	st.done = true
	t := end.Add(us(1800))
	s.stepPayload(t, i, "completed")
	s.f(Float("execution_duration", round3(st.processed.Sub(st.lastAttempted))), raw("step_results", result),
		s.id("task_id", s.taskID), s.id("step_id", s.stepBase+int64(i)), String("step_name", s.dag.Names[i]),
		null("from_state"), String("to_state", "complete"), rubyTime("transitioned_at", t))
	s.dedupeKeys()
	mark(s.publish(t, StepCompleted, "state_machine"), "complete").Duration = d
	sm := s.last()
	t = end.Add(us(2400))
	s.stepEntity(i, "completed", "complete")
	s.withDuration(s.rowAge(i))
	log(t, "step_executor", "completed", "complete").Log.Copy = true
	s.stepPayload(t, i, "completed")
	// execution_duration: processed_at − updated_at, unrounded: save! stamped
	// updated_at after processed_at, so it is a small negative number.
	s.f(Float("execution_duration", -float64(saved.Sub(st.processed).Microseconds())/1e6), raw("step_results", result))
	it := mark(s.publish(t, StepCompleted, "executor"), "complete")
	it.Occ, it.Final, it.Duration = OccAttemptCompleted, true, d
	s.dupe(s.last(), h, sm)

	s.stepEntity(i, "workflow_completed", "complete")
	s.f(String("final_status", "complete"), Float("total_duration_ms", msFloat(t.Add(us(300)).Sub(t0))),
		Float("handler_duration_ms", msFloat(d)))
	log(t.Add(us(300)), "step_executor", "workflow_completed", "complete")
	// attempt_count after the increment: n.
	mark(s.perf(t.Add(us(400)), c, "single_step_execution", t.Add(us(400)).Sub(t0), s.id("task_id", s.taskID), sid,
		String("step_name", s.dag.Names[i]), String("result", "success"), Int("attempt_count", int64(st.attempts))), "complete")
}

func (s *taskSim) fail(i int, t0, end time.Time, d time.Duration, c ctx, mark markFn, log logFn) {
	o := s.o
	st := &s.steps[i]
	handler := s.dag.Names[i] + "_handler"
	n := st.attempts + 1
	retryable := s.rng.Float64() < o.RetryableProb
	var ek errorKind
	if retryable {
		ek = retryableErrors[s.rng.IntN(len(retryableErrors))]
	} else {
		ek = permanentErrors[s.rng.IntN(len(permanentErrors))]
	}
	retry := retryable && n < o.RetryLimit
	bt := s.backtrace(i)
	short := bt[:min(10, len(bt))]
	failure := &Failure{ErrorClass: ek.class, ErrorMessage: ek.message, Backtrace: short}
	prevResults := st.results

	// The handler's rescue: its log lines, then step.failed (attempts not yet counted).
	s.stepEntity(i, "failed", "in_progress")
	s.withDuration(s.rowAge(i))
	s.f(String("error", ek.message))
	log(end, handler, "failed", "in_progress")
	s.f(String("entity_type", "exception"), String("exception_class", ek.class), String("exception_message", ek.message),
		Strings("backtrace", relevant(bt)), s.id("step_id", s.stepBase+int64(i)), s.id("task_id", s.taskID))
	mark(s.logRec(end.Add(us(80)), c, LevelError, handler, "Exception occurred: "+ek.class), "in_progress")
	if retry {
		s.backoff(i, end.Add(us(120)), n, mark)
	}
	s.stepPayload(end.Add(us(150)), i, "failed")
	s.f(String("error_message", ek.message), String("exception_class", "StandardError"), Strings("backtrace", short))
	if prevResults != "" {
		s.f(raw("step_results", prevResults))
	}
	s.f(String("error_class", ek.class))
	first := mark(s.publish(end.Add(us(150)), StepFailed, "handler"), "in_progress")
	first.Failure, first.Duration = failure, d
	h := s.last()

	s.stepEntity(i, "workflow_failed", "in_progress")
	s.f(String("error", ek.message), String("error_class", ek.class), Float("duration_ms", msFloat(end.Add(us(300)).Sub(t0))))
	log(end.Add(us(300)), "step_executor", "workflow_failed", "in_progress")
	sid := s.id("step_id", s.stepBase+int64(i))
	mark(s.perf(end.Add(us(350)), c, "step_handler_execution", end.Add(us(350)).Sub(t0), s.id("task_id", s.taskID), sid,
		String("step_name", s.dag.Names[i]), String("result", "failure"), String("error_class", ek.class)), "in_progress")

	// store_step_error_data, complete_error_step_execution.
	st.attempts++
	st.lastAttempted = end.Add(us(400))
	joined := strings.Join(bt, "\n")
	results := `{"error":` + string(AppendString(nil, ek.message)) + `,"backtrace":` + string(AppendString(nil, joined)) +
		`,"error_class":` + string(AppendString(nil, ek.class)) + `}`
	if prevResults != "" && strings.HasPrefix(prevResults, `{"status"`) {
		results = prevResults[:len(prevResults)-1] + "," + results[1:]
	}
	st.results = results
	st.saved = end.Add(us(500 + s.rng.IntN(400)))
	t := end.Add(us(1800))
	s.stepPayload(t, i, "failed")
	s.f(String("error_message", ek.message), String("exception_class", "StandardError"), String("backtrace", joined),
		raw("step_results", results), s.id("task_id", s.taskID), s.id("step_id", s.stepBase+int64(i)),
		String("step_name", s.dag.Names[i]), null("from_state"), String("to_state", "error"), rubyTime("transitioned_at", t))
	s.dedupeKeys()
	it := mark(s.publish(t, StepFailed, "state_machine"), "error")
	it.Failure, it.Duration = failure, d
	sm := s.last()
	t = end.Add(us(2400))
	s.stepEntity(i, "failed", "error")
	s.withDuration(s.rowAge(i))
	s.f(null("error"))
	log(t, "step_executor", "failed", "error").Log.Copy = true
	s.stepPayload(t, i, "failed")
	s.f(String("error_message", ek.message), String("exception_class", "StandardError"), Strings("backtrace", short),
		raw("step_results", results), String("error_class", ek.class))
	it = mark(s.publish(t, StepFailed, "executor"), "error")
	it.Occ, it.Final, it.Failure, it.Duration = OccAttemptFailed, !retry, failure, d
	s.dupe(s.last(), h, sm)
	if !retry {
		st.dead = true
	}
	mark(s.perf(t.Add(us(400)), c, "single_step_execution", t.Add(us(400)).Sub(t0), s.id("task_id", s.taskID), sid,
		String("step_name", s.dag.Names[i]), String("result", "failure"), Int("attempt_count", int64(st.attempts))), "error")
}

// backoff publishes observability.step.backoff (BackoffCalculator, from the handler's
// rescue) and sets when the step may run again.
func (s *taskSim) backoff(i int, t time.Time, attempt int, mark markFn) {
	o := s.o
	s.stepPayload(t, i, "backoff")
	var wait time.Duration
	if s.rng.Float64() < o.ServerBackoffProb {
		after := 1 + s.rng.IntN(5)
		wait = time.Duration(after) * time.Second
		s.f(s.id("step_id", s.stepBase+int64(i)), String("step_name", s.dag.Names[i]),
			Float("backoff_seconds", Seconds(wait)), String("backoff_type", "server_requested"), Int("retry_after", int64(after)))
	} else {
		exp := float64(o.BackoffBase) * math.Pow(o.BackoffMultiplier, float64(attempt-1))
		if exp > float64(o.BackoffMax) {
			exp = float64(o.BackoffMax)
		}
		if o.BackoffJitter > 0 {
			exp *= 1 + s.rng.Float64()*o.BackoffJitter
		}
		wait = time.Duration(exp).Round(time.Millisecond)
		s.f(s.id("step_id", s.stepBase+int64(i)), String("step_name", s.dag.Names[i]),
			Float("backoff_seconds", Seconds(wait)), String("backoff_type", "exponential"),
			Int("attempt", int64(attempt)), Int("calculated_attempt", int64(attempt)),
			Float("base_delay", Seconds(o.BackoffBase)), Float("multiplier", o.BackoffMultiplier),
			Bool("jitter_enabled", o.BackoffJitter > 0), Float("jitter_max_percentage", o.BackoffJitter))
	}
	s.dedupeKeys()
	it := mark(s.publish(t, StepBackoff, "backoff_calculator"), "in_progress")
	it.Occ, it.Duration = OccBackoff, wait
	s.steps[i].nextEligible = t.Add(wait)
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

// backtrace is a failed attempt's whole backtrace (Exception#backtrace): the handler's
// frame under Rails.root, then Tasker's and the gems' frames.
func (s *taskSim) backtrace(i int) []string {
	ns := s.ns
	if ns == "" {
		ns = "default"
	}
	eng := gems + "tasker-engine-0.1.0/lib/tasker/"
	return []string{
		"/app/app/tasks/" + ns + "/" + s.dag.TaskName + "/" + s.dag.Names[i] + "_handler.rb:" + strconv.Itoa(20+s.rng.IntN(80)) + ":in `process'",
		eng + "step_handler/base.rb:135:in `handle'",
		eng + "step_handler/base.rb:38:in `handle'",
		eng + "orchestration/step_executor.rb:592:in `execute_step_handler'",
		eng + "orchestration/step_executor.rb:346:in `execute_step_workflow_with_monitoring'",
		eng + "orchestration/step_executor.rb:170:in `execute_single_step'",
		eng + "orchestration/step_executor.rb:714:in `block (2 levels) in execute_steps_concurrently'",
		gems + "concurrent-ruby-1.3.5/lib/concurrent-ruby/concurrent/executor/safe_task_executor.rb:24:in `block in execute'",
		gems + "concurrent-ruby-1.3.5/lib/concurrent-ruby/concurrent/synchronization/mutex_lockable_object.rb:48:in `synchronize'",
		gems + "concurrent-ruby-1.3.5/lib/concurrent-ruby/concurrent/executor/safe_task_executor.rb:22:in `execute'",
		gems + "concurrent-ruby-1.3.5/lib/concurrent-ruby/concurrent/ivar.rb:170:in `safe_execute'",
		gems + "concurrent-ruby-1.3.5/lib/concurrent-ruby/concurrent/future.rb:55:in `block in execute'",
		gems + "concurrent-ruby-1.3.5/lib/concurrent-ruby/concurrent/executor/ruby_thread_pool_executor.rb:359:in `run_task'",
	}
}

// relevant is log_exception's backtrace: the frames under Rails.root, then up to 3
// others, at most 10.
func relevant(bt []string) []string {
	var app, other []string
	for _, f := range bt {
		if strings.HasPrefix(f, "/app/") {
			app = append(app, f)
		} else if len(other) < 3 {
			other = append(other, f)
		}
	}
	out := append(app, other...)
	return out[:min(10, len(out))]
}
