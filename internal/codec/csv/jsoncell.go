// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"slices"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// A JSON object cell (attributes, labels) is always quoted, with the quotes of the JSON
// doubled. Building the JSON with flatten.AppendJSONMap and then doubling its quotes
// walks every byte twice; attributeCell writes the doubled form in one go instead,
// with the same JSON (flatten's escaping, number and key order rules), and keeps the
// encoded keys of the previous row: the records of a batch mostly share their keys.

// jsonPlain[c] is true when byte c stands for itself in a JSON string (the bytes
// flatten.AppendJSONString leaves as they are) and is not a double quote.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// attributeCell appends m as a quoted CSV cell holding a JSON object; nothing when m
// is empty. The result is byte for byte what appendCell would make of
// flatten.AppendJSONMap(m).
func (e *encoder) attributeCell(m pcommon.Map) {
	if m.Len() == 0 {
		return
	}
	e.buf = append(e.buf, '"', '{')
	i := 0
	for k, v := range m.All() {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = e.jkeys.Append(e.buf, i, k)
		e.appendJSONValueDoubled(v)
		i++
	}
	e.buf = append(e.buf, '}', '"')
}

// appendJSONStringDoubled appends s as a JSON string with its quotes doubled.
func (e *encoder) appendJSONStringDoubled(dst []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if !jsonPlain[s[i]] {
			plain = false
			break
		}
	}
	if plain {
		dst = append(dst, '"', '"')
		dst = append(dst, s...)
		return append(dst, '"', '"')
	}
	e.json = flatten.AppendJSONString(e.json[:0], s)
	return appendDoubled(dst, e.json)
}

func (e *encoder) appendJSONValueDoubled(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		e.buf = e.appendJSONStringDoubled(e.buf, v.Str())
	case pcommon.ValueTypeInt:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case pcommon.ValueTypeBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	default:
		e.json = flatten.AppendJSONValue(e.json[:0], v)
		e.buf = appendDoubled(e.buf, e.json)
	}
}

// appendDoubled appends src with every double quote doubled.
func appendDoubled(dst, src []byte) []byte {
	n := len(dst)
	// Room for every byte doubled is not needed: count the quotes, plus one byte of
	// slack for copyDoubled's speculative writes.
	need := len(src) + countQuotes(src) + 1
	dst = slices.Grow(dst, need)[:n+need]
	j := copyDoubled(dst, n, src)
	return dst[:j]
}
