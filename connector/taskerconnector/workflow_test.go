// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"time"
)

// Scripted workflows, published in Tasker's real order (tasker-reference §1.1, §1.2):
// per job run task.start_requested twice (state machine, then TaskInitializer), per
// step attempt step.execution_requested ×3 (executor, state machine, handler) with
// attempt_number n−1, step.before_handle, then the terminal event ×3 (handler n−1,
// state machine n, executor n), and at the end the state machine's thin task payload
// before the finalizer's.

type stepScript struct {
	id        int
	name      string
	work      time.Duration
	fail      bool   // the attempt raises
	errMsg    string // the exception message
	attempt   int    // n: this is the step's n-th attempt
	limit     int    // retry_limit
	noHandler bool   // the pending→in_progress transition fails (ProceduralError)
}

type taskScript struct {
	id    int
	name  string
	steps []stepScript
	end   string // completed, failed, or pending (a retry-eligible failure)
}

const publishGap = time.Millisecond // between two publications

func (s *subscriber) pub(event string, p ...kv) {
	s.publish(event, p)
	s.advance(publishGap)
}

func builderTS(s *subscriber) string { return s.clock.UTC().Truncate(time.Second).Format(time.RFC3339) }

// stepPayload is StepPayloadBuilder's: timestamp first, then the step's fields.
func stepPayload(s *subscriber, t *taskScript, st *stepScript, attempt int, eventType string, extra ...kv) []kv {
	p := []kv{{"timestamp", builderTS(s)}, {"task_id", t.id}, {"step_id", st.id}, {"step_name", st.name},
		{"started_at", nil}, {"completed_at", nil}, {"attempt_number", attempt}, {"retry_limit", st.limit}, {"event_type", eventType}}
	return append(p, extra...)
}

// runStep publishes one attempt of a step.
func (s *subscriber) runStep(t *taskScript, st *stepScript) {
	n := st.attempt
	if n == 0 {
		n = 1
	}
	if st.limit == 0 {
		st.limit = 3
	}
	sm := []kv{{"from_state", nil}, {"to_state", "in_progress"}, {"transitioned_at", s.clock}}
	s.pub("step.execution_requested", stepPayload(s, t, st, n-1, "started", kv{"step_inputs", map[string]any{"order_id": 7}}, kv{"step_dependencies", []any{}})...)
	if st.noHandler {
		s.advance(st.work)
		s.pub("step.failed", stepPayload(s, t, st, n, "failed", kv{"error_message", st.errMsg}, kv{"exception_class", "StandardError"},
			kv{"backtrace", "app/x.rb:1\napp/y.rb:2"}, kv{"from_state", nil}, kv{"to_state", "error"}, kv{"transitioned_at", s.clock})...)
		s.pub("step.failed", stepPayload(s, t, st, n, "failed", kv{"error_message", st.errMsg}, kv{"exception_class", "StandardError"},
			kv{"error_class", "Tasker::ProceduralError"}, kv{"backtrace", []any{"app/x.rb:1"}})...)
		return
	}
	s.pub("step.execution_requested", stepPayload(s, t, st, n-1, "started", sm...)...)
	s.pub("step.execution_requested", stepPayload(s, t, st, n-1, "started")...)
	s.pub("step.before_handle", stepPayload(s, t, st, n-1, "before_handle")...)
	s.advance(st.work)
	if st.fail {
		s.pub("step.failed", stepPayload(s, t, st, n-1, "failed", kv{"error_message", st.errMsg}, kv{"exception_class", "StandardError"},
			kv{"error_class", "Net::ReadTimeout"}, kv{"backtrace", []any{"app/handlers/x.rb:12"}})...)
		s.pub("step.failed", stepPayload(s, t, st, n, "failed", kv{"error_message", st.errMsg}, kv{"exception_class", "StandardError"},
			kv{"backtrace", "app/handlers/x.rb:12\napp/y.rb:3"}, kv{"from_state", nil}, kv{"to_state", "error"}, kv{"transitioned_at", s.clock})...)
		s.pub("step.failed", stepPayload(s, t, st, n, "failed", kv{"error_message", st.errMsg}, kv{"exception_class", "StandardError"},
			kv{"error_class", "Net::ReadTimeout"}, kv{"backtrace", []any{"app/handlers/x.rb:12"}})...)
		return
	}
	s.pub("step.completed", stepPayload(s, t, st, n-1, "completed", kv{"execution_duration", 0.0}, kv{"step_results", map[string]any{"ok": true}})...)
	s.pub("step.completed", stepPayload(s, t, st, n, "completed", kv{"execution_duration", 0.0},
		kv{"from_state", nil}, kv{"to_state", "complete"}, kv{"transitioned_at", s.clock})...)
	s.pub("step.completed", stepPayload(s, t, st, n, "completed", kv{"execution_duration", -8.1e-05})...)
}

func taskSM(s *subscriber, t *taskScript, to string) []kv {
	return []kv{{"timestamp", s.clock}, {"task_id", t.id}, {"task_name", t.name}, {"task_context", map[string]any{"order_id": 7}},
		{"from_state", nil}, {"to_state", to}, {"transitioned_at", s.clock}}
}

func taskBuilder(s *subscriber, t *taskScript, eventType string, extra ...kv) []kv {
	p := []kv{{"timestamp", builderTS(s)}, {"task_id", t.id}, {"task_name", t.name}, {"started_at", "2026-01-10T08:59:00Z"},
		{"completed_at", nil}, {"task_type", "Tasker::Task"}, {"event_type", eventType}, {"total_execution_duration", nil},
		{"current_execution_duration", 61.5}, {"total_steps", len(t.steps)}, {"completed_steps", 0}, {"failed_steps", 0}, {"pending_steps", len(t.steps)}}
	return append(p, extra...)
}

// runTask publishes one TaskRunnerJob run of the task, under a host job span when
// withHost is set.
func (s *subscriber) runTask(t *taskScript, withHost bool) {
	if withHost {
		s.startHost("Tasker::TaskRunnerJob process")
	}
	s.pub("task.start_requested", taskSM(s, t, "in_progress")...)
	s.pub("task.start_requested", taskBuilder(s, t, "started", kv{"task_context", map[string]any{"order_id": 7}})...)
	for i := range t.steps {
		s.runStep(t, &t.steps[i])
	}
	switch t.end {
	case "completed":
		s.pub("task.completed", taskSM(s, t, "complete")...)
		s.pub("task.completed", taskBuilder(s, t, "completed", kv{"completion_percentage", "100.0"}, kv{"health_status", "healthy"})...)
	case "failed":
		s.pub("task.failed", taskSM(s, t, "error")...)
		s.pub("task.failed", taskBuilder(s, t, "failed", kv{"error_message", "steps_in_error_state"}, kv{"error_steps", []any{}}, kv{"failed_steps_count", 1})...)
	case "pending":
		s.pub("task.initialize_requested", taskSM(s, t, "pending")...)
		s.pub("task.initialize_requested", taskBuilder(s, t, "pending_transition", kv{"reason", "waiting_for_step_completion"})...)
	}
	if withHost {
		s.endHost()
	}
}
