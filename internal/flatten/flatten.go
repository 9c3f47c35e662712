// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package flatten holds the label flattening and field mapping rules shared by the
// tasker_json and tasker_csv exporters, so both name and render attributes the same way.
//
// Flattening turns a (possibly nested) pcommon.Map into (key, value) pairs: a nested map
// {"a": {"b": 1}} becomes "a<sep>b" = 1; slices and bytes are kept as single values.
// The order is the map's order, depth first; callers that need a stable column order sort.
package flatten // import "github.com/tasker-systems/otelcol-tasker/internal/flatten"

import (
	"encoding/base64"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Visit calls fn for every leaf of m, with the flattened key built from prefix,
// the nested keys and sep. A nested empty map yields no leaf. The key slice passed
// to fn is only valid during the call.
func Visit(m pcommon.Map, prefix, sep string, fn func(key []byte, v pcommon.Value)) {
	var buf [128]byte
	visit(append(buf[:0], prefix...), m, sep, fn)
}

func visit(key []byte, m pcommon.Map, sep string, fn func(key []byte, v pcommon.Value)) {
	base := len(key)
	for k, v := range m.All() {
		key = append(key[:base], k...)
		if v.Type() == pcommon.ValueTypeMap {
			visit(append(key, sep...), v.Map(), sep, fn)
			continue
		}
		fn(key, v)
	}
}

// Keys appends the flattened keys of m (as Visit builds them) to dst.
func Keys(dst []string, m pcommon.Map, prefix, sep string) []string {
	Visit(m, prefix, sep, func(key []byte, _ pcommon.Value) {
		dst = append(dst, string(key))
	})
	return dst
}

// AppendValue appends the text form of a scalar value the way both exporters print a
// label: strings as is, integers in base 10, doubles in the shortest form that
// round-trips (NaN, +Inf, -Inf spelled so), booleans true/false, bytes as standard
// base64, empty as "". Slices and maps are rendered as JSON (see AppendJSONValue).
func AppendValue(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return append(dst, v.Str()...)
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return AppendFloat(dst, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeBytes:
		return base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
	case pcommon.ValueTypeSlice, pcommon.ValueTypeMap:
		return AppendJSONValue(dst, v)
	default:
		return dst
	}
}

// AppendFloat appends f in the shortest form that parses back to the same float64;
// NaN and infinities are written NaN, +Inf and -Inf.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "+Inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-Inf"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// AppendJSONValue appends v as a JSON value: strings quoted, numbers as numbers
// (non-finite doubles as the strings "NaN", "+Inf", "-Inf"), bytes as a base64 string,
// maps as objects and slices as arrays.
func AppendJSONValue(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return AppendJSONString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return AppendJSONFloat(dst, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
		return append(dst, '"')
	case pcommon.ValueTypeSlice:
		dst = append(dst, '[')
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONValue(dst, s.At(i))
		}
		return append(dst, ']')
	case pcommon.ValueTypeMap:
		return AppendJSONMap(dst, v.Map())
	default:
		return append(dst, "null"...)
	}
}

// AppendJSONMap appends m as a JSON object, keys in the map's order.
func AppendJSONMap(dst []byte, m pcommon.Map) []byte {
	dst = append(dst, '{')
	first := true
	for k, mv := range m.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = AppendJSONString(dst, k)
		dst = append(dst, ':')
		dst = AppendJSONValue(dst, mv)
	}
	return append(dst, '}')
}

// AppendJSONFloat appends f as a JSON number in the shortest round-tripping form, or,
// since JSON has no NaN or infinity, as the strings "NaN", "+Inf", "-Inf".
func AppendJSONFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dst = append(dst, '"')
		dst = AppendFloat(dst, f)
		return append(dst, '"')
	}
	// Same rules as encoding/json: 'f' for ordinary magnitudes, 'e' for very small or large.
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(dst, f, format, -1, 64)
}

// FieldMapping renames output keys (JSON object keys, CSV column headers).
// Keys absent from the mapping keep their name.
type FieldMapping map[string]string

// Name returns the output name of key.
func (m FieldMapping) Name(key string) string {
	if v, ok := m[key]; ok && v != "" {
		return v
	}
	return key
}
