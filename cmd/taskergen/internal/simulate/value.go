// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// Kind is the JSON type of a Value.
type Kind uint8

// Kinds.
const (
	KindNull    Kind = iota // JSON null (Ruby nil)
	KindString              // Str
	KindInt                 // Num
	KindFloat               // math.Float64frombits(Num), written like Ruby (always with a decimal point)
	KindBool                // Num != 0
	KindTime                // time.Unix(0, Num), written as ISO 8601 UTC with Digits fractional digits
	KindRaw                 // Str is JSON text written as is (an object such as task_context)
	KindStrings             // Str is a JSON array of strings (see Value.Strings)
	KindInts                // Str is a JSON array of integers
)

// Value is one payload value, small and pointer-light (32 bytes): a time or a number
// costs no allocation, an array is kept as its JSON text.
type Value struct {
	Kind   Kind
	Digits uint8 // KindTime: fractional-second digits
	Str    string
	Num    int64
}

// Strings returns the elements of a KindStrings or KindInts array (integers as their
// decimal text).
func (v *Value) Strings() []string {
	switch v.Kind {
	case KindStrings:
		var out []string
		_ = json.Unmarshal([]byte(v.Str), &out) // written by Strings: valid
		return out
	case KindInts:
		var out []json.Number
		_ = json.Unmarshal([]byte(v.Str), &out)
		s := make([]string, len(out))
		for i, n := range out {
			s[i] = n.String()
		}
		return s
	}
	return nil
}

// Float returns a KindFloat value.
func (v *Value) Float() float64 { return math.Float64frombits(uint64(v.Num)) }

// Time returns a KindTime value.
func (v *Value) Time() time.Time { return time.Unix(0, v.Num).UTC() }

// Text returns a string or a time as text (times as they are written).
func (v *Value) Text() string {
	if v.Kind == KindTime {
		return ISO8601(v.Time(), int(v.Digits))
	}
	return v.Str
}

// Field is one key/value pair of a payload. Payloads keep their fields in order, so
// the output is the same byte for byte on every run.
type Field struct {
	Key   string
	Value Value
}

// Constructors.

// String returns a string field.
func String(k, v string) Field { return Field{k, Value{Kind: KindString, Str: v}} }

// Int returns an integer field.
func Int(k string, v int64) Field { return Field{k, Value{Kind: KindInt, Num: v}} }

// Float returns a float field.
func Float(k string, v float64) Field {
	return Field{k, Value{Kind: KindFloat, Num: int64(math.Float64bits(v))}}
}

// Time returns a timestamp field written with digits fractional digits.
func Time(k string, t time.Time, digits int) Field {
	return Field{k, Value{Kind: KindTime, Digits: uint8(digits), Num: t.UnixNano()}}
}

// Strings returns an array-of-strings field.
func Strings(k string, v []string) Field {
	n := 2
	for _, s := range v {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return Field{k, Value{Kind: KindStrings, Str: string(append(b, ']'))}}
}

// Ints returns an array-of-integers field.
func Ints(k string, v []int64) Field {
	b := make([]byte, 0, 2+len(v)*8)
	b = append(b, '[')
	for i, n := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return Field{k, Value{Kind: KindInts, Str: string(append(b, ']'))}}
}

// Bool returns a boolean field.
func Bool(k string, v bool) Field {
	f := Field{k, Value{Kind: KindBool}}
	if v {
		f.Value.Num = 1
	}
	return f
}

func null(k string) Field   { return Field{k, Value{Kind: KindNull}} }
func raw(k, v string) Field { return Field{k, Value{Kind: KindRaw, Str: v}} }

// Get returns the value of the first field named key.
func Get(fields []Field, key string) (Value, bool) {
	for i := range fields {
		if fields[i].Key == key {
			return fields[i].Value, true
		}
	}
	return Value{}, false
}

// AppendJSON appends v as JSON.
func (v *Value) AppendJSON(b []byte) []byte {
	switch v.Kind {
	case KindString:
		return AppendString(b, v.Str)
	case KindInt:
		return strconv.AppendInt(b, v.Num, 10)
	case KindFloat:
		return AppendFloat(b, v.Float())
	case KindBool:
		return strconv.AppendBool(b, v.Num != 0)
	case KindTime:
		b = append(b, '"')
		b = AppendISO8601(b, v.Time(), int(v.Digits))
		return append(b, '"')
	case KindRaw, KindStrings, KindInts:
		return append(b, v.Str...)
	}
	return append(b, "null"...)
}

// AppendObject appends fields as a JSON object; a non-empty first key/value pair
// (k0, v0) is written before them (the event name of an HTTP payload).
func AppendObject(b []byte, k0, v0 string, fields []Field) []byte {
	b = append(b, '{')
	first := true
	if k0 != "" {
		b = AppendString(b, k0)
		b = append(b, ':')
		b = AppendString(b, v0)
		first = false
	}
	for i := range fields {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = AppendString(b, fields[i].Key)
		b = append(b, ':')
		b = fields[i].Value.AppendJSON(b)
	}
	return append(b, '}')
}

// AppendFloat appends f as Ruby's Float#to_s/to_json would for the values the
// simulation produces: shortest representation, always with a decimal point.
func AppendFloat(b []byte, f float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}

// AppendString appends s as a JSON string as Ruby's JSON.generate writes it
// (encoding/json's escaping, without the HTML-safe escapes).
func AppendString(b []byte, s string) []byte { return flatten.AppendJSONStringPlain(b, s) }

// AppendISO8601 appends t in UTC as Ruby's Time#iso8601(digits) does:
// 2026-11-22T10:00:00.123Z (digits 0..9).
func AppendISO8601(b []byte, t time.Time, digits int) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = appendInt(b, year, 4)
	b = append(b, '-')
	b = appendInt(b, int(month), 2)
	b = append(b, '-')
	b = appendInt(b, day, 2)
	b = append(b, 'T')
	b = appendInt(b, hour, 2)
	b = append(b, ':')
	b = appendInt(b, minute, 2)
	b = append(b, ':')
	b = appendInt(b, sec, 2)
	if digits > 0 {
		ns := t.Nanosecond()
		var frac [9]byte
		for i := 8; i >= 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		b = append(b, '.')
		b = append(b, frac[:min(digits, 9)]...)
	}
	return append(b, 'Z')
}

// appendInt appends a non-negative n zero-padded to width digits.
func appendInt(b []byte, n, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	i--
	buf[i] = byte('0' + n)
	return append(b, buf[i:]...)
}

// ISO8601 formats t like AppendISO8601.
func ISO8601(t time.Time, digits int) string {
	var buf [40]byte
	return string(AppendISO8601(buf[:0], t, digits))
}

// Seconds is d in seconds rounded to milliseconds, as Tasker's `.round(3)`.
func Seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond).Milliseconds()) / 1000
}
