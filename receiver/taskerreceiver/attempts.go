// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// The identity of a step attempt.
//
// A step attempt is (deployment, task id, step id, n), n = 1, 2, ...: the number of
// attempts the step had finished before it, plus one. Tasker's `attempt_number` is the
// step's `attempts` column, the count of finished attempts (event_payload_builder.rb:303,
// 0 on a new step, workflow_step.rb:311), and it is read at different moments by the
// seven publications of one attempt (tasker-reference §1.2):
//
//	step.execution_requested ×3, step.before_handle    attempts = n-1  (before the attempt)
//	step.completed|failed from the handler             attempts = n-1  (step_handler/base.rb:41,46)
//	step.completed|failed from the state machine       attempts = n    (step_executor.rb:447-448,507-508
//	step.completed|failed from the executor            attempts = n     increment it before both)
//
// So a start event says n = attempt_number + 1, and a terminal copy says n =
// attempt_number + 1 or attempt_number depending on its publisher, which its payload
// tells without looking at any other event (copies may arrive in any order, over
// either input):
//   - the state machine's copy is the only one with `to_state` (step_state_machine.rb:364-386);
//   - the executor's step.completed is the only one with `completed_at`: processed_at is set
//     just before it (step_executor.rb:457) and is still null when the handler publishes;
//   - the executor's step.failed has `started_at` (last_attempted_at) set by this very
//     failure (step_executor.rb:509), within a second of its `timestamp`; the handler's
//     is the previous attempt's end (at least the 2 s backoff earlier) or null.
//
// Log lines carry no attempt number. `Step execution_starting` (attempt_count) and
// `Step validation_passed` (step_attempts) announce n-1 (step_executor.rb:159-200);
// the other lines of the step belong to the latest attempt seen, and a start line after
// an ended attempt begins the next one. Nothing here depends on line adjacency, pid,
// thread or correlation id.

// terminalCopyAfterIncrement reports whether a terminal step event with an attempt
// number was published after Tasker incremented `attempts` (see above).
func terminalCopyAfterIncrement(ev *tasker.Event, outcome tasker.Outcome) bool {
	if ev.ToState != "" {
		return true
	}
	switch outcome {
	case tasker.OutcomeCompleted:
		return !ev.CompletedAt.IsZero()
	case tasker.OutcomeFailed:
		if ev.StartedAt.IsZero() || ev.Time.IsZero() {
			return false
		}
		d := ev.Time.Sub(ev.StartedAt)
		return d > -2*time.Second && d < 2*time.Second
	}
	return false
}

// announcedAttempt is the attempt a step log line announces: attempt_count of
// execution_starting, step_attempts of validation_passed (both n-1); 0 if none.
func announcedAttempt(ev *tasker.Event) int64 {
	if ev.EntityType != "step" {
		return 0
	}
	var key string
	switch ev.EventType {
	case "execution_starting":
		key = "attempt_count"
	case "validation_passed":
		key = "step_attempts"
	default:
		return 0
	}
	v, ok := payloadValue(ev, key)
	if !ok || v.Kind() != tasker.KindInt || v.Int() < 0 {
		return 0
	}
	return v.Int() + 1
}

// attemptOf resolves the attempt n of a step event and records it in the step's state.
// retry is set when the event is the first sign of an attempt n >= 2: the attempt
// before it ended, and not in success (Tasker never runs a completed step again), so
// it is a retry. Called with b.mu held.
func (b *builder) attemptOf(k spanKey, ev *tasker.Event, info tasker.Info, t, now time.Time) (n int64, retry bool) {
	evidence := info.Start || info.Terminal // events that show an attempt ran
	st := b.table.step(k, now, true)
	switch {
	case ev.HasAttempt && info.Start:
		n = ev.Attempt + 1
	case ev.HasAttempt && info.Terminal:
		n = ev.Attempt + 1
		if terminalCopyAfterIncrement(ev, info.Outcome) {
			n = max(ev.Attempt, 1)
		}
	default:
		if a := announcedAttempt(ev); a > 0 && a >= st.announced {
			if a > st.announced || ev.EventType == "execution_starting" {
				st.announcedAt = t
			}
			st.announced = a
		}
		n = max(st.cur, st.announced, 1)
		if info.Start && st.ended && st.announced <= st.cur {
			n = st.cur + 1 // a start line after the attempt ended: the next attempt
		}
	}
	if !evidence {
		return n, false
	}
	if n > st.cur {
		retry = n >= 2
		st.cur, st.ended, st.outcome = n, false, tasker.OutcomeNone
	}
	if info.Terminal && n == st.cur {
		st.ended, st.outcome = true, info.Outcome
	}
	return n, retry
}
