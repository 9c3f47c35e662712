// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tasker-systems/otelcol-tasker/internal/taskerids"
)

// Deterministic ids (internal/taskerids, shared with the tasker_spans connector): so
// every replica, every restart and every way in gives a task and its step attempts the
// same ids.

// newTraceID is the trace of a task: SHA-256(source, task id).
func newTraceID(source, taskID string) pcommon.TraceID { return taskerids.TraceID(source, taskID) }

// newTaskSpanID is the span of a task: SHA-256(source, task id).
func newTaskSpanID(source, taskID string) pcommon.SpanID { return taskerids.TaskSpanID(source, taskID) }

// newStepSpanID is the span of one step attempt: SHA-256(source, task id, step id, attempt).
func newStepSpanID(source, taskID, stepID string, attempt int64) pcommon.SpanID {
	return taskerids.StepSpanID(source, taskID, stepID, attempt)
}
