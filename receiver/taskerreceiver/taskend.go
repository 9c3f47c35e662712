// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// A task's end is published twice: first by the state machine with a thin payload (no
// event_type, no counts, no error message; task_state_machine.rb:77-96), then by the
// finalizer (task_finalizer.rb:102-124). A forwarder that posts every event on its own
// puts them in separate requests. So the thin copy does not end the task by itself: it
// waits up to `spans.task_end_wait` for the finalizer's copy, which completes it with
// its counts and error message. When the wait is over, the next request or poll emits
// it as it is (in that call's batch, so it is acknowledged with it).

// thinTaskEnd: the state machine's copy of a task's completed/failed.
func thinTaskEnd(ev *tasker.Event, info tasker.Info) bool {
	return ev.ToState != "" && ev.EventType == "" &&
		(info.Outcome == tasker.OutcomeCompleted || info.Outcome == tasker.OutcomeFailed)
}

// waiting is a thin task end waiting for its finalizer copy.
type waiting struct {
	c        *completion
	res      resKey
	deadline time.Time
}

// holdThin keeps the completion of a thin task end; false if waiting is off or full
// (the caller then ends the task at once). Called with b.mu held.
func (b *builder) holdThin(c *completion, res resKey, now time.Time) bool {
	wait := b.cfg.Spans.TaskEndWait
	if wait <= 0 || len(b.waiting) >= b.cfg.Spans.MaxOpen {
		return false
	}
	if b.waiting == nil {
		b.waiting = map[dedupeKey]*waiting{}
	}
	c.key.span = c.key.span.clone() // it outlives the call
	b.ownEntry(c.entry)
	b.waiting[c.key] = &waiting{c: c, res: res, deadline: now.Add(wait)}
	return true
}

// takeWaiting removes and returns the thin end waiting under k, if any.
func (b *builder) takeWaiting(k dedupeKey) *completion {
	w := b.waiting[k]
	if w == nil {
		return nil
	}
	delete(b.waiting, k)
	return w.c
}

// releaseWaiting emits into out the thin ends whose wait is over (all of them if all).
func (b *builder) releaseWaiting(out *batch, now time.Time, all bool) {
	for k, w := range b.waiting {
		if !all && now.Before(w.deadline) {
			continue
		}
		delete(b.waiting, k)
		if out.http {
			out.undo.taken = append(out.undo.taken, *w)
		}
		c := w.c
		c.rb = b.resourceForKey(out, w.res)
		b.dedupe.seen(k, now) // a finalizer copy after this is a duplicate
		b.appendDone(out, c)
	}
}
