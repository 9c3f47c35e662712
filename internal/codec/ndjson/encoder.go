// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"encoding/hex"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
	"github.com/tasker-systems/otelcol-tasker/internal/walk"
)

// Group is the encoded output of one group: of one value of the GroupBy resource
// attribute (one group named "" without GroupBy).
type Group struct {
	Name string
	Buf  []byte
}

// encoder appends JSON straight from pdata into reused buffers: no reflection, no
// intermediate maps. One encoder serves one export call at a time (they are pooled).
type encoder struct {
	keys       *keyTable
	flatten    bool
	prefix     string
	sep        string
	groupAttr  string
	b          []byte // the buffer being written (the current group's)
	first      bool   // no field written yet in the current object
	groups     []Group
	cur        int
	resBytes   []byte // the current resource as a JSON object, "" when it has no attributes
	scopeBytes []byte // the current scope as a JSON object, "" when empty
	// tail is what ends every NDJSON object of the current scope but its closing brace:
	// the resource and scope fields and the additional fields, each with its comma.
	tail []byte
	// metricHead is the name, type, temporality and unit fields of the metric whose
	// points are being written, each with its comma: they are the same on every point.
	metricHead []byte
	tmp        []byte
	attrKeys   attrKeys // the encoded keys of item attributes
	times      flatten.TimeFormatter
	// bounds and boundKeys cache the rendered `"<bound>":` keys of the last histogram
	// bounds seen: points of one metric nearly always share their bounds.
	bounds    []float64
	boundKeys [][]byte

	// The metric whose points are being written, its type and temporality names, and
	// the functions that write its points. doc is set while the points are entries of
	// a Tasker document.
	metric      pmetric.Metric
	typ         string
	temporality string
	points      walk.Points
	doc         *taskerDoc
}

func newEncoder(o *Options, keys *keyTable) *encoder {
	e := &encoder{
		keys:      keys,
		flatten:   o.FlattenLabels,
		prefix:    o.LabelPrefix,
		sep:       o.LabelSeparator,
		groupAttr: o.GroupBy,
		attrKeys:  newAttrKeys(),
	}
	e.points = walk.Points{Number: e.number, Histogram: e.histogram, ExpHistogram: e.expHistogram, Summary: e.summary}
	return e
}

// reset prepares the encoder for a new export, keeping buffer capacity.
func (e *encoder) reset() {
	for i := range e.groups {
		e.groups[i].Buf = e.groups[i].Buf[:0]
		e.groups[i].Name = ""
	}
	e.groups = e.groups[:0]
	e.cur = -1
	e.b = nil
}

// switchGroup directs output to the group of resource attributes attrs.
func (e *encoder) switchGroup(attrs pcommon.Map) {
	name := ""
	if e.groupAttr != "" {
		if v, ok := attrs.Get(e.groupAttr); ok {
			e.tmp = flatten.AppendValue(e.tmp[:0], v)
			name = string(e.tmp)
		}
	}
	if e.cur >= 0 && e.groups[e.cur].Name == name {
		return
	}
	if e.cur >= 0 {
		e.groups[e.cur].Buf = e.b
	}
	for i := range e.groups {
		if e.groups[i].Name == name {
			e.cur = i
			e.b = e.groups[i].Buf
			return
		}
	}
	if len(e.groups) < cap(e.groups) {
		e.groups = e.groups[:len(e.groups)+1]
		e.groups[len(e.groups)-1].Name = name
	} else {
		e.groups = append(e.groups, Group{Name: name})
	}
	e.cur = len(e.groups) - 1
	e.b = e.groups[e.cur].Buf[:0]
}

// finish stores the active buffer back into its group and returns the groups.
func (e *encoder) finish() []Group {
	e.attrKeys.Forget() // keeps the batch's keys: let go of them
	if e.cur >= 0 {
		e.groups[e.cur].Buf = e.b
	}
	return e.groups
}

// enterResource directs output to the group of r and pre-encodes r.
func (e *encoder) enterResource(r pcommon.Resource) {
	e.switchGroup(r.Attributes())
	e.setResource(r)
}

// setResource pre-encodes the resource attributes once per resource.
func (e *encoder) setResource(r pcommon.Resource) {
	e.resBytes = e.resBytes[:0]
	if r.Attributes().Len() > 0 {
		e.resBytes = appendAttrsObject(e.resBytes, r.Attributes())
	}
}

// setScope pre-encodes the instrumentation scope once per scope, and the tail of the
// scope's objects.
func (e *encoder) setScope(s pcommon.InstrumentationScope) {
	e.scopeBytes = appendScope(e.scopeBytes[:0], s)
	e.tail = e.fields(e.tail, func() {
		e.raw(fResource, e.resBytes)
		e.raw(fScope, e.scopeBytes)
		e.b = append(e.b, e.keys.extra...)
	})
}

