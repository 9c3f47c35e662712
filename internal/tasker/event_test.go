// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func f(key string, v Value) Field { return Field{Key: key, Value: v} }

func str(s string) Value { return StringValue(s) }

func num(lit string) Value {
	v, ok := numberValue(lit, !strings.ContainsAny(lit, ".eE"))
	if !ok {
		panic(lit)
	}
	return v
}

func raw(s string) Value { return RawValue(s) }

// TestParseEventFamilies parses one realistic payload of each event family
// (tasker-reference §1.3-1.8).
func TestParseEventFamilies(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Event
	}{
		{
			name: "task.completed builder payload",
			in: `{"event":"task.completed","timestamp":"2026-11-22T10:00:05Z","task_id":1042,"task_name":"order_fulfillment",
				"started_at":"2026-11-22T10:00:00Z","completed_at":"2026-11-22T10:00:05Z","task_type":"OrderFulfillmentHandler",
				"event_type":"completed","total_execution_duration":5.125,"total_steps":5,"completed_steps":5,"failed_steps":0,
				"pending_steps":0,"completion_percentage":100.0,"health_status":"healthy"}`,
			want: Event{Name: "task.completed", Time: ts("2026-11-22T10:00:05Z"), EventType: "completed",
				TaskID: "1042", TaskName: "order_fulfillment",
				StartedAt: ts("2026-11-22T10:00:00Z"), CompletedAt: ts("2026-11-22T10:00:05Z"),
				TotalDuration: 5125 * time.Millisecond, HasTotalDuration: true, TotalSeconds: 5.125,
				Payload: []Field{f("task_type", str("OrderFulfillmentHandler")), f("total_steps", num("5")),
					f("completed_steps", num("5")), f("failed_steps", num("0")), f("pending_steps", num("0")),
					f("completion_percentage", num("100.0")), f("health_status", str("healthy"))}},
		},
		{
			name: "task.failed from the finalizer",
			in: `{"event":"task.failed","timestamp":"2026-11-22 10:00:05 UTC","task_id":"1042","task_name":"order_fulfillment",
				"error_message":"steps_in_error_state","error_steps":[{"step_id":3,"name":"charge"}],"failed_steps_count":1,
				"current_execution_duration":4.5}`,
			want: Event{Name: "task.failed", Time: ts("2026-11-22T10:00:05Z"), TaskID: "1042", TaskName: "order_fulfillment",
				ErrorMessage: "steps_in_error_state",
				Payload: []Field{f("error_steps", raw(`[{"step_id":3,"name":"charge"}]`)), f("failed_steps_count", num("1")),
					f("current_execution_duration", num("4.5"))}},
		},
		{
			name: "task state machine transition",
			in: `{"event":"task.start_requested","timestamp":"2026-11-22 10:00:00 +0000","task_id":1042,"task_name":"order_fulfillment",
				"task_context":{"order_id":77},"from_state":"pending","to_state":"in_progress","transitioned_at":"2026-11-22 10:00:00 +0000"}`,
			want: Event{Name: "task.start_requested", Time: ts("2026-11-22T10:00:00Z"), TaskID: "1042", TaskName: "order_fulfillment",
				FromState: "pending", ToState: "in_progress",
				Payload: []Field{f("task_context", raw(`{"order_id":77}`)), f("transitioned_at", str("2026-11-22 10:00:00 +0000"))}},
		},
		{
			name: "task.before_transition",
			in:   `{"event":"task.before_transition","task_id":9,"from_state":null,"to_state":"pending","transition_event":"initialize_requested"}`,
			want: Event{Name: "task.before_transition", TaskID: "9", ToState: "pending",
				Payload: []Field{f("transition_event", str("initialize_requested"))}},
		},
		{
			name: "step.completed builder payload",
			in:   stepCompletedJSON,
			want: Event{Name: "step.completed", Time: ts("2026-11-22T10:00:01Z"), EventType: "completed",
				TaskID: "1042", StepID: "50213", StepName: "charge_payment",
				StartedAt: ts("2026-11-22T10:00:00Z"), CompletedAt: ts("2026-11-22T10:00:01Z"),
				Attempt: 1, HasAttempt: true, RetryLimit: 3, HasRetryLimit: true,
				ExecutionDuration: 842 * time.Millisecond, HasExecutionDuration: true, ExecutionSeconds: 0.842,
				Payload: []Field{f("step_results", raw(`{"charge_id":"ch_3Nk","amount_cents":129900,"captured":true}`))}},
		},
		{
			name: "step.failed from a handler",
			in: `{"event":"step.failed","timestamp":1795341601,"task_id":1042,"step_id":50213,"step_name":"charge_payment",
				"attempt_number":2,"retry_limit":3,"event_type":"failed","error_message":"card declined",
				"exception_class":"Payments::Declined","error_class":"Payments::Declined",
				"backtrace":["app/steps/charge.rb:12:in 'call'","lib/tasker/step_handler/base.rb:40"],"step_results":null}`,
			want: Event{Name: "step.failed", Time: time.Unix(1795341601, 0).UTC(), EventType: "failed",
				TaskID: "1042", StepID: "50213", StepName: "charge_payment", Attempt: 2, HasAttempt: true,
				RetryLimit: 3, HasRetryLimit: true, ErrorMessage: "card declined", ErrorClass: "Payments::Declined",
				Backtrace: []string{"app/steps/charge.rb:12:in 'call'", "lib/tasker/step_handler/base.rb:40"},
				Payload:   []Field{f("exception_class", str("Payments::Declined")), f("step_results", NullValue())}},
		},
		{
			name: "step.retry_requested from the state machine",
			in: `{"event":"step.retry_requested","timestamp":"2026-11-22T10:00:02.5+01:00","task_id":1042,"step_id":50213,
				"step_name":"charge_payment","attempt_number":2,"event_type":"retry","previous_attempts":1,
				"retry_reason":"Step execution failed","backoff_strategy":"exponential","from_state":"error","to_state":"pending"}`,
			want: Event{Name: "step.retry_requested", Time: ts("2026-11-22T09:00:02.5Z"), EventType: "retry",
				TaskID: "1042", StepID: "50213", StepName: "charge_payment", Attempt: 2, HasAttempt: true,
				FromState: "error", ToState: "pending",
				Payload: []Field{f("previous_attempts", num("1")), f("retry_reason", str("Step execution failed")),
					f("backoff_strategy", str("exponential"))}},
		},
		{
			name: "workflow.viable_steps_discovered",
			in: `{"event":"workflow.viable_steps_discovered","event_type":"viable_steps_discovered","orchestration_event":true,
				"timestamp":"2026-11-22T10:00:00Z","task_id":1042,"step_ids":[50211,50212],"processing_mode":"concurrent",
				"step_count":2,"viable_count":2,"step_names":["a","b"]}`,
			want: Event{Name: "workflow.viable_steps_discovered", EventType: "viable_steps_discovered",
				Time: ts("2026-11-22T10:00:00Z"), TaskID: "1042",
				Payload: []Field{f("orchestration_event", BoolValue(true)), f("step_ids", raw(`[50211,50212]`)),
					f("processing_mode", str("concurrent")), f("step_count", num("2")), f("viable_count", num("2")),
					f("step_names", raw(`["a","b"]`))}},
		},
		{
			name: "workflow.task_reenqueue_failed",
			in: `{"event":"workflow.task_reenqueue_failed","task_id":1042,"task_name":"order_fulfillment",
				"reason":"retry_backoff","timestamp":"2026-11-22T10:00:00.000Z","error":"Redis::CannotConnectError"}`,
			want: Event{Name: "workflow.task_reenqueue_failed", TaskID: "1042", TaskName: "order_fulfillment",
				Time: ts("2026-11-22T10:00:00Z"), ErrorMessage: "Redis::CannotConnectError",
				Payload: []Field{f("reason", str("retry_backoff"))}},
		},
		{
			name: "observability.task.enqueue from TaskRunnerJob",
			in: `{"event":"observability.task.enqueue","event_type":"enqueue","task_id":1042,"task_name":"order_fulfillment",
				"task_context":{},"job_id":"4f1c","correlation_id":"tsk_m3x9k2p1_a8F3kQ","queue_name":"default","attempt":1}`,
			want: Event{Name: "observability.task.enqueue", EventType: "enqueue", TaskID: "1042", TaskName: "order_fulfillment",
				CorrelationID: "tsk_m3x9k2p1_a8F3kQ", Attempt: 1, HasAttempt: true,
				Payload: []Field{f("task_context", raw(`{}`)), f("job_id", str("4f1c")), f("queue_name", str("default"))}},
		},
		{
			name: "observability.step.backoff",
			in: `{"event":"observability.step.backoff","event_type":"backoff","task_id":1042,"step_id":50213,
				"step_name":"charge_payment","backoff_seconds":4.2,"backoff_type":"exponential","attempt":2,
				"calculated_attempt":2,"base_delay":1.0,"multiplier":2,"jitter_enabled":true,"jitter_max_percentage":0.1}`,
			want: Event{Name: "observability.step.backoff", EventType: "backoff", TaskID: "1042", StepID: "50213",
				StepName: "charge_payment", Attempt: 2, HasAttempt: true,
				Payload: []Field{f("backoff_seconds", num("4.2")), f("backoff_type", str("exponential")),
					f("calculated_attempt", num("2")), f("base_delay", num("1.0")), f("multiplier", num("2")),
					f("jitter_enabled", BoolValue(true)), f("jitter_max_percentage", num("0.1"))}},
		},
		{
			name: "tasker.telemetry.export_completed",
			in: `{"event":"tasker.telemetry.export_completed","success":true,"format":"json","data":"{}","metrics_count":4,
				"duration_ms":12.5,"correlation_id":"5d0c9a2e-1111-4f4f-9c9c-0123456789ab","timestamp":"2026-11-22T10:00:00Z"}`,
			want: Event{Name: "tasker.telemetry.export_completed", CorrelationID: "5d0c9a2e-1111-4f4f-9c9c-0123456789ab",
				Time: ts("2026-11-22T10:00:00Z"),
				Payload: []Field{f("success", BoolValue(true)), f("format", str("json")), f("data", str("{}")),
					f("metrics_count", num("4")), f("duration_ms", num("12.5"))}},
		},
		{
			name: "tasker.telemetry.plugin_registered",
			in: `{"event":"tasker.telemetry.plugin_registered","plugin_name":"json","plugin_class":"Tasker::Telemetry::Plugins::JsonExporter",
				"options":{"replace":false},"timestamp":"2026-11-22T10:00:00Z"}`,
			want: Event{Name: "tasker.telemetry.plugin_registered", Time: ts("2026-11-22T10:00:00Z"),
				Payload: []Field{f("plugin_name", str("json")), f("plugin_class", str("Tasker::Telemetry::Plugins::JsonExporter")),
					f("options", raw(`{"replace":false}`))}},
		},
		{
			name: "registry event",
			in:   `{"event":"handler.registered","handler_class":"OrderHandler","namespace":"payments","version":"1.2.0","name":"order_fulfillment"}`,
			want: Event{Name: "handler.registered", Namespace: "payments", Version: "1.2.0",
				Payload: []Field{f("handler_class", str("OrderHandler")), f("name", str("order_fulfillment"))}},
		},
		{
			name: "custom event, nested payload, name key",
			in: `{"name":"order.shipped","payload":{"event_type":"custom","timestamp":"2026-11-22T10:00:00Z","order_id":"A-77",
				"carrier":"ups","task_id":1042}}`,
			want: Event{Name: "order.shipped", EventType: "custom", Time: ts("2026-11-22T10:00:00Z"), TaskID: "1042",
				Payload: []Field{f("order_id", str("A-77")), f("carrier", str("ups"))}},
		},
		{
			name: "test event",
			in:   `{"event":"Test.Event","message":"hello","level":"debug"}`,
			want: Event{Name: "Test.Event", Message: "hello", LogSeverity: SeverityDebug},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseEvent([]byte(tt.in))
			require.NoError(t, err)
			assert.Empty(t, sameEvent(tt.want, ev))
			assert.Empty(t, saneEvent(&ev))
		})
	}
}

