// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const infoPrefix = `I, [2026-11-22T10:00:01.003512 #48211]  INFO -- : `

// stepLogEvent is what stepLogJSON and stepLogfmt hold.
func stepLogEvent() Event {
	return Event{
		Name: "step.completed", Time: ts("2026-11-22T10:00:01.003Z"), EventType: "completed", EntityType: "step",
		TaskID: "1042", TaskName: "order_fulfillment", StepID: "50213", StepName: "charge_payment",
		CorrelationID: "tsk_m3x9k2p1_a8F3kQ", PID: 48211, Message: "Step completed",
		Payload: []Field{f("component", str("step_executor")), f("environment", str("production")),
			f("tasker_version", str("0.1.0")), f("thread_id", str("1a2b3c")), f("step_status", str("complete")),
			f("duration_ms", Value{kind: KindFloat, str: "842.31"}), f("performance_category", str("moderate"))},
	}
}

// prettyJSON renders a flat JSON object as JSON.pretty_generate does.
func prettyJSON(compact string) string {
	var b strings.Builder
	depth := 0
	inStr := false
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		if inStr {
			b.WriteByte(c)
			if c == '\\' {
				i++
				b.WriteByte(compact[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			b.WriteByte(c)
		case '{', '[':
			depth++
			b.WriteByte(c)
			b.WriteString("\n" + strings.Repeat("  ", depth))
		case '}', ']':
			depth--
			b.WriteString("\n" + strings.Repeat("  ", depth))
			b.WriteByte(c)
		case ',':
			b.WriteString(",\n" + strings.Repeat("  ", depth))
		case ':':
			b.WriteString(": ")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestParseLogLineForms(t *testing.T) {
	jsonBody := strings.TrimPrefix(stepLogJSON, infoPrefix)
	withPrefixSeverity := func(ev Event) Event { ev.LogSeverity = SeverityInfo; return ev }
	tests := []struct {
		name string
		line string
		want Event
	}{
		{"json", jsonBody, stepLogEvent()},
		{"json with prefix", stepLogJSON, withPrefixSeverity(stepLogEvent())},
		{"json with prefix and newline", stepLogJSON + "\r\n", withPrefixSeverity(stepLogEvent())},
		{"pretty json", prettyJSON(jsonBody), stepLogEvent()},
		{"pretty json with prefix", infoPrefix + prettyJSON(jsonBody), withPrefixSeverity(stepLogEvent())},
		{"logfmt", stepLogfmt, stepLogEvent()},
		{"logfmt with prefix", infoPrefix + stepLogfmt, withPrefixSeverity(stepLogEvent())},
		{"json with prefix and tags", infoPrefix + "[req-8f2c] [worker] " + jsonBody, withPrefixSeverity(stepLogEvent())},
		{"logfmt with tags", "[req-8f2c] " + stepLogfmt, stepLogEvent()},
		{"json with BOM", "\xEF\xBB\xBF" + jsonBody, stepLogEvent()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok, err := ParseLogLine([]byte(tt.line))
			require.NoError(t, err)
			require.True(t, ok)
			assert.Empty(t, sameEvent(tt.want, ev))
			assert.Empty(t, saneEvent(&ev))
		})
	}
}

func TestParseLogLineEntities(t *testing.T) {
	const common = `"timestamp":"2026-11-22T10:00:00.000Z","correlation_id":"tsk_1","component":"c","tasker_version":"0.1.0"`
	tests := []struct {
		name     string
		line     string
		wantName string
		check    func(t *testing.T, ev Event)
	}{
		{"task started", `{` + common + `,"message":"Task started","entity_type":"task","entity_id":1042,"entity_name":"order_fulfillment","event_type":"started","task_status":"in_progress"}`,
			"task.start_requested", func(t *testing.T, ev Event) {
				assert.Equal(t, "1042", ev.TaskID)
				assert.Equal(t, "order_fulfillment", ev.TaskName)
				assert.Equal(t, "started", ev.EventType)
			}},
		{"task enqueued", `{` + common + `,"entity_type":"task","entity_id":1,"event_type":"enqueued"}`, "observability.task.enqueue", nil},
		{"task failed", `{` + common + `,"entity_type":"task","entity_id":1,"event_type":"failed","error":"boom"}`, "task.failed",
			func(t *testing.T, ev Event) { assert.Equal(t, "boom", ev.ErrorMessage) }},
		{"task retry", `{` + common + `,"entity_type":"task","entity_id":1,"event_type":"retry_requested"}`, "task.retry_requested", nil},
		{"step started", `{` + common + `,"entity_type":"step","entity_id":5,"event_type":"started","task_id":1}`, "step.execution_requested",
			func(t *testing.T, ev Event) { assert.Equal(t, "5", ev.StepID); assert.Equal(t, "1", ev.TaskID) }},
		{"step before_handle", `{` + common + `,"entity_type":"step","entity_id":5,"event_type":"before_handle"}`, "step.before_handle", nil},
		{"step backoff", `{` + common + `,"entity_type":"step","entity_id":5,"event_type":"backoff"}`, "observability.step.backoff", nil},
		{"step failed", `{` + common + `,"entity_type":"step","entity_id":5,"event_type":"failed","duration_ms":1200,"error":"timeout"}`, "step.failed",
			func(t *testing.T, ev Event) {
				assert.False(t, ev.HasExecutionDuration, "duration_ms of a step line is the row's age, not a run time")
				assert.Equal(t, SeverityError, ev.Severity())
			}},
		{"step cancelled", `{` + common + `,"entity_type":"step","entity_id":5,"event_type":"cancelled"}`, "step.cancelled", nil},
		{"orchestration", `D, [2026-11-22T10:00:00.000001 #7] DEBUG -- : {` + common + `,"message":"Orchestration started","entity_type":"orchestration","operation":"step_batch_execution","event_type":"started","task_id":1042,"step_count":3}`,
			"orchestration.step_batch_execution.started", func(t *testing.T, ev Event) {
				assert.Equal(t, SeverityDebug, ev.LogSeverity)
				assert.Equal(t, SeverityDebug, ev.Severity())
				assert.Equal(t, int64(7), ev.PID)
				assert.Equal(t, []Field{f("component", str("c")), f("tasker_version", str("0.1.0")),
					f("operation", str("step_batch_execution")), f("step_count", num("3"))}, ev.Payload)
			}},
		{"performance", `W, [2026-11-22T10:00:00.000001 #7]  WARN -- : {` + common + `,"message":"Performance measurement","entity_type":"performance","operation":"sql_query","duration_ms":2100.0,"performance_category":"slow","is_slow":true}`,
			"performance.sql_query", func(t *testing.T, ev Event) {
				assert.Equal(t, SeverityWarn, ev.Severity())
				assert.Equal(t, "2100.0", payloadText(&ev, "duration_ms"))
			}},
		{"exception", `E, [2026-11-22T10:00:00.000001 #7] ERROR -- : {` + common + `,"message":"Exception occurred: Net::ReadTimeout","entity_type":"exception","exception_class":"Net::ReadTimeout","exception_message":"Net::ReadTimeout with #<TCPSocket:(closed)>","backtrace":["/app/steps/charge.rb:12:in 'call'","/gems/net-http/lib/net/protocol.rb:229"],"step_id":5}`,
			"exception", func(t *testing.T, ev Event) {
				assert.Equal(t, "Net::ReadTimeout", ev.ErrorClass)
				assert.Equal(t, "Net::ReadTimeout with #<TCPSocket:(closed)>", ev.ErrorMessage)
				assert.Len(t, ev.Backtrace, 2)
				assert.Equal(t, "5", ev.StepID)
				assert.Equal(t, SeverityError, ev.Severity())
			}},
		{"export coordinator", `{` + common + `,"entity_type":"export_coordinator","event_type":"plugin_registered","entity_id":"json"}`,
			"export_coordinator.plugin_registered", func(t *testing.T, ev Event) {
				assert.Equal(t, CategoryTelemetry, ev.Info().Category)
				assert.Equal(t, f("entity_id", str("json")), ev.Payload[len(ev.Payload)-1])
			}},
		{"bare log_structured", `{` + common + `,"message":"Processing workflow","task_id":1042}`, "",
			func(t *testing.T, ev Event) { assert.Equal(t, "1042", ev.TaskID) }},
		{"event key", `{"event":"task.completed","task_id":1042,"timestamp":"2026-11-22T10:00:00Z"}`, "task.completed", nil},
		{"event key, custom with a tasker prefix", `{"event":"workflow.new_thing"}`, "workflow.new_thing", nil},
		{"name key is context in logs", `{` + common + `,"name":"x","entity_type":"task","entity_id":1,"event_type":"completed"}`, "task.completed",
			func(t *testing.T, ev Event) { assert.Contains(t, ev.Payload, f("name", str("x"))) }},
		{"prefix time when the payload has none", `E, [2026-11-22T10:00:00.250000 #99] ERROR -- tasker: {"tasker_version":"0.1.0","message":"x"}`, "",
			func(t *testing.T, ev Event) {
				assert.Equal(t, ts("2026-11-22T10:00:00.25Z"), ev.Time)
				assert.Equal(t, int64(99), ev.PID)
				assert.Equal(t, SeverityError, ev.LogSeverity)
			}},
		{"prefix: payload pid and time win", `I, [2026-11-22T09:00:00.000000 #1]  INFO -- : {"tasker_version":"0.1.0","process_id":2,"timestamp":"2026-11-22T10:00:00Z"}`, "",
			func(t *testing.T, ev Event) {
				assert.Equal(t, ts("2026-11-22T10:00:00Z"), ev.Time)
				assert.Equal(t, int64(2), ev.PID)
			}},
		{"prefix ANY severity", `A, [2026-11-22T09:00:00.000000 #1]   ANY -- : {"tasker_version":"0.1.0"}`, "",
			func(t *testing.T, ev Event) { assert.Equal(t, SeverityUnset, ev.LogSeverity) }},
		{"level field without prefix", `{"tasker_version":"0.1.0","level":"warn"}`, "",
			func(t *testing.T, ev Event) { assert.Equal(t, SeverityWarn, ev.LogSeverity) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok, err := ParseLogLine([]byte(tt.line))
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, tt.wantName, ev.Name)
			assert.Empty(t, saneEvent(&ev))
			if tt.check != nil {
				tt.check(t, ev)
			}
		})
	}
}

func TestParseLogLineLogfmt(t *testing.T) {
	line := `timestamp="2026-11-22T10:00:00.000Z" correlation_id="tsk_1" message="Step "charge" failed: card="x"" tasker_version="0.1.0" ` +
		"entity_type=\"step\" entity_id=5 event_type=failed backtrace=[\"/app/a.rb:1:in `call'\", \"/app/b.rb:2\"] " +
		`context={"order_id"=>77, :retry=>nil} tags=["a", "b"] opts={"a": [1, 2]} empty= is_slow=false ratio=-0.5 ` +
		`big=123456789012345678901 code=007 sym=:done url=http://x/y?a=b`
	ev, ok, err := ParseLogLine([]byte(line))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "step.failed", ev.Name)
	assert.Equal(t, `Step "charge" failed: card="x"`, ev.Message)
	assert.Equal(t, []string{"/app/a.rb:1:in `call'", "/app/b.rb:2"}, ev.Backtrace)
	assert.Equal(t, "5", ev.StepID)
	assert.Equal(t, []Field{
		f("tasker_version", str("0.1.0")),
		f("context", str(`{"order_id"=>77, :retry=>nil}`)),
		f("tags", raw(`["a","b"]`)),
		f("opts", raw(`{"a":[1,2]}`)),
		f("empty", NullValue()),
		f("is_slow", BoolValue(false)),
		f("ratio", num("-0.5")),
		f("big", num("123456789012345678901")),
		f("code", str("007")),
		f("sym", str(":done")),
		f("url", str("http://x/y?a=b")),
	}, ev.Payload)
}

func TestParseLogLinePlain(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		message string
		sev     Severity
	}{
		{"tasker plain line", `[Tasker::MetricsBackend] Cache strategy selected: local_only`, `[Tasker::MetricsBackend] Cache strategy selected: local_only`, 0},
		{"plain with prefix", `I, [2026-11-22T10:00:00.000000 #42]  INFO -- : [Tasker::MetricsBackend] Cache strategy selected: local_only`, `[Tasker::MetricsBackend] Cache strategy selected: local_only`, SeverityInfo},
		{"rails request", `I, [2026-11-22T10:00:00.000000 #42]  INFO -- : [req-1] Started GET "/tasker/metrics" for 127.0.0.1`, `[req-1] Started GET "/tasker/metrics" for 127.0.0.1`, SeverityInfo},
		{"rails error", `E, [2026-11-22T10:00:00.000000 #42] ERROR -- : Structured logging failed: undefined method`, `Structured logging failed: undefined method`, SeverityError},
		{"empty", ``, ``, 0},
		{"blank", "   \r\n", ``, 0},
		{"empty message", `I, [2026-11-22T10:00:00.000000 #42]  INFO -- :`, ``, SeverityInfo},
		{"foreign json", `{"method":"GET","path":"/orders","status":200}`, `{"method":"GET","path":"/orders","status":200}`, 0},
		{"structlog json", `{"event":"user logged in","user":7}`, `{"event":"user logged in","user":7}`, 0},
		{"json array", `["a","b"]`, `["a","b"]`, 0},
		{"foreign logfmt", `at=info method=GET path=/ status=200`, `at=info method=GET path=/ status=200`, 0},
		{"broken logfmt", `timestamp="2026 tasker_version=0.1.0 entity_type=step`, `timestamp="2026 tasker_version=0.1.0 entity_type=step`, 0},
		{"key without value separator", `tasker_version 0.1.0`, `tasker_version 0.1.0`, 0},
		{"empty entity_type is no marker", `entity_type=""`, `entity_type=""`, 0}, // found by FuzzParseLogLine
		{"boolean entity_type is no marker", `{"entity_type":true}`, `{"entity_type":true}`, 0},
		{"not a prefix", `I, [not closed`, `I, [not closed`, 0},
		{"prefix without arrow", `I, [2026-11-22T10:00:00.000000 #42]  INFO x`, `I, [2026-11-22T10:00:00.000000 #42]  INFO x`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok, err := ParseLogLine([]byte(tt.line))
			require.NoError(t, err)
			assert.False(t, ok)
			assert.Equal(t, tt.message, ev.Message)
			assert.Equal(t, tt.sev, ev.LogSeverity)
			assert.Empty(t, ev.Name)
			if tt.sev != 0 {
				assert.Equal(t, int64(42), ev.PID)
				assert.Equal(t, ts("2026-11-22T10:00:00Z"), ev.Time)
			}
		})
	}
}

