// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"crypto/sha256"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Deterministic ids, as contrib's githubreceiver derives them: SHA-256 of the parts
// that identify the entity, so every replica (and every restart) gives a task and its
// step attempts the same ids. Parts are separated by NUL so that ("a", "bc") and
// ("ab", "c") differ. The deployment (the line's `environment`, the HTTP request's
// X-Tasker-Environment header, or `deployment_environment`) is part of every id: two
// deployments with their own databases reuse task ids.

func idHash(parts ...string) [32]byte {
	var stack [256]byte // the ids of Tasker's tasks are short: no allocation
	buf := stack[:0]
	for _, p := range parts {
		buf = append(buf, p...)
		buf = append(buf, 0)
	}
	return sha256.Sum256(buf)
}

// newTraceID is the trace of a task: SHA-256(source, deployment, task id, "trace").
func newTraceID(source, dep, taskID string) pcommon.TraceID {
	h := idHash(source, dep, taskID, "trace")
	var id pcommon.TraceID
	copy(id[:], h[:16])
	return id
}

// newTaskSpanID is the span of a task: SHA-256(source, deployment, task id, "task").
func newTaskSpanID(source, dep, taskID string) pcommon.SpanID {
	h := idHash(source, dep, taskID, "task")
	var id pcommon.SpanID
	copy(id[:], h[:8])
	return id
}

// newStepSpanID is the span of one step attempt: SHA-256(source, deployment, task id,
// step id, attempt, "step"), attempt = finished attempts before it + 1 (1, 2, ...).
func newStepSpanID(source, dep, taskID, stepID string, attempt int64) pcommon.SpanID {
	var num [20]byte
	h := idHash(source, dep, taskID, stepID, string(strconv.AppendInt(num[:0], attempt, 10)), "step")
	var id pcommon.SpanID
	copy(id[:], h[:8])
	return id
}
