// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package tasker is the event model of the distribution: it turns what Tasker (the Rails
// workflow engine) emits into one normalized Event, and knows Tasker's catalog of events.
// The `tasker` receiver builds every signal (logs, traces, metrics) from it.
//
// # The model
//
// An Event has the fields every signal needs as typed Go fields — name, time, task and
// step ids and names, namespace, version, attempt, retry limit, execution and total
// durations, from/to state, error class/message/backtrace, correlation id, the source's
// host and pid, started/completed times, the log message and severity — and keeps every
// other field of the payload, in order, as typed key/value pairs (Event.Payload) for the
// receiver to emit as `tasker.payload.*` attributes. Tasker names the same thing in
// several ways (`error_class`/`exception_class`, `step_id`/`workflow_step_id`,
// `entity_id` of a step log/`step_id`); each Event field lists the keys it is read from,
// best first, and the keys that lose stay in the payload. Ids arrive as JSON numbers
// (Tasker's bigint columns) or strings and are kept as strings, numbers in canonical
// decimal. Times arrive as ISO-8601 strings, Ruby Time#to_s strings, or unix epochs, and
// are normalized to UTC.
//
// # The catalog
//
// Lookup gives, for any event name, its category, the task/step entity it is about,
// whether it starts or ends that entity's span and with which outcome, its default
// severity, and the signals, priority and sampling rate of Tasker's default EventRouter
// mapping. It knows the 65 system events of tasker-reference §1 (task.*, step.*,
// workflow.*, observability.*, tasker.telemetry.*, the registry events), Tasker's test
// events and the "future" events of EventRouter's defaults. Any other name is a custom
// event, accepted like the others.
//
// # Inputs
//
//   - ParseEvent: one event payload (a JSON object), as a host-app subscriber posts it.
//   - ParseBatch: an HTTP body of events — one object, a JSON array or NDJSON — with a
//     result per item, so valid items are kept when others are rejected.
//   - ParseLogLine: a line of Tasker's structured logging (JSON, pretty JSON, logfmt,
//     with or without the Rails logger prefix); other lines are reported as plain.
//
// Errors are *ParseError values that name the field, the problem and the position.
//
// # Performance
//
// Nothing on these paths uses reflection or encoding/json: a small scanner (scan.go)
// reads the JSON, decoding only the fields the model needs and keeping nested payload
// objects as raw text. The input is converted to a string once and every string of an
// Event that needs no unescaping is a substring of it, so a typical event costs two
// allocations (the input copy and its payload slice; a Parser amortizes the latter
// over many events, and ParseBatch shares one copy of the body among all its events).
// The flip side: an Event keeps its input alive; clone what you keep for long.
package tasker // import "github.com/tasker-systems/otelcol-tasker/internal/tasker"
