// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// completion is one ended task run or step attempt, resolved once from its terminal
// events and consumed by the trace and the metric code: start, end, names, attempt,
// outcome, error. The copies of one completion that arrive in the same call (Tasker
// publishes a step outcome three times and a task outcome twice), and the events
// that follow it in the call (a failed step's "Exception occurred" line and
// workflow_failed), complete it before it is emitted at the end of the call; copies
// that arrive in a later call are duplicates (counted, flagged on their logs).
type completion struct {
	key    dedupeKey
	entity tasker.Entity
	rb     *resBuf
	traces bool // emit a span
	metric bool // record the outcome metrics

	taskName, stepName string
	outcome            tasker.Outcome
	terminal           string // the first terminal event's name

	// start is the first start event observed (a step attempt) or the first event of
	// the task; end the earliest terminal copy. startKnown is false when no start was
	// seen: the span is then zero-length and no duration is recorded.
	start, end time.Time
	startKnown bool

	errClass, errMsg string
	stack            []string

	retryLimit    int64
	hasRetryLimit bool
	namespace     string
	version       string
	correlation   string
	health        string
	nums          [len(taskNumberAttrs)]tasker.Value
	hasNum        uint8
	status        string // metric_naming: tasker labels
	handler       string

	entry  *openSpan   // the span's events while it was open (nil if none)
	events []spanEvent // events that came after its end in the same call
}

// taskNumberAttrs are the numeric payload fields of a task's end: {field, attribute}.
var taskNumberAttrs = [...][2]string{
	{"total_steps", "tasker.task.total_steps"},
	{"completed_steps", "tasker.task.completed_steps"},
	{"failed_steps", "tasker.task.failed_steps"},
	{"pending_steps", "tasker.task.pending_steps"},
	{"completion_percentage", "tasker.task.completion_percentage"},
	{"failed_steps_count", "tasker.task.failed_steps_count"},
}

var _ [8 - len(taskNumberAttrs)]struct{} // hasNum has a bit per field

// newCompletion starts the completion of a terminal event.
func newCompletion(k dedupeKey, entity tasker.Entity, info tasker.Info, rb *resBuf, ev *tasker.Event, t time.Time) *completion {
	c := &completion{key: k, entity: entity, rb: rb, outcome: info.Outcome, terminal: ev.Name, end: t}
	c.merge(ev, t)
	return c
}

// merge takes from a copy of the terminal event what the completion lacks: the
// richer copy's fields win over the thin one's absence (the state machine's
// task.completed has no counts, the finalizer's has them; only the handler's and the
// executor's step.failed name the error class).
func (c *completion) merge(ev *tasker.Event, t time.Time) {
	c.end = sooner(c.end, t)
	fill(&c.taskName, ev.TaskName)
	fill(&c.stepName, ev.StepName)
	fill(&c.namespace, ev.Namespace)
	fill(&c.version, ev.Version)
	fill(&c.correlation, ev.CorrelationID)
	if !c.hasRetryLimit && ev.HasRetryLimit {
		c.retryLimit, c.hasRetryLimit = ev.RetryLimit, true
	}
	c.enrich(ev)
	if c.entity != tasker.EntityTask {
		return
	}
	fill(&c.health, payloadStr(ev, "health_status"))
	fill(&c.status, payloadStr(ev, "status"))
	fill(&c.handler, payloadStr(ev, "handler_class"))
	for i, f := range taskNumberAttrs {
		if c.hasNum&(1<<i) != 0 {
			continue
		}
		if v, ok := payloadValue(ev, f[0]); ok && v.Kind() != tasker.KindNull {
			c.nums[i], c.hasNum = v, c.hasNum|1<<i
		}
	}
}

// enrich takes the error of an event about the completion: a copy, or a later event
// of the same attempt (the "Exception occurred" line names the class, workflow_failed
// too; the handler's "Step failed" line has only the message).
func (c *completion) enrich(ev *tasker.Event) {
	fill(&c.errClass, ev.ErrorClass)
	if c.errClass == "" && c.outcome == tasker.OutcomeFailed {
		// The state machine's step.failed has the class only inside step_results.
		if v, ok := payloadValue(ev, "step_results"); ok && v.Kind() == tasker.KindRaw {
			c.errClass = tasker.RawString(v.Raw(), "error_class")
		}
	}
	fill(&c.errMsg, ev.ErrorMessage)
	if len(c.stack) == 0 && len(ev.Backtrace) > 0 {
		c.stack = ev.Backtrace
	}
}

// sooner is the earlier of two times of one moment. A whole-second time (Tasker's
// builder payloads) stands for any instant of its second, so a finer time within that
// second is the better one and is kept.
func sooner(cur, t time.Time) time.Time {
	switch {
	case cur.IsZero():
		return t
	case t.IsZero():
		return cur
	case t.Nanosecond() == 0 && cur.Nanosecond() != 0 && cur.Truncate(time.Second).Equal(t):
		return cur
	case cur.Nanosecond() == 0 && t.Nanosecond() != 0 && t.Truncate(time.Second).Equal(cur):
		return t
	case t.Before(cur):
		return t
	}
	return cur
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}