func TestParseEventIDs(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`42`, "42"},
		{`"42"`, "42"},
		{`9223372036854775807`, "9223372036854775807"},
		{`-7`, "-7"},
		{`-0`, "0"},
		{`42.0`, "42"},
		{`1e3`, "1000"},
		{`"7f3c2a1e-0d4b-4c2e-9a51-6b2f0c1d9e88"`, "7f3c2a1e-0d4b-4c2e-9a51-6b2f0c1d9e88"},
		{`""`, ""},
		{`null`, ""},
	}
	for _, tt := range tests {
		for _, key := range []string{"task_id", "step_id", "workflow_step_id"} {
			ev, err := ParseEvent([]byte(`{"event":"step.completed","` + key + `":` + tt.in + `}`))
			require.NoError(t, err, tt.in)
			got := ev.TaskID
			if key != "task_id" {
				got = ev.StepID
			}
			assert.Equal(t, tt.want, got, "%s: %s", key, tt.in)
			assert.Empty(t, ev.Payload, tt.in)
		}
	}
}

func TestParseEventTimes(t *testing.T) {
	want := ts("2026-11-22T10:00:00Z")
	tests := []struct {
		in   string
		want time.Time
	}{
		{`"2026-11-22T10:00:00Z"`, want},
		{`"2026-11-22T10:00:00.000Z"`, want},
		{`"2026-11-22T10:00:00.123456789Z"`, want.Add(123456789)},
		{`"2026-11-22T10:00:00.1234567891Z"`, want.Add(123456789)},
		{`"2026-11-22T11:00:00+01:00"`, want},
		{`"2026-11-22T05:00:00-0500"`, want},
		{`"2026-11-22T12:00:00+02"`, want},
		{`"2026-11-22T10:00:00"`, want},
		{`"2026-11-22t10:00:00z"`, want},
		{`"2026-11-22T10:00"`, want},
		{`"2026-11-22"`, ts("2026-11-22T00:00:00Z")},
		{`"2026-11-22 10:00:00 +0000"`, want},
		{`"2026-11-22 10:00:00 UTC"`, want},
		{`"2026-11-22 10:00:00 GMT"`, want},
		{`"2026-11-22 05:00:00 -0500"`, want},
		{`"2026-11-22 10:00:00.5 UTC"`, want.Add(500 * time.Millisecond)},
		{`"2026-11-22 10:00:00,5"`, want.Add(500 * time.Millisecond)},
		{`1795341600`, want},
		{`1795341600.25`, want.Add(250 * time.Millisecond)},
		{`1795341600250`, want.Add(250 * time.Millisecond)},
		{`1795341600250000`, want.Add(250 * time.Millisecond)},
		{`1795341600250000001`, want.Add(250*time.Millisecond + 1)},
		{`1.7953416e9`, want},
		{`"1795341600"`, want},
		{`"1795341600.5"`, want.Add(500 * time.Millisecond)},
		{`"2028-02-29T00:00:00Z"`, ts("2028-02-29T00:00:00Z")},
	}
	for _, tt := range tests {
		for _, key := range []string{"timestamp", "@timestamp", "time", "started_at", "completed_at"} {
			ev, err := ParseEvent([]byte(`{"event":"x.y","` + key + `":` + tt.in + `}`))
			require.NoError(t, err, tt.in)
			got := ev.Time
			switch key {
			case "started_at":
				got = ev.StartedAt
			case "completed_at":
				got = ev.CompletedAt
			}
			assert.True(t, tt.want.Equal(got), "%s %s: got %s", key, tt.in, got)
			assert.Equal(t, time.UTC, got.Location())
		}
	}
}