func TestParseLogLineErrors(t *testing.T) {
	tests := []struct {
		name string
		line string
		text string
	}{
		{"truncated json", `{"timestamp":"2026-11-22T10:00:00Z","tasker_version":"0.1`, `invalid JSON: unterminated string (line 1, column 58)`},
		{"truncated json with prefix", infoPrefix + `{"timestamp":"2026-11-22T10:00:00Z",`, `invalid JSON: unexpected end of input (line 1, column 87)`},
		{"trailing garbage", `{"tasker_version":"0.1.0"} trailing`, `invalid JSON: unexpected data after the JSON object (line 1, column 28)`},
		{"bad field", infoPrefix + `{"tasker_version":"0.1.0","timestamp":"soon"}`, `timestamp: unrecognized time "soon" (expected ISO 8601, Ruby Time#to_s or unix epoch) (line 1, column 89)`},
		{"bad logfmt field", `tasker_version="0.1.0" entity_type=step entity_id=true`, `entity_id: must be an integer or a string, got a boolean (line 1, column 51)`},
		{"pretty json, bad field on line 3", "{\n  \"tasker_version\": \"0.1.0\",\n  \"attempt\": -2\n}", `attempt: must not be negative, got -2 (line 3, column 14)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok, err := ParseLogLine([]byte(tt.line))
			require.Error(t, err)
			assert.False(t, ok)
			assert.Equal(t, tt.text, err.Error())
			var pe *ParseError
			assert.True(t, errors.As(err, &pe))
			// The line is still usable as a plain record.
			assert.NotEmpty(t, ev.Message)
			if strings.HasPrefix(tt.line, infoPrefix) {
				assert.Equal(t, int64(48211), ev.PID)
				assert.Equal(t, SeverityInfo, ev.LogSeverity)
			}
		})
	}
}

func TestParseLogLineAllocs(t *testing.T) {
	for _, line := range []string{stepLogJSON, stepLogfmt} {
		in := []byte(line)
		allocs := testing.AllocsPerRun(200, func() {
			if _, ok, err := ParseLogLine(in); !ok || err != nil {
				t.Fatal(ok, err)
			}
		})
		assert.LessOrEqual(t, allocs, 2.0, line)
	}
}
