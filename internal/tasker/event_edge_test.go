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

// TestParseEventErrors pins the exact error texts, fields and positions.
func TestParseEventErrors(t *testing.T) {
	tests := []struct {
		in    string
		field string
		text  string
	}{
		{``, "", `empty input`},
		{"  \n ", "", `empty input`},
		{`[1,2]`, "", `expected a JSON object (line 1, column 1)`},
		{`"step.completed"`, "", `expected a JSON object (line 1, column 1)`},
		{`nope`, "", `invalid JSON: unexpected character 'n' (line 1, column 1)`},
		{`{"event":"a.b"`, "", `invalid JSON: unexpected end of input (line 1, column 15)`},
		{`{"event":"a.b",}`, "", `invalid JSON: expected a string key (line 1, column 16)`},
		{`{"event" "a.b"}`, "", `invalid JSON: expected ':' after object key (line 1, column 10)`},
		{"{\"event\":\"a.b\"\n \"task_id\":1}", "", `invalid JSON: expected ',' or '}' after object value (line 2, column 2)`},
		{`{"event":"a.b","x":[1 2]}`, "", `invalid JSON: expected ',' or ']' after array element (line 1, column 23)`},
		{`{"event":"a.b","x":tru}`, "", `invalid JSON: unexpected character 't' (line 1, column 20)`},
		{`{"event":"a.b","x":01}`, "", `invalid JSON: expected ',' or '}' after object value (line 1, column 21)`},
		{`{"event":"a.b","x":-}`, "", `invalid JSON: invalid number (line 1, column 20)`},
		{`{"event":"a.b","x":1e999}`, "", `invalid JSON: number out of range (line 1, column 20)`},
		{`{"event":"a.b","x":"\q"}`, "", `invalid JSON: invalid escape sequence (line 1, column 21)`},
		{`{"event":"a.b","x":"\u12"}`, "", `invalid JSON: invalid escape sequence (line 1, column 21)`},
		{"{\"event\":\"a\tb\"}", "", `invalid JSON: control character in string (line 1, column 12)`},
		{`{"event":"a.b","x":"abc`, "", `invalid JSON: unterminated string (line 1, column 24)`},
		{`{"event":"a.b"} {}`, "", `invalid JSON: unexpected data after the JSON object (line 1, column 17)`},
		{`{"event":"a.b","x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`, "", `invalid JSON: nesting deeper than 512 levels (line 1, column 531)`},
		{`{"task_id":1}`, "event", `event: missing event name (expected "event" or "name") (line 1, column 1)`},
		{`{"event":""}`, "event", `event: must not be empty (line 1, column 10)`},
		{`{"event":5}`, "event", `event: must be a string, got a number (line 1, column 10)`},
		{`{"event":"a.b","task_id":true}`, "task_id", `task_id: must be an integer or a string, got a boolean (line 1, column 26)`},
		{`{"event":"a.b","task_id":1.5}`, "task_id", `task_id: must be an integer or a string, got 1.5 (line 1, column 26)`},
		{`{"event":"a.b","step_id":{"id":1}}`, "step_id", `step_id: must be an integer or a string, got an object (line 1, column 26)`},
		{`{"event":"a.b","task_name":["x"]}`, "task_name", `task_name: must be a string, got an array (line 1, column 28)`},
		{`{"event":"a.b","timestamp":"yesterday"}`, "timestamp", `timestamp: unrecognized time "yesterday" (expected ISO 8601, Ruby Time#to_s or unix epoch) (line 1, column 28)`},
		{`{"event":"a.b","timestamp":"2026-13-01T00:00:00Z"}`, "timestamp", `timestamp: unrecognized time "2026-13-01T00:00:00Z" (expected ISO 8601, Ruby Time#to_s or unix epoch) (line 1, column 28)`},
		{`{"event":"a.b","timestamp":"2026-02-30T00:00:00Z"}`, "timestamp", `timestamp: unrecognized time "2026-02-30T00:00:00Z" (expected ISO 8601, Ruby Time#to_s or unix epoch) (line 1, column 28)`},
		{`{"event":"a.b","timestamp":"2026-11-22 10:00:00 EST"}`, "timestamp", `timestamp: unrecognized time "2026-11-22 10:00:00 EST" (expected ISO 8601, Ruby Time#to_s or unix epoch) (line 1, column 28)`},
		{`{"event":"a.b","timestamp":-5}`, "timestamp", `timestamp: unix epoch out of range, got -5 (nanosecond timestamps span 1677-09-21 to 2262-04-11) (line 1, column 28)`},
		{`{"event":"a.b","started_at":true}`, "started_at", `started_at: must be a time string or a unix epoch number, got a boolean (line 1, column 29)`},
		{`{"event":"a.b","attempt_number":-1}`, "attempt_number", `attempt_number: must not be negative, got -1 (line 1, column 33)`},
		{`{"event":"a.b","retry_limit":"three"}`, "retry_limit", `retry_limit: must be an integer, got "three" (line 1, column 30)`},
		{`{"event":"a.b","retry_limit":2.5}`, "retry_limit", `retry_limit: must be an integer, got 2.5 (line 1, column 30)`},
		{`{"event":"a.b","execution_duration":"fast"}`, "execution_duration", `execution_duration: must be a number of seconds, got "fast" (line 1, column 37)`},
		{`{"event":"a.b","total_execution_duration":true}`, "total_execution_duration", `total_execution_duration: must be a number of seconds, got a boolean (line 1, column 43)`},
		{`{"event":"a.b","timestamp":"2263-01-01T00:00:00Z"}`, "timestamp", `timestamp: time "2263-01-01T00:00:00Z" is outside the nanosecond timestamps of OpenTelemetry (1677-09-21 to 2262-04-11) (line 1, column 28)`},
		{`{"event":"a.b","timestamp":"1677-09-20T00:00:00Z"}`, "timestamp", `timestamp: time "1677-09-20T00:00:00Z" is outside the nanosecond timestamps of OpenTelemetry (1677-09-21 to 2262-04-11) (line 1, column 28)`},
		{`{"event":"a.b","timestamp":99999999999}`, "timestamp", `timestamp: unix epoch out of range, got 99999999999 (nanosecond timestamps span 1677-09-21 to 2262-04-11) (line 1, column 28)`},
		{`{"event":"a.b","total_execution_duration":1e300}`, "total_execution_duration", `total_execution_duration: is out of range, got 1e300 (line 1, column 43)`},
		{`{"event":"a.b","backtrace":[1,2]}`, "backtrace", `backtrace: must be an array of strings, got an array (line 1, column 28)`},
		{`{"event":"a.b","process_id":"x"}`, "process_id", `process_id: must be an integer, got "x" (line 1, column 29)`},
		{`{"event":"a.b","payload":{"task_id":false}}`, "payload.task_id", `payload.task_id: must be an integer or a string, got a boolean (line 1, column 37)`},
		// The first bad field in input order is reported.
		{`{"event":"a.b","retry_limit":"x","task_id":true}`, "retry_limit", `retry_limit: must be an integer, got "x" (line 1, column 30)`},
	}
	for _, tt := range tests {
		_, err := ParseEvent([]byte(tt.in))
		require.Error(t, err, tt.in)
		assert.Equal(t, tt.text, err.Error(), tt.in)
		var pe *ParseError
		require.True(t, errors.As(err, &pe))
		assert.Equal(t, tt.field, pe.Field, tt.in)
		assert.Equal(t, tt.text, (&ParseError{Field: pe.Field, Message: pe.Message, Line: pe.Line, Column: pe.Column}).Error())
		if pe.Line > 0 {
			assert.Equal(t, pe.Line, 1+strings.Count(tt.in[:pe.Offset], "\n"), tt.in)
		}
	}
}