func TestParseEventDurations(t *testing.T) {
	tests := []struct {
		in    string
		total bool
		want  time.Duration
	}{
		{`"execution_duration":0.842`, false, 842 * time.Millisecond},
		{`"execution_duration":0.0`, false, 0},
		{`"execution_duration":2`, false, 2 * time.Second},
		{`"execution_duration":"1.5"`, false, 1500 * time.Millisecond},
		{`"execution_duration":1.000000001`, false, time.Second + 1},
		{`"execution_duration":1e-3`, false, time.Millisecond},
		{`"duration_ms":5,"execution_duration":0.5`, false, 500 * time.Millisecond},
		// The executor's processed_at - updated_at (step_executor.rb:481-485).
		{`"execution_duration":-0.000312`, false, -312 * time.Microsecond},
		{`"execution_duration":-8.1e-05`, false, -81 * time.Microsecond},
		{`"total_execution_duration":120.5`, true, 120500 * time.Millisecond},
		{`"total_duration":3`, true, 3 * time.Second},
	}
	for _, tt := range tests {
		ev, err := ParseEvent([]byte(`{"event":"x.y",` + tt.in + `}`))
		require.NoError(t, err, tt.in)
		if tt.total {
			assert.True(t, ev.HasTotalDuration, tt.in)
			assert.Equal(t, tt.want, ev.TotalDuration, tt.in)
		} else {
			assert.True(t, ev.HasExecutionDuration, tt.in)
			assert.Equal(t, tt.want, ev.ExecutionDuration, tt.in)
		}
	}
}

