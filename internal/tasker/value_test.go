// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValues(t *testing.T) {
	tests := []struct {
		v     Value
		kind  Kind
		text  string
		str   string
		i     int64
		f     float64
		b     bool
		raw   string
		debug string
	}{
		{StringValue("x"), KindString, "x", "x", 0, 0, false, "", `"x"`},
		{IntValue(-42), KindInt, "-42", "", -42, -42, false, "", "-42"},
		{FloatValue(0.25), KindFloat, "0.25", "", 0, 0.25, false, "", "0.25"},
		{BoolValue(true), KindBool, "true", "", 0, 0, true, "", "true"},
		{BoolValue(false), KindBool, "false", "", 0, 0, false, "", "false"},
		{NullValue(), KindNull, "", "", 0, 0, false, "", "null"},
		{RawValue(`[1]`), KindRaw, "[1]", "", 0, 0, false, "[1]", "[1]"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.kind, tt.v.Kind(), tt.debug)
		assert.Equal(t, tt.text, tt.v.Text(), tt.debug)
		assert.Equal(t, tt.str, tt.v.Str(), tt.debug)
		assert.Equal(t, tt.i, tt.v.Int(), tt.debug)
		assert.Equal(t, tt.f, tt.v.Float(), tt.debug)
		assert.Equal(t, tt.b, tt.v.Bool(), tt.debug)
		assert.Equal(t, tt.raw, tt.v.Raw(), tt.debug)
		assert.Equal(t, tt.debug, tt.v.String())
	}
	assert.Equal(t, "Kind(9)", Kind(9).String())
	assert.Equal(t, "Severity(3)", Severity(3).String())
	assert.Equal(t, "Entity(7)", Entity(7).String())
	assert.Equal(t, "Outcome(7)", Outcome(7).String())
	assert.Equal(t, "Priority(9)", Priority(9).String())
}

// TestRawValues: objects and arrays kept whole are validated (escapes included) and
// compacted.
func TestRawValues(t *testing.T) {
	good := map[string]string{
		`{"a":"\"\\\/\b\f\n\r\t\u00e9"}`:                            `{"a":"\"\\\/\b\f\n\r\t\u00e9"}`,
		"[ \"x y\" , { \"k\" : null } ]":                            `["x y",{"k":null}]`,
		`[true,false,null,-1.5e3,"a"]`:                              `[true,false,null,-1.5e3,"a"]`,
		`{"long":"` + "abcdefghijklmnopqrstuvwxyz0123456789" + `"}`: `{"long":"abcdefghijklmnopqrstuvwxyz0123456789"}`,
		"[\"caf\xc3\xa9\"]":                                         "[\"caf\xc3\xa9\"]",
		"[\"bad\xff\"]":                                             "[\"bad\uFFFD\"]",
	}
	for in, want := range good {
		ev, err := ParseEvent([]byte(`{"event":"a.b","v":` + in + `}`))
		require.NoError(t, err, in)
		assert.Equal(t, want, ev.Payload[0].Value.Raw(), in)
	}
	bad := map[string]string{ // the value starts at column 20
		`{"a":"\x"}`:     `invalid JSON: invalid escape sequence (line 1, column 26)`,
		`{"a":"\u00g0"}`: `invalid JSON: invalid escape sequence (line 1, column 26)`,
		"[\"a\x01\"]":    `invalid JSON: control character in string (line 1, column 23)`,
		`["abc`:          `invalid JSON: unterminated string (line 1, column 26)`,
		`["abc\`:         `invalid JSON: invalid escape sequence (line 1, column 25)`,
		`{"a" 1}`:        `invalid JSON: expected ':' after object key (line 1, column 25)`,
		`{1:2}`:          `invalid JSON: expected a string key (line 1, column 21)`,
		`{"a":1 "b":2}`:  `invalid JSON: expected ',' or '}' after object value (line 1, column 27)`,
		`[1e999]`:        `invalid JSON: number out of range (line 1, column 21)`,
		`[1.]`:           `invalid JSON: invalid number (line 1, column 21)`,
		`[nul]`:          `invalid JSON: unexpected character 'n' (line 1, column 21)`,
		"[\x00]":         `invalid JSON: unexpected byte 0x0 (line 1, column 21)`,
		`{"a":[`:         `invalid JSON: unexpected character '}' (line 1, column 26)`,
		`{"a"`:           `invalid JSON: expected ':' after object key (line 1, column 24)`,
		`{`:              `invalid JSON: unexpected end of input (line 1, column 22)`,
	}
	for in, want := range bad {
		_, err := ParseEvent([]byte(`{"event":"a.b","v":` + in + `}`))
		require.Error(t, err, in)
		assert.Equal(t, want, err.Error(), in)
	}
}

func TestDescribe(t *testing.T) {
	for c, want := range map[byte]string{'[': "an array", '"': "a string", 't': "a boolean", 'f': "a boolean", 'n': "null", '-': "a number", '7': "a number"} {
		assert.Equal(t, want, describeAt(c))
	}
	assert.Equal(t, `""`, quoteShort(""))
	assert.Equal(t, `"`+strings.Repeat("a", 64)+`"…`, quoteShort(strings.Repeat("a", 100)))
}