func TestParseErrorFormat(t *testing.T) {
	assert.Equal(t, "empty body", (&ParseError{Message: "empty body", Offset: -1}).Error())
	assert.Equal(t, "task_id: bad", (&ParseError{Field: "task_id", Message: "bad", Offset: -1}).Error())
	assert.Equal(t, "x (line 2, column 3)", (&ParseError{Message: "x", Offset: 9, Line: 2, Column: 3}).Error())
}

func TestParseEventUTF8BOMAndWhitespace(t *testing.T) {
	ev, err := ParseEvent([]byte("\xEF\xBB\xBF \r\n\t{ \"event\" : \"a.b\" } \n"))
	require.NoError(t, err)
	assert.Equal(t, "a.b", ev.Name)
}

func TestParseEventEntityFields(t *testing.T) {
	// entity_* fill the task or step fields of a log-shaped payload ...
	ev, err := ParseEvent([]byte(`{"entity_type":"step","entity_id":7,"entity_name":"charge","event_type":"completed","task_id":3}`))
	require.NoError(t, err)
	assert.Equal(t, "step.completed", ev.Name)
	assert.Equal(t, "7", ev.StepID)
	assert.Equal(t, "charge", ev.StepName)
	assert.Equal(t, "3", ev.TaskID)
	assert.Empty(t, ev.Payload)
	// ... stay in the payload for other entities, or when the specific key is there.
	ev, err = ParseEvent([]byte(`{"event":"x.y","entity_type":"task","entity_id":7,"task_id":3,"entity_name":"n"}`))
	require.NoError(t, err)
	assert.Equal(t, "3", ev.TaskID)
	assert.Equal(t, "n", ev.TaskName)
	assert.Equal(t, []Field{f("entity_id", num("7"))}, ev.Payload)
	ev, err = ParseEvent([]byte(`{"event":"x.y","entity_type":"export_plugin","entity_id":7}`))
	require.NoError(t, err)
	assert.Equal(t, []Field{f("entity_id", num("7"))}, ev.Payload)
}

func TestParseEventAllocs(t *testing.T) {
	in := []byte(stepCompletedJSON)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := ParseEvent(in); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 2.0, "input copy + payload slice")
	var p Parser
	allocs = testing.AllocsPerRun(200, func() {
		if _, err := p.ParseEvent(in); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 1.1, "a Parser shares payload blocks")
}

func TestParserBlocksAreNotShared(t *testing.T) {
	var p Parser
	a, err := p.ParseEvent([]byte(`{"event":"a.b","x":1}`))
	require.NoError(t, err)
	b, err := p.ParseEvent([]byte(`{"event":"a.b","y":2}`))
	require.NoError(t, err)
	a.Payload = append(a.Payload, f("z", num("3"))) // must not overwrite b's field
	assert.Equal(t, []Field{f("y", num("2"))}, b.Payload)
	// A payload larger than half a block gets its own slice.
	big := `{"event":"a.b"` + strings.Repeat(`,"k":1`, 100) + `}`
	c, err := p.ParseEvent([]byte(big))
	require.NoError(t, err)
	assert.Len(t, c.Payload, 100)
}