// TestParseEventAliases checks which key wins when several name one field, in both
// orders, and that the losers stay in the payload.
func TestParseEventAliases(t *testing.T) {
	tests := []struct {
		a, b  string // a outranks b
		check func(*Event) string
		want  string
	}{
		{`"event":"a.b"`, `"name":"c.d"`, func(e *Event) string { return e.Name }, "a.b"},
		{`"error_class":"A"`, `"exception_class":"B"`, func(e *Event) string { return e.ErrorClass }, "A"},
		{`"error_message":"A"`, `"error":"B"`, func(e *Event) string { return e.ErrorMessage }, "A"},
		{`"exception_message":"A"`, `"error":"B"`, func(e *Event) string { return e.ErrorMessage }, "A"},
		{`"step_id":1`, `"workflow_step_id":2`, func(e *Event) string { return e.StepID }, "1"},
		{`"attempt_number":3`, `"attempt":4`, func(e *Event) string { return itoa(e.Attempt) }, "3"},
		{`"process_id":10`, `"pid":11`, func(e *Event) string { return itoa(e.PID) }, "10"},
		{`"hostname":"a"`, `"host":"b"`, func(e *Event) string { return e.Host }, "a"},
		{`"timestamp":"2026-11-22T10:00:00Z"`, `"time":"2027-01-01T00:00:00Z"`, func(e *Event) string { return e.Time.String() }, "2026-11-22 10:00:00 +0000 UTC"},
		{`"task_version":"2"`, `"version":"1"`, func(e *Event) string { return e.Version }, "2"},
	}
	for _, tt := range tests {
		for _, in := range []string{`{"event":"x.y",` + tt.a + `,` + tt.b + `}`, `{"event":"x.y",` + tt.b + `,` + tt.a + `}`} {
			if strings.HasPrefix(tt.a, `"event"`) {
				in = strings.Replace(in, `"event":"x.y",`, ``, 1)
			}
			ev, err := ParseEvent([]byte(in))
			require.NoError(t, err, in)
			assert.Equal(t, tt.want, tt.check(&ev), in)
			require.Len(t, ev.Payload, 1, in)
			assert.Equal(t, strings.Trim(strings.SplitN(tt.b, ":", 2)[0], `"`), ev.Payload[0].Key, in)
		}
	}

	// The same key twice: the last one wins (encoding/json's rule).
	ev, err := ParseEvent([]byte(`{"event":"x.y","task_id":1,"task_id":2}`))
	require.NoError(t, err)
	assert.Equal(t, "2", ev.TaskID)
	assert.Empty(t, ev.Payload)

	// Generic keys that do not fit stay in the payload instead of failing the event.
	ev, err = ParseEvent([]byte(`{"event":"x.y","error":{"code":7},"time":"lunch","host":["a"],"message":5,"level":"loud","duration":"long","version":{"v":1}}`))
	require.NoError(t, err)
	assert.Equal(t, "5", ev.Message)
	assert.Zero(t, ev.ErrorMessage)
	assert.True(t, ev.Time.IsZero())
	keys := []string{}
	for _, f := range ev.Payload {
		keys = append(keys, f.Key)
	}
	assert.ElementsMatch(t, []string{"error", "time", "host", "level", "duration", "version"}, keys)
}

