// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tasker-systems/otelcol-tasker/internal/taskerids"
)

// Deterministic ids (internal/taskerids, shared with the tasker_spans connector): every
// replica, every restart and every way in gives a task and its step attempts the same
// ids. The deployment (the line's `environment`, the HTTP request's
// X-Tasker-Environment header, or `deployment_environment`) is part of every id: two
// deployments with their own databases reuse task ids.

// newTraceID is the trace of a task: SHA-256(source, deployment, task id, "trace").
func newTraceID(source, dep, taskID string) pcommon.TraceID {
	return taskerids.TraceID(source, dep, taskID)
}

// newTaskSpanID is the span of a task: SHA-256(source, deployment, task id, "task").
func newTaskSpanID(source, dep, taskID string) pcommon.SpanID {
	return taskerids.TaskSpanID(source, dep, taskID)
}

// newStepSpanID is the span of one step attempt: SHA-256(source, deployment, task id,
// step id, attempt, "step"), attempt = finished attempts before it + 1 (1, 2, ...).
func newStepSpanID(source, dep, taskID, stepID string, attempt int64) pcommon.SpanID {
	return taskerids.StepSpanID(source, dep, taskID, stepID, attempt)
}