// appendScope appends s as a JSON object; nothing when s is empty.
func appendScope(b []byte, s pcommon.InstrumentationScope) []byte {
	if s.Name() == "" && s.Version() == "" && s.Attributes().Len() == 0 {
		return b
	}
	b = append(b, '{')
	b = append(b, `"name":`...)
	b = flatten.AppendJSONString(b, s.Name())
	if s.Version() != "" {
		b = append(b, `,"version":`...)
		b = flatten.AppendJSONString(b, s.Version())
	}
	if s.Attributes().Len() > 0 {
		b = append(b, `,"attributes":`...)
		b = appendAttrsObject(b, s.Attributes())
	}
	return append(b, '}')
}

// fields returns buf holding what write appends with the field helpers (key, str, raw
// and the like), every field with a comma before it, for appendFields to append later.
func (e *encoder) fields(buf []byte, write func()) []byte {
	b, first := e.b, e.first
	e.b, e.first = buf[:0], false
	write()
	buf = e.b
	e.b, e.first = b, first
	return buf
}

// appendFields appends fields returned by fields to the current object.
func (e *encoder) appendFields(f []byte) {
	if len(f) == 0 {
		return
	}
	if e.first {
		f = f[1:]
		e.first = false
	}
	e.b = append(e.b, f...)
}

func appendAttrsObject(b []byte, m pcommon.Map) []byte {
	return flatten.AppendJSONMap(b, m)
}

func (e *encoder) begin() {
	e.b = append(e.b, '{')
	e.first = true
}

// endLine closes an NDJSON object of the current scope: the pre-encoded resource and
// scope fields, the additional fields, the brace and a newline.
func (e *encoder) endLine() {
	e.appendFields(e.tail)
	e.b = append(e.b, '}', '\n')
}

// end closes the object: additional fields, then a newline when line is set.
func (e *encoder) end(line bool) {
	if len(e.keys.extra) > 0 {
		extra := e.keys.extra
		if e.first {
			extra = extra[1:]
		}
		e.b = append(e.b, extra...)
	}
	e.b = append(e.b, '}')
	if line {
		e.b = append(e.b, '\n')
	}
}

// key appends the key of f (with a comma before it unless first) and reports whether
// the caller should append the value; false when an additional field replaces f.
func (e *encoder) key(f field) bool {
	if e.keys.skip[f] {
		return false
	}
	if e.first {
		e.first = false
	} else {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, e.keys.key[f]...)
	return true
}

func (e *encoder) timestamp(f field, ts pcommon.Timestamp) {
	if ts == 0 {
		return
	}
	if e.key(f) {
		e.b = append(e.b, '"')
		e.b = e.times.Append(e.b, ts)
		e.b = append(e.b, '"')
	}
}

func (e *encoder) str(f field, s string) {
	if e.key(f) {
		e.b = flatten.AppendJSONString(e.b, s)
	}
}

func (e *encoder) strNonEmpty(f field, s string) {
	if s != "" {
		e.str(f, s)
	}
}

func (e *encoder) int(f field, v int64) {
	if e.key(f) {
		e.b = strconv.AppendInt(e.b, v, 10)
	}
}

func (e *encoder) uint(f field, v uint64) {
	if e.key(f) {
		e.b = strconv.AppendUint(e.b, v, 10)
	}
}

func (e *encoder) float(f field, v float64) {
	if e.key(f) {
		e.b = flatten.AppendJSONFloat(e.b, v)
	}
}

func (e *encoder) raw(f field, v []byte) {
	if len(v) > 0 && e.key(f) {
		e.b = append(e.b, v...)
	}
}

// traceID and spanID stay two functions: one taking the id as a slice costs 2% on the
// traces benchmark.
func (e *encoder) traceID(f field, id pcommon.TraceID) {
	if id.IsEmpty() {
		return
	}
	if e.key(f) {
		e.b = append(e.b, '"')
		e.b = hex.AppendEncode(e.b, id[:])
		e.b = append(e.b, '"')
	}
}

func (e *encoder) spanID(f field, id pcommon.SpanID) {
	if id.IsEmpty() {
		return
	}
	if e.key(f) {
		e.b = append(e.b, '"')
		e.b = hex.AppendEncode(e.b, id[:])
		e.b = append(e.b, '"')
	}
}

// attributes writes item attributes: an "attributes" object, or flattened top-level
// keys label_prefix+key with labels: flatten.
func (e *encoder) attributes(m pcommon.Map) {
	if m.Len() == 0 {
		return
	}
	if !e.flatten {
		if e.key(fAttributes) {
			e.b = e.attrKeys.appendMap(e.b, m)
		}
		return
	}
	flatten.Visit(m, e.prefix, e.sep, func(k []byte, v pcommon.Value) {
		if e.first {
			e.first = false
		} else {
			e.b = append(e.b, ',')
		}
		e.b = flatten.AppendJSONStringBytes(e.b, k)
		e.b = append(e.b, ':')
		e.b = flatten.AppendJSONValue(e.b, v)
	})
}
