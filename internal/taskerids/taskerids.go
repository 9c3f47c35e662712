// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package taskerids holds the deterministic trace and span ids of Tasker's tasks and
// step attempts, shared by every component that builds spans for them (the tasker
// receiver, the tasker_spans connector), so that the same task gets the same ids
// whichever way its data came in, on every replica and after every restart.
//
// The ids are SHA-256 derived, as contrib's githubreceiver does: the parts that
// identify the entity, each followed by a NUL byte (so ("a", "bc") and ("ab", "c")
// differ), and a final tag so the three kinds never collide:
//
//	trace id      first 16 bytes of SHA-256(source ␀ deployment ␀ task_id ␀ "trace" ␀)
//	task span id  first 8 bytes of SHA-256(source ␀ deployment ␀ task_id ␀ "task" ␀)
//	step span id  first 8 bytes of SHA-256(source ␀ deployment ␀ task_id ␀ step_id ␀ n ␀ "step" ␀)
//
// with the attempt n (finished attempts before it + 1) in decimal. The deployment (a
// Tasker log line's `environment`, an HTTP request's X-Tasker-Environment header, or
// the component's `deployment_environment`; empty when none) is part of every id: two
// deployments with their own databases reuse task ids.
package taskerids // import "github.com/tasker-systems/otelcol-tasker/internal/taskerids"

import (
	"crypto/sha256"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func hash(parts ...string) [32]byte {
	var stack [256]byte // the ids of Tasker's tasks are short: no allocation
	buf := stack[:0]
	for _, p := range parts {
		buf = append(buf, p...)
		buf = append(buf, 0)
	}
	return sha256.Sum256(buf)
}

// TraceID is the trace of a task.
func TraceID(source, dep, taskID string) pcommon.TraceID {
	h := hash(source, dep, taskID, "trace")
	var id pcommon.TraceID
	copy(id[:], h[:16])
	return id
}

// TaskSpanID is the span of a task.
func TaskSpanID(source, dep, taskID string) pcommon.SpanID {
	h := hash(source, dep, taskID, "task")
	var id pcommon.SpanID
	copy(id[:], h[:8])
	return id
}

// StepSpanID is the span of attempt n of a step.
func StepSpanID(source, dep, taskID, stepID string, attempt int64) pcommon.SpanID {
	var num [20]byte
	h := hash(source, dep, taskID, stepID, string(strconv.AppendInt(num[:0], attempt, 10)), "step")
	var id pcommon.SpanID
	copy(id[:], h[:8])
	return id
}
