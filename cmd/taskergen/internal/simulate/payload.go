// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"math"
	"strconv"
	"time"
)

// The payloads each Tasker publisher builds (tasker-reference §1.8,
// event_payload_builder.rb): keys in Tasker's order, `timestamp` first (the
// publisher merges the payload into {timestamp: ...}). Builder timestamps are
// Time#iso8601 (whole seconds: Options.TSDigits, default 0); Ruby Time values
// (state-machine timestamps, transitioned_at, the finalizer's completed_at) are
// rendered with milliseconds, as a JSON-encoding subscriber writes them.

// f appends fields to the payload being built.
func (s *taskSim) f(fields ...Field) { s.arena = append(s.arena, fields...) }

// payload returns the fields appended since the last call.
func (s *taskSim) payload() []Field {
	p := s.arena[s.mark:len(s.arena):len(s.arena)]
	s.mark = len(s.arena)
	return p
}

// ts is a builder timestamp (iso8601); rubyTime a Ruby Time value.
func (s *taskSim) ts(k string, t time.Time) Field { return Time(k, t, s.digits) }
func rubyTime(k string, t time.Time) Field        { return Time(k, t, 3) }

// tsOrNull is ts, or null for a nil column.
func (s *taskSim) tsOrNull(k string, t time.Time) Field {
	if t.IsZero() {
		return null(k)
	}
	return s.ts(k, t)
}

func (s *taskSim) id(k string, v int64) Field {
	if s.o.StringIDs {
		return String(k, strconv.FormatInt(v, 10))
	}
	return Int(k, v)
}

// ident: task_name, then namespace and version when configured (Tasker's payloads
// have neither).
func (s *taskSim) ident() {
	s.f(String("task_name", s.dag.TaskName))
	if s.ns != "" {
		s.f(String("namespace", s.ns))
	}
	if s.o.TaskVersion != "" {
		s.f(String("version", s.o.TaskVersion))
	}
}

// round3 is Ruby's Float#round(3) of a duration in seconds.
func round3(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// decimal renders a BigDecimal as ActiveSupport's JSON does: a string ("100.0").
func decimal(v float64) string {
	b := AppendFloat(nil, math.Round(v*100)/100)
	return string(b)
}

// stats are Tasker's step counts of the task at a moment.
type stats struct{ total, completed, failed, pending int }

func (s *taskSim) stats() stats {
	st := stats{total: len(s.steps)}
	for i := range s.steps {
		switch {
		case s.steps[i].done:
			st.completed++
		case s.steps[i].attempts > 0:
			st.failed++ // in error (waiting for a retry, or for good)
		}
	}
	st.pending = st.total - st.completed - st.failed
	return st
}

func (st stats) percentage() string {
	return decimal(float64(st.completed) * 100 / float64(st.total))
}

// latestProcessed is the latest processed_at of the task's steps.
func (s *taskSim) latestProcessed() time.Time {
	var t time.Time
	for i := range s.steps {
		if s.steps[i].processed.After(t) {
			t = s.steps[i].processed
		}
	}
	return t
}

// taskPayload is build_task_payload(task, event_type) up to its statistics.
func (s *taskSim) taskPayload(t time.Time, eventType string) {
	st := s.stats()
	all := st.completed == st.total
	s.f(s.ts("timestamp", t), s.id("task_id", s.taskID))
	s.ident()
	s.f(s.ts("started_at", s.arrival))
	if all {
		s.f(s.ts("completed_at", s.latestProcessed()))
	} else {
		s.f(null("completed_at"))
	}
	s.f(String("task_type", "Tasker::Task"), String("event_type", eventType))
	if all {
		s.f(Float("total_execution_duration", round3(s.latestProcessed().Sub(s.arrival))), null("current_execution_duration"))
	} else {
		s.f(null("total_execution_duration"), Float("current_execution_duration", round3(t.Sub(s.arrival))))
	}
	s.f(Int("total_steps", int64(st.total)), Int("completed_steps", int64(st.completed)),
		Int("failed_steps", int64(st.failed)), Int("pending_steps", int64(st.pending)))
}

// taskMachine is TaskStateMachine's payload for a transition to `to`.
func (s *taskSim) taskMachine(t time.Time, to string) {
	s.f(rubyTime("timestamp", t), s.id("task_id", s.taskID))
	s.ident()
	s.f(raw("task_context", s.context), null("from_state"), String("to_state", to), rubyTime("transitioned_at", t))
}

// transition publishes task.before_transition and the state machine's event for a
// transition to `to`.
func (s *taskSim) transition(t time.Time, to, name string) {
	s.f(rubyTime("timestamp", t), s.id("task_id", s.taskID), null("from_state"), String("to_state", to),
		String("transition_event", name))
	s.publish(t, TaskBeforeTransition, "state_machine")
	t = t.Add(400 * time.Microsecond)
	s.taskMachine(t, to)
	s.publish(t, name, "state_machine")
	s.state = to
}

// taskObject is the Tasker::Task record the finalizer embeds in task.completed.
func (s *taskSim) taskObject(t time.Time) Field {
	b := []byte(`{"task_id":`)
	if s.o.StringIDs {
		b = AppendString(b, strconv.FormatInt(s.taskID, 10))
	} else {
		b = strconv.AppendInt(b, s.taskID, 10)
	}
	b = append(b, `,"named_task_id":`...)
	b = strconv.AppendInt(b, int64(1+len(s.dag.TaskName)%7), 10)
	b = append(b, `,"complete":true,"requested_at":"`...)
	b = AppendISO8601(b, s.arrival, 3)
	b = append(b, `","initiator":"taskergen","source_system":"taskergen","reason":"simulated","bypass_steps":null,"tags":null,"context":`...)
	b = append(b, s.context...)
	b = append(b, `,"identity_hash":"`...)
	b = append(b, s.identity...)
	b = append(b, `","created_at":"`...)
	b = AppendISO8601(b, s.arrival, 3)
	b = append(b, `","updated_at":"`...)
	b = AppendISO8601(b, t, 3)
	b = append(b, `"}`...)
	return raw("task", string(b))
}

// stepPayload is StepPayloadBuilder's base: the step as its row reads at t
// (attempt_number = attempts, the finished attempts).
func (s *taskSim) stepPayload(t time.Time, i int, eventType string) {
	st := &s.steps[i]
	s.f(s.ts("timestamp", t), s.id("task_id", s.taskID), s.id("step_id", s.stepBase+int64(i)),
		String("step_name", s.dag.Names[i]))
	if s.ns != "" {
		s.f(String("namespace", s.ns))
	}
	if s.o.TaskVersion != "" {
		s.f(String("version", s.o.TaskVersion))
	}
	s.f(s.tsOrNull("started_at", st.lastAttempted), s.tsOrNull("completed_at", st.processed),
		Int("attempt_number", int64(st.attempts)), Int("retry_limit", int64(s.o.RetryLimit)),
		String("event_type", eventType))
}

// stepStarted adds the `started` fields: step_inputs, step_dependencies.
func (s *taskSim) stepStarted(i int) {
	parents := make([]string, len(s.dag.Parents[i]))
	for k, p := range s.dag.Parents[i] {
		parents[k] = s.dag.Names[p]
	}
	s.f(raw("step_inputs", s.context), Strings("step_dependencies", parents))
}

// orch is build_orchestration_payload: timestamp, event_type, orchestration_event,
// then the context (appended by the caller).
func (s *taskSim) orch(t time.Time, eventType string) {
	s.f(s.ts("timestamp", t), String("event_type", eventType), Bool("orchestration_event", true))
}