func itoa(n int64) string { return IntValue(n).Text() }

func TestParseEventValues(t *testing.T) {
	ev, err := ParseEvent([]byte("{\"event\":\"x.y\",\n  \"s\": \"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\",\n  \"i\": -12,\n" +
		"  \"f\": 1.5e3,\n  \"big\": 123456789012345678901,\n  \"t\": true,\n  \"n\": null,\n" +
		"  \"o\": { \"a\" : [ 1, { \"b\" : \"x y\" } ] },\n  \"lone\": \"\\ud800x\",\n  \"bad\": \"a\xffb\",\n  \"\": 1\n}"))
	require.NoError(t, err)
	want := []Field{
		f("s", str("a\"b\\c/d\né😀")),
		f("i", num("-12")),
		f("f", num("1.5e3")),
		f("big", num("123456789012345678901")),
		f("t", BoolValue(true)),
		f("n", NullValue()),
		f("o", raw(`{"a":[1,{"b":"x y"}]}`)),
		f("lone", str("\uFFFDx")),
		f("bad", str("a\uFFFDb")),
		f("", num("1")),
	}
	assert.Equal(t, want, ev.Payload)
	assert.Equal(t, KindInt, ev.Payload[1].Value.Kind())
	assert.Equal(t, int64(-12), ev.Payload[1].Value.Int())
	assert.Equal(t, KindFloat, ev.Payload[2].Value.Kind())
	assert.Equal(t, 1500.0, ev.Payload[2].Value.Float())
	assert.Equal(t, KindFloat, ev.Payload[3].Value.Kind())
	assert.True(t, ev.Payload[4].Value.Bool())
	assert.Equal(t, `{"a":[1,{"b":"x y"}]}`, ev.Payload[6].Value.Raw())
	assert.Equal(t, "null", ev.Payload[5].Value.String())
}

func TestParseEventBacktrace(t *testing.T) {
	tests := []struct{ in, want string }{
		{`["a.rb:1","b.rb:2"]`, "a.rb:1|b.rb:2"},
		{`"a.rb:1\nb.rb:2\n"`, "a.rb:1|b.rb:2"},
		{`"a.rb:1\r\nb.rb:2"`, "a.rb:1|b.rb:2"},
		{`["a.rb:1",null]`, "a.rb:1"},
		{`[]`, ""},
	}
	for _, tt := range tests {
		ev, err := ParseEvent([]byte(`{"event":"step.failed","backtrace":` + tt.in + `}`))
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, strings.Join(ev.Backtrace, "|"), tt.in)
	}
}
