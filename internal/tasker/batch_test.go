// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type item struct {
	index int
	name  string
	err   string
}

func collect(t *testing.T, body string) ([]item, error) {
	t.Helper()
	var got []item
	err := ParseBatch([]byte(body), func(index int, ev Event, err error) {
		it := item{index: index, name: ev.Name}
		if err != nil {
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "item errors are *ParseError")
			it.err = err.Error()
			assert.Empty(t, ev.Name, "no event with an error")
		} else {
			assert.Empty(t, saneEvent(&ev))
		}
		got = append(got, it)
	})
	return got, err
}

func TestParseBatch(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []item
	}{
		{"one object", `{"event":"task.completed","task_id":1}`, []item{{0, "task.completed", ""}}},
		{"array", `[{"event":"a.b"}, {"event":"c.d"}]`, []item{{0, "a.b", ""}, {1, "c.d", ""}}},
		{"empty array", ` [ ] `, nil},
		{"pretty array", "[\n  {\n    \"event\": \"a.b\"\n  },\n  {\n    \"event\": \"c.d\"\n  }\n]\n", []item{{0, "a.b", ""}, {1, "c.d", ""}}},
		{"ndjson", "{\"event\":\"a.b\"}\n{\"event\":\"c.d\"}\n", []item{{0, "a.b", ""}, {1, "c.d", ""}}},
		{"ndjson crlf and blank lines", "{\"event\":\"a.b\"}\r\n\r\n\n{\"event\":\"c.d\"}", []item{{0, "a.b", ""}, {1, "c.d", ""}}},
		{"array with bad items", `[{"event":"a.b"},{"task_id":1},7,{"event":"c.d","task_id":true},[],{"event":"e.f"}]`, []item{
			{0, "a.b", ""},
			{1, "", `event: missing event name (expected "event" or "name") (line 1, column 18)`},
			{2, "", `item must be a JSON object, got a number (line 1, column 32)`},
			{3, "", `task_id: must be an integer or a string, got a boolean (line 1, column 59)`},
			{4, "", `item must be a JSON object, got an array (line 1, column 65)`},
			{5, "e.f", ""},
		}},
		{"ndjson with bad lines", "{\"event\":\"a.b\"}\n{\"event\":\"c.d\",\n{\"event\":\"e.f\"}\nnot json\n42\n{\"event\":\"g.h\",\"retry_limit\":-1}\n{\"event\":\"i.j\"} junk\n{\"event\":\"k.l\"}", []item{
			{0, "a.b", ""},
			{1, "", `invalid JSON: expected a string key (line 3, column 1)`},
			{2, "e.f", ""},
			{3, "", `invalid JSON: unexpected character 'n' (line 4, column 1)`},
			{4, "", `item must be a JSON object, got a number (line 5, column 1)`},
			{5, "", `retry_limit: must not be negative, got -1 (line 6, column 30)`},
			{6, "i.j", ""},
			{7, "", `invalid JSON: unexpected character 'j' (line 7, column 17)`},
			{8, "k.l", ""},
		}},
		{"ndjson truncated last line", "{\"event\":\"a.b\"}\n{\"event\":", []item{
			{0, "a.b", ""},
			{1, "", `invalid JSON: unexpected end of input (line 2, column 10)`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collect(t, tt.body)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseBatchBodyErrors(t *testing.T) {
	tests := []struct {
		name, body, text string
	}{
		{"empty", ``, `empty body`},
		{"blank", " \n\t ", `empty body`},
		{"text", `hello`, `invalid JSON: unexpected character 'h' (line 1, column 1)`},
		{"scalar", `42`, `body must be a JSON object, a JSON array of objects or NDJSON (line 1, column 1)`},
		{"string", `"task.completed"`, `body must be a JSON object, a JSON array of objects or NDJSON (line 1, column 1)`},
		{"broken array", "[{\"event\":\"a.b\"},\n {\"event\":\"c.d\"", `invalid JSON: unexpected end of input (line 2, column 16)`},
		{"array missing comma", "[{\"event\":\"a.b\"}\n{\"event\":\"c.d\"}]", `invalid JSON: expected ',' or ']' after array element (line 2, column 1)`},
		{"array then data", `[{"event":"a.b"}] [{"event":"c.d"}]`, `invalid JSON: unexpected data after the JSON array (line 1, column 19)`},
		{"deep array", strings.Repeat("[", 1000), `invalid JSON: nesting deeper than 512 levels (line 1, column 513)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collect(t, tt.body)
			require.Error(t, err)
			assert.Empty(t, got, "a malformed body delivers no item")
			assert.Equal(t, tt.text, err.Error())
			var pe *ParseError
			require.True(t, errors.As(err, &pe))
			assert.Empty(t, pe.Field)
		})
	}
}

// TestParseBatchMatchesParseEvent: every item of a batch parses as ParseEvent parses it
// alone, and the events of one body do not share payload memory.
func TestParseBatchMatchesParseEvent(t *testing.T) {
	items := []string{stepCompletedJSON, `{"event":"order.shipped","order_id":"A-1","lines":[1,2]}`, `{"name":"x.y","payload":{"a":1,"b":{"c":2}}}`}
	var lines []string
	for i := 0; i < 200; i++ {
		lines = append(lines, strings.Replace(items[i%len(items)], `{`, `{"seq":`+strconv.Itoa(i)+`,`, 1))
	}
	for _, body := range []string{strings.Join(lines, "\n"), "[" + strings.Join(lines, ",") + "]"} {
		var got []Event
		require.NoError(t, ParseBatch([]byte(body), func(i int, ev Event, err error) {
			require.NoError(t, err)
			require.Equal(t, len(got), i)
			got = append(got, ev)
		}))
		require.Len(t, got, len(lines))
		for i, line := range lines {
			want, err := ParseEvent([]byte(line))
			require.NoError(t, err)
			require.Empty(t, sameEvent(want, got[i]), i)
		}
		for i := range got {
			got[i].Payload = append(got[i].Payload, f("extra", num("1")))
		}
		for i := range got {
			assert.Equal(t, "seq", got[i].Payload[0].Key)
			assert.Equal(t, strconv.Itoa(i), got[i].Payload[0].Value.Text())
		}
	}
}

func TestParseBatchAllocs(t *testing.T) {
	var lines []string
	for i := 0; i < 100; i++ {
		lines = append(lines, stepCompletedJSON)
	}
	body := []byte(strings.Join(lines, "\n"))
	allocs := testing.AllocsPerRun(20, func() {
		n := 0
		if err := ParseBatch(body, func(int, Event, error) { n++ }); err != nil || n != 100 {
			t.Fatal(err, n)
		}
	})
	assert.LessOrEqual(t, allocs/100, 0.2, "allocations per event")
}
